import pytest
from conftest import DATA, ROOT

from assistant import QuestionSetError, load_corpus
from assistant.evaluation.questionsets import EntryMatcher, Question, read_question_set

EVAL = DATA / "eval"
WIDGET = load_corpus(DATA / "faq.md").entries  # 4 entries: install, offline, cost, team plan


def test_jsonl_rows_with_text_id_list_relevant_and_null():
    qs = read_question_set(EVAL / "questions.jsonl")
    assert [q.line for q in qs.questions] == [1, 2, 3, 4, 5, 6, 7]
    assert qs.questions[0] == Question("how do I install it?", ("How do I install the widget?",), 1)
    assert qs.questions[2].expected == ("how much does the  WIDGET cost?",)
    assert qs.questions[3].expected == ("faq/is-there-a-team-plan",) and qs.questions[3].qid == "q4"
    assert [q.in_scope for q in qs.questions] == [True] * 5 + [False] * 2

    resolved = qs.resolve(WIDGET)
    assert [q.relevant for q in resolved.questions] == [
        ("faq/how-do-i-install-the-widget",),  # question text
        ("faq/can-i-use-the-widget-offline",),  # entry id
        ("faq/how-much-does-the-widget-cost",),  # case and spacing ignored
        ("faq/is-there-a-team-plan",),  # "relevant" ids
        ("faq/how-much-does-the-widget-cost",),
        (),
        (),
    ]


def test_multi_turn_rows_become_turns_with_history():
    qs = read_question_set(EVAL / "followups.jsonl")
    assert [(q.query, q.history, q.turn, q.line) for q in qs.questions] == [
        ("How do I install the widget?", (), 1, 1),
        ("and can I use it offline?", ("How do I install the widget?",), 2, 1),
        ("How much does the widget cost?", (), 1, 2),
        ("and for teams?", ("How much does the widget cost?",), 2, 2),
    ]
    assert qs.resolve(WIDGET).questions[3].relevant == ("faq/is-there-a-team-plan",)


def test_csv_in_azure_batch_test_shape_matches_answer_text_or_question():
    qs = read_question_set(EVAL / "questions.csv")
    assert [(q.query, q.line) for q in qs.questions] == [
        ("how do I install it?", 2), ("does it work without internet?", 4), ("is it free?", 5),
        ("what is the capital of France?", 6),
    ]
    assert [q.relevant for q in qs.resolve(WIDGET).questions] == [
        ("faq/how-do-i-install-the-widget",),  # the whole (two-line) answer text
        ("faq/can-i-use-the-widget-offline",),  # answer text
        ("faq/how-much-does-the-widget-cost",),  # question text
        (),  # empty cell: out of scope
    ]


def test_tsv_with_expected_column(tmp_path):
    path = tmp_path / "set.tsv"
    path.write_text("ID\tQuestion\tExpected\nx1\tis it free?\tfaq/how-much-does-the-widget-cost\n"
                    "x2\tweather today\t\n", encoding="utf-8")
    qs = read_question_set(path).resolve(WIDGET)
    assert [(q.qid, q.query, q.relevant) for q in qs.questions] == [
        ("x1", "is it free?", ("faq/how-much-does-the-widget-cost",)), ("x2", "weather today", ()),
    ]


def test_expected_matches_by_prefix_of_a_longer_question():
    entries = load_corpus(ROOT / "corpus").entries
    matcher = EntryMatcher(entries)
    [entry_id] = matcher.match("What does this error mean?")
    assert entry_id.startswith("azure-confidential-vms-faq/what-does-this-error-mean")
    widget = EntryMatcher(WIDGET)
    assert widget.match("Yes. The widget never needs") == ["faq/can-i-use-the-widget-offline"]  # answer start
    assert widget.match("the widget is FREE") == ["faq/how-much-does-the-widget-cost"]
    with pytest.raises(QuestionSetError, match="matches no FAQ entry"):
        widget.match("Yes. The widg")  # a prefix must end at a word boundary


def test_a_prefix_of_several_questions_is_an_error():
    with pytest.raises(QuestionSetError, match="start of 2 different FAQ questions"):
        EntryMatcher(WIDGET).match("How")  # How do I install..., How much does...


def test_expected_that_matches_nothing_names_the_line(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"query": "a", "expected": null}\n\n{"query": "b", "expected": "How do I fly?"}\n')
    qs = read_question_set(path)
    with pytest.raises(QuestionSetError, match=r"set\.jsonl:3: expected 'How do I fly\?' matches no FAQ entry"):
        qs.resolve(WIDGET)


@pytest.mark.parametrize("name, text, message", [
    ("bad.jsonl", '{"query": "a", "expected": null}\n{"query": "b", "expected": null}\n{"query": "c",\n',
     r"bad\.jsonl:3: not valid JSON"),
    ("bad.jsonl", '{"query": "a", "expected": null}\n["a", "b"]\n', r"bad\.jsonl:2: expected a JSON object"),
    ("bad.jsonl", '{"query": "a"}\n', r"bad\.jsonl:1: a row needs 'expected'"),
    ("bad.jsonl", '{"query": "", "expected": null}\n', r"bad\.jsonl:1: query must be non-empty text"),
    ("bad.jsonl", '{"query": "a", "expected": {"id": 1}}\n', r"bad\.jsonl:1: expected must be"),
    ("bad.jsonl", '{"turns": ["a", "b"], "expected": ["x"]}\n', r"bad\.jsonl:1: 'expected' must be a list with one"),
    ("bad.jsonl", "\n\n", r"bad\.jsonl: no questions found"),
    ("bad.csv", "Query,Answer text\na,b\n", r"bad\.csv:1: a question set table needs a 'Question' column"),
    ("bad.csv", 'Question,Expected\na,b\n,c\n', r"bad\.csv:3: the Question cell is empty"),
    ("bad.txt", "a\n", r"bad\.txt: unsupported question set type"),
])
def test_malformed_files_name_the_file_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionSetError, match=message):
        read_question_set(path)


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(QuestionSetError, match="question set not found"):
        read_question_set(tmp_path / "none.jsonl")
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"query": "a", "expected": null}\n{"query": "caf\xe9", "expected": null}\n')
    with pytest.raises(QuestionSetError, match=r"latin\.jsonl:2: not UTF-8"):
        read_question_set(path)
