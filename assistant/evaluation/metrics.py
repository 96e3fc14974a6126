"""Evaluation metrics: pure functions of ranked entry ids, relevant ids and answer-or-abstain decisions.

Ranking metrics use binary relevance and count only in-scope questions (those with relevant entries);
abstention metrics count every question. A metric with nothing to count is None, not 0.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields


def first_rank(ranked: Sequence[str], relevant: Collection[str]) -> int | None:
    """The 1-based rank of the first relevant id in `ranked`, or None when none is there."""
    return next((rank for rank, item in enumerate(ranked, start=1) if item in relevant), None)


def hit_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """1.0 when a relevant id is among the first `k`, else 0.0."""
    rank = first_rank(ranked[:k], relevant)
    return 0.0 if rank is None else 1.0


def recall_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """The share of the relevant ids found among the first `k`."""
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """1 / rank of the first relevant id; 0 when none was retrieved."""
    rank = first_rank(ranked, relevant)
    return 0.0 if rank is None else 1.0 / rank


def average_precision(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """Mean over all relevant ids of the precision at each one's rank; one not retrieved adds 0."""
    found, total = 0, 0.0
    for rank, item in enumerate(ranked, start=1):
        if item in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def ndcg_at(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Normalised discounted cumulative gain of the first `k` (gain 1 per relevant id, discount
    log2(rank + 1)), divided by the gain of a perfect ranking."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal


def mean(values: Iterable[float | bool]) -> float | None:
    """The arithmetic mean, or None for no values."""
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Outcome:
    """What the metrics need to know of one asked question.

    Attributes:
        ranked: entry ids, best first (the ranking, whether or not the assistant answered).
        relevant: ids of the entries that answer it; empty when the FAQ does not (out of scope).
        answered: the assistant gave an answer (did not abstain).
        follow_up: a later turn of a conversation.
        top_score: the best hit's score, for the threshold curve.
    """

    ranked: tuple[str, ...]
    relevant: frozenset[str]
    answered: bool
    follow_up: bool = False
    top_score: float | None = None

    @property
    def in_scope(self) -> bool:
        return bool(self.relevant)

    @property
    def top_correct(self) -> bool:
        """The first ranked entry is a relevant one."""
        return bool(self.ranked) and self.ranked[0] in self.relevant

    @property
    def correct(self) -> bool:
        """The right outcome: in scope, answered with a relevant entry first; out of scope, abstained."""
        return self.answered and self.top_correct if self.in_scope else not self.answered

    @property
    def false_answer(self) -> bool:
        """An answer was given and it is wrong (a wrong entry, or any entry for an out-of-scope question)."""
        return self.answered and not self.top_correct


@dataclass(frozen=True)
class Metrics:
    """The figures of one run. Ranking metrics over in-scope questions; None where nothing counts.

    Attributes:
        questions, in_scope, out_of_scope, follow_ups, answered: counts.
        k: the depth of recall@k and nDCG@k.
        hit_at_1, hit_at_3: share of in-scope questions with a relevant entry first / in the top 3.
        recall_at_k: mean share of the relevant entries found in the top k.
        mrr: mean reciprocal rank of the first relevant entry.
        map: mean average precision over the ranking retrieved.
        ndcg_at_k, ndcg_at_3: mean nDCG at k and at 3.
        answered_in_scope: share of in-scope questions answered (not abstained).
        rejected_out_of_scope: share of out-of-scope questions the assistant declined to answer.
        false_answer_rate: share of the answers given that are wrong (a wrong entry first, or an
            answer to an out-of-scope question).
        accuracy: share of questions with the right outcome: in scope, answered with a relevant
            entry first; out of scope, declined.
        follow_up_accuracy: that outcome's share over later turns of conversations.
    """

    questions: int
    in_scope: int
    out_of_scope: int
    follow_ups: int
    answered: int
    k: int
    hit_at_1: float | None
    hit_at_3: float | None
    recall_at_k: float | None
    mrr: float | None
    map: float | None
    ndcg_at_k: float | None
    ndcg_at_3: float | None
    answered_in_scope: float | None
    rejected_out_of_scope: float | None
    false_answer_rate: float | None
    accuracy: float | None
    follow_up_accuracy: float | None

    def to_dict(self, digits: int = 4) -> dict:
        """The metrics as a JSON-ready dict, shares rounded to `digits` (a share that is not a finite
        number is None: JSON has no NaN)."""
        return {f.name: ((round(v, digits) if math.isfinite(v) else None) if isinstance(v, float) else v)
                for f in fields(self) for v in [getattr(self, f.name)]}


def compute_metrics(outcomes: Sequence[Outcome], k: int = 10) -> Metrics:
    """Every metric over `outcomes`; ranking metrics at depth `k` (recall, nDCG) or over all of
    `ranked` (MRR, MAP)."""
    scoped = [o for o in outcomes if o.in_scope]
    out = [o for o in outcomes if not o.in_scope]
    given = [o for o in outcomes if o.answered]
    follow_ups = [o for o in outcomes if o.follow_up]
    return Metrics(
        questions=len(outcomes), in_scope=len(scoped), out_of_scope=len(out), follow_ups=len(follow_ups),
        answered=len(given), k=k,
        hit_at_1=mean(hit_at(o.ranked, o.relevant, 1) for o in scoped),
        hit_at_3=mean(hit_at(o.ranked, o.relevant, 3) for o in scoped),
        recall_at_k=mean(recall_at(o.ranked, o.relevant, k) for o in scoped),
        mrr=mean(reciprocal_rank(o.ranked, o.relevant) for o in scoped),
        map=mean(average_precision(o.ranked, o.relevant) for o in scoped),
        ndcg_at_k=mean(ndcg_at(o.ranked, o.relevant, k) for o in scoped),
        ndcg_at_3=mean(ndcg_at(o.ranked, o.relevant, 3) for o in scoped),
        answered_in_scope=mean(o.answered for o in scoped),
        rejected_out_of_scope=mean(not o.answered for o in out),
        false_answer_rate=mean(o.false_answer for o in given),
        accuracy=mean(o.correct for o in outcomes),
        follow_up_accuracy=mean(o.correct for o in follow_ups),
    )


@dataclass(frozen=True)
class CurvePoint:
    """Answer-or-abstain at one threshold on the best hit's score.

    Attributes:
        threshold: answer when the best score is at least this.
        answered_in_scope: share of in-scope questions that would be answered.
        correct_in_scope: share of in-scope questions answered with a relevant entry first.
        rejected_out_of_scope: share of out-of-scope questions that would be declined.
        accuracy: share of all questions with the right outcome.
    """

    threshold: float
    answered_in_scope: float | None
    correct_in_scope: float | None
    rejected_out_of_scope: float | None
    accuracy: float | None


def threshold_curve(outcomes: Sequence[Outcome], thresholds: Iterable[float]) -> list[CurvePoint]:
    """How answering and declining trade off as the score threshold moves (questions without a
    top score are left out)."""
    scored = [o for o in outcomes if o.top_score is not None]
    scoped = [o for o in scored if o.in_scope]
    out = [o for o in scored if not o.in_scope]
    points = []
    for t in thresholds:
        points.append(CurvePoint(
            threshold=float(t),
            answered_in_scope=mean(o.top_score >= t for o in scoped),
            correct_in_scope=mean(o.top_score >= t and o.top_correct for o in scoped),
            rejected_out_of_scope=mean(o.top_score < t for o in out),
            accuracy=mean((o.top_score >= t and o.top_correct) if o.in_scope else o.top_score < t for o in scored),
        ))
    return points
