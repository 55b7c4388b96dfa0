"""``newswire demo`` (``make demo``): the product offline, end to end, printed readably."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main


def test_demo_prints_the_january_24_25_story(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-level", "WARNING", "demo"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  story.")]
    assert [line.split()[0] for line in lines] == ["story.created", "story.duplicate", "story.updated", "story.created"]
    assert "followup" in lines[2]
    for line, site in zip(
        lines, ["kremlin.example", "worldrelay.example", "tass.example", "kremlin.example"], strict=True
    ):
        assert site in line
    story_ids = [line.split()[2] for line in lines]
    assert len(set(story_ids[:3])) == 1 and story_ids[3] != story_ids[0]
