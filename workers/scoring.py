"""Scoring stories against labelled events: what ``newswire replay --score`` prints and the
tests and the coverage bench measure.

A labelled corpus gives each article the event it reports (a ``thread``); the stories newswire
formed give each article a ``story_id``. Two articles in one story are a predicted pair, two
articles of one event a true pair: same-story pairwise precision, recall and F1 count them, as
the event-clustering literature does. A look-alike (``role: lookalike``: the same people, place
or template as another event, ``resembles`` naming that event's thread) put in one story with
the event it imitates is the precision failure a story pipeline must never make, so it is
counted apart: of the pairs of a look-alike and an article of the event it imitates, those in
one story. Pure functions over plain mappings: no I/O, no decisions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Issue 8's criterion for coverage on news the rules were not written for: pairwise precision
# and recall at least these, and no more than this share of the look-alike pairs merged.
MIN_PRECISION = 0.98
MIN_RECALL = 0.80
MAX_LOOKALIKE_SHARE = 0.01


@dataclass(frozen=True)
class PairwiseScores:
    f1: float
    precision: float
    recall: float


def _pairs(counts: Iterable[int]) -> int:
    return sum(c * (c - 1) // 2 for c in counts)


def pairwise_scores(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> PairwiseScores:
    """Same-story pairwise precision, recall and F1 over the items in ``truth``.

    A pair of items is positive when both are in one story; a predicted pair is right when the
    labels put them in one thread too. Counted from the contingency table, not by visiting pairs.
    """
    keys = sorted(truth)
    both = _pairs(Counter((predicted[k], truth[k]) for k in keys).values())
    pred = _pairs(Counter(predicted[k] for k in keys).values())
    true = _pairs(Counter(truth[k] for k in keys).values())
    precision = both / pred if pred else 1.0
    recall = both / true if true else 1.0
    # Nothing paired on either side (every article its own event and its own story): all right.
    f1 = 2 * both / (pred + true) if pred + true else 1.0
    return PairwiseScores(f1, precision, recall)


def lookalike_pairs(
    predicted: Mapping[str, Hashable],
    truth: Mapping[str, Hashable],
    imitates: Mapping[str, Collection[Hashable]],
) -> tuple[int, int]:
    """(pairs, merged): the pairs of a look-alike (``imitates``: look-alike item -> the threads
    of the events it imitates) and an item of a thread it imitates, and those of them in one
    predicted story."""
    members: dict[Hashable, list[str]] = {}
    for k in sorted(truth):
        members.setdefault(truth[k], []).append(k)
    pairs = merged = 0
    for look, threads in sorted(imitates.items()):
        for thread in threads:
            if thread == truth[look]:
                continue
            for other in members.get(thread, ()):
                pairs += 1
                merged += predicted[look] == predicted[other]
    return pairs, merged


def imitated_threads(rows: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[Hashable]]:
    """The look-alikes of a labelled corpus (``role: lookalike``) and the threads each imitates:
    its ``resembles``, or, where it gives none, the other threads of its ``group`` (the event it
    imitates and what else the corpus groups with it)."""
    rows = list(rows)
    by_group: dict[Hashable, set[Hashable]] = {}
    for r in rows:
        if r.get("group") is not None:
            by_group.setdefault(r["group"], set()).add(r["thread"])
    out: dict[str, frozenset[Hashable]] = {}
    for r in rows:
        if r.get("role") != "lookalike":
            continue
        if r.get("resembles") is not None:
            out[r["id"]] = frozenset([r["resembles"]])
        else:
            out[r["id"]] = frozenset(by_group.get(r.get("group"), set()) - {r["thread"]})
    return out


def meets_criterion(precision: float, recall: float, lookalike_merged: int, lookalike_pairs: int) -> bool:
    """Whether a scored corpus meets issue 8's held-out criterion (``MIN_PRECISION``,
    ``MIN_RECALL``, ``MAX_LOOKALIKE_SHARE``)."""
    return (
        precision >= MIN_PRECISION
        and recall >= MIN_RECALL
        and lookalike_merged <= MAX_LOOKALIKE_SHARE * lookalike_pairs
    )


@dataclass(frozen=True)
class StoryScores:
    """A labelled corpus scored: how many items, the pairwise scores, the look-alike pairs."""

    items: int
    pairwise: PairwiseScores
    lookalike_pairs: int
    lookalike_merged: int

    def meets_criterion(self) -> bool:
        """Whether the corpus meets issue 8's held-out criterion (:func:`meets_criterion`)."""
        p = self.pairwise
        return meets_criterion(p.precision, p.recall, self.lookalike_merged, self.lookalike_pairs)


def score_stories(
    predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable], imitates: Mapping[str, Collection[Hashable]]
) -> StoryScores:
    """``pairwise_scores`` and ``lookalike_pairs`` of one corpus."""
    pairs, merged = lookalike_pairs(predicted, truth, imitates)
    return StoryScores(len(truth), pairwise_scores(predicted, truth), pairs, merged)
