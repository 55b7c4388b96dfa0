"""Secrets as files: a mounted Secret directory sets settings (the SASL password above all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for var in list(os.environ):
        if var.startswith("NEWSWIRE_"):
            monkeypatch.delenv(var)


def test_secret_files_set_nested_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kafka__sasl_password").write_text("hunter2")
    (tmp_path / "kafka__sasl_username").write_text("alice")
    monkeypatch.setenv("NEWSWIRE_SECRETS_DIR", str(tmp_path))
    settings = load_settings(kafka={"sasl_username": "from-yaml"})
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "hunter2"
    assert settings.kafka.sasl_username == "alice", "a mounted secret wins over the config file"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.masked())


def test_environment_wins_over_secret_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kafka__sasl_username").write_text("alice")
    monkeypatch.setenv("NEWSWIRE_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSWIRE_KAFKA__SASL_USERNAME", "bob")
    assert load_settings().kafka.sasl_username == "bob"


def test_a_missing_secrets_dir_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWIRE_SECRETS_DIR", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="NEWSWIRE_SECRETS_DIR"):
        load_settings()


def test_no_secrets_dir_reads_no_files() -> None:
    assert load_settings().kafka.sasl_password is None
