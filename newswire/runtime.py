"""Process plumbing shared by every daemon: stop flag, signal handling, and the stage loop.

Signal handlers only set a stop flag (a second signal exits at once); loops check the flag
between batches, so in-flight work finishes, offsets commit, and the process exits 0 within
the shutdown budget. Failures are routed by exception type:

- :class:`DeadLetter` — this record can never be processed: it goes to the dead-letter topic
  with the error and the original, and the stage moves on;
- :class:`RetryLater` — a transient failure: the transaction is aborted, positions rewind, and
  the same records are tried again after a back-off;
- anything else — a bug or a broken dependency: abort and crash; the records were not
  committed, so the restarted process reprocesses them (nothing lost, nothing doubled).

A processor may decide that a bug on one record is that record's dead letter with reason
``internal`` (the clean stage does, and its module says why); it must then log it
as a bug, with its traceback, and never under a reason that blames the input.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Protocol

from newswire import tracing
from newswire.bus import BrokerUnreachable, Bus, BusError, Consumer, Fenced, Message, Producer, TopicPartition
from newswire.timestamps import rfc3339

log = logging.getLogger(__name__)


class DeadLetter(Exception):
    """The record is bad (malformed, hostile, unextractable): park it, keep going."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class RetryLater(Exception):
    """A transient failure (dependency down, timeout): retry the batch after a back-off."""


class StopFlag:
    """Set by signal handlers; read by loops. Nothing else happens inside a handler."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signals = 0

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout_s: float) -> bool:
        return self._event.wait(timeout_s)


def install_signal_handlers(stop: StopFlag) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.signals += 1
        if stop.signals > 1:
            os._exit(128 + signum)  # second signal: the operator means it
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    # a closed terminal or ``kill -HUP``: a drain, as for SIGTERM, not a death without one
    signal.signal(signal.SIGHUP, handler)


def instance_id() -> str:
    """Stable per pod/host: part of transactional ids (KIP-447 fences zombies by group epoch)."""
    return os.environ.get("NEWSWIRE_INSTANCE_ID") or os.environ.get("HOSTNAME") or socket.gethostname()


def release_free_memory() -> bool:
    """Hand the allocator's free pages back to the OS (glibc's ``malloc_trim``); False where the
    C library has none. A take-over decodes every changelog record into short-lived objects and
    leaves the heap full of free holes: without this the decider's resident size keeps them
    (about a tenth of the index's growth), and RSS is what Kubernetes holds the pod's limit to."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


@dataclass(frozen=True, slots=True)
class Out:
    """One record a stage wants written, by topic name."""

    topic: str
    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None


@dataclass(slots=True)
class Outcome:
    """What processing one input record produced: outputs, or the dead-letter reason.

    ``order`` lets a processor that decided records in another order than they arrived (the
    thread stage decides a batch in publication order) have their outputs written in that order.
    """

    outputs: list[Out] = field(default_factory=list)
    dead: DeadLetter | None = None
    order: int | None = None


class Processor(Protocol):
    """A stage's pure-ish core: the loop owns I/O, offsets and transactions."""

    name: str

    def process(self, batch: Sequence[Message]) -> list[Outcome]:
        """One Outcome per input message, same order. Raise RetryLater for the whole batch."""
        ...

    def on_assign(self, partitions: frozenset[TopicPartition]) -> None: ...

    def on_revoke(self, partitions: frozenset[TopicPartition]) -> None: ...

    def on_abort(self) -> None:
        """The batch's transaction was aborted: drop any in-memory effects of it."""
        ...


# Optional processor hooks, looked up with getattr (a stage without state needs none of them):
# - ``on_assign_at(partitions, offsets)``: called instead of ``on_assign`` with the group's
#   committed offsets the partitions resume from (``Consumer.assigned_offsets``);
# - ``commit_outputs(offsets)``: records to write in every transaction that commits input
#   offsets (a batch's, a quarantine's, an idle one past markers), given those offsets;
# - ``on_commit(written)``: after each such commit, where the transaction's records ended.


def dead_letter_record(topic: str, stage: str, msg: Message, dead: DeadLetter) -> Out:
    """The dead-letter record: the error, where the record came from, and the original value."""
    envelope = {
        "stage": stage,
        "reason": dead.reason,
        "error": str(dead)[:2000],
        "source": {"topic": msg.topic, "partition": msg.partition, "offset": msg.offset},
        "failed_at": rfc3339(time.time()),
    }
    # The original's trace goes along, so a dead letter can be found from the poll's trace id.
    trace = tuple((k, v) for k, v in msg.headers if k == tracing.HEADER)
    return Out(topic, msg.value, msg.key, (("newswire.dlq", json.dumps(envelope).encode()), *trace))


def _count_dead_letter(stage: str, reason: str, out: Out) -> None:
    from newswire import metrics as m

    child = m.DEAD_LETTERS_BY_STAGE_REASON.get((stage, reason))
    (child or m.DEAD_LETTERS.labels(stage=stage if stage in m.DEAD_LETTER_STAGES else "clean", reason="error")).inc()
    size = len(out.value or b"") + len(out.key or b"")
    by_stage = m.DEAD_LETTER_BYTES_BY_STAGE.get(stage)
    (by_stage or m.DEAD_LETTER_BYTES.labels(stage="clean")).inc(size)


class _ProcessorCrash(Exception):
    """The processor raised something unclassified on a batch (wraps it as ``__cause__``)."""


@dataclass
class StageLoop:
    """Consume -> process -> produce in one transaction with the consumed offsets -> repeat.

    Poison records: when the processor raises something unclassified, the batch is aborted
    and its records are retried one per transaction. A single record that still raises is
    retried ``poison_attempts`` times with back-off, then quarantined to the dead-letter topic
    (reason ``poison``, with the exception) and the partition moves on. A bug that fails
    every record is not poison: after ``max_consecutive_poison`` quarantines in a row the
    loop crashes as before, with nothing of the failing batch committed.
    """

    bus: Bus
    processor: Processor
    group_id: str
    input_topics: Sequence[str]
    dead_letter_topic: str
    transactional_id: str
    stop: StopFlag
    batch_size: int = 64
    poll_timeout_s: float = 0.5
    on_batch: Callable[[int, int], None] | None = None  # (records, dead-lettered)
    on_idle: Callable[[], None] | None = None
    retry_backoff_s: float = 1.0
    poison_attempts: int = 3
    max_consecutive_poison: int = 3
    lag_interval_s: float = 5.0
    # Keep partitions with their holder across rebalances (see ``Bus.consumer``).
    sticky: bool = False
    # Fence by input partition instead of by pod: the transactional id is
    # ``<partition_txid_prefix>-<topic>-<partition>`` of the assigned partitions, and the
    # producer is opened when they are assigned (see ``_on_assign``). For a stage whose state
    # must never see a deposed owner's transaction land after a successor took over.
    partition_txid_prefix: str | None = None
    consumer: Consumer | None = None
    producer: Producer | None = None
    _lag_at: float = 0.0
    _lag_children: dict[TopicPartition, Any] = field(default_factory=dict)
    _single_left: int = 0  # records still to take one per transaction after a crash
    _crashes: dict[tuple[TopicPartition, int], int] = field(default_factory=dict)
    _poison_in_a_row: int = 0
    _committed: dict[TopicPartition, int] = field(default_factory=dict)

    def open(self) -> None:
        self.open_consumer()
        if self.partition_txid_prefix is None:
            self.producer = self._open_producer(self.transactional_id)

    def _open_producer(self, transactional_id: str) -> Producer:
        """A transactional producer, settled in the group's offsets partition before any use.

        Opening it settles what an earlier holder of the id left open, except offsets a broker
        restart left pending with their transaction complete (see ``Producer.settle``): the
        committed-offset fetch of every partition they name stays unstable until a marker of this
        id lands there, and until then no member can take those partitions. Settling at every
        open (a start, a reconnect, the decider's assignment) is what the crashed holder of the
        id does first, so the group moves on."""
        producer = self.bus.producer(transactional_id=transactional_id)
        try:
            producer.settle(self.group_id)
        except BaseException:
            with contextlib.suppress(Exception):  # not opened after all; the caller retries
                producer.close()
            raise
        return producer

    def open_consumer(self) -> None:
        self._committed = {}
        self.consumer = self.bus.consumer(
            self.group_id,
            self.input_topics,
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            sticky=self.sticky,
        )

    def _on_assign(self, partitions: frozenset[TopicPartition]) -> None:
        if self.partition_txid_prefix is not None and partitions and self.consumer is not None:
            self._fence(partitions)
        at = getattr(self.processor, "on_assign_at", None)
        if at is None:
            self.processor.on_assign(partitions)
            return
        offsets = self.consumer.assigned_offsets() if self.consumer is not None else {}
        at(partitions, {tp: off for tp, off in offsets.items() if tp in partitions})

    def _fence(self, partitions: frozenset[TopicPartition]) -> None:
        """Open the producer of the assigned partitions, then resume them from the group's
        committed offsets fetched after it. Opening it (Kafka: ``init_transactions`` under the
        partitions' transactional id) settles every transaction an earlier holder of that id
        left (commits one whose commit was decided, aborts the rest) and bumps the epoch, so no
        earlier holder, however cut off, can commit anything afterwards. The group's generation
        check (KIP-447) alone did not hold this: the chaos suite caught a decider cut off by a
        broker crash committing its batch after its successor had decided the same input. So
        the offsets fetched now are final for this assignment, and the stage's state is brought
        to them (``on_assign_at``)."""
        assert self.consumer is not None and self.partition_txid_prefix is not None
        if self.producer is not None:
            old, self.producer = self.producer, None
            try:
                old.close()
            except Exception as exc:  # a fenced or disconnected producer: nothing to save
                log.warning("closing the previous producer", extra={"stage": self.processor.name, "error": repr(exc)})
        names = "+".join(f"{tp.topic}-{tp.partition}" for tp in sorted(partitions))
        self.producer = self._open_producer(f"{self.partition_txid_prefix}-{names}")
        self.consumer.resume_at_committed(partitions)

    def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit the open transaction with the consumed ``offsets``, plus whatever the
        processor writes along with every offset commit; then tell it where its records ended."""
        assert self.consumer is not None and self.producer is not None
        extra = getattr(self.processor, "commit_outputs", None)
        if extra is not None:
            for out in extra(offsets):
                self.producer.send(out.topic, out.value, out.key, out.headers, out.partition)
        self.producer.commit(self.consumer, offsets)
        on_commit = getattr(self.processor, "on_commit", None)
        if on_commit is not None:  # where the processor's own committed writes ended
            on_commit(self.producer.committed_offsets())

    def _on_revoke(self, partitions: frozenset[TopicPartition]) -> None:
        # The new owner reports these partitions now: a value left here would freeze and be
        # counted twice by every sum over replicas (the lag alert, the HPA's group lag).
        self._forget_lag(partitions)
        self.processor.on_revoke(partitions)

    def _forget_lag(self, partitions: frozenset[TopicPartition] | set[TopicPartition]) -> None:
        from newswire import metrics as m

        for tp in partitions:
            if self._lag_children.pop(tp, None) is not None:
                with contextlib.suppress(KeyError):  # already gone
                    m.CONSUMER_LAG.remove(self.group_id, tp.topic, str(tp.partition))

    def close(self) -> None:
        self._forget_lag(set(self._lag_children))
        if self.consumer is not None:
            self.consumer.close()
        if self.producer is not None:
            self.producer.close()

    def run(self, until_idle: bool = False) -> None:
        """Loop until the stop flag is set (or, with ``until_idle``, until nothing is left)."""
        if self.consumer is None:
            self.open()
        idle_polls = 0
        while not self.stop.is_set():
            if self.consumer is None or (self.producer is None and self.partition_txid_prefix is None):
                return  # stopped while reconnecting
            done = self.step()
            if done == 0 and not (self._single_left or self._crashes):  # isolating a crash is not idle
                idle_polls += 1
                if self.on_idle is not None:
                    self.on_idle()
                if until_idle and idle_polls >= 2:
                    return
            else:
                idle_polls = 0

    def _report_lag(self) -> None:
        """Consumer lag per assigned partition, at most every ``lag_interval_s`` (it asks the
        broker for end offsets); label children are bound once per partition."""
        from newswire import metrics as m

        now = time.monotonic()
        if self.consumer is None or now - self._lag_at < self.lag_interval_s:
            return
        self._lag_at = now
        try:
            lag = self.consumer.lag()
        except BusError as exc:
            log.warning("lag unavailable", extra={"stage": self.processor.name, "error": str(exc)})
            return
        # Partitions lost without a revoke callback (a backend that reassigns silently) go too.
        self._forget_lag(set(self._lag_children) - set(lag))
        for tp, n in lag.items():
            child = self._lag_children.get(tp)
            if child is None:
                child = self._lag_children[tp] = m.CONSUMER_LAG.labels(
                    group=self.group_id, topic=tp.topic, partition=str(tp.partition)
                )
            child.set(n)

    def step(self) -> int:
        """Process one batch; returns how many records were consumed.

        A broker that goes away mid-batch (a poll that fails, a commit it never acknowledged)
        leaves the open transaction's outcome unknown, so the loop starts over as a restarted
        process would, without the restart: a new producer under the same transactional id
        settles that transaction (commits what the coordinator had, aborts the rest) and a new
        consumer resumes from the group's committed offsets. A stage fenced by partition (see
        ``partition_txid_prefix``) that finds itself fenced has lost its partition to a new
        holder and rejoins the same way. Other bus errors (fenced otherwise, a record the broker
        refuses) are not the broker's absence and crash as before.
        """
        try:
            return self._step()
        except BrokerUnreachable as exc:
            log.warning(
                "broker failed mid-batch; reconnecting", extra={"stage": self.processor.name, "error": str(exc)}
            )
            self.processor.on_abort()
            self._reconnect()
            return 0
        except Fenced as exc:
            if self.partition_txid_prefix is None:
                raise
            # A successor holds the partition now (its producer took over the id): nothing of
            # this batch was committed; rejoin the group as any member would.
            log.warning(
                "fenced by the partition's new holder; rejoining",
                extra={"stage": self.processor.name, "error": str(exc)},
            )
            self.processor.on_abort()
            self._reconnect()
            return 0

    def _reconnect(self) -> None:
        for client in (self.consumer, self.producer):
            try:
                if client is not None:
                    client.close()
            except Exception as exc:  # a client of a dead connection: nothing left to save
                log.warning("closing a failed client", extra={"stage": self.processor.name, "error": repr(exc)})
        self.consumer = self.producer = None
        while not self.stop.is_set():
            try:
                if self.partition_txid_prefix is None:  # else opened when partitions are assigned
                    self.producer = self._open_producer(self.transactional_id)
                self.open_consumer()
                log.info("reconnected", extra={"stage": self.processor.name})
                return
            except BusError as exc:
                log.warning("reconnect failed; retrying", extra={"stage": self.processor.name, "error": str(exc)})
                self.stop.wait(self.retry_backoff_s)

    def _step(self) -> int:
        assert self.consumer is not None
        self._report_lag()
        batch = self.consumer.poll(
            timeout_s=self.poll_timeout_s, max_records=1 if self._single_left > 0 else self.batch_size
        )
        if not batch:  # nothing pending (a revoked partition, say): nothing left to isolate
            self._single_left = 0
            self._crashes.clear()
            if self.producer is not None:  # else no partition was ever assigned to commit for
                self._commit_past_markers()
            return 0
        if self.producer is None:  # records without an assignment: start over as after an outage
            raise BrokerUnreachable(f"{self.processor.name}: records polled before a producer was opened")
        first: dict[TopicPartition, int] = {}
        last: dict[TopicPartition, int] = {}
        for m in batch:
            first.setdefault(m.tp, m.offset)
            last[m.tp] = m.offset + 1
        self.producer.begin()
        try:
            try:
                outcomes = self.processor.process(batch)
            except (RetryLater, BusError):
                raise
            except Exception as exc:
                raise _ProcessorCrash(str(exc)) from exc
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{self.processor.name}: {len(outcomes)} outcomes for {len(batch)} records")
            dead = 0
            paired = list(zip(batch, outcomes, strict=True))
            paired.sort(key=lambda p: p[1].order if p[1].order is not None else -1)
            for msg, outcome in paired:
                if outcome.dead is not None:
                    dead += 1
                    out = dead_letter_record(self.dead_letter_topic, self.processor.name, msg, outcome.dead)
                    _count_dead_letter(self.processor.name, outcome.dead.reason, out)
                    self.producer.send(out.topic, out.value, out.key, out.headers)
                    log.warning(
                        "dead-lettered record",
                        extra={
                            "stage": self.processor.name,
                            "reason": outcome.dead.reason,
                            "topic": msg.topic,
                            "partition": msg.partition,
                            "offset": msg.offset,
                            "trace_id": tracing.trace_id(tracing.from_headers(msg.headers)),
                        },
                    )
                    continue
                for out in outcome.outputs:
                    self.producer.send(out.topic, out.value, out.key, out.headers, out.partition)
            self._commit(last)
            self._committed.update(last)
        except RetryLater as exc:
            self._rewind(first)
            log.warning("batch will be retried", extra={"stage": self.processor.name, "error": str(exc)})
            self.stop.wait(self.retry_backoff_s)
            return 0
        except _ProcessorCrash as crash:
            self._rewind(first)
            cause = crash.__cause__ if isinstance(crash.__cause__, Exception) else crash
            return self._on_crash(batch, cause)
        except Fenced:
            if self.partition_txid_prefix is None:  # else step() drops it, and rejoins
                self.processor.on_abort()
            raise
        except BrokerUnreachable:
            raise  # the broker, not the batch: step() reconnects, and the new producer settles the transaction
        except BaseException:
            log.error(
                "stage failed; aborting batch",
                extra={"stage": self.processor.name, "traceback": traceback.format_exc(limit=5)},
            )
            self._rewind(first)
            raise
        if self.on_batch is not None:
            self.on_batch(len(batch), dead)
        if self._single_left > 0:
            self._single_left -= 1
        self._poison_in_a_row = 0
        self._crashes.clear()
        return len(batch)

    def _on_crash(self, batch: Sequence[Message], exc: Exception) -> int:
        """After an aborted, rewound batch: isolate, retry, or quarantine (see the class doc)."""
        log.error(
            "stage raised on a batch; isolating the record",
            extra={
                "stage": self.processor.name,
                "records": len(batch),
                "traceback": "".join(traceback.format_exception(exc, limit=5)),
            },
        )
        if len(batch) > 1:
            self._single_left = max(self._single_left, len(batch))
            return 0
        msg = batch[0]
        key = (msg.tp, msg.offset)
        attempts = self._crashes[key] = self._crashes.get(key, 0) + 1
        if attempts < self.poison_attempts:
            self.stop.wait(self.retry_backoff_s * attempts)
            return 0
        if self._poison_in_a_row >= self.max_consecutive_poison:
            raise exc  # every record fails: a bug in the stage, not poison input
        return self._quarantine(msg, exc)

    def _quarantine(self, msg: Message, exc: Exception) -> int:
        assert self.consumer is not None and self.producer is not None
        dead = DeadLetter("poison", f"{type(exc).__name__}: {exc} (after {self.poison_attempts} attempts)")
        out = dead_letter_record(self.dead_letter_topic, self.processor.name, msg, dead)
        self.producer.begin()
        try:
            self.producer.send(out.topic, out.value, out.key, out.headers)
            self._commit({msg.tp: msg.offset + 1})
        except BaseException:
            self._rewind({msg.tp: msg.offset})
            raise
        self.consumer.seek(msg.tp, msg.offset + 1)  # the batch was rewound onto this record
        _count_dead_letter(self.processor.name, "poison", out)
        log.error(
            "poison record quarantined to dead letters",
            extra={"stage": self.processor.name, "topic": msg.topic, "partition": msg.partition, "offset": msg.offset},
        )
        self._committed[msg.tp] = msg.offset + 1
        self._crashes.pop((msg.tp, msg.offset), None)
        self._poison_in_a_row += 1
        if self._single_left > 0:
            self._single_left -= 1
        if self.on_batch is not None:
            self.on_batch(1, 1)
        return 1

    def _commit_past_markers(self) -> None:
        """Idle: move the committed offsets past the commit markers that follow a transactional
        input's last records. Each batch commits "last record + 1"; the upstream marker after it
        left the group's committed lag at 1 per partition for good on an idle pipeline (what
        ``newswire status`` and lag exporters show; found by the soak). When idle, every record
        this consumer was given is processed and committed, so its position is past markers only."""
        assert self.consumer is not None and self.producer is not None
        assigned = self.consumer.assignment()
        ahead = {}
        for tp, off in self._committed.items():
            pos = self.consumer.position(tp) if tp in assigned else None
            if pos is not None and pos > off:
                ahead[tp] = pos
        if not ahead:
            return
        self.producer.begin()
        try:
            self._commit(ahead)
        except BrokerUnreachable:
            raise
        except BaseException:
            self.producer.abort()
            raise
        self._committed.update(ahead)

    def _rewind(self, first: dict[TopicPartition, int]) -> None:
        assert self.consumer is not None and self.producer is not None
        try:
            self.producer.abort()
        finally:
            self.processor.on_abort()
            for tp, off in first.items():
                self.consumer.seek(tp, off)
