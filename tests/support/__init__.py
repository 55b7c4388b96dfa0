"""Helpers shared by the test modules; test modules import each other never, this package only.

- ``data``: where the tests' data lives (``tests/data``, nothing outside the repository).
- ``quality``: same-story pairwise scores, decision correctness, labelled items, and the floors
  pinned in ``tests/quality_baseline.json``.
- ``http``: a real HTTP server on 127.0.0.1 with per-test routes.
- ``daemons``: ``newswire`` daemons as real subprocesses (signals, kill -9, restarts).
- ``workers``: worker runs on the real broker (inputs, producing raw, reading events).
- ``tools``: the deploy tests' external tools (skip, or fail when they are required).
"""
