"""Text fingerprints for threading: normalisation, word shingles, winnowed fingerprints, entities.

Everything here is a pure function of its input and deterministic *across processes*: the
story index is rebuilt on other pods from a changelog that stores these hashes, so Python's
per-process salted ``hash()`` must never be used. Shingle hashes come from ``blake2b`` (stable,
well mixed, so the smallest hashes of a set are a uniform sample, which winnowing relies on).

Comparison text is normalised so that what differs between two copies of one article *for
presentational reasons* does not look like a difference in content: Unicode compatibility
forms, curly vs straight quotes, dash variants, case, and the wire dateline a syndicating site
prepends ("QUELLPORT, May 11 (Wire-X) - ", "MOSCOW, January 25. /TASS/. ").
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import re
import sys
import unicodedata
from array import array
from collections.abc import Sequence

from workers.text import TYPOGRAPHY, fold_chars, replacement_pairs, strip_dateline

# Typography folding and dateline stripping are shared with cleaning (one definition each);
# the no-break space is folded too because threading also sees text that was never cleaned.
_QUOTES = {**TYPOGRAPHY, 0xA0: " "}
_QUOTE_PAIRS = replacement_pairs(_QUOTES)
_QUOTES_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _QUOTES) + "]")
# A word: letters/digits with inner apostrophes, hyphens, dots or commas ("Diaz-Canel",
# "1,840", "4.7", "Tessary's"); the surrounding punctuation is dropped.
_WORD = re.compile(r"[^\W_]+(?:['.,\-][^\W_]+)*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_DIGIT = re.compile(r"\d")
# A paragraph's words and, as "", its sentence breaks, in one scan (``sentence_words``): a break
# (quotes and spaces after a sentence's end) holds no character a word starts or goes on with,
# so the two patterns never compete for the same text and the scan finds, in order, what
# splitting into sentences and finding each one's words finds. Without "_" in the text, ``\w``
# is the word pattern's ``[^\W_]``, which the regular expression engine tests in fewer steps.
# The scan's break takes the sentence's closing mark in (no word ends with one: a dot in a word
# is followed by more of it) instead of looking behind for it: each of the two then begins with
# a set of characters, and the engine skips the characters that begin neither (spaces, commas)
# without trying either at them.
_BREAK = r"[.!?][\"')\]]*\s+"
_WORDS_AND_BREAKS = re.compile(f"{_BREAK}|({_WORD.pattern})")
_WORDS_AND_BREAKS_NO_UNDERSCORE = re.compile(_BREAK + r"|(\w+(?:['.,\-]\w+)*)")
# ...and, as the mark itself, where style capitalises a clause inside a sentence
# (``clause_words``): after a colon ("Migrant caravan: Rallies ...", 'he said: "We ...') and at
# an opening quote ('told reporters "Releasing water ...').
_CLAUSE = r":\s+[\"']*|(?<!\S)[\"']+"
_CLAUSE_WORDS_AND_BREAKS = re.compile(f"{_BREAK}|({_CLAUSE}|{_WORD.pattern})")
_CLAUSE_WORDS_AND_BREAKS_NO_UNDERSCORE = re.compile(_BREAK + f"|({_CLAUSE}|" + r"\w+(?:['.,\-]\w+)*)")


def normalise_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs with presentational noise removed.

    Paragraphs are kept apart because shingles must not span a paragraph break: a page's
    navigation line ("All news") or a syndication credit would otherwise glue itself onto the
    first/last sentence and make two copies of the same article disagree on those shingles.
    """
    if not text.isascii():  # ASCII is NFKC and holds nothing to fold
        text = unicodedata.normalize("NFKC", text)
        if _QUOTES_RE.search(text):  # far cheaper than a translation that changes nothing
            text = fold_chars(text, _QUOTE_PAIRS)
    paragraphs: list[str] = []
    for raw in text.split("\n"):  # the empty pieces between line breaks are dropped below
        para = strip_dateline(raw.strip()).strip()
        if para:
            paragraphs.append(para)
    return paragraphs


def words(paragraph: str) -> list[str]:
    """Lower-cased word tokens of one normalised paragraph."""
    return [m.group(0).lower() for m in _WORD.finditer(paragraph)]


#: an empty 8-byte blake2b state: copying it is cheaper than making one from its parameters
_BLAKE8 = hashlib.blake2b(digest_size=8)


def hash_text(value: str) -> int:
    """Stable 64-bit hash of a string (blake2b), identical in every process."""
    h = _BLAKE8.copy()
    h.update(value.encode("utf-8"))
    return int.from_bytes(h.digest(), "big")


class Hashes32(dict[str, int]):
    """Low 32 bits of :func:`hash_text` (what threading stores of a word or a name), each
    computed once and then a plain look-up (``memo[value]``, cheaper than an LRU cache's);
    emptied when it holds ``size`` (a bound on memory)."""

    __slots__ = ("size",)

    def __init__(self, size: int = 1 << 16) -> None:
        super().__init__()
        self.size = size

    def __missing__(self, value: str) -> int:
        if len(self) >= self.size:
            self.clear()
        hashed = self[value] = hash_text(value) & 0xFFFFFFFF
        return hashed


def _paragraphs(text: str | list[str]) -> list[str]:
    return normalise_paragraphs(text) if isinstance(text, str) else text


def shingle_hashes(
    text: str | list[str], size: int, limit: int, paragraph_words: list[list[str]] | None = None
) -> list[int]:
    """Ordered hashes of the ``size``-word shingles of ``text``, at most ``limit`` of them.

    Order is kept (not a set) because runs of consecutive shared shingles are quoted passages,
    one of the threading signals. Paragraphs shorter than ``size`` words yield nothing.
    A paragraph boundary is recorded as the hash ``0`` so that runs never bridge paragraphs.
    ``paragraph_words`` are ``words()`` of each paragraph when the caller has them already.
    """
    out: list[int] = []
    split = paragraph_words if paragraph_words is not None else [words(p) for p in _paragraphs(text)]
    # hash_text inlined: this loop hashes every word of every article
    fresh, from_bytes, join = _BLAKE8.copy, int.from_bytes, " ".join
    for toks in split:
        if len(toks) < size:
            continue
        if out:
            out.append(0)
        for i in range(len(toks) - size + 1):
            h = fresh()
            h.update(join(toks[i : i + size]).encode("utf-8"))
            out.append(from_bytes(h.digest(), "big") or 1)
            if len(out) >= limit:
                return out
    return out


def shingle_hashes32(paragraph_words: Sequence[Sequence[str]], size: int, counts: Sequence[int]) -> array[int]:
    """The 32-bit hashes threading stores of the first ``counts[p]`` ``size``-word shingles of
    each paragraph (its ``words()``), one paragraph after the other: the low 32 bits of
    :func:`shingle_hashes`'s values, 0 read as 1 (0 marks a paragraph break there). The same
    hash function, in fewer steps: the words are encoded once, each shingle is a slice of
    them, and the digests are read at once."""
    flat: list[str] = []
    spans: list[tuple[int, int]] = []  # (first word, shingles) of each paragraph, in ``flat``
    for toks, k in zip(paragraph_words, counts, strict=True):
        if k > 0:
            spans.append((len(flat), k))
            flat.extend(toks[: k + size - 1])
    if not spans:
        return array("I")
    text = " ".join(flat)
    data = text.encode("utf-8")
    lengths = map(len, flat) if text.isascii() else map(len, map(str.encode, flat))
    # where each word starts in ``data`` (and where a word after the last would): a shingle is
    # the bytes from its first word's start to the space before the word after its last
    starts = list(itertools.accumulate(map(operator.add, lengths, itertools.repeat(1)), initial=0))
    fresh, digests = _BLAKE8.copy, list[bytes]()
    keep = digests.append
    for at, k in spans:
        for start, after in zip(starts[at : at + k], starts[at + size : at + size + k], strict=True):
            h = fresh()
            h.update(data[start : after - 1])
            keep(h.digest())
    halves = array("I")
    halves.frombytes(b"".join(digests))
    if sys.byteorder == "little":
        halves.byteswap()  # the digests are read big-endian
    low = halves[1::2]
    return array("I", (h or 1 for h in low)) if 0 in low else low


def winnow_each(hashes: array[int], offsets: Sequence[int], window: int) -> tuple[array[int], array[int]]:
    """:func:`winnow` of each run ``hashes[offsets[p]:offsets[p + 1]]`` (no 0 in them), as
    sorted runs and the offsets that cut them."""
    fps, off = array("I"), array("I", [0])
    for start, end in itertools.pairwise(offsets):
        if end > start:
            found: set[int] = set()
            _winnow_run(hashes[start:end].tolist(), window, found)
            fps.extend(sorted(found))
        off.append(len(fps))
    return fps, off


def winnow(hashes: Sequence[int], window: int) -> set[int]:
    """Winnowing fingerprints (Schleimer, Wilkerson & Aiken 2003): the minimum hash of every
    ``window`` consecutive shingles.

    The guarantee that matters here: any passage of at least ``window`` consecutive shingles
    shared by two texts yields at least one fingerprint common to both, so a quoted passage is
    found through the inverted index however little else the texts share; and the sample is a
    deterministic function of the text, so both texts pick the same fingerprint.
    Density is about 2/(window+1) of the shingles.
    """
    out: set[int] = set()
    run: list[int] = []
    for h in hashes:
        if h == 0:  # paragraph boundary: windows do not span it
            _winnow_run(run, window, out)
            run = []
        else:
            run.append(h)
    _winnow_run(run, window, out)
    return out


def _winnow_run(run: Sequence[int], window: int, out: set[int]) -> None:
    """The minimum of each window, in one pass: a window's minimum stays that of the window
    before it unless the hash entering is smaller, or the minimum is the hash leaving (only
    then is the window searched again)."""
    if not run:
        return
    if len(run) <= window:
        out.add(min(run))
        return
    first = run[:window]
    low = min(first)
    at = first.index(low)
    out.add(low)
    for start in range(1, len(run) - window + 1):
        entering = start + window - 1
        if run[entering] < low:
            low, at = run[entering], entering
        elif at < start:
            current = run[start : entering + 1]
            low = min(current)
            at = start + current.index(low)
        out.add(low)


def entities(text: str | list[str]) -> set[str]:
    """Names and numbers: capitalised words that do not start a sentence, and any token with a
    digit.

    These are the slots a template fills differently for different events (the counterpart in
    a readout, the company and figures in an earnings report, the players and score of a
    match), so two texts that share boilerplate but not these are different stories.
    """
    found: set[str] = set()
    for para in _paragraphs(text):
        for sentence in _SENTENCE_SPLIT.split(para):
            for i, tok in enumerate(_WORD.findall(sentence)):
                if (i and tok[0].isupper()) or (not tok.isalpha() and _DIGIT.search(tok)):
                    found.add(strip_possessive(tok.lower()))
    return found


def tokens(sentence: str) -> list[str]:
    """Word tokens of one sentence, case kept (names are told by their capital)."""
    return _WORD.findall(sentence)


def sentence_words(paragraph: str) -> list[str]:
    """The word tokens of one normalised paragraph, in order, as :func:`tokens` finds them in
    each of its sentences (:func:`split_sentences`), with an empty string at each break between
    sentences: the token after a break (or the first one) begins its sentence."""
    scan = _WORDS_AND_BREAKS if "_" in paragraph else _WORDS_AND_BREAKS_NO_UNDERSCORE
    return scan.findall(paragraph)


def clause_words(paragraph: str) -> list[str]:
    """:func:`sentence_words`, with the clause marks between them too: where a capital begins a
    clause rather than marking a name, after a colon (": ", with the quotes that follow it) and
    at an opening quote, the mark as a token (it begins with ":", '"' or "'", which no word
    does). The coverage relation reads a capital that no sentence or clause begins as a name."""
    scan = _CLAUSE_WORDS_AND_BREAKS if "_" in paragraph else _CLAUSE_WORDS_AND_BREAKS_NO_UNDERSCORE
    return scan.findall(paragraph)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one normalised paragraph."""
    return _SENTENCE_SPLIT.split(paragraph)


def title_tokens(title: str) -> set[str]:
    """Content words of a title (words of 3+ letters), for a cheap title-similarity signal."""
    out: set[str] = set()
    for para in normalise_paragraphs(title):
        out.update(strip_possessive(w) for w in words(para) if len(w) >= 3)
    return out


def strip_possessive(word: str) -> str:
    """ "Corbel's" and "Corbel" name the same thing."""
    return word[:-2] if word.endswith("'s") else word
