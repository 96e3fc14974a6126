"""Normalising text that users and FAQs write: the one place that decides when two questions are the
same question, and how a question is cleaned before it is searched; and `covers`, which says when
highlighted spans would cover a whole text (search and rendering both refuse such a highlight).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """`text` with lone surrogates as U+FFFD. They are not characters and UTF-8 cannot hold them, yet
    they arrive: bytes of a command line that were not UTF-8, or a browser's half of an emoji."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def covers(text: str, spans: Sequence[tuple[int, int]]) -> bool:
    """True when there is a span and nothing but whitespace of `text` lies outside `spans` (a
    highlight of the whole text, which helps no one)."""
    if not spans:
        return False
    position, outside = 0, []
    for start, end in sorted(spans):
        outside.append(text[position:start])
        position = max(position, end)
    outside.append(text[position:])
    return not "".join(outside).strip()
