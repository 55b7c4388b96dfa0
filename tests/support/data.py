"""Where the tests' own data lives: ``tests/data`` in this repository, nothing outside it."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
CORPUS = DATA / "corpus"
DEV_CORPUS = CORPUS / "dev.jsonl.gz"
COVERAGE_CORPUS = CORPUS / "coverage-dev.jsonl.gz"
