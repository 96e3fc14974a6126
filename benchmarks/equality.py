"""Same rankings as another revision: every hit, score, signal and highlight on the eval sets.

Speed work must not change results. This dumps what the working tree answers on the eval sets, does
the same with the `assistant` package of a git revision (exported with `git archive`, run in its own
process), and compares the two exactly.

    python -m benchmarks.equality --base 76140a4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out" / "equality"
K = 10


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dump(index_root: Path) -> dict:
    """Every result the eval sets produce with the `assistant` package on sys.path."""
    from assistant import Embedder, Retriever

    embedder = Embedder()
    out: dict[str, list] = {}
    azure = Retriever.load(index_root / "azure", corpus=ROOT / "corpus", embedder=embedder)
    questions = [r["query"] for r in _rows(ROOT / "eval" / "azure_dev_questions.jsonl")]
    out["azure.search"] = [[h.to_dict() for h in hits] for hits in azure.batch_search(questions, K)]
    out["azure.search_one"] = [[h.to_dict() for h in azure.search(q, K)] for q in questions[:10]]
    out["azure.answer"] = [a.to_dict() for a in azure.batch_answer(questions)]
    turns = [r["turns"] for r in _rows(ROOT / "eval" / "azure_dev_followups.jsonl")]
    out["azure.followups"] = [azure.answer(second, history=[first]).to_dict() for first, second in turns]

    stack = Retriever.load(index_root / "stackfaq", corpus=ROOT / "eval" / "stackfaq" / "faq.jsonl",
                           embedder=embedder)
    queries = [r["query"] for r in _rows(ROOT / "eval" / "stackfaq" / "queries.jsonl")]
    out["stackfaq.search"] = [[h.to_dict() for h in hits] for hits in stack.batch_search(queries, K)]
    out["stackfaq.answer"] = [a.to_dict() for a in stack.batch_answer(queries[:200])]
    return out


def _export(revision: str, target: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "assistant"],
                             check=True, capture_output=True).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(target, filter="data")


def dump_revision(revision: str) -> dict:
    """`dump` run in a fresh process with the `assistant` package of `revision`."""
    with tempfile.TemporaryDirectory() as folder:
        _export(revision, Path(folder))
        out = Path(folder) / "dump.json"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([folder, str(ROOT)])}
        index_root = OUT / f"index-{revision}"
        # `python -m` puts the working directory first on sys.path: run in the exported tree, or the
        # child imports the working tree's `assistant` and compares it with itself.
        subprocess.run([sys.executable, "-m", "benchmarks.equality", "--dump", str(out), "--index-root",
                        str(index_root), "--expect-package", folder], check=True, env=env, cwd=folder)
        return json.loads(out.read_text(encoding="utf-8"))


def differences(base: dict, current: dict) -> list[str]:
    """Where two dumps differ, one line per differing query (empty when identical)."""
    lines = []
    for name in sorted(set(base) | set(current)):
        old, new = base.get(name), current.get(name)
        if old is None or new is None or len(old) != len(new):
            lines.append(f"{name}: present in only one dump, or of different length")
            continue
        lines += [f"{name}[{i}]: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
                  for i, (a, b) in enumerate(zip(old, new)) if a != b]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="HEAD", help="git revision to compare with (default HEAD)")
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index-root", type=Path, default=OUT / "index-current", help=argparse.SUPPRESS)
    parser.add_argument("--expect-package", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dump:  # the child process: write this package's results and stop
        import assistant

        if args.expect_package and args.expect_package.resolve() not in Path(assistant.__file__).resolve().parents:
            raise SystemExit(f"imported {assistant.__file__}, not the package under {args.expect_package}")
        args.dump.write_text(json.dumps(dump(args.index_root)), encoding="utf-8")
        return 0
    current = dump(args.index_root)
    base = dump_revision(args.base)
    diff = differences(base, current)
    total = sum(len(v) for v in current.values())
    if diff:
        print(f"{len(diff)} of {total} results differ from {args.base}:")
        print("\n".join(diff[:20]))
        return 1
    print(f"identical to {args.base}: {total} results ({', '.join(f'{k} {len(v)}' for k, v in current.items())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
