"""reStructuredText FAQs, read with docutils: its doctree gives sections (however the title is
underlined), lists, literal blocks and references, each with its source line.

Sphinx adds roles (:ref:, :doc:, ...) and directives (versionadded, code-block, ...) that plain
docutils does not know; they are registered as generic ones so their text reads as text: a role shows
its title, a directive its content. A definition list or field list whose terms ask questions is one
section per term. The document title is the reST title; anchors are the section ids (an explicit
`.. _target:` first). Files are never included and raw HTML is never passed through.
"""

from __future__ import annotations

import re
import threading

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles
from docutils.parsers.rst.languages import en

from ..document import (
    Block,
    Close,
    Document,
    Inline,
    Open,
    Section,
    Text,
    code_block,
    finish_outline,
    text_block,
)
from ..lines import normalize_newlines, split_lines, without_extra_breaks

_SETTINGS = {
    "report_level": 5, "halt_level": 5, "warning_stream": False, "_disable_config": True,
    "file_insertion_enabled": False, "raw_enabled": False, "line_length_limit": 2**31,
    "pep_references": False, "rfc_references": False, "syntax_highlight": "none",
    "doctitle_xform": False, "sectsubtitle_xform": False, "docinfo_xform": False,
}
_ROLE = re.compile(r":([A-Za-z][\w.+:-]*):`")
_DIRECTIVE = re.compile(r"^\s*\.\.\s+([A-Za-z][\w.+:-]*)::", re.MULTILINE)
# Sphinx roles whose text is code; others (ref, doc, term, abbr ...) read as plain text.
_CODE_ROLES = frozenset("code command file kbd samp envvar option program makevar mailheader regexp token "
                        "func meth class mod attr obj data const exc".split())
# Sphinx directives that hold code, and those that hold nothing a reader sees.
_CODE_DIRECTIVES = frozenset("code-block sourcecode testcode testoutput doctest ipython prompt highlight-code "
                             "jupyter-execute".split())
_HIDDEN_DIRECTIVES = frozenset("toctree literalinclude include highlight index tabularcolumns graphviz "
                               "autosummary automodule autoclass autofunction automethod autoattribute "
                               "autoexception autodata currentmodule module".split())
_REGISTER = threading.Lock()


class _AnyOptions(dict):
    """An option spec that accepts every option (Sphinx directives take many)."""

    def __getitem__(self, key):
        return directives.unchanged

    def __contains__(self, key) -> bool:
        return True


class _GenericDirective(Directive):
    """A directive docutils does not know: its content is read as body text (or as code)."""

    has_content = True
    optional_arguments = 64
    final_argument_whitespace = True
    option_spec = _AnyOptions()

    def run(self):
        name = self.name.lower().rsplit(":", 1)[-1]
        if name in _HIDDEN_DIRECTIVES:
            return []
        if name in _CODE_DIRECTIVES:
            block = nodes.literal_block("\n".join(self.content), "\n".join(self.content))
            block.line = self.content_offset + 1
            return [block]
        container = nodes.container()
        if name in _COLLAPSIBLE_DIRECTIVES and self.arguments:  # ".. dropdown:: Question?" over its answer
            title = " ".join(self.arguments)  # the arguments are the title's words
            shown, _ = self.state.inline_text(title, self.lineno)
            heading = nodes.rubric(title, "", *shown)
            heading.line = self.lineno
            container["classes"].append(_COLLAPSIBLE)
            container += heading
        self.state.nested_parse(self.content, self.content_offset, container)
        return [container]


# Directives of Sphinx extensions that show their title and fold their content away (sphinx-design's
# dropdown, sphinx-togglebutton's toggle, ...): a question over its answer, as <details> in HTML.
_COLLAPSIBLE_DIRECTIVES = frozenset("dropdown details collapse collapsible toggle".split())
_COLLAPSIBLE = "faq-assistant-collapsible"


def _generic_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """A role docutils does not know: "title <target>" shows its title; code roles are literal."""
    text = nodes.unescape(text)
    m = re.match(r"^(.*?)\s*<([^<>]+)>$", text, re.DOTALL)
    shown = (m.group(1) if m and m.group(1) else m.group(2) if m else text).lstrip("~!")
    if name.rsplit(":", 1)[-1].lower() in _CODE_ROLES:
        return [nodes.literal(rawtext, shown)], []
    return [nodes.inline(rawtext, shown)], []


def _register_unknown(text: str) -> None:
    """Register the roles and directives the text uses that docutils does not know."""
    with _REGISTER:
        for name in set(_ROLE.findall(text)):
            if name not in roles._role_registry and name not in roles._roles and name.lower() not in en.roles:
                roles.register_local_role(name, _generic_role)
        for name in set(_DIRECTIVE.findall(text)):
            known = name in directives._directive_registry or name in directives._directives
            if not known and name.lower() not in en.directives:
                directives.register_directive(name, _GenericDirective)


# --- inline text ----------------------------------------------------------------------------------


def _inlines(node) -> list[Inline]:
    out: list[Inline] = []
    for child in node.children:
        if isinstance(child, nodes.Text):
            out.append(Text(str(child)))
        elif isinstance(child, (nodes.system_message, nodes.target, nodes.image, nodes.substitution_definition)):
            continue
        elif isinstance(child, nodes.literal):
            out += [Open("code"), *_inlines(child), Close()]
        elif isinstance(child, nodes.reference) and child.get("refuri"):
            out += [Open("link", child["refuri"]), *_inlines(child), Close()]
        elif isinstance(child, (nodes.footnote_reference, nodes.citation_reference)):
            out.append(Text(f"[{child.astext()}]"))
        else:
            out += _inlines(child)
    return out


# --- blocks ---------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.by_id: dict[str, Section] = {}

    def code_line(self, node) -> int:
        """The first line of a literal block: docutils numbers directive blocks after their content."""
        first = next((t.strip() for t in node.astext().split("\n") if t.strip()), "")
        hint = node.line or 1
        span = node.astext().count("\n") + 3
        for number in range(max(1, hint - span), min(len(self.lines), hint + 2) + 1):
            if first and self.lines[number - 1].strip() == first:
                return number
        return hint

    def body(self, node, section: Section, prefix: str = "", tight: bool = False) -> list[Block]:
        """The blocks of a body element (sections are handled by the caller)."""
        out: list[Block] = []
        if isinstance(node, (nodes.paragraph, nodes.rubric, nodes.attribution)):
            block = text_block(node.line or section.line, _inlines(node), prefix=prefix, tight=tight)
            block.title_lines = _title_lines(node)
            out.append(block)
        elif isinstance(node, (nodes.literal_block, nodes.doctest_block)):
            first = self.code_line(node)
            out.append(code_block([(first + n, t) for n, t in enumerate(node.astext().split("\n"))],
                                  prefix=prefix, tight=tight))
        elif isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            out += self.list_items(node, section, prefix)
        elif isinstance(node, (nodes.definition_list, nodes.field_list)):
            out += self.definitions(node, section, prefix)
        elif isinstance(node, nodes.line_block):
            for n, line in enumerate(node.findall(nodes.line)):
                out.append(text_block(line.line or section.line, _inlines(line), prefix=prefix, tight=n > 0))
        elif isinstance(node, (nodes.footnote, nodes.citation)):
            label = next((c.astext() for c in node.children if isinstance(c, nodes.label)), "")
            for n, child in enumerate(c for c in node.children if not isinstance(c, nodes.label)):
                out += self.body(child, section, prefix=f"[{label}] " if n == 0 else prefix)
        elif isinstance(node, nodes.table):
            for n, row in enumerate(node.findall(nodes.row)):
                cells: list[Inline] = []
                for entry in row.children:
                    if cells:
                        cells.append(Text(" | "))
                    for paragraph in entry.findall(nodes.paragraph):
                        cells += _inlines(paragraph)
                out.append(text_block(row.line or node.line or section.line, cells, prefix=prefix, tight=n > 0))
        elif isinstance(node, nodes.topic) and "contents" in node.get("classes", []):
            pass  # a generated table of contents
        elif isinstance(node, (nodes.comment, nodes.target, nodes.substitution_definition, nodes.system_message,
                               nodes.pending, nodes.raw, nodes.image, nodes.transition, nodes.meta,
                               nodes.title, nodes.subtitle, nodes.label)):
            pass
        elif isinstance(node, nodes.Element):
            for child in node.children:
                if not isinstance(child, nodes.section):
                    out += self.body(child, section, prefix=prefix)
                    prefix = " " * len(prefix)
        return out

    def list_items(self, node, section: Section, prefix: str) -> list[Block]:
        out: list[Block] = []
        indent = " " * len(prefix)
        number = node.get("start", 1)
        for n, item in enumerate(node.children):
            if not isinstance(item, nodes.list_item):
                continue
            marker = f"{number + n}. " if isinstance(node, nodes.enumerated_list) else "- "
            item_prefix = indent + marker
            for m, child in enumerate(item.children):
                blocks = self.body(child, section, prefix=item_prefix if m == 0 else indent + " " * len(marker))
                for block in blocks:
                    block.tight = True
                out += blocks
        if out:
            out[0].tight = False
        return out

    def definitions(self, node, section: Section, prefix: str) -> list[Block]:
        """A definition or field list as text: each term on its line, its description below it."""
        out: list[Block] = []
        for item in node.children:
            term = next((c for c in item.children if isinstance(c, (nodes.term, nodes.field_name))), None)
            if term is not None:
                out.append(text_block(term.line or item.line or section.line, _inlines(term), prefix=prefix))
            for child in item.children:
                if isinstance(child, (nodes.definition, nodes.field_body)):
                    for block in self.body(child, section, prefix=" " * len(prefix) + "  "):
                        block.tight = True
                        out.append(block)
        return out

    def term_sections(self, node, parent: Section) -> list[Section]:
        """A definition or field list whose terms ask questions: one section per term; a field list of
        ":Q:" and ":A:" fields: one section per question, its answer the ":A:" field after it."""
        from ..structure import is_question_title

        if isinstance(node, nodes.field_list) and (pairs := _question_fields(node)):
            return [self.question_field(question, answer, parent) for question, answer in pairs]

        items = [c for c in node.children if isinstance(c, (nodes.definition_list_item, nodes.field))]
        terms = [next((c for c in i.children if isinstance(c, (nodes.term, nodes.field_name))), None) for i in items]
        if not any(t is not None and is_question_title(" ".join(t.astext().split())) for t in terms):
            return []
        sections = []
        for item, term in zip(items, terms):
            line = (term.line if term is not None else None) or item.line or parent.line
            section = Section(title=_inlines(term) if term is not None else [], level=parent.level + 1, line=line)
            for child in item.children:
                if isinstance(child, (nodes.definition, nodes.field_body)):
                    section.blocks += self.body(child, section)
            section.end_line = max([line, *(self.last_line(b) for b in section.blocks)])
            sections.append(section)
        return sections

    def question_field(self, question, answer, parent: Section) -> Section:
        """A ":Q:" field (its body the question) and the ":A:" field after it (its body the answer)."""
        body = next((c for c in question.children if isinstance(c, nodes.field_body)), None)
        paragraphs = list(body.findall(nodes.paragraph)) if body is not None else []
        title = [piece for n, p in enumerate(paragraphs) for piece in ((Text(" "),) if n else ()) + tuple(_inlines(p))]
        line = (paragraphs[0].line if paragraphs else None) or question.line or parent.line
        section = Section(title=title, level=parent.level + 1, line=line, explicit=True)
        if answer is not None:
            for child in answer.children:
                if isinstance(child, nodes.field_body):
                    section.blocks += self.body(child, section)
        section.end_line = max([line, *(self.last_line(b) for b in section.blocks)])
        return section

    def collapsible(self, node, parent: Section) -> Section:
        """A folded block with a title (`_COLLAPSIBLE_DIRECTIVES`): a section, titled as it is shown."""
        heading, *content = node.children
        line = heading.line or node.line or parent.line
        section = Section(title=_inlines(heading), level=parent.level + 1, line=line)
        for child in content:
            section.blocks += self.body(child, section)
        section.end_line = max([line, *(self.last_line(b) for b in section.blocks)])
        return section

    def last_line(self, block: Block) -> int:
        if block.lines:
            return block.lines[-1][0]
        return block.line + sum(p.text.count("\n") for p in block.inlines if isinstance(p, Text))

    def section(self, node, parent: Section) -> Section:
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        underline = title.line if title is not None and title.line else (node.line or parent.line)
        line = max(1, underline - 1)
        if line >= 2 and re.match(r"^\s*([=\-~^*#+_.:`'\"])\1+\s*$", self.lines[line - 2]):
            line -= 1  # the title also has an overline
        ids = node.get("ids", [])
        section = Section(title=_inlines(title) if title is not None else [], level=parent.level + 1, line=line,
                          title_end=underline, anchor=ids[-1] if ids else None)
        for name in ids:
            self.by_id[name] = section
        self.fill(node, section)
        return section

    def fill(self, node, section: Section) -> None:
        """Read a section's (or the document's) children into `section`."""
        for child in node.children:
            if isinstance(child, nodes.section):
                section.children.append(self.section(child, section))
            elif isinstance(child, (nodes.definition_list, nodes.field_list)) and (
                    terms := self.term_sections(child, section)):
                section.children += terms
            elif isinstance(child, nodes.container) and _COLLAPSIBLE in child["classes"]:
                section.children.append(self.collapsible(child, section))
            elif _titled_question(child):  # ".. admonition:: Question?" or ".. topic:: Question?" over its answer
                section.children.append(self.collapsible(child, section))
            else:
                section.blocks += self.body(child, section)

    def attach_targets(self, doctree) -> None:
        """`.. _name:` lines just above a section title belong to that section, not the one before."""
        for target in doctree.findall(nodes.target):
            section = self.by_id.get(target.get("refid"))
            if section is not None and target.line and 0 < section.line - target.line <= 3:
                section.lead_line = target.line


def _title_lines(node) -> int:
    """How many lines of a paragraph's start are set apart as a title: a rubric's, or one bold or
    italic span that the paragraph opens with and ends or breaks the line after."""
    if isinstance(node, nodes.rubric):
        return node.astext().count("\n") + 1
    children = [c for c in node.children if not (isinstance(c, nodes.Text) and not str(c).strip())]
    if not isinstance(node, nodes.paragraph) or not children:
        return 0
    if not isinstance(children[0], (nodes.strong, nodes.emphasis)):
        return 0
    after = "".join(c.astext() for c in node.children[node.children.index(children[0]) + 1 :])
    if after.strip() and not after.lstrip(" \t").startswith("\n"):
        return 0
    return children[0].astext().count("\n") + 1


def _titled_question(node) -> bool:
    """An admonition, topic or sidebar whose title asks a question (generic admonitions have a title)."""
    from ..structure import is_question_title

    if not isinstance(node, (nodes.admonition, nodes.topic, nodes.sidebar)) or "contents" in node.get("classes", []):
        return False
    title = node.children[0] if node.children else None
    return isinstance(title, nodes.title) and is_question_title(" ".join(title.astext().split()))


_Q_FIELD = re.compile(r"q(uestion)?", re.IGNORECASE)
_A_FIELD = re.compile(r"a(nswer)?", re.IGNORECASE)


def _question_fields(node) -> list[tuple]:
    """The (":Q:" field, ":A:" field or None) pairs of a field list made only of such fields."""
    fields = [c for c in node.children if isinstance(c, nodes.field)]
    names = [next((c.astext().strip() for c in f.children if isinstance(c, nodes.field_name)), "") for f in fields]
    if not fields or not all(_Q_FIELD.fullmatch(n) or _A_FIELD.fullmatch(n) for n in names):
        return []
    pairs: list[tuple] = []
    for field, name in zip(fields, names):
        if _Q_FIELD.fullmatch(name):
            pairs.append((field, None))
        elif pairs and pairs[-1][1] is None:
            pairs[-1] = (pairs[-1][0], field)
    return pairs


def read_rst(text: str) -> Document:
    """Read a reStructuredText FAQ into sections (see the module docstring)."""
    text = normalize_newlines(text)
    lines = split_lines(text)
    _register_unknown(text)
    doctree = publish_doctree(without_extra_breaks(text), settings_overrides=_SETTINGS)
    reader = _Reader(lines)
    root = Section(title=[], level=0, line=1)
    reader.fill(doctree, root)
    reader.attach_targets(doctree)
    finish_outline(root, lines)
    # The document title: the one section everything else stands in (docutils' own promotion of it
    # is off, because it would also swallow a lone sub-section as a subtitle).
    top = root.children
    title = top[0].title_text if len(top) == 1 and top[0].children else None
    return Document(root=root, lines=lines, title=title)
