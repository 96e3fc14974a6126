"""Org FAQs, read by hand: orgparse reads headlines and drawers but not the markup of a body, so
this reader follows the Org syntax specification (orgmode.org/worg/org-syntax) for what an FAQ uses.

- Headlines "* ", "** " ... make sections; their TODO keyword (TODO/DONE and those a #+TODO line
  declares), priority cookie, statistics cookie and tags are not part of the title. A COMMENT
  headline, or one tagged :noexport: or :ARCHIVE:, is left out with everything below it.
- Property drawers give the anchor (CUSTOM_ID); other drawers and planning lines are skipped.
- Blocks: #+begin_src / example / export are code (export html is read as HTML); quote, center, verse
  and special blocks are read as text; comment blocks, comments ("# ...") and keywords are skipped;
  fixed-width lines (": ...") are code; tables are one line a row.
- Lists ("-", "+", "1.", "1)") stand one item a line; a description list ("- term :: text") whose
  terms ask questions is one section per term.
- Inline: [[link][description]] keeps its text and target (an internal or custom link keeps only its
  text); =verbatim= and ~code~ are code; *bold*, /italic/, _underline_ and +strike+ marks are dropped.
- "#+TITLE:" is the title.
"""

from __future__ import annotations

import re

from ..document import Break, Close, Document, Inline, Open, Outline, Section, Text, code_block, text_block
from ..lines import split_lines
from .html import HtmlWalker, parse_html

_HEADLINE = re.compile(r"^(\*+)[ \t]+(.*?)[ \t]*$")
_TAGS = re.compile(r"[ \t]+(:[\w@#%:]+:)[ \t]*$")
_PRIORITY = re.compile(r"^\[#[A-Za-z0-9]\][ \t]*")
_COOKIE = re.compile(r"[ \t]*\[\d*(?:%|/\d*)\]")
_KEYWORD = re.compile(r"^[ \t]*#\+(\w+)(?:\[[^\]]*\])?:[ \t]*(.*)$")
_BEGIN = re.compile(r"^[ \t]*#\+begin_(\S+)(?:[ \t]+(.*))?$", re.IGNORECASE)
_DRAWER = re.compile(r"^[ \t]*:([\w-]+):[ \t]*$")
_PROPERTY = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*?)[ \t]*$")
_PLANNING = re.compile(r"^[ \t]*(?:SCHEDULED|DEADLINE|CLOSED):")
_COMMENT = re.compile(r"^[ \t]*#(?:[ \t]|$)")
_FIXED = re.compile(r"^[ \t]*:(?:[ \t]|$)")
_ITEM = re.compile(r"^([ \t]*)([-+]|(?<=[ \t])\*|\d+[.)]|[a-zA-Z][.)])[ \t]+(?:\[[ xX-]\][ \t]+)?(.*)$")
_ITEM_AT_START = re.compile(r"^([ \t]*)([-+]|\d+[.)]|[a-zA-Z][.)])[ \t]+(?:\[[ xX-]\][ \t]+)?(.*)$")
_DESCRIPTION = re.compile(r"^(.*?)[ \t]+::(?:[ \t]+(.*)|$)")
_RULE = re.compile(r"^[ \t]*-{5,}[ \t]*$")

_LINK = re.compile(r"\[\[((?:[^\[\]\\]|\\.)+)\](?:\[((?:[^\[\]]|\[[^\[\]]*\])*)\])?\]")
_ANGLE_LINK = re.compile(r"<((?:https?|ftp|mailto|file):[^>\s]+)>")
_PLAIN_LINK = re.compile(r"(?<![\w/=~])((?:https?|ftp)://[^\s\[\]<>()\"']+[^\s\[\]<>()\"'.,;:!?])")
_PRE = r"(?:(?<=^)|(?<=[\s\-({'\"]))"
_POST = r"(?=[\s\-.,;:!?'\")}\[]|$)"
_CODE = re.compile(_PRE + r"([=~])(\S|\S.*?\S)\1" + _POST)
_EMPHASIS = re.compile(_PRE + r"([*/_+])(\S|\S.*?\S)\1" + _POST)
# A line that is one bold or italic span ("*How do I ...?*", "/How do I ...?/").
_EMPHASISED_LINE = re.compile(r"^([*/])(?=\S)(.*\S)\1$")
_EXTERNAL = ("http:", "https:", "ftp:", "mailto:", "file:", "news:", "irc:")
_LINKS = re.compile(f"{_LINK.pattern}|{_ANGLE_LINK.pattern}|{_PLAIN_LINK.pattern}")


def _link(target: str, description: str | None) -> list[Inline]:
    target = target.replace("\\[", "[").replace("\\]", "]")
    shown = description if description else re.sub(r"^(?:file|id|\w[\w-]*):(?!//)", "", target).lstrip("*#")
    shown_inlines = _formatted(shown)
    if target.lower().startswith(_EXTERNAL) or target.startswith("#"):
        return [Open("link", target[5:] if target.lower().startswith("file:") else target), *shown_inlines, Close()]
    return shown_inlines  # a heading, an ID or a custom link type: only its text reads


def _formatted(text: str) -> list[Inline]:
    """Emphasis marks dropped, verbatim and code marked."""
    out: list[Inline] = []
    last = 0
    for m in _CODE.finditer(text):
        out.append(Text(_EMPHASIS.sub(lambda e: e.group(2), text[last : m.start()])))
        out += [Open("code"), Text(m.group(2)), Close()]
        last = m.end()
    rest = text[last:]
    for _ in range(3):
        new = _EMPHASIS.sub(lambda e: e.group(2), rest)
        if new == rest:
            break
        rest = new
    out.append(Text(rest))
    return out


def inline(text: str, line: int) -> list[Inline]:
    """Org inline markup to inline pieces (`text` may span lines; "\\\\" ends a line hard)."""
    out: list[Inline] = [Text("", line)]
    last = 0
    for m in _LINKS.finditer(text):
        out += _formatted(text[last : m.start()])
        if m.group(1) is not None:
            out += _link(m.group(1), m.group(2))
        else:
            url = m.group(3) or m.group(4)
            out += [Open("link", url), Text(url), Close()]
        last = m.end()
    out += _formatted(text[last:])
    result: list[Inline] = []
    for piece in out:  # a line ending in "\\" is a hard break
        if isinstance(piece, Text) and "\\\\\n" in piece.text:
            parts = piece.text.split("\\\\\n")
            for n, part in enumerate(parts):
                if n:
                    result.append(Break())
                result.append(Text(part))
        else:
            result.append(piece)
    return result


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.outline = Outline()
        self.title: str | None = None
        self.todo = {"TODO", "DONE"}
        for line in lines:
            m = _KEYWORD.match(line)
            if m and m.group(1).upper() in ("TODO", "SEQ_TODO", "TYP_TODO"):
                self.todo |= {w.split("(")[0] for w in m.group(2).split() if w != "|"}
            if m and m.group(1).upper() == "TITLE" and self.title is None and m.group(2).strip():
                self.title = " ".join(_plain(inline(m.group(2), 1)).split())

    def headline(self, i: int) -> tuple[int, list[Inline], bool] | None:
        """(level, title, hidden) when line i is a headline."""
        m = _HEADLINE.match(self.lines[i])
        if not m:
            return None
        level, rest = len(m.group(1)), m.group(2)
        tags = ""
        if t := _TAGS.search(rest):
            tags, rest = t.group(1), rest[: t.start()]
        words = rest.split(maxsplit=1)
        if words and words[0] in self.todo:
            rest = words[1] if len(words) > 1 else ""
        rest = _PRIORITY.sub("", rest)
        tag_list = [t for t in tags.strip(":").split(":") if t]
        hidden = rest.split(" ", 1)[0] == "COMMENT" or any(t.lower() == "noexport" or t == "ARCHIVE" for t in tag_list)
        rest = _COOKIE.sub("", rest).strip()
        return level, inline(rest, i + 1), hidden

    def read(self) -> None:
        i = 0
        n = len(self.lines)
        while i < n:
            head = self.headline(i)
            if head is None:
                i = self.block(i, n, "")
                continue
            level, title, hidden = head
            if hidden:  # the subtree is left out; it only ends the section before it
                self.outline.heading(Section(title=title, level=level, line=i + 1, hidden=True))
                i += 1
                while i < n and not ((h := _HEADLINE.match(self.lines[i])) and len(h.group(1)) <= level):
                    i += 1
                continue
            section = Section(title=title, level=level, line=i + 1)
            self.outline.heading(section)
            i += 1
            while i < n and _PLANNING.match(self.lines[i]):
                i += 1
            if i < n and _DRAWER.match(self.lines[i]) and _DRAWER.match(self.lines[i]).group(1).upper() == "PROPERTIES":
                i += 1
                while i < n and not re.match(r"^[ \t]*:END:[ \t]*$", self.lines[i], re.IGNORECASE):
                    if (p := _PROPERTY.match(self.lines[i])) and p.group(1).upper() == "CUSTOM_ID":
                        section.anchor = p.group(2) or None
                    i += 1
                i += 1

    def _end_of_paragraph(self, i: int) -> bool:
        text = self.lines[i]
        return (not text.strip() or bool(_HEADLINE.match(text)) or bool(_KEYWORD.match(text))
                or bool(_BEGIN.match(text)) or bool(_COMMENT.match(text)) or bool(_FIXED.match(text))
                or text.lstrip().startswith("|") or bool(_ITEM_AT_START.match(text)) or bool(_DRAWER.match(text))
                or bool(_RULE.match(text)))

    def block(self, i: int, stop: int, prefix: str) -> int:
        """Read one block starting at line i; returns the next line."""
        text = self.lines[i]
        if not text.strip() or _RULE.match(text):
            return i + 1
        if m := _BEGIN.match(text):
            return self.delimited(i, stop, m.group(1).lower(), (m.group(2) or "").split(), prefix)
        if _KEYWORD.match(text) or _COMMENT.match(text):
            return i + 1
        if _DRAWER.match(text):
            j = i + 1
            while j < stop and not re.match(r"^[ \t]*:END:[ \t]*$", self.lines[j], re.IGNORECASE):
                j += 1
            return j + 1 if j < stop else i + 1
        if _FIXED.match(text):
            j = i
            while j < stop and _FIXED.match(self.lines[j]):
                j += 1
            lines = [(n + 1, re.sub(r"^[ \t]*:[ \t]?", "", self.lines[n])) for n in range(i, j)]
            self.outline.block(code_block(lines, prefix=prefix, tight=bool(prefix)))
            return j
        if text.lstrip().startswith("|"):
            j, first = i, True
            while j < stop and self.lines[j].lstrip().startswith("|"):
                row = self.lines[j].strip()
                if not re.match(r"^\|[-+]", row):
                    cells = " | ".join(c.strip() for c in row.strip("|").split("|"))
                    self.outline.block(text_block(j + 1, inline(cells, j + 1), prefix=prefix, tight=not first))
                    first = False
                j += 1
            return j
        if _ITEM_AT_START.match(text):
            return self.list(i, stop, prefix)
        j = i + 1
        while j < stop and not self._end_of_paragraph(j):
            j += 1
        body = "\n".join(t.strip() for t in self.lines[i:j])
        block = text_block(i + 1, inline(body, i + 1), prefix=prefix, tight=bool(prefix))
        block.title_lines = 1 if _EMPHASISED_LINE.match(self.lines[i].strip()) else 0
        self.outline.block(block)
        return j

    def delimited(self, i: int, stop: int, kind: str, args: list[str], prefix: str) -> int:
        end = re.compile(rf"^[ \t]*#\+end_{re.escape(kind)}[ \t]*$", re.IGNORECASE)
        j = i + 1
        while j < len(self.lines) and not end.match(self.lines[j]):
            j += 1
        if kind in ("src", "example"):
            lines = [(n + 1, re.sub(r"^(\s*),([*#])", r"\1\2", self.lines[n])) for n in range(i + 1, j)]
            self.outline.block(code_block(lines, prefix=prefix, tight=bool(prefix)))
        elif kind == "export":
            if args and args[0].lower() == "html":
                tree = parse_html("\n".join(self.lines[i + 1 : j]))
                if tree is not None:
                    walker = HtmlWalker(self.outline, first_line=i + 2)
                    walker.children(tree.find("body") if tree.find("body") is not None else tree)
                    walker.flush()
        elif kind != "comment":
            k = i + 1
            while k < j:
                k = self.block(k, j, prefix)
        return min(j + 1, len(self.lines))

    def list(self, i: int, stop: int, prefix: str) -> int:
        """A plain or description list starting at line i."""
        from ..structure import is_question_title

        items = self._items(i, stop)
        descriptions = [(_DESCRIPTION.match(_ITEM_AT_START.match(self.lines[a]).group(3)), a, b) for a, b in items]
        as_sections = all(d[0] for d in descriptions) and any(
            is_question_title(_plain(inline(d[0].group(1), 1))) for d in descriptions)
        number = 0
        for n, (start, end) in enumerate(items):
            m = _ITEM_AT_START.match(self.lines[start])
            indent = len(m.group(1).expandtabs(8))
            bullet = m.group(2)
            number += 1
            marker = "- " if bullet in "-+*" else f"{bullet[:-1]}. " if bullet[-1] == "." else f"{bullet} "
            content = m.group(3)
            description = _DESCRIPTION.match(content)
            if as_sections:
                self.outline.open(Section(title=inline(description.group(1), start + 1), level=0, line=start + 1))
                content, item_prefix, rest_prefix = description.group(2) or "", prefix, prefix
            else:
                item_prefix = prefix + marker
                rest_prefix = " " * len(item_prefix)
                if description:
                    self.outline.block(text_block(start + 1, inline(description.group(1), start + 1),
                                                  prefix=item_prefix, tight=n > 0 or bool(prefix)))
                    content, item_prefix = description.group(2) or "", rest_prefix
            j = start + 1
            while j < end and self.lines[j].strip() and not self._end_of_paragraph(j) and (
                    len(self.lines[j]) - len(self.lines[j].lstrip()) > indent):
                j += 1
            body = "\n".join([content.strip(), *(t.strip() for t in self.lines[start + 1 : j])]).strip("\n")
            if body.strip():
                tight = (n > 0 or bool(prefix) or bool(description)) and not as_sections
                self.outline.block(text_block(start + 1, inline(body, start + 1), prefix=item_prefix, tight=tight))
            while j < end:
                j = self.block(j, end, rest_prefix)
            if as_sections:
                last = end
                while last > start + 1 and not self.lines[last - 1].strip():
                    last -= 1
                self.outline.close(last)
        return items[-1][1] if items else i + 1

    def _items(self, i: int, stop: int) -> list[tuple[int, int]]:
        """(first line, end) of each item of the list starting at line i (0-based, end exclusive)."""
        first = _ITEM_AT_START.match(self.lines[i])
        indent = len(first.group(1).expandtabs(8))
        items: list[tuple[int, int]] = []
        start, j, blanks = i, i + 1, 0
        while j < stop:
            text = self.lines[j]
            if not text.strip():
                blanks += 1
                if blanks >= 2:
                    break
                j += 1
                continue
            own = len(text.expandtabs(8)) - len(text.expandtabs(8).lstrip())
            m = _ITEM_AT_START.match(text)
            if own <= indent and m and own == indent:
                items.append((start, j))
                start, blanks = j, 0
            elif own <= indent or _HEADLINE.match(text):
                break
            blanks = 0
            j += 1
        end = j
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        items.append((start, end))
        return items


def _plain(inlines: list[Inline]) -> str:
    return "".join(p.text for p in inlines if isinstance(p, Text))


def read_org(text: str) -> Document:
    """Read an Org FAQ into sections (see the module docstring)."""
    lines = split_lines(text)
    reader = _Reader(lines)
    reader.read()
    return reader.outline.finish(lines, title=reader.title)
