"""A chat session over the real FAQ: follow-ups, messages, failures, and the feedback log."""

import copy
import json
import threading

import pytest

from assistant import AssistantError
from assistant.app.chat import MAX_HISTORY, Chat
from assistant.app.feedback import Vote, append_vote, read_votes

SWAP_ID = "azure-confidential-vms-faq/does-memory-written-to-the-windows-swap-file-pagefile-sys-ge"


def test_follow_up_is_read_with_the_earlier_question(retriever):
    chat = Chat()
    chat.ask(retriever, "Can I do attestation for AMD confidential VMs?")
    turn = chat.ask(retriever, "and for Intel?")
    assert turn.answer.context == "Can I do attestation for AMD confidential VMs?"
    assert turn.answer.best.question == "Can I perform attestation for my Intel-based confidential VMs?"
    assert "Read as a follow-up to: Can I do attestation for AMD confidential VMs?" in turn.reply.markdown


def test_messages_alternate_and_only_the_last_reply_has_options(retriever):
    chat = Chat()
    chat.ask(retriever, "how do I bake sourdough bread?")
    assert chat.messages()[1]["options"][0]["value"] == chat.turns[0].answer.suggestions[0].question
    chat.ask(retriever, "is the swap file encrypted?")
    chat.ask(retriever, "<b>bread</b>?")
    messages = chat.messages()
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert messages[4]["content"] == "\\<b\\>bread\\</b\\>?"
    assert "options" not in messages[1] and "options" in messages[5]
    assert "faq.txt:41-43" in messages[3]["content"]


def test_power_user_settings_show_more_passages_and_scores(retriever):
    turn = Chat().ask(retriever, "is the swap file encrypted?", passages=3, show_scores=True)
    assert [line.split("</sup>")[0] for line in turn.reply.markdown.splitlines() if line.startswith("<sup>")] == [
        "<sup>[1]", "<sup>[2]", "<sup>[3]"]
    assert f"score {turn.answer.hits[2].score:.2f}" in turn.reply.markdown


def test_history_keeps_answered_questions_only(retriever):
    chat = Chat()
    chat.ask(retriever, "   ")  # fails: the question is empty
    for number in range(MAX_HISTORY + 2):
        chat.ask(retriever, f"question {number}")
    assert chat.turns[0].answer is None
    assert chat.history() == [f"question {n}" for n in range(2, MAX_HISTORY + 2)]


def test_failures_become_a_short_message_never_a_traceback(retriever, caplog):
    class Broken:
        def answer(self, question, history=None, k=None):
            raise RuntimeError("index exploded at 0x7f")

    chat = Chat()
    user_error = chat.ask(retriever, "   ")
    assert user_error.reply.markdown == "the question is empty"
    crash = chat.ask(Broken(), "anything")
    assert crash.answer is None
    assert crash.reply.markdown.startswith("Sorry, something went wrong")
    assert "exploded" not in crash.reply.markdown and "Traceback" not in crash.reply.markdown
    assert "index exploded" in caplog.text  # but the maintainer finds it in the log


def test_vote_appends_the_right_row(retriever, tmp_path):
    log = tmp_path / "logs" / "feedback.jsonl"  # the folder does not exist yet
    chat = Chat()
    chat.ask(retriever, "is the swap file encrypted?")
    chat.ask(retriever, "how do I bake sourdough bread?")
    up = chat.vote(1, True, log)
    down = chat.vote(3, False, log)
    assert chat.vote(0, True, log) is None  # a user message
    assert chat.vote(9, True, log) is None  # no such message

    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(rows) == 2
    assert rows[0]["question"] == "is the swap file encrypted?" and rows[0]["vote"] == "up"
    assert rows[0]["entry_id"] == SWAP_ID and rows[0]["found"] is True
    assert rows[0]["score"] == chat.turns[0].answer.best.score
    assert rows[1] == {"timestamp": down.timestamp, "question": "how do I bake sourdough bread?", "vote": "down",
                       "entry_id": None, "score": chat.turns[1].answer.suggestions[0].score, "found": False}
    assert read_votes(log) == [up, down]


def test_no_vote_on_a_failed_request(retriever, tmp_path):
    chat = Chat()
    chat.ask(retriever, "")
    assert chat.vote(1, True, tmp_path / "f.jsonl") is None
    assert not (tmp_path / "f.jsonl").exists()


def test_appends_from_many_threads_stay_whole_lines(tmp_path):
    log = tmp_path / "feedback.jsonl"
    question = "x" * 5000  # longer than one pipe buffer: interleaving would split it

    def vote(n):
        for _ in range(20):
            append_vote(log, Vote(question, "up", f"e{n}", 0.5, True))

    threads = [threading.Thread(target=vote, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    votes = read_votes(log)
    assert len(votes) == 160 and all(v.question == question for v in votes)


def test_bad_votes_and_logs_are_clear_errors(tmp_path):
    with pytest.raises(AssistantError, match="'up' or 'down'"):
        Vote("q", "meh", None, None, False)
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(AssistantError, match="cannot write the feedback log"):
        append_vote(tmp_path / "blocker" / "feedback.jsonl", Vote("q", "up", None, None, False))
    (tmp_path / "folder.jsonl").mkdir()
    with pytest.raises(AssistantError, match="cannot read the feedback log"):
        read_votes(tmp_path / "folder.jsonl")


class _Overlap:
    """The real retriever, counting how many answers of one chat run at the same moment."""

    def __init__(self, retriever):
        self.retriever, self.running, self.most, self.guard = retriever, 0, 0, threading.Lock()

    def answer(self, question, history=None, k=None):
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            threading.Event().wait(0.05)  # widen the window two unguarded calls would overlap in
            return self.retriever.answer(question, history=history, k=k)
        finally:
            with self.guard:
                self.running -= 1


def test_one_session_answers_one_question_at_a_time(retriever):
    # The app runs many requests at once; two events of one session must not read the same history.
    chat, answers = copy.deepcopy(Chat()), _Overlap(retriever)
    questions = ["Can I do attestation for AMD confidential VMs?", "and for Intel?", "is the swap file encrypted?",
                 "do they cost more?"]
    threads = [threading.Thread(target=chat.ask, args=(answers, q)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.most == 1 and len(chat.turns) == 4


def test_replies_see_entries_added_or_removed_while_the_app_runs(embedder):
    from assistant import Retriever
    from assistant.app.chat import EntriesById

    retriever = Retriever.from_entries([{"id": "reset", "question": "How do I reset the router?",
                                         "answer": "Hold the reset button for ten seconds."},
                                        {"id": "light", "question": "Why is the light orange?",
                                         "answer": "It is updating its firmware."}], embedder=embedder)
    entries = EntriesById(retriever)
    assert sorted(entries) == ["light", "reset"]
    retriever.add([{"id": "ipv6", "question": "Does the router support IPv6?", "answer": "Yes, since version 2."}])
    turn = Chat().ask(retriever, "does it do ipv6?", entries=entries)
    assert turn.answer.best.entry_id == "ipv6" and entries["ipv6"].answer == "Yes, since version 2."
    retriever.remove(["light"])
    assert sorted(entries) == ["ipv6", "reset"] and "light" not in entries
