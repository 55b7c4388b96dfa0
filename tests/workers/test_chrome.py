"""Page chrome: share bars, cookie notices, UI labels and link-text lines are not article text."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from workers.chrome import drop_trailing_headings, is_chrome_line, is_nav_line, link_texts
from workers.text import is_timestamp_line


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Share: Facebook Twitter Email",
        "Facebook X LinkedIn",
        "We use cookies to improve your browsing experience. Accept all",
        "We use COO\u212aIES to improve your browsing experience",  # a Kelvin sign for the K
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Share prices fell on Tuesday after the report.",
        "The bakery sold cookies to raise money for the school.",
        "Read more about the vote in our guide to the parliament.",
    ],
)
def test_article_sentences_are_not_chrome(line: str) -> None:
    assert not is_chrome_line(line)


def test_nav_line_is_a_short_label_that_is_a_links_whole_text() -> None:
    tree = lxml_html.fromstring(
        '<html><body><nav><a href="/">All news</a><a href="/w">World</a></nav>'
        '<p>Text with <a href="/x">a link in a long sentence of the article body here</a>.</p></body></html>'
    )
    links = link_texts(tree, max_words=6)
    assert links == frozenset({"all news", "world", "a link in a long sentence of the article body here"})
    assert is_nav_line("All news", links, 6)
    assert not is_nav_line("World.", links, 6)  # reads as a sentence
    assert not is_nav_line("All news today", links, 6)
    # a long link's text is a nav line only as a list item: a list of other articles' headlines
    assert not is_nav_line("A link in a long sentence of the article body here", links, 6)
    assert is_nav_line("- A link in a long sentence of the article body here", links, 6)
    assert is_nav_line("- Section: a link in a long sentence of the article body here", links, 6)
    assert not is_nav_line("- See it now: World", links, 6)  # the linked part is a label, not a headline
    # a label of ``max_words`` words at most, whatever the spaces around and between them
    labels = frozenset({"one two three four five six", "one two three four five six seven", " a  b "})
    assert is_nav_line("One two three four five six", labels, 6)
    assert not is_nav_line("One two three four five six seven", labels, 6)
    assert is_nav_line(" a  b ", labels, 2) and not is_nav_line(" a  b ", labels, 1)


def test_link_texts_are_the_links_whole_text_without_their_tails() -> None:
    """A link's text is all the text inside it (nested markup, entities) and nothing around it:
    not the text after it, not a comment or processing instruction inside it."""
    tree = lxml_html.fromstring(
        "<html><body><nav><a href='/a'>Top<!-- tracking --> <b>stories</b><?pi x?></a> and more"
        "<a href='/b'>Caf&eacute;&nbsp;&amp; bar</a>tail</nav></body></html>"
    )
    assert link_texts(tree, max_words=6) == frozenset({"top stories", "caf\u00e9 & bar"})


@pytest.mark.parametrize(
    "line",
    [
        "Read also: Minister resigns after budget row",
        "Les også: Tone Damli ofret musikkarrieren for barna",
        "MORE : The daily cartoon",
        "Lesen Sie auch: Die Regierung plant neue Regeln",
        "Follow Newsbeat on Instagram, Facebook, Twitter and YouTube.",
        "Follow TechRadar on Google News and add us as a preferred source.",
        "Sign up for breaking news, reviews, opinion, top tech deals, and more.",
        "Got a story? Get in touch with our news team by emailing us.",
    ],
)
def test_pointers_to_other_articles_and_calls_to_follow_are_chrome(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Read the report: it says the minister knew in March.",
        "More than 300 drones were launched at the city overnight.",
        "Follow-up talks on the budget are planned for Monday.",
        "Sign up sheets were handed out to the volunteers at the door.",
    ],
)
def test_sentences_that_start_like_chrome_are_kept(line: str) -> None:
    assert not is_chrome_line(line)


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("05.08.2024, 20:59 Uhr", True),
        ("2025\u5e741\u670814\u65e5 01\u664228\u5206 (1\u670814\u65e5 01\u664240\u5206\u66f4\u65b0)", True),
        ("10.11.2025 17:59", True),
        ("In 2024 the council met twice.", False),
        ("12:30 Uhr: Der Minister tritt zur\u00fcck.", False),
    ],
)
def test_timestamp_lines(line: str, stamp: bool) -> None:
    assert is_timestamp_line(line) is stamp


def test_heading_like_lines_the_body_ends_on_are_the_titles_of_boxes_beside_it() -> None:
    story = ["Klarmobil offers 10 GB for 5.99 euros a month.", "Tariff in detail", "The contract runs 24 months."]
    boxes = ["Forum posts", "Share price", "- Router with modem:", "Further links"]
    assert drop_trailing_headings([*story, *boxes]) == story
    # a subheading a paragraph follows is the story's; a closed sentence ends it
    assert drop_trailing_headings(story) == story
    assert drop_trailing_headings([*story, "Thanks for reading."]) == [*story, "Thanks for reading."]
    # a long unpunctuated line is a paragraph (a Japanese list, a cut-off sentence), not a heading
    listing = "宮崎県：延岡市、西都市、木城町、川南町、都農町、門川町、日南市、串間市、国富町、綾町、美郷町、高千穂町"
    assert drop_trailing_headings([*story, listing]) == [*story, listing]
    # one closing short line may be a signature or a credit line: it stays
    assert drop_trailing_headings([*story, "Reporting by Jane Doe"]) == [*story, "Reporting by Jane Doe"]
    assert drop_trailing_headings(["Headline only", "More", "Links"]) == ["Headline only"]  # never the first line
