"""Odd questions, through the library and the CLI: a clear error or a sensible answer, never a traceback."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from assistant import Answer, AssistantError
from assistant.cli import main
from assistant.search.followup import resolve_follow_up
from assistant.search.query import MAX_QUERY_CHARS

SWAP = "azure-confidential-vms-faq/does-memory-written-to-the-windows-swap-file-pagefile-sys-ge"


def ids(hits):
    return [h.entry_id for h in hits]


@pytest.fixture
def cli(retriever, embedder):
    """Runs `assistant <args>` on the session's index; the CLI's Embedder shares the session's loaded
    model (one model per process)."""
    paths = ["--corpus", str(retriever.settings.corpus), "--index", str(retriever.settings.index)]
    return lambda *args: main([*args, *paths])


# --- questions that cannot be asked: a clear AssistantError, one line and exit 1 in the CLI ------

NO_QUESTION = {
    "empty": ("", "empty"),
    "whitespace": ("  \n\t \r\n ", "empty"),
    "nul and control characters only": ("\x00\x01\x07\x1b\x7f", "empty"),
    "zero-width and bidi marks only": ("\u200b\u200e\u202e\ufeff", "empty"),
    "only punctuation": ("?!?... ;-)", "no words"),
    "only emoji": ("🔐🤔 ❓", "no words"),
}


@pytest.mark.parametrize("question, message", NO_QUESTION.values(), ids=NO_QUESTION.keys())
def test_a_question_without_words_is_a_clear_error(retriever, question, message):
    with pytest.raises(AssistantError, match=message):
        retriever.search(question)
    with pytest.raises(AssistantError, match=message):
        retriever.answer(question)
    with pytest.raises(AssistantError, match=message):
        retriever.batch_answer(["is the swap file encrypted?", question])


@pytest.mark.parametrize("question, message", NO_QUESTION.values(), ids=NO_QUESTION.keys())
def test_cli_rejects_it_in_one_line(cli, capsys, question, message):
    assert cli("ask", question) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_not_text_is_a_clear_error(retriever):
    for question in (None, 42, b"is the swap file encrypted?", ["swap"]):
        with pytest.raises(AssistantError, match="must be text"):
            retriever.answer(question)
    with pytest.raises(AssistantError, match="must be text"):
        retriever.answer(None, history=["Can I do attestation for AMD confidential VMs?"])


def test_bad_k_and_histories_are_clear_errors(retriever):
    for k in (0, -1):
        with pytest.raises(AssistantError, match="k must be at least 1"):
            retriever.answer("is the swap file encrypted?", k=k)
        with pytest.raises(AssistantError, match="k must be at least 1"):
            retriever.search("is the swap file encrypted?", k=k)
    with pytest.raises(AssistantError, match="2 questions but 1 histories"):
        retriever.batch_answer(["vtpm secrets", "and for Intel?"], [[]])
    with pytest.raises(AssistantError, match="not one string"):
        retriever.answer("and for Intel?", history="Can I do attestation for AMD confidential VMs?")


def test_cli_bad_k_is_one_line(cli, capsys):
    assert cli("ask", "is the swap file encrypted?", "-k", "0") == 1
    err = capsys.readouterr().err
    assert err == "error: k must be at least 1, got 0\n"


# --- odd but real questions: answered, with a note when something was left out -----------------


def test_control_characters_and_nul_are_dropped(retriever):
    plain = retriever.search("is the swap file encrypted?")
    noisy = retriever.search("is the\x00swap\tfile\x07\x1b encrypted?\x7f\x00")
    assert ids(noisy) == ids(plain) and [h.score for h in noisy] == [h.score for h in plain]
    answer = retriever.answer("\x00is the swap\x00file encrypted?")
    assert answer.found and answer.best.entry_id == SWAP and answer.note is None


# Context that a reader of only the start would take for the question: deployment, regions, billing.
PASTED_CONTEXT = ("We moved our payroll service to confidential VMs in West Europe last quarter, deployed them "
                  "from the portal with the DCasv5 series, checked which regions offer them, and the billing "
                  "looked as expected for the sizes we chose. ") * 12


def test_a_pasted_message_is_read_by_the_question_at_its_end(retriever):
    question = PASTED_CONTEXT + "Anyway, my question: is the Windows swap file encrypted on the OS disk?"
    assert len(PASTED_CONTEXT) > 2000
    answer = retriever.answer(question)
    assert answer.outcome != "not found" and answer.hits[0].entry_id == SWAP
    assert answer.note.startswith("Your question is long: only its last question (")
    assert answer.note in answer.markdown.replace("\\", "")
    # What is searched is the asking sentence: the context before it would only dilute it.
    text, note = retriever._read(question)
    assert text == "Anyway, my question: is the Windows swap file encrypted on the OS disk?"


def test_a_100000_character_question_keeps_its_last_question(retriever):
    question = "How do I pay for it? " * 2000 + "Is the Windows swap file encrypted on the OS disk?"
    assert len(question) > 40_000
    answer = retriever.answer(question)
    assert answer.outcome != "not found" and answer.hits[0].entry_id == SWAP and "only its last question" in answer.note


def test_a_100000_character_word_is_cut_with_a_note(retriever):
    answer = retriever.answer("x" * 100_000)
    assert answer.note.startswith("Your question is long: only its last sentences (")
    assert isinstance(answer, Answer) and not answer.found


def test_a_long_question_in_few_characters_gets_the_note(retriever, embedder):
    # A Hangul syllable is three word pieces: 180 characters make 270, beyond the model's 254.
    question = "한 " * 90
    assert len(question) < 256
    assert embedder.count_tokens(question) > embedder.max_tokens - 2
    read, note = retriever._read(question)
    assert "only its last" in note and embedder.count_tokens(read) <= embedder.max_tokens - 2


def test_a_question_of_ordinary_length_gets_no_note(retriever):
    assert retriever.answer("Is the swap file encrypted? " * 8).note is None


def test_mixed_scripts_and_emoji(retriever):
    answer = retriever.answer("Is the swap file 🔐 encrypted? スワップ ファイル Verschlüsselung ✅")
    assert answer.found and answer.best.entry_id == SWAP
    assert answer.markdown


@pytest.mark.parametrize("question", [
    "هل ملف المبادلة مشفر؟",  # Arabic: is the swap file encrypted?
    "האם קובץ ההחלפה מוצפן?",  # Hebrew
    "\u202eis the swap file encrypted?\u202c",  # an English question inside a right-to-left override
    "\u200fswap file \u05e7\u05d5\u05d1\u05e5 encrypted?",  # a right-to-left mark, mixed directions
])
def test_right_to_left_text(retriever, question):
    answer = retriever.answer(question)
    assert isinstance(answer, Answer) and answer.markdown
    if answer.outcome == "not found":
        assert len(answer.suggestions) == 3 and answer.hits == []
    else:
        assert answer.hits


def test_the_override_does_not_change_the_answer(retriever):
    plain = retriever.search("is the swap file encrypted?")
    assert ids(retriever.search("\u202eis the swap file encrypted?\u202c")) == ids(plain)


def test_a_follow_up_to_a_huge_question_keeps_its_own_words(retriever):
    plain = retriever.answer("and for Intel?", history=["Can I do attestation for AMD confidential VMs?"])
    huge = "Can I do attestation for AMD confidential VMs? " * 2500
    answer = retriever.answer("and for Intel?", history=[huge])
    assert answer.hits and answer.hits[0].entry_id == plain.best.entry_id
    joined = resolve_follow_up("and for Intel?", [huge]).context_query
    assert joined.endswith(" and for Intel?") and len(joined) < MAX_QUERY_CHARS


def test_history_without_words_is_ignored(retriever):
    alone = retriever.answer("is the swap file encrypted?")
    for history in (["?!"], ["\x00\x01"], ["", "   "], [None, 3]):
        answer = retriever.answer("is the swap file encrypted?", history=history)
        assert answer.context is None and ids(answer.hits) == ids(alone.hits)
    # a short follow-up after a wordless question is read on its own: no error
    for history in (["???"], ["\x00\x01"]):
        answer = retriever.answer("and for Intel?", history=history)
        assert isinstance(answer, Answer) and answer.context is None


# --- the CLI: a note, an answer, or one line of error ---------------------------------------------


def test_cli_long_question_prints_the_note(cli, capsys):
    assert cli("ask", "Is the Windows swap file encrypted on the OS disk? " * 2000) == 0
    out = capsys.readouterr().out
    assert out.startswith("Your question is long: only its last question (")
    assert "pagefile.sys" in out


@pytest.mark.parametrize("question", [
    "is the\x00 swap\x07 file\x1b[0m encrypted?",
    "Is the swap file 🔐 encrypted? スワップ",
    "هل ملف المبادلة مشفر؟",
])
def test_cli_odd_questions_answer_or_say_not_found(cli, capsys, question):
    assert cli("ask", question, "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["question"] == question
    assert answer["found"] or len(answer["suggestions"]) == 3


def test_cli_bytes_that_are_not_utf8_in_a_real_process(tmp_path):
    """argv bytes that are not UTF-8 reach Python as lone surrogates, which cannot be printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "assistant", "ask", "--index", str(tmp_path / "none"),
               "--corpus", str(tmp_path / "none")]
    run = subprocess.run([*command, os.fsdecode(b"\xff\xfe?")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr == "error: the question has no words in it, only punctuation or symbols; ask it in words\n"


def test_cli_json_answer_with_bytes_that_are_not_utf8(cli, capsys):
    question = "swap " + os.fsdecode(b"\xff") + " file encrypted?"  # as Python receives it from argv
    assert cli("ask", question, "--json") == 0
    out = capsys.readouterr().out
    out.encode("utf-8")  # printable as strict UTF-8: no lone surrogate left
    answer = json.loads(out)
    assert answer["question"] == "swap \ufffd file encrypted?" and answer["hits"][0]["entry_id"] == SWAP
