"""Question preparation: a user's text becomes what is searched.

Cleaning (control characters out, whitespace collapsed, cut to a length the model can read),
the long form of acronyms the corpus defines appended, and a note for the user when a question was
too long to be read whole. Follow-ups are resolved in `followup.py`.
"""

from __future__ import annotations

import re

from ..errors import AssistantError
from ..text import printable

# The model reads at most 256 word pieces (about 1,000 characters of English); longer questions are
# cut here so that tokenizing and BM25 stay cheap on absurd input (100,000 characters).
MAX_QUERY_CHARS = 2000


def clean_query(query: str) -> str:
    """Normalise a question for search: control characters dropped, whitespace collapsed, cut to
    MAX_QUERY_CHARS.

    Raises:
        AssistantError: the question is not text, is empty once cleaned, or has no word in it.
    """
    if not isinstance(query, str):
        raise AssistantError(f"a question must be text, not {type(query).__name__}")
    text = printable(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
    if not text:
        raise AssistantError("the question is empty")
    if not any(ch.isalnum() for ch in text):
        raise AssistantError("the question has no words in it, only punctuation or symbols; ask it in words")
    return text


def length_note(question: str, read: str, max_tokens: int, count_tokens) -> str | None:
    """A note when `question` (read as `read`, cleaned) was too long to be read whole.

    Args:
        max_tokens: the model's sequence length, special tokens included.
        count_tokens: counts the word pieces of a text.
    """
    limit = max_tokens - 2  # [CLS] and [SEP] take two
    # No character makes more than 3 word pieces (a Korean syllable: its three jamo), measured over
    # all of Unicode with the bundled tokenizer: short questions need no count.
    if 3 * len(read) > limit and count_tokens(read) > limit:
        return f"Your question is long: only its first {limit} word pieces were read."
    if len(read) == MAX_QUERY_CHARS and len(printable(question)) > MAX_QUERY_CHARS:
        return f"Your question is long: only its first {MAX_QUERY_CHARS} characters were read."
    return None


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")


def expand(question: str, acronyms: dict[str, str]) -> str:
    """`question` with the long form of each defined acronym it uses appended, once each.

    "change from PMK to CMK" -> "change from PMK to CMK (Platform-managed key)".
    """
    if not acronyms:
        return question
    lowered = question.lower()
    additions = []
    for token in dict.fromkeys(_TOKEN.findall(question)):
        key = token.lower()
        key = key if key in acronyms else key[:-1] if key.endswith("s") and key[:-1] in acronyms else None
        if key and acronyms[key].lower() not in lowered and acronyms[key] not in additions:
            additions.append(acronyms[key])
    return f"{question} ({'; '.join(additions)})" if additions else question
