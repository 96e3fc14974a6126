"""Benchmark results (the dict `benchmarks.run` collects) -> benchmarks/RESULTS.md."""

from __future__ import annotations

import datetime as dt

STEPS = ("latency", "cache", "batch", "build", "coldstart", "load", "mmap", "scale")  # every step of a full run


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def _row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _machine(m: dict) -> list[str]:
    return [
        f"- **CPU**: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory_gb']} GB RAM; "
        f"{m['os']}",
        f"- **Software**: Python {m['python']}, torch {m['torch']} ({m['torch_threads']} threads), faiss "
        f"{m['faiss']} ({m['faiss_threads']} threads), sentence-transformers {m['sentence_transformers']}, "
        f"transformers {m['transformers']}, numpy {m['numpy']}, bm25s {m['bm25s']}",
        f"- **Load average** (1/5/15 min) at start {m['load_at_start']}"
        + (f", at end {m['load_at_end']}" if "load_at_end" in m else "")
        + f": above {m['cores']} means other processes competed for the cores, and absolute times suffer;"
        " ratios are measured interleaved and hold better.",
    ]


def _summary(r: dict) -> list[str]:
    rows = []
    lat, batch, build, cold, cache = (r.get(k) for k in ("latency", "batch", "build", "coldstart", "cache"))
    if lat:
        rows += [
            ("`Retriever.search`, one question, p50", f"{lat['search']['ratio']:.3f}×", "≤ 1.10×",
             lat["search"]["ratio"] <= 1.10, f"{lat['search']['p50_ms']:.1f} ms vs {lat['bare']['p50_ms']:.1f} ms"),
            ("`Retriever.answer`, one question, p50", f"{lat['answer']['ratio']:.3f}×", "—", True,
             f"{lat['answer']['p50_ms']:.1f} ms"),
        ]
    if batch:
        rows.append(("`batch_search` throughput", f"{batch['ratio']:.3f}×", "≥ 0.9×", batch["ratio"] >= 0.9,
                     f"{batch['ours_qps']:.0f} vs {batch['bare_qps']:.0f} queries/s"))
    if build:
        rows.append(("index build throughput", f"{build['ratio']:.3f}×", "≥ 0.9×", build["ratio"] >= 0.9,
                     f"{build['ours_texts_per_s']:.0f} vs {build['bare_texts_per_s']:.0f} texts/s"))
    if cold:
        rows += [
            ("`import assistant`", f"{cold['import']['in_process_s']:.3f} s", "< 0.3 s",
             cold["import"]["in_process_s"] < 0.3, f"{cold['import']['process_s']:.2f} s whole process"),
            ("`assistant ask`, cold, ÷ bare load + encode", f"{cold['ask']['ratio']:.3f}×", "≤ 0.4×",
             cold["ask"]["ratio"] <= 0.4, f"{cold['ask']['process_s']:.2f} s vs {cold['ask']['bare_s']:.2f} s"),
            ("`assistant ask`, cold, peak RSS", f"{cold['ask']['max_peak_rss_mb']:.0f} MB (highest)", "≤ 350 MB",
             cold["ask"]["max_peak_rss_mb"] <= 350, f"bare load + encode {cold['ask']['bare_peak_rss_mb']:.0f} MB"),
        ]
    if cache:
        rows.append(("repeated question (cached), p50", f"{cache['cached_search']['ratio']:.3f}×", "—", True,
                     f"{cache['cached_search']['p50_ms']:.2f} ms; hit rate {cache['hit_rate']:.0%}"))
    load = r.get("load")
    if load and "ratio" in load:
        ok = load["ratio"] <= 6 and not load["errors"] and not load["mismatches"]
        rows.append((f"chat app, {load['conversations']} conversations at once: p95 ÷ lone request p50",
                     f"{load['ratio']:.2f}×", "≤ 6×", ok,
                     f"{load['p95_ms']} ms vs {load['lone_p50_ms']} ms; {load['answers_per_s']} answers/s; "
                     f"{load['errors']} errors, {load['mismatches']} answers not the session's own"))
        floor = load.get("floor")
        if floor:
            rows.append(("the same against a no-op `/ask` (Gradio + gradio_client alone)", f"{floor['ratio']:.2f}×",
                         "—", True, f"{floor['p95_ms']} ms vs {floor['lone_p50_ms']} ms; "
                                    f"{floor['answers_per_s']} answers/s"))
    lines = [_row("Figure", "Ratio to the bare limit", "Target", "", "Absolute"), _row(*["---"] * 5)]
    lines += [_row(name, ratio, target, _mark(ok) if target != "—" else "", absolute)
              for name, ratio, target, ok, absolute in rows]
    return lines


def _latency(r: dict) -> list[str]:
    lat = r["latency"]
    weights = ", ".join(f"{k} {v}" for k, v in lat["weights"].items())
    lines = [
        "## Per question (default FAQ)",
        "",
        f"The bare limit: `SentenceTransformer.encode([q])` + `IndexFlatIP.search` over one vector per passage "
        f"({lat['bare_vectors']} vectors, k={lat['k']}). Ours searches {lat['our_vectors']} vectors (every view) "
        f"and fuses all five signals ({weights}). {lat['questions']} Azure dev questions × "
        f"{lat['search']['rounds'] // lat['questions']} rounds, the three calls back to back in random order, "
        "query cache off. Ratio: the median of per-round ratios.",
        "",
        _row("", "p50 ms", "p95 ms", "ratio to bare (median)"),
        _row("---", "---", "---", "---"),
    ]
    for name, label in (("bare", "bare limit"), ("search", "`Retriever.search`"), ("answer", "`Retriever.answer`")):
        lines.append(_row(label, lat[name]["p50_ms"], lat[name]["p95_ms"], f"{lat[name]['ratio']:.3f}×"))
    cache = r["cache"]
    lines += [
        "",
        f"**Repeated questions.** A chat-like stream of {cache['stream']} questions drawn from the "
        f"{cache['distinct']} distinct dev questions with Zipf frequencies: the LRU cache of query vectors "
        f"(size {cache['cache_size']}) served {cache['hits']} of {cache['hits'] + cache['misses']} "
        f"(hit rate {cache['hit_rate']:.0%}); cached vectors are identical to fresh ones: "
        f"{cache['identical_vectors']}.",
        "",
        _row("", "p50 ms", "p95 ms", "ratio to bare (median)"),
        _row("---", "---", "---", "---"),
    ]
    for name, label in (("bare", "bare limit"), ("uncached_search", "search, new question"),
                        ("cached_search", "search, repeated question")):
        lines.append(_row(label, cache[name]["p50_ms"], cache[name]["p95_ms"], f"{cache[name]['ratio']:.3f}×"))
    return lines


def _throughput(r: dict) -> list[str]:
    batch, build = r["batch"], r["build"]
    embeds = ", ".join(f"{n} {kind}s" for kind, n in build["embeds"].items())
    inc = build
    return [
        "## Many at once",
        "",
        f"**Batch search.** {batch['queries']} StackFAQ questions against the default FAQ, batch size "
        f"{batch['batch_size']}, {batch['rounds']} alternating pairs: `batch_search` "
        f"{batch['ours_qps']:.0f} queries/s, bare batched encode + search {batch['bare_qps']:.0f} queries/s: "
        f"**{batch['ratio']:.3f}×**.",
        "",
        f"**Index build.** `{build['corpus']}`: {build['entries']} entries, {build['passages']} passages. The "
        f"index embeds {build['texts']} texts: {embeds} (a passage is embedded with its question; the "
        "passage centroids are averaged, not embedded). From scratch (read, clean, chunk, embed, FAISS, "
        f"BM25, write, fsync) against a bare encode of the same texts, {build['rounds']} alternating pairs:",
        "",
        _row("", "seconds", "texts/s", "passages/s", "ratio to bare"),
        _row("---", "---", "---", "---", "---"),
        _row("bare encode", build["bare_s"], build["bare_texts_per_s"], "—", "1"),
        _row("`build_index`", build["ours_s"], build["ours_texts_per_s"], build["ours_passages_per_s"],
             f"{build['ratio']:.3f}×"),
        "",
        f"**Incremental.** Unchanged corpus: the staleness check says current "
        f"({inc['unchanged_is_current']}, {inc['staleness_check_ms']} ms), and a forced rebuild embeds "
        f"{inc['unchanged_rebuild']['embedded']} texts, reuses {inc['unchanged_rebuild']['reused']} "
        f"({inc['unchanged_rebuild']['seconds']} s). One entry edited (a sentence appended): "
        f"{inc['one_entry_edit']['embedded']} texts embedded, {inc['one_entry_edit']['reused']} reused "
        f"({inc['one_entry_edit']['seconds']} s). Counts from the manifest.",
    ]


def _coldstart(r: dict) -> list[str]:
    cold = r["coldstart"]
    imp, ask, first = cold["import"], cold["ask"], cold["first_answer"]
    stages = ", ".join(f"{k.replace('_', ' ')} {v} s" for k, v in first["stages_s"].items())
    heavy = ", ".join(imp["heavy_modules_loaded"]) or "none"
    lines = [
        "## Cold start (fresh processes)",
        "",
        f"The bare limit: a fresh process that loads {cold.get('model', 'the model')} with sentence-transformers "
        f"and encodes one sentence. `assistant ask` and the bare limit alternate, {ask['rounds']} rounds in random "
        "order; ratio: the median of per-round ratios. Questions are embedded through the model's ONNX export "
        f"(backend: {first['backend']}); torch is not imported.",
        "",
        _row("", "wall seconds (median)", "peak RSS MB", "ratio to bare"),
        _row("---", "---", "---", "---"),
        _row("`python -c pass` (the interpreter alone)", cold["python_startup_s"], "—", ""),
        _row(f"`import assistant` ({imp['in_process_s']} s inside the process)", imp["process_s"],
             imp["peak_rss_mb"], ""),
        _row("bare: sentence-transformers load + encode one sentence", ask["bare_s"], ask["bare_peak_rss_mb"], "1"),
        _row(f"`{ask['command']}`", ask["process_s"], f"{ask['peak_rss_mb']} (highest {ask['max_peak_rss_mb']})",
             f"**{ask['ratio']:.3f}×**"),
        _row("first answer: `Retriever.load()` + `answer()`", first["process_s"], first["peak_rss_mb"], ""),
    ]
    app = cold["app"]
    lines += [
        _row("`python app.py` until it serves its page", app["seconds_to_serve"], "—", ""),
        _row("`python app.py` until its first answer (through gradio_client)", app["seconds_to_first_answer"],
             app["peak_rss_mb"], ""),
        "",
        f"Heavy modules loaded by `import assistant`: {heavy}; by `assistant ask`: "
        f"{', '.join(ask['heavy_modules_loaded']) or 'none'}. Stages of the first answer: {stages}.",
    ]
    return lines


def _load(r: dict) -> list[str]:
    load = r.get("load")
    if not load:
        return []
    lines = [
        "## The chat app under load",
        "",
        f"`python -m benchmarks.load`: {load['conversations']} conversations at once through `gradio_client` on "
        "loopback (the app in a process of its own, the clients in another, on the same cores), each a distinct "
        "in-scope question then a follow-up sent with `history`; every answer compared with `Retriever.answer` "
        "computed one at a time. Latency is the client's, queueing included. Questions that arrive together are "
        "answered in one batch (`assistant/app/batching.py`, up to 32; the queue runs that many requests at once). "
        f"The yardstick: {load.get('lone_conversations', 0)} other conversations held one at a time against the "
        "same app, half before the load run and half after.",
        "",
        load["markdown"],
    ]
    floor = load.get("floor")
    if floor:
        lines += [
            "",
            "**The floor**: the same runs against an app launched the same way whose `/ask` returns at once "
            f"without answering: p95 {floor['p95_ms']} ms under load, lone p50 {floor['lone_p50_ms']} ms, "
            f"**{floor['ratio']:.2f}×**, {floor['answers_per_s']} answers/s. This much of the ratio is Gradio's "
            "queue protocol and `gradio_client` (whose 50 clients share the app's cores), before any question "
            "is answered.",
        ]
    return lines


def _mmap(m: dict) -> list[str]:
    lines = [
        "### Memory-mapped loading, checked",
        "",
        f"Each index type ({m['vectors']:,} vectors) read with each flag in a fresh process and searched once: "
        "MB added to private memory / to file-backed (mapped) memory (`benchmarks/mmap_check.py`).",
        "",
        _row("index", "file MB", "no flag", "`IO_FLAG_MMAP`", "`IO_FLAG_MMAP_IFC` (what `load_index` uses)"),
        _row(*["---"] * 5),
    ]
    for kind in ("flat", "hnsw", "ivf"):
        cells = []
        for flag in ("none", "IO_FLAG_MMAP", "IO_FLAG_MMAP_IFC"):
            got = m[kind][flag]
            cells.append(got["error"] if "error" in got else f"{got['anon_mb']} / {got['mapped_mb']}")
        lines.append(_row(kind, m[kind]["file_mb"], *cells))
    return lines


def _scale_index(rows: list[tuple[str, dict]]) -> list[str]:
    lines = [
        "### The FAISS index alone",
        "",
        "Synthetic unit vectors with the spectrum of real all-MiniLM-L6-v2 embeddings (`benchmarks/synthetic.py`), "
        "one per passage; 200 synthetic queries; recall@10 against exact search. Memory: what loading the index "
        "adds to a fresh process, private (anon) and memory-mapped (file-backed, shared between processes and "
        "left to the page cache), after a search.",
        "",
        _row("passages", "index", "chosen", "build s", "disk MB", "anon / mapped MB", "p50 / p95 ms (k=10)",
             "p50 ms (k=512)", "recall@10", "run"),
        _row(*["---"] * 10),
    ]
    for label, idx in rows:
        for kind in ("flat", "hnsw"):
            row = idx[kind]
            mem = row["memory"]
            params = f" M={row['params']['M']}, efSearch={row['params']['efSearch']}" if kind == "hnsw" else ""
            lines.append(_row(
                f"{idx['vectors']:,}", kind + params, "✔" if idx["chosen"] == kind else "", row["build_s"],
                row["disk_mb"], f"{mem['search_RssAnon']:.0f} / {mem['search_RssFile']:.0f}",
                f"{row['k10']['p50_ms']} / {row['k10']['p95_ms']}", row["k512"]["p50_ms"],
                row["recall_at_10"], label))
        ivf = idx.get("ivf")
        if ivf:
            lines.append(_row(f"{idx['vectors']:,}", f"ivf {ivf['lists']} lists, nprobe={ivf['nprobe']}", "",
                              ivf["build_s"], "—", "—", f"{ivf['k10']['p50_ms']} / {ivf['k10']['p95_ms']}", "—",
                              ivf["recall_at_10"], label))
    by_ef = [(idx["vectors"], idx["hnsw"]["recall_at_10_by_efsearch"]) for _, idx in rows]
    lines += ["", "HNSW recall@10 by search effort (efSearch): " + "; ".join(
        f"{n:,}: " + ", ".join(f"{ef} → {r}" for ef, r in recalls.items()) for n, recalls in by_ef) + "."]
    return lines


def _scale_threshold(th: dict, label: str) -> list[str]:
    lines = [
        "### Where HNSW overtakes a flat scan",
        "",
        f"One query at a time, the two indexes grown side by side and timed interleaved ({label}). k=512 is "
        "what the Retriever asks for above its full-scan size; the HNSW search effort is raised to k.",
        "",
        _row("vectors", "flat k=10 ms", "HNSW k=10 ms", "flat k=512 ms", "HNSW k=512 ms", "HNSW/flat at k=512"),
        _row(*["---"] * 6),
    ]
    for row in th["rows"]:
        lines.append(_row(f"{row['vectors']:,}", row["k10"]["flat"], row["k10"]["hnsw"], row["k512"]["flat"],
                          row["k512"]["hnsw"], f"{row['k512']['hnsw_over_flat']:.2f}"))
    first = th["hnsw_faster_from"]
    lines += ["", (f"HNSW was faster from {first:,} vectors on in this measurement" if first else
                   "HNSW was not faster at any size measured") +
              f"; the index switches from flat to HNSW above EXACT_LIMIT = {th['exact_limit']:,} vectors."]
    return lines


def _scale_retriever(rows: list[tuple[str, dict]]) -> list[str]:
    lines = [
        "### The whole Retriever",
        "",
        "Recombined FAQ entries (`faq_rows`), built and searched end to end with the synthetic embedder "
        "(vectors keyed by text hash; the model's own cost per question does not grow with the corpus and is "
        "the bare limit above). Search: 200 of the corpus's own questions, timed without the model. "
        "*Same top hit*: the candidate path against scoring every vector exactly (50 questions; below the top "
        "hit synthetic vectors rank noise, so only the top is compared).",
        "",
        _row("entries", "vectors", "index", "build s", "disk MB", "load s", "RSS after load MB (anon / mapped)",
             "search p50 / p95 ms", "own question first", "same top hit", "run"),
        _row(*["---"] * 11),
    ]
    for label, ret in rows:
        load, search, check = ret["load"], ret["search"], ret["candidate_vs_exhaustive"]
        lines.append(_row(
            f"{ret['entries']:,}", f"{ret['vectors']:,}", ret["index_type"], ret["build_s"], ret["disk_mb"],
            load["load_s"], f"{load['RssAnon']:.0f} / {load['RssFile']:.0f}",
            f"{search['p50_ms']} / {search['p95_ms']}", search["own_question_first"], check["same_top_hit"],
            label))
    return lines


def _scale(results: dict, saved: dict[int, dict]) -> list[str]:
    """This run's scale parts, completed by parts saved from separate runs (labelled with their date)."""
    here = {int(k.split("-")[1]): v for k, v in results.items() if k.startswith("scale-")}
    parts: dict[str, list[tuple[str, dict]]] = {"index": [], "threshold": [], "retriever": []}
    separate = []
    for size in sorted(set(here) | set(saved)):
        for part, found in parts.items():
            if part in here.get(size, {}):
                found.append(("this run", here[size][part]))
            elif part in saved.get(size, {}):
                data = saved[size][part]
                found.append((f"separate run, {data['date'][:10]}", data))
                separate.append(f"{part} at {size:,} ({data['date']}, load {data['load_at_start']}, "
                                f"{data['seconds']:.0f} s)")
    lines = ["## Scale", ""]
    if "mmap" in results:
        lines += _mmap(results["mmap"]) + [""]
    if separate:
        lines += ["Rows marked *separate run* come from `python -m benchmarks.scale` runs saved in "
                  "`benchmarks/results/` (too long for `make bench`) on the same kind of machine: "
                  + "; ".join(separate) + ".", ""]
    if parts["index"]:
        lines += _scale_index(parts["index"]) + [""]
    if parts["threshold"]:
        label, th = parts["threshold"][-1]
        lines += _scale_threshold(th, label) + [""]
    if parts["retriever"]:
        lines += _scale_retriever(parts["retriever"])
    return lines


def render(results: dict, saved: dict[int, dict]) -> str:
    """RESULTS.md: the machine, the key ratios against their targets, then every figure."""
    now = dt.datetime.now().isoformat(timespec="minutes")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m benchmarks.run`) on {now}; the run took "
        f"{results['total_seconds']:.0f} s." + (" **Quick run: few repetitions.**" if results.get("quick") else "")
        + (f" Steps run: {', '.join(results['steps'])}." if results.get("steps", STEPS) != STEPS else ""),
        "",
        *_machine(results["machine"]),
        "",
        "Each figure is a ratio against the bare limit measured in the same run, next to its absolute value.",
        "",
        *_summary(results),
        "",
    ]
    sections = ((("latency", "cache"), _latency), (("batch", "build"), _throughput), (("coldstart",), _coldstart),
                (("load",), _load))
    for keys, section in sections:
        if all(k in results for k in keys):
            lines += [*section(results), ""]
    if any(k.startswith("scale-") for k in results) or "mmap" in results or saved:
        lines += [*_scale(results, saved), ""]
    return "\n".join(lines)
