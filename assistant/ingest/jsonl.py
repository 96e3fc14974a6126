"""JSON Lines input: one object a line, errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .lines import split_lines


def json_objects(text: str, where: str, error: type[Exception], holding: str) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of `text`.

    Args:
        text: the file's text.
        where: the file's name, for messages.
        error: the exception to raise, e.g. CorpusError.
        holding: what an object should hold, for messages ("question and answer").

    Raises:
        error: a line is not JSON, or not a JSON object (the message names `where` and the line).
    """
    # Split as editors do: a U+2028 inside a JSON string (json.dumps(ensure_ascii=False) writes it
    # as is) is not a line break.
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{where}:{number}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(row, dict):
            raise error(f"{where}:{number}: expected a JSON object with {holding}")
        yield number, row
