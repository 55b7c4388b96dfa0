"""Scoring stories against labelled events (``workers.scoring``): pure functions over plain data."""

from __future__ import annotations

from workers.scoring import imitated_threads, lookalike_pairs, pairwise_scores, score_stories

ROWS = [
    {"id": "a1", "thread": "A", "group": "A", "role": "original"},
    {"id": "a2", "thread": "A", "group": "A", "role": "coverage"},
    {"id": "a3", "thread": "A", "group": "A", "role": "coverage"},
    {"id": "l1", "thread": "L", "group": "L", "role": "lookalike", "resembles": "A"},
    {"id": "l2", "thread": "L", "group": "L", "role": "coverage"},
    {"id": "u1", "thread": "U", "group": "U", "role": "unrelated"},
]
TRUTH = {r["id"]: r["thread"] for r in ROWS}


def test_pairwise_scores_count_pairs_of_one_story_against_pairs_of_one_event() -> None:
    # a3 starts a story of its own; l1 joins the event's story.
    predicted = {"a1": "s1", "a2": "s1", "a3": "s2", "l1": "s1", "l2": "s3", "u1": "s4"}
    s = pairwise_scores(predicted, TRUTH)
    # Predicted pairs: a1-a2, a1-l1, a2-l1 (one right). True pairs: a1-a2, a1-a3, a2-a3, l1-l2.
    assert (s.precision, s.recall) == (1 / 3, 1 / 4)
    assert s.f1 == 2 * 1 / (3 + 4)


def test_with_nothing_paired_either_side_every_score_is_whole_and_a_wrong_pair_scores_nothing() -> None:
    """Every article its own event and its own story: precision, recall and F1 are all 1 (F1 was
    0 with precision and recall 1). One story of two events there: F1 0."""
    truth = {"a": "A", "b": "B", "c": "C"}
    alone = pairwise_scores({"a": 1, "b": 2, "c": 3}, truth)
    assert (alone.precision, alone.recall, alone.f1) == (1.0, 1.0, 1.0)
    merged = pairwise_scores({"a": 1, "b": 1, "c": 3}, truth)
    assert (merged.precision, merged.recall, merged.f1) == (0.0, 1.0, 0.0)


def test_a_look_alike_pairs_with_the_event_it_resembles_not_with_its_own_coverage() -> None:
    imitates = imitated_threads(ROWS)
    assert imitates == {"l1": frozenset({"A"})}
    apart = {"a1": "s1", "a2": "s1", "a3": "s1", "l1": "s2", "l2": "s2", "u1": "s3"}
    assert lookalike_pairs(apart, TRUTH, imitates) == (3, 0)
    merged = {**apart, "l1": "s1"}
    assert lookalike_pairs(merged, TRUTH, imitates) == (3, 3)


def test_without_resembles_a_look_alike_imitates_the_other_threads_of_its_group() -> None:
    rows = [
        {"id": "e1", "thread": "CD01", "group": "CD01", "role": "original"},
        {"id": "e2", "thread": "CD01", "group": "CD01", "role": "coverage"},
        {"id": "x1", "thread": "CD01-look", "group": "CD01", "role": "lookalike"},
        {"id": "o1", "thread": "CD02", "group": "CD02", "role": "original"},
    ]
    assert imitated_threads(rows) == {"x1": frozenset({"CD01"})}


def test_the_criterion_asks_precision_recall_and_at_most_one_percent_of_look_alike_pairs() -> None:
    truth = {f"e{i}": "E" for i in range(3)} | {"l": "L"}
    together = {"e0": "s", "e1": "s", "e2": "s", "l": "t"}
    assert score_stories(together, truth, {"l": frozenset({"E"})}).meets_criterion()
    # The look-alike merged: 3 of 3 pairs, and precision 0.5.
    assert not score_stories({**together, "l": "s"}, truth, {"l": frozenset({"E"})}).meets_criterion()
    # Recall 1/3: one report of the event apart from the other two.
    split = {"e0": "s", "e1": "s", "e2": "y", "l": "t"}
    assert not score_stories(split, truth, {"l": frozenset({"E"})}).meets_criterion()
