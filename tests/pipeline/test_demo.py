"""``newswire demo`` (``make demo``): the product offline, end to end, printed readably."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from tests.support.demo import assert_demo_story


def test_demo_prints_the_january_24_25_story(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-level", "WARNING", "demo"]) == 0
    out = capsys.readouterr().out
    assert_demo_story(out)
