"""Hits to an Answer: found or not, "did you mean", and a Markdown rendering with citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .config import Settings
from .conversation import Resolved
from .hit import Hit

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
        """The answer as Markdown: the FAQ's words (escaped), then the source."""
        return render_markdown(self)

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
        key = " ".join(hit.question.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Escape Markdown and HTML syntax so FAQ or user text is shown as written, never interpreted."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    marker = m.group(2)
    # "1." starts a list: escape the dot; "#", "-", ">" start headings, bullets, quotes: escape them.
    return m.group(1) + (marker + "\\" if marker[0].isdigit() else "\\" + marker)


def render_markdown(answer: Answer) -> str:
    lines = []
    if answer.note:
        lines += [f"_{escape_markdown(answer.note)}_", ""]
    if not answer.found:
        lines.append(NOT_FOUND)
        if answer.suggestions:
            lines += ["", "Closest questions in the FAQ:"]
            lines += [f"- {escape_markdown(h.question)}" for h in answer.suggestions]
        return "\n".join(lines)
    if answer.ambiguous:
        a, b = answer.suggestions[:2]
        lines += [f"Did you mean **{escape_markdown(a.question)}** or **{escape_markdown(b.question)}**?", ""]
    best = answer.hits[0]
    lines.append(f"**{escape_markdown(best.question)}**")
    lines.append("")
    lines += [escape_markdown(line) for line in best.text.split("\n")]
    lines.append("")
    source = f"{best.title} — " if best.title else ""
    link = f" — <{best.url}>" if best.url else ""
    lines.append(f"Source: {escape_markdown(source + best.citation)}{link}")
    return "\n".join(lines)
