"""Cold start, each in a fresh process: `import assistant`, `assistant ask`, the first answer.

The bare limit: a fresh process that loads the model with sentence-transformers and encodes one
sentence, the least any retriever built on it pays before its first answer. `assistant ask` and
the bare limit run in alternation, in random order, and the ratio is the median of per-round
ratios. Wall time is measured by the parent from launch to exit; peak RSS is the child's own
(VmHWM). The package is byte-compiled first, as an installed package is (pip compiles on install),
so that `import assistant` is not timed compiling its own source.
"""

from __future__ import annotations

import compileall
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from assistant.config import DEFAULT_MODEL

from .measure import child_env, last_json, percentile, run_python

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "is the swap file encrypted?"
HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "bm25s", "scipy", "gradio", "sklearn",
         "onnxruntime")

# Child programs; their arguments come in sys.argv.
IMPORT = """
import sys, time, json
start = time.perf_counter()
import assistant
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "heavy": [m for m in sys.argv[1:] if m in sys.modules]}))
"""

# The bare limit: sentence-transformers loads the model and encodes one sentence.
BARE = """
import sys
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu", local_files_only=True)
model.encode([sys.argv[2]], normalize_embeddings=True, show_progress_bar=False)
"""

# `assistant ask`, with the modules it loaded reported at exit.
ASK = """
import atexit, json, sys
heavy = sys.argv[1].split(",")
atexit.register(lambda: print(json.dumps({"heavy": [m for m in heavy if m in sys.modules]})))
from assistant.cli import main
sys.exit(main(sys.argv[2:]))
"""

FIRST_ANSWER = """
import json, sys, time
stages = {}
start = time.perf_counter()
from assistant import Retriever
from assistant.index.model_identity import model_identity
stages["import_assistant"] = time.perf_counter() - start
index, corpus, question, model = sys.argv[1:5]
mark = time.perf_counter()
model_identity(model)  # hashing the model's files, once per process (Retriever.load reuses it)
stages["model_identity"] = time.perf_counter() - mark
mark = time.perf_counter()
r = Retriever.load(index, corpus=corpus, model=model, rebuild="never")
stages["load_index_and_model"] = time.perf_counter() - mark
mark = time.perf_counter()
answer = r.answer(question)
stages["first_answer"] = time.perf_counter() - mark
mark = time.perf_counter()
r.answer("Can I create a host memory dump?")
stages["second_answer"] = time.perf_counter() - mark
stages["total"] = time.perf_counter() - start
print(json.dumps({"stages": stages, "found": answer.found, "backend": r.embedder.backend}))
"""


def _median(runs, key) -> float:
    return round(percentile([key(r) for r in runs], 50), 3)


def import_time(repeats: int) -> dict:
    compileall.compile_dir(str(ROOT / "assistant"), quiet=1)
    runs = [run_python(["-c", IMPORT, *HEAVY], cwd=str(ROOT)) for _ in range(repeats)]
    reports = [last_json(r.stdout) for r in runs]
    return {"repeats": repeats, "in_process_s": round(percentile([r["seconds"] for r in reports], 50), 3),
            "process_s": _median(runs, lambda r: r.seconds), "peak_rss_mb": _median(runs, lambda r: r.peak_rss_mb),
            "heavy_modules_loaded": sorted({m for r in reports for m in r["heavy"]})}


def ask_against_bare(index: Path, corpus: Path, model: str, rounds: int, seed: int = 0) -> dict:
    """`assistant ask` and the bare limit (sentence-transformers' load + encode), `rounds` times each
    in fresh processes, in random order within each round."""
    from assistant.index.model_identity import resolve_model

    args = {
        "ask": ["-c", ASK, ",".join(HEAVY), "ask", QUESTION, "--no-build", "--index", str(index),
                "--corpus", str(corpus), "--model", model],
        "bare": ["-c", BARE, resolve_model(model), QUESTION],
    }
    rnd = random.Random(seed)
    runs: dict[str, list] = {"ask": [], "bare": []}
    for _ in range(rounds):
        for name in rnd.sample(list(args), len(args)):
            runs[name].append(run_python(args[name], cwd=str(ROOT)))
    ratios = [a.seconds / b.seconds for a, b in zip(runs["ask"], runs["bare"])]
    return {
        "rounds": rounds, "command": f"assistant ask {QUESTION!r}",
        "ratio": round(percentile(ratios, 50), 3),
        "process_s": _median(runs["ask"], lambda r: r.seconds),
        "peak_rss_mb": _median(runs["ask"], lambda r: r.peak_rss_mb),
        "max_peak_rss_mb": max(r.peak_rss_mb for r in runs["ask"]),
        "bare_s": _median(runs["bare"], lambda r: r.seconds),
        "bare_peak_rss_mb": _median(runs["bare"], lambda r: r.peak_rss_mb),
        "heavy_modules_loaded": sorted({m for r in runs["ask"] for m in last_json(r.stdout)["heavy"]}),
    }


def first_answer(index: Path, corpus: Path, model: str, repeats: int) -> dict:
    """A fresh process: `Retriever.load()` then `answer()`, with the time of each stage."""
    args = ["-c", FIRST_ANSWER, str(index), str(corpus), QUESTION, model]
    runs = [run_python(args, cwd=str(ROOT)) for _ in range(repeats)]
    reports = [last_json(r.stdout) for r in runs]
    stages = [r["stages"] for r in reports]
    return {"repeats": repeats, "process_s": _median(runs, lambda r: r.seconds),
            "peak_rss_mb": _median(runs, lambda r: r.peak_rss_mb), "backend": reports[0]["backend"],
            "stages_s": {name: round(percentile([r[name] for r in stages], 50), 3) for name in stages[0]}}


def app_first_answer(index: Path, corpus: Path, timeout: float = 120.0) -> dict:
    """From `python app.py` to the app serving its page, and to its first answer through
    gradio_client (connecting included); the app's peak RSS."""
    from gradio_client import Client

    app = ROOT / "app.py"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**child_env(), "FAQ_ASSISTANT_PORT": str(port), "FAQ_ASSISTANT_INDEX": str(index),
           "FAQ_ASSISTANT_CORPUS": str(corpus)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(app)], env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    served = None
    try:
        while served is None and time.perf_counter() - start < timeout and child.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        served = time.perf_counter() - start
            except OSError:
                time.sleep(0.1)
        answered = None
        if served is not None:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            found = client.predict(QUESTION, api_name="/ask")["found"]
            answered = time.perf_counter() - start if found else None
            client.close()
        with open(f"/proc/{child.pid}/status", encoding="utf-8") as status:  # before it exits
            peak_kb = next((int(line.split()[1]) for line in status if line.startswith("VmHWM")), 0)
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
    return {"seconds_to_serve": None if served is None else round(served, 3),
            "seconds_to_first_answer": None if answered is None else round(answered, 3),
            "peak_rss_mb": round(peak_kb / 1024, 1), "port": port}


def measure(index: Path, corpus: Path, repeats: int, model: str = DEFAULT_MODEL, rounds: int = 5) -> dict:
    """Every cold-start figure; `rounds` pairs of `assistant ask` and the bare limit."""
    return {
        "import": import_time(max(3, repeats)),
        "ask": ask_against_bare(index, corpus, model, rounds),
        "first_answer": first_answer(index, corpus, model, repeats),
        "app": app_first_answer(index, corpus),
        "python_startup_s": _median([run_python(["-c", "pass"]) for _ in range(3)], lambda r: r.seconds),
        "question": QUESTION,
        "model": model,
    }
