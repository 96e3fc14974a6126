"""Split answers into sentences and into passages that fit the embedding model.

Spans are character offsets into an entry's answer. Sentence spans and passage spans each partition
the answer: every character belongs to exactly one of them, so nothing is lost or shown twice.

The answer is tokenized once, with the character span of every token; from then on the tokens of any
piece are counted by bisecting those offsets. Re-tokenizing a growing piece instead costs time in the
square of the answer's length (a 5 MB answer on one line did not finish in 10 minutes).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..ingest.entry import Entry

Span = tuple[int, int]
# Text -> the (start, end) character span of each of its tokens, special tokens left out.
Tokenizer = Callable[[str], Sequence[Span]]

# Chunking rules, stamped in the manifest: an index chunked by other rules is rebuilt (incrementally).
CHUNKING_VERSION = 2  # 2: tokenized once per answer; a small last passage is rebalanced

# A sentence ends at . ! ? (and closing quotes/brackets) followed by space and an upper-case letter,
# digit or opening quote; common abbreviations do not end sentences. A line break always does.
_ABBREVIATIONS = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bNo)"
_BOUNDARY = re.compile(_ABBREVIATIONS + r"""[.!?]["')\]]*\s+(?=["'(\[]?[A-Z0-9])|\n\s*""")
_WORD = re.compile(r"\S+\s*")
_APPROXIMATE_TOKEN = re.compile(r"\w+|[^\w\s]")
# When the last passage is smaller than this share of the budget, the answer is split into evenly sized
# passages instead: a small remainder ("For more information see the website.") embedded with the
# question would otherwise stand for the entry on its own and win short, vague queries.
SMALL_REMAINDER = 0.25


def sentence_spans(text: str) -> list[Span]:
    """Partition `text` into sentence spans; each span keeps the whitespace that follows it."""
    starts = sorted({0} | {m.end() for m in _BOUNDARY.finditer(text) if m.end() < len(text)})
    return list(zip(starts, starts[1:] + [len(text)])) if text else []


def approximate_token_spans(text: str) -> list[Span]:
    """A model-free tokenizer: each word and each punctuation mark is a token (word pieces run a little
    more, about 1.3 per word); used when no model tokenizer is given."""
    return [m.span() for m in _APPROXIMATE_TOKEN.finditer(text)]


@dataclass(frozen=True)
class Passage:
    """A contiguous piece of one entry's answer, small enough to embed whole.

    Attributes:
        id: `<entry id>#<n>`, n counting from 0 within the entry.
        entry_id: the entry it belongs to.
        start, end: character offsets in the entry's answer.
        text: the passage's text (the answer's own words, outer whitespace trimmed).
        start_line, end_line: 1-based lines in the source file; the first passage starts at the question.
    """

    id: str
    entry_id: str
    start: int
    end: int
    text: str
    start_line: int
    end_line: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class _TokenCount:
    """Counts the tokens of any span of one text from a single tokenization: a token belongs to the
    span its first character is in, so the counts of adjacent spans add up exactly."""

    def __init__(self, text: str, tokenize: Tokenizer) -> None:
        starts = [start for start, _ in tokenize(text)]
        if any(a > b for a, b in zip(starts, starts[1:])):
            starts.sort()
        self.starts = starts

    def __call__(self, start: int, end: int) -> int:
        return bisect_left(self.starts, end) - bisect_left(self.starts, start)


def _split_long(text: str, span: Span, budget: int, tokens: _TokenCount) -> list[Span]:
    """Split one over-long sentence at word boundaries into spans of at most `budget` tokens. A word
    longer than the budget by itself (a URL, an encoded blob) stays whole: the model reads its start,
    and cutting it would add passages of fragments to the entry."""
    start, end = span
    pieces: list[Span] = []
    piece_start = start
    for m in _WORD.finditer(text, start, end):
        if piece_start < m.start() and tokens(piece_start, m.end()) > budget:
            pieces.append((piece_start, m.start()))
            piece_start = m.start()
    pieces.append((piece_start, end))
    return pieces


def _pack(units: list[Span], sizes: list[int], budget: int) -> list[tuple[Span, int]]:
    """Greedily join consecutive units into passages of at most `budget` tokens."""
    packed: list[tuple[Span, int]] = []
    for unit, size in zip(units, sizes):
        if packed and packed[-1][1] + size <= budget:
            (start, _), joined = packed[-1]
            packed[-1] = ((start, unit[1]), joined + size)
        else:
            packed.append((unit, size))
    return packed


def _pack_evenly(units: list[Span], sizes: list[int], budget: int, count: int) -> list[tuple[Span, int]] | None:
    """Join consecutive units into `count` passages of about equal size (a passage ends before the
    unit whose middle passes its share of the total), each within `budget`; None when that fails."""
    total = sum(sizes)
    packed: list[tuple[Span, int]] = []
    closed = 0  # tokens in the passages already closed
    for unit, size in zip(units, sizes):
        if packed:
            (start, _), current = packed[-1]
            boundary = total * len(packed) / count
            if current + size > budget or (len(packed) < count and closed + current + size / 2 > boundary):
                closed += current
                packed.append((unit, size))
            else:
                packed[-1] = ((start, unit[1]), current + size)
        else:
            packed.append((unit, size))
    ok = len(packed) == count and all(size <= budget for _, size in packed)
    return packed if ok else None


def chunk_entry(entry: Entry, max_tokens: int, tokenize: Tokenizer = approximate_token_spans) -> list[Passage]:
    """Pack the answer's sentences into passages of at most `max_tokens` (question included).

    An answer that fits is one passage. A longer one is packed greedily; when that leaves a last
    passage smaller than a quarter of the budget, the answer is split into as many passages of about
    equal size instead.

    Args:
        entry: the entry to split.
        max_tokens: the model's sequence length (special tokens included).
        tokenize: gives the character span of each token of a text, without special tokens.
    """
    text = entry.answer
    budget = max(16, max_tokens - 2 - len(tokenize(entry.question)))
    tokens = _TokenCount(text, tokenize)
    units: list[Span] = []
    for span in sentence_spans(text):
        if tokens(*span) > budget:
            units.extend(_split_long(text, span, budget, tokens))
        else:
            units.append(span)
    sizes = [tokens(*unit) for unit in units]

    packed = _pack(units, sizes, budget)
    if len(packed) > 1 and packed[-1][1] < SMALL_REMAINDER * budget:
        packed = _pack_evenly(units, sizes, budget, len(packed)) or packed

    line_of = _line_finder(entry)
    passages = []
    for n, ((start, end), _) in enumerate(packed):
        body = text[start:end]
        lead = len(body) - len(body.lstrip())
        last = start + len(body.rstrip()) - 1
        passages.append(Passage(
            id=f"{entry.id}#{n}", entry_id=entry.id, start=start, end=end, text=body.strip(),
            start_line=entry.start_line if n == 0 else line_of(start + lead),
            end_line=line_of(max(last, start)),
        ))
    return passages


def _line_finder(entry: Entry) -> Callable[[int], int]:
    """`entry.line_of` by bisection: the file line holding a character offset of the answer."""
    offsets = entry.line_offsets
    if not offsets:
        return lambda offset: entry.start_line
    starts = [start for start, _ in offsets]

    def line_of(offset: int) -> int:
        return offsets[max(0, bisect_right(starts, offset) - 1)][1]

    return line_of
