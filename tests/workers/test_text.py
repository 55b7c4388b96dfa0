"""Text normalisation shared by cleaning and threading: typography, datelines, comparable form."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from workers.text import (
    TYPOGRAPHY,
    comparable_text,
    content_hash,
    fold_chars,
    normalise_line,
    replacement_pairs,
    strip_dateline,
)


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


def test_comparable_text_of_normalised_lines_at_once_is_the_line_by_line_form() -> None:
    """A text of ``normalise_line`` forms (a cleaned record's) is composed and case-folded at
    once: the same comparable form and hash as line by line, with invisible characters between
    a letter and its accent (which compose only once dropped), characters NFC maps onto folded
    ones, decomposed letters, case folds that change length, and datelines (one a whole line)."""
    spaces = ["\u00a0", "\t", "\u3000", "\u2028", "\x1c", "\x85", " "]
    pieces = [*spaces, *(chr(c) for c in TYPOGRAPHY), "e\u0301", "\u0301", "\u0308", "\u1ffd", "\u212b"]
    pieces += ["\u0130", "\u00df", "\ufb01", "\u01c4", "a", "Zz", ".", "-", "\u4e2d", "\U0001d400"]
    rng = random.Random(5)
    datelines = ["", "MOSCOW, January 25. /TASS/. ", "WASHINGTON (AP) - ", "QUELLPORT (Wire-X) -"]
    for _ in range(5_000):
        raw = [rng.choice(datelines) + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))) for _ in range(4)]
        text = "\n".join(n for n in map(normalise_line, raw) if n)
        assert comparable_text(text, normalised=True) == comparable_text(text), repr(text)
        assert content_hash(text, normalised=True) == content_hash(text)


def _normalise_by_definition(line: str) -> str:
    """NFC, the typography fold and the space collapse applied to every line, as defined."""
    folded = unicodedata.normalize("NFC", line).translate(TYPOGRAPHY)
    return re.sub(r"[^\S\n]+", " ", folded).strip()


def test_normalise_line_fast_paths_change_nothing() -> None:
    """The ASCII and single-line shortcuts give what the definition gives, on every kind of
    whitespace (alone, in runs, beside line breaks), the folded characters, and decomposed
    letters NFC composes."""
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    pieces = [*spaces, *(chr(c) for c in TYPOGRAPHY), "e\u0301", "j\u030c", "\u00df", "a", "Zz", ".", "-"]
    rng = random.Random(7)
    lines = ["", " ", "plain ascii  line\t", " two\n lines ", "\u00a0\u2003caf\u00e9\u3000"]
    lines += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 14))) for _ in range(20_000)]
    for line in lines:
        assert normalise_line(line) == _normalise_by_definition(line), repr(line)


def test_fold_chars_is_the_translation() -> None:
    """One replacement per character present gives what ``str.translate`` gives with the
    same table, for the typography fold and a table that only deletes."""
    deleting: dict[int, str | None] = dict.fromkeys(map(ord, "\u00ad\u200b\ufeff"))
    rng = random.Random(11)
    for table in (TYPOGRAPHY, {**TYPOGRAPHY, 0xA0: " "}, deleting):
        pairs = replacement_pairs(table)
        pieces = [*(chr(c) for c in table), "a", " ", "\u00e9", "'", "-", "\u4e2d"]
        for _ in range(5_000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
            assert fold_chars(text, pairs) == text.translate(table), repr(text)
