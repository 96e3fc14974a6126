"""Each format's reader on small FAQ files written in styles the benchmark files do not use: the
questions found, the lines they cite, clean answers with their links and code, anchors, titles and URLs."""

import json
import re

import pytest
from conftest import DATA

from assistant import Entry, load_corpus
from assistant.ingest.detect import sniff
from assistant.ingest.entry import Mark

FORMATS = DATA / "formats"


def entries(name: str) -> list[Entry]:
    corpus = load_corpus(FORMATS / name)
    assert corpus.warnings == []
    return corpus.entries


def summary(found: list[Entry]) -> list[tuple[str, int, int]]:
    return [(e.question, e.start_line, e.end_line) for e in found]


def marked(entry: Entry) -> list[tuple[str, str, str | None]]:
    return [(m.kind, entry.answer[m.start : m.end], m.target) for m in entry.marks]


def test_markdown_bold_and_q_questions_definition_list_and_details():
    found = entries("bold-questions.md")
    assert summary(found) == [
        ("How do I charge the gadget?", 8, 10), ("Can I use it in the rain?", 12, 17),
        ("Where is the serial number?", 19, 21), ("Term questions", 23, 24), ("Does it work abroad?", 26, 27),
        ("Is there a warranty?", 30, 32),  # from its <summary> line to its last line of text
    ]
    charge, rain = found[0], found[1]
    # "A:" dropped, the wrapped line joined, the relative link resolved against the front matter's URL
    assert charge.answer == ("Plug it into any USB-C port. A full charge takes about two hours; "
                             "see charging for details.")
    assert marked(charge) == [("link", "charging", "https://docs.example.org/gadget/faq/charging.html")]
    assert rain.answer == "Yes. It is rated IP67:\n\n- rain and splashes are fine\n- swimming is not"
    assert marked(rain) == [("code", "IP67", None)]
    assert {e.title for e in found} == {"Gadget help"}
    assert {e.url for e in found} == {"https://docs.example.org/gadget/faq/"}


def test_markdown_heading_anchors_are_github_slugs_or_written_ids(tmp_path):
    path = tmp_path / "faq.md"
    path.write_text("# Help\n\n## What's new in 2.0?\nLots.\n\n## What's new in 2.0?\nMore.\n\n"
                    "## Can I pay by card? {#pay}\nYes.\n\n(refunds)=\n## Refunds?\nNo.\n")
    found = load_corpus(path).entries
    assert [(e.question, e.anchor) for e in found] == [
        ("What's new in 2.0?", "whats-new-in-20"), ("What's new in 2.0?", "whats-new-in-20-1"),
        ("Can I pay by card?", "pay"), ("Refunds?", "refunds")]
    assert found[2].end_line == 10  # the MyST target above "Refunds?" belongs to it


def test_html_details_definition_list_and_page_furniture():
    found = entries("details.html")
    # Each entry ends at its last line of text: not at "</details>" or "</pre>" lines.
    assert summary(found) == [("Which bulb does the lamp take?", 13, 16), ("Can I dim it?", 19, 24),
                              ("How do I clean the shade?", 29, 30), ("Lamp flickers", 31, 32)]
    bulb, dim = found[0], found[1]
    assert bulb.answer == "An E27 bulb of at most 60 W."
    assert bulb.line_offsets == ((0, 15), (23, 16))  # "60 W" stands on the next line of the file
    assert dim.answer == "Only with a dimmable bulb; see dimming.\n\nturn the knob\n  clockwise"
    assert marked(dim) == [("link", "dimming", "https://lamps.example.com/help/dimming"),
                           ("codeblock", "turn the knob\n  clockwise", None)]
    assert [e.anchor for e in found] == ["bulb", "dim", "clean", None]
    assert {(e.title, e.url) for e in found} == {("Lamp questions", "https://lamps.example.com/help/faq.html")}
    assert bulb.link == "https://lamps.example.com/help/faq.html#bulb"


def test_html_schema_org_json_ld_and_microdata():
    kettle = entries("jsonld.html")
    assert [(e.question, e.answer, e.start_line) for e in kettle] == [
        ("How long does the kettle take to boil?", "About three minutes for a litre.", 5),
        ("Can I boil milk in it?", "No. Only water.", 7)]
    shop = entries("microdata.html")
    assert [(e.question, e.answer, e.anchor) for e in shop] == [
        ("Refunds", "Within 30 days, no questions asked.", "refund"), ("Do you ship abroad?", "Yes, to the EU.", None)]


def test_rst_definition_and_field_list_questions():
    found = entries("deflist.rst")
    assert summary(found) == [("How do I pick a frame size?", 10, 11), ("Which saddle height is right?", 14, 15),
                              ("How often should I oil the chain?", 20, 20), ("Do I need special tools?", 21, 23)]
    assert found[0].answer == "Measure your inseam and multiply it by 0.66. See the size chart."
    assert marked(found[0]) == [("link", "size chart", "https://bikes.example.net/sizes")]
    assert found[3].answer == "A pump and a 5 mm hex key do most jobs:\n\npump --presta"
    assert found[0].title == "Bicycle FAQ"


def test_rst_sphinx_roles_and_directives_read_as_text(tmp_path):
    path = tmp_path / "faq.rst"
    path.write_text("How do I start?\n===============\n\nRun :command:`go start`, see :ref:`the guide <guide>`.\n\n"
                    ".. versionchanged:: 3.0\n\n   Starting is faster.\n\n.. code-block:: sh\n\n   go start --now\n\n"
                    ".. toctree::\n\n   install\n\nHow do I stop?\n==============\n\nPress stop.\n")
    start, stop = load_corpus(path).entries
    assert start.answer == "Run go start, see the guide.\n\nStarting is faster.\n\ngo start --now"
    assert marked(start) == [("code", "go start", None), ("codeblock", "go start --now", None)]
    assert start.line_offsets[-1] == (len(start.answer) - len("go start --now"), 12)
    assert (stop.question, stop.start_line) == ("How do I stop?", 18)


def test_rst_never_includes_files_or_raw_html(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    path = tmp_path / "faq.rst"
    path.write_text(f"Is it safe?\n===========\n\nYes.\n\n.. include:: {secret}\n\n"
                    ".. raw:: html\n\n   <script>x</script>\n")
    (entry,) = load_corpus(path).entries
    assert "SECRET" not in entry.answer and "script" not in entry.answer


def test_asciidoc_qanda_lists_terms_and_listing_blocks():
    found = entries("qanda.adoc")
    assert summary(found) == [("How many people fit?", 9, 10), ("Stakes keep bending", 11, 12),
                              ("Should I seal the seams?", 17, 22)]
    assert found[1].answer == "Use the longer stakes for sand; see the stake guide."
    assert marked(found[1]) == [("link", "the stake guide", "https://tents.example.com/stakes")]
    assert found[2].answer == "Only once a year.\n\nseal --all"
    assert found[0].title == "Tent Handbook"


def test_asciidoc_section_titles_anchors_and_macros(tmp_path):
    path = tmp_path / "faq.adoc"
    path.write_text(":app: Widget\n\n== General\n\n[[install]]\n=== How do I install {app}?\n\nRun `make`; see "
                    "link:docs/install.html[the docs] and man:make[1].\n\n=== Why is it slow?\n\n"
                    "Because <<install,installing>> compiles everything.\n")
    install, slow = load_corpus(path).entries
    assert (install.question, install.anchor, install.start_line) == ("How do I install Widget?", "install", 6)
    assert install.answer == "Run make; see the docs and make(1)."
    assert slow.anchor == "_why_is_it_slow"
    assert marked(slow) == [("link", "installing", "#install")]


def test_org_drawers_keywords_tags_and_hidden_subtrees():
    found = entries("drawers.org")
    assert summary(found) == [("How do I choose a paddle length?", 5, 10), ("Can I paddle alone?", 12, 16),
                              ("Can I store it outside?", 23, 23), ("Does it need a cover?", 24, 24)]
    paddle, alone = found[0], found[1]
    assert paddle.anchor == "paddle"  # CUSTOM_ID
    assert paddle.answer == "Take your height, then see the chart. Longer paddles suit wider boats."
    assert marked(paddle) == [("link", "chart", "https://kayak.example.org/chart")]
    assert alone.answer == ("Only on calm water, and tell someone your route.\n\nExtra gear\n\n"
                            "A whistle and a VHF radio.")
    assert "sharks" not in " ".join(e.question for e in found)  # a COMMENT subtree is not read
    assert found[0].title == "Kayak FAQ"


def test_plain_text_q_and_a_pairs():
    found = entries("pairs.txt")
    assert [(e.question, e.answer, e.start_line, e.end_line) for e in found] == [
        ("Why are my prints faded?", "The toner is low. Shake the cartridge or replace it.", 4, 6),
        ("How do I clear a paper jam?", "Open the back door and pull the sheet straight out.", 8, 11),
        ("Which paper weights work?", "60 to 120 g/m2.", 13, 14)]
    assert found[0].line_offsets == ((0, 5), (38, 6))


def test_a_file_without_extension_is_read_by_its_content():
    found = entries("FAQ")
    assert summary(found) == [("Why is the light orange?", 4, 8), ("Resetting the router", 10, 15),
                              ("Does it support IPv6?", 17, 20)]
    assert found[0].id == "FAQ/why-is-the-light-orange"


def test_plain_text_numbered_sections_skip_the_table_of_contents(tmp_path):
    path = tmp_path / "FAQ"
    path.write_text("Widget FAQ\n\n 1. Basics\n  1.1 What is it?\n  1.2 Is it free?\n\n"
                    "1. Basics\n\n  1.1 What is it?\n\n  A widget.\n  Steps:\n\n  1. unpack\n\n  2. plug in\n\n"
                    "  1.2 Is it free?\n\n  Yes.\n\n2. Trouble\n\n  2.1 It beeps\n\n  Replace the battery.\n")
    found = load_corpus(path).entries
    assert summary(found) == [("What is it?", 9, 16), ("Is it free?", 18, 20), ("It beeps", 24, 26)]
    assert found[0].answer == "A widget. Steps:\n\n1. unpack\n2. plug in"


def test_plain_text_star_items_and_a_boxed_note(tmp_path):
    path = tmp_path / "FAQ"
    path.write_text("Tool FAQ\n\n*************\n* NOTE: read *\n* the manual *\n*************\n\n"
                    "* Why does it\n  crash?\n\nIt runs out of memory.\n\n\tulimit -v 100\n\n"
                    "* It is slow!\n\nUse -O2.\n")
    found = load_corpus(path).entries
    assert [(e.question, e.answer) for e in found] == [
        ("Why does it crash?", "It runs out of memory.\n\nulimit -v 100"), ("It is slow!", "Use -O2.")]
    assert marked(found[0]) == [("codeblock", "ulimit -v 100", None)]


def test_yaml_questions_with_markdown_answers_and_alternates():
    fmt, waterproof = entries("faq.yaml")
    assert (fmt.question, fmt.start_line, fmt.end_line) == ("How do I format the card?", 4, 10)
    assert fmt.alternates == ("wipe the memory card", "erase SD card")
    assert fmt.answer == "Open Settings, then Card, then choose Format. See the manual."
    assert marked(fmt) == [("code", "Format", None), ("link", "the manual", "https://cam.example.com/manual")]
    assert fmt.line_offsets == ((0, 9), (38, 10))
    assert (waterproof.answer, waterproof.title) == ("Not without the housing.", "Camera questions")


def test_table_alternates_from_a_column_or_a_list(tmp_path):
    (entry,) = entries("alternates.csv")
    assert entry.alternates == ("send it back", "get a refund")
    path = tmp_path / "faq.jsonl"
    path.write_text(json.dumps({"question": "Hours?", "answer": "9 to 5.", "alternate_questions": ["When open?"]}))
    assert load_corpus(path).entries[0].alternates == ("When open?",)


def test_entries_round_trip_through_json_with_marks_anchor_and_alternates():
    for name in ("details.html", "faq.yaml"):
        for entry in entries(name):
            assert Entry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry
    old_row = {"id": "a/b", "question": "Q?", "answer": "A.", "source": "a.md", "start_line": 1, "end_line": 2,
               "url": None, "title": None, "line_offsets": [[0, 2]]}
    old = Entry.from_dict(old_row)  # written before marks, anchors and alternates existed
    assert (old.marks, old.anchor, old.alternates) == ((), None, ())
    assert Mark.from_dict(Mark(0, 2, "link", "https://x.org").to_dict()) == Mark(0, 2, "link", "https://x.org")


@pytest.mark.parametrize("text, kind", [
    ("Title\n=====\n\n.. note:: x\n\nQ?\n---\n\nSee :ref:`a`.\n", "rst"),
    ("= Title\n:toc:\n\n== Q?\n\nterm::\n  text\n", "asciidoc"),
    ("#+TITLE: x\n#+STARTUP: nonum\n* Q?\n:PROPERTIES:\n:END:\n", "org"),
    ("<!DOCTYPE html><html><body><h2>Q?</h2></body></html>", "html"),
    ("# FAQ\n\n## Q?\n\n```sh\nx\n```\n\nSee [docs](https://x.org).\n", "markdown"),
    ("Q: Why?\nA: Because.\n\n* How? This.\n", "text"),
    # Q:/A: pairs under titles underlined with "~": plain text, neither reST nor Markdown fences.
    ("General\n~~~~~~~\n\nQ: Why?\nA: Because.\n\nQ: How?\nA: So.\n\nMore\n~~~~\n\nQ: When?\nA: Now.\n\n"
     "Last\n~~~~\n\nQ: Who?\nA: Us.\n", "text"),
])
def test_format_is_recognised_by_content(text, kind):
    assert sniff(text) == kind


def test_the_readme_examples_read_as_the_readme_says(tmp_path):
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("One example per format"):readme.index("### How entries are found")]
    suffixes = {"markdown": ".md", "rst": ".rst", "asciidoc": ".adoc", "html": ".html", "org": ".org",
                "text": ".txt", "yaml": ".yaml"}
    examples = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    assert sorted(kind for kind, _ in examples) == sorted(suffixes)
    for kind, text in examples:
        path = tmp_path / f"router{suffixes[kind]}"
        path.write_text(text)
        found = load_corpus(path).entries
        expected = [("How do I reset it?", "Hold the button for ten seconds."),
                    ("Why is it slow?", "Update the firmware.")]
        assert [(e.question, e.answer) for e in found] == expected, kind


def test_html_bold_paragraph_questions_q_and_a_and_accordion_buttons(tmp_path):
    path = tmp_path / "help.html"
    path.write_text("<h1>Help</h1>\n<h2>Account</h2>\n<p><strong>How do I log in?</strong></p>\n"
                    "<p>Use your email.</p>\n"
                    "<p><b>Q:</b> Can I change my name?<br>\nA: Yes, in settings.</p>\n"
                    '<div class="accordion"><h3><button>Why was I charged?</button></h3>\n<div><p>Monthly plan.</p>'
                    "</div></div>\n")
    found = load_corpus(path).entries
    assert [(e.question, e.answer, e.start_line, e.line_offsets[0][1]) for e in found] == [
        ("How do I log in?", "Use your email.", 3, 4), ("Can I change my name?", "Yes, in settings.", 5, 6),
        ("Why was I charged?", "Monthly plan.", 7, 8)]  # the answer paragraph starts the line after


def test_question_markers_and_section_numbers_are_not_part_of_the_question(tmp_path):
    path = tmp_path / "faq.md"
    path.write_text("# FAQ\n\n## Q: Is it free?\n\nYes.\n\n## 2.1 Does it scale?\n\nTo a point.\n\n"
                    "## 3D printing?\n\nNo.\n")
    assert [e.question for e in load_corpus(path).entries] == ["Is it free?", "Does it scale?", "3D printing?"]


def test_plain_text_numbered_questions_that_wrap_or_run_into_their_answer(tmp_path):
    # No hanging indent: a title that wraps at the margin, one glued to its answer, one glued to a
    # sample, and a statement title; chapters drawn between long rules are groups, not entries.
    path = tmp_path / "FAQ.txt"
    path.write_text("Gadget FAQ\n\n" + "-" * 60 + "\n1. Basics\n" + "-" * 60 + "\n\n"
                    "1.1. Why does the gadget blink twice when it starts up after a\nlong time unplugged?\n\n"
                    "It recalibrates its clock.\n\n"
                    "1.2. How do I reset it?\nHold the button for ten seconds.\n\n"
                    "1.3. The build stops with this:\n    error: missing header\n\nInstall the headers first.\n\n"
                    "1.4. The battery drains overnight.\n\nTurn off the radio.\n")
    found = load_corpus(path).entries
    assert [(e.question, e.answer) for e in found] == [
        ("Why does the gadget blink twice when it starts up after a long time unplugged?",
         "It recalibrates its clock."),
        ("How do I reset it?", "Hold the button for ten seconds."),
        ("The build stops with this:", "error: missing header\n\nInstall the headers first."),
        ("The battery drains overnight.", "Turn off the radio.")]
    assert [(e.start_line, e.end_line) for e in found] == [(7, 10), (12, 13), (15, 18), (20, 22)]


def test_plain_text_entries_set_apart_by_rules(tmp_path):
    path = tmp_path / "NOTES"
    path.write_text("Known problems with the gadget, and what to do.\n\n********\n\n"
                    "The screen flickers under fluorescent light.\n\nLower the refresh rate.\n\n********\n\n"
                    "Keys repeat on their own\n\nClean the keyboard.\nIt happens with dust.\n\n********\n\n"
                    "Sound crackles at full volume.\n\nThat is the speaker's limit.\n")
    found = load_corpus(path).entries
    assert summary(found) == [("The screen flickers under fluorescent light.", 5, 7),
                              ("Keys repeat on their own", 11, 14), ("Sound crackles at full volume.", 18, 20)]


def test_a_rule_far_longer_than_the_line_above_is_not_a_rest_underline():
    plain = "".join(f"{n}. Part {n}\n{'-' * 72}\n\n{n}.1. Why {n}?\nBecause.\n\n" for n in range(1, 4))
    assert sniff(plain) == "text"
    assert sniff("Title\n=====\n\nWhy?\n----\n\nBecause.\n\nHow?\n----\n\nSo.\n\nWhen\n----\n\nNow.\n") == "rst"


def test_html_list_of_emphasised_questions_and_question_rows_of_a_table(tmp_path):
    (tmp_path / "list.html").write_text(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<html><body><h2>FAQ</h2>\n<ol>\n'
        "<li><em>Building fails on old compilers</em>\n<p>Use a C99 compiler.</p>\n</li>\n"
        "<li><em>Is there a Python binding?</em>\n<p>Yes, <code>pygadget</code>.</p>\n</li>\n</ol>\n</body></html>\n",
        encoding="utf-8")
    (tmp_path / "table.html").write_text(
        "<html><body><table>\n<tr class=\"question\"><td><b>1.1.</b></td>\n<td><b>The gadget prints this:</b>\n"
        "<pre>E42 overheat</pre></td></tr>\n<tr class=\"answer\"><td></td><td>\n<p>Let it cool down.</p>\n</td></tr>\n"
        "<tr><td><b>1.2.</b></td><td><b>Can I run two at once?</b></td></tr>\n<tr><td></td><td>\n<p>Yes.</p>\n"
        "</td></tr>\n</table></body></html>\n", encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.answer) for e in found] == [
        ("Building fails on old compilers", "Use a C99 compiler."), ("Is there a Python binding?", "Yes, pygadget."),
        ("The gadget prints this:", "E42 overheat\n\nLet it cool down."), ("Can I run two at once?", "Yes.")]
    # An entry ends at its last line of answer text, not at closing tags or the next question's number.
    assert [(e.start_line, e.end_line) for e in found] == [(4, 5), (7, 8), (3, 6), (8, 10)]


def test_html_pop_ups_menus_and_sidebars_are_page_furniture(tmp_path):
    (tmp_path / "faq.html").write_text(
        '<html><body><div id="help-popup"><h2>Keyboard shortcuts</h2><p>Press S to search.</p></div>\n'
        '<div class="book-sidebar"><h2>Contents</h2><p>Chapter list</p></div>\n<ul role="menu"><li>Print</li></ul>\n'
        "<main><h2>How do I start?</h2><p>Press the button.</p></main></body></html>\n", encoding="utf-8")
    assert [(e.question, e.answer) for e in load_corpus(tmp_path).entries] == [("How do I start?", "Press the button.")]


def test_markdown_sections_that_are_lists_of_problems_and_their_fixes(tmp_path):
    (tmp_path / "faq.md").write_text(
        "# Troubleshooting\n\n## Installing\n\n- \"No module named gadget\"\n\n  Install the wheel first.\n\n"
        "- The build fails on Windows\n    1. Install the compiler.\n    2. Retry.\n\n## Running\n\n"
        "- Segmentation fault at start\n\n  Update the driver.\n", encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.start_line, e.end_line) for e in found] == [
        ('"No module named gadget"', 5, 7), ("The build fails on Windows", 9, 11),
        ("Segmentation fault at start", 15, 17)]
    assert found[1].answer == "1. Install the compiler.\n2. Retry."


def test_markdown_list_in_an_answer_stays_its_text(tmp_path):
    (tmp_path / "faq.md").write_text(
        "# FAQ\n\n## How do I update?\n\n- download the release\n\n  from the site\n\n- unpack it\n\n  anywhere\n\n"
        "## Is it free?\n\nYes.\n", encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.start_line, e.end_line) for e in found] == [("How do I update?", 3, 11),
                                                                       ("Is it free?", 13, 15)]
    assert found[0].answer.startswith("- download the release")


def test_markdown_question_items_over_answer_lists_indented_too_little_to_nest(tmp_path):
    (tmp_path / "faq.md").write_text(
        "# FAQ\n\nAsked by users.\n\n1. Why is it slow?\n  - Turn on the cache.\n  - Or buy memory.\n"
        "1. The logo is blurry.\n  - Use the SVG.\n1. Can I embed it?\n  - Yes.\n", encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.answer, e.start_line, e.end_line) for e in found] == [
        ("Why is it slow?", "- Turn on the cache.\n- Or buy memory.", 5, 7),
        ("The logo is blurry.", "- Use the SVG.", 8, 9), ("Can I embed it?", "- Yes.", 10, 11)]


def test_plain_text_contents_listed_with_section_numbers_are_not_an_entry(tmp_path):
    rule = "-" * 40
    (tmp_path / "FAQ").write_text(f"Gadget FAQ\n\nContents\n{rule}\n1.1  What is it?\n1.2  Is it free?\n\n"
                                  f"1.1 What is it?\n{rule}\n\nA gadget.\n\n1.2 Is it free?\n{rule}\n\nYes.\n")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.answer) for e in found] == [("What is it?", "A gadget."), ("Is it free?", "Yes.")]


def test_a_running_number_is_not_part_of_the_question(tmp_path):
    (tmp_path / "faq.md").write_text("# FAQ\n\n## #1 Can I dim it?\n\nYes.\n\n## #2 Is it waterproof?\n\nNo.\n")
    assert [e.question for e in load_corpus(tmp_path).entries] == ["Can I dim it?", "Is it waterproof?"]


def test_plain_text_a_short_group_of_listed_questions_is_not_one_question(tmp_path):
    (tmp_path / "FAQ").write_text(
        "Gadget FAQ\n\n   Support\n   D1. Is there a users' group?\n   D2. Who fixes bugs?\n\n   Help\n"
        "   E1. Can I pay?\n   E2. Is it free?\n   E3. Does it work?\n\n"
        "Is there a users' group?\n\nYes, on the forum.\n\nWho fixes bugs?\n\nThe team.\n\nCan I pay?\n\nYes.\n")
    assert [e.question for e in load_corpus(tmp_path).entries] == ["Is there a users' group?", "Who fixes bugs?",
                                                                    "Can I pay?"]


def test_a_data_file_with_a_comment_header_and_percent_rules_is_plain_text(tmp_path):
    # "#" comment lines are no Markdown headings; "%%%%" is a rule like "----".
    (tmp_path / "FAQ.txt").write_text(
        "# Game FAQ data file\n# Syntax: one question, then its answer,\n# between lines of percent signs.\n\n"
        "%%%%\nWhat is the goal of the game?\n%%%%\nTo find the orb and bring it back.\nIt is deep in the dungeon.\n"
        "%%%%\nHow do I save?\n%%%%\nPress S, then confirm.\nThe game saves on exit too.\n")
    assert [(e.question, e.answer, e.start_line, e.end_line) for e in load_corpus(tmp_path).entries] == [
        ("What is the goal of the game?", "To find the orb and bring it back. It is deep in the dungeon.", 6, 9),
        ("How do I save?", "Press S, then confirm. The game saves on exit too.", 11, 14)]


def test_rst_q_and_a_fields_and_sphinx_dropdowns(tmp_path):
    (tmp_path / "fields.rst").write_text(
        "FAQ\n===\n\nGeneral\n-------\n\n:Q: Is it fast ?\n\n:A: Yes, see ``bench``.\n\n"
        ":Q: Does it support\n    https?\n\n:A: Since 3.0.\n\n    Older versions need a proxy.\n", encoding="utf-8")
    (tmp_path / "dropdowns.rst").write_text(
        "Benchmarks FAQ\n==============\n\n.. dropdown:: How often are the ``benchmarks`` updated?\n\n"
        "   With every release.\n\n.. dropdown:: Can I run them myself?\n\n   Yes, with the bench tool.\n",
        encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.answer) for e in found] == [
        ("How often are the benchmarks updated?", "With every release."),
        ("Can I run them myself?", "Yes, with the bench tool."),
        ("Is it fast ?", "Yes, see bench."), ("Does it support https?", "Since 3.0.\n\nOlder versions need a proxy.")]


def test_plain_text_vim_help_headings_and_numbered_bullets_that_wrap(tmp_path):
    (tmp_path / "faq.txt").write_text(
        "*faq.txt*\tGadget\n\nGeneral Questions\n\n\nWHERE DO I PUT MY CONFIG FILE? ~\n\nIn your home folder.\n\n\n"
        "HOW STABLE IS THE NIGHTLY BUILD? ~\n\nMostly stable.\n", encoding="utf-8")
    (tmp_path / "FAQ").write_text(
        "Gadget FAQ\n\nSection 1: Basics\n\n* 1.1 What is it?\n\nA gadget.\n\n* 1.2 There is an ugly line in the\n"
        "printed output!\n\nNo, there isn't.\n\n* 1.3 Is it free?\n\nYes.\n", encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.answer) for e in found] == [
        ("What is it?", "A gadget."), ("There is an ugly line in the printed output!", "No, there isn't."),
        ("Is it free?", "Yes."), ("WHERE DO I PUT MY CONFIG FILE?", "In your home folder."),
        ("HOW STABLE IS THE NIGHTLY BUILD?", "Mostly stable.")]


def test_html_italic_question_paragraphs_with_a_number_and_a_link_back_up(tmp_path):
    (tmp_path / "faq.html").write_text(
        '<html><body><h1>FAQ</h1>\n<ol><li><a href="#q1">Do I need a proxy?</a></li><li><a href="#q2">Is it free?</a>'
        '</li></ol>\n<p id="q1"><a href="#top">^</a> <b>1.</b> <i>Do I need a proxy?</i></p>\n<p>No.</p>\n'
        '<p id="q2"><a href="#top">^</a> <b>2.</b> <i>Is it free?</i></p>\n<p>Yes.</p>\n</body></html>\n',
        encoding="utf-8")
    found = load_corpus(tmp_path).entries
    assert [(e.question, e.answer, e.anchor) for e in found] == [("Do I need a proxy?", "No.", "q1"),
                                                                 ("Is it free?", "Yes.", "q2")]


# Questions written as paragraphs (`ingest/paragraph_questions.py`): the same rules in every format.
PARAGRAPH_ANSWERS = ["Download the installer and run it.", "Set the proxy variables first."]


def paragraph_faq(tmp_path, name: str, text: str) -> list[tuple[str, int, int]]:
    path = tmp_path / name
    path.write_text(text)
    found = load_corpus(path).entries
    assert [e.answer for e in found] == PARAGRAPH_ANSWERS
    return summary(found)


@pytest.mark.parametrize("name, text, lines", [
    ("rubric.rst", "FAQ\n===\n\nSetup\n-----\n\n.. rubric:: How do I install it?\n\nDownload the installer and run it."
     "\n\n.. rubric:: Why does it fail behind a proxy?\n\nSet the proxy variables first.\n", [(7, 9), (11, 13)]),
    ("bold.rst", "FAQ\n===\n\n**How do I install it?**\n\nDownload the installer and run it.\n\n"
     "*Why does it fail behind a proxy?*\nSet the proxy variables first.\n", [(4, 6), (8, 9)]),
    ("numbered.rst", "FAQ\n===\n\n1. How do I install it?\n\n   Download the installer and run it.\n\n"
     "2. Why does it fail behind a proxy?\n\n   Set the proxy variables first.\n", [(4, 6), (8, 10)]),
    ("qa.rst", "FAQ\n===\n\nQ: How do I install it?\n\nA: Download the installer and run it.\n\n"
     "Q: Why does it fail behind a proxy?\nA: Set the proxy variables first.\n", [(4, 6), (8, 9)]),
    ("admonition.rst", "FAQ\n===\n\n.. admonition:: How do I install it?\n\n   Download the installer and run it.\n\n"
     ".. topic:: Why does it fail behind a proxy?\n\n   Set the proxy variables first.\n", [(4, 6), (8, 10)]),
    ("titles.adoc", "= FAQ\n\n.How do I install it?\nDownload the installer and run it.\n\n"
     "*Why does it fail behind a proxy?*\n\nSet the proxy variables first.\n", [(3, 4), (6, 8)]),
    ("qa.adoc", "= FAQ\n\nQ: How do I install it?\n\nA: Download the installer and run it.\n\n"
     ". Why does it fail behind a proxy?\n+\nSet the proxy variables first.\n", [(3, 5), (7, 9)]),
    ("bold.org", "#+TITLE: FAQ\n\n* Setup\n\n*How do I install it?*\n\nDownload the installer and run it.\n\n"
     "/Why does it fail behind a proxy?/\nSet the proxy variables first.\n", [(5, 7), (9, 10)]),
    ("qa.org", "#+TITLE: FAQ\n\nQ: How do I install it?\nA: Download the installer and run it.\n\n"
     "Q: Why does it fail behind a proxy?\nA: Set the proxy variables first.\n", [(3, 4), (6, 7)]),
    ("items.md", "# FAQ\n\n1. **How do I install it?**\n   Download the installer and run it.\n"
     "2. **Why does it fail behind a proxy?**\n   Set the proxy variables first.\n", [(3, 4), (5, 6)]),
    ("classes.html", '<h1>FAQ</h1>\n<div class="faq-question">\n<p>How do I install it?</p>\n</div>\n'
     '<div class="answer"><p>Download the installer and run it.</p></div>\n'
     '<div class="question">It fails behind a proxy.</div>\n<div class="answer">Set the proxy variables first.</div>\n',
     [(3, 5), (6, 7)]),
    ("accordion.html", '<h1>FAQ</h1>\n<button class="accordion">How do I install it?</button>\n'
     '<div class="panel"><p>Download the installer and run it.</p></div>\n'
     '<button class="accordion">Why does it fail behind a proxy?</button>\n'
     '<div class="panel"><p>Set the proxy variables first.</p></div>\n', [(2, 3), (4, 5)]),
    ("qa.html", "<h1>FAQ</h1>\n<p><strong>Q. How do I install it?</strong></p>\n"
     "<p>A. Download the installer and run it.</p>\n<p>Q: Why does it fail behind a proxy?</p>\n"
     "<p>A: Set the proxy variables first.</p>\n", [(2, 3), (4, 5)]),
    ("numbered.txt", "TOOL FAQ\n========\n\nQ1. How do I install it?\n    Download the installer and run it.\n\n"
     "Q2. Why does it fail behind a proxy?\n    Set the proxy variables first.\n", [(4, 5), (7, 8)]),
    ("hanging.txt", "TOOL FAQ\n\n1. How do I install it?\n   Download the installer and run it.\n\n"
     "2. Why does it fail behind a proxy?\n   Set the proxy variables first.\n", [(3, 4), (6, 7)]),
    ("wrapped.txt", "TOOL FAQ\n\nQ1: How do I install it?\nQ4a: Why does it fail behind a proxy?\n\n"
     "Q1: How do I install\n    it?\nA:  Download the installer and run it.\n\n"
     "Q4a: Why does it fail behind a proxy?\n\nA:  Set the proxy variables first.\n", [(6, 8), (10, 12)]),
    ("running.txt", "TOOL FAQ\n\n(1) How do I install it?\n    Download the installer and run it.\n\n"
     "(2) Why does it fail behind a proxy?\n    Set the proxy variables first.\n", [(3, 4), (6, 7)]),
    ("dashes.txt", "TOOL FAQ\n\n1- How do I install it?\n\n   Download the installer and run it.\n\n"
     "2- Why does it fail behind a proxy?\n\n   Set the proxy variables first.\n", [(3, 5), (7, 9)]),
    ("breaks.html", "<h1>FAQ</h1>\n<p><b>How do I install it?</b><br>\nDownload the installer and run it.</p>\n"
     "<p><strong>Why does it fail behind a proxy?</strong><br>Set the proxy variables first.</p>\n", [(2, 3), (4, 4)]),
])
def test_questions_written_as_paragraphs_in_every_format(tmp_path, name, text, lines):
    found = paragraph_faq(tmp_path, name, text)
    assert [(start, end) for _, start, end in found] == lines
    # A class that names a question needs no "?" ("It fails behind a proxy."): the markup says so.
    assert found[0][0] == "How do I install it?"


def test_paragraph_questions_are_left_alone_where_they_are_an_answer_or_a_contents_list(tmp_path):
    # Under a question title, bold questions are that answer's own sub-questions.
    path = tmp_path / "answer.rst"
    path.write_text("FAQ\n===\n\nHow do I install it?\n--------------------\n\n**On Windows?**\n\n"
                    "Run the installer.\n\n**On Linux?**\n\nUse the package.\n\n"
                    "Can I update it?\n----------------\n\nYes.\n")
    assert [e.question for e in load_corpus(path).entries] == ["How do I install it?", "Can I update it?"]
    # A list of questions with no answer under them is a table of contents, and one bold question
    # that opens a paragraph of a longer section is emphasis.
    path = tmp_path / "contents.rst"
    path.write_text("FAQ\n===\n\n- How do I install it?\n- Why does it fail?\n\nSetup\n-----\n\n"
                    "**Does it run on Linux?** Yes, and on BSD.\n\nIt needs 2 GB of memory.\n")
    found = load_corpus(path).entries
    assert [e.question for e in found] == ["Setup"]
    assert found[0].answer == "Does it run on Linux? Yes, and on BSD.\n\nIt needs 2 GB of memory."


def test_a_link_back_up_the_page_at_an_answers_end_is_not_part_of_it(tmp_path):
    path = tmp_path / "faq.txt"
    path.write_text("Tool FAQ\n\nHow do I install it?\n\n    Download the installer and run it.\n\n"
                    "    ------------------------------ back to the\n    FAQ index.\n\n"
                    "Why does it fail behind a proxy?\n\n    Go back to the first answer, then set the proxy.\n\n"
                    "    [ Back to top ]\n")
    found = load_corpus(path).entries
    assert [(e.answer, e.start_line, e.end_line) for e in found] == [
        ("Download the installer and run it.", 3, 5),
        ("Go back to the first answer, then set the proxy.", 10, 12),  # a sentence that says "back to" stays
    ]


def test_numbered_bold_titles_after_a_question_are_entries_even_as_statements(tmp_path):
    for name, text in [
        ("faq.md", "# FAQ\n\n**1. How do I install it?**\n\nRun it.\n\n**2. It fails behind a proxy**\n\n"
                   "Set the proxy.\n\n**Note** the defaults\n\nThey are fine.\n"),
        ("faq.rst", "FAQ\n===\n\n**1. How do I install it?**\n\nRun it.\n\n**2. It fails behind a proxy**\n\n"
                    "Set the proxy.\n\n**Note** the defaults\n\nThey are fine.\n"),
    ]:
        path = tmp_path / name
        path.write_text(text)
        found = load_corpus(path).entries
        # An unnumbered bold lead ("**Note** the defaults") stays in the answer before it.
        assert [(e.question, e.answer) for e in found] == [
            ("How do I install it?", "Run it."),
            ("It fails behind a proxy", "Set the proxy.\n\nNote the defaults\n\nThey are fine.")], name
    # Numbered bold statements with no question before them are no FAQ entries.
    path = tmp_path / "steps.md"
    path.write_text("# Setup\n\n**1. Install it**\n\nRun it.\n\n**2. Configure it**\n\nEdit the file.\n")
    assert [e.question for e in load_corpus(path).entries] == ["Setup"]


def test_plain_text_arrow_bullets_mark_titles(tmp_path):
    path = tmp_path / "FAQ"
    path.write_text("Tool FAQ\n--------\n\n-> Why this name?\n\nIt is a pun.\n\n"
                    "-> Uploads grow by a few bytes.\n\nUse binary mode.\n\n"
                    "=> How do I trace it?\n\n  tool --trace\n\nShows it.\n")
    assert summary(load_corpus(path).entries) == [
        ("Why this name?", 4, 6), ("Uploads grow by a few bytes.", 8, 10), ("How do I trace it?", 12, 16)]


@pytest.mark.parametrize("name, text", [
    ("faq.md", "# FAQ\n\n| Question | Answer |\n|---|---|\n"
               "| How do I install it? | Download the installer and run it. |\n"
               "| Why does it fail behind a proxy? | Set the proxy variables first. |\n\nSee also the manual.\n"),
    ("faq.html", "<h1>FAQ</h1>\n<table>\n"
                 "<tr><td>How do I install it?</td><td>Download the installer and run it.</td></tr>\n"
                 "<tr><td>Why does it fail behind a proxy?</td><td>Set the proxy variables first.</td></tr>\n</table>\n"
                 "<p>See also the manual.</p>\n"),
])
def test_a_table_of_questions_and_answers_inside_a_document(tmp_path, name, text):
    # A header naming the columns, or two columns whose first cells ask: a row is an entry, its answer
    # the cell (the paragraph after the table is not part of the last answer).
    path = tmp_path / name
    path.write_text(text)
    found = load_corpus(path).entries
    assert [(e.question, e.answer) for e in found] == [
        ("How do I install it?", "Download the installer and run it."),
        ("Why does it fail behind a proxy?", "Set the proxy variables first.")]
    assert [e.start_line for e in found] == ([5, 6] if name.endswith(".md") else [3, 4])


def test_a_table_in_an_answer_stays_text(tmp_path):
    path = tmp_path / "faq.md"
    path.write_text("# FAQ\n\n## Which sizes are there?\n\n| Size | Memory |\n|---|---|\n| S | 2 GB |\n| M | 4 GB |\n")
    assert [e.answer for e in load_corpus(path).entries] == ["Size | Memory\nS | 2 GB\nM | 4 GB"]


def test_markdown_numbered_questions_over_paragraphs_at_the_margin(tmp_path):
    # CommonMark reads each "N." as a list of its own, ended by the paragraph under it; a person reads
    # a question over its answer, statements among the questions included.
    path = tmp_path / "faq.md"
    path.write_text("# FAQ\n\n1. How do I install it?\n\nDownload the installer.\n\nIt takes a minute.\n\n"
                    "2. The music does not play\n\nInstall OpenAL.\n\n3. Can I run two copies?\n\nYes.\n\n"
                    "## How do I update it?\n\n1. Does it need a restart?\n\nNo: these are steps of this answer.\n\n"
                    "2. Open the menu.\n\nChoose Update.\n")
    assert summary(load_corpus(path).entries) == [
        ("How do I install it?", 3, 7), ("The music does not play", 9, 11), ("Can I run two copies?", 13, 15),
        ("How do I update it?", 17, 25)]


def test_html_docbook_question_rows_with_q_and_a_label_cells(tmp_path):
    path = tmp_path / "faq.html"
    path.write_text('<h1>FAQ</h1>\n<table>\n<tr class="question">\n<td><a name="q1"></a><b>Q:</b></td>\n'
                    "<td>\n<p>How do I install it?</p></td>\n</tr>\n"
                    '<tr class="answer">\n<td><b>A:</b></td>\n<td>\n<p>Download the installer.</p>\n</td>\n</tr>\n'
                    '<tr class="question">\n<td><b>Q:</b></td>\n<td>\n<p>It fails behind a proxy.</p></td>\n</tr>\n'
                    '<tr class="answer">\n<td><b>A:</b></td>\n<td>\n<p>Set the proxy.</p>\n</td>\n</tr>\n</table>\n')
    found = load_corpus(path).entries
    # The question is the cell beside its "Q:" label; the "A:" label is no part of the answer; an entry
    # ends at its last line of text, not in the next question's row.
    assert [(e.question, e.answer, e.start_line, e.end_line) for e in found] == [
        ("How do I install it?", "Download the installer.", 6, 11),
        ("It fails behind a proxy.", "Set the proxy.", 17, 22)]


def test_markdown_empty_anchor_line_over_a_bold_question(tmp_path):
    path = tmp_path / "faq.md"
    path.write_text('# FAQ\n\n<a name="faq1"></a>\n**(1) How do I install it?**\n\nRun the installer.\n\n'
                    '<a name="faq2"></a>\n**(2) Why does it fail behind a proxy?**\n\nSet the proxy.\n')
    found = load_corpus(path).entries
    # The anchor is the question's (its citation's "#faq1"); the running number is no part of it.
    assert [(e.question, e.start_line, e.end_line, e.anchor) for e in found] == [
        ("How do I install it?", 4, 6, "faq1"), ("Why does it fail behind a proxy?", 9, 11, "faq2")]
