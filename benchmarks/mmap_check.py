"""What memory-mapping FAISS really does, per index type and read flag, in fresh processes.

`faiss.read_index` takes flags; whether the vectors end up in private memory (copied from the file)
or stay file-backed (mapped: shared between processes, paged in on demand, evictable) depends on
the index type and the flag, and FAISS does not say. This loads each kind, searches it once, and
reads the answer from /proc/self/status.

    python -m benchmarks.mmap_check
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from .measure import last_json, run_python

VECTORS = 50_000

# Child program: read argv[1] with the flag named argv[2], search once, report memory deltas.
CHILD = """
import json, sys
import faiss, numpy as np
def status():
    keys = ("RssAnon", "RssFile")
    return {l.split(":")[0]: int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.split(":")[0] in keys}
flags = {"none": 0, "IO_FLAG_MMAP": faiss.IO_FLAG_MMAP, "IO_FLAG_MMAP_IFC": faiss.IO_FLAG_MMAP_IFC}
before = status()
try:
    index = faiss.read_index(sys.argv[1], flags[sys.argv[2]])
except RuntimeError as exc:
    print(json.dumps({"error": str(exc).strip().splitlines()[-1][:120]}))
    sys.exit()
index.search(np.ones((1, index.d), dtype=np.float32), 10)
after = status()
print(json.dumps({"anon_mb": round(after["RssAnon"] - before["RssAnon"]),
                  "mapped_mb": round(after["RssFile"] - before["RssFile"])}))
"""


def check(vectors: int = VECTORS) -> dict:
    """{index type: {flag: {"anon_mb", "mapped_mb"} or {"error"}}} plus each file's size."""
    import faiss
    import numpy as np

    from .synthetic import unit_vectors

    x = unit_vectors(vectors, seed=0)
    indexes = {"flat": faiss.IndexFlatIP(x.shape[1]),
               "hnsw": faiss.IndexHNSWFlat(x.shape[1], 16, faiss.METRIC_INNER_PRODUCT),
               "ivf": faiss.IndexIVFFlat(faiss.IndexFlatIP(x.shape[1]), x.shape[1], 256, faiss.METRIC_INNER_PRODUCT)}
    indexes["hnsw"].hnsw.efConstruction = 16  # a cheap graph: only its memory is looked at
    indexes["ivf"].train(x[:20_000])
    out = {"vectors": vectors}
    with tempfile.TemporaryDirectory() as folder:
        for kind, index in indexes.items():
            index.add(np.ascontiguousarray(x))
            path = Path(folder) / f"{kind}.faiss"
            faiss.write_index(index, str(path))
            out[kind] = {"file_mb": round(path.stat().st_size / 2**20)}
            for flag in ("none", "IO_FLAG_MMAP", "IO_FLAG_MMAP_IFC"):
                out[kind][flag] = last_json(run_python(["-c", CHILD, str(path), flag]).stdout)
            del index
    return out


def main() -> int:
    print(json.dumps(check(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
