"""Scoring: query vectors in, one fused score per FAQ entry out, with the signals it was fused from.

Per entry, five signals: the cosine to its question, the best cosine to a question+passage, the best
to an answer sentence, the cosine to its passage centroid, and BM25 squashed to [0, 1). They are
fused by a weighted mean (which keeps an absolute scale: the answer-or-abstain decision needs one),
and entries that share a question share their best evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..index.store import IndexData
from ..index.views import View

SIGNALS = ("question", "passage", "sentence", "centroid", "lexical")

# View kinds as plain ints: comparing an array with an IntEnum member costs an enum lookup each time.
QUESTION, PASSAGE, SENTENCE, CENTROID = (int(v) for v in (View.QUESTION, View.PASSAGE, View.SENTENCE, View.CENTROID))


@dataclass(frozen=True)
class Layout:
    """Where each vector's score lands in a query's table of best scores per view and owner.

    The table holds four blocks side by side: question groups, centroid groups, passage entries,
    sentence entries; `slot[v]` is vector v's column. `by_group` lists entries group by group and
    `group_starts` where each group begins in it, for a per-group maximum with one `reduceat`.
    """

    slot: np.ndarray
    width: int
    question: slice
    centroid: slice
    passage: slice
    sentence: slice
    by_group: np.ndarray
    group_starts: np.ndarray
    entry_rows: np.ndarray  # passage and sentence vectors, entry by entry
    entry_row_starts: np.ndarray  # where entry e's vectors begin in entry_rows (e + 1: where they end)
    group_rows: np.ndarray  # question and centroid vectors, group by group
    group_row_starts: np.ndarray

    @classmethod
    def of(cls, data: IndexData) -> Layout:
        groups, entries = data.group_count, len(data.entries)
        offset = np.zeros(max(QUESTION, PASSAGE, SENTENCE, CENTROID) + 1, dtype=np.intp)
        offset[[QUESTION, CENTROID, PASSAGE, SENTENCE]] = [0, groups, 2 * groups, 2 * groups + entries]
        slot = offset[data.views["kind"]] + data.views["owner"]
        by_group = np.argsort(data.group_of, kind="stable")
        group_starts = np.flatnonzero(np.diff(data.group_of[by_group], prepend=-1))
        kinds, owners = data.views["kind"], data.views["owner"]
        per_entry = np.flatnonzero((kinds == PASSAGE) | (kinds == SENTENCE))
        per_group = np.flatnonzero((kinds == QUESTION) | (kinds == CENTROID))
        entry_rows = per_entry[np.argsort(owners[per_entry], kind="stable")]
        group_rows = per_group[np.argsort(owners[per_group], kind="stable")]
        entry_row_starts = np.searchsorted(owners[entry_rows], np.arange(entries + 1))
        group_row_starts = np.searchsorted(owners[group_rows], np.arange(groups + 1))
        return cls(slot, 2 * groups + 2 * entries, slice(0, groups), slice(groups, 2 * groups),
                   slice(2 * groups, 2 * groups + entries), slice(2 * groups + entries, 2 * groups + 2 * entries),
                   by_group, group_starts, entry_rows, entry_row_starts, group_rows, group_row_starts)

    def members(self, groups: np.ndarray) -> np.ndarray:
        """The entries of the given question groups."""
        ends = np.append(self.group_starts[1:], len(self.by_group))
        return np.concatenate([self.by_group[self.group_starts[g] : ends[g]] for g in groups.tolist()]
                              + [np.zeros(0, dtype=np.intp)])

    def rows_of(self, entries: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Every vector of the given entries and groups."""
        return np.concatenate(
            [self.entry_rows[self.entry_row_starts[e] : self.entry_row_starts[e + 1]] for e in entries.tolist()]
            + [self.group_rows[self.group_row_starts[g] : self.group_row_starts[g + 1]] for g in groups.tolist()]
            + [np.zeros(0, dtype=np.intp)]
        )


@dataclass
class Scores:
    """Per-query, per-entry scores from one batch.

    Attributes:
        fused: (queries, entries) fused scores; -inf for entries a candidate search left out.
        signals: signal name -> (queries, entries).
        found: per query, (vector scores, vector ids) that the search found (ids -1: padding).
    """

    fused: np.ndarray
    signals: dict[str, np.ndarray]
    found: list[tuple[np.ndarray, np.ndarray]]

    def copy_rows(self, rows: list[int]) -> int:
        """Append copies of the scores of `rows` (in order); returns the row of the first copy."""
        first = len(self.fused)
        self.fused = np.vstack([self.fused, self.fused[rows]])
        self.signals = {name: np.vstack([values, values[rows]]) for name, values in self.signals.items()}
        self.found += [self.found[row] for row in rows]
        return first

    def blend(self, row: int, other: int) -> None:
        """Average the scores of query `row` with those of query `other` (its context form)."""
        self.fused[row] = (self.fused[row] + self.fused[other]) / 2
        for values in self.signals.values():
            values[row] = (values[row] + values[other]) / 2


class Scorer:
    """Scores query vectors against every entry of one index under one set of settings."""

    def __init__(self, data: IndexData, settings: Settings) -> None:
        self.data = data
        self.settings = settings
        self.layout = Layout.of(data)

    def score(self, texts: list[str], vectors: np.ndarray) -> Scores:
        """Scores of each query (its text, for BM25, and its vector) against every entry."""
        data, settings, layout = self.data, self.settings, self.layout
        found_scores, found_ids = data.vectors.search(vectors, settings.candidates)
        lexical = data.lexical.scores(texts, settings.lexical_saturation)
        if not data.vectors.exact:
            # Too many vectors to score them all: the candidates' entries are scored exactly on every
            # view, and entries that are not candidates are left out (-inf), never given a made-up score.
            found_scores, found_ids = self._rescore(vectors, found_ids, lexical)
        # Each view's best vector per owner, all four views in one table (one scatter, not four).
        n = len(texts)
        table = np.full((n, layout.width), -np.inf, dtype=np.float32)
        valid = found_ids >= 0
        rows = np.broadcast_to(np.arange(n)[:, None], found_ids.shape)[valid]
        np.maximum.at(table, (rows, layout.slot[found_ids[valid]]), found_scores[valid])

        group_of = data.group_of
        signals = {
            "question": table[:, layout.question][:, group_of],
            "passage": table[:, layout.passage],
            "sentence": table[:, layout.sentence],
            "centroid": table[:, layout.centroid][:, group_of],
            "lexical": lexical,
        }
        weights = settings.weights
        total_weight = sum(weights.values()) or 1.0
        own = sum(weights[name] * signals[name] for name in SIGNALS) / total_weight
        # Entries that answer the same question share their best evidence.
        best_in_group = np.maximum.reduceat(own[:, layout.by_group], layout.group_starts, axis=1)
        fused = settings.group_share * best_in_group[:, group_of] + (1 - settings.group_share) * own
        return Scores(fused, signals, [(found_scores[i], found_ids[i]) for i in range(n)])

    def _rescore(self, vectors: np.ndarray, found_ids: np.ndarray,
                 lexical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores of every vector of each query's candidate entries.

        Candidates are the entries (and whole question groups) that own a vector among the FAISS
        candidates, plus the best entries by BM25. Returns (scores, ids) padded with id -1.
        """
        data, layout = self.data, self.layout
        kinds_of, owners_of, group_of = data.views["kind"], data.views["owner"], data.group_of
        lexical_best = min(self.settings.lexical_candidates, lexical.shape[1])
        per_query = []
        for row in range(len(vectors)):
            ids = found_ids[row][found_ids[row] >= 0]
            kinds, owners = kinds_of[ids], owners_of[ids]
            per_entry = (kinds == PASSAGE) | (kinds == SENTENCE)
            by_lexicon = np.argpartition(-lexical[row], lexical_best - 1)[:lexical_best]
            groups = np.unique(np.concatenate([owners[~per_entry], group_of[owners[per_entry]], group_of[by_lexicon]]))
            candidate_rows = layout.rows_of(layout.members(groups), groups)
            per_query.append((data.vectors.reconstruct(candidate_rows) @ vectors[row], candidate_rows))
        width = max(len(r) for _, r in per_query)
        scores = np.full((len(vectors), width), -np.inf, dtype=np.float32)
        ids = np.full((len(vectors), width), -1, dtype=np.int64)
        for row, (values, rows) in enumerate(per_query):
            scores[row, : len(rows)], ids[row, : len(rows)] = values, rows
        return scores, ids
