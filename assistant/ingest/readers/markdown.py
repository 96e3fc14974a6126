"""Markdown FAQs, read with markdown-it-py (CommonMark, with tables, strikethrough, front matter and
definition lists from mdit-py-plugins): its block tokens carry the source lines they span.

Headings (ATX "##" and setext underlines) make sections; so do HTML headings written as HTML blocks
(`<h3 name="...">`) and `<details><summary>` blocks. A definition list whose terms ask questions is one
section per term. Front matter gives the title and URL; a heading's anchor is its `{#id}`, a MyST
`(label)=` line above it, an HTML id, or else the slug GitHub makes of its text. Code (fenced or
indented) is never read for structure.
"""

from __future__ import annotations

import re

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..document import (
    Break,
    Close,
    Document,
    Inline,
    Open,
    Outline,
    Section,
    Text,
    code_block,
    plain,
    split_inline_lines,
    strip_inline_prefix,
    text_block,
)
from ..lines import normalize_newlines, split_lines
from ..structure import ANSWER_PREFIX, NUMBERED_TITLE, QUESTION_PREFIX
from .html import HtmlWalker, only_tags, parse_html, scan_tags
from .tables import question_answer_columns

_ATTRIBUTES = re.compile(r"\s*\{#([^\s}]+)[^}]*\}\s*$")  # "## Title {#anchor .class}"
_MYST_TARGET = re.compile(r"^\(([^()\s]+)\)=$")
_CODE_TAGS = frozenset("code kbd samp tt var".split())
# The longest first paragraph of a list item read as an entry's title (a question, or an error message).
MAX_ITEM_TITLE = 300


def _parser() -> MarkdownIt:
    # Inline parsing is left to `_Reader.inlines`, one paragraph at a time: the inline tokens of a
    # whole large file at once would take many times the file's size in memory.
    return (MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
            .use(front_matter_plugin).use(deflist_plugin).disable("inline"))


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _front_matter(content: str) -> dict:
    try:
        data = yaml.safe_load(content)
    except (yaml.YAMLError, RecursionError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Reader:
    def __init__(self, outline: Outline) -> None:
        self.outline = outline
        self.lists: list[list] = []  # [ordered, next number] per open list
        self.prefix = ""
        self.tight = False
        self.pending_anchor: str | None = None
        self.anchor_line: int | None = None  # where the pending anchor was written
        self.slugs: dict[str, int] = {}
        self.meta: dict = {}
        self.first_h1: str | None = None
        self.heading_level = 0  # the level of the last heading: a paragraph title sits one below
        self.heading_asks = False  # ... or beside it, when the heading is a question
        self.paragraph_section: Section | None = None  # the open paragraph title, if any
        self.numbered_titles = False  # the last paragraph title was numbered, in a run where one asked
        self.deflists: list[bool] = []  # per open definition list: its terms are sections
        self.md = _parser()
        self.env: dict = {}  # link reference definitions, for the inline parser
        self.term_open = False
        self.entry_lists: list[int] = []  # levels of the open lists whose items are entries
        self.entry_list_seen = False  # once one list is, a section holding a one-item list is too

    # --- inline text ---

    def inlines(self, token, first_line: int) -> list[Inline]:
        line = first_line
        out: list[Inline] = [Text("", line)]
        children = token.children
        if not children and token.content:
            children = self.inline_tokens(token.content)
        for child in children or []:
            kind = child.type
            if kind == "text":
                out.append(Text(child.content))
            elif kind == "softbreak":
                line += 1
                out.append(Text("\n"))
            elif kind == "hardbreak":
                line += 1
                out.append(Break(line))
            elif kind == "code_inline":
                out += [Open("code"), Text(child.content), Close()]
            elif kind == "link_open":
                out.append(Open("link", child.attrs.get("href")))
            elif kind == "link_close":
                out.append(Close())
            elif kind == "html_inline":
                out += self.inline_html(child.content)
                if "\n" in child.content:
                    line += child.content.count("\n")
                    out.append(Text("", line))
        return out

    @staticmethod
    def inline_html(snippet: str) -> list[Inline]:
        """Inline HTML tags: links, code and line breaks keep their meaning; other tags vanish."""
        out: list[Inline] = []
        for kind, tag, attrs in scan_tags(snippet):
            if tag == "br":
                out.append(Break())
            elif tag == "a" and kind == "start" and "href" in attrs:
                out.append(Open("link", attrs["href"]))
            elif tag in _CODE_TAGS and kind == "start":
                out.append(Open("code"))
            elif (tag == "a" or tag in _CODE_TAGS) and kind == "end":
                out.append(Close())
        return out

    def inline_tokens(self, content: str) -> list:
        """The inline tokens of one paragraph or title (markdown-it's inline parser, run on demand)."""
        children: list = []
        self.md.inline.parse(content, self.md, self.env, children)
        return children

    # --- blocks ---

    def block(self, line: int, inlines: list[Inline], bold: bool = False, title_lines: int = 0) -> None:
        text = plain(inlines)
        if m := _MYST_TARGET.match(text):
            self.pending_anchor, self.anchor_line = m.group(1), line
            return
        if not self.lists and self.paragraph_title(line, inlines, bold):
            return
        block = text_block(line, inlines, prefix=self.prefix, tight=self.tight)
        block.title_lines = title_lines
        self.outline.block(block)
        self._after_block()

    def paragraph_title(self, line: int, inlines: list[Inline], bold: bool) -> bool:
        """A paragraph written as a question title: "Q: ...?" (its answer may follow after "A:"), or
        a question set in bold on its own. It opens a section one level below the last heading."""
        from ..structure import is_question_title

        lines = split_inline_lines(inlines)
        first = plain(lines[0])
        explicit = bool(QUESTION_PREFIX.match(first))
        # Numbered bold titles make one outline: once a numbered one asks a question, the next
        # numbered ones are titles too, statements or not ("**3. It crashes when a third joins**").
        numbered = bold and len(lines) == 1 and bool(NUMBERED_TITLE.match(first))
        asking = bold and is_question_title(plain(inlines))
        if not explicit and not asking and not (numbered and self.numbered_titles):
            return False
        self.numbered_titles = numbered and (asking or self.numbered_titles)
        head = next((n for n, part in enumerate(lines) if n and ANSWER_PREFIX.match(plain(part))), len(lines))
        title = [piece for part in lines[:head] for piece in (*part, Text(" "))]
        if explicit:
            strip_inline_prefix(title, QUESTION_PREFIX)
        self.title_section(line, title, title_end=line + head - 1, explicit=explicit)
        if head < len(lines):
            answer = [piece for n, part in enumerate(lines[head:])
                      for piece in ((Text("\n"),) if n else ()) + tuple(part)]
            strip_inline_prefix(answer, ANSWER_PREFIX)
            self.outline.block(text_block(line + head, answer))
        return True

    def _after_block(self) -> None:
        if self.prefix.strip():  # later blocks of the same list item stand under its text
            self.prefix = " " * len(self.prefix)
        self.tight = bool(self.lists)

    def heading(self, level: int, line: int, end: int, inlines: list[Inline], anchor: str | None = None) -> None:
        from ..structure import is_question_title

        last = inlines[-1] if inlines else None
        if isinstance(last, Text) and (m := _ATTRIBUTES.search(last.text)):
            anchor = anchor or m.group(1)
            last.text = last.text[: m.start()]
        title = plain(inlines)
        if anchor is None and self.pending_anchor is None:
            slug = github_slug(title)
            count = self.slugs.get(slug, 0)
            self.slugs[slug] = count + 1
            anchor = slug if count == 0 else f"{slug}-{count}"
        section = Section(title=inlines, level=level, line=line, title_end=end,
                          anchor=anchor or self.pending_anchor, lead_line=self.anchor_line)
        self.pending_anchor = self.anchor_line = None
        if level == 1 and self.first_h1 is None:
            self.first_h1 = title
        self.prefix, self.tight = "", False
        self.heading_level = level
        self.heading_asks = is_question_title(title)
        self.paragraph_section = None
        self.numbered_titles = False
        self.outline.heading(section)

    def open_container(self, section: Section) -> None:
        """A <details> or a question term: beside a paragraph title, not inside it."""
        if self.paragraph_section is not None:
            self.outline.leave(self.paragraph_section)
            self.paragraph_section = None
        self.outline.open(section)

    def html_block(self, content: str, line: int, end: int) -> None:
        tags = scan_tags(content)
        opens = sum(1 for k, t, _ in tags if t == "details" and k == "start")
        closes = sum(1 for k, t, _ in tags if t == "details" and k == "end")
        if opens > closes:  # <details><summary>Q</summary> with the Markdown answer after it
            tree = parse_html(content)
            summary = tree.find(".//summary") if tree is not None else None
            walker = HtmlWalker(self.outline, first_line=line)
            title = walker.inline_of(summary) if summary is not None else []
            details = tree.find(".//details") if tree is not None else None
            anchor = details.get("id") if details is not None else None
            start = line + summary.sourceline - 1 if summary is not None and summary.sourceline else line
            self.open_container(Section(title=title, level=0, line=start, title_end=walker.line, anchor=anchor))
            self.prefix, self.tight = "", False
            return
        if closes > opens:  # </details>: the answer ends on the line before it (blank lines trimmed)
            self.outline.close(line - 1)
            return
        tree = parse_html(content)
        if tree is None:
            return
        body = tree.find("body")
        elements = list(body if body is not None else tree)
        if not elements:
            return
        walker = HtmlWalker(self.outline, first_line=line)
        walker.pending_anchor = self.pending_anchor
        walker.prefix, walker.tight = self.prefix, self.tight
        walker.children(body if body is not None else tree)
        walker.flush()
        self.pending_anchor = walker.pending_anchor
        if walker.first_h1 and self.first_h1 is None:
            self.first_h1 = walker.first_h1
        self._after_block()

    def code(self, token, line: int) -> None:
        first = line + 1 if token.type == "fence" else line
        info = token.info.strip()
        content = token.content
        if info.startswith("{") and "}" in info:  # a MyST directive, not code
            name = info[1 : info.index("}")].strip().lower()
            if name not in ("code", "code-block", "sourcecode", "code-cell"):
                self.directive(name, content, first)
                return
            content = "\n".join(t for t in content.split("\n") if not re.match(r"^:[\w-]+:", t))
        lines = [(first + n, t) for n, t in enumerate(content.split("\n"))]
        if lines and lines[-1][1] == "":
            lines.pop()
        self.outline.block(code_block(lines, prefix=self.prefix, tight=self.tight))
        self._after_block()

    def directive(self, name: str, content: str, first: int) -> None:
        """A MyST directive fence: admonitions and the like hold Markdown; a table of contents or an
        include holds nothing to read."""
        if name in ("contents", "toctree", "include", "literalinclude", "eval-rst", "raw"):
            return
        lines = content.split("\n")
        skip = 0
        while skip < len(lines) and re.match(r"^:[\w-]+:", lines[skip]):
            skip += 1
        self.read("\n".join(lines[skip:]), first_line=first + skip)

    # --- the token stream ---

    def read(self, text: str, first_line: int = 1) -> None:
        """Read Markdown text whose first line is `first_line` of the file (a directive's content is
        read where it stands)."""
        nested = first_line > 1
        tokens = self.md.parse(text, self.env)
        titles = _title_items(tokens)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            line = token.map[0] + first_line if token.map else None
            if kind == "front_matter" and not nested:
                self.meta = _front_matter(token.content)
            elif kind == "heading_open":
                inline = tokens[i + 1]
                self.heading(int(token.tag[1]), line, token.map[1] + first_line - 1, self.inlines(inline, line))
                i += 2
            elif kind == "paragraph_open":
                inline = tokens[i + 1]
                inline.children = self.inline_tokens(inline.content)
                if (anchored := _anchor_line(inline.children)) is not None:
                    # '<a name="faq1"></a>' on a line of its own over a bold question: the anchor is the
                    # question's, and the question starts on the next line.
                    name, rest = anchored
                    if _all_bold_children(rest):
                        inline.children = rest
                        self.pending_anchor, self.anchor_line = name, line
                        line += 1
                self.block(line, self.inlines(inline, line), bold=_all_bold(inline),
                           title_lines=_bold_lead_lines(inline))
                inline.children = None
                i += 2
            elif kind in ("fence", "code_block"):
                self.code(token, line)
            elif kind == "html_block":
                self.html_block(token.content, line, token.map[1] + first_line - 1)
            elif i in titles and not self.heading_asks:  # "1. Question?" over its answer (under a
                # question heading, such items are steps of that heading's answer)
                inline = tokens[i + 3]
                self.title_section(line, self.inlines(inline, line))
                i += 7  # the one-item list, up to its close
                continue
            elif kind in ("bullet_list_open", "ordered_list_open") and not self.lists and not self.heading_asks \
                    and _entry_list(tokens, i, 1 if self.entry_list_seen else 2):  # under a question: its answer
                self.entry_lists.append(token.level)
                self.entry_list_seen = True
            elif kind in ("bullet_list_close", "ordered_list_close") and self.entry_lists \
                    and token.level == self.entry_lists[-1]:
                self.entry_lists.pop()
                self.close_item()
            elif kind == "list_item_open" and self.entry_lists and token.level == self.entry_lists[-1] + 1:
                self.close_item()
                inline = tokens[i + 2]  # the item's first paragraph: its title
                title_line = tokens[i + 1].map[0] + first_line
                self.open_container(Section(title=self.inlines(inline, title_line), level=0, line=title_line,
                                            title_end=tokens[i + 1].map[1] + first_line - 1))
                self.term_open = True
                self.prefix, self.tight = "", False
                i += 4  # list_item_open, paragraph_open, inline, paragraph_close
                continue
            elif kind == "list_item_close" and self.entry_lists and token.level == self.entry_lists[-1] + 1:
                pass  # the item's section ends where the next one starts (or the list does)
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = token.attrs.get("start", 1)
                self.lists.append([kind == "ordered_list_open", int(start), token.markup or "."])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                if self.lists:
                    self.lists.pop()
                self.prefix = "  " * len(self.lists) if self.lists else ""
                self.tight = bool(self.lists)
            elif kind == "list_item_open" and self.lists:
                ordered, number, mark = self.lists[-1]
                self.lists[-1][1] += 1
                marker = f"{number}{')' if mark == ')' else '.'} " if ordered else "- "
                self.prefix = "  " * (len(self.lists) - 1) + marker
            elif kind == "list_item_close":
                self.prefix = "  " * len(self.lists) if len(self.lists) > 1 else ""
                self.tight = True
            elif kind == "dl_open":
                self.deflists.append(self._terms_ask(tokens, i))
            elif kind == "dl_close":
                if self.deflists and self.deflists.pop() and self.term_open:
                    self.outline.close()
                    self.term_open = False
            elif kind == "dt_open":
                inline = tokens[i + 1]
                if self.deflists and self.deflists[-1]:
                    if self.term_open:
                        self.outline.close()
                    self.open_container(Section(title=self.inlines(inline, line), level=0, line=line))
                    self.term_open = True
                    self.prefix, self.tight = "", False
                else:
                    self.block(line, self.inlines(inline, line))
                i += 2
            elif kind == "table_open" and not self.lists and (end := self.qa_table(tokens, i, first_line)):
                i = end
            elif kind == "tr_open":
                i = self.table_row(tokens, i, line)
            elif kind == "hr":
                self.tight = False
            i += 1

    def title_section(self, line: int, inlines: list[Inline], title_end: int | None = None,
                   explicit: bool = False) -> None:
        """A question titled by a paragraph or a list item of its own, not a heading: a section below
        a category heading, beside a question heading (two ways of writing one list)."""
        level = self.heading_level + (0 if self.heading_asks else 1)
        self.paragraph_section = Section(title=inlines, level=level, line=line, title_end=title_end or line,
                                         explicit=explicit, anchor=self.pending_anchor, lead_line=self.anchor_line)
        self.outline.heading(self.paragraph_section)
        self.pending_anchor = self.anchor_line = None
        self.prefix, self.tight = "", False

    def close_item(self) -> None:
        """End the section of the item of an entry list that is open, if any."""
        if self.term_open:
            self.outline.close()
            self.term_open = False

    @staticmethod
    def _terms_ask(tokens, start: int) -> bool:
        from ..structure import is_question_title

        depth = 0
        for j in range(start, len(tokens)):
            kind = tokens[j].type
            depth += kind == "dl_open"
            depth -= kind == "dl_close"
            if depth == 0:
                break
            if depth == 1 and kind == "dt_open" and is_question_title(tokens[j + 1].content):
                return True
        return False

    def qa_table(self, tokens, start: int, first_line: int) -> int:
        """A table of questions and their answers (`question_answer_columns`): a section per row.
        Returns the index of the table's close, or 0 when the table is not one."""
        rows: list[tuple[int, list]] = []  # (line, the cells' inline tokens)
        j = start + 1
        while j < len(tokens) and tokens[j].type != "table_close":
            if tokens[j].type == "tr_open":
                rows.append(((tokens[j].map or [0])[0] + first_line, []))
            elif tokens[j].type == "inline" and rows:
                rows[-1][1].append(tokens[j])
            j += 1
        columns = question_answer_columns([[cell.content for cell in cells] for _, cells in rows])
        if columns is None:
            return 0
        question, answer, header = columns
        for line, cells in rows[header:]:
            if max(question, answer) < len(cells) and cells[question].content.strip():
                self.title_section(line, self.inlines(cells[question], line), explicit=True)
                self.outline.block(text_block(line, self.inlines(cells[answer], line)))
                # The answer is the cell: what follows the table is not in it.
                self.outline.leave(self.paragraph_section)
                self.paragraph_section = None
        return j

    def table_row(self, tokens, i: int, line: int) -> int:
        cells: list[Inline] = []
        j = i + 1
        while j < len(tokens) and tokens[j].type != "tr_close":
            if tokens[j].type == "inline":
                if cells:
                    cells.append(Text(" | "))
                cells += self.inlines(tokens[j], line)
            j += 1
        self.outline.block(text_block(line, cells, prefix=self.prefix, tight=self.tight))
        self.tight = True
        return j


def _entry_list(tokens, start: int, least: int = 2) -> bool:
    """Whether the list opening at `start` is a list of FAQ entries: it is all its section holds (a
    heading just before it, the next heading or the end just after), it has two or more items, and
    each item opens with a short paragraph (the question, or the problem as the user sees it) that
    the rest of the item answers. `least`: the fewest items (1 once the file has shown the style)."""
    if start == 0 or tokens[start - 1].type != "heading_close":
        return False
    level = tokens[start].level
    items = 0
    j = start + 1
    while j < len(tokens) and tokens[j].level > level:
        if tokens[j].type == "list_item_open" and tokens[j].level == level + 1:
            first = tokens[j + 1] if j + 1 < len(tokens) else None
            if first is None or first.type != "paragraph_open" or len(tokens[j + 2].content) > MAX_ITEM_TITLE:
                return False
            after = tokens[j + 4] if j + 4 < len(tokens) else None  # the block after the title's paragraph
            if after is None or after.type == "list_item_close":
                return False
            items += 1
        j += 1
    end = j + 1  # after the list's close token
    return items >= least and (end >= len(tokens) or tokens[end].type == "heading_open")


def _title_items(tokens) -> set[int]:
    """Where a top-level list of one item, one line long, is a question whose answer is what follows
    it: a list just below it ("1. Question?" over "  - answer" indented too little to nest, so
    CommonMark reads two lists) or paragraphs at the margin ("1. Question?", a blank line, the
    answer; "2. ..." then opens a new list). The token indices of those one-item lists, when the
    file asks two or more questions so."""
    from ..structure import is_question_title

    lists = ("ordered_list_open", "bullet_list_open")
    item = ["list_item_open", "paragraph_open", "inline", "paragraph_close", "list_item_close"]
    found = []
    for i in range(len(tokens) - 7):
        shape = [t.type for t in tokens[i : i + 7]]
        one_line = tokens[i + 3].map and tokens[i + 3].map[1] - tokens[i + 3].map[0] == 1
        after = tokens[i + 7].type
        if (tokens[i].level == 0 and shape[0] in lists and shape[1:6] == item and one_line
                and shape[6] == shape[0].replace("open", "close")
                and ((after in lists and after != shape[0]) or after == "paragraph_open")):
            found.append(i)
    asking = [tokens[i].type for i in found if is_question_title(tokens[i + 3].content)]
    if len(asking) < 2:
        return set()
    # The questions' kind of list (the one-item answers below them have the other kind).
    kind = max(set(asking), key=asking.count)
    return {i for i in found if tokens[i].type == kind}


def _all_bold(token) -> bool:
    """The paragraph is one bold span ("**How do I ...?**")."""
    return _all_bold_children(token.children or [])


def _all_bold_children(children: list) -> bool:
    children = [c for c in children if not (c.type == "text" and not c.content.strip())]
    return (len(children) >= 3 and children[0].type == "strong_open" and children[-1].type == "strong_close"
            and not any(c.type == "strong_open" for c in children[1:-1]))


_EMPTY_ANCHOR = re.compile(r"""^<a\s[^>]*\b(?:name|id)\s*=\s*["']?([^"'\s>]+)[^>]*>$""", re.IGNORECASE)


def _anchor_line(children: list) -> tuple[str, list] | None:
    """(the anchor's name, the children after its line) when a paragraph's first line is only an
    empty anchor ('<a name="faq1"></a>'); None otherwise."""
    shown = [c for c in children if not (c.type == "text" and not c.content.strip())]
    if len(shown) < 3 or shown[0].type != "html_inline" or not (m := _EMPTY_ANCHOR.match(shown[0].content.strip())):
        return None
    n = 1
    if shown[n].type == "html_inline" and shown[n].content.strip().lower() == "</a>":
        n += 1
    if n >= len(shown) or shown[n].type != "softbreak":
        return None
    return m.group(1), children[children.index(shown[n]) + 1 :]


def _bold_lead_lines(token) -> int:
    """How many lines a bold span that opens the paragraph takes, when a line break or the end follows
    it ("**How do I ...?**" over its answer, in a list item); 0 when the paragraph opens otherwise."""
    children = token.children or []
    start = next((n for n, c in enumerate(children) if not (c.type == "text" and not c.content.strip())), None)
    if start is None or children[start].type != "strong_open":
        return 0
    close = next((n for n in range(start + 1, len(children)) if children[n].type == "strong_close"), None)
    if close is None:
        return 0
    after = [c for c in children[close + 1 :] if not (c.type == "text" and not c.content.strip())]
    if after and after[0].type not in ("softbreak", "hardbreak"):
        return 0
    return 1 + sum(c.type in ("softbreak", "hardbreak") for c in children[start:close])


def read_markdown(text: str) -> Document:
    """Read a Markdown FAQ into sections (see the module docstring)."""
    text = normalize_newlines(text)
    lines = split_lines(text)
    outline = Outline()
    reader = _Reader(outline)
    reader.read(text)
    meta = reader.meta
    title = meta.get("title") if isinstance(meta.get("title"), str) else None
    url = next((meta[k] for k in ("canonical_url", "canonical", "url")
                if isinstance(meta.get(k), str) and meta[k].startswith("http")), None)
    # An entry ends at its last line of text, not at a "</details>" or "</div>" line after it.
    return outline.finish(lines, title=title or reader.first_h1, url=url, blank=only_tags)
