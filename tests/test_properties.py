"""Property-based tests (hypothesis) of parsing, cleaning and chunking. Example counts are modest so
the suite stays fast; hypothesis keeps the failing examples it finds in .hypothesis/."""

import tempfile
from collections import Counter
from pathlib import Path

import ftfy
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assistant import AssistantError, CorpusError, Entry, load_corpus
from assistant.index.chunking import approximate_token_spans, chunk_entry, sentence_spans
from assistant.ingest.answer_text import render_blocks
from assistant.ingest.cleaning import _FTFY_CONFIG, _NEEDS_FTFY, _WORD, GlueSplitter, fix_mojibake
from assistant.ingest.lines import split_lines
from assistant.ingest.readers import DOCUMENT_READERS, read_jsonl, read_table, read_text, read_yaml
from assistant.ingest.structure import find_entries
from assistant.search.query import MAX_QUERY_CHARS, clean_query

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like FAQ files: lines, question marks, markup of every format, odd characters.
pieces = st.sampled_from(["\n", "\n\n", "?", "? ", "## ", "# ", "**", "Q: ", "A: ", "```\n", ",", ";", "\t", '"',
                          "\r\n", "\r", "\x00", "\u2028", "\x0c", "\x85", "â€™", "Ã©", "&amp;", "How do I ", "What is ",
                          " the ", ". ", "====\n", "----\n", ".. note::\n", ":ref:`x`", "::\n", "term::\n", "+\n",
                          "[[a]]\n", "* ", "** ", ":PROPERTIES:\n", ":END:\n", "#+begin_src\n", "=x= ",
                          "<h2>", "</h2>", "<details><summary>", "<p>", "<dl><dt>", "1. ", "1.1 ", "- ", "|===\n"])
faq_like = st.lists(st.one_of(st.text(max_size=12), pieces), max_size=40).map("".join)
any_text = st.one_of(st.text(max_size=300), faq_like)
SUFFIXES = [".txt", ".md", ".rst", ".adoc", ".html", ".org", "", ".jsonl", ".csv", ".tsv", ".yaml"]


def _normal(text: str) -> str:
    """Compare lines modulo spacing (cleaning collapses spaces and splits glued words)."""
    return "".join(text.split())


# --- parsing never raises -------------------------------------------------------------------------


@FAST
@given(any_text, st.sampled_from(sorted(DOCUMENT_READERS)))
def test_document_readers_never_raise_and_cite_real_lines(text, kind):
    document = DOCUMENT_READERS[kind](text)
    count = max(1, len(split_lines(text)))
    for found in find_entries(document):
        section = found.section
        assert 1 <= section.line <= section.end_line <= count
        rendered = render_blocks(found.blocks)
        assert all(1 <= line <= count for _, line in rendered.line_offsets)
        assert [p for p, _ in rendered.line_offsets] == sorted(p for p, _ in rendered.line_offsets)
        assert all(0 <= m.start < m.end <= len(rendered.text) for m in rendered.marks)


@FAST
@given(any_text)
def test_table_readers_raise_only_corpus_errors(text):
    for parse in (lambda t: read_jsonl(t, "f.jsonl"), lambda t: read_table(t, "f.csv", ","),
                  lambda t: read_table(t, "f.tsv", "\t"), lambda t: read_yaml(t, "f.yaml")):
        try:
            parse(text)
        except CorpusError:
            pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(SUFFIXES))
def test_any_bytes_in_any_format_load_or_fail_cleanly(data, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"faq{suffix}"
        path.write_bytes(data)
        try:
            corpus = load_corpus(path)
        except CorpusError:
            return
        for entry in corpus.entries:
            (entry.question + entry.answer).encode("utf-8")  # no lone surrogates: writable to the index
            assert chunk_entry(entry, 64)


@FAST
@given(st.text(max_size=300))
def test_clean_query_returns_searchable_text_or_a_clear_error(query):
    try:
        text = clean_query(query)
    except AssistantError:
        return
    assert 0 < len(text) <= MAX_QUERY_CHARS and any(ch.isalnum() for ch in text)
    assert text == text.strip() and all(ch.isprintable() for ch in text)


# --- line numbers point at the right lines --------------------------------------------------------

# Words that cannot spell boilerplate ("feedback") nor the "A." answer prefix.
word = st.text(alphabet="abcdefghij", min_size=2, max_size=8)
sentence = st.lists(word, min_size=1, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
answer_line = st.lists(sentence, min_size=1, max_size=3).map(" ".join)
entry_strategy = st.tuples(st.lists(word, min_size=2, max_size=8).map(lambda ws: " ".join(ws).capitalize() + "?"),
                           st.lists(answer_line, min_size=1, max_size=5), st.integers(0, 2))


def _faq_file(faq, kind: str) -> list[str]:
    """An FAQ of `kind` holding the generated questions and answers (one answer line a paragraph)."""
    lines = {"rst": ["Title of the page", "=================", ""], "org": ["#+title: Title of the page", ""],
             "html": ["<title>Title of the page</title>"], "adoc": ["= Title of the page", ""]}.get(
        kind, ["Title of the page"])
    for question, answer, blanks in faq:
        if kind == "md":
            lines += [f"## {question}", *answer]
        elif kind == "rst":
            lines += [question, "-" * (len(question) + 2), ""] + [x for a in answer for x in (a, "")]
        elif kind == "org":
            lines += [f"** {question}", *answer]
        elif kind == "adoc":
            lines += [f"{question}::"] + [x for n, a in enumerate(answer) for x in ((a,) if n == 0 else ("+", a))]
        elif kind == "html":
            lines += [f"<h3>{question}</h3>"] + [f"<p>{a}</p>" for a in answer]
        else:
            lines += [question] + answer
        lines += [""] * blanks
    return lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry_strategy, min_size=1, max_size=6), st.sampled_from(["txt", "md", "rst", "org", "adoc", "html"]))
def test_entries_and_passages_cite_the_lines_they_come_from(faq, kind):
    lines = _faq_file(faq, kind)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"faq.{kind}"
        path.write_text("\n".join(lines) + "\n")
        entries = load_corpus(path).entries
    assert [_normal(e.question) for e in entries] == [_normal(q) for q, _, _ in faq]
    for entry, (_, answer, _) in zip(entries, faq):
        assert _normal(entry.question) in _normal(lines[entry.start_line - 1])
        if kind == "txt":  # a scraped page (no blank lines) drops a line that repeats the one before
            assert all(_normal(line) in _normal("".join(answer)) for line in entry.answer.split("\n"))
        else:
            assert _normal(entry.answer) == _normal("".join(answer))
        offsets = [*entry.line_offsets, (len(entry.answer), None)]
        for (start, number), (end, _) in zip(offsets, offsets[1:]):  # each piece comes from its line
            assert _normal(entry.answer[start:end]) in _normal(lines[number - 1])
        assert entry.end_line >= entry.line_offsets[-1][1]
        for passage in chunk_entry(entry, max_tokens=24):
            first, last = passage.text.split("\n")[0], passage.text.split("\n")[-1]
            assert entry.start_line <= passage.start_line <= passage.end_line <= entry.end_line
            if passage.id.endswith("#0"):  # the first passage is cited from its question
                assert passage.start_line == entry.start_line
            else:
                assert _normal(first.split()[0]) in _normal(lines[passage.start_line - 1])
            assert _normal(last.split()[-1]) in _normal(lines[passage.end_line - 1])


# --- chunking: every character in exactly one passage; sentences partition the text --------------


@FAST
@given(any_text)
def test_sentence_spans_partition_the_text(text):
    spans = sentence_spans(text)
    assert (spans == []) == (text == "")
    if spans:
        assert spans[0][0] == 0 and spans[-1][1] == len(text)
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        assert all(start < end for start, end in spans)


def _entry(answer: str, question: str = "How does it work?") -> Entry:
    offsets, pos = [], 0
    for number, line in enumerate(answer.split("\n"), start=2):
        offsets.append((pos, number))
        pos += len(line) + 1
    return Entry(id="e", question=question, answer=answer, source="f.txt", start_line=1,
                 end_line=offsets[-1][1], line_offsets=tuple(offsets))


@FAST
@given(any_text, st.integers(min_value=4, max_value=300))
def test_every_answer_character_lands_in_exactly_one_passage(answer, max_tokens):
    assume(answer.strip())
    passages = chunk_entry(_entry(answer), max_tokens)
    owner = [0] * len(answer)
    for passage in passages:
        for i in range(passage.start, passage.end):
            owner[i] += 1
        assert passage.text == answer[passage.start : passage.end].strip()
    assert owner == [1] * len(answer)
    assert [p.id for p in passages] == [f"e#{n}" for n in range(len(passages))]
    budget = max(16, max_tokens - 2 - len(approximate_token_spans("How does it work?")))
    for passage in passages:  # over budget only when one word alone is
        assert len(approximate_token_spans(passage.text)) <= budget or len(passage.text.split()) == 1


# --- cleaning shortcuts agree with the slow path --------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="ascii"), max_size=80))
def test_ascii_shortcut_is_what_ftfy_would_do(text):
    if _NEEDS_FTFY.search(text) is None:
        assert ftfy.fix_text(text, _FTFY_CONFIG) == text == fix_mojibake(text)


@FAST
@given(any_text)
def test_glue_splitter_counts_words_as_over_the_whole_document(text):
    splitter = GlueSplitter(text)
    assert splitter._counts == Counter(_WORD.findall(text))
    assert splitter._lower_counts == Counter(w.lower() for w in _WORD.findall(text))


@pytest.mark.parametrize("text", ["", "\n", "?", "a?\n", "## ?\n", "## How do I x?\n", "* How?\n"])
@pytest.mark.parametrize("kind", sorted(DOCUMENT_READERS))
def test_a_question_without_an_answer_is_no_entry(text, kind):
    assert find_entries(DOCUMENT_READERS[kind](text)) == []


def test_a_question_and_answer_marked_q_and_a():
    for text in ("Q: x y?\nA: z\n", "Q: x y?\n\nA: z\n\nQ: v w?\nA: u\n"):
        found = find_entries(read_text(text))
        assert [(f.question, f.section.line, render_blocks(f.blocks).text) for f in found][:1] == [("x y?", 1, "z")]


def test_a_plain_text_answer_that_repeats_a_title_s_words_is_not_a_table_of_contents(tmp_path):
    # Found by hypothesis: "Aa." shares every word of "Aa aa?"'s neighbours' titles but lists none.
    faq = tmp_path / "faq.txt"
    faq.write_text("Title of the page\nAa aa?\nAb aa.\nAa aa aa.\nAa aa aa?\nAa.\nAb aa?\nAa.\n")
    assert [e.question for e in load_corpus(faq).entries] == ["Aa aa?", "Aa aa aa?", "Ab aa?"]
