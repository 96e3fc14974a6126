"""Split answers into sentences and into passages that fit the embedding model.

Spans are character offsets into an entry's answer. Sentence spans and passage spans each partition
the answer: every character belongs to exactly one of them, so nothing is lost or shown twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..ingest.entry import Entry

Span = tuple[int, int]
TokenCounter = Callable[[str], int]

# A sentence ends at . ! ? (and closing quotes/brackets) followed by space and an upper-case letter,
# digit or opening quote; common abbreviations do not end sentences. A line break always does.
_ABBREVIATIONS = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bNo)"
_BOUNDARY = re.compile(_ABBREVIATIONS + r"""[.!?]["')\]]*\s+(?=["'(\[]?[A-Z0-9])|\n\s*""")


def sentence_spans(text: str) -> list[Span]:
    """Partition `text` into sentence spans; each span keeps the whitespace that follows it."""
    starts = sorted({0} | {m.end() for m in _BOUNDARY.finditer(text) if m.end() < len(text)})
    return list(zip(starts, starts[1:] + [len(text)])) if text else []


def approximate_tokens(text: str) -> int:
    """A model-free token estimate (word pieces run about 1.3 per word); used when no tokenizer is given."""
    return int(len(re.findall(r"\w+|[^\w\s]", text)) * 1.3) + 1


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


def _split_long(text: str, span: Span, budget: int, count: TokenCounter) -> list[Span]:
    """Split one over-long sentence at word boundaries into spans of at most `budget` tokens."""
    start, end = span
    pieces, piece_start = [], start
    for m in re.finditer(r"\S+\s*", text[start:end]):
        word_end = start + m.end()
        if piece_start < start + m.start() and count(text[piece_start:word_end]) > budget:
            pieces.append((piece_start, start + m.start()))
            piece_start = start + m.start()
    pieces.append((piece_start, end))
    return pieces


def chunk_entry(entry: Entry, max_tokens: int, count: TokenCounter = approximate_tokens) -> list[Passage]:
    """Pack the answer's sentences into passages of at most `max_tokens` (question included).

    Args:
        entry: the entry to split.
        max_tokens: the model's sequence length (special tokens included).
        count: counts tokens in a string, without special tokens.
    """
    text = entry.answer
    budget = max(16, max_tokens - 2 - count(entry.question))
    units: list[Span] = []
    for span in sentence_spans(text):
        if count(text[span[0] : span[1]]) > budget:
            units.extend(_split_long(text, span, budget, count))
        else:
            units.append(span)

    spans: list[Span] = []
    for unit in units:
        if spans and count(text[spans[-1][0] : unit[1]]) <= budget:
            spans[-1] = (spans[-1][0], unit[1])
        else:
            spans.append(unit)

    passages = []
    for n, (start, end) in enumerate(spans):
        body = text[start:end]
        lead = len(body) - len(body.lstrip())
        last = start + len(body.rstrip()) - 1
        passages.append(Passage(
            id=f"{entry.id}#{n}", entry_id=entry.id, start=start, end=end, text=body.strip(),
            start_line=entry.start_line if n == 0 else entry.line_of(start + lead),
            end_line=entry.line_of(max(last, start)),
        ))
    return passages
