"""Export a sentence-transformers model to ONNX, once per model, and check it before publishing it.

The transformer is traced with torch.onnx (token ids in, token embeddings out); its tokenizer is saved
beside it as tokenizer.json; Pooling is recorded in export.json and done by `onnx_encoder` in numpy.
The export is published only when its vectors equal sentence-transformers' on a set of probe texts
(cosine >= MIN_COSINE, one at a time and padded in a batch) and it counts tokens alike. A model it
cannot reproduce gets an "unsupported" marker instead, and is answered by sentence-transformers.

Writing is atomic (a staging folder renamed into place, under a file lock); nothing is pickled.
Imports torch: only a build, or a process that already loaded the model, comes here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .model_identity import ModelIdentity
from .onnx_encoder import (
    INFO,
    ONNX_FILE,
    POOLING_MODES,
    TOKENIZER_FILE,
    ExportInfo,
    ExportUnusable,
    OnnxEncoder,
    export_folder,
    file_record,
)

# Below this cosine to sentence-transformers' vector of the same text, an export is not used.
MIN_COSINE = 0.9999
OPSET = 17
# Texts of every shape a question or passage may take: short and long (past any model's token
# limit, so truncation is checked), empty, spaces, case, digits, punctuation, accents, other scripts
# and emoji. Generic on purpose: nothing here comes from a corpus or a question set.
PROBES = [
    "hello",
    "How do I reset my password?",
    "What happens to my data when the subscription ends, and can I export it before that?",
    "",
    "   spaces around   ",
    "UPPER CASE, lower case and MiXeD CaSe",
    "version 2.0.1 costs $5, or 3.14 € per month (50% off) --flag=on",
    "Ünïcödé: café, naïve, Zürich; 東京の天気; Привет, мир; مرحبا 😀👍",
    "a line\nanother line\tand a tab",
    "the quick brown fox jumps over the lazy dog " * 120,
    "Is it free? Is it fast? Is it safe?",
    "https://example.com/path?query=1 and user@example.org",
]
_SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")


class ExportFailed(Exception):
    """The model could not be exported; the message says why in one line."""


def pooling_modes(pooling) -> list[str]:
    """The modes of a sentence-transformers Pooling module, in the order it concatenates them."""
    mode = getattr(pooling, "pooling_mode", None)
    if mode is not None:
        return [mode] if isinstance(mode, str) else list(mode)
    legacy = {"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens", "mean": "pooling_mode_mean_tokens",
              "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
              "weightedmean": "pooling_mode_weightedmean_tokens", "lasttoken": "pooling_mode_lasttoken"}
    return [name for name, flag in legacy.items() if getattr(pooling, flag, False)]


def unsupported(model) -> str | None:
    """Why `model` (a SentenceTransformer) cannot be exported, or None when it can be tried.

    Supported: a text Transformer with a fast tokenizer, then Pooling in one of POOLING_MODES, then
    optionally Normalize; no default prompt and no truncated dimension.
    """
    modules = list(model)
    names = [type(m).__name__ for m in modules]
    if names[:2] != ["Transformer", "Pooling"] or any(n not in _SUPPORTED_MODULES for n in names[2:]) or any(
            not type(m).__module__.startswith("sentence_transformers.") for m in modules):
        return f"modules {' -> '.join(names)} (supported: Transformer -> Pooling [-> Normalize])"
    transformer, pooling = modules[0], modules[1]
    modes = pooling_modes(pooling)
    if not modes or any(m not in POOLING_MODES for m in modes):
        return f"pooling {'+'.join(modes) or 'none'} (supported: {', '.join(POOLING_MODES)})"
    if getattr(transformer, "transformer_task", "feature-extraction") != "feature-extraction":
        return f"a {transformer.transformer_task} transformer (supported: feature-extraction)"
    if getattr(transformer, "query_expansion", None):
        return "query expansion"
    modalities = getattr(transformer, "modality_config", None)
    if modalities is not None and set(modalities) != {"text"}:
        return f"modalities {', '.join(map(str, modalities))} (supported: text)"
    if getattr(transformer.tokenizer, "backend_tokenizer", None) is None:
        return "a tokenizer without a fast (tokenizers) backend"
    if getattr(model, "default_prompt_name", None) or getattr(model, "truncate_dim", None):
        return "a default prompt or a truncated dimension"
    return None


def _tokenizer_json(transformer) -> str:
    """The model's fast tokenizer as sentence-transformers calls it: truncated to the model's length,
    padded with its own pad token and side."""
    from tokenizers import Tokenizer

    hf = transformer.tokenizer
    tokenizer = Tokenizer.from_str(hf.backend_tokenizer.to_str())
    tokenizer.enable_truncation(max_length=int(hf.model_max_length), strategy="longest_first",
                                direction=getattr(hf, "truncation_side", "right"))
    tokenizer.enable_padding(direction=getattr(hf, "padding_side", "right"), pad_id=int(hf.pad_token_id or 0),
                             pad_type_id=int(getattr(hf, "pad_token_type_id", 0) or 0), pad_token=str(hf.pad_token))
    return tokenizer.to_str()


def _trace(transformer, inputs: list[str], path: Path) -> None:
    """Write the transformer's graph to `path`: `inputs` in, token embeddings out, any batch and length."""
    import torch

    class Graph(torch.nn.Module):
        def __init__(self, network) -> None:
            super().__init__()
            self.network = network

        def forward(self, *tensors):
            return self.network(**dict(zip(inputs, tensors)), return_dict=True).last_hidden_state

    # Traced on a padded batch, so that the graph keeps the attention mask: traced on one text, a
    # model may take its no-padding shortcut and ignore the mask for good.
    example = transformer.tokenizer(PROBES[:3], padding=True, truncation=True, return_tensors="pt")
    network = transformer.auto_model.eval()
    axes = {name: {0: "batch", 1: "tokens"} for name in [*inputs, "token_embeddings"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python branches and the legacy exporter
        torch.onnx.export(Graph(network), tuple(example[name] for name in inputs), str(path), dynamo=False,
                          input_names=inputs, output_names=["token_embeddings"], dynamic_axes=axes,
                          opset_version=OPSET, external_data=False, do_constant_folding=True)


def _check(encoder: OnnxEncoder, model) -> dict:
    """Compare the export with sentence-transformers on PROBES: one at a time and as one padded batch.

    Raises:
        ExportFailed: a vector differs (cosine below MIN_COSINE) or a token count differs.
    """
    expected = model.encode(PROBES, batch_size=len(PROBES), normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)
    batched = encoder.encode(PROBES, batch_size=len(PROBES))
    alone = np.vstack([encoder.encode([text]) for text in PROBES])
    cosines = np.concatenate([(expected * batched).sum(axis=1), (expected * alone).sum(axis=1)])
    if cosines.min() < MIN_COSINE:
        worst = PROBES[int(cosines.argmin()) % len(PROBES)]
        raise ExportFailed(f"its vectors differ from sentence-transformers' (cosine {cosines.min():.6f} "
                           f"on {worst[:40]!r})")
    tokenizer = model[0].tokenizer
    for text in PROBES:
        if encoder.count_tokens(text) != len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]):
            raise ExportFailed(f"its tokenizer counts {text[:40]!r} differently")
    return {"texts": len(PROBES), "min_cosine": round(float(cosines.min()), 7)}


def export_model(model, identity: ModelIdentity, cache: Path) -> Path:
    """Export `model` (the SentenceTransformer loaded from `identity`) into `cache`, checked.

    When the model cannot be exported or reproduced, an "unsupported" marker is published instead, so
    that no later process tries again, and ExportFailed is raised.

    Args:
        model: the loaded SentenceTransformer, on the CPU.
        identity: what it was loaded from; names the export folder.
        cache: the folder holding every export.

    Returns:
        The export folder (open it with `OnnxEncoder.open`).

    Raises:
        ExportFailed: not exportable, or the export does not reproduce the model; or the cache
            cannot be written.
    """
    from filelock import FileLock

    target = export_folder(cache, identity)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(target.parent / f".{target.name}.lock")):
            try:  # another process may have exported it while this one waited for the lock
                OnnxEncoder.open(target, identity)
                return target
            except ExportUnusable:
                pass
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
            staging.chmod(0o755)  # mkdtemp's 0700 would keep a shared cache from other users
            try:
                reason = _export_into(staging, model, identity)
                _publish(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise ExportFailed(f"the model cache {cache} cannot be written ({exc})") from None
    if reason:
        raise ExportFailed(reason)
    return target


def _export_into(folder: Path, model, identity: ModelIdentity) -> str | None:
    """Write an export (or an unsupported marker) into `folder`; returns why it is unsupported, or None."""
    info = ExportInfo(model=identity.name, model_sha256=identity.sha256 or "")
    reason = unsupported(model)
    if reason is None:
        transformer = model[0]
        names = list(getattr(transformer.tokenizer, "model_input_names", ["input_ids", "attention_mask"]))
        info.inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in names]
        info.pooling = pooling_modes(model[1])
        get_dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        info.dimension = int(get_dimension())
        info.max_tokens = int(model.max_seq_length or 512)
        try:
            _trace(transformer, info.inputs, folder / ONNX_FILE)
            (folder / TOKENIZER_FILE).write_text(_tokenizer_json(transformer), encoding="utf-8")
            info.files = {name: file_record(folder / name) for name in (ONNX_FILE, TOKENIZER_FILE)}
            _write_info(folder, info)
            info.checked = _check(OnnxEncoder.open(folder, identity), model)
        except ExportFailed as exc:
            reason = str(exc)
        except OSError:
            raise  # a full disk or a read-only cache is no reason to mark the model unsupported
        except Exception as exc:  # torch.onnx and onnxruntime raise many kinds; any of them means "cannot"
            reason = f"the ONNX export failed ({type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]})"
    if reason:
        for name in (ONNX_FILE, TOKENIZER_FILE):
            (folder / name).unlink(missing_ok=True)
        info = ExportInfo(model=identity.name, model_sha256=identity.sha256 or "", unsupported=reason)
    _write_info(folder, info)
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    return reason


def _write_info(folder: Path, info: ExportInfo) -> None:
    (folder / INFO).write_text(info.to_json(), encoding="utf-8")


def _publish(staging: Path, target: Path) -> None:
    """Rename `staging` to `target`, replacing a damaged export there (the caller holds the lock)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
    os.rename(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
