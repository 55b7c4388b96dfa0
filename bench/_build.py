"""The build a bench times: imported first (its name sorts before every other first-party
import) by the benches that time the decider, so that they measure what the daemon runs
(``pipeline/compiled.py``): the compiled modules while they match the sources, else the
sources; ``NEWSWIRE_PURE_PYTHON=1`` times the sources."""

from __future__ import annotations

from pathlib import Path

from pipeline import compiled

BUILD = compiled.enable()
_REPO = Path(__file__).resolve().parents[1]


def build_line() -> str:
    """One line for the bench's output: which build ran, and why."""
    reason = BUILD.reason.replace(f"{_REPO}/", "")  # the results name no machine's folders
    return f"decider build: {'compiled (mypyc)' if BUILD.compiled else 'sources'}; {reason}"
