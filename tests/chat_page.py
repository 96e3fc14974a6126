"""Debian's Chromium under Playwright, and a chat tab driven like a user would (for the browser tests)."""

from __future__ import annotations

import os
import shutil

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 60_000  # a generous ceiling for a reply on a busy machine; not a performance assertion


def chromium_path() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


class ChatPage:
    """One browser tab on the app (its own Gradio session, so its own conversation)."""

    def __init__(self, browser, url: str, viewport: dict | None = None, permissions: list[str] | None = None) -> None:
        # A context of its own: its viewport (a phone's, say) and permissions (the clipboard's).
        self.context = browser.new_context(viewport=viewport or {"width": 1000, "height": 820},
                                           permissions=permissions or [])
        self.page = self.context.new_page()
        self.page.goto(url)
        self.page.wait_for_selector("#question textarea", timeout=WAIT_MS)
        self.bots = self.page.locator('[data-testid="bot"]')
        self.users = self.page.locator('[data-testid="user"]')

    def _wait_for_reply(self, before: int):
        # The reply arrives in one update of the chat, with the user's message and any options.
        self.page.wait_for_function(
            f"document.querySelectorAll('[data-testid=\"bot\"]').length > {before}", timeout=WAIT_MS)
        return self.bots.nth(before)

    def ask(self, question: str):
        before = self.bots.count()
        self.page.fill("#question textarea", question)
        self.page.press("#question textarea", "Enter")
        return self._wait_for_reply(before)

    def click(self, locator):
        before = self.bots.count()
        locator.click()
        return self._wait_for_reply(before)

    def close(self) -> None:
        self.context.close()

    def xss(self):
        return self.page.evaluate("window.__xss")
