"""``newswire demo`` (``make demo``): the product offline, end to end, printed readably."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main


def test_demo_prints_the_january_24_25_story(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-level", "WARNING", "demo"]) == 0
    out = capsys.readouterr().out
    # One of the wires publishes through a Google News sitemap only, and its story still arrives.
    assert "tass.example         news sitemap only" in out
    lines = [line for line in out.splitlines() if line.startswith("  story.")]
    assert len(lines) == 4
    # Stories are independent streams: the Cuba story's events come in order, the Mongolia
    # readout (a hard negative) is its own story, wherever it falls between them.
    mongolia = [line for line in lines if "Mongolia" in line]
    cuba = [line for line in lines if line not in mongolia]
    assert [line.split()[0] for line in cuba] == ["story.created", "story.duplicate", "story.updated"]
    assert "followup" in cuba[2]
    for line, site in zip(cuba, ["kremlin.example", "worldrelay.example", "tass.example"], strict=True):
        assert site in line
    assert len(mongolia) == 1 and mongolia[0].split()[0] == "story.created" and "kremlin.example" in mongolia[0]
    assert len({line.split()[2] for line in cuba}) == 1 and mongolia[0].split()[2] != cuba[0].split()[2]
