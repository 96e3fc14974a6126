from assistant.index.chunking import chunk_entry, sentence_spans
from assistant.ingest.entry import Entry


def test_sentence_spans_partition_text():
    text = "First one. Second, e.g. with an abbreviation. Third?\nA new line\n  indented."
    spans = sentence_spans(text)
    assert "".join(text[a:b] for a, b in spans) == text
    assert [text[a:b].strip() for a, b in spans] == [
        "First one.", "Second, e.g. with an abbreviation.", "Third?", "A new line", "indented.",
    ]


def make_entry(answer: str) -> Entry:
    offsets, pos = [], 0
    for number, line in enumerate(answer.split("\n"), start=11):
        offsets.append((pos, number))
        pos += len(line) + 1
    return Entry(id="e", question="What is it?", answer=answer, source="f.txt", start_line=10,
                 end_line=10 + answer.count("\n") + 1, line_offsets=tuple(offsets))


def test_short_answer_is_one_passage():
    entry = make_entry("It is a thing.\nIt is small.")
    (passage,) = chunk_entry(entry, 256)
    assert passage.text == entry.answer
    assert (passage.start_line, passage.end_line) == (10, 12)


def test_long_answer_splits_on_sentences_within_budget(embedder):
    answer = "\n".join(f"Sentence number {i} says something about widgets and gadgets." for i in range(60))
    entry = make_entry(answer)
    passages = chunk_entry(entry, embedder.max_tokens, embedder.count_tokens)
    assert len(passages) > 1
    assert "".join(answer[p.start:p.end] for p in passages) == answer
    question_tokens = embedder.count_tokens(entry.question)
    for p in passages:
        assert embedder.count_tokens(p.text) + question_tokens + 2 <= embedder.max_tokens
        assert p.text.startswith("Sentence number") and p.text.endswith("gadgets.")
    assert passages[0].start_line == 10 and passages[1].start_line == passages[0].end_line + 1
    assert passages[-1].end_line == 70


def test_one_overlong_sentence_is_cut_at_words():
    entry = make_entry(" ".join(["word"] * 500))
    passages = chunk_entry(entry, 64)
    assert len(passages) > 1
    assert "".join(entry.answer[p.start:p.end] for p in passages) == entry.answer
