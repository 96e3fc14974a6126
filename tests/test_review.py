"""The review loop: the question log, `assistant review` on a log with planted topics, its drafts and
alternate questions (real model, real index, real files)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant import Retriever
from assistant.app.chat import Chat
from assistant.app.questionlog import LoggedQuestion, append_question, append_question_vote, read_questions
from assistant.cli import main
from assistant.ingest.corpus import load_corpus
from assistant.review.diagnose import MISSING_CONTENT, MISSING_WORDING
from assistant.review.output import alternates, drafts, write_review
from assistant.review.run import review

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "review"
CONFIDENCE = str(Path(__file__).resolve().parent / "data" / "confidence.json")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ordinary_questions(n: int = 100) -> list[str]:
    """Questions users ask of the default FAQ, from its evaluation sets (most of them it answers)."""
    sets = ["azure_dev_questions.jsonl", "azure_extra_questions.jsonl", "near/azure_near_dev.jsonl"]
    queries = [row["query"] for name in sets for row in _rows(ROOT / "eval" / name)]
    return queries[:n]


def planted() -> list[dict]:
    """Three topics the FAQ does not cover (ten paraphrases each) and seven wordings of one entry."""
    return _rows(DATA / "planted.jsonl")


def write_log(retriever: Retriever, path: Path) -> None:
    """Ask the ordinary and planted questions, each as a user of its own, and log them as the app does."""
    questions = ordinary_questions() + [row["question"] for row in planted()]
    for answer in retriever.batch_answer(questions):
        append_question(path, LoggedQuestion.of(answer, via="chat", session=f"user-{len(answer.question)}-"
                                                                         f"{abs(hash(answer.question))}"))


@pytest.fixture(scope="module")
def planted_review(retriever, tmp_path_factory):
    log = tmp_path_factory.mktemp("review") / "questions.jsonl"
    write_log(retriever, log)
    return log, review(retriever, [log])


def _topic_names(topic) -> set[str]:
    names = {row["question"]: row["topic"] for row in planted()}
    return {names.get(q, "ordinary") for q in topic.questions}


def test_planted_topics_rank_first_as_missing_content_and_the_entry_as_missing_wording(planted_review):
    _, result = planted_review
    first = result.diagnosed[:3]
    names = [_topic_names(t) for t in first]
    assert all(len(n) == 1 for n in names), [t.questions for t in first]  # each topic is one planted subject
    assert {n for ns in names for n in ns} == {"backup", "kubernetes", "monitoring"}
    assert all(t.kind == MISSING_CONTENT and len(t.questions) >= 6 for t in first), [t.questions for t in first]
    wording = [t for t in result.diagnosed if t.kind == MISSING_WORDING]
    assert wording, "the under-worded entry was not found"
    for topic in wording:  # nothing else is taken for missing wording
        assert _topic_names(topic) == {"size selector"}, topic.questions
        assert topic.closest.question == SIZE_SELECTOR
    assert result.questions == 137 and result.reviewed < result.questions


def test_every_planted_topic_is_kept_apart_and_diagnosed_by_kind(planted_review):
    _, result = planted_review
    for topic in result.diagnosed:
        names = _topic_names(topic) - {"ordinary"}
        assert len(names) <= 1, topic.questions  # no topic mixes two planted subjects
        if names & {"backup", "kubernetes", "monitoring"}:
            assert topic.kind == MISSING_CONTENT, topic.questions
            assert topic.closest.lacking, topic.questions  # the words the entry never uses are named


SIZE_SELECTOR = "Why can't I find DCasv5/ECasv5 or DCesv5/ECesv5 VMs in the Azure portal size selector?"


def test_review_writes_a_report_and_drafts_that_load_as_a_corpus(planted_review, tmp_path):
    _, result = planted_review
    files = write_review(result, tmp_path / "review")
    assert {f.name for f in files} == {"report.html", "topics.jsonl", "drafts.jsonl", "alternates.jsonl"}
    page = (tmp_path / "review" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page.split("</style>")[1].split("Logs:")[0]
    assert "missing wording" in page and SIZE_SELECTOR.replace("'", "&#x27;") in page
    rows = drafts(result)
    corpus = load_corpus(tmp_path / "review" / "drafts.jsonl")
    assert [e.question for e in corpus.entries] == [row["question"] for row in rows]
    assert all(e.answer.startswith("TODO") for e in corpus.entries)
    assert [list(e.alternates) for e in corpus.entries] == [row["alternates"] for row in rows]
    suggested = alternates(result)
    assert suggested and suggested[0]["question"] == SIZE_SELECTOR


def confident_right(retriever: Retriever, rows: list[dict]) -> float:
    answers = retriever.batch_answer([row["query"] for row in rows])
    return sum(a.found and a.hits[0].question == row["expected"] for a, row in zip(answers, rows)) / len(rows)


def test_suggested_alternates_raise_the_confident_right_rate_on_held_back_paraphrases(
        planted_review, retriever, embedder, tmp_path):
    """README, Review loop: the figure. The review's suggested wordings become alternate questions of the
    entry in a JSONL copy of the FAQ; paraphrases the review never saw are asked before and after."""
    _, result = planted_review
    suggested = {row["entry_id"]: row["alternates"] for row in alternates(result)}
    held_back = _rows(DATA / "held_back.jsonl")
    rows = [{"id": e.id, "question": e.question, "answer": e.answer, "alternates": suggested.get(e.id, [])}
            for e in retriever.entries]
    assert any(row["alternates"] for row in rows)
    before_corpus, after_corpus = tmp_path / "before" / "faq.jsonl", tmp_path / "after" / "faq.jsonl"
    for path, with_alternates in ((before_corpus, False), (after_corpus, True)):
        path.parent.mkdir()
        path.write_text("".join(json.dumps({**row, "alternates": row["alternates"] if with_alternates else []}) + "\n"
                                for row in rows), encoding="utf-8")
    settings = retriever.settings.replace(confidence_model=CONFIDENCE)
    before = Retriever.load(tmp_path / "before-index", corpus=before_corpus, embedder=embedder, settings=settings)
    after = Retriever.load(tmp_path / "after-index", corpus=after_corpus, embedder=embedder, settings=settings)
    rate_before, rate_after = confident_right(before, held_back), confident_right(after, held_back)
    print(f"confident-right on {len(held_back)} held-back paraphrases: {rate_before:.2f} -> {rate_after:.2f}")
    assert rate_after > rate_before


def test_an_alternate_question_is_a_question_view_of_its_entry(embedder, tmp_path):
    corpus = tmp_path / "faq.jsonl"
    rows = [{"question": "What are your opening hours?", "answer": "We open from 9 to 5 on weekdays."},
            {"question": "How do I return an item?", "answer": "Use the form on the returns page within 30 days.",
             "alternates": ["I want my money back"]}]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    retriever = Retriever.load(tmp_path / "index", corpus=corpus, embedder=embedder)
    assert retriever.data.manifest["counts"]["vectors"] > 0
    hit = retriever.search("I want my money back")[0]
    assert hit.question == "How do I return an item?"
    assert hit.signals["question"] > 0.99  # the alternate itself, as a question view


# --- the question log ---------------------------------------------------------------------------------


def test_chat_logs_each_question_and_the_vote_on_its_answer(retriever, tmp_path):
    log, votes = tmp_path / "questions.jsonl", tmp_path / "feedback.jsonl"
    chat = Chat()
    chat.ask(retriever, "What are confidential VMs?", question_log=log)
    chat.ask(retriever, "how do I bake bread?", question_log=log)
    chat.vote(3, False, votes, log)
    logged = read_questions([log])
    assert [q.question for q in logged] == ["What are confidential VMs?", "how do I bake bread?"]
    assert [q.outcome for q in logged] == ["answered", "not found"]
    assert [q.vote for q in logged] == [None, "down"]
    assert logged[1].history == ["What are confidential VMs?"] and logged[0].session == logged[1].session
    assert logged[0].top[0].question == "What are confidential VMs?"
    unlogged = Chat()
    unlogged.ask(retriever, "What are confidential VMs?")  # no log given: nothing written
    assert len(read_questions([log])) == 2


def test_a_damaged_line_is_skipped_with_a_warning_naming_it(retriever, tmp_path, caplog):
    log = tmp_path / "questions.jsonl"
    answer = retriever.answer("What are confidential VMs?")
    first = LoggedQuestion.of(answer)
    append_question(log, first)
    with open(log, "a", encoding="utf-8") as out:
        out.write('{"kind": "question", "question": "cut sh\n')
        out.write('{"kind": "question", "id": "x", "question": "no outcome"}\n')
    append_question_vote(log, first.id, "down")
    with caplog.at_level(logging.WARNING):
        logged = read_questions([log])
    assert [q.id for q in logged] == [first.id] and logged[0].vote == "down"
    assert f"{log}:2:" in caplog.text and f"{log}:3:" in caplog.text


def test_feedback_log_votes_are_read_as_down_voted_questions(tmp_path):
    log = tmp_path / "feedback.jsonl"
    log.write_text(json.dumps({"timestamp": "2026-11-28T11:32:35+00:00", "question": "Is it slow?", "vote": "down",
                               "entry_id": "faq/speed", "score": 0.5, "found": True}) + "\n", encoding="utf-8")
    (logged,) = read_questions([log])
    assert (logged.question, logged.vote, logged.outcome) == ("Is it slow?", "down", "answered")


def test_cli_ask_logs_only_when_asked_and_review_writes_its_folder(default_corpus, retriever, tmp_path, capsys):
    log = tmp_path / "asked.jsonl"
    index = str(retriever.settings.index)
    assert main(["ask", "how do I bake bread?", "--corpus", str(default_corpus), "--index", index]) == 0
    assert not log.exists()
    for question in ("how do I bake bread?", "what flour makes good bread?", "What are confidential VMs?"):
        assert main(["ask", question, "--corpus", str(default_corpus), "--index", index, "--log", str(log)]) == 0
    assert len(read_questions([log])) == 3
    capsys.readouterr()
    out = tmp_path / "review"
    assert main(["review", str(log), "--out", str(out), "--corpus", str(default_corpus), "--index", index]) == 0
    printed = capsys.readouterr().out
    assert "3 questions in 1 log(s)" in printed and "bake bread" in printed
    assert (out / "report.html").exists() and load_corpus(out / "drafts.jsonl").entries
    assert main(["review", str(tmp_path / "missing.jsonl"), "--corpus", str(default_corpus), "--index", index]) == 1
    assert "no log at" in capsys.readouterr().err


def test_the_footer_says_questions_are_logged_unless_logging_is_off(retriever, tmp_path):
    from assistant.app.layout import build_app

    on = retriever.settings.replace(feedback_log=tmp_path / "feedback.jsonl")
    assert on.question_log_path == tmp_path / "questions.jsonl"  # beside the feedback log
    config = json.dumps(build_app(retriever, on).get_config_file(), default=str)
    assert "Questions asked here are logged on this machine" in config and str(tmp_path) not in config
    off = on.replace(log_questions=False)
    assert off.question_log_path is None
    assert "logged on this machine" not in json.dumps(build_app(retriever, off).get_config_file(), default=str)
