"""Run a question set through a Retriever: per-question results and metrics, in a `Report`.

Questions are answered in batches with `Retriever.batch_answer` (each turn of a conversation with the
earlier turns as its history), the same code path as chat. Ranking metrics use `Answer.ranking`,
which is kept where the assistant declined to answer too.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..errors import AssistantError
from .metrics import (
    CurvePoint,
    Metrics,
    Outcome,
    ReliabilityBin,
    compute_metrics,
    first_rank,
    reliability,
    threshold_curve,
)
from .questionsets import QuestionSet

# Named configurations for --compare: changes to the question-time settings.
PRESETS: dict[str, dict[str, float]] = {
    "default": {},
    # The usual pipeline: one vector per question+answer passage, cosine, nothing else fused.
    "dense": {"weight_question": 0.0, "weight_passage": 1.0, "weight_sentence": 0.0, "weight_centroid": 0.0,
              "weight_lexical": 0.0, "group_share": 0.0},
    # BM25 alone (squashed to [0, 1)).
    "bm25": {"weight_question": 0.0, "weight_passage": 0.0, "weight_sentence": 0.0, "weight_centroid": 0.0,
             "weight_lexical": 1.0, "group_share": 0.0},
}
# Settings that change the index or the process, not how a question is scored: not for --compare.
_NOT_QUESTION_TIME = {"corpus", "index", "model", "device", "batch_size", "index_type", "query_cache_size",
                      "feedback_log", "host", "port", "queue_size", "queue_per_client"}
QUESTION_TIME = tuple(f.name for f in dataclasses.fields(Settings) if f.name not in _NOT_QUESTION_TIME)
BATCH = 256
CACHE = Path(".cache")


@dataclass(frozen=True)
class Configuration:
    """A named set of changes to the question-time settings."""

    name: str
    changes: dict = field(default_factory=dict)


def parse_configuration(spec: str) -> Configuration:
    """`default`, `dense` (a preset), or `name:key=value,key=value` over question-time settings; a
    name that is a preset starts from it (`dense:min_confidence=0.7`), any other from the default.

    Raises:
        AssistantError: an unknown preset or setting, or a malformed spec.
    """
    name, _, assignments = spec.partition(":")
    name = name.strip()
    if not name:
        raise AssistantError(f"configuration {spec!r} needs a name: name:key=value,...")
    if not assignments and name not in PRESETS:
        raise AssistantError(f"unknown configuration {name!r}: use a preset ({', '.join(PRESETS)}) "
                             "or name:key=value,key=value")
    changes = dict(PRESETS.get(name, {}))
    for item in filter(None, (part.strip() for part in assignments.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not value.strip():
            raise AssistantError(f"configuration {spec!r}: {item!r} is not key=value")
        if key not in QUESTION_TIME:
            raise AssistantError(f"configuration {spec!r}: {key!r} is not a question-time setting "
                                 f"(one of {', '.join(QUESTION_TIME)})")
        changes[key] = value.strip()
    try:
        Settings().replace(**changes)  # check the values now, before any model loads
    except AssistantError as exc:
        raise AssistantError(f"configuration {spec!r}: {exc}") from None
    return Configuration(name, changes)


def parse_configurations(specs: list[str]) -> list[Configuration]:
    """`parse_configuration` for each spec; the names must differ."""
    configurations = [parse_configuration(spec) for spec in specs]
    names = [c.name for c in configurations]
    if len(set(names)) < len(names):
        raise AssistantError(f"configuration names must differ, got {' '.join(names)}")
    return configurations


def index_for_corpus(corpus: str | Path, settings: Settings) -> Path:
    """Where the index of `corpus` is kept: `settings.index` for the configured corpus; for any
    other, `.cache/index/<name>-<hash of its path>`, so the default index is never overwritten and
    a corpus evaluated again reuses (and incrementally refreshes) its own index."""
    corpus = Path(corpus)
    if corpus.resolve() == Path(settings.corpus).resolve():
        return settings.index
    key = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12]
    return CACHE / "index" / f"{corpus.stem or 'corpus'}-{key}"


@dataclass(frozen=True)
class RankedHit:
    """One entry of a question's ranking."""

    entry_id: str
    question: str
    score: float


@dataclass
class QuestionResult:
    """What happened to one question.

    Attributes:
        line: its line in the question set.
        qid: the row's own id, if any.
        query: the question asked.
        history: the earlier turns it was asked with (the last `MAX_HISTORY`).
        expected: what the question set expects, as written.
        relevant: the entry ids that answer it (empty: out of scope).
        relevant_questions: those entries' questions.
        found: the assistant answered confidently.
        hedged: it showed the closest entry as uncertain.
        confidence: its estimated probability that the top entry answers.
        ambiguous: it answered with "did you mean ...?".
        hits: the ranking, best first, whether or not it answered.
        rank: the rank of the first relevant entry in `hits` (None: not there, or out of scope).
        outcome: in scope: "right answer" (confident), "wrong answer" (confident), "hedged, right
            entry", "hedged, wrong entry" or "not answered"; out of scope: "declined", "hedged out of
            scope" (both right: no confident answer) or "answered out of scope".
        turn: its turn in its conversation (1 for a single question).
    """

    line: int
    qid: str | None
    query: str
    history: list[str]
    expected: list[str]
    relevant: list[str]
    relevant_questions: list[str]
    found: bool
    hedged: bool
    confidence: float
    ambiguous: bool
    hits: list[RankedHit]
    rank: int | None
    outcome: str
    turn: int = 1

    @property
    def correct(self) -> bool:
        return self.outcome in ("right answer", "declined", "hedged out of scope")

    def to_dict(self) -> dict:
        row = dataclasses.asdict(self)
        row["correct"], row["abstained"] = self.correct, not self.found
        return row


@dataclass(frozen=True)
class Attractor:
    """An FAQ entry given as a wrong answer, with the questions it was given to."""

    entry_id: str
    question: str
    queries: tuple[str, ...]


@dataclass
class Report:
    """One configuration run over one question set.

    Attributes:
        config: the configuration's name.
        question_set: the question set file.
        corpus: the corpus the index was built from.
        entries: how many FAQ entries it has.
        settings: the question-time settings used.
        metrics: the figures.
        results: one per question (each turn of a conversation is a question), in file order.
        curve: answering vs declining across confidence thresholds.
        reliability: confidence against the share right, bin by bin.
    """

    config: str
    question_set: str
    corpus: str
    entries: int
    settings: dict
    metrics: Metrics
    results: list[QuestionResult]
    curve: list[CurvePoint]
    reliability: list[ReliabilityBin] = field(default_factory=list)

    @property
    def failures(self) -> list[QuestionResult]:
        """The questions without the right outcome."""
        return [r for r in self.results if not r.correct]

    @property
    def attractors(self) -> list[Attractor]:
        """Entries given as wrong answers, most often first."""
        given: dict[str, list[str]] = {}
        for result in self.results:
            if result.found and result.outcome != "right answer":
                given.setdefault(result.hits[0].entry_id, []).append(result.query)
        questions = {r.hits[0].entry_id: r.hits[0].question for r in self.results if r.hits}
        counts = Counter({entry_id: len(queries) for entry_id, queries in given.items()})
        return [Attractor(entry_id, questions[entry_id], tuple(given[entry_id]))
                for entry_id, _ in counts.most_common()]

    @property
    def best_threshold(self) -> CurvePoint | None:
        """The curve's point with the highest accuracy on this set (fitted to it: a reference, not a
        setting to adopt from one set)."""
        points = [p for p in self.curve if p.accuracy is not None]
        return max(points, key=lambda p: p.accuracy) if points else None

    def to_dict(self) -> dict:
        return {
            "config": self.config, "question_set": self.question_set, "corpus": self.corpus,
            "entries": self.entries, "settings": self.settings, "metrics": self.metrics.to_dict(),
        }


def evaluate(retriever, questions: QuestionSet, k: int = 10, config: str = "default",
             progress=None) -> Report:
    """Ask every question of a (resolved) question set and measure the answers.

    Args:
        retriever: a `Retriever` over the FAQ the questions are about.
        questions: a question set; its expected values are matched to `retriever.entries`.
        k: the depth of recall@k and nDCG@k. Hits are retrieved to max(k, 3, the largest number of
            relevant entries of any question), and MRR and MAP use all of them.
        config: the name to report the run under.
        progress: optional callable(done, total) after each batch.

    Returns:
        A `Report`.

    Raises:
        QuestionSetError: an expected value matches no FAQ entry (the message names its line).
    """
    if k < 1:
        raise AssistantError(f"k must be at least 1, got {k}")
    questions = questions.resolve(retriever.entries)
    items = questions.questions
    depth = max([k, 3, *(len(q.relevant) for q in items)])
    question_of = {e.id: e.question for e in retriever.entries}
    results: list[QuestionResult] = []
    outcomes: list[Outcome] = []
    for start in range(0, len(items), BATCH):
        part = items[start : start + BATCH]
        texts, histories = [q.query for q in part], [list(q.history) for q in part]
        answers = retriever.batch_answer(texts, histories, k=depth)
        for question, answer in zip(part, answers):
            # The ranking is kept whether or not the assistant answered, so ranking metrics count
            # every in-scope question.
            hits = [RankedHit(h.entry_id, h.question, h.score) for h in answer.ranking[:depth]]
            outcome = Outcome(tuple(h.entry_id for h in hits), frozenset(question.relevant), answer.found,
                              follow_up=question.turn > 1, confidence=answer.confidence, hedged=answer.hedged)
            outcomes.append(outcome)
            results.append(QuestionResult(
                line=question.line, qid=question.qid, query=question.query, history=list(question.history),
                expected=list(question.expected), relevant=list(question.relevant),
                relevant_questions=[question_of[e] for e in question.relevant], found=answer.found,
                hedged=answer.hedged, confidence=round(answer.confidence, 4), ambiguous=answer.ambiguous, hits=hits,
                rank=first_rank(outcome.ranked, outcome.relevant) if outcome.in_scope else None,
                outcome=_outcome(outcome), turn=question.turn,
            ))
        if progress:
            progress(len(results), len(items))
    settings = retriever.settings
    return Report(
        config=config, question_set=str(questions.path), corpus=str(settings.corpus),
        entries=len(retriever.entries), settings={name: getattr(settings, name) for name in QUESTION_TIME},
        metrics=compute_metrics(outcomes, k), results=results,
        curve=threshold_curve(outcomes, _thresholds(settings.min_confidence)),
        reliability=reliability(outcomes),
    )


def compare(retriever, questions: QuestionSet, configurations: list[Configuration], k: int = 10,
            progress=None) -> list[Report]:
    """`evaluate` under each configuration, sharing the retriever's model and index.

    `progress(done, total)` counts questions over all the runs.
    """
    questions = questions.resolve(retriever.entries)
    reports = []
    for i, configuration in enumerate(configurations):
        step = None
        if progress:
            def step(done, total, i=i):
                progress(i * total + done, total * len(configurations))
        reports.append(evaluate(retriever.with_settings(**configuration.changes), questions, k,
                                configuration.name, step))
    return reports


def _outcome(o: Outcome) -> str:
    if not o.in_scope:
        return "answered out of scope" if o.answered else "hedged out of scope" if o.hedged else "declined"
    if o.hedged:
        return "hedged, right entry" if o.top_correct else "hedged, wrong entry"
    if not o.answered:
        return "not answered"
    return "right answer" if o.top_correct else "wrong answer"


def _thresholds(current: float, steps: int = 100) -> list[float]:
    """`steps` + 1 evenly spaced confidence thresholds from 0 to 1, plus the current one."""
    return sorted({round(i / steps, 6) for i in range(steps + 1)} | {current})
