"""Normalising text that users and FAQs write: the one place that decides when two questions are the
same question, and how a question is cleaned before it is searched.
"""

from __future__ import annotations

import unicodedata

_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")


def printable(text: str) -> str:
    """Control and format characters (NUL, escapes, bidi overrides) as spaces, whitespace collapsed."""
    if not text.isprintable():  # most questions are: skip the character-by-character pass
        text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text)
    return " ".join(text.split())


def question_key(text: str) -> str:
    """What makes two questions the same question: Unicode-normalised (NFKC), curly quotes made
    straight, case and spacing ignored."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.casefold().split())
