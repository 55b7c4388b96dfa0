"""The held-out criterion the coverage bench counts sets by (issue 8): pure functions over scores."""

from __future__ import annotations

from bench.bench_coverage import Score, held_out_summary, meets_criterion


def _score(precision: float, recall: float, merged: int, pairs: int) -> Score:
    return Score(precision, recall, 0.0, pairs, merged, 0, [], 1.0)


def test_a_set_meets_the_criterion_only_on_all_three_counts() -> None:
    assert meets_criterion(_score(0.98, 0.80, 1, 100))
    assert not meets_criterion(_score(0.979, 0.95, 0, 100))
    assert not meets_criterion(_score(1.0, 0.799, 0, 100))
    # One look-alike pair of 64 is 1.6%: above the 1% the criterion allows.
    assert not meets_criterion(_score(1.0, 0.95, 1, 64))
    assert meets_criterion(_score(1.0, 0.95, 0, 64))


def test_the_summary_counts_the_sets_meeting_it_and_sums_the_pairs() -> None:
    row = held_out_summary(
        "held-out sets, time order",
        [_score(1.0, 0.9, 0, 60), _score(0.95, 0.9, 2, 70), _score(1.0, 0.7, 0, 64)],
    )
    assert row == (
        "held-out sets, time order: 1 of 3 sets meet the criterion; mean P 0.983, "
        "mean R 0.833; look-alike pairs merged 2 of 194"
    )
