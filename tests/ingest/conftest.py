"""Fixtures for the ingest tests: a real HTTP server on 127.0.0.1 and a Fetcher allowed to reach it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.fetch import Fetcher, FetchSettings
from tests.support.http import TestServer, serve


@pytest.fixture
def http_server() -> Iterator[TestServer]:
    with serve() as handle:
        yield handle


@pytest.fixture
def local_fetcher() -> Iterator[Fetcher]:
    """A Fetcher allowed to reach 127.0.0.1, with short limits so hostile tests end fast."""
    fetcher = Fetcher(
        FetchSettings(
            allow_private_network=True,
            connect_timeout_s=2.0,
            read_timeout_s=1.0,
            total_timeout_s=3.0,
            max_bytes=2 * 1024 * 1024,
        )
    )
    try:
        yield fetcher
    finally:
        fetcher.close()
