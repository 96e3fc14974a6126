"""A build killed mid-way (SIGKILL, in a real subprocess) leaves the previous index loadable and
correct; the next build completes and removes what the killed one left behind.

The child process runs a real build and kills itself with SIGKILL at one point of it, so each point is
hit exactly, without timing: while embedding, once the new index is complete in its staging folder,
between the two renames of the swap, and while the old index is being deleted.
"""

import os
import shutil
import signal
import subprocess
import sys

import pytest
from conftest import DATA, ROOT

from assistant import Retriever
from assistant.index.build import build_index
from assistant.index.store import load_index

CHILD = """
import os, shutil, signal, sys
import assistant.index.build as build
from assistant import Embedder

point, corpus, target = sys.argv[1:]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

progress = die if point == "embedding" else None  # called after the first batch of texts is embedded
if point == "staged":
    build.swap_in = die
if point in ("swapping", "deleting-old"):
    swap, replace, rmtree = build.swap_in, os.replace, shutil.rmtree
    def swap_in(staging, target):
        def replace_then_die(src, dst):
            replace(src, dst)
            die()  # the old index is set aside, the new one not yet in place
        os.replace = replace_then_die if point == "swapping" else replace
        shutil.rmtree = die if point == "deleting-old" else rmtree
        swap(staging, target)
    build.swap_in = swap_in
build.build_index(corpus, target, Embedder(), progress=progress)
print("the build was not killed")
"""

MOBILE = "Is there a mobile app?"


def leftovers(folder):
    return sorted(p.name.split("-")[0] for p in folder.iterdir() if p.name.startswith(".index."))


@pytest.mark.slow
@pytest.mark.parametrize("point, survivor", [
    ("embedding", "old"), ("staged", "old"), ("swapping", "old"), ("deleting-old", "new"),
])
def test_a_killed_build_leaves_a_good_index(tmp_path, embedder, point, survivor):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "faq.md", corpus / "faq.md")
    target = tmp_path / "index"
    old = build_index(corpus, target, embedder)

    (corpus / "more.jsonl").write_text(f'{{"question": "{MOBILE}", "answer": "Not yet, but soon."}}\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run([sys.executable, "-c", CHILD, point, str(corpus), str(target)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr

    # What the killed build left behind, beside the index (the lock file is always there).
    expected = {"embedding": [], "staged": [".index.tmp"], "swapping": [".index.old", ".index.tmp"],
                "deleting-old": [".index.old"]}[point]
    assert leftovers(tmp_path) == sorted([".index.lock", *expected])

    # The index loads (a swap cut in half is put back) and is the old one, or the new one, whole.
    loaded = load_index(target)
    questions = [e.question for e in loaded.entries]
    if survivor == "old":
        assert [e.to_dict() for e in loaded.entries] == [e.to_dict() for e in old.entries]
        assert MOBILE not in questions
    else:
        assert MOBILE in questions and len(questions) == 5
    retriever = Retriever(loaded, embedder)
    assert retriever.search("how much is the widget?", k=1)[0].question == "How much does the widget cost?"

    # The next build completes, and removes the leftovers.
    fresh = Retriever.build(corpus, target, embedder=embedder)
    assert fresh.search("is there an app for my phone?", k=1)[0].question == MOBILE
    assert leftovers(tmp_path) == [".index.lock"]
    assert len(Retriever.load(target, corpus=corpus, embedder=embedder, rebuild="never").entries) == 5
