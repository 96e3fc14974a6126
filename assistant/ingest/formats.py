"""Parsers that turn one FAQ file's text into raw question/answer records, with line numbers.

Formats:
- plain text (a scraped FAQ page): a question line starts an entry, the lines up to the next
  question are its answer;
- Markdown: question headings (or, when no heading is a question, the deepest heading level) and
  bold questions (`**How do I ...?**`, `Q: ...?`) start entries;
- JSONL rows `{"question", "answer"}` and CSV/TSV tables with Question and Answer columns (the import
  format of Azure question answering).

Parsers never raise on odd text: a file that yields nothing yields an empty list.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from ..errors import CorpusError
from .cleaning import GlueSplitter, clean_lines, fix_mojibake
from .jsonl import json_objects

Line = tuple[int, str]  # (1-based line number in the original file, cleaned text)


@dataclass
class Record:
    """One question and its answer lines, before ids and passages are assigned."""

    question: str
    question_lines: tuple[int, int]
    answer: list[Line] = field(default_factory=list)
    id: str | None = None
    url: str | None = None


# --- plain text -----------------------------------------------------------------------------------

# A question line ends with "?", optionally followed by a quoted or bracketed tail, e.g.
# 'What does this error mean? "Operation couldn't be completed ..."'.
_QUESTION = re.compile(r"""^\S.{1,298}?\?\s*(?:["“'(\[].*["”')\]]\s*)?$""")
_QA_PREFIX = re.compile(r"^(?:Q(?:uestion)?\s*\d*\s*[:.)]\s+)", re.IGNORECASE)
_A_PREFIX = re.compile(r"^(?:A(?:nswer)?\s*[:.)]\s+)", re.IGNORECASE)


def is_question_line(text: str) -> bool:
    """True when a line reads as an FAQ question."""
    text = _QA_PREFIX.sub("", text.strip())
    # The pattern first: it fails fast on a huge line, where splitting it into words would not.
    return bool(_QUESTION.match(text)) and len(text.split()) >= 2


def parse_text(text: str) -> tuple[list[Record], list[Line]]:
    """Parse a plain-text FAQ page.

    Returns:
        The records, and the cleaned lines before the first question (the page's preamble).
    """
    numbered = list(enumerate(text.splitlines(), start=1))
    return _group(clean_lines(numbered, text), lambda _, line: QUESTION if is_question_line(line) else TEXT)


QUESTION, BREAK, TEXT = "question", "break", "text"


def _group(lines: list[Line], kind_of) -> tuple[list[Record], list[Line]]:
    """Group cleaned lines into records; `kind_of(number, text)` says QUESTION, BREAK or TEXT."""
    records: list[Record] = []
    preamble: list[Line] = []
    current: Record | None = None
    for number, line in lines:
        kind = kind_of(number, line)
        if kind == QUESTION:
            question = _QA_PREFIX.sub("", line).strip()
            if current is not None and not current.answer:
                # Two question lines in a row: one question written over two lines.
                current.question = f"{current.question} {question}"
                current.question_lines = (current.question_lines[0], number)
                continue
            current = Record(question=question, question_lines=(number, number))
            records.append(current)
        elif kind == BREAK:
            current = None
        elif current is None:
            preamble.append((number, line))
        else:
            if not current.answer:
                line = _A_PREFIX.sub("", line)
            current.answer.append((number, line))
    return [r for r in records if r.answer], preamble


# --- Markdown -------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
_CODE = re.compile(r"`([^`]*)`")


def strip_markdown(line: str) -> str:
    """Markdown inline markup to plain text: link text kept, emphasis and code ticks dropped."""
    line = _LINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    return _EMPHASIS.sub("", line).strip()


def parse_markdown(text: str) -> tuple[list[Record], list[Line]]:
    """Parse a Markdown FAQ; see the module docstring for what starts an entry."""
    plain: list[Line] = []
    heading_level: dict[int, int] = {}
    bold_questions: set[int] = set()
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            plain.append((number, line))
        elif m := _HEADING.match(line):
            heading_level[number] = len(m.group(1))
            plain.append((number, strip_markdown(m.group(2))))
        elif m := _BOLD_LINE.match(line):
            plain.append((number, strip_markdown(m.group(1))))
            if is_question_line(plain[-1][1]):
                bold_questions.add(number)
        else:
            plain.append((number, strip_markdown(line)))

    texts = dict(plain)
    starts = {n for n in heading_level if is_question_line(texts[n])} | bold_questions
    if not starts and heading_level:  # no question headings: the deepest level holds the entries
        deepest = max(heading_level.values())
        starts = {n for n, level in heading_level.items() if level == deepest}

    def kind_of(number: int, line: str) -> str:
        if starts:
            if number in starts or (_QA_PREFIX.match(line) and is_question_line(line)):
                return QUESTION
            # Headings that do not start an entry are section titles: they end the entry above.
            return BREAK if number in heading_level else TEXT
        return QUESTION if is_question_line(line) else TEXT  # no structure: question lines

    return _group(clean_lines(plain, text), kind_of)


# --- tables: JSONL, CSV, TSV ----------------------------------------------------------------------

_QUESTION_KEYS = ("question", "questions", "q")
_ANSWER_KEYS = ("answer", "answers", "a")
_ID_KEYS = ("id", "qnaid", "qna id", "entry_id")
_URL_KEYS = ("url", "source url", "link")


def _pick(row: dict, keys: tuple[str, ...]) -> str | None:
    lowered = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    for key in keys:
        value = lowered.get(key)
        if value is not None and str(value).strip():
            return str(value)
    return None


def _table_record(row: dict, first: int, last: int, where: str) -> Record | None:
    question, answer = _pick(row, _QUESTION_KEYS), _pick(row, _ANSWER_KEYS)
    if question is None or answer is None:
        return None
    question = " ".join(fix_mojibake(question).split())
    lines = [ln.strip() for ln in fix_mojibake(answer).splitlines()]
    # Every answer line of a table row cites the row's own lines.
    answer_lines = [(first, ln) for ln in lines if ln]
    if not question or not answer_lines:
        return None
    return Record(question, (first, last), answer_lines, id=_pick(row, _ID_KEYS), url=_pick(row, _URL_KEYS))


def parse_jsonl(text: str, where: str) -> list[Record]:
    """Parse JSONL rows with "question" and "answer" keys (optional "id", "url")."""
    records = []
    for number, row in json_objects(text, where, CorpusError, "question and answer"):
        record = _table_record(row, number, number, where)
        if record is None:
            raise CorpusError(f"{where}:{number}: a row needs non-empty 'question' and 'answer'")
        records.append(record)
    return records


def parse_table(text: str, where: str, delimiter: str) -> list[Record]:
    """Parse CSV or TSV with Question and Answer columns (header names are case-insensitive)."""
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not any(k in header for k in _QUESTION_KEYS) or not any(k in header for k in _ANSWER_KEYS):
        raise CorpusError(f"{where}:1: a table needs 'Question' and 'Answer' columns, found {header}")
    records = []
    first = reader.line_num + 1
    try:
        for row in reader:
            record = _table_record(row, first, reader.line_num, where)
            if record is not None:
                records.append(record)
            first = reader.line_num + 1
    except csv.Error as exc:
        raise CorpusError(f"{where}:{reader.line_num}: {exc}") from None
    return records


def sniff_delimiter(text: str, default: str = ",") -> str:
    first_line = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first_line.count) if first_line else default


__all__ = [
    "GlueSplitter",
    "Record",
    "is_question_line",
    "parse_jsonl",
    "parse_markdown",
    "parse_table",
    "parse_text",
    "sniff_delimiter",
    "strip_markdown",
]
