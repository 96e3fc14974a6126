"""Evaluation metrics: pure functions of ranked entry ids, relevant ids and answer-or-abstain decisions.

Ranking metrics use binary relevance and count only in-scope questions (those with relevant entries);
abstention metrics count every question. A metric with nothing to count is None, not 0.
"""

from __future__ import annotations

import bisect
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
        answered: the assistant gave a confident answer (neither hedged nor declined).
        follow_up: a later turn of a conversation.
        confidence: the estimated probability that the top entry answers, for the threshold and
            reliability curves.
        hedged: the assistant showed the closest entry as uncertain.
    """

    ranked: tuple[str, ...]
    relevant: frozenset[str]
    answered: bool
    follow_up: bool = False
    confidence: float | None = None
    hedged: bool = False

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
        answered_in_scope: share of in-scope questions given a confident answer.
        correct_in_scope: share of in-scope questions given a confident and right answer.
        rejected_out_of_scope: share of out-of-scope questions not given a confident answer
            (declined, or hedged).
        false_answer_rate: share of the confident answers that are wrong (a wrong entry first, or
            an answer to an out-of-scope question).
        confident_wrong_rate: share of all questions given a confident wrong answer.
        hedged_rate: share of all questions answered with a hedge.
        confidence_auroc: the probability that a question whose top entry answers it gets a higher
            confidence than one whose top entry does not (1.0: the confidence separates them).
        calibration_error: the mean gap between confidence and the share right, over ten bins of
            confidence weighted by size (0: "0.8" is right 80% of the time).
        accuracy: share of questions with the right outcome: in scope, a confident right answer;
            out of scope, not a confident answer.
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
    correct_in_scope: float | None
    rejected_out_of_scope: float | None
    false_answer_rate: float | None
    confident_wrong_rate: float | None
    hedged_rate: float | None
    confidence_auroc: float | None
    calibration_error: float | None
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
    rated = [o for o in outcomes if o.confidence is not None]
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
        correct_in_scope=mean(o.answered and o.top_correct for o in scoped),
        rejected_out_of_scope=mean(not o.answered for o in out),
        false_answer_rate=mean(o.false_answer for o in given),
        confident_wrong_rate=mean(o.false_answer for o in outcomes),
        hedged_rate=mean(o.hedged for o in outcomes),
        confidence_auroc=auroc([o.confidence for o in rated if o.top_correct],
                               [o.confidence for o in rated if not o.top_correct]),
        calibration_error=calibration_error(rated),
        accuracy=mean(o.correct for o in outcomes),
        follow_up_accuracy=mean(o.correct for o in follow_ups),
    )


def auroc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """The probability that a random positive scores above a random negative (ties count half);
    None when either side is empty."""
    if not positives or not negatives:
        return None
    ordered = sorted(positives)
    below = ties = 0
    for value in negatives:
        low, high = bisect.bisect_left(ordered, value), bisect.bisect_right(ordered, value)
        below, ties = below + low, ties + high - low
    return 1 - (below + ties / 2) / (len(positives) * len(negatives))


@dataclass(frozen=True)
class ReliabilityBin:
    """Questions whose confidence fell in [low, high): how sure the assistant was, how often right."""

    low: float
    high: float
    questions: int
    mean_confidence: float
    right: float


def reliability(outcomes: Sequence[Outcome], bins: int = 10) -> list[ReliabilityBin]:
    """The reliability diagram's bins (empty bins left out): mean confidence against the share of
    questions whose top entry answers them."""
    out = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [o for o in outcomes if o.confidence is not None
                  and (low <= o.confidence < high or (b == bins - 1 and o.confidence == high))]
        if inside:
            out.append(ReliabilityBin(low, high, len(inside), sum(o.confidence for o in inside) / len(inside),
                                      sum(o.top_correct for o in inside) / len(inside)))
    return out


def calibration_error(outcomes: Sequence[Outcome], bins: int = 10) -> float | None:
    """Expected calibration error: |mean confidence - share right| per bin, weighted by its size."""
    cells = reliability(outcomes, bins)
    total = sum(c.questions for c in cells)
    return sum(c.questions * abs(c.mean_confidence - c.right) for c in cells) / total if total else None


@dataclass(frozen=True)
class CurvePoint:
    """Answer-or-abstain at one threshold on the confidence.

    Attributes:
        threshold: answer confidently when the confidence is at least this.
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
    """How answering and declining trade off as the confidence threshold moves (questions without a
    confidence are left out)."""
    scored = [o for o in outcomes if o.confidence is not None]
    scoped = [o for o in scored if o.in_scope]
    out = [o for o in scored if not o.in_scope]
    points = []
    for t in thresholds:
        points.append(CurvePoint(
            threshold=float(t),
            answered_in_scope=mean(o.confidence >= t for o in scoped),
            correct_in_scope=mean(o.confidence >= t and o.top_correct for o in scoped),
            rejected_out_of_scope=mean(o.confidence < t for o in out),
            accuracy=mean((o.confidence >= t and o.top_correct) if o.in_scope else o.confidence < t for o in scored),
        ))
    return points
