"""Python objects in, entries out: an FAQ given as dicts or `Entry` objects (rows of a database, pages
of a CMS) rather than files, checked and read the way a JSONL row is read, so that it ranks exactly as
the same FAQ given as a JSONL file; and the entry list after some are added, replaced or removed.

A dict holds `question` and `answer` (strings), and optionally `id`, `url`, `title` (strings) and
`alternates` (a list of strings). Without an id, an entry's id is the slug of its question, so
adding the same question again replaces its answer. `Entry` objects are taken as they are.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from ..errors import EntryError
from .answer_text import render_blocks
from .cleaning import fix_mojibake
from .corpus import _slug
from .document import line_block
from .entry import Entry
from .lines import split_lines

# What `Retriever.from_entries` and `Retriever.add` take: a dict of an entry's fields, or an Entry.
EntryLike = Mapping[str, object] | Entry

REQUIRED = ("question", "answer")
OPTIONAL = ("id", "url", "title", "alternates")
# Every line of an entry given as an object cites line 1 of its source (the entry's id): like a JSONL
# row, it has no lines of its own.
LINE = 1


def _name(position: int, item: object) -> str:
    """How a message names an entry: its place in the list, and its id or question when it has one."""
    where = f"entries[{position}]"
    fields = dataclasses.asdict(item) if isinstance(item, Entry) else item if isinstance(item, Mapping) else {}
    for key in ("id", "question"):
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            shown = value if len(value) <= 60 else value[:57] + "..."
            return f"{where} ({key} {shown!r})"
    return where


def _text(fields: Mapping[str, object], key: str, name: str, required: bool) -> str | None:
    value = fields.get(key)
    if value is None:
        if required:
            raise EntryError(f"{name} has no {key!r}; every entry needs a question and an answer")
        return None
    if not isinstance(value, str):
        raise EntryError(f"{name}: {key!r} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise EntryError(f"{name}: {key!r} is empty")
    return value


def _alternates(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise EntryError(f"{name}: 'alternates' must be a list of strings, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise EntryError(f"{name}: 'alternates' must be a list of strings; it holds a {type(item).__name__}")
    # Read as a JSONL row's alternates are (readers/tables.py).
    return tuple(" ".join(fix_mojibake(v).split()) for v in value if v.strip())


def _from_mapping(fields: Mapping[str, object], name: str) -> tuple[str | None, Entry]:
    """The entry a dict describes, and its explicit id (None when the id is the question's slug)."""
    unknown = sorted(str(k) for k in fields if k not in REQUIRED + OPTIONAL)
    if unknown:
        raise EntryError(f"{name}: unknown field {unknown[0]!r}; an entry has {', '.join(REQUIRED + OPTIONAL)}")
    question = _text(fields, "question", name, required=True)
    answer = _text(fields, "answer", name, required=True)
    explicit_id = _text(fields, "id", name, required=False)
    url = _text(fields, "url", name, required=False)
    title = _text(fields, "title", name, required=False)
    alternates = _alternates(fields.get("alternates"), name)
    assert question is not None and answer is not None  # required: _text raised otherwise
    # The same reading as a JSONL row's (readers/tables.py): mojibake repaired, the question's spacing
    # collapsed, each answer line stripped and kept, so the FAQ ranks as it does from a file.
    question = " ".join(fix_mojibake(question).split())
    lines = [line.strip() for line in split_lines(fix_mojibake(answer))]
    rendered = render_blocks([line_block(LINE, line) for line in lines if line], url, repair=False)
    entry_id = explicit_id or _slug(question)
    entry = Entry(id=entry_id, question=question, answer=rendered.text, source=entry_id, start_line=LINE,
                  end_line=LINE, url=url, title=title, line_offsets=tuple(rendered.line_offsets),
                  marks=tuple(rendered.marks), alternates=alternates)
    return explicit_id, entry


def _from_entry(entry: Entry, name: str) -> Entry:
    """An Entry as given, checked, with its sequences made tuples (so it can be hashed and compared)."""
    fields = dataclasses.asdict(entry)
    for key in ("id", "question", "answer", "source"):
        _text(fields, key, name, required=True)
    alternates = tuple(entry.alternates)
    if not all(isinstance(a, str) for a in alternates):
        raise EntryError(f"{name}: 'alternates' must be a list of strings")
    offsets = tuple((int(start), int(line)) for start, line in entry.line_offsets)
    return dataclasses.replace(entry, line_offsets=offsets, marks=tuple(entry.marks), alternates=alternates)


def read_entries(items: Iterable[EntryLike], allow_empty: bool = False) -> list[Entry]:
    """Check and read entries given as Python objects, all of them before any is used.

    Args:
        items: dicts (question, answer; optional id, url, title, alternates) or `Entry` objects.
        allow_empty: an empty list is no entries rather than an error.

    Returns:
        The entries, in order, their ids unique. An id left out is the question's slug; when two
        questions give one slug, the later gets "-2", "-3" (as files do).

    Raises:
        EntryError: naming the first entry that is not a dict or Entry, lacks a question or an answer,
            has a field that is not a string or is unknown, or repeats another's id.
    """
    if isinstance(items, (str, bytes, Mapping, Entry)) or not isinstance(items, Iterable):
        raise EntryError(f"give the entries as a list of dicts or Entry objects, not one {type(items).__name__}")
    read: list[tuple[str | None, Entry]] = []
    for position, item in enumerate(items):
        name = _name(position, item)
        if isinstance(item, Entry):
            entry = _from_entry(item, name)
            read.append((entry.id, entry))
        elif isinstance(item, Mapping):
            read.append(_from_mapping(item, name))
        else:
            raise EntryError(f"{name} is a {type(item).__name__}; give a dict with a question and an answer, "
                             "or an Entry")
    if not read and not allow_empty:
        raise EntryError("no entries given: an FAQ needs at least one question and answer")
    first: dict[str, int] = {}
    for position, (explicit_id, _) in enumerate(read):
        if explicit_id is None:
            continue
        if explicit_id in first:
            raise EntryError(f"entries[{position}] has the id {explicit_id!r} of entries[{first[explicit_id]}]; "
                             "ids must be unique")
        first[explicit_id] = position
    taken = set(first)
    entries = []
    for explicit_id, entry in read:
        if explicit_id is None:
            entry_id, n = entry.id, 1
            while entry_id in taken:  # one question with several answers: each stays distinct
                n += 1
                entry_id = f"{entry.id}-{n}"
            taken.add(entry_id)
            entry = dataclasses.replace(entry, id=entry_id, source=entry_id)
        entries.append(entry)
    return entries


def read_ids(ids: Iterable[str]) -> list[str]:
    """Entry ids to remove, checked.

    Raises:
        EntryError: `ids` is one string rather than a list, or holds something that is not a string.
    """
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise EntryError(f"give the ids as a list of strings, not one {type(ids).__name__}")
    ids = list(ids)
    for position, entry_id in enumerate(ids):
        if not isinstance(entry_id, str):
            raise EntryError(f"ids[{position}] must be a string, not {type(entry_id).__name__}")
    return ids


@dataclass(frozen=True)
class Merged:
    """An entry list after some entries were added or replaced: the entries, and which ids changed."""

    entries: list[Entry]
    added: tuple[str, ...]
    replaced: tuple[str, ...]


def merge(current: list[Entry], new: list[Entry]) -> Merged:
    """`current` with `new` in it: an entry whose id is already there replaces that one in its place,
    the others are appended in order. An entry equal to the one it replaces changes nothing."""
    position = {e.id: i for i, e in enumerate(current)}
    entries = list(current)
    added, replaced = [], []
    for entry in new:
        at = position.get(entry.id)
        if at is None:
            position[entry.id] = len(entries)
            entries.append(entry)
            added.append(entry.id)
        elif entries[at] != entry:
            entries[at] = entry
            replaced.append(entry.id)
    return Merged(entries, tuple(added), tuple(replaced))


def without(current: list[Entry], ids: Collection[str]) -> list[Entry]:
    """`current` without the entries of `ids`.

    Raises:
        EntryError: an id is not in `current`, or every entry would go.
    """
    known = {e.id for e in current}
    missing = [i for i in ids if i not in known]
    if missing:
        raise EntryError(f"no entry has the id {missing[0]!r}; nothing was removed")
    gone = set(ids)
    kept = [e for e in current if e.id not in gone]
    if not kept:
        raise EntryError("cannot remove every entry: an FAQ needs at least one; nothing was removed")
    return kept


def fingerprint(entries: list[Entry]) -> str:
    """A hash of every entry's fields, in order: what the manifest records as the corpus of an index
    built from objects."""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(json.dumps(entry.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
