"""The feedback log: one JSON line per 👍/👎 on an answer, for a maintainer to review misses."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import AssistantError

VOTES = ("up", "down")

# Appends from this process are serialised here; a lock file beside the log keeps other processes
# (a second app on the same log) from interleaving their lines with ours.
_lock = threading.Lock()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Vote:
    """A user's vote on one answer.

    Attributes:
        question: the question as the user asked it.
        vote: "up" or "down".
        entry_id: the FAQ entry that answered it; None when the FAQ had no answer.
        score: the answer's fused score (for "not found", the closest question's score).
        found: whether the FAQ answered the question.
        timestamp: when the vote was cast, ISO 8601 in UTC.
    """

    question: str
    vote: str
    entry_id: str | None
    score: float | None
    found: bool
    timestamp: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        if self.vote not in VOTES:
            raise AssistantError(f"a vote is 'up' or 'down', not {self.vote!r}")


def append_vote(path: str | Path, vote: Vote) -> None:
    """Append `vote` to the JSONL log at `path`, creating the file and its folder when missing.

    Raises:
        AssistantError: the log cannot be written.
    """
    from filelock import FileLock

    path = Path(path)
    line = json.dumps({"timestamp": vote.timestamp, **{k: v for k, v in asdict(vote).items() if k != "timestamp"}},
                      ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, FileLock(path.parent / f".{path.name}.lock"), open(path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
    except OSError as exc:
        raise AssistantError(f"cannot write the feedback log {path}: {exc.strerror or exc}") from None


def read_votes(path: str | Path) -> list[Vote]:
    """Every vote in the log at `path`, oldest first (an empty list when there is no log)."""
    path = Path(path)
    if not path.exists():
        return []
    votes = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                votes.append(Vote(**json.loads(line)))
            except (ValueError, TypeError, AssistantError) as exc:
                raise AssistantError(f"{path}:{number}: not a feedback row ({exc})") from None
    return votes
