"""The FAISS index over the views' vectors: which kind by size, build, search, and read memory-mapped.

Inner product on unit vectors is cosine. Exact search (`IndexFlatIP`) up to EXACT_LIMIT vectors:
below it a flat scan is as fast as a graph search and exact. Above it, HNSW: at the recall we
require (>= 0.95 recall@10 of exact) IVF must probe a share of its lists that does not shrink with
size, and at 1M vectors it fell behind (docs/scaling.md). FAISS is imported on first use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import AssistantError

# The Retriever's FULL_SCAN: below it every vector is scored, which only a flat index does exactly
# (and a flat scan of 20,000 vectors costs about a millisecond). Above it the Retriever asks for its
# 512 best candidates, and HNSW found them as fast as a flat scan at 10,000 vectors and faster from
# 20,000 on (python -m benchmarks.scale, "Where HNSW overtakes a flat scan" in benchmarks/RESULTS.md).
EXACT_LIMIT = 20_000
# HNSW graph degree, build effort and the search effort stored in the index, for recall@10 >= 0.95
# of exact at every size measured (to 1M vectors): M=32 reached only 0.92 at 1M even searching 512
# deep; M=48 reaches 0.97 there. The Retriever asks for 512 candidates, so it searches this deep
# anyway; the stored efSearch is what a direct k=10 search of index.faiss uses.
HNSW_M = 48
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512
INDEX_TYPES = ("auto", "flat", "hnsw")


def choose_type(vectors: int, index_type: str = "auto") -> str:
    """"flat" or "hnsw": `index_type` itself, or by size when it is "auto"."""
    if index_type not in INDEX_TYPES:
        raise AssistantError(f"unknown index type {index_type!r}; use flat, hnsw or auto")
    if index_type == "auto":
        return "flat" if vectors <= EXACT_LIMIT else "hnsw"
    return index_type


def make_faiss_index(vectors: np.ndarray, index_type: str = "auto"):
    """An inner-product index over unit vectors, of the kind `choose_type` picks."""
    import faiss

    kind = choose_type(len(vectors), index_type)
    dim = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def index_kind(index) -> str:
    return "hnsw" if type(index).__name__.startswith("IndexHNSW") else "flat"


def index_params(index) -> dict:
    """What the manifest records about the index beyond its kind."""
    if index_kind(index) == "hnsw":
        return {"M": int(index.hnsw.nb_neighbors(0) // 2), "efConstruction": int(index.hnsw.efConstruction),
                "efSearch": int(index.hnsw.efSearch), "exact_limit": EXACT_LIMIT}
    return {"exact_limit": EXACT_LIMIT}


def search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The `k` best vectors per query: (scores, ids), ids -1 where fewer were found.

    Asked for every vector of a flat index (the Retriever's full scan), it returns them in id order
    rather than by score: a range search with no radius scores each vector with the same kernel and
    skips sorting them all, which cost ten times the scoring at 16,000 vectors.

    HNSW keeps only `efSearch` candidates while it walks the graph, so asked for more than that it
    finds fewer and worse ones (FAISS does not raise efSearch to k): the effort is raised to k.
    """
    total = index.ntotal
    if k >= total > 0 and index_kind(index) == "flat":
        limits, scores, ids = index.range_search(queries, float("-inf"))
        if limits[-1] == len(queries) * total:  # every vector of every query: (queries, total)
            return scores.reshape(len(queries), total), ids.reshape(len(queries), total)
    if index_kind(index) == "hnsw" and k > index.hnsw.efSearch:
        import faiss

        return index.search(queries, k, params=faiss.SearchParametersHNSW(efSearch=k))
    return index.search(queries, k)


def read(path: Path):
    """Read an index memory-mapped: replicas share the page cache and start-up reads nothing.

    IO_FLAG_MMAP_IFC maps the vectors of flat and HNSW indexes (and the lists of IVF ones); the older
    IO_FLAG_MMAP maps only IVF lists, and flat or HNSW indexes are then read into private memory.
    Where mapping is not possible (older FAISS), the index is read normally.

    Raises:
        RuntimeError: the file is not a FAISS index.
    """
    import faiss

    flag = getattr(faiss, "IO_FLAG_MMAP_IFC", None)
    if flag is not None:
        try:
            return faiss.read_index(str(path), flag)
        except RuntimeError:
            pass
    return faiss.read_index(str(path))
