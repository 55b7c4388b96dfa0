"""Session fixtures: a real Kafka 4.x broker (KRaft) started by the project's own script.

The broker is started once per test session on free 127.0.0.1 ports, in a temporary home, and
stopped at the end. ``NEWSWIRE_TEST_BOOTSTRAP`` points the suite at an already running broker
instead (e.g. ``make kafka-up``).
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newswire.settings import Settings, load_settings
from tests.support.data import REPO


def _kafka_local() -> Any:
    spec = importlib.util.spec_from_file_location("kafka_local", REPO / "deploy/kafka/kafka_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    existing = os.environ.get("NEWSWIRE_TEST_BOOTSTRAP")
    if existing:
        yield existing
        return
    kl = _kafka_local()
    home = tmp_path_factory.mktemp("kafka")
    info = kl.up(Path(home), timeout_s=180.0)
    try:
        yield str(info["bootstrap"])
    finally:
        kl.down(Path(home))


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> Settings:
    """Settings for the real broker with a unique topic prefix, so tests never share topics."""
    return load_settings(
        backend="kafka",
        kafka={"bootstrap_servers": kafka_bootstrap, "connect_timeout_s": 30},
        topics={
            "prefix": f"t{uuid.uuid4().hex[:8]}.",
            "raw_partitions": 3,
            "events_partitions": 3,
            "feed_partitions": 4,
        },
        metrics={"enabled": False},
    )


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return load_settings(
        backend="embedded",
        embedded={"path": str(tmp_path / "bus.db")},
        topics={"prefix": "t.", "raw_partitions": 3, "events_partitions": 3, "feed_partitions": 4},
        metrics={"enabled": False},
    )


@pytest.fixture(params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)])
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """Both backends, for contract tests that must hold unchanged on each."""
    name = "embedded_settings" if request.param == "embedded" else "kafka_settings"
    settings: Settings = request.getfixturevalue(name)
    return settings
