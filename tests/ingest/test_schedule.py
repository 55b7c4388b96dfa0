"""Scheduling and dedupe decisions: pure functions, no I/O, seeded randomness."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

import pytest

from ingest.feeds import FeedEntry
from ingest.schedule import (
    MAX_WAIT_S,
    FeedState,
    PollOutcome,
    ScheduleSettings,
    adaptive_interval,
    backoff_delay,
    base_interval,
    cache_max_age,
    entry_timestamps,
    new_or_changed_entries,
    next_poll,
    within_schedule,
)
from newswire.settings import MAX_POLL_INTERVAL_S

NOW = 1_700_000_000.0
S = ScheduleSettings(
    min_interval_s=300,
    max_interval_s=21600,
    default_interval_s=1800,
    frequency_factor=2,
    jitter_fraction=0.0,
    backoff_base_s=300,
    max_backoff_s=43200,
)


def _kw(name: str, value: float) -> dict[str, Any]:
    return {name: value}


def rng() -> random.Random:
    return random.Random(42)


def every(gap: float, n: int = 10) -> tuple[float, ...]:
    return tuple(NOW - i * gap for i in range(n))


def test_adaptive_interval_median_gap_over_factor() -> None:
    assert adaptive_interval(every(3600), NOW, S) == 1800
    assert adaptive_interval((NOW,), NOW, S) is None
    assert adaptive_interval((NOW + 86400 * 30, NOW, NOW - 1000), NOW, S) == 500  # future stamp ignored


@pytest.mark.parametrize(
    ("gap", "expected"),
    [(60, 300), (3600, 1800), (7 * 86400, 21600)],  # clamps to [min, max]
)
def test_success_interval_clamped(gap: float, expected: float) -> None:
    state = next_poll(FeedState(), PollOutcome(ok=True, entry_times=every(gap)), NOW, rng(), S)
    assert state.interval_s == expected and state.next_poll_at == NOW + expected


def test_no_timestamps_keeps_previous_or_default() -> None:
    assert next_poll(FeedState(), PollOutcome(ok=True), NOW, rng(), S).interval_s == 1800
    assert next_poll(FeedState(interval_s=900), PollOutcome(ok=True), NOW, rng(), S).interval_s == 900


@pytest.mark.parametrize("hint", ["ttl_s", "update_period_s", "max_age_s"])
def test_publisher_hints_are_lower_bounds_capped_at_max(hint: str) -> None:
    fast = every(600)  # learned interval would be 300
    base = PollOutcome(ok=True, entry_times=fast)
    s = next_poll(FeedState(), dataclasses.replace(base, **_kw(hint, 3600.0)), NOW, rng(), S)
    assert s.interval_s == 3600
    s = next_poll(FeedState(), dataclasses.replace(base, **_kw(hint, 7 * 86400.0)), NOW, rng(), S)
    assert s.interval_s == S.max_interval_s


def test_retry_after_is_a_hard_lower_bound() -> None:
    s = next_poll(FeedState(), PollOutcome(ok=False, error_kind="throttled", retry_after_s=86000), NOW, rng(), S)
    assert s.next_poll_at == NOW + 86000 and s.last_error_kind == "throttled"
    s = next_poll(FeedState(), PollOutcome(ok=False, retry_after_s=10 * 86400), NOW, rng(), S)
    assert s.next_poll_at == NOW + S.max_retry_after_s


def test_failures_back_off_exponentially_capped_never_disabled() -> None:
    state = FeedState(interval_s=300)
    delays = []
    for _ in range(20):
        state = next_poll(state, PollOutcome(ok=False, error_kind="timeout"), NOW, rng(), S)
        delays.append(state.next_poll_at - NOW)
    assert delays[:4] == [300, 600, 1200, 2400]
    assert max(delays) == S.max_backoff_s and delays[-1] == S.max_backoff_s
    assert state.consecutive_failures == 20 and state.interval_s == 300
    ok = next_poll(state, PollOutcome(ok=True), NOW, rng(), S)
    assert ok.consecutive_failures == 0 and ok.last_error_kind is None and ok.last_success == NOW
    assert backoff_delay(1, 7200, S) == 7200  # backoff never polls faster than usual


def test_jitter_bounded_and_seeded() -> None:
    s = ScheduleSettings(jitter_fraction=0.1)
    r = random.Random(1)
    delays = [next_poll(FeedState(), PollOutcome(ok=True), NOW, r, s).next_poll_at - NOW for _ in range(500)]
    assert all(1620 <= d <= 1980 for d in delays)
    assert max(delays) - min(delays) > 200  # actually spreads
    again = random.Random(1)
    assert next_poll(FeedState(), PollOutcome(ok=True), NOW, again, s).next_poll_at - NOW == delays[0]


def test_validators_updated_and_kept_on_304() -> None:
    s = next_poll(FeedState(), PollOutcome(ok=True, etag='"a"', last_modified="lm", body_hash="h"), NOW, rng(), S)
    assert (s.etag, s.last_modified, s.body_hash) == ('"a"', "lm", "h")
    s = next_poll(s, PollOutcome(ok=True, not_modified=True), NOW, rng(), S)
    assert (s.etag, s.last_modified, s.body_hash) == ('"a"', "lm", "h")
    s = next_poll(s, PollOutcome(ok=True, body_hash="h2"), NOW, rng(), S)  # validators dropped by server
    assert (s.etag, s.last_modified, s.body_hash) == (None, None, "h2")


def test_cache_max_age() -> None:
    assert cache_max_age("public, max-age=600") == 600
    assert cache_max_age("s-maxage=60, max-age=30") == 60
    assert cache_max_age("no-cache") is None and cache_max_age(None) is None


def test_an_absurd_cache_max_age_is_a_long_hint_not_a_failed_poll() -> None:
    """400 digits overflowed a float and 5,000 passed what int() converts: both failed every
    poll of the feed as one of our bugs. They read as infinity, clamped like any long hint."""
    for digits in (400, 5000):
        assert cache_max_age("max-age=" + "9" * digits) == math.inf
    hinted = PollOutcome(ok=True, max_age_s=cache_max_age("max-age=" + "9" * 5000))
    assert base_interval(hinted, None, NOW, S) == S.max_interval_s


def entry(guid: str, h: str, published: str | None = None) -> FeedEntry:
    return FeedEntry(guid, None, guid, "", published, None, (), h)


def test_entry_timestamps() -> None:
    times = entry_timestamps([entry("a", "1", "2024-05-01T12:00:00Z"), entry("b", "2"), entry("c", "3", "bad")])
    assert times == (1714564800.0,)


def test_new_or_changed_entries() -> None:
    emitted, state = new_or_changed_entries(FeedState(), [entry("b", "1"), entry("a", "1")])
    assert [e.guid for e in emitted] == ["b", "a"]
    emitted, state = new_or_changed_entries(state, [entry("c", "1"), entry("b", "2"), entry("a", "1")])
    assert [(e.guid, e.entry_hash) for e in emitted] == [("c", "1"), ("b", "2")]
    emitted, state = new_or_changed_entries(state, [entry("c", "1"), entry("b", "2"), entry("a", "1")])
    assert emitted == []
    emitted, _ = new_or_changed_entries(state, [entry("d", "1"), entry("d", "2")])
    assert [(e.guid, e.entry_hash) for e in emitted] == [("d", "1")]  # duplicate guid: first wins


def test_seen_set_bounded_keeps_entries_still_in_feed() -> None:
    state = FeedState()
    feed = [entry(f"old{i}", "h") for i in range(5)]
    _, state = new_or_changed_entries(state, feed, max_seen=10)
    for i in range(30):  # a stream of new items while old0..old4 stay in the feed
        _, state = new_or_changed_entries(state, [entry(f"new{i}", "h"), *feed], max_seen=10)
        assert len(state.seen) <= 10
    emitted, state = new_or_changed_entries(state, feed, max_seen=10)
    assert emitted == []
    assert list(state.seen)[-1] == "old0"  # the feed's newest at the newest end


def test_state_json_roundtrip_and_validation() -> None:
    state = FeedState(
        etag='"e"',
        last_modified="lm",
        body_hash="h",
        seen={"g1": "a", "g2": "b"},
        last_success=NOW,
        consecutive_failures=2,
        last_error_kind="timeout",
        next_poll_at=NOW + 60,
        interval_s=900.0,
    )
    assert FeedState.from_json(state.to_json()) == state
    assert FeedState.from_json(state.to_json().encode()) == state
    assert list(FeedState.from_json(state.to_json()).seen) == ["g1", "g2"]  # order kept
    for bad in [
        "nope",
        "[]",
        '{"v": 99}',
        '{"v": 1, "seen": []}',
        '{"v": 1, "etag": 5}',
        '{"v":1,"interval_s":true}',
    ]:
        with pytest.raises(ValueError):
            FeedState.from_json(bad)


def test_feed_health_classes() -> None:
    from ingest.schedule import BACKING_OFF_AFTER, feed_health

    assert feed_health(None) == "healthy"
    assert feed_health(FeedState()) == "healthy"
    assert feed_health(FeedState(consecutive_failures=1)) == "failing"
    assert feed_health(FeedState(consecutive_failures=BACKING_OFF_AFTER)) == "backing_off"


def test_a_stored_state_with_unusable_times_is_read_with_them_unset() -> None:
    """A 401-digit next poll time raised OverflowError (the poller crashed on restore, every
    restart); NaN or infinity made a feed never due again. Such times read as unset."""
    huge = (
        '{"v": 1, "next_poll_at": ' + "1" * 401 + ', "last_success": NaN, "interval_s": Infinity, "seen": {"g": "h"}}'
    )
    state = FeedState.from_json(huge)
    assert (state.next_poll_at, state.last_success, state.interval_s) == (0.0, None, None)
    assert state.seen == {"g": "h"}  # what it remembers is kept


def test_within_schedule_holds_a_restored_state_to_the_clock() -> None:
    """A next poll in 1e300, or a sitemap watermark past now, made a feed never due again or
    every sitemap entry old."""
    far = FeedState(next_poll_at=1e300, watermark=1e300)
    held = within_schedule(far, NOW)
    assert held.next_poll_at == NOW + MAX_WAIT_S and held.watermark == NOW
    usual = FeedState(next_poll_at=NOW + 600, watermark=NOW - 60)
    assert within_schedule(usual, NOW) is usual


def test_within_schedule_keeps_the_longest_wait_the_settings_allow() -> None:
    """The furthest a restored next poll may be is derived from the settings' bound on intervals
    (a month), jittered up: a feed polled monthly, or backing off a month, keeps its time."""
    month = MAX_POLL_INTERVAL_S
    settings = ScheduleSettings(min_interval_s=month, max_interval_s=month, max_backoff_s=month)
    longest = 0.0
    for seed in range(200):
        for ok in (True, False):
            outcome = PollOutcome(ok=ok, error_kind=None if ok else "http_5xx")
            state = next_poll(FeedState(interval_s=month), outcome, NOW, random.Random(seed), settings)
            assert within_schedule(state, NOW) is state
            longest = max(longest, state.next_poll_at - NOW)
    assert longest > 1.09 * month  # the jitter did reach up
