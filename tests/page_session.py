"""A browser-less visitor of a running Gradio app: its own session, the protocol the app's page speaks.

gradio_client refuses the chat's private events, so this joins the queue with the event's number
and a session hash, as the page does, and reads the result from that session's event stream.
"""

from __future__ import annotations

import json
import uuid

import httpx

WAIT = 120  # seconds: a generous ceiling for one reply on a busy machine, not a performance assertion


class EventFailed(Exception):
    """The app answered an event with an error (its message is Gradio's `process_completed`)."""


class PageSession:
    """One visitor of `app` (the running `gr.Blocks`) served at `url`."""

    def __init__(self, app, url: str) -> None:
        self.events = {fn.name: (number, fn.targets[0][0] if fn.targets else None) for number, fn in app.fns.items()}
        self.hash = uuid.uuid4().hex
        self.http = httpx.Client(base_url=f"{url}/gradio_api", timeout=WAIT)

    def call(self, event: str, data: list, event_data: dict | None = None) -> list:
        """Run the app's handler named `event` (its Python name) in this session; its outputs.

        Raises:
            EventFailed: the app refused the request or the handler failed.
        """
        number, trigger = self.events[event]
        body = {"data": data, "fn_index": number, "trigger_id": trigger, "session_hash": self.hash,
                "event_data": event_data}
        # As a browser's JSON.stringify: non-ASCII (and a lone surrogate) as \u escapes.
        joined = self.http.post("/queue/join", content=json.dumps(body), headers={"content-type": "application/json"})
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        with self.http.stream("GET", "/queue/data", params={"session_hash": self.hash}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("event_id") == event_id and message["msg"] == "process_completed":
                    if not message["success"]:
                        raise EventFailed(message)
                    return message["output"]["data"]
        raise AssertionError(f"the stream closed before {event} completed")

    def ask(self, question: str) -> list[str]:
        """Submit `question` as the question box does; the texts of the chat's messages after it."""
        messages = self.call("on_submit", [question, None, 1, False])[0]
        return [part["text"] for message in messages for part in message["content"]]

    def close(self) -> None:
        self.http.close()
