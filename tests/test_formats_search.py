"""What the new readers give the rest of the assistant: a hit links to the exact place on the page, and
another corpus keeps its index apart from the default one."""

import shutil

from conftest import DATA

from assistant import Retriever
from assistant.cli import main


def test_a_hit_links_to_the_entry_anchor_on_its_page(embedder, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "formats" / "details.html", corpus / "lamp.html")
    retriever = Retriever.load(tmp_path / "index", corpus=corpus, embedder=embedder)
    hit = retriever.search("what bulb fits the lamp?", k=1)[0]
    assert hit.question == "Which bulb does the lamp take?"
    assert hit.url == "https://lamps.example.com/help/faq.html#bulb"
    assert (hit.start_line, hit.end_line) == (13, 16)


def test_another_corpus_never_overwrites_the_default_index(small_corpus, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"  # where the default corpus/ and index/ would be
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["build", "--corpus", str(small_corpus)]) == 0
    assert not (work / "index").exists()
    built = [p for p in (work / ".cache" / "index").iterdir() if p.is_dir()]
    assert len(built) == 1 and built[0].name.startswith("corpus-")
    assert built[0].name in capsys.readouterr().out
    assert main(["ask", "can I use it offline?", "--corpus", str(small_corpus), "--no-build"]) == 0
    assert "Can I use the widget offline?" in capsys.readouterr().out
