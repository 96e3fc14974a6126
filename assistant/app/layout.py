"""The Gradio chat app, built from a loaded Retriever; `server.serve` launches it.

Layout and wiring only: a `Chat` (chat.py) holds each browser session's conversation, render.py
turns answers into messages, feedback.py writes votes. The model and index are loaded once, before
the app is built; every request reuses them. What only the browser can do (land on the start of each
answer, copy clean text, name messages in plain text) is in page.js, with page.css and the theme
given to Gradio at launch (`page_options`).

Gradio is imported at the top: this module is only imported to serve the app, and Gradio reads the
event handlers' type hints (gr.SelectData, gr.LikeData) from this module's globals.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from ..config import Settings
from ..errors import AssistantError
from ..render import escape
from ..search.query import MAX_INPUT_CHARS
from .batching import AnswerBatcher
from .chat import MAX_HISTORY, Chat, EntriesById, log_question, received_text
from .questionlog import LoggedQuestion

if TYPE_CHECKING:
    from ..search.retriever import Retriever

log = logging.getLogger(__name__)

MAX_PASSAGES = 5
EXAMPLES = 4
# The browse list goes into the page's config, which every visitor downloads: all 200,000 questions of
# a large FAQ made /config and the page 17 MB each. Beyond this many, the first ones are listed.
MAX_BROWSE = 1000
# The page's own look and behaviour (see page_options): CSS and the script beside this module.
PAGE_CSS = Path(__file__).with_name("page.css")
PAGE_JS = Path(__file__).with_name("page.js")
# The system's own fonts: Gradio's bundled web font is a small subset, so bold text fell back to
# other glyphs mid-word; system fonts are complete and need no download.
SYSTEM_FONTS = ("system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace")


def page_options() -> dict:
    """The app's theme, CSS and script, as `gr.Blocks.launch` takes them (Gradio 6 sets them at launch)."""
    theme = gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)
    script = PAGE_JS.read_text(encoding="utf-8").replace("MAX_INPUT_CHARS", str(MAX_INPUT_CHARS))
    return {"theme": theme, "css": PAGE_CSS.read_text(encoding="utf-8"), "js": script}


def example_questions(questions: list[str], n: int = EXAMPLES) -> list[str]:
    """`n` of the FAQ's own questions, spread over the whole FAQ; short ones first (they read well
    as buttons)."""
    distinct = list(dict.fromkeys(q for q in questions if q.strip()))
    pool = [q for q in distinct if len(q) <= 80] or distinct
    if len(pool) <= n:
        return pool
    return [pool[i * len(pool) // n] for i in range(n)]


def faq_title(retriever: Retriever) -> str:
    """The corpus's title when all its sources share one, else a generic name."""
    titles = {e.title for e in retriever.entries}
    return titles.pop() if len(titles) == 1 and None not in titles else "FAQ assistant"


def build_app(retriever: Retriever, settings: Settings | None = None) -> gr.Blocks:
    """The chat app over `retriever`'s FAQ.

    Args:
        retriever: a loaded Retriever (model and index ready); shared by every session.
        settings: where votes go (`feedback_log`); `retriever.settings` when omitted.

    Returns:
        The Gradio Blocks, not launched. Besides the chat it offers one API endpoint, `/ask`.
    """
    settings = settings or retriever.settings
    entries = EntriesById(retriever)  # follows entries added or removed while the app runs
    question_log = settings.question_log_path  # None: questions are not logged
    questions = [e.question for e in retriever.entries]
    title = faq_title(retriever)
    browsable = questions[:MAX_BROWSE]
    browse_label = (f"Browse all {len(questions)} questions" if len(questions) <= MAX_BROWSE else
                    f"Browse the first {MAX_BROWSE:,} of {len(questions):,} questions (ask to find the others)")
    answers = AnswerBatcher(retriever)  # questions asked at once, by any sessions, are answered in one batch

    def respond(chat: Chat, question: str, passages, show_scores: bool) -> Chat:
        passages = min(MAX_PASSAGES, max(1, int(passages or 1)))
        chat.ask(answers, question, passages, bool(show_scores), entries, question_log, settings.log_max_bytes)
        return chat

    def on_submit(question: str, chat: Chat, passages, show_scores):
        if not (question or "").strip():
            return chat.messages(), chat, question
        chat = respond(chat, question, passages, show_scores)
        return chat.messages(), chat, ""

    def on_pick(chat: Chat, passages, show_scores, event: gr.SelectData):
        value = event.value.get("text") if isinstance(event.value, dict) else event.value
        if isinstance(value, str) and value.strip():
            chat = respond(chat, value, passages, show_scores)
        return chat.messages(), chat

    def on_browse(choice, chat: Chat, passages, show_scores):
        if isinstance(choice, int) and 0 <= choice < len(browsable):
            chat = respond(chat, browsable[choice], passages, show_scores)
        return chat.messages(), chat, None

    def on_vote(chat: Chat, event: gr.LikeData) -> None:
        if isinstance(event.liked, bool):  # anything else is a vote withdrawn, or not a thumb
            try:
                chat.vote(event.index, event.liked, settings.feedback_log, question_log, settings.log_max_bytes)
            except AssistantError as exc:
                log.error("%s", exc)
                gr.Warning("Your vote could not be saved.")

    def ask(question: str, history: list[str] | None = None, k: int | None = None) -> dict:
        """Answer a question from the FAQ.

        Args:
            question: the question.
            history: the user's earlier questions, oldest first (a short follow-up is read with them).
            k: how many hits to return (default 5).

        Returns:
            The answer: found (False when the FAQ does not answer it), hits (the FAQ's own text,
            citation, url, score, highlights), suggestions (closest questions, or the two "did you mean").
        """
        if isinstance(history, str):
            history = [history]
        history = [received_text(h) for h in (history if isinstance(history, list) else [])
                   if isinstance(h, str)][-MAX_HISTORY:]
        if isinstance(question, str):
            question = received_text(question)
        try:
            answer = answers.answer(question, history=history, k=k)
        except AssistantError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except Exception:
            log.exception("API answer to %r failed", str(question)[:200])
            raise gr.Error("Something went wrong answering that question.", print_exception=False) from None
        if question_log is not None:
            log_question(question_log, LoggedQuestion.of(answer, history, via="api"), settings.log_max_bytes)
        return answer.to_dict()

    placeholder = (f"**{escape(title)}**\n\nAsk a question. Every answer is quoted word for word from the FAQ, "
                   f"with its source. Or start with one of these:")
    private = {"api_visibility": "private"}  # the UI's own events; API clients use /ask
    with gr.Blocks(title=title, analytics_enabled=False) as app:
        chat = gr.State(Chat())
        # The title stands above the chat, not as the Chatbot's floating label, which covered the
        # first line of a scrolled answer.
        gr.HTML(f"<h1 id='faq-title'>{html.escape(title)}</h1>")
        chatbot = gr.Chatbot(
            label=title, show_label=False, height=560, placeholder=placeholder, elem_id="chat",
            examples=[{"text": q} for q in example_questions(questions)],
            feedback_options=("Like", "Dislike"), buttons=["copy", "copy_all"],  # no "share": it uploads
            # page.js scrolls each new answer to its start instead: the bottom of a long answer is
            # no place to land.
            autoscroll=False,
            # Text is escaped in render.py; sanitising stays on, and LaTeX is off because the
            # Chatbot would re-insert the text between $$ delimiters after Markdown escaping.
            render_markdown=True, sanitize_html=True, latex_delimiters=[], allow_tags=False,
        )
        # As much as the retriever ever looks at (it reads a long paste from its end); page.js says
        # so when a paste reaches the limit, rather than the box cutting it silently.
        box = gr.Textbox(placeholder="Ask a question about the FAQ", show_label=False, submit_btn="Ask",
                         autofocus=True, max_length=MAX_INPUT_CHARS, elem_id="question")
        browse = gr.Dropdown([(q, i) for i, q in enumerate(browsable)], value=None, type="value",
                             label=browse_label, filterable=True, elem_id="browse")
        # Not "Settings": Gradio's footer has a Settings link of its own.
        with gr.Accordion("Answer options", open=False, elem_id="answer-options"):
            passages = gr.Slider(1, MAX_PASSAGES, value=1, step=1, label="Passages shown",
                                 info="The best answer first, then the next closest entries")
            show_scores = gr.Checkbox(False, label="Show scores", info="The fused retrieval score of each source")
        if question_log is not None:  # said plainly; where the log is stays on the server
            gr.Markdown("Questions asked here are logged on this machine, to improve the FAQ.", elem_id="logged")

        box.submit(on_submit, [box, chat, passages, show_scores], [chatbot, chat, box], **private)
        chatbot.example_select(on_pick, [chat, passages, show_scores], [chatbot, chat], **private)
        chatbot.option_select(on_pick, [chat, passages, show_scores], [chatbot, chat], **private)
        browse.input(on_browse, [browse, chat, passages, show_scores], [chatbot, chat, browse], **private)
        chatbot.like(on_vote, [chat], None, **private)
        chatbot.clear(Chat, None, [chat], **private)
        gr.api(ask, api_name="ask")
    return app
