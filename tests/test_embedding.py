"""An FAQ given as Python objects: in memory or saved, changed entry by entry, ranked as the same FAQ
given as a file, and refused with one clear error when an entry is unusable. Real model, real FAISS."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from assistant import AssistantError, Entry, EntryError, IndexFileError, Retriever, Update
from assistant.index.folder import check_files
from assistant.index.store import read_manifest

ROOT = Path(__file__).resolve().parent.parent

FAQ = [
    {"id": "reset", "question": "How do I reset the router?",
     "answer": "Hold the reset button for ten seconds.\nThe lights blink twice when it restarts."},
    {"id": "slow", "question": "Why  is my connection   slow?",
     "answer": "Update the firmware. Move the router away from walls and microwaves.",
     "url": "https://example.com/faq", "title": "Router FAQ"},
    {"question": "Can I use it with an IntelÂ® laptop?", "answer": "Yes, any laptop with Wi-Fi 5 or later works."},
    {"id": "guest", "question": "How do I set up a guest network?", "alternates": ["guest wifi", "visitor access"],
     "answer": "Open the app, choose Network, then Guest, and set a password for your visitors."},
    {"id": "warranty", "question": "How long is the warranty?",
     "answer": "Two years from the date of purchase. Keep your receipt."},
]
NEW = {"id": "parental", "question": "Can I block websites for my children?",
       "answer": "Yes. Parental controls in the app block sites by category and by schedule."}


def questions(r: Retriever) -> dict[str, str]:
    return {e.id: e.question for e in r.entries}


def ranked(r: Retriever, question: str) -> list[tuple]:
    """What a search returns, without where it is cited (a file's line numbers, or an entry id)."""
    return [(h.entry_id, h.question, h.text, h.score, h.signals, h.highlights, h.url, h.title)
            for h in r.search(question, k=5)]


@pytest.fixture
def memory(embedder) -> Retriever:
    return Retriever.from_entries(FAQ, embedder=embedder)


# --- in memory and saved ---------------------------------------------------------------------------


def test_in_memory_answers_and_writes_nothing(embedder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = Retriever.from_entries(FAQ, embedder=embedder)
    assert list(tmp_path.iterdir()) == []
    assert r.data.directory is None
    assert r.search("my internet is slow")[0].entry_id == "slow"
    assert r.search("visitor access")[0].entry_id == "guest"
    top = r.search("does it work with an Intel laptop?")[0]
    assert top.entry_id == "can-i-use-it-with-an-intel-laptop"  # no id given: the question's slug
    assert top.question == "Can I use it with an Intel® laptop?"  # read as a file's row is: mojibake repaired
    assert top.citation == "can-i-use-it-with-an-intel-laptop:1"
    assert r.entries[1].question == "Why is my connection slow?"
    assert r.entries[0].answer == "Hold the reset button for ten seconds.\nThe lights blink twice when it restarts."
    assert r.entries[3].alternates == ("guest wifi", "visitor access")
    assert r.answer("How do I reset the router?").found


def test_saved_like_a_file_build_and_reopened_by_load(embedder, tmp_path, small_faq):
    index = tmp_path / "index"
    r = Retriever.from_entries(FAQ, index=index, embedder=embedder)
    manifest = read_manifest(index)
    check_files(index, manifest)  # every file listed with its size and sha256
    assert manifest["corpus"]["kind"] == "entries" and manifest["counts"]["entries"] == len(FAQ)
    assert r.data.directory == index
    assert not list(tmp_path.glob(".index.tmp-*")) and not list(tmp_path.glob(".index.old-*"))

    # Reopened as is, even where a corpus folder is configured: files cannot rebuild it.
    again = Retriever.load(index, corpus=small_faq, embedder=embedder)
    assert questions(again) == questions(r)
    for question in ("router restarts", "guest wifi", "warranty receipt"):
        assert ranked(again, question) == ranked(r, question)


def test_a_saved_entries_index_that_cannot_be_used_is_an_error_not_a_rebuild_from_files(embedder, tmp_path,
                                                                                         small_faq):
    index = tmp_path / "index"
    Retriever.from_entries(FAQ, index=index, embedder=embedder)
    with open(index / "entries.jsonl", "a", encoding="utf-8") as handle:
        handle.write("{}\n")
    with pytest.raises(IndexFileError, match="built from Python entries"):
        Retriever.load(index, corpus=small_faq, embedder=embedder)
    assert read_manifest(index)["corpus"]["kind"] == "entries"  # not replaced by small_faq's index


def test_entry_objects_are_taken_as_they_are(memory, embedder):
    entries = memory.entries
    again = Retriever.from_entries(entries, embedder=embedder)
    assert again.entries == entries
    assert ranked(again, "router restarts") == ranked(memory, "router restarts")


# --- add, remove, replace --------------------------------------------------------------------------


def test_add_replace_remove_in_memory(memory):
    before = ranked(memory, "block websites for kids")
    assert before[0][0] != "parental"

    added = memory.add([NEW])
    assert added.added == ("parental",) and added.replaced == () and added.index is None
    assert added.embedded == 4  # its question, question+answer, and two sentences; nothing else
    assert memory.search("block websites for kids")[0].entry_id == "parental"
    assert [e.id for e in memory.entries][-1] == "parental"

    # Same id, one sentence changed: only that sentence and the question+answer passage are embedded.
    changed = dict(FAQ[4], answer="Two years from the date of purchase. Keep the box as well.")
    replaced = memory.add([changed])
    assert replaced.replaced == ("warranty",) and replaced.added == ()
    assert replaced.embedded == 2
    assert [e.id for e in memory.entries].index("warranty") == 4  # replaced in its place
    assert "Keep the box" in memory.search("how long is the warranty")[0].text

    unchanged = memory.add([changed])
    assert unchanged == Update() and not unchanged.changed

    removed = memory.remove(["parental"])
    assert removed.removed == ("parental",) and removed.embedded == 0
    assert "parental" not in questions(memory)
    assert memory.search("block websites for kids")[0].entry_id != "parental"
    assert len(memory.data.lexical.scores(["router"])[0]) == len(memory.entries)  # BM25 follows


def test_the_same_question_again_without_an_id_replaces_its_answer(memory):
    update = memory.add([{"question": "Can I use it with an IntelÂ® laptop?", "answer": "Only with Wi-Fi 6."}])
    assert update.replaced == ("can-i-use-it-with-an-intel-laptop",)
    assert memory.search("intel laptop")[0].text == "Only with Wi-Fi 6."


def test_changes_to_a_saved_index_are_saved_atomically(embedder, tmp_path):
    index = tmp_path / "index"
    r = Retriever.from_entries(FAQ, index=index, embedder=embedder)
    update = r.add([NEW])
    assert update.index == index
    check_files(index, read_manifest(index))
    reopened = Retriever.load(index, embedder=embedder, rebuild="never")
    assert questions(reopened) == questions(r) and "parental" in questions(reopened)
    assert ranked(reopened, "block websites for kids") == ranked(r, "block websites for kids")

    r.remove(["reset", "slow"])
    reopened = Retriever.load(index, embedder=embedder, rebuild="never")
    assert list(questions(reopened)) == ["can-i-use-it-with-an-intel-laptop", "guest", "warranty", "parental"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".index.") and not p.name.endswith(".lock")]


def test_a_second_writer_does_not_undo_the_first(embedder, tmp_path):
    index = tmp_path / "index"
    first = Retriever.from_entries(FAQ, index=index, embedder=embedder)
    second = Retriever.load(index, embedder=embedder)
    first.add([NEW])
    with pytest.raises(IndexFileError, match="changed by another writer"):
        second.remove(["reset"])
    assert "reset" in questions(second)  # nothing changed, in memory or on disk
    assert set(questions(Retriever.load(index, embedder=embedder))) == set(questions(first))


def test_a_retriever_of_files_changes_in_memory_only(embedder, index_copy, small_faq):
    r = Retriever.load(index_copy, corpus=small_faq, embedder=embedder)
    manifest = (index_copy / "manifest.json").read_bytes()
    r.add([NEW])
    assert r.search("block websites for kids")[0].entry_id == "parental"
    assert r.data.directory is None
    assert (index_copy / "manifest.json").read_bytes() == manifest  # the folder still mirrors the files


# --- the same ranking as the file path -------------------------------------------------------------


def test_objects_rank_exactly_as_the_same_jsonl_file(embedder, tmp_path):
    lines = (ROOT / "eval/stackfaq/faq.jsonl").read_text(encoding="utf-8").splitlines()[:10]
    rows = [json.loads(line) for line in lines] + FAQ
    corpus = tmp_path / "faq.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    from_file = Retriever.load(tmp_path / "index", corpus=corpus, embedder=embedder)
    from_objects = Retriever.from_entries(rows, embedder=embedder)

    def fields(r):
        return [(e.question, e.answer, e.url, e.alternates, e.marks) for e in r.entries]

    assert fields(from_objects) == fields(from_file)
    ids = {e.id for e in from_objects.entries}
    queries = [json.loads(line) for line in (ROOT / "eval/stackfaq/queries.jsonl").read_text().splitlines()]
    asked = [q["query"] for q in queries if set(q["relevant"]) <= ids]
    asked += [row["question"] for row in FAQ] + ["guest wifi", "What is the capital of France?", "kids"]
    assert len(asked) > 20
    for question in asked:
        by_file, by_objects = ranked(from_file, question), ranked(from_objects, question)
        # Everything but the title (a file's rows take the file's) and ids left out: the slug, after the
        # file's name in a file.
        assert [h[1:-1] for h in by_objects] == [h[1:-1] for h in by_file], question
        assert [h[0] for h in by_objects] == [h[0].removeprefix("faq/") for h in by_file], question
    for mine, theirs in zip(from_objects.batch_answer(asked), from_file.batch_answer(asked)):
        assert (mine.outcome, mine.confidence) == (theirs.outcome, theirs.confidence)


# --- searches during changes -----------------------------------------------------------------------


def test_searches_in_other_threads_see_the_old_faq_or_the_new_never_a_mix(memory):
    def search() -> tuple:
        return tuple(ranked(memory, "Can I block websites for my children?"))

    def answer() -> tuple:  # a follow-up: several readings scored, each against the same FAQ
        found = memory.answer("and for kids?", history=["How do I set up a guest network?"])
        return found.outcome, found.confidence, tuple((h.entry_id, h.score) for h in found.ranking)

    old = (search(), answer())
    memory.add([NEW])
    new = (search(), answer())
    memory.remove(["parental"])
    assert (search(), answer()) == old
    assert new[0][0][0] == "parental" and old[0][0][0] != "parental"
    assert new[1][2][0][0] == "parental" and "parental" not in dict(old[1][2])

    seen: list[tuple[int, tuple]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_asking(which: int) -> None:
        try:
            while not done.is_set():
                seen.append((which, (search, answer)[which]()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=keep_asking, args=(n % 2,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(4):
            memory.add([NEW])
            memory.remove(["parental"])
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert not errors
    assert {(which, result == new[which]) for which, result in seen} >= {(0, True), (1, True)}
    mixed = [result for which, result in seen if result not in (old[which], new[which])]
    assert not mixed, mixed[0]


# --- bad input -------------------------------------------------------------------------------------


BAD = [
    ([FAQ[0], {"question": "Where is it?"}], r"entries\[1\] \(question 'Where is it\?'\) has no 'answer'"),
    ([{"answer": "Ten seconds."}], r"entries\[0\] has no 'question'"),
    ([FAQ[0], {"question": "Why?", "answer": None}], r"entries\[1\] .*has no 'answer'"),
    ([{"id": "x", "question": 42, "answer": "Yes."}], r"entries\[0\] \(id 'x'\): 'question' must be a string, not int"),
    ([{"question": "Why?", "answer": ["a", "b"]}], r"entries\[0\] .*'answer' must be a string, not list"),
    ([{"question": "Why?", "answer": "   "}], r"entries\[0\] .*'answer' is empty"),
    ([{"id": 7, "question": "Why?", "answer": "Because."}], r"'id' must be a string, not int"),
    ([FAQ[0], FAQ[1], dict(FAQ[2], id="reset")], r"entries\[2\] has the id 'reset' of entries\[0\]"),
    ([{"question": "Why?", "answr": "Because."}], r"entries\[0\] .*unknown field 'answr'"),
    ([{"question": "Why?", "answer": "Yes.", "alternates": "why not"}], r"'alternates' must be a list of strings"),
    ([FAQ[0], "How do I reset it?"], r"entries\[1\] is a str"),
    ([], r"no entries given"),
    ("How do I reset it?", r"not one str"),
    (FAQ[0], r"not one dict"),
]


@pytest.mark.parametrize(("entries", "message"), BAD)
def test_bad_entries_are_one_clear_error_and_nothing_is_saved(embedder, tmp_path, entries, message):
    with pytest.raises(EntryError, match=message):
        Retriever.from_entries(entries, index=tmp_path / "index", embedder=embedder)
    assert not (tmp_path / "index").exists()


def test_bad_changes_leave_the_faq_and_its_folder_as_they_were(embedder, tmp_path):
    index = tmp_path / "index"
    r = Retriever.from_entries(FAQ, index=index, embedder=embedder)
    manifest, entries = (index / "manifest.json").read_bytes(), r.entries
    for change, message in [
        (lambda: r.add([NEW, {"question": "Where?"}]), r"entries\[1\] \(question 'Where\?'\) has no 'answer'"),
        (lambda: r.add([NEW, dict(NEW, answer="Other.")]), r"entries\[1\] has the id 'parental' of entries\[0\]"),
        (lambda: r.add(NEW), r"not one dict"),
        (lambda: r.remove(["reset", "nope"]), r"no entry has the id 'nope'"),
        (lambda: r.remove("reset"), r"not one str"),
        (lambda: r.remove([3]), r"ids\[0\] must be a string"),
        (lambda: r.remove([e["id"] for e in FAQ if "id" in e] + ["can-i-use-it-with-an-intel-laptop"]),
         r"cannot remove every entry"),
    ]:
        with pytest.raises(AssistantError, match=message):
            change()
        assert r.entries == entries
        assert (index / "manifest.json").read_bytes() == manifest


def test_empty_changes_change_nothing(memory):
    assert memory.add([]) == Update() and memory.remove([]) == Update()


def test_an_entry_object_is_checked_too(embedder):
    broken = Entry(id="x", question="", answer="Yes.", source="db", start_line=1, end_line=1)
    with pytest.raises(EntryError, match=r"entries\[0\] \(id 'x'\): 'question' is empty"):
        Retriever.from_entries([broken], embedder=embedder)
