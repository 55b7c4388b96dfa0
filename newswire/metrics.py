"""The one catalogue of newswire's Prometheus metrics.

Every stage imports its metric objects from here instead of creating its own, so that
names, label sets and buckets are decided in one place, the dashboard
(``deploy/grafana/newswire.json``) and the alerts (``deploy/prometheus/alerts.yml``) can
be checked against this module by the tests, and two stages never register the same name
twice in one process.

Conventions (enforced by ``tests/newswire/test_metrics.py``):

* every name starts with ``newswire_``; durations are in seconds and sizes in bytes, the
  unit being the last word of the name (``_seconds``, ``_bytes``), counters end ``_total``;
* label *values* come from small fixed sets (the tuples below: outcome, kind, decision,
  stage, reason, event type, health) or from the Kafka partition number, which is bounded
  by the topic's partition count. A URL, feed, host, guid or article id is never a label
  value: each distinct value is a new time series kept in memory by this process and by
  Prometheus for as long as it lives, so an unbounded label is a memory leak in both;
* the default ``REGISTRY`` is used, so the process collector's
  ``process_start_time_seconds`` (which the restart alert watches) and the Python GC/
  platform metrics come for free.

Binding labels: ``metric.labels(...)`` takes a lock and hashes the label values on every
call. Stages bind children once, outside hot loops, and keep the child::

    POLLS_OK = POLLS.labels(outcome="ok")
    ...
    POLLS_OK.inc()

The common children are pre-bound below (``POLLS_BY_OUTCOME``, ``DECISIONS_BY_KIND``, ...).
Pre-binding is also what makes each series exist at 0 from the start: a counter that first
appears at 1 makes ``rate()``/``increase()`` miss that first increment, and an alert such
as "no events published" cannot tell "none yet" from "no such series".
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Final

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.metrics import MetricWrapperBase

# ``*_created`` samples (one per counter/histogram child) only repeat the process start time,
# which ``process_start_time_seconds`` already says; without them a scrape is half the size.
disable_created_metrics()  # type: ignore[no-untyped-call]

# --- Bounded label values -------------------------------------------------------------

#: Outcome of one feed poll. ``blocked``: 401/403/451 or a bot wall; ``throttled``: 429/503
#: with Retry-After, or our own per-host budget said no; ``robots``: robots.txt disallows.
POLL_OUTCOMES: Final = (
    "ok",
    "not_modified",
    "http_error",
    "timeout",
    "blocked",
    "parse_error",
    "throttled",
    "too_large",
    "connection",
    "robots",
    "internal",
)
#: What an HTTP fetch was for: the feed document itself, an article page it links to, or a
#: sitemap (a configured one or a child of an index).
FETCH_KINDS: Final = ("feed", "page", "sitemap")
#: What a sitemap poll refused or cut short (the poll itself still counts as ``ok`` when its
#: configured document was read): ``foreign_host`` a child or URL on a host not allowed,
#: ``index_loop`` an index reaching itself, ``too_deep`` an index nested past the limit,
#: ``truncated`` URLs past the 50,000 cap, ``deferred`` news left for the next poll (per-poll
#: cap), ``child_failed`` a child that could not be fetched, ``xml_attack``/``invalid``/
#: ``too_large`` a child that could not be parsed.
SITEMAP_PROBLEMS: Final = (
    "foreign_host",
    "index_loop",
    "too_deep",
    "truncated",
    "deferred",
    "child_failed",
    "xml_attack",
    "invalid",
    "too_large",
)
#: Health of a configured feed, as the poller scheduler sees it (one gauge value each).
FEED_HEALTH: Final = ("healthy", "failing", "backing_off")
# What the poller cut of a record over the bus's record size limit (``ingest.poller.fit_record``,
# ``ingest.schedule.fit_state``).
RECORD_CUTS: Final = ("page", "fields", "dropped", "state")
#: Why text extraction from a fetched page produced no article. ``internal``: our code raised
#: an exception no rule classifies (a bug, to be fixed; the page may be fine).
EXTRACTION_FAILURE_REASONS: Final = ("empty", "not_html", "too_large", "timeout", "crashed", "internal", "error")
#: What the dedupe/threading step decided about an incoming article version.
DECISIONS_KINDS: Final = ("new", "duplicate", "update", "unchanged")
#: How an ``update`` relates the article to its story: a new version of one of its articles,
#: a follow-up quoting it, or an independent report of the same event (``coverage``).
UPDATE_KINDS: Final = ("revision", "followup", "coverage")
#: Pipeline stage that gave up on a record and sent it to the dead-letter topic.
DEAD_LETTER_STAGES: Final = ("clean", "thread")
#: Why it gave up. ``decode_error``: the record cannot be read (malformed, unsupported
#: ``schema_version``); ``extract_*``: the page cannot be extracted; ``internal``: our code
#: failed on the record (a bug, to be fixed; the record may be fine and can be fed again);
#: ``error``: a reason this catalogue does not know.
DEAD_LETTER_REASONS: Final = (
    "decode_error",
    "extract_empty",
    "extract_not_html",
    "extract_too_large",
    "extract_timeout",
    "extract_crashed",
    "internal",
    "poison",  # the stage kept raising on this record: quarantined after retries (a bug to fix)
    "error",
)
#: Types of event written to the events topic.
EVENT_TYPES: Final = ("story.created", "story.updated", "story.duplicate")
#: The reference time that event latency is measured from: the feed's published date
#: (what readers feel, includes the publisher's own delay) or our fetch time (our lag).
LATENCY_SINCE: Final = ("published", "fetched")

# --- Buckets ----------------------------------------------------------------------------

# One poll covers the feed fetch and, for new entries, their article pages behind a
# per-host throttle, so it can legitimately take minutes.
_POLL_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# A single HTTP request, bounded by the client timeout (tens of seconds).
_FETCH_BUCKETS: Final = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
# CPU-bound HTML parsing: milliseconds normally, seconds for pathological pages.
_EXTRACTION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# From publication to our event: feeds are polled every few minutes and publishers often
# backdate or are late, so the tail is hours; up to a day so late items are not all +Inf.
_LATENCY_BUCKETS: Final = (
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
    3600.0, 7200.0, 14400.0, 43200.0, 86400.0,
)  # fmt: skip

# --- Every daemon ------------------------------------------------------------------------

BUILD_INFO: Final = Gauge(
    "newswire_build_info",
    "Always 1; labels say which newswire version runs. Alerts join on it to pick out "
    "newswire's own targets (e.g. process restarts) among everything Prometheus scrapes.",
    ["version"],
)

# --- Pollers ----------------------------------------------------------------------------

POLLS: Final = Counter("newswire_polls_total", "Feed polls finished, by outcome.", ["outcome"])
POLL_DURATION: Final = Histogram(
    "newswire_poll_duration_seconds",
    "Wall time of one feed poll, including fetching its new article pages.",
    buckets=_POLL_BUCKETS,
)
FETCH_DURATION: Final = Histogram(
    "newswire_fetch_duration_seconds",
    "Wall time of one HTTP fetch, by what was fetched.",
    ["kind"],
    buckets=_FETCH_BUCKETS,
)
ENTRIES_SEEN: Final = Counter("newswire_entries_seen_total", "Feed entries parsed from successful polls, new or not.")
ENTRIES_NEW: Final = Counter(
    "newswire_entries_new_total", "Feed entries not seen before (or changed) that get fetched."
)
SITEMAP_REFUSALS: Final = Counter(
    "newswire_sitemap_problems_total",
    "Sitemap children and URLs refused or cut short, by problem (see SITEMAP_PROBLEMS).",
    ["problem"],
)
FETCHED_BYTES: Final = Counter(
    "newswire_fetched_bytes_total", "Response body bytes downloaded, by what was fetched.", ["kind"]
)
THROTTLE_WAIT: Final = Counter(
    "newswire_throttle_wait_seconds_total",
    "Seconds spent waiting on per-host politeness throttles, summed over hosts.",
    ["kind"],
)
FEEDS: Final = Gauge("newswire_feeds", "Configured feeds, by current health.", ["health"])
RECORDS_CUT: Final = Counter(
    "newswire_records_cut_total",
    "Poller records over the bus's record size limit, by what was cut: page (the feed's text "
    "instead), fields (the feed's text cut), dropped (no record), state (oldest entries forgotten).",
    ["cut"],
)
RAW_PRODUCED: Final = Counter("newswire_raw_records_produced_total", "Records acknowledged by Kafka on the raw topic.")

# --- Workers ----------------------------------------------------------------------------

RAW_CONSUMED: Final = Counter("newswire_raw_records_consumed_total", "Records read from the raw topic by workers.")
EXTRACTION_DURATION: Final = Histogram(
    "newswire_extraction_duration_seconds",
    "Time to extract article text and metadata from one page.",
    buckets=_EXTRACTION_BUCKETS,
)
EXTRACTION_FAILURES: Final = Counter(
    "newswire_extraction_failures_total", "Pages from which no article could be extracted.", ["reason"]
)
DECISIONS: Final = Counter(
    "newswire_decisions_total", "Dedupe/threading decisions on incoming article versions.", ["decision"]
)
STORY_UPDATES: Final = Counter(
    "newswire_story_updates_total",
    "Article versions that joined a story (decision update), by how they relate to it: a revision, "
    "a follow-up quoting it, or independent coverage of its event.",
    ["update_kind"],
)
DEAD_LETTERS: Final = Counter(
    "newswire_dead_letters_total", "Records sent to the dead-letter topic.", ["stage", "reason"]
)
DEAD_LETTER_BYTES: Final = Counter(
    "newswire_dead_letter_bytes_total",
    "Bytes (key and value) sent to the dead-letter topic; against newswire_dead_letters_cap_bytes "
    "it says how soon the size cap starts deleting the oldest dead letters.",
    ["stage"],
)
DEAD_LETTERS_CAP: Final = Gauge(
    "newswire_dead_letters_cap_bytes",
    "Size cap of the dead-letter topic (topics.dead_letters_max_bytes): past it the oldest dead "
    "letters are deleted, re-driven or not.",
)
CONSUMER_LAG: Final = Gauge(
    "newswire_consumer_lag",
    "Records between this consumer's position and the partition's end offset, for the "
    "partitions this process owns now (series of revoked partitions are removed), so "
    "sum by (group, topic) is the consumer group's whole lag. topic is the full topic name "
    "(with the prefix, e.g. newswire.raw); group is the consumer group id.",
    ["group", "topic", "partition"],
)
READY: Final = Gauge(
    "newswire_ready",
    "1 while this daemon's /readyz says ready (broker reached, state restored, partitions "
    "assigned), else 0. up says Prometheus reached the process; this says it can work.",
)
MEMORY_LIMIT: Final = Gauge(
    "newswire_memory_limit_bytes",
    "Memory limit of this process' container (cgroup memory.max); +Inf when unlimited. "
    "Compare with process_resident_memory_bytes.",
)
CPU_LIMIT: Final = Gauge(
    "newswire_cpu_limit_cores",
    "CPU limit of this process' container in cores (cgroup cpu.max); +Inf when unlimited. "
    "Compare with rate(process_cpu_seconds_total).",
)
INDEX_ARTICLES: Final = Gauge("newswire_index_articles", "Articles held in the worker's dedupe index.")
INDEX_STORIES: Final = Gauge("newswire_index_stories", "Stories (threads) held in the worker's index.")
INDEX_MEMORY: Final = Gauge("newswire_index_memory_bytes", "Estimated memory held by the worker's dedupe/thread index.")
STANDBY_LAG: Final = Gauge(
    "newswire_thread_standby_lag_records",
    "Story-index changelog records a thread worker that does not hold the cleaned partition (a "
    "warm standby) has not applied yet: what a take-over by it would replay. 0 on the deciding "
    "worker, which writes the changelog itself.",
)
TAKEOVER_DURATION: Final = Histogram(
    "newswire_thread_takeover_seconds",
    "Time from being assigned the cleaned partition to deciding: the story-index changelog "
    "catch-up (a warm standby replays its lag, a cold worker the whole changelog).",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)
TAKEOVER_RECORDS: Final = Gauge(
    "newswire_thread_takeover_records",
    "Changelog records the last take-over of the cleaned partition replayed before deciding "
    "(the whole changelog when it started cold).",
)
EVENTS_PUBLISHED: Final = Counter(
    "newswire_events_published_total", "Events acknowledged by Kafka on the events topic.", ["type"]
)
EVENT_LATENCY: Final = Histogram(
    "newswire_event_latency_seconds",
    "Delay from an article's publication (or our fetch of it) to publishing its event.",
    ["since"],
    buckets=_LATENCY_BUCKETS,
)

#: Every newswire metric, for tests and tooling that check names against this catalogue.
CATALOGUE: Final[tuple[MetricWrapperBase, ...]] = (
    BUILD_INFO,
    POLLS,
    POLL_DURATION,
    FETCH_DURATION,
    ENTRIES_SEEN,
    ENTRIES_NEW,
    SITEMAP_REFUSALS,
    FETCHED_BYTES,
    THROTTLE_WAIT,
    FEEDS,
    RECORDS_CUT,
    RAW_PRODUCED,
    RAW_CONSUMED,
    EXTRACTION_DURATION,
    EXTRACTION_FAILURES,
    DECISIONS,
    STORY_UPDATES,
    DEAD_LETTERS,
    DEAD_LETTER_BYTES,
    DEAD_LETTERS_CAP,
    CONSUMER_LAG,
    READY,
    MEMORY_LIMIT,
    CPU_LIMIT,
    INDEX_ARTICLES,
    INDEX_STORIES,
    INDEX_MEMORY,
    STANDBY_LAG,
    TAKEOVER_DURATION,
    TAKEOVER_RECORDS,
    EVENTS_PUBLISHED,
    EVENT_LATENCY,
)

# --- Pre-bound children (series exist at 0 from start; no lookup in hot loops) -----------


def _package_version() -> str:
    try:
        return version("newswire")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


BUILD_INFO.labels(version=_package_version()).set(1)


def cgroup_limits(root: Path = Path("/sys/fs/cgroup")) -> tuple[float, float]:
    """(memory bytes, CPU cores) the container may use, from cgroup v2 or v1 files.

    Read from the kernel, not from Kubernetes, so the "memory and CPU against limits" panels
    work under any orchestrator (or none); a missing file or "max" means unlimited (+Inf).
    """
    inf = float("inf")

    def read(*names: str) -> str | None:
        for name in names:
            try:
                return (root / name).read_text().strip()
            except OSError:
                continue
        return None

    memory = inf
    raw = read("memory.max", "memory/memory.limit_in_bytes")
    if raw and raw != "max" and raw.isdigit() and int(raw) < 2**62:  # v1 says "unlimited" as ~2^63
        memory = float(raw)
    cpu = inf
    raw = read("cpu.max")
    if raw:
        quota, _, period = raw.partition(" ")
        if quota != "max" and quota.isdigit() and period.isdigit() and int(period) > 0:
            cpu = int(quota) / int(period)
    else:
        quota_v1, period_v1 = read("cpu/cpu.cfs_quota_us"), read("cpu/cpu.cfs_period_us")
        if quota_v1 and period_v1 and quota_v1.isdigit() and period_v1.isdigit() and int(period_v1) > 0:
            cpu = int(quota_v1) / int(period_v1)
    return memory, cpu


MEMORY_LIMIT.set(cgroup_limits()[0])
CPU_LIMIT.set(cgroup_limits()[1])

POLLS_BY_OUTCOME: Final = {o: POLLS.labels(outcome=o) for o in POLL_OUTCOMES}
FETCH_DURATION_BY_KIND: Final = {k: FETCH_DURATION.labels(kind=k) for k in FETCH_KINDS}
SITEMAP_PROBLEMS_BY_KIND: Final = {p: SITEMAP_REFUSALS.labels(problem=p) for p in SITEMAP_PROBLEMS}
FETCHED_BYTES_BY_KIND: Final = {k: FETCHED_BYTES.labels(kind=k) for k in FETCH_KINDS}
THROTTLE_WAIT_BY_KIND: Final = {k: THROTTLE_WAIT.labels(kind=k) for k in FETCH_KINDS}
FEEDS_BY_HEALTH: Final = {h: FEEDS.labels(health=h) for h in FEED_HEALTH}
RECORDS_CUT_BY_KIND: Final = {c: RECORDS_CUT.labels(cut=c) for c in RECORD_CUTS}
EXTRACTION_FAILURES_BY_REASON: Final = {r: EXTRACTION_FAILURES.labels(reason=r) for r in EXTRACTION_FAILURE_REASONS}
DECISIONS_BY_KIND: Final = {d: DECISIONS.labels(decision=d) for d in DECISIONS_KINDS}
STORY_UPDATES_BY_KIND: Final = {k: STORY_UPDATES.labels(update_kind=k) for k in UPDATE_KINDS}
DEAD_LETTERS_BY_STAGE_REASON: Final = {
    (s, r): DEAD_LETTERS.labels(stage=s, reason=r) for s in DEAD_LETTER_STAGES for r in DEAD_LETTER_REASONS
}
DEAD_LETTER_BYTES_BY_STAGE: Final = {s: DEAD_LETTER_BYTES.labels(stage=s) for s in DEAD_LETTER_STAGES}
EVENTS_PUBLISHED_BY_TYPE: Final = {t: EVENTS_PUBLISHED.labels(type=t) for t in EVENT_TYPES}
EVENT_LATENCY_SINCE: Final = {s: EVENT_LATENCY.labels(since=s) for s in LATENCY_SINCE}


def _series_of(metric: MetricWrapperBase) -> frozenset[str]:
    """Sample names one catalogue metric exposes in the text format."""
    names: set[str] = set()
    for family in metric.describe():
        base = family.name
        match family.type:
            case "counter":
                names.add(f"{base}_total")
            case "histogram":
                names.update({f"{base}_bucket", f"{base}_sum", f"{base}_count"})
            case _:
                names.add(base)
    return frozenset(names)


def series_names() -> frozenset[str]:
    """Every sample name the catalogue can expose (``_total``, ``_bucket``, ``_sum``, ...).

    Dashboards and alerts query sample names, not metric family names, so this is the set
    a PromQL expression's ``newswire_*`` identifiers must come from.
    """
    return frozenset().union(*(_series_of(m) for m in CATALOGUE))


def label_names(series: str) -> frozenset[str]:
    """Label names a catalogue series carries (``le`` included for ``_bucket``).

    Raises ``KeyError`` for a name not in the catalogue, so a typo in a dashboard fails loudly.
    """
    for metric in CATALOGUE:
        if series in _series_of(metric):
            # prometheus_client has no public accessor for a metric's label names.
            labels = frozenset(metric._labelnames)
            return labels | {"le"} if series.endswith("_bucket") else labels
    raise KeyError(series)
