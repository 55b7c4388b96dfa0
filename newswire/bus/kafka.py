"""Kafka bus on kafka-python (>= 3.0): idempotent ``acks=all`` producers, transactions, and
``read_committed`` consumers (not kafka-python's default) so aborted work is never seen.

Partitions for keyed records are chosen with :func:`newswire.bus.base.partition_for`, the same
function the embedded backend uses, so feed ownership and article ordering do not depend on
which backend runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KafkaTP
from kafka.admin import NewTopic
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from newswire.bus.base import (
    BrokerUnreachable,
    Bus,
    BusError,
    Consumer,
    Fenced,
    Message,
    PartitionsCallback,
    Producer,
    TableReader,
    TopicPartition,
    partition_for,
)
from newswire.bus.group_join import mend_group_join
from newswire.settings import KafkaSettings
from newswire.topics import TopicSpec

log = logging.getLogger(__name__)

# How long a partition's position is waited for, by ``position`` and the lag metric (both run in
# the stage loop, between batches) and by each check of a table read's progress.
_POSITION_MS = 1000

# Before any consumer exists: kafka-python 3.0 can lose a group join between two polls.
mend_group_join()


def client_config(s: KafkaSettings) -> dict[str, Any]:
    """Connection settings shared by every client; secrets come from the settings object."""
    cfg: dict[str, Any] = {
        "bootstrap_servers": s.bootstrap_servers.split(","),
        "client_id": s.client_id,
        "security_protocol": s.security_protocol,
        "request_timeout_ms": s.request_timeout_ms,
    }
    if s.sasl_mechanism:
        cfg["sasl_mechanism"] = s.sasl_mechanism
        cfg["sasl_plain_username"] = s.sasl_username
        cfg["sasl_plain_password"] = s.sasl_password.get_secret_value() if s.sasl_password else None
    for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        if getattr(s, key):
            cfg[key] = getattr(s, key)
    return cfg


_FENCED = frozenset(
    {
        "ProducerFencedError",
        "InvalidProducerEpochError",
        "TransactionalIdAuthorizationFailedError",
        "TransactionCoordinatorFencedError",
    }
)


def _is_fenced(exc: BaseException) -> bool:
    """Fenced, also when kafka-python reports it as the cause of a later call's failure (a send
    or a transactional call after a fenced request raises a plain ``KafkaError`` carrying the
    ``ProducerFencedError``: found with a deposed poller's late transaction)."""
    if type(exc).__name__ in _FENCED:
        return True
    causes = [*exc.args, exc.__cause__]
    return any(isinstance(c, BaseException) and type(c).__name__ in _FENCED for c in causes)


# The group moved on without this member (its session expired, e.g. while the broker was down):
# the transaction cannot commit its offsets, but a new consumer rejoins and resumes from the
# committed ones, so the cure is the same as for an unreachable broker.
_MEMBERSHIP_LOST = frozenset(
    {"CommitFailedError", "UnknownMemberIdError", "IllegalGenerationError", "RebalanceInProgressError"}
)


def _error(exc: KafkaError, message: str) -> BusError:
    """Fenced (this producer is deposed), BrokerUnreachable (a retriable error, or the group's
    membership lost: the broker was away, and reconnecting cures it), or BusError (the rest)."""
    if _is_fenced(exc):
        return Fenced(message)
    if getattr(exc, "retriable", False) or type(exc).__name__ in _MEMBERSHIP_LOST:
        return BrokerUnreachable(message)
    return BusError(message)


def _offsets_after(futures: Sequence[Any]) -> dict[TopicPartition, int]:
    """The offset past the last acknowledged record per partition (a committed transaction's
    records are all acknowledged: the commit is sent only once they are)."""
    out: dict[TopicPartition, int] = {}
    for fut in futures:
        if not fut.is_done or fut.failed():
            continue
        md = fut.value
        tp = TopicPartition(md.topic, md.partition)
        out[tp] = max(out.get(tp, 0), int(md.offset) + 1)
    return out


class KafkaBusProducer(Producer):
    def __init__(self, s: KafkaSettings, transactional_id: str | None) -> None:
        cfg = client_config(s)
        cfg.update(
            acks="all",
            enable_idempotence=True,
            compression_type=None if s.compression == "none" else s.compression,
            max_request_size=s.max_message_bytes,
            linger_ms=5,
            # A stage's transaction usually lands in one partition (same key function as the
            # input); with the 16 KB default a 64-page batch takes ~16 round trips (measured in
            # bench/bench_bus.py), with 1 MB batches a few.
            batch_size=1_048_576,
        )
        if transactional_id is not None:
            cfg["transactional_id"] = transactional_id
        try:
            self._p = KafkaProducer(**cfg)
        except KafkaError as exc:
            raise BrokerUnreachable(f"cannot reach Kafka at {s.bootstrap_servers}") from exc
        if transactional_id is not None:
            try:
                self._p.init_transactions()
            except KafkaError as exc:
                # Not opened (the broker is away, or its coordinator still loading): its
                # sender thread and connections go with it, or every retry would leak a set.
                self._p.close(timeout=0)
                raise BrokerUnreachable(f"cannot open a producer as {transactional_id!r}: {exc!r}") from exc
        self._partitions: dict[str, int] = {}
        self._futures: list[Any] = []
        self._committed: dict[TopicPartition, int] = {}
        self._txn_timeout_ms = s.request_timeout_ms

    def _error(self, exc: KafkaError, message: str) -> BusError:
        """As :func:`_error`, and Fenced when this producer was fenced earlier: kafka-python
        then fails every later transactional call with a plain ``KafkaError`` whose message
        names the fenced error but carries no object of it (the chaos suite caught a poller
        crashing on the ``begin`` after a fenced commit)."""
        last = getattr(getattr(self._p, "_transaction_manager", None), "last_error", None)
        if isinstance(last, BaseException) and _is_fenced(last):
            return Fenced(message)
        return _error(exc, message)

    def _partition_count(self, topic: str) -> int:
        count = self._partitions.get(topic)
        if count is None:
            parts = self._p.partitions_for(topic)
            if not parts:
                raise BusError(f"unknown topic {topic!r}")
            count = self._partitions[topic] = len(parts)
        return count

    def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] = (),
        partition: int | None = None,
    ) -> None:
        if partition is None and key is not None:
            partition = partition_for(key, self._partition_count(topic))
        try:
            fut = self._p.send(topic, value=value, key=key, headers=list(headers) or None, partition=partition)
        except KafkaError as exc:
            raise self._error(exc, f"send to {topic} failed: {exc}") from exc
        self._futures.append(fut)

    def flush(self, timeout_s: float | None = None) -> None:
        try:
            self._p.flush(timeout=timeout_s)
            for fut in self._futures:
                fut.get(timeout=0)  # raises the delivery error, if any
        except KafkaError as exc:
            raise BusError(f"flush failed: {exc}") from exc
        finally:
            self._futures.clear()

    def begin(self) -> None:
        try:
            self._p.begin_transaction()
        except KafkaError as exc:
            raise self._error(exc, str(exc)) from exc

    def _await(self, start: Callable[[Any], Any], what: str) -> None:
        """Run one transactional step with a bounded wait.

        kafka-python's ``commit_transaction``/``abort_transaction``/``send_offsets_to_transaction``
        wait for the coordinator without any bound: a broker killed mid-transaction parked a
        stage there for good (found by the chaos suite). This is their body with the wait
        bounded by the request timeout; on expiry the outcome is unknown, so the caller must
        drop this producer and let a new one (same transactional id) settle the transaction.
        """
        result = start(self._p._transaction_manager)
        self._p._sender.wakeup()
        if not result.wait(timeout_ms=self._txn_timeout_ms):
            raise KafkaTimeoutError(f"{what} not acknowledged within {self._txn_timeout_ms} ms")

    def commit(self, consumer: Consumer | None = None, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        try:
            if consumer is not None and offsets:
                if not isinstance(consumer, KafkaBusConsumer):
                    raise BusError("a Kafka transaction needs a Kafka consumer")
                kafka_offsets = {
                    KafkaTP(tp.topic, tp.partition): OffsetAndMetadata(off, "", -1) for tp, off in offsets.items()
                }
                metadata = consumer.raw.group_metadata()
                if metadata.generation_id < 0 or not metadata.member_id:
                    # kafka-python resets these when the group dropped this member (its
                    # heartbeat learned it); the broker skips its generation check for a
                    # transactional commit without them, so a deposed member's offsets would
                    # land. Not sent: the stage rejoins as after an outage.
                    raise BrokerUnreachable("commit refused: this consumer is no member of its group any more")
                self._await(lambda tm: tm.send_offsets_to_transaction(kafka_offsets, metadata), "send offsets")
            self._await(lambda tm: tm.begin_commit(), "commit")
            self._committed = _offsets_after(self._futures)
            self._futures.clear()
        except KafkaError as exc:
            raise self._error(exc, f"commit failed: {exc}") from exc

    def committed_offsets(self) -> dict[TopicPartition, int]:
        return dict(self._committed)

    def abort(self) -> None:
        try:
            self._await(lambda tm: tm.begin_abort(), "abort")
        except KafkaError as exc:
            if isinstance(self._error(exc, ""), Fenced):
                raise Fenced(str(exc)) from exc
            log.warning("abort_transaction failed: %s", exc)
        self._futures.clear()

    def settle(self, group_id: str) -> None:
        """Commit an empty transaction holding ``group_id``'s offsets partition, so its commit
        marker lands there under this producer's id.

        A broker killed between a transaction's prepare-commit and its markers completes that
        transaction when it restarts, but the chaos suite found the markers missing from the
        partitions (the transaction log says CompleteCommit, the offsets partition holds the
        transactional offset commit with no marker after it). The group coordinator then keeps
        those offsets pending for good, and every committed-offset fetch a ``read_committed``
        consumer makes for the partition answers UNSTABLE_OFFSET_COMMIT; opening a producer under
        the same transactional id does not help (no transaction is open to abort). Only a marker
        of the same producer id in that partition completes them: this transaction's. The one
        found had been committed (so said the transaction log), and this id's next commit in
        its output partitions completes its records there as committed too, so committing is
        the consistent outcome; with nothing of this id pending (the usual case) the commit
        changes no offset."""
        try:
            self._p.begin_transaction()
            self._await(lambda tm: tm.send_offsets_to_transaction({}, group_id), "settling offsets")
            self._await(lambda tm: tm.begin_commit(), "settling commit")
        except KafkaError as exc:
            raise self._error(exc, f"settling {group_id}'s offsets failed: {exc}") from exc

    def close(self) -> None:
        try:
            self._p.close(timeout=10)
        except KafkaError as exc:
            # Records of a transaction the broker never acknowledged (it went away): a producer
            # with the same transactional id aborts that transaction, so stop sending them.
            log.warning("producer closed with unsent records: %s", exc)
            self._p._sender.force_close()


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: KafkaBusConsumer) -> None:
        self._owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        tps = frozenset(TopicPartition(tp.topic, tp.partition) for tp in revoked)
        self._owner._assigned -= tps
        if self._owner._pending_assign is not None:  # never handed over: nothing to revoke there
            self._owner._pending_assign = self._owner._pending_assign - tps
        for tp in tps:  # a later commit() must not write positions of partitions another member owns now
            self._owner._positions.pop(tp, None)
            self._owner._resumed.pop(tp, None)
        if tps and self._owner._on_revoke is not None:
            self._owner._on_revoke(tps)

    def on_partitions_assigned(self, assigned: Any) -> None:
        tps = frozenset(TopicPartition(tp.topic, tp.partition) for tp in assigned)
        self._owner._assigned |= tps
        # Handed over by the next poll(), out of kafka-python's IO thread (which may not block):
        # see KafkaBusConsumer._take_assignment.
        self._owner._pending_assign = tps


class KafkaBusConsumer(Consumer):
    def __init__(
        self,
        s: KafkaSettings,
        group_id: str,
        topics: Sequence[str],
        on_assign: PartitionsCallback | None,
        on_revoke: PartitionsCallback | None,
        sticky: bool = False,
    ) -> None:
        cfg = client_config(s)
        if sticky:
            # Preferred, with kafka-python's defaults after it: a group where some members do
            # not offer it yet (a rolling upgrade) agrees on range and works as before.
            cfg["partition_assignment_strategy"] = (
                StickyPartitionAssignor,
                RangePartitionAssignor,
                RoundRobinPartitionAssignor,
            )
        cfg.update(
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_partition_fetch_bytes=s.max_message_bytes,
            fetch_max_bytes=max(s.max_message_bytes, 52_428_800),
            session_timeout_ms=10_000,
            heartbeat_interval_ms=3_000,
            max_poll_interval_ms=300_000,
        )
        self.group_id = group_id
        self._on_assign, self._on_revoke = on_assign, on_revoke
        self._assigned: frozenset[TopicPartition] = frozenset()
        self._positions: dict[TopicPartition, int] = {}
        self._pending_assign: frozenset[TopicPartition] | None = None
        self._resumed: dict[TopicPartition, int] = {}
        self._fetch_timeout_ms = s.request_timeout_ms
        try:
            self.raw = KafkaConsumer(**cfg)
        except KafkaError as exc:
            raise BrokerUnreachable(f"cannot reach Kafka at {s.bootstrap_servers}") from exc
        self.raw.subscribe(list(topics), listener=_Listener(self))

    def resume_at_committed(self, partitions: frozenset[TopicPartition]) -> dict[TopicPartition, int]:
        try:
            self._seek_committed(partitions)
        except KafkaError as exc:
            raise _error(exc, f"committed offsets unavailable: {exc}") from exc
        return {tp: off for tp, off in self._resumed.items() if tp in partitions}

    def _seek_committed(self, tps: frozenset[TopicPartition]) -> None:
        """Seek each partition to the group's committed offset, fetched stable (see
        :meth:`_take_assignment`) within the request timeout for them all.

        kafka-python waits for a stable offset without any bound, retrying UNSTABLE_OFFSET_COMMIT
        for as long as the broker answers it, and it answered it for good after a broker restart
        left a transaction's offsets pending (see :meth:`KafkaBusProducer.settle`): the stage sat
        in this fetch inside ``poll``, its partitions never handed over, and since it never polled
        again it never rejoined the group either, so the group's next rebalance waited for it and
        the other members got no partitions: every cleaner not ready (the chaos suite). On expiry
        the caller gives the partitions up (a KafkaTimeoutError: the stage loop reconnects, which
        leaves the group and settles its own transactional id's offsets as it reopens)."""
        deadline = time.monotonic() + self._fetch_timeout_ms / 1000
        for tp in sorted(tps):
            ktp = KafkaTP(tp.topic, tp.partition)
            left_ms = max(1, int((deadline - time.monotonic()) * 1000))
            try:
                committed = self.raw.committed(ktp, timeout_ms=left_ms)
            except KafkaTimeoutError as exc:
                raise KafkaTimeoutError(
                    f"committed offset of {tp.topic}-{tp.partition} unavailable or unstable (a transaction "
                    f"holds it) within {self._fetch_timeout_ms} ms"
                ) from exc
            if committed is None:
                self.raw.seek_to_beginning(ktp)
                self._resumed.pop(tp, None)
            else:
                self.raw.seek(ktp, committed)
                self._resumed[tp] = int(committed)
            self._positions.pop(tp, None)

    def _take_assignment(self, tps: frozenset[TopicPartition]) -> None:
        """Start every assigned partition at the group's committed offset, then tell the owner.

        kafka-python keeps the fetch position of a partition that is in both the old and the new
        assignment, but a member that was cut off (a broker outage, a session timeout) may still
        list a partition another member has owned and committed since: resuming from its own
        stale position would re-run records whose outputs are already committed, and publish
        them twice. The offset fetch is stable (read_committed): it waits until a deposed owner's
        pending transaction has settled, so the owner's ``on_assign`` (a state restore from a
        changelog) runs after it and sees that transaction's state too."""
        self._seek_committed(tps)
        # Called even for an empty assignment: an idle replica (more members than partitions)
        # has still joined the group, and e.g. a poller with no feeds is ready, not stuck.
        if self._on_assign is not None:
            self._on_assign(tps)

    def poll(self, timeout_s: float = 1.0, max_records: int = 500) -> list[Message]:
        try:
            batches = self.raw.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
            pending, self._pending_assign = self._pending_assign, None
            if pending is not None:
                # Records fetched from the kept (possibly stale) positions go unread: the same
                # records come again from the committed offsets.
                batches = {k: v for k, v in batches.items() if TopicPartition(k.topic, k.partition) not in pending}
                try:
                    self._take_assignment(pending)
                except BaseException:
                    # Not handed over (the broker went away meanwhile, say): the next poll
                    # tries again, unless the group has moved on by then.
                    if self._pending_assign is None:
                        self._pending_assign = pending & self._assigned
                    raise
        except KafkaError as exc:
            raise _error(exc, f"poll failed: {exc}") from exc
        out: list[Message] = []
        for ktp, records in batches.items():
            for r in records:
                out.append(
                    Message(
                        ktp.topic,
                        ktp.partition,
                        r.offset,
                        r.key,
                        r.value,
                        r.timestamp,
                        tuple((k, v) for k, v in (r.headers or ())),
                    )
                )
            if records:
                self._positions[TopicPartition(ktp.topic, ktp.partition)] = records[-1].offset + 1
        return out

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        offsets = dict(offsets) if offsets is not None else dict(self._positions)
        if not offsets:
            return
        try:
            self.raw.commit(
                {KafkaTP(tp.topic, tp.partition): OffsetAndMetadata(off, "", -1) for tp, off in offsets.items()}
            )
        except KafkaError as exc:
            raise BusError(f"commit failed: {exc}") from exc

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.raw.seek(KafkaTP(tp.topic, tp.partition), offset)
        self._positions[tp] = offset

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(TopicPartition(tp.topic, tp.partition) for tp in self.raw.assignment())

    def assigned_offsets(self) -> dict[TopicPartition, int]:
        return dict(self._resumed)

    def position(self, tp: TopicPartition) -> int | None:
        try:
            found = self.raw.position(KafkaTP(tp.topic, tp.partition), timeout_ms=_POSITION_MS)
        except KafkaError:  # revoked meanwhile, or the broker is away: unknown, ask again later
            return None
        return int(found) if found is not None else None

    def lag(self) -> dict[TopicPartition, int]:
        assigned = list(self.raw.assignment())
        if not assigned:
            return {}
        # A metric: a slow or briefly unreachable broker must surface as BusError, not a crash, and
        # within a bound: a position not known yet is a committed-offset fetch, which waits for
        # as long as a transaction holds that offset unstable (see ``_seek_committed``).
        try:
            ends = self.raw.end_offsets(assigned, timeout_ms=self._fetch_timeout_ms)
            out: dict[TopicPartition, int] = {}
            for tp in assigned:
                at = self.raw.position(tp, timeout_ms=_POSITION_MS)
                if at is None:
                    raise BusError(f"lag unavailable: no position of {tp.topic}-{tp.partition} yet")
                out[TopicPartition(tp.topic, tp.partition)] = max(0, ends[tp] - at)
            return out
        except KafkaError as exc:
            raise BusError(f"lag unavailable: {exc}") from exc

    def close(self) -> None:
        self.raw.close(autocommit=False)


def _message(topic: str, partition: int, r: Any) -> Message:
    return Message(topic, partition, r.offset, r.key, r.value, r.timestamp, tuple((k, v) for k, v in (r.headers or ())))


class KafkaTableReader(TableReader):
    """A group-less ``read_committed`` consumer assigned every partition of one topic (or the
    ones asked for), from the beginning. Group-less on purpose: a standby must not join the
    stage's group for this (it would take part in its rebalances) nor commit anything."""

    def __init__(self, consumer: KafkaConsumer, topic: str, partitions: Sequence[int] | None) -> None:
        self.topic = topic
        self._c = consumer
        try:
            parts = consumer.partitions_for_topic(topic)
        except KafkaError as exc:
            consumer.close(autocommit=False)
            raise _error(exc, f"cannot read {topic}: {exc}") from exc
        if not parts:
            consumer.close(autocommit=False)
            raise BusError(f"unknown topic {topic!r}")
        self._tps = [KafkaTP(topic, p) for p in sorted(parts) if partitions is None or p in partitions]
        consumer.assign(self._tps)
        self.rewind()

    def read(self, max_records: int = 2000, timeout_s: float = 0.1) -> list[Message]:
        try:
            batches = self._c.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            raise _error(exc, f"reading {self.topic} failed: {exc}") from exc
        out: list[Message] = []
        for ktp, records in sorted(batches.items(), key=lambda kv: kv[0].partition):
            out.extend(_message(self.topic, ktp.partition, r) for r in records)
        return out

    def positions(self) -> dict[TopicPartition, int]:
        out = {}
        for ktp in self._tps:
            try:
                found = self._c.position(ktp, timeout_ms=10_000)
            except KafkaError as exc:
                raise _error(exc, f"position on {self.topic} unknown: {exc}") from exc
            if found is None:
                raise BrokerUnreachable(f"position on {self.topic} unknown (no answer)")
            out[TopicPartition(ktp.topic, ktp.partition)] = int(found)
        return out

    def end_offsets(self) -> dict[TopicPartition, int]:
        try:  # read_committed: the last stable offset, not the high watermark
            ends = self._c.end_offsets(self._tps)
        except KafkaError as exc:
            raise _error(exc, f"end offsets of {self.topic} unavailable: {exc}") from exc
        return {TopicPartition(tp.topic, tp.partition): int(off) for tp, off in ends.items()}

    def settled(self) -> bool:
        # The fetch responses' high watermark counts an open transaction's records (the last
        # stable offset does not); a reader that keeps polling sees it refreshed every fetch.
        pos = self.positions()
        for ktp in self._tps:
            high = self._c.highwater(ktp)
            if high is None or pos[TopicPartition(ktp.topic, ktp.partition)] < high:
                return False
        return True

    def rewind(self) -> None:
        self._c.seek_to_beginning(*self._tps)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._c.seek(KafkaTP(tp.topic, tp.partition), offset)

    def close(self) -> None:
        self._c.close(autocommit=False)


class BrokerProbe:
    """Asks the cluster for its brokers with a short timeout: is it reachable *now*?

    The clients themselves never say: while the broker is down, a consumer's ``poll`` just
    returns nothing and a producer buffers, so without a probe a daemon stays "ready" through
    a whole outage. The probe has its own admin client (created on first use, kept across
    outages: it reconnects like every kafka-python client) and is meant for one thread.
    """

    def __init__(self, s: KafkaSettings, timeout_s: float = 3.0) -> None:
        self.settings = s
        self.timeout_ms = int(timeout_s * 1000)
        self._admin: KafkaAdminClient | None = None

    def __call__(self) -> bool:
        try:
            if self._admin is None:
                self._admin = KafkaAdminClient(
                    **{**client_config(self.settings), "request_timeout_ms": self.timeout_ms},
                    bootstrap_timeout_ms=self.timeout_ms,
                )
            return bool(self._admin.describe_cluster().get("brokers"))
        except (KafkaError, OSError):
            return False

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


class KafkaBus(Bus):
    name = "kafka"

    def __init__(self, s: KafkaSettings) -> None:
        self.settings = s
        deadline = time.monotonic() + s.connect_timeout_s
        last: Exception | None = None
        while True:
            try:
                # kafka-python waits bootstrap_timeout_ms (30 s by default) on its own: bound it.
                remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
                self._admin = KafkaAdminClient(**client_config(s), bootstrap_timeout_ms=remaining_ms)
                break
            except (KafkaError, OSError) as exc:
                last = exc
                if time.monotonic() >= deadline:
                    raise BrokerUnreachable(
                        f"cannot reach Kafka at {s.bootstrap_servers} within "
                        f"{s.connect_timeout_s:.0f}s ({type(last).__name__})"
                    ) from None
                time.sleep(0.5)
        self._reader: KafkaConsumer | None = None
        self._probe: BrokerProbe | None = None

    def reachable(self) -> bool:
        if self._probe is None:
            self._probe = BrokerProbe(self.settings)
        return self._probe()

    def _plain_consumer(self) -> KafkaConsumer:
        cfg = client_config(self.settings)
        cfg.update(
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=self.settings.max_message_bytes,
            fetch_max_bytes=max(self.settings.max_message_bytes, 52_428_800),
        )
        return KafkaConsumer(**cfg)

    def ensure_topics(self, specs: Sequence[TopicSpec]) -> None:
        existing = set(self._admin.list_topics())
        new = []
        for spec in specs:
            if spec.name in existing:
                continue
            configs: dict[str, str] = {"compression.type": "producer"}
            if spec.compacted:
                configs["cleanup.policy"] = "compact"
                configs["min.cleanable.dirty.ratio"] = "0.1"
            if spec.max_message_bytes:
                configs["max.message.bytes"] = str(spec.max_message_bytes)
            if spec.retention_ms and not spec.compacted:
                configs["retention.ms"] = str(spec.retention_ms)
            if spec.retention_bytes and not spec.compacted:
                configs["retention.bytes"] = str(spec.retention_bytes)
                # Retention drops whole segments: segments of an eighth of the cap keep the
                # topic within ~1/8 of it (the 1 GiB default would overshoot a small cap 2x).
                configs["segment.bytes"] = str(max(1 << 20, min(1 << 30, spec.retention_bytes // 8)))
            new.append(NewTopic(spec.name, spec.partitions, self.settings.replication_factor, topic_configs=configs))
        if not new:
            return
        try:
            self._admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass
        except KafkaError as exc:
            if "TopicAlreadyExists" not in repr(exc):
                raise BusError(f"create_topics failed: {exc}") from exc
        self._admin.wait_for_topics([t.name for t in new], timeout_ms=30_000)

    def producer(self, transactional_id: str | None = None) -> Producer:
        return KafkaBusProducer(self.settings, transactional_id)

    def consumer(
        self,
        group_id: str,
        topics: Sequence[str],
        *,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        sticky: bool = False,
    ) -> Consumer:
        return KafkaBusConsumer(self.settings, group_id, topics, on_assign, on_revoke, sticky)

    def read_table(self, topic: str, partitions: Sequence[int] | None = None) -> Iterator[Message]:
        try:
            consumer = self._plain_consumer()
        except KafkaError as exc:
            raise BrokerUnreachable(f"cannot reach Kafka at {self.settings.bootstrap_servers}") from exc
        try:
            yield from self._read_table(consumer, topic, partitions)
        except KafkaError as exc:
            raise _error(exc, f"reading {topic} failed: {exc}") from exc
        finally:
            consumer.close(autocommit=False)

    def _read_table(self, consumer: KafkaConsumer, topic: str, partitions: Sequence[int] | None) -> Iterator[Message]:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            raise BusError(f"unknown topic {topic!r}")
        tps = [KafkaTP(topic, p) for p in sorted(parts) if partitions is None or p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)

        def unread(tp: KafkaTP) -> bool:
            # Bounded: with the broker away a position is a look-up kafka-python retries without
            # end; one not known yet counts as unread, and the stall check below decides.
            at = consumer.position(tp, timeout_ms=_POSITION_MS)
            return at is None or at < ends[tp]

        remaining = {tp for tp in tps if unread(tp)}
        # A restore that stops making progress (broker gone) fails instead of hanging the
        # rebalance callback forever: the caller retries (or crashes and its successor does).
        stall_s = max(30.0, 2 * self.settings.request_timeout_ms / 1000)
        progress_at = time.monotonic()
        while remaining:
            if time.monotonic() - progress_at > stall_s:
                raise BrokerUnreachable(
                    f"reading {topic} stalled for {stall_s:.0f}s with {len(remaining)} partitions unread"
                )
            batches = consumer.poll(timeout_ms=500, max_records=2000)
            if batches:
                progress_at = time.monotonic()
            for ktp, records in sorted(batches.items(), key=lambda kv: kv[0].partition):
                for r in records:
                    if r.offset < ends[ktp]:
                        yield _message(topic, ktp.partition, r)
            # Transaction markers occupy offsets too: compare positions, not record counts.
            remaining = {tp for tp in remaining if unread(tp)}

    def table_reader(self, topic: str, partitions: Sequence[int] | None = None) -> TableReader:
        try:
            consumer = self._plain_consumer()
        except KafkaError as exc:
            raise BrokerUnreachable(f"cannot reach Kafka at {self.settings.bootstrap_servers}") from exc
        return KafkaTableReader(consumer, topic, partitions)

    def end_offsets(self, topic: str) -> dict[TopicPartition, int]:
        if self._reader is None:
            self._reader = self._plain_consumer()
        parts = self._reader.partitions_for_topic(topic)
        if not parts:
            raise BusError(f"unknown topic {topic!r}")
        ends = self._reader.end_offsets([KafkaTP(topic, p) for p in parts])
        return {TopicPartition(tp.topic, tp.partition): int(off) for tp, off in ends.items()}

    def group_lag(self, group_id: str, topic: str) -> dict[TopicPartition, int]:
        ends = self.end_offsets(topic)
        committed = self._admin.list_group_offsets({group_id: None}).get(group_id, {})
        out = {}
        for tp, end in ends.items():
            meta = committed.get(KafkaTP(tp.topic, tp.partition))
            out[tp] = end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
        return out

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close(autocommit=False)
        if self._probe is not None:
            self._probe.close()
        self._admin.close()
