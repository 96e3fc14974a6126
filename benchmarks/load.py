"""The chat app under load: concurrent two-turn conversations through `gradio_client`, on loopback.

`python -m benchmarks.load [--conversations 50]` starts the app (`assistant serve`, in a process of
its own) over the default FAQ (index/, built when missing) on a free 127.0.0.1 port, opens one
`gradio_client.Client` per conversation, and has them all ask at once: a distinct in-scope question,
then a follow-up sent with the first question as `history`. Every answer is compared with
`Retriever.answer` computed sequentially in this process for the same inputs, so an answer delivered
to the wrong session counts as a mismatch.

The yardstick is a lone request: other conversations (questions not in the load run, so that the
app's cache of query vectors cannot favour either side), held one after another by one client
against the same app, half before the load run and half after. The figure of merit is the load
run's p95 latency ÷ the lone requests' p50. Prints both, with errors, mismatches and answers/s, as a
Markdown snippet; exits 1 when any conversation failed or got another's answer.

The floor: the same two runs against an app whose `/ask` returns at once without answering
(launched the same way), i.e. what Gradio and `gradio_client` alone cost on these cores. The
clients run on the same cores as the app, so their work is part of every figure.

tests/test_load.py drives an app served in the test's own process with the same code.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION_SETS = (ROOT / "eval" / "azure_dev_questions.jsonl", ROOT / "eval" / "azure_extra_questions.jsonl")
# Each opens with a connective, so it is always read with the question before it: its answer names
# that question as its context, which makes every conversation's second answer its own.
FOLLOW_UPS = ("and do they cost more?", "what about Intel?", "and is it available in every region?",
              "and can I turn it off later?", "so what about Linux?", "and with customer-managed keys?")
CONVERSATIONS = 50
LONE = 20  # conversations held one at a time, for the lone-request latency (40 questions)
START_TIMEOUT = 300  # seconds for every client to connect before the conversations start together


@dataclass(frozen=True)
class Conversation:
    """The questions one user asks, in order; each later one is sent with the earlier ones as history."""

    turns: tuple[str, ...]


@dataclass
class Outcome:
    """What one conversation got back.

    Attributes:
        conversation: what was asked.
        answers: the `/ask` results, one per turn answered (fewer than the turns after an error).
        latencies: seconds per answered turn, as the client saw them (queueing included).
        error: the first failure, as "Type: message"; None when every turn was answered.
    """

    conversation: Conversation
    answers: list[dict] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    error: str | None = None


@dataclass
class LoadResult:
    """Every conversation's outcome, and the wall time of the whole run."""

    outcomes: list[Outcome]
    seconds: float

    @property
    def latencies(self) -> list[float]:
        return sorted(s for o in self.outcomes for s in o.latencies)

    @property
    def errors(self) -> list[str]:
        return [o.error for o in self.outcomes if o.error]

    def percentile(self, p: float) -> float:
        """The `p`th percentile of the per-question latencies (nearest rank), in seconds."""
        values = self.latencies
        if not values:
            return float("nan")
        return values[min(len(values), max(1, math.ceil(p / 100 * len(values)))) - 1]

    def mismatches(self, expected: list[list[dict]]) -> list[str]:
        """The turns whose answer differs from `expected` (per conversation, per turn), described."""
        wrong = []
        for outcome, wanted in zip(self.outcomes, expected):
            for turn, (got, want) in enumerate(zip(outcome.answers, wanted), start=1):
                if got != want:
                    wrong.append(f"{outcome.conversation.turns[turn - 1]!r} (turn {turn}): got the answer to "
                                 f"{got.get('question')!r} read with {got.get('context')!r}")
        return wrong

    @property
    def answers_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")

    def markdown(self, mismatches: int | None = None, lone: LoadResult | None = None) -> str:
        """A Markdown snippet for benchmarks/RESULTS.md; with `lone`, the lone-request yardstick too."""
        answered = len(self.latencies)
        yardstick = [] if lone is None else [
            ("Lone request (one conversation at a time), p50", f"{lone.percentile(50) * 1000:.0f} ms "
                                                                f"({len(lone.latencies)} questions)"),
            ("**p95 under load ÷ lone p50**", f"**{self.percentile(95) / lone.percentile(50):.2f}×** (target ≤ 6×)"),
        ]
        rows = [
            ("Conversations (2 turns each, all at once)", f"{len(self.outcomes)}"),
            ("Questions answered", f"{answered} of {sum(len(o.conversation.turns) for o in self.outcomes)}"),
            ("Errors", f"{len(self.errors)}"),
            ("Answers that were not the session's own", "not checked" if mismatches is None else f"{mismatches}"),
            ("Latency per question, p50", f"{self.percentile(50) * 1000:.0f} ms"),
            ("Latency per question, p95", f"{self.percentile(95) * 1000:.0f} ms"),
            ("Latency per question, max", f"{max(self.latencies, default=float('nan')) * 1000:.0f} ms"),
            ("Wall time, first question to last answer", f"{self.seconds:.1f} s"),
            ("Throughput", f"{self.answers_per_second:.1f} answers/s" if self.seconds else "n/a"),
            *yardstick,
        ]
        return "\n".join(["| Load (gradio_client, loopback) | |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)])


def conversations(n: int = CONVERSATIONS) -> list[Conversation]:
    """`n` conversations: distinct in-scope questions from the Azure question sets, each followed by
    one of `FOLLOW_UPS` in turn."""
    questions: list[str] = []
    for path in QUESTION_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("expected") and row["query"] not in questions:
                questions.append(row["query"])
    if n > len(questions):
        raise ValueError(f"at most {len(questions)} conversations (distinct in-scope questions), not {n}")
    return [Conversation((q, FOLLOW_UPS[i % len(FOLLOW_UPS)])) for i, q in enumerate(questions[:n])]


def expected_answers(retriever, conversation: Conversation) -> list[dict]:
    """What `/ask` must return for each turn: `Retriever.answer` with the same question and history,
    through JSON as the API sends it."""
    turns = conversation.turns
    return [json.loads(json.dumps(retriever.answer(q, history=list(turns[:i])).to_dict()))
            for i, q in enumerate(turns)]


def converse(url: str, conversation: Conversation, ready: threading.Barrier | None = None) -> Outcome:
    """Hold `conversation` with the app at `url` through a `gradio_client.Client` of its own.

    With `ready`, the client connects first and then waits there, so that every conversation starts
    asking at the same moment. Failures are recorded in the outcome, never raised.
    """
    from gradio_client import Client

    outcome = Outcome(conversation)
    client = None
    try:
        try:
            # Plain HTTP on loopback: nothing to verify. With verification on, httpx loads the CA bundle
            # for each of a question's two requests, which cost the 50 clients (on the app's cores)
            # several times the app's own CPU.
            client = Client(url, verbose=False, download_files=False, ssl_verify=False)
        finally:
            if ready is not None:  # also after a failed connect: the others are waiting for this one
                ready.wait()
        history: list[str] = []
        for question in conversation.turns:
            started = time.perf_counter()
            answer = client.predict(question, history, None, api_name="/ask")
            outcome.latencies.append(time.perf_counter() - started)
            outcome.answers.append(answer)
            history.append(question)
    except Exception as exc:  # a load test reports failures; it does not stop at the first
        outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        if client is not None:
            client.close()
    return outcome


def run_load(url: str, convs: list[Conversation]) -> LoadResult:
    """Hold every conversation at once, one thread and one client each."""
    ready = threading.Barrier(len(convs) + 1, timeout=START_TIMEOUT)
    with ThreadPoolExecutor(max_workers=len(convs)) as pool:
        futures = [pool.submit(converse, url, c, ready) for c in convs]
        ready.wait()  # every client is connected (or failed): the clock starts
        started = time.perf_counter()
        outcomes = [f.result() for f in futures]
    return LoadResult(outcomes, time.perf_counter() - started)


def run_lone(url: str, convs: list[Conversation]) -> LoadResult:
    """Hold the conversations one after another, each with a client of its own: every request is
    the only one the app has."""
    started = time.perf_counter()
    outcomes = [converse(url, c) for c in convs]
    return LoadResult(outcomes, time.perf_counter() - started)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_app(retriever, feedback_log: str | Path):
    """Build the app over `retriever` and launch it on a free loopback port.

    Returns:
        (app, url): close the app with `app.close()`.
    """
    from assistant.app.layout import build_app
    from assistant.app.server import launch

    app = build_app(retriever, retriever.settings.replace(feedback_log=Path(feedback_log)))
    return app, launch(app, "127.0.0.1", free_port())



# The floor's app: one `/ask` endpoint that returns at once, launched as the real app is.
NO_OP_APP = """
import sys
import gradio as gr
from assistant.app.server import launch

def ask(question: str, history: list[str] | None = None, k: int | None = None) -> dict:
    return {"question": question, "context": (history or [None])[-1]}

with gr.Blocks() as app:
    gr.api(ask, api_name="ask")
print(f"running at {launch(app, '127.0.0.1', int(sys.argv[1]))}", flush=True)
app.block_thread()
"""


def serve_in_subprocess(port: int, feedback_log: Path, log: Path, index: str | None = None,
                        corpus: str | None = None, no_op: bool = False) -> tuple[subprocess.Popen, str]:
    """`assistant serve` on 127.0.0.1:`port` in a process of its own (so that the clients here do not
    share its interpreter), its stderr in `log`; with `no_op`, the floor's app instead.

    Returns:
        (process, url) once the app prints its URL; stop it with `stop(process)`.
    """
    command = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--feedback-log", str(feedback_log)]
    command += ["--index", index] if index else []
    command += ["--corpus", corpus] if corpus else []
    if no_op:
        command = [sys.executable, "-c", NO_OP_APP, str(port)]
    with open(log, "w") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    if not lines or "running at http://" not in lines[0]:
        stop(process)
        raise RuntimeError(f"the app did not start; its stderr:\n{log.read_text()[-3000:]}")
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    """Ctrl+C the app, then kill it if it has not stopped within a minute."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class ServedRun:
    """A load run against a served app, with its lone-request yardstick.

    Attributes:
        load: the conversations held all at once.
        lone: other conversations held one at a time, half before the load run and half after.
        wrong: the turns (of either) whose answer was not the session's own, described.
    """

    load: LoadResult
    lone: LoadResult
    wrong: list[str]
    checked: bool = True  # False for the floor, whose answers are not answers

    @property
    def errors(self) -> list[str]:
        return self.load.errors + self.lone.errors

    @property
    def ratio(self) -> float:
        """p95 latency under load ÷ p50 latency of a lone request."""
        return self.load.percentile(95) / self.lone.percentile(50)

    def markdown(self) -> str:
        return self.load.markdown(len(self.wrong) if self.checked else None, self.lone)


def run_served(index: str | None = None, corpus: str | None = None, n: int = CONVERSATIONS,
               lone: int = LONE, no_op: bool = False) -> ServedRun:
    """The app in a process of its own: `lone` conversations one at a time (half before, half after)
    and `n` others all at once. With `no_op`, the floor: the same against an app that does not answer
    (its answers are not compared)."""
    import tempfile

    from assistant import Retriever, Settings

    convs = conversations(n + lone)
    together, alone = convs[:n], convs[n:]
    before, after = alone[: lone // 2], alone[lone // 2 :]
    # The reference answers come from this process, the served ones from the app's: neither can
    # borrow the other's cached query vectors, and the app answers every question for the first time.
    if no_op:
        expected = [[] for _ in convs]
    else:
        retriever = Retriever.load(index, corpus=corpus, settings=Settings.from_env())
        expected = [expected_answers(retriever, c) for c in convs]
    with tempfile.TemporaryDirectory() as scratch:
        process, url = serve_in_subprocess(free_port(), Path(scratch) / "feedback.jsonl", Path(scratch) / "app.log",
                                           index, corpus, no_op)
        try:
            converse(url, Conversation(("warm up",)))  # the app's first request sets up what later ones reuse
            first = run_lone(url, before)
            result = run_load(url, together)
            second = run_lone(url, after)
        finally:
            stop(process)
    lone_result = LoadResult(first.outcomes + second.outcomes, first.seconds + second.seconds)
    wrong = result.mismatches(expected[:n]) + lone_result.mismatches(expected[n:])
    return ServedRun(result, lone_result, wrong, checked=not no_op)


def _figures(run: ServedRun) -> dict:
    result = run.load
    return {"conversations": len(result.outcomes), "lone_conversations": len(run.lone.outcomes),
            "errors": len(run.errors), "mismatches": len(run.wrong), "p50_ms": round(result.percentile(50) * 1000),
            "p95_ms": round(result.percentile(95) * 1000), "max_ms": round(max(result.latencies, default=0) * 1000),
            "lone_p50_ms": round(run.lone.percentile(50) * 1000), "ratio": round(run.ratio, 2),
            "answers_per_s": round(result.answers_per_second, 1), "seconds": round(result.seconds, 2)}


def measure(index: str | None = None, corpus: str | None = None, n: int = CONVERSATIONS) -> dict:
    """The load run for `make bench`: the app, then the floor (a no-op `/ask`, same harness)."""
    run = run_served(index, corpus, n)
    figures = _figures(run)
    figures["markdown"] = run.markdown()
    floor = run_served(index, corpus, n, no_op=True)
    figures["floor"] = _figures(floor)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS, help="how many at once (default 50)")
    parser.add_argument("--corpus", help="FAQ folder (default: corpus/)")
    parser.add_argument("--index", help="index folder (default: index/, built when missing)")
    parser.add_argument("--floor", action="store_true", help="the same against an app that does not answer")
    args = parser.parse_args(argv)
    run = run_served(args.index, args.corpus, args.conversations, no_op=args.floor)
    print(run.markdown())
    for problem in run.errors[:5] + run.wrong[:5]:
        print(f"- {problem}", file=sys.stderr)
    return 1 if run.errors or run.wrong else 0


if __name__ == "__main__":
    sys.exit(main())
