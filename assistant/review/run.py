"""`review`: question logs in, ranked and diagnosed topics out (the steps are in topics.py and diagnose.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..app.questionlog import read_questions
from .diagnose import PROBES, diagnose
from .topics import TOPIC_DISTANCE, Topic, embed, topics, wordings

# Topics diagnosed and reported: the most asked ones (the rest are counted).
SHOWN = 50

# progress(stage, done, total): called as each stage advances; total 0 when it is not known in advance.
Progress = Callable[[str, int, int], None]


@dataclass
class Review:
    """The result of reviewing question logs.

    Attributes:
        logs: the logs read.
        questions: questions read from them.
        reviewed: of those, the declined, hedged and down-voted ones.
        wordings: distinct wordings among the reviewed questions.
        topics: every topic, most asked first; the first `shown` are diagnosed.
        shown: how many topics were diagnosed (and are reported).
        corpus: the FAQ the topics were checked against, and its number of entries.
    """

    logs: list[str]
    questions: int
    reviewed: int
    wordings: int
    topics: list[Topic] = field(default_factory=list)
    shown: int = 0
    corpus: str = ""
    entries: int = 0

    @property
    def diagnosed(self) -> list[Topic]:
        return self.topics[: self.shown]


def review(retriever, logs: list[str | Path], shown: int = SHOWN, distance: float = TOPIC_DISTANCE,
           progress: Progress | None = None) -> Review:
    """Read question logs, group what the FAQ did not answer well into topics, and diagnose the top ones.

    Args:
        retriever: the Retriever over the FAQ as it is now (its model embeds the questions).
        logs: question logs (and feedback logs, whose 👎 count too).
        shown: how many of the most asked topics to diagnose.
        distance: where topics are cut (average cosine distance; see topics.TOPIC_DISTANCE).
        progress: optional callback (stage, done, total).

    Raises:
        AssistantError: a log is missing or cannot be read.
    """
    done = {"read": 0, "embed": 0, "diagnose": 0}

    def step(stage: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None

        def advance(n: int) -> None:
            done[stage] += n
            progress(stage, done[stage], total)
        return advance

    questions = read_questions(logs, step("read", 0))
    found = wordings(questions)
    vectors = embed(retriever.embedder, [w.text for w in found], step("embed", len(found)))
    ranked = topics(found, vectors, distance) if found else []
    top = ranked[:shown]
    diagnose(retriever, top, step("diagnose", sum(min(len(t.questions), PROBES) for t in top)))
    return Review([str(p) for p in logs], len(questions), sum(w.asked for w in found), len(found), ranked,
                  len(top), str(retriever.settings.corpus), len(retriever.entries))
