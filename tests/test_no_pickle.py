"""No pickle anywhere: not in the code, not in the index files, and loading an index never unpickles,
even when a file was swapped for a pickle that would run code."""

import _pickle
import json
import os
import pickle
import re

import numpy as np
import pytest
from conftest import ROOT

from assistant import IndexFileError, Retriever
from assistant.index.folder import MANIFEST, file_table
from assistant.index.store import load_index

PICKLE_USE = re.compile(
    r"\bimport\s+(c?pickle|_pickle|dill|cloudpickle|joblib|shelve|marshal)\b"
    r"|\bfrom\s+(c?pickle|_pickle|dill|cloudpickle|joblib|shelve|marshal)\s+import\b"
    r"|\bpickle\.|allow_pickle\s*=\s*True|torch\.load\(|\.read_pickle\(|\.to_pickle\("
)


def project_sources():
    sources = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and not any(
        part.startswith(".") for part in p.relative_to(ROOT).parts)]
    return [p for p in sources if p.name != "test_no_pickle.py"]


def test_no_pickle_in_the_code():
    sources = project_sources()
    assert any(p.as_posix().endswith("assistant/index/store.py") for p in sources)
    offenders = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
                 for p in sources for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if PICKLE_USE.search(line)]
    assert offenders == []


def test_every_numpy_load_in_the_package_refuses_pickle():
    loads = re.compile(r"\b(np|numpy)\.load\(|BM25\.load\(")
    calls = [(p.name, line.strip()) for p in (ROOT / "assistant").rglob("*.py")
             for line in p.read_text(encoding="utf-8").splitlines() if loads.search(line)]
    assert calls and all("allow_pickle=False" in line for _, line in calls), calls


@pytest.fixture
def index(index_copy):
    """A private copy of a good index, to plant pickles in."""
    return index_copy


def test_the_index_holds_no_pickle(index):
    files = [p for p in index.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} == {".json", ".jsonl", ".faiss", ".npy"}
    for path in files:
        if path.suffix == ".npy":
            assert np.load(path, allow_pickle=False).dtype != object
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        if path.suffix == ".jsonl":
            assert all(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())


@pytest.fixture
def unpickling_forbidden(monkeypatch):
    """Any unpickling, through pickle, _pickle or numpy, fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    for module in (pickle, _pickle):
        for name in ("load", "loads", "Unpickler"):
            monkeypatch.setattr(module, name, refuse)
    real_load = np.load

    def np_load(*args, **kwargs):
        assert kwargs.get("allow_pickle") is False, "np.load called without allow_pickle=False"
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", np_load)


def test_loading_never_unpickles(index, embedder, unpickling_forbidden):
    data = load_index(index)
    retriever = Retriever(data, embedder)
    assert retriever.search("how much is the widget?", k=1)[0].question == "How much does the widget cost?"


class Payload:
    """Unpickling this creates a folder: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


@pytest.mark.parametrize("name", ["views.npy", "lexical/data.csc.index.npy"])
def test_a_pickle_planted_in_the_index_is_refused_and_never_run(index, tmp_path, name):
    marker = tmp_path / "code-ran"
    np.save(index / name, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    assert b"mkdir" in (index / name).read_bytes()  # the payload is really there
    # Sealed: the manifest's checksums updated to match, so only the refusal to unpickle stops it.
    manifest = json.loads((index / MANIFEST).read_text())
    manifest["files"] = file_table(index)
    (index / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexFileError, match=re.escape(name.split("/")[0])):
        load_index(index)
    assert not marker.exists()
