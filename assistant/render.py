"""Every way an Answer is shown, in one place: chat Markdown, terminal text and JSON.

The chat shows the FAQ's words with the best sentences highlighted, a citation marker, a sources
section, and the questions to offer when the FAQ has no answer or two are tied. Pure functions, no
Gradio: the UI only puts `Reply.markdown` in a chat bubble and `Reply.options` under it.

Gradio's Chatbot renders a message as Markdown (marked), then sanitises the HTML (DOMPurify). Every
piece of FAQ or user text here goes through `escape_markdown`, which backslash-escapes Markdown and
HTML syntax, so it reaches the page as text; the only markup in a reply is the few tags written
below (`mark`, `sup`, `a`, `code`, `details`, `summary`) and the Markdown of the answer's own
structure (paragraphs, list items, fenced code, a quote for a hedged answer). Sanitising stays on as a
second line of defence, and the UI turns LaTeX off: the Chatbot would otherwise re-insert text between
`$$` after escaping.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .answer import HEDGED, NOT_FOUND, Answer
from .ingest.entry import CODE, CODEBLOCK, LINK, Entry, Mark
from .search.hit import Hit
from .text import covers

# What the user typed is shown up to this length (the retriever reads no more than this either).
MAX_SHOWN_QUESTION = 2000
ERROR_MESSAGE = "Sorry, something went wrong while answering that. Please try again."
# A hedged answer is marked with this word at a glance, in the chat and in a terminal.
NOT_SURE = "Not sure"


@dataclass(frozen=True)
class Reply:
    """One assistant message in the chat.

    Attributes:
        markdown: the message, Markdown with a little HTML; all FAQ and user text escaped.
        options: FAQ questions to offer as buttons (not found: the closest; ambiguous: both).
    """

    markdown: str
    options: tuple[str, ...] = ()


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Escape Markdown and HTML syntax so FAQ or user text is shown as written, never interpreted."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match[str]) -> str:
    marker = m.group(2)
    # "1." starts a list: escape the dot; "#", "-", ">" start headings, bullets, quotes: escape them.
    return m.group(1) + (marker + "\\" if marker[0].isdigit() else "\\" + marker)


def escape(value: str) -> str:
    """`value` as Markdown that displays exactly as text: syntax escaped, line indentation dropped
    (an indented line would otherwise become a code block, where escapes show)."""
    return "\n".join(line.lstrip() for line in escape_markdown(value).split("\n"))


def render_question(question: str) -> str:
    """The user's message, as text."""
    shown = question if len(question) <= MAX_SHOWN_QUESTION else question[:MAX_SHOWN_QUESTION] + "…"
    return escape(shown)


def highlight(passage: str, spans: Sequence[tuple[int, int]]) -> str:
    """`passage` as text, with the character `spans` wrapped in <mark>, one mark per line so that
    no tag crosses a paragraph."""
    return answer_markdown(passage, spans, whole=True)


# A list item of an answer: as the readers write them, one a line with the source's marker.
_LIST_ITEM = re.compile(r"[ \t]*([-*+•]|\d{1,9}[.)])[ \t]+(?=\S)")


def passage_marks(entry: Entry | None, text: str) -> tuple[Mark, ...]:
    """The links and code of `entry` that lie in `text` (a passage of its answer), offsets in `text`."""
    if entry is None or not entry.marks:
        return ()
    start = entry.answer.find(text)
    if start < 0:
        return ()
    end = start + len(text)
    return tuple(Mark(m.start - start, m.end - start, m.kind, m.target)
                 for m in entry.marks if start <= m.start and m.end <= end)


def answer_markdown(text: str, spans: Sequence[tuple[int, int]] = (), marks: Sequence[Mark] = (),
                    whole: bool = False) -> str:
    """An answer (or a passage of one) as Markdown that shows it as the source meant it.

    Paragraphs stay paragraphs, list items a list, code blocks fenced code; links (http(s) only)
    and inline code come from `marks`. The sentences in `spans` are wrapped in <mark>, one mark per
    line, so no tag crosses a paragraph. All text is escaped.

    Args:
        text: the FAQ's own words.
        spans: (start, end) character spans to highlight.
        marks: links and code in `text`, by character offsets (`passage_marks`).
        whole: highlight `spans` even when they cover the whole text (otherwise a highlight of
            everything points at nothing, and none is shown).

    Returns:
        Markdown with a little HTML (`mark`, `a`, `code`).
    """
    if not whole and covers(text, spans):
        spans = ()
    parts: list[str] = []
    position = 0
    for block in sorted((m for m in marks if m.kind == CODEBLOCK), key=lambda m: m.start):
        if block.start < position or block.end > len(text):
            continue
        parts += [_prose(text, position, block.start, spans, marks), fenced(text[block.start : block.end])]
        position = block.end
    parts.append(_prose(text, position, len(text), spans, marks))
    return "\n\n".join(part for part in parts if part.strip())


def fenced(code: str) -> str:
    """`code` as a fenced code block, shown verbatim: the fence is longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code.strip(chr(10))}\n{fence}"


def _prose(text: str, start: int, end: int, spans, marks) -> str:
    """Lines `start:end` of `text`: blank lines part paragraphs, list items become Markdown items, other
    line breaks stay line breaks (the Chatbot renders them so)."""
    lines: list[str] = []
    was_item = False
    offset = start
    for line in text[start:end].split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if not line.strip():
            if lines and lines[-1]:
                lines.append("")
            was_item = False
            continue
        item = _LIST_ITEM.match(line)
        content_start = line_start + (item.end() if item else len(line) - len(line.lstrip()))
        if item and not was_item and lines and lines[-1]:
            lines.append("")  # a list starts a block of its own
        elif not item and was_item:
            lines.append("")
        marker = ""
        if item:
            number = item.group(1)[:-1]
            marker = f"{number}. " if number.isdigit() else "- "
        lines.append(marker + _inline(text, content_start, line_start + len(line.rstrip()), spans, marks))
        was_item = bool(item)
    return "\n".join(lines).strip("\n")


def _inline(text: str, start: int, end: int, spans, marks) -> str:
    """`text[start:end]` escaped, with links, inline code and highlights as tags."""
    inline = [m for m in marks if m.kind in (LINK, CODE) and m.start < end and m.end > start]
    cuts = {start, end} | {c for s, e in spans for c in (s, e)} | {c for m in inline for c in (m.start, m.end)}
    points = sorted(c for c in cuts if start <= c <= end)
    out = []
    for a, b in zip(points, points[1:]):
        piece = text[a:b]
        if not piece:
            continue
        shown = escape_markdown(piece)
        if any(m.kind == CODE and m.start <= a and b <= m.end for m in inline):
            shown = f"<code>{shown}</code>"
        link = next((m for m in inline if m.kind == LINK and m.start <= a and b <= m.end), None)
        url = safe_url(link.target) if link else None
        if url:
            shown = _link(url, shown)
        if piece.strip() and any(s <= a and b <= e for s, e in spans):
            shown = f"<mark>{shown}</mark>"
        out.append(shown)
    return "".join(out)


def _link(url: str, label: str) -> str:
    """A link to a web address (checked by `safe_url`) that opens in a new tab, without an opener."""
    return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def source_line(hit: Hit, number: int, show_score: bool = False, entry: Entry | None = None) -> str:
    """`[n] FAQ question · link to the source page at the entry · file:lines`, escaped.

    Without a web address, the cited lines themselves are shown, folded under `file:lines`: a
    browser cannot open a local file.
    """
    parts = [f"<sup>[{number}]</sup> {escape(hit.question)}"]
    url = safe_url(hit.url)
    if url:
        parts += [_link(url, escape(hit.title or hit.url)), escape(hit.citation)]
    elif hit.title:
        parts.append(escape(hit.title))
    if show_score:
        parts.append(f"score {hit.score:.2f}")
    line = " · ".join(parts)
    if url:
        return line
    summary = f"{escape(hit.source)}, line{'s' if hit.end_line != hit.start_line else ''} " + (
        f"{hit.start_line}" if hit.start_line == hit.end_line else f"{hit.start_line}–{hit.end_line}")
    if hit.citation:
        line += f"\n\n<details><summary>{summary}</summary>\n\n{fenced(cited_lines(hit, entry))}\n\n</details>"
    return line


def cited_lines(hit: Hit, entry: Entry | None) -> str:
    """The hit's text as it stands in its file: one row per source line, numbered (the entry's
    `line_offsets` say where each line starts); markup as the readers removed it."""
    if entry is None or not entry.line_offsets or (start := entry.answer.find(hit.text)) < 0:
        return hit.text
    end = start + len(hit.text)
    starts = [(offset, line) for offset, line in entry.line_offsets if start < offset < end]
    first_line = entry.line_of(start)
    pieces = []
    for (a, line), (b, _) in zip([(start, first_line), *starts], [*starts, (end, 0)]):
        pieces.append((line, entry.answer[a:b].rstrip()))
    width = len(str(max(line for line, _ in pieces)))
    return "\n".join(f"{line:>{width}}  {piece}" for line, piece in pieces if piece)


def safe_url(url: str | None) -> str | None:
    """`url` when it is an http(s) address; None for anything else (javascript:, data:, relative)."""
    if url and url.strip().lower().startswith(("http://", "https://")) and not any(c.isspace() for c in url.strip()):
        return url.strip()
    return None


def render_answer(answer: Answer, passages: int = 1, show_scores: bool = False,
                  entries: Mapping[str, Entry] | None = None) -> Reply:
    """What the chat shows for `answer`.

    Args:
        answer: from `Retriever.answer`.
        passages: how many of the answer's hits to show (the best first).
        show_scores: add each hit's fused score to its source line.
        entries: the FAQ's entries by id, for the links and code of each answer and the lines each
            citation stands on; without them answers are shown as plain paragraphs.
    """
    entries = entries or {}
    lines: list[str] = []
    if answer.note:
        lines += [f"_{escape(answer.note)}_", ""]
    if answer.context:
        lines += [f"_Read as a follow-up to: {escape(answer.context)}_", ""]
        if answer.read_as:
            lines += [f"_Read as: {escape(answer.read_as)}_", ""]

    if not answer.found and not answer.hedged:
        lines.append(escape(NOT_FOUND))
        if answer.suggestions:
            lines += ["", "Closest questions in the FAQ:", ""]
            lines += [f"{i}. {escape(h.question)}" + (f" (score {h.score:.2f})" if show_scores else "")
                      for i, h in enumerate(answer.suggestions, start=1)]
        return Reply("\n".join(lines), tuple(h.question for h in answer.suggestions))

    options: tuple[str, ...] = ()
    if answer.ambiguous and len(answer.suggestions) >= 2:
        first, second = answer.suggestions[:2]
        mark = "" if second.question.rstrip().endswith("?") else "?"
        lines += [f"Did you mean **{escape(first.question)}** or **{escape(second.question)}**{mark} "
                  "Here is the first; choose either below to ask it.", ""]
        options = (first.question, second.question)

    shown = answer.hits[: max(1, passages)]
    body: list[str] = []
    for number, hit in enumerate(shown, start=1):
        if number == 2:
            body += ["**Also in the FAQ**", ""]
        entry = entries.get(hit.entry_id)
        text = answer_markdown(hit.text, hit.highlights, passage_marks(entry, hit.text))
        body += [f"**{escape(hit.question)}** <sup>[{number}]</sup>", "", text, ""]
    if answer.hedged:
        # A hedged answer is set apart at a glance: a quote, under a "Not sure" line.
        options = tuple(h.question for h in answer.suggestions)
        body = [f"⚠️ **{NOT_SURE}.** {escape(HEDGED)}", "", *body]
        lines += [f"> {line}" if line else ">" for line in "\n".join(body).rstrip().split("\n")] + [""]
        if answer.suggestions:
            lines += ["Other close questions:", ""]
            lines += [f"{i}. {escape(h.question)}" for i, h in enumerate(answer.suggestions, start=1)]
            lines.append("")
    else:
        lines += body
    lines += ["---", "", "**Sources**", ""]
    lines += ["\n\n".join(source_line(hit, number, show_scores, entries.get(hit.entry_id))
                          for number, hit in enumerate(shown, start=1))]
    if show_scores:
        lines += ["", f"Confidence that this answers the question: {answer.confidence:.0%}"]
    return Reply("\n".join(lines).rstrip(), options)


def render_error(message: str | None = None) -> Reply:
    """A short message for a request that failed; `message` is shown as text."""
    return Reply(escape(message) if message else escape(ERROR_MESSAGE))


def chat_markdown(answer: Answer) -> str:
    """The answer as the chat shows it, best passage only (without the entries' links and code)."""
    return render_answer(answer).markdown


def terminal_text(answer: Answer) -> str:
    """The answer as plain text for a terminal; a hedged answer is indented under a "Not sure" line."""
    lines = [answer.note, ""] if answer.note else []
    if answer.context:
        read = f": {answer.read_as}" if answer.read_as else f" to: {answer.context}"
        lines += [f"(read as a follow-up{read})", ""]
    if not answer.found and not answer.hedged:
        lines.append(NOT_FOUND)
        if answer.suggestions:
            lines.append("Closest questions in the FAQ:")
            lines += [f"  - {hit.question}" for hit in answer.suggestions]
        return "\n".join(lines)
    if answer.ambiguous:
        a, b = answer.suggestions[:2]
        lines += [f"Did you mean: {a.question!r} or {b.question!r}? Showing the first.", ""]
    best = answer.hits[0]
    body = [f"Q: {best.question}", "", best.text, ""]
    if answer.hedged:
        lines += [f"?? {NOT_SURE}. {HEDGED}", ""]
        body = [f"  | {line}".rstrip() for line in "\n".join(body[:-1]).split("\n")] + [""]
    lines += body
    source = " — ".join(part for part in (best.title, best.citation, best.url) if part)
    sure = f"confidence {answer.confidence:.0%}" + (f", {NOT_SURE.lower()}" if answer.hedged else "")
    lines.append(f"Source: {source}  ({sure})")
    if answer.hedged and answer.suggestions:
        lines += ["", "Other close questions:"] + [f"  - {hit.question}" for hit in answer.suggestions]
    return "\n".join(lines)


def json_text(answer: Answer) -> str:
    """The answer as one line of JSON (`Answer.to_dict()`), as `assistant ask --json` prints it."""
    return json.dumps(answer.to_dict(), ensure_ascii=False)
