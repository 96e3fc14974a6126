"""Entry: one FAQ question and its answer, as it stands in its source file; Mark: a link or code span
of the answer."""

from __future__ import annotations

from dataclasses import dataclass

LINK, CODE, CODEBLOCK = "link", "code", "codeblock"


@dataclass(frozen=True)
class Mark:
    """A span of an answer that was marked up in the source.

    Attributes:
        start, end: character offsets in the answer (end exclusive).
        kind: "link", "code" (inline code) or "codeblock".
        target: a link's URL (resolved against the page URL when that is known and the link is
            relative; otherwise as written); None for code.
    """

    start: int
    end: int
    kind: str
    target: str | None = None

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "kind": self.kind, "target": self.target}

    @classmethod
    def from_dict(cls, row: dict) -> Mark:
        return cls(int(row["start"]), int(row["end"]), str(row["kind"]), row.get("target"))


@dataclass(frozen=True)
class Entry:
    """One FAQ question and its answer, as it stands in its source file.

    Attributes:
        id: stable id: an explicit id from a table file, else `<file stem>/<question slug>`.
        question: the question text.
        answer: the answer as plain text: markup removed, paragraphs separated by a blank line,
            list items one a line with their marker, code blocks verbatim.
        source: the file, relative to the corpus root (POSIX separators).
        start_line: 1-based line of the question in the original file.
        end_line: 1-based last line of the answer (inclusive).
        url: the canonical page of the source, when known.
        title: the source's title.
        line_offsets: (character offset in `answer`, line number) for each file line that starts
            inside the answer, in order, so that any span of the answer maps back to file lines.
        marks: links and code in the answer, by character offsets.
        anchor: where the entry stands on its page (an HTML id, a heading slug...), when known.
        alternates: other phrasings of the question, when the source lists them.
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
    marks: tuple[Mark, ...] = ()
    anchor: str | None = None
    alternates: tuple[str, ...] = ()

    def line_of(self, offset: int) -> int:
        """The file line holding character `offset` of the answer."""
        line = self.line_offsets[0][1] if self.line_offsets else self.start_line
        for start, number in self.line_offsets:
            if start > offset:
                break
            line = number
        return line

    @property
    def link(self) -> str | None:
        """The page URL with the entry's anchor (`url#anchor`) when both are known, else the URL."""
        if self.url and self.anchor:
            return f"{self.url.split('#', 1)[0]}#{self.anchor}"
        return self.url

    def to_dict(self) -> dict:
        return {
            "id": self.id, "question": self.question, "answer": self.answer, "source": self.source,
            "start_line": self.start_line, "end_line": self.end_line, "url": self.url,
            "title": self.title, "line_offsets": [list(p) for p in self.line_offsets],
            "marks": [m.to_dict() for m in self.marks], "anchor": self.anchor,
            "alternates": list(self.alternates),
        }

    @classmethod
    def from_dict(cls, row: dict) -> Entry:
        """An entry from `to_dict` output; rows written before marks, anchor and alternates existed
        load with those empty."""
        row = dict(row)
        row["line_offsets"] = tuple(tuple(p) for p in row.get("line_offsets", ()))
        row["marks"] = tuple(Mark.from_dict(m) for m in row.get("marks", ()))
        row["alternates"] = tuple(row.get("alternates", ()))
        return cls(**row)
