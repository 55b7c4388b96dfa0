"""The topic graph, in one place. Stages name topics by role; nothing else spells a topic name.

    web -> ingest (poll) -> RAW -> workers.clean -> CLEANED -> workers.thread -> EVENTS
                        \\-> POLLER_STATE (compacted)      \\-> THREAD_INDEX (compacted)
    clean, thread -> DEAD_LETTERS (bad records, with the reason)

:data:`STAGES` is that picture as data: what each stage reads, writes and keeps, under which
consumer group, and whether it commits atomically. The wiring (``pipeline``) builds stages from
it, so the graph cannot drift from what runs.

``CLEANED`` has one partition on purpose: extraction (the costly part) scales across ``RAW``
partitions, while threading decisions are taken by the single owner of ``CLEANED``'s partition, so
two workers can never decide the same pair differently (see ``workers/thread.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from newswire.settings import Settings


class Group(StrEnum):
    """Consumer groups, namespaced by the same prefix as the topics they read."""

    POLLERS = "pollers"
    CLEAN = "clean"
    THREAD = "thread"
    EVENTS_OUT = "events-out"


class Role(StrEnum):
    RAW = "raw"
    CLEANED = "cleaned"
    EVENTS = "events"
    DEAD_LETTERS = "dead-letters"
    POLLER_STATE = "poller-state"
    THREAD_INDEX = "thread-index"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    max_message_bytes: int | None = None
    retention_ms: int | None = None
    # Size cap per partition (Kafka ``retention.bytes``): the oldest records go first.
    retention_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class TopicGraph:
    """Concrete topic names and shapes for one deployment (prefix + role)."""

    specs: dict[Role, TopicSpec]
    prefix: str = "newswire."

    def name(self, role: Role) -> str:
        return self.specs[role].name

    def group(self, group: Group) -> str:
        return f"{self.prefix}{group}"

    def all(self) -> list[TopicSpec]:
        return list(self.specs.values())


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of the pipeline as the topic graph sees it.

    ``input`` is the topic whose records the stage consumes (``None``: it reads the web, and its
    consumer group divides the work by the partitions of its ``changelog`` instead).
    ``output`` is where its results go (``None``: they leave the bus, e.g. into a file).
    ``changelog`` is the compacted topic its state is rebuilt from after a restart or a
    rebalance. A ``transactional`` stage commits its outputs, its changelog entries and its
    consumed offsets in one Kafka transaction (nothing lost, nothing doubled); the others commit
    offsets after writing (at least once). ``single_owner``: the input and the changelog have
    exactly one partition, so one replica at a time decides (see the module docstring).
    """

    name: str
    group: Group
    input: Role | None
    output: Role | None
    changelog: Role | None = None
    transactional: bool = True
    dead_letters: bool = False
    single_owner: bool = False

    @property
    def outputs(self) -> tuple[Role, ...]:
        """Every topic the stage writes."""
        roles = (self.output, self.changelog, Role.DEAD_LETTERS if self.dead_letters else None)
        return tuple(r for r in roles if r is not None)


POLL: Final = Stage("poller", Group.POLLERS, input=None, output=Role.RAW, changelog=Role.POLLER_STATE)
CLEAN: Final = Stage("clean", Group.CLEAN, input=Role.RAW, output=Role.CLEANED, dead_letters=True)
THREAD: Final = Stage(
    "thread",
    Group.THREAD,
    input=Role.CLEANED,
    output=Role.EVENTS,
    changelog=Role.THREAD_INDEX,
    dead_letters=True,
    single_owner=True,
)
#: ``--events-out``: copies events into a JSON-lines file for people without a Kafka consumer.
EVENTS_OUT: Final = Stage("events-out", Group.EVENTS_OUT, input=Role.EVENTS, output=None, transactional=False)

#: The pipeline in data-flow order.
STAGES: Final[tuple[Stage, ...]] = (POLL, CLEAN, THREAD, EVENTS_OUT)


def single_partition_roles() -> tuple[Role, ...]:
    """Topics that must have exactly one partition: those a single-owner stage reads or keeps."""
    roles: list[Role] = []
    for stage in STAGES:
        if stage.single_owner:
            roles.extend(r for r in (stage.input, stage.changelog) if r is not None)
    return tuple(roles)


WEEK_MS = 7 * 24 * 3600 * 1000


def topic_graph(settings: Settings) -> TopicGraph:
    t = settings.topics
    big = settings.kafka.max_message_bytes
    p = t.prefix
    return TopicGraph(
        {
            Role.RAW: TopicSpec(f"{p}raw", t.raw_partitions, max_message_bytes=big, retention_ms=WEEK_MS),
            Role.CLEANED: TopicSpec(f"{p}cleaned", 1, max_message_bytes=big, retention_ms=WEEK_MS),
            Role.EVENTS: TopicSpec(f"{p}events", t.events_partitions, max_message_bytes=big, retention_ms=WEEK_MS),
            Role.DEAD_LETTERS: TopicSpec(
                f"{p}dead-letters",
                1,
                max_message_bytes=big,
                retention_ms=4 * WEEK_MS,
                retention_bytes=t.dead_letters_max_bytes,
            ),
            Role.POLLER_STATE: TopicSpec(f"{p}poller-state", t.feed_partitions, compacted=True),
            Role.THREAD_INDEX: TopicSpec(f"{p}thread-index", 1, compacted=True, max_message_bytes=big),
        },
        prefix=p,
    )
