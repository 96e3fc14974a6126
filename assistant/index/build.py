"""Build an index: chunk the entries, embed every view (reusing the vectors of texts that did not
change), index the vectors and the words, and write the folder atomically.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import IndexFileError
from ..ingest.corpus import Corpus, load_corpus
from .acronyms import find_acronyms
from .chunking import CHUNKING_VERSION, chunk_entry
from .folder import (
    MANIFEST,
    build_lock,
    check_replaceable,
    file_table,
    make_staging,
    real_folder,
    recover,
    remove_leftovers,
    swap_in,
)
from .lexical import LexicalIndex
from .store import FORMAT_VERSION, IndexData, load_index
from .vectors import EXACT_LIMIT, VectorIndex
from .views import VIEW_DTYPE, View, centroids, question_groups, view_texts


def _reusable_vectors(target: Path, model: str, weights: str | None) -> dict[int, np.ndarray]:
    """Vectors of the previous index by text hash, so an edit re-embeds only what changed. Only from
    the same model: the same name and the same weights (`weights`: the sha256 of its files)."""
    try:
        old = load_index(target, attempts=1)  # the build lock is held: nothing else changes it
    except (IndexFileError, OSError):
        return {}
    if old.manifest.get("model") != model or old.manifest.get("model_sha256") != weights:
        return {}
    vectors = old.vectors.reconstruct_all()
    keep = old.views["kind"] != View.CENTROID
    return dict(zip(old.views["hash"][keep].tolist(), vectors[keep]))


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
    target = real_folder(target)
    with build_lock(target):
        recover(target)
        remove_leftovers(target)
        check_replaceable(target)  # before minutes of embedding, not after
        entries = corpus.entries
        passages = [p for e in entries for p in chunk_entry(e, embedder.max_tokens, embedder.token_spans)]
        group_of = question_groups(entries)
        texts, views = view_texts(entries, passages, group_of)

        # A stand-in embedder (benchmarks' synthetic one) has no identity: its name is all there is.
        identity = getattr(embedder, "identity", None)
        weights = identity.sha256 if identity is not None else None
        known = _reusable_vectors(target, embedder.name, weights) if target.exists() else {}
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
            "model_sha256": weights,
            "dimension": int(embedder.dimension),
            "normalized": True,
            "metric": "inner_product",
            "index_type": vector_index.kind,
            "index_params": vector_index.params,
            "max_tokens": int(embedder.max_tokens),
            "chunking": CHUNKING_VERSION,
            "corpus": {
                "root": str(corpus.root),
                "fingerprint": corpus.fingerprint,
                "files": [Path(f).name for f in corpus.files],
            },
            "counts": {
                "entries": len(entries), "passages": len(passages), "groups": groups,
                "vectors": vector_index.count, "embedded": len(todo), "reused": len(texts) - len(todo),
            },
            "warnings": corpus.warnings,
        }
        acronyms = find_acronyms(f"{e.question}\n{e.answer}" for e in entries)
        try:
            staging = make_staging(target)
            try:
                _write(staging, manifest, entries, passages, all_views, vector_index, lexical, acronyms)
                swap_in(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError as exc:  # a full disk, a read-only folder, a file size limit
            kept = "the index there is unchanged" if target.exists() else "nothing was written"
            raise IndexFileError(f"cannot write the index at {target} ({exc.strerror or exc}); {kept}") from None
    return load_index(target, exact_limit=exact_limit)


def _write(folder: Path, manifest, entries, passages, views, vector_index: VectorIndex, lexical,
           acronyms) -> None:
    try:
        vector_index.write(folder / "index.faiss")
    except RuntimeError as exc:  # FAISS reports a failed write (a full disk) as a RuntimeError
        raise OSError(errno.EIO, f"FAISS could not write index.faiss: {str(exc).strip().splitlines()[-1]}") from None
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


