import json

import pytest
from conftest import DATA, ROOT

from assistant import CorpusError, load_corpus
from assistant.ingest.readers.text import is_question_line


@pytest.fixture(scope="module")
def azure():
    return load_corpus(ROOT / "corpus")


def test_default_faq_has_its_30_entries(azure):
    assert len(azure.entries) == 30
    assert azure.warnings == []
    first, last = azure.entries[0], azure.entries[-1]
    assert first.question == "What are confidential VMs?"
    assert (first.start_line, first.end_line) == (9, 15)
    assert last.question == "What can I do if the time on my DCesv6/ECesv6-series VM differs from UTC for Linux?"
    assert last.answer.endswith("systemctl restart chronyd.service")
    assert last.end_line == 127  # the repeated copy on line 128 and the page footer are dropped


def test_default_faq_entries_are_clean_and_complete(azure):
    by_question = {e.question.split("?")[0]: e for e in azure.entries}
    error = by_question["What does this error mean"]
    assert error.question.startswith('What does this error mean? "Operation couldn\'t be completed')
    assert error.answer.count("\n") == 2 and "Create a support request" in error.answer
    text = "\n".join(e.answer for e in azure.entries)
    for damage in ["â", "Â", "Feedback", "Was this page helpful", "andAzure", "useAzure", "OSTips"]:
        assert damage not in text, damage
    assert "the virtual machine's memory" in text
    assert "Intel® Trust Authority" in text
    assert text.count("systemctl restart chronyd.service") == 1
    assert all(e.url == "https://learn.microsoft.com/en-us/azure/confidential-computing/confidential-vm-faq"
               for e in azure.entries)
    assert all(e.title == "Azure confidential virtual machines FAQ" for e in azure.entries)


def test_line_offsets_map_back_to_the_file(azure):
    lines = (ROOT / "corpus" / "azure-confidential-vms-faq.txt").read_text(encoding="utf-8").splitlines()
    for entry in azure.entries:
        assert lines[entry.start_line - 1].startswith(entry.question[:20])
        for offset, number in entry.line_offsets:
            answer_line = entry.answer[offset:].split("\n", 1)[0]
            # cleaning may repair characters, but the first word of the line is in the original line
            assert answer_line.split()[0].strip(".,:") in lines[number - 1].replace("â", "'")


def test_ids_are_stable_and_unique(azure):
    ids = [e.id for e in azure.entries]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "azure-confidential-vms-faq/what-are-confidential-vms"
    assert ids == [e.id for e in load_corpus(ROOT / "corpus").entries]


def test_markdown_headings_bold_and_q_prefix():
    corpus = load_corpus(DATA / "faq.md")
    got = [(e.question, e.answer, e.start_line, e.end_line) for e in corpus.entries]
    assert got == [  # hard-wrapped lines are one paragraph
        ("How do I install the widget?",
         "Run pip install widget and then restart your shell. See the install guide for details.", 7, 10),
        ("Can I use the widget offline?", "Yes. The widget never needs a network connection.", 12, 14),
        ("How much does the widget cost?", "The widget is free for personal use.", 18, 20),
        ("Is there a team plan?", "Yes, teams pay per seat.", 22, 23),
    ]


def test_markdown_without_question_headings_uses_deepest_level(tmp_path):
    path = tmp_path / "faq.md"
    path.write_text("# Guide\n## Install\nRun the installer.\n## Uninstall\nDrag it to the bin.\n")
    corpus = load_corpus(path)
    assert [(e.question, e.answer) for e in corpus.entries] == [
        ("Install", "Run the installer."), ("Uninstall", "Drag it to the bin.")
    ]


@pytest.mark.parametrize("name", ["faq.jsonl", "faq.csv", "faq.tsv"])
def test_tables(name):
    corpus = load_corpus(DATA / name)
    assert [e.question for e in corpus.entries] == ["How do I reset my password?", "Where are invoices stored?"]
    assert corpus.entries[0].answer == "Open Settings, then Security, and choose Reset password."


def test_table_ids_urls_and_lines():
    jsonl = load_corpus(DATA / "faq.jsonl").entries
    assert [e.id for e in jsonl] == ["w1", "w2"]
    assert jsonl[1].url == "https://example.com/billing"
    csv_entries = load_corpus(DATA / "faq.csv").entries
    assert [(e.start_line, e.end_line) for e in csv_entries] == [(2, 2), (3, 4)]
    assert csv_entries[1].answer == "Invoices are under Billing.\nEach invoice is a PDF."


def test_duplicate_questions_stay_distinct(tmp_path):
    path = tmp_path / "dup.jsonl"
    rows = [{"question": "How?", "answer": "One way."}, {"question": "How?", "answer": "Another way."}]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    entries = load_corpus(path).entries
    assert [e.id for e in entries] == ["dup/how", "dup/how-2"]
    assert [e.answer for e in entries] == ["One way.", "Another way."]


def test_bad_table_row_names_its_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "a?", "answer": "b"}\n{not json}\n')
    with pytest.raises(CorpusError, match=r"bad.jsonl:2"):
        load_corpus(path)


def test_missing_and_empty_corpus(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(CorpusError, match="no FAQ entries"):
        load_corpus(tmp_path)


def test_question_lines():
    assert is_question_line("What are confidential VMs?")
    assert is_question_line('What does this error mean? "Operation couldn\'t be completed"')
    assert is_question_line("Q: Is there a team plan?")
    assert not is_question_line("Yes, but only if the pagefile.sys is located on the encrypted OS disk.")
    assert not is_question_line("Why?")  # one word is not a question line
