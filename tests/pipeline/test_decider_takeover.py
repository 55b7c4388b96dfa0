"""Take-over of the decision step by a warm standby, on the real broker.

Two ``work --stage thread`` daemons: one decides, the other follows the story-index changelog.
The decider is SIGKILLed mid-stream; the standby must take over by replaying only the tail of
the changelog it had not applied (not the whole topic from offset 0), and the events must be
exactly those one decider would have published for the same ``cleaned`` stream: none lost,
none doubled, every decision identical (checked against a single decider run offline over the
``cleaned`` topic in its order).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newswire.bus import Message, TopicPartition, open_bus
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from tests.support.daemons import Daemon, free_port, json_log, metric_value, wait_for, write_config
from tests.support.workers import distinct_inputs, produce_raw, read_events, worker_config
from workers.threader import ThreadProcessor

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(600)]

DECIDING = "story index caught up: deciding"


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return int(resp.status) == 200
    except (urllib.error.HTTPError, OSError):
        return False


def _one_decider(settings: Settings, cleaned: list[Message]) -> dict[str, dict[str, Any]]:
    """The events one decider publishes for the cleaned stream, one record per batch (as the
    daemons are configured here), by event id."""
    proc = ThreadProcessor(settings.worker, "events", "index")
    out: dict[str, dict[str, Any]] = {}
    for msg in cleaned:
        [outcome] = proc.process([msg])
        assert outcome.dead is None, outcome.dead
        for o in outcome.outputs:
            if o.topic == "events" and o.value is not None:
                event = json.loads(o.value)
                out[event["event_id"]] = event
    return out


def test_standby_takes_over_with_the_changelog_tail_and_decides_as_one_decider(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    raws = distinct_inputs(copies=4)
    # The second part is the smaller: however far the active decider gets through it before it
    # is killed, the changelog tail it leaves is shorter than what the standby had followed.
    cut = 2 * len(raws) // 3
    first, second = raws[:cut], raws[cut:]
    graph = topic_graph(kafka_settings)
    bus = open_bus(kafka_settings)
    bus.ensure_topics(graph.all())
    index_tp = TopicPartition(graph.name(Role.THREAD_INDEX), 0)
    ports = {name: free_port() for name in ("d-a", "d-b")}
    deciders: dict[str, Daemon] = {}
    logs = {name: tmp_path / f"{name}.log" for name in ports}
    cleaner: Daemon | None = None
    configs = {
        # One record per transaction, so the offline single decider sees the same batches.
        name: write_config(
            tmp_path / f"{name}.yaml",
            kafka_settings,
            worker={"batch_size": 1},
            metrics={"enabled": True, "host": "127.0.0.1", "port": port},
            shutdown_timeout_s=20,
        )
        for name, port in ports.items()
    }

    def start(name: str) -> Daemon:
        env = {"NEWSWIRE_INSTANCE_ID": name}
        deciders[name] = Daemon(configs[name], "work", "--stage", "thread", log=logs[name], env=env)
        return deciders[name]

    try:
        active, standby = "d-a", "d-b"
        start(active)
        assert wait_for(lambda: _ready(ports[active]) and json_log(logs[active], DECIDING), 120), logs[
            active
        ].read_text()[-2000:]
        cleaner = Daemon(
            worker_config(tmp_path, kafka_settings),
            "work",
            "--stage",
            "clean",
            log=tmp_path / "cleaner.log",
            env={"NEWSWIRE_INSTANCE_ID": "c1"},
        )
        produce_raw(kafka_settings, first)
        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(first) // 3, 240, 0.5)
        # A second decider joins while the first decides: the sticky assignment leaves the
        # partition with its warm holder (a newcomer would start cold).
        start(standby)
        assert wait_for(lambda: _ready(ports[standby]), 120), logs[standby].read_text()[-2000:]
        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(first), 240, 1.0)
        assert json_log(logs[standby], "standby caught up with the story index changelog")
        # Its join rebalances the group; the eager protocol revokes the partition and assigns it
        # again (sticky: to the same decider), which must not read back its own writes.
        assert wait_for(
            lambda: len(json_log(logs[active], DECIDING)) >= 2 or bool(json_log(logs[standby], DECIDING)), 90
        ), logs[active].read_text()[-2000:]
        assert not json_log(logs[standby], DECIDING) and not json_log(logs[standby], "story event")
        kept = json_log(logs[active], DECIDING)
        assert len(kept) == 2 and kept[1]["cold"] is False and kept[1]["records"] == 0, kept
        # The standby has applied everything the first half wrote (its lag metric says 0).
        assert wait_for(
            lambda: (
                metric_value(ports[standby], "newswire_thread_standby_lag_records") == 0
                and bus.end_offsets(index_tp.topic)[index_tp] > 0
            ),
            60,
        )
        followed = bus.end_offsets(index_tp.topic)[index_tp]
        takeovers_before = len(json_log(logs[standby], DECIDING))

        produce_raw(kafka_settings, second)
        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(first) + 3, 180, 0.2)
        deciders[active].kill9()

        assert wait_for(lambda: len(json_log(logs[standby], DECIDING)) > takeovers_before, 120), logs[
            standby
        ].read_text()[-3000:]
        takeover = json_log(logs[standby], DECIDING)[-1]
        # Not a cold restore: it started from where it had followed the changelog to and
        # replayed only the records written after that (the tail of the dead decider's work).
        assert takeover["cold"] is False
        assert takeover["from_offset"] >= followed > 0
        assert takeover["records"] <= takeover["to_offset"] - takeover["from_offset"] < followed
        assert metric_value(ports[standby], "newswire_thread_takeover_records") == takeover["records"]

        assert wait_for(lambda: len(read_events(kafka_settings)) >= len(raws), 240, 1.0), logs[standby].read_text()[
            -3000:
        ]
        time.sleep(3)  # anything doubled would show up now
        assert deciders[standby].alive()
    finally:
        for d in [*deciders.values(), *([cleaner] if cleaner else [])]:
            if d.alive():
                assert d.terminate() == 0
        bus.close()

    events = read_events(kafka_settings)
    per_raw = Counter(str(e["raw_id"]) for e in events)
    assert set(per_raw) == {r.id for r in raws}
    assert max(per_raw.values()) == 1, [k for k, v in per_raw.items() if v > 1]
    by_id = {str(e["event_id"]): e for e in events}
    assert len(by_id) == len(events)
    bus = open_bus(kafka_settings)
    try:
        cleaned = list(bus.read_table(graph.name(Role.CLEANED)))
    finally:
        bus.close()
    assert len(cleaned) == len(raws)
    assert by_id == _one_decider(kafka_settings, cleaned)
