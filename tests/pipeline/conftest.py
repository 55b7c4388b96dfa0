"""Fixtures for tests of the CLI and daemons."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No NEWSWIRE_* from the caller's shell leaks in; relative defaults land in tmp_path."""
    for key in list(os.environ):
        if key.startswith("NEWSWIRE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path
