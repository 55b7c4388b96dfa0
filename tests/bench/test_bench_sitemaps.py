"""The sitemap benchmark runs end to end on a small sitemap: a change of the functions it
measures (``select_entries`` took a keyword-only ``now``) broke ``make bench``, which no test
ran."""

from __future__ import annotations

import subprocess
import sys

from tests.support.data import REPO


def test_the_sitemap_bench_runs_on_a_small_sitemap() -> None:
    proc = subprocess.run(
        [sys.executable, "bench/bench_sitemaps.py", "--urls", "200", "--rounds", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "news selection over 200 entries" in proc.stdout
