"""The compiled decider (``pipeline/compiled.py``) decides as the sources do, and is used only
while it was built from the sources as they are.

A decider that takes over a partition must decide as its predecessor did, whichever build
either of them ran: the equivalence is checked on the coverage-dev corpus in time order and in
a shuffled arrival order, with the clean stage's features, decision by decision (kinds, stories,
versions, matches, evidence) and changelog record by changelog record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import compiled
from tests.support.data import REPO
from tests.support.tools import require_compiled_build

pytestmark = pytest.mark.timeout(300)

_RUN = r"""
import hashlib, random, sys
from dataclasses import replace
from pipeline import compiled
build = compiled.enable() if sys.argv[1] == "compiled" else None
import workers.thread as thread
ran = "compiled" if not thread.__file__.endswith(".py") else "sources"
from tests.support.workers import coverage_item, coverage_rows
from workers import features
from workers.thread import StoryIndex, ThreadSettings, decide_and_apply
items = [coverage_item(row) for row in coverage_rows()]
items = [replace(i, analysis=features.analyse(i.title, i.text)) if n % 2 else i for n, i in enumerate(items)]
shuffled = list(items)
random.Random(7).shuffle(shuffled)
h = hashlib.sha256()
for stream in (sorted(items, key=lambda i: (i.published, i.article_id)), shuffled):
    index = StoryIndex(ThreadSettings())
    for item in stream:
        d, entries = decide_and_apply(index, item)
        h.update(repr((d.kind, d.story_id, d.version, d.update_kind, d.duplicate_of, d.matched_article_id)).encode())
        h.update(repr(sorted(d.evidence.items())).encode())
        for key, value in entries:
            h.update(key.encode() + b"=" + (value or b"-"))
print(ran, h.hexdigest())
"""


def _decide(build: str) -> tuple[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(compiled.PURE_ENV, None)
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, build], cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, proc.stderr
    ran, digest = proc.stdout.split()
    return ran, digest


def test_the_compiled_decider_decides_as_the_sources_do() -> None:
    require_compiled_build()
    ran_compiled, with_compiled = _decide("compiled")
    ran_sources, with_sources = _decide("sources")
    assert (ran_compiled, ran_sources) == ("compiled", "sources"), "the build is stale: run make compiled"
    assert with_compiled == with_sources


def _fake_build(directory: Path, **changes: object) -> None:
    manifest: dict[str, object] = {
        "python": sys.implementation.cache_tag,
        "sources": {m: compiled._digest(compiled._source(m)) for m in compiled.MODULES},
    }
    manifest.update(changes)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / compiled.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_build_of_other_sources_or_another_python_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a build whose recorded sources are the sources as they are, for this Python, is
    used; otherwise the sources run, and the reason names what differs."""
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    missing = compiled.enable(tmp_path / "none")
    assert not missing.compiled and "make compiled" in missing.reason
    sources = {m: compiled._digest(compiled._source(m)) for m in compiled.MODULES}
    edited = dict(sources, **{"workers.coverage": "0" * 64})
    _fake_build(tmp_path / "edited", sources=edited)
    stale = compiled.enable(tmp_path / "edited")
    assert not stale.compiled and "workers.coverage" in stale.reason and "workers.thread" not in stale.reason
    _fake_build(tmp_path / "other", python="cpython-00")
    other = compiled.enable(tmp_path / "other")
    assert not other.compiled and "cpython-00" in other.reason
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / compiled.MANIFEST).write_text("{", encoding="utf-8")
    assert not compiled.enable(tmp_path / "broken").compiled


def test_a_matching_build_is_not_used_once_the_sources_are_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process the decider's modules are imported already (the tests run the sources):
    a matching build then changes nothing, and says why; so does the opt-out."""
    import workers.thread

    monkeypatch.delenv(compiled.PURE_ENV, raising=False)
    _fake_build(tmp_path / "fresh")
    before = list(sys.path)
    late = compiled.enable(tmp_path / "fresh")
    assert not late.compiled and "imported before" in late.reason
    assert sys.path == before and workers.thread.__file__.endswith(".py")
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    assert compiled.enable(tmp_path / "fresh") == compiled.Build(False, f"{compiled.PURE_ENV}=1")


def test_the_makefile_rebuilds_when_any_compiled_source_changes() -> None:
    """``make compiled`` (and every target behind it) rebuilds from ``COMPILED_FROM``: a module
    added to :data:`compiled.MODULES` but not listed there would leave a stale build in place,
    which ``enable`` then refuses at run time (the daemon running the sources, slower)."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    line = next(x for x in makefile if x.startswith("COMPILED_FROM"))
    listed = set(line.split(":=", 1)[1].split())
    assert listed == {m.replace(".", "/") + ".py" for m in compiled.MODULES} | {"pipeline/compiled.py"}
