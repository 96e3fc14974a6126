"""Embedding throughput on a local Ray cluster of 1 and 2 workers, against one local process, same texts.

The texts are StackFAQ's distinct view texts (questions, passages, sentences), the first `--texts` of them.
Each round embeds them locally (one process, torch on every core), then on a fresh local cluster of 1 CPU
and of 2 CPUs (one worker per CPU, one torch thread each, as Ray sets it); models are loaded before the
clock starts. Vectors are compared with the local ones. Writes benchmarks/results/ray-scaling.json.

Wall time depends on what else runs on the machine; CPU time much less. So each run also records the
CPU seconds its embedding took (the driver's own for the local run; the sum over the cluster's worker
processes for Ray): texts per CPU second is the throughput of a worker with a core to itself, the basis
of the scaling estimate in docs/scaling.md.

    python -m benchmarks.ray_scaling                 # 480 texts, 2 rounds: ~5 minutes on 2 cores
    python -m benchmarks.ray_scaling --texts 96 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "ray-scaling.json"
SHARD = 32


def stackfaq_texts(embedder, count: int) -> list[str]:
    from assistant.index.chunking import chunk_entry
    from assistant.index.views import question_groups, view_texts
    from assistant.ingest.corpus import load_corpus

    entries = load_corpus(ROOT / "eval" / "stackfaq" / "faq.jsonl").entries
    passages = [p for e in entries for p in chunk_entry(e, embedder.max_tokens, embedder.token_spans)]
    texts, _ = view_texts(entries, passages, question_groups(entries))
    return list(dict.fromkeys(texts))[:count]


def worker_cpu_seconds() -> float:
    """CPU seconds used so far by this process's Ray workers (its descendants named `ray::...`)."""
    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if process.cmdline()[:1] and process.cmdline()[0].startswith("ray::"):
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def on_cluster(workers: int, texts: list[str], embedder) -> tuple[float, float, np.ndarray]:
    """Wall seconds and worker CPU seconds to embed `texts` on a fresh local cluster of `workers` CPUs
    (models loaded first)."""
    import ray

    from assistant.distributed.cluster import start_local
    from assistant.distributed.ray_build import embed_on_cluster

    start_local(workers)
    try:
        # One task per worker that takes long enough (loading the model) for each worker to get one.
        embed_on_cluster(ray, [f"warm up {i}" for i in range(workers)], embedder, shard_size=1)
        cpu, start = worker_cpu_seconds(), time.perf_counter()
        vectors = embed_on_cluster(ray, texts, embedder, shard_size=SHARD)
        seconds, cpu = time.perf_counter() - start, worker_cpu_seconds() - cpu
    finally:
        ray.shutdown()
    return seconds, cpu, np.stack([vectors[t] for t in texts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=480)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant import Embedder

    embedder = Embedder()
    texts = stackfaq_texts(embedder, args.texts)
    embedder.embed(texts[:8])  # load the model before the clock starts
    load = [os.getloadavg()[0]]
    runs: dict[str, list[float]] = {"local": [], "ray-1": [], "ray-2": []}
    cpu: dict[str, list[float]] = {"local": [], "ray-1": [], "ray-2": []}
    diffs: dict[str, float] = {}
    for _ in range(args.rounds):
        used, start = time.process_time(), time.perf_counter()
        local = embedder.embed(texts)
        runs["local"].append(time.perf_counter() - start)
        cpu["local"].append(time.process_time() - used)
        for workers in (1, 2):
            seconds, worker_cpu, vectors = on_cluster(workers, texts, embedder)
            runs[f"ray-{workers}"].append(seconds)
            cpu[f"ray-{workers}"].append(worker_cpu)
            diffs[f"ray-{workers}"] = max(diffs.get(f"ray-{workers}", 0.0), float(np.abs(vectors - local).max()))
    load.append(os.getloadavg()[0])
    rates = {name: len(texts) / statistics.median(times) for name, times in runs.items()}
    per_cpu = {name: len(texts) / statistics.median(times) for name, times in cpu.items()}
    result = {
        "texts": len(texts), "rounds": args.rounds, "shard": SHARD, "cpus": os.cpu_count(),
        "load_average": load, "seconds": runs, "cpu_seconds": cpu,
        "texts_per_second": rates, "texts_per_cpu_second": per_cpu, "max_abs_diff_to_local": diffs,
        "ratio_2_to_1_workers": rates["ray-2"] / rates["ray-1"],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{len(texts)} texts, {args.rounds} rounds, load average {load[0]:.1f} -> {load[1]:.1f}\n")
    print("| | texts/s (median, wall) | texts per CPU second | max abs difference to local |\n|---|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.1f} | {per_cpu[name]:.1f} | {diffs.get(name, 0.0):.1e} |")
    print(f"\n2 workers / 1 worker: {result['ratio_2_to_1_workers']:.2f}x")


if __name__ == "__main__":
    main()
