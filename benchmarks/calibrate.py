"""Fit the confidence model (assistant/search/confidence.json) on labelled question sets of several FAQs.

For every (FAQ, question set) below, each question is answered through `Retriever.batch_answer` and
labelled 1 when the top entry answers it (0: a wrong entry, or a question the FAQ does not answer).
Leave-out sets (a fifth of an FAQ's question groups dropped, see assistant/evaluation/leaveout.py)
supply the near misses. A logistic regression over `Answer.evidence` is fitted with every FAQ
weighing the same, and checked FAQ by FAQ on a model fitted without it (leave one FAQ out), which is
what a new user's FAQ meets.

    python -m benchmarks.calibrate                 # report only
    python -m benchmarks.calibrate --write         # also write assistant/search/confidence.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "calibrate"
MODEL = ROOT / "assistant" / "search" / "confidence.json"


@dataclass(frozen=True)
class Case:
    """A question set about one FAQ; `leave_out` > 0 drops that share of its question groups."""

    faq: str  # the FAQ's name: cases of one FAQ are held out together
    corpus: Path
    questions: Path
    leave_out: float = 0.0
    seed: int = 1

    @property
    def name(self) -> str:
        suffix = f"-leaveout{self.seed}" if self.leave_out else ""
        return f"{self.faq}:{self.questions.stem}{suffix}"


def dev_cases() -> list[Case]:
    """The development sets: the default FAQ, StackFAQ, and four real FAQs with their leave-outs.
    The held-out FAQs (eval/heldout/) are never used here."""
    e = ROOT / "eval"
    cases = [
        Case("azure", ROOT / "corpus", e / "azure_dev_questions.jsonl"),
        Case("azure", ROOT / "corpus", e / "azure_extra_questions.jsonl"),
        Case("azure", ROOT / "corpus", e / "near" / "azure_near_dev.jsonl"),
        Case("stackfaq", e / "near" / "stackfaq_leaveout" / "faq.jsonl",
             e / "near" / "stackfaq_leaveout" / "queries.jsonl"),
    ]
    for folder in sorted((e / "realfaq").iterdir()):
        faq = next(p for p in folder.iterdir() if p.name not in ("questions.jsonl", "followups.jsonl", "SOURCE.txt"))
        cases.append(Case(folder.name, faq, folder / "questions.jsonl"))
        cases.append(Case(folder.name, faq, folder / "questions.jsonl", leave_out=0.2))
    return cases


@dataclass
class Row:
    case: str
    faq: str
    features: dict[str, float]
    label: int  # the top entry answers the question
    answerable: bool


def answer_case(case: Case, embedder) -> list[Row]:
    from assistant import Retriever, Settings, load_corpus
    from assistant.evaluation.leaveout import leave_out, write_corpus
    from assistant.evaluation.questionsets import read_question_set

    questions = read_question_set(case.questions)
    corpus = case.corpus
    if case.leave_out:
        kept, questions = leave_out(load_corpus(case.corpus).entries, questions, case.leave_out, case.seed)
        corpus = write_corpus(kept, CACHE / "corpora" / f"{case.faq}-{case.seed}.jsonl")
    retriever = Retriever.load(CACHE / "index" / (case.faq + (f"-leaveout{case.seed}" if case.leave_out else "")),
                               corpus=corpus, embedder=embedder, settings=Settings.from_env(
                                   confidence_model=str(_measuring_model())))
    questions = questions.resolve(retriever.entries).questions
    answers = retriever.batch_answer([q.query for q in questions], [list(q.history) for q in questions])
    return [Row(case.name, case.faq, a.evidence, int(bool(a.ranking) and a.ranking[0].entry_id in q.relevant),
                bool(q.relevant)) for q, a in zip(questions, answers)]


def _measuring_model() -> Path:
    """A confidence model that weighs every feature 0: answers carry every feature in their evidence
    (a Retriever computes the word features only for a model that reads them)."""
    from assistant.search.confidence import FEATURES

    path = CACHE / "measure-every-feature.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"weights": dict.fromkeys(FEATURES, 0.0), "bias": 0.0}), encoding="utf-8")
    return path


def fit(rows: list[Row], features: tuple[str, ...]):
    """A `ConfidenceModel`: a logistic regression over `features`, then an isotonic map of its output
    onto the share of right answers (the logistic curve alone was too flat: 0.3-0.4 was right 17% of
    the time, 0.6-0.7 86%), every FAQ weighing the same in both."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    from assistant.search.confidence import ConfidenceModel

    per_faq = {faq: sum(1 for r in rows if r.faq == faq) for faq in {r.faq for r in rows}}
    x = np.array([[r.features[f] for f in features] for r in rows])
    y = np.array([r.label for r in rows])
    weights = np.array([len(rows) / (len(per_faq) * per_faq[r.faq]) for r in rows])
    logistic = LogisticRegression(C=1.0, max_iter=5000).fit(x, y, sample_weight=weights)
    raw = ConfidenceModel(dict(zip(features, logistic.coef_[0].tolist())), float(logistic.intercept_[0]))
    outputs = np.array([raw(r.features) for r in rows])
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(outputs, y, sample_weight=weights)
    # Each step of the fitted staircase becomes one point, at its middle, joined by straight lines: a
    # higher output stays a higher confidence (a staircase would tie them and lose ranking).
    steps: dict[float, list[float]] = {}
    for x_value, y_value in zip(isotonic.X_thresholds_, isotonic.y_thresholds_):
        steps.setdefault(round(float(y_value), 6), []).append(float(x_value))
    points = sorted((round((min(xs) + max(xs)) / 2, 6), y_value) for y_value, xs in steps.items())
    points = [(0.0, points[0][1])] * (points[0][0] > 0) + points + [(1.0, points[-1][1])] * (points[-1][0] < 1)
    return ConfidenceModel({k: round(v, 6) for k, v in raw.weights.items()}, round(raw.bias, 6), tuple(points))


def auroc(positives: list[float], negatives: list[float]) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    pos, neg = np.sort(np.asarray(positives)), np.asarray(negatives)
    below = np.searchsorted(pos, neg, side="left")  # positives below each negative
    ties = np.searchsorted(pos, neg, side="right") - below
    return float(1 - (below.sum() + ties.sum() / 2) / (len(pos) * len(neg)))


def report(rows: list[Row], probabilities: dict[int, float], min_confidence: float, hedge: float) -> list[str]:
    """Per FAQ and pooled: AUROC, confident right among the answerable, not confident among the
    unanswerable, confident wrong and hedged shares."""
    lines = ["| FAQ | questions | AUROC | answerable: confident and right | unanswerable: not confident "
             "| confident wrong | hedged |", "|---|---|---|---|---|---|---|"]
    groups = sorted({r.faq for r in rows}) + ["all"]
    for faq in groups:
        index = [i for i, r in enumerate(rows) if faq in ("all", r.faq)]
        p = {i: probabilities[i] for i in index}
        answerable = [i for i in index if rows[i].answerable]
        unanswerable = [i for i in index if not rows[i].answerable]
        right = [p[i] for i in index if rows[i].label]
        wrong = [p[i] for i in index if not rows[i].label]
        confident_right = sum(1 for i in answerable if rows[i].label and p[i] >= min_confidence)
        declined = sum(1 for i in unanswerable if p[i] < min_confidence)
        confident_wrong = sum(1 for i in index if not rows[i].label and p[i] >= min_confidence)
        hedged = sum(1 for i in index if hedge <= p[i] < min_confidence)
        lines.append(f"| {faq} | {len(index)} | {auroc(right, wrong):.3f} | "
                     f"{_share(confident_right, len(answerable))} | {_share(declined, len(unanswerable))} | "
                     f"{_share(confident_wrong, len(index))} | {_share(hedged, len(index))} |")
    return lines


def reliability(rows: list[Row], probabilities: dict[int, float], bins: int = 10) -> list[str]:
    lines = ["| confidence | questions | right |", "|---|---|---|"]
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        index = [i for i, p in probabilities.items() if low <= p < high or (b == bins - 1 and p == 1)]
        if index:
            right = sum(rows[i].label for i in index) / len(index)
            lines.append(f"| {low:.1f}–{high:.1f} | {len(index)} | {right:.2f} |")
    return lines


def _share(count: int, total: int) -> str:
    return f"{count / total:.3f} ({count}/{total})" if total else "–"


def main(argv: list[str] | None = None) -> int:
    from assistant import Embedder, Settings
    from assistant.search.confidence import FEATURES

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"write the fitted model to {MODEL}")
    parser.add_argument("--features", nargs="*", default=["score", "margin"], choices=FEATURES)
    parser.add_argument("--min-confidence", type=float, help="the threshold to report at (default: Settings)")
    parser.add_argument("--rows", type=Path, help="read/write the answered rows here (skips answering when present)")
    args = parser.parse_args(argv)
    features = tuple(args.features)

    if args.rows and args.rows.exists():
        rows = [Row(**r) for r in json.loads(args.rows.read_text())]
    else:
        embedder = Embedder()
        rows = [row for case in dev_cases() for row in answer_case(case, embedder)]
        if args.rows:
            args.rows.write_text(json.dumps([r.__dict__ for r in rows]))
    settings = Settings()
    held_out: dict[int, float] = {}
    for faq in sorted({r.faq for r in rows}):
        model = fit([r for r in rows if r.faq != faq], features)
        held_out.update((i, model(r.features)) for i, r in enumerate(rows) if r.faq == faq)
    print("Each FAQ scored by a model fitted on the others (leave one FAQ out):\n")
    threshold = settings.min_confidence if args.min_confidence is None else args.min_confidence
    print("\n".join(report(rows, held_out, threshold, settings.hedge_confidence)))
    print("\nReliability (leave one FAQ out):\n")
    print("\n".join(reliability(rows, held_out)))
    fitted = fit(rows, features).to_dict()
    fitted["trained_on"] = (f"{len(rows)} questions about {len({r.faq for r in rows})} FAQs "
                            f"({', '.join(sorted({r.faq for r in rows}))}; leave-out sets included), "
                            "every FAQ weighing the same; python -m benchmarks.calibrate")
    print("\nFitted on all of them:", json.dumps(fitted))
    if args.write:
        MODEL.write_text(json.dumps(fitted, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
