"""Many at once: batch search (queries/s) and index builds (texts/s, passages/s) against bare encodes.

Batch: `Retriever.batch_search` against one batched `SentenceTransformer.encode` (same batch size)
plus one `IndexFlatIP.search`. Build: a from-scratch `build_index` (reading, cleaning, chunking,
embedding, FAISS, BM25, writing, fsync) against a bare encode of exactly the texts the index embeds.
Each pair runs back to back in alternating order; the ratio is the median over pairs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from .latency import ROOT, Bare
from .measure import percentile


def eval_queries(limit: int) -> list[str]:
    """Real user questions: the StackFAQ paraphrases (their domain does not matter for speed)."""
    path = ROOT / "eval" / "stackfaq" / "queries.jsonl"
    rows = [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit]


def _pairs(first, second, rounds: int) -> list[tuple[float, float]]:
    """(seconds of first, seconds of second) per round, alternating which goes first."""
    out = []
    for i in range(rounds):
        order = (first, second) if i % 2 == 0 else (second, first)
        seconds = {}
        for fn in order:
            start = time.perf_counter()
            fn()
            seconds[fn] = time.perf_counter() - start
        out.append((seconds[first], seconds[second]))
    return out


def batch(retriever, queries: int, rounds: int) -> dict:
    """Queries per second of batch_search against a bare batched encode + search."""
    questions = eval_queries(queries)
    k = retriever.settings.top_k
    bare = Bare.over(retriever, k)
    batch_size = retriever.embedder.batch_size
    pairs = _pairs(lambda: bare.batch_search(questions, batch_size), lambda: retriever.batch_search(questions, k),
                   rounds)
    n = len(questions)
    return {"queries": n, "batch_size": batch_size, "rounds": rounds,
            "bare_qps": round(n / percentile([b for b, _ in pairs], 50), 1),
            "ours_qps": round(n / percentile([o for _, o in pairs], 50), 1),
            "ratio": round(percentile([b / o for b, o in pairs], 50), 3)}  # throughput ours / bare


def build(embedder, corpus: Path, rounds: int) -> dict:
    """A from-scratch build against a bare encode of the same texts, then the incremental cases."""
    from assistant import load_corpus
    from assistant.index.build import build_index
    from assistant.index.chunking import chunk_entry
    from assistant.index.views import View, question_groups, view_texts

    entries = load_corpus(corpus).entries
    passages = [p for e in entries for p in chunk_entry(e, embedder.max_tokens, embedder.token_spans)]
    texts, views = view_texts(entries, passages, question_groups(entries))
    kinds = {kind.name.lower(): int((views["kind"] == kind).sum()) for kind in (View.QUESTION, View.PASSAGE,
                                                                                   View.SENTENCE)}
    model = embedder.model
    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        def ours():
            shutil.rmtree(work / "index", ignore_errors=True)
            build_index(corpus, work / "index", embedder)

        def bare():
            model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)

        bare()  # warm up
        pairs = _pairs(bare, ours, rounds)
        bare_s, ours_s = percentile([b for b, _ in pairs], 50), percentile([o for _, o in pairs], 50)
        result = {
            "corpus": str(corpus.relative_to(ROOT)) if corpus.is_relative_to(ROOT) else str(corpus),
            "entries": len(entries), "passages": len(passages), "texts": len(texts), "embeds": kinds,
            "rounds": rounds, "bare_s": round(bare_s, 3), "ours_s": round(ours_s, 3),
            "bare_texts_per_s": round(len(texts) / bare_s, 1), "ours_texts_per_s": round(len(texts) / ours_s, 1),
            "ours_passages_per_s": round(len(passages) / ours_s, 1),
            "ratio": round(percentile([b / o for b, o in pairs], 50), 3),
        }
        result.update(incremental(embedder, corpus, work))
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def incremental(embedder, corpus: Path, work: Path) -> dict:
    """Rebuild an unchanged corpus, then after a one-entry edit: what the manifest says was embedded."""
    from assistant import load_corpus
    from assistant.index.build import build_index
    from assistant.index.store import read_manifest, staleness

    copy = work / "corpus"
    shutil.copytree(corpus, copy) if corpus.is_dir() else (copy.mkdir(), shutil.copy(corpus, copy))
    target = work / "incremental"
    build_index(copy, target, embedder)
    start = time.perf_counter()
    stale = staleness(read_manifest(target), copy, embedder.name)
    check_s = time.perf_counter() - start
    start = time.perf_counter()
    same = build_index(copy, target, embedder).manifest["counts"]
    unchanged_s = time.perf_counter() - start

    # Edit the first entry whose first answer line stands verbatim in its file (cleaning may change others).
    for entry in load_corpus(copy).entries:
        source, line = copy / entry.source, entry.answer.splitlines()[0]
        text = source.read_text(encoding="utf-8")
        if line and text.count(line) == 1:
            source.write_text(text.replace(line, line + " This sentence was added by the benchmark."),
                              encoding="utf-8")
            break
    else:
        raise RuntimeError(f"no entry of {corpus} can be edited in place")
    start = time.perf_counter()
    edited = build_index(copy, target, embedder).manifest["counts"]
    edit_s = time.perf_counter() - start
    return {
        "unchanged_is_current": stale is None, "staleness_check_ms": round(1e3 * check_s, 2),
        "unchanged_rebuild": {"embedded": same["embedded"], "reused": same["reused"], "seconds": round(unchanged_s, 3)},
        "one_entry_edit": {"embedded": edited["embedded"], "reused": edited["reused"], "seconds": round(edit_s, 3)},
    }
