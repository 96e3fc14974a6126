"""Alternate questions written into Markdown and HTML: an HTML comment in the entry, invisible on the
rendered page, lists other phrasings of its question.

    ## How do I reset my password?
    <!-- alternates: I forgot my password | can't log in -->
    Open Settings and choose Reset password.

The comment may stand anywhere between the question and the next question, span lines, and separate
phrasings with `|` or line breaks. Table formats (JSONL, CSV, YAML) have a column instead
(`readers/tables.py`).
"""

from __future__ import annotations

import re

from .cleaning import fix_mojibake

ALTERNATES_COMMENT = re.compile(r"<!--\s*(?:alternates|alternate questions|also asked)\s*:(.*?)-->",
                                re.IGNORECASE | re.DOTALL)


def comment_alternates(lines: list[str], first: int, last: int) -> tuple[str, ...]:
    """The phrasings listed in alternates comments on lines `first` to `last` (1-based, inclusive).

    Args:
        lines: the file's lines.
        first, last: the entry's own lines (its question, then its answer up to the next question).

    Returns:
        Each phrasing once, spaces collapsed, in the order written.
    """
    text = "\n".join(lines[max(0, first - 1) : max(0, last)])
    if "<!--" not in text:
        return ()
    found: dict[str, None] = {}
    for match in ALTERNATES_COMMENT.finditer(text):
        for part in re.split(r"[|\n]", match.group(1)):
            phrasing = " ".join(fix_mojibake(part).split())
            if phrasing:
                found.setdefault(phrasing)
    return tuple(found)
