"""Serving the chat app: check the address before anything loads, launch Gradio with the app's
protections, and say where it listens.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import AssistantError
from .batching import MAX_BATCH_SIZE
from .feedback import check_log
from .guard import Guard
from .layout import build_app, page_options
from .questionlog import check_question_log

if TYPE_CHECKING:
    import gradio as gr

    from ..search.retriever import Retriever

def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    """Fail early, with a clear message, when the app could not listen on host:port.

    Raises:
        AssistantError: a port out of range, an unknown host, or an address already in use.
    """
    import errno
    import socket

    if not 1 <= port <= 65535:
        raise AssistantError(f"the port must be between 1 and 65535, not {port}")
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise AssistantError(f"cannot listen on host {host!r}: {exc.strerror}") from None
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AssistantError(f"port {port} on {host} is already in use; choose another with --port") from None
            raise AssistantError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


# Gradio launches these features unless told otherwise; the app uses none of them. Run history would
# record runs to a Hugging Face bucket named by a request header, with the operator's token.
_FEATURES_OFF = {"share": False, "ssr_mode": False, "run_history": False, "enable_monitoring": False,
                 "mcp_server": False, "pwa": False, "max_file_size": 0, "footer_links": ["api", "gradio", "settings"]}
# Sessions whose state (a conversation of at most chat.MAX_TURNS turns) is kept; the oldest go first.
SESSIONS = 1000


def _queued_clients(app: gr.Blocks):
    """A callable: the client address of every request now in `app`'s queue (waiting or running)."""
    def queued() -> list[str | None]:
        events = list(app._queue.event_ids_to_events.values())  # Gradio 6: every event not finished
        return [getattr(getattr(e.request, "client", None), "host", None) for e in events]
    return queued


def launch(app: gr.Blocks, host: str, port: int, queue_size: int = Settings.queue_size,
           queue_per_client: int = Settings.queue_per_client, concurrency: int = MAX_BATCH_SIZE) -> str:
    """Start `app` in the background on host:port, behind the `Guard`, and return its URL.

    Args:
        queue_size: requests that may wait at once (besides those being answered); more get "queue full".
        queue_per_client: requests one client address may hold in the queue; more get a 429.
        concurrency: requests of one event that run at once (the rest wait in the queue).

    Raises:
        AssistantError: the address cannot be used (port taken, unknown host), or an environment
            variable would make Gradio serve files.
    """
    import os

    from starlette.middleware import Middleware

    if os.environ.get("GRADIO_ALLOWED_PATHS"):
        raise AssistantError("GRADIO_ALLOWED_PATHS is set, which would let Gradio serve those files; the app "
                             "serves none: unset it")
    # By default as many requests run at once as one batch answers: the layout's `AnswerBatcher`
    # answers questions asked together in one batch, which it can only do when they reach it together.
    app.queue(max_size=queue_size, default_concurrency_limit=concurrency)
    guard = Middleware(Guard, queued=_queued_clients(app), per_client=queue_per_client)
    try:
        app.launch(server_name=host, server_port=port, quiet=True, prevent_thread_lock=True, show_error=False,
                   state_session_capacity=SESSIONS, app_kwargs={"middleware": [guard]}, **_FEATURES_OFF,
                   **page_options())
    except (OSError, ValueError) as exc:
        raise AssistantError(f"cannot serve on {host}:{port}: {exc}") from None
    return f"http://{f'[{host}]' if ':' in host else host}:{app.server_port}"


def serve(settings: Settings, retriever: Retriever | None = None) -> None:
    """Load the retriever (building the index when needed), then serve the app until Ctrl+C."""
    import socket
    import sys

    from ..cli import for_terminal

    check_address(settings.host, settings.port)
    check_log(settings.feedback_log)
    if settings.question_log_path is not None:
        check_question_log(settings.question_log_path)
    if retriever is None:
        from ..search.retriever import Retriever

        retriever = Retriever.load(settings=settings)
    retriever.embedder.embed_queries(["warm up"])  # load the model now, not on the first question
    app = build_app(retriever, settings)
    url = launch(app, settings.host, settings.port, settings.queue_size, settings.queue_per_client)
    if is_loopback(settings.host):
        print(f"FAQ assistant running at {url}", flush=True)
    else:
        if settings.host in ("0.0.0.0", "::"):
            url = f"http://127.0.0.1:{app.server_port} (on the network: http://{socket.gethostname()}:{app.server_port})"
        print(f"FAQ assistant running at {url}", flush=True)
        print(f"warning: listening on {settings.host}, so the app is reachable from the network by anyone who can "
              "reach this machine, with no login", file=sys.stderr, flush=True)
    logged = settings.question_log_path
    questions = f"questions to {logged}" if logged is not None else "questions are not logged"
    print(for_terminal(f"feedback is appended to {settings.feedback_log}, {questions}; Ctrl+C stops"),
          file=sys.stderr, flush=True)
    app.block_thread()
