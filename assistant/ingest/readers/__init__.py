"""One reader per format, each turning a file's text into a `Document` (a tree of titled sections
with their source lines): markdown (markdown-it-py), rst (docutils), html (lxml), asciidoc and org
(hand-written, following each format's documented syntax), text (plain-text conventions), and tables
(JSONL, CSV, TSV, YAML).
"""

from __future__ import annotations

from ..document import Document
from .asciidoc import read_asciidoc
from .html import read_html
from .markdown import read_markdown
from .org import read_org
from .rst import read_rst
from .tables import read_jsonl, read_table, read_yaml, sniff_delimiter
from .text import read_text

DOCUMENT_READERS = {"markdown": read_markdown, "rst": read_rst, "asciidoc": read_asciidoc, "html": read_html,
                    "org": read_org, "text": read_text}
MARKUP = ("markdown", "rst", "asciidoc", "html", "org")
NAMES = {"markdown": "Markdown", "rst": "reStructuredText", "asciidoc": "AsciiDoc", "html": "HTML", "org": "Org",
         "text": "plain text"}


def read(kind: str, text: str, where: str) -> Document:
    """Read `text` as format `kind`.

    A document the format's parser cannot take (nesting deeper than the parser's stack, or input that
    makes docutils fail) is read as plain text instead, with a note saying so.

    Raises:
        CorpusError: a table file (JSONL, CSV, TSV, YAML) is malformed; the message names the line.
    """
    if kind == "jsonl":
        return read_jsonl(text, where)
    if kind in ("csv", "tsv"):
        return read_table(text, where, "\t" if kind == "tsv" else sniff_delimiter(text))
    if kind == "yaml":
        return read_yaml(text, where)
    reader = DOCUMENT_READERS[kind]
    try:
        return reader(text)
    except RecursionError:
        reason = "nested too deeply"
    except Exception as exc:  # noqa: BLE001 - docutils fails on some malformed input; the build goes on
        if kind != "rst":
            raise
        reason = f"{type(exc).__name__}"
    document = read_text(text)
    document.notes.append(f"{where}: could not be read as {NAMES[kind]} ({reason}); read as plain text")
    return document


__all__ = ["DOCUMENT_READERS", "MARKUP", "NAMES", "read", "read_asciidoc", "read_html", "read_jsonl",
           "read_markdown", "read_org", "read_rst", "read_table", "read_text", "read_yaml"]
