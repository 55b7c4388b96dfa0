"""Readiness needs to know whether the broker answers *now*: the clients never say (a consumer
polls nothing, a producer buffers), so a daemon would stay ready through a whole outage. The
probe answers within its timeout, both ways; the chaos suite checks it on a killed broker."""

from __future__ import annotations

import socket
import time

import pytest

from newswire.bus import open_bus
from newswire.bus.kafka import BrokerProbe
from newswire.settings import KafkaSettings, Settings

pytestmark = pytest.mark.kafka


def test_probe_says_yes_to_a_live_broker(kafka_settings: Settings) -> None:
    bus = open_bus(kafka_settings)
    try:
        assert bus.reachable()
        assert bus.reachable()  # the probe's client is kept and reused
    finally:
        bus.close()


def test_probe_says_no_quickly_when_nothing_listens() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    probe = BrokerProbe(KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}"), timeout_s=1.0)
    try:
        started = time.monotonic()
        assert probe() is False
        assert probe() is False
        assert time.monotonic() - started < 10  # bounded by the probe's timeout, not the client's 30 s
    finally:
        probe.close()
