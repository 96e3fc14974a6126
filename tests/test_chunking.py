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
    passages = chunk_entry(entry, embedder.max_tokens, embedder.token_spans)
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


# --- linear in the answer's length -----------------------------------------------------------------


class CountingTokenizer:
    """The real tokenizer, counting the characters it is given."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.characters = 0

    def __call__(self, text: str):
        self.characters += len(text)
        return self.embedder.token_spans(text)


def test_a_long_answer_on_one_line_is_tokenized_once(embedder):
    # 250 KB on one line, no sentence boundary: the chunker used to re-tokenize a growing piece per word
    # (48 s a megabyte, quadratic); now every character is tokenized once.
    words = ["confidential", "VMs", "encrypt", "memory", "with", "keys", "pagefile.sys", "x86_64", "état"]
    answer = " ".join(words[i % len(words)] for i in range(30_000))
    entry = make_entry(answer)
    tokenizer = CountingTokenizer(embedder)
    passages = chunk_entry(entry, embedder.max_tokens, tokenizer)
    assert tokenizer.characters == len(answer) + len(entry.question)
    assert "".join(answer[p.start:p.end] for p in passages) == answer
    budget = embedder.max_tokens - 2 - embedder.count_tokens(entry.question)
    assert all(embedder.count_tokens(p.text) <= budget for p in passages)
    longest_word = max(embedder.count_tokens(w) for w in words)
    assert len(passages) <= -(-len(embedder.token_spans(answer)) // (budget - longest_word))  # full passages


def test_a_word_longer_than_the_budget_stays_whole(embedder):
    blob = "ab12-" * 2000  # one word to the splitter, 4,000 tokens: a URL, an encoded blob
    answer = "Its key is " + blob + " and that is all."
    passages = chunk_entry(make_entry(answer), embedder.max_tokens, embedder.token_spans)
    assert "".join(answer[p.start:p.end] for p in passages) == answer
    assert [p.text for p in passages] == ["Its key is", blob, "and that is all."]


# --- no small remainder ------------------------------------------------------------------------------


def test_a_small_last_passage_is_rebalanced_into_even_passages(embedder):
    # Packed greedily, these sentences fill one passage and leave the last sentence alone in a
    # second: embedded with the question, that fragment would stand for the entry on its own.
    sentence = "The service encrypts every disk with a key that the platform manages for you. "
    tail = "For more information about disks and their keys, please visit the website of the service."
    budget = embedder.max_tokens - 2 - embedder.count_tokens("What is it?")
    answer = sentence * (budget // embedder.count_tokens(sentence)) + tail
    entry = make_entry(answer)
    assert embedder.count_tokens(answer) > budget and embedder.count_tokens(tail) < budget / 4  # greedy: tiny last

    passages = chunk_entry(entry, embedder.max_tokens, embedder.token_spans)
    sizes = [embedder.count_tokens(p.text) for p in passages]
    assert len(passages) == 2 and "".join(answer[p.start:p.end] for p in passages) == answer
    assert min(sizes) >= budget / 4 and max(sizes) <= budget
    assert abs(sizes[0] - sizes[1]) <= embedder.count_tokens(sentence)  # even, to a sentence


def test_an_answer_that_fits_is_one_passage_whatever_its_sentences(embedder):
    answer = "First sentence. Second one!\nA third line? " * 5
    (passage,) = chunk_entry(make_entry(answer), embedder.max_tokens, embedder.token_spans)
    assert (passage.start, passage.end, passage.text) == (0, len(answer), answer.strip())
