"""Entry: one FAQ question and its answer, as it stands in its source file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One FAQ question and its answer, as it stands in its source file.

    Attributes:
        id: stable id: an explicit id from a table file, else `<file stem>/<question slug>`.
        question: the question text.
        answer: the answer, cleaned of scraping damage; lines joined with newlines.
        source: the file, relative to the corpus root (POSIX separators).
        start_line: 1-based line of the question in the original file.
        end_line: 1-based last line of the answer (inclusive).
        url: the canonical page of the source, when known.
        title: the source's title.
        line_offsets: (character offset in `answer`, line number) for each answer line, so that any
            span of the answer maps back to file lines.
    """

    id: str
    question: str
    answer: str
    source: str
    start_line: int
    end_line: int
    url: str | None = None
    title: str | None = None
    line_offsets: tuple[tuple[int, int], ...] = ()

    def line_of(self, offset: int) -> int:
        """The file line holding character `offset` of the answer."""
        line = self.line_offsets[0][1] if self.line_offsets else self.start_line
        for start, number in self.line_offsets:
            if start > offset:
                break
            line = number
        return line

    def to_dict(self) -> dict:
        return {
            "id": self.id, "question": self.question, "answer": self.answer, "source": self.source,
            "start_line": self.start_line, "end_line": self.end_line, "url": self.url,
            "title": self.title, "line_offsets": [list(p) for p in self.line_offsets],
        }

    @classmethod
    def from_dict(cls, row: dict) -> Entry:
        row = dict(row)
        row["line_offsets"] = tuple(tuple(p) for p in row.get("line_offsets", ()))
        return cls(**row)
