"""Structured logging: one JSON object per line (or plain text for a terminal), set up once."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class TextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, with the structured fields as ``key=value``."""

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
            JsonFormatter(
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
