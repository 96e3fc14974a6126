"""Leave-out question sets: the realistic near miss, made from any FAQ with labelled questions.

Drop a random share of the FAQ's question groups (entries sharing a question go together); the
questions that only those entries answered become questions the remaining FAQ does not answer, in
the FAQ's own vocabulary and style, which the assistant should decline or hedge. The other questions
keep their entries.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

from ..errors import AssistantError
from ..ingest.entry import Entry
from ..text import question_key
from .questionsets import QuestionSet


def leave_out(entries: list[Entry], questions: QuestionSet, share: float,
              seed: int = 0) -> tuple[list[Entry], QuestionSet]:
    """The FAQ without a random `share` of its question groups, and the question set re-labelled for it.

    Args:
        entries: the whole FAQ.
        questions: a question set about it (resolved here against `entries`).
        share: the share of question groups to drop, in (0, 1).
        seed: the random seed; the same seed drops the same groups.

    Returns:
        The kept entries, in corpus order, and the questions with `expected` set to the ids of their
        kept entries (empty: the remaining FAQ does not answer them).
    """
    if not 0 < share < 1:
        raise AssistantError(f"the leave-out share must be between 0 and 1, got {share}")
    resolved = questions.resolve(entries)
    groups = list(dict.fromkeys(question_key(e.question) for e in entries))
    dropped = set(random.Random(seed).sample(groups, max(1, round(share * len(groups)))))
    kept = [e for e in entries if question_key(e.question) not in dropped]
    if not kept:
        raise AssistantError("leaving out that share drops every entry; use a smaller share")
    kept_ids = {e.id for e in kept}
    relabelled = []
    for question in resolved.questions:
        ids = tuple(i for i in question.relevant if i in kept_ids)
        relabelled.append(replace(question, expected=ids, relevant=ids))
    return kept, QuestionSet(questions.path, relabelled)


def write_corpus(entries: list[Entry], path: Path) -> Path:
    """The entries as a JSONL corpus (question, answer, id, url, title), to build an index from."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"id": e.id, "question": e.question, "answer": e.answer, "url": e.url, "title": e.title} for e in entries]
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    temporary.replace(path)
    return path
