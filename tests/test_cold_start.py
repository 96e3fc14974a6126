"""A cold `assistant ask` loads only what answering needs: no torch, sentence-transformers, transformers,
bm25s, scipy or Gradio; and the BM25 scores it computes without bm25s are exactly bm25s' own."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from assistant.index.lexical import SavedBM25, tokenize

NOT_NEEDED = ["torch", "sentence_transformers", "transformers", "bm25s", "scipy", "gradio", "sklearn"]


@pytest.mark.slow
def test_ask_imports_neither_torch_nor_bm25s(retriever, model_cache):
    program = (
        "import json, sys\n"
        "from assistant.cli import main\n"
        "code = main(sys.argv[2:])\n"
        "print(json.dumps({'code': code, 'loaded': [m for m in sys.argv[1].split(',') if m in sys.modules]}))\n"
    )
    args = ["ask", "is the swap file encrypted?", "--no-build", "--index", str(retriever.data.directory),
            "--corpus", str(retriever.settings.corpus)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_ASSISTANT_MODEL_CACHE": str(model_cache)}
    done = subprocess.run([sys.executable, "-c", program, ",".join(NOT_NEEDED), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}, done.stderr
    assert "pagefile.sys" in done.stdout and done.stderr == ""


def test_saved_bm25_scores_exactly_as_bm25s(retriever):
    import bm25s

    folder = retriever.data.directory / "lexical"
    ours, theirs = SavedBM25(folder), bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False)
    assert ours.vocab_dict == theirs.vocab_dict and ours.scores["num_docs"] == theirs.scores["num_docs"]
    questions = [json.loads(line)["query"] for line in (ROOT / "eval" / "stackfaq" / "queries.jsonl").open()][:200]
    compared = 0
    for tokens in tokenize(questions):
        known = [t for t in tokens if t in theirs.vocab_dict]
        if known:
            assert np.array_equal(ours.get_scores(known), theirs.get_scores(known)), tokens
            compared += 1
    assert compared > 100


def test_a_vocabulary_beyond_the_score_matrix_is_refused(retriever, tmp_path):
    folder = tmp_path / "lexical"
    folder.mkdir()
    for path in (retriever.data.directory / "lexical").iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    vocabulary = json.loads((folder / "vocab.index.json").read_text())
    vocabulary["zzz"] = 10**6
    (folder / "vocab.index.json").write_text(json.dumps(vocabulary))
    with pytest.raises(ValueError, match="vocabulary"):
        SavedBM25(folder)
