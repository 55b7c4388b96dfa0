"""An article's input-only text features, computed once where the text is made.

Two thirds of a threading decision used to be analysing the input's own text: paragraphs,
shingle hashes, winnowed fingerprints, coverage terms, names, figures. All of it is a pure
function of the article, so the clean stage (parallel extraction processes) computes it and
ships it in the cleaned record, and the single-writer decider only does what needs the index
(the coverage term selection under the live frequencies, the look-ups, the scoring).

The features are kept *per paragraph* (one paragraph per line of the cleaned text), because
the decider does not always thread the text as cleaned: per-site learned boilerplate lines
are removed by the thread stage (the single writer of that state). :meth:`TextAnalysis.keep`
drops the features of the removed lines, and :func:`assemble` composes what remains exactly as
the decider would compute it from the filtered text: shingles never span a paragraph break,
winnowing runs per paragraph, term counts add up, names/figures/entities are unions and a
term's label is its first occurrence. ``tests/workers/test_features.py`` holds this equality
on the corpora.

Consistency: features computed under other settings or another coverage method than the
decider's are never used (``key``), nor are unreadable ones: the decider then analyses the text
itself, as it does for records written before features existed. A decision is therefore the
same pure function of (index, article) whichever path computed the features.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from workers import coverage_terms, shingles
from workers.text import MONTHS, WEEKDAYS

#: Version of the shipped form; a change of what is computed or how bumps it.
# 11: each paragraph's language words (``coverage_terms.language_counts``); 12: each paragraph's
# names written in lower case too (``coverage_terms.RawTerms.ordinary``); 13: whether the title
# is labelled as an analysis, an explainer or a comment (``coverage_terms.RawTerms.labelled``); 14:
# the paragraphs telling another engagement of the day (``coverage_terms.RawTerms.engaged``)
FEATURES_VERSION = 14
SHINGLE_SIZE = 5
WINNOW_WINDOW = 12
# Words that are capitalised but say nothing about *which* event a text reports: follow-ups
# move from "Monday" to "Tuesday", and template-alike texts share them by construction.
CALENDAR: frozenset[str] = frozenset((*WEEKDAYS, *MONTHS))
_MASK32 = 0xFFFFFFFF
# Shingles shipped per article: twice the decider's default cap (2,000), so that the lines
# the thread stage removes as boilerplate (short ones) leave enough for the cap; a decider
# that would need more (a larger cap, or more removed) analyses the text itself. Bounds the
# record: a very long text does not ship a hash per word.
SHINGLE_BUDGET = 4000
_ARRAYS = (
    "para_line",
    "seq",
    "seq_off",
    "fps",
    "fps_off",
    "terms",
    "counts",
    "term_off",
    "names",
    "name_off",
    "figures",
    "fig_off",
    "ents",
    "ent_off",
    "title_words",
    "title_terms",
    "title_counts",
    "headline_terms",
    "title_figures",
    "title_pairs",
    "nouns",
    "noun_off",
    "proper",
    "proper_off",
    "apart",
    "engaged",
    "languages",
    "lower",
    "lower_off",
)
# Per-paragraph arrays and the offsets that cut them.
_CUT = (
    ("seq", "seq_off"),
    ("fps", "fps_off"),
    ("names", "name_off"),
    ("figures", "fig_off"),
    ("ents", "ent_off"),
    ("nouns", "noun_off"),
    ("proper", "proper_off"),
    ("lower", "lower_off"),
)


def key(shingle_size: int, winnow_window: int) -> str:
    """What the features depend on besides the text: they are used only under the same key."""
    return f"{FEATURES_VERSION}/{shingle_size}/{winnow_window}/{coverage_terms.METHOD}"


def text_digest(text: str) -> str:
    """Short stable digest of a text, to tell that features belong to it."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def h32(value: str) -> int:
    """The 32-bit stable hash threading stores for a word or a name."""
    return shingles.hash_text(value) & _MASK32


#: ``h32`` of the names met in texts, which repeat them
_h32_memo = shingles.Hashes32().__getitem__


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """Per-paragraph features of one text; arrays of 32-bit hashes concatenated over the
    paragraphs, cut by ``*_off`` offsets (``len(paragraphs) + 1`` each)."""

    key: str
    cut: int  # paragraphs from this one on have their shingles cut short or left out (budget)
    text_hash: str  # of the text analysed (``text_digest``): features never meet another text
    lines: int  # lines of the text (``text.split("\\n")``)
    labelled: bool  # the title is labelled as an analysis, an explainer (``coverage_terms.RawTerms.labelled``)
    para_line: array[int]  # the line each paragraph comes from
    seq: array[int]  # shingle hashes (never 0)
    seq_off: array[int]
    fps: array[int]  # each paragraph's winnowed fingerprints
    fps_off: array[int]
    terms: array[int]  # coverage term hashes with their counts
    counts: array[int]
    term_off: array[int]
    names: array[int]  # names and numbers (term hashes), with their labels
    name_off: array[int]
    labels: tuple[str, ...]
    figures: array[int]
    fig_off: array[int]
    ents: array[int]  # entity hashes (the follow-up gates' names and numbers)
    ent_off: array[int]
    title_words: array[int]  # the title's content words, distinct, ascending
    title_terms: array[int]  # the title's coverage terms with their counts
    title_counts: array[int]
    headline_terms: array[int]
    title_figures: array[int]  # the headline's figures, kept whole (compared with the body's)
    title_pairs: array[int]  # capitalised headline words side by side, flat (``coverage_terms.title_pairs``)
    nouns: array[int]  # names a German paragraph reads as nouns, and as names (``coverage_terms._german_terms``)
    noun_off: array[int]
    proper: array[int]
    proper_off: array[int]
    apart: array[int]  # paragraphs that set another matter apart (``coverage_terms.sets_apart_words``), ascending
    engaged: array[int]  # paragraphs telling another engagement (``coverage_terms.tells_other_engagement``), ascending
    # each paragraph's words of each language's own (``coverage_terms.language_counts``), a
    # row of ``len(coverage_terms.LANGUAGES)`` a paragraph
    languages: array[int]
    # each paragraph's terms written in lower case that the text uses as names too, ascending
    # (``coverage_terms.RawTerms.ordinary``: of the text kept, those it names)
    lower: array[int]
    lower_off: array[int]

    @property
    def paragraphs(self) -> int:
        return len(self.para_line)

    def keep(self, lines: Sequence[int]) -> TextAnalysis:
        """The features of the text made of these lines (ascending indices), in their order."""
        wanted = set(lines)
        paras = [p for p, line in enumerate(self.para_line) if line in wanted]
        renumber = {line: i for i, line in enumerate(lines)}
        out: dict[str, Any] = {
            "key": self.key,
            "cut": sum(1 for p in paras if p < self.cut),
            "text_hash": "",  # a text made by the caller, which checked the original's hash
            "lines": len(lines),
            "labelled": self.labelled,
            "para_line": array("I", (renumber[self.para_line[p]] for p in paras)),
        }
        for name, off_name in (*_CUT, ("terms", "term_off")):
            values, off = getattr(self, name), getattr(self, off_name)
            cut, new_off = array("I"), array("I", [0])
            for p in paras:
                cut.extend(values[off[p] : off[p + 1]])
                new_off.append(len(cut))
            out[name], out[off_name] = cut, new_off
        counts = array("I")
        labels: list[str] = []
        for p in paras:
            counts.extend(self.counts[self.term_off[p] : self.term_off[p + 1]])
            labels.extend(self.labels[self.name_off[p] : self.name_off[p + 1]])
        out["counts"], out["labels"] = counts, tuple(labels)
        for name in ("apart", "engaged"):
            flagged = set(getattr(self, name))
            out[name] = array("I", (i for i, p in enumerate(paras) if p in flagged))
        n = len(coverage_terms.LANGUAGES)
        out["languages"] = array("I", (c for p in paras for c in self.languages[p * n : (p + 1) * n]))
        for name in ("title_words", "title_terms", "title_counts", "headline_terms", "title_figures", "title_pairs"):
            out[name] = getattr(self, name)
        return TextAnalysis(**out)

    def to_wire(self) -> dict[str, Any]:
        """JSON-safe form for the cleaned record (little-endian base64 arrays)."""
        out: dict[str, Any] = {
            "v": FEATURES_VERSION,
            "key": self.key,
            "cut": self.cut,
            "text_hash": self.text_hash,
            "lines": self.lines,
            "labelled": self.labelled,
        }
        for name in _ARRAYS:
            out[name] = _to_b64(getattr(self, name))
        out["labels"] = list(self.labels)
        return out


def from_wire(obj: object) -> TextAnalysis | None:
    """Features read from a cleaned record; None when absent. Raises ``ValueError`` when they
    are there but malformed (the caller analyses the text instead)."""
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise ValueError("features are not an object")
    if obj.get("v") != FEATURES_VERSION:
        raise ValueError(f"unsupported features version {obj.get('v')!r}")
    k, lines, labels, digest = obj.get("key"), obj.get("lines"), obj.get("labels"), obj.get("text_hash")
    cut = obj.get("cut")
    if not isinstance(k, str) or not isinstance(digest, str) or not isinstance(lines, int) or lines < 0:
        raise ValueError("features lack their key, text hash or line count")
    if not isinstance(cut, int) or isinstance(cut, bool) or cut < 0:
        raise ValueError("features lack their shingle cut")
    labelled = obj.get("labelled")
    if not isinstance(labelled, bool):
        raise ValueError("features lack whether the title is labelled")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ValueError("features have malformed labels")
    arrays: dict[str, array[int]] = {}
    for name in _ARRAYS:
        text = obj.get(name)
        if not isinstance(text, str):
            raise ValueError(f"features lack {name}")
        arrays[name] = _from_b64(text)
    analysis = TextAnalysis(
        key=k, cut=cut, text_hash=digest, lines=lines, labelled=labelled, labels=tuple(labels), **arrays
    )
    _check(analysis)
    return analysis


def _check(a: TextAnalysis) -> None:
    """Every offset table cuts its array whole, in order; labels match names."""
    n = a.paragraphs
    if any(line >= a.lines for line in a.para_line) or list(a.para_line) != sorted(a.para_line):
        raise ValueError("features: paragraph lines out of range")
    if a.cut > n:
        raise ValueError("features: shingle cut out of range")
    for name, off_name in (*_CUT, ("terms", "term_off")):
        off = getattr(a, off_name)
        if len(off) != n + 1 or off[0] != 0 or off[-1] != len(getattr(a, name)):
            raise ValueError(f"features: {off_name} does not cut {name}")
        if any(off[i] > off[i + 1] for i in range(n)):
            raise ValueError(f"features: {off_name} is not ascending")
    if len(a.counts) != len(a.terms) or len(a.labels) != len(a.names):
        raise ValueError("features: counts or labels do not match their terms")
    if len(a.title_counts) != len(a.title_terms):
        raise ValueError("features: title counts do not match the title terms")
    if len(a.title_pairs) % 2:
        raise ValueError("features: title pairs are not pairs")
    for flagged in (a.apart, a.engaged):
        if any(p >= n for p in flagged) or any(flagged[i] >= flagged[i + 1] for i in range(len(flagged) - 1)):
            raise ValueError("features: flagged paragraphs out of range or order")
    if len(a.languages) != n * len(coverage_terms.LANGUAGES):
        raise ValueError("features: language counts are not one row a paragraph")


def analyse(
    title: str, text: str, shingle_size: int = SHINGLE_SIZE, winnow_window: int = WINNOW_WINDOW
) -> TextAnalysis:
    """The features of one article, paragraph by paragraph (see the module docstring). The
    terms are read paragraph by paragraph; the shingles of all paragraphs are hashed as one
    batch, and winnowed as one (``shingles.shingle_hashes32``, ``shingles.winnow_each``)."""
    lines = text.split("\n")
    arrays: dict[str, array[int]] = {name: array("I") for name in _ARRAYS}
    for off_name in ("term_off", "name_off", "fig_off", "ent_off", "noun_off", "proper_off", "lower_off"):
        arrays[off_name].append(0)
    para_line, terms, counts = arrays["para_line"], arrays["terms"], arrays["counts"]
    names_out, figures, ents = arrays["names"], arrays["figures"], arrays["ents"]
    term_off, name_off, fig_off, ent_off = arrays["term_off"], arrays["name_off"], arrays["fig_off"], arrays["ent_off"]
    labels: list[str] = []
    paragraph_words: list[list[str]] = []
    h = _h32_memo
    paragraphs = [(i, para) for i, line in enumerate(lines) for para in shingles.normalise_paragraphs(line)]
    lowered: list[set[int]] = []
    for (i, _), read in zip(
        paragraphs, coverage_terms.paragraphs_terms([p for _, p in paragraphs], CALENDAR), strict=True
    ):
        if read.apart:
            arrays["apart"].append(len(para_line))
        if read.engaged:
            arrays["engaged"].append(len(para_line))
        para_line.append(i)
        paragraph_words.append(read.words)
        arrays["languages"].extend(coverage_terms.language_counts(read.words))
        terms.extend(read.counts)
        counts.extend(read.counts.values())
        names_out.extend(read.names)
        labels.extend(read.labels)
        figures.extend(read.figures)
        ents.extend(sorted(set(map(h, read.entities))))
        term_off.append(len(terms))
        name_off.append(len(names_out))
        fig_off.append(len(figures))
        ent_off.append(len(ents))
        arrays["nouns"].extend(read.nouns)
        arrays["noun_off"].append(len(arrays["nouns"]))
        arrays["proper"].extend(read.proper)
        arrays["proper_off"].append(len(arrays["proper"]))
        lowered.append(read.lower)
    # Of the terms each paragraph writes in lower case, those the text names (few): a text kept
    # without some paragraphs names fewer, and ``assemble`` keeps those it still names.
    named = set(names_out)
    for lower in lowered:
        arrays["lower"].extend(sorted(named.intersection(lower)))
        arrays["lower_off"].append(len(arrays["lower"]))
    # Shingles up to the budget: the paragraph that reaches it is cut short (``cut``), and
    # those after it ship none.
    taken: list[int] = []
    cut, room = -1, SHINGLE_BUDGET
    for p, toks in enumerate(paragraph_words):
        take = 0 if cut >= 0 else min(max(0, len(toks) - shingle_size + 1), room)
        if cut < 0 and take >= room:
            cut = p
        room -= take
        taken.append(take)
    arrays["seq"] = shingles.shingle_hashes32(paragraph_words, shingle_size, taken)
    arrays["seq_off"] = array("I", itertools.accumulate(taken, initial=0))
    arrays["fps"], arrays["fps_off"] = shingles.winnow_each(arrays["seq"], arrays["seq_off"], winnow_window)
    arrays["title_words"].extend(sorted({h32(t) for t in shingles.title_tokens(title)}))
    head = coverage_terms.raw_terms(title, [], CALENDAR)
    arrays["title_terms"].extend(head.counts)
    arrays["title_counts"].extend(head.counts.values())
    arrays["headline_terms"].extend(sorted(head.headline_terms))
    arrays["title_figures"].extend(sorted(head.number_hashes))
    for first, second in coverage_terms.title_pairs(title):
        arrays["title_pairs"].extend((first, second))
    return TextAnalysis(
        key=key(shingle_size, winnow_window),
        cut=len(para_line) if cut < 0 else cut,
        text_hash=text_digest(text),
        lines=len(lines),
        labelled=head.labelled,
        labels=tuple(labels),
        **arrays,
    )


class Assembled(NamedTuple):
    """What the decider derives from the input's text alone (see ``workers/thread.py``)."""

    seq: array[int]  # 32-bit shingle hashes, 0 = paragraph break, capped
    fingerprints: frozenset[int]
    entities: frozenset[int]
    title_words: array[int]
    raw: coverage_terms.RawTerms


def assemble(a: TextAnalysis, max_shingles: int, max_fingerprints: int, winnow_window: int) -> Assembled | None:
    """Compose the paragraphs' features as ``shingle_hashes``/``winnow``/``raw_terms`` compute
    them over the whole text: the same shingle cap (a paragraph cut by it is winnowed as cut),
    the same fingerprint cap, term counts summed, labels by first occurrence. None when the
    cap needs shingles the features left out (``SHINGLE_BUDGET``): analyse the text then."""
    seq = array("I")
    fps: set[int] = set()
    seq_all, off = a.seq, a.seq_off
    for p in range(a.paragraphs):
        start, end = off[p], off[p + 1]
        if p >= a.cut and end - start < max(max_shingles - len(seq) - bool(seq), 1):
            return None  # the cap reaches into shingles that were not shipped
        if start == end:
            continue  # a paragraph shorter than a shingle adds no break either
        if seq:
            seq.append(0)
        # ``shingle_hashes`` stops once the cap is reached, after at least one shingle
        room = max(max_shingles - len(seq), 1)
        if end - start >= room:
            cut = seq_all[start : start + room]
            seq.extend(cut)
            fps.update(shingles.winnow(cut, winnow_window))
            break
        seq.extend(seq_all[start:end])
        fps.update(a.fps[a.fps_off[p] : a.fps_off[p + 1]])
    if len(fps) > max_fingerprints:
        fps = set(sorted(fps)[:max_fingerprints])
    counts: dict[int, int] = {}
    get = counts.get
    for h, n in zip(a.terms, a.counts, strict=True):
        counts[h] = get(h, 0) + n
    for h, n in zip(a.title_terms, a.title_counts, strict=True):
        counts[h] = get(h, 0) + n
    label: dict[int, str] = {}
    for h, text in zip(a.names, a.labels, strict=True):
        if h not in label:
            label[h] = text
    names = frozenset(a.names)
    headline_terms = frozenset(a.headline_terms)
    title_figures = frozenset(a.title_figures)
    # the headline's names: its words the body uses as names (its figures are kept apart)
    headline = frozenset(h for h in headline_terms if h in names and h not in title_figures)
    pairs = a.title_pairs
    off, flagged = a.term_off, a.apart
    apart = (
        coverage_terms.set_apart((a.terms[off[p] : off[p + 1]], p in flagged) for p in range(a.paragraphs))
        if flagged
        else frozenset[int]()
    )
    told = a.engaged
    engaged = (
        coverage_terms.engaged_names(
            (a.terms[off[p] : off[p + 1]], a.names[a.name_off[p] : a.name_off[p + 1]], p in told)
            for p in range(a.paragraphs)
        )
        if told
        else frozenset[int]()
    )
    raw = coverage_terms.RawTerms(
        counts,
        names,
        frozenset(a.figures) | title_figures,
        headline,
        headline_terms,
        label,
        frozenset(),  # entity strings and words: the hashes above stand for them
        [],
        coverage_terms.head_pairs(zip(pairs[::2], pairs[1::2], strict=True), headline, counts),
        frozenset(a.nouns).difference(a.proper),
        bool(a.nouns) or bool(a.proper),
        apart,
        coverage_terms.language_of(_column_sums(a.languages, len(coverage_terms.LANGUAGES))),
        _passing(a.terms, off, a.paragraphs, headline_terms),
        names.intersection(a.lower),
        a.labelled,
        engaged,
    )
    return Assembled(seq, frozenset(fps), frozenset(a.ents), a.title_words, raw)


def _passing(terms: array[int], off: array[int], paragraphs: int, headline: frozenset[int]) -> frozenset[int]:
    """The terms used in one paragraph after the lead and in no other, nor in the headline
    (``coverage_terms.RawTerms.passing``), from each paragraph's distinct terms."""
    lead = coverage_terms.LEAD_PARAGRAPHS
    if paragraphs <= lead:
        return frozenset()
    # (a paragraph's terms are distinct: a term's count after the lead is its paragraphs')
    once = {t for t, n in Counter(terms[off[lead] :]).items() if n == 1}
    once.difference_update(terms[: off[lead]])
    once.difference_update(headline)
    return frozenset(once)


def _column_sums(rows: array[int], width: int) -> list[int]:
    """The sums of a flat array's columns (``width`` values a row)."""
    return [sum(rows[i::width]) for i in range(width)]


def _to_b64(values: array[int]) -> str:
    copy = array("I", values)
    if sys.byteorder == "big":
        copy.byteswap()
    return base64.b64encode(copy.tobytes()).decode("ascii")


def _from_b64(text: str) -> array[int]:
    out = array("I")
    try:
        out.frombytes(base64.b64decode(text, validate=True))
    except ValueError as exc:  # binascii.Error, or a length that is not whole words
        raise ValueError(f"features: malformed array: {exc}") from exc
    if sys.byteorder == "big":
        out.byteswap()
    return out
