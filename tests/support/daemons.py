"""Helpers to run newswire daemons as real subprocesses in tests (signals, kill -9, restarts)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from newswire.settings import Settings


def write_config(path: Path, settings: Settings, **extra: Any) -> Path:
    data = settings.model_dump(mode="json")
    data["kafka"]["sasl_password"] = None
    for key, value in extra.items():
        if isinstance(value, dict):
            data.setdefault(key, {}).update(value)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class Daemon:
    """A ``newswire`` subprocess in its own process group (so kill -9 takes its pool too)."""

    def __init__(self, config: Path, *args: str, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "--config", str(config), "--log-format", "json", *args],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout_s: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout=timeout_s)


def wait_for(predicate: Any, timeout_s: float, interval_s: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metric_value(port: int, name: str) -> float | None:
    """One unlabelled sample from a daemon's ``/metrics`` (None when it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    return None


def json_log(path: Path, message: str) -> list[dict[str, Any]]:
    """The JSON log lines of a daemon (``--log-format json``) with this message."""
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if message in line and line.startswith("{"):
            record = json.loads(line)
            if record.get("message") == message:
                out.append(record)
    return out
