import json

from assistant.cli import main


def test_build_then_ask_json(small_corpus, tmp_path, capsys):
    index = tmp_path / "index"
    assert main(["build", "--corpus", str(small_corpus), "--index", str(index)]) == 0
    assert "indexed 4 entries" in capsys.readouterr().out
    assert main(["build", "--corpus", str(small_corpus), "--index", str(index)]) == 0
    assert "up to date" in capsys.readouterr().out

    assert main(["ask", "how much is the widget", "--json", "-k", "2",
                 "--corpus", str(small_corpus), "--index", str(index)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["found"] is True
    assert answer["hits"][0]["question"] == "How much does the widget cost?"
    assert answer["hits"][0]["citation"] == "faq.md:18-20"
    assert len(answer["hits"]) == 2


def test_ask_prints_answer_with_citation_and_builds_when_needed(small_corpus, tmp_path, capsys):
    assert main(["ask", "can I use it without internet?", "--corpus", str(small_corpus),
                 "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert "Q: Can I use the widget offline?" in out
    assert "Yes. The widget never needs a network connection." in out
    assert "faq.md:12-14" in out


def test_user_errors_are_one_line_and_nonzero(tmp_path, capsys):
    assert main(["build", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "i")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: corpus not found") and err.count("\n") == 1
    assert "Traceback" not in err
    assert main(["ask", "anything", "--no-build", "--index", str(tmp_path / "none"),
                 "--corpus", str(tmp_path / "missing")]) == 1
    assert "cannot be used" in capsys.readouterr().err


def test_control_characters_in_file_names_are_shown_not_obeyed(small_corpus, tmp_path, capsys):
    (small_corpus / "\x1b[2J\x1b]0;owned\x07.md").write_text("")  # clears the screen, retitles the terminal
    assert main(["build", "--corpus", str(small_corpus), "--index", str(tmp_path / "index")]) == 0
    captured = capsys.readouterr()
    assert "\\x1b[2J\\x1b]0;owned\\x07.md" in captured.err  # the warning that skips the empty file
    assert not any(c in captured.out + captured.err for c in "\x1b\x07")
    assert main(["build", "--corpus", str(small_corpus / "\x1b[31m"), "--index", str(tmp_path / "i")]) == 1
    assert "\\x1b[31m" in capsys.readouterr().err


def test_the_entry_points_import_no_hub_client_before_they_set_offline():
    # huggingface_hub and Gradio read HF_HUB_OFFLINE when they are imported: `app.py` and the CLI must
    # import neither before main() sets it, or a request could make the server call the Hub.
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    script = ("import sys, runpy; sys.argv = ['app.py']; import app; "
              "print(sorted(m for m in ('huggingface_hub', 'gradio', 'transformers', 'torch') if m in sys.modules)); "
              "from assistant.cli import QUIET_OFFLINE; print(QUIET_OFFLINE['HF_HUB_OFFLINE'])")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines() == ["[]", "1"], done.stderr[-2000:]


def test_ask_says_when_a_question_was_read_as_a_follow_up(retriever, default_corpus, capsys):
    index = str(retriever.data.directory)
    assert main(["ask", "and for Intel?", "--history", "Can I do attestation for AMD confidential VMs?",
                 "--corpus", str(default_corpus), "--index", index]) == 0
    first_line = capsys.readouterr().out.split("\n", 1)[0]
    assert first_line.startswith("(read as a follow-up") and ("AMD" in first_line or "Intel" in first_line)
    assert main(["ask", "is the swap file encrypted?", "--corpus", str(default_corpus), "--index", index]) == 0
    assert "follow-up" not in capsys.readouterr().out


def test_a_missing_corpus_names_the_folder_and_how_to_point_elsewhere(tmp_path, monkeypatch):
    import pytest

    from assistant import CorpusError, Retriever

    monkeypatch.chdir(tmp_path)  # the default corpus, "corpus", is looked for here
    with pytest.raises(CorpusError) as error:
        Retriever.load(tmp_path / "index")
    message = str(error.value)
    assert f"corpus not found: {tmp_path / 'corpus'}" in message and "\n" not in message
    assert "Retriever.load(corpus=...)" in message and "--corpus" in message


def test_every_command_has_a_description_and_an_example(capsys):
    import pytest

    for command in ("build", "ask", "questions", "serve"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        description = text.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), command
        assert f"examples:\n  assistant {command}" in text, command
