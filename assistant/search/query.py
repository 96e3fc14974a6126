"""Question preparation: a user's text becomes what is searched.

Cleaning (NFKC, control characters out, whitespace collapsed), reading a long paste by the part
that asks, with a note for the user, and the long form of acronyms the corpus defines appended.
Follow-ups are resolved in `followup.py`.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import AssistantError
from ..ingest.cleaning import english_words
from ..text import printable

# A pasted message is read from its end, where people ask: at most this much of it is looked at, so
# that normalising and tokenizing stay cheap on absurd input (100,000 characters).
MAX_INPUT_CHARS = 20_000
# What is searched at most: about what the model reads (256 word pieces are ~1,000 characters).
MAX_QUERY_CHARS = 2000
_SENTENCE_END = re.compile(r"""(?<=[.!?])["')\]]*\s+""")


def clean_query(query: str) -> str:
    """Normalise a question for search: Unicode NFKC (full-width letters, ligatures and compatibility
    forms become plain ones), control characters dropped, whitespace collapsed; a very long paste
    keeps its last MAX_INPUT_CHARS characters.

    Raises:
        AssistantError: the question is not text, is empty once cleaned, or has no word in it.
    """
    if not isinstance(query, str):
        raise AssistantError(f"a question must be text, not {type(query).__name__}")
    text = printable(unicodedata.normalize("NFKC", query[-MAX_INPUT_CHARS:]))
    if not text:
        raise AssistantError("the question is empty")
    if not any(ch.isalnum() for ch in text):
        raise AssistantError("the question has no words in it, only punctuation or symbols; ask it in words")
    return text


# A question of fewer words than this leans on what precedes it ("And for Linux?"); a general
# reading of English, not fitted to any question set.
STANDALONE_WORDS = 8


def read_question(text: str, max_tokens: int, count_tokens) -> tuple[str, str | None]:
    """What of a cleaned question is searched, and a note for the user when it is not all of it.

    A question the model can read whole is read whole. A longer one (a message pasted with its
    context) is read by its asking part: its last sentence with a question mark (else its last
    sentence), with the sentences just before it when it is too short to stand alone ("Why?"); the
    rest of the context would only dilute what is asked. A single sentence too long to fit keeps
    its end.

    Args:
        text: the cleaned question (`clean_query`).
        max_tokens: the model's sequence length, special tokens included.
        count_tokens: counts the word pieces of a text.
    """
    limit = max_tokens - 2  # [CLS] and [SEP] take two

    def fits(part: str) -> bool:
        # No character makes more than 3 word pieces (a Korean syllable: its three jamo), measured
        # over all of Unicode with the bundled tokenizer: short texts need no count.
        return len(part) <= MAX_QUERY_CHARS and (3 * len(part) <= limit or count_tokens(part) <= limit)

    if fits(text):
        return text, None
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    asks = [i for i, sentence in enumerate(sentences) if "?" in sentence]
    last = asks[-1] if asks else len(sentences) - 1
    start = last
    while start > 0 and _words(sentences[start : last + 1]) < STANDALONE_WORDS:
        if not fits(" ".join(sentences[start - 1 : last + 1])):
            break
        start -= 1
    read = " ".join(sentences[start : last + 1])
    if not fits(read):  # one sentence longer than the model reads: its end asks
        words = read.split(" ")
        low, high = 1, len(words)  # the most trailing words that fit
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if fits(" ".join(words[-middle:])) else (low, middle - 1)
        read = " ".join(words[-low:])[-MAX_QUERY_CHARS:]
    part = "question" if asks else "sentences"
    return read, f"Your question is long: only its last {part} ({len(read):,} characters) was read."


def _words(sentences: list[str]) -> int:
    return sum(len(sentence.split()) for sentence in sentences)


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")


def expand(question: str, acronyms: dict[str, str]) -> str:
    """`question` with, once each, the long form of each defined acronym it uses, and the acronym of
    each long form it spells out: the FAQ may say either, the user the other.

    "change from PMK to CMK" -> "change from PMK to CMK (Platform-managed key)"; "what is secure
    encrypted virtualization with secure nested paging" -> "... (SEV-SNP)". A token that is also a
    common English word counts only when written in capitals: "who" is not "WHO".
    """
    if not acronyms:
        return question
    lowered = question.lower()
    additions = []
    common = english_words()
    for token in dict.fromkeys(_TOKEN.findall(question)):
        key = token.lower()
        if key in common and not token.isupper():
            continue
        key = key if key in acronyms else key[:-1] if key.endswith("s") and key[:-1] in acronyms else None
        if key and acronyms[key].lower() not in lowered and acronyms[key] not in additions:
            additions.append(acronyms[key])
    words = _content_words(question)
    present = set(words)
    for acronym, long_form in acronyms.items():
        spelled = _content_words(long_form)
        if (len(spelled) >= 2 and spelled[0] in present and acronym not in lowered
                and _contains(words, spelled) and acronym.upper() not in additions):
            additions.append(acronym.upper())
    return f"{question} ({'; '.join(additions)})" if additions else question


def _content_words(text: str) -> list[str]:
    """Lower-case words without the small words a long form may skip ("Secure Nested Paging" in "with
    secure nested paging")."""
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _SMALL_WORDS]


_SMALL_WORDS = frozenset("a an the of for and with in on to by or".split())


def _contains(words: list[str], run: list[str]) -> bool:
    """True when `run` appears in `words` as consecutive words."""
    return any(words[i : i + len(run)] == run for i in range(len(words) - len(run) + 1))
