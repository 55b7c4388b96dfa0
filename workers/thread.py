"""The threading decision: is a cleaned article a new story, a duplicate, or an update of one?

A story is one event. An article joins it as a copy (``duplicate``), as a new version of the
same article (``revision``), as a follow-up that quotes it (``followup``) or as an independent
report of the same event in other words (``coverage``, decided in ``workers/coverage.py``).

Consistency argument
--------------------
``StoryIndex.decide`` is a pure function of (index state, input): no clock, no randomness, no
process-salted ``hash()``, and ties are broken by article id. ``apply`` is the only mutation and
returns changelog entries for a *compacted* Kafka topic; ``restore`` replays them. Because every
piece of derived state (inverted index, story membership, the index clock) is recomputed from the
per-key records, and none of it depends on the order in which keys are replayed, a pod that
replays the compacted changelog holds an index that decides exactly as the one that wrote it.
The lead runs the decision step as a single writer per index (one partition, fenced by Kafka
transactions that commit the decision events, the changelog writes and the input offset
together), so there is never a second writer whose decisions could interleave: on a crash the
transaction aborts and the successor replays the changelog and re-decides the same inputs into
the same decisions. New story ids are derived from the article id, so replays yield the same ids.

Decision rules (thresholds live in :class:`ThreadSettings`; all scores go into ``evidence``)
------------------------------------------------------------------------------------------
1. Same ``article_id`` (URL/guid) already indexed: same ``content_hash`` and headline words ->
   ``unchanged``; otherwise (a new text, or a new headline over the same text) ``update``/``revision``
   of that article's story.
2. Candidates: articles sharing a *winnowed* shingle fingerprint with the input (inverted index;
   fingerprints held by more than ``max_postings`` articles are boilerplate and ignored),
   within ``candidate_window`` of its time; the best ``max_candidates`` by shared fingerprints
   are compared exactly on their stored shingle sequences.
3. ``duplicate``: the new text is (almost) all old text - ``containment_new_in_old`` >=
   ``duplicate_containment`` (a credit line or dateline may be added; a shortened copy is fully
   contained) - and the two agree on names and numbers (``entity_overlap``). A text under
   ``short_text_shingles`` wholly in another's is related to it (as a copy or a follow-up)
   only under a headline sharing words with the other's (``short_copy_title_similarity``): a
   consent wall is the same text above unrelated stories.
4. ``update``/``followup``: the new article quotes a passage of at least ``min_passage_shingles``
   consecutive shingles (about a sentence), or restates at least ``followup_containment`` of
   the old text, *and* it is about the same things: enough of the names and numbers agree
   (``entity_overlap`` >= ``min_entity_overlap``) and it mentions the names in the old headline
   (``title_name_coverage`` >= ``min_title_name_coverage``). These two gates keep template-alike
   texts apart: readouts of different calls, earnings reports of different companies and
   fixtures share whole boilerplate sentences (passages of 13-23 shingles in the tests) but
   differ in who/what/how much. Jaccard is recorded but not used: a follow-up that quotes an
   earlier statement inside new reporting has low Jaccard (~0.26 in the Kremlin/TASS case)
   while most of the statement is contained in it (~0.65).
   A passage all of whose fingerprints the index already holds in more than
   ``max_passage_story_df`` distinct stories is a template sentence of its source, not a quote:
   it is counted in ``boilerplate_passages`` and not as a passage; so is a passage two texts of
   one site hold in the same paragraph, or in the last of both (``template_slots``): the wire's
   template, whose paragraph on the defendant or the union reads the same in its report of his
   next case or their next strike, and whose closing background reads the same in its report of
   the province's next quake; the input is judged as coverage instead. The title names a
   follow-up must mention are those of *every* headline version of the old article: a revision
   that adds a name to the headline ("... as Holm visits Rendal") does not raise the bar.
5. Late originals: if the input is *older* than a candidate (feeds polled in another order than
   they published), the follow-up test is applied with the roles swapped - the stored article
   must restate the input and name its headline - and the input joins that story as an update
   (evidence ``input_is_earlier``): events already sent cannot be retracted, but downstream
   still receives one story. A tie counts as older: two articles stamped with the same instant
   (most often a date without a time, as many feeds and pages give it) may have been published
   in either order, so either may be the original.
6. ``update``/``coverage``: no shared text, but the input reports the same event as a story
   within ``coverage.window`` (same names, places, figures; see ``workers/coverage.py``).
   Candidates come from an inverted index over each article's heaviest terms.
7. Otherwise ``new``; the nearest candidates' scores (text and coverage) are kept as evidence.

``decide`` prepares the input once (``_Prepared``: shingles, fingerprints, coverage terms) and
hands that to ``apply`` inside the decision, so the daemon, replay, tests and benches take one
path that computes an article's features once. The text-only part of it normally arrives
with the input (``ThreadInput.analysis``, computed by the clean stage in its parallel
processes: ``workers/features.py``) and is only composed here; an input without it is
analysed here, to the same features.

Memory budget per indexed article: the shingle sequence cut to 16 bits once indexed (2 bytes a
shingle; 2,000 -> 4 KB cap, a 300-word story ~0.6 KB; the changelog keeps 32 bits), at most
``max_fingerprints_per_article`` fingerprint postings (8 bytes each in a packed table, by
article number: ``workers/postings.py``), up to 128 entity and 24 title hashes, and for coverage
40 terms (hash + tf byte) with their postings (4 bytes each), 64 names, the headline's words and
up to 24 figures, all in one packed array per article. Measured as RSS after a restore
(bench/bench_decider_scale.py): ~1.9 KB per article at 100k and at 1M live. Duplicates
are stored without postings (their text is already indexed). Everything expires by ``expiry``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import json
import math
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from workers import coverage, coverage_terms, coverage_vectors, features, postings, shingles

DecisionKind = Literal["new", "duplicate", "update", "unchanged"]
UpdateKind = Literal["revision", "followup", "coverage"]
ChangelogEntry = tuple[str, bytes | None]

ARTICLE_PREFIX = "article/"
STORY_PREFIX = "story/"
RECORD_VERSION = 2
# Records of version 1 (before coverage) restore without coverage terms: such an article can
# still be a copy's or a follow-up's match, and ages out of the window within days.
_READABLE_VERSIONS = (1, 2)
_MASK32 = 0xFFFFFFFF
_CALENDAR = features.CALENDAR
_NO_COVERAGE = coverage_vectors.CoverageFeatures(array("I"), array("B"), array("I"), array("I"), array("I"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)  # the epoch of a naive time, should one be stored
_MICROSECOND = timedelta(microseconds=1)
_LITTLE = sys.byteorder == "little" and array("I").itemsize == 4
# A string as ``json.dumps`` writes it (ASCII, escaped): records are written field by field.
_json_str = json.encoder.encode_basestring_ascii
# Dropped articles' numbers are recycled once their fingerprint postings are purged (a merge);
# a merge is forced when this many wait, so the number space stays near the live count.
_PENDING_NUMBERS = 1 << 15
#: articles whose coverage features are kept unpacked between decisions (``StoryIndex._probes``)
_PROBES = 4096
#: postings within the window from which the coverage look-up scores its articles in numpy
#: (``StoryIndex._nearest``): below, numpy's fixed cost is more than a dict's work
_SCORED_IN_NUMPY = 64


def _micros(t: datetime) -> int:
    """``t`` as integer microseconds since the epoch: exact, so time windows compared on these
    numbers (vectorised) agree with the same comparisons on datetimes."""
    return (t - (_EPOCH if t.tzinfo is not None else _EPOCH_NAIVE)) // _MICROSECOND


@dataclass(frozen=True, slots=True)
class ThreadInput:
    """A cleaned article, plain data."""

    article_id: str
    raw_id: str
    url: str
    guid: str
    site: str
    title: str
    text: str
    published: datetime | None
    # Of the text as delivered (the clean stage's ``content_hash``, before the site's learned
    # furniture is filtered out): a re-delivery is told by it (rule 1).
    content_hash: str
    # The text's features as the clean stage computed them (``workers/features.py``), for the
    # text as it is here; None: the decider analyses the text itself.
    analysis: features.TextAnalysis | None = None


def thread_input(
    url: str, title: str, text: str, published: datetime | None, *, site: str, guid: str = ""
) -> ThreadInput:
    """A :class:`ThreadInput` for plain text (tests, benches, text-only backfills): the same
    URL/guid always gets the same article id, the same text the same content hash."""
    key = guid or url
    return ThreadInput(
        article_id=hashlib.sha256(key.encode()).hexdigest()[:20],
        raw_id=hashlib.sha256((url + text).encode()).hexdigest()[:20],
        url=url,
        guid=key,
        site=site,
        title=title,
        text=text,
        published=published,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


@dataclass(frozen=True, slots=True, init=False)
class Decision:
    """What happened to one input, with the scores that led there (for retuning and audit)."""

    kind: DecisionKind
    story_id: str
    version: int
    update_kind: UpdateKind | None
    duplicate_of: str | None
    matched_article_id: str | None
    evidence: dict[str, float | int | str] = field(default_factory=dict)
    # The input's features as computed for this decision, handed to ``StoryIndex.apply`` so an
    # article's text is analysed once (not part of the decision's value: equality ignores it).
    prepared: _Prepared | None = field(default=None, compare=False, repr=False)

    def __init__(
        self,
        kind: DecisionKind,
        story_id: str,
        version: int,
        update_kind: UpdateKind | None,
        duplicate_of: str | None,
        matched_article_id: str | None,
        evidence: dict[str, float | int | str] | None = None,
        prepared: _Prepared | None = None,
    ) -> None:
        # Written out, not generated: see ``coverage_vectors.CoverageFeatures``.
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "story_id", story_id)
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "update_kind", update_kind)
        object.__setattr__(self, "duplicate_of", duplicate_of)
        object.__setattr__(self, "matched_article_id", matched_article_id)
        object.__setattr__(self, "evidence", {} if evidence is None else evidence)
        object.__setattr__(self, "prepared", prepared)


@dataclass(frozen=True)
class ThreadSettings:
    """Windows, thresholds and memory bounds; see the module docstring for the rules."""

    shingle_size: int = features.SHINGLE_SIZE
    # Winnowing window in shingles: any shared passage of >= this many shingles is guaranteed to
    # share a fingerprint, so it equals the quote threshold below (12 shingles = 16 words).
    winnow_window: int = features.WINNOW_WINDOW
    candidate_window: timedelta = timedelta(days=7)
    expiry: timedelta = timedelta(days=8)
    # An article decided when the index's clock was already more than this past its time (a
    # back-catalogue page, a sitemap's old URL, a feed's old entry) is held in the index as if
    # its time were the clock's (``StoryIndex.expire``).
    late_after: timedelta = timedelta(days=1)
    max_shingles_per_article: int = 2000
    max_fingerprints_per_article: int = 128
    max_entities_per_article: int = 128
    max_title_tokens: int = 24
    # A fingerprint held by more articles than this is boilerplate (a standard sign-off, a
    # template sentence) and is ignored for lookup; it also bounds the work per lookup.
    max_postings: int = 50
    max_candidates: int = 8
    # Duplicate: >= 85% of the new text's shingles are in the old (room for a credit line or
    # dateline); or >= 70% under (almost) the same headline - a lightly edited copy.
    duplicate_containment: float = 0.85
    duplicate_containment_same_title: float = 0.70
    same_title_similarity: float = 0.8
    # A text of fewer shingles than this (about 44 words), all of it in another's, is related to
    # it (a copy, a follow-up) only under a headline sharing words with the other's: so short a
    # text may be the page's furniture rather than its story (a consent or paywall notice,
    # "please enable JavaScript"), the same on every page of a site, or of many sites, whose
    # headlines then tell unrelated stories apart.
    short_text_shingles: int = 40
    short_copy_title_similarity: float = 0.15
    # Follow-up: a verbatim passage of >= 12 consecutive shingles (16 words, about a sentence),
    # or >= 50% of the old text restated, with names/numbers agreeing.
    min_passage_shingles: int = 12
    followup_containment: float = 0.5
    # A passage all of whose fingerprints are already held by more than this many distinct
    # stories in the index is a template sentence of its source ("The law takes effect once
    # signed by President ..."), not a quote: it does not count as quote evidence. Counted in
    # stories, not articles, so a statement quoted by many follow-ups of one story stays a quote.
    max_passage_story_df: int = 2
    # A passage one site's two texts hold in the same paragraph is its template's, not a quote
    # (see ``score_pair``): the input is judged as coverage instead.
    template_slots: bool = True
    # ...and so is one the later text holds after its lead, or closes on, that the earlier one
    # opened with (not within its lead, where a development recalls its event):
    # the wire's recap of its first report ("Vintrell was sentenced on Oct. 9 to four and a half
    # years in prison for taking bribes ...") closing its report of the defendant's next trial,
    # or as the background of its next figures ("The National Bank of Koltavia raised its key
    # interest rate by 25 basis points to 4.50 percent on Thursday" in its industrial output
    # report). The input is judged as coverage, which tells the next event from a development of
    # this one. False: a quote, as before.
    template_lead_recap: bool = True
    # Share of the smaller text's names/numbers found in the other. A follow-up repeats who and
    # what but adds new speakers and figures and drops honorifics, so full agreement is not
    # expected; template-alike texts keep only the fixed names of the template (the agency, the
    # parliament) and fall well below. 0.4 = "at least two in five names recur".
    min_entity_overlap: float = 0.4
    # Share of the names in the old headline (title words the old body uses as names) that the
    # new text mentions: a follow-up names the subject of the story it continues; a same-template
    # text names a different counterpart, company or player.
    min_title_name_coverage: float = 0.8
    # Independent reports of the same event (see workers/coverage.py).
    coverage: coverage.CoverageSettings = field(default_factory=coverage.CoverageSettings)


class _Article:
    """An indexed article. ``seq``: ordered shingle hashes, 0 = paragraph break: 32-bit as
    computed and in the changelog, cut to 16 bits once indexed (``_narrow``). A stored text is
    only ever looked up *in* (the input's shingles are tested against it), so a 16-bit hash
    costs a ~|old|/65,536 false match per shingle (<= 3% at the 2,000 cap; a false 12-shingle
    passage is out of reach) for half the memory.

    The other hashed features (entities, title, title names, coverage terms with their tf
    bytes, names, headline, figures, terms set apart, terms mentioned in passing, names told as
    another engagement) are held in
    *one* packed ``array("I")`` and cut out on access: eight arrays and a features object cost
    ~700 bytes of headers an article (measured before the ninth), more than their contents.
    The decision reads each at most a few times per article (coverage reads go through one
    unpacked view per article and decision: ``StoryIndex._coverage_match``).
    """

    __slots__ = ("_hash", "_packed", "_seq", "article_id", "held", "num", "posted", "site", "story_id", "time")

    def __init__(
        self,
        article_id: str,
        story_id: str,
        time: datetime,
        content_hash: str,
        seq: Sequence[int],
        entities: Sequence[int],
        title: Sequence[int],
        title_names: Sequence[int],  # title words the body uses as names
        posted: bool,
        site: str,
        cov: coverage_vectors.CoverageFeatures = _NO_COVERAGE,
        num: int = -1,  # the article's number in the postings (assigned when indexed)
        held: datetime | None = None,  # a late article's decision time (``StoryIndex.expire``)
    ) -> None:
        self.article_id = article_id
        self.held = held
        self.story_id = story_id
        self.time = time
        self.content_hash = content_hash
        self.seq = seq
        self.posted = posted
        self.site = site
        self.num = num
        self._packed = _pack(
            (
                entities,
                title,
                title_names,
                cov.terms,
                cov.names,
                cov.headline,
                cov.figures,
                cov.apart,
                cov.passing,
                cov.engaged,
            ),
            cov.tf,
        )

    @property
    def seq(self) -> Sequence[int]:
        """32-bit as decoded or built (an ``array("I")``); once indexed, the 16-bit form, held
        as bytes (a bytes object costs 47 bytes less than an array) and read as a view."""
        v = self._seq
        return memoryview(v).cast("H") if isinstance(v, bytes) else v

    @seq.setter
    def seq(self, value: Sequence[int]) -> None:
        if isinstance(value, memoryview):
            self._seq: bytes | Sequence[int] = value.tobytes()
        elif isinstance(value, array) and value.typecode == "H":
            self._seq = value.tobytes()
        else:
            self._seq = value

    @property
    def content_hash(self) -> str:
        """Held as its 32 bytes when it is a lower-case hex digest (65 bytes less than the text)."""
        h = self._hash
        return h.hex() if isinstance(h, bytes) else h

    @content_hash.setter
    def content_hash(self, value: str) -> None:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
        self._hash: bytes | str = raw if raw is not None and raw.hex() == value else value

    def _lengths(self) -> tuple[int, int, int, int, int, int, int, int, int, int]:
        p = self._packed
        a, b, c, d, e = p[0], p[1], p[2], p[3], p[4]
        return a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16, c & 0xFFFF, c >> 16, d & 0xFFFF, d >> 16, e & 0xFFFF, e >> 16

    def _part(self, i: int) -> array[int]:
        n = self._lengths()
        start = _HEADER + sum(n[:i])
        return self._packed[start : start + n[i]]

    @property
    def entities(self) -> array[int]:
        return self._part(0)

    @property
    def title(self) -> array[int]:
        return self._part(1)

    @property
    def title_names(self) -> array[int]:
        return self._part(2)

    @property
    def has_cov(self) -> bool:
        """Whether the article carries coverage terms (copies do not)."""
        return (self._packed[1] >> 16) > 0

    @property
    def cov_terms(self) -> array[int]:
        return self._part(3)

    @property
    def cov(self) -> coverage_vectors.CoverageFeatures:
        n = self._lengths()
        if not (n[3] or n[4] or n[5] or n[6]):
            return _NO_COVERAGE
        p = self._packed
        o = _HEADER + n[0] + n[1] + n[2]
        terms = p[o : o + n[3]]
        o += n[3]
        names = p[o : o + n[4]]
        o += n[4]
        headline = p[o : o + n[5]]
        o += n[5]
        figures = p[o : o + n[6]]
        o += n[6]
        apart = p[o : o + n[7]] if n[7] else ()
        o += n[7]
        passing = p[o : o + n[8]] if n[8] else ()
        o += n[8]
        engaged = p[o : o + n[9]] if n[9] else ()
        o += n[9]
        tf = array("B", p[o:].tobytes()[: n[3]])
        return coverage_vectors.CoverageFeatures(terms, tf, names, headline, figures, apart, passing, engaged)

    def packed_size(self) -> int:
        return len(self._packed)


_HEADER = 5  # words of ``_Article._packed`` holding the ten lengths (16 bits each)


def _pack(parts: Sequence[Sequence[int]], tf: Sequence[int]) -> array[int]:
    n = [len(x) for x in parts]
    if max(n) > 0xFFFF:
        raise ValueError(f"feature arrays too long to pack: {n}")
    out = array("I", (n[0] | n[1] << 16, n[2] | n[3] << 16, n[4] | n[5] << 16, n[6] | n[7] << 16, n[8] | n[9] << 16))
    for x in parts:
        out.extend(x if isinstance(x, array) and x.typecode == "I" else array("I", x))
    raw = bytes(tf)
    out.frombytes(raw + b"\0" * (-len(raw) % 4))
    return out


@dataclass(slots=True, init=False)
class _Story:
    story_id: str
    version: int
    root_article_id: str
    first_time: datetime
    last_time: datetime

    def __init__(
        self, story_id: str, version: int, root_article_id: str, first_time: datetime, last_time: datetime
    ) -> None:
        self.story_id, self.version, self.root_article_id = story_id, version, root_article_id
        self.first_time, self.last_time = first_time, last_time


@dataclass(slots=True, init=False)
class _Prepared:
    """The input's features, computed once per decision. ``cov`` (the terms the index would
    store, chosen under the live frequencies) is filled by ``StoryIndex._cov`` when first
    needed: a copy is stored without terms and never reaches the coverage step."""

    features: TextFeatures
    fingerprints: frozenset[int]
    time: datetime | None
    article_id: str
    content_hash: str
    raw: coverage_terms.RawTerms
    seq16: array[int]  # ``seq`` as the index stores it, to test against stored texts
    cov: coverage_vectors.CoverageFeatures | None = None
    # The frequencies of ``raw.counts``' terms ``cov`` was selected under (set with it): the
    # coverage step of the same decision reads them again.
    freq: npt.NDArray[np.int64] | None = None
    # ``seq16``'s shingles as a set without the paragraph break, made by the first comparison
    # (``score_pair``) and read by the others of the decision.
    shingle_set: frozenset[int] | None = None

    def __init__(
        self,
        features: TextFeatures,
        fingerprints: frozenset[int],
        time: datetime | None,
        article_id: str,
        content_hash: str,
        raw: coverage_terms.RawTerms,
        seq16: array[int],
        cov: coverage_vectors.CoverageFeatures | None = None,
        freq: npt.NDArray[np.int64] | None = None,
        shingle_set: frozenset[int] | None = None,
    ) -> None:
        self.features, self.fingerprints, self.time, self.article_id = features, fingerprints, time, article_id
        self.content_hash, self.raw, self.seq16 = content_hash, raw, seq16
        self.cov, self.freq, self.shingle_set = cov, freq, shingle_set

    @property
    def seq(self) -> array[int]:
        return self.features.seq

    @property
    def entities(self) -> frozenset[int]:
        """Not capped: the input is never stored in this form."""
        return self.features.entities

    @property
    def title(self) -> array[int]:
        return self.features.title


@dataclass(frozen=True, slots=True, init=False)
class _PairScores:
    containment_old_in_new: float
    containment_new_in_old: float
    jaccard: float
    shared_passages: int
    longest_passage: int
    title_similarity: float
    entity_overlap: float
    title_name_coverage: float
    shared_fingerprints: int
    boilerplate_passages: int = 0

    def __init__(
        self,
        containment_old_in_new: float,
        containment_new_in_old: float,
        jaccard: float,
        shared_passages: int,
        longest_passage: int,
        title_similarity: float,
        entity_overlap: float,
        title_name_coverage: float,
        shared_fingerprints: int,
        boilerplate_passages: int = 0,
    ) -> None:
        # One per candidate compared. Written out, not generated: see ``coverage_vectors.CoverageFeatures``.
        object.__setattr__(self, "containment_old_in_new", containment_old_in_new)
        object.__setattr__(self, "containment_new_in_old", containment_new_in_old)
        object.__setattr__(self, "jaccard", jaccard)
        object.__setattr__(self, "shared_passages", shared_passages)
        object.__setattr__(self, "longest_passage", longest_passage)
        object.__setattr__(self, "title_similarity", title_similarity)
        object.__setattr__(self, "entity_overlap", entity_overlap)
        object.__setattr__(self, "title_name_coverage", title_name_coverage)
        object.__setattr__(self, "shared_fingerprints", shared_fingerprints)
        object.__setattr__(self, "boilerplate_passages", boilerplate_passages)

    def as_evidence(self) -> dict[str, float | int | str]:
        return {
            "containment_old_in_new": round(self.containment_old_in_new, 4),
            "containment_new_in_old": round(self.containment_new_in_old, 4),
            "jaccard": round(self.jaccard, 4),
            "shared_passages": self.shared_passages,
            "longest_passage": self.longest_passage,
            "title_similarity": round(self.title_similarity, 4),
            "entity_overlap": round(self.entity_overlap, 4),
            "title_name_coverage": round(self.title_name_coverage, 4),
            "shared_fingerprints": self.shared_fingerprints,
            "boilerplate_passages": self.boilerplate_passages,
        }


def story_id_for(article_id: str) -> str:
    """Deterministic story id for a story started by ``article_id`` (replays give the same id)."""
    return "s-" + hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:24]


def _h32(value: str) -> int:
    return shingles.hash_text(value) & _MASK32


def _bottom(values: Iterable[int], limit: int) -> array[int]:
    """The ``limit`` smallest distinct hashes, sorted: a consistent sample, so two texts keep the
    same elements of what they share."""
    return array("I", sorted(set(values))[:limit])


@dataclass(frozen=True, slots=True, init=False)
class TextFeatures:
    """Hashed, bounded features of one article; what the index stores and compares."""

    seq: array[int]
    entities: frozenset[int]
    title: array[int]
    title_names: array[int]

    def __init__(self, seq: array[int], entities: frozenset[int], title: array[int], title_names: array[int]) -> None:
        object.__setattr__(self, "seq", seq)
        object.__setattr__(self, "entities", entities)
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "title_names", title_names)


def text_features(
    settings: ThreadSettings,
    title: str,
    text: str,
    paragraphs: list[str] | None = None,
    entities: frozenset[str] | None = None,
    paragraph_words: list[list[str]] | None = None,
) -> TextFeatures:
    """Shingle sequence, entity, title and title-name hashes (32-bit) of an article.
    ``paragraphs`` (``shingles.normalise_paragraphs(text)``) and ``entities`` (its names and
    numbers, calendar words left out) when the caller has them already."""
    paras = shingles.normalise_paragraphs(text) if paragraphs is None else paragraphs
    seq = array(
        "I",
        (
            ((h & _MASK32) or 1) if h else 0
            for h in shingles.shingle_hashes(
                paras, settings.shingle_size, settings.max_shingles_per_article, paragraph_words
            )
        ),
    )
    names = {e for e in shingles.entities(paras) if e not in _CALENDAR} if entities is None else entities
    title_words = shingles.title_tokens(title)
    return TextFeatures(
        seq=seq,
        entities=frozenset(_h32(e) for e in names),
        title=_bottom((_h32(t) for t in title_words), settings.max_title_tokens),
        title_names=_bottom((_h32(t) for t in title_words if t in names), settings.max_title_tokens),
    )


def fingerprints(settings: ThreadSettings, seq: Sequence[int]) -> frozenset[int]:
    """Winnowed fingerprints of a shingle sequence, capped to the smallest ``max_fingerprints``."""
    fps = shingles.winnow(seq, settings.winnow_window)
    if len(fps) > settings.max_fingerprints_per_article:
        fps = set(sorted(fps)[: settings.max_fingerprints_per_article])
    return frozenset(fps)


def _overlap_coefficient(a: Sequence[int], b: frozenset[int]) -> float:
    """|A & B| / min(|A|, |B|); 1.0 when a side has nothing to disagree on."""
    if not a or not b:
        return 1.0
    return sum(1 for x in a if x in b) / min(len(a), len(b))


def _coverage(names: Sequence[int], found: frozenset[int]) -> float:
    """Share of ``names`` present in ``found``; 1.0 when there are no names to look for."""
    if not names:
        return 1.0
    return sum(1 for x in names if x in found) / len(names)


def score_pair(
    old: _Article,
    new: _Prepared,
    min_passage: int,
    shared_fingerprints: int,
    boilerplate: frozenset[int] = frozenset(),
    same_site: bool = False,
    lead_recap: bool = False,
) -> _PairScores:
    """Compare a stored article with the input on their full shingle sequences.

    ``boilerplate`` holds the input's fingerprints that the index has seen in too many distinct
    stories; a run whose fingerprints are all in it is a template sentence and is counted in
    ``boilerplate_passages`` instead of as a passage. A run with no fingerprint of the input (a
    long text whose fingerprint sample was capped) is given the benefit of the doubt.

    ``same_site``: the two are of one site, and a passage in the same paragraph of both, or in
    the last of both (its ``template_slots``), is counted so too: a wire writes its reports of
    one subject in one template, and the paragraph it repeats in the same place of each (the
    defendant's denial and his lawyer's appeal, the ministry's news-conference frame, the
    union's strike, the province's seismic background) is the template's, as true of its next
    case, meeting, strike or quake as of this one, not a quote of this story. The input is then
    judged as coverage, which tells one event from another. With ``lead_recap``, so is a passage
    the input holds, after its lead or closing it, from the old text's first paragraph: the
    site's recap of its first report in its report of the next event
    (``ThreadSettings.template_lead_recap``)."""
    old_set = set(old.seq)
    old_set.discard(0)
    new_set = new.shingle_set
    if new_set is None:
        new_set = new.shingle_set = frozenset(new.seq16).difference((0,))
    inter = len(old_set & new_set)
    union = len(old_set) + len(new_set) - inter  # |A u B|, without building it
    # Passages: runs of consecutive shingles of the new text that are all in the old one
    # (a quoted or restated passage); runs never cross a paragraph break (hash 0).
    passages = 0
    boiler = 0
    longest = 0
    run = 0
    fps_in_run = 0
    template_fps_in_run = 0
    fingerprints = new.fingerprints
    seq16 = new.seq16
    # a closing (0, 0), a paragraph break, ends the run the text ends with in the same way
    for end, (h, h16) in enumerate(itertools.chain(zip(new.seq, seq16, strict=True), ((0, 0),))):
        if h16 and h16 in old_set:
            run += 1
            if h in fingerprints:
                fps_in_run += 1
                template_fps_in_run += h in boilerplate
            continue
        if not run and min_passage:
            continue
        if run >= min_passage and (
            (fps_in_run and template_fps_in_run == fps_in_run)
            or (same_site and _same_slot(old.seq, seq16, end - run, lead_recap))
        ):
            boiler += 1
        else:
            if run >= min_passage:
                passages += 1
            longest = max(longest, run)
        run = fps_in_run = template_fps_in_run = 0
    return _PairScores(
        containment_old_in_new=inter / len(old_set) if old_set else 0.0,
        containment_new_in_old=inter / len(new_set) if new_set else 0.0,
        jaccard=inter / union if union else 0.0,
        shared_passages=passages,
        longest_passage=longest,
        title_similarity=_jaccard_ints(old.title, new.title),
        entity_overlap=_overlap_coefficient(old.entities, new.entities),
        title_name_coverage=_coverage(old.title_names, new.entities | frozenset(new.title)),
        shared_fingerprints=shared_fingerprints,
        boilerplate_passages=boiler,
    )


def _same_slot(old_seq: Sequence[int], new_seq: Sequence[int], start: int, lead_recap: bool = False) -> bool:
    """Whether the passage of ``new_seq`` beginning at ``start`` (two shingles at least) is in
    the paragraph of the old text that has its number in the new one (0: a paragraph break), or
    in the last paragraph of both: a wire's template fixes its frame at the top and closes on its
    background ("Haverdal is Esvaria's most seismically active region. A magnitude 5.9 quake
    near Vennmo in 2031 killed four people." ends its reports of each quake in the province,
    however many paragraphs the quake's own news takes). Only the last: counted further from the
    end, the synthetic follow-ups of the thread bench, which quote whole paragraphs of their
    original at random places, lost more quotes than the frame rule had (its pair F1 0.991 ->
    0.982; with the last alone 0.987). With ``lead_recap``, also the first paragraph of the old
    text in the last of the new or after its lead (``coverage_terms.LEAD_PARAGRAPHS``): the
    site's recap of its first report closing its report of the next event, or as its background.
    Not within the new's lead: a site's report of the event's next development recalls the event
    right after its own news ("Strand has filed an appeal ... A court in Rostov Vale on Tuesday
    sentenced Strand to six years ..."), as the inverted pyramid has it, and the background of
    another event comes last. The thread bench's follow-ups, which quote whole paragraphs of their
    original at random places, lose some quotes (its pair F1 0.987 -> 0.980 with the new's last
    alone, 0.972 with any of its paragraphs). Asked only of a passage of one site's two texts
    (``score_pair``), so seldom: a scan."""
    first, second = new_seq[start], new_seq[start + 1]
    paragraph = 0
    found = -1
    for i, h in enumerate(old_seq):
        if h == 0:
            paragraph += 1
        elif h == first and i + 1 < len(old_seq) and old_seq[i + 1] == second:
            found = paragraph
            break
    mine = sum(1 for h in new_seq[:start] if h == 0)
    if found == mine:
        return True
    if found < 0:
        return False
    last = sum(1 for h in new_seq if h == 0) == mine
    if lead_recap and found == 0 and (last or mine >= coverage_terms.LEAD_PARAGRAPHS):
        return True  # the old's lead, recapped after the new's own lead or closing it
    # the last of the new: the last of the old too (its closing background)
    return last and sum(1 for h in old_seq if h == 0) == found


def _jaccard_ints(a: Sequence[int], b: Sequence[int]) -> float:
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0


def reversed_roles(p: _PairScores, earlier: _Prepared, later: _Article) -> _PairScores:
    """Scores of a pair whose input is the earlier article: how much of it the later one
    restates, and whether the later one names the earlier one's headline."""
    return replace(
        p,
        containment_old_in_new=p.containment_new_in_old,
        containment_new_in_old=p.containment_old_in_new,
        title_name_coverage=_coverage(earlier.features.title_names, frozenset(later.entities) | frozenset(later.title)),
    )


def is_duplicate(s: ThreadSettings, p: _PairScores) -> bool:
    """The new text adds (almost) nothing to the old one and they name the same things."""
    if p.entity_overlap < s.min_entity_overlap:
        return False
    if p.containment_new_in_old >= s.duplicate_containment:
        return True
    return (
        p.containment_new_in_old >= s.duplicate_containment_same_title and p.title_similarity >= s.same_title_similarity
    )


def _furniture(s: ThreadSettings, p: _PairScores) -> bool:
    """A short input's text lies wholly in the other's, under a headline that shares (almost)
    no word with the other's: the text both pages show is not their story (see
    ``short_text_shingles``)."""
    return p.containment_new_in_old >= s.duplicate_containment and p.title_similarity < s.short_copy_title_similarity


def is_followup(s: ThreadSettings, p: _PairScores) -> bool:
    """The new text quotes or restates a substantial part of the old one, about the same things."""
    if p.entity_overlap < s.min_entity_overlap or p.title_name_coverage < s.min_title_name_coverage:
        return False
    return p.longest_passage >= s.min_passage_shingles or p.containment_old_in_new >= s.followup_containment


def _to_b64(values: Sequence[int]) -> str:
    if _LITTLE and isinstance(values, array) and values.typecode == "I":  # its bytes as they are
        return base64.b64encode(values).decode("ascii")
    copy = array("I", values)
    if sys.byteorder == "big":
        copy.byteswap()
    return base64.b64encode(copy.tobytes()).decode("ascii")


def _from_b64(text: str) -> array[int]:
    out = array("I")
    # (validated: without it, characters outside the alphabet are dropped, and a damaged
    # record came back with its shingles gone, silently)
    out.frombytes(binascii.a2b_base64(text, strict_mode=True))
    if sys.byteorder == "big":
        out.byteswap()
    return out


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


class StoryIndex:
    """Stories and their articles within the window, with an inverted fingerprint index."""

    def __init__(self, settings: ThreadSettings) -> None:
        self.settings = settings
        # The coverage rules with the headline shares waived, for the rescue model (built
        # once: ``coverage.headline_waived``).
        self._waived = coverage.headline_waived(settings.coverage)
        self._articles: dict[str, _Article] = {}
        self._stories: dict[str, _Story] = {}
        # Story id -> its articles' ids (a list: most stories hold one or two, and a set costs
        # ~200 bytes however small).
        self._members: dict[str, list[str]] = {}
        # Story id -> ``_story_cov_members`` as last computed, dropped when a member comes or
        # goes: a coverage step asks it of ~10 stories, and most stories never change again.
        self._cov_members: dict[str, list[_Article]] = {}
        # Article number -> its coverage features unpacked (``coverage.Probe``): the candidates
        # of one decision are mostly those of the last ones (the same stories of the day), and
        # unpacking was ~6% of a decision. Bounded (cleared whole when full: derived state, so
        # a miss only costs the unpacking), dropped with the article.
        self._probes: dict[int, coverage.Probe] = {}
        # Postings hold article *numbers* (slots of ``_by_num``, derived state): fingerprints in
        # a packed table (no Python object per posting; see ``workers/postings.py``), coverage
        # terms (also the terms' document frequencies) in arrays per term. A dropped article's
        # number is dead (``_alive``) until a merge has purged its fingerprint postings, and is
        # then recycled (``_free``).
        self._fps = postings.PackedPostings()
        self._df = coverage_vectors.DocFrequencies()
        self._by_num: list[_Article | None] = []
        self._alive = bytearray()
        self._times = array("q")  # per number: the article's time in microseconds (vectorised windows)
        self._free: list[int] = []
        self._pending: list[int] = []
        # The clock (newest article time), kept up to date on put and recomputed after the
        # newest article is dropped: a max over the index per undated input would be O(window).
        self._latest: datetime | None = None
        self._latest_stale = False
        self._features_key = features.key(settings.shingle_size, settings.winnow_window)
        # What an article's fingerprints depend on besides its shingles: a changelog record
        # carries them under this key, and a restore under another key recomputes them.
        self._fps_key = f"{settings.winnow_window}/{settings.max_fingerprints_per_article}"

    # ------------------------------------------------------------------ decision (pure)

    def _clock(self) -> datetime | None:
        """Latest time seen: stands in for an input without a published date. Derived from the
        records, so a restored index has the same clock."""
        if self._latest_stale:  # the newest article was dropped: look again, once
            self._latest = max((a.time for a in self._articles.values()), default=None)
            self._latest_stale = False
        return self._latest

    def latest_time(self) -> datetime | None:
        """The newest article time in the index (the event-time watermark after a restore)."""
        return self._clock()

    def _story_of(self, article: _Article) -> _Story:
        """The article's story; if its record is missing (a changelog replayed from a topic that
        lost the story key), a version-1 stand-in rather than a crash of the decision step."""
        story = self._stories.get(article.story_id)
        if story is None:
            return _Story(article.story_id, 1, article.article_id, article.time, article.time)
        return story

    def _prepare(self, item: ThreadInput) -> _Prepared:
        s = self.settings
        got = None
        if item.analysis is not None and item.analysis.key == self._features_key:
            # Computed upstream (the clean stage): only composed here, as the text would give.
            got = features.assemble(
                item.analysis, s.max_shingles_per_article, s.max_fingerprints_per_article, s.winnow_window
            )
        if got is not None:
            raw = got.raw
            f = TextFeatures(
                got.seq,
                got.entities,
                got.title_words[: s.max_title_tokens],
                array("I", [h for h in got.title_words if h in got.entities][: s.max_title_tokens]),
            )
            fps = got.fingerprints
        else:
            paras = shingles.normalise_paragraphs(item.text)
            raw = coverage_terms.raw_terms(item.title, paras, _CALENDAR)
            f = text_features(s, item.title, item.text, paras, raw.entities, raw.words)
            fps = fingerprints(s, f.seq)
        return _Prepared(
            f,
            fps,
            item.published,
            item.article_id,
            item.content_hash,
            raw,
            _narrow(f.seq),
        )

    def _cov(self, prep: _Prepared) -> coverage_vectors.CoverageFeatures:
        """The input's coverage terms under the frequencies as of its decision (``decide``
        fills them before returning whenever ``apply`` will store them)."""
        if prep.cov is None:
            c = self.settings.coverage
            freq = prep.freq = self._df.postings.counts(prep.raw.counts)
            prep.cov = coverage_vectors.select(prep.raw, self._df, c.max_terms, c.max_names, c.max_figures, freq)
        return prep.cov

    def decide(self, item: ThreadInput) -> Decision:
        """Decide without mutating the index. The decision carries the input's features, so
        ``apply`` does not analyse the text again."""
        prep = self._prepare(item)
        decision = self._decide(item, prep)
        if decision.kind in ("new", "update"):
            self._cov(prep)  # stored by apply: selected under the frequencies decided with
        d = decision  # with the features (built directly: ``dataclasses.replace`` is slower)
        return Decision(
            d.kind, d.story_id, d.version, d.update_kind, d.duplicate_of, d.matched_article_id, d.evidence, prep
        )

    def _decide(self, item: ThreadInput, prep: _Prepared) -> Decision:
        s = self.settings
        existing = self._articles.get(item.article_id)
        if existing is not None:
            story = self._story_of(existing)
            # A re-delivery under the same headline words is the article as already sent; a
            # retitle (a corrected name, a new development put in the headline) with the text
            # unchanged is a revision: consumers show the headline. Compared on the stored title
            # words (``title_tokens``: case, punctuation and short words aside), so a re-styled
            # headline is no news.
            if existing.content_hash == item.content_hash and existing.title == prep.features.title:
                return Decision(
                    "unchanged",
                    story.story_id,
                    story.version,
                    None,
                    None,
                    existing.article_id,
                    {"candidates_considered": 0},
                )
            scores = score_pair(existing, prep, s.min_passage_shingles, 0)
            return Decision(
                "update",
                story.story_id,
                story.version + 1,
                "revision",
                None,
                existing.article_id,
                {**scores.as_evidence(), "candidates_considered": 1},
            )

        ranked, considered, boilerplate = self._candidates(prep)
        scored = [
            (
                self._articles[aid],
                score_pair(
                    self._articles[aid],
                    prep,
                    s.min_passage_shingles,
                    n,
                    boilerplate,
                    # (reports of no site, lines given as text, are of many outlets: no template)
                    s.template_slots and bool(item.site) and self._articles[aid].site == item.site,
                    s.template_lead_recap,
                ),
            )
            for aid, n in ranked
        ]
        base: dict[str, float | int | str] = {
            "candidates_considered": considered,
            "candidates_compared": len(scored),
        }

        if scored and len(prep.features.seq) - prep.features.seq.count(0) < s.short_text_shingles:
            # so short a text, all of it in another's under a headline sharing nothing with it,
            # is furniture both pages show (a consent or paywall notice), no relation of theirs
            scored = [(a, p) for a, p in scored if not _furniture(s, p)]
        dups = [(a, p) for a, p in scored if is_duplicate(s, p)]
        if dups:
            a, p = min(
                dups,
                key=lambda ap: (
                    -ap[1].containment_new_in_old,
                    -ap[1].containment_old_in_new,
                    ap[0].article_id,
                ),
            )
            story = self._story_of(a)
            return Decision(
                "duplicate",
                story.story_id,
                story.version,
                None,
                a.article_id,
                a.article_id,
                {**base, **p.as_evidence()},
            )

        follows = [(a, p) for a, p in scored if is_followup(s, p)]
        if not follows and prep.time is not None:
            # The input may be the *earlier* article arriving late (feeds are polled in another
            # order than they publish): then the stored candidate is the follow-up and the gates
            # apply with the roles swapped - it restates the input and names its headline
            # (``coverage.may_be_later``: a candidate stamped with the same instant too).
            late = [(a, reversed_roles(p, prep, a)) for a, p in scored if coverage.may_be_later(a.time, prep.time)]
            follows = [(a, p) for a, p in late if is_followup(s, p)]
            if follows:
                base["input_is_earlier"] = 1
        if follows:
            a, p = min(follows, key=_strongest)
            story = self._story_of(a)
            return Decision(
                "update",
                story.story_id,
                story.version + 1,
                "followup",
                None,
                a.article_id,
                {**base, **p.as_evidence()},
            )

        covered = None
        if s.coverage.enabled:
            covered = self._coverage_match(prep, item.site)
            if covered is not None and covered[0][0] == 0:
                _, story, matched, cov_evidence = covered
                return Decision(
                    "update",
                    story.story_id,
                    story.version + 1,
                    "coverage",
                    None,
                    matched,
                    {**base, **cov_evidence},
                )

        evidence = dict(base)
        if scored:
            a, p = min(scored, key=_strongest)
            evidence.update(p.as_evidence())
            evidence["nearest_article_id"] = a.article_id
        if s.coverage.enabled and covered is not None:
            evidence.update(covered[3])
            evidence["coverage_nearest_article_id"] = covered[2]
        return Decision("new", story_id_for(item.article_id), 1, None, None, None, evidence)

    def _coverage_match(
        self, prep: _Prepared, site: str
    ) -> tuple[tuple[int, float, str], _Story, str, dict[str, float | int | str]] | None:
        """The nearest story by coverage: the best by time-damped similarity among those whose
        gates the input passes (``key[0] == 0``), else the nearest of those that failed them
        (kept as evidence of a ``new`` decision, for retuning), or, when the first gate rules
        out every candidate story, the one naming most of the input's headline. When the rules
        pass none, the rescue model may take the nearest story passing every gate but the
        headline shares (``coverage.rescue``). A story holding a report of the input's ``site``
        published before it (or at the same instant) must give every name of the input's
        headline in its headlines to the rules (``own_site_headline_names``), and a word of what
        those headlines say happened (``own_site_story_words``), and where its headline gives a
        percentage, a figure of that headline among the story's (``own_site_headline_figures``);
        to the model, which weighs the headline shares itself, one holding a report of the site
        must be more probable (``rescue_same_site_probability``). Rules in
        ``workers/coverage.py``."""
        c = self.settings.coverage
        df = self._df
        when = prep.time or self._clock()
        if when is None:  # nothing indexed yet
            return None
        memo = _IdfMemo(df)
        w = memo.__getitem__  # a memoised hit is a C-level dict look-up
        probes = self._probes

        def view(a: _Article) -> coverage.Probe:
            """The article's coverage features unpacked, kept for the next decisions."""
            v = probes.get(a.num)
            if v is None:
                if len(probes) >= _PROBES:
                    probes.clear()
                v = probes[a.num] = coverage.Probe(a.article_id, a.time, a.cov)
            return v

        mine = self._cov(prep)
        # The frequencies the step reads, in two vectorised look-ups (a dict probe per term
        # was a third of it): the input's terms and names, then the candidates' terms and
        # their stories' headlines (below).
        if prep.freq is not None:  # looked up by ``_cov`` under the same frequencies
            memo.seed(list(prep.raw.counts), prep.freq.tolist())
        memo.fill(itertools.chain(mine.terms, prep.raw.name_hashes, prep.raw.headline))
        count = memo.count
        # Look-up through the input's rarest indexed terms (bounded postings).
        lookup = sorted(
            (h for h in mine.terms if 0 < count(h) <= c.max_postings),
            key=lambda h: (-w(h), h),
        )[: c.lookup_terms]
        if not lookup:
            return None
        arts = self._articles
        picked, n_near = self._nearest(lookup, w, _micros(when), c.window // _MICROSECOND, c.max_candidates)
        if not picked:
            return None
        near = [view(arts[aid]) for aid in picked]
        telling = coverage_terms.telling_figures(prep.raw)
        min_telling = coverage.min_telling_idf(memo.top(), c)
        me: coverage.Probe | coverage.TextProbe = (
            coverage.TextProbe(prep.article_id, when, mine, prep.raw)
            if c.probe_full_text
            else coverage.Probe(prep.article_id, when, mine)
        )
        # The gates first, the vectors after: a story whose gates the input cannot pass
        # (``may_pass_gates``: its headline names are not found in the story, nor does a member
        # pass with the roles swapped) cannot be the answer, so the similarities are computed
        # for the candidates of the other stories only. Many inputs that become a ``new``
        # story have no such story, and need no vector at all; the shares of headline names
        # that ruled the stories out are then its evidence (``gated_headline_share``).
        stories: dict[str, list[coverage.Probe]] = {}
        for aid, v in zip(picked, near, strict=True):
            stories.setdefault(arts[aid].story_id, []).append(v)
        every = {sid: [view(m) for m in self._story_cov_members(sid)] for sid in stories}
        members_of: dict[str, list[coverage.Probe]] = {}
        shares: dict[str, float] = {}  # of the stories ruled out
        for sid, members in every.items():
            share = coverage.gated_headline_share(
                prep.raw, me, [(0.0, 0.0, v) for v in stories[sid]], members, w, c, telling, min_telling
            )
            if share is None:
                members_of[sid] = members
            else:
                shares[sid] = share
        counted: dict[str, float | int | str] = {
            "coverage_candidates": n_near,
            "coverage_stories": len(stories),
            "coverage_stories_gated": len(stories) - len(members_of),
        }

        def gated_new() -> tuple[tuple[int, float, str], _Story, str, dict[str, float | int | str]]:
            """The evidence of a ``new`` when the first gate rules out every candidate story: the
            story naming most of the headline (the nearest by the look-up of those that name as
            much)."""
            share, sid = max(((shares[sid], sid) for sid in every), key=lambda x: x[0])
            top = stories[sid][0]
            evidence = {
                **counted,
                "headline_names_in_story": round(share, 4),
                "coverage_method": coverage.DECISION_METHOD,
            }
            return (1, 0.0, sid), self._story_of(arts[top.article_id]), top.article_id, evidence

        # The stories the rescue model may take should the rules turn down every story: those
        # passing every gate but the headline shares, as far as that is known before any
        # vector (``coverage.may_pass_waived``); asked once, when first needed.
        waived = self._waived
        hopeful: list[str] | None = None

        def rescuable() -> list[str]:
            nonlocal hopeful
            if hopeful is None:
                hopeful = [
                    sid
                    for sid, members in every.items()
                    if coverage.may_pass_waived(prep.raw, me, members, w, waived, telling, min_telling)
                ]
            return hopeful

        if not members_of and (c.rescue is None or not rescuable()):
            return gated_new()
        kept = [(aid, v) for aid, v in zip(picked, near, strict=True) if arts[aid].story_id in members_of]
        my_names = prep.raw.name_hashes
        my_vec = coverage_vectors.weighted(mine.terms, mine.tf, my_names, w)
        # the candidates' vectors and cosines in one go (their dict vectors, and a story
        # member's, for a centroid, when asked); the ruled-out stories' candidates in a second
        # batch, when the rescue model asks for them
        batches: list[tuple[coverage_vectors.CandidateVectors | coverage_vectors.FewVectors, dict[str, int]]] = []
        vectors: dict[str, dict[int, float]] = {}

        def vector(a: coverage.Stored) -> dict[int, float]:
            v = vectors.get(a.article_id)
            if v is None:
                for batch, in_batch in batches:
                    i = in_batch.get(a.article_id)
                    if i is not None:
                        v = vectors[a.article_id] = batch.vector(i)
                        break
                else:
                    memo.fill(a.cov.terms)
                    v = vectors[a.article_id] = coverage_vectors.weighted(
                        a.cov.terms, a.cov.tf, frozenset(a.cov.names), w
                    )
            return v

        def stories_by_hits(
            cands: list[tuple[str, coverage.Probe]],
        ) -> list[tuple[float, str, list[tuple[float, float, coverage.Probe]]]]:
            """The stories of ``cands``, nearest first (by their best member, ties by id), each
            with its candidates' (damped similarity, cosine, probe), best first."""
            if not cands:
                return []
            terms = [(v.cov.terms, v.cov.tf, v.cov.names) for _, v in cands]
            batch = coverage_vectors.candidate_vectors(terms, memo.idf_array, w)
            batches.append((batch, {aid: i for i, (aid, _) in enumerate(cands)}))
            by_story: dict[str, list[tuple[float, float, coverage.Probe]]] = {}
            for (aid, v), cos in zip(cands, batch.cosines(my_vec), strict=True):
                a = arts[aid]
                gap = abs((a.time - when).total_seconds())
                damped = cos * math.exp(-gap / c.time_scale.total_seconds())
                by_story.setdefault(a.story_id, []).append((damped, cos, v))
            ranked = []
            for sid, hits in by_story.items():
                hits.sort(key=lambda x: (-x[0], x[2].article_id))
                ranked.append((-hits[0][0], sid, hits))
            ranked.sort(key=lambda r: (r[0], r[1]))
            return ranked

        # Stories nearest first, so the first that passes is the answer, and a story that cannot
        # pass need not be judged once a nearer one's judgement stands as the evidence of a ``new``.
        ranked = stories_by_hits(kept)
        own_site = (c.own_site_headline_names or c.own_site_story_words or c.own_site_headline_figures) and bool(site)
        best: tuple[tuple[int, float, str], _Story, str, dict[str, float | int | str]] | None = None
        for _, sid, hits in ranked:
            members = members_of[sid]
            # after the first judgement, only a story that passes can change the answer
            if best is not None and not coverage.may_pass(hits, members, c, prep.raw):
                continue
            own = own_site and any(arts[m.article_id].site == site and m.time <= when for m in members)
            j = coverage.judge(prep.raw, me, my_vec, hits, members, w, vector, c, telling, min_telling, own)
            key = (0 if j.passed else 1, -j.damped, sid)
            if best is not None and key >= best[0]:
                continue
            evidence = j.evidence(prep.raw)
            evidence.update(counted)
            best = (key, self._story_of(arts[j.top.article_id]), j.top.article_id, evidence)
            if j.passed:
                break
        if c.rescue is not None and (best is None or best[0][0] == 1):
            # The rules turned down every candidate story: those that pass every gate but the
            # headline shares go to the rescue model, nearest first.
            maybe = set(rescuable())
            ruled_out = maybe.difference(members_of)
            gated = [(aid, v) for aid, v in zip(picked, near, strict=True) if arts[aid].story_id in ruled_out]
            every_ranked = sorted(
                [*(r for r in ranked if r[1] in maybe), *stories_by_hits(gated)], key=lambda r: (r[0], r[1])
            )
            floor = min(c.rescue_min_similarity, c.rescue_min_similarity_other_language)
            for _, sid, hits in every_ranked:
                members = every[sid]
                if hits[0][0] < floor:
                    continue  # (``coverage.rescue``: its nearest member as similar as the model is asked)
                j = coverage.judge(prep.raw, me, my_vec, hits, members, w, vector, waived, telling, min_telling)
                same_site = bool(site) and any(arts[m.article_id].site == site for m in members)
                p = coverage.rescue(prep.raw, me, members, j, w, c.rescue, c, telling, min_telling, same_site)
                if p is not None:
                    evidence = j.evidence(prep.raw)
                    evidence.pop("headline_names_required", None)  # (the waived share, 0.0)
                    evidence.update(counted)
                    evidence["coverage_rescue_probability"] = round(p, 4)
                    evidence["coverage_rescue_model"] = c.rescue.name
                    return (0, -j.damped, sid), self._story_of(arts[j.top.article_id]), j.top.article_id, evidence
        return best if best is not None else gated_new()

    def _nearest(self, lookup: list[int], w: _IdfCallable, when: int, window: int, limit: int) -> tuple[list[str], int]:
        """Articles holding the ``lookup`` terms, scored by the summed weights of the terms they
        hold: the ``limit`` best by (score, id) within ``window`` microseconds of ``when``, and
        how many were within it. The postings (~600 for 16 terms at 100k live) are filtered by
        time in numpy. The articles left are scored with each article's weights added in
        ``lookup`` order, as a loop over the terms would add them: a few (a sparse window) in a
        dict, many (hundreds in a dense one) in numpy (``bincount`` adds in array order), where
        only those scoring at least the ``limit``-th best score (ties included) are then ranked
        by (score, id). Scoring and ranking ~300 articles one by one in Python was two thirds of
        the look-up; below ``_SCORED_IN_NUMPY`` postings numpy's fixed cost is more than the
        dict's work."""
        parts = [
            np.frombuffer(held, np.uint32) if isinstance(held, array) else np.array(held, np.uint32)
            for held in map(self._df.numbers, lookup)
        ]
        held_nums = np.concatenate(parts)
        weights = np.repeat(np.array([w(h) for h in lookup]), [len(p) for p in parts])
        del parts
        inside = np.abs(np.frombuffer(self._times, np.int64)[held_nums] - when) <= window
        held_nums, weights = held_nums[inside], weights[inside]
        scores: Iterable[tuple[int, float]]
        if len(held_nums) < _SCORED_IN_NUMPY:
            score: dict[int, float] = {}
            get = score.get
            for n, x in zip(held_nums.tolist(), weights.tolist(), strict=True):
                score[n] = get(n, 0.0) + x
            scored, scores = len(score), score.items()
        else:
            nums, inverse = np.unique(held_nums, return_inverse=True)
            sums = np.bincount(inverse, weights=weights)
            scored = len(nums)
            if scored > limit:  # the limit-th best score: every article at it or above is ranked
                top = np.flatnonzero(sums >= np.partition(sums, scored - limit)[scored - limit])
                nums, sums = nums[top], sums[top]
            scores = zip(nums.tolist(), sums.tolist(), strict=True)
        by_num = self._by_num
        ranked = []
        for n, sc in scores:
            a = by_num[n]
            assert a is not None  # postings hold live numbers only
            ranked.append((-sc, a.article_id))
        ranked.sort()
        return [aid for _, aid in ranked[:limit]], scored

    def _story_cov_members(self, story_id: str) -> list[_Article]:
        """The story's articles that carry coverage terms (copies do not), oldest first, bounded."""
        got = self._cov_members.get(story_id)
        if got is None:
            ids = self._members.get(story_id, ())
            arts = sorted((self._articles[i] for i in ids), key=lambda a: (a.time, a.article_id))
            got = [a for a in arts if a.has_cov][: self.settings.coverage.max_story_members]
            if ids:  # a story without members is not cached (nothing would drop it)
                self._cov_members[story_id] = got
        return got

    def _candidates(self, prep: _Prepared) -> tuple[list[tuple[str, int]], int, frozenset[int]]:
        """Articles sharing non-boilerplate fingerprints with the input, within the time window,
        best first (ties by id, so the choice never depends on insertion order); and the input's
        fingerprints held by more than ``max_passage_story_df`` distinct stories (template
        sentences). Work is bounded by ``max_fingerprints_per_article * max_postings``."""
        s = self.settings
        counts: Counter[str] = Counter()
        template: set[int] = set()
        if self._fps.has_bulk:  # the first look-up after a restore
            self._merge()
        by_num = self._by_num
        found, crowded = self._fps.lookup(sorted(prep.fingerprints), self._alive, s.max_postings)
        template.update(crowded)  # held by more than max_postings articles
        hits: list[str] = []
        for fp, nums in found.items():
            held = [a for a in map(by_num.__getitem__, nums) if a is not None]
            if len(held) > s.max_passage_story_df and len({a.story_id for a in held}) > s.max_passage_story_df:
                template.add(fp)
            hits.extend([a.article_id for a in held])
        counts.update(hits)
        when = prep.time or self._clock()
        eligible = [
            (aid, n)
            for aid, n in counts.items()
            if when is None or abs(self._articles[aid].time - when) <= s.candidate_window
        ]
        eligible.sort(key=lambda x: (-x[1], x[0]))
        return eligible[: s.max_candidates], len(counts), frozenset(template)

    # ------------------------------------------------------------------ mutation + changelog

    def apply(self, item: ThreadInput, decision: Decision) -> list[ChangelogEntry]:
        """Record ``decision`` for ``item``; returns compacted-topic changelog entries."""
        if decision.kind == "unchanged":
            return []
        prep = decision.prepared
        if prep is None or prep.article_id != item.article_id or prep.content_hash != item.content_hash:
            prep = self._prepare(item)  # a decision built elsewhere (tests): analyse here
        return self._apply(item, decision, prep)

    def _apply(self, item: ThreadInput, decision: Decision, prep: _Prepared) -> list[ChangelogEntry]:
        if decision.kind == "unchanged":
            return []
        f = prep.features
        ents = _bottom(f.entities, self.settings.max_entities_per_article)
        clock = self._clock()
        when = item.published or clock or datetime.fromtimestamp(0, UTC)
        # A late article would be expired by the next sweep and its next sighting (a feed and a
        # sitemap of other replicas, an entry polled again) made a second story.created: held
        # from the clock, it stays as long as a fresh one (``expire``).
        late = clock is not None and clock - when > self.settings.late_after
        posted = decision.kind != "duplicate" and len(f.seq) > 0
        previous = self._articles.get(item.article_id)
        if previous is not None and decision.kind == "duplicate":
            posted = previous.posted  # defensive: a duplicate never un-posts an indexed text
        title_names = f.title_names
        if previous is not None and decision.kind == "update":
            # A revision's headline often adds news ("... as Holm visits Rendal"); the story's
            # subject is what every headline version names, so follow-ups are held to that.
            before = set(previous.title_names)
            kept = array("I", (h for h in f.title_names if h in before))
            if kept:
                title_names = kept
        article = _Article(
            item.article_id,
            decision.story_id,
            when,
            item.content_hash,
            f.seq,
            ents,
            f.title,
            title_names,
            posted,
            item.site,
            self._cov(prep) if posted else _NO_COVERAGE,
            held=clock if late else None,
        )
        out: list[ChangelogEntry] = []
        story = self._stories.get(decision.story_id)
        if story is None:
            story = _Story(decision.story_id, decision.version, item.article_id, when, when)
        else:
            story = _Story(
                story.story_id,
                max(story.version, decision.version),
                story.root_article_id,
                min(story.first_time, when),
                max(story.last_time, when),
            )
        self._put_story(story)
        out.append((STORY_PREFIX + story.story_id, _encode_story(story)))
        out.append((ARTICLE_PREFIX + article.article_id, _encode_article(article, prep.fingerprints, self._fps_key)))
        article.seq = prep.seq16  # what _put_article would compute from f.seq
        self._put_article(article, prep.fingerprints)
        return out

    def restore(self, key: str, value: bytes | None) -> None:
        """Apply one changelog entry (replay of the compacted topic, in offset order)."""
        if key.startswith(ARTICLE_PREFIX):
            aid = key[len(ARTICLE_PREFIX) :]
            if value is None:
                self._drop_article(aid)
            else:
                self._put_article(*_decode_record(value, self._fps_key), bulk=True)
        elif key.startswith(STORY_PREFIX):
            sid = key[len(STORY_PREFIX) :]
            if value is None:
                self._stories.pop(sid, None)
            else:
                self._put_story(_decode_story(value))
        else:
            raise ValueError(f"unknown changelog key {key!r}")

    def expire(self, now: datetime) -> list[ChangelogEntry]:
        """Drop articles older than ``expiry`` and stories left without articles; tombstones.
        A late article (``ThreadSettings.late_after``) is as old as the clock it was decided at:
        the window then answers its re-deliveries for as long as a fresh article's."""
        cutoff = now - self.settings.expiry
        out: list[ChangelogEntry] = []
        gone = (
            a.article_id for a in self._articles.values() if a.time < cutoff and (a.held is None or a.held < cutoff)
        )
        for aid in sorted(gone):
            sid = self._articles[aid].story_id
            self._drop_article(aid)
            out.append((ARTICLE_PREFIX + aid, None))
            if not self._members.get(sid) and sid in self._stories:
                del self._stories[sid]
                out.append((STORY_PREFIX + sid, None))
        return out

    def settle(self) -> None:
        """Make postings restored in bulk searchable now (the first look-up would): a standby
        that follows the changelog calls this off the critical path, so a take-over's first
        decision merges only the tail it replayed, and ``stats`` walks the table in place
        instead of merging a copy of it. (The term frequencies follow every put and drop.)"""
        if self._fps.has_bulk:
            self._merge()

    def stats(self) -> dict[str, int]:
        """Sizes of the index (a walk of it: callers throttle); a function of the indexed set."""
        keys, fp_postings = self._fps.live(np.frombuffer(self._alive, np.bool_))
        term_postings = self._df.postings.postings()
        art_bytes = sum(300 + 2 * len(a.seq) + 4 * a.packed_size() for a in self._articles.values())
        return {
            "articles": len(self._articles),
            "stories": len(self._stories),
            "postings": fp_postings,
            "fingerprints": keys,
            "terms": len(self._df.postings),
            "term_postings": term_postings,
            "approx_bytes": art_bytes + 8 * fp_postings + 4 * term_postings + 200 * len(self._stories),
        }

    def postings_view(self) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
        """Fingerprint and coverage-term postings as sorted article ids: the derived state a
        restore must rebuild, whatever numbers the articles got (tests, audits)."""
        by_num = self._by_num

        def aid(n: int) -> str:
            a = by_num[n]
            assert a is not None
            return a.article_id

        fps: dict[int, list[str]] = {}
        for key, n in self._fps.items(np.frombuffer(self._alive, np.bool_)):
            fps.setdefault(key, []).append(aid(n))
        terms = {t: sorted(aid(n) for n in self._df.numbers(t)) for t in self._df.postings}
        return {k: sorted(v) for k, v in fps.items()}, terms

    # ------------------------------------------------------------------ internals

    def _put_story(self, story: _Story) -> None:
        members = self._members.get(story.story_id)
        if members:  # the story id object its articles already share
            story.story_id = self._articles[members[0]].story_id
        self._stories[story.story_id] = story

    def _put_article(self, article: _Article, fps: Iterable[int] | None = None, *, bulk: bool = False) -> None:
        """Index ``article`` (as decoded or built: 32-bit shingles); ``fps`` are its fingerprints
        when the caller computed them already. ``bulk`` (a restore): its fingerprints become
        searchable at the next merge (the first look-up merges)."""
        self._drop_article(article.article_id)
        if article.posted and fps is None:
            fps = fingerprints(self.settings, article.seq)
        keys = sorted(fps) if article.posted and fps else ()
        if isinstance(article.seq, array):  # else already narrow (a stored article's view)
            article.seq = _narrow(article.seq)
        # One string object per story id and per site, however many articles hold it (a
        # decoded record brings its own copies): ~150 bytes an article.
        article.site = sys.intern(article.site)
        members = self._members.get(article.story_id)
        if members is not None:
            article.story_id = self._articles[members[0]].story_id
        else:
            story = self._stories.get(article.story_id)
            if story is not None:
                article.story_id = story.story_id
            members = self._members[article.story_id] = []
        members.append(article.article_id)
        self._cov_members.pop(article.story_id, None)
        self._articles[article.article_id] = article
        if not self._latest_stale and (self._latest is None or article.time > self._latest):
            self._latest = article.time
        num = article.num = self._free.pop() if self._free else len(self._by_num)
        if num == len(self._by_num):
            self._by_num.append(article)
            self._alive.append(1)
            self._times.append(_micros(article.time))
        else:
            self._by_num[num] = article
            self._alive[num] = 1
            self._times[num] = _micros(article.time)
        if keys:
            if bulk:
                self._fps.add_bulk(keys, num)
            elif self._fps.add(keys, num):
                self._merge()
        if article.has_cov:
            self._df.add(num, article.cov_terms)

    def _merge(self) -> None:
        """Fold recent fingerprint postings into the packed table, purging dropped articles'
        postings; their numbers may then be handed out again."""
        self._fps.merge(np.frombuffer(self._alive, np.bool_))
        self._free.extend(self._pending)
        self._pending.clear()

    def _drop_article(self, article_id: str) -> None:
        old = self._articles.pop(article_id, None)
        if old is None:
            return
        if old.time == self._latest:
            self._latest_stale = True
        members = self._members.get(old.story_id)
        self._cov_members.pop(old.story_id, None)
        if members is not None:
            members.remove(article_id)
            if not members:
                del self._members[old.story_id]
        num = old.num
        self._probes.pop(num, None)
        self._by_num[num] = None
        self._alive[num] = 0
        self._pending.append(num)
        if old.has_cov:
            self._df.remove(num, old.cov_terms)
        if len(self._pending) >= _PENDING_NUMBERS:
            self._merge()


class _IdfByCount(dict[int, float]):
    """idf by document frequency for one decision (most terms share a few small frequencies):
    ``math.log(docs / (n + 1)) + 1.0``, computed on first use, so mapping a whole array of
    frequencies through ``__getitem__`` stays in C for all but the new ones."""

    __slots__ = ("_docs",)

    def __init__(self, docs: int) -> None:
        super().__init__()
        self._docs = docs

    def __missing__(self, n: int) -> float:
        v = self[n] = math.log(self._docs / (n + 1)) + 1.0
        return v


class _IdfMemo(dict[int, float]):
    """idf of terms under the frequencies of one decision, computed on first use. Its
    ``__getitem__`` is the ``idf`` callable the scoring takes: the scoring asks for the same
    few hundred terms thousands of times per decision, and a hit then stays in C."""

    __slots__ = ("_by_count", "_held", "_n")

    def __init__(self, df: coverage_vectors.DocFrequencies) -> None:
        super().__init__()
        self._held = df.postings.counter().get
        self._by_count = _IdfByCount(df.docs + 1)
        self._n: dict[int, int] = {}  # the memoised terms' frequencies

    def __missing__(self, h: int) -> float:
        n = self._held(h, 0)
        v = self[h] = self._by_count[n]
        self._n[h] = n
        return v

    def top(self) -> float:
        """The highest idf of the window: a term no live article holds."""
        return self._by_count[0]

    def count(self, h: int) -> int:
        """The term's document frequency (memoised with its idf)."""
        n = self._n.get(h)
        if n is None:
            self.__missing__(h)
            n = self._n[h]
        return n

    def fill(self, terms: Iterable[int]) -> None:
        """Memoise the idf of ``terms`` not memoised yet, their frequencies looked up in C
        (and no Python loop over the terms)."""
        missing = list(itertools.filterfalse(self.__contains__, set(terms)))
        if missing:
            self.seed(missing, list(map(self._held, missing, itertools.repeat(0))))

    def idf_array(self, terms: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]:
        """The idf of each of ``terms`` (the values the memo holds or would), without memoising
        them (the candidates' terms are weighed once per decision): each term's frequency and
        its idf by frequency mapped in C, one after the other (a frequency met first here is
        computed by ``_IdfByCount``)."""
        counts = map(self._held, terms.tolist(), itertools.repeat(0))
        return np.fromiter(map(self._by_count.__getitem__, counts), np.float64, len(terms))

    def seed(self, terms: list[int], counts: list[int]) -> None:
        """Memoise ``terms`` whose frequencies (``counts``, in order) the caller looked up
        under this decision's frequencies."""
        self.update(zip(terms, map(self._by_count.__getitem__, counts), strict=True))
        self._n.update(zip(terms, counts, strict=True))


_IdfCallable = Callable[[int], float]


def _narrow(seq: array[int]) -> array[int]:
    """16-bit form of a 32-bit shingle sequence (0 stays the paragraph break; a shingle whose
    low 16 bits are 0 becomes 1)."""
    if seq.typecode == "H":
        return seq
    if seq.itemsize != 4:
        return array("H", (((h & 0xFFFF) or 1) if h else 0 for h in seq))
    wide = np.frombuffer(seq, np.uint32)
    low = wide.astype(np.uint16)  # the low half of each word
    low[(low == 0) & (wide != 0)] = 1
    return array("H", low.tobytes())


def _strongest(pair: tuple[_Article, _PairScores]) -> tuple[int, float, str]:
    """Sort key (for ``min``): longest quoted passage, then containment, then id for determinism."""
    article, p = pair
    return (-p.longest_passage, -p.containment_old_in_new, article.article_id)


def _encode_article(a: _Article, fps: Iterable[int] | None = None, fps_key: str = "") -> bytes:
    """The changelog record of an article; with its fingerprints (``fps``, computed under
    ``fps_key``) when it is indexed, so a restore need not winnow its shingles again (an
    optional field: readers without it ignore it, records without it are winnowed).

    Written field by field, byte for byte what ``json.dumps(obj, separators=(",", ":"))``
    writes for the record as a dict (``tests/workers`` hold the two equal): one record per
    decision, and the generic encoder was ~5% of a decision."""
    cov = a.cov
    out = [
        f'{{"v":{RECORD_VERSION:d},"article_id":',
        _json_str(a.article_id),
        ',"story_id":',
        _json_str(a.story_id),
        ',"time":',
        _json_str(_iso(a.time)),
        ',"content_hash":',
        _json_str(a.content_hash),
        f',"seq":"{_to_b64(a.seq)}","entities":"{_to_b64(a.entities)}","title":"{_to_b64(a.title)}"',
        f',"title_names":"{_to_b64(a.title_names)}","posted":{"true" if a.posted else "false"},"site":',
        _json_str(a.site),
        ',"cov_method":',
        _json_str(coverage_terms.METHOD),
        f',"cov_terms":"{_to_b64(cov.terms)}","cov_tf":"{base64.b64encode(cov.tf.tobytes()).decode("ascii")}"',
        f',"cov_names":"{_to_b64(cov.names)}","cov_headline":"{_to_b64(cov.headline)}"',
        f',"cov_figures":"{_to_b64(cov.figures)}"',
    ]
    if cov.apart:
        out.append(f',"cov_apart":"{_to_b64(cov.apart)}"')
    if cov.passing:
        out.append(f',"cov_passing":"{_to_b64(cov.passing)}"')
    if cov.engaged:
        out.append(f',"cov_engaged":"{_to_b64(cov.engaged)}"')
    if a.held is not None:
        out.append(f',"held":"{_iso(a.held)}"')
    if fps is not None and fps_key and a.posted:
        out.append(f',"fps":"{_to_b64(array("I", sorted(fps)))}","fps_key":')
        out.append(_json_str(fps_key))
    out.append("}")
    return "".join(out).encode()


def _decode_article(data: bytes) -> _Article:
    return _decode_record(data, "")[0]


def _decode_record(data: bytes, fps_key: str) -> tuple[_Article, array[int] | None]:
    """An article record and, when it carries them under ``fps_key``, its fingerprints."""
    o = json.loads(data)
    if o.get("v") not in _READABLE_VERSIONS:
        raise ValueError(f"unsupported article record version {o.get('v')!r}")
    cov = _NO_COVERAGE
    # Terms are only comparable with terms of the same method version: a record written by
    # another one restores without them (its article still matches copies and follow-ups).
    if "cov_terms" in o and o.get("cov_method") in coverage_terms.READABLE_METHODS:
        tf = array("B")
        tf.frombytes(base64.b64decode(o["cov_tf"]))
        cov = coverage_vectors.CoverageFeatures(
            _from_b64(o["cov_terms"]),
            tf,
            _from_b64(o["cov_names"]),
            _from_b64(o["cov_headline"]),
            _from_b64(o["cov_figures"]),
            _from_b64(o["cov_apart"]) if "cov_apart" in o else (),
            _from_b64(o["cov_passing"]) if "cov_passing" in o else (),
            _from_b64(o["cov_engaged"]) if "cov_engaged" in o else (),
        )
    fps = _from_b64(o["fps"]) if fps_key and o.get("fps_key") == fps_key and "fps" in o else None
    article = _Article(
        article_id=str(o["article_id"]),
        story_id=str(o["story_id"]),
        time=datetime.fromisoformat(o["time"]),
        content_hash=str(o["content_hash"]),
        seq=_from_b64(o["seq"]),
        entities=_from_b64(o["entities"]),
        title=_from_b64(o["title"]),
        title_names=_from_b64(o["title_names"]),
        posted=bool(o["posted"]),
        site=str(o["site"]),
        cov=cov,
        held=datetime.fromisoformat(o["held"]) if "held" in o else None,
    )
    return article, fps


def _encode_story(s: _Story) -> bytes:
    """Byte for byte ``json.dumps`` of the record as a dict (see ``_encode_article``)."""
    return (
        f'{{"v":{RECORD_VERSION:d},"story_id":{_json_str(s.story_id)},"version":{s.version:d},'
        f'"root":{_json_str(s.root_article_id)},"first":{_json_str(_iso(s.first_time))},'
        f'"last":{_json_str(_iso(s.last_time))}}}'
    ).encode()


def _decode_story(data: bytes) -> _Story:
    o = json.loads(data)
    if o.get("v") not in _READABLE_VERSIONS:
        raise ValueError(f"unsupported story record version {o.get('v')!r}")
    return _Story(
        str(o["story_id"]),
        int(o["version"]),
        str(o["root"]),
        datetime.fromisoformat(o["first"]),
        datetime.fromisoformat(o["last"]),
    )


def decide_and_apply(index: StoryIndex, item: ThreadInput) -> tuple[Decision, list[ChangelogEntry]]:
    """Decide, then record the decision: ``decide`` + ``apply``, the one path the daemon,
    replay, tests and benches take (the text is analysed once, in ``decide``)."""
    decision = index.decide(item)
    return decision, index.apply(item, decision)
