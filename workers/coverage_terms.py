"""Coverage's reading of a text: the terms, names, figures and headline words of an article's
event, before any weighting (``RawTerms``, :func:`raw_terms`; each paragraph's, for the clean
stage, :func:`paragraphs_terms`).

Terms are names (capitalised words that do not start a sentence), figures and content words
(stop words of the main European languages dropped), folded to their first six letters: a
language-agnostic stemmer that also folds demonyms and inflections onto their name. What a
German text capitalises as a noun, what a headline's percentage did (``headline_move``), which
figures are telling (``telling_figures``) and which paragraphs set another matter apart are read
here too; ``METHOD`` names this reading, as stored with every article's terms. The weights and
vectors over these terms are in ``workers/coverage_vectors.py``, the decision in
``workers/coverage.py``.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Collection, Container, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from workers import agencies, shingles

# The stored terms: v6 marks a German article among its headline's terms (``LANGUAGE_DE``); v7
# stores the terms it uses only where it sets another matter apart (``CoverageFeatures.apart``)
# and marks among its headline's terms the way the clause giving its percentage says the figure
# went (``MOVE_MARKS``); v8 stores an amount with its multiplier or unit written on ("£4.3m",
# "20km") as its figure ("4.3", "20": ``_FIGURE_UNIT``); v9 leaves out of its headline's terms a
# currency's code before an amount ("VFL 4.3m": ``_CODE``); v10 marks a French, Spanish,
# Italian, Portuguese or Dutch article among its headline's terms as v6 marks a German one
# (``LANGUAGE_MARKS``, by ``text_language``); v11 stores the terms an article mentions only in
# passing (``RawTerms.passing``: in one paragraph after its lead), among those it stores; v12 sets
# apart what a paragraph tells where it places its event in time against another
# (``_PLACED_IN_TIME``: "The ruling came hours after the same court struck down ..."); v13 stores
# a figure printed the continental way as English prints it ("5,8" as "5.8", "1.200" as "1,200":
# ``english_figure``); v14 stores every term without its accents ("Zürich" as "Zurich", "Crédit"
# as "Credit": ``unaccented``); v15 marks the way a headline's percentage went by more words
# (slowing, cooling, a dip as a fall; an acceleration, a rebound as a rise: ``_MOVES``); v16
# stores a decimal without the zeros that end it, one decimal kept ("4.50" as "4.5", "4.00" as
# "4.0": ``english_figure``); v17 reads no "keep" as a hold in the clause giving a headline's
# percentage (``_HOLDS``); v18 reads a rate's change given in points ("quarter-point hike", "25
# basis points") as a headline's percentage (``_PERCENT``); v19 stores the names it uses only where
# it tells another engagement of the day (``CoverageFeatures.engaged``: ``tells_other_engagement``);
# v20 reads no word written in capitals of five letters or more as a name (``_SHOUTED``); v21
# reads no "follows" with a time after it as placing the event after another (``_COMES_LATER``);
# v22 marks among its headline's terms whether the headline says a measure stands or falls
# (``VERDICT_MARKS``: ``headline_verdict``).
METHOD = "tfidf-names-v22"
# Stored terms of earlier methods read as this one's: a v3 record is a v6 record without the
# language mark, so it restores with its terms, as a text not marked German (a German article
# stored by v3 is then read as told in another language by German inputs until it expires),
# instead of an upgrade losing a whole window's coverage terms.
# A v6 record is a v7 record that sets nothing apart, whose headline's way is read from all its
# words. A v7 record is a v8 record whose amounts with a multiplier were stored as written (they
# compare with no figure of a v8 text until they expire, as before). A v8 record is a v9 record
# whose headline may hold a currency's code as a name (a report must then name it, as before).
# A v9 record is a v10 record of an English or German text (a French or Spanish one stored by v9
# reads as English until it expires, as before). A v10 record is a v11 record that mentions
# nothing in passing (every term it stores counts as told, so it is never kept apart as one that
# mentions the input's event only in passing, as before). A v11 record is a v12 record whose
# paragraphs placing its event in time against another's were read as telling its own (it tells of
# that other event as before until it expires). A v12 record is a v13 record whose figures printed
# the continental way were stored as printed (they compare with no figure of a v13 text in English
# until they expire, as before). A v13 record is a v14 record whose accented terms were stored with
# their accents (they compare with no term of a v14 text until they expire, as before). A v14
# record is a v15 record whose headline's percentage was read as going no way where its clause
# says it slowed, cooled, dipped, accelerated or rebounded (its headline words are read again
# at each decision, so only that mark is as before until it expires). A v15 record is a v16
# record whose decimals ending in a zero were stored as printed (they compare with no figure of a
# v16 text until they expire, as before). A v16 record is a v17 record whose headline's percentage
# was read as held where its clause says "keeps" (only that mark is as before until it expires).
# A v17 record is a v18 record whose headline gave its rate's change in points without a
# percentage (it carries no percentage mark nor way until it expires, as before).
# A v18 record is a v19 record that tells no other engagement (it keeps no report apart as one
# its story tells only as the day's other engagement until it expires, as before). A v19 record
# is a v20 record whose words written in capitals were stored as names (a tabloid's "stayed
# SILENT" weighs as a name and may stand among its headline's names until it expires, as before).
# A v20 record is a v21 record whose "Our analysis follows later today" set its paragraph apart
# (its words there among the words it sets apart until it expires, as before). A v21 record is a
# v22 record whose headline says no verdict (it keeps no report apart as the same court's or
# chamber's other decision until it expires, as before).
READABLE_METHODS = frozenset(
    (
        "tfidf-names-v3",
        "tfidf-names-v6",
        "tfidf-names-v7",
        "tfidf-names-v8",
        "tfidf-names-v9",
        "tfidf-names-v10",
        "tfidf-names-v11",
        "tfidf-names-v12",
        "tfidf-names-v13",
        "tfidf-names-v14",
        "tfidf-names-v15",
        "tfidf-names-v16",
        "tfidf-names-v17",
        "tfidf-names-v18",
        "tfidf-names-v19",
        "tfidf-names-v20",
        "tfidf-names-v21",
        METHOD,
    )
)

_DIGIT = re.compile(r"\d")
# A figure: a count, amount, rate or score ("52", "4.25", "1,800", "3-1"); not a code or model
# name ("HX-50", "Ardent-2"), and not a year, which look-alikes share as readily as reports.
_FIGURE = re.compile(r"\d[\d.,\-]*")
_YEAR = re.compile(r"(19|20)\d\d")
# A figure printed the continental way, as German, French, Spanish, Italian, Portuguese and
# Dutch texts print it: a decimal comma ("5,8", "3,50", "1.200,5") or points between thousands
# ("1.200", "12.500.000"). Read as English prints it ("5.8", "3.50", "1,200.5", "1,200"), so that
# a report in one of those languages shares its event's figures with the story's reports in
# English (the magnitude, the rate, the count of the evacuated): v12 read them as printed, and the
# similarity of a report in another language is of its names and figures alone. Read so in any
# text, whatever its language (an English text prints no such figure but for a rate to three
# decimals, "4.125", read as thousands in each text alike): the features the clean stage ships of
# each paragraph read a figure before the text's language is known. A comma before three digits
# ("1,200") is read as English thousands in every text.
_CONTINENTAL = re.compile(r"(?:\d{1,3}(?:\.\d{3})+|\d+),(?:\d{1,2}|\d{4,})|\d{1,3}(?:\.\d{3})+")
_AS_ENGLISH = str.maketrans(".,", ",.")
# A decimal ending in zeros ("4.50", "4.00", "0.50"): a wire prints a rate to two decimals, most
# outlets as its value ("4.5%"), so the two reports of one rate rise shared no headline figure and
# the figures gate took them for two banks' decisions. Read without the zeros that end it, but
# with one decimal ("4.0"), so that "4.00%" does not become the count "4" every story prints.
_TRAILING_ZEROS = re.compile(r"(\d[\d,]*\.\d)(\d*?)0+")
# A figure with its multiplier or unit written on ("4.3m", "1.2bn", "20km", "15pc", "4.3-million"):
# read as the figure alone, as "4.3 million", "20 km" and "15 per cent" give it, so that outlets'
# house styles ("£4.3m" beside "$4.3 million") compare. Only these suffixes: "5G", "3rd" and
# "1990s" are not amounts.
_FIGURE_UNIT = re.compile(
    r"(\d[\d.,]*?)-?(?:k|m|mn|bn|b|tn|trn|million|billion|trillion|crore|lakh|pc|percent"
    r"|km|kms|kg|kgs|mw|gw|kw|kwh|mwh|gwh|mph|kph|kmh|ft|cm|mm)"
)
# A currency's code, as a headline writes it before an amount ("VFL 4.3m", "USD 20bn"): the
# amount's unit, which reports giving "4.3 million florins" never name.
_CODE = re.compile(r"[A-Z]{3}")
# A headline labelled as a piece about an event already reported, not a report of a new one: an
# analysis, an explainer, a comment, a fact box or timeline ("Analysis: ...", Reuters'
# "ANALYSIS-...", "Explainer | ...", "Hintergrund: ...", "Décryptage : ..."), what is known
# so far ("Ferry grounding: what we know"), or a question it answers, beginning the headline or
# its clause after a colon ("Why does the ground shake in the Grauvald?", "Rate cut: what it
# means for your mortgage", "Warum die Wenne so schnell steigen konnte"), or what its readers
# need to know ("Measles in Tarnby: what parents need to know"), in the languages the stop words
# cover.
_LABELLED = re.compile(
    r"^\s*(?:analysis|explainer|explained|comment|commentary|opinion|editorial|q\s*&\s*a|factbox|fact\s*check"
    r"|timeline|analyse|an[aá]lisis|analisi|an[aá]lise|kommentar|hintergrund|d[ée]cryptage|commentaire"
    r"|commento|comentario|coment[aá]rio|achtergrond|commentaar)\s*[:\-\u2013\u2014|]"
    r"|(?:^|:\s*)(?:what we know|why|warum|pourquoi|por qu[eé]|perch[eé])\b"
    r"|(?:^|:\s*)what [\w\s'\u2019-]{0,40}\b(?:means?|needs? to know)\b",
    re.I,
)
_STEM = 6
# A percentage in a headline ("raises rate to 4.25%", "profit slumps 31 percent"), marked
# among the headline's terms by a term no text yields.
_PERCENT_MARK = "%"
# What a clause break of ``shingles.clause_words`` begins with (a word never does).
_CLAUSE_MARKS = frozenset(":\"'")
# A name with a lower-case tail ("Jong-un", "Al-ahly"), spelt "Jong Un" elsewhere; not a
# compound of names ("Trump-Russia") nor of words ("Earth-observation").
_NAME_TAIL = re.compile(r"[A-Z][a-z]{2,}-[a-z]{1,3}")
# A capital within a word, after small letters ("AeroValdor", "McConnell", "DeSantis",
# "PayPal"): no word of the language is written so, so it is a name where a sentence begins too.
_INNER_CAPITAL = re.compile(r"[A-Z][a-z]+[A-Z][a-z]")
# A word written in capitals, five letters or more, is the tabloid's emphasis or a heading ("the
# alert system that stayed SILENT", "MYSTERY DRONES", "lifted her ALIVE from the ruins"), not a
# name (since v20): read as one, it stood among the names of the report's headline ("SILENT PHONES
# MINISTER QUITS") that the story never gives, and kept the report apart. An acronym is seldom
# that long (NATO, OPEC, UEFA, the union's initials); one that is ("EBITDA", "UNESCO") is read
# as a word, as its lower-case spelling would be.
_SHOUTED = 5
# A rate's change given in points counts as its percentage (since v18): "MAZ surprises with
# quarter-point hike", "cuts by half a percentage point", "raises by 25 basis points" headline a
# decision as "raises rate to 4.75%" does, and v17 read no way in them (a market report of one
# bank's hike joined the neighbour's hold, published that morning and naming it).
_PERCENT = re.compile(
    r"(\d[\d.,]*)\s?(?:%|per ?cent\b|percent\b|pct\b|prozent\b|pour ?cent\b|por ?ciento\b)"
    r"|\b(?:quarter|half|three[- ]quarters?)(?: of)?(?: a)?[- ](?:percentage[- ])?points?\b"
    r"|\b(?:one|two|\d[\d.,]*)[- ]percentage[- ]points?\b"
    r"|\b\d+\s?(?:basis[- ]points?|bps?|basispunkte?n?|punti base|puntos? b[aá]sicos?|points? de base|pontos?[- ]base"
    r"|basispunten)\b",
    re.I,
)
_STOP_LANGUAGES = ("English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch")
# German's articles (with the prepositions they contract with): a capitalised word right after
# one is a noun, which German capitalises, and seldom a name (names rarely take an article).
_GERMAN_ARTICLES = frozenset(
    ("der die das den dem des ein eine einen einem einer eines " + "im am ans ins ums zum zur vom beim").split()
)
# Adjectives read between an article and its noun, by their endings ("der nationale Dienst").
_ADJECTIVES = 2
_INFLECTIONS = ("e", "en", "er", "es", "em")
# Function words of German that none of the other languages' stop lists holds: a sentence
# using one is German (a "die" or "des" alone could be Dutch, English or French).
# Not those English writes too ("hat", "mit" for MIT, "sind" for the province, "aus"): a report
# of a minister "in a borrowed hard hat" read as German, and its names as a German's nouns.
_GERMAN_FUNCTION_WORDS = (
    "und oder nicht sich auf für ist wird wurde wurden haben dass auch nach bei "
    "ein eine einen einem einer eines zum zur vom beim"
)


# A report tells its event in its lead, its first paragraphs (the inverted pyramid); a term it
# uses in one paragraph after them and nowhere else it mentions in passing (``RawTerms.passing``).
LEAD_PARAGRAPHS = 3


# Words with which a report sets another matter apart from its own ("in a separate case",
# "separately", "unrelated to"; German "gesondert", "getrennt", Spanish "por separado", French
# "séparément"): what a paragraph holding one tells of is not the report's event.
SET_APART_WORDS = frozenset(
    {
        *("separate", "separately", "unrelated"),
        *("separat", "separaten", "separater", "separates", "gesondert", "gesonderte", "gesonderten"),
        *("gesonderter", "gesondertes", "getrennt", "getrennte", "getrennten", "getrennter", "getrenntes"),
        *("separado", "separada", "separados", "separadas"),
        *("séparé", "séparée", "séparés", "séparées", "séparément", "distincte", "distinctes"),
    }
)


# A report placing its own event in time against another one in the wire's way ("The ruling
# came hours after the same court struck down the data law", "The vote came on the same day
# ...", "The results came a day after ...", "The contract follows talks on Wednesday ..."): a
# sentence whose subject is a word or three pointing back at its own event, then "came" or "comes"
# and within a few words of time a relation in time, or "follows". It tells of that other event as
# another one. A subject naming its event ("The bank's quarter-point rise, to 4.25 per cent, came
# two days after the election was called") does not: the paragraph tells its own event too; nor
# does a verb of other sense ("He came to power after ..."). Nor does a subject that is words said
# (``_RESPONSES``: "His warning came a day after the tribunal struck down the data law"): a
# reaction answers the other event, and a report of it is coverage of that event's story.
_TIME_VERBS = frozenset({"came", "comes", "follows"})
# ...but "follows" with a time after it (and no object) says what comes next, not what went
# before: "Our analysis follows later today", "A fuller analysis follows this evening", "If the
# second satellite follows in 2081" (since v21). Read as the wire's "The contract follows talks
# on Wednesday", a newsroom's note at a brief's end set its paragraph apart, and the brief's
# figures and names with it. A time owning a noun is the object's ("follows this week's strike").
# A day of the week as a time: "on Saturday" (what comes next, and the day of another engagement).
_ON_WEEKDAY = r"on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_COMES_LATER = (
    r"(?:later|tomorrow|today|tonight|shortly|soon|below|overleaf"
    r"|(?:this|next)\s+(?:morning|afternoon|evening|week|month)"
    r"|" + _ON_WEEKDAY + r"|in\s+\d{4})\b(?!['\u2019])"
)
_PLACED_IN_TIME = re.compile(
    r"(?:^|[.!?]['\u2019\u201d\")]?\s+)(?:[\w'\u2019-]+\s+){0,2}([\w'\u2019-]+)\s+(?:follows\s(?!" + _COMES_LATER + r")"
    r"|(?:came|comes)\s+"
    r"(?:(?:a|an|the|on|just|only|barely|less|than|one|two|three|few|several|some|same|hours?|days?|weeks?"
    r"|minutes?|moments|shortly|soon|\d+)\s+){0,4}?(?:after|before|day)\b)",
    re.IGNORECASE,
)
_RESPONSES = frozenset(
    {
        *("comment", "comments", "remark", "remarks", "statement", "statements", "words", "message"),
        *("reaction", "reactions", "response", "responses", "criticism", "condemnation", "warning"),
        *("warnings", "appeal", "appeals", "plea", "pleas", "call", "calls", "tribute", "tributes"),
    }
)
# The words of such a sentence that place in time: they set nothing apart themselves (a headline's
# "after hours" is no other event). Folded as terms are (``_time_words``).
_TIME_WORDS = (
    *("came", "comes", "follows", "minutes", "hours", "hour", "day", "days", "week", "weeks", "shortly"),
    *("moments", "same"),
)


# A paragraph telling another engagement of the day of the people its report is about: the
# minister's breakfast talks closing on "Later today Mr Pruett hosts Gulvetia's foreign minister
# for negotiations on sharing water", the afternoon's accord on "The talks were Pruett's second
# bilateral meeting of the day. Earlier he had breakfast with Carondese Foreign Minister Ines
# Maralto". A sentence joining "earlier" or "later" and a time of the day with a meeting's word
# (either order), one opening on "Earlier" with a meeting's word, or a count of the meetings of a
# day. "Later" without a time of the day is not read so: "the planned bilateral meeting with Trump
# later this year" is what a report of a secret trip is about. English only: a report in another
# language is read as telling none.
_DAY_TIME = (
    r"(?:today|tonight|this\s+(?:morning|afternoon|evening)|in\s+the\s+(?:day|morning|afternoon|evening)"
    r"|that\s+(?:day|morning|afternoon|evening)|" + _ON_WEEKDAY + ")"
)
_MEETS = (
    r"(?:meet|meets|met|meeting|hosts?|hosted|hosting|receives?|received|receiving|breakfast|lunch|luncheon|dinner)"
)
_OTHER_ENGAGEMENT = re.compile(
    r"(?:^|[.!?]\s)(?:[^.!?]*?\b(?:earlier|later)\s+" + _DAY_TIME + r"\b[^.!?]*?\b" + _MEETS + r"\b"
    r"|[^.!?]*?\b" + _MEETS + r"\b[^.!?]*?\b(?:earlier|later)\s+" + _DAY_TIME + r"\b"
    r"|earlier\b[^.!?]*?\b" + _MEETS + r"\b)"
    r"|\b(?:first|second|third|last|final|other)\s+(?:\w+\s+){0,2}?(?:meeting|engagement|talks|visit|appointment)s?"
    r"\s+of\s+(?:the|a|his|her|their)\s+(?:day|morning|afternoon|evening|week|trip|visit)\b",
    re.IGNORECASE,
)


# Words one of which a paragraph telling another engagement uses ("earlier", "later"), or all of
# whose kinds it uses ("meeting", "of", "day"): most paragraphs use none, and are not searched.
_WHEN_WORDS = frozenset({"earlier", "later"})
_COUNTED = frozenset({"meeting", "meetings", "engagement", "engagements", "talks", "visit", "visits"})
_COUNTED |= frozenset({"appointment", "appointments"})
_PART_OF_DAY = frozenset({"day", "morning", "afternoon", "evening", "week", "trip", "visit"})


def tells_other_engagement(text: str, words: Collection[str]) -> bool:
    """Whether a paragraph (its text and its lower-cased words) tells another engagement of the
    day (``_OTHER_ENGAGEMENT``): the names it alone uses are that engagement's, not the report's
    event's. The words decide first whether the text need be searched."""
    if _WHEN_WORDS.isdisjoint(words) and (
        "of" not in words or _COUNTED.isdisjoint(words) or _PART_OF_DAY.isdisjoint(words)
    ):
        return False
    return _OTHER_ENGAGEMENT.search(text) is not None


def sets_apart_words(text: str, words: Collection[str]) -> bool:
    """Whether a paragraph (its text and its lower-cased words) sets another matter apart:
    ``SET_APART_WORDS``, or a sentence placing its event in time against another's
    (``_PLACED_IN_TIME``)."""
    if not SET_APART_WORDS.isdisjoint(words):
        return True
    if _TIME_VERBS.isdisjoint(words):
        return False
    return any(m.group(1).lower() not in _RESPONSES for m in _PLACED_IN_TIME.finditer(text))


@lru_cache(maxsize=1)
def _stop_lists() -> tuple[frozenset[str], ...]:
    """jusText's stop lists (shipped with the extraction library), lower-cased, one a language
    of ``_STOP_LANGUAGES`` in its order: the one reading of them the stop words, the German
    marks and the languages' own words are drawn from."""
    import justext  # type: ignore[import-untyped]

    return tuple(frozenset(w.lower() for w in justext.get_stoplist(lang)) for lang in _STOP_LANGUAGES)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Function words of the main European languages: they say nothing about which event a
    text reports."""
    return frozenset().union(*_stop_lists())


@lru_cache(maxsize=1)
def german_marks() -> frozenset[str]:
    """German function words that are no other stop-list language's (``_STOP_LANGUAGES``): the
    mark of a German sentence, in which a capital after an article is a noun."""
    others = [words for lang, words in zip(_STOP_LANGUAGES, _stop_lists(), strict=True) if lang != "German"]
    return frozenset(_GERMAN_FUNCTION_WORDS.split()).difference(*others)


# The stop-list languages by their ISO 639-1 codes (``text_language``).
_LANGUAGE_CODES = {
    "English": "en",
    "German": "de",
    "French": "fr",
    "Spanish": "es",
    "Italian": "it",
    "Portuguese": "pt",
    "Dutch": "nl",
}
# Words of a language's own a text must use for its language to be told: a name or a quoted
# phrase of another language ("coup de grâce", "Banco Central") is no text in it.
_MIN_LANGUAGE_WORDS = 3
#: the stop-list languages' codes, in the order ``language_counts`` counts them
LANGUAGES = tuple(_LANGUAGE_CODES[lang] for lang in _STOP_LANGUAGES)


@lru_cache(maxsize=1)
def language_words() -> dict[str, int]:
    """The stop words only one list holds, each with its language's place in ``LANGUAGES``:
    "the", "which" (English), "und", "wurde" (German), "los", "según" (Spanish), "aux",
    "selon" (French). A text uses its own language's many times over and another's seldom."""
    lists = _stop_lists()
    return {
        w: i for i, words in enumerate(lists) for w in words.difference(*(o for k, o in enumerate(lists) if k != i))
    }


def language_counts(words: Iterable[str]) -> list[int]:
    """How many of the (lower-cased) words are each language's own (``LANGUAGES`` order): a
    paragraph's, which add up over a text (the clean stage ships them a paragraph each)."""
    own = language_words()
    counts = [0] * len(LANGUAGES)
    for w in words:
        i = own.get(w)
        if i is not None:
            counts[i] += 1
    return counts


def language_of(counts: Sequence[int]) -> str:
    """The language a text's ``language_counts`` tell: the one it uses most words of its own
    of (at least ``_MIN_LANGUAGE_WORDS``; a tie goes to the first in ``LANGUAGES``), "" when
    none is told."""
    best, most = "", _MIN_LANGUAGE_WORDS - 1
    for code, n in zip(LANGUAGES, counts, strict=True):
        if n > most:
            best, most = code, n
    return best


def text_language(para_words: Iterable[Iterable[str]]) -> str:
    """The language of a text's words (each paragraph's, lower-cased): ``language_of`` their
    ``language_counts``. A pure function of the text, as every stored term must be: the
    cleaning step's language (page metadata, a model) is not what a replayed text or a
    restored record carries."""
    return language_of(language_counts(itertools.chain.from_iterable(para_words)))


@dataclass(frozen=True, slots=True, init=False)
class RawTerms:
    """Terms of one input before weighting (kept for the decision's evidence)."""

    counts: dict[int, int]
    name_hashes: frozenset[int]
    number_hashes: frozenset[int]
    headline: frozenset[int]  # the headline's names
    headline_terms: frozenset[int]  # all its content words
    label: dict[int, str]
    # Names and numbers as the follow-up gates compare them (``shingles.entities``: lower case,
    # possessive dropped, calendar words left out), collected in the same pass.
    entities: frozenset[str]
    # Each paragraph's words, lower-cased (``shingles.words``): the shingles are made of them.
    words: list[list[str]]
    # Headline names directly followed in the headline by another headline name the text uses
    # at least as often (``head_pairs``): (given name, surname), "Donald" before "Trump".
    head_pairs: frozenset[tuple[int, int]] = frozenset()
    # Names a German text reads as nouns (a capital after an article) and nowhere as a name
    # (``_german_terms``).
    nouns: frozenset[int] = frozenset()
    # Whether a paragraph of the text is German and names or nouns something (``_german_terms``):
    # stored as ``LANGUAGE_DE`` among the headline's terms.
    german: bool = False
    # Terms the text uses only in paragraphs that set another matter apart (``sets_apart_words``:
    # "hours after the same court struck down the data law in a separate case", "The ruling came
    # hours after ..."): what the report says of another event, not of its own (see ``judge``).
    set_apart: frozenset[int] = frozenset()
    # The text's language (``text_language``: "en", "fr", ...; "" when not told): stored as
    # ``LANGUAGE_MARKS`` among the headline's terms when it is one beside English and German.
    language: str = ""
    # Terms the text mentions only in passing: in one paragraph after its lead (the first
    # ``LEAD_PARAGRAPHS``), nowhere else and not in its headline ("Earlier on Tuesday she hosted
    # Estrania's Jorge Ibarra": the event of the day before, told as background).
    passing: frozenset[int] = frozenset()
    # Names the text also writes in lower case ("the Court" and "the court", "the Bank" and "the
    # bank"): an institution's word, which the events of one institution share, not a proper
    # name of one event (see ``coverage.mentioned_in_passing``).
    ordinary: frozenset[int] = frozenset()
    # Whether its headline is labelled as an analysis, an explainer, a comment (``_LABELLED``): a
    # piece about an event already reported (see ``coverage.CoverageSettings.labelled_pieces``).
    labelled: bool = False
    # Names the text uses only in paragraphs telling another engagement of the day
    # (``tells_other_engagement``): the people and places of that engagement, not of its event
    # (see ``coverage.told_as_other_engagement``).
    engaged: frozenset[int] = frozenset()

    def __init__(
        self,
        counts: dict[int, int],
        name_hashes: frozenset[int],
        number_hashes: frozenset[int],
        headline: frozenset[int],
        headline_terms: frozenset[int],
        label: dict[int, str],
        entities: frozenset[str],
        words: list[list[str]],
        head_pairs: frozenset[tuple[int, int]] = frozenset(),
        nouns: frozenset[int] = frozenset(),
        german: bool = False,
        set_apart: frozenset[int] = frozenset(),
        language: str = "",
        passing: frozenset[int] = frozenset(),
        ordinary: frozenset[int] = frozenset(),
        labelled: bool = False,
        engaged: frozenset[int] = frozenset(),
    ) -> None:
        # Written out, not generated: see ``coverage_vectors.CoverageFeatures``.
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "name_hashes", name_hashes)
        object.__setattr__(self, "number_hashes", number_hashes)
        object.__setattr__(self, "headline", headline)
        object.__setattr__(self, "headline_terms", headline_terms)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "entities", entities)
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "head_pairs", head_pairs)
        object.__setattr__(self, "nouns", nouns)
        object.__setattr__(self, "german", german)
        object.__setattr__(self, "set_apart", set_apart)
        object.__setattr__(self, "language", language)
        object.__setattr__(self, "passing", passing)
        object.__setattr__(self, "ordinary", ordinary)
        object.__setattr__(self, "labelled", labelled)
        object.__setattr__(self, "engaged", engaged)


# How one body token counts: (its lower-case form for the shingles, the entity it names or None,
# its term or None, whether it is a figure). A name or figure is a token with an entity and a term.
_Token = tuple[str, str | None, str | None, bool]

_TOKEN_MEMO_SIZE = 50_000  # about 15 MB at most
_token_memos: dict[frozenset[str], tuple[dict[str, _Token], dict[str, _Token]]] = {}


def _token_memo(calendar: frozenset[str]) -> tuple[dict[str, _Token], dict[str, _Token]]:
    """The memo of :func:`_read_token` for this calendar: (words that begin a sentence, the
    others), emptied when full."""
    memo = _token_memos.get(calendar)
    if memo is None or len(memo[0]) + len(memo[1]) > _TOKEN_MEMO_SIZE:
        memo = _token_memos[calendar] = ({}, {})
    return memo


def english_figure(figure: str) -> str:
    """A figure as English prints it: one printed the continental way (``_CONTINENTAL``) with
    its points and commas swapped ("5,8" -> "5.8", "1.200" -> "1,200"), and a decimal without the
    zeros that end it, one decimal kept (``_TRAILING_ZEROS``: "4.50" -> "4.5", "3,50" -> "3.5",
    "4.00" -> "4.0"); any other as it is."""
    if _CONTINENTAL.fullmatch(figure):
        figure = figure.translate(_AS_ENGLISH)
    if "." not in figure:
        return figure
    zeros = _TRAILING_ZEROS.fullmatch(figure)
    return figure if zeros is None else zeros.group(1) + zeros.group(2)


# Letters no Unicode decomposition takes apart, as English writes them ("Øresund" as "Oresund",
# "Łódź" as "Lodz", "Straße" as "Strasse", Turkish's dotless i, U+0131, as "i").
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ß": "ss", "\u0131": "i"}
)


def unaccented(word: str) -> str:
    """``word`` (lower case) without its accents: "zürich" as "zurich", "são" as "sao",
    "erdoğan" as "erdogan". Outlets writing in English drop the accents a country's own press
    prints, and not all of them ("Zurich", "Sao Paulo", "Erdogan"; the wire's "Crédit Marvello",
    the broadcaster's "Credit Marvello"): a name read with them and one read without are two
    terms, and the report shares no name with its story. Every term is read without (not only
    names: a word beginning a sentence is read as a word, and must be the same term as the name
    it spells), and stop words are looked up as written, before."""
    return word if word.isascii() else _unaccented(word)


@lru_cache(maxsize=65536)
def _unaccented(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)) or word


def _read_token(tok: str, cap: bool, calendar: frozenset[str], stop: frozenset[str]) -> _Token:
    """One token of the body as :func:`raw_terms` counts it; ``cap``: capitalised where a
    sentence does not begin (the mark of a name)."""
    word = tok.lower()
    low = word[:-2] if word.endswith("'s") else word
    if low in calendar:
        return word, None, None, False
    alpha = tok.isalpha()
    number = not alpha and _DIGIT.search(tok) is not None
    entity = low if cap or number else None
    if low in stop:
        return word, entity, None, False
    if number:
        amount = _FIGURE_UNIT.fullmatch(low)
        if amount is not None:  # the figure alone; the entity as written, as the follow-up gates read it
            return word, entity, english_figure(amount.group(1)), _YEAR.fullmatch(amount.group(1)) is None
        if _FIGURE.fullmatch(tok) and not _YEAR.fullmatch(tok):
            return word, entity, english_figure(low), True
        return word, entity, low, False
    if alpha and len(low) < 3:
        return word, entity, None, False
    if "." in low:  # an abbreviation: "C.I.A." is "CIA", "E.U." is "EU"
        term = low.replace(".", "")[:_STEM]
        if len(term) < 2:
            return word, entity, None, False
    elif cap and _NAME_TAIL.fullmatch(tok):
        term = unaccented(low.split("-", 1)[0])[:_STEM]  # "Jong-un" as "Jong Un": outlets differ
    else:
        term = unaccented(low)[:_STEM]
    return word, entity, term, False


class _BodyTerms(NamedTuple):
    """The body's terms as strings, before hashing (see :func:`raw_terms`)."""

    counts: dict[str, int]
    names: set[str]
    figures: set[str]
    label: dict[str, str]
    entities: set[str]
    words: list[list[str]]
    nouns: set[str]  # read as nouns somewhere (``_german_terms``)
    proper: set[str]  # read as names where German reads nouns apart (``_german_terms``)
    # used in one paragraph after the lead and in no other (``RawTerms.passing``; one count of
    # them all only, filled in at the end)
    passing: set[str]
    lower: set[str]  # written in lower case somewhere (``RawTerms.ordinary``, with the names)


def _body_terms(
    paragraphs: Iterable[str], calendar: frozenset[str], stop: frozenset[str], *, each: bool = False
) -> list[_BodyTerms]:
    """The terms of the body's paragraphs, counted: the loop of :func:`raw_terms` (each token
    looked at once, names bound locally). One count of them all, or (``each``) one count of
    each paragraph."""
    out: list[_BodyTerms] = []
    scan = shingles.clause_words
    # Texts repeat their language's words: each word is read once where a sentence begins and
    # once elsewhere (where a capital marks a name), for as long as the memo is not full (then
    # it starts again: a bound on memory, not a policy).
    seen_first, seen_next = _token_memo(calendar)
    german = german_marks()
    # Of a term first used after the lead (one count only), its count at the end of that
    # paragraph: mentioned in passing when no later paragraph uses it. A dict keeps its keys in
    # insertion order, so the terms a paragraph adds are the keys after those it found.
    first_count: dict[str, int] = {}
    for p, para in enumerate(paragraphs):
        if each or not out:
            out.append(_BodyTerms({}, set(), set(), {}, set(), [], set(), set(), set(), set()))
            counts, names, figures, label, entities, para_words, _, _, _, lower = out[-1]
            get = counts.get
        known = len(counts)
        lowered: list[str] = []
        para_words.append(lowered)
        toks = scan(para)  # (a sentence's words, one sentence after the other)
        reads: list[_Token | None] = []  # each token's reading, None at a break (for German)
        keep = reads.append
        seen = seen_first
        clause = False  # the token begins a clause within a sentence
        for tok in toks:
            if not tok:  # a sentence begins
                seen = seen_first
                keep(None)
                continue
            if tok[0] in _CLAUSE_MARKS:  # a clause begins (``shingles.clause_words``)
                clause = True
                keep(None)
                continue
            read = seen.get(tok)
            if read is None:
                cap = tok[0].isupper() and (seen is seen_next or _INNER_CAPITAL.match(tok) is not None)
                read = seen[tok] = _read_token(tok, cap, calendar, stop)
            seen = seen_next
            word, entity, term, figure = read
            lowered.append(word)
            if clause:
                # A capital a clause begins with ("Caravan: Rallies ...", 'said: "We ...',
                # ' "Releasing water ...') marks no name; the follow-up gates' entities read
                # it as before, and German, which capitalises its nouns, does not weigh it.
                clause = False
                keep(None)
                if entity is not None:
                    entities.add(entity)
                    if term is not None and not figure:
                        counts[term] = get(term, 0) + 1
                        continue
            elif (
                entity is not None
                and term is not None
                and not figure
                and len(tok) >= _SHOUTED
                and tok.isupper()
                and tok.isalpha()
            ):
                # A word in capitals (``_SHOUTED``: "stayed SILENT") is counted as a word, and
                # German does not weigh it; the follow-up gates' entities read it as before.
                keep((word, None, term, False))
                entities.add(entity)
                counts[term] = get(term, 0) + 1
                continue
            else:
                keep(read)
            if entity is None:
                if term is not None:
                    counts[term] = get(term, 0) + 1
                    if tok[0].islower():
                        lower.add(term)
                continue
            entities.add(entity)
            if term is None:
                continue
            if figure:
                figures.add(term)
            names.add(term)
            if term not in label:
                label[term] = entity
            counts[term] = get(term, 0) + 1
        if not german.isdisjoint(lowered):
            _german_terms(toks, reads, out[-1])
        if not each and p >= LEAD_PARAGRAPHS and len(counts) > known:
            for term in itertools.islice(counts, known, None):
                first_count[term] = counts[term]
    if first_count:
        counts = out[0].counts
        out[0].passing.update(t for t, n in first_count.items() if counts[t] == n)
    return out or [_BodyTerms({}, set(), set(), {}, set(), [], set(), set(), set(), set())]


def _german_terms(toks: list[str], reads: list[_Token | None], into: _BodyTerms) -> None:
    """The nouns and names of a German paragraph (one using a function word only German has,
    ``german_marks``), read after :func:`_body_terms` counted it as any other. German
    capitalises its nouns, so they read as names; a capital after an article and the
    adjectives that follow it ("ein Erdbeben", "der nationale Dienst") is a noun (names seldom
    take an article), and any other capital where a sentence does not begin a name. The nouns
    stay names, as in any other text: the gates set apart those the text never writes as a
    name only where a story in another language cannot share them (``in_other_language``).
    ``toks``: the paragraph's words as :func:`_body_terms` found them (``shingles.sentence_words``),
    ``reads`` how it read each of them (None at a sentence break)."""
    nouns, proper = into.nouns, into.proper
    articles = _GERMAN_ARTICLES
    after = 0  # words since an article, while they may be its adjectives (0: none)
    for tok, read in zip(toks, reads, strict=True):
        if read is None:  # a sentence begins
            after = 0
            continue
        word, entity, term, figure = read
        noun = after > 0 and tok[0].isupper()
        if word in articles:
            after = 1
        elif after and not noun and after <= _ADJECTIVES and word.endswith(_INFLECTIONS):
            after += 1
        else:
            after = 0
        if entity is None or term is None or figure:
            continue
        if noun:
            nouns.add(term)
        else:
            proper.add(term)


class ParagraphTerms(NamedTuple):
    """One paragraph's terms as :func:`raw_terms` gives them for that paragraph alone (no
    headline), in the forms the clean stage's features ship them."""

    counts: dict[int, int]  # term hashes, in order of first use, with their counts
    names: list[int]  # names and numbers, ascending
    labels: list[str]  # each name's label (its first spelling)
    figures: list[int]  # ascending
    entities: set[str]
    words: list[str]  # lower-cased, for the shingles
    nouns: list[int]  # read as nouns, ascending (``_german_terms``)
    proper: list[int]  # read as names where German reads nouns apart, ascending
    apart: bool  # the paragraph sets another matter apart (``sets_apart_words``)
    lower: set[int]  # terms written in lower case (``RawTerms.ordinary``, with the text's names)
    engaged: bool  # the paragraph tells another engagement of the day (``tells_other_engagement``)


def paragraphs_terms(paragraphs: Iterable[str], calendar: frozenset[str]) -> list[ParagraphTerms]:
    """Of each paragraph, ``raw_terms("", [paragraph], calendar)``'s counts, names with their
    labels, figures, entities and words, without the headline's reading nor the sets the
    decider reads: the clean stage reads every paragraph of every article this way."""
    h = _hash_term
    out: list[ParagraphTerms] = []
    paragraphs = list(paragraphs)
    for text, body in zip(paragraphs, _body_terms(paragraphs, calendar, stop_words(), each=True), strict=True):
        # (as ``raw_terms``'s comprehensions: a hash met twice keeps its first place, the last value)
        label = dict(zip(map(h, body.label), body.label.values(), strict=True))
        # a paragraph's names are its labelled terms (``_body_terms`` labels each name it adds),
        # so their hashes are the label's keys, not hashed again; most paragraphs have no figure
        # and, but in German, no noun
        names = sorted(label)
        out.append(
            ParagraphTerms(
                dict(zip(map(h, body.counts), body.counts.values(), strict=True)),
                names,
                list(map(label.__getitem__, names)),
                sorted(set(map(h, body.figures))) if body.figures else [],
                body.entities,
                body.words[0],
                sorted(set(map(h, body.nouns))) if body.nouns else [],
                sorted(set(map(h, body.proper))) if body.proper else [],
                sets_apart_words(text, body.words[0]),
                set(map(h, body.lower)),
                tells_other_engagement(text, body.words[0]),
            )
        )
    return out


def set_apart(paragraphs: Iterable[tuple[Iterable[int], bool]]) -> frozenset[int]:
    """Of each paragraph's terms and whether it sets another matter apart, the terms used only
    in paragraphs that do, but for the words that place an event in time (``_TIME_WORDS``)."""
    apart: set[int] = set()
    plain: set[int] = set()
    for terms, flagged in paragraphs:
        (apart if flagged else plain).update(terms)
    apart.difference_update(_time_words())
    return frozenset(apart.difference(plain))


def engaged_names(paragraphs: Iterable[tuple[Iterable[int], Iterable[int], bool]]) -> frozenset[int]:
    """Of each paragraph's terms, its names and whether it tells another engagement of the day
    (``tells_other_engagement``), the names used only in paragraphs that do
    (``RawTerms.engaged``)."""
    told: set[int] = set()
    plain: set[int] = set()
    for terms, names, flagged in paragraphs:
        if flagged:
            told.update(names)
        else:
            plain.update(terms)
    return frozenset(told.difference(plain))


@lru_cache(maxsize=1)
def _time_words() -> frozenset[int]:
    """The terms of ``_TIME_WORDS``."""
    return frozenset(_hash_term(w[:_STEM]) for w in _TIME_WORDS)


def raw_terms(title: str, paragraphs: Sequence[str], calendar: frozenset[str]) -> RawTerms:
    """Count the folded terms of headline and body, and mark names, figures and headline names.
    Strings are counted first and each distinct one hashed once. This loop is the hottest part
    of a decision: names are bound locally and each token is looked at once."""
    stop = stop_words()
    counts, names, figures, label, entities, para_words, nouns, proper, passing, lower = _body_terms(
        paragraphs, calendar, stop
    )[0]
    apart = engaged = frozenset[int]()
    flagged = [sets_apart_words(text, words) for text, words in zip(paragraphs, para_words, strict=True)]
    engagements = [tells_other_engagement(text, words) for text, words in zip(paragraphs, para_words, strict=True)]
    if any(flagged) or any(engagements):
        # (rare: each paragraph read again on its own, as the clean stage's features read it;
        # its words are those it was flagged by)
        each = [
            (list(map(_hash_term, body.counts)), body.names)
            for body in _body_terms(paragraphs, calendar, stop, each=True)
        ]
        if any(flagged):
            apart = set_apart((terms, flag) for flag, (terms, _) in zip(flagged, each, strict=True))
        if any(engagements):
            engaged = engaged_names(
                (terms, map(_hash_term, names), flag) for flag, (terms, names) in zip(engagements, each, strict=True)
            )
    get = counts.get
    head: set[str] = set()
    head_terms: set[str] = set()
    if _PERCENT.search(title):
        head_terms.add(_PERCENT_MARK)
        move = percent_clause_move(title)
        if move is not None:
            head_terms.add(_MOVE_MARKS[move])
    verdict = headline_verdict(title)
    if verdict is not None:
        head_terms.add(_VERDICT_MARKS[verdict])
    toks = shingles.tokens(" ".join(shingles.normalise_paragraphs(agencies.without_credits(title))))
    for i, tok in enumerate(toks):
        if _CODE.fullmatch(tok) and i + 1 < len(toks) and _DIGIT.match(toks[i + 1]):
            continue  # a currency's code before its amount ("VFL 4.3m"): the amount's unit, no name
        low = shingles.strip_possessive(tok.lower())
        amount = _FIGURE_UNIT.fullmatch(low)
        if amount is not None:  # "4.3m": the figure alone, as the body reads it
            low = amount.group(1)
        if (amount is not None or _FIGURE.fullmatch(tok)) and not _YEAR.fullmatch(low):
            low = english_figure(low)
            figures.add(low)  # kept whole, as the body's figures are, so the two compare
            head_terms.add(low)
            continue
        low = low.replace(".", "")
        if _NAME_TAIL.fullmatch(tok):
            low = low.split("-", 1)[0]
        if low in calendar or len(low) < 3 or low in stop or _DIGIT.search(low):
            continue
        term = unaccented(low)[:_STEM]
        if term in names:  # a headline word the body uses as a name
            head.add(term)
        head_terms.add(term)
        counts[term] = get(term, 0) + 1
    h = _hash_term
    hcounts = {h(t): n for t, n in counts.items()}
    hhead = frozenset(h(t) for t in head)
    return RawTerms(
        hcounts,
        frozenset(h(t) for t in names),
        frozenset(h(t) for t in figures),
        hhead,
        frozenset(h(t) for t in head_terms),
        {h(t): v for t, v in label.items()},
        frozenset(entities),
        para_words,
        head_pairs(title_pairs(title), hhead, hcounts),
        frozenset(h(t) for t in nouns.difference(proper)),
        bool(nouns or proper),
        apart,
        text_language(para_words),
        frozenset(h(t) for t in passing if t not in head_terms) if passing else frozenset(),
        frozenset(h(t) for t in names.intersection(lower)),
        _LABELLED.search(title) is not None,
        engaged,
    )


# Capitalised words of a headline next to each other ("Donald Trump", "Corrigan Bay"); a
# possessive may end the last of them ("Trump's").
_RUN = re.compile(r"[A-Z][\w.\-]*(?:['\u2019]s\b)?(?: [A-Z][\w.\-]*(?:['\u2019]s\b)?)+")


def _fold(tok: str) -> int:
    """A headline word's term hash, folded as ``raw_terms`` folds the headline's words."""
    low = shingles.strip_possessive(tok.lower()).replace(".", "")
    if _NAME_TAIL.fullmatch(tok):
        low = low.split("-", 1)[0]
    return _hash_term(unaccented(low)[:_STEM])


def title_pairs(title: str) -> list[tuple[int, int]]:
    """Each capitalised headline word directly followed by another (term hashes, in order), a
    possessive ending the pair ("Trump's UK" is no name). From the headline alone: what the
    body says of the two words is looked at by ``head_pairs``."""
    out: list[tuple[int, int]] = []
    for m in _RUN.finditer(title):
        words = m.group(0).split(" ")
        for a, b in itertools.pairwise(words):
            if not a.endswith(("'s", "\u2019s")):
                out.append((_fold(a), _fold(b)))
    return out


def head_pairs(
    pairs: Iterable[tuple[int, int]], headline: Container[int], counts: dict[int, int]
) -> frozenset[tuple[int, int]]:
    """Of ``title_pairs``, the given names: both words are headline names, and the text names
    the second more often than the first. A report gives a first name with the surname once
    or twice and the surname alone after that ("Donald" once, "Trump" twenty times; a short
    report "Mirela Ostrovan" twice, "Ms Ostrovan" once more); the parts of a place's name go
    together ("Corrigan Bay", where "Bay" names nothing alone), and two names side by side
    ("Osterra, Keldora") each stand alone."""
    return frozenset(
        (a, b) for a, b in pairs if a != b and a in headline and b in headline and counts.get(b, 0) > counts.get(a, 0)
    )


#: 32-bit stable hash of a folded term, memoised (news vocabulary repeats)
_hash_term: Callable[[str], int] = shingles.Hashes32().__getitem__

PERCENT = _hash_term(_PERCENT_MARK)
# A German text, marked among its headline's stored terms by a term no text yields (see
# ``in_other_language``).
LANGUAGE_DE = _hash_term("@de")
# The other languages of the stop lists, marked so: English is left unmarked (a text of no
# language told is read as it), German keeps its mark of v6.
LANGUAGE_MARKS = {lang: _hash_term("@" + lang) for lang in ("fr", "es", "it", "pt", "nl")}


def language_mark(raw: RawTerms) -> int | None:
    """The mark of a text's language among its stored headline terms: ``LANGUAGE_DE`` for a
    German text (as v6 marked it), ``LANGUAGE_MARKS`` for French, Spanish, ...; None for English
    or a language not told."""
    return LANGUAGE_DE if raw.german else LANGUAGE_MARKS.get(raw.language)


# The way the clause of a headline giving its percentage says the figure went
# (``percent_clause_move``), marked among its terms by a term no text yields.
_MOVE_MARKS = {1: "@up", -1: "@down", 0: "@held"}
MOVE_MARKS = {move: _hash_term(mark) for move, mark in _MOVE_MARKS.items()}
# Whether a headline says a measure stands or falls (``headline_verdict``), marked so.
_VERDICT_MARKS = {1: "@stands", -1: "@falls"}
VERDICT_MARKS = {verdict: _hash_term(mark) for verdict, mark in _VERDICT_MARKS.items()}
# terms of a stored headline that are no words of it
MARKS = frozenset((PERCENT, LANGUAGE_DE, *LANGUAGE_MARKS.values(), *MOVE_MARKS.values(), *VERDICT_MARKS.values()))


def telling_form(figure: str) -> bool:
    """Whether a figure, as printed, is specific enough to tell one event from another: three
    digits or more, two of them significant ("186", "412", "1,800", "6.55"), unlike the small
    and round counts any report gives ("10", "200", "3-1"). Years are no figures at all."""
    digits = figure.replace(",", "").replace(".", "").replace("-", "")
    return len(digits) >= 3 and len(digits.rstrip("0")) >= 2


def telling_figures(raw: RawTerms) -> frozenset[int]:
    """The input's figures of a telling form (:func:`telling_form`), by the text its body
    prints them in; computed once per decision and used on both sides of the gates, since a
    figure two reports share is the input's too."""
    label = raw.label
    return frozenset(h for h in raw.number_hashes if h in label and telling_form(label[h]))


# Words that say which way a headline's change went, in the languages the stop words cover
# most (English, German, Spanish, French), as headline terms fold them (six letters): a bank
# raises, cuts or holds its rate; a profit rises or falls; inflation slows, cools or dips, or
# accelerates (so "Price rises slow", a headline saying both ways, says none). Italian and
# Portuguese give their slowing and acceleration. Words of two letters are no terms, nor are
# stop words ("fall", "held", "up": ``stop_words``), so none is listed.
_RISES = (
    "rise rises rose risen rising climb climbs climbed jump jumps jumped gain gains gained surge surges surged "
    "soar soars soared increase increases increased raise raises raised hike hikes hiked lift lifts lifted "
    "boost boosts boosted grow grows grew higher beats steigt stieg erhöht hebt wächst höher sube subió eleva "
    "aumenta crece alza hausse augmente relève accelerate accelerates accelerated quicken quickens "
    "quickened rebound rebounds rebounded beschleunigt accélère accelera acelera"
)
_FALLS = (
    "falls fell drop drops dropped slide slides slid slip slips slipped tumble tumbles tumbled plunge "
    "plunges plunged sink sinks sank decline declines declined cut cuts lower lowers lowered reduce reduces "
    "reduced trim trims trimmed ease eases eased shrink shrinks loss misses sinkt senkt fällt verliert gesenkt "
    "niedriger baja bajó cae cayó recorta pérdidas baisse recule chute abaisse "
    "slow slows slowed slowing cool cools cooled cooling dip dips dipped verlangsamt ralentit rallenta "
    "desacelera abranda"
)
# ("pat": a bank that "stands pat" holds, beside "the mark eases" in the same headline; not "keep",
# whose senses are many: "Kovald keeps his options open" headlines an analysis of the governor's
# rate rise, v16 read it as a hold and the analysis as the neighbour's decision; a bank keeping its
# rate gives it "unchanged", "on hold", "steady" or its figure)
_HOLDS = "hold holds unchanged steady pause pauses pat hält unverändert belässt mantiene maintient"
_MOVES = {
    _hash_term(unaccented(w)[:_STEM]): move
    for words, move in ((_RISES, 1), (_FALLS, -1), (_HOLDS, 0))
    for w in words.split()
}


# Where a headline's clauses part: punctuation before a space (not the comma of "2,75
# Prozent"), and the conjunctions that join a second clause ("... to 4.25% as inflation lingers").
_CLAUSES = re.compile(r"[,;:|](?=\s)|\s(?:as|after|while|but|amid|despite)\s", re.I)


def percent_clause_move(title: str) -> int | None:
    """The one way the words of the headline's clause giving its percentage say the figure
    went, or None. A headline's second clause tells what comes next or beside: "holds rate at
    5.75%, signals cuts later in year" is a hold, not a cut."""
    for clause in _CLAUSES.split(title):
        if _PERCENT.search(clause):
            found = {_MOVES.get(_fold(tok)) for tok in shingles.tokens(clause)}
            found.discard(None)
            return found.pop() if len(found) == 1 else None
    return None


def headline_move(terms: Collection[int], clause: bool = True) -> int | None:
    """The one way a headline's words say its change went (1 up, -1 down, 0 held), or None when
    they say none or several ("profit rises as shares slip"); first the way its percentage's
    clause says (``percent_clause_move``, marked among the terms; ``clause``: read the mark).
    An event moves one way: a report headlining a bank's cut is not of the story whose
    headlines give its rate rise in percent, the same template filled in for the neighbour's
    bank, nor a rival's fall in profit of the story of a company's rise (their reports name
    each other, so every other gate holds)."""
    if clause:
        move = _marked(MOVE_MARKS, terms)
        if move is not None:
            return move
    found = {_MOVES.get(t) for t in terms}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


# A court's or a chamber's decision on a measure, as a headline gives it: the measure stands
# (upheld, approved, passed, survives) or falls (struck down, annulled, rejected), in the
# languages the stop words cover most. One court rules on several laws in a morning, a chamber
# votes on several bills in a week: the other decision is written in the same words, names the
# same court and, in its background, the first ruling, so every other gate holds; its headline's
# verdict is the other way. Not read: "rejects (the) challenge / appeal / bid ..." (the measure
# challenged stands, or another proposal falls), a verb of what someone means to do ("bid to
# block", "vows to overturn"), and forms whose noun reads the same ("pass", "block", the
# "backed" of "state-backed", "adopted").
_MEASURE_STANDS = re.compile(
    r"\b(?:uphold|upholds|upheld|approves?|approved|pass(?:es|ed)|backs|endorses|endorsed|ratif(?:y|ies|ied)|"
    r"adopts|validates?|validated|survives?|survived|billigt|verabschiedet|bestätigt|aprueba|aprobó|avala|"
    r"ratifica|approuve|adopte|valide|approva|conferma|aprova|mantém|goedgekeurd|keurt)\b",
    re.I,
)
_MEASURE_FALLS = re.compile(
    r"\b(?:strikes?\s+down|struck\s+down|overturns?|overturned|annul(?:s|led)?|quash(?:es|ed)?|voids?|voided|"
    r"invalidates?|invalidated|unconstitutional|votes?\s+down|voted\s+down|throws?\s+out|threw\s+out|"
    r"reject(?:s|ed)?|kippt|verwirft|anula|tumba|rechaza|censure|annule|invalide|rejette|boccia|annulla|respinge|"
    r"rejeita|derruba|vernietigt|verwerpt)\b"
    r"(?!\s+(?:\w+\s+){0,2}(?:challenge|appeal|bid|petition|complaint|lawsuit|case|claim|objection|motion)s?\b)",
    re.I,
)
_INTENT = re.compile(
    r"\b(?:bids?|attempts?|move|moves|plans?|push|calls?|vows?|seeks?|threatens?|tries|try|efforts?|fails?|failed|"
    r"refuses?|refused)\s+to\s+$",
    re.I,
)


def _says(verdict: re.Pattern[str], title: str) -> bool:
    """Whether a headline says ``verdict`` other than as what someone means to do."""
    return any(_INTENT.search(title[: m.start()]) is None for m in verdict.finditer(title))


def headline_verdict(title: str) -> int | None:
    """1 when a headline says a measure stands, -1 when it says one falls, None when it says
    neither or both ("Court upholds most of the law, strikes down data rule")."""
    stands = _says(_MEASURE_STANDS, title)
    if stands == _says(_MEASURE_FALLS, title):
        return None
    return 1 if stands else -1


def marked_verdict(terms: Collection[int]) -> int | None:
    """The verdict a stored headline's terms mark (``VERDICT_MARKS``), or None: as
    ``headline_move`` reads its way, at each decision from the terms stored."""
    return _marked(VERDICT_MARKS, terms)


def _marked(marks: dict[int, int], terms: Collection[int]) -> int | None:
    """The value whose mark (``MOVE_MARKS``, ``VERDICT_MARKS``) a stored headline's terms hold."""
    for value, mark in marks.items():
        if mark in terms:
            return value
    return None
