"""The running app under attack: where it listens, which files it serves, where votes go, and markup
from the FAQ or the user reaching the browser as text.

Browser tests follow test_app.py: Debian's Chromium through Playwright, skipped when it is missing
unless FAQ_ASSISTANT_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import psutil
import pytest
from chat_page import ChatPage
from conftest import MARKUP_FAQ, MARKUP_TITLE
from page_session import EventFailed, PageSession

from assistant.app.feedback import Vote, append_vote, read_votes
from benchmarks.load import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
NETWORK_WARNING = ("warning: listening on 0.0.0.0, so the app is reachable from the network by anyone who can "
                   "reach this machine, with no login")


# --- where it listens --------------------------------------------------------------------------------


def other_address() -> str | None:
    """An IPv4 address of this machine other than loopback, if it has one."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return address.address
    return None


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("host", [None, "0.0.0.0"])
def test_the_app_listens_on_loopback_unless_told_otherwise_and_warns_then(host, small_corpus, tmp_path):
    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port), "--corpus", str(small_corpus),
               "--index", str(tmp_path / "index"), "--feedback-log", str(tmp_path / "feedback.jsonl")]
    command += ["--host", host] if host else []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    with open(tmp_path / "stderr.txt", "w") as errors:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(300)
        assert lines and lines[0], f"no URL printed; stderr:\n{(tmp_path / 'stderr.txt').read_text()[-3000:]}"
        listening = {c.laddr.ip for c in psutil.Process(process.pid).net_connections("tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
        outside = other_address()
        if host is None:
            assert lines[0] == f"FAQ assistant running at http://127.0.0.1:{port}\n"
            assert listening == {"127.0.0.1"}
            if outside:
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection((outside, port), timeout=30).close()
        else:
            assert lines[0].startswith(f"FAQ assistant running at http://127.0.0.1:{port} (on the network: http://")
            assert listening == {"0.0.0.0"}
            if outside:
                assert httpx.get(f"http://{outside}:{port}/config", timeout=30).status_code == 200
    finally:
        stop(process)
    assert (NETWORK_WARNING in (tmp_path / "stderr.txt").read_text()) is (host is not None)


# --- which files it serves ---------------------------------------------------------------------------


def _a_line(path: Path) -> str:
    """A line of the file long enough not to turn up in a response by chance (or in an error naming the path)."""
    return next(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if len(line.strip()) >= 20)


def test_the_app_serves_no_file_beyond_its_own_assets(served, retriever):
    app, url, log = served.app, served.url, served.feedback_log
    append_vote(log, Vote("a secret vote", "up", None, None, False))
    files = [Path("/etc/passwd"), ROOT / "README.md", retriever.settings.corpus / "azure-confidential-vms-faq.txt",
             retriever.settings.index / "manifest.json", log]
    secrets = {path: _a_line(path) for path in files[:-1]}
    secrets[log] = log.read_text(encoding="utf-8").splitlines()[-1]  # the log is shared: the vote just cast
    assert app.allowed_paths == [] and "a secret vote" in secrets[log]

    with httpx.Client(base_url=url, timeout=60) as http:
        page = http.get("/")  # the app itself is served: the refusals below are not a dead server
        assert page.status_code == 200 and "<!doctype html>" in page.text.lower()

        for path, secret in secrets.items():
            names = {str(path), str(path.resolve()), os.path.relpath(path), "%2F".join(str(path).split("/"))}
            for name in names:
                for route in ("/file={}", "/gradio_api/file={}", "/gradio_api/file/{}", "/gradio_api/file=..%2F..{}"):
                    response = http.get(route.format(name))
                    assert response.status_code in (403, 404), (route.format(name), response.status_code)
                    assert secret not in response.text
        for traversal in ("/static/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                          "/assets/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                          "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
            response = http.get(traversal)
            assert response.status_code in (403, 404) and "root:" not in response.text
        # Nor does it fetch URLs for a caller: not itself, not anything else on this machine.
        for route in (f"/gradio_api/file={url}/config", "/gradio_api/proxy=http://127.0.0.1:9/x"):
            response = http.get(route)
            assert response.status_code in (400, 403, 404) and '"version"' not in response.text
        assert str(log) not in http.get("/config").text  # nor does it tell where votes go


def test_the_app_fetches_no_web_address_for_a_caller(served):
    # Gradio's file route would fetch a public URL and stream it back (tried here, it gets an answer
    # from the network or a 502); the app refuses before any connection is made.
    url = served.url
    with httpx.Client(base_url=url, timeout=60) as http:
        for route in ("/gradio_api/file=http://93.184.216.34/faq.txt", "/gradio_api/file/https://93.184.216.34/a.png",
                      "/gradio_api/file=HTTPS://93.184.216.34/", "/gradio_api/file=%68ttp://93.184.216.34/"):
            response = http.get(route)
            assert (response.status_code, response.json()["detail"]) == (403, "Remote files are not served."), route


def test_uploads_are_refused_whatever_their_size(served):
    url = served.url
    for size in (1, 4096):
        response = httpx.post(f"{url}/gradio_api/upload", files={"files": ("f.txt", b"x" * size)}, timeout=60)
        assert (response.status_code, response.json()["detail"]) == (403, "This app takes no files.")


# --- where votes go ----------------------------------------------------------------------------------


def test_a_request_cannot_choose_where_votes_go(served, tmp_path):
    app, url, log = served.app, served.url, served.feedback_log
    steered = tmp_path / "steered.jsonl"
    before = len(read_votes(log))
    session = PageSession(app, url)
    try:
        session.ask("is the swap file encrypted?")
        # A real vote carrying a path everywhere a path could hide: in the state slot, in extra fields.
        session.call("on_vote", [str(steered)], {"index": 1, "value": "x", "liked": True, "feedback_log": str(steered),
                                                 "log_path": str(steered), "file": str(steered)})
        crafted = [  # each is refused by Gradio or ignored by the app
            ([None], {"index": 1, "value": "x", "liked": True, "path": str(steered)}),  # "path" reads as a file
            ([{"feedback_log": str(steered)}], {"index": str(steered), "value": "x", "liked": True}),
            ([None], {"index": 1, "value": str(steered), "liked": str(steered)}),
            ([None], {"index": [1, str(steered)], "value": "x", "liked": False}),
        ]
        for data, event_data in crafted:
            with contextlib.suppress(EventFailed):
                session.call("on_vote", data, event_data)
    finally:
        session.close()

    votes = read_votes(log)
    assert len(votes) == before + 1  # the first vote only, in the configured log
    assert votes[-1].question == "is the swap file encrypted?" and votes[-1].vote == "up"
    assert not steered.exists() and list(tmp_path.iterdir()) == []


# --- markup reaches the browser as text --------------------------------------------------------------

@pytest.mark.browser
def test_markup_in_suggestions_browsing_links_and_title_is_shown_as_text(browser, markup_app):
    requests: list[str] = []
    tab = ChatPage(browser, markup_app.url)
    tab.page.on("request", lambda request: requests.append(request.url))
    try:
        questions = [row["question"] for row in MARKUP_FAQ]
        buttons = [button.inner_text() for button in tab.page.get_by_role("button").all()]
        assert buttons[:3] == questions  # the welcome examples

        reply = tab.ask("how do I bake sourdough bread?")  # not in the FAQ: the closest questions are offered
        assert reply.inner_text().startswith("I couldn't find that in the FAQ.")
        options = tab.page.locator("button.option")
        offered = [options.nth(i).inner_text() for i in range(options.count())]
        assert sorted(offered) == sorted(questions)  # the FAQ has three questions: all are closest
        assert all(question in reply.inner_text() for question in offered)  # listed in the reply too

        answer = tab.click(options.nth(offered.index(questions[0])))
        assert tab.users.last.inner_text() == questions[0]
        assert answer.locator("strong").first.inner_text() == questions[0]
        assert MARKUP_FAQ[0]["answer"] in answer.inner_text()
        # The source link keeps its URL whole (the quote does not break out into an attribute); web
        # addresses written in FAQ text become links too, always http(s), opened without an opener.
        source = answer.locator("a", has_text=MARKUP_TITLE)
        assert source.count() == 1 and source.get_attribute("href") == MARKUP_FAQ[0]["url"]
        assert source.get_attribute("onmouseover") is None and source.inner_text() == MARKUP_TITLE
        for link in tab.page.locator("#chat a").all():
            assert link.get_attribute("href").startswith(("http://", "https://"))
            assert "noopener" in link.get_attribute("rel")

        answer = tab.ask(questions[1])
        assert answer.locator("strong").first.inner_text() == questions[1]
        assert MARKUP_FAQ[1]["answer"] in answer.inner_text()
        assert answer.locator("a").last.get_attribute("href") == MARKUP_FAQ[1]["url"]

        tab.page.locator("#browse input").click()
        listed = tab.page.get_by_role("option")
        assert [listed.nth(i).inner_text() for i in range(listed.count())] == questions
        listed.first.hover()

        assert tab.page.title() == MARKUP_TITLE
        injected = "img[src='x'], img[src*='px.png'], script, [onerror], [onmouseover], [onclick]"
        assert tab.page.locator(f"gradio-app :is({injected})").count() == 0  # anywhere in the app, not only the chat
        assert tab.xss() is None
        assert not [u for u in requests if "px.png" in u or u.rstrip("/").endswith("/x")]
    finally:
        tab.page.close()
