"""A checkout stands alone: the product and its tests read nothing outside the repository, test
modules share code only through ``tests/support``, and test data stays compressed and small."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.data import DATA, REPO

PACKAGES = ("newswire", "ingest", "workers", "pipeline", "tests")
SCANNED_SUFFIXES = {".py", ".md", ".json", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini", ".sh"}
# A data folder beside the checkout, however it is spelled: a relative path up to it, a path
# component named "shared" joined onto a directory, the environment override that used to point
# at it, the helper that used to return it, or a developer machine's absolute path.
OUTSIDE_DATA = re.compile(
    r"\.\./shared|/\s*[\"']shared[\"']|[\"']shared[\"']\s*/|NEWSWIRE_SHARED_DIR|\bshared_dir\b|/work/",
)
MAX_DATA_FILE_BYTES = 3 * 1024 * 1024


def _scanned_files() -> list[Path]:
    files = [
        p
        for package in PACKAGES
        for p in (REPO / package).rglob("*")
        if p.is_file() and p.suffix in SCANNED_SUFFIXES and "__pycache__" not in p.parts
    ]
    files += [REPO / "Makefile", REPO / "pyproject.toml", *(REPO / "deploy").rglob("Dockerfile")]
    return [p for p in files if p.resolve() != Path(__file__).resolve()]


def test_nothing_reads_a_data_folder_outside_the_repository() -> None:
    files = _scanned_files()
    assert len(files) > 50
    hits = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if OUTSIDE_DATA.search(line)
    ]
    assert not hits, "\n".join(hits)


def test_the_scan_catches_each_spelling() -> None:
    for line in (
        # written in pieces so that this file itself holds no reference to an outside folder
        "root = REPO.parent / " + '"shared"' + ' / "corpus"',
        "path = Path('" + ".." + "/shared/data')",
        'os.environ["NEWSWIRE_SHARED_DIR"]',
        "from pipeline.samples import shared_dir",
        "see /work/shared/corpus",
    ):
        assert OUTSIDE_DATA.search(line), line
    assert not OUTSIDE_DATA.search('"shared_passages": 2  # a shared sign-off')


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_test_modules_share_code_only_through_tests_support() -> None:
    offenders = [
        f"{p.relative_to(REPO)} imports {module}"
        for p in (REPO / "tests").rglob("*.py")
        for module in _imported_modules(p)
        if module.startswith("tests") and not module.startswith("tests.support") and module != "tests"
    ]
    assert not offenders, offenders


def test_test_data_is_compressed_licensed_and_small() -> None:
    files = [p for p in DATA.rglob("*") if p.is_file()]
    assert len(files) > 200  # the benchmark pages, the feeds, the corpora
    loose = [p for p in files if p.suffix != ".gz" and p.name not in ("LICENSE", "README.md")]
    assert not loose, loose
    large = [p for p in files if p.stat().st_size > MAX_DATA_FILE_BYTES]
    assert not large, large
    for source in (DATA / "article-extraction-benchmark", DATA / "feeds" / "netnewswire"):
        assert (source / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
