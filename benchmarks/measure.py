"""Timing helpers: interleaved comparisons, percentiles, and fresh processes with their peak memory.

On a shared machine absolute times wander with everyone else's load. What holds is a ratio of two
things measured back to back, in random order, many times: the median of those ratios.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Timings:
    """Seconds per call of several contenders, measured interleaved: `seconds[name][i]` is round i."""

    seconds: dict[str, list[float]] = field(default_factory=dict)

    def p(self, name: str, q: float) -> float:
        """The q-th percentile (0-100) of `name`, in seconds."""
        return percentile(self.seconds[name], q)

    def ratio(self, name: str, limit: str) -> float:
        """The median over rounds of name / limit (above 1: slower than the limit)."""
        return percentile([a / b for a, b in zip(self.seconds[name], self.seconds[limit])], 50)

    def summary(self, limit: str) -> dict:
        """p50/p95 in milliseconds and the median ratio to `limit`, for every contender."""
        return {name: {"p50_ms": round(1e3 * self.p(name, 50), 3), "p95_ms": round(1e3 * self.p(name, 95), 3),
                       "ratio": round(self.ratio(name, limit), 3), "rounds": len(times)}
                for name, times in self.seconds.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def interleaved(contenders: dict[str, Callable[[object], object]], inputs: list, rounds: int,
                seed: int = 0) -> Timings:
    """Time every contender on every input, `rounds` times over, in a fresh random order each time.

    One round = one input, every contender once, back to back; so each ratio compares calls made
    within milliseconds of each other, under the same load.
    """
    rnd = random.Random(seed)
    names = list(contenders)
    timings = Timings({name: [] for name in names})
    for _ in range(rounds):
        for item in inputs:
            rnd.shuffle(names)
            for name in names:
                start = time.perf_counter()
                contenders[name](item)
                timings.seconds[name].append(time.perf_counter() - start)
    return timings


@dataclass
class Process:
    """One fresh process: wall seconds, peak resident memory (MB), and what it printed."""

    seconds: float
    peak_rss_mb: float
    stdout: str


# Runs `python -m module args...` or `python -c code args...` given as its own arguments and, at
# exit, writes its peak RSS (VmHWM) to $BENCH_PEAK_FILE. Not ru_maxrss: that counts the memory of
# the parent the child was forked from, a gigabyte here, and execve keeps it.
_PEAK = """
import atexit, os, runpy, sys
def peak():
    with open("/proc/self/status") as status, open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM")))
atexit.register(peak)
mode, target, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == "-m":
    sys.argv = [target, *rest]
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *rest]
    exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
"""


def child_env() -> dict:
    """This environment, with the project root first on PYTHONPATH (children import this checkout)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_python(args: list[str], cwd: str | None = None) -> Process:
    """Run `python *args` (["-m", module, ...] or ["-c", code, ...]) in a fresh interpreter, to the end.

    Raises:
        RuntimeError: the program failed (its stderr's end is in the message).
    """
    if len(args) < 2 or args[0] not in ("-m", "-c"):
        raise ValueError("args must start with -m MODULE or -c CODE")
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        env = {**child_env(), "BENCH_PEAK_FILE": str(peak_file)}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _PEAK, *args], capture_output=True, env=env, cwd=cwd)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"python {' '.join(args)[:80]}... exited {done.returncode}: "
                               f"{done.stderr.decode(errors='replace')[-800:]}")
        peak_kb = int(peak_file.read_text())
    return Process(seconds, round(peak_kb / 1024, 1), done.stdout.decode(errors="replace"))


def last_json(text: str) -> dict:
    """The last line of `text` that is a JSON object (a child's report)."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON report in output: {text[-300:]!r}")
