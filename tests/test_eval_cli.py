"""`assistant eval` end to end: the real model, real index, real files."""

import csv
import json

import pytest
from conftest import DATA

from assistant.cli import main

EVAL = DATA / "eval"


@pytest.fixture(autouse=True)
def fixed_confidence(monkeypatch):
    """A fixed confidence model (0.5 at a fused score of 0.4) answering from 0.2, so that these tests
    do not move when the shipped model is refitted; set the way a user would, in the environment."""
    monkeypatch.setenv("FAQ_ASSISTANT_CONFIDENCE_MODEL", str(DATA / "confidence.json"))
    monkeypatch.setenv("FAQ_ASSISTANT_MIN_CONFIDENCE", "0.2")
    monkeypatch.setenv("FAQ_ASSISTANT_HEDGE_CONFIDENCE", "0.1")


def test_eval_json_and_out_files(small_corpus, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["eval", str(EVAL / "questions.jsonl"), "--corpus", str(small_corpus), "--index",
                 str(tmp_path / "index"), "-k", "2", "--json", "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    metrics = json.loads(captured.out)
    assert (metrics["questions"], metrics["in_scope"], metrics["k"]) == (7, 5, 2)
    assert metrics["hit_at_1"] == 0.8 and metrics["mrr"] == 0.9 and metrics["rejected_out_of_scope"] == 1.0
    assert f"wrote {out / 'report.html'}" in captured.err

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["outcome"] for r in rows][4:] == ["wrong answer", "declined", "declined"]
    assert rows[0]["hits"][0]["question"] == "How do I install the widget?" and rows[0]["correct"] is True
    assert rows[5]["abstained"] is True and rows[5]["expected"] == []
    with open(out / "results.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 7 and table[4]["top1_question"] == "Is there a team plan?" and table[4]["rank"] == "2"
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [f["query"] for f in failures] == ["how much do seats cost for a company?"]
    assert json.loads((out / "metrics.json").read_text())["metrics"]["hit_at_1"] == 0.8
    assert (out / "thresholds.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "Misses (1)" in page
    assert "how much do seats cost for a company?" in page and "Entries that attract wrong answers (1)" in page


def test_eval_compare_side_by_side_with_its_own_index(small_corpus, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"  # the working directory, with no corpus/ of its own
    work.mkdir()
    monkeypatch.chdir(work)
    code = main(["eval", str(EVAL / "followups.jsonl"), "--corpus", str(small_corpus),
                 "--compare", "default", "dense", "closed:min_confidence=2,hedge_confidence=2", "--out", "reports"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"4 questions, 4 in scope, 0 out of scope, 2 follow-ups; corpus {small_corpus} "
                             "(4 entries)")
    assert lines[2].split() == ["default", "dense", "closed"]
    rows = {line[:22].strip(): line[22:].split() for line in lines[3:]}
    assert rows["hit@1"] == ["1.0000", "1.0000", "1.0000"]
    assert rows["answered in scope"] == ["1.0000", "1.0000", "0.0000"]
    assert rows["follow-up accuracy"] == ["1.0000", "1.0000", "0.0000"]
    for name in ("default", "dense", "closed"):  # one folder of files per configuration
        assert json.loads((work / "reports" / name / "metrics.json").read_text())["config"] == name
    # A corpus other than the configured one gets its own index under .cache/, never index/.
    assert not (work / "index").exists()
    [index] = [p for p in (work / ".cache" / "index").iterdir() if not p.name.startswith(".")]  # .lock aside
    assert index.name.startswith("corpus-") and (index / "manifest.json").is_file()


def test_eval_malformed_file_is_one_line_and_nonzero(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "a", "expected": null}\n{"query": "b" "expected": null}\n', encoding="utf-8")
    assert main(["eval", str(bad), "--corpus", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}:2: not valid JSON") and err.count("\n") == 1
    assert main(["eval", str(DATA / "eval" / "questions.jsonl"), "--compare", "fast:model=x"]) == 1
    assert "not a question-time setting" in capsys.readouterr().err
