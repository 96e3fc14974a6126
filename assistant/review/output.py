"""A Review for people and for the corpus: a terminal summary, and a folder of files.

`write_review` writes, into one folder:
    report.html       one self-contained page: every reported topic, its questions, its closest entry
    topics.jsonl      the same, one JSON object per topic, for scripts
    drafts.jsonl      a draft entry per missing-content topic, in the corpus JSONL format (question,
                      placeholder answer, the other wordings as alternates): fill in, drop into corpus/
    alternates.jsonl  per missing-wording topic, the entry and the wordings users used, to add as its
                      alternate questions
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from ..errors import AssistantError
from ..evaluation.report import _STYLE
from .diagnose import MISSING_CONTENT, MISSING_WORDING
from .run import Review
from .topics import Topic

SHOWN_WORDINGS = 5  # representative questions shown per topic
DRAFT_ALTERNATES = 9  # wordings kept as a draft's alternate questions
PLACEHOLDER = "TODO: write the answer to this question, then remove this line."


def _closest_text(topic: Topic) -> str:
    c = topic.closest
    if c is None:
        return "-"
    lacking = f"; it never says: {', '.join(c.lacking)}" if c.lacking else ""
    return (f"{c.question} [{c.source}:{c.start_line}] (confidence {c.confidence:.2f}, top for {c.reached:.0%}"
            f"{lacking})")


def topic_record(rank: int, topic: Topic) -> dict:
    """One topic as a JSON object."""
    c = topic.closest
    outcomes = topic.outcomes()
    return {
        "rank": rank, "kind": topic.kind, "askers": topic.askers, "asked": topic.asked,
        "declined": outcomes["not found"], "hedged": outcomes["hedged"], "down_votes": topic.down_votes,
        "questions": topic.questions,
        "closest": None if c is None else {"entry_id": c.entry_id, "question": c.question, "source": c.source,
                                           "start_line": c.start_line, "confidence": round(c.confidence, 4),
                                           "reached": round(c.reached, 4), "lacking": list(c.lacking)},
    }


def summary(result: Review) -> str:
    """The review as text for a terminal: the figures, then the reported topics, most asked first."""
    kinds = [t.kind for t in result.diagnosed]
    lines = [
        f"{result.questions:,} questions in {len(result.logs)} log(s); {result.reviewed:,} declined, hedged or "
        f"down-voted ({result.wordings:,} wordings) in {len(result.topics):,} topics",
        f"top {result.shown}: {kinds.count(MISSING_CONTENT)} missing content, "
        f"{kinds.count(MISSING_WORDING)} missing wording, checked against {result.corpus} ({result.entries} entries)",
    ]
    for rank, topic in enumerate(result.diagnosed, start=1):
        lines += ["", f"{rank}. [{topic.kind}] {topic.askers} asker(s), asked {topic.asked} time(s)"]
        lines += [f"     {q}" for q in topic.questions[:SHOWN_WORDINGS]]
        if len(topic.questions) > SHOWN_WORDINGS:
            lines.append(f"     … and {len(topic.questions) - SHOWN_WORDINGS} more wording(s)")
        lines.append(f"   closest: {_closest_text(topic)}")
    return "\n".join(lines)


def drafts(result: Review) -> list[dict]:
    """A draft entry per missing-content topic: the most asked wording, a placeholder answer, the other
    wordings as alternates. In the corpus JSONL format, so the file loads as a corpus as it is."""
    rows = []
    for topic in result.diagnosed:
        if topic.kind == MISSING_CONTENT:
            question, *others = topic.questions
            rows.append({"question": question, "answer": PLACEHOLDER, "alternates": others[:DRAFT_ALTERNATES],
                         "asked_by": topic.askers})
    return rows


def alternates(result: Review) -> list[dict]:
    """Per entry that missing-wording topics land on: the wordings users used, to add as its alternate
    questions (topics on one entry are merged, most asked first)."""
    rows: dict[str, dict] = {}
    for topic in result.diagnosed:
        if topic.kind == MISSING_WORDING and topic.closest is not None:
            c = topic.closest
            row = rows.setdefault(c.entry_id, {"entry_id": c.entry_id, "question": c.question, "source": c.source,
                                               "start_line": c.start_line, "alternates": [], "asked_by": 0})
            row["alternates"] += topic.questions
            row["asked_by"] += topic.askers
    return list(rows.values())


def render_html(result: Review) -> str:
    """The review as one HTML page, standing alone (no scripts, no outside files)."""
    e = html.escape
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>What users ask that the FAQ does not answer</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>What users ask that the FAQ does not answer</h1>",
        f"<p>{e(summary(result).splitlines()[0])}. Checked against {e(result.corpus)} ({result.entries} entries). "
        f"Logs: {e(', '.join(result.logs))}.</p>",
        '<p class="muted"><b>Missing content</b>: nothing in the FAQ is close; write an entry (drafts.jsonl). '
        "<b>Missing wording</b>: an entry is close but users' words did not reach it confidently; add their "
        "questions as its alternate questions (alternates.jsonl). Topics are ranked by how many users asked.</p>",
        f"<h2>Top {result.shown} topics</h2>",
        "<table><tr><th>#</th><th>kind</th><th>users</th><th>asked</th><th>declined / hedged / 👎</th>"
        "<th>questions</th><th>closest entry</th></tr>",
    ]
    for rank, topic in enumerate(result.diagnosed, start=1):
        o = topic.outcomes()
        shown = "<br>".join(e(q) for q in topic.questions[:SHOWN_WORDINGS])
        if len(topic.questions) > SHOWN_WORDINGS:
            shown += f'<br><span class="muted">and {len(topic.questions) - SHOWN_WORDINGS} more</span>'
        c = topic.closest
        closest = "-" if c is None else (f'{e(c.question)}<br><span class="muted">{e(c.source)}:{c.start_line} · '
                                         f"confidence {c.confidence:.2f} · top for {c.reached:.0%}"
                                         + (f" · never says: {e(', '.join(c.lacking))}" if c.lacking else "")
                                         + "</span>")
        parts.append(f'<tr><td class="n">{rank}</td><td>{e(topic.kind)}</td><td class="n">{topic.askers}</td>'
                     f'<td class="n">{topic.asked}</td><td class="n">{o["not found"]} / {o["hedged"]} / '
                     f"{topic.down_votes}</td><td>{shown}</td><td>{closest}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def _write(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: whole or not at all."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_review(result: Review, folder: str | Path) -> list[Path]:
    """Write report.html, topics.jsonl, drafts.jsonl and alternates.jsonl into `folder` (created).

    Returns:
        The files written.

    Raises:
        AssistantError: the folder cannot be written.
    """
    folder = Path(folder)
    files = {
        "report.html": render_html(result),
        "topics.jsonl": _jsonl([topic_record(rank, t) for rank, t in enumerate(result.diagnosed, start=1)]),
        "drafts.jsonl": _jsonl(drafts(result)),
        "alternates.jsonl": _jsonl(alternates(result)),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            _write(folder / name, text)
    except OSError as exc:
        raise AssistantError(f"cannot write the review into {folder}: {exc.strerror or exc}") from None
    return [folder / name for name in files]
