"""The index folder as an operator meets it: someone else's folder given as --index, a file or a FIFO
in its place, a symlinked index, its permissions after a rebuild, a full disk and a read-only folder.

Each case is a real build with the real model into real folders; each failure must be one
`IndexFileError` (one line from the CLI) that leaves every file where it was.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import ROOT
from disk_full import file_size_limit

from assistant import IndexFileError, Retriever
from assistant.cli import main
from assistant.index.build import build_index
from assistant.index.store import load_index
from benchmarks.load import free_port


def add_an_entry(corpus) -> None:
    (corpus / "faq.md").write_text((corpus / "faq.md").read_text() + "\n### Is there a mobile app?\n\nNot yet.\n")


def snapshot(folder) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- only an index is ever replaced -------------------------------------------------------------------


def _web_app(folder):
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"name": "My app", "start_url": "/", "icons": []}))
    (folder / "index.html").write_text("<!doctype html><title>My app</title>")


def _web_manifest_only(folder):
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"name": "My app", "display": "standalone"}))


def _dotfiles(folder):
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / ".env").write_text("SECRET=1\n")


def _index_names_without_data(folder):
    folder.mkdir()  # index file names, but no manifest of ours and no vectors: not provably an index
    (folder / "entries.jsonl").write_text("my own notes\n")


@pytest.mark.parametrize("make", [_web_app, _web_manifest_only, _dotfiles, _index_names_without_data])
def test_a_folder_that_is_not_provably_an_index_is_never_replaced(make, small_faq, tmp_path, embedder, capsys):
    target = tmp_path / "public"
    make(target)
    before = snapshot(target)
    with pytest.raises(IndexFileError, match="is not an index"):
        build_index(small_faq, target, embedder)
    assert main(["build", "--corpus", str(small_faq), "--index", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "not an index" in err
    assert main(["ask", "can I use it offline?", "--corpus", str(small_faq), "--index", str(target)]) == 1
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".public.lock", "public"]  # no staging folder left


def test_an_empty_folder_or_a_damaged_index_is_replaced(small_faq, index_copy, tmp_path, embedder):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build_index(small_faq, empty, embedder).entries
    (index_copy / "manifest.json").write_text("{not json")  # damaged: still our files
    assert build_index(small_faq, index_copy, embedder).entries


@pytest.mark.parametrize("kind", ["file", "fifo"])
def test_an_index_that_is_a_file_or_a_fifo_is_one_line(kind, small_faq, tmp_path, capsys):
    target = tmp_path / "index"
    if kind == "file":
        target.write_text("not an index")
    else:
        os.mkfifo(target)
    for argv in (["build"], ["ask", "can I use it offline?"], ["questions"]):
        assert main([*argv, "--corpus", str(small_faq), "--index", str(target)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
        assert "folder" in err
    assert (target.read_text() == "not an index") if kind == "file" else stat.S_ISFIFO(target.stat().st_mode)


def test_a_fifo_as_the_manifest_does_not_block_a_load(index_copy):
    (index_copy / "manifest.json").unlink()
    os.mkfifo(index_copy / "manifest.json")
    with pytest.raises(IndexFileError, match="manifest.json cannot be read"):
        load_index(index_copy, attempts=1)


# --- permissions and symlinks survive a rebuild ------------------------------------------------------


@pytest.mark.parametrize("mode", [0o755, 0o750])
def test_a_rebuild_keeps_the_index_folder_mode(mode, small_corpus, tmp_path, embedder):
    target = tmp_path / "index"
    build_index(small_corpus, target, embedder)
    os.chmod(target, mode)
    add_an_entry(small_corpus)
    build_index(small_corpus, target, embedder)
    assert stat.S_IMODE(target.stat().st_mode) == mode  # mkdtemp's 0700 locked out other readers


def test_a_new_index_folder_gets_the_umask_mode(small_faq, tmp_path, embedder):
    umask = os.umask(0o022)
    try:
        build_index(small_faq, tmp_path / "index", embedder)
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "index").stat().st_mode) == 0o755


def test_a_symlinked_index_is_rebuilt_where_it_points(small_corpus, tmp_path, embedder):
    real = tmp_path / "data" / "index-v1"
    real.parent.mkdir()
    build_index(small_corpus, real, embedder)
    link = tmp_path / "index"
    link.symlink_to(real)
    add_an_entry(small_corpus)
    for _ in range(2):
        data = build_index(small_corpus, link, embedder)
    assert link.is_symlink() and link.resolve() == real
    assert any(e.question == "Is there a mobile app?" for e in load_index(link).entries)
    assert data.entries == load_index(real).entries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "data", "index"]  # no .index.old-* links
    assert sorted(p.name for p in real.parent.iterdir()) == [".index-v1.lock", "index-v1"]


# --- a full disk -------------------------------------------------------------------------------------


def test_a_write_that_fails_during_a_build_is_one_error_and_keeps_the_old_index(index_copy, small_corpus,
                                                                                  embedder):
    before = snapshot(index_copy)
    add_an_entry(small_corpus)
    with file_size_limit(4096), pytest.raises(IndexFileError, match=r"cannot write the index at .*unchanged"):
        build_index(small_corpus, index_copy, embedder)
    assert snapshot(index_copy) == before
    assert [p.name for p in index_copy.parent.iterdir() if ".tmp-" in p.name] == []
    assert load_index(index_copy).entries


# --- a read-only index ---------------------------------------------------------------------------------


def _read_only_command(folder, argv: list[str]) -> list[str]:
    """`python -m assistant *argv` with `folder` read-only: chmod for a user; for root, whom
    permissions do not stop, a read-only bind mount in a mount namespace of its own."""
    command = [sys.executable, "-m", "assistant", *argv]
    if os.geteuid() != 0:
        return command
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(folder), *command]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_read_only_stale_index_is_one_line_for_ask_build_and_serve(small_corpus, tmp_path, embedder):
    if os.geteuid() == 0 and (shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--mount", "true"], capture_output=True).returncode != 0):
        pytest.skip("root without mount namespaces: no way to make a folder read-only")
    data = tmp_path / "data"
    data.mkdir()
    Retriever.load(data / "index", corpus=small_corpus, embedder=embedder)
    add_an_entry(small_corpus)
    before = snapshot(data)
    modes = {p: p.stat().st_mode for p in (data, data / "index")}
    for path in modes:
        os.chmod(path, 0o555)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    paths = ["--corpus", str(small_corpus), "--index", str(data / "index")]
    try:
        for argv in (["ask", "can I use it offline?"], ["build"], ["serve", "--port", str(free_port())]):
            done = subprocess.run(_read_only_command(data, [*argv, *paths]), env=env, cwd=tmp_path,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 1, (argv, done.stderr[-2000:])
            lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
            assert lines and "Traceback" not in done.stderr, (argv, done.stderr[-2000:])
            assert "index" in lines[0] and ("Read-only" in lines[0] or "Permission denied" in lines[0]), lines
    finally:
        for path, mode in modes.items():
            os.chmod(path, mode)
    assert snapshot(data) == before
