"""Stage processors for tests of the stage loop itself (no cleaning or threading)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from newswire.bus import Bus, Message, TopicPartition, open_bus
from newswire.runtime import Out, Outcome
from newswire.settings import Settings
from newswire.topics import TopicGraph, topic_graph


@contextmanager
def wired_bus(settings: Settings) -> Iterator[tuple[Bus, TopicGraph]]:
    """The bus of ``settings`` with every topic of its graph created; closed on leaving."""
    bus = open_bus(settings)
    graph = topic_graph(settings)
    bus.ensure_topics(graph.all())
    try:
        yield bus, graph
    finally:
        bus.close()


class Echo:
    """Writes every input value to ``topic``; scripted to fail on chosen calls."""

    name = "echo"

    def __init__(self, topic: str, fail: dict[int, BaseException] | None = None) -> None:
        self.topic = topic
        self.fail = fail or {}
        self.calls: list[list[tuple[int, int]]] = []
        self.aborts = 0
        self.assigned: frozenset[TopicPartition] = frozenset()

    def process(self, batch: Sequence[Message]) -> list[Outcome]:
        self.calls.append([(m.partition, m.offset) for m in batch])
        exc = self.fail.get(len(self.calls))
        if exc is not None:
            raise exc
        return [Outcome(outputs=[Out(self.topic, m.value, m.key)]) for m in batch]

    def on_assign(self, partitions: frozenset[TopicPartition]) -> None:
        self.assigned |= partitions

    def on_revoke(self, partitions: frozenset[TopicPartition]) -> None:
        self.assigned -= partitions

    def on_abort(self) -> None:
        self.aborts += 1
