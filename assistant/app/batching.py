"""Many chat users at once: questions that arrive together are answered together, in one
`Retriever.batch_answer` call (one batched forward pass of the model) instead of one after another.

No Gradio here and no thread of its own. The first caller to find the batcher idle answers at once
(a lone question waits for nothing); questions that arrive while it works wait, and the oldest of
them then answers all the waiting ones (up to `MAX_BATCH_SIZE`) in one batch. Each caller gets
its own `Answer`, equal to what `Retriever.answer` gives for the same question, history and k.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..answer import Answer
    from ..search.retriever import Retriever

# The most questions answered in one batch. The app lets this many answering requests run at once
# (server.launch); Gradio runs them on a pool of 40 threads, and 32 questions already fill a model
# batch well while keeping one batch short enough that the next one is not kept waiting long.
MAX_BATCH_SIZE = 32


@dataclass(eq=False)
class _Request:
    """One caller's question, and what it got back once `ready` is set."""

    question: str
    history: list[str] | None
    k: int | None
    ready: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # this caller answers the next batch
    done: bool = False
    answer: Answer | None = None
    error: BaseException | None = None


class AnswerBatcher:
    """`answer()` for many threads at once, answered in batches. Thread-safe.

    Args:
        retriever: the loaded Retriever every question is answered with.
        max_batch_size: the most questions answered in one `batch_answer` call.
    """

    def __init__(self, retriever: Retriever, max_batch_size: int = MAX_BATCH_SIZE) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, not {max_batch_size}")
        self.retriever = retriever
        self.max_batch_size = max_batch_size
        self.batches = 0  # batches answered so far (for tests and benchmarks)
        self.largest_batch = 0
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._busy = False  # a caller is answering a batch; the waiting ones wait for it

    @property
    def waiting(self) -> int:
        """Questions waiting for a batch (not counting the batch being answered)."""
        with self._lock:
            return len(self._waiting)

    def answer(self, question: str, history: list[str] | None = None, k: int | None = None) -> Answer:
        """`Retriever.answer(question, history, k)`, answered in a batch with whatever else was asked
        meanwhile.

        Returns:
            The same `Answer` as `Retriever.answer` gives for these arguments.

        Raises:
            Whatever `Retriever.answer` raises for these arguments (another caller's bad question
            never fails this one).
        """
        request = _Request(question, history, k)
        with self._lock:
            self._waiting.append(request)
            if not self._busy:
                self._busy = request.leads = True
        if not request.leads:
            request.ready.wait()  # answered by another caller's batch, or asked to lead the next one
        if not request.done:
            self._lead()
        if request.error is not None:
            raise request.error
        return request.answer

    def _lead(self) -> None:
        """Answer the oldest waiting questions (this caller's among them) in one batch, then hand the
        next batch to the oldest question still waiting."""
        with self._lock:
            batch = self._waiting[: self.max_batch_size]
            del self._waiting[: self.max_batch_size]
            self.batches += 1
            self.largest_batch = max(self.largest_batch, len(batch))
        try:
            self._answer_all(batch)
        finally:
            for request in batch:
                if not request.done:  # only when answering was interrupted (KeyboardInterrupt, ...)
                    request.error, request.done = RuntimeError("the question was not answered"), True
            with self._lock:
                if self._waiting:
                    self._waiting[0].leads = True
                    self._waiting[0].ready.set()
                else:
                    self._busy = False
            for request in batch:
                request.ready.set()

    def _answer_all(self, batch: list[_Request]) -> None:
        """Give every request in `batch` its answer or its error: one `batch_answer` call per k."""
        groups: dict[int | None, list[_Request]] = {}
        for request in batch:
            # batch_answer takes one k for all; a k that is not a whole number is answered alone, so
            # that its error is its own.
            key = request.k if request.k is None or type(request.k) is int else object()
            groups.setdefault(key, []).append(request)
        for group in groups.values():
            if len(group) > 1:
                try:
                    answers = self.retriever.batch_answer([r.question for r in group],
                                                          [r.history or [] for r in group], group[0].k)
                except Exception:  # one bad question fails the batch: answer each alone, each its own error
                    pass
                else:
                    for request, answer in zip(group, answers):
                        request.answer, request.done = answer, True
                    continue
            for request in group:
                try:
                    request.answer = self.retriever.answer(request.question, history=request.history, k=request.k)
                except Exception as exc:  # raised in the caller's own thread by answer()
                    request.error = exc
                request.done = True
