"""The Retriever: questions in, ranked FAQ entries out, each with the passage that answers it.

`search` is `batch_search([q])[0]`, and `answer` is built on `batch_search`, so chat, the CLI and
batch evaluation all run one code path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .acronyms import expand
from .answer import Answer, decide
from .config import Settings
from .conversation import resolve_follow_up
from .embed import Embedder
from .errors import AssistantError, IndexFileError
from .hit import Hit
from .index import REBUILD, IndexData, View, build_index, open_current
from .vector_index import search as search_vectors

# Below this many vectors every vector is scored (exact); above, the entries owning the best CANDIDATES
# vectors per query, and the LEXICAL_CANDIDATES best entries by BM25, are scored exactly.
FULL_SCAN = 20_000
CANDIDATES = 512
LEXICAL_CANDIDATES = 32
SIGNALS = ("question", "passage", "sentence", "centroid", "lexical")


# View kinds as plain ints: comparing an array with an IntEnum member costs an enum lookup each time.
_QUESTION, _PASSAGE, _SENTENCE, _CENTROID = (int(v) for v in (View.QUESTION, View.PASSAGE, View.SENTENCE,
                                                              View.CENTROID))


@dataclass(frozen=True)
class _Layout:
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
    def of(cls, data: IndexData) -> _Layout:
        groups, entries = data.group_count, len(data.entries)
        offset = np.zeros(max(_QUESTION, _PASSAGE, _SENTENCE, _CENTROID) + 1, dtype=np.intp)
        offset[[_QUESTION, _CENTROID, _PASSAGE, _SENTENCE]] = [0, groups, 2 * groups, 2 * groups + entries]
        slot = offset[data.views["kind"]] + data.views["owner"]
        by_group = np.argsort(data.group_of, kind="stable")
        group_starts = np.flatnonzero(np.diff(data.group_of[by_group], prepend=-1))
        kinds, owners = data.views["kind"], data.views["owner"]
        per_entry = np.flatnonzero((kinds == _PASSAGE) | (kinds == _SENTENCE))
        per_group = np.flatnonzero((kinds == _QUESTION) | (kinds == _CENTROID))
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
class _Evidence:
    """The passage and sentence vectors one query found: ids, scores, kinds and owning entries."""

    ids: np.ndarray
    scores: np.ndarray
    kinds: np.ndarray
    owners: np.ndarray


@dataclass
class _Scores:
    """Per-query, per-entry scores from one batch, kept to build hits."""

    fused: np.ndarray  # (queries, entries)
    signals: dict[str, np.ndarray]  # name -> (queries, entries)
    rows: list[tuple[np.ndarray, np.ndarray]]  # per query: (vector scores, vector ids) that were found


class Retriever:
    """Finds the FAQ entries that answer a question. Safe to share between threads.

    Build one with `Retriever.load()` (index/ and corpus/ by default; builds when missing or stale).
    """

    def __init__(self, data: IndexData, embedder: Embedder, settings: Settings | None = None) -> None:
        self.data = data
        self.embedder = embedder
        self.settings = settings or Settings()
        self._passage_of = {}  # entry index -> list of passage indexes
        entry_index = {e.id: i for i, e in enumerate(data.entries)}
        for p_index, passage in enumerate(data.passages):
            self._passage_of.setdefault(entry_index[passage.entry_id], []).append(p_index)
        self._layout = _Layout.of(data)
        self._lock = threading.Lock()

    # --- construction -----------------------------------------------------------------------------

    @classmethod
    def load(cls, index: str | Path | None = None, *, corpus: str | Path | None = None,
             model: str | None = None, settings: Settings | None = None, rebuild: str = "auto",
             embedder: Embedder | None = None, progress=None) -> Retriever:
        """Load the index, building it first when it is missing, stale or damaged.

        Args:
            index: the index folder (default: settings.index, "index").
            corpus: the FAQ folder or file the index is built from (default: settings.corpus).
            model: the embedding model (default: settings.model, all-MiniLM-L6-v2).
            settings: everything else; `Settings.from_env()` when omitted.
            rebuild: "auto" (build when needed), "never" (raise instead) or "always".
            embedder: an already loaded `Embedder` to share (its model must be `model`).
            progress: optional callable(done, total) while embedding.

        Raises:
            IndexFileError: rebuild="never" and the index is missing, stale or damaged.
            CorpusError: a build was needed and the corpus cannot be read.
        """
        if rebuild not in ("auto", "never", "always"):
            raise AssistantError(f"rebuild must be auto, never or always, not {rebuild!r}")
        settings, embedder = _prepare(settings, index, corpus, model, embedder)
        data, reason = (None, "asked to rebuild") if rebuild == "always" else open_current(
            settings.index, settings.corpus, settings.model)
        if data is not None and embedder.dimension != data.vectors.d:
            data, reason = None, (f"its vectors have {data.vectors.d} dimensions but the model {settings.model} "
                                  f"gives {embedder.dimension}")
        if reason is not None:
            if rebuild == "never":
                fix = "" if REBUILD in reason else f"; {REBUILD}"
                raise IndexFileError(f"index at {settings.index} cannot be used: {reason}{fix}")
            data = build_index(settings.corpus, settings.index, embedder, settings.index_type, progress)
        return cls(data, embedder, settings)

    @classmethod
    def build(cls, corpus: str | Path | None = None, index: str | Path | None = None, *,
              model: str | None = None, settings: Settings | None = None, embedder: Embedder | None = None,
              progress=None) -> Retriever:
        """Build (or refresh) the index from the corpus, re-embedding only texts that changed."""
        settings, embedder = _prepare(settings, index, corpus, model, embedder)
        data = build_index(settings.corpus, settings.index, embedder, settings.index_type, progress)
        return cls(data, embedder, settings)

    def with_settings(self, **changes) -> Retriever:
        """The same index and model with other question-time settings (weights, thresholds)."""
        return Retriever(self.data, self.embedder, self.settings.replace(**changes))

    @property
    def entries(self):
        """The FAQ entries, in corpus order."""
        return self.data.entries

    # --- search -----------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The `k` FAQ entries that best answer `query`, best first (one hit per entry)."""
        return self.batch_search([query], k)[0]

    def batch_search(self, queries: list[str], k: int | None = None) -> list[list[Hit]]:
        """`search` for many queries at once: one batched forward pass of the model."""
        k = self._checked_k(k)
        queries = [clean_query(q) for q in queries]
        results: list[list[Hit]] = []
        for part in self._chunks(queries):
            scores = self._score(part)
            results.extend(self._hits(scores, row, k) for row in range(len(part)))
        return results

    def answer(self, question: str, history: list[str] | None = None, k: int | None = None) -> Answer:
        """Answer a question in a conversation: hits, and whether the FAQ answers it at all.

        Args:
            question: what the user asked.
            history: the user's earlier questions, oldest first; a short follow-up ("and for
                Intel?") is read in their light.
            k: how many hits to keep (default settings.top_k).

        Returns:
            An `Answer`; `found` is False when the FAQ does not answer the question.
        """
        return self.batch_answer([question], [history or []], k)[0]

    def batch_answer(self, questions: list[str], histories: list[list[str]] | None = None,
                     k: int | None = None) -> list[Answer]:
        """`answer` for many questions (each with its own history), batched."""
        histories = [[] for _ in questions] if histories is None else histories
        k = self._checked_k(k)
        if len(histories) != len(questions):
            raise AssistantError(f"{len(questions)} questions but {len(histories)} histories; give one per question")
        if any(isinstance(h, str) for h in histories):
            raise AssistantError("a history is a list of earlier questions, not one string")
        cleaned = [clean_query(q) for q in questions]
        parts = zip(self._chunks(questions), self._chunks(cleaned), self._chunks(histories))
        return [answer for part in parts for answer in self._answer_part(*part, k)]

    def _answer_part(self, questions: list[str], cleaned: list[str], histories: list[list[str]],
                     k: int) -> list[Answer]:
        searched = [resolve_follow_up(q, h) for q, h in zip(cleaned, histories)]
        # A follow-up is searched on its own and joined to its context, and the two scores are
        # averaged. It asks for something new, so the entry that answered its context is left out.
        follow_ups = [row for row, s in enumerate(searched) if s.context_query]
        texts = list(cleaned)
        texts += [clean_query(searched[row].context_query) for row in follow_ups]
        texts += [clean_query(searched[row].context) for row in follow_ups]
        scores = self._score(texts)
        n, m = len(searched), len(follow_ups)
        for i, row in enumerate(follow_ups):
            self._blend(scores, row, n + i)
            answered_before = int(np.argmax(scores.fused[n + m + i]))
            same_question = self.data.group_of == self.data.group_of[answered_before]
            scores.fused[row, same_question] = -1.0
        answers = []
        for row, (question, resolved) in enumerate(zip(questions, searched)):
            hits = self._hits(scores, row, max(k, 3))
            note = self._length_note(question, cleaned[row])
            answers.append(decide(question, resolved, hits, self.settings, k, note))
        return answers

    def _checked_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if k < 1:
            raise AssistantError(f"k must be at least 1, got {k}")
        return k

    def _chunks(self, items: list) -> list[list]:
        """`items` in runs scored at once: a (questions × entries) table per signal must stay small
        on very large corpora."""
        size = max(1, 2**22 // max(1, len(self.entries)))
        return [items[start : start + size] for start in range(0, len(items), size)]

    def _length_note(self, question: str, read: str) -> str | None:
        """A note when `question` (read as `read`, cleaned) was too long to be read whole."""
        limit = self.embedder.max_tokens - 2  # [CLS] and [SEP] take two
        # No character makes more than 3 word pieces (a Korean syllable: its three jamo), measured
        # over all of Unicode with the bundled tokenizer: short questions need no count.
        if 3 * len(read) > limit and self.embedder.count_tokens(read) > limit:
            return f"Your question is long: only its first {limit} word pieces were read."
        if len(read) == MAX_QUERY_CHARS and len(_printable(question)) > MAX_QUERY_CHARS:
            return f"Your question is long: only its first {MAX_QUERY_CHARS} characters were read."
        return None

    # --- scoring ----------------------------------------------------------------------------------

    def _score(self, queries: list[str]) -> _Scores:
        data, settings = self.data, self.settings
        if settings.expand_acronyms:
            queries = [expand(q, data.acronyms) for q in queries]
        vectors = self.embedder.embed_queries(queries)
        total = data.vectors.ntotal
        depth = total if total <= FULL_SCAN else min(total, CANDIDATES)
        with self._lock:  # FAISS search on one index object from several threads: serialise
            found_scores, found_ids = search_vectors(data.vectors, vectors, depth)

        n = len(queries)
        layout = self._layout
        lexical = data.lexical.scores(queries, settings.lexical_saturation)
        if depth < total:
            # Too many vectors to score them all: the candidates' entries are scored exactly on every
            # view, and entries that are not candidates are left out (-inf), never given a made-up score.
            found_scores, found_ids = self._rescore(vectors, found_ids, lexical)
        # Each view's best vector per owner, all four views in one table (one scatter, not four).
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
        return _Scores(fused, signals, [(found_scores[i], found_ids[i]) for i in range(n)])

    def _rescore(self, vectors: np.ndarray, found_ids: np.ndarray,
                 lexical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores of every vector of each query's candidate entries.

        Candidates are the entries (and whole question groups) that own a vector among the FAISS
        candidates, plus the best entries by BM25. Returns (scores, ids) padded with id -1.
        """
        data, layout = self.data, self._layout
        kinds_of, owners_of, group_of = data.views["kind"], data.views["owner"], data.group_of
        lexical_best = min(LEXICAL_CANDIDATES, lexical.shape[1])
        per_query = []
        for row in range(len(vectors)):
            ids = found_ids[row][found_ids[row] >= 0]
            kinds, owners = kinds_of[ids], owners_of[ids]
            per_entry = (kinds == _PASSAGE) | (kinds == _SENTENCE)
            by_lexicon = np.argpartition(-lexical[row], lexical_best - 1)[:lexical_best]
            groups = np.unique(np.concatenate([owners[~per_entry], group_of[owners[per_entry]], group_of[by_lexicon]]))
            candidate_rows = layout.rows_of(layout.members(groups), groups)
            with self._lock:
                candidate_vectors = data.vectors.reconstruct_batch(candidate_rows)
            per_query.append((candidate_vectors @ vectors[row], candidate_rows))
        width = max(len(r) for _, r in per_query)
        scores = np.full((len(vectors), width), -np.inf, dtype=np.float32)
        ids = np.full((len(vectors), width), -1, dtype=np.int64)
        for row, (values, rows) in enumerate(per_query):
            scores[row, : len(rows)], ids[row, : len(rows)] = values, rows
        return scores, ids

    @staticmethod
    def _blend(scores: _Scores, row: int, other: int) -> None:
        """Average the scores of query `row` with those of query `other` (its context form)."""
        scores.fused[row] = (scores.fused[row] + scores.fused[other]) / 2
        for values in scores.signals.values():
            values[row] = (values[row] + values[other]) / 2

    def _hits(self, scores: _Scores, row: int, k: int) -> list[Hit]:
        fused = scores.fused[row]
        k = min(k, len(fused))
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.lexsort((top, -fused[top]))]  # by score, ties in corpus order
        top = top[np.isfinite(fused[top])]  # entries left out of a candidate search
        evidence = self._evidence(*scores.rows[row])
        hits = []
        for rank, entry_index in enumerate(top.tolist(), start=1):
            hits.append(self._hit(entry_index, rank, float(fused[entry_index]),
                                  {name: round(float(v[row, entry_index]), 4) for name, v in scores.signals.items()},
                                  evidence))
        return hits

    def _evidence(self, vector_scores: np.ndarray, vector_ids: np.ndarray) -> _Evidence:
        """The passage and sentence vectors one query found, once per query rather than once per hit."""
        views = self.data.views
        valid = vector_ids >= 0
        ids, found = vector_ids[valid], vector_scores[valid]
        kinds = views["kind"][ids]
        keep = (kinds == _PASSAGE) | (kinds == _SENTENCE)
        ids = ids[keep]
        return _Evidence(ids, found[keep], kinds[keep], views["owner"][ids])

    def _hit(self, entry_index: int, rank: int, score: float, signals: dict, evidence: _Evidence) -> Hit:
        data = self.data
        entry = data.entries[entry_index]
        views = data.views
        mine = evidence.owners == entry_index
        mine_ids, mine_scores, kinds = evidence.ids[mine], evidence.scores[mine], evidence.kinds[mine]

        # The passage to show: the best-scoring passage vector of this entry (else the first).
        passage_ids = self._passage_of[entry_index]
        best_passage = passage_ids[0]
        passage_mask = kinds == _PASSAGE
        if passage_mask.any():
            best_passage = int(views["start"][mine_ids[passage_mask][np.argmax(mine_scores[passage_mask])]])
        passage = data.passages[best_passage]

        # Highlights: the best sentence inside that passage, and any within 0.05 of it (at most 2).
        sentence_mask = kinds == _SENTENCE
        spans = []
        if sentence_mask.any():
            s_rows, s_scores = mine_ids[sentence_mask], mine_scores[sentence_mask]
            order = np.argsort(-s_scores)
            best = s_scores[order[0]]
            body = entry.answer[passage.start : passage.end]
            lead = len(body) - len(body.lstrip())
            for i in order[:2]:
                if s_scores[i] < best - 0.05:
                    break
                start, end = int(views["start"][s_rows[i]]), int(views["end"][s_rows[i]])
                if passage.start <= start and end <= passage.end:
                    sentence = entry.answer[start:end]
                    offset = start - passage.start - lead
                    spans.append((offset, offset + len(sentence.rstrip())))
        return Hit(
            entry_id=entry.id, question=entry.question, text=passage.text, score=round(score, 4),
            source=entry.source, start_line=passage.start_line, end_line=passage.end_line, url=entry.url,
            title=entry.title, rank=rank, signals=signals, highlights=tuple(sorted(spans)),
        )


# The model reads at most 256 word pieces (about 1,000 characters of English); longer questions are
# cut here so that tokenizing and BM25 stay cheap on absurd input (100,000 characters).
MAX_QUERY_CHARS = 2000


def _prepare(settings: Settings | None, index, corpus, model, embedder: Embedder | None) -> tuple[Settings, Embedder]:
    """The settings (`Settings.from_env()` unless given, then the arguments that are not None) and
    the embedder: the one given, whose model then decides `settings.model`, or a new one."""
    settings = (settings or Settings.from_env()).replace(index=index, corpus=corpus, model=model)
    if embedder is not None:
        return settings.replace(model=embedder.name), embedder
    return settings, _embedder(settings)


def _embedder(settings: Settings) -> Embedder:
    return Embedder(settings.model, settings.device, settings.batch_size, settings.query_cache_size)


def _printable(text: str) -> str:
    """Control and format characters (NUL, escapes, bidi overrides) as spaces, whitespace collapsed."""
    if not text.isprintable():  # most questions are: skip the character-by-character pass
        text = "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text)
    return " ".join(text.split())


def clean_query(query: str) -> str:
    """Normalise a question for search: control characters dropped, whitespace collapsed, cut to
    MAX_QUERY_CHARS.

    Raises:
        AssistantError: the question is not text, is empty once cleaned, or has no word in it.
    """
    if not isinstance(query, str):
        raise AssistantError(f"a question must be text, not {type(query).__name__}")
    text = _printable(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
    if not text:
        raise AssistantError("the question is empty")
    if not any(ch.isalnum() for ch in text):
        raise AssistantError("the question has no words in it, only punctuation or symbols; ask it in words")
    return text
