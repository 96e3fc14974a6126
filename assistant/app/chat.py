"""A chat session: the turns so far, answering the next question in their light, the messages the
chat shows, and votes on its answers. No Gradio here: the UI holds one `Chat` per browser session.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..answer import Answer
from ..config import MAX_HISTORY
from ..errors import AssistantError
from ..ingest.entry import Entry
from ..render import Reply, render_answer, render_error, render_question
from ..search.query import MAX_QUERY_CHARS
from ..text import valid_unicode
from .feedback import Vote, append_vote
from .questionlog import LoggedQuestion, append_question, append_question_vote, new_id

if TYPE_CHECKING:
    from ..search.retriever import Retriever

log = logging.getLogger(__name__)

# What a session keeps: its last MAX_TURNS turns (the chat shows those), and of each question the
# last MAX_KEPT_CHARS characters, twice what the retriever reads, so its "too long" note still shows.
# The end, because the retriever reads a long paste from its end, where people ask.
MAX_TURNS = 50
MAX_KEPT_CHARS = 2 * MAX_QUERY_CHARS


def received_text(text: str) -> str:
    """Text from a request as the app keeps it: its last MAX_KEPT_CHARS characters, lone surrogates
    (which break the session's event stream and the feedback log) as U+FFFD."""
    return valid_unicode(text[-MAX_KEPT_CHARS:])


class EntriesById(Mapping[str, Entry]):
    """The FAQ's entries by id, for every session's replies, as the retriever holds them now: an
    entry added, edited or removed while the app runs (`Retriever.add`/`remove`) is seen at the next
    reply. Rebuilt only when the retriever's entry list is a new one (each change swaps in a new list).

    Thread-safe: a reply reads one complete table, old or new.
    """

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever
        self._table: tuple[list[Entry], dict[str, Entry]] = ([], {})

    def _current(self) -> dict[str, Entry]:
        entries = self._retriever.entries
        source, table = self._table
        if source is not entries:
            table = {entry.id: entry for entry in entries}
            self._table = (entries, table)
        return table

    def __getitem__(self, entry_id: str) -> Entry:
        return self._current()[entry_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


@dataclass
class Turn:
    """One question and the reply to it.

    Attributes:
        question: what the user asked, as typed.
        reply: what the chat shows.
        answer: the retriever's answer; None when answering failed.
        logged_id: its id in the question log, when it was logged.
    """

    question: str
    reply: Reply
    answer: Answer | None = None
    logged_id: str | None = None


@dataclass
class Chat:
    """The turns of one conversation, oldest first; `session` is a random id that groups its questions
    in the question log (one asker, however often they rephrase)."""

    turns: list[Turn] = field(default_factory=list)
    # Drawn at the first question, not here: Gradio deep-copies one initial Chat into every session.
    session: str | None = None

    def __post_init__(self) -> None:
        # The app runs several requests at once, and two events of one session (a question still
        # being answered, a suggestion clicked) would both read the same history: one at a time per
        # session. Not a field: Gradio copies the fields of a session's state (`asdict`).
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> Chat:
        # Gradio copies the initial Chat into each session; a lock cannot be copied, each gets its own.
        return Chat(copy.deepcopy(self.turns, memo), self.session)

    def history(self) -> list[str]:
        """The earlier questions that were answered (found or not), oldest first."""
        return [t.question for t in self.turns if t.answer is not None][-MAX_HISTORY:]

    def ask(self, retriever, question: str, passages: int = 1, show_scores: bool = False,
            entries: Mapping[str, Entry] | None = None, question_log: str | Path | None = None,
            log_max_bytes: int = 0) -> Turn:
        """Answer `question` with the conversation so far as its history, and add the turn.

        A failure becomes a short reply: an `AssistantError`'s own message (they are written for
        users), otherwise a generic one, with the traceback in the log. An answer is appended to
        `question_log` when one is given; a log that cannot be written never costs the user the answer.

        Args:
            entries: the FAQ's entries by id (`EntriesById`), so replies show each answer's links,
                code and cited lines.
            log_max_bytes: the size past which the question log is rotated (0: never).
        """
        with self._lock:
            if isinstance(question, str):
                question = received_text(question)
            history = self.history()
            try:
                answer = retriever.answer(question, history=history, k=passages)
                reply = render_answer(answer, passages, show_scores, entries)
            except AssistantError as exc:
                answer, reply = None, render_error(str(exc))
            except Exception:
                log.exception("answering %r failed", question[:200])
                answer, reply = None, render_error()
            turn = Turn(question, reply, answer)
            if answer is not None and question_log is not None:
                self.session = self.session or new_id()
                logged = LoggedQuestion.of(answer, history, via="chat", session=self.session)
                if log_question(question_log, logged, log_max_bytes):
                    turn.logged_id = logged.id
            self.turns.append(turn)
            del self.turns[:-MAX_TURNS]
            return turn

    def messages(self) -> list[dict]:
        """The conversation as Gradio Chatbot messages; the last reply carries its options."""
        messages: list[dict] = []
        for number, turn in enumerate(self.turns, start=1):
            reply = {"role": "assistant", "content": turn.reply.markdown}
            if number == len(self.turns) and turn.reply.options:
                reply["options"] = [{"value": q, "label": q} for q in turn.reply.options]
            messages += [{"role": "user", "content": render_question(turn.question)}, reply]
        return messages

    def turn_at(self, message_index: int) -> Turn | None:
        """The turn whose reply is message `message_index` of `messages()` (None for a user message
        or an index out of range)."""
        if not isinstance(message_index, int) or message_index < 0 or message_index % 2 == 0:
            return None
        number = message_index // 2
        return self.turns[number] if number < len(self.turns) else None

    def vote(self, message_index: int, liked: bool, log_path: str | Path,
             question_log: str | Path | None = None, log_max_bytes: int = 0) -> Vote | None:
        """Record a 👍 (`liked`) or 👎 on the reply at `message_index` in the feedback log, and in the
        question log beside the question when that was logged (each rotated past `log_max_bytes`).

        Returns:
            The vote written, or None when that message is not an answer (a failed request, a user
            message, an unknown index).
        """
        turn = self.turn_at(message_index)
        if turn is None or turn.answer is None:
            return None
        answer = turn.answer
        top = answer.best or (answer.suggestions[0] if answer.suggestions else None)
        vote = Vote(
            question=turn.question, vote="up" if liked else "down",
            entry_id=answer.best.entry_id if answer.best else None,
            score=top.score if top else None, found=answer.found,
        )
        append_vote(log_path, vote, log_max_bytes)
        if question_log is not None and turn.logged_id is not None:
            append_question_vote(question_log, turn.logged_id, vote.vote, log_max_bytes)
        return vote


def log_question(path: str | Path, question: LoggedQuestion, max_bytes: int = 0) -> bool:
    """Append `question` to the question log at `path` (rotated past `max_bytes`, unless 0); a failure
    is logged, not raised (the user still gets the answer). Returns whether it was written."""
    try:
        append_question(path, question, max_bytes)
    except AssistantError as exc:
        log.error("%s", exc)
        return False
    return True
