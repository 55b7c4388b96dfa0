"""``newswire`` command line: one settings object, a few verbs, clear errors.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad configuration (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newswire.settings import ConfigError, Settings, load_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newswire",
        description="Streaming news ingestion: poll feeds, clean, dedupe and thread wire stories.",
    )
    p.add_argument("--config", "-c", type=Path, help="settings YAML (default: $NEWSWIRE_CONFIG)")
    p.add_argument("--backend", choices=["embedded", "kafka"], help="override the bus backend")
    p.add_argument("--log-format", choices=["json", "text"], help="override log format")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = p.add_subparsers(dest="verb", required=True, metavar="VERB")

    def feeds_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--feeds", type=Path, help="feed list: YAML or OPML (default: poller.feeds_file)")
        sp.add_argument(
            "--allow-private-network",
            action="store_true",
            help="allow feeds and pages on loopback/private addresses (tests, intranets)",
        )

    run = sub.add_parser(
        "run",
        help="the main job: pollers and workers in one process",
        description="Poll feeds, fetch pages, run the workers and publish story events. "
        "Runs until SIGTERM, or with --once polls every feed once and exits.",
    )
    feeds_opts(run)
    run.add_argument("--once", action="store_true", help="poll every feed once, drain the workers, exit")
    run.add_argument("--events-out", type=Path, help="also append every event as a JSON line to FILE")

    poll = sub.add_parser(
        "poll",
        help="run the feed poller daemon (web -> raw topic)",
        description="Poll the feeds this replica owns and put raw stories on the raw topic.",
    )
    feeds_opts(poll)
    poll.add_argument("--once", action="store_true", help="poll every owned feed once and exit")

    work = sub.add_parser(
        "work",
        help="run the worker daemon (raw -> cleaned -> events)",
        description="Clean raw stories, thread them into stories and publish events.",
    )
    work.add_argument(
        "--stage", choices=["all", "clean", "thread"], default="all", help="which worker stage to run (default: both)"
    )
    work.add_argument("--once", action="store_true", help="process what is queued, then exit")

    replay = sub.add_parser(
        "replay",
        help="run the worker logic over raw records from a JSONL file",
        description="Replay raw records (JSON lines with at least url and html) "
        "in publication order on a fresh embedded state; write one event per line.",
    )
    replay.add_argument(
        "input", type=Path, nargs="?", help="input JSONL (url, html, optional id/guid/title/published...)"
    )
    replay.add_argument("--output", "-o", type=Path, required=True, help="events JSONL to write")
    replay.add_argument(
        "--dead-letters",
        type=Path,
        help="also write each dead letter (reason + original record) as a JSON line to FILE",
    )
    replay.add_argument(
        "--from-dead-letters",
        action="store_true",
        help="INPUT is a dead-letter file (from --dead-letters or 'dlq export'): re-drive its records",
    )
    replay.add_argument(
        "--order",
        choices=["published", "file"],
        default="published",
        help="decide the records in publication order (default: each record's 'published'; "
        "a line without one stays after the line before it) or in file order, as a stream would",
    )
    replay.add_argument(
        "--score",
        nargs="?",
        const="thread",
        metavar="FIELD",
        help="after the replay, score its stories against the event each input line names in FIELD "
        "(default 'thread'; lines need an 'id'; look-alikes: 'role': 'lookalike' with 'resembles', "
        "or else the other threads of their 'group'): "
        "pairwise same-story precision, recall and F1, and look-alike pairs merged",
    )

    feeds = sub.add_parser("feeds", help="feed list tools")
    fsub = feeds.add_subparsers(dest="feeds_verb", required=True, metavar="ACTION")
    imp = fsub.add_parser("import", help="convert an OPML (or YAML) feed list to newswire YAML")
    imp.add_argument("file", type=Path)
    imp.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    dis = fsub.add_parser(
        "discover",
        help="list the feeds and sitemaps a site publishes (and add them to a feed list)",
        description="Look at a site's home page (<link rel=alternate>), its robots.txt (Sitemap: lines) "
        "and /sitemap.xml, /news-sitemap.xml; list what is there, optionally add it to a YAML feed list.",
    )
    dis.add_argument("site", help="the site's address, e.g. https://wire.example/")
    dis.add_argument("--add", type=Path, metavar="FILE", help="add what was found to this YAML feed list")
    dis.add_argument(
        "--allow-private-network", action="store_true", help="allow loopback/private addresses (tests, intranets)"
    )
    fst = fsub.add_parser("status", help="health of every feed (last success, failures, next poll)")
    fst.add_argument("--feeds", type=Path)

    sub.add_parser("status", help="topics, consumer lag per group and feed health")
    dlq = sub.add_parser("dlq", help="dead-letter tools")
    dsub = dlq.add_subparsers(dest="dlq_verb", required=True, metavar="ACTION")
    exp = dsub.add_parser(
        "export",
        help="dead letters as JSON lines (re-drive with 'replay --from-dead-letters')",
    )
    exp.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    exp.add_argument("--stage", help="only this stage's dead letters (clean, thread...)")
    demo = sub.add_parser("demo", help="offline demo: sample wire sites on 127.0.0.1 -> story events")
    demo.add_argument("--events-out", type=Path)
    return p


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if args.backend:
        overrides["backend"] = args.backend
    if args.log_format:
        overrides["log_format"] = args.log_format
    if args.log_level:
        overrides["log_level"] = args.log_level
    poller: dict[str, Any] = {}
    if getattr(args, "feeds", None) is not None:
        poller["feeds_file"] = str(args.feeds)
    if getattr(args, "allow_private_network", False):
        poller["allow_private_network"] = True
    if poller:
        overrides["poller"] = poller
    return load_settings(args.config, **overrides)


def _replay_input(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``replay``'s input, where ``--score`` took it for its field: ``replay -o OUT --score IN``
    reads as "score against 'thread'", as ``replay IN -o OUT --score`` does (an optional value
    takes the next word). Without an input, the usual usage error."""
    if args.verb != "replay" or args.input is not None:
        return
    if args.score is not None and Path(args.score).is_file():
        args.input, args.score = Path(args.score), "thread"
        return
    parser.error("the following arguments are required: input")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _replay_input(parser, args)
    try:
        settings = _settings(args)
        from pipeline import compiled

        build = compiled.enable()  # before the stages import the modules it may replace
        from pipeline import app  # heavy imports only after the arguments are known good

        return app.dispatch(args, settings, build)
    except ConfigError as exc:
        print(f"newswire: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before the stop flag's handler is installed (start-up)
        print("newswire: interrupted", file=sys.stderr)
        return 130
    except app_errors() as exc:
        print(f"newswire: {exc}", file=sys.stderr)
        return 1


def app_errors() -> tuple[type[BaseException], ...]:
    """Errors that deserve one line, not a traceback (unreachable broker, bad feed list...)."""
    from newswire.bus import BusError
    from newswire.health import HealthServerError

    errors: list[type[BaseException]] = [BusError, HealthServerError]
    try:
        from ingest.feedlist import FeedListError

        errors.append(FeedListError)
    except ImportError:  # pragma: no cover - the package is always installed
        pass
    return tuple(errors)


if __name__ == "__main__":
    sys.exit(main())
