"""Updates: what one `Retriever.add` / `remove` costs beside building the whole FAQ again.

    python -m benchmarks.updates                      # 1,000 and 10,000 entries
    python -m benchmarks.updates --sizes 1000 50000

A synthetic FAQ (`synthetic.faq_rows`) given as objects, embedded by the `SyntheticEmbedder`, so the
figures are the work around the model: chunking, views, the FAISS and BM25 indexes, the atomic write.
The model's share is the texts each change embeds, which the counts show (a build embeds them all; a
change, only those of the entries it touches). Each timing is the median of `--repeat` runs, and each
change is compared with a build of the same FAQ in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _median(seconds: list[float]) -> float:
    return round(statistics.median(seconds), 3)


def measure(size: int, repeat: int, work: Path) -> dict:
    """Build, add, replace and remove timings at `size` entries, in memory and saved."""
    from assistant import Retriever, Settings

    from .synthetic import SyntheticEmbedder, faq_rows

    rows = faq_rows(size + 1)
    faq, extra = rows[:size], rows[size]
    middle = faq[size // 2]
    changed = dict(middle, answer=middle["answer"] + " Updated.")
    embedder, settings = SyntheticEmbedder(), Settings()
    result: dict = {"entries": size}
    for where in ("memory", "saved"):
        index = work / f"index-{size}" if where == "saved" else None
        timings: dict[str, list[float]] = {"build": [], "add": [], "replace": [], "remove": []}
        embedded: dict[str, int] = {}
        for _ in range(repeat):
            start = time.perf_counter()
            r = Retriever.from_entries(faq, index=index, embedder=embedder, settings=settings)
            timings["build"].append(time.perf_counter() - start)
            for name, change in (("add", lambda: r.add([extra])), ("replace", lambda: r.add([changed])),  # noqa: B023
                                 ("remove", lambda: r.remove([extra["id"]]))):  # noqa: B023
                start = time.perf_counter()
                update = change()
                timings[name].append(time.perf_counter() - start)
                embedded[name] = update.embedded
        result[where] = {"vectors": r.data.manifest["counts"]["vectors"],
                         **{f"{name}_s": _median(s) for name, s in timings.items()},
                         **{f"{name}_embedded": n for name, n in embedded.items()}}
    return result


def table(results: list[dict]) -> str:
    lines = ["| entries | where | build | add one (texts embedded) | replace one | remove one |",
             "|---|---|---|---|---|---|"]
    for result in results:
        for where in ("memory", "saved"):
            m = result[where]
            changes = " | ".join(f"{m[f'{name}_s']:.2f} s ({m[f'{name}_embedded']})"
                                 for name in ("add", "replace", "remove"))
            lines.append(f"| {result['entries']:,} | {where} | {m['build_s']:.2f} s ({m['vectors']:,} vectors) | "
                         f"{changes} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="What one add or remove costs beside a whole build.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        results = [measure(size, args.repeat, Path(work)) for size in args.sizes]
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
