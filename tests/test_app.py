"""The chat app end to end: served on a free loopback port, used through gradio_client and through
Debian's Chromium driven by Playwright.

Browser tests are skipped when Chromium is not installed, unless FAQ_ASSISTANT_REQUIRE_BROWSER=1
(as `.ci/run` sets), where a missing browser fails them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from chat_page import ChatPage

from assistant import AssistantError
from assistant.app.layout import example_questions
from assistant.app.server import check_address, is_loopback
from assistant.search.query import MAX_INPUT_CHARS
from benchmarks.load import free_port

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
SWAP_URL = "https://learn.microsoft.com/en-us/azure/confidential-computing/confidential-vm-faq"


# --- the API, through gradio_client ---------------------------------------------------------------


def test_gradio_client_asks_the_running_app(served):
    from gradio_client import Client

    client = Client(served.url, verbose=False)
    answer = client.predict("is the swap file encrypted?", api_name="/ask")
    assert answer["found"] is True
    best = answer["hits"][0]
    assert best["citation"] == "azure-confidential-vms-faq.txt:41-43"
    assert best["text"].startswith("Yes, but only if the pagefile.sys is located on the encrypted OS disk.")
    assert best["url"] == SWAP_URL

    follow_up = client.predict("and for Intel?", ["Can I do attestation for AMD confidential VMs?"], 2,
                               api_name="/ask")
    assert follow_up["context"] == "Can I do attestation for AMD confidential VMs?"
    assert follow_up["hits"][0]["question"] == "Can I perform attestation for my Intel-based confidential VMs?"
    assert len(follow_up["hits"]) == 2

    off_topic = client.predict("how do I bake sourdough bread?", api_name="/ask")
    assert off_topic["found"] is False and len(off_topic["suggestions"]) == 3


def test_api_errors_are_short_messages_and_only_ask_is_public(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(served.url, verbose=False)
    with pytest.raises(AppError, match="the question is empty"):
        client.predict("   ", api_name="/ask")
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]


# --- starting and stopping the app -----------------------------------------------------------------


@pytest.mark.slow
def test_app_py_serves_prints_the_url_and_stops_on_ctrl_c(small_corpus, tmp_path):
    from gradio_client import Client

    port = free_port()
    command = [sys.executable, "app.py", "--port", str(port), "--corpus", str(small_corpus),
               "--index", str(tmp_path / "index"), "--feedback-log", str(tmp_path / "feedback.jsonl")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_line = _read_line(process, timeout=240)
        assert first_line == f"FAQ assistant running at http://127.0.0.1:{port}\n"
        answer = Client(f"http://127.0.0.1:{port}", verbose=False).predict("can I use it offline?", api_name="/ask")
        assert answer["hits"][0]["citation"] == "faq.md:12-14"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read()
    assert "warning" not in stderr  # loopback: no network warning
    assert "Loading weights" not in stderr and "%|" not in stderr  # no library progress bars in the log


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    """The first line the process prints, or a failure showing its stderr."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0]:
        process.kill()
        pytest.fail(f"app.py printed no URL; stderr:\n{process.stderr.read()[-3000:]}")
    return lines[0]


def test_bad_addresses_are_clear_errors_before_anything_loads():
    with pytest.raises(AssistantError, match="between 1 and 65535"):
        check_address("127.0.0.1", 70000)
    with pytest.raises(AssistantError, match="cannot listen on host 'no-such-host.invalid'"):
        check_address("no-such-host.invalid", 7860)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(AssistantError, match="already in use; choose another with --port"):
            check_address("127.0.0.1", taken.getsockname()[1])


def test_only_loopback_counts_as_private():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")


def test_example_questions_come_from_the_faq_spread_over_it():
    questions = [f"Question {n}?" for n in range(12)] + ["Question 0?", "x" * 200]
    assert example_questions(questions, 4) == ["Question 0?", "Question 3?", "Question 6?", "Question 9?"]
    assert example_questions(["Only one?"], 4) == ["Only one?"]


def test_the_title_of_a_markdown_faq_is_its_heading(tmp_path):
    from assistant import load_corpus

    (tmp_path / "faq.md").write_text(
        "# Frequently Asked Questions\n\nThe most common questions users face are aggregated into\nthis FAQ.\n\n"
        "```{contents}\n:local:\n```\n\n## Why is my code formatted this way?\n\nOn purpose.\n\n"
        "## Does it run offline?\n\nYes.\n", encoding="utf-8")
    assert {e.title for e in load_corpus(tmp_path).entries} == {"Frequently Asked Questions"}


def test_the_page_has_one_settings_control_system_fonts_and_takes_long_questions(retriever):
    import gradio as gr

    from assistant.app.layout import build_app, page_options

    app = build_app(retriever)
    blocks = list(app.blocks.values())
    assert not [b for b in blocks if isinstance(b, gr.Accordion) and b.label == "Settings"]  # Gradio's footer has one
    chatbot = next(b for b in blocks if isinstance(b, gr.Chatbot))
    assert chatbot.show_label is False and chatbot.autoscroll is False  # page.js lands on each answer's start
    box = next(b for b in blocks if isinstance(b, gr.Textbox))
    assert box.max_length == MAX_INPUT_CHARS
    theme = page_options()["theme"]
    assert theme.font.startswith("system-ui")
    assert "@font-face" not in theme._get_theme_css()  # no web font (Gradio's bundled one is a small subset)


# --- the browser -----------------------------------------------------------------------------------


@pytest.fixture
def chat_page(browser, served):
    tab = ChatPage(browser, served.url)
    yield tab
    tab.close()


@pytest.mark.browser
def test_in_scope_question_gets_the_cited_answer(chat_page):
    reply = chat_page.ask("is the swap file encrypted?")
    assert reply.locator("strong").first.inner_text() == (
        "Does memory written to the Windows swap file (pagefile.sys) get protected by the TEE?")
    highlighted = reply.locator("mark").first.inner_text()
    assert highlighted == "Yes, but only if the pagefile.sys is located on the encrypted OS disk."
    assert reply.locator("sup").first.inner_text() == "[1]"
    sources = reply.inner_text().split("Sources", 1)[1]
    assert "azure-confidential-vms-faq.txt:41-43" in sources
    link = reply.locator("a", has_text="Azure confidential virtual machines FAQ")
    assert link.get_attribute("href") == SWAP_URL

    OUTPUT.mkdir(exist_ok=True)
    chat_page.page.screenshot(path=OUTPUT / "cited-answer.png")
    assert (OUTPUT / "cited-answer.png").stat().st_size > 10_000


@pytest.mark.browser
def test_off_topic_question_gets_not_found_and_a_suggestion_can_be_clicked(chat_page):
    reply = chat_page.ask("how do I bake sourdough bread?")
    assert reply.inner_text().startswith("I couldn't find that in the FAQ.")
    options = chat_page.page.locator("button.option")
    assert options.count() == 3
    suggestion = options.first.inner_text()
    assert suggestion in reply.inner_text()  # also listed in the reply, which stays when the buttons go

    answer = chat_page.click(options.first)
    assert chat_page.users.last.inner_text() == suggestion
    assert answer.locator("strong").first.inner_text() == suggestion
    assert "Sources" in answer.inner_text()


@pytest.mark.browser
def test_markup_in_a_question_is_shown_as_text(chat_page):
    chat_page.ask(PAYLOAD)
    assert chat_page.users.last.inner_text() == PAYLOAD
    assert chat_page.page.locator("#chat img[src='x'], #chat script").count() == 0
    assert chat_page.xss() is None


@pytest.mark.browser
def test_welcome_examples_and_browsing_ask_the_faq_questions(chat_page, retriever):
    first_example = example_questions([e.question for e in retriever.entries])[0]
    reply = chat_page.click(chat_page.page.get_by_role("button", name=first_example))
    assert reply.locator("strong").first.inner_text() == first_example

    chat_page.page.locator("#browse input").click()
    chat_page.page.locator("#browse input").fill("swap file")
    reply = chat_page.click(chat_page.page.get_by_role("option", name=re.compile("swap file")).first)
    assert reply.locator("strong").first.inner_text().startswith("Does memory written to the Windows swap file")


@pytest.mark.browser
def test_follow_up_in_the_chat_uses_the_conversation(chat_page):
    chat_page.ask("Can I do attestation for AMD confidential VMs?")
    reply = chat_page.ask("and for Intel?")
    assert reply.inner_text().startswith("Read as a follow-up to: Can I do attestation for AMD confidential VMs?")
    assert "Can I perform attestation for my Intel-based confidential VMs?" in reply.inner_text()

    chat_page.page.get_by_role("button", name="Clear").click()  # a new conversation: no context
    chat_page.page.wait_for_function("document.querySelectorAll('[data-testid=\"bot\"]').length == 0")
    reply = chat_page.ask("and for Intel?")
    assert "follow-up" not in reply.inner_text()


@pytest.mark.browser
def test_thumbs_up_appends_to_the_feedback_log(chat_page, served):
    before = served.feedback_log.read_text().count("\n") if served.feedback_log.exists() else 0
    chat_page.ask("is the swap file encrypted?")
    chat_page.page.get_by_role("button", name="Like").last.click()
    rows = _wait_for_rows(served.feedback_log, before + 1)
    row = rows[-1]
    assert row["question"] == "is the swap file encrypted?" and row["vote"] == "up" and row["found"] is True
    assert row["entry_id"] == "azure-confidential-vms-faq/does-memory-written-to-the-windows-swap-file-pagefile-sys-ge"
    assert isinstance(row["score"], float) and row["timestamp"]


def _wait_for_rows(path: Path, count: int) -> list[dict]:
    import time

    for _ in range(600):  # the vote is written by the server after the click; poll for it
        if path.exists() and path.read_text().count("\n") >= count:
            return [json.loads(line) for line in path.read_text().splitlines()]
        time.sleep(0.1)
    pytest.fail(f"no feedback row appeared in {path}")


def _text_top(page, locator) -> float:
    return locator.evaluate("(node) => node.getBoundingClientRect().top")


@pytest.mark.browser
def test_a_long_answer_on_a_phone_lands_on_its_start(browser, served):
    tab = ChatPage(browser, served.url, viewport={"width": 390, "height": 844})
    try:
        tab.ask("What are confidential VMs?")
        reply = tab.ask("Is there an extra cost for using confidential VMs?")  # longer than the screen
        assert reply.evaluate("(node) => node.scrollHeight") > 844
        tab.page.wait_for_timeout(1500)  # let the answer settle, as a reader would
        heading = reply.locator("strong").first
        top = _text_top(tab.page, heading)
        assert 0 <= top < 844 / 2, f"the answer's first heading is at {top}px, not near the top of the screen"
    finally:
        tab.close()


@pytest.mark.browser
def test_copy_gives_clean_text_and_messages_are_named_in_plain_text(browser, served):
    tab = ChatPage(browser, served.url, permissions=["clipboard-read", "clipboard-write"])
    try:
        reply = tab.ask("is the swap file encrypted?")
        tab.page.get_by_role("button", name="Copy message").last.click()
        copied = tab.page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("is the swap file encrypted?\n\n")
        assert "Does memory written to the Windows swap file (pagefile.sys) get protected by the TEE?" in copied
        assert "Yes, but only if the pagefile.sys is located on the encrypted OS disk." in copied
        assert f"Azure confidential virtual machines FAQ ({SWAP_URL})" in copied
        assert not re.search(r"<\w|\*\*|\\[\\*_.]|\[1\]", copied), copied  # no tags, Markdown or escapes
        label = reply.get_attribute("aria-label")
        assert "Yes, but only if the pagefile.sys" in label and "<" not in label and "**" not in label

        tab.page.fill("#question textarea", "x" * MAX_INPUT_CHARS)  # a paste that reaches the box's limit
        assert "limit of 20,000 characters" in tab.page.locator("#question-too-long").inner_text()
    finally:
        tab.close()
