"""Hostile feed entries: links, titles and summaries, through the poller's own functions and
the real cleaning step (what the feed's text becomes when the page cannot be fetched)."""

from __future__ import annotations

import pytest

from ingest.feeds import FeedEntry
from ingest.poller import _fallback_html
from ingest.schedule import FeedState, new_or_changed_entries
from ingest.urls import article_link, normalize_url
from newswire.records import RawStory
from workers.clean import clean

FEED = "https://wire.example/news/feed.xml"

LINK_CASES = [
    ("javascript:alert(1)", ""),
    ("JaVaScRiPt:alert(1)", ""),
    ("data:text/html,<script>x</script>", ""),
    ("file:///etc/passwd", ""),
    ("vbscript:msgbox", ""),
    ("mailto:a@b.example", ""),
    ("ftp://wire.example/x", ""),
    ("http://[broken/x", ""),
    ("http://wire.example:99999/x", ""),
    ("http:///nohost", ""),
    ("https://wire.example/a\x00b", ""),
    ("", ""),
    ("   ", ""),
    ("//cdn.example/story", "https://cdn.example/story"),
    ("story/1", "https://wire.example/news/story/1"),
    ("/story/2#comments", "https://wire.example/story/2"),
    ("article.php?12345", "https://wire.example/news/article.php?12345"),
    ("  https://wire.example/x?a=%20b  ", "https://wire.example/x?a=%20b"),
]


@pytest.mark.parametrize(("link", "expected"), LINK_CASES)
def test_entry_links(link: str, expected: str) -> None:
    assert article_link(link, FEED) == expected


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://ex.com/article.php?12345", "https://ex.com/article.php?12345"),
        ("https://ex.com/a?x=1;utm_source=y", "https://ex.com/a?x=1;utm_source=y"),
        ("https://ex.com/a?q=a%20b&utm_source=z", "https://ex.com/a?q=a%20b"),
        ("https://ex.com/a?q=a+b", "https://ex.com/a?q=a+b"),
        ("https://ex.com/a?&&b=1&&", "https://ex.com/a?b=1"),
        ("https://ex.com/a?utm%5Fsource=x&k=v", "https://ex.com/a?k=v"),
    ],
)
def test_normalised_key_keeps_parameters_byte_for_byte(url: str, key: str) -> None:
    assert normalize_url(url) == key
    assert normalize_url(key) == key


FORGED_TITLE = (
    'Real headline</title><link rel="canonical" href="https://evil.example/"/>'
    '<meta property="article:published_time" content="1999-01-01"/>'
    '<script type="application/ld+json">{"@type":"NewsArticle","author":{"name":"Mallory"}}</script><!--'
)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        (FORGED_TITLE, "The council voted on Tuesday to approve the new budget for the harbour district."),
        ("Budget approved", "<!-- The council voted on Tuesday to approve the new budget for the harbour district."),
        ("Budget <script>alert(1)</script> approved", "<p>The council voted on Tuesday to approve the new budget.</p>"),
        ("Budget &amp; harbour", '<a href="javascript:x">The council</a> voted on Tuesday to approve the budget.'),
    ],
)
def test_feed_text_cannot_forge_the_fallback_page(title: str, summary: str) -> None:
    """Defect 4: a title used to forge title, canonical URL, date and JSON-LD author, and a
    ``<!--`` made the story unextractable."""
    entry = FeedEntry("g", None, title, summary, None, None, (), "h")
    page = _fallback_html(entry)
    assert "<script" not in page and "<!--" not in page and "<link" not in page and "<meta" not in page
    raw = RawStory(id="r", url="urn:newswire:x", html=page, title=title)
    article = clean(raw)
    assert "council" in article.text or "Budget" in article.text
    assert "evil.example" not in article.canonical_url
    assert "Mallory" not in article.authors


def _entries(n: int) -> list[FeedEntry]:
    return [FeedEntry(f"g{i}", None, f"t{i}", "", None, None, (), f"h{i}") for i in range(n)]


@pytest.mark.parametrize("size", [1999, 2000, 2001, 5000])
def test_long_feeds_emit_once(size: int) -> None:
    """Defect 7 as a pure function: polls 2 and 3 of an unchanged long feed emit nothing."""
    entries = _entries(size)
    emitted = []
    state = FeedState()
    for _ in range(3):
        emit, state = new_or_changed_entries(state, entries, max_seen=2000)
        emitted.append(len(emit))
    assert emitted == [min(size, 2000), 0, 0]
