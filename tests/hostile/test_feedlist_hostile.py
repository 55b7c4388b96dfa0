"""Hostile feed lists: one classified line (FeedListError) or a clean list, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.feedlist import MAX_FEED_LIST_BYTES, FeedListError, load_feed_list, parse_feed_list
from tests.support.hostile import bounded

CASES = [
    ("unclosed IPv6 host", "- url: http://[::1/feed\n", "error"),
    ("port out of range", "- url: http://ex.com:99999/feed\n", "error"),
    ("javascript feed", "- url: javascript:alert(1)\n", "error"),
    ("file feed", "- url: file:///etc/passwd\n", "error"),
    ("no host", "- url: http:///feed\n", "error"),
    ("url a list", "- url: [1, 2]\n", "error"),
    ("OPML entity bomb", '<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaa">]><opml><body/></opml>', "error"),
    ("YAML top-level scalar", "feeds\n", "error"),
    ("min_interval NaN", "- url: http://ex.com/f\n  min_interval: .nan\n", "error"),
    ("min_interval infinite", "- url: http://ex.com/f\n  min_interval: .inf\n", "error"),
    ("max_interval NaN", "- url: http://ex.com/f\n  max_interval: .nan\n", "error"),
    ("min_interval of 400 digits", "- url: http://ex.com/f\n  min_interval: " + "9" * 400 + "\n", "error"),
    ("a lone surrogate in a url", '- url: "https://a.example/\\ud800"\n', "error"),
    # found by the mutation fuzz (RELIABILITY D2): the unknown keys were sorted to be named
    ("unknown keys, one of them null", "- url: http://ex.com/f\n  ~: x\n  colour: red\n", "error"),
    ("unknown keys, one of them a number", "- url: http://ex.com/f\n  1: x\n  colour: red\n", "error"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_feed_list(name: str, text: str, expected: str) -> None:
    out = bounded(lambda: parse_feed_list(text, source="feeds.yaml"))
    assert out.elapsed_s < 2.0
    assert isinstance(out.error, FeedListError), f"{name}: {out.error!r}"
    assert "\n" not in str(out.error)


def test_feed_urls_are_deduplicated_by_their_normalised_form() -> None:
    """Defect 10: duplicates were found only as exact strings."""
    feeds = parse_feed_list(
        "- url: http://ex.com/feed\n"
        "- url: HTTP://EX.com:80/feed\n"
        "- url: http://ex.com/feed?utm_source=x\n"
        "- url: http://ex.com/feed#top\n"
        "- url: http://ex.com/feed?page=2\n"
    )
    assert [f.url for f in feeds] == ["http://ex.com/feed", "http://ex.com/feed?page=2"]


def test_a_yaml_list_nested_thousands_deep_is_one_classified_line() -> None:
    """PyYAML's Python loader composes nested collections by recursion: 3,000 levels raised
    RecursionError, a traceback from ``newswire feeds import``. (libyaml, used when present,
    refuses the nesting itself; not under ``bounded``: tracing every frame of an unwinding
    recursion takes half a minute.)"""
    with pytest.raises(FeedListError, match="invalid YAML") as info:
        parse_feed_list("[" * 3000 + "]" * 3000, source="feeds.yaml")
    assert "\n" not in str(info.value)


def test_an_opml_list_nested_thousands_deep_is_read_in_order() -> None:
    """The outline walk recursed: 3,000 levels raised RecursionError (a traceback from
    ``newswire feeds import``). Feeds keep document order and the nearest category."""
    depth = 3000
    opml = (
        '<opml version="2.0"><body><outline xmlUrl="http://ex.com/first"/>'
        + '<outline text="c">' * depth
        + '<outline xmlUrl="http://ex.com/deep"/>'
        + "</outline>" * depth
        + '<outline xmlUrl="http://ex.com/last"/></body></opml>'
    )
    out = bounded(lambda: parse_feed_list(opml, source="deep.opml"))
    assert out.error is None, repr(out.error)
    assert [(f.url, f.category) for f in out.value] == [
        ("http://ex.com/first", None),
        ("http://ex.com/deep", "c"),
        ("http://ex.com/last", None),
    ]


@pytest.mark.parametrize("kind", ["fifo", "device", "oversize"])
def test_a_feed_list_that_is_no_small_regular_file_is_one_line(tmp_path: Path, kind: str) -> None:
    """A FIFO given as the feed list hung start-up for ever, /dev/zero filled the memory (5.7 GB
    in 8 s), a 1 GB file took 2 GB. Only a regular file is read, and only to its cap."""
    path = tmp_path / "feeds.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path.write_bytes(b"# " + b"x" * MAX_FEED_LIST_BYTES + b"\n- url: http://ex.com/f\n")
    out = bounded(lambda: load_feed_list(path))
    assert isinstance(out.error, FeedListError), repr(out.error)
    assert out.elapsed_s < 5.0 and "\n" not in str(out.error)
