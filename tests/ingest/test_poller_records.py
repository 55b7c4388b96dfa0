"""Records the bus cannot hold: a page, a feed's text or a feed's state that outgrows the
record size limit (``kafka.max_message_bytes``) although every fetch stayed within its cap.
On the real broker such a record failed the poll's transaction (``MessageSizeTooLargeError``)
and the poller exited, and again on every restart; now it is cut to fit, counted and logged,
and the poll commits. Both backends hold records to the same limit."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from ingest.feedlist import FeedConfig
from ingest.feeds import FeedEntry
from ingest.poller import RecordTooLarge, fit_record
from ingest.schedule import FeedState, fit_state
from newswire.records import RawStory
from newswire.settings import Settings, load_settings
from tests.support.http import TestServer
from tests.support.pollers import LOCAL_POLLER, poll_all, poller_on, raws

MiB = 1024 * 1024
LIMIT = MiB  # the smallest record limit the settings allow: hostile records stay small


def _cut(kind: str) -> float:
    return REGISTRY.get_sample_value("newswire_records_cut_total", {"cut": kind}) or 0.0


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def small_records(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings whose topics and producers take records of 1 MiB, on either backend."""
    common: dict[str, Any] = {
        "topics": {"prefix": f"t{uuid.uuid4().hex[:8]}.", "raw_partitions": 1, "feed_partitions": 1},
        "metrics": {"enabled": False},
        "shutdown_timeout_s": 1.0,
        "poller": {**LOCAL_POLLER, "connect_timeout_s": 2.0, "read_timeout_s": 2.0},
    }
    if request.param == "embedded":
        embedded = {"path": str(tmp_path / "bus.db")}
        # (the embedded bus takes any size: the poller holds records to the Kafka limit alike)
        return load_settings(backend="embedded", embedded=embedded, kafka={"max_message_bytes": LIMIT}, **common)
    bootstrap = request.getfixturevalue("kafka_bootstrap")
    kafka = {"bootstrap_servers": bootstrap, "connect_timeout_s": 30, "max_message_bytes": LIMIT}
    return load_settings(backend="kafka", kafka=kafka, **common)


def test_records_over_the_limit_are_cut_and_the_poll_commits(http_server: TestServer, small_records: Settings) -> None:
    control = "<p>" + "\x01" * (300 * 1024) + "</p>"  # 300 KiB of page, 1.8 MB as JSON
    hostile = http_server.static(
        "/hostile", f"<html><body>{control}</body></html>".encode(), headers={"Content-Type": "text/html"}
    )
    good = http_server.static(
        "/good", b"<html><body><p>An ordinary story.</p></body></html>", headers={"Content-Type": "text/html"}
    )
    quotes = "&quot;" * (400 * 1024)  # a 400 KiB summary of quotes: 2.4 MB as the fallback page
    items = (
        f"<item><guid>page</guid><title>Page</title><link>{hostile}</link>"
        "<description>The feed's text.</description></item>"
        f"<item><guid>summary</guid><title>Summary</title><description>{quotes}</description></item>"
        f"<item><guid>good</guid><title>Good</title><link>{good}</link><description>x</description></item>"
    )
    feed = http_server.static(
        "/feed",
        f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    long_guids = "".join(f"<item><guid>{i}-{'&quot;' * 4000}</guid><title>t{i}</title></item>" for i in range(150))
    crowded = http_server.static(
        "/crowded",
        f'<rss version="2.0"><channel><title>c</title>{long_guids}</channel></rss>'.encode(),
        headers={"Content-Type": "application/rss+xml"},
    )
    before = {k: _cut(k) for k in ("page", "fields", "state")}
    with poller_on(small_records, [FeedConfig(url=feed), FeedConfig(url=crowded)], f"tx-{uuid.uuid4().hex[:6]}") as p:
        poll_all(p, timeout_s=60.0)
        got = raws(p)
        states = dict(p.states)
    by_guid = {r.guid: r for r in got}
    assert by_guid["page"].extra.get("page_error") == "too_large"
    assert "The feed&#x27;s text." in by_guid["page"].html or "The feed's text." in by_guid["page"].html
    assert by_guid["summary"].extra.get("page_error") == "too_large"
    assert 0 < len(by_guid["summary"].summary) < 400 * 1024
    assert "An ordinary story." in by_guid["good"].html and not by_guid["good"].extra
    assert all(len(r.encode()) <= small_records.max_record_bytes < LIMIT for r in got)
    assert sum(1 for r in got if r.feed_url == crowded) == 150  # every entry emitted once
    state = states[crowded]
    assert 0 < len(state.seen) < 150  # the oldest forgotten to fit
    assert len(state.to_json().encode()) <= small_records.max_record_bytes
    assert _cut("page") - before["page"] == 1
    assert _cut("fields") - before["fields"] == 1
    assert _cut("state") - before["state"] >= 1


def _entry(**kw: object) -> FeedEntry:
    fields: dict[str, object] = {
        "guid": "g",
        "url": "https://ex.com/a",
        "title": "T",
        "summary": "S",
        "published": None,
        "updated": None,
        "authors": (),
        "entry_hash": "h",
    }
    return FeedEntry(**{**fields, **kw})  # type: ignore[arg-type]


def _raw(entry: FeedEntry, html: str) -> RawStory:
    return RawStory(
        id="r",
        url="https://ex.com/a",
        html=html,
        guid=entry.guid,
        title=entry.title,
        summary=entry.summary,
        authors=entry.authors,
    )


def test_fit_record_steps() -> None:
    entry = _entry()
    small = _raw(entry, "<p>ok</p>")
    assert fit_record(small, entry, 10_000) == (small, "")
    big_page = _raw(entry, "<p>" + "\x01" * 5000 + "</p>")
    fitted, cut = fit_record(big_page, entry, 10_000)
    assert cut == "page" and fitted is not None
    assert fitted.extra["page_error"] == "too_large" and "\x01" not in fitted.html and fitted.id != "r"
    wordy = _entry(summary='"' * 300_000)
    fitted, cut = fit_record(_raw(wordy, "<p>x</p>"), wordy, 600_000)
    assert cut == "fields" and fitted is not None and len(fitted.encode()) <= 600_000
    huge_guid = _entry(guid='"' * 400_000)
    assert fit_record(_raw(huge_guid, "<p>x</p>"), huge_guid, 600_000) == (None, "dropped")
    assert issubclass(RecordTooLarge, Exception)


def test_fit_state_forgets_the_oldest_first() -> None:
    state = FeedState(seen={f"{i}-{'x' * 1000}": "h" for i in range(100)})
    fitted, forgotten = fit_state(state, 50_000)
    assert len(fitted.to_json().encode()) <= 50_000 and forgotten == 100 - len(fitted.seen)
    assert list(fitted.seen) == list(state.seen)[forgotten:]  # the newest kept
    assert fit_state(state, 10 * MiB) == (state, 0)
    children = FeedState(children={f"https://ex.com/{i}-{'c' * 1000}": "m" for i in range(100)})
    fitted, forgotten = fit_state(children, 50_000)
    assert 0 < len(fitted.children) < 100 and len(fitted.to_json().encode()) <= 50_000
