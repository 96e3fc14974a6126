"""Follow-up questions: tell an incomplete question ("and for Intel?") from a complete one, and give
it the context of the conversation.

The rules are about English grammar, not about any FAQ: a follow-up opens with a connective ("and",
"what about") or leans on a pronoun ("do they cost more?") while carrying few words of its own.
A follow-up that brings a new thing ("and the Intel equivalent?" after a question about AMD) may
mean the earlier question with one thing swapped: `swaps` writes those readings out, and the
Retriever keeps the one the FAQ matches best, if it matches better than the plain joined reading.
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
# Words a follow-up uses to point back at the earlier question's thing rather than to name a new one
# ("the Intel *equivalent*", "the *same* for Windows"): they are never what is swapped in.
_POINTERS = frozenset(
    """equivalent equivalents version versions case cases one ones instead else other others kind
    type way thing things option options about regarding""".split()
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
        rewrite: the earlier question with one thing swapped for what the follow-up names, when that
            is how it was read (set by the Retriever).
    """

    query: str
    context_query: str | None = None
    context: str | None = None
    rewrite: str | None = None


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w\-+.]+", text.lower()) if w not in _FUNCTION and not w.isdigit()]


def is_follow_up(question: str) -> bool:
    """True when `question` reads as a continuation of an earlier one."""
    if len(content_words(question)) > MAX_CONTENT_WORDS:
        return False
    return bool(_CONNECTIVE.match(question) or _BACK_REFERENCE.search(question))


def resolve_follow_up(question: str, history: list[str] | None) -> Resolved:
    """Pair a follow-up with the question it continues: the last earlier question that stands on its
    own, joined with the follow-ups asked since (each kept to MAX_CONTEXT_CHARS)."""
    if not isinstance(question, str) or not is_follow_up(question):
        return Resolved(question)
    # Earlier questions without a word in them (empty, only punctuation) give no context.
    history = [h for h in (history or []) if isinstance(h, str) and any(ch.isalnum() for ch in h)]
    if not history:
        return Resolved(question)
    start = len(history) - 1  # back to the question that opened this thread of follow-ups
    while start > 0 and is_follow_up(history[start]):
        start -= 1
    context = history[start]
    for earlier in history[start + 1 :]:
        context = f"{context[:MAX_CONTEXT_CHARS]} {earlier}"
    return Resolved(question, f"{context[:MAX_CONTEXT_CHARS]} {question}", context)


_WORD = re.compile(r"[\w\-+.#]*\w[\w+#]*")


def swaps(question: str, context: str) -> list[str]:
    """The earlier question with one of its words (or two adjacent ones) replaced by what the
    follow-up newly names: "and the Intel equivalent?" after "Can I do attestation for AMD VMs?"
    gives "Can I do attestation for Intel VMs?", "Can I do Intel for AMD VMs?", ... (the Retriever
    keeps the reading the FAQ matches best). Empty when the follow-up leans on a pronoun ("do they
    cost more?" asks something new about the same thing), names nothing new, or more than three
    new words, or the earlier question is longer than a question (a pasted message: it has no one
    thing to swap, and would give a rewrite per word).
    """
    if _BACK_REFERENCE.search(question) or len(context) > MAX_CONTEXT_CHARS:
        return []
    known = {w.lower() for w in _WORD.findall(context)}
    spans = [m for m in _WORD.finditer(question)
             if m.group(0).lower() not in known | _FUNCTION | _POINTERS and not m.group(0).isdigit()]
    if not 1 <= len(spans) <= 3:
        return []
    new = question[spans[0].start() : spans[-1].end()]
    asked = {w.lower() for w in _WORD.findall(question)}
    slots = [m for m in _WORD.finditer(context) if m.group(0).lower() not in _FUNCTION | asked]
    rewrites = [context[: m.start()] + new + context[m.end() :] for m in slots]
    rewrites += [context[: a.start()] + new + context[b.end() :]
                 for a, b in zip(slots, slots[1:]) if not context[a.end() : b.start()].strip()]
    return list(dict.fromkeys(rewrites))
