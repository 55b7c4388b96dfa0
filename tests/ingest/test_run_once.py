"""``newswire run --once`` end to end on the embedded backend, over three wire sites served on
loopback (RSS, Atom and JSON Feed listed in one OPML), carrying the January 24/25 case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.demo import SampleWeb
from pipeline.samples import seed_records

pytestmark = pytest.mark.timeout(300)


def _run_once(tmp_path: Path, opml: Path, events: Path) -> list[dict[str, Any]]:
    before = len(events.read_text().splitlines()) if events.exists() else 0
    code = main(
        [
            "--log-format",
            "text",
            "run",
            "--once",
            "--feeds",
            str(opml),
            "--allow-private-network",
            "--events-out",
            str(events),
        ]
    )
    assert code == 0
    return [json.loads(x) for x in events.read_text().splitlines()[before:]]


@pytest.fixture
def wires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(tmp_path / "bus.db"))
    monkeypatch.setenv("NEWSWIRE_METRICS__ENABLED", "false")
    monkeypatch.setenv("NEWSWIRE_WORKER__EXTRACT_PROCESSES", "0")
    monkeypatch.setenv("NEWSWIRE_POLLER__PER_HOST_MIN_INTERVAL_S", "0")
    records = [r for r in seed_records() if r["thread"] == "seed-cuba"]
    sites = {r["site"] for r in records}
    assert len(sites) == 3
    with SampleWeb(list(zip(sorted(sites), ["rss", "atom", "json"], strict=True))) as web:
        web.publish(records)
        opml = tmp_path / "wires.opml"
        opml.write_text(web.opml())
        yield web, opml, records


def test_one_story_from_three_sites_then_conditional_then_revision(wires: Any, tmp_path: Path) -> None:
    web, opml, records = wires
    events_path = tmp_path / "events.jsonl"
    events = _run_once(tmp_path, opml, events_path)
    assert sorted(e["type"] for e in events) == ["story.created", "story.duplicate", "story.updated"]
    assert len({e["story_id"] for e in events}) == 1
    by_type = {e["type"]: e for e in events}
    assert by_type["story.updated"]["update_kind"] == "followup"
    assert by_type["story.created"]["site"] != by_type["story.duplicate"]["site"]
    assert all(e["feed_url"] for e in events)

    # Second poll of unchanged feeds: conditional requests, nothing emitted, no page refetched.
    for site in web.sites.values():
        site.requests.clear()
    assert _run_once(tmp_path, opml, events_path) == []
    feed_requests = [r for s in web.sites.values() for r in s.requests if "feed" in r[0]]
    assert len(feed_requests) == 3 and all(conditional for _, _, conditional in feed_requests)
    assert not [r for s in web.sites.values() for r in s.requests if "feed" not in r[0] and "robots" not in r[0]]

    # The wire revises the statement under the same URL and guid (its feed entry's summary
    # changes with the lead paragraph): only that entry is re-emitted.
    statement = next(r for r in records if r["expect"] == "new")
    first, *rest = statement["body_paragraphs"]
    revised = {**statement, "body_paragraphs": [first + " The call was held at the Cuban side's initiative.", *rest]}
    web.publish([revised])
    changed = _run_once(tmp_path, opml, events_path)
    assert [(e["type"], e["update_kind"]) for e in changed] == [("story.updated", "revision")]
    assert changed[0]["story_id"] == events[0]["story_id"]
    assert changed[0]["version"] == 3
