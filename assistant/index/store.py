"""The index folder in memory: `IndexData`, read and cross-checked by `load_index`; `open_current`
says whether an index still matches its corpus and model.

On disk (`index/`):
    manifest.json    what the index was built from and with: model, dimension, corpus fingerprint,
                     counts, index type, package version, creation time; the size and sha256 of
                     every other file, checked before any of them is read
    index.faiss      one vector per view of an entry (see `views.View`)
    views.npy        one row per vector: its kind, owner, character span and text hash (no pickle)
    entries.jsonl    the FAQ entries, one JSON object a line
    passages.jsonl   the passages answers were chunked into
    lexical/         the BM25 index (bm25s: JSON + .npy)
    acronyms.json    abbreviations the corpus defines ("Platform-managed key (PMK)"), for expansion
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexFileError
from ..ingest.corpus import corpus_files, fingerprint
from ..ingest.entry import Entry
from .chunking import CHUNKING_VERSION, Passage
from .folder import (
    MANIFEST,
    REBUILD,
    building,
    check_files,
    manifest_bytes,
    read_regular_file,
    real_folder,
    recover_unless_building,
)
from .lexical import LexicalIndex
from .model_identity import model_identity
from .vectors import EXACT_LIMIT, VectorIndex
from .views import VIEW_DTYPE, View, question_groups

# 2: acronyms.json; 3: the manifest records each file's size and sha256; 4: alternate questions are
# question views and BM25 text (an index of version 3 left them out: rebuilt)
FORMAT_VERSION = 4


# manifest["corpus"]["kind"] of an index built from Python objects (`Retriever.from_entries`), which
# has no corpus files to compare with or rebuild from.
FROM_ENTRIES = "entries"


@dataclass
class IndexData:
    """An index in memory. `group_of[i]` is the question group of entry i: entries whose questions
    are the same text share a group (one question with several answers). `directory` is the folder it
    was read from, None for an index that lives in memory only."""

    directory: Path | None
    manifest: dict
    entries: list[Entry]
    passages: list[Passage]
    group_of: np.ndarray
    views: np.ndarray
    vectors: VectorIndex
    lexical: LexicalIndex
    acronyms: dict[str, str]

    @property
    def group_count(self) -> int:
        return int(self.group_of.max()) + 1 if len(self.group_of) else 0


def built_from_entries(manifest: dict) -> bool:
    """True for an index built from Python objects rather than corpus files."""
    about = manifest.get("corpus")
    return isinstance(about, dict) and about.get("kind") == FROM_ENTRIES


def staleness(manifest: dict, corpus: Path | None, model: str) -> str | None:
    """Why an index no longer matches its corpus or model, or None when it is current. An index built
    from entries has no corpus files: it is current whatever `corpus` says."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return f"index format {manifest.get('format_version')} (this version reads {FORMAT_VERSION})"
    if manifest.get("model") != model:
        return f"built with model {manifest.get('model')!r}, asked for {model!r}"
    weights = model_identity(model).sha256  # None when the model has no local files to hash
    if weights is not None and manifest.get("model_sha256") != weights:
        built = (manifest.get("model_sha256") or "not recorded")[:16]
        return f"built with other weights of model {model!r} (sha256 {built}, now {weights[:16]})"
    if manifest.get("chunking") != CHUNKING_VERSION:
        return "its answers were split into passages by other rules (an earlier version)"
    if corpus is not None and not built_from_entries(manifest) and Path(corpus).exists():
        files, _ = corpus_files(Path(corpus))
        current = fingerprint(files, Path(corpus))
        if manifest.get("corpus", {}).get("fingerprint") != current:
            return f"the corpus at {corpus} changed since the index was built"
    return None


def open_current(directory: Path | str, corpus: Path | str | None, model: str,
                 exact_limit: int = EXACT_LIMIT) -> tuple[IndexData | None, str | None]:
    """The index at `directory` if it is current for `corpus` and `model` and whole: (data, None);
    otherwise (None, why not)."""
    try:
        reason = staleness(read_manifest(Path(directory)), corpus, model)
        return (load_index(directory, exact_limit=exact_limit), None) if reason is None else (None, reason)
    except IndexFileError as exc:
        return None, str(exc)


def _read_jsonl(path: Path, expected: int, make) -> list:
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                rows.append(make(json.loads(line)))
    except FileNotFoundError:
        raise IndexFileError(f"{path} is missing; {REBUILD}") from None
    except (json.JSONDecodeError, TypeError, KeyError, ValueError, AttributeError, UnicodeDecodeError) as exc:
        where = f"{path}:{len(rows) + 1}"
        raise IndexFileError(f"{where} is damaged ({exc}); {REBUILD}") from None
    if len(rows) != expected:
        raise IndexFileError(
            f"{path} has {len(rows)} rows but the manifest says {expected}; {REBUILD}"
        )
    return rows


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(read_regular_file(path).decode("utf-8"))
    except FileNotFoundError:
        raise IndexFileError(f"no index at {directory} (no {MANIFEST}); build one with `assistant build`") from None
    except NotADirectoryError:
        raise IndexFileError(f"the index {directory} is not a folder; give --index a folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexFileError(f"{path} is not valid JSON ({exc}); {REBUILD}") from None
    except OSError as exc:
        raise IndexFileError(f"{path} cannot be read ({exc.strerror or exc}); {REBUILD}") from None
    if not isinstance(manifest, dict):
        raise IndexFileError(f"{path} is not a JSON object; {REBUILD}")
    required = {"format_version": int, "model": str, "dimension": int, "counts": dict}
    for key, kind in required.items():
        if not isinstance(manifest.get(key), kind):
            raise IndexFileError(f"{path}: '{key}' is missing or wrong; {REBUILD}")
    return manifest


def load_index(directory: Path | str, attempts: int = 5, exact_limit: int = EXACT_LIMIT) -> IndexData:
    """Load and cross-check an index folder.

    A build may swap a new index in while this one is read: the folder is then missing for an
    instant, or its files come from two builds. Both are caught (the manifest is read again at the
    end and must not have changed) and the load is tried again, up to `attempts` times.

    Raises:
        IndexFileError: a file is missing, damaged, or disagrees with the manifest (the message names
            the file).
    """
    directory = real_folder(directory)  # a symlinked index: its lock and leftovers are beside the real folder
    recover_unless_building(directory)
    for attempt in range(1, attempts + 1):
        before = manifest_bytes(directory)
        try:
            data = _load(directory, exact_limit)
            if manifest_bytes(directory) == before:
                return data
        except (IndexFileError, OSError) as exc:
            swapped = manifest_bytes(directory) != before
            if attempt == attempts or not (swapped or building(directory)):
                if isinstance(exc, OSError):  # a file vanished or cannot be read
                    raise IndexFileError(f"{directory} cannot be read ({exc}); {REBUILD}") from None
                raise
        time.sleep(0.05 * attempt)
    raise IndexFileError(f"{directory} kept changing while it was read (builds running?); try again")


def _load(directory: Path, exact_limit: int) -> IndexData:
    manifest = read_manifest(directory)
    counts = manifest["counts"]
    if manifest["format_version"] != FORMAT_VERSION:
        raise IndexFileError(
            f"{directory}: index format {manifest['format_version']}, expected {FORMAT_VERSION}; {REBUILD}"
        )
    check_files(directory, manifest)
    faiss_path = directory / "index.faiss"
    try:
        vectors = VectorIndex.read(faiss_path, exact_limit)  # memory-mapped where FAISS allows
    except (RuntimeError, MemoryError) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise IndexFileError(f"{faiss_path} is damaged ({first}); {REBUILD}") from None
    if vectors.dimension != manifest["dimension"]:
        raise IndexFileError(
            f"{faiss_path} holds {vectors.dimension}-dimensional vectors but the manifest says "
            f"{manifest['dimension']}; {REBUILD}"
        )
    if vectors.count != counts.get("vectors"):
        raise IndexFileError(
            f"{faiss_path} holds {vectors.count} vectors but the manifest says {counts.get('vectors')}; "
            f"{REBUILD}"
        )
    try:
        views = np.load(directory / "views.npy", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise IndexFileError(f"{directory / 'views.npy'} is missing or damaged ({exc}); {REBUILD}") from None
    if views.dtype != VIEW_DTYPE or len(views) != vectors.count:
        raise IndexFileError(f"{directory / 'views.npy'} does not match index.faiss; {REBUILD}")
    entries = _read_jsonl(directory / "entries.jsonl", counts.get("entries", -1), Entry.from_dict)
    passages = _read_jsonl(directory / "passages.jsonl", counts.get("passages", -1), lambda r: Passage(**r))
    try:
        lexical = LexicalIndex.load(directory / "lexical")
    except (OSError, ValueError, KeyError, TypeError, EOFError, json.JSONDecodeError) as exc:
        raise IndexFileError(f"{directory / 'lexical'} is missing or damaged ({exc}); {REBUILD}") from None
    if lexical.size != len(entries):
        raise IndexFileError(f"{directory / 'lexical'} covers {lexical.size} entries, not {len(entries)}; {REBUILD}")
    # Files that each passed their checksum but disagree with one another (a hand-edited manifest).
    entry_ids = {e.id for e in entries}
    if len(entry_ids) != len(entries) or {p.entry_id for p in passages} != entry_ids:
        raise IndexFileError(f"{directory / 'passages.jsonl'} does not match entries.jsonl; {REBUILD}")
    group_of = question_groups(entries)
    kinds, owners = views["kind"], views["owner"]
    per_entry = (kinds == View.PASSAGE) | (kinds == View.SENTENCE)
    per_group = (kinds == View.QUESTION) | (kinds == View.CENTROID)
    passage_rows = views["start"][kinds == View.PASSAGE]
    if not ((per_entry | per_group).all() and (owners >= 0).all() and (owners[per_entry] < len(entries)).all()
            and (owners[per_group] <= group_of.max(initial=-1)).all()
            and (passage_rows >= 0).all() and (passage_rows < len(passages)).all()):
        raise IndexFileError(f"{directory / 'views.npy'} points at entries or passages that do not exist; {REBUILD}")
    try:
        acronyms = json.loads((directory / "acronyms.json").read_text(encoding="utf-8"))
        if not isinstance(acronyms, dict) or not all(isinstance(v, str) for v in acronyms.values()):
            raise ValueError("not an object of strings")
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexFileError(f"{directory / 'acronyms.json'} is damaged ({exc}); {REBUILD}") from None
    return IndexData(directory, manifest, entries, passages, group_of, views, vectors, lexical, acronyms)
