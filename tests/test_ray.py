"""Builds and evaluations on a Ray cluster equal the local ones: a real local cluster (2 CPUs), started
once for this file and shut down after it, the real model, real FAISS, the default FAQ."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from conftest import DATA, ROOT

from assistant.cli import main
from assistant.evaluation.evaluate import compare, parse_configurations
from assistant.evaluation.questionsets import read_question_set
from assistant.index.store import load_index

pytest.importorskip("ray")

# Files whose bytes depend on the vectors' last bits (and the manifest that lists their checksums):
# compared by content below, not byte for byte.
VECTOR_FILES = {"index.faiss", "manifest.json"}


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster of 2 CPUs for this file; every `connect` inside the tests uses it."""
    import ray

    from assistant.distributed.cluster import start_local

    start_local(num_cpus=2)
    yield ray
    ray.shutdown()


def _subprocess_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _without_times(manifest: dict) -> dict:
    return {key: value for key, value in manifest.items() if key not in ("created", "files")}


@pytest.mark.slow
def test_import_and_a_local_build_do_not_import_ray(small_faq, tmp_path, model_cache):
    script = ("import sys, assistant; from assistant.cli import main; "
              f"code = main(['build', '--corpus', {str(small_faq)!r}, '--index', {str(tmp_path / 'index')!r}]); "
              "print(code, 'ray' in sys.modules)")
    env = {**_subprocess_env(), "FAQ_ASSISTANT_MODEL_CACHE": str(model_cache)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert run.stdout.split()[-2:] == ["0", "False"], run.stderr
    assert (tmp_path / "index" / "manifest.json").is_file()


def test_missing_ray_is_one_line_and_nothing_is_built(small_faq, tmp_path):
    # `sys.modules["ray"] = None` makes `import ray` fail as it does where Ray is not installed.
    script = ("import sys; sys.modules['ray'] = None; from assistant.cli import main; "
              f"sys.exit(main(['build', '--ray', '--corpus', {str(small_faq)!r}, '--index', "
              f"{str(tmp_path / 'index')!r}]))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_subprocess_env(),
                         timeout=300)
    assert run.returncode == 1
    assert run.stderr.strip() == ("error: --ray needs Ray, which is not installed: "
                                  "pip install 'faq-assistant[ray]'")
    assert not (tmp_path / "index").exists()


def test_unreachable_address_is_one_line_and_the_index_stays(index_copy, small_faq):
    before = _files(index_copy)
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    run = subprocess.run([sys.executable, "-m", "assistant", "build", "--force", "--ray-address", address,
                          "--corpus", str(small_faq), "--index", str(index_copy)],
                         capture_output=True, text=True, env=_subprocess_env(), timeout=300)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach a Ray cluster at {address} ("), run.stderr
    assert _files(index_copy) == before


@pytest.mark.slow
def test_build_on_ray_equals_the_local_build(cluster, retriever, default_corpus, tmp_path, capsys):
    target = tmp_path / "ray-index"
    assert main(["build", "--ray", "--corpus", str(default_corpus), "--index", str(target)]) == 0
    assert "169 embedded, 0 reused" in capsys.readouterr().out

    local, remote = retriever.data, load_index(target)
    assert [e.to_dict() for e in remote.entries] == [e.to_dict() for e in local.entries]
    assert [p.to_dict() for p in remote.passages] == [p.to_dict() for p in local.passages]
    assert np.array_equal(remote.views, local.views)
    np.testing.assert_allclose(remote.vectors.reconstruct_all(), local.vectors.reconstruct_all(), rtol=0, atol=1e-5)
    assert _without_times(remote.manifest) == _without_times(local.manifest)
    assert remote.manifest["corpus"]["fingerprint"] == local.manifest["corpus"]["fingerprint"]
    local_files, remote_files = _files(local.directory), _files(target)
    assert local_files.keys() == remote_files.keys()
    assert {name for name in local_files if local_files[name] != remote_files[name]} <= VECTOR_FILES

    # Built again, nothing is left to embed: the content-hash cache works as for a local build.
    assert main(["build", "--ray", "--force", "--corpus", str(default_corpus), "--index", str(target)]) == 0
    assert "0 embedded, 169 reused" in capsys.readouterr().out


@pytest.mark.slow
def test_a_worker_dying_mid_build_fails_in_one_line_and_the_index_stays(cluster, index_copy, default_corpus,
                                                                        embedder):
    from assistant.distributed.cluster import ClusterError
    from assistant.distributed.ray_build import build_index_on_ray

    before = _files(index_copy)
    failure: list[BaseException] = []

    def build():
        try:  # a shard per text, no retry: the kill below must end the build
            build_index_on_ray(default_corpus, index_copy, embedder, shard_size=1, retries=0)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=build)
    thread.start()
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        for process in psutil.Process().children(recursive=True):  # only this session's cluster
            try:
                if process.cmdline()[:1] == ["ray::embed_shard"]:
                    process.kill()
                    killed = process.pid
                    break
            except psutil.Error:
                continue
        time.sleep(0.02)
    thread.join(300)
    assert killed is not None, "no embedding task was seen running"
    assert len(failure) == 1 and isinstance(failure[0], ClusterError), failure
    message = str(failure[0])
    assert "\n" not in message and message.startswith("a Ray task failed while embedding (")
    assert message.endswith(f"; the index at {index_copy} is unchanged")
    assert _files(index_copy) == before


@pytest.mark.slow
def test_eval_on_ray_equals_the_local_eval(cluster, retriever):
    from assistant.distributed.ray_eval import compare_on_ray

    here = retriever.with_settings(confidence_model=str(DATA / "confidence.json"), min_confidence=0.2,
                                   hedge_confidence=0.1)
    sets = [read_question_set(ROOT / "eval" / name) for name in ("azure_dev_questions.jsonl",
                                                                 "azure_dev_followups.jsonl")]
    configurations = parse_configurations(["default", "dense", "strict:min_confidence=0.9"])
    seen: list[tuple[int, int]] = []
    remote = compare_on_ray(here, sets, configurations, k=5, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (sum(len(s) for s in sets) * 3,) * 2
    for questions, reports in zip(sets, remote):
        local = compare(here, questions, configurations, k=5)
        assert [r.config for r in reports] == ["default", "dense", "strict"]
        for ours, theirs in zip(reports, local):
            assert ours.to_dict() == theirs.to_dict()
            assert [r.to_dict() for r in ours.results] == [r.to_dict() for r in theirs.results]
            assert ours.curve == theirs.curve and ours.reliability == theirs.reliability
    # The configurations differ, so the comparison above could tell them apart.
    assert remote[0][0].metrics.to_dict() != remote[0][1].metrics.to_dict()


@pytest.mark.slow
def test_eval_cli_with_ray_prints_the_local_figures(cluster, retriever, default_corpus, capsys, monkeypatch):
    monkeypatch.setenv("FAQ_ASSISTANT_CONFIDENCE_MODEL", str(DATA / "confidence.json"))
    index = str(retriever.data.directory)
    questions = str(ROOT / "eval" / "azure_dev_questions.jsonl")
    arguments = ["eval", questions, "--corpus", str(default_corpus), "--index", index, "--no-build", "--json",
                 "--compare", "default", "dense"]
    assert main(arguments) == 0
    local = json.loads(capsys.readouterr().out)
    assert main([*arguments, "--ray"]) == 0
    assert json.loads(capsys.readouterr().out) == local


@pytest.mark.slow
def test_a_worker_without_the_drivers_folder_gets_a_checked_copy(cluster, small_index, tmp_path, monkeypatch):
    import tempfile

    from assistant.distributed.ray_eval import Shipped, index_folder, read_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a worker keeps its copies
    files = read_folder(small_index)
    key = hashlib.sha256(files["manifest.json"]).hexdigest()
    elsewhere = Shipped(key, str(tmp_path / "not-on-this-machine"), [cluster.put(files)], None, None, True, None)
    copy = index_folder(elsewhere)
    assert copy.parent == tmp_path / "faq-assistant-ray" and _files(copy) == _files(small_index)
    assert [e.to_dict() for e in load_index(copy).entries] == [e.to_dict() for e in load_index(small_index).entries]
    assert index_folder(elsewhere) == copy  # written once
    assert index_folder(Shipped(key, str(small_index), [], None, None, True, None)) == small_index
