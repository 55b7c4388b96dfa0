"""The rescue model: boosted regression trees over the measures of a judgement the rules failed.

Where the coverage rules (``workers/coverage.py``) turn down every candidate story, the nearest
story passing every gate but the headline shares goes to this model, which gives the probability
that it is the input's event after all (``coverage.rescue``). As Miranda et al. 2018 learn how to
weigh the similarities of an input and a cluster, the model is fitted to the labelled corpora's
failed judgements (``bench/probe_learned.py --fit``, with scikit-learn's gradient boosting), and
shipped as plain data beside this module: ``models/<name>.json``, read once at import, its trees
walked here. A few dozen lines walk a tree; scikit-learn at run time would bring scipy into every
pod and cost more per single-row prediction than the walk itself. A refit is a new name, recorded
in the evidence of every decision the model makes; the measures it was fitted to are listed in
the file and must be the decider's, in its order (``RESCUE_MEASURES``), or it is refused when
read.

Trees rather than the logistic regression of v15-v25 (``logit-v1``/``-v2``): the gates' measures
interact (a high similarity tells one event when the figures agree, a look-alike in the wire's
formula when they move; a story of many reports weighs a shared name less), which one weighted
sum cannot say. Leaving each corpus out, at five wrong joins among the 14,740 failed judgements
the trees (as shipped: five fits averaged) took 224 of the input's event where the regression took
63 (v25's rules).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

# The measures of a judgement the rescue model weighs (``coverage.rescue_measures``), in its order.
RESCUE_MEASURES = (
    "head_in_story",
    "story_head_in_input",
    "subject_named",
    "shared_idf",
    "numbers_in_story",
    "figures_compared",
    "telling_figure",
    "protagonist_named",
    "damped",
    "log_gap_hours",
    "log_members",
    "other_language",
    "headline_names",
    "unfound_rarity",
)


@dataclass(frozen=True)
class Tree:
    """One regression tree, in scikit-learn's layout: node ``i`` sends a measure vector ``x`` to
    ``left[i]`` when ``x[feature[i]] <= threshold[i]``, else to ``right[i]``; a leaf
    (``left[i] == -1``) gives ``value[i]``, its share of the log-odds (the learning rate folded
    in)."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.left)
        if not n or not (len(self.feature) == len(self.threshold) == len(self.right) == len(self.value) == n):
            raise ValueError("a tree's node arrays are one length, and not empty")
        for i in range(n):
            lo, hi = self.left[i], self.right[i]
            if lo == -1:
                if hi != -1:
                    raise ValueError(f"node {i} is half a leaf")
                if not math.isfinite(self.value[i]):
                    raise ValueError(f"leaf {i} has no finite value")
            elif not (i < lo < n and i < hi < n) or not 0 <= self.feature[i] < len(RESCUE_MEASURES):
                raise ValueError(f"node {i} points out of the tree or past the measures")

    def leaf(self, x: Sequence[float]) -> float:
        """The value of the leaf ``x`` falls into (children come after their parent, checked when
        built: the walk ends)."""
        left, right, feature, threshold = self.left, self.right, self.feature, self.threshold
        i = 0
        while left[i] != -1:
            i = left[i] if x[feature[i]] <= threshold[i] else right[i]
        return self.value[i]


@dataclass(frozen=True)
class RescueModel:
    """Boosted trees over ``RESCUE_MEASURES``: the probability that a story the rules turned down
    is the input's event is the logistic of ``base`` plus each tree's leaf value. ``name``
    goes into the evidence of every decision the model makes."""

    name: str
    base: float
    trees: tuple[Tree, ...]
    # The probability at or above which a story the rules turned down takes the input.
    min_probability: float = 0.7

    def __post_init__(self) -> None:
        if not self.trees or not math.isfinite(self.base) or not 0 < self.min_probability <= 1:
            raise ValueError("a rescue model has trees, a finite base, and its threshold is a probability")

    def log_odds(self, measures: Sequence[float]) -> float:
        """``base`` plus each tree's leaf value: what scikit-learn's ``decision_function`` gives
        (the fit checks the export against it)."""
        if len(measures) != len(RESCUE_MEASURES):
            raise ValueError(f"a rescue model weighs {len(RESCUE_MEASURES)} measures")
        z = self.base
        for tree in self.trees:
            z += tree.leaf(measures)
        return z

    def probability(self, measures: Sequence[float]) -> float:
        z = self.log_odds(measures)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def as_json(self) -> dict[str, Any]:
        """The form ``models/<name>.json`` holds (``from_json`` reads it back)."""
        return {
            "name": self.name,
            "measures": list(RESCUE_MEASURES),
            "min_probability": self.min_probability,
            "base": self.base,
            "trees": [
                {"feature": t.feature, "threshold": t.threshold, "left": t.left, "right": t.right, "value": t.value}
                for t in self.trees
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RescueModel:
        """A model as ``as_json`` wrote it; refused (``ValueError``) when fitted to other measures
        than the decider's, or malformed."""
        if doc.get("measures") != list(RESCUE_MEASURES):
            raise ValueError(f"rescue model {doc.get('name')!r} was fitted to other measures than {RESCUE_MEASURES}")
        try:
            trees = tuple(
                Tree(
                    tuple(int(v) for v in t["feature"]),
                    tuple(float(v) for v in t["threshold"]),
                    tuple(int(v) for v in t["left"]),
                    tuple(int(v) for v in t["right"]),
                    tuple(float(v) for v in t["value"]),
                )
                for t in doc["trees"]
            )
            return cls(str(doc["name"]), float(doc["base"]), trees, float(doc["min_probability"]))
        except (KeyError, TypeError) as e:
            raise ValueError(f"rescue model {doc.get('name')!r} is malformed: {e!r}") from e


def load(name: str) -> RescueModel:
    """The model shipped as ``models/<name>.json`` in this package."""
    text = resources.files(__package__ or "workers").joinpath("models", f"{name}.json").read_text("utf-8")
    return RescueModel.from_json(json.loads(text))
