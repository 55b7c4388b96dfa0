"""W3C Trace Context (``traceparent``) carried in record headers from a fetch to its event.

The poller starts a trace for every raw record it writes; each stage that turns a record into
another one (raw -> cleaned -> event) passes the trace id on with a fresh span id of its own.
An operator holding an event (or a log line naming its trace) can then find the poll, the
fetch and the worker log lines of that one article, across processes and topics. Only the
header is produced here; exporting spans is left to whoever runs a tracing backend.

Format (https://www.w3.org/TR/trace-context/#traceparent-header):
``00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

HEADER = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_SAMPLED = "01"


def _span_id() -> str:
    while True:
        span = secrets.token_hex(8)
        if span != "0" * 16:  # all-zero ids are invalid by the spec
            return span


def new_traceparent() -> str:
    """A new trace (the poller calls this once per raw record)."""
    while True:
        trace = secrets.token_hex(16)
        if trace != "0" * 32:
            return f"00-{trace}-{_span_id()}-{_SAMPLED}"


def parse(value: str | bytes | None) -> tuple[str, str, str] | None:
    """(trace id, span id, flags) of a valid version-00 ``traceparent``, else None."""
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if not value:
        return None
    found = _TRACEPARENT.match(value.strip())
    if found is None or found.group(1) == "0" * 32 or found.group(2) == "0" * 16:
        return None
    return found.group(1), found.group(2), found.group(3)


def child_of(parent: str | bytes | None) -> str:
    """The ``traceparent`` for a record derived from one carrying ``parent``: same trace, new
    span. A missing or malformed parent (records from older producers) starts a new trace."""
    parsed = parse(parent)
    if parsed is None:
        return new_traceparent()
    trace, _, flags = parsed
    return f"00-{trace}-{_span_id()}-{flags}"


def from_headers(headers: Iterable[tuple[str, bytes]]) -> str | None:
    """The record's ``traceparent`` header value if it carries a valid one."""
    for key, value in headers:
        if key == HEADER and parse(value) is not None:
            return value.decode("ascii").strip()
    return None


def trace_id(traceparent: str | None) -> str | None:
    """The trace id part, for log fields."""
    parsed = parse(traceparent)
    return parsed[0] if parsed else None
