"""What each topic needs: the FAQ entry closest to it today, and whether the topic is missing content
(nothing close) or missing wording (a close entry that users' words did not reach confidently).

"Close" cannot be read from the confidence alone: questions on a subject the FAQ lacks often land,
consistently and half-confidently, on an entry that merely shares the FAQ's vocabulary. So the entry's
own text is checked too: it must already use the words the topic is about.

The Retriever is asked again, with the current index, rather than trusting what the log recorded: the
FAQ may have changed since the questions were asked.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from ..index.lexical import tokenize
from .topics import Topic

MISSING_CONTENT, MISSING_WORDING, ANSWERED_NOW = "missing content", "missing wording", "answered now"
# Wordings of a topic asked again: its most asked ones (enough to see where the topic lands).
PROBES = 8


@dataclass(frozen=True)
class Closest:
    """The FAQ entry a topic's questions land on most often.

    Attributes:
        entry_id, question, source, start_line: the entry, and where it stands.
        confidence: the median confidence that it answers them, over the questions it was top for.
        reached: the share of the questions asked again whose top entry it is.
        landed: how many of them that is.
        lacking: the topic's central words (stemmed) that the entry's text does not hold.
    """

    entry_id: str
    question: str
    source: str
    start_line: int
    confidence: float
    reached: float
    landed: int = 1
    lacking: tuple[str, ...] = ()


def closest_entry(answers: list) -> Closest | None:
    """The entry most often at the top of `answers`, with its median confidence there."""
    tops = [a.ranking[0] for a in answers if a.ranking]
    if not tops:
        return None
    entry_id, count = Counter(h.entry_id for h in tops).most_common(1)[0]
    hit = next(h for h in tops if h.entry_id == entry_id)
    confidence = statistics.median(a.confidence for a in answers if a.ranking and a.ranking[0].entry_id == entry_id)
    return Closest(entry_id, hit.question, hit.source, hit.start_line, float(confidence), count / len(answers),
                   count)


def central_words(questions: list[str]) -> set[str]:
    """What a topic is about: the content words (stemmed, stopwords left out) in at least half of its
    wordings, and in two of them when it has several (one user's extra words are not the topic)."""
    rows = [set(words) for words in tokenize(questions)]
    least = max(len(rows) / 2, min(2, len(rows)))
    counts = Counter(word for words in rows for word in words)
    return {word for word, count in counts.items() if count >= least}


def lacking_words(questions: list[str], entry) -> tuple[str, ...]:
    """The central words of `questions` that `entry` (question, alternates, answer) never uses."""
    text = "\n".join((entry.question, *entry.alternates, entry.answer))
    return tuple(sorted(central_words(questions) - set(tokenize([text])[0])))


def kind_of(topic: Topic, closest: Closest | None, hedge_confidence: float, min_confidence: float) -> str:
    """The topic's kind, from where the Retriever puts its questions and what the entry there says.

    "missing wording": a clear majority (two thirds, and at least two: one question shows no pattern) of
    its questions land on one entry, the Retriever would at least hedge with it (median confidence from
    `hedge_confidence`), and the entry's text holds every central word of the topic: it already speaks
    of what users ask, in other words. A topic whose central word the entry never uses ("backup" asked
    of an entry about encryption) asks for content the entry does not have, however consistently it
    lands there. "answered now": answered confidently today and nobody voted it down. Otherwise
    "missing content".
    """
    if closest is None or closest.reached < 2 / 3 or closest.landed < 2:
        return MISSING_CONTENT
    if closest.confidence >= min_confidence:
        return MISSING_CONTENT if topic.down_votes else ANSWERED_NOW
    if closest.confidence >= hedge_confidence and not closest.lacking:
        return MISSING_WORDING
    return MISSING_CONTENT


def diagnose(retriever, topics: list[Topic], progress: Callable[[int], None] | None = None,
             batch: int = 512) -> None:
    """Set `closest` and `kind` of each topic by asking `retriever` its most asked wordings again.

    Args:
        retriever: the Retriever over the FAQ as it is now.
        topics: the topics to diagnose.
        progress: optional callable(questions) called after each batch of questions asked.
        batch: questions asked at once.
    """
    settings = retriever.settings
    probes = [(topic, text) for topic in topics for text in topic.questions[:PROBES]]
    answers = []
    for start in range(0, len(probes), batch):
        part = [text for _, text in probes[start : start + batch]]
        answers += retriever.batch_answer(part)
        if progress:
            progress(len(part))
    by_topic: dict[int, list] = {}
    for (topic, _), answer in zip(probes, answers):
        by_topic.setdefault(id(topic), []).append(answer)
    entries = {e.id: e for e in retriever.entries}
    for topic in topics:
        topic.closest = closest_entry(by_topic.get(id(topic), []))
        if topic.closest is not None and topic.closest.entry_id in entries:
            lacking = lacking_words(topic.questions, entries[topic.closest.entry_id])
            topic.closest = dataclasses.replace(topic.closest, lacking=lacking)
        topic.kind = kind_of(topic, topic.closest, settings.hedge_confidence, settings.min_confidence)
