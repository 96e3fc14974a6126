"""The feedback log under a full disk, damage and hostile files: every append is whole or absent, and a
damaged line never takes the others with it (`assistant.app.jsonlog`, used for votes)."""

from __future__ import annotations

import logging
import os
import threading

import pytest
from disk_full import file_size_limit

from assistant import AssistantError
from assistant.app.chat import Chat
from assistant.app.feedback import Vote, append_vote, read_votes


def vote(question: str = "is the swap file encrypted?", n: int = 0) -> Vote:
    return Vote(question, "up", f"faq/entry-{n}", 0.5, True)


def test_a_vote_on_a_full_disk_leaves_nothing_and_the_next_one_is_whole(tmp_path):
    log = tmp_path / "feedback.jsonl"
    append_vote(log, vote(n=1))
    append_vote(log, vote(n=2))
    before = log.read_bytes()
    with file_size_limit(len(before) + 10), pytest.raises(AssistantError, match="cannot write the feedback log"):
        append_vote(log, vote(n=3))  # 10 bytes fit: they are taken back
    assert log.read_bytes() == before
    append_vote(log, vote(n=4))
    assert [v.entry_id for v in read_votes(log)] == ["faq/entry-1", "faq/entry-2", "faq/entry-4"]


def test_a_damaged_line_is_skipped_with_a_warning_naming_it(tmp_path, caplog):
    log = tmp_path / "feedback.jsonl"
    append_vote(log, vote(n=1))
    with open(log, "ab") as handle:
        handle.write(b'{"timestamp": "2026-01-01T00:00:00+00:00", "quest\n')  # a write cut short
        handle.write(b"\xff\xfe not UTF-8\n")
        handle.write(b"[1, 2]\n")
        handle.write(b'{"question": "q"}\n')  # JSON, not a vote
    append_vote(log, vote(n=6))
    with caplog.at_level(logging.WARNING):
        votes = read_votes(log)
    assert [v.entry_id for v in votes] == ["faq/entry-1", "faq/entry-6"]
    warned = [r.getMessage() for r in caplog.records]
    assert [m.split(": ", 1)[0] for m in warned] == [f"{log}:{n}" for n in (2, 3, 4, 5)]
    assert all("skipped a damaged line" in m for m in warned)


def test_a_log_left_without_its_last_line_break_gets_one_before_the_next_vote(tmp_path):
    log = tmp_path / "feedback.jsonl"
    append_vote(log, vote(n=1))
    with open(log, "ab") as handle:
        handle.write(b'{"timestamp": "2026-01-01T0')  # killed mid-line by something else
    append_vote(log, vote(n=2))
    assert [v.entry_id for v in read_votes(log)] == ["faq/entry-1", "faq/entry-2"]


def _returns_within(seconds: float, call) -> BaseException | None:
    """Run `call` in a thread; fail the test if it has not returned after `seconds`. Its exception, if any."""
    raised: list[BaseException | None] = [None]

    def run():
        try:
            call()
        except BaseException as exc:  # noqa: B036 (handed to the test)
            raised[0] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the vote blocked"
    return raised[0]


@pytest.mark.parametrize("reader", [False, True])
def test_a_fifo_as_the_log_is_refused_at_once(tmp_path, reader):
    log = tmp_path / "feedback.jsonl"
    os.mkfifo(log)
    held = os.open(log, os.O_RDONLY | os.O_NONBLOCK) if reader else None
    try:
        error = _returns_within(30, lambda: append_vote(log, vote()))
        assert isinstance(error, AssistantError) and "cannot write the feedback log" in str(error)
        if held is not None:  # nothing went into the pipe either
            assert os.read(held, 100) == b""
        error = _returns_within(30, lambda: read_votes(log))
        assert isinstance(error, AssistantError) and "not a regular file" in str(error)
    finally:
        if held is not None:
            os.close(held)
    append_vote(tmp_path / "other.jsonl", vote())  # the lock was released: other votes go on


def test_a_lone_surrogate_in_a_question_is_voted_on(retriever, tmp_path):
    import orjson  # what Gradio encodes its event stream with: it refuses lone surrogates

    chat = Chat()
    chat.ask(retriever, "is the swap file \ud83d encrypted?")  # half of an emoji, as a browser can send
    orjson.dumps(chat.messages())
    log = tmp_path / "feedback.jsonl"
    assert chat.vote(1, True, log).question == "is the swap file \ufffd encrypted?"
    assert read_votes(log)[0].question == "is the swap file \ufffd encrypted?"
    append_vote(log, vote("a raw \udcff surrogate"))  # straight to the log, too
    assert read_votes(log)[1].question == "a raw \ufffd surrogate"


@pytest.mark.parametrize("kind", ["folder", "fifo", "file in place of its folder"])
def test_serve_refuses_a_log_it_cannot_append_to_before_loading_anything(kind, tmp_path, capsys):
    from assistant.cli import main
    from benchmarks.load import free_port

    log = tmp_path / "feedback.jsonl"
    if kind == "folder":
        log.mkdir()
    elif kind == "fifo":
        os.mkfifo(log)
    else:
        (tmp_path / "logs").write_text("a file")
        log = tmp_path / "logs" / "feedback.jsonl"
    code = main(["serve", "--port", str(free_port()), "--feedback-log", str(log), "--index", str(tmp_path / "index"),
                 "--corpus", str(tmp_path / "no-corpus")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"error: cannot write the feedback log {log}") and err.count("\n") == 1
    assert not (tmp_path / "index").exists()  # nothing was loaded or built


def test_a_log_past_its_size_is_rotated_and_no_line_is_lost(tmp_path):
    from assistant.app.jsonlog import ROTATED_KEPT, read_rows, rotated, with_rotated

    log = tmp_path / "votes.jsonl"
    votes = [Vote(question=f"question {n}?", vote="up", entry_id=None, score=None, found=False) for n in range(40)]
    for vote in votes:
        append_vote(log, vote, max_bytes=300)
    files = with_rotated(log)
    assert files[-1] == log and files[0] == rotated(log, ROTATED_KEPT) and len(files) == ROTATED_KEPT + 1
    assert all(0 < f.stat().st_size <= 300 for f in files)
    kept = [row.record["question"] for f in files for row in read_rows(f)]
    # Oldest first across the files, every line whole; only what went past the fifth rotation is gone.
    assert kept == [v.question for v in votes][-len(kept):] and len(kept) >= 6


def test_review_reads_the_rotated_question_logs_by_default(tmp_path):
    from assistant.app.jsonlog import with_rotated

    log = tmp_path / "questions.jsonl"
    for name in ("questions.jsonl.2", "questions.jsonl.1", "questions.jsonl"):
        (tmp_path / name).write_text("{}\n")
    assert with_rotated(log) == [tmp_path / "questions.jsonl.2", tmp_path / "questions.jsonl.1", log]
    assert with_rotated(tmp_path / "none.jsonl") == [tmp_path / "none.jsonl"]
