import math

import pytest

from assistant.evaluation.metrics import (
    Outcome,
    auroc,
    average_precision,
    compute_metrics,
    first_rank,
    hit_at,
    mean,
    ndcg_at,
    recall_at,
    reciprocal_rank,
    reliability,
    threshold_curve,
)

L3 = 1 / math.log2(3)  # discount at rank 2: 0.6309...

RANKED = ("a", "b", "c", "d")
RELEVANT = {"b", "d"}  # relevant at ranks 2 and 4


def test_ranking_metrics_by_hand():
    assert first_rank(RANKED, RELEVANT) == 2
    assert first_rank(RANKED, {"z"}) is None
    assert hit_at(RANKED, RELEVANT, 1) == 0.0
    assert hit_at(RANKED, RELEVANT, 2) == 1.0
    assert recall_at(RANKED, RELEVANT, 3) == 0.5  # b of {b, d}
    assert recall_at(RANKED, RELEVANT, 4) == 1.0
    assert reciprocal_rank(RANKED, RELEVANT) == 0.5
    assert reciprocal_rank(RANKED, {"z"}) == 0.0
    # precision at rank 2 is 1/2, at rank 4 is 2/4: (1/2 + 2/4) / 2
    assert average_precision(RANKED, RELEVANT) == pytest.approx(0.5)
    # a relevant entry never retrieved adds 0: (1/2) / 2
    assert average_precision(("a", "b"), {"b", "z"}) == pytest.approx(0.25)
    # nDCG@3: one hit at rank 2 over the ideal two hits at ranks 1, 2
    assert ndcg_at(RANKED, RELEVANT, 3) == pytest.approx(L3 / (1 + L3))
    # nDCG@4: hits at ranks 2 and 4 (discount 1/log2 5) over ideal ranks 1, 2
    assert ndcg_at(RANKED, RELEVANT, 4) == pytest.approx((L3 + 1 / math.log2(5)) / (1 + L3))
    assert ndcg_at(("b", "d"), RELEVANT, 10) == pytest.approx(1.0)
    assert mean([]) is None and mean([True, False, True, True]) == 0.75


OUTCOMES = [
    Outcome(("a", "b", "c"), frozenset({"a"}), answered=True),  # 1 right answer
    Outcome(("a", "b", "c"), frozenset({"b", "c"}), answered=True),  # 2 wrong answer
    Outcome(("c", "a", "b"), frozenset(), answered=False),  # 3 declined, out of scope: right
    Outcome(("b", "a", "c"), frozenset(), answered=True, follow_up=True),  # 4 answered out of scope
    Outcome(("c", "b", "a"), frozenset({"c"}), answered=True, follow_up=True),  # 5 right follow-up
    Outcome(("a", "b", "c"), frozenset({"a"}), answered=False),  # 6 in scope, not answered
]


def test_outcome_properties():
    assert [o.in_scope for o in OUTCOMES] == [True, True, False, False, True, True]
    assert [o.correct for o in OUTCOMES] == [True, False, True, False, True, False]
    assert [o.false_answer for o in OUTCOMES] == [False, True, False, True, False, False]


def test_compute_metrics_by_hand():
    m = compute_metrics(OUTCOMES, k=2)
    assert (m.questions, m.in_scope, m.out_of_scope, m.follow_ups, m.answered, m.k) == (6, 4, 2, 2, 4, 2)
    # in scope: 1, 2, 5, 6. First relevant rank: 1, 2, 1, 1
    assert m.hit_at_1 == pytest.approx(3 / 4)
    assert m.hit_at_3 == pytest.approx(1.0)
    assert m.recall_at_k == pytest.approx((1 + 1 / 2 + 1 + 1) / 4)  # 2 finds b of {b, c} in the top 2
    assert m.mrr == pytest.approx((1 + 1 / 2 + 1 + 1) / 4)
    assert m.map == pytest.approx((1 + (1 / 2 + 2 / 3) / 2 + 1 + 1) / 4)  # 2: b at rank 2, c at rank 3
    assert m.ndcg_at_k == pytest.approx((1 + L3 / (1 + L3) + 1 + 1) / 4)
    assert m.ndcg_at_3 == pytest.approx((1 + (L3 + 1 / 2) / (1 + L3) + 1 + 1) / 4)  # 1/log2(4) = 1/2
    assert m.answered_in_scope == pytest.approx(3 / 4)  # all but 6
    assert m.rejected_out_of_scope == pytest.approx(1 / 2)  # 3 of 3 and 4
    assert m.false_answer_rate == pytest.approx(2 / 4)  # answers 1, 2, 4, 5; wrong: 2, 4
    assert m.accuracy == pytest.approx(3 / 6)  # right: 1, 3, 5
    assert m.follow_up_accuracy == pytest.approx(1 / 2)  # 4 wrong, 5 right


def test_metrics_with_nothing_to_count_are_none():
    m = compute_metrics([Outcome(("a",), frozenset(), answered=False)])
    assert m.hit_at_1 is None and m.map is None and m.answered_in_scope is None
    assert m.false_answer_rate is None and m.follow_up_accuracy is None
    assert m.rejected_out_of_scope == 1.0 and m.accuracy == 1.0
    assert m.to_dict()["hit_at_1"] is None


def test_threshold_curve_by_hand():
    outcomes = [
        Outcome(("a",), frozenset({"a"}), True, confidence=0.8),  # in scope, right entry first
        Outcome(("b",), frozenset({"a"}), True, confidence=0.5),  # in scope, wrong entry first
        Outcome(("a",), frozenset(), False, confidence=0.3),  # out of scope
        Outcome(("a",), frozenset(), True, confidence=0.6),  # out of scope
    ]
    low, high = threshold_curve(outcomes, [0.4, 0.7])
    # at 0.4: both in-scope answered, one right; 0.3 declined, 0.6 answered; right: 1st, 3rd
    assert (low.answered_in_scope, low.correct_in_scope, low.rejected_out_of_scope, low.accuracy) == (1, 0.5, 0.5, 0.5)
    # at 0.7: only 0.8 answered (right); both out-of-scope declined; right: 1st, 3rd, 4th
    assert (high.answered_in_scope, high.correct_in_scope, high.rejected_out_of_scope, high.accuracy) == (
        0.5, 0.5, 1.0, 0.75)


def test_confidence_metrics_by_hand():
    outcomes = [
        Outcome(("a",), frozenset({"a"}), True, confidence=0.9),  # confident, right
        Outcome(("b",), frozenset({"a"}), True, confidence=0.7),  # confident, wrong entry
        Outcome(("a",), frozenset({"a"}), False, confidence=0.3, hedged=True),  # hedged, right entry
        Outcome(("a",), frozenset(), False, confidence=0.1),  # out of scope, declined
    ]
    m = compute_metrics(outcomes)
    # right tops (0.9, 0.3) against wrong ones (0.7, 0.1): 3 of 4 pairs ordered right
    assert m.confidence_auroc == 0.75
    assert m.confident_wrong_rate == 0.25 and m.hedged_rate == 0.25
    assert m.correct_in_scope == pytest.approx(1 / 3) and m.rejected_out_of_scope == 1.0
    # bins: 0.1 (0 right), 0.3 (1 right), 0.7 (0 right), 0.9 (1 right): |0.1-0|+|0.3-1|+|0.7-0|+|0.9-1| over 4
    assert m.calibration_error == pytest.approx((0.1 + 0.7 + 0.7 + 0.1) / 4)
    cells = reliability(outcomes)
    assert [(c.low, c.questions, c.right) for c in cells] == [(0.1, 1, 0.0), (0.3, 1, 1.0), (0.7, 1, 0.0),
                                                              (0.9, 1, 1.0)]


def test_auroc_counts_ties_as_half():
    assert auroc([0.5], [0.5]) == 0.5 and auroc([1, 2], [0]) == 1.0 and auroc([], [1]) is None
