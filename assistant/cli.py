"""The `assistant` command. Thin: it parses arguments, calls the library and prints.

User errors print one line to stderr and exit 1; argument errors exit 2 (argparse's convention).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__
from .config import MAX_HISTORY, Settings
from .errors import AssistantError


def _index_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", help="FAQ folder or file (default: corpus, or $FAQ_ASSISTANT_CORPUS)")
    parser.add_argument("--index", help="index folder (default: index, or $FAQ_ASSISTANT_INDEX)")
    parser.add_argument("--model", help="sentence-transformers model name or folder (default: all-MiniLM-L6-v2)")


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env().replace(
        corpus=getattr(args, "corpus", None), index=getattr(args, "index", None),
        model=getattr(args, "model", None), index_type=getattr(args, "index_type", None),
        min_confidence=getattr(args, "min_confidence", None),
    )
    if getattr(args, "corpus", None) is not None and getattr(args, "index", None) is None:
        # Another corpus gets an index of its own, never the default corpus's index/.
        from .evaluation.evaluate import index_for_corpus

        settings = settings.replace(index=index_for_corpus(settings.corpus, Settings.from_env()))
    return settings


# Control characters that a terminal would obey: C0 (but line breaks and tabs), DEL and C1. An ANSI escape
# in a file name, a FAQ or a question could otherwise recolour, retitle or rewrite the user's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_terminal(text: str) -> str:
    """`text` with control characters shown as `\\x1b`, never obeyed by the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def say(text: str, err: bool = False) -> None:
    """Print a line for a person (stdout, or stderr with `err`), control characters shown, not obeyed."""
    print(for_terminal(text), file=sys.stderr if err else sys.stdout)


def say_json(value) -> None:
    """Print `value` as one line of JSON; DEL and C1 controls, which JSON leaves raw, as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    print(_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _ray_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ray", action="store_true",
                        help="spread the work over a Ray cluster (needs the extra: pip install 'faq-assistant[ray]')")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="join the Ray cluster at ADDR (host:port of `ray start --head`, or ray://host:10001); "
                             "implies --ray. Without it, --ray starts a cluster on this machine")


def _confidence_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-confidence", type=float, metavar="P",
                        help="answer confidently from this estimated probability that the answer is right "
                             "(default 0.5, or $FAQ_ASSISTANT_MIN_CONFIDENCE); below it the answer is hedged, "
                             "then declined")


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rembedding {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def _warn(manifest: dict) -> None:
    """The corpus warnings the index was built with (files skipped, and why), on stderr."""
    for warning in manifest.get("warnings", []):
        say(f"warning: {warning}", err=True)


def _load(args: argparse.Namespace, settings: Settings | None = None):
    from .search.retriever import Retriever

    rebuild = "never" if getattr(args, "no_build", False) else "auto"
    retriever = Retriever.load(settings=settings or _settings(args), rebuild=rebuild, progress=_progress)
    _warn(retriever.data.manifest)
    return retriever


def cmd_build(args: argparse.Namespace) -> int:
    from .index.store import open_current
    from .search.retriever import Retriever

    settings = _settings(args)
    if args.ray or args.ray_address:
        from .distributed.cluster import preflight

        preflight(args.ray_address)  # Ray installed, the cluster reachable: before any model loads
    if not args.force and args.index_type is None:
        current, _ = open_current(settings.index, settings.corpus, settings.model)  # damaged is not current
        if current is not None:
            say(f"index at {settings.index} is up to date with {settings.corpus}; nothing to do (--force rebuilds)")
            return 0
    if args.ray or args.ray_address:
        from .distributed.ray_build import build_index_on_ray
        from .index.embedder import Embedder

        embedder = Embedder(settings.model, settings.device, settings.batch_size, settings.query_cache_size)
        data = build_index_on_ray(settings.corpus, settings.index, embedder, settings.index_type, _progress,
                                  settings.exact_limit, address=args.ray_address)
    else:
        data = Retriever.build(settings=settings, progress=_progress).data
    _warn(data.manifest)
    counts = data.manifest["counts"]
    say(
        f"indexed {counts['entries']} entries ({counts['passages']} passages, {counts['vectors']} vectors; "
        f"{counts['embedded']} embedded, {counts['reused']} reused) from {settings.corpus} into {settings.index}"
    )
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .render import json_text, terminal_text
    from .search.query import clean_query
    from .text import valid_unicode

    # Bytes that were not UTF-8 reach Python as lone surrogates, which cannot be printed: U+FFFD.
    question = valid_unicode(args.question)
    history = [valid_unicode(h) for h in args.history or []][-MAX_HISTORY:]  # as the chat keeps it
    clean_query(question)  # a question that cannot be asked fails before an index is loaded or built
    retriever = _load(args)
    answer = retriever.answer(question, history=history, k=args.k)
    if args.log:  # the CLI logs only when asked
        from .app.questionlog import LoggedQuestion, append_question

        append_question(args.log, LoggedQuestion.of(answer, history, via="cli"))
    if args.json:
        say_json(json_text(answer))
    else:
        say(terminal_text(answer))
    return 0


def _entries(args: argparse.Namespace):
    """The FAQ's entries: from a current index without loading the model (Retriever.load loads it to
    check its dimension against the index), else as `_load` gives them."""
    from .index.store import open_current

    settings = _settings(args)
    data, _ = open_current(settings.index, settings.corpus, settings.model)
    if data is None:
        return _load(args).entries
    _warn(data.manifest)
    return data.entries


def cmd_questions(args: argparse.Namespace) -> int:
    for entry in _entries(args):
        if args.json:
            say_json({"entry_id": entry.id, "question": entry.question, "source": entry.source,
                      "start_line": entry.start_line})
        else:
            say(f"{entry.question}  [{entry.source}:{entry.start_line}]")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import compare, parse_configurations
    from .evaluation.questionsets import read_question_set
    from .evaluation.report import summary_table, write_reports

    specs = ["default"] if args.compare is None else (args.compare or ["default", "dense"])
    configurations = parse_configurations(specs)
    questions = read_question_set(args.questions)
    if args.out and os.path.exists(args.out) and not os.path.isdir(args.out):  # before the questions are asked
        raise AssistantError(f"--out {args.out} is a file; give a folder for the report")
    settings = _settings(args)  # another corpus gets its own index, never the default corpus's
    if args.ray or args.ray_address:
        from .distributed.cluster import preflight

        preflight(args.ray_address)  # Ray installed, the cluster reachable: before any model loads
    if args.leave_out is not None:
        settings, questions = _left_out(settings, questions, args.leave_out, args.seed)
    retriever = _load(args, settings)
    with _progress_bar(len(questions) * len(configurations)) as progress:
        if args.ray or args.ray_address:
            from .distributed.ray_eval import compare_on_ray

            reports = compare_on_ray(retriever, [questions], configurations, args.k, progress,
                                     address=args.ray_address)[0]
        else:
            reports = compare(retriever, questions, configurations, args.k, progress)
    if args.json:
        metrics = {r.config: r.metrics.to_dict() for r in reports}
        say_json(metrics if args.compare is not None else metrics["default"])
    else:
        say(summary_table(reports))
    if args.out:
        for folder in write_reports(reports, args.out):
            say(f"wrote {folder / 'report.html'} and the results beside it", err=True)
    return 0


def _left_out(settings: Settings, questions, share: float, seed: int):
    """The settings and question set of a leave-out run: the FAQ without `share` of its question
    groups (written to .cache/leaveout/, indexed apart), its questions re-labelled for it."""
    from .evaluation.evaluate import CACHE, index_for_corpus
    from .evaluation.leaveout import leave_out, write_corpus
    from .ingest.corpus import load_corpus

    kept, questions = leave_out(load_corpus(settings.corpus).entries, questions, share, seed)
    name = f"{Path(settings.corpus).stem or 'corpus'}-{share:g}-{seed}.jsonl"
    corpus = write_corpus(kept, CACHE / "leaveout" / name)
    dropped = sum(1 for q in questions.questions if not q.expected)
    print(f"left out {share:.0%} of the question groups (seed {seed}): {dropped} of {len(questions)} questions "
          "are now about entries the FAQ does not have", file=sys.stderr)
    return settings.replace(corpus=corpus, index=index_for_corpus(corpus, settings)), questions


@contextlib.contextmanager
def _progress_bar(total: int):
    """A tqdm bar on stderr when it is a terminal: yields callback(done, total), else None."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, file=sys.stderr, unit="question", desc="evaluating") as bar:
        yield lambda done, _total: bar.update(done - bar.n)


def cmd_review(args: argparse.Namespace) -> int:
    from .app.jsonlog import with_rotated
    from .review.output import summary, write_review
    from .review.run import review

    if args.top < 1:
        raise AssistantError(f"--top must be at least 1, got {args.top}")
    settings = _settings(args)
    # By default the app's question log, with the logs rotated out of it (oldest first).
    live = settings.question_log_path or settings.replace(log_questions=True).question_log_path
    logs = args.logs or with_rotated(live)
    if args.out and os.path.exists(args.out) and not os.path.isdir(args.out):  # before minutes of work
        raise AssistantError(f"--out {args.out} is a file; give a folder for the review")
    retriever = _load(args, settings)
    with _stage_bars() as progress:
        result = review(retriever, logs, shown=args.top, progress=progress)
    say(summary(result))
    if args.out:
        write_review(result, args.out)
        say(f"wrote {Path(args.out) / 'report.html'}, drafts.jsonl and alternates.jsonl beside it", err=True)
    return 0


@contextlib.contextmanager
def _stage_bars():
    """tqdm bars on stderr, one per stage of a long run, when it is a terminal: yields
    callback(stage, done, total), else None."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bars: dict = {}
    units = {"read": "line", "embed": "wording", "diagnose": "question"}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total or None, file=sys.stderr, desc=stage, unit=units.get(stage, "it"))
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()


def cmd_serve(args: argparse.Namespace) -> int:
    from .app.feedback import check_log
    from .app.questionlog import check_question_log
    from .app.server import check_address, serve

    settings = _settings(args).replace(host=args.host, port=args.port, feedback_log=args.feedback_log,
                                       question_log=args.question_log, log_max_mb=args.log_max_mb,
                                       log_questions=False if args.no_question_log else None)
    check_address(settings.host, settings.port)  # before the model loads
    check_log(settings.feedback_log)
    if settings.question_log_path is not None:
        check_question_log(settings.question_log_path)
    serve(settings, _load(args))
    return 0


class _Examples(argparse.HelpFormatter):
    """Help with the description wrapped as usual and the examples (the epilog) kept line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant", description="Answer questions from an FAQ, with citations (no LLM, no network)."
    )
    parser.add_argument("--version", action="version", version=f"faq-assistant {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build", help="build or refresh the index from the corpus", formatter_class=_Examples,
        description="Index the FAQ files of the corpus (one folder or one file) for questions. Only texts that "
                    "changed are embedded again; an index that is up to date is left alone.",
        epilog="examples:\n  assistant build\n  assistant build --corpus docs/faq.md --index faq-index",
    )
    _index_options(build)
    build.add_argument("--index-type", choices=["auto", "flat", "hnsw"], help="FAISS index type (default: auto)")
    build.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    _ray_options(build)
    build.set_defaults(run=cmd_build)

    ask = commands.add_parser(
        "ask", help="answer one question (builds the index when needed)", formatter_class=_Examples,
        description="Answer a question with the FAQ's own words and where they stand. A question the FAQ may "
                    "not answer is marked \"Not sure\"; one it does not answer gets the closest questions.",
        epilog='examples:\n  assistant ask "is the swap file encrypted?"\n'
               '  assistant ask "and for Intel?" --history "Can I do attestation for AMD confidential VMs?"\n'
               '  assistant ask "vtpm secrets" --json -k 3',
    )
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="number of hits to keep (default 5)")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--history", action="append", metavar="QUESTION",
                     help="an earlier question of the conversation (repeat, oldest first)")
    ask.add_argument("--no-build", action="store_true", help="fail instead of building a missing or stale index")
    ask.add_argument("--log", metavar="FILE", help="append the question and its outcome to this question log "
                                                   "(JSONL, for `assistant review`); the CLI logs nothing otherwise")
    _index_options(ask)
    _confidence_option(ask)
    ask.set_defaults(run=cmd_ask)

    questions = commands.add_parser(
        "questions", help="list every question in the FAQ", formatter_class=_Examples,
        description="List every question of the FAQ, with the file and line it stands on.",
        epilog="examples:\n  assistant questions\n  assistant questions --json | head",
    )
    questions.add_argument("--json", action="store_true", help="JSON lines")
    _index_options(questions)
    questions.set_defaults(run=cmd_questions)

    evaluate = commands.add_parser(
        "eval", help="evaluate the assistant on a question set: metrics, misses, a report",
        description="Ask every question of a question set (JSONL, CSV or TSV) and measure the answers. "
                    "A --corpus other than the configured one gets its own index under .cache/index/.",
    )
    evaluate.add_argument("questions", help="question set: .jsonl rows {query, expected} or {turns, expected}; "
                                            ".csv/.tsv with Question and Expected columns")
    evaluate.add_argument("-k", type=int, default=10, help="depth of recall@k and nDCG@k (default 10)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    evaluate.add_argument("--out", metavar="DIR", help="write results (JSONL, CSV), failures, metrics and an "
                                                       "HTML report with a threshold plot into DIR")
    evaluate.add_argument("--compare", nargs="*", metavar="CONFIG",
                          help="run several configurations side by side: presets default, dense, bm25, or "
                               "name:key=value,... over question-time settings (no CONFIG: default dense)")
    evaluate.add_argument("--leave-out", type=float, metavar="SHARE",
                          help="drop this share of the FAQ's question groups (e.g. 0.2) and evaluate on the rest: "
                               "the questions only they answered must be declined or hedged")
    evaluate.add_argument("--seed", type=int, default=0, help="which groups --leave-out drops (default 0)")
    evaluate.add_argument("--no-build", action="store_true", help="fail instead of building a missing or stale index")
    _index_options(evaluate)
    _confidence_option(evaluate)
    _ray_options(evaluate)
    evaluate.set_defaults(run=cmd_eval)

    reviewing = commands.add_parser(
        "review", help="group the questions the FAQ declined, hedged or got a 👎 for into topics, for its owners",
        formatter_class=_Examples,
        description="Read question logs (and feedback logs), group what the FAQ did not answer well into topics "
                    "by meaning, rank them by how many users asked, and say for each whether the FAQ is missing "
                    "content (write drafts.jsonl's entries) or wording (add alternates.jsonl's questions).",
        epilog="examples:\n  assistant review\n  assistant review questions.jsonl feedback.jsonl --out review-report",
    )
    reviewing.add_argument("logs", nargs="*", metavar="LOG",
                           help="question logs or feedback logs (default: the app's question log)")
    reviewing.add_argument("--out", metavar="DIR", help="write report.html, topics.jsonl, drafts.jsonl and "
                                                        "alternates.jsonl into DIR")
    reviewing.add_argument("--top", type=int, default=50, help="topics to diagnose and report (default 50)")
    reviewing.add_argument("--no-build", action="store_true",
                           help="fail instead of building a missing or stale index")
    _index_options(reviewing)
    reviewing.set_defaults(run=cmd_review)

    serve = commands.add_parser(
        "serve", help="serve the chat app (builds the index when needed)", formatter_class=_Examples,
        description="Serve the chat app in the browser, on this machine only unless --host says otherwise.",
        epilog="examples:\n  assistant serve\n  assistant serve --port 8080 --feedback-log logs/votes.jsonl",
    )
    serve.add_argument("--host", help="address to listen on (default: 127.0.0.1, or $FAQ_ASSISTANT_HOST)")
    serve.add_argument("--port", type=int, help="port (default: 7860, or $FAQ_ASSISTANT_PORT)")
    serve.add_argument("--feedback-log", help="JSONL file that votes are appended to (default: feedback.jsonl)")
    serve.add_argument("--question-log", metavar="FILE",
                       help="JSONL file that questions and their outcomes are appended to, for `assistant review` "
                            "(default: questions.jsonl beside the feedback log)")
    serve.add_argument("--no-question-log", action="store_true",
                       help="do not log questions (or $FAQ_ASSISTANT_LOG_QUESTIONS=false)")
    serve.add_argument("--log-max-mb", type=int, metavar="MB",
                       help="rotate a log (feedback or questions) that would grow past this size: it becomes "
                            "<name>.1, older ones .2 to .5 (default: 100, or $FAQ_ASSISTANT_LOG_MAX_MB; 0: never)")
    _index_options(serve)
    _confidence_option(serve)
    serve.set_defaults(run=cmd_serve)
    return parser


# Set by the entry points (this CLI, and app.py through it) before any heavy library is imported: the
# model is never downloaded and the Hub never called (huggingface_hub reads these at import), no
# analytics, and no progress bars or warnings from the libraries in a terminal or a server log.
QUIET_OFFLINE = {
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error", "TOKENIZERS_PARALLELISM": "false",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 user error, 2 bad arguments)."""
    os.environ.update(QUIET_OFFLINE)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except AssistantError as exc:
        say(f"error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
