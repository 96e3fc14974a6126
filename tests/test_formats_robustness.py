"""Bad input in every format: broken markup, a heading-only file, odd line endings and characters, deep
nesting, huge cells. Each file is read, or refused with one line naming it; line numbers stay the ones
an editor shows."""

import json
import re

import pytest

from assistant import CorpusError, load_corpus

SUFFIXES = [".md", ".rst", ".adoc", ".html", ".org", ".txt"]


def load_or_refuse(path):
    """The entries of `path`, or [] when it is refused with a one-line error naming it."""
    try:
        return load_corpus(path).entries
    except CorpusError as exc:
        message = str(exc)
        assert "\n" not in message and path.name in message, message
        return []


def faq(suffix: str, question: str, answer: str) -> str:
    """One question and its answer, written as `suffix` writes them."""
    return {
        ".md": f"# FAQ\n\n## {question}\n\n{answer}\n",
        ".rst": f"FAQ\n===\n\n{question}\n{'-' * (len(question) + 2)}\n\n{answer}\n",
        ".adoc": f"= FAQ\n\n== {question}\n\n{answer}\n",
        ".html": f"<h1>FAQ</h1>\n<h2>{question}</h2>\n<p>{answer}</p>\n",
        ".org": f"#+TITLE: FAQ\n* {question}\n{answer}\n",
        ".txt": f"FAQ\n\n{question}\n\n{answer}\n",
    }[suffix]


BROKEN = {
    ".md": "## How do I start?\n\n```sh\nrun it\n\n## Not a heading?\n",
    ".rst": "How do I start?\n-----\n\n.. unknown-directive::\n   :bad option\n\n  *unclosed `role\n\n=====\nQ?\n",
    ".adoc": "== How do I start?\n\n----\nrun it\n\n== Inside the open listing?\n",
    ".html": "<h2>How do I start?<p>Run <b>it<details><summary>More?</summary><div><dl><dt>x",
    ".org": "* How do I start?\n#+begin_src sh\nrun it\n* Inside the open block?\n",
    ".txt": "1. How do I start?\n\nRun it.\n\n1.1 \n\n***\n* \n",
}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_broken_markup_is_read_or_refused_in_one_line(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_text(BROKEN[suffix])
    for entry in load_or_refuse(path):
        assert entry.question and entry.answer
        assert 1 <= entry.start_line <= entry.end_line <= BROKEN[suffix].count("\n") + 1


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_file_of_headings_only_is_refused_naming_it(tmp_path, suffix):
    path = tmp_path / f"headings{suffix}"
    text = {".md": "# A\n## How?\n## Why not?\n", ".rst": "How?\n====\n\nWhy not?\n========\n",
            ".adoc": "== How?\n== Why not?\n", ".html": "<h2>How?</h2><h2>Why not?</h2>",
            ".org": "* How?\n* Why not?\n", ".txt": "How do I?\n\nWhy not me?\n"}[suffix]
    path.write_text(text)
    with pytest.raises(CorpusError, match=f"{path.name}: no questions found"):
        load_corpus(path)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("odd", ["\f", "\u2028", "\x85", "\v", "\t", "\u2029"])
def test_characters_splitlines_breaks_on_do_not_shift_line_numbers(tmp_path, suffix, odd):
    text = faq(suffix, "How do I start?", f"Run{odd}it.") + "\n" + faq(suffix, "How do I stop?", "Press stop.")
    path = tmp_path / f"faq{suffix}"
    path.write_text(text)
    lines = re.split(r"\r\n|\r|\n", text)
    entries = load_corpus(path).entries
    stop = next(e for e in entries if e.question == "How do I stop?")
    assert "How do I stop?" in lines[stop.start_line - 1]
    assert "Press stop." in lines[stop.line_offsets[0][1] - 1]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_mixed_line_endings_count_as_an_editor_counts_them(tmp_path, suffix):
    text = faq(suffix, "How do I start?", "Run\nit.") + "\n" + faq(suffix, "How do I stop?", "Press\nstop.")
    lines = text.split("\n")
    # "\r" is never followed by "\n" (that would be one "\r\n" break, for an editor too)
    mixed = "".join(line + ("\n", "\r", "\r\n")[n % 3] for n, line in enumerate(lines[:-1])) + lines[-1]
    path = tmp_path / f"faq{suffix}"
    path.write_bytes(mixed.encode())
    entries = load_corpus(path).entries
    stop = next(e for e in entries if e.question == "How do I stop?")
    assert "How do I stop?" in lines[stop.start_line - 1]
    assert stop.answer == "Press stop."
    assert [re.sub(r"</?p>", "", lines[n - 1]) for _, n in stop.line_offsets] == ["Press", "stop."]


NESTED = {
    ".md": "## How deep?\n\n" + "> " * 1000 + "deep\n\n" + "".join("  " * n + "- item\n" for n in range(1000)),
    ".rst": "How deep?\n=========\n\n" + "".join(" " * n + "deep\n\n" for n in range(0, 3000, 3)),
    ".adoc": "== How deep?\n\n" + "====\n" * 1000 + "deep\n" + "====\n" * 1000,
    ".html": "<h2>How deep?</h2>" + "<div>" * 1000 + "<p>deep</p>" + "</div>" * 1000,
    ".org": "* How deep?\n" + "".join("  " * n + "- item\n" for n in range(1000)) + "*" * 1000 + " Deeper?\nyes\n",
    ".txt": "How deep?\n\n" + "".join(f"{'.'.join(['1'] * n)} Level {n}?\n\nyes\n\n" for n in range(1, 1000)),
}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_nesting_a_thousand_deep_is_read_or_refused(tmp_path, suffix):
    path = tmp_path / f"deep{suffix}"
    path.write_text(NESTED[suffix])
    for entry in load_or_refuse(path):
        assert entry.question and entry.answer


@pytest.mark.parametrize("suffix", [".md", ".rst", ".adoc", ".html", ".org"])
def test_a_marked_up_file_over_8_mb_is_skipped_in_one_line(tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    path.write_text(faq(suffix, "How big?", "Very. " * 1_500_000))
    (tmp_path / "small.md").write_text(faq(".md", "How small?", "Small."))
    corpus = load_corpus(tmp_path)
    assert [e.question for e in corpus.entries] == ["How small?"]
    skipped = [w for w in corpus.warnings if w.startswith(f"big{suffix}")]
    assert len(skipped) == 1 and skipped[0].startswith(f"big{suffix}: skipped, 9 MB of ")


def test_jsonl_written_by_json_dumps_keeps_u2028_inside_a_string(tmp_path):
    path = tmp_path / "faq.jsonl"
    rows = [{"question": "Line\u2028separator?", "answer": "Kept\u2028apart."}, {"question": "Next?", "answer": "Two."}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    entries = load_corpus(path).entries
    # The separator is a line break inside the answer (ftfy writes it as "\n"), not between rows.
    assert [(e.answer, e.start_line) for e in entries] == [("Kept\napart.", 1), ("Two.", 2)]


def test_a_csv_cell_over_128_kb_is_read_and_a_real_error_names_its_row(tmp_path):
    path = tmp_path / "faq.csv"
    long = "word " * 40_000  # 200 KB, over the csv module's default cell limit
    path.write_text(f'Question,Answer\n"Short?","Yes."\n"Long?","{long}"\n"After?","Fine."\n')
    assert [e.start_line for e in load_corpus(path).entries] == [2, 3, 4]
    broken = tmp_path / "broken.csv"  # an unclosed quote swallows the rest of the file into one cell
    broken.write_text('Question,Answer\n"Short?","Yes."\n"Open?","never closed\n' + "more text\n" * 2_000_000)
    with pytest.raises(CorpusError) as caught:
        load_corpus(broken)
    assert re.match(r"broken\.csv:3: field larger than field limit", str(caught.value)), caught.value


def test_broken_yaml_names_its_line(tmp_path):
    path = tmp_path / "faq.yaml"
    path.write_text("- question: One?\n  answer: Yes.\n- question: [unclosed\n  answer: x\n")
    with pytest.raises(CorpusError, match=r"faq\.yaml:\d+: not valid YAML"):
        load_corpus(path)


def test_a_file_that_reads_badly_gets_a_warning(tmp_path):
    (tmp_path / "one.md").write_text("# Manual\n\n## How do I start?\n\n" + "Run it.\n" * 30)
    (tmp_path / "short.md").write_text("## How do I stop?\n\nPress stop.\n")  # one question, and short
    (tmp_path / "mostly-prose.md").write_text(
        "# Guide\n\n" + "Long introduction text that answers nothing in particular. " * 40
        + "\n\n## Install\n\nRun make.\n\n## Why?\n\nBecause.\n")
    warnings = load_corpus(tmp_path).warnings
    assert any(w.startswith("one.md: only one entry found") for w in warnings), warnings
    assert not any(w.startswith("short.md") for w in warnings), warnings
    assert any(w.startswith("mostly-prose.md: ") and "outside the 2 entries" in w for w in warnings), warnings


def test_the_default_faq_reads_well(tmp_path):
    from conftest import ROOT

    assert load_corpus(ROOT / "corpus").warnings == []
