"""Real inputs made hostile at random, through every parser that reads input from the web or a
user: each comes out parsed or with its classified error, never an exception of another kind
(which the poller files as its own ``internal`` failure and the thread stage crashes on).

The tables of the other hostile tests hold the cases someone thought of; these hold the cases
a mutation fuzzer finds (the feeds, pages and corpus of ``tests/data`` with random edits: see
``tests.support.hostile.mutated``). Seeded, so a failure names its case and reproduces: the
first run of such a fuzz found feedparser raising on four kinds of malformed feed (RELIABILITY
D1), now rows of ``test_feeds_hostile.py``; its HTTP control run, back-to-back fetches from a
server closing each connection after its answer, D5. A few hundred cases a surface, seconds each.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import socket
import threading
import time
from dataclasses import replace
from typing import Any

import pytest

from ingest.discover import feed_links
from ingest.feedlist import FeedListError, parse_feed_list
from ingest.feeds import FeedParseError, parse_feed
from ingest.fetch import Fetcher, FetchError, FetchSettings
from ingest.sitemaps import SitemapParseError, parse_sitemap
from newswire.bus import Message, TopicPartition
from newswire.records import RawStory
from newswire.settings import Settings, WorkerSettings
from tests.support.data import BENCHMARK, feed_bytes, feed_files
from tests.support.hostile import RawServer, mutated, read_request
from tests.support.workers import changelog_of, cleaned_body, coverage_rows
from workers.clean import ExtractionError, clean
from workers.replay import replay
from workers.threader import ThreadProcessor

SEED = 20261207

MARKUP = [
    b"<",
    b">",
    b"&",
    b"&#0;",
    b"&#x110000;",
    b"&#xD800;",
    b"&#99999999999;",
    b"]]>",
    b"<![CDATA[",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"<!DOCTYPE x>",
    b"</height>",
    b"<item>",
    b"</item>",
    b"<entry><updated>-0001-13-45</updated></entry>",
    b"<pubDate>Mon, 99 Zzz 99999 99:99:99 +9999</pubDate>",
    b"<link>javascript:x</link>",
    b"<loc>http://[::1</loc>",
    b"<lastmod>99999-99-99T99:99:99+99:99</lastmod>",
    b"<meta charset='idna'>",
    b"<base href='http://[::1'>",
    b'<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"1e400",'
    b'"author":{"name":[1,{}]}}</script>',
    b"<time datetime='-0001-13-45T99:99'>x</time>",
    b"<table>" * 30,
    b"{",
    b"}",
    b'"items": [{}]',
    b'"date_published": 1e400',
    b"null",
    b"[",
]


def _outcomes(cases: list[Any], run: Any) -> list[str]:
    """Each case's outcome; a case that raised anything but its classified error fails the test
    with its index (the seed and index reproduce it)."""
    out = []
    for i, case in enumerate(cases):
        try:
            out.append(run(case))
        except Exception as exc:
            pytest.fail(f"case {i} (seed {SEED}) raised {type(exc).__name__}: {exc}")
    return out


def test_mutated_feeds_parse_or_are_classified() -> None:
    rng = random.Random(SEED)
    seeds = [gzip.decompress(p.read_bytes()) for p in feed_files()]
    cases = [mutated(rng, rng.choice(seeds), MARKUP) for _ in range(600)]

    def run(body: bytes) -> str:
        try:
            parsed = parse_feed(body, 500)
        except FeedParseError as exc:
            return exc.kind
        assert all(isinstance(e.guid, str) and e.guid for e in parsed.entries)
        return "ok"

    outcomes = _outcomes(cases, run)
    assert "ok" in outcomes and "invalid" in outcomes  # the mutations reach both sides


FEED_LIST = b"""feeds:
  - url: https://e.example/feed
    name: E
    min_interval: 300
    robots: true
  - url: https://f.example/sitemap.xml
    type: sitemap
    allow_hosts: [f.example]
  - https://g.example/rss
"""
YAML = [b"~", b"null", b"[]", b"{}", b"1e400", b".nan", b"-1", b"&a x", b"*a", b"\n  - ", b": ", b"'", b"\t", b"1: x\n"]


def test_mutated_feed_lists_are_read_or_one_classified_line() -> None:
    rng = random.Random(SEED)
    seeds = [feed_bytes("Subs.opml"), FEED_LIST]
    cases = [mutated(rng, rng.choice(seeds), [*MARKUP, *YAML]) for _ in range(600)]

    def run(text: bytes) -> str:
        try:
            return f"{len(parse_feed_list(text))} feeds"
        except FeedListError as exc:
            assert "\n" not in str(exc)
            return "error"

    assert "error" in _outcomes(cases, run)


FEED = b"<rss version='2.0'><channel><title>t</title><item><title>x</title></item></channel></rss>"
RESPONSES = [
    b'HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\nETag: "a"\r\n\r\n%s'
    % (len(FEED), FEED),
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
    % (len(gzip.compress(FEED)), gzip.compress(FEED)),
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(FEED), FEED),
    b"HTTP/1.1 301 Moved\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n",
]
HEADERS = [
    b"\r\n",
    b"\r\n\r\n",
    b":",
    b"\x00",
    b"\xff",
    b"Content-Length: -1\r\n",
    b"Content-Length: 99999999999999999999\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Content-Encoding: br\r\n",
    b"Content-Encoding: gzip, gzip\r\n",
    b"Location: http://[::1\r\n",
    b"Retry-After: 1e400\r\n",
    b"ffffffffffffffffff\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/9.9 999 X\r\n",
]


def test_mutated_http_responses_are_fetched_or_classified_in_time() -> None:
    """Responses from a raw server on 127.0.0.1, each its own connection closed after it (the
    server never says so), through the real ``Fetcher``: a result or a ``FetchError``, within
    the fetch's deadline."""
    rng = random.Random(SEED)
    answer = {"bytes": b""}

    def script(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(answer["bytes"])
        stop.wait(0.05)
        conn.close()

    settings = FetchSettings(allow_private_network=True, connect_timeout_s=1.0, read_timeout_s=0.5, total_timeout_s=1.5)
    outcomes = []
    with RawServer(script) as srv, Fetcher(settings) as fetcher:
        for i in range(120):
            answer["bytes"] = RESPONSES[i % 3] if i < 6 else mutated(rng, rng.choice(RESPONSES), HEADERS, most=4)
            started = time.monotonic()
            try:
                fetcher.fetch(srv.url("/feed"))
                outcomes.append("ok")
            except FetchError as exc:
                outcomes.append(exc.kind)
            except Exception as exc:
                pytest.fail(f"response {i} (seed {SEED}) raised {type(exc).__name__}: {exc}")
            assert time.monotonic() - started < settings.total_timeout_s + 2.0, i
    assert outcomes[:6] == ["ok"] * 6  # the unmutated ones, back to back (D5: every second failed)
    assert len(set(outcomes)) > 2


SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://e.example/a/1</loc><lastmod>2026-01-02T03:04:05+01:00</lastmod><news:news>
<news:publication><news:name>E</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-01-02</news:publication_date><news:title>Kremlin says &amp; more</news:title>
</news:news></url>
<url><loc>https://e.example/a/2?x=1&amp;y=2</loc><lastmod>2026-01-03</lastmod></url>
</urlset>"""
INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://e.example/s1.xml</loc><lastmod>2026-01-01</lastmod></sitemap></sitemapindex>"""


def test_mutated_sitemaps_and_pages_for_discovery_parse_or_are_classified() -> None:
    rng = random.Random(SEED)
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((BENCHMARK / "html").glob("*.gz"))[:10]]
    sitemaps = [mutated(rng, rng.choice([SITEMAP, INDEX]), MARKUP) for _ in range(400)]
    sitemaps += [gzip.compress(s) for s in sitemaps[:40]]

    def run_sitemap(body: bytes) -> str:
        try:
            return parse_sitemap(body).kind
        except SitemapParseError as exc:
            return exc.kind

    assert len(set(_outcomes(sitemaps, run_sitemap))) > 1
    links = [mutated(rng, rng.choice(pages), MARKUP) for _ in range(200)]
    _outcomes(links, lambda page: feed_links(page, "https://e.example/a/b"))


def test_mutated_pages_clean_or_are_classified() -> None:
    rng = random.Random(SEED)
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((BENCHMARK / "html").glob("*.gz"))[:40]]
    cases = [
        RawStory(
            id=f"r{i}",
            url="https://news.example/a/1",
            html=mutated(rng, rng.choice(pages), MARKUP, most=8).decode("utf-8", "replace"),
            feed_url="https://news.example/feed",
        )
        for i in range(120)
    ]

    def run(raw: RawStory) -> str:
        try:
            clean(raw)
        except ExtractionError as exc:
            return exc.reason
        return "ok"

    assert "ok" in _outcomes(cases, run)


def _corpus() -> list[dict[str, Any]]:
    return coverage_rows()[:30]


ODD = [None, True, 0, -1, 2**70, 1e308, "", " ", "\ud800", [], {}, [1, 2], {"a": 1}, "2026-13-45", "<p>x</p>"]


def _odd_fields(rng: random.Random, obj: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    obj = dict(obj)
    for _ in range(rng.randint(1, 4)):
        key = rng.choice(keys + list(obj))
        if rng.random() < 0.2:
            obj.pop(key, None)
        else:
            obj[key] = rng.choice(ODD)
    return obj


def test_mutated_replay_lines_are_events_or_dead_letters() -> None:
    """Every line is accounted for: an event, unchanged, or its dead letter; the run goes on."""
    rng = random.Random(SEED)
    keys = ["id", "url", "title", "text", "body_paragraphs", "html", "published", "date", "site", "guid", "authors"]
    lines = []
    for row in _corpus() * 3:
        line = json.dumps(_odd_fields(rng, row, keys)).encode("utf-8", "surrogatepass")
        lines.append(line[: rng.randint(0, len(line))] if rng.random() < 0.05 else line)
    stats = replay(
        io.BytesIO(b"\n".join(lines) + b"\n"), io.StringIO(), Settings(worker=WorkerSettings(extract_processes=0))
    )
    assert stats.inputs == len(lines)
    assert stats.inputs == stats.events + stats.unchanged + len(stats.dead_letters)
    assert stats.events and stats.dead_letters


def test_mutated_cleaned_records_are_decided_or_dead_letters() -> None:
    """Cleaned records with odd fields and damaged features (the thread stage crashes on what it
    does not classify: its state is rebuilt from the changelog): each is threaded (from its text,
    where the features do not hold) or a ``decode_error``."""
    rng = random.Random(SEED)
    articles = [
        cleaned_body(row, i, "\n\n".join(row["body_paragraphs"]), with_features=True) for i, row in enumerate(_corpus())
    ]
    proc = ThreadProcessor(WorkerSettings(), "events", "index")
    decided = dead = 0
    for offset in range(300):
        article = dict(rng.choice(articles), article_id=f"x{offset}", raw_id=f"rx{offset}")
        if rng.random() < 0.5:
            wire = dict(article["features"])
            article["features"] = _odd_fields(rng, wire, list(wire)) if rng.random() < 0.5 else _damaged(rng, wire)
        elif rng.random() < 0.6:
            article = _odd_fields(rng, article, list(article))
        value = json.dumps(article).encode("utf-8", "surrogatepass")
        try:
            (outcome,) = proc.process([Message("cleaned", 0, offset, None, value, 0)])
        except Exception as exc:
            pytest.fail(f"record {offset} (seed {SEED}) raised {type(exc).__name__}: {exc}")
        if outcome.dead is not None:
            assert outcome.dead.reason == "decode_error"
            dead += 1
        else:
            decided += 1
    assert decided and dead


def _damaged(rng: random.Random, wire: dict[str, Any]) -> dict[str, Any]:
    """The features with one value's text or list cut or altered, as a damaged record has them."""
    key = rng.choice([k for k, v in wire.items() if isinstance(v, str | list) and v] or list(wire))
    value = wire[key]
    if isinstance(value, str) and value:
        at = rng.randrange(len(value))
        wire[key] = value[:at] if rng.random() < 0.5 else value[:at] + rng.choice("A/+=x") + value[at + 1 :]
    elif isinstance(value, list) and value:
        wire[key] = value[: rng.randrange(len(value))] if rng.random() < 0.5 else [*value[:-1], rng.choice(ODD)]
    return wire


def test_a_changelog_with_damaged_records_restores_and_decides() -> None:
    """The story index's changelog with about one record in seven damaged (bytes edited, a key
    garbled, a value dropped): every restore ends, each damaged record read as its key's
    tombstone or skipped, and the restored index decides the next articles. The thread stage
    has no poison rule on restore: what raises here fails every restart and every standby (the
    two records that did, RELIABILITY D3, are rows of ``test_threader.py``)."""
    rng = random.Random(SEED)
    rows = _corpus()
    articles = [
        cleaned_body(row, i, "\n\n".join(row["body_paragraphs"]), with_features=i % 2 == 0)
        for i, row in enumerate(rows)
    ]
    log = changelog_of(ThreadProcessor(WorkerSettings(), "events", "index"), articles)
    values = [b"\x00", b"{", b"}", b"[", b"]", b'"', b"null", b"1e400", b"NaN", b"\xff", b"AAAA", b"9" * 30]
    for restore in range(15):
        damaged = [_damaged_record(rng, m, values) if m.value is not None and rng.random() < 0.15 else m for m in log]
        proc = ThreadProcessor(WorkerSettings(), "events", "index", restore=lambda d=damaged: list(d))  # type: ignore[misc]
        try:
            proc.on_assign(frozenset({TopicPartition("cleaned", 0)}))
            for j, row in enumerate(rows[:5]):
                value = json.dumps(cleaned_body(row, 1000 + j, "\n\n".join(row["body_paragraphs"]) + " Updated."))
                (outcome,) = proc.process([Message("cleaned", 0, 1000 + j, None, value.encode(), 0)])
                assert outcome.dead is None
        except Exception as exc:
            pytest.fail(f"restore {restore} (seed {SEED}) raised {type(exc).__name__}: {exc}")


def _damaged_record(rng: random.Random, record: Message, values: list[bytes]) -> Message:
    """A changelog record with its value edited, its key garbled, or its value dropped."""
    r = rng.random()
    if r < 0.6:
        return replace(record, value=mutated(rng, record.value or b"", values, most=3))
    if r < 0.8:
        return replace(record, key=mutated(rng, record.key or b"", values, most=2))
    return replace(record, value=None)
