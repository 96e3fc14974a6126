"""Build an index: chunk the entries, embed every view (reusing the vectors of texts that did not
change), index the vectors and the words; in memory (`index_entries`), or written to a folder
atomically (`build_index` from files, `save_entries` from entries already read).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import IndexFileError
from ..ingest.corpus import Corpus, load_corpus
from ..ingest.entry import Entry
from .acronyms import find_acronyms
from .chunking import CHUNKING_VERSION, Passage, chunk_entry
from .folder import (
    MANIFEST,
    build_lock,
    check_replaceable,
    file_table,
    make_staging,
    manifest_bytes,
    real_folder,
    recover,
    remove_leftovers,
    swap_in,
)
from .lexical import LexicalIndex
from .store import FORMAT_VERSION, IndexData, load_index
from .vectors import EXACT_LIMIT, VectorIndex
from .views import VIEW_DTYPE, View, centroids, question_groups, view_texts

# Text hashes -> the vectors already known for some of them.
VectorSource = Callable[[np.ndarray], dict[int, np.ndarray]]


def known_vectors(data: IndexData, hashes: np.ndarray) -> dict[int, np.ndarray]:
    """The vectors `data` holds for texts with these hashes (centroids are computed, never reused).
    Only the rows asked for are read: an edit to a large index copies a few vectors, not all."""
    views = data.views
    rows = np.flatnonzero(np.isin(views["hash"], hashes) & (views["kind"] != View.CENTROID))
    if not len(rows):
        return {}
    return dict(zip(views["hash"][rows].tolist(), data.vectors.reconstruct(rows)))


def _vectors_on_disk(target: Path, model: str, weights: str | None) -> VectorSource:
    """Vectors of the index at `target` by text hash, so an edit re-embeds only what changed. Only from
    the same model: the same name and the same weights (`weights`: the sha256 of its files)."""
    try:
        old = load_index(target, attempts=1)  # the build lock is held: nothing else changes it
    except (IndexFileError, OSError):
        return lambda hashes: {}
    if old.manifest.get("model") != model or old.manifest.get("model_sha256") != weights:
        return lambda hashes: {}
    return lambda hashes: known_vectors(old, hashes)


def model_weights(embedder) -> str | None:
    """The sha256 of the embedder's model files. A stand-in embedder (benchmarks' synthetic one) has
    no identity: its name is all there is."""
    identity = getattr(embedder, "identity", None)
    return identity.sha256 if identity is not None else None


def index_entries(entries: list[Entry], embedder, corpus: dict, *, warnings: list[str] | None = None,
                  reuse: VectorSource | None = None, previous: IndexData | None = None,
                  index_type: str = "auto", progress=None, exact_limit: int = EXACT_LIMIT) -> IndexData:
    """Index entries in memory: nothing is written (`IndexData.directory` is None).

    Args:
        entries: the FAQ entries, in order; ids unique.
        embedder: an `Embedder` (or anything with name, dimension, max_tokens, token_spans, embed).
        corpus: what the manifest records about where the entries come from.
        warnings: the corpus's warnings, kept in the manifest.
        reuse: gives the vectors already known for some text hashes; texts without one are embedded.
        previous: an index of the same model whose passages are reused for entries it holds unchanged
            (chunking tokenizes every answer, the slowest step after embedding).
        index_type: "flat", "hnsw" or "auto".
        progress: optional callable(done, total) called as texts are embedded.
        exact_limit: up to this many vectors the index is exact (flat) when `index_type` is "auto".

    Returns:
        The index, with a manifest whose counts say how many texts were embedded and reused.
    """
    chunked: dict[Entry, list[Passage]] = {}
    if previous is not None:
        old = {e.id: e for e in previous.entries}
        for passage in previous.passages:
            entry = old[passage.entry_id]
            chunked.setdefault(entry, []).append(passage)
    passages = [p for e in entries for p in chunked.get(e) or chunk_entry(e, embedder.max_tokens, embedder.token_spans)]
    group_of = question_groups(entries)
    texts, views = view_texts(entries, passages, group_of)

    known = reuse(np.unique(views["hash"])) if reuse is not None else {}
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

    vector_index = VectorIndex.build(all_vectors, index_type, exact_limit)
    lexical = LexicalIndex.build([lexical_text(e) for e in entries])
    manifest = {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "model": embedder.name,
        "model_sha256": model_weights(embedder),
        "dimension": int(embedder.dimension),
        "normalized": True,
        "metric": "inner_product",
        "index_type": vector_index.kind,
        "index_params": vector_index.params,
        "max_tokens": int(embedder.max_tokens),
        "chunking": CHUNKING_VERSION,
        "corpus": corpus,
        "counts": {
            "entries": len(entries), "passages": len(passages), "groups": groups,
            "vectors": vector_index.count, "embedded": len(todo), "reused": len(texts) - len(todo),
        },
        "warnings": list(warnings or []),
    }
    acronyms = find_acronyms(f"{e.question}\n{e.answer}" for e in entries)
    return IndexData(None, manifest, entries, passages, group_of, all_views, vector_index, lexical, acronyms)


def lexical_text(entry) -> str:
    """What BM25 indexes of an entry: its question, its alternate phrasings, its answer."""
    return "\n".join((entry.question, *entry.alternates, entry.answer))


def build_index(corpus: Corpus | Path | str, target: Path | str, embedder, index_type: str = "auto",
                progress=None, exact_limit: int = EXACT_LIMIT) -> IndexData:
    """Embed a corpus and write its index to `target`, atomically.

    Args:
        corpus: a loaded Corpus, or the folder/file to load.
        target: the index folder; replaced as a whole when the build succeeds.
        embedder: an `Embedder` (or anything with name, dimension, max_tokens, token_spans, embed).
        index_type: "flat", "hnsw" or "auto".
        progress: optional callable(done, total) called as texts are embedded.
        exact_limit: up to this many vectors the index is exact (flat) when `index_type` is "auto".

    Returns:
        The new index, loaded.
    """
    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus)
    about = {"root": str(corpus.root), "fingerprint": corpus.fingerprint,
             "files": [Path(f).name for f in corpus.files]}
    return save_entries(corpus.entries, target, embedder, about, warnings=corpus.warnings, index_type=index_type,
                        progress=progress, exact_limit=exact_limit)


def save_entries(entries: list[Entry], target: Path | str, embedder, corpus: dict, *,
                 warnings: list[str] | None = None, previous: IndexData | None = None,
                 index_type: str = "auto", progress=None, exact_limit: int = EXACT_LIMIT) -> IndexData:
    """Index entries and write the index to `target`, atomically, under the build lock.

    Args:
        entries, embedder, corpus, warnings, index_type, progress, exact_limit: as `index_entries`.
        target: the index folder; replaced as a whole when the build succeeds.
        previous: the index loaded from `target` that these entries change. Its vectors and passages
            are reused, and the write is refused when the folder no longer holds it (another process
            changed it since), rather than undo that change. None: vectors are reused from whatever
            index of the same model the folder holds.

    Returns:
        The new index, loaded from `target`.

    Raises:
        IndexFileError: the folder cannot be written, is not an index, or changed since `previous`.
    """
    target = real_folder(target)
    with build_lock(target):
        recover(target)
        remove_leftovers(target)
        check_replaceable(target)  # before minutes of embedding, not after
        if previous is not None:
            reuse: VectorSource = lambda hashes: known_vectors(previous, hashes)  # noqa: E731
            on_disk = manifest_bytes(target)
            if on_disk is None or json.loads(on_disk) != previous.manifest:
                raise IndexFileError(f"the index at {target} was changed by another writer since it was loaded; "
                                     "nothing was written: load it again (Retriever.load) and repeat the change")
        else:
            reuse = _vectors_on_disk(target, embedder.name, model_weights(embedder)) if target.exists() else None
        data = index_entries(entries, embedder, corpus, warnings=warnings, reuse=reuse, previous=previous,
                             index_type=index_type, progress=progress, exact_limit=exact_limit)
        try:
            staging = make_staging(target)
            try:
                _write(staging, data)
                swap_in(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:  # a full disk, a read-only folder, a file size limit
            kept = "the index there is unchanged" if target.exists() else "nothing was written"
            raise IndexFileError(f"cannot write the index at {target} ({exc.strerror or exc}); {kept}") from None
    return load_index(target, exact_limit=exact_limit)


def _write(folder: Path, data: IndexData) -> None:
    try:
        data.vectors.write(folder / "index.faiss")
    except RuntimeError as exc:  # FAISS reports a failed write (a full disk) as a RuntimeError
        raise OSError(errno.EIO, f"FAISS could not write index.faiss: {str(exc).strip().splitlines()[-1]}") from None
    np.save(folder / "views.npy", data.views, allow_pickle=False)
    with open(folder / "entries.jsonl", "w", encoding="utf-8") as out:
        for entry in data.entries:
            out.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
    with open(folder / "passages.jsonl", "w", encoding="utf-8") as out:
        for passage in data.passages:
            out.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
    data.lexical.save(folder / "lexical")
    (folder / "acronyms.json").write_text(json.dumps(data.acronyms, indent=1, ensure_ascii=False), encoding="utf-8")
    manifest = {**data.manifest, "files": file_table(folder)}
    # The manifest goes last: a folder with a manifest is complete.
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
