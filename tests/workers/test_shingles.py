"""Threading's text fingerprints: the shortcuts taken for speed give what the definitions give."""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from array import array
from collections.abc import Sequence

from workers import shingles
from workers.text import TYPOGRAPHY, strip_dateline


def _minimum_of_every_window(hashes: Sequence[int], window: int) -> set[int]:
    """Winnowing as defined: the minimum of each ``window`` consecutive hashes of a run between
    paragraph breaks (``0``), the run's minimum when the run is shorter than a window."""
    out: set[int] = set()
    runs: list[list[int]] = [[]]
    for h in hashes:
        if h == 0:
            runs.append([])
        else:
            runs[-1].append(h)
    for run in runs:
        if run:
            starts = range(max(len(run) - window + 1, 1))
            out.update(min(run[i : i + window]) for i in starts)
    return out


def test_winnowing_in_one_pass_keeps_the_minimum_of_every_window() -> None:
    rng = random.Random(11)
    for _ in range(5_000):
        top = rng.choice((3, 50, 1 << 32))  # small ranges give ties and repeated minima
        hashes = [rng.choice((0, *(rng.randint(1, top) for _ in range(9)))) for _ in range(rng.randint(0, 60))]
        window = rng.randint(1, 14)
        assert shingles.winnow(hashes, window) == _minimum_of_every_window(hashes, window), (hashes, window)


def test_winnowing_a_falling_then_rising_run() -> None:
    """The minimum leaves the window while larger hashes enter: the window is searched again."""
    run = [9, 8, 7, 6, 5, 4, 3, 10, 11, 12, 13, 14, 15]
    assert shingles.winnow(run, 3) == {7, 6, 5, 4, 3, 10, 11, 12, 13}


def test_paragraph_normalisation_shortcuts_change_nothing() -> None:
    """ASCII text skips the compatibility fold, text without folded characters the translation,
    and blank lines between paragraphs are dropped as the split on runs of breaks dropped them."""
    quotes = {**TYPOGRAPHY, 0xA0: " "}
    pieces = [" ", "\n", "\n\n", "\u00a0", "\ufb01", "\u2460", *(chr(c) for c in quotes), "e\u0301", "Word", "x"]
    rng = random.Random(5)
    texts = ["", "\n\n", "MOSCOW, January 25. /TASS/. A\n\nB", "plain ascii text\nsecond"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 16))) for _ in range(20_000)]
    for text in texts:
        folded = unicodedata.normalize("NFKC", text).translate(quotes)
        expected = [p for p in (strip_dateline(raw.strip()).strip() for raw in re.split(r"\n+", folded)) if p]
        assert shingles.normalise_paragraphs(text) == expected, repr(text)


def test_sentence_words_are_each_sentences_tokens_in_order() -> None:
    """One scan of a paragraph finds the words that splitting it into sentences and reading each
    one's words finds, in order, each sentence's first word after a break (""), with or
    without "_" in the text (which ``\\w`` would read as a letter)."""
    pieces = [" ", "  ", "\n", ".", "!", "?", '"', "'", ")", "]", "(", ",", "-", "_", "'s", "U.S.", "4.7", "Word", "x"]
    pieces += ["\u00e9", "\u00df", "\u0416", "\u4e2d", "\u00b2", "\u2019"]
    rng = random.Random(13)
    paragraphs = ["", "One. Two!", 'He said "no." Then (left.) Done', "a.  'b' c? ) d", "snake_case. Next_word"]
    paragraphs += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 24))) for _ in range(20_000)]
    for para in paragraphs:
        expected = [
            (tok, i == 0)
            for sentence in shingles.split_sentences(para)
            for i, tok in enumerate(shingles.tokens(sentence))
        ]
        got: list[tuple[str, bool]] = []
        first = True
        for tok in shingles.sentence_words(para):
            if tok:
                got.append((tok, first))
            first = not tok
        assert got == expected, repr(para)


def test_shingle_hashes_are_blake2b_of_the_joined_words() -> None:
    """The hashes stored in the index: 8-byte blake2b of the shingle's words joined by a space,
    big-endian, 0 kept for paragraph breaks (a hash of 0 is stored as 1)."""
    text = "Cr\u00e8me br\u00fbl\u00e9e sold out in 3 hours at the fair\n\nA second paragraph of six words"

    def definition(words: list[str]) -> int:
        digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big") or 1

    paragraphs = [shingles.words(p) for p in shingles.normalise_paragraphs(text)]
    expected = [definition(paragraphs[0][i : i + 5]) for i in range(len(paragraphs[0]) - 4)]
    expected += [0, *(definition(paragraphs[1][i : i + 5]) for i in range(len(paragraphs[1]) - 4))]
    assert shingles.shingle_hashes(text, 5, 100) == expected
    assert shingles.shingle_hashes(text, 5, 3) == expected[:3]
    assert shingles.hash_text("fair") == int.from_bytes(hashlib.blake2b(b"fair", digest_size=8).digest(), "big")


def test_batched_shingle_hashes_are_the_low_halves_of_the_shingle_hashes() -> None:
    """The clean stage hashes an article's shingles in one batch (words encoded once, each
    shingle a slice): the low 32 bits of ``shingle_hashes``'s values, 0 read as 1, the first
    ``counts[p]`` of each paragraph (non-ASCII words, one-word and empty paragraphs included)."""
    rng = random.Random(3)
    vocabulary = ["the", "fair", "cr\u00e8me", "br\u00fbl\u00e9e", "3", "\u6771\u4eac", "\U0001f600x", "o'neil", "4.7"]
    for _ in range(500):
        paragraphs = [[rng.choice(vocabulary) for _ in range(rng.choice((0, 1, 4, 5, 6, 9, 30)))] for _ in range(4)]
        counts = [rng.randint(0, max(0, len(p) - 4)) for p in paragraphs]
        expected: list[int] = []
        for words, k in zip(paragraphs, counts, strict=True):
            whole = [h for h in shingles.shingle_hashes([""], 5, 10_000, [words]) if h]
            expected += [(h & 0xFFFFFFFF) or 1 for h in whole[:k]]
        assert list(shingles.shingle_hashes32(paragraphs, 5, counts)) == expected, (paragraphs, counts)


def test_winnowing_runs_at_once_winnows_each_run() -> None:
    rng = random.Random(13)
    for _ in range(2_000):
        top = rng.choice((3, 50, (1 << 32) - 1))
        lengths = [rng.choice((0, 1, 5, 11, 12, 13, 40)) for _ in range(rng.randint(0, 6))]
        runs = [[rng.randint(1, top) for _ in range(n)] for n in lengths]
        window = rng.randint(1, 14)
        offsets = [0]
        for run in runs:
            offsets.append(offsets[-1] + len(run))
        fps, off = shingles.winnow_each(array("I", [h for run in runs for h in run]), offsets, window)
        assert len(off) == len(runs) + 1
        for p, run in enumerate(runs):
            assert list(fps[off[p] : off[p + 1]]) == sorted(shingles.winnow(run, window)), (runs, window)


def test_memoised_32_bit_hashes_are_the_low_halves_and_stay_bounded() -> None:
    memo = shingles.Hashes32(size=3)
    words = ["fair", "cr\u00e8me", "\u6771\u4eac", "fair", "4.7", "o'neil"]
    assert [memo[w] for w in words] == [shingles.hash_text(w) & 0xFFFFFFFF for w in words]
    assert len(memo) <= 3  # emptied when full, then filled again
