"""The LRU cache of query vectors: identical vectors, hits and misses counted, results unchanged."""

import numpy as np

from assistant import Embedder


def test_the_cache_returns_identical_vectors_and_counts_hits(embedder):
    queries = ["cache probe: is the swap file encrypted?", "cache probe: vtpm secrets"]
    hits, misses = embedder.cache_hits, embedder.cache_misses
    first = embedder.embed_queries(queries)
    assert (embedder.cache_hits - hits, embedder.cache_misses - misses) == (0, 2)
    again = embedder.embed_queries([queries[1], queries[0], queries[1]])
    assert (embedder.cache_hits - hits, embedder.cache_misses - misses) == (3, 2)
    assert np.array_equal(again, first[[1, 0, 1]])
    uncached = Embedder(embedder.name, cache_size=0)  # the same (shared) model, every call run
    assert np.array_equal(first, uncached.embed_queries(queries))


def test_a_repeated_question_gets_the_same_hits_from_the_cache(retriever):
    question = "cache probe: can I create a host memory dump?"
    hits = retriever.embedder.cache_hits
    first = retriever.search(question)
    second = retriever.search(question)
    assert retriever.embedder.cache_hits == hits + 1
    assert [h.to_dict() for h in second] == [h.to_dict() for h in first]
