"""Which format a file is in: by its extension, or by its content when the extension does not say
(".txt", or no extension, as in a project's `FAQ`).

Content is recognised by constructs only one format has: reST directives and title underlines,
AsciiDoc section markers, attribute entries and labelled lists, Org keywords and drawers, HTML
tags at the start of most lines, Markdown headings, fences and links. A file with none of them
is plain text.
"""

from __future__ import annotations

import re

# Formats by extension; None: decided by content.
SUFFIXES: dict[str, str | None] = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown", ".mkdn": "markdown",
    ".rst": "rst", ".rest": "rst",
    ".adoc": "asciidoc", ".asciidoc": "asciidoc",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".org": "org",
    ".jsonl": "jsonl", ".csv": "csv", ".tsv": "tsv", ".yaml": "yaml", ".yml": "yaml",
    ".txt": None, ".text": None, "": None,
}
DOCUMENT_FORMATS = ("markdown", "rst", "asciidoc", "html", "org", "text")

_FENCE = re.compile(r"^(?:```|~~~)", re.M)
_ATX_HEADING = re.compile(r"#{1,6} \S")
_SIGNS = {
    "rst": [re.compile(r"^\.\. [\w:-]+::", re.M), re.compile(r"^\.\. _[^:\n]+:", re.M),
            re.compile(r":[a-z]+:`[^`\n]+`"), re.compile(r"`[^`\n]+`_\b")],
    "asciidoc": [re.compile(r"^={1,5} \S", re.M), re.compile(r"^:[\w-]+:(?: |$)", re.M),
                 re.compile(r"^\[\[[\w:.-]+\]\]$", re.M),
                 re.compile(r"^\[(?:source|NOTE|TIP|WARNING|qanda)\b.*\]$", re.M),
                 re.compile(r"^\+$\n(?=\S)", re.M), re.compile(r"\b(?:link|xref|image):\S*\["),
                 re.compile(r"^\S.*[^:\s]::$\n(?:[ \t]+\S|\S)", re.M)],
    "org": [re.compile(r"^#\+\w+:", re.M), re.compile(r"^[ \t]*:PROPERTIES:$", re.M),
            re.compile(r"^#\+begin_\w+", re.M | re.I), re.compile(r"\[\[[^\]\n]+\]\[[^\]\n]+\]\]")],
    "markdown": [re.compile(r"\[[^\]\n]+\]\((?:https?://|/|#|\.)[^)\s]*\)"), re.compile(r"^\s*[-*] \[[ x]\] ", re.M)],
}
_HTML_LINE = re.compile(r"^\s*</?[a-zA-Z][\w-]*(?:\s[^<>]*)?/?>", re.M)
_Q_LINE = re.compile(r"^[ \t]*Q(?:uestion)?[ \t]*(?:\d+[a-z]?)?[:.)][ \t]+\S", re.M | re.I)
_A_LINE = re.compile(r"^[ \t]*A(?:nswer)?[ \t]*[:.)][ \t]+\S", re.M)
_RST_TITLE = re.compile(r"^(\S[^\n]*)\n([=\-~^\"'`#*+])\2{2,}[ \t]*$", re.M)


def _headings(sample: str) -> int:
    """Markdown "#" headings: lines that open with one to six "#" and a space, each on its own, not
    one of a run of "#" lines (a comment block, as scripts and data files write them)."""
    lines = sample.split("\n")
    return sum(1 for n, line in enumerate(lines) if _ATX_HEADING.match(line)
               and not (n and lines[n - 1].startswith("#"))
               and not (n + 1 < len(lines) and lines[n + 1].startswith("#")))


def _underlines(match: re.Match) -> bool:
    """A reST title underline: at least as long as its title and not much longer. A rule far longer
    than the line above it is a plain-text separator ("1. Background" over 72 dashes)."""
    title, rule = len(match.group(1).rstrip()), len(match.group(0).split("\n")[1].rstrip())
    return title <= rule <= title + max(4, title // 4)


def format_of(suffix: str, text: str) -> str:
    """The format of a file with this suffix and text: one of DOCUMENT_FORMATS or a table format."""
    known = SUFFIXES.get(suffix.lower())
    return known if known is not None else sniff(text)


def sniff(text: str) -> str:
    """The format of a text by its content (see the module docstring)."""
    sample = text[:200_000]
    head = sample.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) or "<html" in head:
        return "html"
    nonblank = sum(1 for line in sample.split("\n") if line.strip())
    if nonblank and len(_HTML_LINE.findall(sample)) >= 0.3 * nonblank:
        return "html"
    scores = {kind: sum(min(len(p.findall(sample)), 5) for p in patterns) for kind, patterns in _SIGNS.items()}
    titles = [m for m in _RST_TITLE.finditer(sample) if _underlines(m)]
    underlines = {m.start(2) for m in titles}
    # A line of "~~~" right under a title of its length underlines it: it is no Markdown fence.
    fences = sum(1 for m in _FENCE.finditer(sample) if m.start() not in underlines)
    scores["markdown"] += min(_headings(sample), 5) + min(fences, 5)
    # Underlined titles are as much plain text's as reST's: they count for reST unless the file pairs
    # "Q:" and "A:" lines, a plain-text convention, with no construct only reST has.
    pairs = min(len(_Q_LINE.findall(sample)), len(_A_LINE.findall(sample)))
    if scores["rst"] or pairs < 2:
        scores["rst"] += min(len(titles), 5)
    kind, score = max(scores.items(), key=lambda item: item[1])
    return kind if score >= 3 else "text"
