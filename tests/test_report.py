import csv
import json
import re

from assistant.evaluation.evaluate import QuestionResult, RankedHit, Report
from assistant.evaluation.metrics import Outcome, compute_metrics, reliability, threshold_curve
from assistant.evaluation.report import summary_table, write_report

A, B = RankedHit("faq/a", "What is A?", 0.8), RankedHit("faq/b", "What is <b>B</b>?", 0.5)


def _report(config: str = "default") -> Report:
    results = [
        QuestionResult(1, None, "tell me about A", [], ["What is A?"], ["faq/a"], ["What is A?"], True, False, 0.8,
                       False, [A, B], 1, "right answer"),
        QuestionResult(2, "q2", "<script>alert(1)</script>", [], [], [], [], True, False, 0.6, False, [B, A], None,
                       "answered out of scope"),
    ]
    outcomes = [Outcome(("faq/a", "faq/b"), frozenset({"faq/a"}), True, confidence=0.8),
                Outcome(("faq/b", "faq/a"), frozenset(), True, confidence=0.6)]
    return Report(config, "set.jsonl", "corpus", 2, {"min_confidence": 0.5}, compute_metrics(outcomes, 10),
                  results, threshold_curve(outcomes, [0.5, 0.7]), reliability(outcomes))


def test_summary_table_side_by_side():
    table = summary_table([_report("default"), _report("dense")]).splitlines()
    assert table[0] == "set.jsonl: 2 questions, 1 in scope, 1 out of scope; corpus corpus (2 entries)"
    assert table[2].split() == ["default", "dense"]
    rows = {label: values for label, *values in (re.split(r"\s{2,}", line) for line in table[3:])}
    assert list(rows) == ["hit@1", "hit@3", "recall@10", "MRR", "MAP", "nDCG@10", "nDCG@3", "answered in scope",
                          "answered right in scope", "not answered out of scope", "false-answer rate",
                          "confident wrong", "hedged", "confidence AUROC", "calibration error", "accuracy",
                          "follow-up accuracy", "wrong outcomes"]
    assert rows["hit@1"] == ["1.0000", "1.0000"]
    assert rows["not answered out of scope"] == ["0.0000", "0.0000"]
    assert rows["confidence AUROC"] == ["1.0000", "1.0000"] and rows["hedged"] == ["0.0000", "0.0000"]
    assert rows["false-answer rate"] == ["0.5000", "0.5000"]
    assert rows["follow-up accuracy"] == ["-", "-"]  # no follow-ups: not 0
    assert rows["wrong outcomes"] == ["1", "1"]


def test_write_report_files_parse_and_html_is_escaped(tmp_path):
    report = _report()
    paths = write_report(report, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["failures.jsonl", "metrics.json", "reliability.png", "report.html",
                                             "results.csv", "results.jsonl", "thresholds.png"]
    out = tmp_path / "out"
    assert [json.loads(line)["qid"] for line in (out / "results.jsonl").read_text().splitlines()] == [None, "q2"]
    assert [json.loads(line)["line"] for line in (out / "failures.jsonl").read_text().splitlines()] == [2]
    with open(out / "results.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1]["outcome"] == "answered out of scope" and rows[1]["confidence"] == "0.6000"
    assert rows[0]["top2_question"] == "What is <b>B</b>?" and rows[0]["top2_score"] == "0.5000"
    assert json.loads((out / "metrics.json").read_text())["metrics"]["false_answer_rate"] == 0.5
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "What is &lt;b&gt;B&lt;/b&gt;?" in page and "<b>B</b>" not in page
    assert "Entries that attract wrong answers (1)" in page
    assert page.count("data:image/png;base64,") == 2  # the threshold curve and the reliability diagram
    assert (out / "reliability.png").read_bytes().startswith(b"\x89PNG")
