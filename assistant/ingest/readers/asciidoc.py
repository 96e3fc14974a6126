"""AsciiDoc FAQs, read by hand: no maintained Python AsciiDoc parser keeps source lines, so this
reader follows the rules of the Asciidoctor language documentation for the parts an FAQ uses.

- Section titles: "== Title" (one "=" per level; "= Title" is the document title; Markdown-style "#"
  also works) and two-line titles underlined with =, -, ~, ^ or + (levels 1 to 5).
- Labelled lists ("term::", "term:::", "term;;") with the description on the same line or below it,
  further blocks attached with a "+" line. A list whose terms ask questions, or that is marked
  [qanda], is one section per term.
- Delimited blocks: listing "----", literal "....", fenced "```" (code); quote "____", example "====",
  sidebar "****", open "--" (their content is read); comment "////" and passthrough "++++" (skipped
  or read as HTML); tables "|===" (one line a row).
- Anchors "[[id]]" and "[#id]" above a title or term, or inline before a term; attribute entries
  ":name: value" are substituted where "{name}" is written. Include and conditional directives are
  not followed (the file is read as written).
- Inline: `monospace` is code; links (URL[text], link:, mailto:, xref:, <<id,text>>) keep their text
  and target; other macros show their target and text ("linkgit:git-config[1]" reads
  "git-config(1)"); bold, italic and highlight marks are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..document import Break, Close, Document, Inline, Open, Outline, Section, Text, code_block, text_block
from ..lines import split_lines
from .html import HtmlWalker, parse_html

_TITLE = re.compile(r"^(={1,6}|#{1,6})[ \t]+(\S.*?)(?:[ \t]+\1)?[ \t]*$")
_SETEXT = {"=": 1, "-": 2, "~": 3, "^": 4, "+": 5}
_UNDERLINE = re.compile(r"^([=\-~^+])\1+[ \t]*$")
_ANCHOR_LINE = re.compile(r"^\[\[([A-Za-z_:][\w:.-]*)(?:,[^\]]*)?\]\]\s*$")
_ATTRS_LINE = re.compile(r"^\[([^\[\]]*)\]\s*$")
_BLOCK_TITLE = re.compile(r"^\.([^\s.].*)$")
_ATTRIBUTE_ENTRY = re.compile(r"^:(!?[\w-]+!?):(?:[ \t]+(.*))?$")
_DIRECTIVE = re.compile(r"^(?:include|ifdef|ifndef|ifeval|endif)::\S*\[.*\]\s*$")
_DELIMITERS = {"----": "code", "....": "code", "```": "code", "____": "blocks", "====": "blocks",
               "****": "blocks", "--": "blocks", "////": "skip", "++++": "html", "|===": "table"}
_LABEL = re.compile(r"^(?!\s)(?:\[\[([A-Za-z_:][\w:.-]*)\]\])?(.*?\S)(:{2,4}|;;)(?:[ \t]+(.*))?$")
_LIST = re.compile(r"^[ \t]*(\*{1,5}|-|\.{1,5}|\d{1,4}\.|[a-zA-Z]\.)[ \t]+(\S.*)$")
_ADMONITION = re.compile(r"^(NOTE|TIP|IMPORTANT|WARNING|CAUTION):[ \t]+")

_BUILTIN_ATTRIBUTES = {
    "nbsp": "\u00a0", "sp": " ", "empty": "", "zwsp": "", "plus": "+", "amp": "&", "lt": "<", "gt": ">",
    "apos": "'", "quot": '"', "startsb": "[", "endsb": "]", "vbar": "|", "caret": "^", "asterisk": "*",
    "tilde": "~", "backslash": "\\", "backtick": "`", "two-colons": "::", "two-semicolons": ";;", "cpp": "C++",
    "deg": "°", "brvbar": "¦", "ldquo": "“", "rdquo": "”", "lsquo": "‘", "rsquo": "’",
}


def _delimiter(line: str) -> str | None:
    """The delimiter a line opens or closes a block with, when it is one."""
    text = line.rstrip()
    if text.startswith("```"):
        return "```"
    if text == "--":
        return "--"
    if text.startswith("|==="):
        return "|==="
    for mark in ("----", "....", "____", "====", "****", "////", "++++"):
        if len(text) >= 4 and text == mark[0] * len(text):
            return mark
    return None


# --- inline text ----------------------------------------------------------------------------------

_INLINE = re.compile(
    r"(?P<pass>\+\+\+(?P<p3>.+?)\+\+\+|pass:[a-z,]*\[(?P<pp>[^\]]*)\])"
    r"|(?P<code>``(?P<c2>.+?)``|(?<![\w`])`(?P<c1>[^`\s](?:[^`]*?[^`\s])?)`(?![\w`]))"
    r"|(?P<xref><<(?P<xid>[^,>\s]+)(?:,\s*(?P<xtext>[^>]+))?>>)"
    r"|(?P<url>(?:link:)?(?P<href>(?:https?|ftp|irc|file)://[^\s\[\]<>]+|mailto:[^\s\[\]]+)(?:\[(?P<utext>[^\]]*)\])?)"
    r"|(?P<linkmacro>link:(?P<ltarget>[^\s\[]+)\[(?P<ltext>[^\]]*)\])"
    r"|(?P<macro>\b(?P<mname>[a-z][\w-]*):(?P<mtarget>[^\s\[\]]*)\[(?P<mtext>[^\]]*)\])"
    r"|(?P<attr>\{(?P<aname>[\w-]+)\})"
)
_MARKS = re.compile(r"(?<![\w\\])([*_#])\1?(?=\S)(.+?)(?<=\S)\1\1?(?![\w])|(?<![\w\\])\[[.#][\w.#-]*\]#(.+?)#")
_SUPER_SUB = re.compile(r"(?<!\\)\^(\S+?)\^|(?<!\\)~(\S+?)~")
_ESCAPE = re.compile(r"\\([*_`#+^~\[\]{}<\\])")


class _Inline:
    def __init__(self, attributes: dict[str, str]) -> None:
        self.attributes = attributes

    def text(self, text: str) -> str:
        """Plain text between constructs: formatting marks dropped, escapes undone."""
        for _ in range(3):  # nested marks ("*_both_*")
            new = _MARKS.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(3), text)
            if new == text:
                break
            text = new
        text = _SUPER_SUB.sub(lambda m: m.group(1) or m.group(2), text)
        return _ESCAPE.sub(r"\1", text)

    def attribute(self, name: str) -> str | None:
        if name in self.attributes:
            return self.attributes[name]
        return _BUILTIN_ATTRIBUTES.get(name)

    def __call__(self, source: str, line: int) -> list[Inline]:
        out: list[Inline] = [Text("", line)]
        last = 0
        for m in _INLINE.finditer(source):
            out.append(Text(self.text(source[last : m.start()])))
            last = m.end()
            kind = m.lastgroup
            if m.group("pass") is not None:
                out.append(Text(m.group("p3") if m.group("p3") is not None else m.group("pp")))
            elif m.group("code") is not None:
                code = m.group("c2") if m.group("c2") is not None else m.group("c1")
                if code.startswith("+") and code.endswith("+") and len(code) > 1:
                    code = code[1:-1]
                out += [Open("code"), Text(code), Close()]
            elif m.group("xref") is not None:
                label = m.group("xtext") or m.group("xid").replace("_", " ").replace("-", " ").strip()
                out += [Open("link", "#" + m.group("xid")), Text(self.text(label)), Close()]
            elif m.group("url") is not None:
                href = m.group("href")
                shown = m.group("utext")
                if not shown:
                    shown = href[len("mailto:"):] if href.startswith("mailto:") else href
                shown = shown.split(",", 1)[0] if shown and shown.count('"') == 0 and "=" in shown else shown
                out += [Open("link", href), Text(self.text(shown)), Close()]
            elif m.group("linkmacro") is not None:
                shown = m.group("ltext") or m.group("ltarget")
                out += [Open("link", m.group("ltarget")), Text(self.text(shown)), Close()]
            elif m.group("macro") is not None:
                out += self.macro(m.group("mname"), m.group("mtarget"), m.group("mtext"))
            elif kind == "attr" or m.group("attr") is not None:
                value = self.attribute(m.group("aname"))
                out.append(Text(m.group(0) if value is None else value))
        out.append(Text(self.text(source[last:])))
        return out

    def macro(self, name: str, target: str, text: str) -> list[Inline]:
        if name in ("image", "icon", "indexterm", "indexterm2", "anchor"):
            return [Text(text.split(",", 1)[0] if name == "indexterm2" else "")]
        if name in ("kbd", "btn", "footnote", "footnoteref", "pass", "stem", "latexmath", "asciimath"):
            shown = text.split(",", 1)[-1] if name == "footnoteref" else text
            return [Text(f"({shown})" if name.startswith("footnote") else shown)]
        if name == "menu":
            return [Text(" > ".join([target, *[p.strip() for p in text.split(">") if p.strip()]]))]
        if name == "xref":
            return [Open("link", target), Text(self.text(text or target)), Close()]
        # Any other macro (a project's own, e.g. a man-page reference): its target, then its text.
        return [Text(f"{target}({text})" if text and target else target or text)]


# --- blocks ---------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """What stands above the next block: anchors, attribute lines, a block title."""

    anchor: str | None = None
    anchor_line: int | None = None
    style: str | None = None
    title: tuple[int, str] | None = None
    lines: list[int] = field(default_factory=list)


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.attributes: dict[str, str] = {}
        self.inline = _Inline(self.attributes)
        self.outline = Outline()
        self.title: str | None = None

    def line(self, i: int) -> str:
        return self.lines[i] if i < len(self.lines) else ""

    # --- paragraphs and inline ---

    def paragraph(self, start: int, stop: int) -> list[Inline]:
        """Inline text of lines start..stop-1 (0-based); " +" at a line end is a hard break."""
        out: list[Inline] = []
        first, segment = start, []
        for i in range(start, stop):
            text = self.lines[i].strip()
            hard = text.endswith(" +") and i + 1 < stop
            segment.append(text[:-2] if hard else text)
            if hard or i + 1 == stop:  # inline markup may span the lines of one segment
                out += self.inline("\n".join(segment), first + 1)
                if hard:
                    out.append(Break(i + 2))
                first, segment = i + 1, []
        return out

    def _ends_paragraph(self, i: int) -> bool:
        text = self.line(i)
        return (not text.strip() or _delimiter(text) is not None or bool(_LIST.match(text))
                or bool(_LABEL.match(text)) or text.strip() == "+" or bool(_ANCHOR_LINE.match(text))
                or bool(_TITLE.match(text)) or text.startswith("//"))

    # --- the block loop ---

    def blocks(self, start: int, stop: int, prefix: str = "") -> int:
        """Read lines start..stop-1 (0-based) as blocks into the outline; returns where it stopped."""
        i = start
        pending = _Pending()
        while i < stop:
            text = self.lines[i]
            stripped = text.strip()
            if not stripped:
                i += 1
                continue
            if text.startswith("//") and not text.startswith("////"):
                i += 1
                continue
            if (m := _ATTRIBUTE_ENTRY.match(text)) and not prefix:
                self.attributes[m.group(1).strip("!")] = (m.group(2) or "").strip()
                i += 1
                continue
            if _DIRECTIVE.match(stripped):
                i += 1
                continue
            if m := _ANCHOR_LINE.match(stripped):
                pending.anchor, pending.anchor_line = m.group(1), i + 1
                i += 1
                continue
            if (m := _ATTRS_LINE.match(stripped)) and not _LABEL.match(text):
                attrs = m.group(1)
                first = attrs.split(",", 1)[0].strip()
                if first.startswith("#"):
                    pending.anchor, pending.anchor_line = re.split(r"[.%]", first[1:], maxsplit=1)[0], i + 1
                else:
                    pending.style = first.split("#", 1)[0].split(".", 1)[0].lower() or pending.style
                    ids = re.search(r"(?:^|,)\s*id=([\w:.-]+)", attrs)
                    if ids:
                        pending.anchor, pending.anchor_line = ids.group(1), i + 1
                i += 1
                continue
            if (m := _BLOCK_TITLE.match(text)) and not text.startswith(".."):
                pending.title = (i + 1, m.group(1))
                i += 1
                continue
            heading = self.heading_at(i)
            if heading is not None and not prefix:
                i = self.section(i, heading, pending)
                pending = _Pending()
                continue
            if pending.title is not None:
                line_of_title, title = pending.title
                title_block = text_block(line_of_title, self.inline(title, line_of_title), prefix=prefix)
                title_block.title_lines = 1  # ".Title": a block title, which may ask the question its block answers
                self.outline.block(title_block)
                pending.title = None
            delimiter = _delimiter(text)
            if delimiter is not None:
                i = self.delimited(i, delimiter, pending, prefix)
            elif _LABEL.match(text) and not text.startswith(" "):
                i = self.labelled_list(i, stop, pending, prefix)
            elif _LIST.match(text):
                i = self.list(i, stop, prefix)
            elif text[0] in " \t" and not prefix:
                j = i
                while j < stop and self.lines[j].strip():
                    j += 1
                self.outline.block(code_block([(n + 1, self.lines[n]) for n in range(i, j)]))
                i = j
            else:
                j = i + 1
                while j < stop and not self._ends_paragraph(j) and self.heading_at(j) is None:
                    j += 1
                inlines = self.paragraph(i, j)
                block = text_block(i + 1, inlines, prefix=prefix, tight=bool(prefix))
                block.title_lines = 1 if _EMPHASISED_LINE.match(text.strip()) else 0
                self.outline.block(block)
                i = j
            pending = _Pending()
        return i

    def heading_at(self, i: int) -> tuple[int, str, int] | None:
        """(level, title, lines it takes) when a section title starts at line i."""
        text = self.line(i)
        if m := _TITLE.match(text):
            return len(m.group(1)), m.group(2), 1
        following = self.line(i + 1)
        under = _UNDERLINE.match(following)
        if (under and text.strip() and not text[0].isspace() and _delimiter(text) is None
                and not _LIST.match(text) and not _LABEL.match(text)
                and abs(len(following.rstrip()) - len(text.rstrip())) <= 2 and re.search(r"\w", text)):
            return _SETEXT[under.group(1)], text.strip(), 2
        return None

    def section(self, i: int, heading: tuple[int, str, int], pending: _Pending) -> int:
        level, title, size = heading
        if level == 1 and self.title is None:
            self.title = " ".join(_plain_text(self.inline(title, i + 1)).split())
        inlines = self.inline(title, i + 1)
        anchor = pending.anchor or self.auto_id(title)
        self.outline.heading(Section(title=inlines, level=level, line=i + 1, title_end=i + size, anchor=anchor,
                                     lead_line=pending.anchor_line))
        return i + size

    def auto_id(self, title: str) -> str:
        """Asciidoctor's generated section id: "_" and the lower-cased title, words joined by "_"."""
        prefix = self.attributes.get("idprefix", "_")
        separator = self.attributes.get("idseparator", "_")
        words = re.sub(r"<[^>]*>|&\w+;|[^\w\s.-]", "", title.lower())
        return prefix + re.sub(r"[\s.-]+", separator, words).strip(separator)

    def delimited(self, i: int, delimiter: str, pending: _Pending, prefix: str) -> int:
        opener = self.lines[i].rstrip()
        j = i + 1
        while j < len(self.lines) and self.lines[j].rstrip() != (opener if delimiter != "```" else "```"):
            j += 1
        kind = _DELIMITERS[delimiter]
        if pending.style in ("source", "listing", "literal") or delimiter in ("----", "...."):
            kind = "code" if kind != "skip" else kind
        if pending.style == "comment":
            kind = "skip"
        if kind == "code":
            self.outline.block(code_block([(n + 1, self.lines[n]) for n in range(i + 1, j)], prefix=prefix,
                                          tight=bool(prefix)))
        elif kind == "blocks":
            self.blocks(i + 1, j, prefix)
        elif kind == "table":
            for n in range(i + 1, j):
                row = self.lines[n].strip()
                if row.startswith("|"):
                    cells = [c.strip() for c in row.split("|")[1:]]
                    self.outline.block(text_block(n + 1, self.inline(" | ".join(cells), n + 1), prefix=prefix,
                                                  tight=n > i + 1))
        elif kind == "html":
            tree = parse_html("\n".join(self.lines[i + 1 : j]))
            if tree is not None:
                walker = HtmlWalker(self.outline, first_line=i + 2)
                walker.children(tree.find("body") if tree.find("body") is not None else tree)
                walker.flush()
        return min(j + 1, len(self.lines))

    def attached(self, i: int, stop: int, prefix: str) -> tuple[int, int]:
        """Blocks attached to a list item with "+" lines; returns (next line, last line read, 1-based)."""
        last = i
        while i < stop and self.lines[i].strip() == "+":
            j = i + 1
            delimiter = _delimiter(self.line(j))
            if delimiter is not None:
                end = self.delimited(j, delimiter, _Pending(), prefix)
            elif _LIST.match(self.line(j)):
                end = self.list(j, stop, prefix)
            else:
                end = j
                while end < stop and not self._ends_paragraph(end):
                    end += 1
                if end > j:
                    self.outline.block(text_block(j + 1, self.paragraph(j, end), prefix=prefix, tight=False))
            last, i = end, end
        return i, last

    def labelled_list(self, i: int, stop: int, pending: _Pending, prefix: str) -> int:
        from ..structure import is_question_title

        marker = _LABEL.match(self.lines[i]).group(3)
        # A first pass into a scratch outline finds the items; then the terms decide how they read.
        saved, self.outline = self.outline, Outline()
        items: list[int] = []
        j = i
        try:
            while j < stop:
                m = _LABEL.match(self.lines[j])
                items.append(j)
                end, _ = self._item_body(j, stop, marker, m.group(4), prefix)
                j = self._next_term(end, stop, marker)
                if j is None:
                    break
        finally:
            self.outline = saved
        qanda = pending.style == "qanda"
        as_sections = qanda or any(is_question_title(self.inline_plain(_LABEL.match(self.lines[n]).group(2), n + 1))
                                   for n in items)
        end = i
        for n in items:
            m = _LABEL.match(self.lines[n])
            anchor, lead = m.group(1), None
            if n == i and pending.anchor:
                anchor, lead = anchor or pending.anchor, pending.anchor_line
            elif (above := self._anchor_above(n)) is not None:
                lead = above
                anchor = anchor or _ANCHOR_LINE.match(self.lines[above - 1].strip()).group(1)
            term = self.inline(m.group(2), n + 1)
            if as_sections:
                self.outline.open(Section(title=term, level=0, line=n + 1, anchor=anchor, explicit=qanda,
                                          lead_line=lead))
                body_prefix = prefix
            else:
                self.outline.block(text_block(n + 1, term, prefix=prefix, tight=bool(prefix)))
                body_prefix = prefix + "  "
            end, last = self._item_body(n, stop, marker, m.group(4), body_prefix)
            if as_sections:
                self.outline.close(self._last_text_line(n + 1, last))
        return end

    def _next_term(self, j: int, stop: int, marker: str) -> int | None:
        """The line of the list's next term after line j (blank lines, comments and an anchor line
        may stand between), or None when the list ends."""
        while j < stop and (not self.lines[j].strip() or self.lines[j].startswith("//")
                            or _ANCHOR_LINE.match(self.lines[j].strip())):
            j += 1
        m = _LABEL.match(self.line(j)) if j < stop else None
        return j if m and m.group(3) == marker and not self.lines[j].startswith(" ") else None

    def _anchor_above(self, i: int) -> int | None:
        return i if i >= 1 and _ANCHOR_LINE.match(self.lines[i - 1].strip()) else None

    def _last_text_line(self, first: int, last: int) -> int:
        while last > first and not self.lines[last - 1].strip():
            last -= 1
        return last

    def inline_plain(self, text: str, line: int) -> str:
        return " ".join(_plain_text(self.inline(text, line)).split())

    def _item_body(self, i: int, stop: int, marker: str, same_line: str | None, prefix: str) -> tuple[int, int]:
        """Read an item's description and attached blocks; returns (next line, last line read)."""
        j = i + 1
        last = i + 1
        if same_line:
            k = j
            while k < stop and self.lines[k].strip() and not self._ends_paragraph(k):
                k += 1
            inlines = self.inline(same_line.strip(), i + 1)
            if k > j:
                inlines += [Text("\n"), *self.paragraph(j, k)]
            self.outline.block(text_block(i + 1, inlines, prefix=prefix, tight=bool(prefix)))
            j = last = k
        else:
            k = j
            while k < stop and not self.lines[k].strip():
                k += 1
            if k < stop and self._principal_paragraph(k):
                end = k + 1
                while end < stop and not self._ends_paragraph(end) and self.heading_at(end) is None:
                    end += 1
                self.outline.block(text_block(k + 1, self.paragraph(k, end), prefix=prefix, tight=bool(prefix)))
                j = last = end
            elif k < stop and self.lines[k][0] in " \t" and not _LIST.match(self.lines[k]):
                end = k
                while end < stop and self.lines[end].strip() and not self._ends_paragraph(end) or (
                        end < stop and self.lines[end][:1] in (" ", "\t") and self.lines[end].strip()):
                    end += 1
                self.outline.block(text_block(k + 1, self.paragraph(k, end), prefix=prefix, tight=bool(prefix)))
                j = last = end
            elif k < stop and _LIST.match(self.lines[k]):
                j = self.list(k, stop, prefix + "  ")
                last = j
        while True:
            k = j
            while k < stop and not self.lines[k].strip():
                k += 1
            if k < stop and self.lines[k].strip() == "+":
                j, last = self.attached(k, stop, prefix)
                continue
            if k < stop and _LIST.match(self.lines[k]) and self.lines[k][0] in " \t":
                j = last = self.list(k, stop, prefix + "  ")
                continue
            break
        return j, last

    def _principal_paragraph(self, k: int) -> bool:
        """Line k starts a plain paragraph: the description of a term written below it."""
        text = self.lines[k]
        return (text[0] not in " \t" and not self._ends_paragraph(k) and self.heading_at(k) is None
                and not _ATTRS_LINE.match(text.strip()) and not _ATTRIBUTE_ENTRY.match(text))

    def list(self, i: int, stop: int, prefix: str) -> int:
        """An ordered or unordered list; items one a line with their marker."""
        number = 0
        first = True
        while i < stop:
            m = _LIST.match(self.lines[i])
            if not m:
                break
            mark = m.group(1)
            depth = len(mark) - 1 if mark[0] in "*." and len(set(mark)) == 1 else 0
            ordered = mark[0] == "." or mark[0].isdigit() or (len(mark) == 2 and mark[1] == ".")
            number += 1
            marker = f"{number}. " if ordered else "- "
            j = i + 1
            while j < stop and self.lines[j].strip() and not self._ends_paragraph(j):
                j += 1
            inlines = self.inline(m.group(2), i + 1)
            if j > i + 1:
                inlines += [Text("\n"), *self.paragraph(i + 1, j)]
            item_prefix = prefix + "  " * depth + marker
            self.outline.block(text_block(i + 1, inlines, prefix=item_prefix, tight=not first or bool(prefix)))
            first = False
            i = j
            if i < stop and self.lines[i].strip() == "+":
                i, _ = self.attached(i, stop, " " * len(item_prefix))
            k = i
            while k < stop and not self.lines[k].strip():
                k += 1
            if k < stop and _LIST.match(self.lines[k]) and (k == i or k - i <= 1):
                i = k
                continue
            break
        return i


# A line that is one bold or italic span ("*How do I ...?*", "**...**", "_..._").
_EMPHASISED_LINE = re.compile(r"^(\*\*|\*|__|_)(?=\S)(.*\S)\1$")


def _plain_text(inlines: list[Inline]) -> str:
    return "".join(p.text for p in inlines if isinstance(p, Text))


def read_asciidoc(text: str) -> Document:
    """Read an AsciiDoc FAQ into sections (see the module docstring)."""
    lines = split_lines(text)
    reader = _Reader(lines)
    reader.blocks(0, len(lines))
    title = reader.attributes.get("doctitle") or reader.title
    return reader.outline.finish(lines, title=title)
