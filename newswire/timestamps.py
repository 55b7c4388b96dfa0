"""The one timestamp format newswire writes: RFC 3339 in UTC with a ``Z`` (``2026-11-30T08:57:43.501Z``).

Events, raw records, dead-letter envelopes and log lines all use it, so a consumer parses one
format and sorts strings in time order; ``+00:00`` and local times without an offset were
both in use before and could not be compared as text.
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(when: float | datetime, *, timespec: str = "milliseconds") -> str:
    """``when`` (epoch seconds, or an aware datetime; naive means UTC) as RFC 3339 UTC with ``Z``."""
    if isinstance(when, datetime):
        dt = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    else:
        dt = datetime.fromtimestamp(when, UTC)
    return dt.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_now(*, timespec: str = "milliseconds") -> str:
    """Now, as :func:`rfc3339` writes it."""
    return rfc3339(datetime.now(UTC), timespec=timespec)
