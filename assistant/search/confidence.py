"""Confidence: the estimated probability that the top entry answers the question.

A logistic model over features of one question's scores, mapped through an isotonic calibration.
`features` offers the fused score of the top entry, its margin over the best entry of another
question, the five signals it was fused from, and how much of the question's words (by IDF) the
entry and the corpus hold; a model uses those its JSON names. The shipped one uses the score and
the margin only: the others did not carry over from one FAQ to another when measured (README, "How
an answer is chosen"). The coefficients are JSON (`confidence.json` beside this module) and were fitted by
`python -m benchmarks.calibrate` on labelled question sets of several FAQs other than the one
being answered (the file says which), so that "0.8" means right about 80% of the time across
FAQs, not on one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import AssistantError
from .scoring import SIGNALS, Scores

# Features read from the question's words (tokenized and stemmed again): computed only for a model
# that names one of them, so the shipped model (score and margin) costs nothing per question for them.
WORD_FEATURES = ("coverage", "known", "words")
FEATURES = ("score", "margin", *SIGNALS, *WORD_FEATURES)


def features(scores: Scores, row: int, top: int, group_of: np.ndarray, query: str = "",
             lexical=None) -> dict[str, float]:
    """The confidence features of query `row` whose best entry is `top`.

    Args:
        scores: the batch's scores.
        row: the query's row in it.
        top: the index of the query's best entry.
        group_of: the question group of every entry (entries sharing a question are not rivals).
        query: the text searched, for the share of its words (by IDF) the entry and the corpus hold.
        lexical: the corpus's `LexicalIndex`; None leaves out the WORD_FEATURES.
    """
    fused = scores.fused[row]
    rivals = fused[group_of != group_of[top]]
    rivals = rivals[np.isfinite(rivals)]
    best = float(fused[top])
    out = {"score": best, "margin": best - float(rivals.max()) if len(rivals) else best}
    out.update({name: float(scores.signals[name][row, top]) for name in SIGNALS})
    if lexical is not None:
        overlap = lexical.overlap(query, top)
        out.update(coverage=overlap.in_document, known=overlap.in_corpus, words=float(min(overlap.words, 12)))
    # A signal left out of a candidate search is -inf: it counts as no evidence at all.
    return {name: value if math.isfinite(value) else 0.0 for name, value in out.items()}


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic regression over `FEATURES`: P(the top entry answers) = sigmoid(w . x + bias).

    Attributes:
        weights: feature name -> coefficient.
        bias: the intercept.
        calibration: (logistic output, probability) points, increasing: the logistic output is mapped
            through them (linearly between points), so that the shares of right answers observed
            at each output are what is reported; empty: the logistic output as it is.
        trained_on: what the coefficients were fitted on (for people, not for the code).
    """

    weights: dict[str, float]
    bias: float
    calibration: tuple[tuple[float, float], ...] = ()
    trained_on: str = ""

    def __call__(self, values: dict[str, float]) -> float:
        z = self.bias + sum(weight * values[name] for name, weight in self.weights.items())
        p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
        if not self.calibration:
            return p
        return float(np.interp(p, [x for x, _ in self.calibration], [y for _, y in self.calibration]))

    @property
    def reads_words(self) -> bool:
        """Whether the model uses a feature of the question's words (WORD_FEATURES)."""
        return any(name in self.weights for name in WORD_FEATURES)

    def to_dict(self) -> dict:
        return {"weights": self.weights, "bias": self.bias, "calibration": [list(c) for c in self.calibration],
                "trained_on": self.trained_on}

    @classmethod
    def from_dict(cls, row: dict) -> ConfidenceModel:
        weights = row.get("weights")
        if not isinstance(weights, dict) or not set(weights) <= set(FEATURES) or not all(
                isinstance(v, (int, float)) and math.isfinite(v) for v in weights.values()):
            raise AssistantError(f"a confidence model needs finite weights for features among {', '.join(FEATURES)}")
        bias = row.get("bias")
        if not isinstance(bias, (int, float)) or not math.isfinite(bias):
            raise AssistantError("a confidence model needs a finite bias")
        points = row.get("calibration", [])
        if not isinstance(points, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in p)
                for p in points) or any(a[0] > b[0] or a[1] > b[1] for a, b in zip(points, points[1:])):
            raise AssistantError("a confidence model's calibration is a list of increasing [output, probability] "
                                 "pairs in [0, 1]")
        return cls({k: float(v) for k, v in weights.items()}, float(bias),
                   tuple((float(x), float(y)) for x, y in points), str(row.get("trained_on", "")))

    @classmethod
    def read(cls, path: str | Path) -> ConfidenceModel:
        """A model saved as JSON (`benchmarks/calibrate.py --out`).

        Raises:
            AssistantError: the file cannot be read or is not a confidence model.
        """
        try:
            row = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AssistantError(f"cannot read the confidence model {path}: {exc}") from None
        if not isinstance(row, dict):
            raise AssistantError(f"{path} is not a confidence model (a JSON object with weights and bias)")
        return cls.from_dict(row)


@lru_cache(maxsize=1)
def default_model() -> ConfidenceModel:
    """The model shipped with the package."""
    text = resources.files(__package__).joinpath("confidence.json").read_text(encoding="utf-8")
    return ConfidenceModel.from_dict(json.loads(text))
