"""One poll of a sitemap source: the feed poller's machinery, a sitemap's reading of it.

A feed-list entry with ``type: sitemap`` is owned, scheduled and stored exactly like a feed
(:class:`ingest.poller.Poller`: group membership over the state topic's partitions, conditional
GET and body hash, politeness, robots, the SSRF-guarded fetcher, one transaction for the raw
records and the new state). Only the reading differs:

* a urlset (plain or Google News) lists article URLs; :func:`ingest.sitemaps.select_entries`
  picks the news among them (unseen or revised, inside the news horizon, capped per poll);
* an index lists child sitemaps; only children that are unseen or whose ``lastmod`` changed
  since they were last followed are fetched, at most ``sitemap_max_children`` per poll;
  nested indexes are followed ``max_depth`` deep, a child reached twice is a loop, and a child
  (or an article URL) on another host is refused unless the entry's ``allow_hosts`` names it.

Each article becomes a raw record through the same page fetch as a feed entry
(``Poller._story``); ``news:title``/``news:publication_date`` fill its title and date,
``news:language``/``news:keywords`` go to ``extra``. The page stays the source of truth: the
cleaning step prefers what the page says.

State (in the feed's :class:`~ingest.schedule.FeedState`): ``seen`` maps a short key of each
normalised article URL to its change hash, ``children`` maps each followed child to its
lastmod (or body hash), ``watermark`` is the newest entry time seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ingest.feedlist import FeedConfig
from ingest.feeds import FeedEntry
from ingest.fetch import FetchError, FetchResult, Validators
from ingest.poller import PollResult, RecordTooLarge, article_key, schedule_settings
from ingest.schedule import FeedState, PollOutcome, cache_max_age, next_poll
from ingest.sitemaps import (
    SitemapEntry,
    SitemapParseError,
    SitemapSettings,
    baseline_children,
    child_marker,
    next_watermark,
    parse_sitemap,
    remember,
    select_children,
    select_entries,
    url_key,
)
from ingest.urls import normalize_url
from newswire import metrics as m
from newswire.records import RawStory

if TYPE_CHECKING:
    from ingest.poller import Poller

log = logging.getLogger(__name__)

ACCEPT = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.8, application/gzip;q=0.8, */*;q=0.5"
_RECENT_TIMES = 50  # entry times handed to the adaptive schedule (it uses the newest 20)


@dataclass
class SitemapPollResult(PollResult):
    """A poll result plus what the sitemap refused or cut short (metric labels, in order)."""

    problems: list[str] = field(default_factory=list)
    fetched_children: list[str] = field(default_factory=list)


def sitemap_settings(poller: Poller) -> SitemapSettings:
    p = poller.settings.poller
    return SitemapSettings(
        max_urls=p.sitemap_max_urls,
        max_bytes=p.sitemap_max_bytes,
        max_children=p.sitemap_max_children,
        max_new_per_poll=p.sitemap_max_new_per_poll,
    )


def _host(url: str) -> str:
    """The host of ``url``, or "" (no host, so on no allowed one) when it is no URL at all
    ("http://[::1/x.xml" in an index failed the whole poll as one of our bugs)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


class _SitemapPoll:
    """The state of one poll while it walks an index (one instance per poll, one thread)."""

    def __init__(self, poller: Poller, feed: FeedConfig, state: FeedState, now: float) -> None:
        self.poller = poller
        self.feed = feed
        self.state = state
        self.now = now  # the poll's clock: a date past it is no newer than it
        self.settings = sitemap_settings(poller)
        self.hosts = {_host(feed.url), *feed.allow_hosts}
        self.problems: list[str] = []
        self.fetched_children: list[str] = []
        self.entries: list[SitemapEntry] = []
        self.children = dict(state.children)
        self.pending_children: dict[str, str] = {}
        self.budget = self.settings.max_children
        self.visited = {normalize_url(feed.url)}
        self.owed = False  # changed children left for the next poll

    def problem(self, kind: str, **extra: object) -> None:
        kind = kind if kind in m.SITEMAP_PROBLEMS_BY_KIND else "invalid"  # "empty" is invalid too
        self.problems.append(kind)
        m.SITEMAP_PROBLEMS_BY_KIND[kind].inc()
        log.warning("sitemap problem", extra={"feed": self.feed.url, "problem": kind, **extra})

    def fetch(self, url: str, validators: Validators | None) -> FetchResult:
        p = self.poller.settings.poller
        if self.feed.robots and p.respect_robots:
            self.poller.robots.check(url, p.user_agent)
        return self.poller._fetch(url, "sitemap", validators, accept=ACCEPT, max_bytes=self.settings.max_bytes)

    def parse(self, body: bytes) -> tuple[str, list[SitemapEntry]]:
        parsed = parse_sitemap(body, max_urls=self.settings.max_urls, max_bytes=self.settings.max_bytes)
        if parsed.truncated:
            self.problem("truncated", kept=len(parsed.entries))
        return parsed.kind, parsed.entries

    def walk_index(self, children: list[SitemapEntry], depth: int) -> None:
        """Follow the changed children of an index (depth 1 = the configured index's)."""
        allowed = [c for c in children if _host(c.loc) in self.hosts]
        if len(allowed) < len(children):  # one problem per index, not one per child
            foreign = next(c.loc for c in children if _host(c.loc) not in self.hosts)
            self.problem("foreign_host", children=len(children) - len(allowed), example=foreign)
        self.children.update(baseline_children(allowed, self.state.children, self.settings, now=self.now))
        chosen, waiting = select_children(allowed, self.children, self.settings)
        if waiting:
            self.owed = True
            self.problem("deferred", children=waiting)
        for child in chosen:
            if self.budget <= 0:
                self.owed = True  # this poll's child budget is spent: the rest next poll
                break
            try:
                key = normalize_url(child.loc)
            except ValueError:
                self.problem("invalid", url=child.loc)
                continue
            if key in self.visited:
                self.problem("index_loop", url=child.loc)
                continue
            self.visited.add(key)
            self.budget -= 1
            self.follow(child, depth)

    def follow(self, child: SitemapEntry, depth: int) -> None:
        prev = self.children.get(child.loc, "")
        validators = Validators(body_hash=prev[1:]) if prev.startswith("#") and len(prev) > 1 else None
        try:
            res = self.fetch(child.loc, validators)
        except FetchError as exc:
            self.problem("too_large" if exc.kind == "too_large" else "child_failed", url=child.loc, error=exc.kind)
            if exc.kind == "too_large":  # hostile for good: not refetched until it changes
                self.pending_children[child.loc] = child_marker(child, None)
            return
        self.fetched_children.append(child.loc)
        marker = child_marker(child, res.body_hash)
        if res.not_modified:
            self.pending_children[child.loc] = marker
            return
        try:
            kind, entries = self.parse(res.body)
        except SitemapParseError as exc:
            self.problem(exc.kind if exc.kind in ("xml_attack", "too_large") else "invalid", url=child.loc)
            self.pending_children[child.loc] = marker  # not refetched until it changes
            return
        if kind == "index":
            if depth >= self.settings.max_depth:
                self.problem("too_deep", url=child.loc)
            else:
                self.walk_index(entries, depth + 1)
        else:
            self.entries.extend(entries)
        self.pending_children[child.loc] = marker

    def keyed(self) -> list[tuple[str, SitemapEntry]]:
        out: list[tuple[str, SitemapEntry]] = []
        foreign = 0
        for entry in self.entries:
            try:
                url = normalize_url(entry.loc)
            except ValueError:
                continue
            if _host(url) not in self.hosts:
                foreign += 1
                continue
            out.append((url_key(url), replace(entry, loc=url)))
        if foreign:
            self.problem("foreign_host", urls=foreign)
        return out


def _feed_entry(entry: SitemapEntry) -> FeedEntry:
    return FeedEntry(
        guid=entry.loc,
        url=entry.loc,
        title=entry.title,
        summary="",
        published=entry.published,
        updated=entry.lastmod,
        authors=(),
        entry_hash=entry.change_hash,
    )


def _with_news(raw: RawStory, entry: SitemapEntry) -> RawStory:
    news: dict[str, object] = {"source": "sitemap"}
    if entry.language:
        news["language"] = entry.language
    if entry.keywords:
        news["keywords"] = list(entry.keywords)
    if entry.publication:
        news["publication"] = entry.publication
    return replace(raw, extra={**raw.extra, **news})


def poll_sitemap(poller: Poller, feed: FeedConfig, state: FeedState, started: float) -> SitemapPollResult:
    """One poll of a sitemap source; raises only what ``Poller.poll_feed`` turns into
    ``internal`` (a bug), every bad input is a classified outcome."""
    now = poller.clock()
    sched = schedule_settings(poller.settings, feed)
    run = _SitemapPoll(poller, feed, state, now)

    def result(new_state: FeedState, raws: list[RawStory], outcome: str) -> SitemapPollResult:
        base = poller._done(feed, new_state, raws, outcome, started)
        return SitemapPollResult(base.feed, base.state, base.raws, base.outcome, run.problems, run.fetched_children)

    def failed(kind: str, retry_after: float | None = None) -> SitemapPollResult:
        log.warning("sitemap poll failed", extra={"feed": feed.url, "kind": kind})
        outcome = PollOutcome(ok=False, error_kind=kind, retry_after_s=retry_after)
        return result(next_poll(state, outcome, now, poller.rng, sched), [], kind)

    try:
        res = run.fetch(feed.url, Validators(state.etag, state.last_modified, state.body_hash))
    except FetchError as exc:
        return failed(exc.kind, exc.retry_after)
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
        return result(next_poll(state, outcome, now, poller.rng, sched), [], "not_modified")
    try:
        kind, entries = run.parse(res.body)
    except SitemapParseError as exc:
        run.problem(exc.kind, error=str(exc))
        return failed("too_large" if exc.kind == "too_large" else "parse_error")
    if kind == "index":
        run.walk_index(entries, 1)
    else:
        run.entries = entries
    m.ENTRIES_SEEN.inc(len(run.entries))

    keyed = run.keyed()
    selection = select_entries(keyed, state.seen, state.watermark, run.settings, now=now)
    if selection.deferred:
        run.problem("deferred", entries=selection.deferred)
    raws: list[RawStory] = []
    done: list[tuple[str, str]] = [(k, e.change_hash) for k, e in keyed if state.seen.get(k) == e.change_hash]
    done += list(selection.baseline.items())
    retry = False
    listed = {k for k, _ in keyed}
    attempts = {k: n for k, n in state.page_attempts.items() if k in listed}
    for key, entry in selection.emit:
        fe = _feed_entry(entry)
        akey = article_key(feed.url, fe)[1]
        if not poller.claims.claim(akey, feed.url):
            done.append((key, entry.change_hash))  # a feed of this replica just emitted it
            continue
        try:
            raw = poller._story_tried(feed, fe, attempts, key)
        except RecordTooLarge:
            done.append((key, entry.change_hash))  # done with: not retried
            continue
        if raw is None:  # transient page failure (or stopping): retried next poll
            poller.claims.release(akey, feed.url)
            retry = True
            continue
        raws.append(_with_news(raw, entry))
        done.append((key, entry.change_hash))
    m.ENTRIES_NEW.inc(len(raws))

    children = dict(run.children)
    if not retry and not selection.deferred:
        # A child's lastmod is recorded only once all its news is in: otherwise it is read again.
        children.update(run.pending_children)
    else:
        children.update({k: v for k, v in run.pending_children.items() if k not in run.fetched_children})
    times = sorted((e.when for e in run.entries if e.when is not None), reverse=True)[:_RECENT_TIMES]
    outcome = PollOutcome(
        ok=True,
        etag=res.etag,
        last_modified=res.last_modified,
        body_hash=res.body_hash,
        entry_times=tuple(times),
        max_age_s=max_age,
    )
    new_state = replace(
        state,
        seen=remember(state.seen, done, run.settings.max_seen),
        children=children,
        watermark=next_watermark(state.watermark, run.entries, now),
        page_attempts=attempts,
    )
    if retry or selection.deferred or run.owed:
        # The document may be unchanged next time, but it still owes news: no 304 short cut.
        new_state = replace(new_state, etag=None, last_modified=None, body_hash=None)
        outcome = replace(outcome, etag=None, last_modified=None, body_hash=None)
    new_state = next_poll(new_state, outcome, now, poller.rng, sched)
    if raws or run.problems:
        log.info(
            "sitemap polled",
            extra={"feed": feed.url, "new_entries": len(raws), "children": len(run.fetched_children)},
        )
    return result(new_state, raws, "ok")
