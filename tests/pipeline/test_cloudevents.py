"""A consumer with a stock CloudEvents SDK reads newswire's events topic on a real broker.

``newswire run --once`` polls three loopback wire sites into Kafka; the events topic is then
read with a plain kafka-python consumer (what a downstream team would write) and each record
parsed by the ``cloudevents`` SDK's Kafka binding in binary mode. The W3C trace started by the
poller for a raw record must arrive on that record's event.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cloudevents.core.bindings import kafka as ce_kafka
from kafka import KafkaConsumer, TopicPartition

from newswire import tracing
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records
from tests.support.daemons import Daemon, write_config
from workers.events import schema

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


def _read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every record of ``topic``, as a third-party consumer sees it (read_committed)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, isolation_level="read_committed", enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        records: list[Any] = []
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_events_are_cloudevents_in_binary_mode_with_the_raw_records_trace(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    sites = sorted({r["site"] for r in records})
    with SampleWeb(list(zip(sites, ["rss", "atom", "json"], strict=True))) as web:
        web.publish(records)
        opml = tmp_path / "wires.opml"
        opml.write_text(web.opml())
        cfg = write_config(
            tmp_path / "run.yaml",
            kafka_settings,
            poller={"feeds_file": str(opml), "allow_private_network": True, "per_host_min_interval_s": 0.0},
            worker={"extract_processes": 0},
        )
        daemon = Daemon(cfg, "run", "--once", log=tmp_path / "run.log")
        assert daemon.wait(240) == 0, (tmp_path / "run.log").read_text()[-3000:]

    graph = topic_graph(kafka_settings)
    bootstrap = kafka_settings.kafka.bootstrap_servers
    raw_traces = {}
    for rec in _read_all(bootstrap, graph.name(Role.RAW)):
        headers = dict(rec.headers)
        raw_traces[json.loads(rec.value)["id"]] = tracing.trace_id(headers["traceparent"].decode())
    assert len(raw_traces) == 3 and None not in raw_traces.values()

    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    events = _read_all(bootstrap, graph.name(Role.EVENTS))
    assert len(events) == 3
    for rec in events:
        message = ce_kafka.KafkaMessage(headers=dict(rec.headers), key=rec.key, value=rec.value)
        event = ce_kafka.from_binary_event(message)
        data = event.get_data()
        assert isinstance(data, dict)
        validator.validate(data)
        assert event.get_specversion() == "1.0"
        assert event.get_id() == data["event_id"]
        assert event.get_type() == "org.newswire." + data["type"]
        assert event.get_subject() == data["story_id"]
        assert event.get_source() == "urn:newswire:workers:thread"
        assert event.get_datacontenttype() == "application/json"
        time = event.get_time()
        assert time is not None and time.utcoffset() == UTC.utcoffset(None)
        assert data["fetched_at"].endswith("Z")
        headers = dict(rec.headers)
        assert tracing.trace_id(headers["traceparent"].decode()) == raw_traces[data["raw_id"]]
