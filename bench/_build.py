"""The build a bench times: imported first (its name sorts before every other first-party
import) by the benches that time the decider, so that they measure what the daemon runs
(``pipeline/compiled.py``): the compiled modules while they match the sources, else the
sources; ``NEWSWIRE_PURE_PYTHON=1`` times the sources."""

from __future__ import annotations

from pipeline import compiled

BUILD = compiled.enable()


def build_line() -> str:
    """One line for the bench's output: which build ran, and why."""
    return f"decider build: {'compiled (mypyc)' if BUILD.compiled else 'sources'}; {BUILD.reason}"
