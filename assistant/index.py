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

A build writes a complete new folder beside the old one and swaps it in with two renames, so a
build that dies leaves the previous index in place; a lock file keeps two builds apart, and the next
build removes what a killed one left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np

from . import __version__
from .acronyms import find_acronyms
from .chunking import Passage, chunk_entry, sentence_spans
from .corpus import Corpus, Entry, corpus_files, fingerprint, load_corpus
from .errors import IndexFileError
from .lexical import LexicalIndex
from .vector_index import EXACT_LIMIT, index_kind, index_params, make_faiss_index  # noqa: F401
from .vector_index import read as read_faiss

FORMAT_VERSION = 3  # 2: acronyms.json; 3: the manifest records each file's size and sha256
MANIFEST = "manifest.json"
INDEX_FILES = frozenset({MANIFEST, "index.faiss", "views.npy", "entries.jsonl", "passages.jsonl", "lexical",
                         "acronyms.json"})
REBUILD = "rebuild with `assistant build`"
VIEW_DTYPE = np.dtype([("kind", "i1"), ("owner", "i4"), ("start", "i4"), ("end", "i4"), ("hash", "u8")])


class View(IntEnum):
    """What a vector stands for. QUESTION and CENTROID are owned by a question group, PASSAGE and
    SENTENCE by an entry."""

    QUESTION = 0  # the question text
    PASSAGE = 1  # question + one passage of the answer
    SENTENCE = 2  # one sentence of the answer (start, end: its span in the answer)
    CENTROID = 3  # the normalised mean of a group's passage vectors


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


def _text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def question_groups(entries: list[Entry]) -> np.ndarray:
    """Group index per entry: entries with the same question (case and spacing aside) share one."""
    keys: dict[str, int] = {}
    return np.array([keys.setdefault(" ".join(e.question.lower().split()), len(keys)) for e in entries],
                    dtype=np.int32)


def view_texts(entries: list[Entry], passages: list[Passage], group_of: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The texts to embed (every view but centroids) and their view rows."""
    texts, rows = [], []
    seen_groups: set[int] = set()
    for i, entry in enumerate(entries):
        group = int(group_of[i])
        if group not in seen_groups:
            seen_groups.add(group)
            texts.append(entry.question)
            rows.append((View.QUESTION, group, 0, 0))
    entry_index = {e.id: i for i, e in enumerate(entries)}
    for p_index, passage in enumerate(passages):
        entry = entries[entry_index[passage.entry_id]]
        texts.append(f"{entry.question}\n{passage.text}")
        rows.append((View.PASSAGE, entry_index[passage.entry_id], p_index, p_index))
    for i, entry in enumerate(entries):
        for start, end in sentence_spans(entry.answer):
            sentence = entry.answer[start:end].strip()
            if sentence:
                texts.append(sentence)
                rows.append((View.SENTENCE, i, start, end))
    views = np.zeros(len(rows), dtype=VIEW_DTYPE)
    for n, (row, text) in enumerate(zip(rows, texts)):
        views[n] = (*row, _text_hash(text))
    return texts, views


def _centroids(vectors: np.ndarray, views: np.ndarray, group_of: np.ndarray, groups: int) -> np.ndarray:
    passages = views["kind"] == View.PASSAGE
    sums = np.zeros((groups, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, group_of[views["owner"][passages]], vectors[passages])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1)).astype(np.float32)


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


# --- build ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _build_lock(target: Path, wait: bool = True):
    """Hold the lock that keeps builds of `target` apart. Yields False, without waiting, when `wait`
    is off and a build holds it."""
    import fcntl

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _recover(target: Path) -> None:
    """Put back an index that a build killed between its two renames left aside (lock held)."""
    if target.exists():
        return
    aside = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if aside:
        os.replace(aside[-1], target)


def _recover_unless_building(target: Path) -> None:
    """`_recover` for a reader: only when no build holds the lock, since a running build may be
    between its two renames at this moment."""
    if target.exists() or not any(target.parent.glob(f".{target.name}.old-*")):
        return
    with contextlib.suppress(OSError), _build_lock(target, wait=False) as locked:
        if locked:
            _recover(target)


def _remove_leftovers(target: Path) -> None:
    """Remove the staging folders and set-aside indexes of builds that were killed (lock held)."""
    leftovers = list(target.parent.glob(f".{target.name}.tmp-*"))
    if target.exists():
        leftovers += target.parent.glob(f".{target.name}.old-*")
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def _is_index_folder(folder: Path) -> bool:
    """An index, even a damaged one (only index files in it), or an empty folder."""
    return (folder / MANIFEST).exists() or all(p.name in INDEX_FILES or p.name.startswith(".")
                                               for p in folder.iterdir())


def _swap_in(staging: Path, target: Path) -> None:
    if target.exists():
        if not _is_index_folder(target):
            raise IndexFileError(
                f"{target} holds files that are not an index; give --index an empty or new folder"
            )
        aside = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, aside)
        os.replace(staging, target)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(staging, target)


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
    with _build_lock(target):
        _recover(target)
        _remove_leftovers(target)
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
        all_vectors = np.vstack([vectors, _centroids(vectors, views, group_of, groups)])
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(2**20):
            digest.update(block)
    return digest.hexdigest()


def _data_files(folder: Path) -> dict[str, Path]:
    """The index's files by relative path: every file but the manifest and hidden ones."""
    files = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and rel.as_posix() != MANIFEST and not any(p.startswith(".") for p in rel.parts):
            files[rel.as_posix()] = path
    return files


def file_table(folder: Path) -> dict[str, dict]:
    """Size and sha256 of every file of an index folder but the manifest, by relative path."""
    return {name: {"bytes": path.stat().st_size, "sha256": _sha256(path)}
            for name, path in sorted(_data_files(folder).items())}


def check_files(directory: Path | str, manifest: dict) -> None:
    """Check that every file of the index is the one its build wrote: same size, then same sha256.

    Runs before FAISS, numpy or bm25s read anything: a damaged or edited file could otherwise make them
    allocate memory its header claims (FAISS tries, on an edited size field), or read as wrong data.

    Raises:
        IndexFileError: naming the file that is missing, extra, truncated or changed.
    """
    directory = Path(directory)
    recorded = manifest.get("files")
    if not isinstance(recorded, dict) or not {"index.faiss", "views.npy", "entries.jsonl",
                                              "passages.jsonl"} <= recorded.keys():
        raise IndexFileError(f"{directory / MANIFEST} does not list the index files and their checksums; {REBUILD}")
    on_disk = _data_files(directory)
    for name in sorted(recorded.keys() | on_disk.keys()):
        path, record = directory / name, recorded.get(name)
        if name not in on_disk:
            raise IndexFileError(f"{path} is missing; {REBUILD}")
        if not isinstance(record, dict):
            raise IndexFileError(f"{path} is not listed in {MANIFEST}, so it is not part of this index; remove "
                                 f"it or {REBUILD}")
        size = path.stat().st_size
        if size != record.get("bytes"):
            raise IndexFileError(
                f"{path} has {size} bytes but {MANIFEST} says {record.get('bytes')}: it was truncated or "
                f"changed after the build; {REBUILD}"
            )
        if _sha256(path) != record.get("sha256"):
            raise IndexFileError(f"{path} was changed after the build (its sha256 differs from {MANIFEST}); {REBUILD}")


def _read_jsonl(path: Path, expected: int, make) -> list:
    rows = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                rows.append(make(json.loads(line)))
    except FileNotFoundError:
        raise IndexFileError(f"{path} is missing; rebuild with `assistant build`") from None
    except (json.JSONDecodeError, TypeError, KeyError, ValueError, AttributeError, UnicodeDecodeError) as exc:
        where = f"{path}:{len(rows) + 1}"
        raise IndexFileError(f"{where} is damaged ({exc}); rebuild with `assistant build`") from None
    if len(rows) != expected:
        raise IndexFileError(
            f"{path} has {len(rows)} rows but the manifest says {expected}; rebuild with `assistant build`"
        )
    return rows


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexFileError(f"no index at {directory} (no {MANIFEST}); build one with `assistant build`") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexFileError(f"{path} is not valid JSON ({exc}); rebuild with `assistant build`") from None
    if not isinstance(manifest, dict):
        raise IndexFileError(f"{path} is not a JSON object; rebuild with `assistant build`")
    required = {"format_version": int, "model": str, "dimension": int, "counts": dict}
    for key, kind in required.items():
        if not isinstance(manifest.get(key), kind):
            raise IndexFileError(f"{path}: '{key}' is missing or wrong; rebuild with `assistant build`")
    return manifest


def _manifest_bytes(directory: Path) -> bytes | None:
    try:
        return (directory / MANIFEST).read_bytes()
    except OSError:
        return None


def _building(directory: Path) -> bool:
    """True while a build of `directory` holds its lock."""
    if not (directory.parent / f".{directory.name}.lock").exists():
        return False
    try:
        with _build_lock(directory, wait=False) as locked:
            return not locked
    except OSError:
        return False


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
    _recover_unless_building(directory)
    for attempt in range(1, attempts + 1):
        before = _manifest_bytes(directory)
        try:
            data = _load(directory)
            if _manifest_bytes(directory) == before:
                return data
        except (IndexFileError, OSError) as exc:
            swapped = _manifest_bytes(directory) != before
            if attempt == attempts or not (swapped or _building(directory)):
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
            f"{manifest['dimension']}; rebuild with `assistant build`"
        )
    if vectors.ntotal != counts.get("vectors"):
        raise IndexFileError(
            f"{faiss_path} holds {vectors.ntotal} vectors but the manifest says {counts.get('vectors')}; "
            "rebuild with `assistant build`"
        )
    try:
        views = np.load(directory / "views.npy", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise IndexFileError(f"{directory / 'views.npy'} is missing or damaged ({exc}); rebuild") from None
    if views.dtype != VIEW_DTYPE or len(views) != vectors.ntotal:
        raise IndexFileError(f"{directory / 'views.npy'} does not match index.faiss; rebuild with `assistant build`")
    entries = _read_jsonl(directory / "entries.jsonl", counts.get("entries", -1), Entry.from_dict)
    passages = _read_jsonl(directory / "passages.jsonl", counts.get("passages", -1), lambda r: Passage(**r))
    try:
        lexical = LexicalIndex.load(directory / "lexical")
    except (OSError, ValueError, KeyError, TypeError, EOFError, json.JSONDecodeError) as exc:
        raise IndexFileError(f"{directory / 'lexical'} is missing or damaged ({exc}); rebuild") from None
    if lexical.size != len(entries):
        raise IndexFileError(f"{directory / 'lexical'} covers {lexical.size} entries, not {len(entries)}; rebuild")
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
