"""Per question: `Retriever.search` and `Retriever.answer` against the bare limit, and the query cache.

The bare limit is the least any dense retriever must do for one question: one
`SentenceTransformer.encode` of the question and one `IndexFlatIP.search` over one vector per passage.
The three are timed back to back on the same loaded model, in random order, on the Azure dev
questions, with the query cache off (it would otherwise answer every round after the first).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .measure import interleaved

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Bare:
    """Encode + exact inner-product search over one vector per passage: the floor to compare with."""

    model: object  # the SentenceTransformer
    index: object  # faiss.IndexFlatIP
    k: int

    @classmethod
    def over(cls, retriever, k: int) -> Bare:
        import faiss

        entries = {e.id: e for e in retriever.entries}
        texts = [f"{entries[p.entry_id].question}\n{p.text}" for p in retriever.data.passages]
        model = retriever.embedder.model
        vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(model, index, k)

    def search(self, question: str):
        vector = self.model.encode([question], normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False)
        return self.index.search(vector, self.k)

    def batch_search(self, questions: list[str], batch_size: int):
        vectors = self.model.encode(questions, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return self.index.search(vectors, self.k)


def dev_questions() -> list[str]:
    path = ROOT / "eval" / "azure_dev_questions.jsonl"
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_retriever(cache_size: int, index: Path | None = None, corpus: Path | None = None):
    """The default FAQ's Retriever (built when missing or stale) with a query cache of `cache_size`."""
    from assistant import Retriever, Settings

    return Retriever.load(index, corpus=corpus, settings=Settings.from_env(query_cache_size=cache_size))


def single_query(retriever, rounds: int) -> dict:
    """p50/p95 of search and answer and their median ratio to the bare limit, interleaved."""
    settings = retriever.settings
    assert all(w > 0 for w in settings.weights.values()), "every fusion signal must be on"
    k = settings.top_k
    bare = Bare.over(retriever, k)
    questions = dev_questions()
    for q in questions[:5]:  # warm up all three paths
        bare.search(q), retriever.search(q, k), retriever.answer(q)
    timings = interleaved({"bare": bare.search, "search": lambda q: retriever.search(q, k),
                           "answer": retriever.answer}, questions, rounds)
    return {"k": k, "questions": len(questions), "weights": settings.weights,
            "bare_vectors": bare.index.ntotal, "our_vectors": retriever.data.vectors.count,
            **timings.summary("bare")}


def repeated_questions(uncached, cached, questions: int = 400, seed: int = 0) -> dict:
    """The LRU query cache on a chat-like stream: a few questions come back often (Zipf), most rarely.

    Reports the hit rate, and the latency of a repeated question against an uncached one and the
    bare limit, interleaved.
    """
    pool = dev_questions()
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, len(pool) + 1)
    stream = [pool[i] for i in rng.choice(len(pool), size=questions, p=weights / weights.sum())]
    start = time.perf_counter()
    for question in stream:
        cached.search(question)
    stream_seconds = time.perf_counter() - start
    hits, misses = cached.embedder.cache_hits, cached.embedder.cache_misses
    # A cached vector must be the very vector a fresh encode of that question gives.
    identical = all(np.array_equal(cached.embedder.embed_queries([q]), uncached.embedder.embed_queries([q]))
                    for q in pool)
    bare = Bare.over(uncached, uncached.settings.top_k)
    timings = interleaved({"bare": bare.search, "cached_search": cached.search,
                           "uncached_search": uncached.search}, pool, rounds=2)
    return {"stream": questions, "distinct": len(set(stream)), "cache_size": cached.settings.query_cache_size,
            "hits": hits, "misses": misses, "hit_rate": round(hits / max(1, hits + misses), 3),
            "stream_mean_ms": round(1e3 * stream_seconds / questions, 3), "identical_vectors": identical,
            **timings.summary("bare")}
