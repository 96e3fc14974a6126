"""Follow-up questions: tell an incomplete question ("and for Intel?") from a complete one, and give
it the context of the conversation.

The rules are about English grammar, not about any FAQ: a follow-up opens with a connective ("and",
"what about") or leans on a pronoun ("do they cost more?") while carrying few words of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONNECTIVE = re.compile(
    r"^\s*(and|but|or|so|also|then|what about|how about|what if|same for|and what about|and how about"
    r"|what of|as for|plus)\b",
    re.IGNORECASE,
)
_BACK_REFERENCE = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|there|one|ones|same|such|either|both"
    r"|he|she|him|her)\b",
    re.IGNORECASE,
)
_FUNCTION = frozenset(
    """a an the and but or so also then what about how if for of to in on at by with from is are was were
    be been do does did can could will would should may might must shall i you we me my your our it its
    they them their this that these those there one ones same such either both any all some more
    less much many very just only too as than please which who whom whose when where why get got
    he she him her his hers""".split()
)
# A question with more content words than this stands on its own, whatever its first word.
MAX_CONTENT_WORDS = 4
# How much of a (very long) earlier question goes before a follow-up, so that the follow-up's own
# words stay within what the model reads.
MAX_CONTEXT_CHARS = 500


@dataclass(frozen=True)
class Resolved:
    """How a question will be searched.

    Attributes:
        query: the question as asked.
        context_query: for a follow-up, the question joined to the earlier one it continues; None
            for a question that stands on its own.
        context: the earlier question used, if any.
    """

    query: str
    context_query: str | None = None
    context: str | None = None


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w\-+.]+", text.lower()) if w not in _FUNCTION and not w.isdigit()]


def is_follow_up(question: str) -> bool:
    """True when `question` reads as a continuation of an earlier one."""
    if len(content_words(question)) > MAX_CONTENT_WORDS:
        return False
    return bool(_CONNECTIVE.match(question) or _BACK_REFERENCE.search(question))


def resolve_follow_up(question: str, history: list[str] | None) -> Resolved:
    """Pair a follow-up with the question it continues (itself resolved, if it was a follow-up too)."""
    # Earlier questions without a word in them (empty, only punctuation) give no context.
    history = [h for h in (history or []) if isinstance(h, str) and any(ch.isalnum() for ch in h)]
    if not history or not isinstance(question, str) or not is_follow_up(question):
        return Resolved(question)
    previous = resolve_follow_up(history[-1], history[:-1])
    context = previous.context_query or previous.query
    return Resolved(question, f"{context[:MAX_CONTEXT_CHARS]} {question}", context)
