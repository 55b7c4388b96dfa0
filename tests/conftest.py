"""Session fixtures: a real Kafka 4.x broker (KRaft) started by the project's own script.

The broker is started once per test session on free 127.0.0.1 ports, in a temporary home, and
stopped at the end. ``NEWSWIRE_TEST_BOOTSTRAP`` points the suite at an already running broker
instead (e.g. ``make kafka-up``); the suite never kills a broker it did not start.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import workers.thread  # noqa: F401 (in this process the tests run the sources: see below)
from newswire.settings import Settings, load_settings
from tests.support.broker import LocalBroker, kafka_local

# The decider's modules are imported here, first: a test that runs a verb in this process
# (``pipeline.cli.main``) then leaves them as they are instead of taking up the compiled build
# (``pipeline/compiled.py``), which tests observing the decider's internals could not see into.
# Verbs run as subprocesses take it up, as the daemon does.


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """The root logger as it was before each test: a test that runs a verb gets the verb's
    handler, bound to the stderr pytest captured for that test and closed after it; left in
    place, every later test's log records would go to a closed file ("Logging error")."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker | None]:
    """The broker this session started (None when ``NEWSWIRE_TEST_BOOTSTRAP`` names another)."""
    if os.environ.get("NEWSWIRE_TEST_BOOTSTRAP"):
        yield None
        return
    kl = kafka_local()
    home = tmp_path_factory.mktemp("kafka")
    info = kl.up(Path(home), timeout_s=180.0)
    try:
        yield LocalBroker(str(info["bootstrap"]), Path(home))
    finally:
        kl.down(Path(home))


@pytest.fixture(scope="session")
def kafka_bootstrap(local_broker: LocalBroker | None) -> str:
    return local_broker.bootstrap if local_broker is not None else os.environ["NEWSWIRE_TEST_BOOTSTRAP"]


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
