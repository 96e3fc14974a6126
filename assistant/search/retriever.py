"""The Retriever: questions in, ranked FAQ entries out, each with the passage that answers it.

A short orchestrator: prepare the question (query.py, followup.py), embed it, score every entry
(scoring.py), make hits (evidence.py), decide (answer.py). `search` is `batch_search([q])[0]`, and
`answer` is built on the same batch path, so chat, the CLI and batch evaluation run one code path.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..answer import Answer, decide
from ..config import Settings
from ..errors import AssistantError, CorpusError, IndexFileError
from ..index.build import build_index
from ..index.embedder import Embedder
from ..index.folder import REBUILD
from ..index.store import IndexData, open_current
from ..ingest.entry import Entry
from .confidence import ConfidenceModel, default_model, features
from .evidence import HitMaker
from .followup import resolve_follow_up, swaps
from .hit import Hit
from .query import clean_query, expand, read_question
from .scoring import Scorer, Scores

REBUILD_CHOICES = ("auto", "never", "always")


class Retriever:
    """Finds the FAQ entries that answer a question. Safe to share between threads.

    Build one with `Retriever.load()` (index/ and corpus/ by default; builds when missing or stale).

    Args:
        data: a loaded index.
        embedder: the model that embedded it.
        settings: question-time settings (weights, thresholds, cut-offs); `Settings()` when omitted.
    """

    def __init__(self, data: IndexData, embedder: Embedder, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        if data.vectors.exact_limit != self.settings.exact_limit:
            data = dataclasses.replace(data, vectors=data.vectors.with_exact_limit(self.settings.exact_limit))
        self.data = data
        self.embedder = embedder
        self._scorer = Scorer(data, self.settings)
        self._hit_maker = HitMaker(data)
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
        data, reason = (None, "asked to rebuild") if rebuild == "always" else open_current(
            settings.index, settings.corpus, settings.model, settings.exact_limit)
        if data is not None and embedder.dimension != data.vectors.dimension:
            data, reason = None, (f"its vectors have {data.vectors.dimension} dimensions but the model "
                                  f"{settings.model} gives {embedder.dimension}")
        if reason is not None:
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

    def with_settings(self, **changes) -> Retriever:
        """The same index and model with other question-time settings (weights, thresholds)."""
        return Retriever(self.data, self.embedder, self.settings.replace(**changes))

    @property
    def entries(self) -> list[Entry]:
        """The FAQ entries, in corpus order."""
        return self.data.entries

    # --- search -----------------------------------------------------------------------------------

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The `k` FAQ entries that best answer `query`, best first (one hit per entry)."""
        return self.batch_search([query], k)[0]

    def batch_search(self, queries: list[str], k: int | None = None) -> list[list[Hit]]:
        """`search` for many queries at once: one batched forward pass of the model."""
        k = self._checked_k(k)
        queries = [self._read(q)[0] for q in queries]
        results: list[list[Hit]] = []
        for part in self._chunks(queries):
            scores = self._score(part)
            results.extend(self._hit_maker.hits(scores, row, k) for row in range(len(part)))
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
        read = [self._read(q) for q in questions]
        parts = zip(self._chunks(questions), self._chunks(read), self._chunks(histories))
        return [answer for part in parts for answer in self._answer_part(*part, k)]

    def _read(self, question: str) -> tuple[str, str | None]:
        """The part of `question` that is searched, and a note when it is not all of it."""
        return read_question(clean_query(question), self.embedder.max_tokens, self.embedder.count_tokens)

    def _answer_part(self, questions: list[str], read: list[tuple[str, str | None]], histories: list[list[str]],
                     k: int) -> list[Answer]:
        cleaned = [text for text, _ in read]
        searched = [resolve_follow_up(q, h) for q, h in zip(cleaned, histories)]
        # A follow-up is searched on its own and in context, and the two scores are averaged. Its
        # context form is the earlier question with one thing swapped for what the follow-up names,
        # when the FAQ matches such a reading better than the two questions joined. It asks for
        # something new, so the entry that answered the earlier question is left out.
        follow_ups = [row for row, s in enumerate(searched) if s.context_query]
        rewrites = [swaps(searched[row].query, searched[row].context) for row in follow_ups]
        texts = list(cleaned)
        texts += [clean_query(searched[row].context) for row in follow_ups]
        texts += [clean_query(searched[row].context_query) for row in follow_ups]
        texts += [clean_query(text) for options in rewrites for text in options]
        scores = self._score(texts)
        n, m = len(searched), len(follow_ups)
        first_rewrite = n + 2 * m
        # Each follow-up's own scores, kept before they are averaged with its context's.
        first_alone = scores.copy_rows(follow_ups)
        texts += [cleaned[row] for row in follow_ups]
        readings = [[row] for row in range(n)]  # the rows whose scores say how sure each answer is
        for i, row in enumerate(follow_ups):
            answered_before = int(np.argmax(scores.fused[n + i]))
            other = self.data.group_of != self.data.group_of[answered_before]
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
        for row, (question, resolved) in enumerate(zip(questions, searched)):
            hits = self._hit_maker.hits(scores, row, max(k, 3))
            top = int(np.argmax(scores.fused[row]))
            evidence, confidence = max(
                ((e, self._confidence(e)) for e in (features(scores, r, top, self.data.group_of, texts[r],
                                                             self.data.lexical) for r in readings[row])),
                key=lambda pair: pair[1])
            answers.append(decide(question, resolved, hits, confidence, evidence, self.settings, k, read[row][1]))
        return answers

    def _score(self, queries: list[str]) -> Scores:
        if self.settings.expand_acronyms:
            queries = [expand(q, self.data.acronyms) for q in queries]
        return self._scorer.score(queries, self.embedder.embed_queries(queries))

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

    def _chunks(self, items: list) -> list[list]:
        """`items` in runs scored at once: a (questions × entries) table per signal must stay small
        on very large corpora."""
        size = max(1, 2**22 // max(1, len(self.entries)))
        return [items[start : start + size] for start in range(0, len(items), size)]


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
