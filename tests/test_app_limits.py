"""The running app's limits: what one request may carry, what a session keeps, which routes exist, how
many requests one client may hold in the queue, and how large the page is for a very large FAQ.

Served on free loopback ports; other client addresses are other loopback addresses (127.0.0.2, ...),
which Linux routes to the same server.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from page_session import PageSession

from assistant import AssistantError, Entry, Settings
from assistant.app.chat import MAX_KEPT_CHARS, MAX_TURNS, Chat
from assistant.app.guard import MAX_BODY_BYTES
from assistant.app.layout import MAX_BROWSE, build_app
from assistant.app.server import launch
from benchmarks.load import free_port

QUESTION = "is the swap file encrypted?"


def ask(http: httpx.Client, url: str, question: str, headers: dict | None = None) -> httpx.Response:
    return http.post(f"{url}/gradio_api/call/ask", json={"data": [question, None, None]}, headers=headers)


def result(http: httpx.Client, url: str, event_id: str) -> dict:
    stream = http.get(f"{url}/gradio_api/call/ask/{event_id}").text
    return json.loads(stream.split("data: ", 1)[1])[0]


# --- what a request may carry ------------------------------------------------------------------------


def test_a_large_request_is_refused_before_gradio_keeps_it(served):
    with httpx.Client(timeout=120) as http:
        response = ask(http, served.url, QUESTION + " " * (MAX_BODY_BYTES + 10))
        assert response.status_code == 413  # 20 MB questions stayed in Gradio's session state
        chunks = iter([b'{"data": ["', b"x" * MAX_BODY_BYTES, b'", null, null]}'])  # no Content-Length
        response = http.post(f"{served.url}/gradio_api/call/ask", content=chunks,
                             headers={"content-type": "application/json"})
        assert response.status_code == 413
        answer = result(http, served.url, ask(http, served.url, QUESTION).json()["event_id"])
        assert answer["found"] and answer["question"] == QUESTION


def test_what_the_api_keeps_of_a_long_question_is_cut(served):
    with httpx.Client(timeout=120) as http:
        question = QUESTION + " x" * 20_000  # 40 KB: within the request limit, far beyond what is read
        answer = result(http, served.url, ask(http, served.url, question).json()["event_id"])
    assert answer["question"] == question[-MAX_KEPT_CHARS:]  # the end, where the retriever reads
    assert answer["note"].startswith("Your question is long")


def test_a_session_keeps_its_last_turns_and_the_end_of_each_question(retriever):
    chat = Chat()
    for n in range(MAX_TURNS + 5):
        chat.ask(retriever, f"question {n} about the swap file")
    assert len(chat.turns) == MAX_TURNS and chat.turns[0].question == "question 5 about the swap file"
    chat.ask(retriever, "x " * 10_000 + "is the swap file encrypted?")
    assert len(chat.turns[-1].question) == MAX_KEPT_CHARS
    assert chat.turns[-1].question.endswith("is the swap file encrypted?")


def test_a_lone_surrogate_does_not_break_the_event_stream(served):
    # Half of an emoji, as a browser's JSON.stringify sends it: an escape Python decodes to a lone surrogate.
    payload = json.dumps({"data": [f"{QUESTION} \ud83d", ["\udcff"], None]})
    with httpx.Client(timeout=120) as http:
        event = http.post(f"{served.url}/gradio_api/call/ask", content=payload,
                          headers={"content-type": "application/json"}).json()["event_id"]
        answer = result(http, served.url, event)
    assert answer["question"] == f"{QUESTION} \ufffd" and answer["found"]
    session = PageSession(served.app, served.url)
    try:
        texts = session.ask(f"{QUESTION} \ud83d")  # the page's own protocol: the stream used to break here
    finally:
        session.close()
    assert texts[0] == f"{QUESTION} \ufffd"


# --- routes the app does not use ---------------------------------------------------------------------


def test_uploads_are_refused_and_nothing_reaches_the_disk(served, tmp_path):
    app = served.app
    folder = Path(app.server_app.uploaded_file_dir)
    before = set(folder.rglob("*")) if folder.exists() else set()
    with httpx.Client(base_url=served.url, timeout=60) as http:
        for _ in range(50):
            response = http.post("/gradio_api/upload", files={"files": ("f.txt", b"x" * 1024)})
            assert response.status_code == 403
        assert http.get("/gradio_api/upload_progress", params={"upload_id": "x"}).status_code in (403, 404)
    after = set(folder.rglob("*")) if folder.exists() else set()
    assert after == before


@pytest.mark.parametrize("method, route", [
    ("GET", "/gradio_api/run-history/buckets"), ("GET", "/gradio_api/run-history/records"),
    ("POST", "/gradio_api/run-history/connect"), ("GET", "/gradio_api/runs"), ("GET", "/monitoring"),
    ("GET", "/monitoring/summary"), ("POST", "/gradio_api/process_recording"), ("GET", "/gradio_api/openapi.json"),
    ("POST", "/gradio_api/vibe-edit"), ("GET", "/gradio_api/mcp/sse"), ("GET", "/gradio_api/proxy=http://x/"),
    ("POST", "/gradio_api/stream/x"), ("GET", "/gradio_api/deep_link"), ("GET", "/gradio_api/file=/etc/hostname"),
])
def test_routes_the_app_does_not_use_are_off(served, method, route):
    response = httpx.request(method, served.url + route, timeout=60)
    assert response.status_code in (403, 404), (route, response.status_code)


def test_a_history_bucket_header_records_nothing_anywhere(served, monkeypatch):
    import gradio.history

    monkeypatch.setenv("HF_TOKEN", "hf_the_operators_token")  # what a recorder would use
    built: list[str] = []
    monkeypatch.setattr(gradio.history.HistoryTarget, "build",
                        classmethod(lambda cls, bucket, *args, **kwargs: built.append(bucket)))
    with httpx.Client(timeout=120) as http:
        header = {"x-gradio-history-bucket": "attacker/bucket"}
        event = ask(http, served.url, QUESTION, headers=header).json()["event_id"]
        assert result(http, served.url, event)["found"]
        assert http.get(f"{served.url}/gradio_api/run-history/records", headers=header).status_code == 404
    threading.Event().wait(1)  # a recording would be scheduled after the answer
    assert built == [] and served.app.run_history is False


def test_gradio_allowed_paths_in_the_environment_is_refused(retriever, monkeypatch):
    monkeypatch.setenv("GRADIO_ALLOWED_PATHS", "/")
    app = build_app(retriever)
    with pytest.raises(AssistantError, match="GRADIO_ALLOWED_PATHS"):
        launch(app, "127.0.0.1", free_port())


# --- the queue ---------------------------------------------------------------------------------------


def test_one_client_cannot_fill_the_queue(retriever):
    app = build_app(retriever, retriever.settings)
    # One request answered at a time (the app runs a batch's worth at once), so that the others wait.
    url = launch(app, "127.0.0.1", free_port(), queue_size=3, queue_per_client=2, concurrency=1)
    clients = [httpx.Client(timeout=120, transport=httpx.HTTPTransport(local_address=f"127.0.0.{n}"))
               for n in (1, 2, 3)]
    embedder = retriever.embedder
    embedder.embed_queries(["warm up"])
    try:
        with embedder.encoder.lock:  # hold the model, as a long answer would: requests wait in the queue
            first = [ask(clients[0], url, f"{QUESTION} {n}") for n in range(5)]
            second = [ask(clients[1], url, f"{QUESTION} b{n}") for n in range(3)]
            third = ask(clients[2], url, f"{QUESTION} c")
        assert [r.status_code for r in first] == [200, 200, 429, 429, 429]  # 300 of them made all wait 7.6 s
        assert "Too many requests from this address" in first[2].json()["detail"]
        assert [r.status_code for r in second] == [200, 200, 429]  # another client still gets in
        assert third.status_code == 503  # the queue itself is full: 3 waiting (and 1 answered now)
        answers = [result(clients[0], url, r.json()["event_id"]) for r in first[:2] + second[:2]]
        assert all(a["found"] for a in answers)
        assert ask(clients[0], url, QUESTION).status_code == 200  # answered: room again
    finally:
        for client in clients:
            client.close()
        app.close(verbose=False)


# --- a very large FAQ --------------------------------------------------------------------------------


@dataclass
class LargeFaq:
    """A stand-in for a Retriever of 200,000 entries: the page is built from entries and settings only
    (nothing is asked here, so no model or index is needed)."""

    entries: list[Entry]
    settings: Settings


def test_the_page_of_a_200000_question_faq_stays_small():
    entries = [Entry(id=f"e{n}", question=f"How do I configure option number {n} of the service?", answer="Yes.",
                     source="faq.md", start_line=n, end_line=n, title="Big FAQ") for n in range(200_000)]
    app = build_app(LargeFaq(entries, Settings()))
    url = launch(app, "127.0.0.1", free_port())
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            config, page = http.get("/config").text, http.get("/").text
    finally:
        app.close(verbose=False)
    for text in (config, page):  # 17 MB each with every question in the browse list
        assert len(text.encode()) < 1_000_000, f"{len(text.encode()):,} bytes"
    assert "Browse the first 1,000 of 200,000 questions" in config
    assert f"option number {MAX_BROWSE - 1} " in config and f"option number {MAX_BROWSE} " not in config
