"""``make chaos``: the chaos suite at length, not in CI.

The same run as ``tests/pipeline/test_chaos.py`` (see ``tests/support/chaos.py``) on a broker of
its own, with hundreds of SIGKILLs of pollers, cleaners and deciders and a broker crash every
hundred kills, then the same audit: one event per entry by id and by content, none missing,
story versions without gaps. Prints the seed first; ``--seed`` replays a run's kill schedule.

    python bench/chaos.py --kills 300 [--seed N] [--broker-restarts 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.broker import private_broker
from tests.support.chaos import ChaosFailure, kafka_run_settings, run_chaos


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=int(os.environ.get("CHAOS_KILLS") or 300))
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED") or random.randrange(1_000_000)))
    ap.add_argument("--broker-restarts", type=int, default=None, help="default: one per 100 kills (at least 1)")
    ap.add_argument("--publish-every", type=float, default=0.5, help="mean seconds between new feed entries")
    ap.add_argument("--json", type=Path, help="write the report here as JSON")
    args = ap.parse_args(argv)
    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C, so the daemons and the broker are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    restarts = args.broker_restarts if args.broker_restarts is not None else max(1, args.kills // 100)
    with tempfile.TemporaryDirectory(prefix="newswire-chaos-") as tmp, private_broker(Path(tmp) / "kafka") as broker:
        settings = kafka_run_settings(broker.bootstrap, f"chaos{uuid.uuid4().hex[:6]}.")
        workdir = Path(tmp) / "run"
        workdir.mkdir()
        try:
            report = run_chaos(
                settings,
                workdir,
                seed=args.seed,
                kills=args.kills,
                broker=broker,
                broker_restarts=restarts,
                publish_every_s=args.publish_every,
                drain_timeout_s=600.0,
            )
        except ChaosFailure as exc:
            print(f"chaos FAILED: {exc}", file=sys.stderr)
            return 1
    if args.json:
        data = asdict(report)
        data["kills"] = dict(report.kills)
        args.json.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
