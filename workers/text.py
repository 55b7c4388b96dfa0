"""Text normalisation shared by cleaning and threading: one definition of each fold.

- :func:`normalise_line`: NFC, straight quotes, ASCII dashes, no zero-width characters, single
  spaces. Cleaned article text is stored in this form, so every later comparison starts from it.
- :data:`TYPOGRAPHY`: the quote/dash/invisible-character fold itself; threading applies it to
  text it fingerprints (:mod:`workers.shingles`), which must fold exactly as cleaning did.
- Wire datelines ("QUELLPORT, May 11 (Wire-X) - ", "MOSCOW, January 25. /TASS/. ") stay in an
  article's ``text``: they are part of what the publisher printed, and the event carries the
  article as published. Comparison must ignore them (a syndicated copy differs from its source
  only by its dateline), so :func:`comparable_text` removes them, and :func:`content_hash` is
  computed over that comparable form: verbatim copies hash equal whatever dateline they carry.
- Calendar words (:data:`WEEKDAYS`, :data:`MONTHS`): capitalised, yet they name no person
  (bylines) and no event (threading).
"""

from __future__ import annotations

import re
import unicodedata

from newswire.records import stable_id

#: Calendar words: capitalised, yet they name no person (bylines) and no event (threading).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)

TYPOGRAPHY: dict[int, str | None] = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_HSPACE_RE = re.compile(r"[^\S\n]+")
#: any character :data:`TYPOGRAPHY` folds (all of them non-ASCII): most lines hold none, and
#: finding none is far cheaper than ``str.translate``, which looks up every character
TYPOGRAPHY_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in TYPOGRAPHY) + "]")


def replacement_pairs(table: dict[int, str | None]) -> tuple[tuple[str, str], ...]:
    """A translation table (:data:`TYPOGRAPHY`) as (character, replacement) pairs for
    :func:`fold_chars`."""
    return tuple((chr(c), r or "") for c, r in table.items())


_TYPOGRAPHY_PAIRS = replacement_pairs(TYPOGRAPHY)


def fold_chars(text: str, pairs: tuple[tuple[str, str], ...] = _TYPOGRAPHY_PAIRS) -> str:
    """``text.translate(table)`` for a table of ``pairs`` whose replacements hold none of the
    characters replaced (so the order of the replacements does not matter): one replacement
    per character present. ``str.translate`` looks every character of a non-ASCII text up in
    the table, about ten times the cost on an article's lines."""
    for char, replacement in pairs:
        if char in text:
            text = text.replace(char, replacement)
    return text


def normalise_line(line: str) -> str:
    """NFC, straight quotes, ASCII dashes, no zero-width characters, single spaces.

    Every line of every page passes here, so the work is skipped where it would change nothing:
    ASCII text is NFC and holds nothing to fold, and a line without a line break has its spaces
    collapsed by ``str.split`` (the same whitespace as the pattern's ``\\s``), unless they are
    single already: the space is the only whitespace character that prints, so a printable line
    without two spaces in a row or at either end has nothing to collapse (most body lines: a
    test of each character in C instead of a list of the line's words, joined again)."""
    if not line.isascii():
        line = unicodedata.normalize("NFC", line)
        if TYPOGRAPHY_RE.search(line):
            line = fold_chars(line)
    if "\n" in line:
        return _HSPACE_RE.sub(" ", line).strip()
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line
    return " ".join(line.split())


# --------------------------------------------------------------------------- datelines and comparison

_DATELINE_RE = re.compile(
    r"""^
    [A-Z][A-Z.'\- ]{1,40}[A-Z.]                                   # CITY (upper case)
    (?:\s*,\s*[A-Z][A-Za-z.'\- ]{1,30})?                          # , Region or Country
    (?:\s*,\s*(?:[A-Z][a-z]{2,9}\.?\s+\d{1,2}(?:,\s*\d{4})?|\d{1,2}\s+[A-Z][a-z]{2,9}\.?))?  # , May 11
    \s*\.?\s*
    (?:\((?P<paren>[^()\n]{1,40})\)\s*[-:]+|/(?P<slash>[^/\n]{1,30})/\.?)  # (Wire-X) - or /TASS/.
    \s*
    """,
    re.X,
)


def strip_dateline(text: str) -> str:
    """Drop a leading wire dateline from the first line ("MOSCOW, January 25. /TASS/. ")."""
    return _DATELINE_RE.sub("", text, count=1)


def comparable_text(text: str, *, normalised: bool = False) -> str:
    """The article body as compared by dedupe/threading: dateline-free, case-folded, one line
    per paragraph. Copies of one wire story differ mostly by dateline; this form makes them equal.

    ``normalised``: every line of ``text`` is a :func:`normalise_line` form, as in a cleaned
    record's text. Such a line, or what is left of it after its dateline, has nothing left to
    fold and its spaces single; normalising it again changes only its composition (NFC: an
    invisible character dropped between a letter and its accent leaves the two to compose). So
    the whole text is composed and case-folded at once, the same string the line-by-line fold
    makes (a line break composes with nothing), at a fraction of its cost."""
    lines = text.splitlines()
    # the dateline opens the first paragraph, or the first after a lead/standfirst (TASS)
    for i in range(min(3, len(lines))):
        stripped = strip_dateline(lines[i])
        if stripped != lines[i]:
            lines[i] = stripped
            break
    if normalised:
        joined = "\n".join(line for line in lines if line)  # (a line may be all dateline)
        return (joined if joined.isascii() else unicodedata.normalize("NFC", joined)).casefold()
    return "\n".join(n for n in (normalise_line(line).casefold() for line in lines) if n)


def content_hash(text: str, *, normalised: bool = False) -> str:
    """Hash of the comparable form of ``text``: copies that differ only by dateline, case or
    typography hash equal. ``normalised``: as :func:`comparable_text` takes it."""
    return stable_id(comparable_text(text, normalised=normalised))


# a line that is only a date and time ("05.08.2024, 20:59 Uhr", "2025年1月14日 01時28分 (1月14日 01時40分更新)"):
# digits in date or time form, separators, and at most a word for the hour or the update
_TIMESTAMP_RE = re.compile(
    r"^[\d\s.,:/()\-\u5e74\u6708\u65e5\u6642\u5206\u79d2]*(?:\d{1,2}[:\u6642]\d{2}|\d{4})"
    r"[\d\s.,:/()\-\u5e74\u6708\u65e5\u6642\u5206\u79d2]*"
    r"(?:\u66f4\u65b0|uhr|am|pm|utc|gmt|cet|cest|updated|aktualisiert)?[\s().]*$",
    re.I,
)


def is_timestamp_line(line: str) -> bool:
    """A date and time and nothing else: the page's dateline furniture above the story (the
    event carries the date as ``published``), not a sentence of it."""
    return bool(_TIMESTAMP_RE.match(line))
