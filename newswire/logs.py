"""Structured logging: one JSON object per line (or plain text for a terminal), set up once.

``ts`` is RFC 3339 in UTC with a ``Z`` (``2026-11-30T08:57:43.501Z``), like every other
timestamp newswire writes: pods run in whatever timezone their node has, and a time without
an offset cannot be lined up with events or with another pod's logs. Record-level lines
carry the ids that apply as fields (``event_id``, ``raw_id``, ``story_id``, ``feed``,
``trace_id``) so one article can be followed through every stage with a log query.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from newswire.timestamps import rfc3339

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def _format_time(record: logging.LogRecord) -> str:
    return rfc3339(record.created)


class UtcJsonFormatter(JsonFormatter):
    """JSON lines whose ``ts`` is RFC 3339 UTC (the stdlib's default is local time, no offset)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - stdlib name
        return _format_time(record)


class TextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, with the structured fields as ``key=value``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - stdlib name
        return _format_time(record)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(
            f"{k}={v}"
            for k, v in record.__dict__.items()
            if k not in _STANDARD and k != "config" and not k.startswith("_")
        )
        return f"{line}  {extras}" if extras else line


def setup_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            UtcJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python logs every reconnect attempt at ERROR; our own code reports what matters.
    logging.getLogger("kafka").setLevel(logging.CRITICAL if level != "DEBUG" else logging.INFO)
    for noisy in ("trafilatura", "htmldate", "courlan", "httpx", "httpcore", "readability"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
