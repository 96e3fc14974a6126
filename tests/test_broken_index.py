"""Broken or hostile index files: each is caught on load with an IndexFileError that names the file and
the fix, before FAISS or numpy read it; `Retriever.load(rebuild="auto")` rebuilds, and so does
`assistant build`."""

import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from assistant import IndexFileError, Retriever
from assistant.cli import main
from assistant.index.folder import MANIFEST, file_table
from assistant.index.store import load_index

COST = "How much does the widget cost?"


@pytest.fixture
def faq(small_faq):
    return small_faq


@pytest.fixture
def pristine(small_index):
    return small_index


@pytest.fixture
def index(index_copy):
    """A private copy of a good index, to damage."""
    return index_copy


def edit_manifest(index, change):
    manifest = json.loads((index / MANIFEST).read_text())
    change(manifest)
    (index / MANIFEST).write_text(json.dumps(manifest))


def reseal(index):
    """Record the files' current sizes and checksums, as someone editing the manifest by hand would."""
    edit_manifest(index, lambda m: m.update(files=file_table(index)))


def truncate(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def overwrite(path, offset, data):
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def drop_line(path, number):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:number] + lines[number + 1 :]))


# IndexFlat on disk: fourcc, d (int32), ntotal (int64), two int64, is_trained (1 byte), metric (int32),
# then the size of the vector array (uint64). An edited size makes FAISS allocate what it says.
FAISS_CODES_SIZE = 4 + 4 + 8 + 8 + 8 + 1 + 4

DAMAGE = {
    "index.faiss truncated": ("index.faiss", lambda i: truncate(i / "index.faiss", 0.5)),
    "index.faiss empty": ("index.faiss", lambda i: truncate(i / "index.faiss", 0)),
    "index.faiss missing": ("index.faiss", lambda i: (i / "index.faiss").unlink()),
    "index.faiss size field edited": (
        "index.faiss", lambda i: overwrite(i / "index.faiss", FAISS_CODES_SIZE, struct.pack("<Q", 2**33))),
    "index.faiss replaced by another file": ("index.faiss", lambda i: (i / "index.faiss").write_bytes(b"IxFI")),
    "manifest.json truncated": ("manifest.json", lambda i: truncate(i / MANIFEST, 0.5)),
    "manifest.json not an object": ("manifest.json", lambda i: (i / MANIFEST).write_text("[1, 2]")),
    "manifest.json missing a key": ("manifest.json", lambda i: edit_manifest(i, lambda m: m.pop("dimension"))),
    "manifest.json of an older format": ("manifest.json", lambda i: edit_manifest(i, lambda m: m.pop("files"))),
    "manifest.json with a wrong checksum": (
        "views.npy", lambda i: edit_manifest(i, lambda m: m["files"]["views.npy"].update(sha256="0" * 64))),
    "manifest.json with too many entries": (
        "entries.jsonl", lambda i: edit_manifest(i, lambda m: m["counts"].update(entries=5))),
    "manifest.json with too few vectors": (
        "index.faiss", lambda i: edit_manifest(i, lambda m: m["counts"].update(vectors=m["counts"]["vectors"] - 1))),
    "manifest.json with too many passages": (
        "passages.jsonl", lambda i: edit_manifest(i, lambda m: m["counts"].update(passages=9))),
    "manifest.json with the wrong dimension": (
        "index.faiss", lambda i: edit_manifest(i, lambda m: m.update(dimension=768))),
    "passages.jsonl missing a line": ("passages.jsonl", lambda i: drop_line(i / "passages.jsonl", 1)),
    "passages.jsonl with a corrupted line": (
        "passages.jsonl", lambda i: overwrite(i / "passages.jsonl", 30, b"\xff{]")),
    "entries.jsonl missing a line": ("entries.jsonl", lambda i: drop_line(i / "entries.jsonl", 0)),
    "entries.jsonl missing": ("entries.jsonl", lambda i: (i / "entries.jsonl").unlink()),
    "views.npy truncated": ("views.npy", lambda i: truncate(i / "views.npy", 0.7)),
    "views.npy overwritten": ("views.npy", lambda i: overwrite(i / "views.npy", 128, b"\x07" * 64)),
    "lexical vocabulary damaged": (
        "lexical/vocab.index.json", lambda i: overwrite(i / "lexical" / "vocab.index.json", 0, b"{{")),
    "lexical file missing": ("lexical/params.index.json", lambda i: (i / "lexical" / "params.index.json").unlink()),
    "a file that is not part of the index": ("notes.txt", lambda i: (i / "notes.txt").write_text("hello")),
}


@pytest.mark.parametrize("name, damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damage_is_caught_on_load_and_named(index, name, damage):
    damage(index)
    with pytest.raises(IndexFileError) as caught:
        load_index(index)
    message = str(caught.value)
    assert name in message and "assistant build" in message, message


@pytest.mark.parametrize("name, damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_retriever_load_rebuilds_a_damaged_index(index, faq, embedder, name, damage):
    damage(index)
    with pytest.raises(IndexFileError, match="cannot be used"):
        Retriever.load(index, corpus=faq, embedder=embedder, rebuild="never")
    retriever = Retriever.load(index, corpus=faq, embedder=embedder)
    assert retriever.search("how much is the widget?", k=1)[0].question == COST
    assert len(load_index(index).entries) == 4
    assert not (index / "notes.txt").exists()


def test_the_size_is_checked_before_faiss_reads_the_file(index):
    # With the size field claiming 8 GB, FAISS would try to allocate 8 GB; the checksum stops it first.
    overwrite(index / "index.faiss", FAISS_CODES_SIZE, struct.pack("<Q", 2**31))
    with pytest.raises(IndexFileError, match="index.faiss was changed after the build"):
        load_index(index)


HOSTILE_LOAD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
from assistant import IndexFileError
from assistant.index.store import load_index
try:
    load_index(sys.argv[1])
except IndexFileError as exc:
    print(exc)
"""


@pytest.mark.parametrize("damage", ["size field", "truncated"])
def test_resealed_faiss_damage_is_an_error_not_a_crash(index, damage):
    """Past the checksums (the manifest edited to match), FAISS itself reads the damaged file: it must
    raise, not abort or exhaust memory. In a subprocess with 3 GB of address space, to be safe."""
    if damage == "size field":
        overwrite(index / "index.faiss", FAISS_CODES_SIZE, struct.pack("<Q", 2**31))
    else:
        truncate(index / "index.faiss", 0.5)
    reseal(index)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", HOSTILE_LOAD, str(index)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"{index / 'index.faiss'} is damaged" in run.stdout and "assistant build" in run.stdout


def test_resealed_files_that_disagree_with_each_other(index):
    drop_line(index / "passages.jsonl", 3)
    edit_manifest(index, lambda m: m["counts"].update(passages=3))
    reseal(index)
    with pytest.raises(IndexFileError, match="passages.jsonl does not match entries.jsonl"):
        load_index(index)


def test_resealed_views_that_point_nowhere(index):
    views = np.load(index / "views.npy")
    views["owner"][-1] = 1000
    np.save(index / "views.npy", views, allow_pickle=False)
    reseal(index)
    with pytest.raises(IndexFileError, match="views.npy points at entries or passages that do not exist"):
        load_index(index)


def test_a_model_whose_dimension_disagrees(index, faq, embedder):
    """An index that is whole and consistent, but of 8-dimensional vectors: the model gives 384."""
    import faiss

    ntotal = load_index(index).vectors.count
    small = faiss.IndexFlatIP(8)
    vectors = np.random.default_rng(0).normal(size=(ntotal, 8)).astype(np.float32)
    small.add(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    faiss.write_index(small, str(index / "index.faiss"))
    edit_manifest(index, lambda m: m.update(dimension=8))
    reseal(index)
    assert load_index(index).vectors.dimension == 8  # nothing wrong with the files themselves
    with pytest.raises(IndexFileError, match="8 dimensions but the model all-MiniLM-L6-v2 gives 384"):
        Retriever.load(index, corpus=faq, embedder=embedder, rebuild="never")
    retriever = Retriever.load(index, corpus=faq, embedder=embedder)
    assert retriever.data.vectors.dimension == 384 and retriever.search("price of the widget", k=1)[0].question == COST


def test_a_manifest_naming_another_model(index, faq, embedder):
    edit_manifest(index, lambda m: m.update(model="some/other-model"))
    with pytest.raises(IndexFileError, match="built with model 'some/other-model'.*assistant build"):
        Retriever.load(index, corpus=faq, embedder=embedder, rebuild="never")
    retriever = Retriever.load(index, corpus=faq, embedder=embedder)
    assert retriever.data.manifest["model"] == "all-MiniLM-L6-v2"


def test_a_manifest_listing_files_outside_the_index_reads_nothing_there(index, tmp_path):
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"x" * 10)
    edit_manifest(index, lambda m: m["files"].update({"../elsewhere.bin": {"bytes": 10, "sha256": "0" * 64}}))
    with pytest.raises(IndexFileError, match=r"\.\./elsewhere\.bin is missing"):
        load_index(index)


def test_a_damaged_index_is_rebuilt_by_assistant_build(index, faq, embedder, capsys):
    paths = ["--corpus", str(faq), "--index", str(index)]
    truncate(index / "index.faiss", 0.5)
    assert main(["ask", "how much is it?", "--no-build", *paths]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: index at ") and "index.faiss has" in err and err.count("\n") == 1
    assert main(["build", *paths]) == 0  # not "up to date": the damage is seen
    assert "indexed 4 entries" in capsys.readouterr().out
    assert main(["build", *paths]) == 0
    assert "up to date" in capsys.readouterr().out


def test_a_damaged_folder_without_manifest_is_still_rebuilt(index, faq, embedder):
    (index / MANIFEST).unlink()
    retriever = Retriever.load(index, corpus=faq, embedder=embedder)
    assert len(retriever.entries) == 4


def test_listing_questions_does_not_load_the_model(index, faq):
    """Retriever.load loads the model to check its dimension; `assistant questions` needs no model:
    in a fresh process, listing leaves torch and sentence-transformers unimported."""
    script = ("import sys; from assistant.cli import main; "
              f"code = main(['questions', '--corpus', {str(faq)!r}, '--index', {str(index)!r}]); "
              "print('heavy:', sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules)); "
              "sys.exit(code)")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert f"{COST}  [faq.md:18]" in lines and lines[-1] == "heavy: []"
