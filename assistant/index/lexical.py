"""The lexical signal: BM25 (bm25s) over each entry's question and answer, with English stemming.

Exact tokens matter in FAQs (SKUs like DCasv5, acronyms like SEV-SNP) and dense models blur them;
BM25 catches them. Its raw score is unbounded, so it is squashed to [0, 1) with s / (s + saturation):
that keeps an absolute scale, which the answer-or-abstain decision needs (rank fusion would lose it).
"""

from __future__ import annotations

import re
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
        import bm25s

        return cls(bm25s.BM25.load(str(directory), mmap=False, allow_pickle=False))

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

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
