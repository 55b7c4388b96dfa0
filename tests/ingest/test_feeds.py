"""Feed parsing: the real NetNewsWire test feeds served over HTTP, JSON Feed, and XML attacks."""

from __future__ import annotations

import gzip
import io
import json
import time
import tracemalloc
from pathlib import PurePath

import feedparser
import pytest

from ingest.feedlist import parse_feed_list
from ingest.feeds import FeedParseError, parse_feed
from ingest.fetch import Fetcher
from ingest.schedule import FeedState, new_or_changed_entries
from tests.support.data import feed_bytes, feed_files, original_name
from tests.support.http import TestServer

ALL_FILES = {original_name(p): gzip.decompress(p.read_bytes()) for p in feed_files()}
XML_FEEDS = [n for n in ALL_FILES if PurePath(n).suffix in (".rss", ".atom", ".xml", ".rdf")]
JSON_FEEDS = [n for n in ALL_FILES if PurePath(n).suffix == ".json"]


def _json_item_count(data: bytes) -> int | None:
    """Items per json.load, None when the file is not valid JSON (the truncated sample)."""
    try:
        doc = json.loads(data)
    except json.JSONDecodeError:
        return None
    if "rss" in doc:  # RSS-in-JSON
        return len(doc["rss"]["channel"]["item"])
    return len(doc["items"])


def test_feed_folder_has_the_expected_kinds() -> None:
    assert len(XML_FEEDS) >= 30 and len(JSON_FEEDS) >= 8


def test_every_feed_file_fetched_and_parsed(http_server: TestServer, local_fetcher: Fetcher) -> None:
    """Serve every file in the folder over real HTTP, fetch it with Fetcher, parse it."""
    for name, data in ALL_FILES.items():
        http_server.static("/" + name, data)
    for name, data in ALL_FILES.items():
        body = local_fetcher.fetch(http_server.url("/" + name)).body
        assert body == data
        if name in XML_FEEDS:
            expected = len(feedparser.parse(io.BytesIO(body)).entries)
            parsed = parse_feed(body)
            assert len(parsed.entries) == expected, name
            assert parsed.kind in ("rss", "atom")
            assert all(e.guid for e in parsed.entries)
        elif name in JSON_FEEDS:
            count = _json_item_count(data)
            if count is None:
                with pytest.raises(FeedParseError) as info:
                    parse_feed(body)
                assert info.value.kind == "invalid"
            else:
                parsed = parse_feed(body)
                assert parsed.kind == "json" and len(parsed.entries) == count, name
        elif name.endswith(".opml"):
            assert len(parse_feed_list(body)) > 100
            with pytest.raises(FeedParseError):
                parse_feed(body)  # well-formed XML, but not a feed
        else:
            with pytest.raises(FeedParseError):
                parse_feed(body)


def test_entry_fields_from_atom_and_rss() -> None:
    feed = parse_feed(feed_bytes("DaringFireball.atom"))
    e = feed.entries[0]
    assert feed.title == "Daring Fireball" and feed.version == "atom10"
    assert e.guid.startswith("tag:daringfireball.net") and e.url and e.url.startswith("http")
    assert e.published == "2017-06-27T00:54:17Z" and e.authors == ("John Gruber",)
    sy = parse_feed(feed_bytes("manton.rss"))
    assert sy.update_period_s == 3600.0


def test_rss_ttl_and_sy_update_frequency() -> None:
    data = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
<ttl>90</ttl><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<item><title>a</title><link>https://e.com/a</link></item></channel></rss>"""
    feed = parse_feed(data)
    assert feed.ttl_s == 90 * 60 and feed.update_period_s == 86400 / 4
    assert feed.entries[0].guid == "https://e.com/a"  # no <guid>: link fallback


def test_json_feed_authors_and_dates() -> None:
    feed = parse_feed(feed_bytes("authors.json"))
    by_id = {e.guid: e for e in feed.entries}
    assert by_id["Item without authors"].authors == ("Root Author 1", "Root Author 2")
    assert by_id["Item with legacy author"].authors == ("Legacy Item Author",)
    assert by_id["Item with modern authors"].authors == ("Item Author 1", "Item Author 2")
    data = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"id": 7, "url": "https://e.com/x", "date_published": "2024-05-01T14:00:00+02:00"},
                "junk",
            ],
        }
    ).encode()
    (e,) = parse_feed(data).entries
    assert (e.guid, e.published) == ("7", "2024-05-01T12:00:00Z")


@pytest.mark.parametrize(
    "data",
    [
        b'{"version": "https://jsonfeed.org/version/1.1"}',
        b'{"items": []}',
        b"[1, 2]",
        b'{"version": 1, "items": []}',
    ],
)
def test_json_not_a_feed(data: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(data)
    assert info.value.kind == "invalid"


def test_entry_hash_changes_with_content_not_with_guid_order() -> None:
    base = b"""<rss version="2.0"><channel><title>t</title>
<item><guid>g1</guid><title>Title</title><description>Sum</description></item></channel></rss>"""
    a = parse_feed(base).entries[0]
    b = parse_feed(base.replace(b"Sum", b"Sum, corrected")).entries[0]
    assert a.guid == b.guid and a.entry_hash != b.entry_hash
    assert parse_feed(base).entries[0].entry_hash == a.entry_hash


@pytest.mark.parametrize("data", [b"", b"  \n\t", b"\xef\xbb\xbf  "])
def test_empty(data: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(data)
    assert info.value.kind == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"<rss><channel><title>broken</ti",
        b"<html><body><p>not a feed</body></html>",
        b"this is not xml at all",
        b"<?xml version='1.0'?><root><child/></root>",
    ],
)
def test_invalid(data: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(data)
    assert info.value.kind == "invalid"


def test_recovered_bozo_feed_keeps_entries() -> None:
    data = b"""<rss version="2.0"><channel><title>AT&T news</title>
<item><guid>1</guid><title>Fish & chips</title></item><item><guid>2</guid><title>b</title></item>
</channel></rss>"""
    feed = parse_feed(data)
    assert [e.guid for e in feed.entries] == ["1", "2"] and feed.warnings


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>"""

QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
    + b"A" * 100_000
    + b'">]><rss version="2.0"><channel><item><title>'
    + b"&a;" * 20_000
    + b"</title></item></channel></rss>"
)

EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>"""

PARAMETER = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>
<rss version="2.0"><channel><item><title>x</title></item></channel></rss>"""

LATIN = b"""<?xml version="1.0" encoding="windows-1252"?><!DOCTYPE rss [<!ENTITY a "b">]>
<rss version="2.0"><channel><item><title>&a;</title></item></channel></rss>"""


@pytest.mark.timeout(20)
@pytest.mark.parametrize("data", [BILLION_LAUGHS, QUADRATIC, EXTERNAL, PARAMETER, LATIN])
def test_xml_attacks_refused_fast_with_bounded_memory(data: bytes) -> None:
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(FeedParseError) as info:
            parse_feed(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.kind == "xml_attack"
    assert time.monotonic() - t0 < 1.0
    assert peak < 10 * len(data) + 1_000_000


def test_external_dtd_reference_is_fine() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>t</title><item><title>a &amp; b</title><link>https://e.com/1</link></item>
</channel></rss>"""
    feed = parse_feed(data)
    assert feed.entries[0].title == "a & b"


def test_changed_feed_yields_only_new_and_changed(http_server: TestServer, local_fetcher: Fetcher) -> None:
    """Fetch -> parse -> dedupe: a republished feed emits only the new and the revised items."""

    def rss(items: list[tuple[str, str]]) -> bytes:
        body = "".join(f"<item><guid>{g}</guid><title>{t}</title></item>" for g, t in items)
        return f'<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()

    url = http_server.static("/feed", rss([("2", "two"), ("1", "one")]))
    state = FeedState()
    first = local_fetcher.fetch(url)
    emitted, state = new_or_changed_entries(state, parse_feed(first.body).entries)
    assert [e.guid for e in emitted] == ["2", "1"]

    same = local_fetcher.fetch(url, validators=first.validators)
    assert same.not_modified

    http_server.static("/feed", rss([("3", "three"), ("2", "two (updated)"), ("1", "one")]))
    changed = local_fetcher.fetch(url, validators=first.validators)
    assert not changed.not_modified
    emitted, state = new_or_changed_entries(state, parse_feed(changed.body).entries)
    assert [(e.guid, e.title) for e in emitted] == [("3", "three"), ("2", "two (updated)")]
    emitted, state = new_or_changed_entries(state, parse_feed(changed.body).entries)
    assert emitted == []
