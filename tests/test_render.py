"""Formatting an Answer for the chat: highlights, citations, not found, did you mean, escaping."""

import re

from assistant import Answer, Hit
from assistant.ingest.entry import CODE, CODEBLOCK, LINK, Entry, Mark
from assistant.render import (
    answer_markdown,
    escape,
    highlight,
    passage_marks,
    render_answer,
    render_error,
    render_question,
    safe_url,
    terminal_text,
)

SWAP = Hit(
    entry_id="faq/swap", question="Is the swap file encrypted?",
    text="Yes, on the OS disk.\nMove it there first.", score=0.53, source="faq.txt", start_line=41, end_line=43,
    url="https://example.com/faq", title="Example FAQ", highlights=((0, 20),),
)
PRICE = Hit(entry_id="faq/price", question="How much does it cost?", text="It is free.", score=0.31,
            source="faq.txt", start_line=50, end_line=51, rank=2)


def tags(markdown: str) -> set[str]:
    """The HTML tags in `markdown` that a browser would see (a backslash-escaped `<` is text)."""
    return set(re.findall(r"(?<!\\)</?([a-zA-Z]+)", markdown))


def test_highlight_marks_the_spans_one_line_at_a_time():
    assert highlight("One. Two.\nThree.", [(5, 16)]) == "One. <mark>Two.</mark>\n<mark>Three.</mark>"
    assert highlight("One. Two.", []) == "One. Two."
    assert highlight("One. Two.", [(0, 4), (5, 9)]) == "<mark>One.</mark> <mark>Two.</mark>"


def test_highlight_escapes_the_text_inside_and_outside_marks():
    assert highlight("a <b> c", [(2, 5)]) == "a <mark>\\<b\\></mark> c"


def test_highlight_drops_indentation_that_would_make_a_code_block():
    assert highlight("Run:\n    pip install x", []) == "Run:\npip install x"


def test_found_answer_quotes_the_faq_with_marker_and_sources():
    reply = render_answer(Answer("swap?", True, [SWAP, PRICE]))
    assert reply.options == ()
    assert reply.markdown == (
        "**Is the swap file encrypted?** <sup>[1]</sup>\n\n"
        "<mark>Yes, on the OS disk.</mark>\nMove it there first.\n\n"
        "---\n\n**Sources**\n\n"
        "<sup>[1]</sup> Is the swap file encrypted? · "
        '<a href="https://example.com/faq" target="_blank" rel="noopener noreferrer">Example FAQ</a> · faq.txt:41-43'
    )


def test_more_passages_and_scores_on_request():
    reply = render_answer(Answer("swap?", True, [SWAP, PRICE], confidence=0.87), passages=2, show_scores=True)
    assert "**Also in the FAQ**\n\n**How much does it cost?** <sup>[2]</sup>\n\nIt is free." in reply.markdown
    assert ("<sup>[2]</sup> How much does it cost? · score 0.31\n\n<details><summary>faq.txt, lines 50–51"
            in reply.markdown)
    assert reply.markdown.endswith("Confidence that this answers the question: 87%")
    assert "faq.txt:41-43 · score 0.53" in reply.markdown


def test_a_hedged_answer_looks_different_and_offers_the_other_close_questions():
    reply = render_answer(Answer("swap?", False, [SWAP], suggestions=[PRICE], hedged=True, confidence=0.3))
    lines = reply.markdown.split("\n")
    # A quote under a "Not sure" line, where a confident answer is plain paragraphs.
    assert lines[0] == "> ⚠️ **Not sure.** The FAQ may not answer this exactly. The closest entry is:"
    assert "> **Is the swap file encrypted?** <sup>[1]</sup>" in lines and "1. How much does it cost?" in lines
    assert "> <mark>Yes, on the OS disk.</mark>" in lines
    assert reply.options == ("How much does it cost?",)
    confident = render_answer(Answer("swap?", True, [SWAP])).markdown
    assert not any(line.startswith(">") for line in confident.split("\n")) and "Not sure" not in confident


def test_a_hedged_answer_in_a_terminal_is_set_apart():
    hedged = terminal_text(Answer("swap?", False, [SWAP], suggestions=[PRICE], hedged=True, confidence=0.3))
    assert hedged.startswith("?? Not sure. The FAQ may not answer this exactly.")
    assert "  | Q: Is the swap file encrypted?\n  |\n  | Yes, on the OS disk.\n  | Move it there first." in hedged
    assert "(confidence 30%, not sure)" in hedged
    confident = terminal_text(Answer("swap?", True, [SWAP], confidence=0.9))
    assert confident.startswith("Q: Is the swap file encrypted?") and "|" not in confident and "sure" not in confident


def test_a_follow_up_in_a_terminal_says_how_it_was_read():
    answer = Answer("and the price?", True, [PRICE], context="Is the swap file encrypted?",
                    read_as="Is the price encrypted?", confidence=0.8)
    assert terminal_text(answer).startswith("(read as a follow-up: Is the price encrypted?)\n\nQ: How much")
    answer = Answer("and the price?", True, [PRICE], context="Is the swap file encrypted?", confidence=0.8)
    assert terminal_text(answer).startswith("(read as a follow-up to: Is the swap file encrypted?)")


def test_a_highlight_of_the_whole_answer_is_not_shown():
    assert answer_markdown("One sentence only.", [(0, 18)]) == "One sentence only."
    assert answer_markdown("One. Two.", [(0, 4), (5, 9)]) == "One. Two."
    assert answer_markdown("One. Two.", [(5, 9)]) == "One. <mark>Two.</mark>"


BLACK_ANSWER = ("It is not configurable. See Using Black with other tools for details.\n\n"
                "- first item\n- second item\n\npip install black\n  --pre")


def _span(text: str, part: str) -> tuple[int, int]:
    return text.index(part), text.index(part) + len(part)


BLACK = Entry(
    id="faq/why", question="Why is my code formatted this way?", source="faq.md", start_line=6, end_line=17,
    answer=BLACK_ANSWER, url=None,
    line_offsets=((0, 8), (24, 9), (72, 12), (85, 13), (100, 15)),
    marks=(Mark(*_span(BLACK_ANSWER, "Using Black with other tools"), LINK, "https://black.example/tools.html"),
           Mark(_span(BLACK_ANSWER, "second item")[0] + 7, _span(BLACK_ANSWER, "second item")[1], CODE),
           Mark(*_span(BLACK_ANSWER, "pip install black\n  --pre"), CODEBLOCK)),
)


def test_answers_keep_paragraphs_lists_code_and_live_links():
    text = BLACK.answer
    assert text[BLACK.marks[1].start : BLACK.marks[1].end] == "item"
    markdown = answer_markdown(text, [(0, 23)], passage_marks(BLACK, text))
    assert markdown == (
        '<mark>It is not configurable.</mark> See <a href="https://black.example/tools.html" target="_blank" '
        'rel="noopener noreferrer">Using Black with other tools</a> for details.\n\n'
        "- first item\n- second <code>item</code>\n\n"
        "```\npip install black\n  --pre\n```"
    )


def test_links_to_other_than_web_addresses_stay_text_and_code_is_fenced_safely():
    marks = (Mark(0, 4, LINK, "javascript:alert(1)"), Mark(5, 12, CODEBLOCK))
    markdown = answer_markdown("Open ```x```", (), marks)
    assert "href" not in markdown and markdown.startswith("Open")
    assert markdown.endswith("````\n```x```\n````")  # a fence longer than the backticks inside


def test_a_citation_without_a_web_address_folds_the_cited_lines():
    hit = Hit(entry_id=BLACK.id, question=BLACK.question, text=BLACK.answer[:71], score=0.8, source="faq.md",
              start_line=6, end_line=9)
    markdown = render_answer(Answer("why?", True, [hit]), entries={BLACK.id: BLACK}).markdown
    sources = markdown.split("**Sources**", 1)[1]
    assert "<a " not in sources
    assert ("<details><summary>faq.md, lines 6–9</summary>\n\n```\n8  It is not configurable. \n"
            "9  See Using Black with other tools for details.\n```\n\n</details>").replace(" \n", "\n") in sources


def test_not_found_offers_the_closest_questions():
    reply = render_answer(Answer("bread?", False, [], suggestions=[SWAP, PRICE]))
    assert reply.markdown == (
        "I couldn't find that in the FAQ.\n\nClosest questions in the FAQ:\n\n"
        "1. Is the swap file encrypted?\n2. How much does it cost?"
    )
    assert reply.options == ("Is the swap file encrypted?", "How much does it cost?")


def test_not_found_without_suggestions():
    assert render_answer(Answer("?", False)).markdown == "I couldn't find that in the FAQ."


def test_ambiguous_asks_did_you_mean_with_both_as_options():
    reply = render_answer(Answer("swap", True, [SWAP, PRICE], suggestions=[SWAP, PRICE], ambiguous=True))
    assert reply.markdown.startswith(
        "Did you mean **Is the swap file encrypted?** or **How much does it cost?** Here is the first;"
    )
    assert reply.options == ("Is the swap file encrypted?", "How much does it cost?")
    assert "Yes, on the OS disk." in reply.markdown


def test_follow_up_and_note_are_shown():
    answer = Answer("and the price?", True, [PRICE], context="Is it free?", note="Your question is long.")
    markdown = render_answer(answer).markdown
    assert markdown.startswith("_Your question is long._\n\n_Read as a follow-up to: Is it free?_\n\n")


def test_markup_in_faq_text_is_escaped_everywhere():
    evil = '<img src=x onerror="alert(1)"> *b* [l](javascript:x) `c` # h'
    hit = Hit(entry_id="e", question=evil, text=evil, score=0.9, source="<s>.md", start_line=1, end_line=1,
              url="javascript:alert(1)", title="<b>t</b>")
    markdown = render_answer(Answer(evil, True, [hit])).markdown
    # Only the citation markers and the fold of the cited lines, whose code block shows them as text.
    assert tags(re.sub(r"(?s)```.*?```", "", markdown)) == {"sup", "details", "summary"}
    assert "\\<img src=x onerror=\"alert(1)\"\\> \\*b\\* \\[l\\](javascript:x) \\`c\\` # h" in markdown
    assert "href" not in markdown  # a javascript: URL is never linked
    assert "\\<b\\>t\\</b\\>" in markdown  # the title is still shown, as text

    not_found = render_answer(Answer(evil, False, suggestions=[hit]))
    assert tags(not_found.markdown) == set()
    assert not_found.options == (evil,)  # buttons show option labels as text, not HTML


def test_user_question_and_errors_are_text():
    assert render_question("<script>x</script>\n# big") == "\\<script\\>x\\</script\\>\n\\# big"
    assert render_question("a" * 3000).endswith("a…") and len(render_question("a" * 3000)) == 2001
    assert render_error("no <b>index</b>").markdown == "no \\<b\\>index\\</b\\>"
    assert render_error().markdown.startswith("Sorry, something went wrong")


def test_escape_keeps_words_and_neutralises_line_syntax():
    assert escape("1. one\n- two\n> three\n    four & five") == "1\\. one\n\\- two\n\\> three\nfour \\& five"


def test_safe_url_accepts_only_web_addresses():
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("HTTP://example.com") == "HTTP://example.com"
    for url in ("javascript:alert(1)", "data:text/html,x", "/relative", "https://a b", None, ""):
        assert safe_url(url) is None
