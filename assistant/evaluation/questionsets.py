"""Read evaluation question sets (JSONL, CSV, TSV) into `Question`s, and match what each expects to
FAQ entries.

A question expects FAQ entries, written as an entry id, the FAQ question's text, or the answer's text
(or a list of them), or nothing at all: an out-of-scope question the assistant should not answer.
No ML imports here: a malformed file is reported before any model loads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import MAX_HISTORY
from ..errors import QuestionSetError
from ..ingest.entry import Entry
from ..ingest.jsonl import json_objects
from ..text import question_key

_QUERY_KEYS = ("query", "question")
_EXPECTED_KEYS = ("expected", "relevant")
_ID_KEYS = ("qid", "id")
# Table headers, lower-cased: the question, then the expected entry (Azure question answering's
# batch tests call it "Expected answer" or "Expected answer ID").
_QUERY_COLUMNS = ("question", "query", "questions")
_EXPECTED_COLUMNS = ("expected", "expected answer", "expected answer id", "expected question", "expected id",
                     "relevant", "answer")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv"}


@dataclass(frozen=True)
class Question:
    """One question to ask, as it stands in the question set.

    Attributes:
        query: what the user asks.
        expected: what should answer it, as written in the file (entry ids, FAQ question or answer
            texts); empty for an out-of-scope question, which the assistant should not answer.
        line: the 1-based line of the question set it comes from.
        history: the earlier turns of its conversation it is asked with, oldest first: the last
            `MAX_HISTORY`, as the chat keeps them (empty for a single question).
        qid: the row's own id, when it has one (`qid` or `id`).
        relevant: the ids of the entries that answer it, once `QuestionSet.resolve` has matched
            `expected` against the FAQ.
        turn: 1 for a question that opens a conversation, 2 for the next turn, and so on.
    """

    query: str
    expected: tuple[str, ...]
    line: int
    history: tuple[str, ...] = ()
    qid: str | None = None
    relevant: tuple[str, ...] = ()
    turn: int = 1

    @property
    def in_scope(self) -> bool:
        """True when the FAQ should answer it."""
        return bool(self.expected)


@dataclass
class QuestionSet:
    """The questions of one file, in file order (the turns of a conversation one after another)."""

    path: Path
    questions: list[Question] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.questions)

    def resolve(self, entries: list[Entry]) -> QuestionSet:
        """A copy whose questions have `relevant` set to the ids of the entries they expect.

        Raises:
            QuestionSetError: an expected value matches no entry, or several different questions.
        """
        matcher = EntryMatcher(entries)
        resolved = []
        for question in self.questions:
            ids: dict[str, None] = {}
            for value in question.expected:
                try:
                    ids.update(dict.fromkeys(matcher.match(value)))
                except QuestionSetError as exc:
                    raise QuestionSetError(f"{self.path}:{question.line}: {exc}") from None
            resolved.append(replace(question, relevant=tuple(ids)))
        return QuestionSet(self.path, resolved)


class EntryMatcher:
    """Finds the entries an expected value names: by id, by question or answer text (equal after
    `question_key`), by the question's words alone (a question set written from the rendered page says
    "a leading / fails" where the source says "a leading `/` fails"), else by the start of a question
    or answer (a word-aligned prefix: an FAQ question may carry a longer tail, such as the error
    message it asks about)."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_id = {e.id: e for e in entries}
        self._questions = [question_key(e.question) for e in entries]
        self._answers = [question_key(e.answer) for e in entries]
        self._equal: list[dict[str, list[str]]] = [{}, {}]  # normalised question / answer -> ids
        self._words: dict[str, list[str]] = {}
        for entry, question, answer in zip(entries, self._questions, self._answers):
            self._equal[0].setdefault(question, []).append(entry.id)
            self._equal[1].setdefault(answer, []).append(entry.id)
            self._words.setdefault(_words(question), []).append(entry.id)

    def match(self, value: str) -> list[str]:
        """The ids of the entries `value` names.

        Raises:
            QuestionSetError: nothing matches, or a prefix matches several different questions.
        """
        if value in self._by_id:
            return [value]
        key = question_key(value)
        for equal in self._equal:
            if key in equal:
                return list(equal[key])
        if _words(key) in self._words and _words(key):
            return list(self._words[_words(key)])
        for texts in (self._questions, self._answers):
            found = [i for i, text in enumerate(texts) if _starts_with(text, key)]
            questions = {self._questions[i] for i in found}
            if len(questions) > 1:
                shown = "; ".join(sorted(self.entries[i].question for i in found)[:3])
                raise QuestionSetError(f"expected {value!r} is the start of {len(questions)} different FAQ "
                                       f"questions ({shown}); give the whole question or the entry id")
            if found:
                return [self.entries[i].id for i in found]
        raise QuestionSetError(f"expected {value!r} matches no FAQ entry (by id, question or answer text)")


def _words(text: str) -> str:
    """Only the words of `text` (marks such as backticks, asterisks and slashes left out)."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def _starts_with(text: str, prefix: str) -> bool:
    if not prefix or not text.startswith(prefix):
        return False
    return len(text) == len(prefix) or not text[len(prefix)].isalnum()


# --- reading --------------------------------------------------------------------------------------


def read_question_set(path: str | Path) -> QuestionSet:
    """Read a question set: JSONL (`.jsonl`, `.ndjson`, `.json`), CSV or TSV.

    JSONL rows are `{"query": ..., "expected": ...}` (or `"relevant": [ids]`), where expected is an
    entry id, FAQ question or answer text, a list of them, or null for an out-of-scope question; or
    multi-turn `{"turns": [q1, q2, ...], "expected": [e1, e2, ...]}`. Tables need a Question column
    and an Expected column (`Expected answer`, `Expected answer ID`, ...); an empty cell means out
    of scope, and other columns (Top, metadata) are ignored.

    Raises:
        QuestionSetError: the file is missing or unreadable; the message names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise QuestionSetError(f"question set not found: {path}")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise QuestionSetError(f"{path}: unsupported question set type; use one of {', '.join(SUFFIXES)}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QuestionSetError(f"{path}:{line}: not UTF-8 text (byte {exc.start})") from None
    if kind == "jsonl":
        questions = _parse_jsonl(text, path)
    else:
        delimiter = "\t" if kind == "tsv" else _sniff(text)
        questions = _parse_table(text, path, delimiter)
    if not questions:
        raise QuestionSetError(f"{path}: no questions found")
    return QuestionSet(path, questions)


def _expected(value, where: str) -> tuple[str, ...]:
    """An expected value as a tuple of strings: () for null or [], one item for a string or id."""
    if value is None:
        return ()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
        if not text:
            raise QuestionSetError(f"{where}: expected is empty; use null for an out-of-scope question")
        return (text,)
    if isinstance(value, list):
        items: list[str] = []
        for item in value:
            if item is None or isinstance(item, list):
                raise QuestionSetError(f"{where}: a list of expected entries holds ids or texts, not {item!r}")
            items.extend(_expected(item, where))
        return tuple(dict.fromkeys(items))
    raise QuestionSetError(f"{where}: expected must be a question text, an entry id, a list of them or null, "
                           f"not {type(value).__name__}")


def _query(value, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise QuestionSetError(f"{where}: {name} must be non-empty text")
    return value.strip()


def _pick(row: dict, keys: tuple[str, ...]):
    for key in keys:
        if key in row:
            return key, row[key]
    return None, None


def _parse_jsonl(text: str, path: Path) -> list[Question]:
    questions: list[Question] = []
    for number, row in json_objects(text, str(path), QuestionSetError, "query and expected"):
        where = f"{path}:{number}"
        qid = next((str(row[k]) for k in _ID_KEYS if row.get(k) is not None), None)
        if "turns" in row:
            questions.extend(_conversation(row, where, number, qid))
            continue
        key, query = _pick(row, _QUERY_KEYS)
        if key is None:
            raise QuestionSetError(f"{where}: a row needs 'query' (or 'turns' for a conversation)")
        key, expected = _pick(row, _EXPECTED_KEYS)
        if key is None:
            raise QuestionSetError(f"{where}: a row needs 'expected' (null when the FAQ does not answer it) "
                                   "or 'relevant'")
        questions.append(Question(_query(query, where, "query"), _expected(expected, where), number, qid=qid))
    return questions


def _conversation(row: dict, where: str, number: int, qid: str | None) -> list[Question]:
    turns, expected = row.get("turns"), row.get("expected", row.get("relevant"))
    if not isinstance(turns, list) or not turns:
        raise QuestionSetError(f"{where}: 'turns' must be a non-empty list of questions")
    if not isinstance(expected, list) or len(expected) != len(turns):
        raise QuestionSetError(f"{where}: 'expected' must be a list with one item per turn "
                               f"({len(turns)} turns)")
    texts = [_query(turn, where, f"turn {i}") for i, turn in enumerate(turns, start=1)]
    return [
        Question(text, _expected(value, f"{where}: turn {i + 1}"), number,
                 history=tuple(texts[max(0, i - MAX_HISTORY) : i]), qid=qid, turn=i + 1)
        for i, (text, value) in enumerate(zip(texts, expected))
    ]


def _sniff(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first_line.count) if first_line else ","


def _parse_table(text: str, path: Path, delimiter: str) -> list[Question]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = {(h or "").strip().lower(): h for h in (reader.fieldnames or [])}
    query_column = next((header[k] for k in _QUERY_COLUMNS if k in header), None)
    expected_column = next((header[k] for k in _EXPECTED_COLUMNS if k in header), None)
    if query_column is None or expected_column is None:
        raise QuestionSetError(f"{path}:1: a question set table needs a 'Question' column and an 'Expected' "
                               f"(or 'Expected answer') column, found {list(header)}")
    id_column = next((header[k] for k in _ID_KEYS if k in header), None)
    questions = []
    first = reader.line_num + 1
    try:
        for row in reader:
            where = f"{path}:{first}"
            query = row.get(query_column)
            if query is None or not query.strip():
                if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    raise QuestionSetError(f"{where}: the Question cell is empty")
            else:
                expected = _expected((row.get(expected_column) or "").strip() or None, where)
                qid = (row.get(id_column) or "").strip() or None if id_column else None
                questions.append(Question(query.strip(), expected, first, qid=qid))
            first = reader.line_num + 1
    except csv.Error as exc:
        raise QuestionSetError(f"{path}:{reader.line_num}: {exc}") from None
    return questions
