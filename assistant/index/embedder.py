"""The embedding model behind one small interface, with two ways to run it.

- **Builds** embed with sentence-transformers, the embedder of record (`Embedder.embed`).
- **Questions** (`Embedder.embed_queries`, token counts, the dimension) go through the model's ONNX
  export run by onnxruntime (`onnx_encoder`), so a process that only answers questions never imports
  torch. The export is made the first time it is needed (by a build, normally: building loads the
  model anyway), checked against sentence-transformers (`onnx_export`), and kept in the model cache
  for every later process. A model that cannot be exported, or a device other than the CPU, is
  answered by sentence-transformers, as before.

A model is known by its identity (`model_identity`: the name and a hash of its files), and each one
is loaded once per process and shared by every `Embedder` that names it (each keeps its own query
cache): a CLI call inside a test session, or two retrievers over one model, load it once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import AssistantError
from .model_identity import ModelIdentity, model_identity, resolve_model
from .onnx_encoder import ExportUnsupported, ExportUnusable, OnnxEncoder, default_cache, export_folder

__all__ = ["Embedder", "SentenceTransformerEncoder", "resolve_model", "shared_model"]

log = logging.getLogger(__name__)


class SentenceTransformerEncoder:
    """A SentenceTransformer behind the encoder interface (dimension, max_tokens, count_tokens, encode).

    Fast tokenizers are not safe to share between threads ("Already borrowed"), and two forward
    passes at once only fight over the same cores: one call into a model at a time, under its lock.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.lock = threading.Lock()

    @property
    def dimension(self) -> int:
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 512)

    def count_tokens(self, text: str) -> int:
        with self.lock:
            return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        with self.lock:
            tokenizer = self.model.tokenizer
            if getattr(tokenizer, "is_fast", False):
                return tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                                 return_attention_mask=False, return_token_type_ids=False)["offset_mapping"]
            # A slow tokenizer has no offsets: each word's tokens are placed at the word's start.
            return [(m.start(), m.end()) for m in re.finditer(r"\S+", text) for _ in tokenizer.tokenize(m.group())]

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        with self.lock:
            return self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)


# Loaded once per process, by identity, so that other weights saved over the same folder are loaded
# anew: (path, device, model sha256) -> the SentenceTransformer's encoder; (export folder, model
# sha256) -> the ONNX export's encoder.
_models: dict[tuple[str, str, str], SentenceTransformerEncoder] = {}
_exports: dict[tuple[str, str], OnnxEncoder] = {}
_loading = threading.Lock()


def shared_model(path: str, device: str, name: str | None = None, sha256: str | None = None
                 ) -> SentenceTransformerEncoder:
    """The SentenceTransformer at `path` on `device`, loaded once per process while its files are the
    same (`sha256`, from `model_identity`).

    Nothing is downloaded at run time (`local_files_only`): a model must be a folder or already in
    the Hugging Face cache.

    Raises:
        AssistantError: the model cannot be loaded.
    """
    with _loading:
        loaded = _models.get((path, device, sha256 or ""))
        if loaded is None:
            from sentence_transformers import SentenceTransformer

            try:
                model = SentenceTransformer(path, device=device, local_files_only=True)
            except Exception as exc:  # the library raises OSError, ValueError, HF errors...
                raise AssistantError(
                    f"cannot load embedding model {name or path!r} ({type(exc).__name__}: {exc}). Give a "
                    "folder holding a sentence-transformers model, or a name already in the Hugging Face "
                    "cache; nothing is downloaded at run time."
                ) from None
            loaded = _models[(path, device, sha256 or "")] = SentenceTransformerEncoder(model)
        return loaded


def _shared_export(folder: Path, identity: ModelIdentity) -> OnnxEncoder:
    """The export in `folder`, checked and loaded once per process (ExportUnusable when it cannot be)."""
    key = (str(folder), identity.sha256 or "")
    with _loading:
        loaded = _exports.get(key)
        if loaded is None:
            loaded = _exports[key] = OnnxEncoder.open(folder, identity)
        return loaded


class Embedder:
    """Turns texts into unit-length float32 vectors (inner product = cosine).

    Args:
        model: a sentence-transformers model name or folder; see `resolve_model`.
        device: torch device, "cpu" by default (questions use the ONNX export on the CPU only).
        batch_size: texts per forward pass.
        cache_size: how many query vectors to keep (least recently used are dropped); 0 disables.
        onnx: embed questions with the model's ONNX export (made when missing); False: with
            sentence-transformers, as builds do.
        model_cache: where ONNX exports are kept (default: `onnx_encoder.default_cache()`).
    """

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu", batch_size: int = 64,
                 cache_size: int = 1024, onnx: bool = True, model_cache: Path | None = None) -> None:
        self.name = model
        self.device = device
        self.batch_size = batch_size
        self.onnx = onnx and device == "cpu"
        self.model_cache = Path(model_cache) if model_cache is not None else None
        self._encoder: OnnxEncoder | SentenceTransformerEncoder | None = None
        self._encoder_lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = cache_size
        self.cache_hits = 0
        self.cache_misses = 0

    @property
    def identity(self) -> ModelIdentity:
        """The model's name and the hash of its files (hashed once per process)."""
        return model_identity(self.name)

    @property
    def model(self):
        """The SentenceTransformer, the embedder of record (imports torch and loads it on first use)."""
        return self._sentence_transformer().model

    def _sentence_transformer(self) -> SentenceTransformerEncoder:
        return shared_model(resolve_model(self.name), self.device, self.name, self.identity.sha256)

    @property
    def encoder(self) -> OnnxEncoder | SentenceTransformerEncoder:
        """What embeds questions: the ONNX export when there is one, else sentence-transformers."""
        if self._encoder is None:
            with self._encoder_lock:
                if self._encoder is None:
                    self._encoder = self._question_encoder()
        return self._encoder

    @property
    def backend(self) -> str:
        """"onnx" or "sentence-transformers": what embeds questions."""
        return "onnx" if isinstance(self.encoder, OnnxEncoder) else "sentence-transformers"

    def _question_encoder(self) -> OnnxEncoder | SentenceTransformerEncoder:
        identity = self.identity
        if not self.onnx or identity.sha256 is None:  # no local files: sentence-transformers says why
            return self._sentence_transformer()
        cache = self.model_cache or default_cache()
        folder = export_folder(cache, identity)
        try:
            return _shared_export(folder, identity)
        except ExportUnsupported:
            return self._sentence_transformer()  # said once, when the export was tried
        except ExportUnusable as why:
            if folder.exists():  # damaged, foreign or unloadable: never used, made again
                log.warning("warning: %s; exporting %s again", why, self.name)
        from .onnx_export import ExportFailed, export_model

        encoder = self._sentence_transformer()
        try:
            with encoder.lock:
                export_model(encoder.model, identity, cache)
            return _shared_export(folder, identity)
        except (ExportFailed, ExportUnusable) as why:
            log.warning("warning: questions to %s are embedded with sentence-transformers, which is slower to "
                        "start: no ONNX export (%s)", self.name, why)
            return encoder

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    @property
    def max_tokens(self) -> int:
        """The model's sequence length in tokens (longer inputs are truncated by the model)."""
        return self.encoder.max_tokens

    def count_tokens(self, text: str) -> int:
        """Tokens in `text`, without the special tokens the model adds."""
        return self.encoder.count_tokens(text)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The character span of each token of `text`, without special tokens: one pass of the tokenizer,
        so the chunker counts the tokens of any piece of a long answer without tokenizing it again.
        Chunking is part of a build, which loads the model of record anyway: its tokenizer is used."""
        return self._sentence_transformer().token_spans(text)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts` from sentence-transformers (the embedder of record), shape
        (len(texts), dimension), float32, unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._sentence_transformer().encode(texts, self.batch_size)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        """Vectors for questions, from `encoder`; repeated ones are served from a small LRU cache."""
        if not queries:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._cache_size <= 0:
            return self._encode_queries(queries)
        with self._cache_lock:
            known = {q: self._cache[q] for q in queries if q in self._cache}
            for query in known:
                self._cache.move_to_end(query)
        missing = [q for q in dict.fromkeys(queries) if q not in known]
        fresh = dict(zip(missing, self._encode_queries(missing))) if missing else {}
        with self._cache_lock:
            self.cache_hits += len(queries) - len(missing)
            self.cache_misses += len(missing)
            self._cache.update(fresh)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return np.stack([known[q] if q in known else fresh[q] for q in queries])

    def _encode_queries(self, queries: list[str]) -> np.ndarray:
        return np.ascontiguousarray(self.encoder.encode(queries, self.batch_size), dtype=np.float32)
