"""Synthetic corpora and vectors for the scale benchmarks.

- `faq_rows(n)`: FAQ-like entries recombined from real ones (the default FAQ and StackFAQ): a real
  question with a qualifier that makes it unique, and an answer of 1-4 real answer sentences. Text
  lengths and vocabulary are those of real FAQs, so build, BM25 and chunking costs are realistic.
- `unit_vectors(n)`: random unit vectors with the spectrum of real embeddings. Uniform random vectors
  in 384 dimensions are far harder for an approximate index than real embeddings (no neighbour is
  much closer than any other point), and tight clusters are far easier. These are drawn from a
  Gaussian with the mean and covariance of all-MiniLM-L6-v2 embeddings of FAQ text (fitted once, kept
  in data/minilm_spectrum.json; `python -m benchmarks.synthetic --fit INDEX` refits it). They have
  the real effective dimension (~75) but no topic clusters, so recall measured on them is, if
  anything, pessimistic.
- `SyntheticEmbedder`: the `Embedder` interface with `unit_vectors` keyed by a hash of the text (the
  same text always gets the same vector). It lets the whole Retriever run at sizes the real model
  would take hours to embed; the model's cost per query does not depend on the corpus size and is
  measured on its own by the latency benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPECTRUM = Path(__file__).resolve().parent / "data" / "minilm_spectrum.json"
QUALIFIERS = (
    "on Linux", "on Windows", "for AMD", "for Intel", "with Terraform", "in the portal", "from the CLI",
    "in a scale set", "with managed disks", "in Europe", "in Asia", "with Kubernetes", "for SQL", "on ARM",
    "with a custom image", "behind a firewall", "in a private network", "for a small team", "at scale",
    "with an older SDK",
)


# --- text ----------------------------------------------------------------------------------------


def _pool() -> tuple[list[str], list[str]]:
    """Real questions and real answer sentences: the default FAQ and StackFAQ."""
    from assistant import load_corpus
    from assistant.index.chunking import sentence_spans

    entries = list(load_corpus(ROOT / "corpus").entries)
    entries += load_corpus(ROOT / "eval" / "stackfaq" / "faq.jsonl").entries
    questions = sorted({e.question for e in entries})
    sentences = sorted({e.answer[a:b].strip() for e in entries for a, b in sentence_spans(e.answer)
                        if 20 <= len(e.answer[a:b].strip()) <= 400})
    return questions, sentences


def faq_rows(n: int, seed: int = 0) -> list[dict]:
    """`n` FAQ entries ({"id", "question", "answer"}), recombined from real ones; every question unique."""
    questions, sentences = _pool()
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        question = rnd.choice(questions).rstrip(" ?")
        qualifier = QUALIFIERS[i % len(QUALIFIERS)]
        answer = " ".join(rnd.sample(sentences, rnd.choice((1, 2, 2, 3, 3, 4))))
        rows.append({"id": f"s{i:07d}", "question": f"{question} {qualifier} (case {i})?", "answer": answer})
    return rows


def write_corpus(folder: Path, n: int, seed: int = 0) -> Path:
    """A corpus folder holding `faq.jsonl` with `n` synthetic entries (kept when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "faq.jsonl"
    stamp = folder / f".rows-{n}-{seed}"
    if not stamp.exists():
        with open(path, "w", encoding="utf-8") as out:
            for row in faq_rows(n, seed):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        for old in folder.glob(".rows-*"):
            old.unlink()
        stamp.touch()
    return folder


# --- vectors -------------------------------------------------------------------------------------


def _spectrum() -> tuple[np.ndarray, np.ndarray]:
    data = json.loads(SPECTRUM.read_text(encoding="utf-8"))
    return np.asarray(data["mean"], dtype=np.float32), np.sqrt(np.asarray(data["variances"], dtype=np.float32))


def unit_vectors(n: int, seed: int = 0, batch: int = 65_536) -> np.ndarray:
    """`n` random unit vectors, shape (n, 384), float32, with the spectrum of real MiniLM embeddings.

    Inner products do not change under rotation, so the vectors are drawn in the eigenbasis of the
    fitted covariance: an independent normal per axis, scaled by that axis's standard deviation.
    """
    mean, scale = _spectrum()
    rng = np.random.default_rng(seed)
    out = np.empty((n, len(mean)), dtype=np.float32)
    for start in range(0, n, batch):
        x = rng.standard_normal((min(batch, n - start), len(mean)), dtype=np.float32)
        x *= scale
        x += mean
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[start : start + len(x)] = x
    return out


def fit_spectrum(vectors: np.ndarray) -> dict:
    """Mean (in the eigenbasis) and per-axis variances of real embeddings, for `unit_vectors`."""
    vectors = vectors.astype(np.float64)
    variances, basis = np.linalg.eigh(np.cov(vectors, rowvar=False))
    mean = basis.T @ vectors.mean(axis=0)
    effective = float(variances.sum() ** 2 / (variances**2).sum())
    return {"source": "", "vectors": len(vectors), "effective_dimension": round(effective, 1),
            "mean": [round(float(v), 6) for v in mean],
            "variances": [round(float(v), 9) for v in np.clip(variances, 0, None)]}


class SyntheticEmbedder:
    """The `Embedder` interface, answered with `unit_vectors` seeded by a hash of each text."""

    name = "synthetic-minilm-spectrum"
    dimension = 384
    max_tokens = 256

    def __init__(self) -> None:
        self.mean, self.scale = _spectrum()
        self.cache_hits = self.cache_misses = 0

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        from assistant.index.chunking import approximate_token_spans

        return approximate_token_spans(text)

    def count_tokens(self, text: str) -> int:
        return len(self.token_spans(text))

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        x = np.random.default_rng(seed).standard_normal(len(self.mean), dtype=np.float32) * self.scale + self.mean
        return x / np.linalg.norm(x)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    embed_queries = embed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refit the embedding spectrum used by unit_vectors.")
    parser.add_argument("--fit", type=Path, nargs="+", required=True, metavar="INDEX",
                        help="index folders built with all-MiniLM-L6-v2 (every vector is used)")
    args = parser.parse_args(argv)
    from assistant.index.store import load_index

    vectors = []
    for folder in args.fit:
        index = load_index(folder)
        vectors.append(index.vectors.reconstruct_all())
    fitted = fit_spectrum(np.vstack(vectors))
    fitted["source"] = "all-MiniLM-L6-v2 embeddings of every view of the default FAQ and of StackFAQ"
    SPECTRUM.parent.mkdir(exist_ok=True)
    SPECTRUM.write_text(json.dumps(fitted) + "\n", encoding="utf-8")
    print(f"fitted {fitted['vectors']} vectors; effective dimension {fitted['effective_dimension']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
