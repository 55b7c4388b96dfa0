"""Page metadata choices: site names stripped from titles, person names from bylines."""

from __future__ import annotations

from typing import Any

import pytest
from trafilatura.utils import load_html

from workers.bylines import Byline
from workers.metadata import (
    _HEADING_XPATH,
    PageMeta,
    _is_heading,
    body_bylines,
    byline_texts,
    choose_byline,
    choose_canonical,
    choose_title,
    drop_headline,
    headline_forms,
    read_page_meta,
    site_aliases,
    site_names,
    split_authors,
    strip_site_name,
)


@pytest.mark.parametrize(
    ("title", "host", "names", "expected"),
    [
        ("Quake hits coast | AP News", "apnews.com", [], "Quake hits coast"),
        ("Quake hits coast - Reuters", "reuters.com", [], "Quake hits coast"),
        ("World | Quake hits coast | The Guardian", "theguardian.com", ["The Guardian"], "Quake hits coast"),
        ("BBC News - Quake hits coast", "bbc.co.uk", ["BBC News"], "Quake hits coast"),
        (
            "Star Wars review - shoots for the moon",
            "vg247.com",
            ["VG247"],
            "Star Wars review - shoots for the moon",
        ),
    ],
)
def test_strip_site_name(title: str, host: str, names: list[str], expected: str) -> None:
    assert strip_site_name(title, site_aliases(host, names)) == expected


def test_split_authors_drops_orgs_emails_and_roles() -> None:
    assert split_authors(["By Jane Doe and John Smith"]) == ("Jane Doe", "John Smith")
    assert split_authors(["Bruce Y. Lee"]) == ("Bruce Y. Lee",)
    assert split_authors(["Tom Krisher, AP Auto Writer"]) == ("Tom Krisher",)
    assert split_authors(["Associated Press", "jane@news.example", "https://x.example/a"]) == ()
    assert split_authors(["LISA MASCARO; Tom Gillespie News reporter"]) == ("Lisa Mascaro", "Tom Gillespie")


@pytest.mark.parametrize(
    ("canonical", "og_url", "expected"),
    [
        ("/a/1", "", "https://x.example/a/1"),
        ("", "https://x.example/og", "https://x.example/og"),
        ("javascript:void(0)", "", "https://x.example/a/1?utm=2"),
        ("", "", "https://x.example/a/1?utm=2"),
    ],
)
def test_choose_canonical(canonical: str, og_url: str, expected: str) -> None:
    meta = PageMeta({"og:url": og_url} if og_url else {}, canonical, "", "", (), ())
    assert choose_canonical(meta, "https://x.example/a/1?utm=2") == expected


def _page(head: str, body: str) -> tuple[PageMeta, Any]:
    tree = load_html(f"<html><head>{head}</head><body>{body}</body></html>")
    return read_page_meta(tree), tree


def test_a_separator_segment_the_visible_headline_shows_is_kept() -> None:
    meta, _ = _page(
        '<meta property="og:title" content="BUDGET 3.0 | Tax office hires debt collectors">',
        "<h1>BUDGET 3.0 | Tax office hires debt collectors</h1>",
    )
    aliases = site_aliases("news.example", ["News Example"])
    assert choose_title(meta, "", "", aliases) == "BUDGET 3.0 | Tax office hires debt collectors"
    meta, _ = _page(
        '<meta property="og:title" content="Politics | Tax office hires debt collectors">',
        "<h1>Tax office hires debt collectors</h1>",
    )
    assert choose_title(meta, "", "", aliases) == "Tax office hires debt collectors"


def test_declared_headline_text_wins_over_an_h1_of_the_same_words() -> None:
    """An <h1> of spans loses the punctuation between kicker and headline; the declared
    headline with the same words keeps it."""
    meta, _ = _page(
        '<meta property="og:title" content="Heat wave: \u201eThe oceans are overheating\u201c">',
        "<h1><span>Heat wave</span> <span>\u201eThe oceans are overheating\u201c</span></h1>",
    )
    assert (
        choose_title(meta, "", "", site_aliases("news.example", []))
        == "Heat wave: \u201eThe oceans are overheating\u201c"
    )


def _byline(head: str, body: str, host: str = "news.example", names: tuple[str, ...] = ("News Example",)) -> Byline:
    meta, tree = _page(head, f"<article>{body}</article>")
    text = "\n".join(p.text_content().strip() for p in tree.iter("p") if p.text_content().strip())
    aliases = site_aliases(host, names)
    return choose_byline(
        meta, str, (), aliases, text, names, lambda: byline_texts(tree), lambda: body_bylines(tree, text)
    )


_STORY = "".join(
    f"<p>Paragraph {i} of the story, long enough to read as running text of an article.</p>" for i in range(6)
)


def test_a_byline_set_as_an_emphasised_paragraph_is_read_when_metadata_credits_only_the_site() -> None:
    head = '<meta name="author" content="News Example">'
    assert _byline(head, "<p><strong>Jane Doe/John Smith</strong></p>" + _STORY).authors == ("Jane Doe", "John Smith")
    assert _byline(head, _STORY + "<p><em>IN-Redaktion</em></p>").credits == ("IN-Redaktion",)
    # a bold subheading in the middle, a copyright line and a closing sentence are not bylines
    assert _byline(head, _STORY + "<p><b>Second Operation</b></p>" + _STORY).authors == ()
    assert _byline(head, _STORY + "<p><em>\u00a9 The Financial Times Ltd. 2024</em></p>").credits == ("News Example",)
    assert _byline(head, _STORY + "<p><em>Das Gespr\u00e4ch f\u00fchrte Peter Hanselmann.</em></p>").authors == ()
    # an emphasised lead sentence is not one either
    assert _byline(head, "<p><b>Jane Doe said on Monday the plan would fail</b></p>" + _STORY).authors == ()


def test_a_content_system_admin_account_is_not_the_author() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A story of the day",'
        ' "author": {"@id": "https://news.example/author/admin/", "name": "News D"}}</script>'
    )
    found = _byline(ld, "<p><strong>JANE DOE</strong></p>" + _STORY)
    assert found.authors == ("Jane Doe",)
    named = ld.replace("/author/admin/", "/author/jane-roe/").replace("News D", "Jane Roe")
    assert _byline(named, _STORY).authors == ("Jane Roe",)


def test_the_headline_repeated_above_the_story_is_not_body_text() -> None:
    meta, _ = _page("", "<h1>Storm closes the harbour</h1>")
    forms = headline_forms(meta, "Storm closes the harbour")
    body = ["Storm closes the harbour", "The harbour closed on Monday.", "Ships waited outside."]
    assert drop_headline(body, forms) == body[1:]
    assert drop_headline([body[0], "05.08.2024, 20:59 Uhr", *body[1:]], forms) == body[1:]
    assert drop_headline(["The harbour closed.", "Storm closes the harbour"], forms) == [
        "The harbour closed.",
        "Storm closes the harbour",
    ]
    assert drop_headline(["Storm closes the harbour"], forms) == ["Storm closes the harbour"]  # never the whole text


def test_a_social_headline_that_is_part_of_the_marked_up_one_is_the_headline() -> None:
    """og:title as the JSON-LD headline without the page's additions around it: a compound
    kicker ("MSV-Interimstrainer") or a trailing clause."""
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "%s"}</script>'
    aliases = site_aliases("news.example", [])
    meta, _ = _page(
        ld % "MSV-Interimstrainer Schubert: Nicht mehr viel zu verlieren"
        + '<meta property="og:title" content="Interimstrainer Schubert: Nicht mehr viel zu verlieren">',
        "",
    )
    assert choose_title(meta, "", "", aliases) == "Interimstrainer Schubert: Nicht mehr viel zu verlieren"
    # a different wording, or a fragment, is not a part: the marked-up headline stands
    meta, _ = _page(
        ld % "Swedish police to investigate reports of information leaks"
        + '<meta property="og:title" content="Police investigate leaks">',
        "",
    )
    assert choose_title(meta, "", "", aliases) == "Swedish police to investigate reports of information leaks"


def test_an_h1_in_the_navigation_yields_to_the_article_heading_the_og_title_confirms() -> None:
    """A page that spends its <h1> on a breadcrumb (the SEO title, often the JSON-LD headline
    too) shows its headline in the article header; og:title says which heading that is."""
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "%s"}</script>'
    aliases = site_aliases("news.example", [])
    seo, shown = "Payments system: Europe could beat PayPal and Visa", "Instead of PayPal: Europe's new way to pay"
    head = ld % seo + f'<title>{seo}</title><meta property="og:title" content="{shown}">'
    article = (
        '<article><header><h2><span class="title__kicker">Payments</span>'
        f'<span class="title__headline">{shown}</span></h2></header><p>Text.</p></article>'
    )
    for trail in (
        f'<nav class="breadcrumb"><h1>{seo}</h1></nav>',
        f'<ul class="breadcrumb"><li><h1>{seo}</h1></li></ul>',
    ):
        meta, _ = _page(head, trail + article)
        assert meta.headings == (shown,)  # the kicker span is not part of the heading
        assert choose_title(meta, "", "", aliases) == shown
    # an <h1> in the article: the article heading is not consulted
    meta, _ = _page(head, f"<h1>{seo}</h1>" + article)
    assert meta.headings == ()
    assert choose_title(meta, "", "", aliases) == seo
    # a JSON-LD headline the navigation does not show is not the SEO title: it stands
    marked = "Live: all the news of the week on the payments system"
    meta, _ = _page(
        ld % marked + f'<meta property="og:title" content="{shown}">',
        f'<nav class="breadcrumb"><h1>{shown}</h1></nav>' + article,
    )
    assert choose_title(meta, "", "", aliases) == marked
    # a heading the og:title does not confirm leaves the JSON-LD headline standing
    meta, _ = _page(ld % seo + f'<meta property="og:title" content="{seo}">', f"<nav><h1>{seo}</h1></nav>" + article)
    assert choose_title(meta, "", "", aliases) == seo


def test_a_kicker_the_h1_prints_and_a_declared_title_gives_stays_in_the_headline() -> None:
    """JSON-LD "Headline", an <h1> of spans "<span>Kicker</span>Headline" and og:title
    "Kicker / Headline": the page prints the kicker as part of its headline."""
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "%s"}</script>'
    aliases = site_aliases("news.example", [])
    headline = "July 9 is near: unions show unity against the government"
    meta, _ = _page(
        ld % headline + f'<meta property="og:title" content="National demo / {headline}">',
        f"<h1><span>National demo</span>{headline}</h1>",
    )
    assert choose_title(meta, "", "", aliases) == f"National demo / {headline}"
    # the <h1> without the kicker: the JSON-LD headline stands
    meta, _ = _page(
        ld % headline + f'<meta property="og:title" content="National demo / {headline}">', f"<h1>{headline}</h1>"
    )
    assert choose_title(meta, "", "", aliases) == headline


def test_a_site_name_of_many_words_is_a_page_title_not_the_sites_name() -> None:
    headline = "Unions show unity against the government"
    meta, _ = _page(f'<meta property="og:title" content="{headline}">', f"<h1>{headline}</h1>")
    names = site_names(meta, f"{headline} - Daily Planet")  # trafilatura's fallback: the page's name
    assert f"{headline} - Daily Planet" not in names
    assert choose_title(meta, "", "", site_aliases("dailyplanet.example", names)) == headline


def test_byline_elements_are_found_by_each_kind_of_byline_markup_in_page_order() -> None:
    """An author or byline class, ``itemprop``/``rel`` author and a link to an author's page each
    mark a byline; a teaser's byline and a photo credit do not."""
    _, tree = _page(
        "",
        '<div class="Byline">By Jane Doe</div><span itemprop="author">Ann Lee</span>'
        '<a rel="author" href="/staff">Bo Chan</a><p>von <a href="/autoren/max-kolter">Max Kolter</a></p>'
        '<a href="/journalist/ida-berg">Ida Berg</a><div class="article__author-name">Eve Roe</div>'
        '<span itemprop="authorship">not one</span><a rel="nofollow" href="/x">not one either</a>'
        '<aside><span class="author">Teaser Writer</span></aside><span class="photo-credit author">Foto: Agency</span>',
    )
    assert byline_texts(tree) == ("By Jane Doe", "Ann Lee", "Bo Chan", "Max Kolter", "Ida Berg", "Eve Roe")


def test_page_meta_reads_each_kind_of_element_in_page_order() -> None:
    meta, _ = _page(
        '<title>First | Site</title><meta name="author" content="A"><link rel="stylesheet" href="/s.css">'
        '<link rel="canonical" href="/one"><link rel="canonical" href="/two"><meta name="author" content="B">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H1"}</script>',
        "<h1>Head one</h1><svg><title>icon</title></svg><h1>Head two</h1>"
        '<script type="application/ld+json">{"@type": "Article", "headline": "H2"}</script>',
    )
    assert meta.title_tag == "First | Site"
    assert meta.canonical == "/one"
    assert meta.metas["author"] == "A"
    assert meta.meta_values["author"] == ("A", "B")
    assert meta.h1 == ("Head one", "Head two")
    assert [o["headline"] for o in meta.ld] == ["H1", "H2"]


def test_heading_test_selects_what_the_heading_xpath_selects() -> None:
    """The ``<h2>``s read as the article's heading when the ``<h1>`` is navigation: the same,
    in the same order, as the XPath that defines them, on every kind of placement."""
    page = load_html(
        "<html><body><h1><nav>Site</nav></h1>"
        "<header><h2>Header outside an article</h2></header>"
        "<article><div><header><div><h2>In the article's header</h2></div></header></div>"
        "<h2>Article, no header</h2></article>"
        "<header><article><h2>Article inside a header</h2></article></header>"
        "<article><header><header><h2>Nested headers</h2></header></header></article>"
        "<hgroup><h2>In a heading group</h2></hgroup><div><hgroup><p><h2>Deeper</h2></p></hgroup></div>"
        "<h2 itemprop='headline'>Marked</h2><h2 itemprop='name'>Other prop</h2>"
        "<h2 class='big-headline x'>Class</h2><h2 class='Headline'>Case differs</h2>"
        "<h2><span class='headline'>Span</span></h2><h2><!-- c --><b><i class='headline'>Deep</i></b></h2>"
        "<h2>Plain</h2></body></html>"
    )
    assert page is not None
    want = _HEADING_XPATH(page)
    assert [h.text_content() for h in want] != []
    assert [h for h in page.iter("h2") if _is_heading(h)] == want
