"""Settings are validated when they are read: a value that cannot work (NaN, 0 hits, weights that
overflow, a device that cannot compute) is one clear line naming the setting and its variable, at
start, never a server that fails every question or a threshold that answers everything. Also the `k`
of a single request, which an API client can send as anything."""

from __future__ import annotations

import pytest

from assistant import AssistantError, Settings
from assistant.cli import main
from benchmarks.load import free_port

BAD = [
    ("MIN_CONFIDENCE", "nan", "min_confidence must be a number, got nan"),
    ("HEDGE_CONFIDENCE", "inf", "hedge_confidence must be a number, got inf"),
    ("GROUP_SHARE", "nan", "group_share must be a number, got nan"),
    ("GROUP_SHARE", "1.5", "group_share must be between 0 and 1, got 1.5"),
    ("WEIGHT_QUESTION", "1e308", "weight_question must be between 0 and 1000"),
    ("WEIGHT_LEXICAL", "-0.2", "weight_lexical must be between 0 and 1000"),
    ("TOP_K", "0", "top_k must be between 1 and 1000, got 0"),
    ("TOP_K", "2.5", "top_k must be a whole number, got '2.5'"),
    ("BATCH_SIZE", "0", "batch_size must be between 1 and 4096, got 0"),
    ("DEVICE", "meta", "device must be cpu, cuda, cuda:N, mps or xpu, got 'meta'"),
    ("LEXICAL_SATURATION", "0", "lexical_saturation must be between"),
    ("EXPAND_ACRONYMS", "maybe", "expand_acronyms must be true or false, got 'maybe'"),
    ("INDEX_TYPE", "ivf", "index_type must be auto, flat or hnsw"),
    ("PORT", "0", "port must be between 1 and 65535, got 0"),
    ("QUERY_CACHE_SIZE", "-1", "query_cache_size must be between 0"),
]


@pytest.mark.parametrize("name, value, message", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_setting_that_cannot_work_is_named_at_start(name, value, message):
    with pytest.raises(AssistantError) as caught:
        Settings.from_env({f"FAQ_ASSISTANT_{name}": value})
    error = str(caught.value)
    assert error.startswith(f"setting {message}") and "\n" not in error
    assert error.endswith(f"(environment variable FAQ_ASSISTANT_{name})")


def test_weights_that_add_up_to_nothing_are_refused():
    zero = {f"FAQ_ASSISTANT_WEIGHT_{n}": "0" for n in ("QUESTION", "PASSAGE", "SENTENCE", "CENTROID", "LEXICAL")}
    with pytest.raises(AssistantError, match=r"add up to 0: at least one weight must be above 0"):
        Settings.from_env(zero)
    assert Settings.from_env({**zero, "FAQ_ASSISTANT_WEIGHT_LEXICAL": "3"}).weights["lexical"] == 3.0


def test_settings_built_in_python_are_checked_too():
    with pytest.raises(AssistantError, match="top_k must be between 1 and 1000"):
        Settings(top_k=0)
    with pytest.raises(AssistantError, match="min_confidence must be a number"):
        Settings().replace(min_confidence=float("nan"))
    with pytest.raises(AssistantError, match="top_k must be a whole number"):
        Settings().replace(top_k=2.5)
    with pytest.raises(AssistantError, match="top_k must be a whole number"):
        Settings().replace(top_k=True)
    assert Settings().replace(top_k="7", min_confidence="0.3", expand_acronyms="off").top_k == 7
    assert Settings().replace(min_confidence=2).min_confidence == 2.0  # above every confidence: declines all


@pytest.mark.parametrize("argv", [["ask", "is the swap file encrypted?"], ["build"], ["questions"],
                                  ["serve", "--port", "0"]])
def test_the_cli_says_it_in_one_line_before_loading_anything(argv, monkeypatch, capsys, tmp_path):
    if argv[0] == "serve":
        argv = ["serve", "--port", str(free_port())]
    monkeypatch.setenv("FAQ_ASSISTANT_TOP_K", "0")  # a server with it answered every /ask with an error
    monkeypatch.setenv("FAQ_ASSISTANT_INDEX", str(tmp_path / "never-built"))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == ("error: setting top_k must be between 1 and 1000, got 0 (environment variable "
                   "FAQ_ASSISTANT_TOP_K)\n")
    assert not (tmp_path / "never-built").exists()


# --- the k of one request ----------------------------------------------------------------------------


@pytest.mark.parametrize("k", ["5", 2.5, float("nan"), float("inf"), True, [3]])
def test_a_k_that_is_not_a_whole_number_is_a_clear_error(retriever, k):
    with pytest.raises(AssistantError, match="k must be a whole number of hits"):
        retriever.answer("is the swap file encrypted?", k=k)
    with pytest.raises(AssistantError, match="k must be a whole number of hits"):
        retriever.search("is the swap file encrypted?", k=k)


def test_a_whole_k_sent_as_a_float_works(retriever):
    assert len(retriever.answer("is the swap file encrypted?", k=2.0).hits) == 2


def test_the_api_names_a_bad_k_instead_of_failing_generically(served, caplog):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(served.url, verbose=False)
    for k in ("5", 2.5):
        with pytest.raises(AppError, match="k must be a whole number of hits"):
            client.predict("is the swap file encrypted?", None, k, api_name="/ask")
    assert not [r for r in caplog.records if r.exc_info]  # no traceback in the server's log
