"""Arrival order: pollers see feeds in whatever order they answer, so an original can arrive
after the follow-up that quotes it. Stories must still come out as one."""

from __future__ import annotations

import random

from newswire.records import parse_time
from pipeline.samples import seed_records
from tests.workers.test_threading_generalisation import HELD_OUT
from tests.workers.test_threading_quality import dev_item, load_dev, pairwise_f1
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
    dev = load_dev()
    sets = {
        "dev": ([(r["id"], dev_item(r)) for r in dev], {r["id"]: r["thread"] for r in dev}),
        "held-out": (
            [(r.id, r.item()) for r in sorted(HELD_OUT, key=lambda r: (r.published, r.id))],
            {r.id: r.thread for r in HELD_OUT},
        ),
    }
    # (reversed, shuffled mean); measured 1.000/0.934 on dev, 0.885/0.888 on the held-out set
    floors = {"dev": (1.0, 0.92), "held-out": (0.88, 0.88)}
    for name, (items, truth) in sets.items():
        reversed_f1 = pairwise_f1(_grouping(list(reversed(items))), truth)
        shuffled = [pairwise_f1(_grouping(random.Random(seed).sample(items, len(items))), truth) for seed in range(20)]
        mean = sum(shuffled) / len(shuffled)
        print(f"{name}: reversed {reversed_f1:.3f}, shuffled mean {mean:.3f} (min {min(shuffled):.3f})")
        assert reversed_f1 >= floors[name][0]
        assert mean >= floors[name][1]
