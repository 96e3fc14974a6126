"""Build an index with the embedding spread over a Ray cluster; everything else as `build_index` does it.

The texts a build must embed (those the content-hash cache of the previous index does not hold) are cut
into shards, and each shard is embedded by a Ray task on a worker that loads the same model once per
process. The vectors come back to this process, and `index.build.build_index` assembles and writes the
index exactly as a local build does (lock, atomic swap, checked manifest), asking a stand-in embedder that
already holds them. So a Ray build gives the local build's entries, views and manifest, and its vectors up
to float rounding (shards are padded differently). If a worker dies or a task fails, nothing has been
written: the previous index stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..index.build import _vectors_on_disk, build_index
from ..index.chunking import chunk_entry
from ..index.embedder import Embedder
from ..index.folder import check_replaceable, real_folder
from ..index.store import IndexData
from ..index.vectors import EXACT_LIMIT
from ..index.views import question_groups, view_texts
from ..ingest.corpus import Corpus, load_corpus
from .cluster import ClusterError, connect, first_line, preflight, workers

SHARDS_PER_WORKER = 4  # several shards per worker, so a slow worker does not hold up the end of a build
MIN_SHARD, MAX_SHARD = 16, 1024  # a task costs milliseconds to schedule: a shard should take seconds


@dataclass
class Precomputed:
    """An embedder whose vectors were made elsewhere: `build_index` asks it for exactly the texts that
    were sent to the cluster. Anything else (another build changed the previous index in between, so
    less could be reused) is embedded here by `local`, so the result is right either way."""

    local: Embedder
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.local.name

    @property
    def identity(self):
        return self.local.identity

    @property
    def dimension(self) -> int:
        return self.local.dimension

    @property
    def max_tokens(self) -> int:
        return self.local.max_tokens

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.local.token_spans(text)

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.local.embed(missing)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32, copy=False)


def texts_to_embed(corpus: Corpus, target: Path, embedder: Embedder) -> list[str]:
    """The distinct texts a build of `corpus` into `target` must embed: every view's text, less those
    whose vectors the previous index holds (same model, same weights), as `build_index` decides."""
    entries = corpus.entries
    passages = [p for e in entries for p in chunk_entry(e, embedder.max_tokens, embedder.token_spans)]
    texts, views = view_texts(entries, passages, question_groups(entries))
    weights = embedder.identity.sha256
    known = _vectors_on_disk(target, embedder.name, weights)(views["hash"]) if target.exists() else {}
    todo = [text for text, text_hash in zip(texts, views["hash"].tolist())
            if len(known.get(text_hash, ())) != embedder.dimension]
    return list(dict.fromkeys(todo))


def shard(texts: list[str], worker_count: int, size: int | None = None) -> list[list[str]]:
    """`texts` cut into consecutive shards of `size` (default: about SHARDS_PER_WORKER per worker)."""
    if size is None:
        size = min(MAX_SHARD, max(MIN_SHARD, math.ceil(len(texts) / (worker_count * SHARDS_PER_WORKER))))
    return [texts[start : start + size] for start in range(0, len(texts), size)]


def embed_shard(model: str, device: str, batch_size: int, weights: str | None, texts: list[str]) -> np.ndarray:
    """Run on a worker: the vectors of `texts`, from the model loaded once per worker process.

    Raises:
        ClusterError: the worker's model files differ from the driver's (other weights would give
            vectors that do not belong in this index).
    """
    embedder = Embedder(model, device, batch_size, cache_size=0, onnx=False)
    if weights is not None and embedder.identity.sha256 != weights:
        raise ClusterError(f"the worker's copy of model {model!r} differs from this machine's "
                           f"(sha256 {embedder.identity.sha256} vs {weights}): install the same model on every node")
    return embedder.embed(texts)


def embed_on_cluster(ray, texts: list[str], embedder: Embedder, shard_size: int | None = None, retries: int = 3,
                     progress=None) -> dict[str, np.ndarray]:
    """Embed `texts` on the cluster, shard by shard; returns text -> vector.

    Args:
        ray: the initialised `ray` module (`cluster.connect`).
        texts: distinct texts.
        embedder: the local embedder, whose model name, device and weights the workers use.
        shard_size: texts per task (default: about four shards per worker CPU).
        retries: how many times Ray reruns a task whose worker died before the build fails.
        progress: optional callable(done, total) as shards come back.

    Raises:
        ClusterError: a task failed or its worker died more than `retries` times.
    """
    shards = shard(texts, workers(ray), shard_size)
    task = ray.remote(max_retries=retries)(embed_shard)
    weights = embedder.identity.sha256
    pending = {task.remote(embedder.name, embedder.device, embedder.batch_size, weights, part): part
               for part in shards}
    vectors: dict[str, np.ndarray] = {}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            part = pending.pop(ready[0])
            vectors.update(zip(part, ray.get(ready[0])))
            if progress:
                progress(len(vectors), len(texts))
    except ray.exceptions.RayError as exc:
        for ref in pending:
            ray.cancel(ref, force=True)
        cause = getattr(exc, "cause", None)
        why = str(cause) if isinstance(cause, ClusterError) else first_line(exc)
        raise ClusterError(f"a Ray task failed while embedding ({why})") from None
    return vectors


def build_index_on_ray(corpus: Corpus | Path | str, target: Path | str, embedder: Embedder,
                       index_type: str = "auto", progress=None, exact_limit: int = EXACT_LIMIT,
                       address: str | None = None, shard_size: int | None = None, retries: int = 3,
                       num_cpus: int | None = None) -> IndexData:
    """`build_index`, with the texts to embed embedded on a Ray cluster.

    Args:
        corpus, target, embedder, index_type, progress, exact_limit: as for `build_index`.
        address: the cluster to join; None starts a local one (`num_cpus` CPUs, default all).
        shard_size: texts per Ray task (default: about four shards per worker CPU).
        retries: reruns of a task whose worker died, before the build fails.

    Returns:
        The new index, loaded: the local build's, vectors equal to float rounding.

    Raises:
        ClusterError: Ray is missing, the cluster cannot be reached, or embedding failed on it; the
            index at `target` is then unchanged.
    """
    preflight(address)
    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus)
    target = real_folder(target)
    check_replaceable(target)  # before the cluster is asked for anything
    todo = texts_to_embed(corpus, target, embedder)
    stand_in = Precomputed(embedder)
    if todo:
        with connect(address, num_cpus) as ray:
            try:
                stand_in.vectors = embed_on_cluster(ray, todo, embedder, shard_size, retries, progress)
            except ClusterError as exc:
                kept = f"the index at {target} is unchanged" if target.exists() else "nothing was written"
                raise ClusterError(f"{exc}; {kept}") from None
    return build_index(corpus, target, stand_in, index_type, None, exact_limit)
