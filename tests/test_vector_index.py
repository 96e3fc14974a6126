"""The FAISS index: each type finds what exact search finds, survives save/load, and is memory-mapped."""

import shutil

import numpy as np
import pytest

from assistant import AssistantError, Retriever
from assistant.index.build import build_index
from assistant.index.store import load_index, read_manifest
from assistant.index.vectors import EXACT_LIMIT, VectorIndex, choose_type


def unit_vectors(n: int, seed: int, dim: int = 384) -> np.ndarray:
    """Anisotropic random unit vectors: a shared direction plus decaying variances, like embeddings."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32) * np.geomspace(1, 0.05, dim).astype(np.float32)
    x[:, 0] += 2.0
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :k]


def recall(truth: np.ndarray, found: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(truth, found)]))


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_each_index_type_finds_the_exact_neighbours(kind):
    vectors, queries = unit_vectors(4000, seed=0), unit_vectors(50, seed=1)
    index = VectorIndex.build(vectors, kind, exact_limit=0)  # exact_limit 0: a search of the best 10
    _, found = index.search(queries, 10)
    assert recall(exact_top(vectors, queries, 10), found) >= 0.95


def test_hnsw_asked_for_more_than_its_search_effort_still_finds_them():
    """FAISS does not raise efSearch to k by itself: asked for 512 with efSearch 16 it finds far fewer."""
    vectors, queries = unit_vectors(4000, seed=2), unit_vectors(20, seed=3)
    index = VectorIndex.build(vectors, "hnsw", exact_limit=0)
    faiss_index = index._index
    faiss_index.hnsw.efSearch = 16
    truth = exact_top(vectors, queries, 512)
    _, plain = faiss_index.search(queries, 512)
    _, found = index.search(queries, 512)
    assert recall(truth, plain) < 0.9  # the trap
    assert recall(truth, found) >= 0.95


def test_a_full_scan_returns_every_vector_in_id_order():
    vectors, queries = unit_vectors(500, seed=4), unit_vectors(3, seed=5)
    index = VectorIndex.build(vectors, "flat")
    assert index.exact and index.count == 500 and index.dimension == 384
    scores, ids = index.search(queries, candidates=10)  # exact: every vector, whatever is asked
    assert (ids == np.arange(500)).all()
    assert np.allclose(scores, queries @ vectors.T, atol=1e-5)


def test_the_type_is_chosen_by_size():
    assert choose_type(EXACT_LIMIT) == "flat" and choose_type(EXACT_LIMIT + 1) == "hnsw"
    assert choose_type(10, "hnsw") == "hnsw"
    with pytest.raises(AssistantError, match="unknown index type 'ivf'"):
        choose_type(10, "ivf")
    assert choose_type(100, exact_limit=50) == "hnsw"


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_round_trip_keeps_the_type_and_the_results(kind, small_corpus, tmp_path, embedder):
    built = build_index(small_corpus, tmp_path / "index", embedder, kind)
    manifest = read_manifest(tmp_path / "index")
    assert manifest["index_type"] == kind
    assert manifest["index_params"]["exact_limit"] == EXACT_LIMIT
    assert ("efSearch" in manifest["index_params"]) == (kind == "hnsw")
    loaded = load_index(tmp_path / "index")
    assert loaded.vectors.kind == kind and type(loaded.vectors._index).__name__ == {
        "flat": "IndexFlatIP", "hnsw": "IndexHNSWFlat"}[kind]
    queries = embedder.embed(["Is the widget free?", "How do I reset it?"])
    assert [a.tolist() for a in loaded.vectors.search(queries, 5)] == [
        a.tolist() for a in built.vectors.search(queries, 5)]


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_an_index_is_read_memory_mapped(kind, tmp_path):
    path = tmp_path / f"{kind}.faiss"
    VectorIndex.build(unit_vectors(2000, seed=6), kind).write(path)
    index = VectorIndex.read(path)
    with open("/proc/self/maps", encoding="utf-8") as maps:
        assert str(path) in maps.read()
    del index


def test_the_candidate_path_finds_what_the_full_scan_finds(retriever):
    """A corpus too large for a full scan, simulated: the default FAQ with the cut-offs lowered."""
    questions = [h.question for h in retriever.search("confidential VM", k=30)]  # every FAQ question
    questions += ["is the swap file encrypted?", "vtpm secrets", "Do confidential VMs cost extra?"]
    full = [retriever.search(q, k=5) for q in questions]
    cut_off = retriever.with_settings(exact_limit=50, candidates=60)  # of 199 vectors
    assert not cut_off.data.vectors.exact and retriever.data.vectors.exact
    cut = [cut_off.search(q, k=5) for q in questions]
    assert [h[0].entry_id for h in cut] == [h[0].entry_id for h in full]


def test_the_candidate_path_over_hnsw_finds_what_the_full_scan_finds(retriever, embedder, tmp_path):
    shutil.copytree(retriever.data.directory, tmp_path / "index")  # its vectors are re-used, not re-embedded
    data = build_index(retriever.settings.corpus, tmp_path / "index", embedder, "hnsw")
    assert data.manifest["counts"]["embedded"] == 0
    approximate = Retriever(data, embedder, retriever.settings.replace(exact_limit=50, candidates=60))
    questions = [h.question for h in retriever.search("confidential VM", k=30)]
    assert [approximate.search(q, k=1)[0].entry_id for q in questions] == [
        retriever.search(q, k=1)[0].entry_id for q in questions]


def test_the_candidate_path_scores_candidates_exactly_and_still_abstains(retriever):
    """Above the exact limit, candidate entries get their exact scores (no floor for unseen views), so the
    top hits match the full scan score for score, and an off-topic question is still declined."""
    questions = ["is the swap file encrypted?", "vtpm secrets", "change from PMK to CMK after creation"]
    full = [retriever.search(q, k=3) for q in questions]
    declined_full = retriever.answer("How do I make pancakes?")
    cut_off = retriever.with_settings(exact_limit=50, candidates=20)  # of 199 vectors
    cut = [cut_off.search(q, k=3) for q in questions]
    assert [[(h.entry_id, h.score, h.signals) for h in hits] for hits in cut] == [
        [(h.entry_id, h.score, h.signals) for h in hits] for hits in full]
    declined = cut_off.answer("How do I make pancakes?")
    assert not declined_full.found and not declined.found
    assert declined.suggestions[0].score == declined_full.suggestions[0].score
