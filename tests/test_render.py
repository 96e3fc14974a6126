"""Formatting an Answer for the chat: highlights, citations, not found, did you mean, escaping."""

import re

from assistant import Answer, Hit
from assistant.render import escape, highlight, render_answer, render_error, render_question, safe_url

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
        "**Is the swap file encrypted?**\n\n"
        "<mark>Yes, on the OS disk.</mark>\nMove it there first. <sup>[1]</sup>\n\n"
        "---\n\n**Sources**\n\n"
        "<sup>[1]</sup> Is the swap file encrypted? · faq.txt:41-43 · "
        '<a href="https://example.com/faq" target="_blank" rel="noopener noreferrer">Example FAQ</a>'
    )


def test_more_passages_and_scores_on_request():
    reply = render_answer(Answer("swap?", True, [SWAP, PRICE], confidence=0.87), passages=2, show_scores=True)
    assert "**Also in the FAQ**\n\n**How much does it cost?**\n\nIt is free. <sup>[2]</sup>" in reply.markdown
    assert "<sup>[2]</sup> How much does it cost? · faq.txt:50-51 · score 0.31\n" in reply.markdown
    assert reply.markdown.endswith("Confidence that this answers the question: 87%")
    assert "faq.txt:41-43 · " in reply.markdown and "score 0.53" in reply.markdown


def test_a_hedged_answer_says_so_and_offers_the_other_close_questions():
    reply = render_answer(Answer("swap?", False, [SWAP], suggestions=[PRICE], hedged=True, confidence=0.3))
    lines = reply.markdown.split("\n")
    assert lines[0] == "_The FAQ may not answer this exactly. The closest entry is:_"
    assert "**Is the swap file encrypted?**" in lines and "1. How much does it cost?" in lines
    assert reply.options == ("How much does it cost?",)


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
    assert tags(markdown) == {"sup"}  # only the citation markers; no img, b, s, and no link
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
