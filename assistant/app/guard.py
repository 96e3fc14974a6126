"""What the running app accepts over HTTP: an ASGI middleware in front of Gradio.

Gradio serves many routes a chat does not use: uploads (the app takes no files, yet 20,000 files of
1 KB a run were kept on disk), run history (which calls the Hugging Face Hub with the operator's
token), monitoring, streaming, a proxy, a file route that fetches any web address. The guard lets
through only the routes the page and the `/ask` API use, caps every request body, and caps how many
requests one client may hold in the queue, so that a burst from one client cannot make everyone wait.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

# A question is read up to 2,000 characters and a history holds 10 of them: a few KB as UTF-8 JSON.
# Gradio kept request bodies in its per-session state (40 of 20 MB: +830 MB, never freed).
MAX_BODY_BYTES = 64 * 1024

# The routes the chat page and the API use (Gradio 6), by method; everything else is a 404.
_ALLOWED = {
    "GET": re.compile(r"""/(
        | config/? | theme\.css | favicon\.ico | robots\.txt
        | (assets|static|svelte)/.+
        | gradio_api/(info/? | app_id/? | startup-events | queue/data | heartbeat/[^/]+ | call/[\w-]+/[\w-]+)
    )""", re.VERBOSE),
    "HEAD": re.compile(r"/"),
    "POST": re.compile(r"/gradio_api/(queue/join | call/[\w-]+/? | cancel | reset/?)", re.VERBOSE),
}
_JOINS = re.compile(r"/gradio_api/(queue/join|call/[\w-]+/?)")
# Gradio records a run to the Hugging Face bucket this header names (see gradio/history.py).
_DROPPED_HEADERS = {b"x-gradio-history-bucket"}


async def _respond(send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: the routes the app uses, bodies of at most `max_body` bytes, and at most
    `per_client` requests of one client (by address) in the queue at once.

    Args:
        app: the ASGI app behind it (Gradio's).
        queued: callable giving the client address of each request in the queue now.
        max_body: the largest request body accepted, in bytes.
        per_client: how many requests one address may have queued or running; more get a 429.
    """

    def __init__(self, app, queued: Callable[[], list[str | None]] | None = None, max_body: int = MAX_BODY_BYTES,
                 per_client: int | None = None) -> None:
        self.app = app
        self.queued = queued
        self.max_body = max_body
        self.per_client = per_client

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":  # the app uses none
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope.get("path", ""), scope.get("method", "GET")
        allowed = _ALLOWED.get(method)
        if allowed is None or not allowed.fullmatch(path):
            if "/upload" in path:
                await _respond(send, 403, "This app takes no files.")
            elif "/file" in path and re.search(r"/file[=/]+https?:", path, re.IGNORECASE):
                await _respond(send, 403, "Remote files are not served.")
            else:
                await _respond(send, 404, "Not found.")
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() not in _DROPPED_HEADERS]}
        if method == "POST" and _JOINS.fullmatch(path) and self._client_is_full(scope):
            await _respond(send, 429, f"Too many requests from this address are waiting (at most {self.per_client}); "
                                      "try again when they are answered.")
            return
        if method in ("POST", "PUT", "PATCH"):
            body = await self._read_body(scope, receive, send)
            if body is None:
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _client_is_full(self, scope) -> bool:
        if self.per_client is None or self.queued is None:
            return False
        client = (scope.get("client") or (None,))[0]
        return sum(1 for address in self.queued() if address == client) >= self.per_client

    async def _read_body(self, scope, receive, send) -> bytes | None:
        """The whole body, or None after answering 413 when it is larger than `max_body`."""
        declared = dict(scope.get("headers", [])).get(b"content-length")
        too_large = f"The request is larger than {self.max_body // 1024} KB."
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _respond(send, 413, too_large)
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:  # a body without a length, or longer than it said
                await _respond(send, 413, too_large)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive):
    """A `receive` that gives the app `body` (already read) as one message, then the real stream's."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
