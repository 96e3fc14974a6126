"""The lexical signal: BM25 (bm25s) over each entry's question and answer, with English stemming.

Exact tokens matter in FAQs (SKUs like DCasv5, acronyms like SEV-SNP) and dense models blur them;
BM25 catches them. Its raw score is unbounded, so it is squashed to [0, 1) with s / (s + saturation):
that keeps an absolute scale, which the answer-or-abstain decision needs (rank fusion would lose it).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_STEMMER = None
_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's (and scikit-learn's) default token pattern


def _stemmer():
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


# English function words (the common NLTK list, plus modal verbs). bm25s's own list has 33 words
# and keeps "what", "how", "can", "does", "my"... which every FAQ question contains.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves may might must shall also get got please
""".split())


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stemmed word tokens with English stopwords removed.

    The same tokens as `bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=..., return_ids=False)`, without
    its progress-bar and vocabulary machinery, which cost more than the tokenizing on a short query.
    """
    stopwords, stem = STOPWORDS, _stemmer().stemWords
    words = [[w for w in _WORD.findall(text.lower()) if w not in stopwords] for text in texts]
    unique = list(dict.fromkeys(w for row in words for w in row))
    stemmed = dict(zip(unique, stem(unique)))
    return [[stemmed[w] for w in row] for row in words]


@dataclass(frozen=True)
class Overlap:
    """A query's words against one document: how many content words it has (stemmed, stopwords
    out), and the IDF-weighted shares of them the document and the corpus hold (1.0 for none)."""

    words: int
    in_document: float
    in_corpus: float


class LexicalIndex:
    """BM25 over one document per FAQ entry, in entry order."""

    def __init__(self, bm25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, documents: list[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(tokenize(documents), show_progress=False)
        return cls(bm25)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory))  # JSON + .npy files, allow_pickle=False

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        return cls(SavedBM25(directory))

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def overlap(self, query: str, document: int) -> Overlap:
        """How many content words the query has, and how much of them, weighted by how rare each is in
        the corpus (IDF), the document holds, and the corpus holds at all. A word the corpus never
        uses weighs the most: "H100" in a question to an FAQ that never names it is the question's
        point, not noise."""
        words = list(dict.fromkeys(tokenize([query])[0]))
        if not words:
            return Overlap(0, 1.0, 1.0)
        vocabulary, matrix = self._bm25.vocab_dict, self._bm25.scores
        documents, indptr, indices = self.size, matrix["indptr"], matrix["indices"]
        total = in_document = in_corpus = 0.0
        for word in words:
            column = vocabulary.get(word)
            frequency = 0 if column is None else int(indptr[column + 1] - indptr[column])
            weight = math.log((documents + 1) / (frequency + 0.5))
            total += weight
            if frequency:
                in_corpus += weight
                holders = indices[indptr[column] : indptr[column + 1]]  # the documents holding the word
                in_document += weight if (holders == document).any() else 0.0
        return Overlap(len(words), in_document / total, in_corpus / total)

    def scores(self, queries: list[str], saturation: float = 5.0) -> np.ndarray:
        """BM25 scores squashed by s / (s + saturation): shape (len(queries), documents), in [0, 1)."""
        vocabulary = self._bm25.vocab_dict
        out = np.zeros((len(queries), self.size), dtype=np.float32)
        for row, tokens in enumerate(tokenize(queries)):
            known = [t for t in tokens if t in vocabulary]
            if known:
                raw = self._bm25.get_scores(known)
                out[row] = raw / (raw + saturation)
        return out


class SavedBM25:
    """A saved bm25s index read with numpy and JSON alone, and scored exactly as `bm25s.BM25.get_scores`
    scores (the same float32 additions in the same order), under the names LexicalIndex uses.

    Answering questions then needs neither bm25s nor the scipy it imports, a fifth of a cold
    `assistant ask`; bm25s still builds and saves the index.

    Raises:
        OSError, ValueError, KeyError, TypeError: a file is missing or damaged (ValueError for a pickle).
    """

    def __init__(self, directory: Path) -> None:
        directory = Path(directory)
        params = json.loads((directory / "params.index.json").read_text(encoding="utf-8"))
        self.vocab_dict: dict[str, int] = json.loads((directory / "vocab.index.json").read_text(encoding="utf-8"))
        arrays = {name: np.load(directory / f"{name}.csc.index.npy", allow_pickle=False)
                  for name in ("data", "indices", "indptr")}
        self.scores = {**arrays, "num_docs": int(params["num_docs"])}
        self._dtype, self._int_dtype = np.dtype(params["dtype"]), np.dtype(params["int_dtype"])
        nonoccurrence = directory / "nonoccurrence_array.index.npy"  # BM25L and BM25+ only
        self._nonoccurrence = np.load(nonoccurrence, allow_pickle=False) if nonoccurrence.exists() else None
        # Every word must have a column (bm25s adds "" as a last, column-less entry; no query holds it).
        if max((i for word, i in self.vocab_dict.items() if word), default=-1) >= len(arrays["indptr"]) - 1:
            raise ValueError("the vocabulary names words the score matrix does not have")

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Raw BM25 scores of every document for `tokens` (words outside the vocabulary are left out)."""
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=self._int_dtype)
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        scores = np.zeros(self.scores["num_docs"], dtype=self._dtype)
        for start, end in zip(indptr[ids], indptr[ids + 1]):
            np.add.at(scores, indices[start:end], data[start:end])
        if self._nonoccurrence is not None:
            scores += self._nonoccurrence[ids].sum()
        return scores
