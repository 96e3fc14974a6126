"""Question/answer tables: JSONL rows, CSV/TSV with Question and Answer columns (the import format of
Azure question answering), and YAML lists of `question:`/`answer:` mappings (static-site FAQs).

Every row is an explicit entry. JSONL and CSV answers are plain text, kept line by line as written;
YAML answers are Markdown (as static-site generators render them). Optional fields: an id, a URL and
alternate phrasings of the question (`alternates` or `alternate_questions`: a list, or one cell
with the phrasings separated by "|").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import yaml

from ...errors import CorpusError
from ..cleaning import fix_mojibake
from ..document import Block, Break, Document, Section, Text, line_block
from ..jsonl import json_objects
from ..lines import split_lines
from ..structure import answer_blocks, is_question_title

QUESTION_KEYS = ("question", "questions", "q")
ANSWER_KEYS = ("answer", "answers", "a")
ID_KEYS = ("id", "qnaid", "qna id", "entry_id")
URL_KEYS = ("url", "source url", "link")
ALTERNATE_KEYS = ("alternates", "alternate_questions", "alternate questions")
# A CSV cell may hold a long answer (the csv module stops at 128 KB); a cell longer than this is a
# broken file (an unclosed quote swallowing the rest), reported at the row where it starts.
MAX_CELL_CHARS = 16 * 1024 * 1024


@dataclass
class RowFields:
    """What a table row says besides its question and answer."""

    id: str | None = None
    url: str | None = None
    alternates: tuple[str, ...] = ()


def question_answer_columns(rows: list[list[str]]) -> tuple[int, int, int] | None:
    """For a table written inside a document (Markdown, HTML): (question column, answer column, rows of
    header) when its first row names a question and an answer column ("Question", "Answer"), or when,
    with no such header, it has two columns and most of its first cells ask questions (at least two).
    None for any other table: a table in an answer stays text."""
    if not rows:
        return None
    names = [" ".join(cell.lower().split()).strip(" :?") for cell in rows[0]]
    question = next((n for n, name in enumerate(names) if name in QUESTION_KEYS), None)
    answer = next((n for n, name in enumerate(names) if name in ANSWER_KEYS), None)
    if question is not None and answer is not None:
        return question, answer, 1
    filled = [row for row in rows if sum(1 for cell in row if cell.strip()) == 2 and len(row) == 2]
    asking = sum(1 for row in filled if is_question_title(" ".join(row[0].split())))
    if len(filled) == len(rows) and asking >= 2 and 2 * asking > len(rows):
        return 0, 1, 0
    return None


def _lowered(row: dict) -> dict:
    return {str(k).strip().lower(): v for k, v in row.items() if k is not None}


def _pick(row: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = row.get(key)
        if value is not None and not isinstance(value, (list, dict)) and str(value).strip():
            return str(value)
    return None


def _alternates(row: dict) -> tuple[str, ...]:
    for key in ALTERNATE_KEYS:
        value = row.get(key)
        if isinstance(value, str):
            value = value.split("|")
        if isinstance(value, list):
            found = tuple(" ".join(fix_mojibake(str(v)).split()) for v in value if v is not None and str(v).strip())
            if found:
                return found
    return ()


def _row_section(row: dict, first: int, last: int) -> Section | None:
    """A row as an explicit section whose answer lines all cite the row's first line."""
    row = _lowered(row)
    question, answer = _pick(row, QUESTION_KEYS), _pick(row, ANSWER_KEYS)
    if question is None or answer is None:
        return None
    question = " ".join(fix_mojibake(question).split())
    lines = [line.strip() for line in split_lines(fix_mojibake(answer))]
    blocks = [line_block(first, line) for line in lines if line]
    if not question or not blocks:
        return None
    fields = RowFields(id=_pick(row, ID_KEYS), url=_pick(row, URL_KEYS), alternates=_alternates(row))
    return Section(title=[Text(question, first)], level=1, line=first, end_line=last, blocks=blocks,
                   explicit=True, row=fields)


def _document(sections: list[Section], lines: list[str], repaired: bool = True) -> Document:
    root = Section(title=[], level=0, line=1, end_line=max(1, len(lines)))
    root.children = sections
    return Document(root=root, lines=lines, repaired=repaired)


def read_jsonl(text: str, where: str) -> Document:
    """JSONL rows with "question" and "answer" keys (optional "id", "url", "alternates")."""
    sections = []
    for number, row in json_objects(text, where, CorpusError, "question and answer"):
        section = _row_section(row, number, number)
        if section is None:
            raise CorpusError(f"{where}:{number}: a row needs non-empty 'question' and 'answer'")
        sections.append(section)
    return _document(sections, split_lines(text))


def read_table(text: str, where: str, delimiter: str) -> Document:
    """CSV or TSV with Question and Answer columns (header names are case-insensitive)."""
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    first = 1
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if not any(k in header for k in QUESTION_KEYS) or not any(k in header for k in ANSWER_KEYS):
            raise CorpusError(f"{where}:1: a table needs 'Question' and 'Answer' columns, found {header}")
        sections = []
        first = reader.line_num + 1
        for row in reader:
            section = _row_section(row, first, reader.line_num)
            if section is not None:
                sections.append(section)
            first = reader.line_num + 1
    except csv.Error as exc:  # named at the line where the bad row starts
        raise CorpusError(f"{where}:{first}: {exc}") from None
    return _document(sections, split_lines(text))


def sniff_delimiter(text: str, default: str = ",") -> str:
    first_line = split_lines(text[:65536])[0] if text else ""
    return max((",", ";", "\t"), key=first_line.count) if first_line else default


# --- YAML -----------------------------------------------------------------------------------------


def _scalar(node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) else None


def _mapping_fields(node: yaml.MappingNode) -> dict:
    fields = {}
    for key, value in node.value:
        name = _scalar(key)
        if name is not None:
            fields[name.strip().lower()] = value
    return fields


def _qa_mappings(node, depth: int = 0):
    """Mapping nodes holding a question and an answer, anywhere in the document, in order."""
    if depth > 50:
        return
    if isinstance(node, yaml.MappingNode):
        fields = _mapping_fields(node)
        if any(k in fields for k in QUESTION_KEYS) and any(k in fields for k in ANSWER_KEYS):
            yield node, fields
            return
        for _, value in node.value:
            yield from _qa_mappings(value, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _qa_mappings(item, depth + 1)


def _shift(blocks: list[Block], delta: int) -> list[Block]:
    """Blocks read from an answer string, moved to the file lines the string stands on."""
    for block in blocks:
        block.line += delta
        block.lines = [(n + delta, t) for n, t in block.lines]
        for piece in block.inlines:
            if isinstance(piece, (Text, Break)) and piece.line is not None:
                piece.line += delta
    return blocks


def _last_line(node, lines: list[str]) -> int:
    """The last non-blank line (1-based) a YAML node stands on (its end mark is where the next token
    starts: the start of the following line after a block scalar)."""
    end = node.end_mark.line + (1 if node.end_mark.column else 0)
    while end > node.start_mark.line + 1 and end <= len(lines) and not lines[end - 1].strip():
        end -= 1
    return max(end, node.start_mark.line + 1)


def read_yaml(text: str, where: str) -> Document:
    """A YAML list of question/answer mappings (also nested under a key, or in groups); answers are
    Markdown."""
    from .markdown import read_markdown

    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise CorpusError(f"{where}:{line}: not valid YAML ({exc.problem or exc})") from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise CorpusError(f"{where}: not valid YAML ({type(exc).__name__})") from None
    lines = split_lines(text)
    sections = []
    for node, fields in _qa_mappings(root_node) if root_node is not None else ():
        question_node = next(fields[k] for k in QUESTION_KEYS if k in fields)
        answer_node = next(fields[k] for k in ANSWER_KEYS if k in fields)
        question, answer = _scalar(question_node), _scalar(answer_node)
        if not question or not question.strip() or answer is None or not answer.strip():
            continue
        first = node.start_mark.line + 1
        # A block scalar ("|" or ">") starts on the line after its indicator.
        answer_line = answer_node.start_mark.line + 1 + (1 if answer_node.style in ("|", ">") else 0)
        document = read_markdown(answer)
        blocks = _shift(answer_blocks(document.root), answer_line - 1)
        last = max(first, *(_last_line(value, lines) for _, value in node.value))
        row = {k: _scalar(v) for k, v in fields.items() if _scalar(v) is not None}
        alternates = next((fields[k] for k in ALTERNATE_KEYS if k in fields), None)
        if isinstance(alternates, yaml.SequenceNode):
            row["alternates"] = [_scalar(v) for v in alternates.value if _scalar(v)]
        fields_of_row = RowFields(id=_pick(row, ID_KEYS), url=_pick(row, URL_KEYS), alternates=_alternates(row))
        sections.append(Section(title=[Text(" ".join(question.split()), first)], level=1, line=first,
                                end_line=last, blocks=blocks, explicit=True, row=fields_of_row))
    document = _document(sections, lines, repaired=False)
    if isinstance(root_node, yaml.MappingNode):  # a data file may name its page
        top = {k: _scalar(v) for k, v in _mapping_fields(root_node).items()}
        document.title = top.get("title")
        document.url = top.get("url") if (top.get("url") or "").startswith("http") else None
    return document


__all__ = ["RowFields", "read_jsonl", "read_table", "read_yaml", "sniff_delimiter"]
