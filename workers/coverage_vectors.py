"""Coverage's weights and vectors: what the index stores of an article (``CoverageFeatures``,
its heaviest terms under the window's frequencies: :func:`select`), the document frequencies
of the live articles (``DocFrequencies``), and the time-free cosines the decision damps
(``weighted``, ``cosine``, ``centroid``; a decision's candidates in one numpy pass:
:func:`candidate_vectors`).

Weights are ``(1 + ln tf) * idf * kind``, names and figures counted double, with ``idf = ln((N
+ 1) / (df + 1)) + 1`` over the articles live in the index, the frequencies a function of the
indexed set alone (any restore order). Stored terms carry their log-tf byte and are weighed
under the frequencies of the decision that reads them, so an article's weights follow the
window as it fills. The terms come from ``workers/coverage_terms.py``; the decision over these
vectors is in ``workers/coverage.py``.
"""

from __future__ import annotations

import math
import operator
import sys
from array import array
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt

from workers import postings
from workers.coverage_terms import RawTerms, language_mark

Vector = dict[int, float]


# The classes the decision step makes many of write their ``__init__`` out (``init=False``):
# mypyc compiles a class's own ``__init__`` but leaves a dataclass's generated one to the
# ``dataclasses`` module, interpreted (~1 us for a frozen one against ~0.1 us). The same fields,
# still frozen, equal and printed alike; ``tests/workers/test_thread.py`` holds each to its fields.


@dataclass(frozen=True, slots=True, init=False)
class CoverageFeatures:
    """What the index stores of an article for coverage: its heaviest terms (hashes, ascending)
    with log-tf bytes, its heaviest names (and numbers), and its headline's names."""

    terms: array[int]
    tf: array[int]  # per term: 16 * (1 + ln tf), a byte
    names: array[int]
    headline: array[int]
    figures: array[int]  # counts, amounts, rates, scores (not years, codes or model names)
    # The heaviest of the terms it uses only where it sets another matter apart
    # (``RawTerms.set_apart``; ascending, most articles none).
    apart: Sequence[int] = ()
    # Of the terms and names it stores, those it mentions only in passing (``RawTerms.passing``;
    # ascending): what it tells only as background.
    passing: Sequence[int] = ()
    # The heaviest of the names it uses only where it tells another engagement of the day
    # (``RawTerms.engaged``; ascending, most articles none): that engagement's people and places.
    engaged: Sequence[int] = ()

    def __init__(
        self,
        terms: array[int],
        tf: array[int],
        names: array[int],
        headline: array[int],
        figures: array[int],
        apart: Sequence[int] = (),
        passing: Sequence[int] = (),
        engaged: Sequence[int] = (),
    ) -> None:
        # Written out, not generated: see above.
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "tf", tf)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "headline", headline)
        object.__setattr__(self, "figures", figures)
        object.__setattr__(self, "apart", apart)
        object.__setattr__(self, "passing", passing)
        object.__setattr__(self, "engaged", engaged)


# A term's stored tf byte: ``16 * (1 + ln tf)``, bounded to a byte.
LOG_TF = [0, *(min(255, round(16 * (1 + math.log(n)))) for n in range(1, 256))]


# ln(df + 1) of the small frequencies most terms have, computed once (the same floats).
_LN_1P = [math.log(n + 1) for n in range(4096)]
# The same tables for ``select``'s arrays (a count of 256 or more weighs 255).
_LN_1P_NP = np.array(_LN_1P)
_LOG_TF_NP = np.array([*LOG_TF, 255], np.float64)


class DocFrequencies:
    """Postings of the live articles' stored terms (by article number); a term's document
    frequency is its number of postings, so the frequencies are a function of the indexed set
    (any restore order)."""

    __slots__ = ("docs", "postings")

    def __init__(self) -> None:
        self.postings = postings.TermPostings()
        self.docs = 0

    def add(self, number: int, terms: Sequence[int]) -> None:
        self.docs += 1
        self.postings.add_many(terms, number)

    def remove(self, number: int, terms: Iterable[int]) -> None:
        self.docs -= 1
        for t in terms:
            self.postings.remove(t, number)

    def count(self, term: int) -> int:
        return self.postings.count(term)

    def numbers(self, term: int) -> Sequence[int]:
        return self.postings.numbers(term)

    def idf(self, term: int) -> float:
        return math.log((self.docs + 1) / (self.postings.count(term) + 1)) + 1.0


#: headline terms (and headline figures) an article stores at most: real headlines have a few
#: dozen words
MAX_HEADLINE_TERMS = 256
#: terms set apart an article stores at most (``CoverageFeatures.apart``): a paragraph's worth
MAX_APART_TERMS = 32
#: terms mentioned in passing an article stores at most (``CoverageFeatures.passing``), the
#: heaviest of those among its stored terms and names
MAX_PASSING_TERMS = 32
#: names told only as another engagement an article stores at most (``CoverageFeatures.engaged``)
MAX_ENGAGED_NAMES = 16


def _marked(headline: list[int], raw: RawTerms) -> list[int]:
    """The stored headline with the text's language marked among its terms (``language_mark``)."""
    mark = language_mark(raw)
    return sorted({*headline, mark}) if mark is not None else headline


def select(
    raw: RawTerms,
    df: DocFrequencies,
    max_terms: int,
    max_names: int,
    max_figures: int,
    freq: npt.NDArray[np.int64] | None = None,
) -> CoverageFeatures:
    """The article's heaviest terms and names under the current frequencies (what is stored).
    Weighed in numpy over all the terms at once (element-wise products and differences are
    the same floats as one term at a time; sorted by (-weight, hash) as tuples would be).
    ``freq``: ``df.postings.counts(raw.counts)`` when the caller has looked them up already."""
    counts = raw.counts
    k = len(counts)
    hashes = np.fromiter(counts, np.int64, k)
    tfs = np.fromiter(counts.values(), np.int64, k)
    if freq is None:
        freq = df.postings.counts(hashes)
    names_set = raw.name_hashes
    is_name = np.fromiter(map(names_set.__contains__, counts), np.bool_, k)
    ln = _LN_1P_NP[np.minimum(freq, len(_LN_1P) - 1)]
    rare = freq >= len(_LN_1P)
    if rare.any():
        ln[rare] = [math.log(f + 1) for f in freq[rare].tolist()]
    logd = math.log(df.docs + 1) + 1.0
    log_tfs = _LOG_TF_NP[np.minimum(tfs, 256)]  # log_tf of each count
    weights = log_tfs * (logd - ln) * np.where(is_name, 2.0, 1.0)
    order = np.lexsort((hashes, -weights))
    top = order[:max_terms]
    top = top[np.argsort(hashes[top])]  # the kept terms ascending (distinct: dict keys)
    # the headline's figures are always kept (the gates compare them), as is the headline, up to
    # ``MAX_HEADLINE_TERMS`` each: a "headline" of 70,000 words is no headline, and did not fit
    # the stored form (a crash filed as poison)
    head_figures = set(sorted(raw.headline_terms & raw.number_hashes)[:MAX_HEADLINE_TERMS])
    room = max(0, max_figures - len(head_figures))
    names = sorted(hashes[order[is_name[order]][:max_names]].tolist())
    headline = sorted(raw.headline_terms)[:MAX_HEADLINE_TERMS]
    set_apart = raw.set_apart
    apart: Sequence[int] = ()
    if set_apart:
        apart = array("I", sorted([h for h in hashes[order].tolist() if h in set_apart][:MAX_APART_TERMS]))
    kept_terms = hashes[top].tolist()
    passing: Sequence[int] = ()
    if raw.passing:
        mentioned = raw.passing.intersection({*kept_terms, *names})
        if len(mentioned) > MAX_PASSING_TERMS:  # the heaviest of them
            mentioned = frozenset([h for h in hashes[order].tolist() if h in mentioned][:MAX_PASSING_TERMS])
        passing = array("I", sorted(mentioned))
    engaged: Sequence[int] = ()
    if raw.engaged:
        engaged = array("I", sorted([h for h in hashes[order].tolist() if h in raw.engaged][:MAX_ENGAGED_NAMES]))
    return CoverageFeatures(
        terms=array("I", kept_terms),
        tf=array("B", log_tfs[top].astype(np.uint8).tobytes()),
        names=array("I", names),
        headline=array("I", _marked(headline, raw)),
        figures=array("I", sorted(head_figures | set(sorted(raw.number_hashes - head_figures)[:room]))),
        apart=apart,
        passing=passing,
        engaged=engaged,
    )


def weighted(
    terms: Sequence[int], tf: Sequence[int], names: Container[int], idf: Callable[[int], float]
) -> dict[int, float]:
    """Unit-length weighted vector of stored terms under the *current* frequencies (``idf`` is
    memoised by the caller for one decision): a term's weight follows the window as it fills."""
    vec = {h: t * idf(h) * (2.0 if h in names else 1.0) for h, t in zip(terms, tf, strict=True)}
    norm = math.sqrt(sum(map(operator.mul, vec.values(), vec.values()))) or 1.0  # summed in order, in C
    return {h: w / norm for h, w in vec.items()}


# Python's ``sum`` of floats adds them one after the other up to 3.11 (3.12 compensates): a
# cumulative sum along a row is then the same float, and a candidate's cosine can be computed
# in numpy. Elsewhere the candidates' cosines are ``cosine``'s of their dict vectors.
_SEQUENTIAL_SUM = sys.version_info < (3, 12)


class CandidateVectors:
    """The coverage vectors of a decision's candidates (``(terms, tf, names)`` each, as stored:
    terms ascending), weighted in one numpy pass with the idf of every term in order
    (``idf_array`` of all their terms one after the other), and their cosines with the input's
    vector: ``weighted`` and ``cosine`` of each, float for float. The products of a cosine are
    those of the shared terms (a term missing on one side adds 0.0, which changes no sum), in
    ascending order as ``cosine`` takes them from either sorted vector, summed one after the
    other (``np.cumsum`` along a row); squares likewise for the norms. An article whose terms
    are not strictly ascending is weighed by ``weighted`` itself. Dict vectors are built only
    when asked (a story's centroid)."""

    __slots__ = ("_articles", "_dicts", "_idf", "_lengths", "_ok", "_starts", "_terms", "_unit")

    def __init__(
        self,
        articles: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int]]],
        idf_array: Callable[[npt.NDArray[np.uint32]], npt.NDArray[np.float64]],
        idf: Callable[[int], float],
    ) -> None:
        self._articles = articles
        self._idf = idf
        self._dicts: dict[int, Vector] = {}
        lengths = np.fromiter((len(t) for t, _, _ in articles), np.intp, len(articles))
        self._lengths = lengths
        starts = np.zeros(len(articles), np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        self._starts = starts
        k = len(articles)
        terms = (
            np.concatenate(
                [
                    np.frombuffer(t, np.uint32) if isinstance(t, array) else np.array(t, np.uint32)
                    for t, _, _ in articles
                ]
            )
            if k
            else np.empty(0, np.uint32)
        )
        self._terms = terms
        total = len(terms)
        # ascending within each article (the first of each is compared with nothing)
        rises = np.ones(total, np.bool_)
        rises[1:] = terms[1:] > terms[:-1]
        nonempty = lengths > 0
        rises[starts[nonempty]] = True
        ok = np.full(k, _SEQUENTIAL_SUM, np.bool_)
        if total and _SEQUENTIAL_SUM:
            ok[nonempty] = np.logical_and.reduceat(rises, starts[nonempty])
        self._ok = ok
        tf = (
            np.concatenate(
                [
                    np.frombuffer(f, np.uint8) if isinstance(f, array) and f.itemsize == 1 else np.array(f, np.uint8)
                    for _, f, _ in articles
                ]
            ).astype(np.float64)
            if k
            else np.empty(0, np.float64)
        )
        owner = np.repeat(np.arange(k, dtype=np.uint64), lengths)
        name_lengths = [len(n) for _, _, n in articles]
        names = (
            np.concatenate(
                [
                    np.frombuffer(n, np.uint32) if isinstance(n, array) else np.array(n, np.uint32)
                    for _, _, n in articles
                ]
            ).astype(np.uint64)
            if k
            else np.empty(0, np.uint64)
        )
        name_keys = np.sort((np.repeat(np.arange(k, dtype=np.uint64), name_lengths) << np.uint64(32)) | names)
        term_keys = (owner << np.uint64(32)) | terms.astype(np.uint64)
        if len(name_keys):
            at = np.minimum(name_keys.searchsorted(term_keys), len(name_keys) - 1)
            is_name = name_keys[at] == term_keys
        else:
            is_name = np.zeros(total, np.bool_)
        w = tf * idf_array(terms) * np.where(is_name, 2.0, 1.0)
        norms = np.sqrt(self._row_sums(w * w))
        norms[norms == 0.0] = 1.0
        self._unit = w / np.repeat(norms, lengths)

    def _row_sums(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each article's values summed one after the other (as ``sum`` adds them, <= 3.11)."""
        lengths, k = self._lengths, len(self._lengths)
        width = int(lengths.max()) if k else 0
        if not width:
            return np.zeros(k, np.float64)
        grid = np.zeros((k, width), np.float64)
        cols = np.arange(len(values)) - np.repeat(self._starts, lengths)
        grid[np.repeat(np.arange(k), lengths), cols] = values
        return np.cumsum(grid, axis=1)[:, -1]

    def cosines(self, mine: Vector) -> list[float]:
        """``cosine(mine, weighted(article))`` of each article."""
        keys = np.fromiter(mine, np.uint32, len(mine))
        out: list[float]
        ok: list[bool]
        if _SEQUENTIAL_SUM and len(keys) and bool(np.all(keys[1:] > keys[:-1])):
            vals = np.fromiter(mine.values(), np.float64, len(mine))
            at = np.minimum(keys.searchsorted(self._terms), len(keys) - 1)
            theirs = np.where(keys[at] == self._terms, vals[at], 0.0)
            out = self._row_sums(self._unit * theirs).tolist()
            ok = self._ok.tolist()
        else:
            out, ok = [0.0] * len(self._articles), [False] * len(self._articles)
        for i, fine in enumerate(ok):
            if not fine:
                out[i] = cosine(mine, self.vector(i))
        return out

    def vector(self, i: int) -> Vector:
        """``weighted`` of article ``i`` (built on first use)."""
        v = self._dicts.get(i)
        if v is None:
            if self._ok[i]:
                start, n = int(self._starts[i]), int(self._lengths[i])
                v = dict(
                    zip(self._terms[start : start + n].tolist(), self._unit[start : start + n].tolist(), strict=True)
                )
            else:
                terms, tf, names = self._articles[i]
                v = weighted(terms, tf, frozenset(names), self._idf)
            self._dicts[i] = v
        return v


class FewVectors:
    """:class:`CandidateVectors`' answers for a few candidates, as dicts: each ``weighted``, and
    its ``cosine``. Most coverage decisions keep one or two candidates once the gates have ruled
    out the other stories, and for ~40 terms each the fixed cost of the numpy pass's calls
    outweighs the work (at 100k live: 0.15 against 0.46 ms for one candidate, 0.55 against 0.65
    for four)."""

    __slots__ = ("_vectors",)

    def __init__(
        self, articles: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int]]], idf: Callable[[int], float]
    ) -> None:
        self._vectors = [weighted(terms, tf, frozenset(names), idf) for terms, tf, names in articles]

    def cosines(self, mine: Vector) -> list[float]:
        return [cosine(mine, v) for v in self._vectors]

    def vector(self, i: int) -> Vector:
        return self._vectors[i]


# Up to this many candidates their vectors are weighed as dicts (``FewVectors``), above it in
# one numpy pass (``CandidateVectors``): the same floats either way.
_FEW_CANDIDATES = 4


def candidate_vectors(
    articles: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int]]],
    idf_array: Callable[[npt.NDArray[np.uint32]], npt.NDArray[np.float64]],
    idf: Callable[[int], float],
) -> CandidateVectors | FewVectors:
    """The vectors and cosines of a decision's candidates ``articles``, in the cheaper of two
    ways for their number (the decider's one call: benches wrap it)."""
    if len(articles) <= _FEW_CANDIDATES:
        return FewVectors(articles, idf)
    return CandidateVectors(articles, idf_array, idf)


def centroid(vectors: Iterable[dict[int, float]]) -> dict[int, float]:
    """Unit-length sum of unit-length vectors: what a story's reports tell together."""
    out: dict[int, float] = {}
    get = out.get
    for vec in vectors:
        for h, v in vec.items():
            out[h] = get(h, 0.0) + v
    norm = math.sqrt(sum(v * v for v in out.values())) or 1.0
    return {h: v / norm for h, v in out.items()}


def cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    products: Iterable[float] = map(operator.mul, a.values(), map(b.get, a, repeat(0.0)))
    return sum(products, 0.0)  # summed in order, in C (a float for an empty vector too)


def weighted_share(names: Iterable[int], found: Container[int], idf: Callable[[int], float]) -> float:
    """idf-weighted share of ``names`` present in ``found``; 1.0 when there is nothing to find."""
    total = hit = 0.0
    for h in names:
        w = idf(h)
        total += w
        if h in found:
            hit += w
    return hit / total if total else 1.0
