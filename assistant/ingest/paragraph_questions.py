"""Questions written as paragraphs, in every format: a section's body may hold its FAQ entries as
paragraphs rather than headings, each question followed by its answer:

- a question set apart by the markup (`Block.title_lines`): in bold or italic on its own line(s)
  ("**How do I ...?**", "*How do I ...?*"), a reST rubric, an AsciiDoc block title;
- a "Q:" (or "Question:", "Q1.") paragraph, its answer after "A:" in it or in the paragraph after;
- a list item whose first paragraph asks a question and whose later paragraphs answer it;
- a numbered title set apart so ("**3. It crashes when a third joins**") that follows numbered ones
  that asked: numbered titles make one outline, statements among questions included.

This step turns such a body into one section per question, the way a person reads it. It runs after
the readers, so every format gets the same rules; a reader only marks what its markup sets apart.
It leaves alone a section that asks a question itself (its paragraphs are its answer), questions with
no answer under them (a list of questions is a table of contents), and a body with a single
emphasised or listed question (one bold question in an answer is emphasis, not an FAQ).
"""

from __future__ import annotations

from dataclasses import dataclass

from .document import (
    TEXT,
    Block,
    Break,
    Document,
    Inline,
    Section,
    Text,
    last_text_line,
    plain,
    split_inline_lines,
    strip_inline_prefix,
    text_block,
)
from .structure import ANSWER_PREFIX, NUMBERED_TITLE, QUESTION_PREFIX, asks, is_question_title


@dataclass
class _Question:
    """A block that opens with a question: its title, the answer text in the same block, if any."""

    index: int
    title: list[Inline]
    title_end: int
    rest: list[Inline]
    explicit: bool
    standalone: bool  # a "Q:" paragraph or a title block on its own: one such in a body is enough
    asks: bool = True  # its wording asks (explicit ones need not)
    numbered: bool = False  # a title on its own that opens with a number ("3. ...")


def _joined(lines: list[list[Inline]]) -> list[Inline]:
    return [piece for n, line in enumerate(lines) for piece in ((Text("\n"),) if n else ()) + tuple(line)]


def _question(index: int, block: Block, blocks: list[Block]) -> _Question | None:
    """The question a block opens with, if it opens with one (see the module docstring)."""
    if block.kind != TEXT:
        return None
    lines = split_inline_lines(block.inlines)
    if QUESTION_PREFIX.match(plain(lines[0])):
        head = next((n for n, line in enumerate(lines) if n and ANSWER_PREFIX.match(plain(line))), len(lines))
        title = [piece for line in lines[:head] for piece in (*line, Text(" "))]
        strip_inline_prefix(title, QUESTION_PREFIX)
        return _Question(index, title, block.line + head - 1, _joined(lines[head:]), explicit=True, standalone=True)
    if block.title_lines:
        head = min(block.title_lines, len(lines))
    elif block.prefix.strip() and len(lines) == 1 and index + 1 < len(blocks) and _continues(block, blocks[index + 1]):
        head = 1  # a list item's first paragraph, answered by the item's later paragraphs
    else:
        return None
    title = [piece for line in lines[:head] for piece in (*line, Text(" "))]
    standalone = bool(block.title_lines) and head == len(lines)
    asks = is_question_title(plain(title))
    numbered = standalone and bool(NUMBERED_TITLE.match(plain(title)))
    if not asks and not numbered:
        return None
    return _Question(index, title, block.line + head - 1, _joined(lines[head:]), explicit=False,
                     standalone=standalone, asks=asks, numbered=numbered)


def _numbered_runs(found: list[_Question]) -> list[_Question]:
    """Numbered titles make one outline: a numbered title that does not ask is a question's sibling
    when it follows numbered titles that began with a question ("3. It crashes when a third joins");
    on its own it is no question."""
    kept: list[_Question] = []
    run = False  # inside a run of numbered titles in which one asked
    for question in found:
        if question.asks or question.explicit:
            run = question.numbered and question.asks
            kept.append(question)
        elif question.numbered and run:
            kept.append(question)
        else:
            run = False
    return kept


def _continues(item: Block, block: Block) -> bool:
    """`block` is a later paragraph of the list item `item` (indented under its text)."""
    return not block.prefix.strip() and len(block.prefix) >= len(item.prefix) > 0


def _answered(found: list[_Question], blocks: list[Block]) -> list[_Question]:
    """The questions with an answer: text after the question in its block, or blocks before the next."""
    out = []
    for n, question in enumerate(found):
        stop = found[n + 1].index if n + 1 < len(found) else len(blocks)
        if plain(question.rest) or any(not b.is_empty() for b in blocks[question.index + 1 : stop]):
            out.append(question)
    return out


def _split(section: Section, lines: list[str]) -> None:
    # Only the body before the first sub-section: a reader whose sections are containers (a <dl>
    # term, a <details>) puts what follows a container back in the body, after it in the file.
    first_child = section.children[0].start if section.children else None
    count = next((n for n, b in enumerate(section.blocks) if first_child is not None and b.line >= first_child),
                 len(section.blocks))
    blocks, later = section.blocks[:count], section.blocks[count:]
    found = [q for i, b in enumerate(blocks) if (q := _question(i, b, blocks)) is not None]
    found = _answered(_numbered_runs(found), blocks)
    if not found or (len(found) < 2 and not any(q.standalone for q in found)):
        return
    sections = []
    for n, question in enumerate(found):
        block = blocks[question.index]
        stop = found[n + 1].index if n + 1 < len(found) else len(blocks)
        answer = []
        if plain(question.rest):
            rest_line = next((p.line for p in question.rest if isinstance(p, (Text, Break)) and p.line), None)
            answer.append(text_block(rest_line or question.title_end + 1, question.rest))
        indent = len(block.prefix)
        for block_after in blocks[question.index + 1 : stop]:
            if not block_after.prefix.strip():  # the item's indentation is the question's, not the answer's
                block_after.prefix = block_after.prefix[indent:]
            answer.append(block_after)
        if answer and question.explicit:
            strip_inline_prefix(answer[0].inlines, ANSWER_PREFIX)
        if answer:
            answer[0].tight = False
        sections.append(Section(title=question.title, level=section.level + 1, line=block.line,
                                title_end=question.title_end, blocks=answer, explicit=question.explicit))
    # Each ends at its last line of text before the next question (the last: before what followed).
    after = section.children[0].start - 1 if section.children else section.end_line or len(lines)
    for n, new in enumerate(sections):
        limit = sections[n + 1].line - 1 if n + 1 < len(sections) else after
        new.end_line = last_text_line(lines, new.title_end, max(limit, new.title_end))
    section.blocks = blocks[: found[0].index] + later
    section.children[:0] = sections


def split_paragraph_questions(document: Document) -> None:
    """Give each question written as a paragraph its own section (see the module docstring)."""
    for section in list(document.root.walk()):
        if not section.hidden and not asks(section):
            _split(section, document.lines)
