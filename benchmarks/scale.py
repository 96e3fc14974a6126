"""Scale: the FAISS index and the whole Retriever on synthetic corpora far larger than an FAQ.

    python -m benchmarks.scale --size 100000            # index-only and retriever parts
    python -m benchmarks.scale --size 1000000 --part index

Index only: `unit_vectors` (random, with the spectrum of real embeddings), one per passage. For the
exact index and for HNSW: build time, size on disk, memory once loaded (memory-mapped or not, read
back from /proc), p50/p95 latency of one query for 10 neighbours and for the Retriever's 512
candidates, and recall@10 against exact search. At 100k it also sweeps sizes to find where HNSW
overtakes a flat scan (the EXACT_LIMIT to use).

Retriever: a recombined FAQ corpus (`faq_rows`) built and searched end to end with the
`SyntheticEmbedder` (the model's per-query cost does not grow with the corpus and is measured by the
latency benchmark). Build time, index size, load time and memory in a fresh process, search
latency, and whether the candidate path finds the same best entry as scoring every vector exactly.

Each run writes benchmarks/results/scale-<size>.json, which `benchmarks.run` puts in RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .measure import last_json, percentile, run_python

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
WORK = Path(__file__).resolve().parent / "out" / "scale"
SWEEP = (5_000, 10_000, 20_000, 50_000)
PARTS = ("index", "threshold", "retriever")

# Child program: load an index (argv[1]) as the Retriever does, search it with the queries in argv[2].
MEMORY = """
import json, sys, time
import numpy as np
from assistant.index.vectors import VectorIndex
def status():
    keys = ("VmRSS", "RssAnon", "RssFile")
    return {l.split(":")[0]: int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.split(":")[0] in keys}
before = status()
start = time.perf_counter()
index = VectorIndex.read(sys.argv[1], exact_limit=0)  # exact_limit 0: a k=10 search, not a full scan
seconds = time.perf_counter() - start
loaded = status()
index.search(np.load(sys.argv[2]), 10)
searched = status()
print(json.dumps({"load_s": seconds, "type": type(index._index).__name__,
                  **{f"load_{k}": loaded[k] - before[k] for k in loaded},
                  **{f"search_{k}": searched[k] - before[k] for k in searched}}))
"""
# Child program: load a whole index folder (argv[1]) and report time and memory.
LOAD = """
import json, sys, time
start = time.perf_counter()
from assistant.index.store import load_index
data = load_index(sys.argv[1])
seconds = time.perf_counter() - start
keys = ("VmRSS", "RssAnon", "RssFile", "VmHWM")
fields = {l.split(":")[0]: int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.split(":")[0] in keys}
print(json.dumps({"load_s": seconds, **fields}))
"""


def _latency(index, queries: np.ndarray, k: int) -> dict:
    from assistant.index.vectors import VectorIndex

    index = VectorIndex(index, exact_limit=0)  # the k best, never a full scan
    seconds = []
    for row in range(len(queries)):
        start = time.perf_counter()
        index.search(queries[row : row + 1], k)
        seconds.append(time.perf_counter() - start)
    return {"p50_ms": round(1e3 * percentile(seconds, 50), 3), "p95_ms": round(1e3 * percentile(seconds, 95), 3)}


def _recall(truth: np.ndarray, found: np.ndarray) -> float:
    k = truth.shape[1]
    return round(float(np.mean([len(set(a) & set(b[b >= 0])) / k for a, b in zip(truth, found)])), 4)


def _memory(path: Path, queries_path: Path) -> dict:
    """Load the index in a fresh process: what it adds to private (anon) and file-backed memory."""
    report = last_json(run_python(["-c", MEMORY, str(path), str(queries_path)]).stdout)
    return {key: round(value, 1) if isinstance(value, float) else value for key, value in report.items()}


def index_only(size: int, n_queries: int, work: Path) -> dict:
    """Exact and HNSW over `size` synthetic vectors: build, disk, memory, latency, recall@10."""
    import faiss

    from assistant.config import Settings
    from assistant.index.vectors import EXACT_LIMIT, VectorIndex, choose_type

    from .synthetic import unit_vectors

    vectors, queries = unit_vectors(size, seed=0), unit_vectors(n_queries, seed=1)
    queries_path = work / "queries.npy"
    np.save(queries_path, queries, allow_pickle=False)
    latency_queries = queries[: min(n_queries, 100 if size >= 1_000_000 else n_queries)]
    rows = {}
    truth = None
    for kind in ("flat", "hnsw"):
        start = time.perf_counter()
        index = VectorIndex.build(vectors, kind)._index
        build_s = time.perf_counter() - start
        path = work / f"{kind}.faiss"
        faiss.write_index(index, str(path))
        _, found = index.search(queries, 10)
        truth = found if kind == "flat" else truth
        rows[kind] = {
            "build_s": round(build_s, 2), "disk_mb": round(path.stat().st_size / 2**20, 1),
            "k10": _latency(index, latency_queries, 10),
            f"k{Settings().candidates}": _latency(index, latency_queries, Settings().candidates),
            "recall_at_10": _recall(truth, found), "memory": _memory(path, queries_path),
        }
        if kind == "hnsw":
            rows[kind]["params"] = {"M": int(index.hnsw.nb_neighbors(0) // 2),
                                    "efConstruction": int(index.hnsw.efConstruction),
                                    "efSearch": int(index.hnsw.efSearch)}
            rows[kind]["recall_at_10_by_efsearch"] = {
                ef: _recall(truth, index.search(queries, 10, params=faiss.SearchParametersHNSW(efSearch=ef))[1])
                for ef in (64, 128, 256, 384, 512, 768, 1024)}
        del index
        path.unlink()
    rows["ivf"] = _ivf(vectors, queries, latency_queries, truth)
    return {"vectors": size, "dimension": int(vectors.shape[1]), "queries": n_queries,
            "latency_queries": len(latency_queries), "exact_limit": EXACT_LIMIT,
            "chosen": choose_type(size), **rows}


def _ivf(vectors: np.ndarray, queries: np.ndarray, latency_queries: np.ndarray, truth: np.ndarray) -> dict:
    """IVF-Flat, the other usual choice: lists probed until recall@10 reaches 0.95 (or all tried)."""
    import faiss

    lists = max(1, min(int(4 * np.sqrt(len(vectors))), len(vectors) // 39))  # FAISS wants 39 points a list
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], lists,
                               faiss.METRIC_INNER_PRODUCT)
    start = time.perf_counter()
    sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * lists), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    build_s = time.perf_counter() - start
    by_probe = {}
    for probes in (8, 16, 32, 64, 128, 256):
        index.nprobe = probes
        by_probe[probes] = _recall(truth, index.search(queries, 10)[1])
        if by_probe[probes] >= 0.95:
            break
    return {"build_s": round(build_s, 2), "lists": lists, "nprobe": probes, "recall_at_10": by_probe[probes],
            "recall_at_10_by_nprobe": by_probe, "k10": _latency(index, latency_queries, 10)}


def threshold(sizes: tuple[int, ...], n_queries: int) -> dict:
    """Flat against HNSW latency for the Retriever's candidate search, growing both indexes in steps."""
    import faiss

    from assistant.config import Settings
    from assistant.index.vectors import EXACT_LIMIT, VectorIndex

    from .synthetic import unit_vectors

    vectors, queries = unit_vectors(max(sizes), seed=0), unit_vectors(n_queries, seed=1)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    hnsw = VectorIndex.build(vectors[:0], "hnsw")._index
    candidates = Settings().candidates
    rows, done = [], 0
    for size in sizes:
        flat.add(vectors[done:size])
        hnsw.add(vectors[done:size])
        done = size
        row = {"vectors": size}
        for k in (10, candidates):
            timings = {"flat": [], "hnsw": []}
            for q in range(n_queries):  # interleaved, as everywhere
                for name, index in (("flat", flat), ("hnsw", hnsw)):
                    start = time.perf_counter()
                    VectorIndex(index, exact_limit=0).search(queries[q : q + 1], k)
                    timings[name].append(time.perf_counter() - start)
            row[f"k{k}"] = {name: round(1e3 * percentile(t, 50), 3) for name, t in timings.items()}
            row[f"k{k}"]["hnsw_over_flat"] = round(percentile([h / f for h, f in zip(timings["hnsw"],
                                                                                     timings["flat"])], 50), 3)
        rows.append(row)
    overtakes = next((r["vectors"] for r in rows if r[f"k{candidates}"]["hnsw_over_flat"] < 1), None)
    return {"queries": n_queries, "rows": rows, "hnsw_faster_from": overtakes, "exact_limit": EXACT_LIMIT}


def retriever_at(size: int, n_queries: int, work: Path) -> dict:
    """A synthetic FAQ of `size` entries, built and searched end to end with the SyntheticEmbedder."""
    from assistant import Retriever, Settings, load_corpus
    from assistant.index.build import build_index
    from assistant.index.vectors import VectorIndex

    from .synthetic import SyntheticEmbedder, write_corpus

    corpus = write_corpus(work / f"corpus-{size}", size)
    target = work / f"index-{size}"
    shutil.rmtree(target, ignore_errors=True)
    embedder = SyntheticEmbedder()
    start = time.perf_counter()
    loaded = load_corpus(corpus)
    corpus_s = time.perf_counter() - start
    start = time.perf_counter()
    data = build_index(loaded, target, embedder)
    build_s = time.perf_counter() - start
    counts = data.manifest["counts"]
    disk = {p.name: p.stat().st_size for p in target.rglob("*") if p.is_file()}

    load = last_json(run_python(["-c", LOAD, str(target)]).stdout)

    retriever = Retriever(data, embedder, Settings())
    rng = np.random.default_rng(0)
    picked = rng.choice(len(data.entries), size=min(n_queries, len(data.entries)), replace=False)
    questions = [data.entries[i].question for i in picked]
    seconds, self_found = [], 0
    for entry_index, question in zip(picked.tolist(), questions):
        start = time.perf_counter()
        hits = retriever.search(question, 5)
        seconds.append(time.perf_counter() - start)
        self_found += hits[0].entry_id == data.entries[entry_index].id

    # The same questions scored against every vector, exactly: a flat copy of the index and no
    # candidate cut-off. The candidate path must find the same best entry.
    every = data.vectors.count
    exact_data = dataclasses.replace(data, vectors=VectorIndex.build(data.vectors.reconstruct_all(), "flat", every))
    exact = Retriever(exact_data, embedder, Settings(exact_limit=every))
    check = questions[: min(len(questions), 50)]
    full = [exact.search(q, 5) for q in check]
    candidate = [retriever.search(q, 5) for q in check]
    same_top = sum(a[0].entry_id == b[0].entry_id for a, b in zip(full, candidate))
    overlap = np.mean([len({h.entry_id for h in a} & {h.entry_id for h in b}) / 5 for a, b in zip(full, candidate)])
    return {
        "entries": size, "passages": counts["passages"], "vectors": counts["vectors"],
        "index_type": data.manifest["index_type"], "index_params": data.manifest.get("index_params"),
        "corpus_load_s": round(corpus_s, 2), "build_s": round(build_s, 2),
        "disk_mb": round(sum(disk.values()) / 2**20, 1),
        "disk_mb_by_file": {name: round(b / 2**20, 1) for name, b in sorted(disk.items()) if b > 2**20},
        "load": {k: round(v, 2) for k, v in load.items()},
        "search": {"queries": len(seconds), "p50_ms": round(1e3 * percentile(seconds, 50), 2),
                   "p95_ms": round(1e3 * percentile(seconds, 95), 2),
                   "own_question_first": round(self_found / len(seconds), 3)},
        "candidate_vs_exhaustive": {"queries": len(check), "same_top_hit": round(same_top / len(check), 3),
                                    "top5_overlap": round(float(overlap), 3)},
    }


def run(size: int, parts: tuple[str, ...], n_queries: int = 200) -> dict:
    """The given parts at `size`; each part carries its own date, load and duration."""
    from .machine import describe, load

    work = WORK / str(size)
    work.mkdir(parents=True, exist_ok=True)
    result = {"size": size, "machine": describe()}
    steps = {"index": lambda tmp: index_only(size, n_queries, tmp),
             "threshold": lambda tmp: threshold(tuple(s for s in SWEEP if s <= size), min(n_queries, 100)),
             "retriever": lambda tmp: retriever_at(size, n_queries, work)}
    for part in parts:
        tmp = Path(tempfile.mkdtemp(dir=work))
        try:
            start, date, before = time.perf_counter(), dt.datetime.now().isoformat(timespec="seconds"), load()
            result[part] = steps[part](tmp)
            result[part].update(date=date, load_at_start=before, load_at_end=load(),
                                seconds=round(time.perf_counter() - start, 1))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def save(result: dict) -> Path:
    """benchmarks/results/scale-<size>.json: the parts in `result` replace those saved before."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"scale-{result['size']}.json"
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for part in PARTS:
        if part in result:
            saved[part] = {**result[part], "machine": result["machine"]}
    saved["size"] = result["size"]
    path.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    return path


def saved_runs() -> dict[int, dict]:
    """Every saved scale run, by size."""
    runs = {}
    for path in sorted(RESULTS.glob("scale-*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        runs[int(result["size"])] = result
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, required=True, help="passages (vectors, or FAQ entries)")
    parser.add_argument("--part", choices=["index", "threshold", "retriever", "all"], action="append",
                        help="what to run (repeatable; default all)")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    parts = tuple(args.part or ["all"])
    if "all" in parts:
        parts = PARTS
    result = run(args.size, parts, args.queries)
    print(json.dumps(result, indent=1))
    print(f"written to {save(result)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
