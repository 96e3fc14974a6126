"""One structure step for every format: which titled sections are FAQ entries, which group them.

Readers only say what the file's markup says: titles, levels, bodies. The rules here read those the
way a person skims an FAQ:

- A title asks a question when a "?" ends one of its clauses ("Why spaces? I prefer tabs") or it
  opens with an interrogative ("How to ..."); a reader may also know from the markup that a section
  is a question and its answer (a "Q:" line, a schema.org Question, an AsciiDoc [qanda] list).
- Among the sub-sections of one parent, as soon as one asks a question, each of them is an entry:
  statement titles at the same level as questions are FAQ entries too ("I found a bug",
  "Uninstalling fish"). Each, unless it groups questions itself (a category such as "General"), or
  its body only lists links to other sections, or their titles as written (a table of contents): a
  sentence such as "It beeps." lists no section "It beeps?", it only shares its words.
- Where no sibling asks, a section is still an entry when it stands at a level where questions
  stand elsewhere in the document; otherwise it is a group when entries lie below it, and outside
  the FAQ when not (an introduction, a licence, man-page NAME/SYNOPSIS sections).
- A document with no question at all has its innermost sections as entries.
- Everything below an entry is its answer: its sub-headings stay in it, as text.
- An entry needs an answer: a title with nothing under it is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .document import CODE, Block, Close, Document, Open, Section, Text, plain, text_block

# A "?" that ends a clause: before a space, a closing quote or bracket, or the end.
_ASKS = re.compile(r"\?+(?=[\s\"'”’)\]*_`]|$)")
_CLOSING = " \t\"'”’)]*_`"  # what may follow a title's last mark: closing quotes, brackets, emphasis
_SECTION_NUMBER = re.compile(r"^\s*\d{1,3}(?:\.\d{1,3})*\.?\s+")
# Interrogatives that open a question even when the title drops its "?" ("How to uninstall").
# General English, not drawn from any FAQ.
_INTERROGATIVES = frozenset("how what why when where who whom whose which".split())
MAX_TITLE_CHARS = 400
# A title that opens with its number in an outline ("3. ...", "2.1) ..."): numbered titles after a
# numbered question are its siblings, statements or not.
NUMBERED_TITLE = re.compile(r"^\s*\d{1,3}(?:\.\d{1,3})*[.)]\s+\S")
# "Q:", "Q1.", "Q4a)", "Question:" before a question, and "A:", "Answer:" before its answer.
QUESTION_PREFIX = re.compile(r"^\s*Q(?:uestion)?\s*(?:\d+[a-z]?)?\s*[:.)]\s+(?=\S)", re.IGNORECASE)
ANSWER_PREFIX = re.compile(r"^\s*A(?:nswer)?\s*[:.)]\s*", re.IGNORECASE)


def is_question_title(title: str) -> bool:
    """True when a title reads as a question."""
    words = title.split()
    if len(words) < 2 or len(title) > MAX_TITLE_CHARS:
        return False
    if _ASKS.search(title):
        return True
    first = re.sub(r"^\W+|\W+$", "", words[0]).lower()
    return first in _INTERROGATIVES and not title.rstrip().endswith(":")


def asks(section: Section) -> bool:
    return section.explicit or is_question_title(section.title_text)


@dataclass
class FoundEntry:
    """A section chosen as an entry, with the blocks of its answer."""

    section: Section
    question: str
    blocks: list[Block]


def answer_blocks(section: Section, with_children: bool = True) -> list[Block]:
    """The answer of an entry: its body, then each sub-section's title (as a line of text) and body."""
    blocks = list(section.blocks)
    if with_children:
        for child in section.children:
            if child.hidden:
                continue
            if child.title:
                blocks.append(text_block(child.line, child.title))
            blocks.extend(answer_blocks(child))
    return blocks


# A line that only leads back up the page ("back to top", "----- back to the FAQ index.", "^ top"):
# navigation left at the end of each answer by pages and their plain-text conversions.
_BACK_LINK = re.compile(r"^[\W_]*(?:(?:back|return|go|jump)\s+(?:up\s+)?to\b.*|top(?:\s+of\s+(?:the\s+)?page)?[\W_]*)$",
                        re.IGNORECASE)
MAX_BACK_LINK_WORDS = 8


def without_back_links(blocks: list[Block]) -> list[Block]:
    """An answer's blocks without the lines that lead back up the page at its end."""
    end = len(blocks)
    while end and blocks[end - 1].kind != CODE and _BACK_LINK.match(text := plain(blocks[end - 1].inlines)) \
            and len(text.split()) <= MAX_BACK_LINK_WORDS:
        end -= 1
    return blocks[:end] if end else blocks


def _link_only(block: Block) -> bool:
    """A block that is one link (or an item whose text is mostly one link's text)."""
    if block.kind == CODE:
        return False
    text = plain(block.inlines)
    if not text:
        return False
    linked, depth = [], 0
    for piece in block.inlines:
        if isinstance(piece, Open) and piece.kind == "link":
            depth += 1
        elif isinstance(piece, Text) and depth:
            linked.append(piece.text)
        elif isinstance(piece, Close) and depth:
            depth -= 1
    return len(" ".join("".join(linked).split())) >= 0.6 * len(text)


def is_table_of_contents(section: Section, titles: set[str]) -> bool:
    """A body that only lists other sections: links, or the titles of other sections."""
    items = [b for b in section.blocks if not b.is_empty()]
    if section.children or len(items) < 2:
        return False
    own = _listed(section.title_text)
    listed = sum(1 for b in items if _link_only(b) or ((t := _listed(plain(b.inlines))) in titles and t != own))
    return listed >= 0.8 * len(items)


def _listed(text: str) -> str:
    """A title as a table of contents writes it: its words, and the mark that ends it ("?", "!", ".").

    The mark counts because a short answer may share every word of another section's title: the
    sentence "It beeps." does not list the question "It beeps?"."""
    end = text.rstrip(_CLOSING)[-1:]
    text = _SECTION_NUMBER.sub("", text)  # "1.1  What is it?" in a contents list, "1.1 What is it?" as a title
    return " ".join(re.findall(r"\w+", text.lower())) + (end if end in (".", "?", "!") else "")


class _Chooser:
    """Walks a document's section tree, applying the rules of the module docstring."""

    def __init__(self, document: Document) -> None:
        sections = [s for s in list(document.root.walk())[1:] if not s.hidden]
        self.question_levels = {s.level for s in sections if asks(s)}
        self.titles = {_listed(s.title_text) for s in sections}
        self.found: list[FoundEntry] = []
        self._asks_below: dict[int, bool] = {}

    def asks_below(self, section: Section) -> bool:
        key = id(section)
        if key not in self._asks_below:
            self._asks_below[key] = any(not c.hidden and (asks(c) or self.asks_below(c)) for c in section.children)
        return self._asks_below[key]

    def levels_below(self, section: Section) -> bool:
        return any(c.level in self.question_levels or self.levels_below(c) for c in section.children)

    def is_group(self, section: Section) -> bool:
        """Groups entries: questions lie below it. A question title is a group only when several of
        its own sub-sections ask too (then it is a category that happens to be worded as one)."""
        if not asks(section):
            return self.asks_below(section)
        return sum(1 for c in section.children if not c.hidden and asks(c)) >= 2

    def add(self, section: Section, with_children: bool = True) -> None:
        blocks = answer_blocks(section, with_children)
        if any(not b.is_empty() for b in blocks):
            self.found.append(FoundEntry(section, section.title_text, blocks))

    def visit(self, parent: Section) -> None:
        siblings_ask = any(asks(c) for c in parent.children if not c.hidden)
        for child in parent.children:
            if child.hidden:
                continue
            if self.is_group(child):
                if _ASKS.search(child.title_text) and child.blocks:  # a real question, answered above its
                    self.add(child, with_children=False)             # sub-questions: both are entries
                self.visit(child)
            elif is_table_of_contents(child, self.titles):
                continue
            elif asks(child) or siblings_ask or child.level in self.question_levels:
                self.add(child)
            elif self.levels_below(child):
                self.visit(child)

    def leaves(self, section: Section) -> None:
        for child in section.children:
            if child.hidden:
                continue
            if child.children:
                self.leaves(child)
            elif not is_table_of_contents(child, self.titles):
                self.add(child)


def find_entries(document: Document) -> list[FoundEntry]:
    """The sections of `document` that are FAQ entries, in document order."""
    chooser = _Chooser(document)
    if chooser.question_levels:
        chooser.visit(document.root)
    else:
        chooser.leaves(document.root)
    return chooser.found


def text_outside(document: Document, found: list[FoundEntry]) -> float:
    """The share of the document's visible text that no entry holds (titles of groups included)."""
    inside = {id(s) for f in found for s in f.section.walk()}
    total = outside = 0
    for section in document.root.walk():
        if section.hidden:
            continue
        size = len(section.title_text) + sum(_size(b) for b in section.blocks)
        total += size
        if id(section) not in inside:
            outside += size
    return outside / total if total else 0.0


def _size(block: Block) -> int:
    if block.kind == CODE:
        return sum(len(t.strip()) for _, t in block.lines)
    return len(plain(block.inlines))
