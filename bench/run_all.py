"""``make bench``: run every benchmark, print its table, and write ``bench/results.md``.

Run: ``.venv/bin/python bench/run_all.py [--only NAME ...] [--out bench/results.md]``

Each benchmark runs in its own subprocess, one after the other: a fresh interpreter per bench
keeps one bench's caches, threads and imports (trafilatura's, kafka-python's) from skewing the
next, and nothing runs in parallel because every table compares two systems on the same cores.
Sizes are chosen so the whole run stays under ~10 minutes on 2 cores; the benches' own defaults
(e.g. 20,000 threading articles) are larger, for when there is time.

The summary records the date, the commit and the machine, since the numbers mean nothing
without them; it is overwritten on every run (git keeps the history).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Bench:
    name: str
    title: str
    args: tuple[str, ...]
    what: str
    env: tuple[tuple[str, str], ...] = ()  # set for this bench only


# the 100k-window bench, run on the compiled decider and on the sources
_LIVE_ARGS = ("bench/bench_thread.py", "--articles", "0", "--brute", "0", "--live", "100000", "--measure", "1000")

BENCHES = (
    Bench(
        "extract",
        "Extraction: workers.clean.clean vs bare trafilatura",
        ("-m", "bench.bench_extract", "--repeat", "2"),
        "181 pages of the article-extraction-benchmark; pages/s and shingle F1.",
    ),
    Bench(
        "pages",
        "Publisher pages: metadata of workers.clean.clean vs bare trafilatura",
        ("-m", "bench.bench_publisher_pages", "--repeat", "2"),
        "141 real pages from 103 publishers, many scripts; headline exact, date day, credited-names F1, "
        "body F1, pages with an event, ms/page, and the cleaning step's own cost over trafilatura's.",
    ),
    Bench(
        "feeds",
        "Feed parsing: ingest.feeds.parse_feed vs bare feedparser",
        ("bench/bench_feeds.py", "--rounds", "3"),
        "Real RSS/Atom files, both parsers interleaved per round.",
    ),
    Bench(
        "sitemaps",
        "Sitemap parsing: ingest.sitemaps.parse_sitemap vs bare lxml.etree.iterparse",
        ("bench/bench_sitemaps.py", "--rounds", "3"),
        "A synthetic Google News sitemap at the protocol's maximum (50,000 URLs), plain and gzipped; "
        "both extract the same seven fields per URL, interleaved per round.",
    ),
    Bench(
        "thread",
        "Threading: StoryIndex vs datasketch MinHashLSH / brute force",
        ("bench/bench_thread.py", "--articles", "5000", "--brute", "1000"),
        "Synthetic labelled wire stream; decisions/s and pairwise same-story F1.",
    ),
    Bench(
        "replay",
        "Whole worker path: newswire replay (clean + thread, one core) vs bare trafilatura",
        ("bench/bench_replay.py", "--repeat", "2"),
        "181 pages of the article-extraction-benchmark as raw records; CPU seconds, best of 2.",
    ),
    Bench(
        "coverage",
        "Coverage: independent reports of one event (coverage-dev, NewsWCL50 if ../shared is there)",
        ("bench/bench_coverage.py",),
        "Pairwise same-story precision/recall, look-alike pairs merged; StoryIndex decide + apply.",
    ),
    Bench(
        "thread-live",
        "Threading with coverage at a full window: decisions/s and index bytes per article",
        _LIVE_ARGS,
        "100,000 synthetic articles live in one window (one core); tracemalloc over 3,000 articles; "
        "the compiled decider (make compiled), as the daemon runs it.",
    ),
    Bench(
        "thread-live-sources",
        "The same, the decider's sources (no compiled modules), side by side",
        _LIVE_ARGS,
        "The thread-live bench with NEWSWIRE_PURE_PYTHON=1: the same decisions (the digest), the sources' speed.",
        (("NEWSWIRE_PURE_PYTHON", "1"),),
    ),
    Bench(
        "decider-scale",
        "Decider at scale: takeover (changelog restore), RSS and decision latency with N articles live",
        ("bench/bench_decider_scale.py",),
        "N = 100,000 by default (NEWSWIRE_BENCH_LIVE=1000000 for issue 11's million); 6,000 articles "
        "decided for real, cloned to N; restore, RSS, p50/p99 of 2,000 decide + apply; record-store probe.",
    ),
    Bench(
        "takeover",
        "Decider take-over through the bus: a warm standby (replays its lag) vs a cold restore",
        ("bench/bench_takeover.py",),
        "N = 100,000 (NEWSWIRE_BENCH_LIVE=1000000 for the million) on a local single-node broker; "
        "the standby lags 5,000 changelog entries at assignment; assignment -> deciding, wall and CPU.",
    ),
    Bench(
        "bus",
        "Bus: newswire Kafka bus vs bare kafka-python (and the embedded backend)",
        ("bench/bench_bus.py", "--records", "20000", "--repeat", "3"),
        "Local single-node broker on the same cores; ~4 KB raw-story records, 6 partitions; "
        "best of 3 per Kafka row, order alternating.",
    ),
)


@dataclass(frozen=True)
class Result:
    bench: Bench
    output: str
    seconds: float
    returncode: int


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _kafka_version() -> str:
    """The broker version kafka_local.py runs, read from its pom (no import, no JVM)."""
    pom = (REPO / "deploy" / "kafka" / "pom.xml").read_text()
    found = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    return found.group(1) if found else "unknown"


def _commit() -> str:
    """Read-only look-up of the checked-out commit, marked when the tree has local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' (with local changes)' if dirty else ''}"


def machine_info() -> list[tuple[str, str]]:
    return [
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores visible"),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Kafka broker", f"Apache Kafka {_kafka_version()} (single node, KRaft, same machine)"),
        (
            "Libraries",
            ", ".join(
                f"{p} {_pkg(p)}"
                for p in ("kafka-python", "trafilatura", "feedparser", "datasketch", "zstandard", "rocksdict")
            ),
        ),
        ("Commit", _commit()),
    ]


def _env(bench: Bench) -> str:
    """The bench's own environment as a command line shows it (``K=V `` each)."""
    return "".join(f"{k}={v} " for k, v in bench.env)


def run(bench: Bench) -> Result:
    """Run one bench, echoing its stdout live; stderr (library warnings) is shown only on failure,
    so it never lands inside a table."""
    cmd = [sys.executable, *bench.args]
    print(f"\n== {bench.name}: {_env(bench)}{' '.join(bench.args)}", flush=True)
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", **dict(bench.env)}
    started = time.perf_counter()
    lines: list[str] = []
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True, env=environ)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        code = proc.wait()
        if code != 0:
            err.seek(0)
            tail = err.read()[-3000:]
            print(tail, file=sys.stderr)
            lines.append(f"\n[exit {code}]\n{tail}")
    seconds = time.perf_counter() - started
    print(f"({seconds:.0f} s)", flush=True)
    return Result(bench, "".join(lines).rstrip(), seconds, code)


def render(results: list[Result], started: datetime, total_s: float) -> str:
    out = [
        "# newswire benchmarks",
        "",
        "Generated by `make bench` (`bench/run_all.py`); every table compares newswire with the bare "
        "library doing the same work in the same run, on the same machine.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC, total {total_s / 60:.1f} min",
    ]
    out += [f"- {key}: {value}" for key, value in machine_info()]
    for r in results:
        status = "" if r.returncode == 0 else f" - FAILED (exit {r.returncode})"
        out += [
            "",
            f"## {r.bench.title}{status}",
            "",
            f"{r.bench.what} Command: `{_env(r.bench)}python {' '.join(r.bench.args)}` ({r.seconds:.0f} s).",
            "",
            "```",
            r.output,
            "```",
        ]
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES], help="run just these")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results.md")
    args = ap.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    results = [run(b) for b in chosen]
    total = time.perf_counter() - t0
    args.out.write_text(render(results, started, total), encoding="utf-8")
    print(f"\nwrote {args.out} ({total / 60:.1f} min)")
    return 0 if all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
