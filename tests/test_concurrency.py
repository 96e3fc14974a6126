"""Several threads at once: the same answers as one at a time; builds and loads of one index folder
never see half an index."""

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import DATA, ROOT

from assistant import Embedder, Retriever
from assistant.index.build import build_index
from assistant.index.store import load_index

QUESTIONS = [json.loads(line)["query"] for line in
             (ROOT / "eval" / "azure_dev_questions.jsonl").read_text().splitlines()][:24]
FOLLOW_UPS = [json.loads(line)["turns"] for line in
              (ROOT / "eval" / "azure_dev_followups.jsonl").read_text().splitlines()]


def uncached(embedder: Embedder) -> Embedder:
    """The session's model behind a fresh Embedder without a query cache, so that every call runs it."""
    fresh = Embedder(embedder.name, cache_size=0)
    fresh._model = embedder.model
    return fresh


def tasks():
    """(kind, question, history, k) calls covering search, answer and follow-ups."""
    calls = []
    for n, question in enumerate(QUESTIONS):
        calls.append(("search", question, None, 1 + n % 5))
        calls.append(("answer", question, None, None))
    for first, second in FOLLOW_UPS:
        calls.append(("answer", second, [first], None))
        calls.append(("batch", second, [first], 3))
    return calls


def run(retriever, call):
    kind, question, history, k = call
    if kind == "search":
        return [h.to_dict() for h in retriever.search(question, k=k)]
    if kind == "answer":
        return retriever.answer(question, history=history, k=k).to_dict()
    return [a.to_dict() for a in retriever.batch_answer([QUESTIONS[0], question], [[], history], k=k)]


@pytest.mark.parametrize("cached", [True, False], ids=["query-cache", "no-cache"])
def test_threads_get_the_same_results_as_one_at_a_time(retriever, cached):
    shared = retriever if cached else Retriever(retriever.data, uncached(retriever.embedder), retriever.settings)
    calls = tasks() if cached else tasks()[::3]  # every call runs the model when uncached: fewer
    sequential = [run(shared, call) for call in calls]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda call: run(shared, call), calls))
    assert len(concurrent) == len(sequential) == len(calls)
    for call, one, many in zip(calls, sequential, concurrent):
        assert many == one, call


def test_several_retrievers_with_other_settings_share_one_index(retriever):
    strict = retriever.with_settings(min_confidence=1.0)
    question = "Is there an extra cost for using confidential VMs?"
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: r.answer(question).found, [retriever, strict] * 8))
    assert results == [True, False] * 8


def test_counting_tokens_first_does_not_deadlock(embedder):
    """count_tokens on an Embedder whose model is not loaded yet took the lock twice and hung."""
    fresh = Embedder(embedder.name)
    counted = []
    worker = threading.Thread(target=lambda: counted.append(fresh.count_tokens("is the swap file encrypted?")),
                              daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "count_tokens deadlocked"
    assert counted == [embedder.count_tokens("is the swap file encrypted?")]


def test_loads_during_builds_see_a_whole_index(tmp_path, embedder):
    """Builders swap two versions of a corpus in and out while readers load the index in a loop:
    every load succeeds and is one version or the other, never a mix or a missing folder."""
    versions = {}
    for name, extra in (("a", None), ("b", '{"question": "Is there a mobile app?", "answer": "Not yet."}\n')):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(DATA / "faq.md", folder / "faq.md")
        if extra:
            (folder / "more.jsonl").write_text(extra)
        versions[name] = folder
    target = tmp_path / "index"
    expected = {}
    for name, folder in versions.items():  # build each once, so later builds reuse all vectors
        expected[len(build_index(folder, target, embedder).entries)] = name

    errors, loads, done = [], [], threading.Event()

    def build(order):
        try:
            for name in order:
                build_index(versions[name], target, embedder)
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(f"build: {exc!r}")

    def read():
        while not done.is_set():
            try:
                data = load_index(target)
                counts = data.manifest["counts"]
                assert len(data.entries) == counts["entries"] and data.vectors.count == counts["vectors"]
                assert len(data.views) == data.vectors.count and len(data.entries) in expected
                loads.append(len(data.entries))
            except Exception as exc:  # noqa: BLE001
                errors.append(f"load: {exc!r}")

    readers = [threading.Thread(target=read) for _ in range(3)]
    builders = [threading.Thread(target=build, args=(order,)) for order in (["a", "b"] * 4, ["b", "a"] * 4)]
    for thread in readers + builders:
        thread.start()
    for thread in builders:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert loads and set(loads) <= set(expected)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index")) == [".index.lock"]
