"""clean(), the step: metadata choices on real pages, chrome removal, classified failures."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
import trafilatura

from newswire.records import EXTRA_GIVEN_AS_TEXT, EXTRA_GIVEN_SITE, RawStory, stable_id
from pipeline.samples import load_corpus, render_page, seed_records
from tests.support.data import BENCHMARK, DEV_CORPUS, PUBLISHER_PAGES
from workers.clean import CleanSettings, ExtractionError, clean
from workers.text import comparable_text

BODY = " ".join(["The council approved the plan after a long debate on Tuesday evening."] * 3)


def _raw(record: dict[str, Any], **kw: Any) -> RawStory:
    fields: dict[str, Any] = {
        "id": record["id"],
        "url": record["url"],
        "html": render_page(record),
        "guid": record["guid"],
        "title": record["title"],
        "published": record["published"],
    }
    fields.update(kw)
    return RawStory(**fields)


def _page(head: str, body: str = f"<p>{BODY}</p>") -> str:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>"


def test_title_prefers_structured_headline_over_suffixed_title_tag() -> None:
    html = _page(
        '<title>Quake hits coast | World | Daily Planet</title><meta property="og:site_name" content="Daily Planet">',
        f"<h1>Quake hits coast</h1><p>{BODY}</p>",
    )
    art = clean(RawStory(id="1", url="https://www.dailyplanet.example/world/1", html=html))
    assert art.title == "Quake hits coast"
    assert art.site == "dailyplanet.example"


def test_jsonld_author_date_language_canonical() -> None:
    head = (
        '<script type="application/ld+json">{"@type":"NewsArticle","headline":"H1 text here",'
        '"datePublished":"2024-03-01T10:00:00+01:00","author":[{"@type":"Person","name":"Ana Lind"},'
        '{"@type":"Organization","name":"Planet Wire"}]}</script><link rel="canonical" href="/a/1">'
    )
    html = f'<html lang="de-DE"><head>{head}</head><body><article><p>{BODY}</p></article></body></html>'
    art = clean(RawStory(id="1", url="https://x.example/a/1?utm=2", html=html, published="2020-01-01T00:00:00Z"))
    assert art.authors == ("Ana Lind",)
    assert art.credits == ("Planet Wire",)  # the organisation is credited, not dropped
    # page beats feed; the page's own offset is kept, so the day is the day the page shows
    assert art.published == "2024-03-01T10:00:00+01:00"
    assert art.language == "de"
    assert art.canonical_url == "https://x.example/a/1"


def test_feed_title_and_date_fill_gaps() -> None:
    html = _page("", f"<p>{BODY}</p>")
    art = clean(
        RawStory(
            id="1",
            url="https://x.example/2024/05/06/a",
            html=html,
            title="Feed title",
            published="2024-05-07T08:00:00Z",
            guid="g-1",
            authors=("Ana Lind",),
        )
    )
    assert art.title == "Feed title"
    assert art.published == "2024-05-07T08:00:00Z"  # the feed wins over a URL-derived guess
    assert art.authors == ("Ana Lind",)
    assert art.article_id == stable_id("g-1")


@pytest.mark.parametrize(
    ("meta", "published"),
    [
        # RFC 2822, as RSS and many ``pubdate`` metas write it: the page's own offset is kept
        ('<meta name="pubdate" content="Fri, 20 Apr 2018 10:00:00 -0400">', "2018-04-20T10:00:00-04:00"),
        ('<meta name="pubdate" content="Fri, 20 Apr 2018 10:00:00 GMT">', "2018-04-20T10:00:00Z"),
        # epoch milliseconds and seconds, as some content systems write their date metas
        ('<meta name="parsely-pub-date" content="1750680000000">', "2025-06-23T12:00:00Z"),
        ('<meta property="article:published_time" content="1712345678">', "2024-04-05T19:34:38Z"),
    ],
)
def test_page_dates_in_other_forms_than_iso_are_read(meta: str, published: str) -> None:
    html = _page(meta)
    art = clean(RawStory(id="1", url="https://x.example/a/1", html=html, published="2020-01-01T00:00:00Z"))
    assert art.published == published  # the page's date, not the feed's


def test_a_feed_date_in_rfc_2822_is_kept() -> None:
    """A backfill file may carry its records' dates as the feed wrote them."""
    rfc_2822 = "Tue, 07 May 2024 08:00:00 GMT"
    art = clean(RawStory(id="1", url="https://x.example/2024/05/06/a", html=_page(""), published=rfc_2822))
    assert art.published == "2024-05-07T08:00:00Z"


@pytest.mark.parametrize(
    "value",
    # RFC 2822 has no twelve-hour clock: read by its rules, "8:00 PM" was 08:00
    ["April 20, 2018", "yesterday", "12345", "0000000000", "9999999999999", "Fri, 20 Apr", "20 Apr 2018 8:00 PM"],
)
def test_what_no_date_form_reads_is_no_date(value: str) -> None:
    """A date meta that none of the forms reads (nor an epoch timestamp outside 1995-2099) is
    passed over for the next source, here the feed's date."""
    html = _page(f'<meta name="pubdate" content="{value}">')
    art = clean(RawStory(id="1", url="https://x.example/a/1", html=html, published="2024-05-07T08:00:00Z"))
    assert art.published == "2024-05-07T08:00:00Z"


def test_a_date_after_the_fetch_is_passed_over() -> None:
    """A page fetched on 7 May 2024 was not published in 2099: its date is passed over for the
    feed's; a day's tolerance covers time zones. Without a fetch time (a backfill line) the
    page is taken at its word."""
    html = _page('<meta property="article:published_time" content="2099-01-01T00:00:00Z">')
    fetched = "2024-05-07T09:00:00Z"
    art = clean(
        RawStory(id="1", url="https://x.example/a/1", html=html, published="2024-05-07T08:00:00Z", fetched_at=fetched)
    )
    assert art.published == "2024-05-07T08:00:00Z"
    both = clean(RawStory(id="1", url="https://x.example/a/1", html=html, published="2099-01-02", fetched_at=fetched))
    assert both.published != "2099-01-02" and not (both.published or "").startswith("2099")
    soon = _page('<meta property="article:published_time" content="2024-05-08T02:00:00+02:00">')
    assert clean(RawStory(id="1", url="https://x.example/a/1", html=soon, fetched_at=fetched)).published == (
        "2024-05-08T02:00:00+02:00"
    )
    assert clean(RawStory(id="1", url="https://x.example/a/1", html=html)).published == "2099-01-01T00:00:00Z"


def test_seed_followup_loses_nav_line_and_keeps_dateline_in_text() -> None:
    followup = seed_records()[3]
    art = clean(_raw(followup))
    lines = art.text.splitlines()
    assert "All news" not in lines
    assert lines[1].startswith("MOSCOW, January 25. /TASS/. Russian President")
    assert "MOSCOW" not in comparable_text(art.text)
    assert comparable_text(art.text).splitlines()[1].startswith("russian president vladimir putin")


def test_syndicated_copy_hashes_like_original_despite_dateline() -> None:
    records = {r["id"]: r for r in load_corpus(DEV_CORPUS)}
    original = clean(_raw(records["D01-1"]))
    copy_record = {**records["D01-1"], "site": "wire-x.example", "url": "https://wire-x.example/s/1"}
    copy_record["body_paragraphs"] = [
        "QUELLPORT, May 11 (Wire-X) - " + records["D01-1"]["body_paragraphs"][0],
        *records["D01-1"]["body_paragraphs"][1:],
    ]
    copy = clean(_raw(copy_record))
    assert original.text != copy.text
    assert original.content_hash == copy.content_hash
    statement, relay = (clean(_raw(r)) for r in seed_records()[:2])
    assert statement.content_hash == relay.content_hash and statement.site != relay.site


def test_classified_errors() -> None:
    with pytest.raises(ExtractionError) as err:
        clean(
            RawStory(id="1", url="https://x.example/", html=_page("") * 50),
            settings=CleanSettings(max_html_bytes=1000),
        )
    assert err.value.reason == "too_large"
    truncated = clean(
        RawStory(id="1", url="https://x.example/", html=_page("") + " " * 5000),
        settings=CleanSettings(max_html_bytes=1000, truncate_oversize=True),
    )
    assert truncated.text
    with pytest.raises(ExtractionError) as err:
        clean(RawStory(id="1", url="https://x.example/", html="%PDF-1.4", content_type="application/pdf"))
    assert err.value.reason == "not_html"
    with pytest.raises(ExtractionError) as err:
        clean(RawStory(id="1", url="https://x.example/", html="   "))
    assert err.value.reason == "empty"
    with pytest.raises(ExtractionError) as err:
        clean(RawStory(id="1", url="https://x.example/", html="<html><body><nav>Home</nav></body></html>"))
    assert err.value.reason == "empty"


def test_ruby_readings_stay_inline_in_their_sentence() -> None:
    """A Japanese name annotated with its reading is one run of the sentence, not a line break:
    the reading follows the name in full-width parentheses, as a page prints it without ruby support."""
    sentence = "大統領は３日夜、緊急談話を出し、野党が国政をまひさせているとして「非常戒厳」を宣言した。"
    page = (
        "<html><head><title>戒厳令</title></head><body><article>"
        "<p>【ソウル＝小池和樹】韓国の<ruby><rb>尹錫悦</rb><rp>（</rp><rt>ユンソンニョル</rt><rp>）</rp></ruby>"
        + sentence
        + "</p>"
        + "".join(
            f"<p>{sentence}尹氏は野党が政府高官や検事らへの訴追案を提出している点などを挙げた。</p>" for _ in range(3)
        )
        + "</article></body></html>"
    )
    text = clean(RawStory(id="r", url="https://news.example/jp/1", html=page)).text
    assert "韓国の尹錫悦\uff08ユンソンニョル\uff09" + sentence in text.splitlines()[0].replace(" ", "")


def test_fast_first_reads_a_thin_page_again_with_the_whole_cascade() -> None:
    """A real page whose article trafilatura's main extractor misses (its fast reading is empty)
    and its readability/justext comparison finds: the fast-first step falls back to the whole
    cascade, so the record is the one the full reading gives."""
    key = "f6ac15a4d98511396da23e4428deb5605422b1c8bbc8284e771f6896bdccf57f"
    html = gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
    fast = trafilatura.bare_extraction(html, favor_precision=True, fast=True)
    assert not (getattr(fast, "text", None) or "")  # the main extractor alone finds nothing
    raw = RawStory(id=key, url="https://example.org/a", html=html)
    first = clean(raw, settings=CleanSettings(fast_first=True))
    full = clean(raw, settings=CleanSettings(fast_first=False))
    assert first == full
    assert len(first.text) > 300


def test_fast_first_keeps_a_long_reading() -> None:
    """A page the main extractor reads whole is not read twice: same record either way."""
    body = "".join(f"<p>{BODY} Paragraph {i} adds its own detail about the vote.</p>" for i in range(12))
    raw = RawStory(id="1", url="https://news.example/a", html=_page("<title>Vote</title>", body))
    assert clean(raw) == clean(raw, settings=CleanSettings(fast_first=False))


def test_a_story_split_into_containers_of_one_class_is_read_whole() -> None:
    """The story continues in later rows of the layout, in containers of the same class, with
    an advertisement and a "read more" teaser between them; the teaser is not the story."""
    first = [
        f"Paragraph {i} of the first part tells the story of the bridge vote in the city council." for i in range(4)
    ]
    second = [f"Paragraph {i} of the second part goes on with what the mayor said after the vote." for i in range(3)]
    rows = (
        '<div class="row"><div class="content"><div class="body articleBody -space">'
        + "".join(f'<p class="para">{p}</p>' for p in first)
        + "</div></div></div>"
        + '<div class="row"><div class="content"><div class="ad">Advertisement box with an offer</div></div></div>'
        + '<div class="row"><div class="content"><div class="body articleBody">'
        + "<h2>What comes next</h2>"
        + f'<p class="para">{second[0]}</p>'
        + "<div class='readmore'><p>Read more: another story about a bridge in another town entirely.</p></div>"
        + "".join(f'<p class="para">{p}</p>' for p in second[1:])
        + "</div></div></div>"
    )
    html = (
        f"<html><head><title>Bridge vote</title></head><body><main><div class='col'>{rows}</div></main></body></html>"
    )
    text = clean(RawStory(id="1", url="https://news.example/a/1", html=html)).text
    for p in (*first, "What comes next", *second):
        assert p in text
    assert "another story" not in text and "Advertisement" not in text


def test_a_signature_ending_the_story_is_its_byline_not_its_text() -> None:
    """The short unpunctuated lines a story ends on (a signature, a box title) are not body
    text, but a signature among them is still read as the byline."""
    story = "".join(
        f"<p>Paragraph {i} of the report on the new metro line, which opens to passengers next spring.</p>"
        for i in range(5)
    )
    signature = "<p><strong>Lê Phương</strong></p><p>Photo galleries</p>"
    html = f"<html><head><title>Metro line</title></head><body><article>{story}{signature}</article></body></html>"
    rec = clean(RawStory(id="1", url="https://news.example/a/1", html=html))
    assert rec.authors == ("Lê Phương",)
    assert "Lê Phương" not in rec.text and rec.text.endswith("next spring.")
    assert "Photo galleries" not in rec.text


def test_a_page_is_extracted_twice_at_most_and_its_metadata_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real page whose precision readings keep a fragment (784 characters of a 5,000-character
    story): the main extractor's reading is thin and the page's paragraphs hold far more, so the
    second reading is the default mode's whole cascade, kept as much longer. Two extractions, no
    metadata read by either (trafilatura's metadata is read once, apart)."""
    case = next(c for c in _publisher_cases() if c["id"] == "be/PoliticoEu_2025_10_23.html.gz")
    calls: list[dict[str, Any]] = []
    real = trafilatura.bare_extraction

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(trafilatura, "bare_extraction", counted)
    rec = clean(RawStory(id="p", url=case["url"], html=case["html"]))
    assert [(c["fast"], c["favor_precision"], c["with_metadata"]) for c in calls] == [
        (True, True, False),
        (False, False, False),
    ]
    assert len(rec.text) > 4000
    assert rec.title == case["expected"]["title"]


def _publisher_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for file in sorted(PUBLISHER_PAGES.glob("cases*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as fh:
            out.extend(json.loads(line) for line in fh)
    return out


def test_a_page_nested_past_libxml2s_default_depth_is_read_whole() -> None:
    """libxml2 stops at 256 nested elements and returns what it read, silently: 260 unclosed
    ``<span>``s (old ``<font>`` markup) before an article made an event of the filler above it.
    The page is read again with the limit at 2048; deeper than that, it is no page we read
    (``not_html``), never a cut one."""
    article = "".join(
        f"<p>Paragraph {i} of the council's report on the harbour, with enough words to keep.</p>" for i in range(4)
    )

    def page(depth: int) -> RawStory:
        story = f"<article><h1>Harbour report</h1>{article}</article>"
        html = "<html><body>" + "<span>x " * depth + story + "</body></html>"
        return RawStory(id=f"deep-{depth}", url=f"https://x.example/deep-{depth}", html=html)

    rec = clean(page(260))
    assert "Paragraph 0" in rec.text and "Paragraph 3" in rec.text
    with pytest.raises(ExtractionError) as info:
        clean(page(3000))
    assert info.value.reason == "not_html" and "nested" in str(info.value)


def test_a_title_of_invisible_characters_is_no_title_not_the_word_none() -> None:
    """trafilatura's line processing returns None for a line of blanks and invisible
    characters, and ``str()`` of it made the event's headline the word "None"."""
    body = "".join(f"<p>Paragraph {i} of a report on the harbour, long enough to be kept.</p>" for i in range(4))
    for title in ("&#8203;", "\u00a0\u200b\u00a0"):
        raw = RawStory(
            id="t",
            url="https://x.example/t",
            html=f"<html><head><title>{title}</title></head><body>{body}</body></html>",
        )
        assert clean(raw).title == ""


def test_a_record_given_as_text_is_dated_by_its_record_alone() -> None:
    """A record given as text (``newswire replay``'s lines with ``body_paragraphs``) is rendered
    as a page only so that the same cleaning runs on it: nothing but its text is on that page,
    and the date htmldate finds there ("The council met on 2019-03-04") is one the article
    mentions. Such a record has the date it gives, or none; a fetched page with the same text
    keeps the library's guess, read last (its URL or markup may date it)."""
    paragraph = "The council met on 2019-03-04 to vote on the budget, and passed it by nine votes."
    body = "".join(f"<p>{paragraph}</p>" for _ in range(3))
    html = f"<html><head><title>Council passes the budget</title></head><body><article>{body}</article></body></html>"
    page = RawStory(id="1", url="https://courier.example/budget", html=html)
    assert clean(page).published == "2019-03-04"
    given = RawStory(
        id="1", url="urn:newswire:1", html=html, extra={EXTRA_GIVEN_AS_TEXT: True, EXTRA_GIVEN_SITE: "courier"}
    )
    art = clean(given)
    assert (art.published, art.site) == (None, "courier")
    dated = clean(
        RawStory(id="1", url="urn:newswire:1", html=html, published="2026-03-09T08:00:00Z", extra=given.extra)
    )
    assert dated.published == "2026-03-09T08:00:00Z"
