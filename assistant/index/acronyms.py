"""Acronyms the corpus defines itself, found at build time (`search.query.expand` uses them).

An FAQ spells out its abbreviations once — "virtual Trusted Platform Module (TPM)", "Platform-managed
key (PMK)", "SEV-SNP stands for Secure Encrypted Virtualization-Secure Nested Paging" — and then
uses the short form. Some it never defines but spells out elsewhere: "CVM" beside many "confidential
VM"s. A user may type either. Nothing here is written by hand: the pairs are read from the corpus
when the index is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..ingest.cleaning import english_words
from .lexical import STOPWORDS

# "Long Form (ACR)" and "ACR stands for Long Form".
_PARENTHESISED = re.compile(r"((?:[\w'-]+\s+){1,8}?[\w'-]+)\s*\(\s*([A-Z][A-Za-z0-9]{1,9}?)s?\s*\)")
_STANDS_FOR = re.compile(r"\b([A-Z][A-Za-z0-9-]{1,11})\s+(?:stands for|is short for|means)\s+([^.,;:()]{3,80})")
_SMALL = {"of", "the", "and", "for", "a", "an", "to", "in", "on", "with", "de"}


_WORD = re.compile(r"[^\s\-/]+")


def _words(phrase: str) -> list[str]:
    return _WORD.findall(phrase)


def _matches(letters: str, words: list[str]) -> bool:
    """True when the acronym's letters are the initials of `words` (small words may be skipped; X may
    stand for a word starting with "ex", as in Extensions)."""
    letters = letters.lower()
    i = 0
    for word in words:
        w = word.lower()
        if i < len(letters) and (w[0] == letters[i] or (letters[i] == "x" and w.startswith("ex"))):
            i += 1
        elif w not in _SMALL:
            return False
    return i == len(letters)


def _long_form(acronym: str, before: str) -> str | None:
    """The shortest tail of `before` whose initials spell `acronym`."""
    letters = re.sub(r"[^A-Za-z]", "", acronym)
    if len(letters) < 2 or not any(c.isupper() for c in letters[1:] + letters[0]):
        return None
    spans = list(_WORD.finditer(before))
    for size in range(len(letters), min(len(spans), len(letters) + 3) + 1):
        tail = spans[-size:]
        if tail and _matches(letters, [m.group(0) for m in tail]):
            return before[tail[0].start() : tail[-1].end()]  # the corpus's own spelling
    return None


def find_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronym (lower case) -> long form, for every definition found in `texts`.

    An acronym defined two different ways keeps its first definition. Acronyms the texts use but
    never define are then looked up with `find_spelled_out`.
    """
    texts = list(texts)
    found: dict[str, str] = {}
    for text in texts:
        for m in _PARENTHESISED.finditer(text):
            acronym = m.group(2)
            long_form = _long_form(acronym, m.group(1))
            if long_form:
                found.setdefault(acronym.lower(), long_form)
        for m in _STANDS_FOR.finditer(text):
            acronym, phrase = m.group(1), m.group(2).strip()
            words = _words(phrase)
            letters = re.sub(r"[^A-Za-z]", "", acronym)
            if words and _matches(letters, words[: len(letters) + 3]) or _long_form(acronym, phrase):
                found.setdefault(acronym.lower(), _long_form(acronym, phrase) or phrase)
    return {**find_spelled_out(texts, found), **found}


_CAPS = re.compile(r"\b([A-Z]{3,6})s?\b")
_PHRASE_WORD = re.compile(r"[A-Za-z][A-Za-z]*")


def _initials(word: str) -> str:
    """What a word contributes to an acronym: an all-caps word all its letters ("VM"), else its first."""
    return word.lower() if word.isupper() and len(word) <= 4 else word[0].lower()


def _plausible(phrase: list[str], count: int) -> bool:
    """A spelled-out form starts and ends on content words, and is either a name in Title Case
    ("Trusted Computing Base") or a phrase the texts use more than once ("confidential VM")."""
    if phrase[0].lower() in STOPWORDS or phrase[-1].lower() in STOPWORDS:
        return False
    if any(len(w) < 3 and not w.isupper() for w in phrase):
        return False
    if any(not (w.isupper() or w.islower() or w.istitle()) for w in phrase):  # "aEmails"
        return False
    title_case = all(w[0].isupper() for w in phrase if w.lower() not in STOPWORDS)
    inner_small_words = any(w.lower() in STOPWORDS for w in phrase)
    return title_case or (count >= 2 and not inner_small_words)


def find_spelled_out(texts: list[str], known: dict[str, str]) -> dict[str, str]:
    """Undefined all-caps acronyms (3-6 letters, not English words) -> the most frequent plausible
    phrase in the texts whose initials spell them ("CVM" -> "confidential VM"). An acronym with two
    equally frequent phrases is skipped."""
    words = english_words()
    wanted = {m.lower() for text in texts for m in _CAPS.findall(text)} - set(known)
    wanted = {w for w in wanted if w not in words}
    if not wanted:
        return {}
    counts: dict[str, dict[str, int]] = {}
    for text in texts:
        words = _PHRASE_WORD.findall(text)
        for i in range(len(words)):
            spelled = ""
            for j in range(i, min(i + 6, len(words))):
                spelled += _initials(words[j])
                if len(spelled) > 6:
                    break
                if j > i and spelled in wanted:
                    phrase = " ".join(words[i : j + 1])
                    if phrase.lower() != spelled:
                        by_phrase = counts.setdefault(spelled, {})
                        by_phrase[phrase] = by_phrase.get(phrase, 0) + 1
    found = {}
    for acronym, by_phrase in counts.items():
        ranked = sorted(((p, n) for p, n in by_phrase.items() if _plausible(p.split(), n)), key=lambda kv: -kv[1])
        if not ranked:
            continue
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            found[acronym] = ranked[0][0]
    return found
