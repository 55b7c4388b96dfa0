"""The group's committed lag returns to zero on an idle pipeline (found by the soak).

Stages read transactional inputs: after the last record of each upstream transaction sits its
commit marker. Committing "last record + 1" alone left the committed lag (``newswire status``,
lag exporters) at 1 per partition for good; once idle, the stage loop moves the committed
offset to its position, past the marker, without skipping or redoing a record."""

from __future__ import annotations

import time

import pytest

from newswire.bus import open_bus
from newswire.runtime import StageLoop, StopFlag
from newswire.settings import Settings
from newswire.topics import Role, topic_graph
from tests.support.stages import Echo

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


def test_idle_stage_commits_past_the_upstream_commit_marker(kafka_settings: Settings) -> None:
    bus = open_bus(kafka_settings)
    graph = topic_graph(kafka_settings)
    bus.ensure_topics(graph.all())
    raw, cleaned, group = graph.name(Role.RAW), graph.name(Role.CLEANED), f"{graph.prefix}echo"
    upstream = bus.producer(transactional_id="t-upstream")
    for batch in ([b"one", b"two"], [b"three"]):  # two transactions: two markers on partition 0
        upstream.begin()
        for value in batch:
            upstream.send(raw, value, b"k", partition=0)
        upstream.commit()
    upstream.close()
    loop = StageLoop(
        bus=bus,
        processor=Echo(cleaned),
        group_id=group,
        input_topics=[raw],
        dead_letter_topic=graph.name(Role.DEAD_LETTERS),
        transactional_id="t-echo",
        stop=StopFlag(),
        poll_timeout_s=0.5,
    )
    loop.open()
    try:
        deadline = time.monotonic() + 90
        processed = 0
        while time.monotonic() < deadline:
            processed += loop.step()
            if processed == 3 and sum(bus.group_lag(group, raw).values()) == 0:
                break
        lag = bus.group_lag(group, raw)
    finally:
        loop.close()
        values = [m.value for m in bus.read_table(cleaned)]
        bus.close()
    assert processed == 3
    assert values == [b"one", b"two", b"three"]  # nothing skipped, nothing redone
    assert sum(lag.values()) == 0, lag
