"""The bus (see :mod:`newswire.bus.base`) and the factory that picks a backend from settings."""

from __future__ import annotations

from newswire.bus.base import (
    BrokerUnreachable,
    Bus,
    BusError,
    Consumer,
    Fenced,
    Message,
    Producer,
    TableReader,
    TopicPartition,
    partition_for,
)
from newswire.settings import Settings

__all__ = [
    "BrokerUnreachable",
    "Bus",
    "BusError",
    "Consumer",
    "Fenced",
    "Message",
    "Producer",
    "TableReader",
    "TopicPartition",
    "open_bus",
    "partition_for",
]


def open_bus(settings: Settings) -> Bus:
    """Open the configured backend. Kafka is imported lazily: the embedded default needs no broker."""
    if settings.backend == "kafka":
        from newswire.bus.kafka import KafkaBus

        return KafkaBus(settings.kafka)
    from newswire.bus.embedded import EmbeddedBus

    return EmbeddedBus(settings.embedded.path, settings.embedded.retention_hours)
