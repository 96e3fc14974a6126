"""Lines as an editor counts them.

Citations name file lines, so every reader splits text the way editors do: on "\\n", "\\r\\n" and
"\\r" only. `str.splitlines()` also breaks on form feed, vertical tab, U+001C-U+001E, U+0085, U+2028
and U+2029, which would shift every later line number; it is never used on corpus text.
"""

from __future__ import annotations

import re

_NEWLINES = re.compile(r"\r\n?")

# The characters `str.splitlines()` treats as line ends besides \n and \r. Libraries that split with
# it (docutils) get these replaced by a space first, so that their line numbers stay the editor's.
SPLITLINES_EXTRA = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_EXTRA_BREAKS = str.maketrans({ch: " " for ch in SPLITLINES_EXTRA})


def normalize_newlines(text: str) -> str:
    """`text` with every "\\r\\n" and lone "\\r" turned into "\\n" (line numbers unchanged)."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def split_lines(text: str) -> list[str]:
    """The lines of `text`, split on "\\n", "\\r\\n" and "\\r" only; no trailing empty line for a
    final line break (like `splitlines`)."""
    if not text:
        return []
    lines = normalize_newlines(text).split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) for each line of `text`."""
    return list(enumerate(split_lines(text), start=1))


def without_extra_breaks(text: str) -> str:
    """`text` with the characters only `splitlines` breaks on replaced by spaces (same length)."""
    return text.translate(_EXTRA_BREAKS)
