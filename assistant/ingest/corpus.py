"""Read a corpus (a folder of FAQ files, or one file) into entries: question, answer, source, lines.

No ML imports here: reading and cleaning the FAQ must stay cheap and testable on its own.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from . import readers
from .alternates import comment_alternates
from .answer_text import inline_text, render_blocks
from .cleaning import word_list_digest
from .detect import SUFFIXES, format_of
from .document import Document
from .entry import Entry
from .paragraph_questions import split_paragraph_questions
from .structure import find_entries, text_outside, without_back_links

META_SUFFIX = ".meta.json"
MAX_FILE_BYTES = 200 * 1024 * 1024
# Markup parsers hold a whole document's tree in memory (markdown-it and docutils about 100 times the
# file's size), so marked-up files are read up to this size; plain text and tables up to MAX_FILE_BYTES.
MAX_MARKUP_BYTES = 8 * 1024 * 1024
# Bump when parsing or cleaning changes what entries a file yields: it invalidates built indexes.
PARSER_VERSION = "3"  # 3: alternates comments in Markdown and HTML
# "Reads badly": more of the text than this share lies outside every entry found, or a file longer
# than this many lines yields one entry (a short file may hold one question; a long one rarely does).
MAX_TEXT_OUTSIDE = 0.5
ONE_ENTRY_LINES = 20


@dataclass
class Corpus:
    """The entries of every FAQ file under a root, plus what was skipped and why."""

    root: Path
    entries: list[Entry]
    files: list[str]
    warnings: list[str] = field(default_factory=list)
    fingerprint: str = ""

    def __len__(self) -> int:
        return len(self.entries)


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "entry"


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, or many control characters (text has none but tab, line breaks and form feed)."""
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return b"\0" in head or controls > len(head) // 20


def _read_text(path: Path, where: str, warnings: list[str]) -> str | None:
    """The file's text, or None (with a warning saying why) when it is skipped."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            warnings.append(f"{where}: skipped, larger than {MAX_FILE_BYTES // 2**20} MB")
            return None
        data = path.read_bytes()
    except OSError as exc:
        warnings.append(f"{where}: skipped, cannot be read ({exc.strerror or exc})")
        return None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:  # Windows tools save "Unicode" text as UTF-16 with a byte-order mark
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if _looks_binary(data[:8192]):
        warnings.append(f"{where}: skipped, looks like a binary file, not text")
        return None
    if not data.strip():
        warnings.append(f"{where}: skipped, the file is empty")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Windows exports are the usual non-UTF-8 FAQ files; cp1252 decodes any byte but five.
        warnings.append(f"{where}: not UTF-8 (byte {exc.start}); read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def _stem(source: str) -> str:
    """The source path without its extension ("docs/faq.md" -> "docs/faq"; "FAQ" stays "FAQ")."""
    suffix = Path(source).suffix
    return source[: len(source) - len(suffix)] if suffix.lower() in SUFFIXES else source


def _meta_path(path: Path) -> Path:
    return path.with_name(Path(_stem(path.name)).name + META_SUFFIX)


def _metadata(path: Path, where: str) -> dict:
    meta_path = _meta_path(path)
    if not meta_path.is_file():
        return {}
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{meta_path.name}: not valid JSON metadata for {where} ({exc})") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{meta_path.name}: metadata must be a JSON object with title and url")
    return meta


def parse_file(path: Path, where: str, warnings: list[str]) -> Document | None:
    """Read one file into a document; None when it was skipped (with a warning saying why).

    Raises:
        CorpusError: a table file is malformed (the message names the file and line).
    """
    text = _read_text(path, where, warnings)
    if text is None:
        return None
    kind = format_of(path.suffix, text)
    if kind in readers.MARKUP and len(text) > MAX_MARKUP_BYTES:
        warnings.append(f"{where}: skipped, {len(text) / 2**20:.0f} MB of {readers.NAMES[kind]} is more than the "
                        f"{MAX_MARKUP_BYTES // 2**20} MB read of a marked-up file (plain text and JSONL: "
                        f"{MAX_FILE_BYTES // 2**20} MB)")
        return None
    document = readers.read(kind, text, where)
    warnings.extend(document.notes)
    return document


# "Q:", "Q1.", "Question:", an outline number ("4.5", "12.", "3-"), a running number ("#3", "(3)",
# "[3]") or a bullet before a question's first word.
_QUESTION_MARKER = re.compile(
    r"^(?:Q(?:uestion)?\s*(?:\d+[a-z]?)?\s*[:.)]|#?\d+(?:\.\d+)*[.):-]?|\(\d+\)|\[\d+\]|[*•])\s+(?=\w)", re.IGNORECASE)


def _question_text(title: str) -> str:
    """A title as a reader reads the question: without a "Q:" marker or section number in front."""
    stripped = _QUESTION_MARKER.sub("", title, count=1)
    return stripped if stripped.strip() else title


def _entries(document: Document, source: str, meta: dict, taken: set[str], warnings: list[str]) -> list[Entry]:
    """The entries of one parsed file, with ids unique across the corpus (`taken`)."""
    stem = _stem(source)
    title = meta.get("title") or document.title or Path(stem).name.replace("-", " ")
    split_paragraph_questions(document)
    found = find_entries(document)
    entries = []
    for item in found:
        section = item.section
        row = section.row
        url = (row.url if row is not None else None) or meta.get("url") or document.url
        blocks = without_back_links(item.blocks)
        rendered = render_blocks(blocks, url, repair=not document.repaired)
        question = item.question if document.repaired else _question_text(inline_text(section.title))
        if not rendered.text.strip() or not question:
            continue
        base = (row.id if row is not None else None) or f"{stem}/{_slug(question)}"
        entry_id, n = base, 1
        while entry_id in taken:  # duplicate questions stay distinct and citable
            n += 1
            entry_id = f"{base}-{n}"
        taken.add(entry_id)
        last_line = rendered.line_offsets[-1][1] if rendered.line_offsets else section.line
        # Without a link back up the page at its end, the answer ends at its own last line.
        section_end = last_line if len(blocks) < len(item.blocks) else section.end_line or section.line
        entries.append(Entry(
            id=entry_id, question=question, answer=rendered.text, source=source, start_line=section.line,
            end_line=max(section_end, section.title_end, last_line), url=url, title=title,
            line_offsets=tuple(rendered.line_offsets), marks=tuple(rendered.marks),
            anchor=section.anchor, alternates=row.alternates if row is not None else _own_alternates(document, section),
        ))
    if not all(s.row is not None for s in document.root.children):  # tables read as they are
        _check_reading(document, found, entries, source, warnings)
    return entries


def _own_alternates(document: Document, section) -> tuple[str, ...]:
    """The alternates comments between a section's question and its first sub-section."""
    last = section.children[0].start - 1 if section.children else (section.end_line or section.line)
    return comment_alternates(document.lines, section.start, last)


def _check_reading(document: Document, found: list, entries: list[Entry], source: str,
                   warnings: list[str]) -> None:
    """Say when a file reads badly: one entry only, or most of its text outside the entries."""
    if len(entries) == 1 and sum(1 for line in document.lines if line.strip()) > ONE_ENTRY_LINES:
        warnings.append(f"{source}: only one entry found ({entries[0].question!r}); if it holds more "
                        "questions, their titles were not recognised")
        return
    outside = text_outside(document, found)
    if entries and outside > MAX_TEXT_OUTSIDE:
        warnings.append(f"{source}: {outside:.0%} of its text is outside the {len(entries)} entries found "
                        "(titles that are not questions?)")


def corpus_files(root: Path) -> tuple[list[Path], list[str]]:
    """The FAQ files under `root` (sorted), and warnings for what was skipped."""
    root = Path(root)
    if not root.exists():
        raise CorpusError(f"corpus not found: {root} (give a folder of FAQ files or one file)")
    if root.is_file():
        if root.suffix.lower() not in SUFFIXES:
            known = ", ".join(s for s in SUFFIXES if s)
            raise CorpusError(f"{root.name}: unsupported file type; use one of {known}, or no extension")
        return [root], []
    real_root = root.resolve()
    files, warnings = [], []
    # rglob does not descend into linked folders; a link is followed only when it stays inside.
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        is_faq = path.suffix.lower() in SUFFIXES and not path.name.endswith(META_SUFFIX)
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):  # RuntimeError: a loop of links
                if is_faq:
                    warnings.append(f"{rel}: skipped, a broken link")
                continue
            if not target.is_relative_to(real_root):
                if is_faq or target.is_dir():
                    kind = "folder" if target.is_dir() else "file"
                    warnings.append(f"{rel}: skipped, a link to a {kind} outside the corpus folder")
                continue
        if is_faq and path.is_file():
            files.append(path)
    return files, warnings


def fingerprint(files: list[Path], root: Path) -> str:
    """A hash of every corpus file's name and bytes (and their metadata), plus what else decides the
    entries they yield: the parser version and the English word list."""
    digest = hashlib.sha256(f"parser {PARSER_VERSION}\nwords {word_list_digest()}\n".encode())
    for path in files:
        rel = path.name if root.is_file() else path.relative_to(root).as_posix()
        digest.update(f"{rel}\n".encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:  # unreadable: it was skipped with a warning
            digest.update(b"unreadable")
        meta = _meta_path(path)
        if meta.is_file():
            digest.update(hashlib.sha256(meta.read_bytes()).digest())
    return digest.hexdigest()


def load_corpus(root: str | Path = "corpus") -> Corpus:
    """Read every FAQ file under `root` (or the single file `root`) into entries.

    Raises:
        CorpusError: the root does not exist, a table file is malformed, or no entries were found.
    """
    root = Path(root)
    files, warnings = corpus_files(root)
    entries: list[Entry] = []
    taken: set[str] = set()
    for path in files:
        source = path.name if root.is_file() else path.relative_to(root).as_posix()
        document = parse_file(path, source, warnings)
        if document is None:  # skipped; the warning says why
            continue
        found = _entries(document, source, _metadata(path, source), taken, warnings)
        if not found:
            warnings.append(f"{source}: no questions found")
            continue
        entries.extend(found)
    if not entries:
        known = ", ".join(s for s in SUFFIXES if s)
        detail = "; ".join(warnings) if warnings else f"no FAQ files ({known}, or no extension)"
        raise CorpusError(f"no FAQ entries in {root} ({detail})")
    return Corpus(root=root, entries=entries, files=[str(p) for p in files], warnings=warnings,
                  fingerprint=fingerprint(files, root))
