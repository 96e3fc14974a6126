"""Hits to an Answer: the decision whether the FAQ answers a question, and "did you mean".

Data and the decision only; every way of showing an answer is in `render.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Settings
from .search.followup import Resolved
from .search.hit import Hit
from .text import question_key

NOT_FOUND = "I couldn't find that in the FAQ."


@dataclass
class Answer:
    """The reply to one question.

    Attributes:
        question: the question as asked.
        found: False when the FAQ does not answer it; `hits` then holds only the closest questions.
        hits: the entries that answer it, best first (empty when not found).
        suggestions: when not found or ambiguous, the closest FAQ questions to offer instead.
        ambiguous: two different entries are nearly tied: ask "did you mean ...?".
        context: for a follow-up, the earlier question it was read with.
        note: something the user should know (e.g. a long question was shortened).
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
    ranking: list[Hit] = field(default_factory=list, repr=False)

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
            "question": self.question, "found": self.found, "ambiguous": self.ambiguous,
            "context": self.context, "note": self.note,
            "hits": [h.to_dict() for h in self.hits],
            "suggestions": [{"entry_id": h.entry_id, "question": h.question, "score": h.score}
                            for h in self.suggestions],
        }


def decide(question: str, resolved: Resolved, hits: list[Hit], settings: Settings, k: int,
           note: str | None = None) -> Answer:
    """Answer or abstain, from ranked hits.

    The FAQ answers the question when the best fused score reaches `settings.min_score`. The
    question is ambiguous when the runner-up is a different question within `ambiguity_margin`.
    """
    context = resolved.context if resolved.context_query else None
    if not hits or hits[0].score < settings.min_score:
        return Answer(question, False, [], suggestions=_distinct_questions(hits)[:3], context=context, note=note,
                      ranking=hits)
    top = hits[0]
    rivals = [h for h in _distinct_questions(hits)[1:] if h.score >= settings.min_score
              and top.score - h.score < settings.ambiguity_margin]
    ambiguous = bool(rivals)
    return Answer(question, True, hits[:k], suggestions=[top, rivals[0]] if ambiguous else [],
                  ambiguous=ambiguous, context=context, note=note, ranking=hits)


def _distinct_questions(hits: list[Hit]) -> list[Hit]:
    """The hits with one hit per distinct question text (several answers may share a question)."""
    seen, out = set(), []
    for hit in hits:
        key = question_key(hit.question)
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out
