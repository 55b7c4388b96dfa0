"""Thread stage: cleaned topic -> events topic (+ the index changelog), the decision step.

It is the single writer of the story index: the cleaned topic has one partition, so Kafka's
group membership gives it to exactly one worker at a time, and the transactional producer
(under the partition's transactional id, opened on assignment: step 2 below) makes a deposed
worker's writes fail rather than land.
Each batch commits its events, the index changelog entries and the consumed offset in one
transaction, so the compacted changelog is exactly the state as of the last committed offset.

The other thread workers of the group are warm standbys (as Kafka Streams' standby replicas):
holding no partition, they follow the changelog (committed records only) into an index of their
own, so the one that is assigned the partition replays only what it has not applied yet, then
decides: a take-over in seconds whatever the index size, where a cold restore costs ~230 us of
CPU per live article. An aborted batch still rebuilds the index from the whole changelog.

Why a take-over decides from exactly the committed state (nothing lost, nothing doubled):

1. Every transaction of the stage loop that commits input offsets (a batch, a quarantined
   record, an idle commit past markers) also writes them to the changelog as
   ``offset/<topic>/<partition>`` (:meth:`ThreadProcessor.commit_outputs`). One transaction, so
   once both are visible the changelog's last offset record equals the group's committed
   offset, and the index built from the changelog up to that record is the state after exactly
   the input before that offset.
2. The decider's transactional id names the input partition, not the pod, and its producer is
   opened when the partition is assigned (``StageLoop.partition_txid_prefix``). Opening it
   settles every transaction an earlier holder left (a decided commit is completed, the rest
   aborted) and bumps the producer epoch: no earlier holder, however long it was cut off, can
   commit anything after this point. Only then are the group's committed offsets C fetched
   (a stable fetch) and the partition resumed there; ``on_assign_at`` gets C. C is final: no
   transaction that could still move it exists.
   The group's generation check (KIP-447), which the pod-named id relied on, did not hold
   this: the chaos suite caught a decider cut off by a broker crash whose retried transaction
   (records, offsets, events) committed after its successor had taken over at the older offset
   and decided the same input: every event of that batch published twice, and the late offset
   commit sent the successor back over its own batch. (kafka-python also resets a dropped
   member's generation to "none", for which the broker skips the check: the Kafka bus refuses
   to send offsets then.)
3. Reading the changelog "to its end" is not enough either: a read_committed reader stops at
   the last stable offset, and that can lie before the transaction that committed C (its
   markers land partition by partition after the commit is decided; after a broker crash they
   are re-sent once the coordinator has reloaded). So the take-over reads on until the index's
   offset record reaches C (:meth:`ThreadProcessor._catch_up_to`), however long the markers
   take (bounded: no progress for ``CATCH_UP_STALL_S`` counts as a broker outage, and the loop
   reconnects).
4. Nothing committed can follow unseen while this decider holds the partition: any other
   writer of the changelog holds an older epoch of the partition's transactional id (fenced in
   step 2). So the records between where the take-over stopped reading and this decider's own
   last write are its own or aborted: on revocation the reader may skip them (only after such
   a verified take-over; otherwise it re-reads them: records set whole keys, so re-applying
   them in order changes nothing). A standby applies committed records only, in order: its
   index is always the state after some committed offset record, and the take-over moves it
   on to C.
5. An aborted batch rebuilds the index, and waits likewise for the offset record of this
   decider's own last commit (its markers can still be in flight); an abort between batches
   (the broker went away while polling) leaves the index alone, as it holds committed state.

A changelog written before offset records existed cannot show C: once nothing beyond the
reader's position can still become readable (no undecided transaction left), the take-over
takes it as it is, with a warning, as before. A decider of an earlier version writes under its
pod's transactional id, which step 2 does not fence: while a rolling upgrade has both versions
running, only the group-generation check stands between them.

Per-site boilerplate learning lives here too, for the same reason: learned from the ordered
stream by the single writer and persisted in the same changelog (``bp/<site>`` keys), so a
restarted worker cleans the next page exactly as its predecessor would have.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from newswire import metrics as m
from newswire import tracing
from newswire.bus import BrokerUnreachable, BusError, Message, TableReader, TopicPartition
from newswire.records import CleanedRecord, RecordError, after_fetch, parse_time
from newswire.runtime import DeadLetter, Out, Outcome, release_free_memory
from newswire.settings import WorkerSettings
from workers import features
from workers.boilerplate import SiteBoilerplate
from workers.events import build_event, encode_event, event_headers
from workers.thread import ARTICLE_PREFIX, STORY_PREFIX, Decision, StoryIndex, ThreadInput, ThreadSettings

log = logging.getLogger(__name__)

BOILERPLATE_PREFIX = "bp/"
# ``offset/<topic>/<partition>`` = the input offset committed with the transaction that wrote it.
OFFSET_PREFIX = "offset/"
# How long a take-over waits for the changelog to show the committed input offset while records
# are still pending: past kafka-python's transaction timeout (60 s), after which the coordinator
# aborts a dead owner's open transaction and the records behind it become readable.
CATCH_UP_STALL_S = 120.0


def offset_key(tp: TopicPartition) -> str:
    return f"{OFFSET_PREFIX}{tp.topic}/{tp.partition}"


def _offset_record(key: str, value: bytes | None) -> tuple[TopicPartition, int | None]:
    topic, _, partition = key[len(OFFSET_PREFIX) :].rpartition("/")
    return TopicPartition(topic, int(partition)), None if value is None else int(value)


def thread_settings(w: WorkerSettings) -> ThreadSettings:
    window = timedelta(days=w.thread_window_days)
    return ThreadSettings(candidate_window=window, expiry=window + timedelta(days=1))


@dataclass
class Decided:
    """One input's decision and event (None for an unchanged re-delivery)."""

    decision: Decision
    event: dict[str, Any] | None


#: What reading a damaged changelog record raises: not JSON or not UTF-8 (ValueError), a field
#: missing (KeyError), of the wrong type (TypeError, AttributeError), bad base64 (binascii.Error,
#: a ValueError), a record version this code does not know (ValueError), JSON nested past the
#: parser's depth (RecursionError), a number past a float where a count is read (OverflowError:
#: ``int(1e400)``).
_UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError)


class ThreadProcessor:
    name = "thread"

    def __init__(
        self,
        settings: WorkerSettings,
        events_topic: str,
        index_topic: str,
        restore: Callable[[], Iterable[Message]] | None = None,
        expire_every: int = 200,
        changelog: TableReader | None = None,
    ) -> None:
        self.settings = settings
        self.events_topic, self.index_topic = events_topic, index_topic
        # Where the state comes from: a reader of the changelog topic that this worker follows
        # while it is a standby (the daemon's way), or else a full read of it (tests, tools).
        self._changelog = changelog
        self._restore_source = restore
        self._gauges_at = 0.0
        self.gauge_interval_s = 5.0
        # A standby applies changelog records for at most this long per idle turn of the stage
        # loop, which then polls its group consumer again (and so stays a live member).
        self.follow_budget_s = 2.0
        self._expire_every = expire_every
        self._since_expire = 0
        self.index = StoryIndex(thread_settings(settings))
        self.boilerplate: dict[str, SiteBoilerplate] = {}
        self.ready = False
        # A replica that does not hold the (single) cleaned partition is a standby: it follows
        # the changelog and is ready once it has caught up with it (``warm``); one that was
        # just assigned is unready until its catch-up (``restoring``) is done.
        self.restoring = False
        self.warm = False
        self._warm_target: dict[TopicPartition, int] | None = None
        self._lag_at = 0.0
        # Where this decider's own last committed changelog records end: its index holds
        # everything before (see on_revoke).
        self._written: dict[TopicPartition, int] = {}
        # The input offsets the index reflects: those committed with the last changelog
        # transaction applied (its ``offset/`` records), or with this decider's own last commit.
        self.applied: dict[TopicPartition, int] = {}
        self._committing: dict[TopicPartition, int] = {}
        # The index holds effects of a batch not committed yet (an abort must rebuild it).
        self._dirty = False
        # The last take-over found the index at exactly the group's committed offsets.
        self._verified = False
        self.assigned: frozenset[TopicPartition] = frozenset()
        self.watermark: datetime | None = None
        self._decisions = m.DECISIONS_BY_KIND
        self._updates = m.STORY_UPDATES_BY_KIND
        self._published = m.EVENTS_PUBLISHED_BY_TYPE
        self._latency = m.EVENT_LATENCY_SINCE
        self._standby_lag = m.STANDBY_LAG

    # -- state -------------------------------------------------------------------------
    def reset(self) -> None:
        self.index = StoryIndex(thread_settings(self.settings))
        self.boilerplate = {}
        self.applied = {}
        self.watermark = None

    def restore_from(self, records: Iterable[Message]) -> int:
        """Rebuild the state from the whole changelog (see :meth:`apply_changelog`)."""
        self.reset()
        n = self.apply_changelog(records)
        # Event time resumes where the predecessor left it, so expiry carries on after restarts.
        self.watermark = self.index.latest_time()
        self._update_gauges()
        return n

    def apply_changelog(self, records: Iterable[Message]) -> int:
        """Apply changelog records, in offset order, on top of the current state.

        Every record sets (or, as a tombstone, deletes) the whole value of one key, so state
        built from a prefix of the changelog and then given the rest, in order, is the state a
        restore of the whole changelog builds: what lets a standby apply it in pieces. Keys of
        a kind this version does not know (a newer version's, after a rollback) are skipped
        with a warning: failing here would fail every restart the same way, a crash loop that
        stops the pipeline for state this version would not use anyway. A record of a known kind
        that cannot be read (``_UNREADABLE``) is read as its key's tombstone, with a warning."""
        n = 0
        unknown: dict[str, int] = {}
        unreadable: dict[str, int] = {}
        for msg in records:
            if msg.key is None:
                continue
            key = msg.key.decode(errors="replace")
            if key.startswith(OFFSET_PREFIX):
                try:
                    tp, offset = _offset_record(key, msg.value)
                except ValueError:
                    unknown[OFFSET_PREFIX] = unknown.get(OFFSET_PREFIX, 0) + 1
                    continue
                if offset is None:
                    self.applied.pop(tp, None)
                else:
                    self.applied[tp] = offset
                n += 1
                continue
            if not key.startswith((BOILERPLATE_PREFIX, ARTICLE_PREFIX, STORY_PREFIX)):
                kind = key.split("/", 1)[0] if "/" in key else key[:32]
                unknown[kind] = unknown.get(kind, 0) + 1
                continue
            try:
                self._apply_record(key, msg.value)
            except _UNREADABLE as exc:
                # One record this version cannot read (damaged, or written by a newer version
                # under a known key) would fail every restore, every standby and every restart
                # alike. It is read as a tombstone: its key's state is gone, the same way on
                # every replica, and the decisions that follow are a function of what remains.
                self._apply_record(key, None)
                kind = key.split("/", 1)[0]
                unreadable[kind] = unreadable.get(kind, 0) + 1
                log.warning(
                    "unreadable changelog record read as a tombstone",
                    extra={"key": key[:200], "error": f"{type(exc).__name__}: {str(exc)[:200]}"},
                )
            n += 1
        if unknown:
            log.warning("unknown changelog keys skipped", extra={"by_prefix": unknown})
        if unreadable:
            log.warning("unreadable changelog records read as tombstones", extra={"by_prefix": unreadable})
        return n

    def _apply_record(self, key: str, value: bytes | None) -> None:
        if key.startswith(BOILERPLATE_PREFIX):
            site = key[len(BOILERPLATE_PREFIX) :]
            if value is None:
                self.boilerplate.pop(site, None)
            else:
                self.boilerplate[site] = SiteBoilerplate.from_dict(json.loads(value))
        else:
            self.index.restore(key, value)

    def _reload(self) -> None:
        """The whole state again from the changelog: on an aborted batch (the index ran ahead
        of the transaction), or on assignment when there is no reader to follow."""
        started = time.monotonic()
        n: int | None = None
        if self._changelog is not None:
            self._changelog.rewind()
            n = self.restore_from(self._changelog.read_to_end())
        elif self._restore_source is not None:
            n = self.restore_from(self._restore_source())
        if n is not None:
            log.info(
                "story index restored",
                extra={"records": n, **self.index.stats(), "seconds": round(time.monotonic() - started, 3)},
            )
        self.ready = True

    def _behind(self, target: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        return {tp: off for tp, off in target.items() if self.applied.get(tp, -1) < off}

    def _catch_up_to(self, reader: TableReader, target: Mapping[TopicPartition, int]) -> tuple[int, bool]:
        """Read on until the index reflects the input offsets ``target`` (the group's committed
        ones): (records applied, whether it does). The end a read stops at (Kafka: the last
        stable offset) can lie before the transaction that committed ``target``: its markers
        are written after the offsets' (they land partition by partition), or an open
        transaction of a deposed owner sits before it. Either way its records become readable
        once that settles, so this waits for them. It stops short only when nothing beyond the
        position can still become readable: a changelog without offset records (written
        before them, or after a rollback to such a version) cannot say, and is taken as is.
        Raises BrokerUnreachable when nothing moves for ``CATCH_UP_STALL_S``."""
        n = 0
        behind = self._behind(target)
        progress_at, last = time.monotonic(), reader.positions()
        settled_at: float | None = None
        while behind:
            batch = reader.read(max_records=2000, timeout_s=0.5)
            if batch:
                n += self.apply_changelog(batch)
                behind = self._behind(target)
                settled_at = None
                continue
            now, at = time.monotonic(), reader.positions()
            if at != last:
                progress_at, last, settled_at = now, at, None
            # Settled on reads a second apart: a fetch answered just before the awaited
            # transaction's records were appended cannot stand for the log as it is.
            if not reader.settled():
                settled_at = None
            elif settled_at is None:
                settled_at = now
            elif now - settled_at >= 1.0:
                log.warning(
                    "changelog holds no record of the committed input offset; taking the index as it is",
                    extra={"committed": _show(target), "index_at": _show(self.applied)},
                )
                return n, False
            if now - progress_at > CATCH_UP_STALL_S:
                raise BrokerUnreachable(
                    f"{reader.topic} did not reach the committed input offsets {_show(target)} "
                    f"(index at {_show(self.applied)}) within {CATCH_UP_STALL_S:.0f}s"
                )
        return n, True

    def _take_over(self, reader: TableReader, committed: Mapping[TopicPartition, int]) -> None:
        """Replay what the changelog holds beyond what this worker has applied (all of it when
        it starts cold), up to the committed end as of now, and on until the index reflects the
        group's ``committed`` input offsets (see :meth:`_catch_up_to`). Nothing is decided
        before this returns. The reader sees committed records only, so a deposed owner's open
        or aborted transaction never enters the index."""
        started, cpu = time.monotonic(), time.process_time()
        before = sum(reader.positions().values())
        n = self.apply_changelog(reader.read_to_end())
        more, exact = self._catch_up_to(reader, committed)
        n += more
        ahead = {tp: off for tp, off in self.applied.items() if tp in committed and off > committed[tp]}
        if ahead:  # an operator moved the group's offsets back (a re-run): the index keeps its state
            log.warning(
                "index ahead of the committed input offsets; inputs before it decide as re-deliveries",
                extra={"committed": _show(committed), "index_at": _show(self.applied)},
            )
        self._verified = exact and not ahead
        # The tail's postings searchable now, not at the first decision: part of the take-over.
        self.index.settle()
        release_free_memory()  # the decoded records' garbage: the pod's RSS is the index's
        # As a restore would leave it: event time from the records, expiry counted afresh.
        self.watermark = self.index.latest_time()
        self._since_expire = 0
        self.warm, self._warm_target = True, None
        seconds = time.monotonic() - started
        m.TAKEOVER_DURATION.observe(seconds)
        m.TAKEOVER_RECORDS.set(n)
        self._standby_lag.set(0)
        log.info(
            "story index caught up: deciding",
            extra={
                "cold": before == 0,
                "from_offset": before,
                "to_offset": sum(reader.positions().values()),
                "records": n,
                "input_offsets": _show(self.applied),
                "committed": _show(committed),
                "seconds": round(seconds, 3),
                "cpu_seconds": round(time.process_time() - cpu, 3),
            },
        )
        self.ready = True

    def _follow(self, reader: TableReader) -> None:
        """Standby: apply what the changelog gained since the last call, for at most
        ``follow_budget_s``; ``warm`` once the end seen on the first call is reached. A broker
        that is away only delays this (the next idle turn tries again)."""
        deadline = time.monotonic() + self.follow_budget_s
        try:
            if not self.warm and self._warm_target is None:
                self._warm_target = reader.end_offsets()
            while True:
                batch = reader.read(max_records=2000, timeout_s=0.05)
                if batch:
                    self.apply_changelog(batch)
                if not batch or time.monotonic() >= deadline:
                    break
            if self._warm_target is not None and reader.caught_up(self._warm_target):
                self.warm, self._warm_target = True, None
                log.info(
                    "standby caught up with the story index changelog",
                    extra={"offset": sum(reader.positions().values())},
                )
            now = time.monotonic()
            if now - self._lag_at >= self.gauge_interval_s:
                self._lag_at = now
                self._standby_lag.set(reader.lag())
        except BusError as exc:
            log.warning("standby could not follow the changelog; trying again", extra={"error": str(exc)})

    def on_assign(self, partitions: frozenset[TopicPartition]) -> None:
        self.on_assign_at(partitions, {})

    def on_assign_at(self, partitions: frozenset[TopicPartition], committed: Mapping[TopicPartition, int]) -> None:
        """Assigned ``partitions``, which resume from the group's ``committed`` offsets: the
        index is brought to exactly those before anything is decided."""
        if not partitions:  # a standby: tick() follows the changelog meanwhile
            self.restoring = False  # a take-over cut short (the broker went away) went to another
            return
        self.restoring = True
        self._verified = False
        if self._changelog is not None:
            self._take_over(self._changelog, committed)
        else:
            self._reload()
        self.assigned |= partitions
        self.restoring = False

    def commit_outputs(self, offsets: Mapping[TopicPartition, int]) -> list[Out]:
        """Every transaction that commits input offsets writes them to the changelog too, so
        the changelog says which input its state is the state after (see :meth:`_take_over`)."""
        self._committing = dict(offsets)
        return [
            Out(self.index_topic, str(off).encode(), offset_key(tp).encode()) for tp, off in sorted(offsets.items())
        ]

    def on_commit(self, offsets: dict[TopicPartition, int]) -> None:
        """The stage loop committed a transaction; ``offsets`` end its records, per partition."""
        self.applied.update(self._committing)
        self._committing = {}
        self._dirty = False
        for tp, end in offsets.items():
            if tp.topic == self.index_topic:
                self._written[tp] = end

    def on_revoke(self, partitions: frozenset[TopicPartition]) -> None:
        """Back to standby (unless ``thread_standby`` is off). The index is the committed
        state (a batch in flight was aborted and reloaded), which holds every changelog record
        up to this decider's own last committed one. After a take-over that found the index at
        the group's committed offsets, no other writer's record can be committed after the
        take-over's position while this decider holds the partition (a deposed owner's
        transaction cannot commit offsets any more, and one that had was waited for by the
        take-over), so the records up to its own last one are its own or aborted: the reader
        moves past them, and neither a re-assignment (eager rebalances revoke even a partition
        that stays) nor following reads its own writes again. Otherwise it reads them again
        (re-applying records in order leaves the same state). Anything a later owner writes
        comes after them."""
        self.assigned -= partitions
        self.ready = False
        reader = self._changelog
        if reader is None or self.assigned:
            return
        if not self.settings.thread_standby:
            # Not a standby here: hold no index; the next take-over restores from the start.
            self.reset()
            reader.rewind()
        elif self._verified:
            try:
                at = reader.positions()
                for tp, end in self._written.items():
                    if at.get(tp, 0) < end:
                        reader.seek(tp, end)
            except BusError as exc:  # then it reads its own records again: slower, still right
                log.warning("changelog position unknown; own records will be re-read", extra={"error": str(exc)})
        self._written = {}
        self._verified = False

    def on_abort(self) -> None:
        """The transaction in flight was aborted (or its outcome is unknown). An index that
        holds a batch not committed yet is rebuilt from the changelog, at least up to this
        decider's last committed input offsets (its own last transaction's records can still be
        beyond where a read stops: see :meth:`_catch_up_to`); one that holds committed state
        only (the broker went away between batches) is left as it is."""
        self._written = {}
        self._committing = {}
        self._verified = False
        if self._changelog is not None and not self._dirty:
            return
        self._dirty = False
        known = dict(self.applied)
        self._reload()
        if self._changelog is not None and known:
            self._catch_up_to(self._changelog, known)

    def _update_gauges(self) -> None:
        """Index size gauges; ``stats()`` walks the index, so callers throttle this."""
        self._gauges_at = time.monotonic()
        self.index.settle()
        stats = self.index.stats()
        m.INDEX_ARTICLES.set(stats["articles"])
        m.INDEX_STORIES.set(stats["stories"])
        m.INDEX_MEMORY.set(stats["approx_bytes"])

    def tick(self) -> None:
        """Between batches and when idle: a standby follows the changelog; the index gauges
        are refreshed at most every ``gauge_interval_s`` (so they catch up after a burst)."""
        if self._changelog is not None and not self.assigned and self.settings.thread_standby:
            self._follow(self._changelog)
        if time.monotonic() - self._gauges_at >= self.gauge_interval_s:
            self._update_gauges()

    # -- the decision ------------------------------------------------------------------
    def _site_boilerplate(self, site: str) -> SiteBoilerplate:
        bp = self.boilerplate.get(site)
        if bp is None:
            bp = self.boilerplate[site] = SiteBoilerplate(site=site, min_pages=self.settings.boilerplate_min_pages)
        return bp

    def decide(
        self, article: CleanedRecord, written: datetime | None = None
    ) -> tuple[Decided, list[tuple[str, bytes | None]]]:
        """Boilerplate-filter, decide and apply one cleaned article; returns changelog entries.
        ``written``: when its record was written (the bound of its event time without a fetch
        time, ``_event_time``)."""
        changes: list[tuple[str, bytes | None]] = []
        lines = article.text.splitlines()
        keep = list(range(len(lines)))
        if article.site:
            # A site's furniture repeats on its pages. Records of no site (a feed entry without a
            # link, a replay line given as text) are of many outlets: the lines they share are
            # what outlets print alike (a wire story, a quote), not furniture to strip.
            bp = self._site_boilerplate(article.site)
            before = len(bp.lines), bp.pages_seen
            bp.observe(article.article_id, lines)
            if (len(bp.lines), bp.pages_seen) != before:
                changes.append((BOILERPLATE_PREFIX + article.site, json.dumps(bp.to_dict()).encode()))
            keep = [i for i, line in enumerate(lines) if not bp.is_boilerplate(line)]
        analysis = _analysis(article)
        if len(keep) != len(lines) and keep:
            kept = [lines[i] for i in keep]
            text = "\n".join(kept)
            if analysis is not None:
                # The features are per line of the cleaned text; those of the lines kept make
                # the filtered text's, when its lines are the ones the features were cut by.
                same_cut = analysis.lines == len(lines) and article.text.split("\n") == lines
                analysis = analysis.keep(keep) if same_cut else None
            # ``content_hash`` stays the cleaned record's: the re-delivery test (same page, same
            # headline: ``unchanged``) compares pages as delivered, and the furniture learned
            # between two deliveries of one page must not make the second a revision.
            article = replace(article, text=text)
        published = _event_time(article, written)
        item = ThreadInput(
            article_id=article.article_id,
            raw_id=article.raw_id,
            url=article.url,
            guid=article.guid,
            site=article.site,
            title=article.title,
            text=article.text,
            published=published,
            content_hash=article.content_hash,
            analysis=analysis,
        )
        decision = self.index.decide(item)
        changes.extend(self.index.apply(item, decision))
        if published is not None and (self.watermark is None or published > self.watermark):
            self.watermark = published
        self._decisions[decision.kind].inc()
        if decision.update_kind is not None:
            self._updates[decision.update_kind].inc()
        event = None if decision.kind == "unchanged" else build_event(article, decision)
        return Decided(decision, event), changes

    def process(self, batch: Sequence[Message]) -> list[Outcome]:
        """Decide a batch in publication order (pages of one poll round arrive in whatever order
        their feeds answered; a follow-up must not be decided before the story it continues),
        writing the outputs in that order too."""
        outcomes = [Outcome() for _ in batch]
        articles: list[tuple[float, int, CleanedRecord]] = []
        self._dirty = True
        for msg in batch:
            applied = self.applied.get(msg.tp)
            if applied is not None and msg.offset < applied:
                # Input the index already reflects (the group's offsets were moved back): it
                # decides as a re-delivery. Said once a batch, as it is worth a look.
                log.warning(
                    "input below the index's committed offset",
                    extra={"topic": msg.topic, "partition": msg.partition, "offset": msg.offset, "index_at": applied},
                )
                break
        for i, msg in enumerate(batch):
            try:
                article = CleanedRecord.decode(msg.value)
            except RecordError as exc:
                outcomes[i].dead = DeadLetter("decode_error", str(exc))
                continue
            when = _event_time(article, _written(msg))
            articles.append((when.timestamp() if when else float("inf"), i, article))
        articles.sort(key=lambda a: (a[0], a[1]))
        for rank, (_, i, article) in enumerate(articles):
            outcome = outcomes[i]
            outcome.order = rank
            decided, changes = self.decide(article, _written(batch[i]))
            outcome.outputs.extend(Out(self.index_topic, v, k.encode()) for k, v in changes)
            if decided.event is not None:
                event = decided.event
                traceparent = tracing.child_of(tracing.from_headers(batch[i].headers))
                outcome.outputs.append(
                    Out(
                        self.events_topic,
                        encode_event(event),
                        event["story_id"].encode(),
                        event_headers(event, traceparent),
                    )
                )
                self._published[event["type"]].inc()
                self._observe_latency(article)
                log.info(
                    "story event",
                    extra={
                        "type": event["type"],
                        "event_id": event["event_id"],
                        "raw_id": event["raw_id"],
                        "story_id": event["story_id"],
                        "article_id": event["article_id"],
                        "version": event["version"],
                        "feed": event["feed_url"],
                        "site": event["site"],
                        "trace_id": tracing.trace_id(traceparent),
                    },
                )
        self.tick()
        self._since_expire += len(batch)
        if self._since_expire >= self._expire_every and self.watermark is not None and articles:
            # Expiry runs on event time (the newest publication seen), so a replay of old news
            # expires exactly as the live run did; tombstones ride in this batch's transaction.
            self._since_expire = 0
            tombstones = self.index.expire(self.watermark)
            carrier = outcomes[articles[-1][1]]  # a decided (not dead-lettered) record's outputs
            carrier.outputs.extend(Out(self.index_topic, None, k.encode()) for k, _ in tombstones)
            self._update_gauges()
        return outcomes

    def _observe_latency(self, article: CleanedRecord) -> None:
        now = datetime.now(UTC)
        for since, value in (
            ("published", article.published or article.feed_published),
            ("fetched", article.fetched_at),
        ):
            t = parse_time(value)
            if t is not None and t <= now:
                self._latency[since].observe((now - t).total_seconds())


def _analysis(article: CleanedRecord) -> features.TextAnalysis | None:
    """The features the clean stage shipped, or None (then the decider analyses the text):
    absent in records written before them, and unreadable ones are not worth a dead letter,
    since the text they were computed from is in the record."""
    try:
        analysis = features.from_wire(article.features)
    except ValueError as exc:
        log.warning("cleaned record's features unreadable; threading from its text", extra={"error": str(exc)})
        return None
    if analysis is not None and analysis.text_hash != features.text_digest(article.text):
        log.warning("cleaned record's features are of another text; threading from its text")
        return None
    return analysis


def _show(offsets: Mapping[TopicPartition, int]) -> dict[str, int]:
    return {f"{tp.topic}/{tp.partition}": off for tp, off in sorted(offsets.items())}


def _written(msg: Message) -> datetime | None:
    """When a record was written to its topic (its Kafka timestamp; None when it has none)."""
    return datetime.fromtimestamp(msg.timestamp_ms / 1000, UTC) if msg.timestamp_ms > 0 else None


def _event_time(article: CleanedRecord, written: datetime | None = None) -> datetime | None:
    """When the article was published: the page's date, else the feed's. Not a time more than
    a day after the record's fetch, nor after the record was ``written`` (the one bound a
    backfill line without a fetch time has). The clean stage passes such dates over; a record
    cleaned elsewhere may not have. Expiry follows the newest event time, and one record dated
    2099 would carry it past every live story, tombstoning them all: such a record is threaded
    as one without a date. The bound is the record's own, never the clock at decision time, so
    a record decided again after a take-over is decided the same way."""
    when = parse_time(article.published) or parse_time(article.feed_published)
    fetched = parse_time(article.fetched_at)
    # (a fetch time after the record was written is no fetch time either)
    bound = min(fetched, written) if fetched is not None and written is not None else fetched or written
    if when is not None and after_fetch(when, bound):
        log.warning(
            "event time after the fetch; threaded as undated",
            extra={"raw_id": article.raw_id, "published": article.published, "fetched_at": article.fetched_at},
        )
        return None
    return when
