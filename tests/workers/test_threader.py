"""The thread stage's processor around the decision: changelog restore and input validation."""

from __future__ import annotations

import json
from typing import Any

from newswire.bus import Message, TopicPartition
from newswire.settings import WorkerSettings
from tests.support.workers import changelog_of
from workers.text import content_hash
from workers.threader import ThreadProcessor

TEXT = (
    "The ministry said on Tuesday that the new bridge over the river will open in March, "
    "two years later than planned, after a review of the contractor's costs and schedule."
)


def _article(i: int, **over: Any) -> dict[str, Any]:
    text = f"{TEXT} Item {i}."
    return {
        "article_id": f"a{i}",
        "raw_id": f"r{i}",
        "url": f"https://wire.example/{i}",
        "canonical_url": f"https://wire.example/{i}",
        "site": "wire.example",
        "title": f"Bridge {i}",
        "text": text,
        "authors": [],
        "published": "2025-01-24T10:00:00+00:00",
        "language": "en",
        "guid": f"g{i}",
        "feed_url": "https://wire.example/feed",
        "content_hash": content_hash(text),
        **over,
    }


def _msg(offset: int, value: bytes | None, key: bytes | None = None, topic: str = "cleaned") -> Message:
    return Message(topic, 0, offset, key, value, 0)


def test_restore_skips_changelog_keys_it_does_not_know() -> None:
    first = ThreadProcessor(WorkerSettings(), "events", "index")
    log = changelog_of(first, [_article(1)])
    assert log
    foreign = [_msg(100, b"{}", b"embedding/a1", "index"), _msg(101, b"x", b"\xff\xfe", "index")]
    second = ThreadProcessor(WorkerSettings(), "events", "index", restore=lambda: [*log, *foreign])
    second.on_assign(frozenset({TopicPartition("cleaned", 0)}))
    assert not second.restoring
    assert second.index.stats() == first.index.stats()
    assert set(second.boilerplate) == set(first.boilerplate)
    # It decides as its predecessor would: the re-delivery is recognised as unchanged.
    [outcome] = second.process([_msg(5, json.dumps(_article(1)).encode())])
    assert not [o for o in outcome.outputs if o.topic == "events"]


def test_records_lacking_event_fields_are_dead_lettered_not_a_crash() -> None:
    proc = ThreadProcessor(WorkerSettings(), "events", "index")
    broken = {k: v for k, v in _article(2).items() if k != "language"}
    bad_text = _article(3, text=["not", "a", "string"])
    outcomes = proc.process(
        [
            _msg(0, json.dumps(broken).encode()),
            _msg(1, json.dumps(bad_text).encode()),
            _msg(2, json.dumps(_article(4)).encode()),
        ]
    )
    assert [o.dead is not None for o in outcomes] == [True, True, False]
    assert [o.topic for o in outcomes[2].outputs if o.topic == "events"] == ["events"]
    assert proc.index.stats()["articles"] == 1  # nothing of the dead ones reached the index


def test_restored_worker_resumes_event_time_and_keeps_expiring() -> None:
    first = ThreadProcessor(WorkerSettings(thread_window_days=1), "events", "index", expire_every=1000)
    changelog = changelog_of(
        first, [_article(1, published="2025-01-01T10:00:00+00:00"), _article(2, published="2025-01-05T10:00:00+00:00")]
    )
    successor = ThreadProcessor(WorkerSettings(thread_window_days=1), "events", "index", expire_every=1)
    successor.restore_from(changelog)
    assert successor.watermark == first.watermark is not None
    # The next batch expires what is older than the window, as the predecessor would have.
    outcomes = successor.process([_msg(9, json.dumps(_article(3, published="2025-01-05T11:00:00+00:00")).encode())])
    tombstones = [o.key for o in outcomes[0].outputs if o.topic == "index" and o.value is None]
    assert b"article/a1" in tombstones and b"article/a2" not in tombstones


def test_a_record_dated_after_its_fetch_does_not_move_event_time_nor_expire_the_window() -> None:
    """Expiry follows the newest event time: one record claiming 2099 (a page's lie, or a clock
    gone wrong) would tombstone every live story. A time more than a day after the record's
    fetch is no event time: the record is threaded as undated, the window stays."""
    proc = ThreadProcessor(WorkerSettings(thread_window_days=1), "events", "index", expire_every=1)
    fetched = "2025-01-24T12:00:00Z"
    proc.process([_msg(0, json.dumps(_article(1, fetched_at=fetched)).encode())])
    watermark = proc.watermark
    liar = _article(2, published="2099-01-01T00:00:00Z", fetched_at=fetched)
    outcomes = proc.process([_msg(1, json.dumps(liar).encode())])
    assert proc.watermark == watermark is not None
    assert not [o for o in outcomes[0].outputs if o.topic == "index" and o.value is None]  # no tombstone
    assert proc.index.stats()["articles"] == 2
    # a day's tolerance for time zones and clocks: later the same evening is believed
    evening = _article(3, published="2025-01-25T11:00:00Z", fetched_at=fetched)
    proc.process([_msg(2, json.dumps(evening).encode())])
    assert proc.watermark is not None and proc.watermark.isoformat() == "2025-01-25T11:00:00+00:00"


def test_site_boilerplate_learned_from_the_stream_leaves_event_text() -> None:
    proc = ThreadProcessor(WorkerSettings(boilerplate_min_pages=2), "events", "index")
    promo = "Licensing enquiries via our sales desk"
    bodies = [f"Story {i}: " + TEXT.replace("bridge", ("tunnel", "road", "port")[i]) for i in range(3)]
    texts: list[str] = []
    for i, body in enumerate(bodies):
        text = f"{body}\n{promo}"
        article = _article(10 + i, text=text, content_hash=content_hash(text), title=f"Item {i}")
        [outcome] = proc.process([_msg(i, json.dumps(article).encode())])
        [event] = [json.loads(o.value or b"") for o in outcome.outputs if o.topic == "events"]
        texts.append(event["text"])
    # the first page alone cannot tell a promo from content; from the second distinct page on it can
    assert promo in texts[0]
    assert all(promo not in t and t.startswith("Story") for t in texts[1:])


def test_an_unreadable_changelog_record_is_read_as_a_tombstone_not_a_crash_loop() -> None:
    """One damaged record under a known key (not JSON, a field missing, a newer record version,
    bad base64; JSON nested past the parser's depth, a count of 1e400: both found by a mutation
    fuzz) failed every restore: the decider and every warm standby crashed on it, again on each
    restart. It is read as its key's tombstone, with a warning; the rest is restored."""
    first = ThreadProcessor(WorkerSettings(), "events", "index")
    log = changelog_of(first, [_article(1), _article(2, text="A different story about the harbour. " * 12)])
    by_key = {m.key: m for m in log if m.key is not None}
    a1 = b"article/a1"
    stored = json.loads(by_key[a1].value or b"{}")
    damaged = [
        _msg(100, b"{not json", a1, "index"),
        _msg(101, json.dumps({"v": 99}).encode(), b"story/s-future", "index"),
        _msg(102, json.dumps({**stored, "seq": "!!!!"}).encode(), a1, "index"),
        _msg(103, b"[]", b"bp/wire.example", "index"),
        _msg(104, b"[" * 100_000 + b"]" * 100_000, a1, "index"),
        _msg(105, b'{"version": 1, "site": "wire.example", "pages_seen": 1e400}', b"bp/wire.example", "index"),
    ]
    for bad in damaged:
        second = ThreadProcessor(WorkerSettings(), "events", "index", restore=lambda bad=bad: [*log, bad])  # type: ignore[misc]
        second.on_assign(frozenset({TopicPartition("cleaned", 0)}))
        assert not second.restoring
        if bad.key == a1:  # the article whose record is damaged is gone; the other is kept
            assert second.index.stats()["articles"] == first.index.stats()["articles"] - 1
    # a standby following the changelog applies the same records without raising
    standby = ThreadProcessor(WorkerSettings(), "events", "index")
    assert standby.apply_changelog([*log, *damaged]) == len(log) + len(damaged)


def test_a_record_without_a_fetch_time_dated_after_it_was_written_does_not_expire_the_window() -> None:
    """A backfill line has no fetch time: its page's 2099 was believed, and the next expiry
    tombstoned every live story (a copy then came out as a new story). The time the record
    was written (its Kafka timestamp) bounds its date as a fetch time does."""
    proc = ThreadProcessor(WorkerSettings(thread_window_days=1), "events", "index", expire_every=1)
    written = 1_737_720_000_000  # 2025-01-24T12:00:00Z
    first = Message("cleaned", 0, 0, None, json.dumps(_article(1)).encode(), written)
    proc.process([first])
    watermark = proc.watermark
    liar = Message("cleaned", 0, 1, None, json.dumps(_article(2, published="2099-01-01T00:00:00Z")).encode(), written)
    outcomes = proc.process([liar])
    assert proc.watermark == watermark is not None
    assert not [o for o in outcomes[0].outputs if o.topic == "index" and o.value is None]  # no tombstone
    assert proc.index.stats()["articles"] == 2


def test_hostile_cleaned_records_are_dead_letters_or_events_never_a_crash() -> None:
    """A lone surrogate escaped in any string (legal JSON, no encodable text) raised
    UnicodeEncodeError at a key, the event or the changelog: retried, quarantined as poison,
    and four in a row crashed the stage. A headline of 70,000 distinct words did not fit the
    stored form (the same crash). The first is a ``decode_error``; the second an event."""
    proc = ThreadProcessor(WorkerSettings(), "events", "index")
    lone = json.dumps(_article(1, title="Bridge \ud800 opens")).encode()
    assert b"\\ud800" in lone
    words = " ".join(f"w{i}x" for i in range(70_000))
    long_title = json.dumps(_article(2, title=words)).encode()
    surrogate, headline = proc.process([_msg(0, lone), _msg(1, long_title)])
    assert surrogate.dead is not None and surrogate.dead.reason == "decode_error" and "surrogate" in str(surrogate.dead)
    assert headline.dead is None and [o for o in headline.outputs if o.topic == "events"]


def _events(proc: ThreadProcessor, offset: int, article: dict[str, Any]) -> list[dict[str, Any]]:
    """The events one cleaned record makes, decided alone at ``offset``."""
    [outcome] = proc.process([_msg(offset, json.dumps(article).encode())])
    return [json.loads(o.value or b"") for o in outcome.outputs if o.topic == "events"]


def test_a_page_delivered_again_after_its_sites_furniture_was_learned_is_unchanged() -> None:
    # Two sightings of one page (a feed and a sitemap of different replicas, a feed entry
    # polled again with its state lost, or an entry whose page was revised before it was
    # fetched and the revision's entry after it) may be decided with site furniture learned in
    # between: the page as delivered decides, not as filtered, or the second is a revision
    # whose text is the first's.
    chrome = "Follow Wire Example on social media for more."

    def page(i: int, raw_id: str) -> dict[str, Any]:
        text = "\n".join(
            [f"Story {i}: the bridge over river {i} opens {i} days late, its cost up {i} million.", chrome, TEXT]
        )
        return _article(i, raw_id=raw_id, text=text, content_hash=content_hash(text))

    proc = ThreadProcessor(WorkerSettings(boilerplate_min_pages=3), "events", "index")
    assert [e["type"] for e in _events(proc, 0, page(1, "first"))] == ["story.created"]
    created = [_events(proc, i, page(i, f"r{i}")) for i in (2, 3, 4)]
    assert chrome not in created[-1][0]["text"]  # furniture by now: filtered out
    assert _events(proc, 5, page(1, "second")) == []  # the same page: unchanged, no second event
    revised = page(1, "third")
    revised["text"] = revised["text"].replace("opens 1 days late", "opened on Monday")
    revised["content_hash"] = content_hash(revised["text"])
    assert [(e["type"], e["update_kind"]) for e in _events(proc, 6, revised)] == [("story.updated", "revision")]


def test_an_old_page_seen_again_after_an_expiry_sweep_starts_no_second_story() -> None:
    # A back-catalogue page (a month older than the stream) is decided, the sweep runs, and the
    # page comes again (its feed and a sitemap of another replica): one story.created only.
    proc = ThreadProcessor(WorkerSettings(), "events", "index", expire_every=1)

    def types(offset: int, article: dict[str, Any]) -> list[str]:
        return [e["type"] for e in _events(proc, offset, article)]

    old = {"published": "2024-12-20T10:00:00+00:00"}
    assert types(0, _article(1, published="2025-01-24T10:00:00+00:00")) == ["story.created"]
    assert types(1, _article(2, raw_id="feed", **old)) == ["story.created"]
    assert types(2, _article(3, published="2025-01-24T11:00:00+00:00")) == ["story.created"]
    assert types(3, _article(2, raw_id="sitemap", **old)) == []
