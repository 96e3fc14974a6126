"""Questions embedded without torch: the model's ONNX export run by onnxruntime, tokenized by `tokenizers`.

An export is a folder in the model cache, named after the model's identity (`model_identity`):

    export.json      what it was exported from (model name and sha256), the inputs, the pooling, the
                     dimension and token limit, and the size and sha256 of the two files below
    model.onnx       the transformer: token ids in, token embeddings out (ONNX protobuf, no pickle)
    tokenizer.json   the model's own fast tokenizer, with its truncation and padding

Why a cache folder keyed by the weights' hash, not a file in each index: one export serves every
index built with that model (the default FAQ, each evaluated corpus, every test's index), so it is
made once per model and machine (a few seconds of torch), while each index stays as it was. Its
files are checked against export.json before use, so a damaged or foreign export is never loaded.

Pooling and normalisation happen here, in numpy, as the model's sentence-transformers Pooling module
declares (recorded in export.json at export time); `onnx_export` checks the result against
sentence-transformers before it publishes an export.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .model_identity import ModelIdentity

EXPORT_FORMAT = 1
INFO, ONNX_FILE, TOKENIZER_FILE = "export.json", "model.onnx", "tokenizer.json"
# The Pooling modes computed below (sentence-transformers also has weightedmean and lasttoken; a
# model that uses them is answered by sentence-transformers itself).
POOLING_MODES = ("mean", "mean_sqrt_len_tokens", "cls", "max")


class ExportUnusable(Exception):
    """An export folder that must not be loaded (missing, damaged, foreign, or of another format)."""


class ExportUnsupported(ExportUnusable):
    """The export folder is a marker: this model cannot be exported (export.json says why)."""


def default_cache() -> Path:
    """Where exports are kept: $FAQ_ASSISTANT_MODEL_CACHE, else faq-assistant/models in the user's cache."""
    configured = os.environ.get("FAQ_ASSISTANT_MODEL_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "faq-assistant" / "models"


def export_folder(cache: Path, identity: ModelIdentity) -> Path:
    """The export of the model `identity` in `cache`: one folder per distinct set of weights."""
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in Path(identity.name).name)[-60:]
    return Path(cache) / f"{slug}-{identity.short}"


@dataclass
class ExportInfo:
    """export.json: what an export was made from and how to use it.

    Attributes:
        model, model_sha256: the identity of the model exported.
        inputs: the ONNX graph's inputs, in the tokenizer's names (input_ids, attention_mask, ...).
        pooling: the Pooling module's modes, concatenated in this order.
        dimension: the length of a sentence vector.
        max_tokens: the model's sequence length (longer inputs are truncated).
        files: file name -> {"size", "sha256"} for model.onnx and tokenizer.json.
        checked: how the export was checked against sentence-transformers (texts, least cosine).
        unsupported: why the model cannot be exported (then there are no files): a marker, so that
            no later process tries again.
    """

    model: str
    model_sha256: str
    inputs: list[str] = field(default_factory=list)
    pooling: list[str] = field(default_factory=list)
    dimension: int = 0
    max_tokens: int = 0
    files: dict[str, dict] = field(default_factory=dict)
    checked: dict = field(default_factory=dict)
    unsupported: str | None = None
    format: int = EXPORT_FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def read(cls, folder: Path, identity: ModelIdentity) -> ExportInfo:
        """export.json of `folder`, checked to belong to `identity`.

        Raises:
            ExportUnusable: missing, unreadable, of another format or of another model.
        """
        try:
            raw = json.loads((Path(folder) / INFO).read_text(encoding="utf-8"))
            info = cls(**raw)
        except FileNotFoundError:
            raise ExportUnusable(f"no {INFO} in {folder}") from None
        except (OSError, ValueError, TypeError) as exc:
            raise ExportUnusable(f"{Path(folder) / INFO} is damaged ({exc})") from None
        if info.format != EXPORT_FORMAT:
            raise ExportUnusable(f"{Path(folder) / INFO} is format {info.format}, not {EXPORT_FORMAT}")
        if info.model_sha256 != identity.sha256:
            raise ExportUnusable(f"{folder} was exported from other weights ({info.model_sha256[:16]}), "
                                 f"not those of {identity.name} ({identity.short})")
        return info


def file_record(path: Path) -> dict:
    """{"size", "sha256"} of a file, as export.json lists them."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _check_files(folder: Path, info: ExportInfo) -> None:
    if set(info.files) != {ONNX_FILE, TOKENIZER_FILE}:
        raise ExportUnusable(f"{folder / INFO} does not list {ONNX_FILE} and {TOKENIZER_FILE}")
    for name, expected in info.files.items():
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            raise ExportUnusable(f"{path} is missing") from None
        # The size first: a truncated file is caught without reading it.
        if size != expected.get("size") or file_record(path)["sha256"] != expected.get("sha256"):
            raise ExportUnusable(f"{path} does not match its checksum in {INFO} (damaged or replaced)")


class OnnxEncoder:
    """Sentence vectors from an ONNX export, as sentence-transformers' `encode` gives them.

    Build one with `OnnxEncoder.open`. Thread-safe: the tokenizers are only read, and one batch runs
    at a time (two at once would only fight over the same cores).
    """

    def __init__(self, info: ExportInfo, session, tokenizer, counter) -> None:
        self.info = info
        self._session = session
        self.lock = threading.Lock()
        # The model's tokenizer truncates as in `encode`; batches are padded here, each to its longest
        # text (as sentence-transformers does), with the tokenizer's own pad ids and side.
        padding = tokenizer.padding or {}
        self._pad = {"input_ids": padding.get("pad_id", 0), "attention_mask": 0,
                     "token_type_ids": padding.get("pad_type_id", 0)}
        self._pad_left = padding.get("direction") == "left"
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._counter = counter  # neither truncates nor pads: counts every token

    @classmethod
    def open(cls, folder: Path, identity: ModelIdentity) -> OnnxEncoder:
        """Load the export in `folder` after checking that it belongs to `identity` and is whole.

        Raises:
            ExportUnusable: the export is missing, damaged, foreign, an "unsupported" marker, or
                onnxruntime cannot load it.
        """
        folder = Path(folder)
        info = ExportInfo.read(folder, identity)
        if info.unsupported:
            raise ExportUnsupported(f"{identity.name} cannot be exported: {info.unsupported}")
        _check_files(folder, info)
        try:
            import onnxruntime
            from tokenizers import Tokenizer

            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3  # errors only: no notes on stderr
            session = onnxruntime.InferenceSession(str(folder / ONNX_FILE), options,
                                                   providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
            counter = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        except ImportError as exc:
            raise ExportUnusable(f"{exc.name} is not installed") from None
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph, tokenizers an Exception
            first = (str(exc).strip().splitlines() or [""])[0][:200]  # a warning is one line
            raise ExportUnusable(f"{folder} cannot be loaded ({type(exc).__name__}: {first})") from None
        counter.no_truncation()
        counter.no_padding()
        return cls(info, session, tokenizer, counter)

    @property
    def dimension(self) -> int:
        return self.info.dimension

    @property
    def max_tokens(self) -> int:
        return self.info.max_tokens

    def count_tokens(self, text: str) -> int:
        """Tokens in `text`, without the special tokens the model adds."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors for `texts`, shape (len(texts), dimension).

        Texts are batched by length, as sentence-transformers does, so that a batch pads little.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts)) if texts else []
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            feeds = self._padded([encodings[i] for i in rows])
            with self.lock:
                tokens = self._session.run(None, {name: feeds[name] for name in self.info.inputs})[0]
            out[rows] = self._pool(tokens, feeds["attention_mask"])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)  # torch.nn.functional.normalize's epsilon

    def _padded(self, encodings: list) -> dict[str, np.ndarray]:
        """input_ids, attention_mask and token_type_ids of a batch, padded to its longest text."""
        width = max(len(e.ids) for e in encodings)
        feeds = {}
        for name, attribute in _FIELDS.items():
            array = np.full((len(encodings), width), self._pad[name], dtype=np.int64)
            for row, encoding in enumerate(encodings):
                values = getattr(encoding, attribute)
                if self._pad_left:
                    array[row, width - len(values):] = values
                else:
                    array[row, : len(values)] = values
            feeds[name] = array
        return feeds

    def _pool(self, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """sentence-transformers' Pooling.forward for the modes in export.json, concatenated."""
        weights = mask[..., None].astype(tokens.dtype)
        pooled = []
        for mode in self.info.pooling:
            if mode == "cls":
                pooled.append(tokens[np.arange(len(tokens)), mask.argmax(axis=1)])
            elif mode == "max":
                pooled.append(np.where(weights > 0, tokens, -np.inf).max(axis=1))
            else:  # mean, mean_sqrt_len_tokens
                count = np.maximum(weights.sum(axis=1), 1e-9)
                pooled.append((tokens * weights).sum(axis=1) / (count if mode == "mean" else np.sqrt(count)))
        return np.concatenate(pooled, axis=1)


# Graph input -> the tokenizers.Encoding attribute that holds it.
_FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
