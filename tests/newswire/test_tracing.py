"""W3C traceparent helpers: valid headers, one trace id carried across derived records."""

from __future__ import annotations

import re

from newswire import tracing

VALID = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


def test_new_traces_are_valid_and_distinct() -> None:
    parents = {tracing.new_traceparent() for _ in range(50)}
    assert len(parents) == 50
    assert all(VALID.match(p) for p in parents)


def test_child_keeps_the_trace_and_takes_a_new_span() -> None:
    parent = tracing.new_traceparent()
    child = tracing.child_of(parent.encode())
    assert VALID.match(child)
    assert tracing.trace_id(child) == tracing.trace_id(parent)
    assert child.split("-")[2] != parent.split("-")[2]


def test_missing_or_malformed_parents_start_a_new_trace() -> None:
    for bad in (None, b"", b"garbage", b"00-" + b"0" * 32 + b"-" + b"1" * 16 + b"-01", b"\xff\xfe", "01-abc"):
        assert VALID.match(tracing.child_of(bad))
    assert tracing.parse("00-" + "a" * 32 + "-" + "0" * 16 + "-01") is None


def test_from_headers_picks_a_valid_traceparent() -> None:
    tp = tracing.new_traceparent()
    assert tracing.from_headers([("other", b"x"), ("traceparent", tp.encode())]) == tp
    assert tracing.from_headers([("traceparent", b"nonsense")]) is None
    assert tracing.from_headers([]) is None
