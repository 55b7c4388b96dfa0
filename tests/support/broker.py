"""The local broker script (``deploy/kafka/kafka_local.py``) as a module, and a handle on a
broker the test session started, which the chaos suite may crash and start again."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.data import REPO


def kafka_local() -> Any:
    spec = importlib.util.spec_from_file_location("kafka_local", REPO / "deploy/kafka/kafka_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class LocalBroker:
    """A broker started by ``kafka_local.up`` in ``home``: kill it (SIGKILL) and start it again
    on the same data dir and port."""

    bootstrap: str
    home: Path

    def kill(self) -> None:
        kafka_local().kill(self.home)

    def start(self, timeout_s: float = 180.0) -> None:
        """Start it again (a no-op beyond a readiness check when it is running)."""
        kafka_local().start(self.home, timeout_s)


@contextmanager
def private_broker(home: Path, timeout_s: float = 180.0) -> Iterator[LocalBroker]:
    """A broker of one's own in ``home`` (for runs that crash it), stopped on the way out."""
    kl = kafka_local()
    info = kl.up(home, timeout_s=timeout_s)
    try:
        yield LocalBroker(str(info["bootstrap"]), home)
    finally:
        kl.down(home)
