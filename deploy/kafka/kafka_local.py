#!/usr/bin/env python3
"""Run a real single-node Apache Kafka 4.x broker (KRaft combined mode) from Maven Central jars.

Used by ``make kafka-up``/``make kafka-down`` and by the test session (tests/conftest.py).
Nothing is downloaded but the jars that ``deploy/kafka/pom.xml`` resolves; the broker listens on
127.0.0.1 on free ports, and readiness is checked through the admin client, never by sleeping a
fixed time.

    kafka_local.py fetch              # resolve jars into .cache/kafka-<version>/libs
    kafka_local.py up [--home DIR]    # format storage, start, wait ready; prints the bootstrap address
    kafka_local.py down [--home DIR]  # stop (SIGTERM, then SIGKILL after a grace period)
    kafka_local.py kill [--home DIR]  # SIGKILL, as a crash would: data dir and ports are kept
    kafka_local.py start [--home DIR] # start a stopped or killed broker again on its data dir and ports
    kafka_local.py restart [--home DIR] [--hard]  # down (or kill, with --hard), then start

``kill``/``start`` exist for the chaos suite: a broker that crashes and comes back on the same
address with the same log must be survived by every daemon without a restart of its own.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
POM = HERE / "pom.xml"
KAFKA_VERSION = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text()).group(1)  # type: ignore[union-attr]
LIBS = REPO / ".cache" / f"kafka-{KAFKA_VERSION}" / "libs"
DEFAULT_HOME = REPO / ".cache" / "kafka-run"
JVM = [
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
]


def fetch() -> Path:
    """Resolve the broker's jars with Maven once; later calls are a directory check."""
    marker = LIBS / ".complete"
    if marker.exists():
        return LIBS
    if LIBS.exists():
        shutil.rmtree(LIBS)
    mvn = shutil.which("mvn")
    if mvn is None:
        sys.exit("kafka_local: Maven (mvn) is required to assemble Kafka from Maven Central")
    subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={LIBS}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )
    marker.write_text(KAFKA_VERSION)
    return LIBS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        sys.exit("kafka_local: Java 17+ is required to run the broker")
    return java


def _server_properties(home: Path, port: int, controller_port: int) -> str:
    return f"""\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={home / "data"}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Compaction is how pollers and workers keep their state in Kafka: keep the cleaner on.
log.cleaner.enable=true
log.cleaner.backoff.ms=1000
# Article pages exceed the 1 MB default; clients and topics are sized to match.
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
socket.request.max.bytes=104857600
"""


def _state_file(home: Path) -> Path:
    return home / "broker.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def wait_ready(bootstrap: str, deadline_s: float, pid: int | None = None) -> None:
    """Poll the admin client until the broker answers metadata requests (KRaft quorum is up)."""
    from kafka import KafkaAdminClient  # kafka-python, from the project venv
    from kafka.errors import KafkaError

    deadline = time.monotonic() + deadline_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if pid is not None and not _alive(pid):
            raise RuntimeError("broker process exited during start-up")
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
            try:
                cluster = admin.describe_cluster()
                if cluster.get("controller_id", -1) is not None and cluster.get("brokers"):
                    return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as exc:
            last = exc
        time.sleep(0.3)
    raise TimeoutError(f"broker at {bootstrap} not ready after {deadline_s:.0f}s: {last}")


def up(home: Path, timeout_s: float = 120.0) -> dict[str, object]:
    libs = fetch()
    home.mkdir(parents=True, exist_ok=True)
    state = _state_file(home)
    if state.exists():
        info = json.loads(state.read_text())
        if _alive(int(info["pid"])):
            wait_ready(str(info["bootstrap"]), timeout_s, int(info["pid"]))
            return dict(info)
        state.unlink()
    shutil.rmtree(home / "data", ignore_errors=True)
    port, controller_port = _free_port(), _free_port()
    props = home / "server.properties"
    props.write_text(_server_properties(home, port, controller_port))
    # The storage tool wants a Kafka UUID: 16 random bytes, url-safe base64 without padding.
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    subprocess.run(
        [
            _java(),
            *JVM,
            "-cp",
            f"{libs}/*",
            "kafka.tools.StorageTool",
            "format",
            # One argument: an id that starts with "-" (1 in 64) would be taken for an option.
            f"--cluster-id={cluster_id}",
            "-c",
            str(props),
            "--standalone",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return _launch(home, timeout_s)


def _launch(home: Path, timeout_s: float) -> dict[str, object]:
    """Start the broker on the storage and ``server.properties`` already in ``home``; wait ready."""
    props = home / "server.properties"
    port = int(re.search(r"PLAINTEXT://127\.0\.0\.1:(\d+)", props.read_text()).group(1))  # type: ignore[union-attr]
    log = (home / "broker.log").open("ab")
    proc = subprocess.Popen(
        [_java(), *JVM, "-cp", f"{fetch()}/*", "kafka.Kafka", str(props)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    bootstrap = f"127.0.0.1:{port}"
    info: dict[str, object] = {"pid": proc.pid, "bootstrap": bootstrap, "home": str(home), "version": KAFKA_VERSION}
    _state_file(home).write_text(json.dumps(info))
    try:
        wait_ready(bootstrap, timeout_s, proc.pid)
    except Exception:
        down(home)
        tail = (home / "broker.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"Kafka broker failed to start; log tail:\n{tail}") from None
    return info


def start(home: Path, timeout_s: float = 120.0) -> dict[str, object]:
    """Start a stopped (or killed) broker again: same data dir, same ports, no re-format."""
    state = _state_file(home)
    if state.exists():
        info = json.loads(state.read_text())
        if _alive(int(info["pid"])):
            wait_ready(str(info["bootstrap"]), timeout_s, int(info["pid"]))
            return dict(info)
        state.unlink()
    if not (home / "server.properties").exists():
        raise RuntimeError(f"no broker was ever set up in {home}: use `up`")
    return _launch(home, timeout_s)


def _reap(pid: int, deadline: float) -> bool:
    """Wait for ``pid`` to exit (reaping it when it is our child); True once it is gone."""
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def kill(home: Path) -> bool:
    """SIGKILL the broker, as a crash or an OOM kill would; storage and ports stay for ``start``."""
    state = _state_file(home)
    if not state.exists():
        return False
    pid = int(json.loads(state.read_text())["pid"])
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        _reap(pid, time.monotonic() + 30)
    state.unlink(missing_ok=True)
    return True


def down(home: Path, grace_s: float = 20.0) -> bool:
    state = _state_file(home)
    if not state.exists():
        return False
    pid = int(json.loads(state.read_text())["pid"])
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        if not _reap(pid, time.monotonic() + grace_s):
            os.kill(pid, signal.SIGKILL)
            _reap(pid, time.monotonic() + 30)
    state.unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "up", "down", "kill", "start", "restart", "status"])
    parser.add_argument("--hard", action="store_true", help="restart: SIGKILL the broker instead of stopping it")
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    if args.command == "fetch":
        print(fetch())
    elif args.command == "up":
        info = up(args.home, args.timeout)
        print(info["bootstrap"])
    elif args.command == "down":
        print("stopped" if down(args.home) else "not running")
    elif args.command == "kill":
        print("killed" if kill(args.home) else "not running")
    elif args.command in ("start", "restart"):
        if args.command == "restart":
            (kill if args.hard else down)(args.home)
        print(start(args.home, args.timeout)["bootstrap"])
    else:
        state = _state_file(args.home)
        if state.exists() and _alive(int(json.loads(state.read_text())["pid"])):
            print(json.loads(state.read_text())["bootstrap"])
        else:
            print("not running")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
