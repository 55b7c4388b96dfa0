"""The decider's hot modules compiled with mypyc, built apart from the sources and used only
while they match them.

The decider and the text features are plain Python, mypy-strict, and mypyc compiles them as
they are: the same code, as C extensions, decides ~1.4x faster (the same decisions: a test
holds the two builds to one digest). The compiled modules are written to a directory of their
own (``build/compiled`` in a checkout, ``NEWSWIRE_COMPILED_DIR`` elsewhere) with a manifest of
the sources they were built from, never next to the sources: an extension module next to its
``.py`` would be imported instead of it, also after the source is edited. :func:`enable` puts
the directory ahead in the ``workers`` package's search path only when every recorded source
is unchanged; otherwise the process runs the sources, and says so. The tests run the sources
(they observe the decider's internals, which compiled callers do not look up at run time).

Build: ``python -m pipeline.compiled build [DIR]`` (``make compiled``; needs a C compiler).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The modules compiled: the decider and what it calls per decision, and the text features.
MODULES = (
    "workers.shingles",
    "workers.features",
    "workers.postings",
    "workers.coverage_terms",
    "workers.coverage_vectors",
    "workers.coverage_model",
    "workers.coverage",
    "workers.thread",
)
MANIFEST = "manifest.json"
#: Set to 1 to run the sources even where a matching compiled build exists.
PURE_ENV = "NEWSWIRE_PURE_PYTHON"
DIR_ENV = "NEWSWIRE_COMPILED_DIR"


@dataclass(frozen=True)
class Build:
    """Which build this process runs (``compiled``), and why when it runs the sources."""

    compiled: bool
    reason: str


def _source(module: str) -> Path:
    spec = importlib.util.find_spec("workers")
    assert spec is not None and spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations))) / (module.rsplit(".", 1)[1] + ".py")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_dir() -> Path:
    """``NEWSWIRE_COMPILED_DIR``, else ``build/compiled`` beside the ``workers`` package (a
    checkout's root)."""
    given = os.environ.get(DIR_ENV)
    return Path(given) if given else _source(MODULES[0]).parent.parent / "build" / "compiled"


def enable(directory: Path | None = None) -> Build:
    """Run the compiled modules in ``directory`` from now on, if they were built from the
    sources as they are. Call before any of :data:`MODULES` is imported (a module imported
    already stays as it is: then nothing is changed)."""
    if os.environ.get(PURE_ENV) == "1":
        return Build(False, f"{PURE_ENV}=1")
    directory = directory or default_dir()
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Build(False, f"no compiled build in {directory} (make compiled)")
    except (OSError, ValueError) as exc:
        return Build(False, f"unreadable manifest in {directory}: {exc}")
    if manifest.get("python") != sys.implementation.cache_tag:
        return Build(False, f"compiled for {manifest.get('python')}, running {sys.implementation.cache_tag}")
    stale = [m for m in MODULES if manifest.get("sources", {}).get(m) != _digest(_source(m))]
    if stale:
        return Build(False, f"sources changed since the compiled build: {', '.join(stale)} (make compiled)")
    loaded = [m for m in MODULES if m in sys.modules]
    if loaded:
        return Build(False, f"imported before the compiled build was enabled: {', '.join(loaded)}")
    import workers

    # the shared runtime library mypyc writes beside the package directory is a top-level module
    sys.path.insert(0, str(directory))
    workers.__path__.insert(0, str(directory / "workers"))
    return Build(True, f"compiled modules from {directory}")


def build(out: Path) -> None:
    """Compile :data:`MODULES` into ``out`` (their extension modules under ``out/workers``, the
    shared runtime library beside) and record the sources they were built from."""
    from mypyc.build import mypycify
    from setuptools import setup

    sources = {m: _source(m) for m in MODULES}
    root = sources[MODULES[0]].parent.parent
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # a build that fails leaves no manifest
    cwd = Path.cwd()
    os.chdir(root)  # mypyc names a module by its path
    try:
        with tempfile.TemporaryDirectory() as temp:
            setup(
                name="newswire-compiled",
                ext_modules=mypycify(
                    [str(p.relative_to(root)) for p in sources.values()],
                    opt_level="3",
                    target_dir=str(Path(temp) / "c"),
                    group_name="newswire_decider",
                ),
                script_args=["build_ext", "--build-lib", str(out), "--build-temp", temp],
            )
    finally:
        os.chdir(cwd)
    manifest = {
        "python": sys.implementation.cache_tag,
        "sources": {m: _digest(p) for m, p in sources.items()},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "build" or len(args) > 2:
        print("usage: python -m pipeline.compiled build [DIR]", file=sys.stderr)
        return 2
    out = Path(args[1]) if len(args) == 2 else default_dir()
    build(out)
    print(f"compiled {', '.join(MODULES)} into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
