"""What every document reader yields: a tree of titled sections with their source lines, each with a
body of blocks of inline text. The structure step (`structure.py`) decides which sections are FAQ
entries; `answer_text.py` turns blocks into an answer's plain text, line offsets and marks.

Inline text is a list of pieces: `Text` (a "\\n" inside it is a source line break, shown as a space),
`Break` (a hard line break, kept), and `Open`/`Close` around a link or inline code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tables.py imports this module
    from .readers.tables import RowFields

# --- inline text ----------------------------------------------------------------------------------


# Slots: a large file holds millions of these.


@dataclass(slots=True)
class Text:
    """Text as written; `line` (when known) is the source line of its first character."""

    text: str
    line: int | None = None


@dataclass(slots=True)
class Break:
    """A hard line break; `line` is the source line of the text that follows, when known."""

    line: int | None = None


@dataclass(slots=True)
class Open:
    """Starts a marked span: kind "link" (with its target as written) or "code"."""

    kind: str
    target: str | None = None


@dataclass(slots=True)
class Close:
    """Ends the innermost marked span."""


Inline = Text | Break | Open | Close


def plain(inlines: list[Inline]) -> str:
    """The inline text as one line: marks dropped, whitespace collapsed."""
    return " ".join("".join(p.text if isinstance(p, Text) else " " if isinstance(p, Break) else ""
                            for p in inlines).split())


def split_inline_lines(inlines: list[Inline]) -> list[list[Inline]]:
    """Inline pieces, one list per source line (soft breaks are "\\n" pieces, hard ones `Break`)."""
    lines: list[list[Inline]] = [[]]
    for piece in inlines:
        if isinstance(piece, Break):
            lines.append([])
        elif isinstance(piece, Text) and "\n" in piece.text:
            for n, part in enumerate(piece.text.split("\n")):
                if n:
                    lines.append([])
                if part:
                    lines[-1].append(Text(part, None if piece.line is None else piece.line + n))
        else:
            lines[-1].append(piece)
    return lines


def strip_inline_prefix(inlines: list[Inline], prefix: re.Pattern) -> None:
    """Drop a prefix ("Q:", "A:") from the start of the inline text, even when markup splits it
    ("**Q:** How ...")."""
    texts = [p for p in inlines if isinstance(p, Text)]
    m = prefix.match("".join(p.text for p in texts))
    left = m.end() if m else 0
    for piece in texts:
        if left <= 0:
            break
        cut = min(left, len(piece.text))
        if piece.line is not None:  # the text now starts on the line after the cut line breaks
            piece.line += piece.text[:cut].count("\n")
        piece.text, left = piece.text[cut:], left - cut


# --- blocks ---------------------------------------------------------------------------------------

TEXT, CODE, LINE = "text", "code", "line"


@dataclass(slots=True)
class Block:
    """A paragraph, a list item or a code block.

    Attributes:
        kind: TEXT (inline pieces, whitespace collapsed), CODE (`lines` kept verbatim) or LINE (one
            line of text kept exactly as written: table cells, lines of a scraped page).
        line: the source line where it starts.
        inlines: the text of a TEXT block.
        lines: (source line, text) of a CODE block.
        prefix: text shown before it, e.g. a list marker with its indentation ("- ", "  1. ").
        tight: follows the block before on the next line (list items, lines of a scraped page)
            rather than after a blank line.
        title_lines: how many of its first source lines the markup sets apart as one bold or
            italic span, or as a title (a reST rubric, an AsciiDoc block title); 0: none. Such lines
            can title a question written as a paragraph (`paragraph_questions.py`).
    """

    kind: str
    line: int
    inlines: list[Inline] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)
    prefix: str = ""
    tight: bool = False
    title_lines: int = 0

    def is_empty(self) -> bool:
        if self.kind == CODE:
            return not any(text.strip() for _, text in self.lines)
        return not any(isinstance(p, Text) and p.text.strip() for p in self.inlines)


def text_block(line: int, inlines: list[Inline], prefix: str = "", tight: bool = False) -> Block:
    return Block(TEXT, line, inlines=inlines, prefix=prefix, tight=tight)


def line_block(line: int, text: str, tight: bool = True) -> Block:
    return Block(LINE, line, inlines=[Text(text, line)], tight=tight)


def code_block(lines: list[tuple[int, str]], prefix: str = "", tight: bool = False) -> Block:
    return Block(CODE, lines[0][0] if lines else 1, lines=lines, prefix=prefix, tight=tight)


# --- sections -------------------------------------------------------------------------------------


@dataclass
class Section:
    """A titled part of a document (the root has no title) with its body and sub-sections.

    Attributes:
        title: the title's inline text.
        level: its rank: 1 for the top headings; a question written as a list term or a
            <details> summary sits one below the section that holds it.
        line, title_end: the source lines of the title.
        blocks: the body before the first sub-section.
        children: the sub-sections, in order.
        anchor: its id on the page, when known.
        explicit: the source marks it as a question and its answer (a "Q:" line, a schema.org
            Question, an AsciiDoc [qanda] list), whatever its wording.
        lead_line: the first line of targets or anchors written above the title, which belong to it.
        row: for a table row, its id, URL and alternate questions.
        hidden: the source keeps it from readers (an Org COMMENT or :noexport: subtree): never an
            entry nor part of one; it only ends the section before it.
        end_line: the last non-blank line of the section, sub-sections included; filled in by
            `finish_outline` unless the reader knows it.
    """

    title: list[Inline]
    level: int
    line: int
    title_end: int = 0
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    anchor: str | None = None
    explicit: bool = False
    lead_line: int | None = None
    end_line: int | None = None
    row: RowFields | None = None  # a table row's id, URL and alternate questions
    hidden: bool = False

    def __post_init__(self) -> None:
        self.title_end = max(self.title_end, self.line)

    @property
    def title_text(self) -> str:
        return plain(self.title)

    @property
    def start(self) -> int:
        """Where the section begins, its anchors above the title included."""
        return min(self.lead_line or self.line, self.line)

    def walk(self):
        """This section and every section below it, in document order."""
        stack = [self]
        while stack:
            section = stack.pop()
            yield section
            stack.extend(reversed(section.children))


@dataclass
class Document:
    """One parsed file: its title and URL when the file states them, and its sections under a root
    section whose blocks are the text before the first title. `repaired`: the reader already
    repaired its text (scraped pages), so it is not repaired again. `notes`: what the reader wants
    the user to know about the file (it fell back to plain text, say)."""

    root: Section
    lines: list[str]
    title: str | None = None
    url: str | None = None
    repaired: bool = False
    notes: list[str] = field(default_factory=list)


# Sections nest at most this deep: deeper headings or containers (a file nested a thousand deep)
# stay at this depth, so no later step recurses without bound.
MAX_DEPTH = 32


def _blank(line: str) -> bool:
    return not line.strip()


class Outline:
    """Builds the section tree from a reader's stream of headings and blocks.

    Headings close every open section of the same or a deeper level; containers (`open`/`close`)
    hold exactly what is read between the two calls.
    """

    def __init__(self) -> None:
        self.root = Section(title=[], level=0, line=1)
        self._stack: list[Section] = [self.root]
        self._containers: list[int | None] = []  # stack depths of open containers (None: too deep)

    @property
    def current(self) -> Section:
        return self._stack[-1]

    def heading(self, section: Section) -> None:
        """A heading: closes open sections of its level or deeper (never past an open container)."""
        section.level = min(section.level, MAX_DEPTH)
        floor = self._floor()
        while len(self._stack) - 1 > floor and self._stack[-1].level >= section.level:
            self._stack.pop()
        if len(self._stack) > MAX_DEPTH:  # too deep: a sibling of the deepest section instead
            self._stack.pop()
        self.current.children.append(section)
        self._stack.append(section)

    def _floor(self) -> int:
        return next((d for d in reversed(self._containers) if d is not None), 0)

    def open(self, section: Section) -> None:
        """A container: a section that ends where the reader says (`close`), not at a heading."""
        if len(self._stack) > MAX_DEPTH:  # too deep: its content joins the section it is in
            self._containers.append(None)
            return
        section.level = self.current.level + 1
        self.current.children.append(section)
        self._stack.append(section)
        self._containers.append(len(self._stack) - 1)

    def close(self, end_line: int | None = None) -> None:
        """Ends the innermost open container, at `end_line` when given."""
        if not self._containers:
            return
        depth = self._containers.pop()
        if depth is None:
            return
        container = self._stack[depth]
        if end_line is not None:
            container.end_line = end_line
        del self._stack[depth:]

    def leave(self, section: Section) -> None:
        """Ends `section` (and what is open inside it) when it is still open, short of a container."""
        floor = self._floor()
        for depth in range(len(self._stack) - 1, floor, -1):
            if self._stack[depth] is section:
                del self._stack[depth:]
                return

    def block(self, block: Block) -> None:
        if not block.is_empty():
            self.current.blocks.append(block)

    def finish(self, lines: list[str], title: str | None = None, url: str | None = None,
               blank: Callable[[str], bool] = _blank) -> Document:
        """The Document; sections end at their last line that is not `blank`."""
        while self._containers:
            self.close()
        finish_outline(self.root, lines, blank)
        return Document(root=self.root, lines=lines, title=title, url=url)


def last_text_line(lines: list[str], first: int, last: int, blank: Callable[[str], bool] = _blank) -> int:
    """The last non-blank line in first..last (1-based), or `first` when all are blank."""
    while last > first and blank(lines[last - 1]):
        last -= 1
    return max(first, last)


def finish_outline(root: Section, lines: list[str], blank: Callable[[str], bool] = _blank) -> None:
    """Fill in each section's `end_line`: the last non-blank line before the next section that is not
    inside it (and not past its parent's end), unless a reader already set it."""
    order = list(root.walk())
    position = {id(s): i for i, s in enumerate(order)}
    root.end_line = root.end_line or len(lines) or 1

    def after_subtree(section: Section) -> int:
        while section.children:
            section = section.children[-1]
        return position[id(section)] + 1

    pending = [(root, root.end_line)]
    while pending:
        section, limit = pending.pop()
        if section is not root and section.end_line is None:
            after = after_subtree(section)
            end = order[after].start - 1 if after < len(order) else len(lines)
            section.end_line = last_text_line(lines, section.title_end, min(end, limit), blank)
        elif section is not root:  # set by the reader: kept within its parent, and off blank lines
            section.end_line = last_text_line(lines, section.title_end,
                                               min(section.end_line, max(limit, section.title_end)), blank)
        pending.extend((child, section.end_line or limit) for child in section.children)
