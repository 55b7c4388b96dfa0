"""The quality floors and the corpora they are measured on are pinned in one file,
``tests/quality_baseline.json``: a changed corpus or a lowered floor must show there as a diff,
never pass quietly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.data import CORPUS, REPO
from tests.support.quality import baseline, corpus_digest

TESTS = REPO / "tests"
QUALITY_PATTERNS = ("test_*quality*.py", "test_threading_*.py", "test_coverage*.py", "test_replay.py")
QUALITY_MODULES = sorted({p for pattern in QUALITY_PATTERNS for p in TESTS.rglob(pattern)})
SCORE_WORDS = ("f1", "accuracy", "mean", "precision", "recall")


@pytest.mark.parametrize("name", sorted(baseline()["corpora"]))
def test_corpus_matches_its_pinned_checksum(name: str) -> None:
    path = REPO / name
    assert path.exists(), f"{name} is pinned in quality_baseline.json but missing"
    assert corpus_digest(path) == baseline()["corpora"][name], (
        f"{name} changed: if on purpose, re-measure the floors and update its sha256 in tests/quality_baseline.json"
    )


def test_every_labelled_corpus_is_pinned() -> None:
    pinned = set(baseline()["corpora"])
    for path in CORPUS.glob("*.jsonl.gz"):
        assert path.relative_to(REPO).as_posix() in pinned


def test_every_pinned_value_is_used_by_a_test() -> None:
    """A floor nobody reads is a floor nobody enforces."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in QUALITY_MODULES)
    doc = baseline()
    names = [*doc["floors"], *doc["known_errors"], *doc["reference"]]
    unused = []
    for name in names:
        # A name is used literally, or by an f-string over its last-but-one component.
        head, _, tail = name.rpartition(".")
        if f'"{name}"' not in sources and not (tail in sources and head.split(".")[0] in sources):
            unused.append(name)
    assert not unused, unused
    assert all(0.0 < v <= 1.0 or float(v).is_integer() for v in doc["floors"].values())


def _literal_score_floors(path: Path) -> list[str]:
    """A quality floor written into a test instead of the baseline: ``<score> >= 0.9``, or a
    ``floors = {...}`` / ``FLOOR = 0.9`` literal."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            left = ast.unparse(node.left).lower()
            if any(word in left for word in SCORE_WORDS) and any(
                isinstance(op, (ast.GtE, ast.Gt)) and isinstance(right, ast.Constant) and isinstance(right.value, float)
                for op, right in zip(node.ops, node.comparators, strict=True)
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = any("floor" in ast.unparse(t).lower() for t in targets)
            if named and isinstance(node.value, (ast.Dict, ast.Constant)):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_quality_tests_take_their_floors_from_the_baseline() -> None:
    assert len(QUALITY_MODULES) >= 5
    found = [hit for path in QUALITY_MODULES for hit in _literal_score_floors(path)]
    assert not found, found
