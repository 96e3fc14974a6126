"""Hits to an Answer: the decision whether the FAQ answers a question, and "did you mean".

Data and the decision only; every way of showing an answer is in `render.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import Settings
from .search.followup import Resolved
from .search.hit import Hit
from .text import question_key

NOT_FOUND = "I couldn't find that in the FAQ."
HEDGED = "The FAQ may not answer this exactly. The closest entry is:"


@dataclass
class Answer:
    """The reply to one question, in one of three outcomes: answered (`found`), `hedged`, or not found.

    Attributes:
        question: the question as asked.
        found: True only for a confident answer: the FAQ answers it, `hits[0]` is the answer.
        hits: what is shown, best first: the answer and the next closest entries when found; the
            closest entry (marked uncertain) when hedged; empty when not found.
        suggestions: questions to offer: the closest questions when not found, the other close
            questions when hedged, the two nearly tied questions when ambiguous.
        ambiguous: two different entries are nearly tied: ask "did you mean ...?".
        context: for a follow-up, the earlier question it was read with.
        read_as: for a follow-up that swaps one thing ("and the Intel equivalent?"), the earlier
            question with that thing swapped, as it was read.
        note: something the user should know (e.g. a long question was read by its last sentences).
        confidence: the estimated probability that the top entry answers the question, in [0, 1].
        hedged: the FAQ may answer it, but not surely: the closest entry is shown as uncertain.
        evidence: the features the confidence was computed from (fused score, margin, signals).
        ranking: every entry considered, best first, whether the FAQ answers or not (what
            `assistant eval` ranks); not part of `to_dict()`, whose `hits` and `suggestions` say
            what a user is shown.
    """

    question: str
    found: bool
    hits: list[Hit] = field(default_factory=list)
    suggestions: list[Hit] = field(default_factory=list)
    ambiguous: bool = False
    context: str | None = None
    note: str | None = None
    read_as: str | None = None
    confidence: float = 0.0
    hedged: bool = False
    evidence: dict[str, float] = field(default_factory=dict)
    ranking: list[Hit] = field(default_factory=list, repr=False)

    @property
    def outcome(self) -> str:
        """"answered", "hedged" or "not found"."""
        return "answered" if self.found else "hedged" if self.hedged else "not found"

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def markdown(self) -> str:
        """The answer as the chat shows it (Markdown; FAQ text escaped): see `render.chat_markdown`."""
        from .render import chat_markdown

        return chat_markdown(self)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "outcome": self.outcome, "found": self.found, "hedged": self.hedged,
            "confidence": round(self.confidence, 4), "ambiguous": self.ambiguous,
            "context": self.context, "read_as": self.read_as, "note": self.note,
            "hits": [h.to_dict() for h in self.hits],
            "suggestions": [{"entry_id": h.entry_id, "question": h.question, "score": h.score}
                            for h in self.suggestions],
            "evidence": {name: round(value, 4) for name, value in self.evidence.items()},
        }


def decide(question: str, resolved: Resolved, hits: list[Hit], confidence: float, evidence: dict[str, float],
           settings: Settings, k: int, note: str | None = None) -> Answer:
    """Answer, hedge or decline, from ranked hits and the confidence that the top one answers.

    At or above `settings.min_confidence` the answer is confident; from `settings.hedge_confidence`
    it is hedged (the closest entry, shown as uncertain); below, the FAQ is taken not to answer the
    question and the closest questions are offered. A confident answer is ambiguous when the
    runner-up is a different question within `ambiguity_margin` of its fused score.
    """
    context = resolved.context if resolved.context_query else None
    distinct = _distinct_questions(hits)
    common: dict[str, Any] = {"context": context, "read_as": resolved.rewrite, "note": note, "confidence": confidence,
              "evidence": evidence, "ranking": hits}
    if not hits or confidence < settings.hedge_confidence:
        return Answer(question, False, [], suggestions=distinct[:3], **common)
    if confidence < settings.min_confidence:
        return Answer(question, False, hits[:k], suggestions=distinct[1:3], hedged=True, **common)
    top = hits[0]
    rivals = [h for h in distinct[1:] if top.score - h.score < settings.ambiguity_margin]
    ambiguous = bool(rivals)
    return Answer(question, True, hits[:k], suggestions=[top, rivals[0]] if ambiguous else [],
                  ambiguous=ambiguous, **common)


def _distinct_questions(hits: list[Hit]) -> list[Hit]:
    """The hits with one hit per distinct question text (several answers may share a question)."""
    seen, out = set(), []
    for hit in hits:
        key = question_key(hit.question)
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out
