"""The Retriever: questions in, ranked FAQ entries out, each with the passage that answers it.

A short orchestrator: prepare the question (query.py, followup.py), embed it, score every entry
(scoring.py), make hits (evidence.py), decide (answer.py). `search` is `batch_search([q])[0]`, and
`answer` is built on the same batch path, so chat, the CLI and batch evaluation run one code path.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from ..answer import Answer, decide
from ..config import Settings
from ..errors import AssistantError, CorpusError, IndexFileError
from ..index.build import build_index, index_entries, save_entries
from ..index.embedder import Embedder
from ..index.folder import REBUILD
from ..index.store import IndexData, built_from_entries, open_current, read_manifest
from ..index.update import Update, entries_record, reindex, saves_to_folder
from ..ingest.entry import Entry
from ..ingest.objects import EntryLike, merge, read_entries, read_ids, without
from .confidence import ConfidenceModel, default_model, features
from .evidence import HitMaker
from .followup import resolve_follow_up, swaps
from .hit import Hit
from .query import clean_query, expand, read_question
from .scoring import Scorer, Scores

REBUILD_CHOICES = ("auto", "never", "always")
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class _State:
    """One version of the FAQ with what searches it. A search reads `Retriever._state` once and uses
    only that, and a change swaps in a whole new one: a search running meanwhile sees the old FAQ or
    the new, never parts of both."""

    data: IndexData
    scorer: Scorer
    hit_maker: HitMaker

    @classmethod
    def of(cls, data: IndexData, settings: Settings) -> _State:
        return cls(data, Scorer(data, settings), HitMaker(data))


class Retriever:
    """Finds the FAQ entries that answer a question. Safe to share between threads.

    Build one with `Retriever.load()` (index/ and corpus/ by default; builds when missing or stale),
    or with `Retriever.from_entries(...)` from Python objects; change its FAQ with `add` and `remove`.

    Args:
        data: a loaded index.
        embedder: the model that embedded it.
        settings: question-time settings (weights, thresholds, cut-offs); `Settings()` when omitted.
    """

    def __init__(self, data: IndexData, embedder: Embedder, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        if data.vectors.exact_limit != self.settings.exact_limit:
            data = dataclasses.replace(data, vectors=data.vectors.with_exact_limit(self.settings.exact_limit))
        self.embedder = embedder
        self._state = _State.of(data, self.settings)
        self._update_lock = threading.Lock()  # one change at a time, each made from the one before
        path = self.settings.confidence_model
        self._confidence = ConfidenceModel.read(path) if path else default_model()

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
        if rebuild not in REBUILD_CHOICES:
            raise AssistantError(f"rebuild must be auto, never or always, not {rebuild!r}")
        settings, embedder = _prepare(settings, index, corpus, model, embedder)
        data: IndexData | None = None
        reason: str | None = "asked to rebuild"
        if rebuild != "always":
            data, reason = open_current(settings.index, settings.corpus, settings.model, settings.exact_limit)
        if data is not None and embedder.dimension != data.vectors.dimension:
            reason = (f"its vectors have {data.vectors.dimension} dimensions but the model {settings.model} "
                      f"gives {embedder.dimension}")
            data = None
        if data is None:
            reason = reason or "it cannot be used"  # open_current always says why
            if rebuild == "auto" and _holds_entries_index(settings.index):
                raise IndexFileError(f"index at {settings.index} cannot be used: {reason}. It was built from Python "
                                     "entries, not files: build it again with Retriever.from_entries")
            if rebuild == "never":
                fix = "" if REBUILD in reason else f"; {REBUILD}"
                raise IndexFileError(f"index at {settings.index} cannot be used: {reason}{fix}")
            data = _build(settings, embedder, progress)
        return cls(data, embedder, settings)

    @classmethod
    def build(cls, corpus: str | Path | None = None, index: str | Path | None = None, *,
              model: str | None = None, settings: Settings | None = None, embedder: Embedder | None = None,
              progress=None) -> Retriever:
        """Build (or refresh) the index from the corpus, re-embedding only texts that changed."""
        settings, embedder = _prepare(settings, index, corpus, model, embedder)
        return cls(_build(settings, embedder, progress), embedder, settings)

    @classmethod
    def from_entries(cls, entries: Iterable[EntryLike], *, index: str | Path | None = None,
                     model: str | None = None, settings: Settings | None = None, embedder: Embedder | None = None,
                     progress: Progress | None = None) -> Retriever:
        """A Retriever over an FAQ given as Python objects, in memory or saved in an index folder.

        Args:
            entries: dicts with "question" and "answer" (and optionally "id", "url", "title",
                "alternates"), or `Entry` objects. An id left out is the question's slug.
            index: a folder to save the index in, exactly as a build from files does (atomically, with
                a manifest and checksums; `Retriever.load(index)` reopens it); None keeps everything in
                memory and writes nothing.
            model: the embedding model (default: settings.model, all-MiniLM-L6-v2).
            settings: everything else; `Settings.from_env()` when omitted.
            embedder: an already loaded `Embedder` to share (its model must be `model`).
            progress: optional callable(done, total) while embedding.

        Raises:
            EntryError: an entry is unusable (the message names it); nothing is embedded or written.
            IndexFileError: `index` cannot be written, or holds something other than an index.
        """
        read = read_entries(entries)  # every entry checked before anything is embedded or written
        settings, embedder = _prepare(settings, index, None, model, embedder)
        if index is None:
            data = index_entries(read, embedder, entries_record(read), index_type=settings.index_type,
                                 progress=progress, exact_limit=settings.exact_limit)
        else:
            data = save_entries(read, settings.index, embedder, entries_record(read), index_type=settings.index_type,
                                progress=progress, exact_limit=settings.exact_limit)
        return cls(data, embedder, settings)

    def with_settings(self, **changes) -> Retriever:
        """The same index and model with other question-time settings (weights, thresholds)."""
        return Retriever(self.data, self.embedder, self.settings.replace(**changes))

    @property
    def data(self) -> IndexData:
        """The index searched now (a change replaces it with another)."""
        return self._state.data

    @property
    def entries(self) -> list[Entry]:
        """The FAQ entries, in corpus order."""
        return self._state.data.entries

    # --- changes ----------------------------------------------------------------------------------

    def add(self, entries: Iterable[EntryLike]) -> Update:
        """Add entries; one whose id is already in the FAQ replaces that entry in its place.

        Only texts that changed are embedded. An index saved from entries is written back atomically;
        one built from corpus files changes in memory only (its folder mirrors the files). Searches
        running meanwhile, in other threads, see the FAQ before the change or after it.

        Args:
            entries: as for `from_entries`; an empty list changes nothing.

        Returns:
            What changed: the ids added and replaced, and how many texts were embedded.

        Raises:
            EntryError: an entry is unusable (the message names it); nothing changes.
            IndexFileError: the index folder cannot be written, or another writer changed it since it
                was loaded; nothing changes.
        """
        new = read_entries(entries, allow_empty=True)
        with self._update_lock:
            merged = merge(self.entries, new)
            if not (merged.added or merged.replaced):
                return Update()
            counts = self._change(merged.entries)
        return Update(added=merged.added, replaced=merged.replaced, **counts)

    def remove(self, ids: Iterable[str]) -> Update:
        """Remove the entries with these ids, as `add` changes the FAQ (atomically, saved when saved).

        Raises:
            EntryError: an id is not in the FAQ, or every entry would go; nothing changes.
            IndexFileError: as for `add`.
        """
        ids = list(dict.fromkeys(read_ids(ids)))
        if not ids:
            return Update()
        with self._update_lock:
            counts = self._change(without(self.entries, ids))
        return Update(removed=tuple(ids), **counts)

    def _change(self, entries: list[Entry]) -> dict:
        """Index `entries` from the current state and swap the result in (update lock held)."""
        before = self._state.data
        data = reindex(before, entries, self.embedder, self.settings.index_type, self.settings.exact_limit)
        self._state = _State.of(data, self.settings)
        counts = data.manifest["counts"]
        return {"embedded": counts["embedded"], "reused": counts["reused"],
                "index": data.directory if saves_to_folder(data) else None}

    # --- search -----------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The `k` FAQ entries that best answer `query`, best first (one hit per entry)."""
        return self.batch_search([query], k)[0]

    def batch_search(self, queries: list[str], k: int | None = None) -> list[list[Hit]]:
        """`search` for many queries at once: one batched forward pass of the model."""
        k = self._checked_k(k)
        state = self._state
        queries = [self._read(q)[0] for q in queries]
        results: list[list[Hit]] = []
        for part in _chunks(queries, state):
            scores = self._score(state, part)
            results.extend(state.hit_maker.hits(scores, row, k) for row in range(len(part)))
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
        state = self._state
        read = [self._read(q) for q in questions]
        parts = zip(_chunks(questions, state), _chunks(read, state), _chunks(histories, state))
        return [answer for part in parts for answer in self._answer_part(state, *part, k)]

    def _read(self, question: str) -> tuple[str, str | None]:
        """The part of `question` that is searched, and a note when it is not all of it."""
        return read_question(clean_query(question), self.embedder.max_tokens, self.embedder.count_tokens)

    def _answer_part(self, state: _State, questions: list[str], read: list[tuple[str, str | None]],
                     histories: list[list[str]], k: int) -> list[Answer]:
        cleaned = [text for text, _ in read]
        searched = [resolve_follow_up(q, h) for q, h in zip(cleaned, histories)]
        # A follow-up is searched on its own and in context, and the two scores are averaged. Its
        # context form is the earlier question with one thing swapped for what the follow-up names,
        # when the FAQ matches such a reading better than the two questions joined. It asks for
        # something new, so the entry that answered the earlier question is left out.
        follow_ups = [row for row, s in enumerate(searched) if s.context_query]
        # resolve_follow_up sets both the earlier question and the two joined for every follow-up.
        earlier = [cast(str, searched[row].context) for row in follow_ups]
        rewrites = [swaps(searched[row].query, context) for row, context in zip(follow_ups, earlier)]
        texts = list(cleaned)
        texts += [clean_query(context) for context in earlier]
        texts += [clean_query(cast(str, searched[row].context_query)) for row in follow_ups]
        texts += [clean_query(text) for options in rewrites for text in options]
        scores = self._score(state, texts)
        data = state.data
        n, m = len(searched), len(follow_ups)
        first_rewrite = n + 2 * m
        # Each follow-up's own scores, kept before they are averaged with its context's.
        first_alone = scores.copy_rows(follow_ups)
        texts += [cleaned[row] for row in follow_ups]
        readings = [[row] for row in range(n)]  # the rows whose scores say how sure each answer is
        for i, row in enumerate(follow_ups):
            answered_before = int(np.argmax(scores.fused[n + i]))
            other = data.group_of != data.group_of[answered_before]
            options = [n + m + i, *range(first_rewrite, first_rewrite + len(rewrites[i]))]
            best = max(options, key=lambda r: scores.fused[r, other].max(initial=-np.inf))
            if best != n + m + i:
                searched[row] = dataclasses.replace(searched[row], rewrite=rewrites[i][best - first_rewrite])
            first_rewrite += len(rewrites[i])
            scores.blend(row, best)
            alone = first_alone + i
            scores.fused[np.ix_([row, best, alone], ~other)] = -1.0
            # Averaged, the scores of a follow-up are low ("and for Intel?" alone matches little): it is
            # as sure as the surest of its readings, alone, in context, or averaged, for the entry given.
            readings[row] = [row, best, alone]
        answers = []
        lexical = data.lexical if self._confidence.reads_words else None
        for row, (question, resolved) in enumerate(zip(questions, searched)):
            hits = state.hit_maker.hits(scores, row, max(k, 3))
            top = int(np.argmax(scores.fused[row]))
            evidence, confidence = max(
                ((e, self._confidence(e)) for e in (features(scores, r, top, data.group_of, texts[r], lexical)
                                                    for r in readings[row])),
                key=lambda pair: pair[1])
            answers.append(decide(question, resolved, hits, confidence, evidence, self.settings, k, read[row][1]))
        return answers

    def _score(self, state: _State, queries: list[str]) -> Scores:
        if self.settings.expand_acronyms:
            queries = [expand(q, state.data.acronyms) for q in queries]
        return state.scorer.score(queries, self.embedder.embed_queries(queries))

    def _checked_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        # A whole number: an API client can send "5", 2.5 or NaN, which must be a clear error, not a
        # TypeError deep in the ranking.
        whole = isinstance(k, int) or (isinstance(k, float) and k.is_integer())
        if isinstance(k, bool) or not whole:
            raise AssistantError(f"k must be a whole number of hits, got {k!r}")
        if k < 1:
            raise AssistantError(f"k must be at least 1, got {int(k)}")
        return int(k)



def _chunks(items: list, state: _State) -> list[list]:
    """`items` in runs scored at once: a (questions × entries) table per signal must stay small on very
    large corpora."""
    size = max(1, 2**22 // max(1, len(state.data.entries)))
    return [items[start : start + size] for start in range(0, len(items), size)]


def _holds_entries_index(index: str | Path) -> bool:
    """True when the folder holds an index built from entries (which files cannot rebuild)."""
    try:
        return built_from_entries(read_manifest(Path(index)))
    except IndexFileError:
        return False


def _prepare(settings: Settings | None, index, corpus, model, embedder: Embedder | None) -> tuple[Settings, Embedder]:
    """The settings (`Settings.from_env()` unless given, then the arguments that are not None) and
    the embedder: the one given, whose model then decides `settings.model`, or a new one."""
    settings = (settings or Settings.from_env()).replace(index=index, corpus=corpus, model=model)
    if embedder is not None:
        return settings.replace(model=embedder.name), embedder
    return settings, Embedder(settings.model, settings.device, settings.batch_size, settings.query_cache_size)


def _build(settings: Settings, embedder: Embedder, progress) -> IndexData:
    corpus = Path(settings.corpus)
    if not corpus.exists():
        # The default is relative ("corpus"): say where that was looked for, and how to point elsewhere.
        raise CorpusError(f"corpus not found: {corpus.absolute()} (the index at {settings.index} must be built "
                          "from it); pass another with Retriever.load(corpus=...), --corpus, or FAQ_ASSISTANT_CORPUS")
    return build_index(settings.corpus, settings.index, embedder, settings.index_type, progress,
                       settings.exact_limit)
