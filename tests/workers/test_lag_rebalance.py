"""Consumer-lag series across a real rebalance: each partition is reported by one process.

Two ``newswire work --stage clean`` daemons share the clean group on the real broker. When the
second joins, the first loses partitions; if it kept their lag series, the frozen values would
be summed with the new owner's by the lag alert and by the HPA's group lag. After the
rebalance the partitions reported by the two processes must be disjoint and cover the topic.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from newswire.settings import Settings
from newswire.topics import Group, Role, topic_graph
from tests.support.daemons import Daemon, wait_for, write_config
from tests.support.workers import distinct_inputs, produce_raw

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lag_partitions(port: int, group: str, topic: str) -> set[int] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    return {
        int(s.labels["partition"])
        for family in text_string_to_metric_families(text)
        if family.name == "newswire_consumer_lag"
        for s in family.samples
        if s.labels["group"] == group and s.labels["topic"] == topic
    }


def test_revoked_partitions_leave_no_lag_series_behind(kafka_settings: Settings, tmp_path: Path) -> None:
    produce_raw(kafka_settings, distinct_inputs(copies=1)[:6])
    graph = topic_graph(kafka_settings)
    group, topic = graph.group(Group.CLEAN), graph.name(Role.RAW)
    everything = set(range(kafka_settings.topics.raw_partitions))
    ports = {"w-a": _free_port(), "w-b": _free_port()}
    configs = {
        name: write_config(
            tmp_path / f"{name}.yaml",
            kafka_settings,
            metrics={"enabled": True, "host": "127.0.0.1", "port": port},
            worker={"extract_processes": 0, "batch_size": 4},
        )
        for name, port in ports.items()
    }

    def daemon(name: str) -> Daemon:
        return Daemon(
            configs[name], "work", "--stage", "clean", log=tmp_path / f"{name}.log", env={"NEWSWIRE_INSTANCE_ID": name}
        )

    a = daemon("w-a")
    b: Daemon | None = None
    try:
        assert wait_for(lambda: _lag_partitions(ports["w-a"], group, topic) == everything, 90, 0.5), (
            tmp_path / "w-a.log"
        ).read_text()[-2000:]
        b = daemon("w-b")

        def split() -> bool:
            pa, pb = _lag_partitions(ports["w-a"], group, topic), _lag_partitions(ports["w-b"], group, topic)
            return bool(pa and pb) and pa | pb == everything and not pa & pb  # type: ignore[operator]

        assert wait_for(split, 120, 0.5), (
            _lag_partitions(ports["w-a"], group, topic),
            _lag_partitions(ports["w-b"], group, topic),
        )
    finally:
        for d in (a, b):
            if d is not None and d.alive():
                assert d.terminate() == 0
