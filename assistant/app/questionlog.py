"""The question log: one JSON line per question the app (or `assistant ask --log`) answered, and one per
vote on such an answer, kept on this machine for the FAQ's owners to review (`assistant review`).

Two kinds of line, both appended whole or not at all (`jsonlog.append_line`):

    {"timestamp": ..., "kind": "question", "id": "3f2a...", "session": "9c1e...", "via": "chat",
     "question": "...", "history": [...], "read_as": null, "outcome": "hedged", "confidence": 0.31,
     "top": [{"entry_id": "...", "question": "...", "score": 0.52}, ...]}
    {"timestamp": ..., "kind": "vote", "id": "3f2a...", "vote": "down"}

A vote comes after its question, so it is a line of its own that names the question's `id`, never an
edit of an earlier line. `read_questions` joins them back, and also reads the feedback log's votes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..answer import Answer
from ..errors import AssistantError
from .feedback import VOTES
from .jsonlog import Row, append_to_log, check_log_writable, read_rows, skip

log = logging.getLogger(__name__)

OUTCOMES = ("answered", "hedged", "not found")
TOP_LOGGED = 3  # entries kept per question: the closest, and the two after it


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    """A random id for a logged question or a chat session (it says nothing about the user)."""
    return uuid.uuid4().hex[:16]


@dataclass(frozen=True)
class TopEntry:
    """One of the entries closest to a logged question."""

    entry_id: str
    question: str
    score: float


@dataclass
class LoggedQuestion:
    """A question as the log holds it, with the vote on its answer (if any).

    Attributes:
        question: the question as the user asked it.
        outcome: "answered", "hedged" or "not found" (`Answer.outcome`).
        confidence: the estimated probability that the top entry answered it.
        top: the closest entries, best first.
        history: the earlier questions it was read with.
        read_as: the rewritten question, when a follow-up was read in context.
        vote: "up", "down", or None when nobody voted.
        session: the chat session that asked it (a random id), None for the API and the CLI.
        via: "chat", "api" or "cli".
        id: the line's id, which a vote names.
        timestamp: when it was asked, ISO 8601 in UTC.
        line: the line of the log it was read from (0 when not read from a log).
    """

    question: str
    outcome: str
    confidence: float = 0.0
    top: list[TopEntry] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    read_as: str | None = None
    vote: str | None = None
    session: str | None = None
    via: str = "chat"
    id: str = field(default_factory=new_id)
    timestamp: str = field(default_factory=_now)
    line: int = 0

    @classmethod
    def of(cls, answer: Answer, history: list[str] | None = None, via: str = "chat",
           session: str | None = None) -> LoggedQuestion:
        """The log record of an answer given to `history` + `answer.question`."""
        top = [TopEntry(h.entry_id, h.question, round(float(h.score), 4)) for h in answer.ranking[:TOP_LOGGED]]
        return cls(question=answer.question, outcome=answer.outcome, confidence=round(float(answer.confidence), 4),
                   top=top, history=list(history or []), read_as=answer.read_as, session=session, via=via)

    def to_record(self) -> dict:
        return {
            "timestamp": self.timestamp, "kind": "question", "id": self.id, "session": self.session,
            "via": self.via, "question": self.question, "history": self.history, "read_as": self.read_as,
            "outcome": self.outcome, "confidence": self.confidence,
            "top": [{"entry_id": t.entry_id, "question": t.question, "score": t.score} for t in self.top],
        }

    @property
    def asker(self) -> str:
        """Who asked, as far as the log can tell: the chat session, else this line (one asker each)."""
        return self.session or f"line:{self.id}"


def append_question(path: str | Path, question: LoggedQuestion, max_bytes: int = 0) -> None:
    """Append `question` to the question log at `path` (created with its folder when missing; rotated
    first when it would grow past `max_bytes`, unless 0).

    Raises:
        AssistantError: the log cannot be written.
    """
    _append(path, question.to_record(), max_bytes)


def append_question_vote(path: str | Path, question_id: str, vote: str, max_bytes: int = 0) -> None:
    """Append a vote ("up" or "down") on the logged question `question_id`.

    Raises:
        AssistantError: not a vote, or the log cannot be written.
    """
    if vote not in VOTES:
        raise AssistantError(f"a vote is 'up' or 'down', not {vote!r}")
    _append(path, {"timestamp": _now(), "kind": "vote", "id": question_id, "vote": vote}, max_bytes)


def _append(path: str | Path, record: dict, max_bytes: int) -> None:
    append_to_log("question log", path, record, max_bytes)


def check_question_log(path: str | Path) -> None:
    """Fail at start, not at the first question, when the question log cannot be appended to.

    Raises:
        AssistantError: why not, and how to choose another log or none.
    """
    check_log_writable("question log", path, "choose another with --question-log, or turn it off with "
                                             "--no-question-log")


def read_questions(paths: Iterable[str | Path], progress: Callable[[int], None] | None = None) -> list[LoggedQuestion]:
    """Every question in the logs at `paths`, oldest first within each log, with the votes on them.

    Question-log lines and feedback-log lines (`feedback.py`: a vote with its question) are both read;
    a line that is neither (damaged, edited by hand) is skipped with a warning naming its file and line.

    Args:
        paths: question logs and feedback logs.
        progress: optional callable(bytes) called with the size of each line read.

    Raises:
        AssistantError: a log does not exist or cannot be read.
    """
    questions: list[LoggedQuestion] = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise AssistantError(f"no log at {path}" if not path.exists() else f"{path} is not a log file")
        by_id: dict[str, LoggedQuestion] = {}
        votes: list[tuple[Row, str, str]] = []
        try:
            for row in _rows(path, progress):
                try:
                    kind = row.record.get("kind")
                    if kind == "vote":
                        votes.append((row, str(row.record["id"]), _vote(row.record)))
                    elif kind == "question":
                        question = _question(row)
                        by_id[question.id] = question
                        questions.append(question)
                    elif kind is None and "vote" in row.record:  # a line of the feedback log
                        questions.append(_feedback_vote(row))
                    else:
                        raise ValueError(f"unknown kind {kind!r}")
                except (KeyError, TypeError, ValueError) as exc:
                    skip(path, row.line, f"not a logged question or vote: {exc}")
        except OSError as exc:
            raise AssistantError(f"cannot read the log {path}: {exc.strerror or exc}") from None
        for row, question_id, vote in votes:  # the last vote on a question counts
            if question_id in by_id:
                by_id[question_id].vote = vote
            else:
                skip(path, row.line, f"a vote on question {question_id[:20]!r}, which is not in this log")
    return questions


def _rows(path: Path, progress: Callable[[int], None] | None) -> Iterator[Row]:
    for row in read_rows(path):
        if progress:
            progress(1)
        yield row


def _vote(record: dict) -> str:
    vote = record["vote"]
    if vote not in VOTES:
        raise ValueError(f"a vote is 'up' or 'down', not {str(vote)[:20]!r}")
    return vote


def _text(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is not text")
    return value


def _question(row: Row) -> LoggedQuestion:
    record = row.record
    outcome = record["outcome"]
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {str(outcome)[:20]!r} is not one of {', '.join(OUTCOMES)}")
    top = [TopEntry(str(t["entry_id"]), str(t.get("question") or ""), float(t.get("score") or 0.0))
           for t in record.get("top") or []]
    history = [h for h in record.get("history") or [] if isinstance(h, str)]
    return LoggedQuestion(
        question=_text(record["question"], "question"), outcome=outcome,
        confidence=float(record.get("confidence") or 0.0), top=top, history=history,
        read_as=record.get("read_as") if isinstance(record.get("read_as"), str) else None,
        session=str(record["session"]) if record.get("session") else None, via=str(record.get("via") or "chat"),
        id=str(record["id"]), timestamp=str(record.get("timestamp") or ""), line=row.line,
    )


def _feedback_vote(row: Row) -> LoggedQuestion:
    """A feedback-log line as a logged question: it knows whether the FAQ answered, not whether it hedged."""
    record = row.record
    entry = record.get("entry_id")
    top = [TopEntry(str(entry), "", float(record.get("score") or 0.0))] if entry else []
    return LoggedQuestion(
        question=_text(record["question"], "question"), outcome="answered" if record.get("found") else "not found",
        top=top, vote=_vote(record), via="feedback", id=f"feedback:{row.line}",
        timestamp=str(record.get("timestamp") or ""), line=row.line,
    )
