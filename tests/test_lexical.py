"""The BM25 query tokenizer: the same tokens as bm25s's own, which built the index."""

import json

import bm25s
import pytest
from conftest import ROOT

from assistant import load_corpus
from assistant.index.lexical import STOPWORDS, _stemmer, tokenize


def bm25s_tokens(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords=sorted(STOPWORDS), stemmer=_stemmer(), return_ids=False, show_progress=False)


def test_same_tokens_as_bm25s_on_the_faq_and_real_questions():
    texts = [f"{e.question}\n{e.answer}" for e in load_corpus(ROOT / "corpus").entries]
    rows = (ROOT / "eval" / "stackfaq" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    texts += [json.loads(line)["query"] for line in rows[:300]]
    assert tokenize(texts) == bm25s_tokens(texts)


@pytest.mark.parametrize("text", [
    "", "a", "The THE the", "SEV-SNP vs. TDX: what's new in DCasv5?", "naïve café — ÉCOLE straße",
    "x_y __init__ 3.14 1,000", "İstanbul ﬁle ligature", "tabs\tand\nnewlines\r\n", "数字 文字 テスト", "don't won't",
])
def test_same_tokens_as_bm25s_on_awkward_text(text):
    assert tokenize([text]) == bm25s_tokens([text])
