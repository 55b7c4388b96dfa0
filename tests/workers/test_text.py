"""Text normalisation shared by cleaning and threading: typography, datelines, comparable form."""

from __future__ import annotations

import pytest

from workers.text import comparable_text, content_hash, normalise_line, strip_dateline


def test_normalisation_of_quotes_dashes_and_space() -> None:
    assert (
        normalise_line("\u201cNo,\u201d he said \u2014 twice\u00a0 \u2018ok\u2019\u200b")
        == "\"No,\" he said - twice 'ok'"
    )


@pytest.mark.parametrize(
    ("line", "rest"),
    [
        ("QUELLPORT, May 11 (Wire-X) - Foreign Minister met", "Foreign Minister met"),
        ("MOSCOW, January 25. /TASS/. Russian President", "Russian President"),
        ("WASHINGTON (AP) - The Senate voted", "The Senate voted"),
        ("SAINT-AUBREC, May 18 (HealthWire) - The agency", "The agency"),
        ("NATO (the alliance) said", "NATO (the alliance) said"),
        ("The US (and allies) said", "The US (and allies) said"),
    ],
)
def test_strip_dateline(line: str, rest: str) -> None:
    assert strip_dateline(line) == rest


def test_content_hash_ignores_dateline_case_and_typography_but_not_words() -> None:
    body = "The minister met his counterpart.\nBoth sides \u201cagreed\u201d \u2014 for now."
    copy = 'QUELLPORT, May 11 (Wire-X) - the minister met his counterpart.\nBoth sides "agreed" - for now.'
    assert comparable_text(copy) == comparable_text(body)
    assert content_hash(copy) == content_hash(body)
    assert content_hash(body.replace("met", "phoned")) != content_hash(body)
