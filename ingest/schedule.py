"""When to poll each feed next, and which entries are news: pure functions over plain data.

No I/O and no clock reads: ``now`` (epoch seconds) and the random source are arguments, so
every decision is reproducible in tests. The lead's daemon stores :class:`FeedState` as JSON
in a compacted topic keyed by feed URL.

Policy:
* the base interval follows the feed's own rhythm: the median gap between its recent entry
  timestamps divided by ``frequency_factor`` (poll a few times per typical gap), clamped to
  ``[min_interval_s, max_interval_s]``;
* publisher hints - ``<ttl>``, ``sy:updatePeriod``, ``Cache-Control: max-age`` - are lower
  bounds, but never push past ``max_interval_s`` (a week-long ttl must not silence a feed);
* Retry-After is a hard lower bound (capped only at ``max_retry_after_s`` against absurd
  values);
* failures back off exponentially from ``backoff_base_s`` up to ``max_backoff_s``; a feed is
  never disabled, and backoff never polls faster than the learned interval;
* jitter of +/-``jitter_fraction`` spreads feeds that share a host or a start time.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from ingest.feeds import FeedEntry
from newswire.settings import MAX_POLL_INTERVAL_S

STATE_VERSION: Final = 1
_MAX_AGE: Final = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    min_interval_s: float = 300.0
    max_interval_s: float = 6 * 3600.0
    default_interval_s: float = 1800.0
    frequency_factor: float = 2.0
    recent_entries: int = 20
    jitter_fraction: float = 0.1
    backoff_base_s: float = 300.0
    max_backoff_s: float = 12 * 3600.0
    max_retry_after_s: float = 24 * 3600.0
    max_seen: int = 2000


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of a feed produced, reduced to what scheduling needs."""

    ok: bool
    error_kind: str | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    entry_times: tuple[float, ...] = ()  # epoch seconds of the feed's entries
    ttl_s: float | None = None
    update_period_s: float | None = None
    max_age_s: float | None = None
    retry_after_s: float | None = None


@dataclass(slots=True)
class FeedState:
    """Everything remembered about a feed between polls (serialised with to_json)."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    seen: dict[str, str] = field(default_factory=dict)  # guid -> entry_hash, oldest first
    last_success: float | None = None
    consecutive_failures: int = 0
    last_error_kind: str | None = None
    next_poll_at: float = 0.0
    interval_s: float | None = None
    # Sitemap sources only: index child URL -> its lastmod (or "#" + body hash) when last
    # followed, and the newest entry time seen (the news horizon's reference).
    children: dict[str, str] = field(default_factory=dict)
    watermark: float | None = None
    # Entries whose page failed transiently (timeout, throttled, connection), by guid (a
    # sitemap's: article key): the polls that tried it in a row. Bounded by the entries listed.
    page_attempts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"v": STATE_VERSION, **asdict(self)}, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str | bytes) -> FeedState:
        """Decode a stored state; raise ValueError on anything malformed or of a newer version."""
        try:
            doc: Any = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"feed state is not JSON: {exc}") from None
        except RecursionError:  # nested past the parser's depth: no state of ours
            raise ValueError("feed state is JSON nested too deep") from None
        if not isinstance(doc, dict) or doc.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported feed state version {doc.get('v') if isinstance(doc, dict) else None!r}")
        seen = doc.get("seen", {})
        if not isinstance(seen, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in seen.items()):
            raise ValueError("feed state 'seen' must map guid -> hash")
        children = doc.get("children", {})
        if not isinstance(children, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in children.items()
        ):
            raise ValueError("feed state 'children' must map url -> marker")
        attempts = doc.get("page_attempts", {})
        if not isinstance(attempts, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in attempts.items()
        ):
            raise ValueError("feed state 'page_attempts' must map guid -> count")

        def opt(key: str, typ: type | tuple[type, ...]) -> Any:
            value = doc.get(key)
            if value is not None and (not isinstance(value, typ) or isinstance(value, bool)):
                raise ValueError(f"feed state field {key!r} has type {type(value).__name__}")
            return value

        return cls(
            etag=opt("etag", str),
            last_modified=opt("last_modified", str),
            body_hash=opt("body_hash", str),
            seen=dict(seen),
            last_success=_num(opt("last_success", (int, float))),
            consecutive_failures=int(opt("consecutive_failures", int) or 0),
            last_error_kind=opt("last_error_kind", str),
            next_poll_at=_num(opt("next_poll_at", (int, float))) or 0.0,
            interval_s=_num(opt("interval_s", (int, float))),
            children=dict(children),
            watermark=_num(opt("watermark", (int, float))),
            page_attempts=dict(attempts),
        )


def _num(value: int | float | None) -> float | None:
    """A stored time or interval, or None (unset) when it is none a schedule can use: NaN or
    infinite (JSON writes them as literals Python reads back), or an integer past a float. A
    feed due at infinity was never polled again, and read as healthy."""
    if value is None:
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


#: Consecutive failures from which a feed counts as backing off rather than just failing.
BACKING_OFF_AFTER = 3


def feed_health(state: FeedState | None) -> str:
    """``healthy`` | ``failing`` | ``backing_off``: one definition for metrics and status tables.
    A feed never polled yet counts as healthy (nothing has gone wrong)."""
    if state is None or state.consecutive_failures == 0:
        return "healthy"
    return "backing_off" if state.consecutive_failures >= BACKING_OFF_AFTER else "failing"


def cache_max_age(cache_control: str | None) -> float | None:
    """``max-age`` (or ``s-maxage``) seconds from a Cache-Control header, if any."""
    if not cache_control:
        return None
    # float() of the digits, not int(): 400 digits are past a float (infinity, which the
    # schedule clamps to ``max_interval``) and 5,000 past what int() converts
    ages = [float(m.group(2)) for m in _MAX_AGE.finditer(cache_control)]
    return max(ages) if ages else None


def entry_timestamps(entries: Iterable[FeedEntry]) -> tuple[float, ...]:
    """Epoch seconds of entries (published, else updated) for the adaptive interval."""
    out = []
    for e in entries:
        stamp = e.published or e.updated
        if stamp:
            try:
                out.append(datetime.fromisoformat(stamp).timestamp())
            except ValueError:
                continue
    return tuple(out)


def adaptive_interval(entry_times: Sequence[float], now: float, settings: ScheduleSettings) -> float | None:
    """Median gap between the most recent distinct entry times / factor, unclamped; None if
    fewer than two usable timestamps. Future timestamps (bad clocks) are ignored."""
    times = sorted({t for t in entry_times if t <= now + 3600})[-settings.recent_entries :]
    if len(times) < 2:
        return None
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return float(statistics.median(gaps)) / settings.frequency_factor


def _clamp(value: float, settings: ScheduleSettings) -> float:
    return min(settings.max_interval_s, max(settings.min_interval_s, value))


def base_interval(outcome: PollOutcome, previous: float | None, now: float, settings: ScheduleSettings) -> float:
    """Interval after a successful poll, before jitter and Retry-After."""
    learned = adaptive_interval(outcome.entry_times, now, settings)
    if learned is None:
        learned = previous if previous is not None else settings.default_interval_s
    interval = _clamp(learned, settings)
    hints = [h for h in (outcome.ttl_s, outcome.update_period_s, outcome.max_age_s) if h]
    if hints:
        interval = max(interval, min(max(hints), settings.max_interval_s))
    return interval


def backoff_delay(failures: int, interval: float, settings: ScheduleSettings) -> float:
    """Delay after ``failures`` consecutive failures: doubling, capped, never below interval."""
    exponent = min(max(failures - 1, 0), 62)
    return max(
        min(interval, settings.max_backoff_s),
        min(settings.max_backoff_s, settings.backoff_base_s * 2.0**exponent),
    )


def jittered(delay: float, rng: random.Random, settings: ScheduleSettings) -> float:
    j = settings.jitter_fraction
    return delay * (1.0 + rng.uniform(-j, j))


def next_poll(
    state: FeedState, outcome: PollOutcome, now: float, rng: random.Random, settings: ScheduleSettings
) -> FeedState:
    """The state after a poll, with ``next_poll_at`` set. Does not touch ``seen``."""
    if outcome.ok:
        interval = base_interval(outcome, state.interval_s, now, settings)
        delay = jittered(interval, rng, settings)
        new = replace(
            state,
            consecutive_failures=0,
            last_error_kind=None,
            last_success=now,
            interval_s=interval,
            etag=outcome.etag if outcome.etag is not None or not outcome.not_modified else state.etag,
            last_modified=(
                outcome.last_modified
                if outcome.last_modified is not None or not outcome.not_modified
                else state.last_modified
            ),
            body_hash=outcome.body_hash or state.body_hash,
        )
    else:
        failures = state.consecutive_failures + 1
        interval = state.interval_s if state.interval_s is not None else settings.default_interval_s
        delay = jittered(backoff_delay(failures, interval, settings), rng, settings)
        new = replace(state, consecutive_failures=failures, last_error_kind=outcome.error_kind or "unknown")
    if outcome.retry_after_s:
        delay = max(delay, min(outcome.retry_after_s, settings.max_retry_after_s))
    new.next_poll_at = now + delay
    return new


def new_or_changed_entries(
    state: FeedState, entries: Sequence[FeedEntry], *, max_seen: int = 2000
) -> tuple[list[FeedEntry], FeedState]:
    """Entries to emit (unseen guid, or known guid with a different entry_hash) and the state
    with ``seen`` updated. Entries present in the feed are refreshed to the newest end of the
    bounded seen-map, so only guids that left the feed are ever evicted. Only the first
    ``max_seen`` entries (feeds list the newest first) are considered: a feed longer than the
    seen-map could otherwise never remember all of its own entries and would re-emit the
    overflow on every poll."""
    seen = dict(state.seen)
    entries = entries[:max_seen]
    emit: list[FeedEntry] = []
    current: dict[str, str] = {}  # guid -> hash, in feed order; first duplicate wins
    for entry in entries:
        if entry.guid in current:
            continue
        current[entry.guid] = entry.entry_hash
        if seen.get(entry.guid) != entry.entry_hash:
            emit.append(entry)
    for guid in current:
        seen.pop(guid, None)
    for guid in reversed(current):  # feeds list newest first: keep the newest at the end
        seen[guid] = current[guid]
    overflow = len(seen) - max_seen
    if overflow > 0:
        for guid in list(seen)[:overflow]:
            del seen[guid]
    return emit, replace(state, seen=seen)


def fit_state(state: FeedState, limit: int) -> tuple[FeedState, int]:
    """``state`` as the bus can hold it (``to_json`` at most ``limit`` bytes), and how many
    remembered entries and children it forgot for that: the oldest seen entries first, then
    the children recorded first, half of what is left at a time.

    Entries stay bounded in count (``max_seen``), not in size: 1,100 guids of 9,000 quotes
    made a 20 MB record, and 20,000 sitemap children of 1,000-character URLs one of 21 MB,
    and the bus refused the poll's transaction every time. A forgotten entry still listed is
    emitted again (its raw id, and so its event id, are the same: consumers drop the
    repeat); a forgotten child is fetched again, within the poll's child budget."""
    size = len(state.to_json().encode())
    forgotten = 0
    while size > limit and (state.seen or state.children):
        if state.seen:
            drop = max(1, len(state.seen) // 2)
            state = replace(state, seen=dict(list(state.seen.items())[drop:]))
        else:
            drop = max(1, len(state.children) // 2)
            state = replace(state, children=dict(list(state.children.items())[drop:]))
        forgotten += drop
        size = len(state.to_json().encode())
    return state, forgotten


#: the furthest a restored state may put its next poll: the longest interval, back-off or
#: Retry-After the settings allow, jittered up (``next_poll``)
_DEFAULTS: Final = ScheduleSettings()
MAX_WAIT_S: Final = max(MAX_POLL_INTERVAL_S, _DEFAULTS.max_retry_after_s) * (1 + _DEFAULTS.jitter_fraction)


def within_schedule(state: FeedState, now: float) -> FeedState:
    """A restored state whose times a poller can act on: its next poll within ``MAX_WAIT_S``
    and its sitemap watermark not after ``now``. A state written as 1e300 (a clock gone wrong,
    a hand-edited record) made a feed never due again, or every sitemap entry old."""
    due = min(state.next_poll_at, now + MAX_WAIT_S)
    mark = state.watermark if state.watermark is None or state.watermark <= now else now
    if due == state.next_poll_at and mark == state.watermark:
        return state
    return replace(state, next_poll_at=due, watermark=mark)
