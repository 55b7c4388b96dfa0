"""The stop flag's signal handlers: SIGTERM, SIGINT and SIGHUP only set the flag (a drain), and
a second signal exits at once (checked on a real daemon in ``tests/pipeline/test_run_daemon.py``)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from newswire.runtime import StopFlag, install_signal_handlers


@pytest.fixture
def restored() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


@pytest.mark.usefixtures("restored")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_sets_the_stop_flag_and_nothing_else(signum: int) -> None:
    """SIGHUP (a closed terminal, ``kill -HUP``) ended the daemon at once, without a drain."""
    stop = StopFlag()
    install_signal_handlers(stop)
    os.kill(os.getpid(), signum)
    assert stop.wait(2.0) and stop.signals == 1
