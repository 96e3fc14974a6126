"""Serving the chat app: check the address before anything loads, launch Gradio with the app's
protections, and say where it listens.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import AssistantError
from .layout import MAX_UPLOAD, build_app

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


# Gradio's file route fetches any public http(s) URL it is given and streams it back, which would make
# the app a web proxy for whoever reaches it. The app shows no remote files and answers offline.
_REMOTE_FILE = re.compile(r"/file[=/]+https?:", re.IGNORECASE)


class RefuseRemoteFiles:
    """ASGI middleware: a 403 for Gradio's file route given a web address; everything else passes."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and _REMOTE_FILE.search(scope.get("path", "")):
            from starlette.responses import PlainTextResponse

            await PlainTextResponse("Remote files are not served.", status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def launch(app: gr.Blocks, host: str, port: int) -> str:
    """Start `app` in the background on host:port and return its URL.

    Raises:
        AssistantError: the address cannot be used (port taken, unknown host).
    """
    from starlette.middleware import Middleware

    try:
        app.launch(server_name=host, server_port=port, share=False, quiet=True, ssr_mode=False,
                   prevent_thread_lock=True, show_error=False, max_file_size=MAX_UPLOAD,
                   app_kwargs={"middleware": [Middleware(RefuseRemoteFiles)]})
    except (OSError, ValueError) as exc:
        raise AssistantError(f"cannot serve on {host}:{port}: {exc}") from None
    return f"http://{f'[{host}]' if ':' in host else host}:{app.server_port}"


def serve(settings: Settings, retriever: Retriever | None = None) -> None:
    """Load the retriever (building the index when needed), then serve the app until Ctrl+C."""
    import socket
    import sys

    from ..cli import for_terminal

    check_address(settings.host, settings.port)
    if retriever is None:
        from ..search.retriever import Retriever

        retriever = Retriever.load(settings=settings)
    retriever.embedder.embed_queries(["warm up"])  # load the model now, not on the first question
    app = build_app(retriever, settings)
    url = launch(app, settings.host, settings.port)
    if is_loopback(settings.host):
        print(f"FAQ assistant running at {url}", flush=True)
    else:
        if settings.host in ("0.0.0.0", "::"):
            url = f"http://127.0.0.1:{app.server_port} (on the network: http://{socket.gethostname()}:{app.server_port})"
        print(f"FAQ assistant running at {url}", flush=True)
        print(f"warning: listening on {settings.host}, so the app is reachable from the network by anyone who can "
              "reach this machine, with no login", file=sys.stderr, flush=True)
    print(for_terminal(f"feedback is appended to {settings.feedback_log}; Ctrl+C stops"), file=sys.stderr, flush=True)
    app.block_thread()
