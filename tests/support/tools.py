"""Where the deploy tests find their external tools, and what happens when one is missing.

The tools (helm, promtool, and a separate venv with checkov and kubernetes-validate) are
installed by ``deploy/tools/install.sh`` into ``.cache/tools`` (``NEWSWIRE_TOOLS_DIR``
overrides). A developer without them gets skips; with ``NEWSWIRE_REQUIRE_TOOLS`` set (as
``make test`` and CI do) a missing tool fails the test, so a broken install step cannot
pass as a quiet skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.data import REPO


def tools_dir() -> Path:
    return Path(os.environ.get("NEWSWIRE_TOOLS_DIR") or REPO / ".cache" / "tools")


def find_tool(name: str) -> Path | None:
    """The tool from the tools dir (its bin/ or its venv's bin/), else from PATH."""
    base = tools_dir()
    for candidate in (base / "bin" / name, base / "venv" / "bin" / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def require_tool(name: str) -> Path:
    """The tool's path; skip the test if absent, or fail if ``NEWSWIRE_REQUIRE_TOOLS`` is set."""
    path = find_tool(name)
    if path is not None:
        return path
    message = f"{name} not found in {tools_dir()} or PATH; run deploy/tools/install.sh"
    if os.environ.get("NEWSWIRE_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def run(args: list[str | Path], *, cwd: Path | None = None, timeout: float = 300) -> str:
    """Run a tool; on a non-zero exit fail the test with its whole output (that is the report)."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {proc.returncode}:\n{output}", pytrace=False)
    return output


def require_compiled_build() -> Path:
    """The folder of the compiled decider (``make compiled``, which ``make test`` runs); skip the
    test if there is none, or fail if ``NEWSWIRE_REQUIRE_TOOLS`` is set, as for a tool."""
    from pipeline import compiled

    manifest = compiled.default_dir() / compiled.MANIFEST
    if manifest.exists():
        return manifest.parent
    message = f"no compiled build in {manifest.parent}; run make compiled"
    if os.environ.get("NEWSWIRE_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)
