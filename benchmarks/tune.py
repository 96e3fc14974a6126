"""Choose the fusion weights on several FAQs at once, and see how each FAQ fares.

Every development question set is scored once (the five signals of every entry for every question);
each combination of weights on a grid is then fused in numpy, exactly as `search/scoring.py` fuses,
and ranked. A combination is judged by the mean over FAQs (each FAQ weighing the same) of hit@1
and MRR on the answerable questions; the table shows each FAQ's figures, so that a setting that
suits one FAQ and hurts the others shows. The held-out FAQs (eval/heldout/) are never used here.

    python -m benchmarks.tune                 # the grid, best first
    python -m benchmarks.tune --top 20
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass

import numpy as np

from .calibrate import CACHE, ROOT, Case, dev_cases

SIGNALS = ("question", "passage", "sentence", "centroid", "lexical")


@dataclass
class Scored:
    """One question set's signals: (questions, entries) per signal, and the right entries of each."""

    faq: str
    signals: dict[str, np.ndarray]
    relevant: list[np.ndarray]  # per answerable question: the indexes of its entries
    group_of: np.ndarray
    by_group: np.ndarray
    group_starts: np.ndarray


def ranking_cases() -> list[Case]:
    """The development sets without leave-outs, with the whole of StackFAQ (all 1,249 questions
    answerable) instead of its leave-out version."""
    stackfaq = ROOT / "eval" / "stackfaq"
    return [case for case in dev_cases() if not case.leave_out and case.faq != "stackfaq"] + [
        Case("stackfaq", stackfaq / "faq.jsonl", stackfaq / "queries.jsonl")]


def score_case(case: Case, embedder) -> Scored:
    from assistant import Retriever
    from assistant.evaluation.questionsets import read_question_set
    from assistant.search.query import clean_query

    retriever = Retriever.load(CACHE / "index" / case.faq, corpus=case.corpus, embedder=embedder)
    questions = [q for q in read_question_set(case.questions).resolve(retriever.entries).questions
                 if q.relevant and not q.history]
    position = {e.id: i for i, e in enumerate(retriever.entries)}
    state = retriever._state
    scores = retriever._score(state, [clean_query(q.query) for q in questions])
    layout = state.scorer.layout
    return Scored(case.faq, {name: np.nan_to_num(v, neginf=0.0) for name, v in scores.signals.items()},
                  [np.array([position[i] for i in q.relevant]) for q in questions], retriever.data.group_of,
                  layout.by_group, layout.group_starts)


def fuse(s: Scored, weights: dict[str, float], group_share: float, saturation: float) -> np.ndarray:
    """The fused scores, as search/scoring.py computes them (the lexical signal re-squashed)."""
    signals = dict(s.signals)
    squashed = np.clip(signals["lexical"], 0, 0.999999)
    raw = 5.0 * squashed / (1 - squashed)  # the index's squashing uses a saturation of 5
    signals["lexical"] = raw / (raw + saturation)
    total = sum(weights.values()) or 1.0
    own = sum(weights[n] * signals[n] for n in SIGNALS) / total
    best = np.maximum.reduceat(own[:, s.by_group], s.group_starts, axis=1)
    return group_share * best[:, s.group_of] + (1 - group_share) * own


def rank_metrics(s: Scored, fused: np.ndarray) -> tuple[float, float]:
    order = np.argsort(-fused, axis=1, kind="stable")
    hits, reciprocal = [], []
    for row, relevant in enumerate(s.relevant):
        rank = int(np.flatnonzero(np.isin(order[row], relevant))[0]) + 1
        hits.append(rank == 1)
        reciprocal.append(1 / rank)
    return float(np.mean(hits)), float(np.mean(reciprocal))


def main(argv: list[str] | None = None) -> int:
    from assistant import Embedder, Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    embedder = Embedder()
    scored: dict[str, list[Scored]] = {}
    for case in ranking_cases():
        scored.setdefault(case.faq, []).append(score_case(case, embedder))
    settings = Settings()
    current = (tuple(settings.weights[n] for n in SIGNALS), settings.group_share, settings.lexical_saturation)
    grid = itertools.product([0.0, 0.1, 0.2, 0.3, 0.4], [0.0, 0.1, 0.2], [0.0, 0.1, 0.2, 0.3],
                             [0.0, 0.2, 0.4, 0.6], [0.0, 0.1, 0.2, 0.3], [0.5, 0.9], [5.0])
    rows = []
    for combo in itertools.chain([(*current[0], current[1], current[2])], grid):
        weights = dict(zip(SIGNALS, combo[:5]))
        if not sum(weights.values()):
            continue
        per_faq = {}
        for faq, sets in scored.items():
            values = [rank_metrics(s, fuse(s, weights, combo[5], combo[6])) for s in sets]
            count = [len(s.relevant) for s in sets]
            per_faq[faq] = tuple(np.average([v[i] for v in values], weights=count) for i in range(2))
        mean_hit = float(np.mean([v[0] for v in per_faq.values()]))
        mean_mrr = float(np.mean([v[1] for v in per_faq.values()]))
        rows.append((mean_hit, mean_mrr, combo, per_faq))
    first = rows[0]
    rows.sort(key=lambda r: (-r[0], -r[1]))
    faqs = sorted(scored)
    print("| weights q/p/s/c/l | group share | mean hit@1 | mean MRR | " + " | ".join(faqs) + " |")
    print("|---|---|---|---|" + "---|" * len(faqs))
    for mean_hit, mean_mrr, combo, per_faq in [first, *rows[: args.top]]:
        label = "/".join(f"{w:g}" for w in combo[:5])
        print(f"| {label} | {combo[5]:g} | {mean_hit:.4f} | {mean_mrr:.4f} | "
              + " | ".join(f"{per_faq[f][0]:.3f}" for f in faqs) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
