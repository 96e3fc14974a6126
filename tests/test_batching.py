"""The app's AnswerBatcher: questions asked at once are answered in one `batch_answer` call, and each
caller gets its own answer, the same as `Retriever.answer` gives one question at a time.

The model is held (its lock) while the callers arrive, so that they must wait and are answered
together: which questions share a batch is decided by the test, not by timing.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant import Embedder, Retriever
from assistant.app.batching import MAX_BATCH_SIZE, AnswerBatcher
from assistant.errors import AssistantError
from benchmarks.load import conversations, expected_answers

WAIT = 120  # seconds; only reached when something is broken


@pytest.fixture(scope="module")
def uncached(retriever) -> Retriever:
    """The session's index and model without a query cache, so that every question runs the model
    (a cached vector would let a batch skip the model and the test prove nothing)."""
    fresh = Embedder(retriever.embedder.name, cache_size=0)
    fresh._model = retriever.embedder.model
    return Retriever(retriever.data, fresh, retriever.settings)


def wait_until(condition, batcher: AnswerBatcher) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {batcher.batches} batches, {batcher.waiting} waiting"
        time.sleep(0.01)


def ask_together(batcher: AnswerBatcher, calls: list[tuple]) -> list:
    """Each (question, history, k) asked from a thread of its own: the first while the model is held,
    the others once it is waiting for the model; returns each caller's answer, or the exception it got."""
    def call(args):
        try:
            return batcher.answer(*args)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        batches = batcher.batches
        with batcher.retriever.embedder.encoder.lock:
            first = pool.submit(call, calls[0])
            # The first caller leads its batch of one, and waits for the model.
            wait_until(lambda: batcher.batches == batches + 1, batcher)
            rest = [pool.submit(call, args) for args in calls[1:]]
            wait_until(lambda: batcher.waiting == len(calls) - 1, batcher)
        return [first.result(WAIT)] + [f.result(WAIT) for f in rest]


def as_json(answer) -> dict:
    return json.loads(json.dumps(answer.to_dict()))


def test_conversations_asked_at_once_get_their_own_answers_equal_to_one_at_a_time(uncached):
    convs = conversations(13)
    expected = [expected_answers(uncached, c) for c in convs]  # one question at a time
    # Every expected answer differs from every other, so an answer given to the wrong caller shows.
    assert len({json.dumps(a, sort_keys=True) for e in expected for a in e}) == 2 * len(convs)
    batcher = AnswerBatcher(uncached)

    first = ask_together(batcher, [(c.turns[0], None, None) for c in convs])
    assert (batcher.batches, batcher.largest_batch) == (2, 12)  # the leader alone, then the 12 who waited
    follow_ups = ask_together(batcher, [(c.turns[1], [c.turns[0]], None) for c in convs])
    assert (batcher.batches, batcher.largest_batch) == (4, 12)

    assert [as_json(a) for a in first] == [e[0] for e in expected]
    assert [as_json(a) for a in follow_ups] == [e[1] for e in expected]
    assert all(a.context == c.turns[0] for a, c in zip(follow_ups, convs))


def test_a_bad_question_fails_alone_and_the_others_in_its_batch_are_answered(uncached):
    good = [c.turns[0] for c in conversations(3)]
    batcher = AnswerBatcher(uncached)
    calls = [(good[0], None, None), (good[1], None, 2), ("why?", "not a list", 2), (good[2], None, "3"),
             (good[2], None, 2)]
    got = ask_together(batcher, calls)

    assert batcher.largest_batch == 4
    for (question, history, k), answer in zip(calls, got):
        try:
            want = uncached.answer(question, history=history, k=k)
        except AssistantError as exc:
            assert isinstance(answer, AssistantError) and str(answer) == str(exc)
        else:
            assert as_json(answer) == as_json(want)
    assert [isinstance(a, AssistantError) for a in got] == [False, False, True, True, False]


def test_a_batch_holds_at_most_max_batch_size_questions(uncached):
    questions = [q for c in conversations(12) for q in c.turns[:1]]
    batcher = AnswerBatcher(uncached, max_batch_size=4)
    got = ask_together(batcher, [(q, None, None) for q in questions])
    assert batcher.largest_batch == 4 and batcher.batches == 1 + 3  # the leader, then 11 in batches of 4, 4, 3
    assert [a.question for a in got] == questions
    assert MAX_BATCH_SIZE >= 1
    with pytest.raises(ValueError):
        AnswerBatcher(uncached, max_batch_size=0)


def test_a_lone_question_is_answered_at_once_in_a_batch_of_its_own(uncached):
    batcher = AnswerBatcher(uncached)
    question = conversations(1)[0].turns[0]
    assert as_json(batcher.answer(question)) == as_json(uncached.answer(question))
    assert (batcher.batches, batcher.largest_batch, batcher.waiting) == (1, 1, 0)


def test_the_app_lets_one_batch_of_requests_run_at_once(served):
    # With one request at a time (Gradio's default), questions could never reach the batcher together.
    assert served.app._queue.default_concurrency_limit == MAX_BATCH_SIZE
