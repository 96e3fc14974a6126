"""Every benchmark, one command: `python -m benchmarks.run` (or `make bench`) -> benchmarks/RESULTS.md.

Runs on the default FAQ (index/ and corpus/, built first when missing or stale): per-question
latency and the query cache, batch and build throughput, cold start (the app's first answer
included), the app under 50 concurrent conversations (p95 ÷ a lone request's p50, answers/s,
and the same against a no-op app); then the scale benchmark at
10,000 and 100,000 passages. The 1,000,000-passage figures take longer than this run may (on 2
cores the HNSW build alone is several minutes): they come from `python -m benchmarks.scale --size
1000000`, whose saved output is included and labelled as a separate run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import coldstart, latency, load, machine, mmap_check, report, scale, throughput

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
OUTPUT, RAW = HERE / "RESULTS.md", HERE / "results" / "latest.json"
QUICK_OUTPUT, QUICK_RAW = HERE / "out" / "RESULTS-quick.md", HERE / "out" / "latest-quick.json"
ONLY_OUTPUT, ONLY_RAW = HERE / "out" / "RESULTS-only.md", HERE / "out" / "latest-only.json"
STEPS = report.STEPS


def _step(name: str, results: dict, fn, *args):
    if name.split("-")[0] not in results["steps"]:
        return
    start = time.perf_counter()
    print(f"[bench] {name}...", file=sys.stderr, flush=True)
    results[name] = fn(*args)
    results.setdefault("seconds", {})[name] = round(time.perf_counter() - start, 1)
    print(f"[bench] {name}: {results['seconds'][name]} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=None, help="index folder (default: settings, index/)")
    parser.add_argument("--corpus", type=Path, default=None, help="corpus (default: settings, corpus/)")
    parser.add_argument("--quick", action="store_true", help="few repetitions and no 100k scale run (a smoke test)")
    parser.add_argument("--only", nargs="+", choices=STEPS, metavar="STEP",
                        help=f"run only these steps, in one run ({', '.join(STEPS)}); written to benchmarks/out/")
    parser.add_argument("--output", type=Path, help="default benchmarks/RESULTS.md (quick, only: benchmarks/out/)")
    args = parser.parse_args(argv)
    output, raw = (QUICK_OUTPUT, QUICK_RAW) if args.quick else (ONLY_OUTPUT, ONLY_RAW) if args.only else (OUTPUT, RAW)
    output = args.output or output
    rounds = 2 if args.quick else 8
    sizes = (10_000,) if args.quick else (10_000, 100_000)

    start = time.perf_counter()
    results: dict = {"quick": args.quick, "machine": machine.describe(), "steps": args.only or STEPS}
    uncached = latency.load_retriever(0, args.index, args.corpus)
    index, corpus, model = uncached.data.directory, Path(uncached.settings.corpus), uncached.settings.model
    results["index"] = {"directory": str(index), "corpus": str(corpus), "counts": uncached.data.manifest["counts"],
                        "index_type": uncached.data.manifest["index_type"]}
    _step("latency", results, latency.single_query, uncached, rounds)
    cached = latency.load_retriever(uncached.settings.query_cache_size or 1024, index, corpus)
    _step("cache", results, latency.repeated_questions, uncached, cached)
    del cached
    _step("batch", results, throughput.batch, uncached, 256 if args.quick else 1024, 3 if args.quick else 5)
    _step("build", results, throughput.build, uncached.embedder, corpus.resolve(), 2 if args.quick else 3)
    del uncached
    _step("coldstart", results, coldstart.measure, index.resolve(), corpus.resolve(), 2 if args.quick else 3, model,
          3 if args.quick else 5)
    _step("load", results, load.measure, str(index), str(corpus), 10 if args.quick else load.CONVERSATIONS)
    _step("mmap", results, mmap_check.check)
    for size in sizes:  # the Retriever at 100,000 entries (660,000 vectors) is a separate run
        parts = ("index", "threshold") if size == 100_000 else ("index", "retriever")
        _step(f"scale-{size}", results, scale.run, size, parts)
        if not args.quick and f"scale-{size}" in results:
            scale.save(results[f"scale-{size}"])
    results["machine"]["load_at_end"] = machine.load()
    results["total_seconds"] = round(time.perf_counter() - start, 1)

    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    saved = scale.saved_runs() if "scale" in results["steps"] else {}
    output.write_text(report.render(results, saved), encoding="utf-8")
    print(f"[bench] done in {results['total_seconds']} s: {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
