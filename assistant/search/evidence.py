"""Scores to hits: the top entries of one query, each with the passage to show and the sentences in
it to highlight, chosen from the passage and sentence vectors the query matched best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..index.store import IndexData
from ..text import covers
from .hit import Hit
from .scoring import PASSAGE, SENTENCE, Scores

# Highlights: the best sentence of the shown passage, and others within this much of it.
HIGHLIGHT_MARGIN = 0.05
MAX_HIGHLIGHTS = 2


def _introduces(sentence: str) -> bool:
    """A lead-in ("Confidential VMs offer:") announces what follows; it matches the question's words
    but does not answer it, so it is never highlighted on its own."""
    return sentence.endswith(":")


@dataclass
class _Evidence:
    """The passage and sentence vectors one query found: ids, scores, kinds and owning entries."""

    ids: np.ndarray
    scores: np.ndarray
    kinds: np.ndarray
    owners: np.ndarray


class HitMaker:
    """Makes `Hit`s of one index's entries."""

    def __init__(self, data: IndexData) -> None:
        self.data = data
        self._passages_of: dict[int, list[int]] = {}  # entry index -> its passage indexes
        entry_index = {e.id: i for i, e in enumerate(data.entries)}
        for p_index, passage in enumerate(data.passages):
            self._passages_of.setdefault(entry_index[passage.entry_id], []).append(p_index)

    def hits(self, scores: Scores, row: int, k: int) -> list[Hit]:
        """The `k` best entries for query `row`, best first (ties in corpus order)."""
        fused = scores.fused[row]
        k = min(k, len(fused))
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.lexsort((top, -fused[top]))]
        top = top[np.isfinite(fused[top])]  # entries left out of a candidate search
        evidence = self._evidence(*scores.found[row])
        return [
            self._hit(entry_index, rank, float(fused[entry_index]),
                      {name: round(float(v[row, entry_index]), 4) for name, v in scores.signals.items()}, evidence)
            for rank, entry_index in enumerate(top.tolist(), start=1)
        ]

    def _evidence(self, vector_scores: np.ndarray, vector_ids: np.ndarray) -> _Evidence:
        """The passage and sentence vectors one query found, once per query rather than once per hit."""
        views = self.data.views
        valid = vector_ids >= 0
        ids, found = vector_ids[valid], vector_scores[valid]
        kinds = views["kind"][ids]
        keep = (kinds == PASSAGE) | (kinds == SENTENCE)
        ids = ids[keep]
        return _Evidence(ids, found[keep], kinds[keep], views["owner"][ids])

    def _hit(self, entry_index: int, rank: int, score: float, signals: dict, evidence: _Evidence) -> Hit:
        data = self.data
        entry = data.entries[entry_index]
        views = data.views
        mine = evidence.owners == entry_index
        mine_ids, mine_scores, kinds = evidence.ids[mine], evidence.scores[mine], evidence.kinds[mine]

        # The passage to show: the best-scoring passage vector of this entry (else the first).
        best_passage = self._passages_of[entry_index][0]
        passage_mask = kinds == PASSAGE
        if passage_mask.any():
            best_passage = int(views["start"][mine_ids[passage_mask][np.argmax(mine_scores[passage_mask])]])
        passage = data.passages[best_passage]

        spans: list[tuple[int, int]] = []  # best first
        sentence_mask = kinds == SENTENCE
        if sentence_mask.any():
            s_rows, s_scores = mine_ids[sentence_mask], mine_scores[sentence_mask]
            body = entry.answer[passage.start : passage.end]
            lead = len(body) - len(body.lstrip())
            best = None
            for i in np.argsort(-s_scores):
                start, end = int(views["start"][s_rows[i]]), int(views["end"][s_rows[i]])
                sentence = entry.answer[start:end].rstrip()
                if not (passage.start <= start and end <= passage.end) or _introduces(sentence):
                    continue
                best = s_scores[i] if best is None else best
                if s_scores[i] < best - HIGHLIGHT_MARGIN or len(spans) == MAX_HIGHLIGHTS:
                    break
                offset = start - passage.start - lead
                spans.append((offset, offset + len(sentence)))
            if len(spans) > 1 and covers(passage.text, spans):
                spans = spans[:1]  # every sentence highlighted points at nothing: the best one only
        return Hit(
            entry_id=entry.id, question=entry.question, text=passage.text, score=round(score, 4),
            source=entry.source, start_line=passage.start_line, end_line=passage.end_line, url=entry.link,
            title=entry.title, rank=rank, signals=signals, highlights=tuple(sorted(spans)),
        )
