"""Hostile configuration: every bad file or environment gives one classified line
(:class:`ConfigError`, exit 2) within a small time and memory bound, never a traceback, a
hang or a silently ignored setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newswire.settings import ConfigError, load_settings
from pipeline.cli import main
from tests.support.hostile import bounded

BOUND_S = 2.0
MEM_MB = 32.0

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("NEWSWIRE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


# (name, YAML text or None, environment, expected: "error" with a fragment of the line, or "ok")
CASES: list[tuple[str, str | bytes | None, dict[str, str], str]] = [
    ("infinite timeout", "poller:\n  total_timeout_s: .inf\n", {}, "error:total_timeout_s"),
    ("NaN interval", "poller:\n  min_interval_s: .nan\n", {}, "error:min_interval_s"),
    ("infinite shutdown", "shutdown_timeout_s: .inf\n", {}, "error:shutdown_timeout_s"),
    ("infinite backoff", "poller:\n  max_backoff_s: .inf\n", {}, "error:max_backoff_s"),
    ("infinite extract timeout", "worker:\n  extract_timeout_s: .inf\n", {}, "error:extract_timeout_s"),
    ("inf from the environment", None, {"NEWSWIRE_POLLER__TOTAL_TIMEOUT_S": "inf"}, "error:total_timeout_s"),
    ("misspelled env section", None, {"NEWSWIRE_POLER__CONCURRENCY": "3"}, "error:NEWSWIRE_POLLER"),
    ("misspelled worker section", None, {"NEWSWIRE_WROKER__BATCH_SIZE": "3"}, "error:NEWSWIRE_WORKER"),
    ("misspelled top-level env", None, {"NEWSWIRE_BACKEN": "kafka"}, "error:NEWSWIRE_BACKEND"),
    ("misspelled env key", None, {"NEWSWIRE_POLLER__CONCURENCY": "3"}, "error:concurrency"),
    ("env section not JSON", None, {"NEWSWIRE_POLLER": "notjson"}, "error:environment"),
    ("env value of the wrong type", None, {"NEWSWIRE_WORKER__BATCH_SIZE": "many"}, "error:batch_size"),
    ("non-settings env is fine", None, {"NEWSWIRE_INSTANCE_ID": "pod-1", "NEWSWIRE_TOOLS_DIR": "/x"}, "ok"),
    ("YAML alias bomb in a field", ALIAS_BOMB.replace("j: &j", "kafka:\n  bootstrap_servers: &j"), {}, "error:"),
    ("YAML alias bomb as unknown key", ALIAS_BOMB, {}, "error:unknown key"),
    ("YAML nested 100k deep", "a: " + "[" * 100_000, {}, "error:invalid YAML"),
    ("YAML python tag", "backend: !!python/object/apply:os.system ['true']\n", {}, "error:invalid YAML"),
    ("YAML top-level list", "- a\n- b\n", {}, "error:mapping"),
    ("YAML scalar", "just words\n", {}, "error:mapping"),
    ("not UTF-8", b"\xff\xfebackend: kafka\n", {}, "error:UTF-8"),
    ("port of 23 digits", "metrics:\n  port: 99999999999999999999999\n", {}, "error:metrics.port"),
    ("negative concurrency", "poller:\n  concurrency: -1\n", {}, "error:concurrency"),
    ("string for a number", "worker:\n  batch_size: eight\n", {}, "error:batch_size"),
    ("unknown section", "polers: {}\n", {}, "error:unknown key"),
    ("unknown nested key", "poller:\n  concurency: 3\n", {}, "error:did you mean"),
    ("empty file", "", {}, "ok"),
    # values that passed validation and failed at first use (a timer, a timedelta, setrlimit)
    ("shutdown budget of 1e10 s", "shutdown_timeout_s: 1.0e+10\n", {}, "error:shutdown_timeout_s"),
    ("1e13 MB per extraction process", "worker:\n  extract_memory_mb: 10000000000000\n", {}, "error:extract_memory_mb"),
    ("1e13 MB per feed parser", "poller:\n  parse_memory_mb: 10000000000000\n", {}, "error:parse_memory_mb"),
    ("a window of 1e9 days", "worker:\n  thread_window_days: 1.0e+9\n", {}, "error:thread_window_days"),
    ("ten million partitions", "topics:\n  feed_partitions: 10000000\n", {}, "error:feed_partitions"),
    # what escaped as a traceback
    ("a top-level key that is a number", "1: 2\n", {}, "error:not a name"),
    ("an int of 5,000 digits", "worker:\n  batch_size: " + "9" * 5000 + "\n", {}, "error:"),
    ("env JSON nested 10,000 deep", None, {"NEWSWIRE_POLLER": "[" * 10_000 + "]" * 10_000}, "error:"),
    # what was accepted, then silently did not work
    ("misspelled lower-case env section", None, {"newswire_poler__concurrency": "3"}, "error:NEWSWIRE_POLLER"),
    (
        "a host interval as long as the fetch deadline",
        "poller:\n  per_host_min_interval_s: 60\n  total_timeout_s: 5\n",
        {},
        "error:per_host_min_interval_s",
    ),
]


@pytest.mark.parametrize(("name", "text", "env", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_config(
    name: str,
    text: str | bytes | None,
    env: dict[str, str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = None
    if text is not None:
        path = tmp_path / "c.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    out = bounded(lambda: load_settings(path))
    assert out.elapsed_s < BOUND_S and out.peak_mb < MEM_MB, f"{name}: {out.elapsed_s:.1f}s {out.peak_mb:.0f} MB"
    if expected == "ok":
        assert out.error is None, repr(out.error)
        return
    assert isinstance(out.error, ConfigError), f"{name}: {out.error!r}"
    line = str(out.error)
    assert "\n" not in line and len(line) < 400, line
    assert expected.removeprefix("error:") in line, line


@pytest.mark.parametrize(
    "setup",
    ["directory", "missing", "not-utf8", "env-not-json", "inf"],
)
def test_cli_config_errors_exit_2_with_one_line(
    setup: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.yaml"
    if setup == "directory":
        path = tmp_path
    elif setup == "not-utf8":
        path.write_bytes(b"\xff\xfe")
    elif setup == "env-not-json":
        path.write_text("")
        monkeypatch.setenv("NEWSWIRE_KAFKA", "{nope")
    elif setup == "inf":
        path.write_text("poller:\n  read_timeout_s: .inf\n")
    assert main(["-c", str(path), "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newswire: ") and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_config_that_is_no_regular_file_is_one_line(kind: str, tmp_path: Path) -> None:
    """A FIFO as the settings file hung start-up with no output; /dev/zero took 9 GB in 8 s."""
    path = tmp_path / "c.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    out = bounded(lambda: load_settings(path))
    assert isinstance(out.error, ConfigError) and "not a regular file" in str(out.error), repr(out.error)
    assert out.elapsed_s < BOUND_S
