import json

import numpy as np
import pytest

from assistant import IndexFileError, Retriever
from assistant.index.build import build_index
from assistant.index.store import load_index, read_manifest, staleness
from assistant.index.views import View


def test_round_trip_and_manifest(small_corpus, tmp_path, embedder):
    data = build_index(small_corpus, tmp_path / "index", embedder)
    manifest = read_manifest(tmp_path / "index")
    assert manifest["model"] == "all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384 and manifest["normalized"] is True
    assert manifest["index_type"] == "flat"
    assert manifest["counts"]["entries"] == 4 == len(data.entries)
    assert manifest["corpus"]["fingerprint"] and manifest["package_version"] and manifest["created"]
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "acronyms.json", "entries.jsonl", "index.faiss", "lexical", "manifest.json", "passages.jsonl", "views.npy",
    ]
    again = load_index(tmp_path / "index")
    assert [e.to_dict() for e in again.entries] == [e.to_dict() for e in data.entries]
    assert again.vectors.count == data.vectors.count
    # every vector is unit length: inner product is cosine
    vectors = again.vectors.reconstruct_all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    kinds = set(again.views["kind"].tolist())
    assert kinds == {View.QUESTION, View.PASSAGE, View.SENTENCE, View.CENTROID}
    # no staging folders or backups left beside it
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index")) == [".index.lock"]


def test_unchanged_corpus_reembeds_nothing_and_an_edit_only_that_entry(small_corpus, tmp_path, embedder):
    target = tmp_path / "index"
    first = build_index(small_corpus, target, embedder)
    total = first.manifest["counts"]["embedded"]
    assert first.manifest["counts"]["reused"] == 0
    second = build_index(small_corpus, target, embedder)
    assert second.manifest["counts"]["embedded"] == 0 and second.manifest["counts"]["reused"] == total

    faq = small_corpus / "faq.md"
    faq.write_text(faq.read_text().replace("The widget is free for personal use.", "The widget costs 5 euros."))
    assert staleness(read_manifest(target), small_corpus, embedder.name) is not None
    third = build_index(small_corpus, target, embedder)
    # the edited entry's passage and its one sentence: 2 texts
    assert third.manifest["counts"]["embedded"] == 2
    assert any(e.answer == "The widget costs 5 euros." for e in third.entries)


def test_staleness_reasons(small_corpus, tmp_path, embedder):
    target = tmp_path / "index"
    build_index(small_corpus, target, embedder)
    manifest = read_manifest(target)
    assert staleness(manifest, small_corpus, embedder.name) is None
    assert "model" in staleness(manifest, small_corpus, "other-model")
    (small_corpus / "more.jsonl").write_text('{"question": "New?", "answer": "Yes."}\n')
    assert "changed" in staleness(manifest, small_corpus, embedder.name)


def test_retriever_load_rebuilds_stale_index(small_corpus, tmp_path, embedder):
    target = tmp_path / "index"
    Retriever.load(target, corpus=small_corpus, embedder=embedder)
    (small_corpus / "more.jsonl").write_text('{"question": "Is there a mobile app?", "answer": "Not yet."}\n')
    with pytest.raises(IndexFileError, match="changed"):
        Retriever.load(target, corpus=small_corpus, embedder=embedder, rebuild="never")
    fresh = Retriever.load(target, corpus=small_corpus, embedder=embedder)
    assert len(fresh.entries) == 5
    assert fresh.search("mobile app", k=1)[0].question == "Is there a mobile app?"


def test_counts_that_disagree_are_an_error(small_corpus, tmp_path, embedder):
    target = tmp_path / "index"
    build_index(small_corpus, target, embedder)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["counts"]["entries"] += 1
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexFileError, match="entries.jsonl has 4 rows but the manifest says 5"):
        load_index(target)


def test_refuses_to_replace_a_folder_that_is_not_an_index(small_corpus, tmp_path, embedder):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.txt").write_text("do not delete")
    with pytest.raises(IndexFileError, match="not an index"):
        build_index(small_corpus, target, embedder)
    assert (target / "thesis.txt").read_text() == "do not delete"
