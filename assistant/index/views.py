"""The views of an FAQ entry that are embedded, and the table that says which vector is which.

Each entry is embedded several ways: its question (once per group of entries sharing a question) and
each alternate phrasing of it the source lists (more question views of the same group), each
question+passage (and alternate+passage), each answer sentence, and the centroid of its passages. `views.npy` has one
row per vector: its kind, owner (a group or an entry), a character span, and a hash of the embedded
text (so a rebuild re-embeds only texts that changed).
"""

from __future__ import annotations

import hashlib
from enum import IntEnum

import numpy as np

from ..ingest.entry import Entry
from ..text import question_key
from .chunking import Passage, sentence_spans

VIEW_DTYPE = np.dtype([("kind", "i1"), ("owner", "i4"), ("start", "i4"), ("end", "i4"), ("hash", "u8")])


class View(IntEnum):
    """What a vector stands for. QUESTION and CENTROID are owned by a question group, PASSAGE and
    SENTENCE by an entry."""

    QUESTION = 0  # the question text, or one of its alternate phrasings
    PASSAGE = 1  # question + one passage of the answer
    SENTENCE = 2  # one sentence of the answer (start, end: its span in the answer)
    CENTROID = 3  # the normalised mean of a group's passage vectors


def text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def question_groups(entries: list[Entry]) -> np.ndarray:
    """Group index per entry: entries with the same question (case and spacing aside) share one."""
    keys: dict[str, int] = {}
    return np.array([keys.setdefault(question_key(e.question), len(keys)) for e in entries],
                    dtype=np.int32)


def view_texts(entries: list[Entry], passages: list[Passage], group_of: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The texts to embed (every view but centroids) and their view rows."""
    texts, rows = [], []
    phrasings: dict[int, set[str]] = {}  # per group, the question keys already embedded
    for i, entry in enumerate(entries):
        group = int(group_of[i])
        seen = phrasings.setdefault(group, set())
        # An alternate is another question view of the group: the question signal is the best
        # cosine over all of them, so a user's wording that the FAQ lists reaches the entry.
        for text in (entry.question, *entry.alternates):
            key = question_key(text)
            if key and key not in seen:
                seen.add(key)
                texts.append(text)
                rows.append((View.QUESTION, group, 0, 0))
    entry_index = {e.id: i for i, e in enumerate(entries)}
    for p_index, passage in enumerate(passages):
        entry = entries[entry_index[passage.entry_id]]
        # An alternate is the question as other users word it, so it heads the passage views too: the
        # question view alone weighs little in the fusion (see Settings), and without this an
        # alternate would barely move an entry's score.
        for question in dict.fromkeys((entry.question, *entry.alternates)):
            texts.append(f"{question}\n{passage.text}")
            rows.append((View.PASSAGE, entry_index[passage.entry_id], p_index, p_index))
    for i, entry in enumerate(entries):
        for start, end in sentence_spans(entry.answer):
            sentence = entry.answer[start:end].strip()
            if sentence:
                texts.append(sentence)
                rows.append((View.SENTENCE, i, start, end))
    views = np.zeros(len(rows), dtype=VIEW_DTYPE)
    for n, (row, text) in enumerate(zip(rows, texts)):
        views[n] = (*row, text_hash(text))
    return texts, views


def centroids(vectors: np.ndarray, views: np.ndarray, group_of: np.ndarray, groups: int) -> np.ndarray:
    passages = views["kind"] == View.PASSAGE
    sums = np.zeros((groups, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, group_of[views["owner"][passages]], vectors[passages])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1)).astype(np.float32)
