"""Arrival order: pollers see feeds in whatever order they answer, so an original can arrive
after the follow-up that quotes it. Stories must still come out as one."""

from __future__ import annotations

import random

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
