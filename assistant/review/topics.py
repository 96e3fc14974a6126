"""Which logged questions to review, and the topics they fall into.

A question is reviewed when the FAQ declined it, hedged it, or answered it and got a 👎. Repeats of one
wording (case and spacing aside) are merged first; the wordings are then embedded with the index's own
model and grouped by meaning with scikit-learn's agglomerative clustering (average linkage over
cosine distance, cut at a fixed distance, after the log's common direction is taken out), so the
number of topics follows from the log, not a guess.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..app.questionlog import LoggedQuestion
from ..text import question_key

# Average cosine distance at which merging stops: two groups join while their questions are, on
# average, at cosine similarity 0.5 or more. Sentence-embedding models of this family put paraphrases
# of one question well above 0.5 and questions on different subjects well below it.
TOPIC_DISTANCE = 0.5
# Up to this many wordings every pair is compared (n² distances: 32 MB at 2,000); above, each wording is
# compared with its nearest neighbours only, which keeps a log of 100,000 questions in memory and minutes.
PAIRWISE_LIMIT = 2000
NEIGHBOURS = 15


def needs_review(question: LoggedQuestion) -> bool:
    """Declined, hedged, or answered and down-voted."""
    return question.outcome != "answered" or question.vote == "down"


@dataclass
class Wording:
    """One wording of a question, with everyone who asked it so.

    Attributes:
        text: the wording as first asked (for a follow-up, how it was read in context).
        asked: how many times it was asked.
        askers: who asked it (chat sessions; each API or CLI question is an asker of its own).
        outcomes: how many times it was answered, hedged and declined.
        down_votes: 👎 on its answers.
    """

    text: str
    asked: int = 0
    askers: set[str] = field(default_factory=set)
    outcomes: Counter = field(default_factory=Counter)
    down_votes: int = 0

    def add(self, question: LoggedQuestion) -> None:
        self.asked += 1
        self.askers.add(question.asker)
        self.outcomes[question.outcome] += 1
        self.down_votes += question.vote == "down"


def wordings(questions: list[LoggedQuestion]) -> list[Wording]:
    """The reviewed questions merged by wording, most asked first."""
    merged: dict[str, Wording] = {}
    for question in questions:
        if not needs_review(question):
            continue
        text = question.read_as or question.question
        key = question_key(text)
        if not key:
            continue
        merged.setdefault(key, Wording(" ".join(text.split()))).add(question)
    return sorted(merged.values(), key=lambda w: (-len(w.askers), -w.asked))


@dataclass
class Topic:
    """Wordings that ask the same thing, most asked first.

    Attributes:
        wordings: its wordings.
        centre: the normalised mean of their vectors.
        kind: "missing content", "missing wording" or "answered now" (set by diagnose.py).
        closest: the FAQ entry closest to it (set by diagnose.py).
    """

    wordings: list[Wording]
    centre: np.ndarray = field(repr=False)
    kind: str = ""
    closest: object | None = None

    @property
    def askers(self) -> int:
        return len(set().union(*(w.askers for w in self.wordings)))

    @property
    def asked(self) -> int:
        return sum(w.asked for w in self.wordings)

    @property
    def down_votes(self) -> int:
        return sum(w.down_votes for w in self.wordings)

    def outcomes(self) -> Counter:
        return sum((w.outcomes for w in self.wordings), Counter())

    @property
    def questions(self) -> list[str]:
        return [w.text for w in self.wordings]


def embed(embedder, texts: list[str], progress: Callable[[int], None] | None = None, batch: int = 256) -> np.ndarray:
    """The texts' vectors from the index's own question encoder, in batches (unit length)."""
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    # Shortest first: a batch is padded to its longest text, so texts of like length batch cheaply.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        vectors[rows] = embedder.embed_queries([texts[i] for i in rows])
        if progress:
            progress(len(rows))
    return vectors


def cluster(vectors: np.ndarray, distance: float = TOPIC_DISTANCE) -> np.ndarray:
    """A topic label per vector (unit length): agglomerative clustering, average linkage over cosine distance, cut at
    `distance`. Above PAIRWISE_LIMIT vectors a nearest-neighbour graph limits which pairs may merge."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=np.intp)
    connectivity = None
    if n > PAIRWISE_LIMIT:
        from sklearn.neighbors import kneighbors_graph

        connectivity = kneighbors_graph(vectors, NEIGHBOURS, metric="cosine", include_self=False)
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                    distance_threshold=distance, connectivity=connectivity)
    with warnings.catch_warnings():  # a graph of several parts is joined up by scikit-learn, with a warning
        warnings.simplefilter("ignore", UserWarning)
        return model.fit_predict(vectors)


def centred(vectors: np.ndarray) -> np.ndarray:
    """The vectors less their mean, at unit length again. Questions to one FAQ share its subject (every
    question names the product), which draws them all together; what they share says nothing about
    which topic each is on, so it is taken out before distances are measured."""
    if len(vectors) < 2:
        return vectors
    shifted = vectors - vectors.mean(axis=0)
    return shifted / np.maximum(np.linalg.norm(shifted, axis=1, keepdims=True), 1e-12)


def topics(found: list[Wording], vectors: np.ndarray, distance: float = TOPIC_DISTANCE) -> list[Topic]:
    """The wordings grouped into topics, ranked by how many users asked, then how often, then 👎."""
    labels = cluster(centred(vectors), distance)
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(row)
    result = []
    for rows in groups.values():
        centre = vectors[rows].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        result.append(Topic([found[r] for r in rows], centre))  # rows are in wording order: most asked first
    return sorted(result, key=lambda t: (-t.askers, -t.asked, -t.down_votes, t.questions[0]))
