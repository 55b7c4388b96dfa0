"""The topic graph, in one place. Stages name topics by role; nothing else spells a topic name.

    web -> ingest (poll) -> RAW -> workers.clean -> CLEANED -> workers.thread -> EVENTS
                        \\-> POLLER_STATE (compacted)      \\-> THREAD_INDEX (compacted)
    every stage -> DEAD_LETTERS

``CLEANED`` has one partition on purpose: extraction (the costly part) scales across ``RAW``
partitions, while threading decisions are taken by the single owner of ``CLEANED``'s partition, so
two workers can never decide the same pair differently (see ``workers/thread.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
            Role.DEAD_LETTERS: TopicSpec(f"{p}dead-letters", 1, max_message_bytes=big, retention_ms=4 * WEEK_MS),
            Role.POLLER_STATE: TopicSpec(f"{p}poller-state", t.feed_partitions, compacted=True),
            Role.THREAD_INDEX: TopicSpec(f"{p}thread-index", 1, compacted=True, max_message_bytes=big),
        },
        prefix=p,
    )
