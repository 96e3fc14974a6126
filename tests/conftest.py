"""Shared fixtures: one real model and one real index per test session.

Everything here is real: the bundled all-MiniLM-L6-v2, FAISS, the default corpus. Expensive objects
are built once per session; tests that write files get their own tmp_path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch):
    """No FAQ_ASSISTANT_* variable from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("FAQ_ASSISTANT_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def embedder():
    from assistant import Embedder

    model = Embedder()
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
    from assistant.index import build_index

    target = tmp_path_factory.mktemp("pristine") / "index"
    build_index(small_faq, target, embedder)
    return target


@pytest.fixture
def index_copy(small_index, tmp_path) -> Path:
    """A private copy of `small_index`, to damage."""
    target = tmp_path / "index"
    shutil.copytree(small_index, target)
    return target
