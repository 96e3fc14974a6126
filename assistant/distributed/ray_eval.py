"""Evaluate question sets × configurations on a Ray cluster: one task per pair, the same reports as
`evaluation.evaluate.compare`.

The index is read once here and put in Ray's object store as its files' bytes. A worker that sees the
driver's folder with the same manifest (this machine, a shared disk) loads it there; any other writes
the bytes to a local folder once (named by the hash of the manifest, which lists every file's checksum).
Either way it loads the index as `assistant ask` would, and runs `evaluate` for its pair. Nothing about
the question path changes, so a worker's report is the one this machine would make, metric for metric
and question for question.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..evaluation.evaluate import Configuration, Report, evaluate
from ..evaluation.questionsets import QuestionSet
from ..index.folder import MANIFEST
from ..index.onnx_encoder import default_cache
from .cluster import ClusterError, connect, first_line, preflight

# Per worker process: index folders already loaded, by the hash of their manifest.
_loaded: dict[str, object] = {}


@dataclass(frozen=True)
class Shipped:
    """What a worker needs to rebuild the driver's Retriever: where its index's bytes are, and how to ask."""

    index_key: str  # sha256 of the manifest: names the index's contents
    directory: str  # where the driver has it
    index_ref: list  # [ObjectRef of {relative path: bytes}], in a list so Ray does not fetch it unasked
    settings: Settings
    confidence_model: bytes | None  # the file `settings.confidence_model` names, if any
    onnx: bool
    model_cache: str | None


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by path relative to it."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _cache_root() -> Path:
    return Path(tempfile.gettempdir()) / "faq-assistant-ray"


def materialise(key: str, ref: list) -> Path:
    """Run on a worker: the shipped index as a local folder, written once per machine (staging folder
    renamed into place, manifest last, so a half-written folder is never taken for an index)."""
    folder = _cache_root() / key
    if (folder / MANIFEST).is_file():
        return folder
    import ray

    files = ray.get(ref[0])
    staging = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=_ensure(_cache_root())))
    try:
        for name in sorted(files, key=lambda n: n == MANIFEST):  # the manifest last
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[name])
        try:
            os.rename(staging, folder)
        except OSError:  # another worker on this machine got there first: its copy is the same
            if not (folder / MANIFEST).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def index_folder(shipped: Shipped) -> Path:
    """Run on a worker: the driver's folder when this worker sees it unchanged, else a local copy."""
    try:
        manifest = (Path(shipped.directory) / MANIFEST).read_bytes()
    except OSError:
        manifest = b""
    if hashlib.sha256(manifest).hexdigest() == shipped.index_key:
        return Path(shipped.directory)  # load_index checks every file against the manifest's checksums
    return materialise(shipped.index_key, shipped.index_ref)


def _confidence_path(settings: Settings, content: bytes | None) -> str:
    """The worker's path to the driver's confidence model: the same path when it holds the same bytes
    (a shared disk, a local cluster), else a local copy named by its hash."""
    if content is None:
        return settings.confidence_model
    path = Path(settings.confidence_model)
    if path.is_file() and path.read_bytes() == content:
        return settings.confidence_model
    copy = _ensure(_cache_root()) / f"confidence-{hashlib.sha256(content).hexdigest()[:16]}.json"
    if not copy.is_file():
        staging = copy.with_suffix(f".{os.getpid()}.tmp")
        staging.write_bytes(content)
        os.replace(staging, copy)
    return str(copy)


def evaluate_pair(shipped: Shipped, questions: QuestionSet, configuration: Configuration, k: int) -> Report:
    """Run on a worker: `evaluate` of one question set under one configuration, over the shipped index."""
    from ..index.embedder import Embedder
    from ..index.store import load_index
    from ..search.retriever import Retriever

    settings = shipped.settings
    data = _loaded.get(shipped.index_key)
    if data is None:
        data = _loaded[shipped.index_key] = load_index(index_folder(shipped), exact_limit=settings.exact_limit)
    embedder = Embedder(settings.model, settings.device, settings.batch_size, settings.query_cache_size,
                        onnx=shipped.onnx, model_cache=Path(shipped.model_cache) if shipped.model_cache else None)
    local = settings.replace(confidence_model=_confidence_path(settings, shipped.confidence_model))
    retriever = Retriever(data, embedder, local).with_settings(**configuration.changes)
    report = evaluate(retriever, questions, k, configuration.name)
    # The report names the driver's settings, not where this worker keeps its copies.
    if "confidence_model" in report.settings:
        report.settings["confidence_model"] = settings.replace(**configuration.changes).confidence_model
    return report


def compare_on_ray(retriever, question_sets: list[QuestionSet], configurations: list[Configuration], k: int = 10,
                   progress=None, address: str | None = None, num_cpus: int | None = None,
                   retries: int = 3) -> list[list[Report]]:
    """`compare` for every question set, each (set, configuration) pair a Ray task.

    Args:
        retriever: a loaded `Retriever`; its index, model and settings are the workers'.
        question_sets: the question sets (each is matched to the FAQ here first, so a bad one fails
            before the cluster is asked for anything).
        configurations: as for `compare`.
        k: the depth of recall@k and nDCG@k.
        progress: optional callable(done, total), in questions, as pairs finish.
        address: the cluster to join; None starts a local one (`num_cpus` CPUs, default all).
        retries: reruns of a task whose worker died, before the evaluation fails.

    Returns:
        One list of reports per question set, in the order of `configurations`: what `compare` returns.

    Raises:
        ClusterError: Ray is missing, the cluster cannot be reached, or a task failed on it.
        QuestionSetError: an expected value matches no FAQ entry.
    """
    preflight(address)
    question_sets = [questions.resolve(retriever.entries) for questions in question_sets]
    folder = Path(retriever.data.directory)
    settings = retriever.settings
    confidence = Path(settings.confidence_model).read_bytes() if settings.confidence_model else None
    total = sum(len(q) for q in question_sets) * len(configurations)
    with connect(address, num_cpus) as ray:
        files = read_folder(folder)
        # The driver's export cache, resolved here: a worker's environment may not name the same one.
        model_cache = str(retriever.embedder.model_cache or default_cache())
        shipped = Shipped(hashlib.sha256(files[MANIFEST]).hexdigest(), str(folder.resolve()), [ray.put(files)],
                          settings, confidence, retriever.embedder.onnx, model_cache)
        del files
        task = ray.remote(max_retries=retries)(evaluate_pair)
        pending = {task.remote(shipped, questions, configuration, k): (i, j)
                   for i, questions in enumerate(question_sets) for j, configuration in enumerate(configurations)}
        reports: dict[tuple[int, int], Report] = {}
        done = 0
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                i, j = pending.pop(ready[0])
                reports[i, j] = ray.get(ready[0])
                done += len(question_sets[i])
                if progress:
                    progress(done, total)
        except ray.exceptions.RayError as exc:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise ClusterError(f"a Ray task failed while evaluating ({first_line(getattr(exc, 'cause', exc))})") \
                from None
    return [[reports[i, j] for j in range(len(configurations))] for i in range(len(question_sets))]
