"""Every way an Answer is shown, in one place: chat Markdown, terminal text and JSON.

The chat shows the FAQ's words with the best sentences highlighted, a citation marker, a sources
section, and the questions to offer when the FAQ has no answer or two are tied. Pure functions, no
Gradio: the UI only puts `Reply.markdown` in a chat bubble and `Reply.options` under it.

Gradio's Chatbot renders a message as Markdown (marked), then sanitises the HTML (DOMPurify). Every
piece of FAQ or user text here goes through `escape_markdown`, which backslash-escapes Markdown and
HTML syntax, so it reaches the page as text; the only markup in a reply is the few tags written
below (`mark`, `sup`, `a`). Sanitising stays on as a second line of defence, and the UI turns LaTeX
off: the Chatbot would otherwise re-insert text between `$$` after escaping.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .answer import HEDGED, NOT_FOUND, Answer
from .search.hit import Hit

# What the user typed is shown up to this length (the retriever reads no more than this either).
MAX_SHOWN_QUESTION = 2000
ERROR_MESSAGE = "Sorry, something went wrong while answering that. Please try again."


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
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(passage))
        if start >= end:
            continue
        pieces += [(passage[position:start], False), (passage[start:end], True)]
        position = end
    pieces.append((passage[position:], False))

    lines: list[str] = []
    current = ""
    for piece, marked in pieces:
        for number, part in enumerate(piece.split("\n")):
            if number:
                lines.append(current)
                current = ""
            if not current:  # indentation at the start of a line would make a code block
                part = part.lstrip()
            if part:
                current += f"<mark>{escape_markdown(part)}</mark>" if marked else escape_markdown(part)
    lines.append(current)
    return "\n".join(lines)


def source_line(hit: Hit, number: int, show_score: bool = False) -> str:
    """`[n] FAQ question · file:lines · link to the source page`, escaped."""
    parts = [f"<sup>[{number}]</sup> {escape(hit.question)}", escape(hit.citation)]
    url = safe_url(hit.url)
    if url:
        label = escape(hit.title or hit.url)
        parts.append(f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{label}</a>')
    elif hit.title:
        parts.append(escape(hit.title))
    if show_score:
        parts.append(f"score {hit.score:.2f}")
    return " · ".join(parts)


def safe_url(url: str | None) -> str | None:
    """`url` when it is an http(s) address; None for anything else (javascript:, data:, relative)."""
    if url and url.strip().lower().startswith(("http://", "https://")) and not any(c.isspace() for c in url.strip()):
        return url.strip()
    return None


def render_answer(answer: Answer, passages: int = 1, show_scores: bool = False) -> Reply:
    """What the chat shows for `answer`.

    Args:
        answer: from `Retriever.answer`.
        passages: how many of the answer's hits to show (the best first).
        show_scores: add each hit's fused score to its source line.
    """
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
    if answer.hedged:
        lines += [f"_{escape(HEDGED)}_", ""]
        options = tuple(h.question for h in answer.suggestions)
    if answer.ambiguous and len(answer.suggestions) >= 2:
        first, second = answer.suggestions[:2]
        mark = "" if second.question.rstrip().endswith("?") else "?"
        lines += [f"Did you mean **{escape(first.question)}** or **{escape(second.question)}**{mark} "
                  "Here is the first; choose either below to ask it.", ""]
        options = (first.question, second.question)

    shown = answer.hits[: max(1, passages)]
    for number, hit in enumerate(shown, start=1):
        if number == 2:
            lines += ["**Also in the FAQ**", ""]
        lines += [f"**{escape(hit.question)}**", "", f"{highlight(hit.text, hit.highlights)} <sup>[{number}]</sup>", ""]
    if answer.hedged and answer.suggestions:
        lines += ["Other close questions:", ""]
        lines += [f"{i}. {escape(h.question)}" for i, h in enumerate(answer.suggestions, start=1)]
        lines.append("")
    lines += ["---", "", "**Sources**", ""]
    lines += [source_line(hit, number, show_scores) for number, hit in enumerate(shown, start=1)]
    if show_scores:
        lines += ["", f"Confidence that this answers the question: {answer.confidence:.0%}"]
    return Reply("\n".join(lines).rstrip(), options)


def render_error(message: str | None = None) -> Reply:
    """A short message for a request that failed; `message` is shown as text."""
    return Reply(escape(message) if message else escape(ERROR_MESSAGE))


def chat_markdown(answer: Answer) -> str:
    """The answer as the chat shows it, best passage only."""
    return render_answer(answer).markdown


def terminal_text(answer: Answer) -> str:
    """The answer as plain text for a terminal."""
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
    if answer.hedged:
        lines += [HEDGED, ""]
    if answer.ambiguous:
        a, b = answer.suggestions[:2]
        lines += [f"Did you mean: {a.question!r} or {b.question!r}? Showing the first.", ""]
    best = answer.hits[0]
    lines += [f"Q: {best.question}", "", best.text, ""]
    source = " — ".join(part for part in (best.title, best.citation, best.url) if part)
    lines.append(f"Source: {source}  (confidence {answer.confidence:.0%})")
    if answer.hedged and answer.suggestions:
        lines += ["", "Other close questions:"] + [f"  - {hit.question}" for hit in answer.suggestions]
    return "\n".join(lines)


def json_text(answer: Answer) -> str:
    """The answer as one line of JSON (`Answer.to_dict()`), as `assistant ask --json` prints it."""
    return json.dumps(answer.to_dict(), ensure_ascii=False)
