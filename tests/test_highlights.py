"""Which sentences of an answer are highlighted, with the real model and index: the ones that answer,
at most a few, never all of them, never a lead-in on its own, never cut at a source line break."""

from assistant import Retriever
from assistant.search.evidence import MAX_HIGHLIGHTS


def highlighted(hit) -> list[str]:
    return [hit.text[start:end] for start, end in hit.highlights]


def test_a_two_sentence_answer_highlights_the_one_that_answers(retriever):
    hit = retriever.search("is the swap file encrypted?", k=1)[0]
    assert highlighted(hit) == ["Yes, but only if the pagefile.sys is located on the encrypted OS disk."]


def test_highlights_are_few_and_never_a_lead_in_or_everything(retriever):
    questions = [e.question for e in retriever.entries] + ["What are confidential VMs?", "how do I deploy one?"]
    for hits in retriever.batch_search(questions, k=3):
        for hit in hits:
            shown = highlighted(hit)
            assert len(shown) <= MAX_HIGHLIGHTS
            assert not any(sentence.endswith(":") for sentence in shown), (hit.question, shown)
            if len(shown) > 1:
                rest = hit.text
                for sentence in shown:
                    rest = rest.replace(sentence, "")
                assert rest.strip(), (hit.question, "every sentence highlighted")


def test_a_hard_wrapped_markdown_sentence_is_highlighted_whole(embedder, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.md").write_text(
        "# Widget FAQ\n\n## Does the widget work without a network connection?\n\n"
        "Yes. The widget keeps working without any network connection at all, because every\n"
        "model and index it needs is stored on the local disk.\n"
        "Updates are downloaded when a connection\nis available again.\n\n"
        "## How much does it cost?\n\nIt is free.\n", encoding="utf-8")
    retriever = Retriever.load(tmp_path / "index", corpus=corpus, embedder=embedder)
    hit = retriever.search("does the widget work offline without network?", k=1)[0]
    assert hit.highlights
    for sentence in highlighted(hit):
        assert sentence.endswith("."), sentence  # not cut where the source wrapped the line
