"""Blocks to an answer's plain text: markup gone, meaning kept.

Paragraphs are separated by a blank line and their hard-wrapped lines joined with spaces; list items
stand one a line with their marker; code blocks are kept line by line. Links and inline code become
`Mark`s over the text, and every source line that starts inside the text gets a line offset, so a
citation of any span names the lines an editor shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from .cleaning import fix_mojibake
from .document import CODE, LINE, Block, Break, Close, Inline, Open, Text
from .entry import CODEBLOCK, LINK, Mark

_PIECES = re.compile(r"\s+|\S+")


def resolve_link(target: str | None, page_url: str | None) -> str | None:
    """A link target resolved against the page URL when it is relative and the page is known; as
    written otherwise (so a link that cannot be resolved still says where it pointed)."""
    if not target:
        return target
    target = target.strip()
    if not page_url or urlsplit(target).scheme:
        return target
    if not urlsplit(page_url).scheme:
        return target
    return urljoin(page_url, target)


@dataclass
class RenderedAnswer:
    """An answer's text with its line offsets and marks."""

    text: str = ""
    line_offsets: list[tuple[int, int]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)


class _Writer:
    """Appends text, recording line offsets where a source line's first character lands."""

    def __init__(self, page_url: str | None) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.offsets: list[tuple[int, int]] = []
        self.marks: list[Mark] = []
        self.page_url = page_url
        self.pending_line: int | None = None  # a source line whose first character is next

    def write(self, text: str) -> None:
        if not text:
            return
        if self.pending_line is not None:
            if not self.offsets or self.offsets[-1][1] != self.pending_line:
                if self.offsets and self.offsets[-1][0] == self.pos:
                    self.offsets[-1] = (self.pos, self.pending_line)
                else:
                    self.offsets.append((self.pos, self.pending_line))
            self.pending_line = None
        self.parts.append(text)
        self.pos += len(text)

    def at_line(self, line: int | None) -> None:
        if line is not None:
            self.pending_line = line

    def result(self) -> RenderedAnswer:
        return RenderedAnswer("".join(self.parts), self.offsets, sorted(self.marks, key=lambda m: (m.start, m.end)))


def _inline(writer: _Writer, inlines: list[Inline], line: int, fix_text) -> None:
    """Write inline pieces with whitespace collapsed; source line breaks become spaces."""
    current = line
    writer.at_line(current)
    space = False  # a space is owed before the next visible character
    started = False
    open_marks: list[tuple[str, str | None, int | None]] = []
    last_visible = writer.pos
    for piece in inlines:
        if isinstance(piece, Text):
            if piece.line is not None and piece.line != current:
                current = piece.line
                writer.at_line(current)
            for m in _PIECES.finditer(piece.text):
                chunk = m.group(0)
                if chunk[0].isspace():
                    breaks = chunk.count("\n")
                    if breaks:
                        current += breaks
                        writer.at_line(current)
                    space = started
                    continue
                if space:
                    pending = writer.pending_line
                    writer.pending_line = None
                    writer.write(" ")
                    writer.pending_line = pending
                    space = False
                open_marks = [(k, t, writer.pos if s is None else s) for k, t, s in open_marks]
                writer.write(fix_text(chunk))
                last_visible = writer.pos
                started = True
        elif isinstance(piece, Break):
            if started:
                writer.write("\n")
                space = False
            if piece.line is not None:
                current = piece.line
                writer.at_line(current)
        elif isinstance(piece, Open):
            open_marks.append((piece.kind, piece.target, None))
        elif isinstance(piece, Close) and open_marks:
            kind, target, start = open_marks.pop()
            if start is not None and last_visible > start:
                if kind == LINK:
                    target = resolve_link(target, writer.page_url)
                writer.marks.append(Mark(start, last_visible, kind, target if kind == LINK else None))
    writer.pending_line = None


def render_blocks(blocks: list[Block], page_url: str | None = None, repair: bool = True) -> RenderedAnswer:
    """Render blocks as answer text.

    Args:
        blocks: the body, in order.
        page_url: the page's URL, to resolve relative links against.
        repair: repair mojibake in text (never in code).
    """
    writer = _Writer(page_url)
    fix_text = fix_mojibake if repair else (lambda s: s)
    for block in blocks:
        if block.is_empty():
            continue
        if writer.pos:
            writer.write("\n" if block.tight else "\n\n")
        writer.at_line(block.line)
        writer.write(block.prefix)
        if block.kind == LINE:
            writer.write("".join(p.text for p in block.inlines if isinstance(p, Text)))
            writer.pending_line = None
        elif block.kind == CODE:
            start = writer.pos
            for i, (number, text) in enumerate(_trim_code(block.lines)):
                if i:
                    writer.write("\n" + " " * len(block.prefix))
                writer.at_line(number)
                writer.write(text)
                writer.pending_line = None
            if writer.pos > start:
                writer.marks.append(Mark(start, writer.pos, CODEBLOCK))
        else:
            _inline(writer, block.inlines, block.line, fix_text)
    return writer.result()


def _trim_code(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Code lines without leading and trailing blank lines, trailing spaces and common indentation."""
    lines = [(n, t.rstrip()) for n, t in lines]
    while lines and not lines[0][1]:
        lines.pop(0)
    while lines and not lines[-1][1]:
        lines.pop()
    indents = [len(t) - len(t.lstrip()) for _, t in lines if t]
    cut = min(indents, default=0)
    return [(n, t[cut:]) for n, t in lines]


def inline_text(inlines: list[Inline]) -> str:
    """A title's text: one line, marks dropped, whitespace collapsed, mojibake repaired."""
    writer = _Writer(None)
    _inline(writer, inlines, 1, fix_mojibake)
    return " ".join(writer.result().text.split())


__all__ = ["RenderedAnswer", "inline_text", "render_blocks", "resolve_link"]
