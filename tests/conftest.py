"""Shared fixtures: one real model and one real index per test session.

Everything here is real: the bundled all-MiniLM-L6-v2, FAISS, the default corpus. Expensive objects
are built once per session; tests that write files get their own tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# In CI the property tests run the same examples every time (a failure there is reproducible, not
# luck); locally they explore new ones and keep what fails in .hypothesis/.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") or os.environ.get("FAQ_ASSISTANT_REQUIRE_BROWSER"):
    hypothesis_settings.load_profile("ci")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# Read at import: the autouse fixture below clears FAQ_ASSISTANT_* variables for each test.
REQUIRE_BROWSER = os.environ.get("FAQ_ASSISTANT_REQUIRE_BROWSER") == "1"
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """The session's own cache of ONNX exports: the first index built exports the model into it, and
    every later test and subprocess of the session uses that export."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, model_cache):
    """No FAQ_ASSISTANT_* variable from the developer's shell leaks into a test; exports go to the
    session's model cache, not the user's."""
    for key in list(os.environ):
        if key.startswith("FAQ_ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FAQ_ASSISTANT_MODEL_CACHE", str(model_cache))


@pytest.fixture(scope="session")
def embedder(model_cache):
    from assistant import Embedder

    model = Embedder(model_cache=model_cache)  # session fixtures are set up before the autouse one
    model.embed(["warm up"])
    return model


@pytest.fixture(scope="session")
def default_corpus(tmp_path_factory) -> Path:
    """A private copy of corpus/, so no test can change the real one."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


@pytest.fixture(scope="session")
def retriever(embedder, default_corpus, tmp_path_factory):
    """A Retriever over the default FAQ, built once for the session with the real model."""
    from assistant import Retriever

    index = tmp_path_factory.mktemp("index") / "index"
    return Retriever.load(index, corpus=default_corpus, embedder=embedder)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A folder with the Markdown test FAQ, writable by the test."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(DATA / "faq.md", folder / "faq.md")
    return folder


@pytest.fixture(scope="session")
def small_faq(tmp_path_factory) -> Path:
    """A folder with the Markdown test FAQ, shared by the session: do not change it."""
    folder = tmp_path_factory.mktemp("faq") / "corpus"
    folder.mkdir()
    shutil.copy(DATA / "faq.md", folder / "faq.md")
    return folder


@pytest.fixture(scope="session")
def small_index(small_faq, embedder, tmp_path_factory) -> Path:
    """A good index of `small_faq`, built once: copy it (`index_copy`) before changing it."""
    from assistant.index.build import build_index

    target = tmp_path_factory.mktemp("pristine") / "index"
    build_index(small_faq, target, embedder)
    return target


@pytest.fixture
def index_copy(small_index, tmp_path) -> Path:
    """A private copy of `small_index`, to damage."""
    target = tmp_path / "index"
    shutil.copytree(small_index, target)
    return target


# --- the app, served on a free loopback port ------------------------------------------------------


@dataclass
class Served:
    """A running app: close it with `app.close()` (the fixtures do)."""

    app: object
    url: str
    feedback_log: Path


@pytest.fixture(scope="session")
def served(retriever, tmp_path_factory) -> Served:
    """The app over the default FAQ, with the session's retriever, shared by the app, security and load
    tests (tests that count votes compare the log before and after)."""
    from benchmarks.load import start_app

    log = tmp_path_factory.mktemp("served") / "votes" / "feedback.jsonl"
    app, url = start_app(retriever, log)
    yield Served(app, url, log)
    app.close(verbose=False)


PIXEL = "http://127.0.0.1:9/px.png"
MARKUP_TITLE = '<img src=x onerror="window.__xss=1">Markup FAQ'
# Markup in every place FAQ text reaches the page: questions, answers, links (a quote that tries to
# break out of the href, a javascript: link) and the title.
MARKUP_FAQ = [
    {"question": f'Is <img src=x onerror="window.__xss=2"> ![a]({PIXEL}) safe?',
     "answer": f"No: <script>window.__xss=3</script> and ![a]({PIXEL}) stay text, as do <i>tags</i>.",
     "url": 'https://example.com/faq"onmouseover="window.__xss=4'},
    {"question": 'Is <b onclick="window.__xss=5">bold</b> **bold** or `code` shown?',
     "answer": "Yes: <b>this</b> is not bold, and &lt;entities&gt; stay as written.",
     "url": "https://example.com/help?a=1&b=<2>"},
    {"question": "How do I reset my password?", "answer": "Open Settings and choose **Reset password**.",
     "url": "javascript:window.__xss=6"},
]


@pytest.fixture(scope="session")
def markup_app(embedder, tmp_path_factory) -> Served:
    """The app over a small FAQ whose title, questions, answers and links carry markup."""
    from assistant import Retriever
    from benchmarks.load import start_app

    folder = tmp_path_factory.mktemp("markup") / "corpus"
    folder.mkdir()
    (folder / "faq.jsonl").write_text("".join(json.dumps(row) + "\n" for row in MARKUP_FAQ), encoding="utf-8")
    (folder / "faq.meta.json").write_text(json.dumps({"title": MARKUP_TITLE}))
    retriever = Retriever.load(folder.parent / "index", corpus=folder, embedder=embedder)
    app, url = start_app(retriever, folder.parent / "feedback.jsonl")
    yield Served(app, url, folder.parent / "feedback.jsonl")
    app.close(verbose=False)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright (never a downloaded browser). Skipped when it is missing,
    unless FAQ_ASSISTANT_REQUIRE_BROWSER=1 (as `.ci/run` sets), where a missing browser fails."""
    from chat_page import CHROMIUM, CHROMIUM_ARGS, chromium_path

    reason = None
    if chromium_path() is None:
        reason = f"Chromium is not installed ({CHROMIUM}; `apt-get install chromium`, as .ci/run does)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "playwright is not installed (pip install playwright; no `playwright install` needed)"
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"FAQ_ASSISTANT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
