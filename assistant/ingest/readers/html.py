"""HTML FAQs, read with lxml (libxml2's forgiving HTML parser, which records each element's line).

Headings (<h1>-<h6>) make sections by their rank; a <details> is a section titled by its <summary>;
a <dl> whose terms ask questions is one section per term; a schema.org Question in microdata
(itemprop name / acceptedAnswer) is an explicit question and answer, and so is each Question of a
FAQPage in JSON-LD when the page shows no question of its own. Navigation, scripts, styles and
footers are page furniture and never read. The page title is <title> (else the first <h1>), the URL
<link rel="canonical">.

`HtmlWalker` is shared with the Markdown reader, which meets HTML blocks inside Markdown.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import lxml.etree
import lxml.html

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
    strip_inline_prefix,
    text_block,
)
from ..lines import normalize_newlines, split_lines
from ..structure import ANSWER_PREFIX, QUESTION_PREFIX
from .tables import question_answer_columns

_SKIP = frozenset("script style template noscript head nav footer iframe svg math select option "
                  "textarea object embed canvas audio video map".split())
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CODE = frozenset("code kbd samp tt var".split())
_BLOCKS = frozenset("p div section article main header aside blockquote figure figcaption center address "
                    "fieldset table thead tbody tfoot caption body html li dd dt hr".split())
_QUESTION_TYPES = ("question",)


# Page furniture by its ARIA role, or by a word of its id or class that names a page part which never
# holds the page's content (a pop-up of keyboard shortcuts, a menu, a sidebar, breadcrumbs).
_FURNITURE_ROLES = frozenset("navigation banner contentinfo search menu menubar dialog alertdialog toolbar".split())
_FURNITURE_WORDS = frozenset("popup modal sidebar navbar menubar toolbar breadcrumb breadcrumbs".split())
_WORDS = re.compile(r"[a-z]+")


def _furniture(element) -> bool:
    if (element.get("role") or "").lower() in _FURNITURE_ROLES or element.get("aria-hidden") == "true":
        return True
    names = f"{element.get('id') or ''} {element.get('class') or ''}".lower()
    return bool(names.strip()) and not _FURNITURE_WORDS.isdisjoint(_WORDS.findall(names))


# Class words that name a question (also in BEM and the like: "faq-question", "faq__question");
# "questions" names a list of them, not one.
_QUESTION_CLASS_WORDS = frozenset(("question",))


def _class_words(element) -> set[str]:
    """The words of an element's class attribute, split also at "-" and "_" ("faq__question")."""
    return set(re.split(r"[\s_-]+", (element.get("class") or "").lower())) - {""}


def _classed_question(element) -> bool:
    """The element's class says it is one question: a class word in `_QUESTION_CLASS_WORDS`, short
    text, and no question of that kind inside it."""
    if _QUESTION_CLASS_WORDS.isdisjoint(_class_words(element)):
        return False
    text = " ".join(element.text_content().split())
    return 0 < len(text) <= MAX_LEAD_CHARS and not any(
        _classed_question(child) for child in element.iterdescendants() if isinstance(child.tag, str))


def _question_button(element) -> bool:
    """A button that asks a question: the toggle of an accordion, which shows the answer below it
    (one inside a heading is that heading's text)."""
    text = " ".join(element.text_content().split())
    return (len(text) <= MAX_LEAD_CHARS and _is_question_term(text)
            and not any(_tag(a) in _HEADINGS for a in element.iterancestors()))


def _rows(table) -> list:
    """A table's rows in order, through its thead/tbody/tfoot (not those of tables inside it)."""
    return [r for part in (table, *(c for c in table if _tag(c) in ("thead", "tbody", "tfoot")))
            for r in part if _tag(r) == "tr"]


def _qa_columns(table) -> tuple[int, int, int] | None:
    rows = [[" ".join(c.text_content().split()) for c in row if _tag(c) in ("td", "th")] for row in _rows(table)]
    return question_answer_columns(rows)


def _leading_newlines(element) -> int:
    text = element.text or ""
    return text[: len(text) - len(text.lstrip())].count("\n")


def _tag(element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def _itemtype(element) -> str:
    return (element.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1].lower()


def _is_question_term(text: str) -> bool:
    from ..structure import is_question_title  # the shared rule; imported late to avoid a cycle

    return is_question_title(text)


class HtmlWalker:
    """Walks an element tree, emitting headings, containers and blocks into an `Outline`.

    Text lines come from each element's source line, advanced by the line breaks of the text read
    since; `first_line` shifts them when the HTML is a fragment of a larger file.
    """

    def __init__(self, outline: Outline, first_line: int = 1) -> None:
        self.outline = outline
        self.shift = first_line - 1
        self.line = first_line
        self.inlines: list[Inline] = []
        self.prefix = ""
        self.tight = False
        self.lists: list[list] = []  # [ordered, next number] per open list
        self.pending_anchor: str | None = None
        self.first_h1: str | None = None
        self.heading_level = 0  # the last heading's level, and whether it asks a question
        self.heading_asks = False
        self.answer_follows = False  # a "Q:" paragraph was read: the next text may open with "A:"

    # --- helpers ---

    def _at(self, element) -> None:
        """Resynchronise with the line libxml2 recorded for an element's start tag."""
        if element.sourceline is not None:
            self.line = element.sourceline + self.shift

    def _text(self, text: str | None) -> None:
        if text:
            self.inlines.append(Text(text, self.line))
            self.line += text.count("\n")

    def flush(self) -> None:
        """Ends the paragraph being read, as a block."""
        inlines, self.inlines = self.inlines, []
        line = next((p.line for p in inlines if isinstance(p, Text) and p.text.strip() and p.line), self.line)
        if self.answer_follows and any(isinstance(p, Text) and p.text.strip() for p in inlines):
            strip_inline_prefix(inlines, ANSWER_PREFIX)  # "A: ..." after a "Q: ..." paragraph
            self.answer_follows = False
        block = text_block(line, inlines, prefix=self.prefix, tight=self.tight)
        if not block.is_empty():
            self.outline.block(block)
            if self.prefix:  # the rest of a list item continues under its marker
                self.prefix = " " * len(self.prefix)
        self.tight = bool(self.lists)

    def inline_of(self, element) -> list[Inline]:
        """The inline text of an element (a title), read without disturbing the current paragraph."""
        saved, self.inlines = self.inlines, []
        self.inline_children(element)
        inlines, self.inlines = self.inlines, saved
        return inlines

    def inline_children(self, element) -> None:
        self._at(element)
        self._text(element.text)
        for child in element:
            self.node(child)
            self._text(child.tail)

    # --- the walk ---

    def children(self, element) -> None:
        self.inline_children(element)

    def node(self, element) -> None:
        tag = _tag(element)
        if not tag or tag in _SKIP or element.get("hidden") is not None or _furniture(element):
            return
        self._at(element)
        if element.get("itemscope") is not None and _itemtype(element) in _QUESTION_TYPES:
            self.question_item(element)
        elif tag in _HEADINGS:
            self.heading(element, _HEADINGS[tag])
        elif tag == "details":
            self.details(element)
        elif tag == "dl":
            self.definition_list(element)
        elif tag == "pre":
            self.pre(element)
        elif tag in ("ul", "ol", "menu"):
            self.list(element, ordered=tag == "ol")
        elif tag == "tr":
            self.row(element)
        elif tag == "br":
            self.inlines.append(Break(self.line))
        elif tag == "a":
            self.link(element)
        elif tag in _CODE:
            self.inlines.append(Open("code"))
            self.inline_children(element)
            self.inlines.append(Close())
        elif tag == "img":
            return
        elif tag == "p" and not self.lists and self.paragraph_title(element):
            return
        elif (tag in _BLOCKS and _classed_question(element)) or (tag == "button" and _question_button(element)):
            self.classed_question(element)
        elif tag == "table" and (columns := _qa_columns(element)) is not None:
            self.qa_table(element, columns)
        elif tag in _BLOCKS or tag == "li":
            self.flush()
            self.children(element)
            self.flush()
        else:
            self.inline_children(element)

    def heading(self, element, level: int) -> None:
        self.flush()
        line = self.line
        title = self.inline_of(element)
        anchor = element.get("id") or element.get("name") or self._inner_anchor(element) or self.pending_anchor
        self.pending_anchor = None
        section = Section(title=title, level=level, line=line, title_end=self.line, anchor=anchor)
        self.heading_level, self.heading_asks = level, _is_question_term(section.title_text)
        if level == 1 and self.first_h1 is None:
            self.first_h1 = section.title_text
        self.prefix, self.tight = "", False
        self.outline.heading(section)

    def paragraph_title(self, element) -> bool:
        """A paragraph that is one bold or italic question (<p><b>How do I ...?</b></p>, perhaps with
        its number and a link back up the page) or starts with "Q:" opens a section: beside the last
        heading when that asks a question, else below it."""
        text = " ".join(element.text_content().split())
        explicit = bool(QUESTION_PREFIX.match(text))
        lead = _emphasised_question(element)
        broken = None if explicit or lead is not None else _question_over_break(element)
        if not explicit and lead is None and broken is None:
            return False
        if broken is not None:
            lead = broken
        self.flush()
        line = self.line
        title = self.inline_of(element if explicit else lead)
        answer: list[Inline] = []
        if explicit:
            strip_inline_prefix(title, QUESTION_PREFIX)
            for n, piece in enumerate(title):  # "Q: ...?<br>A: ..." in one paragraph
                rest = "".join(p.text for p in title[n + 1 :] if isinstance(p, Text))
                if isinstance(piece, Break) and ANSWER_PREFIX.match(rest):
                    first = (piece.line or line) + rest[: len(rest) - len(rest.lstrip())].count("\n")
                    title, answer = title[:n], [Text("", first), *title[n + 1 :]]
                    strip_inline_prefix(answer, ANSWER_PREFIX)
                    break
        self.prefix, self.tight = "", False
        self.outline.heading(Section(title=title, level=self.question_level, line=line, title_end=self.line,
                                     explicit=explicit, anchor=element.get("id")))
        self.answer_follows = explicit and not answer
        if broken is not None:  # <p><b>How ...?</b><br>The answer.</p>: the rest of the paragraph answers
            self._text(broken.tail)
            for child in list(element)[element.index(broken) + 1 :]:
                self.node(child)
                self._text(child.tail)
            self.flush()
        if answer:
            self.outline.block(text_block(answer[0].line, answer))
        return True

    @property
    def question_level(self) -> int:
        """The level of a question titled by a paragraph, a row or a class, not a heading: beside the
        last heading when that asks a question, else below it."""
        return self.heading_level + (0 if self.heading_asks else 1)

    def text_question(self, element, anchor_of, lead_line: int | None = None) -> Section:
        """Open a section titled by an element's text, as one line (it may hold paragraphs, which a
        title does not), starting at the line of its first text (its tag may stand above a <p>)."""
        first = next((e for e in element.iter() if isinstance(e.tag, str) and (e.text or "").strip()), element)
        line = (first.sourceline + self.shift if first.sourceline else self.line) + _leading_newlines(first)
        self.prefix, self.tight = "", False
        section = Section(title=[Text(" ".join(element.text_content().split()), line)], level=self.question_level,
                          line=line, explicit=True, anchor=anchor_of.get("id") or self._inner_anchor(anchor_of),
                          lead_line=lead_line)
        self.outline.heading(section)
        return section

    def classed_question(self, element) -> None:
        """An element whose class says it is a question (<div class="question">, "faq-question"), or an
        accordion's button that asks one: a section whatever its wording; what follows it, up to the
        next question or heading, answers it."""
        self.flush()
        section = self.text_question(element, element)
        self.children(element)  # read to keep the line count, then dropped: it is the title
        self.flush()
        section.blocks.clear()
        section.title_end = max(section.line, self.line - (1 if self.line > section.line else 0))

    def qa_table(self, element, columns: tuple[int, int, int]) -> None:
        """A table of questions and their answers (`question_answer_columns`): a section per row."""
        question, answer, header = columns
        self.flush()
        for row in _rows(element)[header:]:
            cells = [c for c in row if _tag(c) in ("td", "th")]
            if max(question, answer) >= len(cells) or not cells[question].text_content().strip():
                continue
            section = self.text_question(cells[question], row)
            self.children(cells[answer])
            self.flush()
            self.outline.leave(section)  # the answer is the cell: what follows the table is not in it

    @staticmethod
    def _inner_anchor(element) -> str | None:
        for a in element.iter("a"):
            if a.get("href") is None and (a.get("id") or a.get("name")):
                return a.get("id") or a.get("name")
        return None

    def link(self, element) -> None:
        href = element.get("href")
        if href is None:
            if not (element.text or len(element)) and (element.get("id") or element.get("name")):
                self.pending_anchor = element.get("id") or element.get("name")
            self.inline_children(element)
            return
        self.inlines.append(Open("link", href))
        self.inline_children(element)
        self.inlines.append(Close())

    def details(self, element) -> None:
        summary = next((c for c in element if _tag(c) == "summary"), None)
        anchor = element.get("id") or (summary.get("id") if summary is not None else None)
        self.titled(element, summary, anchor, end_at_close=True)

    def titled(self, container, heading, anchor: str | None, end_at_close: bool) -> None:
        """A section from where the reading stands: titled by `heading` (a <summary>, a list item's
        emphasised lead; None: untitled), its answer the rest of `container`. It ends where `container`
        closes (`end_at_close`), else at its last line of text (finish_outline)."""
        self.flush()
        line = self.line
        title = self.inline_of(heading) if heading is not None else []
        self.outline.open(Section(title=title, level=0, line=line, title_end=self.line, anchor=anchor))
        self.prefix, self.tight = "", False
        self._text(container.text)
        for child in container:
            if child is not heading:
                self.node(child)
            self._text(child.tail)
        self.flush()
        self.outline.close(self.line if end_at_close else None)

    def question_item(self, element) -> None:
        """A schema.org Question in microdata: its name is the title, its accepted answer the body."""
        self.flush()
        name = next((e for e in element.iter() if e is not element and e.get("itemprop") == "name"), None)
        answer = next((e for e in element.iter() if e.get("itemprop") in ("acceptedAnswer", "suggestedAnswer")), None)
        line = self.line
        title = self.inline_of(name) if name is not None else []
        self.outline.open(Section(title=title, level=0, line=line, title_end=self.line, explicit=True,
                                  anchor=element.get("id")))
        body = answer if answer is not None else element
        text = next((e for e in body.iter() if e.get("itemprop") == "text"), body)
        for child in [text] if text is not element else list(element):
            if child is not name and name not in child.iter():
                self.node(child)
        self.flush()
        self.outline.close(self.line)

    def definition_list(self, element) -> None:
        self.flush()
        items = [c for c in element if _tag(c) in ("dt", "dd")]
        terms = [c for c in items if _tag(c) == "dt"]
        if not any(_is_question_term(" ".join(t.text_content().split())) for t in terms):
            for item in items:  # a glossary: terms and their descriptions, as text
                self.node(item)
                self._text(item.tail)
            self.flush()
            return
        open_term = False
        for item in items:
            self._at(item)
            if _tag(item) == "dt":
                self.flush()
                if open_term:
                    self.outline.close()
                line = self.line
                title = self.inline_of(item)
                self.outline.open(Section(title=title, level=0, line=line, title_end=self.line,
                                          anchor=item.get("id")))
                open_term = True
            else:
                self.node(item)
        self.flush()
        if open_term:
            self.outline.close(self.line)

    def question_list(self, element, leads: dict) -> None:
        """A list whose items each open with an emphasised title followed by its answer
        (<li><em>Troubles compiling ...</em><p>Usually ...</p></li>): one section per item, as for a
        <dl> of questions."""
        for item in element:
            if _tag(item) == "li":
                self.flush()
                self._at(leads[item])  # the entry starts at its title, not at the <li>
                self.titled(item, leads[item], item.get("id") or leads[item].get("id"), end_at_close=False)

    def pre(self, element) -> None:
        self.flush()
        text = element.text_content()
        line = self.line
        if text.startswith("\n"):  # HTML drops the line break right after <pre>
            text = text[1:]
            line += 1
        lines = [(line + n, t) for n, t in enumerate(text.split("\n"))]
        self.line = line + len(lines) - 1
        block = code_block(lines, prefix=self.prefix, tight=self.tight)
        self.outline.block(block)
        self.tight = bool(self.lists)

    def list(self, element, ordered: bool) -> None:
        self.flush()
        leads = _question_items(element)
        if leads:
            self.question_list(element, leads)
            return
        start = element.get("start")
        self.lists.append([ordered, int(start) if start and start.strip().lstrip("-").isdigit() else 1])
        saved = self.prefix
        indent = "  " * (len(self.lists) - 1)
        self._text(element.text)
        for child in element:
            if _tag(child) == "li":
                kind = self.lists[-1]
                marker = f"{kind[1]}. " if kind[0] else "- "
                kind[1] += 1
                self.flush()
                self.prefix = indent + marker
                self.children(child)
                self.flush()
                self.tight = True
            else:
                self.node(child)
        self.lists.pop()
        self.prefix = saved
        self.tight = False

    def row(self, element) -> None:
        self.flush()
        lead = _row_question(element)
        if lead is not None and _tag(lead) in ("td", "th"):  # DocBook: <tr class="question"><td>Q:</td><td><p>...
            # The row, its "Q:" label and anchors included, belongs to the question (the entry before ends above it).
            self.text_question(lead, element, lead_line=element.sourceline + self.shift if element.sourceline else None)
            return
        if lead is not None:  # <tr><td><b>1.1.</b></td><td><b>How ...?</b></td></tr>: a question
            self._at(lead)
            line = self.line
            self.prefix, self.tight = "", False
            self.outline.heading(Section(title=self.inline_of(lead), level=self.question_level, line=line,
                                         title_end=self.line, anchor=self._inner_anchor(element)))
            cell = lead.getparent()
            self._text(lead.tail)
            for child in cell[cell.index(lead) + 1 :]:  # a sample shown with the question: its answer's start
                self.node(child)
                self._text(child.tail)
            self.flush()
            return
        first = True
        answer_row = "answer" in _class_words(element)
        for cell in element:
            if answer_row and _A_LABEL.match(cell.text_content()):
                continue  # DocBook's "A:" label cell
            if _tag(cell) in ("td", "th") and cell.text_content().strip():  # an empty cell is layout
                if not first:
                    self.inlines.append(Text(" | "))
                self.inline_children(cell)
                first = False
        self.tight = True
        self.flush()
        self.tight = True


_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
_TAGS = re.compile(r"<[^<>]*>")
_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?")
_EMPHASIS = frozenset("b strong em i".split())
MAX_LEAD_CHARS = 300  # the longest emphasised lead of a list item read as a question's title
_ANSWER_BLOCKS = frozenset("p pre div ul ol dl blockquote table".split())


def _question_items(element) -> dict:
    """For a list of FAQ entries, each item's title element; empty for any other list.

    An FAQ list has two or more items, each opening with an emphasised title (nothing before it) and
    going on with block content (its answer), and at least one title asks a question."""
    items = [c for c in element if _tag(c) == "li"]
    leads = {}
    for item in items:
        children = [c for c in item if _tag(c)]
        if (item.text or "").strip() or not children or _tag(children[0]) not in _EMPHASIS:
            return {}
        if not any(_tag(c) in _ANSWER_BLOCKS for c in children[1:]):
            return {}
        text = " ".join(children[0].text_content().split())
        if not text or len(text) > MAX_LEAD_CHARS:
            return {}
        leads[item] = children[0]
    if len(leads) < 2 or not any(_is_question_term(" ".join(lead.text_content().split())) for lead in leads.values()):
        return {}
    return leads


def _emphasised_question(element):
    """The one bold or italic element of a paragraph that asks a question, when the paragraph holds
    nothing else but a number ("<b>3.</b>") and a link back up the page ("<a href="#top">^</a>")."""
    children = [c for c in element if _tag(c)]
    marks = [c for c in children if _tag(c) == "a" and (c.get("href") or "").startswith("#")
             and not any(ch.isalnum() for ch in c.text_content())]
    numbers = [c for c in children if _tag(c) in ("b", "strong") and _NUMBER.fullmatch(c.text_content().strip())]
    rest = [c for c in children if c not in marks and c not in numbers]
    if len(rest) != 1 or _tag(rest[0]) not in _EMPHASIS:
        return None
    loose = [element.text, *(c.tail for c in children)]
    if any((t or "").strip() for t in loose):
        return None
    return rest[0] if _is_question_term(" ".join(rest[0].text_content().split())) else None


def _question_over_break(element):
    """The bold or italic question a paragraph opens with, when a line break follows it and the answer
    the break ("<p><b>How do I ...?</b><br>The answer.</p>")."""
    children = [c for c in element if _tag(c)]
    if (element.text or "").strip() or len(children) < 2 or _tag(children[0]) not in _EMPHASIS:
        return None
    lead, after = children[0], children[1]
    if (lead.tail or "").strip() or _tag(after) != "br":
        return None
    rest = (after.tail or "") + "".join(c.text_content() + (c.tail or "") for c in children[2:])
    question = " ".join(lead.text_content().split())
    return lead if rest.strip() and len(question) <= MAX_LEAD_CHARS and _is_question_term(question) else None


_A_LABEL = re.compile(r"^\s*A(?:nswer)?\s*[:.)]?\s*$", re.IGNORECASE)
_Q_LABEL = re.compile(r"^\s*Q(?:uestion)?\s*(?:\d+[a-z]?)?\s*[:.)]?\s*$", re.IGNORECASE)


def _row_question(element):
    """The bold question a table row holds, when that is all it holds besides a number, anchors and a
    sample below it; in a row marked as a question (class "question", as DocBook's Q and A tables
    are), its first bold text that is not a number, whatever it says."""
    cells = [c for c in element if _tag(c) in ("td", "th")]
    bold = [b for cell in cells for b in cell if _tag(b) in ("b", "strong")
            and b.text_content().strip() and not _NUMBER.fullmatch(b.text_content().strip())]
    if "question" in _class_words(element):
        # Its first bold text that is more than a "Q:" label; else the cell that holds the question.
        asked = [b for b in bold if not _Q_LABEL.match(b.text_content())]
        texts = [c for c in cells if c.text_content().strip() and not _Q_LABEL.match(c.text_content())]
        return asked[0] if asked else texts[-1] if texts else None
    if len(bold) != 1 or not _is_question_term(" ".join(bold[0].text_content().split())):
        return None
    rest = " ".join(element.text_content().split()).replace(" ".join(bold[0].text_content().split()), "", 1)
    return bold[0] if not rest.strip() or _NUMBER.fullmatch(rest.strip()) else None


def only_tags(line: str) -> bool:
    """A line that shows nothing: blank, or only tags ("</td>", "</p></li>", "</details>")."""
    return not _TAGS.sub("", line).strip()


def _no_text(line: str) -> bool:
    """A line that shows no answer text: `only_tags`, or only the number of the next item ("<b>1.2.</b>")."""
    shown = _TAGS.sub("", line).strip()
    return not shown or _NUMBER.fullmatch(shown) is not None


def parse_html(text: str):
    """The lxml element tree of a page or fragment, or None when there is nothing to parse."""
    if not text.strip():
        return None
    # An XML declaration ("<?xml ... encoding=...?>", as XHTML pages open) makes lxml refuse a str;
    # the text is decoded already, so it goes (its line breaks stay, to keep line numbers).
    text = _XML_DECLARATION.sub(lambda m: "\n" * m.group(0).count("\n"), text, count=1)
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def _canonical_url(tree) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href", "").startswith("http"):
            return link.get("href").strip()
    for meta in tree.iter("meta"):
        if (meta.get("property") or "").lower() == "og:url" and (meta.get("content") or "").startswith("http"):
            return meta.get("content").strip()
    return None


def _json_ld_questions(tree) -> list[tuple[int, str, str]]:
    """(source line, question, answer HTML) of each Question of a schema.org FAQPage in JSON-LD."""
    found = []
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except (json.JSONDecodeError, RecursionError):
            continue
        source = script.text
        line = script.sourceline or 1
        for question in _questions_in(data):
            name = question.get("name")
            answer = question.get("acceptedAnswer") or question.get("suggestedAnswer")
            if isinstance(answer, list):
                answer = answer[0] if answer else None
            text = answer.get("text") if isinstance(answer, dict) else None
            if isinstance(name, str) and isinstance(text, str) and name.strip():
                at = source.find(name[:40])
                found.append((line + (source.count("\n", 0, at) if at >= 0 else 0), name, text))
    return found


def _questions_in(data, depth: int = 0) -> list[dict]:
    if depth > 20:
        return []
    if isinstance(data, list):
        return [q for item in data for q in _questions_in(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    kind = data.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "Question" in kinds:
        return [data]
    found = []
    for key in ("@graph", "mainEntity", "hasPart"):
        if key in data:
            found.extend(_questions_in(data[key], depth + 1))
    return found


def read_html(text: str) -> Document:
    """Read an HTML FAQ page (or fragment) into sections."""
    text = normalize_newlines(text)  # libxml2 counts a lone "\r" as no line break
    lines = split_lines(text)
    tree = parse_html(text)
    outline = Outline()
    if tree is None:
        return outline.finish(lines)
    walker = HtmlWalker(outline)
    body = tree.find("body")
    try:
        walker.children(body if body is not None else tree)
        walker.flush()
    except RecursionError:  # nesting deeper than Python's stack: keep what was read
        walker.flush()
    questions = _json_ld_questions(tree)
    from ..structure import asks

    if questions and not any(asks(s) for s in outline.root.walk() if s is not outline.root):
        for line, name, answer in questions:
            outline.open(Section(title=[Text(name, line)], level=0, line=line, explicit=True))
            fragment = parse_html(answer)
            if fragment is not None:
                inner = HtmlWalker(outline, first_line=line)
                inner.children(fragment.find("body") if fragment.find("body") is not None else fragment)
                inner.flush()
            outline.close(line)
    title_element = tree.find(".//title")
    title = " ".join(title_element.text_content().split()) if title_element is not None else None
    return outline.finish(lines, title=title or walker.first_h1, url=_canonical_url(tree), blank=_no_text)


class _TagScanner(HTMLParser):
    """Start and end tags of an HTML snippet, in order (for HTML blocks inside Markdown)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(("start", tag, {k: v or "" for k, v in attrs}))

    def handle_startendtag(self, tag, attrs):
        self.tags.append(("empty", tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        self.tags.append(("end", tag, {}))


def scan_tags(snippet: str) -> list[tuple[str, str, dict]]:
    """("start" | "end" | "empty", tag name, attributes) of each tag in `snippet`."""
    scanner = _TagScanner()
    try:
        scanner.feed(snippet)
        scanner.close()
    except (AssertionError, ValueError):
        pass
    return scanner.tags


__all__ = ["HtmlWalker", "parse_html", "read_html", "scan_tags"]
