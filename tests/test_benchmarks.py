"""The benchmark helpers: percentiles, interleaving, peak memory of a child, synthetic data."""

import numpy as np

from benchmarks.measure import Timings, interleaved, percentile, run_python
from benchmarks.synthetic import SyntheticEmbedder, faq_rows, unit_vectors


def test_percentile_interpolates_between_ranks():
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == 4.8


def test_ratio_is_the_median_of_per_round_ratios():
    timings = Timings({"ours": [2.0, 3.0, 30.0], "bare": [1.0, 2.0, 10.0]})
    assert timings.ratio("ours", "bare") == 2.0  # ratios 2, 1.5, 3: not p50(ours) / p50(bare) = 1.5


def test_interleaved_times_every_contender_on_every_input_each_round():
    calls = []
    timings = interleaved({"a": lambda x: calls.append(("a", x)), "b": lambda x: calls.append(("b", x))},
                          [1, 2, 3], rounds=4)
    assert len(timings.seconds["a"]) == len(timings.seconds["b"]) == 12
    assert sorted(calls) == sorted([(name, x) for name in "ab" for x in (1, 2, 3)] * 4)
    firsts = [calls[i][0] for i in range(0, 24, 2)]
    assert "a" in firsts and "b" in firsts  # the order changes from round to round


def test_a_child_reports_its_own_peak_memory_not_its_parents():
    parent = bytearray(300 * 2**20)  # noqa: F841 - a big parent must not make its children look big
    small = run_python(["-c", "pass"])
    big = run_python(["-c", "import sys; b = bytearray(int(sys.argv[1])); print(len(b))", str(300 * 2**20)])
    assert big.stdout.strip() == str(300 * 2**20)
    assert small.peak_rss_mb < 100
    assert big.peak_rss_mb - small.peak_rss_mb > 250


def test_a_child_module_runs_as_main():
    done = run_python(["-m", "assistant", "--version"])
    assert done.stdout.startswith("faq-assistant ")


def test_synthetic_faq_is_deterministic_with_unique_questions():
    rows = faq_rows(300, seed=1)
    assert rows == faq_rows(300, seed=1) and rows != faq_rows(300, seed=2)
    assert len({r["question"] for r in rows}) == 300
    assert all(r["answer"] and r["question"].endswith("?") for r in rows)


def test_synthetic_vectors_are_unit_and_keyed_by_text():
    vectors = unit_vectors(1000, seed=0)
    assert vectors.shape == (1000, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors, unit_vectors(1000, seed=0))
    embedder = SyntheticEmbedder()
    a, b, again = embedder.embed(["one text", "another", "one text"])
    assert np.array_equal(a, again) and not np.array_equal(a, b)
