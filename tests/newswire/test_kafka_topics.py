"""Topic configs newswire sets when it creates topics on a real broker."""

from __future__ import annotations

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from newswire.bus.kafka import KafkaBus
from newswire.settings import Settings, load_settings
from newswire.topics import Role, topic_graph

pytestmark = pytest.mark.kafka


def test_dead_letter_topic_is_capped_in_bytes_on_the_broker(kafka_settings: Settings) -> None:
    settings = load_settings(
        backend="kafka",
        kafka=kafka_settings.kafka.model_dump(),
        topics={**kafka_settings.topics.model_dump(), "dead_letters_max_bytes": 64 << 20},
    )
    graph = topic_graph(settings)
    bus = KafkaBus(settings.kafka)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    try:
        bus.ensure_topics(graph.all())
        names = {role: graph.name(role) for role in (Role.DEAD_LETTERS, Role.RAW)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names.values()]
        # Only the configs set on the topic (the broker's defaults are not listed).
        by_name = admin.describe_configs(resources)["topic"]
        dead = {key: entry["value"] for key, entry in by_name[names[Role.DEAD_LETTERS]].items()}
        raw = by_name[names[Role.RAW]]
        assert dead["retention.bytes"] == str(64 << 20)
        assert dead["segment.bytes"] == str(8 << 20)  # an eighth of the cap: retention drops whole segments
        assert "retention.bytes" not in raw  # stories are never dropped by size
    finally:
        admin.close()
        bus.close()
