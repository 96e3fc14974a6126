"""A model is its name and the hash of its files: other weights under the same folder make a build
re-embed everything, while the same weights re-embed nothing."""

import json
import shutil

import pytest

from assistant.cli import main
from assistant.index.model_identity import model_identity, resolve_model
from assistant.index.store import read_manifest, staleness


def test_the_bundled_model_is_hashed_with_its_tokenizer_and_config():
    identity = model_identity("all-MiniLM-L6-v2")
    assert len(identity.sha256) == 64 and identity.folder is not None
    # every file sentence-transformers reads (weights, tokenizer, configs), not README.md or .gitattributes
    assert identity.files == 11
    assert model_identity("all-MiniLM-L6-v2") == identity  # once per process: the same answer, from memory


def test_any_changed_file_changes_the_identity_but_documentation_does_not(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(resolve_model("all-MiniLM-L6-v2"), folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").write_bytes(b"weights")
    before = model_identity(str(folder))
    (folder / "README.md").write_text("a new model card")
    (folder / "onnx").mkdir()
    (folder / "onnx" / "model.onnx").write_bytes(b"another runtime's copy")
    assert model_identity(str(folder)).sha256 == before.sha256
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    changed = model_identity(str(folder))
    assert changed.sha256 != before.sha256
    (folder / "model.safetensors").write_bytes(b"weightz")
    assert model_identity(str(folder)).sha256 not in (before.sha256, changed.sha256)


def test_a_model_without_local_files_is_known_by_its_name_only():
    identity = model_identity("no-such-org/no-such-model")
    assert identity.sha256 is None and identity.folder is None


def test_the_manifest_records_the_identity(retriever):
    manifest = retriever.data.manifest
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["model_sha256"] == model_identity("all-MiniLM-L6-v2").sha256


def _perturb(folder) -> None:
    """Load the model in `folder` with sentence-transformers, add noise to one tensor, save it back."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    weight = model[0].auto_model.encoder.layer[-1].output.dense.weight
    with torch.no_grad():
        weight.add_(torch.randn(weight.shape, generator=torch.Generator().manual_seed(0)) * 0.05)
    model.save(str(folder))


@pytest.mark.slow
def test_other_weights_in_the_same_folder_rebuild_and_reembed(small_corpus, tmp_path, capsys):
    folder = tmp_path / "model"
    shutil.copytree(resolve_model("all-MiniLM-L6-v2"), folder)
    index = tmp_path / "index"
    flags = ["--corpus", str(small_corpus), "--index", str(index), "--model", str(folder)]
    assert main(["build", *flags]) == 0
    built = read_manifest(index)
    total = built["counts"]["embedded"]
    assert main(["build", *flags]) == 0
    assert "up to date" in capsys.readouterr().out

    _perturb(folder)
    assert "other weights" in staleness(read_manifest(index), small_corpus, str(folder))
    assert main(["build", *flags]) == 0
    out = capsys.readouterr().out
    assert "up to date" not in out and f"{total} embedded, 0 reused" in out
    rebuilt = read_manifest(index)
    assert rebuilt["model"] == built["model"] == str(folder)
    assert rebuilt["model_sha256"] == model_identity(str(folder)).sha256 != built["model_sha256"]

    assert main(["build", "--force", *flags]) == 0  # the same weights again: every vector reused
    assert f"0 embedded, {total} reused" in capsys.readouterr().out
    assert main(["ask", "Is the widget free?", "--no-build", *flags]) == 0
    assert "free" in capsys.readouterr().out
