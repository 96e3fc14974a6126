"""Cold start, each in a fresh process: `import assistant`, `assistant ask`, the first answer.

Wall time is measured by the parent from launch to exit; peak RSS comes from the child's own rusage.
The package is byte-compiled first, as an installed package is (pip compiles on install), so that
`import assistant` is not timed compiling its own source.
"""

from __future__ import annotations

import compileall
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .measure import child_env, last_json, percentile, run_python

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "is the swap file encrypted?"
HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "bm25s", "gradio", "sklearn")

# Child programs; their arguments come in sys.argv.
IMPORT = """
import sys, time, json
start = time.perf_counter()
import assistant
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "heavy": [m for m in sys.argv[1:] if m in sys.modules]}))
"""

FIRST_ANSWER = """
import json, sys, time
stages = {}
start = time.perf_counter()
from assistant import Retriever
stages["import_assistant"] = time.perf_counter() - start
mark = time.perf_counter()
index, corpus, question = sys.argv[1:4]
r = Retriever.load(index, corpus=corpus, rebuild="never")
stages["load_index_and_model"] = time.perf_counter() - mark
mark = time.perf_counter()
answer = r.answer(question)
stages["first_answer"] = time.perf_counter() - mark
mark = time.perf_counter()
r.answer("Can I create a host memory dump?")
stages["second_answer"] = time.perf_counter() - mark
stages["total"] = time.perf_counter() - start
print(json.dumps({"stages": stages, "found": answer.found}))
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


def ask(index: Path, corpus: Path, repeats: int) -> dict:
    args = ["-m", "assistant", "ask", QUESTION, "--no-build", "--index", str(index), "--corpus", str(corpus)]
    runs = [run_python(args, cwd=str(ROOT)) for _ in range(repeats)]
    return {"repeats": repeats, "command": f"assistant ask {QUESTION!r}",
            "process_s": _median(runs, lambda r: r.seconds), "peak_rss_mb": _median(runs, lambda r: r.peak_rss_mb)}


def first_answer(index: Path, corpus: Path, repeats: int) -> dict:
    """A fresh process: `Retriever.load()` then `answer()`, with the time of each stage."""
    args = ["-c", FIRST_ANSWER, str(index), str(corpus), QUESTION]
    runs = [run_python(args, cwd=str(ROOT)) for _ in range(repeats)]
    reports = [last_json(r.stdout)["stages"] for r in runs]
    return {"repeats": repeats, "process_s": _median(runs, lambda r: r.seconds),
            "peak_rss_mb": _median(runs, lambda r: r.peak_rss_mb),
            "stages_s": {name: round(percentile([r[name] for r in reports], 50), 3) for name in reports[0]}}


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


def measure(index: Path, corpus: Path, repeats: int) -> dict:
    return {
        "import": import_time(max(3, repeats)),
        "ask": ask(index, corpus, repeats),
        "first_answer": first_answer(index, corpus, repeats),
        "app": app_first_answer(index, corpus),
        "python_startup_s": _median([run_python(["-c", "pass"]) for _ in range(3)], lambda r: r.seconds),
        "question": QUESTION,
    }
