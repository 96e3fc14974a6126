"""Changing an index entry by entry: the index of a new entry list is made from the one it changes, so
only texts that changed are embedded, and every view, the BM25 index and the acronyms are made anew
from the new list (they cannot disagree with it). An index that lives in a folder and was built from
entries is written back atomically; one built from corpus files mirrors its files, so it changes in
memory only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..ingest.entry import Entry
from ..ingest.objects import fingerprint
from .build import index_entries, known_vectors, save_entries
from .store import FROM_ENTRIES, IndexData, built_from_entries
from .vectors import EXACT_LIMIT


@dataclass(frozen=True)
class Update:
    """What `Retriever.add` or `Retriever.remove` changed.

    Attributes:
        added, replaced, removed: the ids of the entries added, replaced (by an entry of the same id
            that differs) and removed.
        embedded: texts embedded by the model (the views of what changed); reused: vectors kept.
        index: the folder the change was written to; None when the FAQ lives in memory.
    """

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    embedded: int = 0
    reused: int = 0
    index: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed)


def entries_record(entries: list[Entry]) -> dict:
    """The manifest's record of where an index built from objects comes from."""
    return {"kind": FROM_ENTRIES, "fingerprint": fingerprint(entries), "entries": len(entries)}


def saves_to_folder(data: IndexData) -> bool:
    """True when changes to `data` are written to its folder: it was read from one, built from entries."""
    return data.directory is not None and built_from_entries(data.manifest)


def reindex(data: IndexData, entries: list[Entry], embedder, index_type: str = "auto",
            exact_limit: int = EXACT_LIMIT) -> IndexData:
    """The index of `entries`, made from `data` (same model): its vectors and passages are reused for
    texts and entries that did not change; written to `data`'s folder when `saves_to_folder(data)`.

    Raises:
        IndexFileError: the folder cannot be written, or another writer changed it since `data` was read.
    """
    record = entries_record(entries)
    if saves_to_folder(data):
        assert data.directory is not None
        return save_entries(entries, data.directory, embedder, record, previous=data, index_type=index_type,
                            exact_limit=exact_limit)
    return index_entries(entries, embedder, record, reuse=lambda hashes: known_vectors(data, hashes),
                         previous=data, index_type=index_type, exact_limit=exact_limit)
