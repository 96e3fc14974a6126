"""What the benchmarks ran on: CPU, cores, memory, load, and the versions of what does the work."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float:
    import psutil

    return round(psutil.virtual_memory().total / 2**30, 1)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages (runnable processes; compare with the core count)."""
    return [round(x, 2) for x in os.getloadavg()]


def describe() -> dict:
    """The machine and software, as a flat dict for the report."""
    import faiss
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "faiss": faiss.__version__,
        "faiss_threads": faiss.omp_get_max_threads(),
        "numpy": _version("numpy"),
        "sentence_transformers": _version("sentence-transformers"),
        "transformers": _version("transformers"),
        "bm25s": _version("bm25s"),
        "faq_assistant": _version("faq-assistant"),
        "load_at_start": load(),
    }
