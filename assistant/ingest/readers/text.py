"""Plain-text FAQs: no markup language, only the conventions people type.

A plain-text FAQ marks its questions in one of a few ways, and the reader finds which one the file
uses (the one that yields the most question titles):

- numbered sections, "4.5 Why do I get ...?", the numbers forming one outline (a numbered list inside
  an answer or a table of contents does not fit the outline, so it is not taken for headings);
- "* " (or "- ", "+ ") items that stand alone as a paragraph and are followed by unmarked text (a
  numbered one, "* 3.4 ...", may wrap at the margin);
- "Q:"/"A:" pairs;
- titles underlined (or over- and underlined) with a line of =, -, ~ ...;
- Vim help headings: a line of its own that ends with " ~";
- failing those, paragraphs that are a question on their own.

A page scraped from the web (one paragraph a line, no blank lines between them) is read line by line:
a question line starts an entry, and the scraping repairs of `cleaning.py` apply.

Hard-wrapped paragraphs are joined; blocks indented below the text that do not read as prose are
code; a box drawn with a repeated character is a note, not a list of items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..cleaning import clean_lines
from ..document import Block, Document, Outline, Section, Text, code_block, line_block, text_block
from ..lines import split_lines

# --- line patterns --------------------------------------------------------------------------------

_RULE = re.compile(r"^\s*([=\-~^*#+_.:`'\"%@])\1{2,}\s*$")
# A heading of a Vim help file: a line of several words that ends with " ~".
_HELP_HEADING = re.compile(r"^(\S.*\S\s.*?\S)\s+~\s*$")
_HELP_MARK = "~help"
_NUMBERED = re.compile(r"^( {0,4})(\d{1,3}(?:\.\d{1,3})*)([.)]?)[ \t]+(?=\S)")
# A bullet: "*", "-", "+", "•", or an arrow ("->", "=>", ">>", "»", "→") as people type them.
_BULLET = re.compile(r"^( ?)([*+•-]|-+>|=+>|>>|[»→►▶])[ \t]+(?=\S)")
_Q_PREFIX = re.compile(r"^\s*Q(?:uestion)?\s*(?:\d+[a-z]?)?\s*[:.)][ \t]*(?=\S)", re.IGNORECASE)
_A_PREFIX = re.compile(r"^\s*A(?:nswer)?\s*[:.)][ \t]*", re.IGNORECASE)
# An item: a bullet, "1." or "1)", "a.", or a section number ("1.1  What is it?", as contents list them).
_LIST_ITEM = re.compile(r"^([*+•-]|\d{1,3}[.)]|\d{1,3}(?:\.\d{1,3})+\.?|[a-zA-Z][.)])[ \t]+(?=\S)")
# A question: ends with "?", optionally followed by a quoted or bracketed tail
# ('What does this error mean? "Operation couldn't be completed ..."').
_QUESTION = re.compile(r"""^\S.{1,298}?\?\s*(?:["“'(\[].*["”')\]]\s*)?$""")
MAX_TITLE_CHARS = 300
# A title that wraps without a hanging indent runs over at most this many lines.
MAX_TITLE_LINES = 4
# Entries set apart by rules: at least this many, so that a rule or two between parts of a text is not
# taken for them.
MIN_SEPARATED = 3


def is_question_line(text: str) -> bool:
    """True when a line (or a paragraph joined into one line) reads as an FAQ question."""
    text = _Q_PREFIX.sub("", text.strip())
    # The pattern first: it fails fast on a huge line, where splitting it into words would not.
    return bool(_QUESTION.match(text)) and len(text.split()) >= 2


def _no_text(line: str) -> bool:
    """A line that is no part of an answer's text: blank, or a rule drawn between entries."""
    return not line.strip() or _RULE.match(line) is not None


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


# --- blocks of lines ------------------------------------------------------------------------------


@dataclass
class _Raw:
    """Consecutive non-blank lines: a paragraph, a title, a list, a code sample or a box."""

    line: int
    lines: list[str]
    box: bool = False
    underline: str | None = None  # the title's underline character (with "^" for an overline too)
    after_rule: str | None = None  # the character of a separator rule just above it ("********")

    @property
    def indent(self) -> int:
        return _indent(self.lines[0])

    @property
    def joined(self) -> str:
        return " ".join(" ".join(self.lines).split())

    @property
    def end(self) -> int:
        return self.line + len(self.lines) - 1


def _raw_blocks(lines: list[str]) -> list[_Raw]:
    blocks: list[_Raw] = []
    current: _Raw | None = None
    rule_char: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        number = i + 1
        if not line.strip():
            current = None
            i += 1
            continue
        rule = _RULE.match(line)
        if rule:
            char = rule.group(1)
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if current is not None and len(current.lines) == 1 and not current.box:
                current.underline = char  # "Title" over "=====": a title
                current = None
                i += 1
                continue
            if len(line.strip()) >= 10 and following.lstrip().startswith(char) and not _RULE.match(following):
                box = _Raw(number + 1, [], box=True)
                j = i + 1
                while j < len(lines) and lines[j].lstrip().startswith(char) and not _RULE.match(lines[j]):
                    box.lines.append(lines[j].strip().strip(char).strip())
                    j += 1
                if j < len(lines) and _RULE.match(lines[j]):  # a closed box
                    box.lines = [t for t in box.lines if t] or [""]
                    blocks.append(box)
                    current = None
                    i = j + 1
                    continue
            if (i + 2 < len(lines) and following.strip() and not _RULE.match(following)
                    and lines[i + 2].strip() == line.strip()):
                blocks.append(_Raw(number + 1, [following], underline=char + "^"))
                current = None
                i += 3
                continue
            current = None  # a separator
            rule_char = char
            i += 1
            continue
        if current is None:
            heading = _HELP_HEADING.match(line)
            if heading and not (lines[i + 1].strip() if i + 1 < len(lines) else ""):
                # "WHERE SHOULD I PUT MY CONFIG? ~" on a line of its own: a heading of a Vim help file.
                blocks.append(_Raw(number, [heading.group(1)], underline=_HELP_MARK))
                rule_char = None
                i += 1
                continue
            current = _Raw(number, [], after_rule=rule_char)
            blocks.append(current)
            rule_char = None
        current.lines.append(line)
        i += 1
    return [b for b in blocks if any(t.strip() for t in b.lines)]


def _hanging(block: _Raw, text_column: int) -> bool:
    """Continuation lines of a title indented under its text (a title that wraps)."""
    return all(_indent(t) >= text_column for t in block.lines[1:]) and len(block.lines) <= 4


# --- title styles ---------------------------------------------------------------------------------


@dataclass
class _Title:
    block: int  # index in the raw blocks
    text: str
    level: int
    explicit: bool = False
    body_lines: int = 0  # lines of the block that are the answer's start ("Q: ...? A: ...")
    key: tuple[int, ...] = ()


def _numbered_titles(blocks: list[_Raw]) -> list[_Title]:
    candidates = []
    for i, block in enumerate(blocks):
        m = _NUMBERED.match(block.lines[0].expandtabs(8))
        if not m or block.box or block.underline:
            continue
        key = tuple(int(p) for p in m.group(2).split("."))
        if len(key) == 1 and not m.group(3):
            continue  # "2010 was..." is not a heading; "2." and "2)" are
        head = _hanging_title_lines(block) if _hanging(block, m.end()) else _title_lines(block)
        if not head:
            continue
        text = " ".join(" ".join([block.lines[0].expandtabs(8)[m.end():], *block.lines[1:head]]).split())
        if not re.search(r"[^\W\d_]", text) or len(text) > MAX_TITLE_CHARS:
            continue
        candidates.append(_Title(i, text, len(key), key=key, body_lines=len(block.lines) - head))
    return _outline_chain(candidates, blocks)


def _hanging_title_lines(block: _Raw) -> int:
    """How many leading lines of a numbered block set with a hanging indent are its title: up to the
    line that ends its question when the answer goes on below it at the same indent ("1. How ...?"
    over "   The answer."), else all of them (a title that wraps)."""
    lines = [t.rstrip() for t in block.lines]
    for n, line in enumerate(lines[: min(MAX_TITLE_LINES, len(lines) - 1)]):
        if line.endswith("?"):
            return n + 1
        if line.endswith((".", "!", ":")):
            break  # a sentence ended before any question did: the block is one title, or no question
    return len(lines)


def _title_lines(block: _Raw) -> int:
    """How many leading lines of a numbered block are its title when the title is not set apart by a
    hanging indent: the lines up to the one that ends a question or introduces what follows ("?",
    ":"), at most MAX_TITLE_LINES, before the text below it (its answer, or a sample indented under
    it); else all of a block that is one question or sentence on its own (its answer follows after a
    blank line). 0 when no such title opens the block (an item of a numbered list, a paragraph)."""
    lines = [t.rstrip() for t in block.lines]
    for n, line in enumerate(lines[:MAX_TITLE_LINES]):
        if n and _indent(line) > _indent(lines[0]):
            return 0  # an indented sample under a title that did not end with "?" or ":"
        if line.endswith(("?", ":")) or is_question_line(line):
            return n + 1
    flush = all(_indent(t) <= _indent(lines[0]) for t in lines[1:])
    if flush and len(block.joined) <= MAX_TITLE_CHARS and lines[-1].endswith(("?", ".", "!")):
        return len(lines)
    return 0


def _outline_chain(candidates: list[_Title], blocks: list[_Raw]) -> list[_Title]:
    """The candidates that form one outline: the heaviest chain of numbers that only grow, each at most
    one level deeper than the one before. A title followed by text weighs more than one followed by
    another title, so a table of contents loses to the sections it lists."""
    if not candidates:
        return []
    weights = []
    for n, title in enumerate(candidates):
        nxt = candidates[n + 1].block if n + 1 < len(candidates) else len(blocks)
        weights.append(2 if nxt > title.block + 1 or title.body_lines else 1)
    best = [0.0] * len(candidates)
    previous = [-1] * len(candidates)
    for j, title in enumerate(candidates):
        best[j] = weights[j]
        for i in range(j - 1, max(-1, j - 64), -1):
            before = candidates[i].key
            if before < title.key and len(title.key) <= len(before) + 1 and best[i] + weights[j] > best[j]:
                best[j] = best[i] + weights[j]
                previous[j] = i
    j = max(range(len(candidates)), key=lambda n: (best[n], n))
    chain = []
    while j >= 0:
        chain.append(candidates[j])
        j = previous[j]
    return chain[::-1]


def _bullet_titles(blocks: list[_Raw]) -> list[_Title]:
    titles = []

    def bullet(block: _Raw | None) -> re.Match | None:
        return None if block is None or block.box else _BULLET.match(block.lines[0])

    for i, block in enumerate(blocks):
        m = bullet(block)
        if not m:
            continue
        before = blocks[i - 1] if i else None
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        # A title stands alone: the paragraphs around it are not items of the same list.
        if after is None or bullet(after) or bullet(before):
            continue
        head = len(block.lines)
        if not _hanging(block, m.end()):
            # Wrapped at the margin: a title only when it is numbered ("* 3.4 There is ..."), as an
            # outline's headings are; an unnumbered item that wraps so is a list item of an answer.
            head = _title_lines(block) if _NUMBERED.match(block.lines[0][m.end():]) else 0
            if not head:
                continue
        text = " ".join(" ".join([block.lines[0][m.end():], *block.lines[1:head]]).split())
        if len(text) <= MAX_TITLE_CHARS:
            titles.append(_Title(i, text, 1, body_lines=len(block.lines) - head))
    return titles


def _qa_titles(blocks: list[_Raw]) -> list[_Title]:
    titles = []
    for i, block in enumerate(blocks):
        if block.box or not _Q_PREFIX.match(block.lines[0]):
            continue
        head = len(block.lines)
        for n, line in enumerate(block.lines[1:], start=1):
            if _A_PREFIX.match(line) and _A_PREFIX.match(line).end() > len(line) - len(line.lstrip()):
                head = n
                break
        else:
            # No "A:": the answer starts after the line that ends the question (which may wrap, at a
            # hanging indent or not); with no such line the block is all question. A block of "Q:"
            # lines is a list of questions (contents), not a question and its answer.
            listed = any(_Q_PREFIX.match(line) for line in block.lines[1:])
            asked = next((n + 1 for n, line in enumerate(block.lines) if line.rstrip().endswith("?")), None)
            if not listed and asked:
                head = asked
        text = " ".join(" ".join([_Q_PREFIX.sub("", block.lines[0]), *block.lines[1:head]]).split())
        if text and len(text) <= MAX_TITLE_CHARS:
            titles.append(_Title(i, text, 1, explicit=True, body_lines=len(block.lines) - head))
    return titles


def _underlined_titles(blocks: list[_Raw]) -> list[_Title]:
    levels: dict[str, int] = {}
    titles = []
    for i, block in enumerate(blocks):
        if block.underline and len(block.lines) == 1 and len(block.joined) <= MAX_TITLE_CHARS:
            level = levels.setdefault(block.underline, len(levels) + 1)
            titles.append(_Title(i, block.joined, level))
    return titles


def _separated_titles(blocks: list[_Raw]) -> list[_Title]:
    """Entries set apart by a rule of one character ("********" between them), each opening with a
    short paragraph that says what it is about: those paragraphs, when there are at least
    MIN_SEPARATED of them and each is followed by text before the next rule."""
    starts = [i for i, b in enumerate(blocks) if b.after_rule and not b.box and not b.underline]
    if len(starts) < MIN_SEPARATED or len({blocks[i].after_rule for i in starts}) != 1:
        return []
    titles = []
    for i, nxt in zip(starts, [*starts[1:], len(blocks)]):
        block = blocks[i]
        if nxt - i < 2 or len(block.lines) > MAX_TITLE_LINES or len(block.joined) > MAX_TITLE_CHARS:
            return []
        titles.append(_Title(i, block.joined, 1))
    return titles


def _split_at_questions(blocks: list[_Raw], wrap: int) -> list[_Raw]:
    """Blocks split where a question line starts an entry inside a paragraph ("How do I ...?" on one
    line, its answer on the next). A line that continues a wrapped sentence is not such a start: the
    line before it would run to the wrap width without ending a sentence."""
    out: list[_Raw] = []
    for block in blocks:
        if block.box or block.underline or (len(block.lines) <= 3 and is_question_line(block.joined)):
            out.append(block)
            continue
        current = _Raw(block.line, [])
        asking = False
        for n, line in enumerate(block.lines):
            before = block.lines[n - 1].rstrip() if n else ""
            starts = is_question_line(line) and (
                n == 0 or asking or before.endswith((".", "!", "?", ":", '"', "'", ")")) or len(before) < 0.6 * wrap)
            if (starts and not asking) or (asking and not starts):
                if current.lines:
                    out.append(current)
                current = _Raw(block.line + n, [])
            current.lines.append(line)
            asking = starts
        out.append(current)
    return out


def _question_titles(blocks: list[_Raw]) -> list[_Title]:
    """Paragraphs of at most three lines that are one question. Lines that each end a question are a
    list of questions (a group of a contents list), not one question wrapped."""
    return [_Title(i, b.joined, 1) for i, b in enumerate(blocks)
            if not b.box and len(b.lines) <= 3 and is_question_line(b.joined)
            and sum(1 for line in b.lines if line.rstrip().endswith("?")) == 1]


def _structured_titles(blocks: list[_Raw]) -> list[_Title]:
    """The title style that yields the most question titles (explicit Q: pairs count as questions);
    none when no style yields two, an explicit pair, or questions for half of its titles."""
    best: list[_Title] = []
    best_questions = 0
    for style in (_numbered_titles, _underlined_titles, _qa_titles, _bullet_titles):
        titles = style(blocks)
        questions = sum(1 for t in titles if t.explicit or is_question_line(t.text) or "?" in t.text)
        enough = questions >= 2 or any(t.explicit for t in titles) or (questions and 2 * questions >= len(titles))
        if questions > best_questions and enough:
            best, best_questions = titles, questions
    return best


# --- bodies ---------------------------------------------------------------------------------------


def _prose(lines: list[str]) -> bool:
    """Lines that read as sentences, not code: mostly letters and spaces, several words."""
    text = " ".join(t.strip() for t in lines)
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return len(text.split()) >= 6 and letters >= 0.85 * len(text)


def _body(block: _Raw, base: int, wrapped: bool, skip: int = 0) -> list[Block]:
    """The answer blocks of one raw block (`skip`: leading lines that were a title)."""
    lines = [(block.line + n, t) for n, t in enumerate(block.lines) if n >= skip]
    if not lines:
        return []
    first = lines[0][1]
    if block.box:
        return [text_block(block.line, _joined(lines))]
    if _indent(first) >= base + 2 and not _LIST_ITEM.match(first.strip()) and (
            "\t" in first[: len(first) - len(first.lstrip())] or not _prose([t for _, t in lines])):
        return [code_block([(n, t.expandtabs(8)) for n, t in lines])]
    out: list[Block] = []
    group: list[tuple[int, str]] = []
    prefix = ""

    def flush() -> None:
        if group:
            tight = bool(prefix) and bool(out) and bool(out[-1].prefix)
            out.append(text_block(group[0][0], _joined(group), prefix=prefix, tight=tight))

    for number, text in lines:
        m = _LIST_ITEM.match(text.strip())
        if m or not wrapped:
            flush()
            marker = m.group(1) if m else ""
            prefix = ("- " if marker in "*+•-" else f"{marker} ") if marker else ""
            group = [(number, text.strip()[m.end():] if m else text)]
            if not wrapped and not m and out:
                out.append(text_block(number, _joined(group), tight=True))
                group = []
        else:
            group.append((number, text))
    flush()
    return out


def _joined(lines: list[tuple[int, str]]) -> list:
    return [Text(text if n == lines[0][0] else " " + text, n) for n, text in lines]


# --- the two readers ------------------------------------------------------------------------------


def looks_scraped(lines: list[str]) -> bool:
    """One paragraph a line with (almost) no blank lines between: text copied from a web page."""
    nonblank = sum(1 for t in lines if t.strip())
    return nonblank >= 3 and (len(lines) - nonblank) <= 0.02 * len(lines)


def _wrap_width(lines: list[str]) -> int:
    """The width most lines keep within (the 90th percentile of line lengths)."""
    lengths = sorted(len(t.expandtabs(8).rstrip()) for t in lines if t.strip())
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0


def _is_wrapped(lines: list[str]) -> bool:
    """Hard-wrapped: nearly every line fits a terminal, so a paragraph's lines belong together."""
    return 0 < _wrap_width(lines) <= 100


def _body_indents(blocks: list[_Raw], titles: dict[int, _Title]) -> list[int]:
    """For each block, the indentation of plain text in its section (the least indented body block),
    below which indented blocks may be code."""
    bases = [0] * len(blocks)
    start = 0
    for i in [*sorted(titles), len(blocks)]:
        body = [blocks[j].indent for j in range(start, i) if j not in titles and not blocks[j].box]
        base = min(body, default=0)
        for j in range(start, i):
            bases[j] = base
        start = i
    return bases


def _first_title(blocks: list[_Raw]) -> str | None:
    """A document title: the first short line of letters (ASCII-art banners skipped)."""
    for block in blocks[:5]:
        text = block.joined
        letters = sum(ch.isalnum() or ch == " " for ch in text)
        if block.box or not text or len(text) > 120 or letters < 0.8 * len(text):
            continue
        return text
    return None


def read_text(text: str) -> Document:
    """Read a plain-text FAQ into sections (see the module docstring)."""
    lines = split_lines(text)
    if looks_scraped(lines):
        return _read_scraped(lines, text)
    blocks = _raw_blocks(lines)
    titles = _structured_titles(blocks) or _separated_titles(blocks)
    if not titles:
        blocks = _split_at_questions(blocks, max(_wrap_width(lines), 72))
        titles = _question_titles(blocks)
    wrapped = _is_wrapped(lines)
    outline = Outline()
    by_block = {t.block: t for t in titles}
    bases = _body_indents(blocks, by_block)
    for i, block in enumerate(blocks):
        title = by_block.get(i)
        base = bases[i]
        if title is None:
            for body in _body(block, base, wrapped):
                previous = outline.current.blocks[-1] if outline.current.blocks else None
                if body.prefix and previous is not None and previous.prefix:  # items a blank line apart
                    body.tight = True
                outline.block(body)
            continue
        head = len(block.lines) - title.body_lines
        outline.heading(Section(title=[Text(title.text, block.line)], level=title.level, line=block.line,
                                title_end=block.line + head - 1, explicit=title.explicit))
        if title.body_lines:
            first = _A_PREFIX.sub("", block.lines[head], count=1) if title.explicit else block.lines[head]
            answer = _Raw(block.line + head, [first, *block.lines[head + 1:]])
            for body in _body(answer, base, wrapped):
                outline.block(body)
    if titles:  # the first answer line of a Q:/A: pair loses its "A:"
        for section in outline.root.walk():
            if section.explicit and section.blocks:
                first = section.blocks[0]
                if first.inlines and isinstance(first.inlines[0], Text):
                    first.inlines[0].text = _A_PREFIX.sub("", first.inlines[0].text, count=1)
    return outline.finish(lines, title=_first_title(blocks), blank=_no_text)


# --- scraped pages --------------------------------------------------------------------------------


@dataclass
class _Record:
    question: str
    first: int
    last: int
    answer: list[tuple[int, str]] = field(default_factory=list)


def _read_scraped(lines: list[str], text: str) -> Document:
    """A scraped page: each question line starts an entry; the lines up to the next are its answer.

    Two question lines in a row are one question written over two lines. The lines are cleaned first
    (mojibake, page furniture, repeated lines, glued words)."""
    cleaned = clean_lines(list(enumerate(lines, start=1)), text)
    records: list[_Record] = []
    preamble: list[tuple[int, str]] = []
    current: _Record | None = None
    for number, line in cleaned:
        if is_question_line(line):
            question = _Q_PREFIX.sub("", line).strip()
            if current is not None and not current.answer:
                current.question = f"{current.question} {question}"
                current.last = number
                continue
            current = _Record(question, number, number)
            records.append(current)
        elif current is None:
            preamble.append((number, line))
        else:
            if not current.answer:
                line = _A_PREFIX.sub("", line)
            current.answer.append((number, line))
    root = Section(title=[], level=0, line=1)
    root.blocks = [line_block(n, t) for n, t in preamble]
    for record in records:
        if not record.answer:
            continue
        section = Section(title=[Text(record.question, record.first)], level=1, line=record.first,
                          title_end=record.last, end_line=max(record.answer[-1][0], record.last))
        section.blocks = [line_block(n, t) for n, t in record.answer]
        root.children.append(section)
    root.end_line = len(lines)
    return Document(root=root, lines=lines, title=preamble[0][1] if preamble else None, repaired=True)
