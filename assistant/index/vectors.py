"""VectorIndex: the FAISS index over every view's vector. The one module that imports FAISS.

Inner product on unit vectors is cosine. Up to `exact_limit` vectors the index is exact
(`IndexFlatIP`) and every query scores every vector: below it a flat scan is as fast as a graph search
and exact. Above it, HNSW: at the recall we require (>= 0.95 recall@10 of exact) IVF must probe a
share of its lists that does not shrink with size, and at 1M vectors it fell behind
(docs/scaling.md). FAISS is imported on first use, so `import assistant` stays light.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import AssistantError

# Up to this many vectors every vector is scored (a flat scan of 20,000 costs about a millisecond);
# above it the Retriever asks for its best candidates, and HNSW found them as fast as a flat scan at
# 10,000 vectors and faster from 20,000 on (python -m benchmarks.scale, benchmarks/RESULTS.md).
EXACT_LIMIT = 20_000
# HNSW graph degree, build effort and the search effort stored in the index, for recall@10 >= 0.95
# of exact at every size measured (to 1M vectors): M=32 reached only 0.92 at 1M even searching 512
# deep; M=48 reaches 0.97 there. The Retriever asks for 512 candidates, so it searches this deep
# anyway; the stored efSearch is what a direct k=10 search of index.faiss uses.
HNSW_M = 48
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512
INDEX_TYPES = ("auto", "flat", "hnsw")


def choose_type(vectors: int, index_type: str = "auto", exact_limit: int = EXACT_LIMIT) -> str:
    """"flat" or "hnsw": `index_type` itself, or by size when it is "auto"."""
    if index_type not in INDEX_TYPES:
        raise AssistantError(f"unknown index type {index_type!r}; use flat, hnsw or auto")
    if index_type == "auto":
        return "flat" if vectors <= exact_limit else "hnsw"
    return index_type


class VectorIndex:
    """Unit vectors, searched by inner product. Safe to share between threads.

    Args:
        index: the FAISS index.
        exact_limit: up to this many vectors, `search` scores every vector (`exact` is True).
        lock: the lock serialising calls into `index` (shared by copies of one index).
    """

    def __init__(self, index, exact_limit: int = EXACT_LIMIT, lock: threading.Lock | None = None) -> None:
        self._index = index
        self.exact_limit = exact_limit
        # One FAISS index object searched from several threads: serialise (FAISS parallelises inside).
        self._lock = lock or threading.Lock()

    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str = "auto", exact_limit: int = EXACT_LIMIT) -> VectorIndex:
        """An index over `vectors` (rows of unit length), of the kind `choose_type` picks."""
        import faiss

        kind = choose_type(len(vectors), index_type, exact_limit)
        dim = vectors.shape[1]
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, exact_limit)

    @classmethod
    def read(cls, path: Path, exact_limit: int = EXACT_LIMIT) -> VectorIndex:
        """Read an index memory-mapped: replicas share the page cache and start-up reads nothing.

        IO_FLAG_MMAP_IFC maps the vectors of flat and HNSW indexes (and the lists of IVF ones); the
        older IO_FLAG_MMAP maps only IVF lists, and flat or HNSW indexes are then read into private
        memory. Where mapping is not possible (older FAISS), the index is read normally.

        Raises:
            RuntimeError, MemoryError: the file is not a FAISS index.
        """
        import faiss

        flag = getattr(faiss, "IO_FLAG_MMAP_IFC", None)
        if flag is not None:
            try:
                return cls(faiss.read_index(str(path), flag), exact_limit)
            except RuntimeError:
                pass
        return cls(faiss.read_index(str(path)), exact_limit)

    def write(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    def with_exact_limit(self, exact_limit: int) -> VectorIndex:
        """The same index (shared, with its lock) under another cut-off."""
        return VectorIndex(self._index, exact_limit, self._lock)

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def kind(self) -> str:
        return "hnsw" if type(self._index).__name__.startswith("IndexHNSW") else "flat"

    @property
    def exact(self) -> bool:
        """True when `search` scores every vector."""
        return self.count <= self.exact_limit

    @property
    def params(self) -> dict:
        """What the manifest records about the index beyond its kind."""
        if self.kind == "hnsw":
            hnsw = self._index.hnsw
            return {"M": int(hnsw.nb_neighbors(0) // 2), "efConstruction": int(hnsw.efConstruction),
                    "efSearch": int(hnsw.efSearch), "exact_limit": self.exact_limit}
        return {"exact_limit": self.exact_limit}

    def search(self, queries: np.ndarray, candidates: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids, shape (queries, n), ids -1 where fewer were found: every vector when the
        index is `exact` (in id order), else the `candidates` best by score.

        A full scan of a flat index is a range search with no radius: it scores each vector with the
        same kernel and skips sorting them all, which cost ten times the scoring at 16,000 vectors.
        HNSW keeps only `efSearch` candidates while it walks the graph, so asked for more than that it
        finds fewer and worse ones (FAISS does not raise efSearch to k): the effort is raised to k.
        """
        total = self.count
        k = total if self.exact else min(total, candidates)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        with self._lock:
            if k >= total > 0 and self.kind == "flat":
                limits, scores, ids = self._index.range_search(queries, float("-inf"))
                if limits[-1] == len(queries) * total:  # every vector of every query: (queries, total)
                    return scores.reshape(len(queries), total), ids.reshape(len(queries), total)
            if self.kind == "hnsw" and k > self._index.hnsw.efSearch:
                import faiss

                return self._index.search(queries, k, params=faiss.SearchParametersHNSW(efSearch=k))
            return self._index.search(queries, k)

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of `ids`, shape (len(ids), dimension)."""
        with self._lock:
            return self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

    def reconstruct_all(self) -> np.ndarray:
        with self._lock:
            return self._index.reconstruct_n(0, self.count)
