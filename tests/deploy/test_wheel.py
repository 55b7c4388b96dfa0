"""The wheel is the product: built from the packaged files alone, installed into a fresh venv,
run from an empty folder, ``newswire demo`` still tells the January 24/25 story. The container
image installs that same wheel, so its Dockerfile must carry every package the wheel needs.

The wheel is built offline (``--no-build-isolation``: the build-system's setuptools and wheel
are dev dependencies) and installed with ``--no-deps``; its dependencies come from the project's
venv through a ``.pth`` line. A ``.pth`` line only appends a folder to ``sys.path`` (the
``.pth`` files inside it, like the editable install's finder, are not run), so ``newswire``,
``ingest``, ``workers`` and ``pipeline`` can only come from the installed wheel, which the test
checks rather than assumes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from pipeline import compiled
from tests.support.data import REPO
from tests.support.demo import assert_demo_story
from tests.support.tools import require_compiled_build

pytestmark = pytest.mark.timeout(300)

PACKAGES = ("newswire", "ingest", "workers", "pipeline")


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy holding only what the image's build context holds."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheels")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, src],
        cwd=src,
    )
    (built,) = out.glob("newswire-*.whl")
    return built


def test_wheel_carries_every_package_and_the_demo_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names
    assert "pipeline/data/seed/2022-01-24-kremlin-statement.txt" in names
    assert "pipeline/data/seed/2022-01-25-tass-followup.txt" in names
    assert "workers/schema/story-event.v1.json" in names
    assert "workers/models/trees-v1.json" in names  # the rescue model the decider reads at import
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_demo_from_the_installed_wheel_in_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel], cwd=tmp_path)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp_path).strip())
    (site / "project-deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWIRE_", "PYTHON", "VIRTUAL_ENV"))}
    modules = ", ".join(PACKAGES)
    where = _run([python, "-c", f"import {modules}\nfor m in ({modules},): print(m.__file__)"], cwd=empty, env=env)
    assert len(where.split()) == len(PACKAGES)
    for path in where.split():
        assert Path(path).is_relative_to(site), f"{path} is not from the installed wheel"

    out = _run([venv / "bin" / "newswire", "--log-level", "WARNING", "demo"], cwd=empty, env=env)
    assert_demo_story(out)
    assert list(empty.iterdir()) == []  # the demo keeps its state in a temporary folder

    # As the image runs it: the compiled decider built from the repository's sources (the
    # image's builder stage builds it from the sources the wheel holds) is taken up by the
    # installed wheel, whose sources are the same bytes; and the story is the same.
    build = require_compiled_build()
    env[compiled.DIR_ENV] = str(build)
    took = _run(
        [
            python,
            "-c",
            "from pipeline import compiled; print(compiled.enable()); import workers.thread as t; print(t.__file__)",
        ],
        cwd=empty,
        env=env,
    )
    assert "compiled=True" in took and took.split()[-1].startswith(str(build)), took
    out = _run([venv / "bin" / "newswire", "--log-level", "WARNING", "demo"], cwd=empty, env=env)
    assert_demo_story(out)


def test_image_copies_and_admits_every_package_the_wheel_holds() -> None:
    """The Dockerfile builds the wheel from its own copy of the sources: a package missing from
    its COPY lines (or kept out by .dockerignore) makes an image whose entry point cannot start."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    included = [p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert sorted(included) == sorted(PACKAGES)
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    ignore = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for package in PACKAGES:
        assert f"COPY {package} ./{package}" in dockerfile, package
        assert f"!{package}/" in ignore, package
    entry = config["project"]["scripts"]["newswire"].split(":")[0].split(".")[0]
    assert entry in PACKAGES
