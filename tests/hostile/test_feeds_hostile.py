"""Hostile feed bodies through the real parser, in the real bounded parse process.

Each row: the bytes, the outcome (``ok`` with an entry count, or a FeedParseError kind) and
the bound. The parse pool here is the production one with a small memory cap and timeout;
the wall-time bound is that timeout plus process start-up slack, the memory bound is the
child's ``RLIMIT_AS`` (the parent's own allocation is checked with tracemalloc).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ingest.feeds import FeedParseError, ParsedFeed
from ingest.parse_pool import FeedParserPool
from tests.support.hostile import bounded

TIMEOUT_S = 4.0
BOUND_S = TIMEOUT_S + 6.0  # process start-up on a loaded machine
CHILD_MB = 384
PARENT_MB = 64.0  # the hostile input itself is built in the parent, outside the measurement
MAX_ENTRIES = 2000


def rss(items: str, head: bytes = b"") -> bytes:
    return head + f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def item(i: int, link: str | None = None) -> str:
    return f"<item><guid>g{i}</guid><title>T{i}</title><link>{link or f'http://ex.com/{i}'}</link></item>"


def jsonfeed(items: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "j", "items": items}).encode()


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
)


@dataclass(frozen=True)
class FeedCase:
    name: str
    body: bytes
    outcome: str  # "ok" or a FeedParseError kind; "bounded" = any classified outcome
    entries: int | None = None


CASES = [
    # defect 2: shapes feedparser is quadratic or unbounded in
    FeedCase(
        "40k attributes on one element",
        rss("<item " + " ".join(f'a{i}="x"' for i in range(40_000)) + "/>"),
        "too_complex",
    ),
    FeedCase(
        "80k attributes on one element",
        rss("<item " + " ".join(f'a{i}="x"' for i in range(80_000)) + "/>"),
        "too_complex",
    ),
    FeedCase("1M unclosed elements", b'<rss version="2.0"><channel>' + b"<a>" * 1_000_000, "too_complex"),
    FeedCase("200k nested closed elements", b"<rss>" + b"<a>" * 200_000 + b"</a>" * 200_000 + b"</rss>", "too_complex"),
    FeedCase(
        "attributes after an early syntax error",
        b'<rss version="2.0"><channel><<<item ' + " ".join(f'a{i}="x"' for i in range(40_000)).encode() + b"/>",
        "bounded",
    ),
    FeedCase(
        "10 MB of tiny JSON arrays",
        b'{"version":"https://jsonfeed.org/version/1.1","items":[' + b"[]," * 3_000_000 + b"1]}",
        "bounded",  # parsed, or out of memory, or timed out: whichever limit this machine reaches first
    ),
    FeedCase("JSON nested 200k deep", b"[" * 200_000 + b"]" * 200_000, "too_complex"),
    FeedCase("JSON object nested 200k deep", b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "too_complex"),
    FeedCase(
        "JSON 5000-digit integer", b'{"version":"https://jsonfeed.org/version/1","n":' + b"9" * 5000 + b"}", "invalid"
    ),
    # XML attacks
    FeedCase("billion laughs", LAUGHS, "xml_attack"),
    FeedCase(
        "quadratic blowup",
        b'<!DOCTYPE r [<!ENTITY a "' + b"x" * 50_000 + b'">]><rss>' + b"&a;" * 1000 + b"</rss>",
        "xml_attack",
    ),
    FeedCase("external entity", b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>', "xml_attack"),
    FeedCase("parameter entity", b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1/x"> %p;]><rss/>', "xml_attack"),
    FeedCase(
        "entity in an unreadable encoding",
        b'<?xml version="1.0" encoding="x-bogus"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>',
        "xml_attack",
    ),
    # not feeds
    FeedCase("empty body", b"", "empty"),
    FeedCase("whitespace only", b" \n\t ", "empty"),
    FeedCase("BOM only", b"\xef\xbb\xbf", "empty"),
    FeedCase("binary garbage", bytes(range(256)) * 40, "invalid"),
    FeedCase("an HTML page", b"<html><body><p>not a feed</p></body></html>", "invalid"),
    FeedCase("well-formed XML, not a feed", b"<?xml version='1.0'?><root><x/></root>", "invalid"),
    FeedCase("JSON array at top", b"[1,2,3]", "invalid"),
    FeedCase("JSON without version", b'{"items": []}', "invalid"),
    FeedCase("JSON Feed items not a list", b'{"version":"https://jsonfeed.org/version/1.1","items":{}}', "invalid"),
    FeedCase("RSS-in-JSON without channel", b'{"rss":{"channel":[]}}', "invalid"),
    FeedCase("invalid UTF-8 JSON", b'{"version":"\xff\xfe"}', "invalid"),
    FeedCase("truncated JSON", b'{"version":"https://jsonfeed.org/version/1.1","items":[{"id":', "invalid"),
    # malformed feeds feedparser 6.0.14 raises on instead of flagging (kurtmckee/feedparser#591,
    # #599; found by mutating the feeds of tests/data): before, the poll's "internal" failure
    FeedCase("a character reference past Unicode", rss("<item><title>a &#x110000; b</title></item>"), "invalid"),
    FeedCase("a character reference past a C int", rss("<item><title>a &#xFFFFFFFF; b</title></item>"), "invalid"),
    FeedCase("a character reference to a surrogate", rss("<item><title>a &#xD800; b</title></item>"), "invalid"),
    FeedCase(
        "a GML srsName whose EPSG code is no number",
        b'<rss version="2.0" xmlns:georss="http://www.georss.org/georss" xmlns:gml="http://www.opengis.net/gml">'
        b'<channel><item><title>x</title><georss:where><gml:Point srsName="urn:ogc:def:crs:EPSG::abc">'
        b"<gml:pos>1 2</gml:pos></gml:Point></georss:where></item></channel></rss>",
        "invalid",
    ),
    FeedCase(
        "a stray end tag in a malformed feed",
        b'<rss version="2.0"><channel></height><item><title>x</title></item></channel></rss><',
        "invalid",
    ),
    # odd but usable: parsed, capped, never crash
    FeedCase("5000 RSS items (capped)", rss("".join(item(i) for i in range(5000))), "ok", MAX_ENTRIES),
    FeedCase(
        "100k JSON items (capped)",
        jsonfeed([{"id": str(i), "url": f"http://ex.com/{i}"} for i in range(100_000)]),
        "ok",
        MAX_ENTRIES,
    ),
    FeedCase("JSON items that are not objects", jsonfeed([1, "x", None, [], {"id": "ok"}]), "ok", 1),
    FeedCase(
        "JSON lone surrogate in a title",
        b'{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"a\\ud800b"}]}',
        "ok",
        1,
    ),
    FeedCase("JSON numeric and bool ids", jsonfeed([{"id": 12345}, {"id": True, "url": "http://ex.com/t"}]), "ok", 2),
    FeedCase(
        "JSON absurd dates",
        jsonfeed([{"id": "1", "date_published": "9" * 10_000}, {"id": "2", "date_modified": "99999-01-01"}]),
        "ok",
        2,
    ),
    FeedCase(
        # the calendar's first and last hours, with an offset that moves them out of it in UTC
        "JSON dates at the calendar's edges",
        jsonfeed(
            [
                {"id": "1", "date_published": "0001-01-01T00:00:00+01:00"},
                {"id": "2", "date_modified": "9999-12-31T23:59:59-01:00"},
                {"id": "3", "date_published": "2024-05-01T12:00:00Z"},
            ]
        ),
        "ok",
        3,
    ),
    FeedCase(
        "RSS-in-JSON date at the calendar's start",
        b'{"rss":{"channel":{"item":[{"link":"http://ex.com/1","pubDate":"0001-01-01T00:00:00+14:00"}]}}}',
        "ok",
        1,
    ),
    FeedCase(
        "JSON authors of every type",
        jsonfeed([{"id": "1", "authors": [1, None, {"name": 5}, {"name": "A"}]}, {"id": "2", "authors": "x"}]),
        "ok",
        2,
    ),
    FeedCase(
        "RSS year 99999 and ttl 1e308",
        rss("<ttl>1e308</ttl><item><guid>1</guid><pubDate>Mon, 01 Jan 99999 00:00:00 GMT</pubDate></item>"),
        "ok",
        1,
    ),
    FeedCase(
        "RSS javascript and data links", rss(item(1, "javascript:alert(1)") + item(2, "data:text/html,x")), "ok", 2
    ),
    FeedCase("RSS with NUL bytes", rss(item(1)).replace(b"T1", b"T\x001"), "bounded"),
    FeedCase(
        "RSS-in-JSON single item object", b'{"rss":{"channel":{"item":{"title":"x","link":"http://ex.com/"}}}}', "ok", 1
    ),
    FeedCase(
        "Atom 100 levels deep (legal depth)",
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>' + b"<x>" * 100 + b"</x>" * 100 + b"</feed>",
        "ok",
        0,
    ),
]


@pytest.fixture(scope="module")
def pool() -> Iterator[FeedParserPool]:
    with FeedParserPool(processes=1, timeout_s=TIMEOUT_S, memory_mb=CHILD_MB, max_entries=MAX_ENTRIES) as p:
        yield p


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_feed(case: FeedCase, pool: FeedParserPool) -> None:
    out = bounded(lambda: pool.parse(case.body))
    assert out.elapsed_s < BOUND_S, f"{case.name}: {out.elapsed_s:.1f}s"
    assert out.peak_mb < PARENT_MB, f"{case.name}: {out.peak_mb:.0f} MB in the poller process"
    if case.outcome == "bounded":
        assert out.error is None or isinstance(out.error, FeedParseError), repr(out.error)
        return
    if case.outcome == "ok":
        assert out.error is None, f"{case.name}: {out.error!r}"
        parsed: ParsedFeed = out.value
        assert len(parsed.entries) == case.entries
        for e in parsed.entries:  # every string field survives the raw record's UTF-8 encoding
            (e.guid + e.title + e.summary + (e.url or "")).encode("utf-8")
        return
    assert isinstance(out.error, FeedParseError), f"{case.name}: {out.error!r} / {out.value!r}"
    assert out.error.kind in case.outcome.split("|"), f"{case.name}: {out.error}"


def test_capped_feed_says_how_many_it_ignored(pool: FeedParserPool) -> None:
    parsed = pool.parse(rss("".join(item(i) for i in range(2500))))
    assert len(parsed.entries) == MAX_ENTRIES and parsed.dropped_entries == 500
    assert parsed.entries[0].guid == "g0"  # the newest (first) entries are the ones kept


def test_pool_survives_a_worker_killed_by_its_input() -> None:
    """Input too big for the child's memory breaks the pool; the next parse gets a fresh one."""
    with FeedParserPool(processes=1, timeout_s=TIMEOUT_S, memory_mb=160) as p:
        with pytest.raises(FeedParseError) as info:
            p.parse(jsonfeed(["x" * (200 * 1024 * 1024)]))
        assert info.value.kind in ("crashed", "out_of_memory")
        assert len(p.parse(rss(item(1))).entries) == 1
