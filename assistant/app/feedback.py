"""The feedback log: one JSON line per 👍/👎 on an answer, for a maintainer to review misses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import AssistantError
from .jsonlog import append_to_log, check_log_writable, read_rows, skip

VOTES = ("up", "down")


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


def append_vote(path: str | Path, vote: Vote, max_bytes: int = 0) -> None:
    """Append `vote` to the JSONL log at `path`, creating the file and its folder when missing. The line
    is written whole or not at all (`jsonlog.append_line`); the log is rotated first when it would grow
    past `max_bytes` (0: never).

    Raises:
        AssistantError: the log cannot be written.
    """
    record = {"timestamp": vote.timestamp, **{k: v for k, v in asdict(vote).items() if k != "timestamp"}}
    append_to_log("feedback log", path, record, max_bytes)


def check_log(path: str | Path) -> None:
    """Fail at start, not at the first vote, when the feedback log cannot be appended to.

    Raises:
        AssistantError: a folder, a FIFO or a file that cannot be written in its place, or no folder
            where it could be created.
    """
    check_log_writable("feedback log", path, "choose another with --feedback-log")


def read_votes(path: str | Path) -> list[Vote]:
    """Every vote in the log at `path`, oldest first (an empty list when there is no log). A line that
    is not a vote (damaged, or edited by hand) is skipped with a warning naming it.

    Raises:
        AssistantError: the log cannot be read.
    """
    votes = []
    try:
        for row in read_rows(path):
            try:
                votes.append(Vote(**row.record))
            except (TypeError, AssistantError) as exc:
                skip(Path(path), row.line, f"not a vote: {exc}")
    except OSError as exc:
        raise AssistantError(f"cannot read the feedback log {path}: {exc.strerror or exc}") from None
    return votes
