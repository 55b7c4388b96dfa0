"""Per-site boilerplate learning: distinct pages, short lines only, bounded, serialisable."""

from __future__ import annotations

import json

from workers.boilerplate import SiteBoilerplate


def test_line_becomes_boilerplate_after_min_distinct_pages() -> None:
    bp = SiteBoilerplate(site="tass.example", min_pages=3)
    for i in range(2):
        bp.observe(f"https://tass.example/{i}", ["All news", f"Story body {i} with words."])
    assert not bp.is_boilerplate("All news")
    bp.observe("https://tass.example/2", ["All news"])
    assert bp.is_boilerplate("All news") and bp.is_boilerplate("  all   NEWS ")
    assert bp.filter(["All news", "Real text."]) == ["Real text."]


def test_revisions_of_one_page_do_not_count_twice() -> None:
    bp = SiteBoilerplate(site="s", min_pages=2)
    for _ in range(5):
        bp.observe("https://s/1", ["Repeated paragraph of one article"])
    assert not bp.is_boilerplate("Repeated paragraph of one article")


def test_long_lines_are_never_boilerplate() -> None:
    bp = SiteBoilerplate(site="s", min_pages=2, max_words=5)
    long_line = "Both leaders agreed to intensify contacts at different levels"
    for i in range(4):
        bp.observe(f"p{i}", [long_line])
    assert not bp.is_boilerplate(long_line)


def test_memory_is_bounded_lru() -> None:
    bp = SiteBoilerplate(site="s", min_pages=1, max_lines=3)
    for i in range(10):
        bp.observe(f"p{i}", [f"line {i}"])
    assert len(bp.lines) == 3
    assert bp.is_boilerplate("line 9") and not bp.is_boilerplate("line 0")


def test_state_round_trips_through_json() -> None:
    state = SiteBoilerplate(site="x.example", min_pages=2)
    for i in range(2):
        state.observe(f"p{i}", ["Subscribe to our newsletter", f"body {i}"])
    restored = SiteBoilerplate.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored.is_boilerplate("Subscribe to our newsletter")
    assert not restored.is_boilerplate("body 0")
    assert restored.to_dict() == state.to_dict()
