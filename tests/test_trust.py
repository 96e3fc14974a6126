"""Trustworthy answers: a confidence that means something, three outcomes, follow-ups that swap one
thing, acronyms that are not common words, and leave-out sets to measure declining."""

import json

import pytest
from conftest import DATA

from assistant import AssistantError, Settings, load_corpus
from assistant.cli import main
from assistant.evaluation.leaveout import leave_out
from assistant.evaluation.questionsets import read_question_set
from assistant.search.confidence import ConfidenceModel, default_model
from assistant.search.followup import resolve_follow_up, swaps
from assistant.search.query import expand

AMD = "Can I do attestation for AMD confidential VMs?"
INTEL_ENTRY = "Can I perform attestation for my Intel-based confidential VMs?"


# --- the confidence model -----------------------------------------------------------------------------


def test_the_shipped_model_says_what_it_was_trained_on_and_is_monotone():
    model = default_model()
    assert "FAQs" in model.trained_on and set(model.weights) <= {"score", "margin"}
    # A higher score, or a wider margin over the runner-up, never makes the answer less sure.
    low, high = model({"score": 0.4, "margin": 0.05}), model({"score": 0.7, "margin": 0.05})
    assert 0 <= low < high <= 1 and model({"score": 0.7, "margin": 0.2}) >= high


def test_a_confidence_model_is_read_from_json_and_checked(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"weights": {"score": 10}, "bias": -4, "calibration": [[0, 0], [0.5, 0.3], [1, 1]]}))
    model = ConfidenceModel.read(path)
    assert model({"score": 0.4}) == pytest.approx(0.3)  # sigmoid(0) = 0.5, mapped to 0.3
    for bad in ({"weights": {"score": "high"}, "bias": 0}, {"weights": {"nonsense": 1}, "bias": 0},
                {"weights": {"score": 1}, "bias": float("nan")}, [1, 2],
                {"weights": {"score": 1}, "bias": 0, "calibration": [[0.5, 0.9], [0.6, 0.1]]}):
        path.write_text(json.dumps(bad))
        with pytest.raises(AssistantError):
            ConfidenceModel.read(path)
    with pytest.raises(AssistantError, match="cannot read the confidence model"):
        ConfidenceModel.read(tmp_path / "missing.json")


def test_three_outcomes_follow_the_thresholds(retriever):
    questions = ["Is there an extra cost for using confidential VMs?", "How do I bake sourdough bread?",
                 "is the swap file encrypted?"]
    for answer in retriever.batch_answer(questions):
        assert 0 <= answer.confidence <= 1 and answer.evidence["score"] == pytest.approx(answer.ranking[0].score,
                                                                                          abs=1e-4)
    exact, bread, swap = retriever.batch_answer(questions)
    assert exact.outcome == "answered" and exact.found
    assert bread.outcome == "not found" and bread.hits == [] and bread.confidence < 0.2
    # The same question under other thresholds: confident, hedged, declined.
    c = swap.confidence
    assert retriever.with_settings(min_confidence=c, hedge_confidence=0).answer(swap.question).found
    hedged = retriever.with_settings(min_confidence=c + 0.01, hedge_confidence=0).answer(swap.question)
    assert hedged.outcome == "hedged" and not hedged.found and hedged.hits[0].entry_id == swap.hits[0].entry_id
    assert hedged.to_dict()["outcome"] == "hedged" and hedged.to_dict()["confidence"] == round(c, 4)
    declined = retriever.with_settings(min_confidence=1.1, hedge_confidence=c + 0.01).answer(swap.question)
    assert declined.outcome == "not found" and declined.hits == [] and len(declined.suggestions) == 3


# --- follow-ups --------------------------------------------------------------------------------------


def test_swaps_replace_one_thing_of_the_earlier_question():
    options = swaps("and the Intel equivalent?", AMD)
    assert "Can I do attestation for Intel confidential VMs?" in options
    assert all(option != AMD for option in options)
    assert swaps("do they cost more?", "What are confidential VMs?") == []  # leans on a pronoun
    assert swaps("and then?", AMD) == []  # names nothing new
    assert swaps("and the Intel equivalent?", AMD + " " + "We run many machines. " * 40) == []  # a pasted message


def test_a_follow_up_that_swaps_one_thing_is_read_so(retriever):
    answer = retriever.answer("and the Intel equivalent?", history=[AMD])
    assert answer.found and answer.best.question == INTEL_ENTRY
    assert answer.context == AMD and answer.read_as == "Can I do attestation for Intel confidential VMs?"
    assert "Read as: Can I do attestation for Intel confidential VMs?" in answer.markdown


def test_a_follow_up_chain_of_a_thousand_questions_is_no_recursion():
    history = ["What are confidential VMs?"] + ["and then?"] * 1100
    resolved = resolve_follow_up("and for Intel?", history)
    assert resolved.context.startswith("What are confidential VMs?") and resolved.context_query.endswith("Intel?")


# --- acronyms ------------------------------------------------------------------------------------------


def test_a_common_word_is_an_acronym_only_in_capitals():
    acronyms = {"who": "World Health Organization", "pmk": "Platform-managed key"}
    assert expand("who can get a vaccine?", acronyms) == "who can get a vaccine?"
    assert expand("what does the WHO advise?", acronyms) == "what does the WHO advise? (World Health Organization)"
    assert expand("switch from pmk", acronyms) == "switch from pmk (Platform-managed key)"  # not a common word


def test_a_spelled_out_long_form_gets_its_acronym():
    acronyms = {"sev-snp": "Secure Encrypted Virtualization-Secure Nested Paging", "pmk": "Platform-managed key"}
    assert expand("what is secure encrypted virtualization with secure nested paging?", acronyms) == (
        "what is secure encrypted virtualization with secure nested paging? (SEV-SNP)")
    assert expand("is a platform managed key rotated?", acronyms) == "is a platform managed key rotated? (PMK)"
    assert expand("is a managed key rotated?", acronyms) == "is a managed key rotated?"  # not the whole form
    assert expand("PMK or platform-managed key?", acronyms) == "PMK or platform-managed key?"  # both already


# --- leave-out sets -------------------------------------------------------------------------------------


def test_leave_out_drops_whole_question_groups_and_relabels_their_questions():
    entries = load_corpus(DATA / "faq.md").entries
    questions = read_question_set(DATA / "eval" / "questions.jsonl")
    kept, relabelled = leave_out(entries, questions, 0.25, seed=3)
    assert len(kept) == len(entries) - 1
    dropped = ({e.id for e in entries} - {e.id for e in kept}).pop()
    before = questions.resolve(entries).questions
    for old, new in zip(before, relabelled.questions):
        assert new.relevant == tuple(i for i in old.relevant if i != dropped) == new.expected
    assert any(dropped in q.relevant for q in before)  # some question lost its answer
    assert leave_out(entries, questions, 0.25, seed=3)[0] == kept  # the seed decides
    with pytest.raises(AssistantError, match="between 0 and 1"):
        leave_out(entries, questions, 1.0)


def test_eval_leave_out_measures_declining_on_any_faq(small_corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["eval", str(DATA / "eval" / "questions.jsonl"), "--corpus", str(small_corpus),
                 "--leave-out", "0.25", "--seed", "3", "--json"]) == 0
    captured = capsys.readouterr()
    metrics = json.loads(captured.out)
    assert metrics["out_of_scope"] > 2 and metrics["questions"] == 7  # the set itself had 2 out of scope
    assert "left out 25% of the question groups (seed 3)" in captured.err
    assert not (tmp_path / "index").exists()  # indexed apart, under .cache/


def test_overlap_weighs_words_the_corpus_never_uses_the_most(retriever):
    lexical = retriever.data.lexical
    swap = next(i for i, e in enumerate(retriever.entries) if "swap file" in e.question)
    plain = lexical.overlap("is the swap file encrypted?", swap)
    assert (plain.words, plain.in_document, plain.in_corpus) == (3, 1.0, 1.0)
    odd = lexical.overlap("is the swap file encrypted on a Databricks workspace?", swap)
    # "databricks" is nowhere in the FAQ: the rarest word of all, it weighs the most
    assert odd.words == 5 and odd.in_document <= odd.in_corpus < 0.75
    assert lexical.overlap("what is it?", swap).words == 0  # no content word: no evidence either way


def test_settings_name_the_confidence_thresholds():
    settings = Settings()
    assert 0 < settings.hedge_confidence < settings.min_confidence < 1


def test_word_features_are_computed_only_for_a_model_that_reads_them(retriever, tmp_path):
    question = "is the swap file encrypted?"
    shipped = retriever.answer(question)
    assert not default_model().reads_words and not {"coverage", "known", "words"} & set(shipped.evidence)
    model = tmp_path / "words.json"
    model.write_text(json.dumps({"weights": {"score": 7.6, "margin": 9.7, "coverage": 0.0}, "bias": -5.0}))
    reading = retriever.with_settings(confidence_model=str(model)).answer(question)
    assert {"coverage", "known", "words"} <= set(reading.evidence)
    assert reading.evidence["score"] == shipped.evidence["score"] and reading.ranking == shipped.ranking
