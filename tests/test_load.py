"""The chat app under concurrent users, on a free loopback port: every session gets its own answers.

The API load test uses the driver of `python -m benchmarks.load` (50 conversations at once through
gradio_client). The chat's own events are private (gradio_client refuses them): the chat test uses
`PageSession`, which speaks the protocol of the app's page.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from page_session import WAIT, PageSession

from assistant.app.chat import Chat
from assistant.render import render_question
from benchmarks.load import (
    CONVERSATIONS,
    Conversation,
    LoadResult,
    Outcome,
    conversations,
    expected_answers,
    run_load,
)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_fifty_concurrent_conversations_each_get_their_own_answers(served, retriever):
    url = served.url
    convs = conversations()
    expected = [expected_answers(retriever, c) for c in convs]
    # Every expected answer differs from every other (each names its own question, the follow-ups their
    # own first question as context), so an answer delivered to the wrong conversation cannot go
    # unnoticed, whether the FAQ answers it confidently, hedges or has no answer.
    assert len(convs) == CONVERSATIONS == 50
    assert all(e[1]["context"] == c.turns[0] for c, e in zip(convs, expected))
    assert len({json.dumps(a, sort_keys=True) for e in expected for a in e}) == 2 * CONVERSATIONS

    result = run_load(url, convs)
    assert result.errors == []
    assert result.mismatches(expected) == []
    assert [len(o.answers) for o in result.outcomes] == [2] * CONVERSATIONS
    assert len(result.latencies) == 2 * CONVERSATIONS and min(result.latencies) > 0


def test_the_load_report_counts_errors_and_mismatches():
    convs = [Conversation(("a?", "and b?")), Conversation(("c?", "and d?"))]
    result = run_load("http://127.0.0.1:9/", convs)  # the discard port: nothing listens, every client fails
    assert len(result.errors) == 2 and result.latencies == []
    assert "| Errors | 2 |" in result.markdown(0)

    answer = {"question": "a?", "context": None}
    result.outcomes[0].answers = [answer]
    assert result.mismatches([[answer], [answer]]) == []
    assert result.mismatches([[{"question": "c?", "context": None}], []]) == [
        "'a?' (turn 1): got the answer to 'a?' read with None"]


def test_latency_percentiles_are_nearest_rank_over_every_conversation():
    first, second = Conversation(("a?", "and b?")), Conversation(("c?", "and d?"))
    result = LoadResult([Outcome(first, latencies=[0.5, 0.1]), Outcome(second, latencies=[0.4, 0.2, 0.3])], 1.0)
    assert [result.percentile(p) for p in (20, 50, 95, 100)] == [0.1, 0.3, 0.5, 0.5]


@pytest.mark.timeout(600)
def test_chat_sessions_used_at_once_keep_their_own_conversations(served, retriever):
    app, url = served.app, served.url
    convs = conversations(12)
    expected = []
    for conversation in convs:  # the same conversations, one after another, with no server
        chat = Chat()
        for question in conversation.turns:
            chat.ask(retriever, question)
        expected.append([m["content"] for m in chat.messages()])

    start = threading.Barrier(len(convs), timeout=WAIT)

    def converse(conversation: Conversation) -> list[str]:
        session = PageSession(app, url)
        try:
            start.wait()
            for question in conversation.turns:
                shown = session.ask(question)
            return shown
        finally:
            session.close()

    with ThreadPoolExecutor(len(convs)) as pool:
        got = list(pool.map(converse, convs))
    assert got == expected
    first, follow_up = convs[0].turns
    assert got[0][2] == render_question(follow_up)
    assert got[0][3].startswith(f"_Read as a follow-up to: {render_question(first)}_")
