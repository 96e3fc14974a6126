"""Hit: one FAQ entry found for a question, with its passage, score and citation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Hit:
    """One FAQ entry that answers (or may answer) a question.

    Attributes:
        entry_id: the entry's stable id.
        question: the FAQ's question.
        text: the best-matching passage of the FAQ's answer, verbatim (the whole answer unless the
            answer was too long to embed in one piece).
        score: the fused score, about 0 (unrelated) to 1 (same words); comparable across questions.
        source: the FAQ file, relative to the corpus folder.
        start_line, end_line: the 1-based lines of `text` in `source` (from the question line).
        url: the source page, when known.
        title: the source's title.
        rank: 1 for the best hit.
        signals: the score of each signal that was fused (cosines, and BM25 squashed to [0, 1)).
        highlights: (start, end) character spans in `text` of the sentences that best match.
    """

    entry_id: str
    question: str
    text: str
    score: float
    source: str
    start_line: int
    end_line: int
    url: str | None = None
    title: str | None = None
    rank: int = 1
    signals: dict[str, float] = field(default_factory=dict)
    highlights: tuple[tuple[int, int], ...] = ()

    @property
    def citation(self) -> str:
        """`file:start-end`, the place in the FAQ source that `text` comes from."""
        lines = f"{self.start_line}" if self.start_line == self.end_line else f"{self.start_line}-{self.end_line}"
        return f"{self.source}:{lines}"

    def to_dict(self) -> dict:
        row = asdict(self)
        row["highlights"] = [list(span) for span in self.highlights]
        row["citation"] = self.citation
        return row
