"""The rescue model's trees: built checked, walked as scikit-learn lays them out, shipped as data."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from workers import coverage, coverage_model
from workers.coverage_model import RESCUE_MEASURES, RescueModel, Tree

N = len(RESCUE_MEASURES)


def _stump(feature: int, threshold: float, low: float, high: float) -> Tree:
    """One split: measure ``feature`` at or under ``threshold`` gives ``low``, over it ``high``."""
    return Tree((feature, -2, -2), (threshold, -2.0, -2.0), (1, -1, -1), (2, -1, -1), (0.0, low, high))


def test_a_tree_is_walked_to_the_leaf_its_measures_fall_in() -> None:
    # node 0 splits on the similarity (8), node 2 on the story's size (10): three leaves
    tree = Tree((8, -2, 10, -2, -2), (0.2, -2.0, 1.0, -2.0, -2.0), (1, -1, 3, -1, -1), (2, -1, 4, -1, -1),
                (0.0, -1.0, 0.0, 2.0, 0.5))  # fmt: skip
    x = [0.0] * N
    assert tree.leaf(x) == -1.0  # similarity 0.0 <= 0.2
    x[8] = 0.2
    assert tree.leaf(x) == -1.0  # at the threshold: left, as scikit-learn sends it
    x[8] = 0.3
    assert tree.leaf(x) == 2.0  # over it; log-members 0.0 <= 1.0
    x[10] = 1.5
    assert tree.leaf(x) == 0.5


def test_the_probability_is_the_logistic_of_the_base_and_the_leaves() -> None:
    model = RescueModel("two", 0.5, (_stump(8, 0.2, -1.0, 1.0), _stump(0, 0.5, 0.0, 1.5)))
    x = [0.0] * N
    assert model.probability(x) == pytest.approx(1 / (1 + 2.718281828459045**0.5))  # 0.5 - 1.0
    x[8], x[0] = 0.9, 1.0
    assert model.probability(x) == pytest.approx(1 / (1 + 2.718281828459045**-3.0))  # 0.5 + 1 + 1.5
    assert model.log_odds(x) == 3.0
    assert RescueModel("far", -1000.0, (_stump(0, 0.5, 0.0, 0.0),)).probability(x) == 0.0
    with pytest.raises(ValueError, match="measures"):
        model.probability(x[:-1])


def test_a_model_is_checked_when_built() -> None:
    with pytest.raises(ValueError, match="one length"):
        Tree((0,), (0.5,), (1, -1), (2,), (0.0,))
    with pytest.raises(ValueError, match="half a leaf"):
        Tree((0, -2, -2), (0.5, -2.0, -2.0), (1, -1, -1), (2, 0, -1), (0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="out of the tree"):
        Tree((0, -2, -2), (0.5, -2.0, -2.0), (1, -1, -1), (5, -1, -1), (0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="out of the tree"):  # a child before its parent: a loop
        Tree((0, 0, -2), (0.5, 0.5, -2.0), (1, 0, -1), (2, 2, -1), (0.0, 0.0, 2.0))
    with pytest.raises(ValueError, match="past the measures"):
        Tree((N, -2, -2), (0.5, -2.0, -2.0), (1, -1, -1), (2, -1, -1), (0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="finite"):
        Tree((0, -2, -2), (0.5, -2.0, -2.0), (1, -1, -1), (2, -1, -1), (0.0, float("nan"), 2.0))
    with pytest.raises(ValueError, match="threshold is a probability"):
        RescueModel("never", 0.0, (_stump(0, 0.5, 0.0, 0.0),), min_probability=0.0)
    with pytest.raises(ValueError, match="has trees"):
        RescueModel("empty", 0.0, ())


def test_a_model_goes_to_its_file_and_back() -> None:
    model = RescueModel("two", 0.25, (_stump(8, 0.2, -1.0, 1.0), _stump(3, 5.0, 0.0, 1.5)), min_probability=0.8)
    assert RescueModel.from_json(json.loads(json.dumps(model.as_json()))) == model


def test_a_model_fitted_to_other_measures_is_refused() -> None:
    doc = RescueModel("two", 0.0, (_stump(8, 0.2, -1.0, 1.0),)).as_json()
    reordered = dict(doc, measures=list(reversed(doc["measures"])))
    with pytest.raises(ValueError, match="other measures"):
        RescueModel.from_json(reordered)
    with pytest.raises(ValueError, match="malformed"):
        RescueModel.from_json({k: v for k, v in doc.items() if k != "base"})


def test_the_shipped_model_is_its_file() -> None:
    """The decider's model is the one shipped as package data (in the wheel: package-data), and
    its name is what the evidence records."""
    model = coverage.RESCUE_MODEL
    assert model is not None and model.name == "trees-v1"
    shipped = resources.files("workers").joinpath("models", "trees-v1.json").read_text("utf-8")
    assert RescueModel.from_json(json.loads(shipped)) == model == coverage_model.load("trees-v1")
    assert len(model.trees) == 500 and model.min_probability == 0.6  # read at 0.7 through v45
    # a story like none it was fitted to still gets a probability
    assert 0.0 <= model.probability([0.0] * N) <= 1.0
