"""Questions embedded through the model's ONNX export: the vectors and rankings of sentence-transformers,
without torch; an export is checked before use, and a model that cannot be exported still works."""

import json
import logging
import os
import shutil

import numpy as np
import pytest
from conftest import ROOT

from assistant import Embedder, Retriever
from assistant.index.model_identity import model_identity, resolve_model
from assistant.index.onnx_encoder import (
    INFO,
    ONNX_FILE,
    TOKENIZER_FILE,
    ExportUnusable,
    OnnxEncoder,
    export_folder,
    file_record,
)


def _questions(path, count: int) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for row in rows for q in ([row["query"]] if "query" in row else row["turns"])][:count]


# A few dozen questions of every eval set: answerable, out of scope, follow-ups, other FAQs.
QUESTIONS = [q for path in sorted((ROOT / "eval").glob("*.jsonl")) for q in _questions(path, 6)]
QUESTIONS += _questions(ROOT / "eval" / "stackfaq" / "queries.jsonl", 10)
QUESTIONS += [q for path in sorted((ROOT / "eval" / "realfaq").glob("*/questions.jsonl")) for q in _questions(path, 4)]


@pytest.fixture(scope="module")
def export(retriever, model_cache):
    """The session's export of the bundled model (the session's first index build made it)."""
    assert retriever.embedder.backend == "onnx"
    return export_folder(model_cache, model_identity(retriever.embedder.name))


def test_the_question_set_is_a_few_dozen_from_every_eval_set():
    assert len(QUESTIONS) >= 40 and len(set(QUESTIONS)) == len(QUESTIONS)


def test_question_vectors_equal_sentence_transformers(embedder, export):
    onnx = Embedder(embedder.name, cache_size=0).embed_queries(QUESTIONS)
    reference = embedder.embed(QUESTIONS)  # sentence-transformers, the embedder of record
    cosines = (onnx * reference).sum(axis=1)
    assert cosines.min() >= 0.9999, QUESTIONS[int(cosines.argmin())]
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1, atol=1e-6)
    alone = np.vstack([Embedder(embedder.name, cache_size=0).embed_queries([q]) for q in QUESTIONS[:8]])
    assert ((alone * reference[:8]).sum(axis=1)).min() >= 0.9999  # unpadded, one at a time


def test_rankings_equal_sentence_transformers(retriever):
    torch_path = Retriever(retriever.data, Embedder(retriever.embedder.name, onnx=False), retriever.settings)
    assert torch_path.embedder.backend == "sentence-transformers"
    for question in QUESTIONS:
        onnx_hits = [h.entry_id for h in retriever.search(question, k=10)]
        assert onnx_hits == [h.entry_id for h in torch_path.search(question, k=10)], question
        assert retriever.answer(question).found == torch_path.answer(question).found, question


def test_token_counts_and_limits_equal_sentence_transformers(embedder, export):
    torch_path = Embedder(embedder.name, onnx=False)
    assert (embedder.dimension, embedder.max_tokens) == (torch_path.dimension, torch_path.max_tokens) == (384, 256)
    for text in [*QUESTIONS[:10], "", "naïve café 東京 😀", "word " * 400]:
        assert embedder.count_tokens(text) == torch_path.count_tokens(text)


def test_the_export_is_json_and_onnx_only(export):
    assert sorted(p.name for p in export.iterdir()) == [INFO, ONNX_FILE, TOKENIZER_FILE]
    info = json.loads((export / INFO).read_text())
    assert info["model_sha256"] == model_identity("all-MiniLM-L6-v2").sha256
    assert info["pooling"] == ["mean"] and info["checked"]["min_cosine"] >= 0.9999
    assert not (export / ONNX_FILE).read_bytes().startswith(b"\x80")  # not a pickle


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "missing tokenizer", "foreign", "bad json",
                                    "unloadable"])
def test_a_damaged_or_foreign_export_is_never_loaded(export, tmp_path, damage):
    copy = tmp_path / export.name
    shutil.copytree(export, copy)
    identity = model_identity("all-MiniLM-L6-v2")
    if damage == "flipped byte":
        with open(copy / ONNX_FILE, "r+b") as handle:
            handle.seek(os.path.getsize(copy / ONNX_FILE) // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
    elif damage == "truncated":
        os.truncate(copy / ONNX_FILE, 1000)
    elif damage == "missing tokenizer":
        (copy / TOKENIZER_FILE).unlink()
    elif damage == "foreign":  # another model's export under this model's name
        info = json.loads((copy / INFO).read_text())
        info["model_sha256"] = "0" * 64
        (copy / INFO).write_text(json.dumps(info))
    elif damage == "unloadable":  # checksums that match a file onnxruntime cannot read
        (copy / ONNX_FILE).write_bytes(b"not an onnx graph\n" * 100)
        info = json.loads((copy / INFO).read_text())
        info["files"][ONNX_FILE] = file_record(copy / ONNX_FILE)
        (copy / INFO).write_text(json.dumps(info))
    else:
        (copy / INFO).write_text("{not json")
    with pytest.raises(ExportUnusable) as raised:
        OnnxEncoder.open(copy, identity)
    assert "\n" not in str(raised.value)  # shown as one warning line


@pytest.mark.slow
def test_a_damaged_export_is_made_again_with_one_line(export, tmp_path, caplog):
    cache = tmp_path / "cache"
    copy = export_folder(cache, model_identity("all-MiniLM-L6-v2"))
    shutil.copytree(export, copy)
    with open(copy / ONNX_FILE, "r+b") as handle:
        handle.seek(5000)
        handle.write(b"\0" * 64)
    with caplog.at_level(logging.WARNING, logger="assistant"):
        fresh = Embedder(model_cache=cache)
        assert fresh.backend == "onnx"
    lines = _ours(caplog.records)
    assert len(lines) == 1 and "checksum" in lines[0] and "exporting all-MiniLM-L6-v2 again" in lines[0]
    assert OnnxEncoder.open(copy, model_identity("all-MiniLM-L6-v2")).dimension == 384
    assert not [p for p in cache.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]


@pytest.fixture(scope="module")
def model_variant(tmp_path_factory):
    """make(pooling=..., dense=...): a model folder made from the bundled one (weights linked, not copied)."""
    bundled = resolve_model("all-MiniLM-L6-v2")

    def make(name: str, pooling: dict | None = None, dense: bool = False):
        folder = tmp_path_factory.mktemp("models") / name
        shutil.copytree(bundled, folder, ignore=shutil.ignore_patterns("model.safetensors"))
        (folder / "model.safetensors").symlink_to(os.path.join(bundled, "model.safetensors"))
        if pooling is not None:
            (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 384, **pooling}))
        if dense:  # a Dense layer after pooling: a module the ONNX path does not run
            from sentence_transformers import SentenceTransformer, models

            base = SentenceTransformer(str(folder), device="cpu")
            layer = models.Dense(384, 128)
            SentenceTransformer(modules=[base[0], base[1], layer], device="cpu").save(str(folder))
        return str(folder)

    return make


@pytest.mark.slow
@pytest.mark.parametrize(("pooling", "dimension"), [
    ({"pooling_mode_max_tokens": True, "pooling_mode_mean_tokens": False}, 384),
    ({"pooling_mode_cls_token": True, "pooling_mode_mean_sqrt_len_tokens": True, "pooling_mode_mean_tokens": False},
     768),
], ids=["max", "cls+mean_sqrt_len"])
def test_other_pooling_modes_are_exported_as_declared(model_variant, tmp_path, pooling, dimension):
    model = model_variant("pooled", pooling=pooling)
    onnx = Embedder(model, cache_size=0, model_cache=tmp_path)
    assert onnx.backend == "onnx" and onnx.dimension == dimension
    reference = onnx.embed(QUESTIONS[:12])
    assert ((onnx.embed_queries(QUESTIONS[:12]) * reference).sum(axis=1)).min() >= 0.9999


def _ours(records) -> list[str]:
    return [r.getMessage() for r in records if r.name.startswith("assistant")]


@pytest.mark.slow
def test_a_model_with_unsupported_modules_is_answered_by_sentence_transformers(model_variant, tmp_path, caplog):
    model = model_variant("dense", dense=True)
    with caplog.at_level(logging.WARNING, logger="assistant"):
        first = Embedder(model, cache_size=0, model_cache=tmp_path)
        assert first.backend == "sentence-transformers" and first.dimension == 128
    lines = _ours(caplog.records)
    assert len(lines) == 1 and "Dense" in lines[0] and "\n" not in lines[0]
    marker = json.loads((export_folder(tmp_path, model_identity(model)) / INFO).read_text())
    assert "Dense" in marker["unsupported"] and marker["files"] == {}
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="assistant"):
        again = Embedder(model, cache_size=0, model_cache=tmp_path)  # a later process: the marker, no retry
        assert again.backend == "sentence-transformers"
    assert _ours(caplog.records) == []
    assert np.array_equal(again.embed_queries(["is it free?"]), again.embed(["is it free?"]))
