"""Arrival order: pollers see feeds in whatever order they answer, so an original can arrive
after the follow-up that quotes it. Stories must still come out as one."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from newswire.records import parse_time
from pipeline.samples import load_corpus, seed_records
from tests.support.data import DEV_CORPUS
from tests.support.quality import floor, held_out_item, load_held_out, pairwise_f1, record_item
from workers.thread import StoryIndex, ThreadInput, ThreadSettings, decide_and_apply, thread_input


def _grouping(items: list[tuple[str, ThreadInput]]) -> dict[str, str]:
    index = StoryIndex(ThreadSettings())
    return {key: decide_and_apply(index, item)[0].story_id for key, item in items}


def test_follow_up_before_its_original_still_makes_one_story() -> None:
    records = {r["id"]: r for r in seed_records()}
    items = {
        rid: thread_input(
            r["url"],
            r["title"],
            "\n\n".join(r["body_paragraphs"]),
            parse_time(r["published"]),
            site=r["site"],
            guid=r["guid"],
        )
        for rid, r in records.items()
    }
    index = StoryIndex(ThreadSettings())
    follow, _ = decide_and_apply(index, items["seed-4"])  # Jan 25 arrives first
    statement, _ = decide_and_apply(index, items["seed-1"])  # then the Jan 24 statement it quotes
    other, _ = decide_and_apply(index, items["seed-3"])  # a readout of a different call
    assert follow.kind == "new"
    assert (statement.kind, statement.update_kind, statement.story_id) == ("update", "followup", follow.story_id)
    assert statement.evidence["input_is_earlier"] == 1
    assert other.kind == "new" and other.story_id != follow.story_id


def test_a_follow_up_and_its_original_stamped_with_one_date_make_one_story() -> None:
    """Feeds and pages that give a date without a time stamp every article of the day with the
    same instant, which says nothing of which came first: the statement arriving after the
    follow-up that quotes it is judged with the roles swapped as if it were the earlier."""
    records = {r["id"]: r for r in seed_records()}
    items = {}
    for rid, r in records.items():
        published = parse_time(r["published"])
        assert published is not None
        day = published.replace(hour=0, minute=0, second=0, microsecond=0)
        items[rid] = thread_input(
            r["url"], r["title"], "\n\n".join(r["body_paragraphs"]), day, site=r["site"], guid=r["guid"]
        )
    index = StoryIndex(ThreadSettings())
    follow, _ = decide_and_apply(index, items["seed-4"])
    statement, _ = decide_and_apply(index, replace(items["seed-1"], published=items["seed-4"].published))
    other, _ = decide_and_apply(index, replace(items["seed-3"], published=items["seed-4"].published))
    assert (statement.kind, statement.update_kind, statement.story_id) == ("update", "followup", follow.story_id)
    assert statement.evidence["input_is_earlier"] == 1
    assert other.kind == "new" and other.story_id != follow.story_id
    # A statement stamped later than the follow-up is not the original: it is not swapped in.
    later = StoryIndex(ThreadSettings())
    decide_and_apply(later, items["seed-4"])
    assert items["seed-4"].published is not None
    after = replace(items["seed-1"], published=items["seed-4"].published + timedelta(minutes=1))
    d, _ = decide_and_apply(later, after)
    assert "input_is_earlier" not in d.evidence


def test_dev_and_held_out_grouping_survive_reversed_and_shuffled_arrival() -> None:
    dev, held_out = load_corpus(DEV_CORPUS), load_held_out()
    sets = {
        "dev": ([(r["id"], record_item(r)) for r in dev], {r["id"]: r["thread"] for r in dev}),
        "held_out": ([(r["id"], held_out_item(r)) for r in held_out], {r["id"]: r["thread"] for r in held_out}),
    }
    for name, (items, truth) in sets.items():
        reversed_f1 = pairwise_f1(_grouping(list(reversed(items))), truth)
        shuffled = [pairwise_f1(_grouping(random.Random(seed).sample(items, len(items))), truth) for seed in range(20)]
        mean = sum(shuffled) / len(shuffled)
        print(f"{name}: reversed {reversed_f1:.3f}, shuffled mean {mean:.3f} (min {min(shuffled):.3f})")
        assert reversed_f1 >= floor(f"threading.order.{name}.reversed_f1")
        assert mean >= floor(f"threading.order.{name}.shuffled_mean_f1")
