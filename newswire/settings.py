"""One frozen, validated settings object for every verb: YAML file + ``NEWSWIRE_*`` environment.

Precedence (highest first): environment (``NEWSWIRE_KAFKA__BOOTSTRAP_SERVERS``; ``__`` nests),
then the YAML file (``--config`` or ``NEWSWIRE_CONFIG``), then defaults. Unknown keys are errors,
not silently ignored, because a typo in a key would otherwise run the daemon on a default.
Settings are parsed once at start; hot loops receive the already-typed values.
"""

from __future__ import annotations

import difflib
import errno
import os
import reprlib
import stat
from pathlib import Path
from typing import Any, Final, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

MiB = 1024 * 1024


class ConfigError(ValueError):
    """Bad configuration: one line that names the key and what is wrong with it."""


class _Section(BaseModel):
    # inf/nan are refused: an infinite timeout or interval is a hang, never what was meant.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Upper bounds of the settings that are durations, counts and sizes: a value past them is a
# typing slip, and past some of them a timer, a timedelta or setrlimit overflows only when it
# is first used (a shutdown budget of 1e10 s crashed the drain on SIGTERM; 1e13 MB of memory
# dead-lettered every page as one of our bugs).
_HOUR = 3600.0
_MONTH = 30 * 24 * _HOUR
#: the longest poll interval or back-off the settings accept (``ingest.schedule.MAX_WAIT_S``
#: derives from it the furthest a restored feed state may put its next poll)
MAX_POLL_INTERVAL_S: Final = _MONTH
_PARTITIONS = 10_000
_MAX_MEMORY_MB = 1024 * 1024


class KafkaSettings(_Section):
    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "newswire"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    compression: Literal["zstd", "lz4", "gzip", "none"] = "zstd"
    # Pages are often larger than Kafka's 1 MB default; topics are created with the same limit.
    max_message_bytes: int = Field(default=16 * MiB, ge=MiB, le=1024 * MiB)
    request_timeout_ms: int = Field(default=30_000, ge=1000, le=_HOUR * 1000)
    # How long start-up waits for the cluster before failing with "unreachable broker".
    connect_timeout_s: float = Field(default=20.0, gt=0, le=_HOUR)
    transactional_id_prefix: str = "newswire"
    replication_factor: int = Field(default=1, ge=1)


class EmbeddedSettings(_Section):
    path: Path = Path("var/newswire.db")
    # Consumed records older than this are deleted (compacted topics keep the latest per key).
    retention_hours: float = Field(default=72.0, gt=0, le=24 * 3650)


class TopicSettings(_Section):
    prefix: str = "newswire."
    raw_partitions: int = Field(default=6, ge=1, le=_PARTITIONS)
    events_partitions: int = Field(default=6, ge=1, le=_PARTITIONS)
    # Feeds are spread over these partitions; pollers share them through group membership.
    feed_partitions: int = Field(default=12, ge=1, le=_PARTITIONS)
    # The dead-letter topic keeps four weeks for a re-drive, but never more than this: a
    # producer that suddenly writes unreadable pages must not fill the broker's disk. Past the
    # cap the oldest dead letters go first (alert NewswireDeadLettersNearCap warns before).
    dead_letters_max_bytes: int = Field(default=2 * 1024 * MiB, ge=16 * MiB)


class PollerSettings(_Section):
    feeds_file: Path | None = None
    user_agent: str = "newswire/0.1 (+https://github.com/newswire/newswire)"
    concurrency: int = Field(default=8, ge=1, le=256)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=_HOUR)
    read_timeout_s: float = Field(default=15.0, gt=0, le=_HOUR)
    total_timeout_s: float = Field(default=30.0, gt=0, le=_HOUR)
    max_feed_bytes: int = Field(default=10 * MiB, ge=1024)
    max_page_bytes: int = Field(default=8 * MiB, ge=1024)
    max_redirects: int = Field(default=5, ge=0, le=30)
    allow_private_network: bool = False
    respect_robots: bool = True
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_min_interval_s: float = Field(default=1.0, ge=0, le=_HOUR)
    min_interval_s: float = Field(default=120.0, gt=0, le=_MONTH)
    max_interval_s: float = Field(default=3600.0, gt=0, le=_MONTH)
    max_backoff_s: float = Field(default=6 * 3600.0, gt=0, le=_MONTH)
    fetch_pages: bool = True
    # Polls in a row an entry's page may fail transiently (timeout, throttled, connection)
    # before the entry is emitted with the feed's own text and the failure as its page_error;
    # until then each poll tries the page again (and fetches the feed in full to do so).
    max_page_attempts: int = Field(default=5, ge=1)
    # Sitemap sources (feed-list entries with type: sitemap). Bytes: the protocol's 50 MB
    # uncompressed limit, applied after decompression for .xml.gz; URLs: its 50,000.
    sitemap_max_bytes: int = Field(default=50 * MiB, ge=1024)
    sitemap_max_urls: int = Field(default=50_000, ge=1)
    # Index children followed per poll, and article pages fetched per poll (the rest next poll).
    sitemap_max_children: int = Field(default=8, ge=1)
    sitemap_max_new_per_poll: int = Field(default=200, ge=1)
    # Feed parsing runs in child processes killed past the timeout and capped in memory:
    # a hostile feed costs one poll, never the poller. 0 parses in-process (tests only).
    parse_processes: int = Field(default=1, ge=0, le=16)
    parse_timeout_s: float = Field(default=20.0, gt=0, le=_HOUR)
    parse_memory_mb: int = Field(default=1024, ge=128, le=_MAX_MEMORY_MB)

    @model_validator(mode="after")
    def _pages_can_wait_their_turn(self) -> Self:
        # A page waits for its host's interval inside its fetch's deadline: with an interval as
        # long as the deadline, every page fetched after its feed was "throttled", never asked for
        if self.per_host_min_interval_s >= self.total_timeout_s:
            raise ValueError(
                f"per_host_min_interval_s ({self.per_host_min_interval_s:g}) must be under total_timeout_s "
                f"({self.total_timeout_s:g}): a page waits for its host within its fetch's deadline"
            )
        return self


class WorkerSettings(_Section):
    # 0 extracts in-process (replay, tests); N>0 uses N recycled extraction processes.
    extract_processes: int = Field(default=2, ge=0, le=64)
    extract_timeout_s: float = Field(default=30.0, gt=0, le=_HOUR)
    # Each extraction process's address space (RLIMIT_AS): a page that would take more is an
    # ``extract_crashed`` dead letter ("out of memory"), not the pod's OOM kill. A worker uses
    # ~330 MB on the 322 real pages of the two page sets (the largest 1.5 MB); 700,000 <br> in
    # 3.5 MB of page took 1.5 GB.
    extract_memory_mb: int = Field(default=1024, ge=256, le=_MAX_MEMORY_MB)
    max_tasks_per_child: int = Field(default=500, ge=1)
    max_html_bytes: int = Field(default=8 * MiB, ge=1024)
    batch_size: int = Field(default=64, ge=1, le=10_000)
    thread_window_days: float = Field(default=7.0, gt=0, le=365)
    boilerplate_min_pages: int = Field(default=3, ge=2)
    # A thread worker without the cleaned partition follows the story-index changelog (a warm
    # standby: a takeover replays only its lag), holding a full index like the deciding one.
    # False: it holds nothing and a takeover restores the whole changelog (cold).
    thread_standby: bool = True


class MetricsSettings(_Section):
    enabled: bool = True
    host: str = "0.0.0.0"  # noqa: S104 - a pod's metrics port must be reachable by Prometheus
    port: int = Field(default=9108, ge=0, le=65535)


class Settings(BaseSettings):
    """Everything a newswire process can be told. Frozen: nothing reconfigures at runtime."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        # Secrets as files (a mounted Kubernetes Secret): $NEWSWIRE_SECRETS_DIR/kafka__sasl_password
        # sets kafka.sasl_password. Below the environment, above the YAML file.
        secrets_nested_delimiter="__",
        secrets_prefix="",
        secrets_dir_missing="error",
        allow_inf_nan=False,
    )

    backend: Literal["embedded", "kafka"] = "embedded"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    # SIGTERM drain budget; the Helm chart's terminationGracePeriodSeconds is longer than this.
    shutdown_timeout_s: float = Field(default=30.0, gt=0, le=_HOUR)
    kafka: KafkaSettings = KafkaSettings()
    embedded: EmbeddedSettings = EmbeddedSettings()
    topics: TopicSettings = TopicSettings()
    poller: PollerSettings = PollerSettings()
    worker: WorkerSettings = WorkerSettings()
    metrics: MetricsSettings = MetricsSettings()

    @property
    def max_record_bytes(self) -> int:
        """The largest record a stage writes, on either backend: Kafka's record limit, less
        room for the record's key, headers and framing (the embedded bus holds records to it
        too, so a record that would fail on Kafka fails alike, and is handled alike)."""
        return self.kafka.max_message_bytes - 64 * 1024

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives as init kwargs; the environment must win over it.
        return (env_settings, NestedSecretsSettingsSource(file_secret_settings), init_settings)

    def masked(self) -> dict[str, Any]:
        """The effective config for logging: secrets come out as ``**********``."""
        return self.model_dump(mode="json")


_MAX_CONFIG_CHARS = 1024 * 1024
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxstring, _SHORT.maxother = 2, 4, 80, 80
#: NEWSWIRE_* variables that are not settings (read by the runtime, tests and scripts).
_OTHER_ENV: frozenset[str] = frozenset(
    {
        "COMPILED_DIR",  # the compiled decider's build (pipeline/compiled.py)
        "CONFIG",
        "INSTANCE_ID",
        "PURE_PYTHON",  # run the decider's sources even where a matching compiled build exists
        "REQUIRE_TOOLS",
        "SHARED_DIR",
        "TEST_BOOTSTRAP",
        "TOOLS_DIR",
    }
)


def _check_env_names() -> None:
    """A misspelled section (``NEWSWIRE_POLER__CONCURRENCY``) would be silently ignored by the
    environment source; refuse it like an unknown key in the file."""
    fields = {name.upper() for name in Settings.model_fields}
    for name in os.environ:
        # (the environment source reads names in any case: "newswire_poler__concurrency" too)
        if not name.upper().startswith("NEWSWIRE_"):
            continue
        rest = name[len("NEWSWIRE_") :].upper()
        head = rest.split("__", 1)[0]
        if head in fields or rest in _OTHER_ENV:
            continue
        if "__" in rest or difflib.get_close_matches(head, fields, n=1, cutoff=0.8):
            close = difflib.get_close_matches(head, fields, n=1, cutoff=0.6)
            hint = f" (did you mean NEWSWIRE_{close[0]}?)" if close else ""
            raise ConfigError(f"environment ({name}): unknown setting {head.lower()!r}{hint}")


def _suggest(key: str, model: type[BaseModel]) -> str:
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel]:
    model: type[BaseModel] = Settings
    for part in path:
        field = model.model_fields.get(str(part))
        ann = field.annotation if field else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            break
    return model


def _one_line(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    env_name = "NEWSWIRE_" + "__".join(str(p) for p in loc).upper()
    if env_name in os.environ:  # the environment wins over the file: name the real culprit
        source = f"environment ({env_name})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if err["type"] == "extra_forbidden":
        hint = _suggest(str(loc[-1]), _model_at(loc[:-1]))
        return f"{source}: unknown key {key!r}{hint}{more}"
    value = err.get("input")
    # reprlib: a YAML alias bomb is a tiny document whose full repr is gigabytes.
    shown = "" if isinstance(value, dict) or "password" in key else f" (got {_SHORT.repr(value)})"
    return f"{source}: {key}: {err['msg']}{shown}{more}"


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings from ``path`` (or ``$NEWSWIRE_CONFIG``), the environment and overrides.

    Raises :class:`ConfigError` with one readable line for any problem, so the CLI can print it
    and exit 2 instead of dumping a traceback on an operator.
    """
    path = path or os.environ.get("NEWSWIRE_CONFIG") or None
    data: dict[str, Any] = {}
    source = "config"
    if path is not None:
        source = str(path)
        try:
            raw = read_bounded(path, _MAX_CONFIG_CHARS * 4)
            if raw is None:
                raise ConfigError(f"{source}: over {_MAX_CONFIG_CHARS * 4} bytes; a settings file is a few KB")
            text = raw.decode("utf-8")
            if len(text) > _MAX_CONFIG_CHARS:
                raise ConfigError(f"{source}: {len(text)} characters; a settings file is a few KB")
            # libyaml when present: fast, and it refuses absurd nesting instead of recursing.
            loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only
        except FileNotFoundError:
            raise ConfigError(f"{source}: config file not found") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not UTF-8 text") from None
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
        except RecursionError:
            raise ConfigError(f"{source}: invalid YAML (nested too deep)") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{source}: invalid YAML{where}") from None
        except ValueError as exc:  # a value YAML's constructors cannot build (an int of 5,000 digits)
            raise ConfigError(f"{source}: invalid YAML value: {str(exc)[:120]}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{source}: top level must be a mapping of settings")
        if not all(isinstance(k, str) for k in loaded):
            raise ConfigError(
                f"{source}: a top-level key is not a name: {next(k for k in loaded if not isinstance(k, str))!r}"
            )
        data = loaded
    data = _deep_merge(data, overrides)
    secrets_dir = os.environ.get("NEWSWIRE_SECRETS_DIR") or None
    _check_env_names()
    try:
        return Settings(**{**data, "_secrets_dir": secrets_dir})  # pydantic-settings init option
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, source)) from None
    except SettingsError as exc:  # NEWSWIRE_SECRETS_DIR names no directory, or an env value is not what its field needs
        where = "NEWSWIRE_SECRETS_DIR" if secrets_dir and "secrets" in str(exc).lower() else "environment"
        raise ConfigError(f"{where}: {exc}") from None
    except (RecursionError, UnicodeDecodeError, TypeError, ValueError) as exc:
        # a JSON environment value nested 10,000 deep, a secrets file that is not UTF-8, a key
        # that is no name: what pydantic-settings raises past its own checks
        raise ConfigError(f"environment or secrets: {type(exc).__name__}: {str(exc)[:160]}") from None


def read_bounded(path: str | Path, max_bytes: int) -> bytes | None:
    """A regular file's bytes, or None when it holds more than ``max_bytes``; OSError when it
    is no regular file. A FIFO given as a file would block the read for ever, and /dev/zero
    fill the memory: only regular files are read, and only as far as the bound."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # (before opening it: opening a FIFO blocks)
        raise OSError(errno.EINVAL, "not a regular file")
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
