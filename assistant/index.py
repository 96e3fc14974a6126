"""Build, save and load the index: FAISS vectors, entries, passages, views, BM25, and a manifest.

On disk (`index/`):
    manifest.json    what the index was built from and with: model, dimension, corpus fingerprint,
                     counts, index type, package version, creation time; the size and sha256 of
                     every other file, checked before any of them is read
    index.faiss      one vector per view of an entry (see `View`); written by faiss.write_index
    views.npy        one row per vector: its kind, owner, character span and text hash (no pickle)
    entries.jsonl    the FAQ entries, one JSON object a line
    passages.jsonl   the passages answers were chunked into
    lexical/         the BM25 index (bm25s: JSON + .npy)
    acronyms.json    abbreviations the corpus defines ("Platform-managed key (PMK)"), for expansion

What is embedded is in `views.py`; how the folder is swapped in atomically and checked, in
`folder.py`; the FAISS index itself, in `vector_index.py`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .acronyms import find_acronyms
from .chunking import Passage, chunk_entry
from .corpus import Corpus, Entry, corpus_files, fingerprint, load_corpus
from .errors import IndexFileError
from .folder import (  # noqa: F401  (check_files, file_table: part of this module's API)
    MANIFEST,
    REBUILD,
    build_lock,
    building,
    check_files,
    file_table,
    manifest_bytes,
    recover,
    recover_unless_building,
    remove_leftovers,
)
from .folder import swap_in as _swap_in  # a module global, so a test can stand in for it
from .lexical import LexicalIndex
from .vector_index import EXACT_LIMIT, index_kind, index_params, make_faiss_index  # noqa: F401
from .vector_index import read as read_faiss
from .views import VIEW_DTYPE, View, centroids, question_groups, view_texts  # noqa: F401

FORMAT_VERSION = 3  # 2: acronyms.json; 3: the manifest records each file's size and sha256


@dataclass
class IndexData:
    """An index in memory. `group_of[i]` is the question group of entry i: entries whose questions
    are the same text share a group (one question with several answers)."""

    directory: Path
    manifest: dict
    entries: list[Entry]
    passages: list[Passage]
    group_of: np.ndarray
    views: np.ndarray
    vectors: object  # faiss.Index
    lexical: LexicalIndex
    acronyms: dict[str, str]

    @property
    def group_count(self) -> int:
        return int(self.group_of.max()) + 1 if len(self.group_of) else 0


# --- staleness ------------------------------------------------------------------------------------


def staleness(manifest: dict, corpus: Path | None, model: str) -> str | None:
    """Why an index no longer matches its corpus or model, or None when it is current."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return f"index format {manifest.get('format_version')} (this version reads {FORMAT_VERSION})"
    if manifest.get("model") != model:
        return f"built with model {manifest.get('model')!r}, asked for {model!r}"
    if corpus is not None and Path(corpus).exists():
        files, _ = corpus_files(Path(corpus))
        current = fingerprint(files, Path(corpus))
        if manifest.get("corpus", {}).get("fingerprint") != current:
            return f"the corpus at {corpus} changed since the index was built"
    return None


def open_current(directory: Path | str, corpus: Path | str | None, model: str) -> tuple[IndexData | None, str | None]:
    """The index at `directory` if it is current for `corpus` and `model` and whole: (data, None);
    otherwise (None, why not)."""
    try:
        reason = staleness(read_manifest(Path(directory)), corpus, model)
        return (load_index(directory), None) if reason is None else (None, reason)
    except IndexFileError as exc:
        return None, str(exc)


# --- build ----------------------------------------------------------------------------------------


def _reusable_vectors(target: Path, model: str) -> dict[int, np.ndarray]:
    """Vectors of the previous index by text hash, so an edit re-embeds only what changed."""
    try:
        old = load_index(target, attempts=1)  # the build lock is held: nothing else changes it
    except (IndexFileError, OSError):
        return {}
    if old.manifest.get("model") != model:
        return {}
    vectors = old.vectors.reconstruct_n(0, old.vectors.ntotal)
    keep = old.views["kind"] != View.CENTROID
    return dict(zip(old.views["hash"][keep].tolist(), vectors[keep]))


def build_index(corpus: Corpus | Path | str, target: Path | str, embedder, index_type: str = "auto",
                progress=None) -> IndexData:
    """Embed a corpus and write its index to `target`, atomically.

    Args:
        corpus: a loaded Corpus, or the folder/file to load.
        target: the index folder; replaced as a whole when the build succeeds.
        embedder: an `Embedder` (or anything with name, dimension, max_tokens, count_tokens, embed).
        index_type: "flat", "hnsw" or "auto".
        progress: optional callable(done, total) called as texts are embedded.

    Returns:
        The new index, loaded.
    """
    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus)
    target = Path(target)
    with build_lock(target):
        recover(target)
        remove_leftovers(target)
        entries = corpus.entries
        passages = [p for e in entries for p in chunk_entry(e, embedder.max_tokens, embedder.count_tokens)]
        group_of = question_groups(entries)
        texts, views = view_texts(entries, passages, group_of)

        known = _reusable_vectors(target, embedder.name) if target.exists() else {}
        vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
        todo = []
        for i, text_hash in enumerate(views["hash"].tolist()):
            vector = known.get(text_hash)
            if vector is not None and len(vector) == embedder.dimension:
                vectors[i] = vector
            else:
                todo.append(i)
        step = 256
        for start in range(0, len(todo), step):
            batch = todo[start : start + step]
            vectors[batch] = embedder.embed([texts[i] for i in batch])
            if progress:
                progress(min(start + step, len(todo)), len(todo))

        groups = int(group_of.max()) + 1
        centroid_views = np.zeros(groups, dtype=VIEW_DTYPE)
        centroid_views["kind"] = View.CENTROID
        centroid_views["owner"] = np.arange(groups)
        all_vectors = np.vstack([vectors, centroids(vectors, views, group_of, groups)])
        all_views = np.concatenate([views, centroid_views])

        faiss_index = make_faiss_index(all_vectors, index_type)
        lexical = LexicalIndex.build([f"{e.question}\n{e.answer}" for e in entries])
        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": __version__,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "model": embedder.name,
            "dimension": int(embedder.dimension),
            "normalized": True,
            "metric": "inner_product",
            "index_type": index_kind(faiss_index),
            "index_params": index_params(faiss_index),
            "max_tokens": int(embedder.max_tokens),
            "corpus": {
                "root": str(corpus.root),
                "fingerprint": corpus.fingerprint,
                "files": [Path(f).name for f in corpus.files],
            },
            "counts": {
                "entries": len(entries), "passages": len(passages), "groups": groups,
                "vectors": int(faiss_index.ntotal), "embedded": len(todo), "reused": len(texts) - len(todo),
            },
            "warnings": corpus.warnings,
        }
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            acronyms = find_acronyms(f"{e.question}\n{e.answer}" for e in entries)
            _write(staging, manifest, entries, passages, all_views, faiss_index, lexical, acronyms)
            _swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return load_index(target)


def _write(folder: Path, manifest, entries, passages, views, faiss_index, lexical, acronyms) -> None:
    import faiss

    faiss.write_index(faiss_index, str(folder / "index.faiss"))
    np.save(folder / "views.npy", views, allow_pickle=False)
    with open(folder / "entries.jsonl", "w", encoding="utf-8") as out:
        for entry in entries:
            out.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as out:
        for passage in passages:
            out.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
    lexical.save(folder / "lexical")
    (folder / "acronyms.json").write_text(json.dumps(acronyms, indent=1, ensure_ascii=False), encoding="utf-8")
    manifest["files"] = file_table(folder)
    # The manifest goes last: a folder with a manifest is complete.
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


# --- load -----------------------------------------------------------------------------------------


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
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexFileError(f"no index at {directory} (no {MANIFEST}); build one with `assistant build`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexFileError(f"{path} is not valid JSON ({exc}); {REBUILD}") from None
    if not isinstance(manifest, dict):
        raise IndexFileError(f"{path} is not a JSON object; {REBUILD}")
    required = {"format_version": int, "model": str, "dimension": int, "counts": dict}
    for key, kind in required.items():
        if not isinstance(manifest.get(key), kind):
            raise IndexFileError(f"{path}: '{key}' is missing or wrong; {REBUILD}")
    return manifest


def load_index(directory: Path | str, attempts: int = 5) -> IndexData:
    """Load and cross-check an index folder.

    A build may swap a new index in while this one is read: the folder is then missing for an
    instant, or its files come from two builds. Both are caught (the manifest is read again at the
    end and must not have changed) and the load is tried again, up to `attempts` times.

    Raises:
        IndexFileError: a file is missing, damaged, or disagrees with the manifest (the message names
            the file).
    """
    directory = Path(directory)
    recover_unless_building(directory)
    for attempt in range(1, attempts + 1):
        before = manifest_bytes(directory)
        try:
            data = _load(directory)
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


def _load(directory: Path) -> IndexData:
    manifest = read_manifest(directory)
    counts = manifest["counts"]
    if manifest["format_version"] != FORMAT_VERSION:
        raise IndexFileError(
            f"{directory}: index format {manifest['format_version']}, expected {FORMAT_VERSION}; {REBUILD}"
        )
    check_files(directory, manifest)
    faiss_path = directory / "index.faiss"
    try:
        vectors = read_faiss(faiss_path)  # memory-mapped where FAISS allows
    except (RuntimeError, MemoryError) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
        raise IndexFileError(f"{faiss_path} is damaged ({first}); {REBUILD}") from None
    if vectors.d != manifest["dimension"]:
        raise IndexFileError(
            f"{faiss_path} holds {vectors.d}-dimensional vectors but the manifest says "
            f"{manifest['dimension']}; {REBUILD}"
        )
    if vectors.ntotal != counts.get("vectors"):
        raise IndexFileError(
            f"{faiss_path} holds {vectors.ntotal} vectors but the manifest says {counts.get('vectors')}; "
            f"{REBUILD}"
        )
    try:
        views = np.load(directory / "views.npy", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise IndexFileError(f"{directory / 'views.npy'} is missing or damaged ({exc}); {REBUILD}") from None
    if views.dtype != VIEW_DTYPE or len(views) != vectors.ntotal:
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
