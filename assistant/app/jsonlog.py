"""Append-only JSON-lines logs that the app writes (votes, questions): each append is whole or absent,
and a damaged line never takes the others with it.

An append writes one line at the end of the file under a lock (a thread lock, and a lock file beside
the log for other processes). A write that fails part-way (a full disk) is truncated back, so the next
line is not glued onto half of this one; a log whose last line was left unfinished by something else
gets a line break first. A log that the line would take past its size limit is rotated first: renamed
to `<name>.1`, an older `<name>.1` to `<name>.2` and so on, `ROTATED_KEPT` of them at most. The reader
skips a line it cannot read, with a warning naming it.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import AssistantError
from ..text import valid_unicode

log = logging.getLogger(__name__)

# How long an append waits for another process's lock before it gives up (it never waits forever).
LOCK_TIMEOUT = 10.0
# Rotated logs kept beside the live one (<name>.1, the newest, to <name>.5); the oldest is dropped.
ROTATED_KEPT = 5
_lock = threading.Lock()


class LogWriteError(OSError):
    """The log could not be written; nothing of the line was left in it."""


def _open_regular(path: Path, flags: int) -> int:
    """A descriptor of `path`, which must be a regular file. O_NONBLOCK: opening a FIFO put in its
    place returns (or fails) at once instead of waiting for a reader, while holding the lock."""
    fd = os.open(path, flags | os.O_NONBLOCK, 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


def json_line(record: dict) -> bytes:
    """`record` as one line of UTF-8 JSON. Lone surrogates (which a browser can send, and UTF-8 cannot
    hold) become U+FFFD; NaN and infinities are refused, since JSON has no such numbers."""
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    return (valid_unicode(text) + "\n").encode("utf-8")


def append_line(path: str | Path, record: dict, max_bytes: int = 0) -> None:
    """Append `record` to the log at `path` as one JSON line, creating the file and its folder.

    Args:
        max_bytes: when the line would take the log past this size, the log is rotated first (0: never).

    Raises:
        LogWriteError: the log cannot be written (the message says why); the file is as it was.
    """
    from filelock import FileLock, Timeout

    path = Path(path)
    try:
        line = json_line(record)
    except (TypeError, ValueError) as exc:
        raise LogWriteError(f"the record cannot be written as JSON ({exc})") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, FileLock(path.parent / f".{path.name}.lock", timeout=LOCK_TIMEOUT):
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT  # read: its last byte
            fd = _open_regular(path, flags)
            size = os.fstat(fd).st_size
            if max_bytes and size and size + len(line) > max_bytes:
                os.close(fd)
                _rotate(path)
                fd = _open_regular(path, flags)
            try:
                _append(fd, line)
            finally:
                os.close(fd)
    except Timeout:
        raise LogWriteError(f"{path} is locked by another process") from None
    except OSError as exc:
        raise LogWriteError(exc.strerror or str(exc)) from None


def check_appendable(path: str | Path) -> None:
    """Check, before a server starts, that appends to `path` can work: it is a regular file that can be
    written, or it can be created (its nearest existing folder can be written).

    Raises:
        LogWriteError: why not.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        try:
            os.close(_open_regular(path, os.O_RDWR | os.O_APPEND))
        except OSError as exc:
            raise LogWriteError(exc.strerror or str(exc)) from None
        return
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise LogWriteError(f"{folder} is not a folder that can be written")


def append_to_log(log: str, path: str | Path, record: dict, max_bytes: int = 0) -> None:
    """`append_line`, a failure being one line that names the log ("the feedback log").

    Raises:
        AssistantError: the log cannot be written.
    """
    try:
        append_line(path, record, max_bytes)
    except LogWriteError as exc:
        raise AssistantError(f"cannot write the {log} {path}: {exc}") from None


def check_log_writable(log: str, path: str | Path, remedy: str) -> None:
    """`check_appendable` for a server's start, a failure being one line naming the log and `remedy`.

    Raises:
        AssistantError: a folder, a FIFO or a file that cannot be written in its place, or no folder
            where it could be created.
    """
    try:
        check_appendable(path)
    except LogWriteError as exc:
        raise AssistantError(f"cannot write the {log} {path}: {exc}; {remedy}") from None


def _rotate(path: Path) -> None:
    """Rename the log to <name>.1, each older one up a number, the one past ROTATED_KEPT dropped.
    Each step is one rename, so a crash leaves every line in some file."""
    for number in range(ROTATED_KEPT - 1, 0, -1):
        older = rotated(path, number)
        if older.exists():
            os.replace(older, rotated(path, number + 1))
    os.replace(path, rotated(path, 1))


def rotated(path: str | Path, number: int) -> Path:
    """The name of the log at `path` after `number` rotations."""
    path = Path(path)
    return path.with_name(f"{path.name}.{number}")


def with_rotated(path: str | Path) -> list[Path]:
    """The log at `path` and the rotated logs kept beside it, oldest first (those that exist, and the
    log itself whether or not it does)."""
    older = [rotated(path, n) for n in range(ROTATED_KEPT, 0, -1)]
    return [p for p in older if p.is_file()] + [Path(path)]


def _append(fd: int, line: bytes) -> None:
    size = os.fstat(fd).st_size
    if size:
        tail = os.pread(fd, 1, size - 1)
        if tail != b"\n":  # an unfinished line left by a crash or another writer: start afresh
            line = b"\n" + line
    try:
        written = 0
        while written < len(line):
            written += os.write(fd, line[written:])
    except OSError:
        os.ftruncate(fd, size)  # whole or absent: no partial line for the next one to be glued onto
        raise


@dataclass(frozen=True)
class Row:
    """One readable line of a log: its 1-based line number and the JSON object on it."""

    line: int
    record: dict


def read_rows(path: str | Path) -> Iterator[Row]:
    """Every line of the log at `path` that holds a JSON object, in order (none when there is no log).

    A line that is not UTF-8, not JSON, or not an object (a write cut short, a hand edit) is skipped
    with a warning naming the file and line.

    Raises:
        OSError: the log exists but cannot be read, or is not a regular file.
    """
    path = Path(path)
    try:
        fd = _open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    with os.fdopen(fd, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                skip(path, number, str(exc))
                continue
            yield Row(number, record)


def skip(path: Path, line: int, reason: str) -> None:
    """Warn that line `line` of the log at `path` was skipped, and why."""
    log.warning("%s:%d: skipped a damaged line (%s)", path, line, reason[:200])
