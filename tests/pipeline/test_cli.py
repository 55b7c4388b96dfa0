"""The ``newswire`` command line as an operator meets it: help for every verb, one-line
configuration errors with exit 2, an unreachable broker as one line with exit 1, and secrets
masked in the logged effective config."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.support.data import REPO

pytestmark = pytest.mark.timeout(120)

NEWSWIRE = Path(sys.executable).parent / "newswire"
VERBS = ["run", "poll", "work", "replay", "feeds", "status", "demo", "dlq"]


def _closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound then released: connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    return {**env, **extra}


def _run_cli(*args: str, env: dict[str, str], cwd: Path, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NEWSWIRE), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False
    )


@pytest.fixture(autouse=True)
def _isolated(isolated_env: Path) -> None:
    """Every test here runs in a clean environment (see tests/newswire/conftest.py)."""


# --- help -----------------------------------------------------------------------------------------


def test_installed_console_script_prints_run_help(tmp_path: Path) -> None:
    assert NEWSWIRE.exists(), f"console script not installed at {NEWSWIRE}"
    proc = _run_cli("run", "--help", env=_clean_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: newswire run")
    assert "--once" in proc.stdout and "--feeds" in proc.stdout and "--events-out" in proc.stdout
    assert proc.stderr == ""


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([verb, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: newswire {verb}")


def test_unknown_verb_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


# --- configuration errors: exit 2, one line ------------------------------------------------------


def _config_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("newswire: ")
    assert "Traceback" not in captured.err
    return lines[0]


def test_typo_in_a_key_names_it_and_suggests_the_right_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "newswire.yaml"
    cfg.write_text("kafka: {bootstrap_servrs: '10.0.0.1:9092'}\n")
    line = _config_error(["--config", str(cfg), "status"], capsys)
    assert "kafka.bootstrap_servrs" in line
    assert "did you mean 'bootstrap_servers'" in line
    assert str(cfg) in line


def test_wrong_type_names_the_dotted_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "newswire.yaml"
    cfg.write_text("worker: {batch_size: lots}\n")
    line = _config_error(["--config", str(cfg), "work"], capsys)
    assert "worker.batch_size" in line
    assert "'lots'" in line


def test_bad_environment_override_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_WORKER__BATCH_SIZE", "abc")
    line = _config_error(["status"], capsys)
    assert "worker.batch_size" in line
    assert "'abc'" in line


def test_environment_is_validated_even_when_the_file_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "newswire.yaml"
    cfg.write_text("worker: {batch_size: 10}\n")
    monkeypatch.setenv("NEWSWIRE_WORKER__BATCH_SIZE", "0")  # env wins over the file, and is checked
    line = _config_error(["--config", str(cfg), "status"], capsys)
    assert "worker.batch_size" in line


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    line = _config_error(["--config", str(missing), "status"], capsys)
    assert str(missing) in line and "not found" in line


def test_missing_config_file_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_CONFIG", str(tmp_path / "gone.yaml"))
    line = _config_error(["status"], capsys)
    assert "gone.yaml" in line and "not found" in line


def test_invalid_yaml_gives_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "newswire.yaml"
    cfg.write_text("backend: embedded\nworker:\n  batch_size: [1, 2\n")
    line = _config_error(["--config", str(cfg), "status"], capsys)
    assert "invalid YAML" in line
    assert "line 4" in line or "line 3" in line


def test_config_that_is_not_a_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "newswire.yaml"
    cfg.write_text("- backend\n- kafka\n")
    line = _config_error(["--config", str(cfg), "status"], capsys)
    assert "mapping" in line


def test_run_without_a_feed_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(tmp_path / "bus.db"))
    monkeypatch.setenv("NEWSWIRE_METRICS__ENABLED", "false")
    line = _config_error(["--log-level", "WARNING", "run"], capsys)
    assert "poller.feeds_file" in line and "--feeds" in line
    assert not (tmp_path / "bus.db").exists(), "a bad invocation must not create state"


def test_run_with_a_missing_feed_list_is_one_line_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(tmp_path / "bus.db"))
    monkeypatch.setenv("NEWSWIRE_METRICS__ENABLED", "false")
    code = main(["--log-level", "WARNING", "run", "--once", "--feeds", str(tmp_path / "feeds.yaml")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [f"newswire: {tmp_path / 'feeds.yaml'}: cannot read: No such file or directory"]


# --- runtime errors: exit 1, one line ------------------------------------------------------------


@pytest.fixture(scope="module")
def work_against_closed_port(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``newswire --backend kafka work`` with nothing listening on the bootstrap port (run once)."""
    env = _clean_env(
        NEWSWIRE_KAFKA__BOOTSTRAP_SERVERS=f"127.0.0.1:{_closed_port()}",
        NEWSWIRE_KAFKA__CONNECT_TIMEOUT_S="2",
        NEWSWIRE_METRICS__ENABLED="false",
    )
    started = time.monotonic()
    proc = _run_cli(
        "--backend",
        "kafka",
        "--log-level",
        "ERROR",
        "work",
        env=env,
        cwd=tmp_path_factory.mktemp("unreachable"),
        timeout_s=90,
    )
    return proc, time.monotonic() - started


def test_unreachable_broker_is_one_line_and_exit_1(
    work_against_closed_port: tuple[subprocess.CompletedProcess[str], float],
) -> None:
    proc, _ = work_against_closed_port
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("newswire: cannot reach Kafka at 127.0.0.1:")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_unreachable_broker_fails_within_the_connect_timeout(
    work_against_closed_port: tuple[subprocess.CompletedProcess[str], float],
) -> None:
    proc, elapsed = work_against_closed_port
    assert proc.returncode == 1
    assert elapsed < 15.0, f"took {elapsed:.1f}s with connect_timeout_s=2"


# --- secrets -------------------------------------------------------------------------------------


def test_status_logs_the_effective_config_with_secrets_masked(tmp_path: Path) -> None:
    env = _clean_env(
        NEWSWIRE_EMBEDDED__PATH=str(tmp_path / "bus.db"),
        NEWSWIRE_METRICS__ENABLED="false",
        NEWSWIRE_KAFKA__SASL_USERNAME="svc-newswire",
        NEWSWIRE_KAFKA__SASL_PASSWORD="hunter2",
    )
    proc = _run_cli("status", env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "newswire.raw" in proc.stdout  # it really ran and printed the topics table
    everything = proc.stdout + proc.stderr
    assert "hunter2" not in everything
    assert '"sasl_password": "**********"' in proc.stderr
    assert '"sasl_username": "svc-newswire"' in proc.stderr  # not a secret: shown, so the masking is targeted


def test_secret_is_not_echoed_in_a_validation_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "newswire.yaml"
    cfg.write_text("kafka: {sasl_password: [hunter2]}\n")
    line = _config_error(["--config", str(cfg), "status"], capsys)
    assert "kafka.sasl_password" in line
    assert "hunter2" not in line


def test_repo_is_where_the_console_script_runs_from() -> None:
    # The console script must import this checkout (editable install), not a stale copy.
    proc = subprocess.run(
        [sys.executable, "-c", "import newswire, sys; sys.stdout.write(newswire.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert Path(proc.stdout).resolve().is_relative_to(REPO)


def test_refuses_a_decision_topic_with_several_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from newswire.bus.embedded import EmbeddedBus
    from newswire.topics import TopicSpec

    db = tmp_path / "bus.db"
    pre = EmbeddedBus(db)
    pre.ensure_topics([TopicSpec("newswire.cleaned", 3)])  # created by hand, wrongly
    pre.close()
    monkeypatch.setenv("NEWSWIRE_EMBEDDED__PATH", str(db))
    assert main(["--log-level", "ERROR", "status"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "newswire: topic newswire.cleaned has 3 partitions; newswire needs exactly 1 "
        "(one decider keeps story decisions consistent): recreate it or change topics.prefix"
    ]


@pytest.mark.parametrize("where", ["taken", "no-such-host"])
def test_a_metrics_address_it_cannot_listen_on_is_one_line_and_exit_1(tmp_path: Path, where: str) -> None:
    """A port in use, a host that does not resolve: a 30-line traceback before."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        host, port = ("127.0.0.1", held.getsockname()[1]) if where == "taken" else ("no-such-host.invalid", 9108)
        env = _clean_env(
            NEWSWIRE_EMBEDDED__PATH=str(tmp_path / "bus.db"),
            NEWSWIRE_METRICS__HOST=host,
            NEWSWIRE_METRICS__PORT=str(port),
        )
        proc = _run_cli("work", "--once", env=env, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"newswire: cannot serve metrics on {host}:{port}"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("where", ["a directory", "no database"])
def test_an_embedded_bus_path_it_cannot_open_is_one_line_and_exit_1(tmp_path: Path, where: str) -> None:
    """``embedded.path`` naming a directory or a file that is no database gave sqlite's
    traceback at start-up."""
    path = tmp_path / "bus"
    if where == "a directory":
        path.mkdir()
    else:
        path.write_bytes(b"not a database, " * 100)
    env = _clean_env(NEWSWIRE_EMBEDDED__PATH=str(path), NEWSWIRE_METRICS__ENABLED="false")
    proc = _run_cli("status", env=env, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"newswire: cannot open the embedded bus at {path}")
    assert "Traceback" not in proc.stderr
