"""What `newswire demo` must print, checked the same way wherever the demo runs (in process, or
from an installed wheel)."""

from __future__ import annotations


def assert_demo_story(out: str) -> None:
    """The January 24/25 case as one story (statement, copy, follow-up), and the formulaic
    Mongolia readout as a story of its own.

    Stories are independent streams: the Cuba story's events come in order, the Mongolia readout
    (a hard negative) may fall anywhere between them, since one wire publishes through a news
    sitemap only and the sites are polled concurrently.
    """
    assert "tass.example         news sitemap only" in out
    lines = [line for line in out.splitlines() if line.startswith("  story.")]
    assert len(lines) == 4, out
    mongolia = [line for line in lines if "Mongolia" in line]
    cuba = [line for line in lines if line not in mongolia]
    assert [line.split()[0] for line in cuba] == ["story.created", "story.duplicate", "story.updated"]
    assert "followup" in cuba[2]
    for line, site in zip(cuba, ["kremlin.example", "worldrelay.example", "tass.example"], strict=True):
        assert site in line
    assert len(mongolia) == 1 and mongolia[0].split()[0] == "story.created" and "kremlin.example" in mongolia[0]
    assert len({line.split()[2] for line in cuba}) == 1 and mongolia[0].split()[2] != cuba[0].split()[2]
