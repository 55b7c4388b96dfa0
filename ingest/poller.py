"""The feed poller daemon: owned feeds -> HTTP -> raw stories on the raw topic.

Ownership uses Kafka's group membership, not a home-made coordinator: every poller replica
joins one consumer group on the compacted ``poller-state`` topic, whose partitions are the
units of ownership. A feed belongs to partition ``partition_for(feed_url)``; the replica that
holds a partition polls its feeds and keeps their state there. When a replica dies, the group
rebalances and the survivor restores those feeds' state (validators, seen entries, schedule)
from the compacted topic and carries on: no feed polled twice, none orphaned, nothing re-emitted.

Each poll's raw records and its new feed state are written in one transaction, so a crash
between them cannot re-emit entries or lose them.

The hand-over of a partition is where an entry could be emitted twice (the chaos suite caught
one, across a broker crash), so it follows the decider's discipline (``workers/threader.py``):

- **One transactional id per state partition** (``<prefix>-<state topic>-<partition>``), its
  producer opened when the partition is assigned and *before* its state is read. Opening it
  (Kafka: ``init_transactions``) settles every transaction an earlier holder left under that
  id: one whose commit was decided is completed, markers written, before it returns; the rest
  are aborted; and the epoch bump fences the earlier holder for good, so a deposed poller cut
  off by an outage cannot commit a poll after its successor read the state (a pod-named id
  left that to nothing: the poller commits no group offsets, so no generation check applies).
  Only then is the state read, to the last stable offset, which now lies past everything an
  earlier holder committed: no predecessor's emission is missing from the restored seen set.
- **A commit whose outcome is unknown** (the broker went away) re-opens the partition the same
  way: a new producer under the id settles the transaction, and the feeds' state is read again,
  so a poll that did land is not polled as new once more.
- **A fenced poller** has lost the partition to a new holder: it drops the poll and rejoins the
  group. A poll started before its partition was handed over (even if it came back) is dropped
  too: it was computed from a state that may not be the partition's any more.
"""

from __future__ import annotations

import contextlib
import html
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from ingest.claims import ArticleClaims
from ingest.feedlist import FeedConfig
from ingest.feeds import FeedEntry, FeedParseError
from ingest.fetch import (
    Fetcher,
    FetchError,
    FetchResult,
    FetchSettings,
    HTTPStatusError,
    ThrottledError,
    Validators,
)
from ingest.parse_pool import FeedParserPool
from ingest.politeness import HostBusyError, Politeness, PolitenessSettings
from ingest.robots import RobotsCache
from ingest.schedule import (
    FeedState,
    PollOutcome,
    ScheduleSettings,
    cache_max_age,
    entry_timestamps,
    feed_health,
    fit_state,
    new_or_changed_entries,
    next_poll,
    within_schedule,
)
from ingest.urls import article_link, normalize_url
from newswire import metrics as m
from newswire import tracing
from newswire.bus import BrokerUnreachable, Bus, BusError, Consumer, Fenced, Producer, TopicPartition, partition_for
from newswire.records import RawStory, stable_id
from newswire.runtime import StopFlag
from newswire.settings import Settings
from newswire.timestamps import utc_now

log = logging.getLogger(__name__)

# Page errors worth retrying on the next poll (the entry is not marked seen); others are final.
SUMMARY_EVERY_S = 60.0
TRANSIENT = frozenset({"timeout", "throttled", "connection"})
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([a-zA-Z0-9_-]+)""", re.IGNORECASE)


def schedule_settings(settings: Settings, feed: FeedConfig | None = None) -> ScheduleSettings:
    p = settings.poller
    lo = feed.min_interval_s if feed and feed.min_interval_s else p.min_interval_s
    hi = feed.max_interval_s if feed and feed.max_interval_s else p.max_interval_s
    return ScheduleSettings(
        min_interval_s=lo,
        max_interval_s=max(lo, hi),
        default_interval_s=min(max(lo, 900.0), max(lo, hi)),
        max_backoff_s=p.max_backoff_s,
    )


def fetch_settings(settings: Settings) -> FetchSettings:
    p = settings.poller
    return FetchSettings(
        user_agent=p.user_agent,
        connect_timeout_s=p.connect_timeout_s,
        read_timeout_s=p.read_timeout_s,
        total_timeout_s=p.total_timeout_s,
        max_bytes=p.max_feed_bytes,
        max_redirects=p.max_redirects,
        allow_private_network=p.allow_private_network,
        max_connections=max(8, p.concurrency * 2),
    )


def decode_html(body: bytes, content_type: str) -> str:
    """Bytes -> text by the header's charset, else the page's meta charset, else UTF-8."""
    charset = None
    lowered = content_type.lower()
    if "charset=" in lowered:
        charset = lowered.split("charset=", 1)[1].split(";", maxsplit=1)[0].strip().strip("\"'") or None
    if charset is None:
        found = _CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except (LookupError, UnicodeError):
        # Unknown names, and codecs that are not text encodings or refuse errors="replace"
        # (a page saying charset=idna or punycode): the page's word is not worth a crash.
        return body.decode("utf-8", errors="replace")


def entry_link(entry: FeedEntry, feed_url: str) -> str:
    """The entry's page as the feed gave it (resolved against the feed, http(s) only): its link,
    else its guid when that is an absolute URL (RSS ``isPermaLink``); ``""`` when it has none."""
    return article_link(entry.url, feed_url) or article_link(entry.guid, "")


def article_key(feed_url: str, entry: FeedEntry) -> tuple[str, str]:
    """(article URL, article key). The URL is the page as the feed gave it, fetched and published
    as given (or a URN of the source and guid for an entry without a usable link); the key is of
    its normalised form, so a feed and a sitemap listing one article agree on it."""
    link = entry_link(entry, feed_url)
    try:
        normalised = normalize_url(link) if link else ""
    except ValueError:  # a link urlsplit accepts but the normaliser cannot rebuild
        normalised = ""
    article_url = link or f"urn:newswire:{stable_id(feed_url, entry.guid)}"
    return article_url, stable_id(normalised or article_url, length=24)


class _TextOnly(HTMLParser):
    """Markup -> its text (script and style contents dropped), for the fallback page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _fallback_html(entry: FeedEntry) -> str:
    """When the page cannot be fetched for good, the feed's own text still makes a story.

    The feed's words are *text* here: the title is escaped and the summary reduced to its text
    and escaped, so a feed cannot forge the page's title, canonical URL, date or JSON-LD author,
    nor hide the story behind an unclosed ``<!--``."""
    title = html.escape(_text(entry.title))
    summary = html.escape(_text(entry.summary))
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{summary}</p></article></body></html>"
    )


@dataclass
class PollResult:
    feed: FeedConfig
    state: FeedState
    raws: list[RawStory] = field(default_factory=list)
    outcome: str = "ok"


#: what a record keeps of the feed's own text when even that overflows it (a 3 MiB summary)
_CUT_TITLE_CHARS = 2_000
_CUT_SUMMARY_CHARS = 20_000
_CUT_AUTHORS = 50


class RecordTooLarge(Exception):
    """An entry no cut fits into a record the bus holds (:func:`fit_record`): done with, not
    retried; logged and counted (``newswire_records_cut_total{cut="dropped"}``)."""


def fit_record(raw: RawStory, entry: FeedEntry, limit: int) -> tuple[RawStory | None, str]:
    """``raw`` as the bus can hold it (at most ``limit`` bytes encoded), and what was cut.

    Within the size caps a record can still outgrow the bus's: JSON writes a control character
    of a page as six bytes and a quote as two, so an 8 MiB page of them is a record of up to 48.
    A record the bus refuses failed the poll's whole transaction, every poll again (the
    daemon exited on it). In steps, each only when the one before did not fit: the page gives
    way to the feed's own text (``page_error: too_large``, as for a page over the fetch cap:
    ``"page"``); then the feed's title, summary and authors are cut (``"fields"``). What fits
    after neither (a guid or link of megabytes) is ``(None, "dropped")``: the caller logs
    and counts it, and moves on."""
    if len(raw.encode()) <= limit:
        return raw, ""
    cut = replace(
        entry,
        title=entry.title[:_CUT_TITLE_CHARS],
        summary=entry.summary[:_CUT_SUMMARY_CHARS],
        authors=tuple(a[:_CUT_TITLE_CHARS] for a in entry.authors[:_CUT_AUTHORS]),
    )
    for told, step in ((entry, "page"), (cut, "fields")):
        page = _fallback_html(told)
        fitted = replace(
            raw,
            id=stable_id(raw.url, entry.entry_hash, page),
            html=page,
            final_url=raw.url,
            status=0,
            content_type="text/html",
            title=told.title,
            summary=told.summary,
            authors=told.authors,
            extra={**raw.extra, "page_error": "too_large"},
        )
        if len(fitted.encode()) <= limit:
            return fitted, step
    return None, "dropped"


def _iso_now() -> str:
    return utc_now(timespec="seconds")


class Poller:
    """Polls the feeds of the partitions this replica owns; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        bus: Bus,
        feeds: Sequence[FeedConfig],
        *,
        state_topic: str,
        raw_topic: str,
        partitions: int,
        txid_prefix: str,
        group_id: str,
        stop: StopFlag,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.stop = stop
        self.clock = clock
        self.rng = rng or random.Random()
        self.state_topic, self.raw_topic = state_topic, raw_topic
        self._partitions = partitions
        self._feeds = {f.url: f for f in feeds}
        self._record_limit = settings.max_record_bytes
        self._feed_partition = {f.url: partition_for(f.url.encode(), partitions) for f in feeds}
        self.fetcher = Fetcher(fetch_settings(settings))
        p = settings.poller
        self.politeness = Politeness(
            PolitenessSettings(max_concurrency=p.per_host_concurrency, min_interval_s=p.per_host_min_interval_s)
        )
        self.robots = RobotsCache(self.fetcher)
        self.claims = ArticleClaims()  # a feed and a sitemap listing one article: one raw record
        self.parser = FeedParserPool(
            processes=p.parse_processes,
            timeout_s=p.parse_timeout_s,
            memory_mb=p.parse_memory_mb,
            max_entries=ScheduleSettings().max_seen,
        )
        # Feed URL -> monotonic time its in-flight poll last made progress (see stuck_polls).
        self._progress: dict[str, float] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self.owned: set[int] = set()
        self.states: dict[str, FeedState] = {}
        self.polled_once: set[str] = set()
        self.ready = threading.Event()
        self._txid_prefix = txid_prefix
        # Per owned partition: its producer (opened on assignment), and the hand-over it was
        # opened in; a partition owned but not settled (producer and state not both in hand
        # yet: the broker went away) has its feeds wait.
        self._producers: dict[int, Producer] = {}
        self._handover: dict[int, int] = {}
        self._handovers = 0
        self._unsettled: set[int] = set()
        self._rejoin = False
        self._group_id = group_id
        self._consumer: Consumer | None = bus.consumer(
            group_id, [state_topic], on_assign=self._on_assign, on_revoke=self._on_revoke
        )
        self._pool = ThreadPoolExecutor(max_workers=p.concurrency, thread_name_prefix="poll")
        self._inflight: dict[str, Future[PollResult]] = {}
        self._started_in: dict[str, int] = {}  # feed URL -> hand-over its in-flight poll started in
        self._health_children = m.FEEDS_BY_HEALTH
        self._summary_at = 0.0

    # -- ownership ---------------------------------------------------------------------
    def txid(self, partition: int) -> str:
        """The transactional id of a state partition: whoever holds the partition writes under
        it, so opening it fences every earlier holder (see the module docstring)."""
        return f"{self._txid_prefix}-{self.state_topic}-{partition}"

    def _on_assign(self, tps: frozenset[TopicPartition]) -> None:
        parts = {tp.partition for tp in tps if tp.topic == self.state_topic}
        with self._lock:
            self.owned |= parts
        self._unsettle(parts)
        self._settle()
        log.info("feeds assigned", extra={"partitions": sorted(parts), "feeds": len(self.owned_feeds())})
        self.ready.set()

    def _on_revoke(self, tps: frozenset[TopicPartition]) -> None:
        parts = {tp.partition for tp in tps if tp.topic == self.state_topic}
        with self._lock:
            self.owned -= parts
        self._unsettle(parts)
        self._unsettled -= parts
        log.info("feeds revoked", extra={"partitions": sorted(parts)})

    def _unsettle(self, parts: set[int]) -> None:
        """Forget what this replica holds of ``parts`` (producer, feed state); polls started
        before are dropped when they finish. Owned ones are settled again by :meth:`_settle`."""
        self._handovers += 1
        for part in parts:
            self._handover[part] = self._handovers
            self._close_producer(self._producers.pop(part, None))
        for url, part in self._feed_partition.items():
            if part in parts:
                self.states.pop(url, None)
        self._unsettled |= parts

    def _settle(self) -> None:
        """Open the producer of each owned partition not settled yet, under the partition's
        transactional id, then read their feeds' state: opening the producers first settles
        and fences every earlier holder, so the state read holds all it committed. A broker
        that goes away meanwhile leaves them unsettled; the loop tries again."""
        parts = sorted(self._unsettled & self.owned)
        if not parts:
            return
        started = time.monotonic()
        try:
            for part in parts:
                if part not in self._producers:
                    self._producers[part] = self.bus.producer(transactional_id=self.txid(part))
            states: dict[str, FeedState] = {}
            for msg in self.bus.read_table(self.state_topic, parts):
                if msg.key is None:
                    continue
                url = msg.key.decode(errors="replace")  # (a key no feed has: its state is never asked for)
                if msg.value is None:
                    states.pop(url, None)
                    continue
                try:
                    states[url] = within_schedule(FeedState.from_json(msg.value), self.clock())
                except ValueError:
                    log.warning("unreadable feed state ignored", extra={"feed": url})
        except BrokerUnreachable as exc:
            log.warning("feed state not restored yet; retrying", extra={"partitions": parts, "error": str(exc)})
            return
        self.states.update(states)
        self._unsettled -= set(parts)
        log.info(
            "feed state restored",
            extra={"partitions": parts, "states": len(states), "seconds": round(time.monotonic() - started, 3)},
        )

    def _close_producer(self, producer: Producer | None) -> None:
        try:
            if producer is not None:
                producer.close()
        except Exception as exc:  # a fenced producer, or one of a dead connection: nothing to save
            log.warning("closing a producer", extra={"error": repr(exc)})

    def _rejoin_group(self) -> bool:
        """After being fenced: leave the group and join again, holding nothing meanwhile, so
        the group, not a guess, says which partitions are this replica's. False while the
        broker is away."""
        with self._lock:
            held = set(self.owned)
            self.owned.clear()
        self._unsettle(held)
        self._unsettled.clear()
        old, self._consumer = self._consumer, None
        try:
            if old is not None:
                old.close()
        except Exception as exc:
            log.warning("closing the group consumer", extra={"error": repr(exc)})
        try:
            self._consumer = self.bus.consumer(
                self._group_id, [self.state_topic], on_assign=self._on_assign, on_revoke=self._on_revoke
            )
        except BrokerUnreachable as exc:
            log.warning("cannot rejoin the group yet", extra={"error": str(exc)})
            return False
        self._rejoin = False
        log.info("rejoined the poller group")
        return True

    def owned_feeds(self) -> list[FeedConfig]:
        with self._lock:
            owned = set(self.owned)
        return [f for url, f in self._feeds.items() if self._feed_partition[url] in owned]

    # -- one poll (runs on a pool thread; pure I/O plus the schedule functions) ---------
    def poll_feed(self, feed: FeedConfig, state: FeedState) -> PollResult:
        """One poll; never raises. A bug or an unexpected library error while polling one feed
        is that feed's failure (logged with its traceback, backed off like any other failure),
        not the end of the daemon that polls every other feed."""
        started = time.monotonic()
        self._local.feed = feed.url
        self._progress[feed.url] = started
        try:
            return self._poll_feed(feed, state, started)
        except Exception as exc:
            log.exception("feed poll crashed", extra={"feed": feed.url, "error": repr(exc)})
            return self._failed(
                feed, state, "internal", self.clock(), schedule_settings(self.settings, feed), started, None
            )

    def _poll_feed(self, feed: FeedConfig, state: FeedState, started: float) -> PollResult:
        if feed.kind == "sitemap":
            from ingest.sitemap_source import poll_sitemap

            return poll_sitemap(self, feed, state, started)
        now = self.clock()
        sched = schedule_settings(self.settings, feed)
        try:
            res = self._fetch(
                feed.url,
                "feed",
                Validators(state.etag, state.last_modified, state.body_hash),
                accept="application/rss+xml, application/atom+xml, application/feed+json, "
                "application/json;q=0.9, application/xml;q=0.8, */*;q=0.5",
                max_bytes=self.settings.poller.max_feed_bytes,
            )
        except FetchError as exc:
            return self._failed(feed, state, exc.kind, now, sched, started, getattr(exc, "retry_after", None))
        max_age = cache_max_age(res.headers.get("cache-control"))
        if res.not_modified:
            outcome = PollOutcome(
                ok=True,
                not_modified=True,
                etag=res.etag,
                last_modified=res.last_modified,
                body_hash=res.body_hash,
                max_age_s=max_age,
            )
            return self._done(feed, next_poll(state, outcome, now, self.rng, sched), [], "not_modified", started)
        try:
            parsed = self.parser.parse(res.body)
            self._touch()
        except FeedParseError as exc:
            log.warning("feed parse failed", extra={"feed": feed.url, "kind": exc.kind, "error": str(exc)})
            return self._failed(feed, state, "parse_error", now, sched, started, None)
        m.ENTRIES_SEEN.inc(len(parsed.entries))
        if parsed.dropped_entries:
            log.warning(
                "feed longer than the entries followed; the rest are ignored",
                extra={"feed": feed.url, "followed": len(parsed.entries), "ignored": parsed.dropped_entries},
            )
        emit, seen_state = new_or_changed_entries(state, parsed.entries, max_seen=sched.max_seen)
        raws: list[RawStory] = []
        seen = dict(seen_state.seen)
        listed = {e.guid for e in parsed.entries}
        attempts = {g: n for g, n in state.page_attempts.items() if g in listed}
        retry = False
        for entry in emit:
            key = article_key(feed.url, entry)[1]
            if not self.claims.claim(key, feed.url):
                continue  # another source of this replica just emitted it (see ingest.claims)
            try:
                raw = self._story_tried(feed, entry, attempts, entry.guid)
            except RecordTooLarge:
                continue  # seen: not retried
            if raw is None:  # transient page failure: forget the entry so the next poll retries it
                self.claims.release(key, feed.url)
                seen.pop(entry.guid, None)
                if entry.guid in state.seen:
                    seen[entry.guid] = state.seen[entry.guid]
                retry = True
                continue
            raws.append(raw)
        m.ENTRIES_NEW.inc(len(raws))
        outcome = PollOutcome(
            ok=True,
            etag=res.etag,
            last_modified=res.last_modified,
            body_hash=res.body_hash,
            entry_times=entry_timestamps(parsed.entries),
            ttl_s=parsed.ttl_s,
            update_period_s=parsed.update_period_s,
            max_age_s=max_age,
        )
        if retry:  # the same bytes next time must be parsed again, or the retry never happens
            outcome = replace(outcome, etag=None, last_modified=None, body_hash=None)
            seen_state = replace(seen_state, etag=None, last_modified=None, body_hash=None)
        new_state = next_poll(replace(seen_state, seen=seen, page_attempts=attempts), outcome, now, self.rng, sched)
        return self._done(feed, new_state, raws, "ok", started)

    def _fetch(self, url: str, kind: str, validators: Validators | None, *, accept: str, max_bytes: int) -> FetchResult:
        # A host deferred by Retry-After (or simply busy) must not park a pool thread for as
        # long as it says: past one fetch's budget the poll is classified as throttled and
        # rescheduled, so pool threads stay available and shutdown stays bounded.
        self._touch()
        try:
            waited = self.politeness.acquire(url, max_wait_s=self.settings.poller.total_timeout_s)
        except HostBusyError as exc:
            raise FetchError("throttled", str(exc), url=url, retry_after=exc.wait_s) from exc
        try:
            if waited:
                m.THROTTLE_WAIT_BY_KIND[kind].inc(waited)
            t0 = time.monotonic()
            try:
                res = self.fetcher.fetch(url, validators=validators, accept=accept, max_bytes=max_bytes)
            except ThrottledError as exc:
                # Capped: an absurd Retry-After (or one past threading.TIMEOUT_MAX) must not
                # silence the host for years; the feed's own schedule honours it up to its cap.
                self.politeness.defer(url, min(exc.retry_after or 60.0, self.settings.poller.max_backoff_s))
                raise
            finally:
                m.FETCH_DURATION_BY_KIND[kind].observe(time.monotonic() - t0)
        finally:
            self.politeness.release(url)
            self._touch()
        m.FETCHED_BYTES_BY_KIND[kind].inc(len(res.body))
        return res

    def _story_tried(self, feed: FeedConfig, entry: FeedEntry, attempts: dict[str, int], key: str) -> RawStory | None:
        """:meth:`_story`, its tries counted in ``attempts`` under ``key`` (a feed state's
        ``page_attempts``): a transient failure counts one, a record clears the count, and the
        ``max_page_attempts``-th try is the last. None while stopping (the next owner redoes
        the entry, and the try is not counted)."""
        if self.stop.is_set():
            return None
        tries = attempts.get(key, 0) + 1
        raw = self._story(feed, entry, last_try=tries >= self.settings.poller.max_page_attempts)
        if raw is None:
            attempts[key] = tries
        else:
            attempts.pop(key, None)
        return raw

    def _story(self, feed: FeedConfig, entry: FeedEntry, *, last_try: bool = False) -> RawStory | None:
        """Fetch the entry's page and build the raw record; None means "retry next poll" (a
        transient failure, unless it is the ``last_try``: then the feed's own text makes the
        record, the failure its ``page_error``), :class:`RecordTooLarge` that the entry is done
        with, without a record."""
        article_url, key = article_key(feed.url, entry)
        url = article_url if article_url.startswith(("http://", "https://")) else ""
        if entry.url and not url:
            log.warning("entry link unusable", extra={"feed": feed.url, "url": entry.url[:200]})
        page, status, final_url, ctype, page_error = _fallback_html(entry), 0, url, "text/html", ""
        if url and self.settings.poller.fetch_pages:
            try:
                if feed.robots and self.settings.poller.respect_robots:
                    self.robots.check(url, self.settings.poller.user_agent)
                res = self._fetch(
                    url,
                    "page",
                    None,
                    accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                    max_bytes=self.settings.poller.max_page_bytes,
                )
                page = decode_html(res.body, res.content_type)
                status, final_url, ctype = res.status, res.final_url, res.content_type
            except FetchError as exc:
                transient = exc.kind in TRANSIENT or (
                    isinstance(exc, HTTPStatusError) and exc.status is not None and exc.status >= 500
                )
                log.warning(
                    "page fetch failed", extra={"feed": feed.url, "url": url, "kind": exc.kind, "transient": transient}
                )
                if transient and not last_try:
                    return None
                if transient:
                    log.warning(
                        "page failed on every try; the entry goes with the feed's text",
                        extra={"feed": feed.url, "url": url, "kind": exc.kind},
                    )
                page_error = exc.kind
            except Exception as exc:  # a library bug on one page (bad redirect URL...) is final for it
                log.exception("page fetch crashed", extra={"feed": feed.url, "url": url, "error": repr(exc)})
                page_error = "internal"
        raw = RawStory(
            id=stable_id(article_url, entry.entry_hash, page),
            url=article_url,
            html=page,
            article_key=key,
            feed_url=feed.url,
            final_url=final_url,
            guid=entry.guid,
            title=entry.title,
            summary=entry.summary,
            published=entry.published,
            updated=entry.updated,
            authors=entry.authors,
            fetched_at=_iso_now(),
            status=status,
            content_type=ctype,
            extra={"page_error": page_error} if page_error else {},
        )
        limit = self._record_limit
        fitted, cut = fit_record(raw, entry, limit)
        if cut:
            m.RECORDS_CUT_BY_KIND[cut].inc()
            log.warning(
                "entry over the record size limit",
                extra={"feed": feed.url, "url": url, "cut": cut, "bytes": len(raw.encode()), "limit": limit},
            )
        if fitted is None:
            raise RecordTooLarge(url or entry.guid[:200])
        return fitted

    def _failed(
        self,
        feed: FeedConfig,
        state: FeedState,
        kind: str,
        now: float,
        sched: ScheduleSettings,
        started: float,
        retry_after: float | None,
    ) -> PollResult:
        outcome = PollOutcome(ok=False, error_kind=kind, retry_after_s=retry_after)
        log.warning(
            "feed poll failed", extra={"feed": feed.url, "kind": kind, "failures": state.consecutive_failures + 1}
        )
        return self._done(feed, next_poll(state, outcome, now, self.rng, sched), [], kind, started)

    def _done(
        self, feed: FeedConfig, state: FeedState, raws: list[RawStory], outcome: str, started: float
    ) -> PollResult:
        child = m.POLLS_BY_OUTCOME.get(outcome) or m.POLLS_BY_OUTCOME["http_error"]
        child.inc()
        m.POLL_DURATION.observe(time.monotonic() - started)
        return PollResult(feed, state, raws, outcome)

    # -- the loop ----------------------------------------------------------------------
    def _commit(self, result: PollResult, started_in: int | None = None) -> None:
        """Raw records and the feed's new state, atomically, under the partition's producer.
        ``started_in``: the hand-over the poll started in; a poll of a partition handed over
        since (revoked, re-opened) is dropped, its feed polled again from the state now held."""
        part = self._feed_partition[result.feed.url]
        producer = self._producers.get(part)
        if part not in self.owned or part in self._unsettled or producer is None:
            log.info("dropping poll of a feed revoked meanwhile", extra={"feed": result.feed.url})
            return
        if started_in is not None and started_in < self._handover.get(part, 0):
            log.info("dropping poll of a feed handed over meanwhile", extra={"feed": result.feed.url})
            return
        state, forgotten = fit_state(result.state, self._record_limit)
        if forgotten:
            m.RECORDS_CUT_BY_KIND["state"].inc()
            log.warning(
                "feed state over the record size limit: its oldest entries forgotten",
                extra={"feed": result.feed.url, "forgotten": forgotten, "limit": self._record_limit},
            )
        try:
            producer.begin()
            for raw in result.raws:
                # Each raw record starts a trace; the workers carry it on to the record's event.
                trace = ((tracing.HEADER, tracing.new_traceparent().encode("ascii")),)
                producer.send(self.raw_topic, raw.encode(), key=raw.article_key.encode(), headers=trace)
            producer.send(self.state_topic, state.to_json().encode(), key=result.feed.url.encode(), partition=part)
            producer.commit()
        except BrokerUnreachable as exc:
            # The transaction's outcome is unknown: the partition is opened again (a new
            # producer under its id settles the transaction) and its feeds' state read again,
            # so whichever way it went, the next poll starts from what was committed.
            log.warning(
                "broker failed mid-commit; reopening the partition", extra={"feed": result.feed.url, "error": str(exc)}
            )
            self._unsettle({part})
            self._settle()
            return
        except Fenced as exc:
            # A new holder opened the partition's id: it holds the feed now, and none of this
            # poll was written. Rejoin, so the group says what this replica holds.
            log.warning(
                "fenced by the partition's new holder; rejoining", extra={"feed": result.feed.url, "error": str(exc)}
            )
            self._rejoin = True
            return
        except BaseException:
            with contextlib.suppress(BusError):
                producer.abort()
            raise
        m.RAW_PRODUCED.inc(len(result.raws))
        self.states[result.feed.url] = state
        self.polled_once.add(result.feed.url)
        if result.raws:
            log.info(
                "feed polled",
                extra={"feed": result.feed.url, "outcome": result.outcome, "new_entries": len(result.raws)},
            )

    def tick(self, once: bool = False) -> int:
        """One loop turn: keep membership, start due polls, commit finished ones. With ``once``,
        every owned feed not yet polled in this run is due, whatever its schedule says."""
        if self._rejoin and not self._rejoin_group():
            self.stop.wait(0.5)
            return 0
        assert self._consumer is not None
        try:
            self._consumer.poll(timeout_s=0.2, max_records=100)  # own state writes echo here: ignored
        except BrokerUnreachable as exc:
            # The broker went away, possibly while feeds were being handed over (their state
            # restore failed): the consumer hands them over again on a later poll.
            log.warning("broker unreachable while polling the group; retrying", extra={"error": str(exc)})
            self.stop.wait(0.5)
            return 0
        self._settle()  # partitions a broker outage left unsettled
        now = self.clock()
        for feed in self.owned_feeds():
            part = self._feed_partition[feed.url]
            if feed.url in self._inflight or part in self._unsettled:
                continue
            state = self.states.get(feed.url) or FeedState()
            due = feed.url not in self.polled_once if once else state.next_poll_at <= now
            if due:
                self._started_in[feed.url] = self._handover.get(part, 0)
                self._inflight[feed.url] = self._pool.submit(self.poll_feed, feed, state)
        done = [url for url, fut in self._inflight.items() if fut.done()]
        for url in done:
            self._commit(self._inflight.pop(url).result(), self._started_in.pop(url, None))
        self._update_health(now)
        return len(done)

    def _update_health(self, now: float) -> None:
        """Feed health gauges every tick; a log summary of sick feeds every ``SUMMARY_EVERY_S``
        (so an operator tailing the log of an offline machine sees which feeds fail and why).
        A feed never polled counts as healthy (nothing has gone wrong); the summary also says
        how many of those there are, since the first one is written while the first round of
        polls is still coming in."""
        counts = {"healthy": 0, "failing": 0, "backing_off": 0}
        sick: dict[str, list[str]] = {}
        stuck = set(self.stuck_polls())
        unpolled = 0
        for feed in self.owned_feeds():
            st = self.states.get(feed.url)
            health = "failing" if feed.url in stuck else feed_health(st)
            counts[health] += 1
            if st is None and feed.url not in stuck:
                unpolled += 1
            if feed.url in stuck:
                sick.setdefault("stuck", []).append(feed.name or feed.url)
            elif st is not None and health != "healthy":
                sick.setdefault(st.last_error_kind or "unknown", []).append(feed.name or feed.url)
        for health, n in counts.items():
            self._health_children[health].set(n)
        if sick and now - self._summary_at >= SUMMARY_EVERY_S:
            self._summary_at = now
            log.warning(
                "feeds failing",
                extra={**counts, "not_yet_polled": unpolled, "by_error": {k: sorted(v) for k, v in sick.items()}},
            )

    def run(self, once: bool = False, assignment_timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + assignment_timeout_s
        while not self.stop.is_set():
            self.tick(once)
            if once and self.ready.is_set():
                owned = {f.url for f in self.owned_feeds()}
                if owned <= self.polled_once and not self._inflight:
                    return
            if once and not self.ready.is_set() and time.monotonic() > deadline:
                raise TimeoutError("no feed partitions assigned to this poller")
            self.stop.wait(0.05)
        self._drain()

    def _drain(self) -> None:
        """On stop: let in-flight polls finish (bounded by fetch timeouts) and commit them,
        all within one ``shutdown_timeout_s`` (not one each)."""
        deadline = time.monotonic() + self.settings.shutdown_timeout_s
        for url, fut in list(self._inflight.items()):
            try:
                self._commit(fut.result(timeout=max(0.0, deadline - time.monotonic())), self._started_in.get(url))
            except Exception as exc:  # a poll that cannot finish is simply redone by the next owner
                log.warning("in-flight poll abandoned at shutdown", extra={"feed": url, "error": str(exc)})
            self._inflight.pop(url, None)
            self._started_in.pop(url, None)

    def _touch(self) -> None:
        """The current poll made progress (a fetch started or ended, a parse finished)."""
        feed = getattr(self._local, "feed", None)
        if feed is not None:
            self._progress[feed] = time.monotonic()

    def stall_limit_s(self) -> float:
        """Longest a poll may go without progress: a politeness wait plus one fetch (each
        bounded by ``total_timeout_s``) plus one parse, with slack. Past it the poll is stuck."""
        p = self.settings.poller
        return 2 * p.total_timeout_s + p.parse_timeout_s + 30.0

    def stuck_polls(self) -> list[str]:
        """Feeds whose in-flight poll made no progress for :meth:`stall_limit_s`."""
        limit = time.monotonic() - self.stall_limit_s()
        return [
            url for url, fut in list(self._inflight.items()) if not fut.done() and self._progress.get(url, 0) < limit
        ]

    def alive(self) -> bool:
        """Liveness for ``/healthz``: false while any poll is stuck, so the pod is restarted
        instead of showing healthy feeds that are never polled."""
        return not self.stuck_polls()

    def close(self) -> None:
        self.parser.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._consumer is not None:
            self._consumer.close()
        for part in sorted(self._producers):
            self._close_producer(self._producers.pop(part))
        self.fetcher.close()
