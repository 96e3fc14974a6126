"""The index folder on disk: atomic swaps, the build lock, recovery after a killed build, and the
size and sha256 of every file, checked before anything is read.

A build writes a complete new folder beside the old one and swaps it in with two renames, so a
build that dies leaves the previous index in place; a lock file keeps two builds apart, and the next
build removes what a killed one left behind. Only a folder that is provably an index (or an empty
one) is ever replaced, and a symlinked index is rebuilt where the link points.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
from pathlib import Path

from ..errors import IndexFileError

MANIFEST = "manifest.json"
INDEX_FILES = frozenset({MANIFEST, "index.faiss", "views.npy", "entries.jsonl", "passages.jsonl", "lexical",
                         "acronyms.json"})
# Files only an index of ours holds: with the manifest unreadable, one of them marks a damaged index.
DATA_FILES = frozenset({"index.faiss", "views.npy"})
REBUILD = "rebuild with `assistant build`"


def real_folder(target: Path | str) -> Path:
    """Where the index at `target` really is: a symlinked index is read, locked and rebuilt at the
    folder the link points to, so the link stays a link and nothing is left beside it."""
    target = Path(target)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


@contextlib.contextmanager
def build_lock(target: Path, wait: bool = True):
    """Hold the lock that keeps builds of `target` apart (`.<name>.lock` beside it, across threads and
    processes). Yields False, without waiting, when `wait` is off and a build holds it."""
    from filelock import FileLock, Timeout

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(target.parent / f".{target.name}.lock")
        lock.acquire(blocking=wait)
    except Timeout:
        yield False
        return
    except OSError as exc:
        raise IndexFileError(f"cannot build the index at {target}: cannot write its lock file in "
                             f"{target.parent} ({exc.strerror or exc})") from None
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
        if path.is_symlink():  # left by builds that replaced a symlinked index
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)


def _is_our_manifest(path: Path) -> bool:
    try:
        manifest = json.loads(read_regular_file(path))
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and isinstance(manifest.get("format_version"), int)
            and isinstance(manifest.get("model"), str) and isinstance(manifest.get("counts"), dict))


def check_replaceable(target: Path) -> None:
    """Refuse to build over anything but a missing folder, an empty one, or an index of ours.

    An index has a manifest of ours (format version, model, counts); a damaged one without it holds
    only index files, among them the vector files only an index has. Anything else is someone's
    files: a web app's `public/` with its own `manifest.json`, a folder of dotfiles. A build replaces
    the whole folder, so it must not start.

    Raises:
        IndexFileError: `target` is a file, or a folder that is not provably an index.
    """
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        kind = "a file" if target.is_file() else "not a folder" if target.exists() else "a broken link"
        raise IndexFileError(f"the index {target} is {kind}; give --index a folder (new, empty, or an index)")
    try:
        names = {p.name for p in target.iterdir()}
    except OSError as exc:
        raise IndexFileError(f"cannot read the index folder {target} ({exc.strerror or exc})") from None
    if not names:
        return
    foreign = sorted(names - INDEX_FILES)
    if _is_our_manifest(target / MANIFEST) or (not foreign and names & DATA_FILES):
        return
    shown = ", ".join(foreign[:3]) if foreign else MANIFEST
    raise IndexFileError(f"{target} is not an index (it holds {shown}), so a build will not replace it; "
                         "give --index a new or empty folder")


def make_staging(target: Path) -> Path:
    """A new, empty folder beside `target` to write the next index into, with the permissions the index
    will keep: the old index's, or for a new one the umask's (not `mkdtemp`'s private 0700, which
    locked out a service account that read the old index)."""
    for _ in range(100):
        staging = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        if target.is_dir():
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        return staging
    raise FileExistsError(f"no free staging folder name beside {target}")


def swap_in(staging: Path, target: Path) -> None:
    if target.exists():
        check_replaceable(target)
        aside = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, aside)
        try:
            os.replace(staging, target)
        except OSError:
            os.replace(aside, target)  # put the old index back
            raise
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


def read_regular_file(path: Path) -> bytes:
    """The bytes of `path`, which must be a regular file: a FIFO or device put in its place would
    block the reader forever, or never end.

    Raises:
        OSError: missing, unreadable, or not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return handle.read()


def manifest_bytes(directory: Path) -> bytes | None:
    try:
        return read_regular_file(directory / MANIFEST)
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
