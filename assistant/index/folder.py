"""The index folder on disk: atomic swaps, the build lock, recovery after a killed build, and the
size and sha256 of every file, checked before anything is read.

A build writes a complete new folder beside the old one and swaps it in with two renames, so a
build that dies leaves the previous index in place; a lock file keeps two builds apart, and the next
build removes what a killed one left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

from ..errors import IndexFileError

MANIFEST = "manifest.json"
INDEX_FILES = frozenset({MANIFEST, "index.faiss", "views.npy", "entries.jsonl", "passages.jsonl", "lexical",
                         "acronyms.json"})
REBUILD = "rebuild with `assistant build`"


@contextlib.contextmanager
def build_lock(target: Path, wait: bool = True):
    """Hold the lock that keeps builds of `target` apart (`.<name>.lock` beside it, across threads and
    processes). Yields False, without waiting, when `wait` is off and a build holds it."""
    from filelock import FileLock, Timeout

    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(target.parent / f".{target.name}.lock")
    try:
        lock.acquire(blocking=wait)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def recover(target: Path) -> None:
    """Put back an index that a build killed between its two renames left aside (lock held)."""
    if target.exists():
        return
    aside = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if aside:
        os.replace(aside[-1], target)


def recover_unless_building(target: Path) -> None:
    """`recover` for a reader: only when no build holds the lock, since a running build may be
    between its two renames at this moment."""
    if target.exists() or not any(target.parent.glob(f".{target.name}.old-*")):
        return
    with contextlib.suppress(OSError), build_lock(target, wait=False) as locked:
        if locked:
            recover(target)


def remove_leftovers(target: Path) -> None:
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


def swap_in(staging: Path, target: Path) -> None:
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


def manifest_bytes(directory: Path) -> bytes | None:
    try:
        return (directory / MANIFEST).read_bytes()
    except OSError:
        return None


def building(directory: Path) -> bool:
    """True while a build of `directory` holds its lock."""
    if not (directory.parent / f".{directory.name}.lock").exists():
        return False
    try:
        with build_lock(directory, wait=False) as locked:
            return not locked
    except OSError:
        return False
