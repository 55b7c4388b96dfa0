"""Bylines: who a page credits, split into people (``authors``) and organisations (``credits``).

A byline is whatever string a page puts where an author goes ("Von Felix Schröder und Jörg
Soldwisch, dpa", "Autor: Monika Bolliger", "Elena Oberholzer (obe)", "牛镛", "Le Figaro et
AFP"). Reading one is three steps, each a fixed rule over plain strings:

1. strip what is not a name: labels in front ("By", "Von", "Autor:", "Text:", "Par", "Por",
   "Av", ...), emails and web addresses, trailing initials in parentheses, trailing job titles;
2. split where the byline lists several names ("," ";" "|" "&" "and" "und" "/"...): not on
   French "et" or Spanish "y", which are also initials ("Bruce Y. Lee");
3. say what each part is: a wire agency (:mod:`workers.agencies`), a desk or organisation
   (organisation words in several languages, a domain name, a name the site calls itself, or
   a structured field typed ``Organization``), a person (a name in any script: two to five
   words in a cased script, one to four in scripts without case), or neither (a place after
   the comma, a date, a menu label), which is dropped.

:func:`read_byline` does all three for one source; which source wins is decided in
:mod:`workers.metadata`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from workers.agencies import agencies_in, agency_of
from workers.text import WEEKDAYS, normalise_line


@dataclass(frozen=True, slots=True)
class Byline:
    """People and organisations one byline source credits, each once, in page order."""

    authors: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.authors or self.credits)


# labels in front of the names, in the languages of the pages we read (case-insensitive,
# optionally followed by ":"); longest first so "Text und Foto" wins over "Text"
_LABELS = (
    "written by",
    "reporting by",
    "reported by",
    "posted by",
    "ein kommentar von",
    "ein gastbeitrag von",
    "eine analyse von",
    "by",
    "from",
    "von",
    "autor",
    "autorin",
    "autoren",
    "author",
    "authors",
    "par",
    "por",
    "per",
    "di",
    "da",
    "av",
    "af",
    "door",
    "przez",
    "autore",
    "auteur",
    "escrito por",
    "publicado por",
    "yazan",
    "muhabir",
    "автор",
    "авторы",
    "작성자",
    "記者",
    "文",
)
# labels that are also words of a desk's name ("Redaktion hessenschau.de"): only with a colon
_COLON_LABELS = ("text und fotos", "text und foto", "text", "texto", "tekst", "текст", "redaktion", "fotos", "foto")
_LABEL_RE = re.compile(
    r"^\s*(?:(?:"
    + "|".join(re.escape(label) for label in sorted(_LABELS, key=len, reverse=True))
    + r")(?:\s*:\s*|\s+)|(?:"
    + "|".join(re.escape(label) for label in _COLON_LABELS)
    + r")\s*:\s*)",
    re.I,
)
# "Capital Von Jemima Kelly", "Sport by Jane Doe": a short section label before the label
_INNER_LABEL_RE = re.compile(r"^(?:\S+\s+){1,2}?(?:by|von|par|por|av|af|door)\s+(?=\S)", re.I)
_SPLIT_RE = re.compile(
    r"\s*(?:,|;|\||&|\+|/|\s-\s|\s\u2013\s|\band\b|\bund\b|\bog\b|\boch\b|\ben\b|\bi\b|\bve\b|\bи\b|、|，|・|\n"
    r"|(?<=\w{3})\.\s+(?=[A-Z]))\s*",
    re.I,
)
_EMAIL_RE = re.compile(r"\S+@\S+")
# RSS 2.0's <author> form, "address (Name)": the name is the byline, not a parenthetical to drop
_RSS_AUTHOR_RE = re.compile(r"^[^\s@()]+@[^\s()]+\s*\(([^()]+)\)$")
_URL_RE = re.compile(r"(?:https?://|www\.)\S*|\S+/\S+", re.I)
_WHOLE_URL_RE = re.compile(r"^(?:https?:|www\.|//)", re.I)
_CODE_RE = re.compile(r"[{}<>=]|\(\)")
_DOMAIN_RE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.I)
_PAREN_TAIL_RE = re.compile(r"\s*\([^()]{0,40}\)?\s*$")
_PAREN_RE = re.compile(r"\s*\([^()]*\)")
_DIGIT_RE = re.compile(r"\d")

# words that make a credit an organisation, desk or team, not a person (case-folded)
ORG_WORDS = frozenset(
    [
        "news",
        "nachrichten",
        "noticias",
        "nouvelles",
        "notizie",
        "nieuws",
        "nyheter",
        "nyheder",
        "uutiset",
        "haberleri",
        "haber",
        "новости",
        "staff",
        "team",
        "desk",
        "redaktion",
        "redaktionen",
        "redaktion.",
        "redacción",
        "redaccion",
        "rédaction",
        "redazione",
        "redactie",
        "redakcja",
        "redaksjonen",
        "toimitus",
        "agency",
        "agentur",
        "agentur.",
        "agencia",
        "agence",
        "agenzia",
        "ajansı",
        "ajansi",
        "press",
        "presse",
        "prensa",
        "stampa",
        "pers",
        "wire",
        "service",
        "services",
        "media",
        "medien",
        "group",
        "gruppe",
        "network",
        "newsroom",
        "bureau",
        "online",
        "digital",
        "web",
        "times",
        "post",
        "journal",
        "zeitung",
        "tageszeitung",
        "zeitschrift",
        "magazin",
        "magazine",
        "daily",
        "herald",
        "tribune",
        "gazette",
        "gazeta",
        "rundschau",
        "kurier",
        "anzeiger",
        "nachrichtendienst",
        "tagblatt",
        "tageblatt",
        "nieuwsblad",
        "dagblad",
        "channel",
        "radio",
        "tv",
        "television",
        "fernsehen",
        "rundfunk",
        "editorial",
        "editors",
        "editor-in-chief",
        "contributors",
        "inc",
        "ltd",
        "llc",
        "gmbh",
        "ag",
        "company",
        "corporation",
        "verlag",
        "admin",
        "administrator",
        "university",
        "institute",
        "foundation",
        "ministry",
        "office",
        "department",
    ]
)
# job titles and furniture trailing a name ("Tom Gillespie News reporter", "Jane Doe Staff writer")
_ROLE_WORDS = frozenset(
    [
        "reporter",
        "writer",
        "correspondent",
        "korrespondent",
        "korrespondentin",
        "editor",
        "senior",
        "chief",
        "political",
        "national",
        "sports",
        "business",
        "contributor",
        "columnist",
        "producer",
        "analyst",
        "redakteur",
        "redakteurin",
        *WEEKDAYS,
        "published",
        "updated",
    ]
)
# words of a job title before its last word ("News reporter", "Staff writer", "Auto Writer")
_TITLE_WORDS = frozenset(["news", "staff", "auto", "security", "science", "health", "senior", "ap", "afp"])
# scripts that have no letter case: a person's name may be one unspaced word there
_UNCASED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "ARABIC", "HEBREW", "DEVANAGARI", "THAI", "BENGALI")


def _is_uncased(word: str) -> bool:
    for ch in word:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return any(name.startswith(s) for s in _UNCASED_SCRIPTS)
    return False


def strip_labels(text: str) -> str:
    """The byline without labels in front ("By", "Von", "Autor:"), emails and web addresses."""
    text = normalise_line(text.replace("\u00a0", " "))
    rss = _RSS_AUTHOR_RE.match(text)
    text = rss.group(1) if rss else _EMAIL_RE.sub("", text)
    for _ in range(3):
        stripped = _LABEL_RE.sub("", text, count=1)
        stripped = _INNER_LABEL_RE.sub("", stripped, count=1) if stripped == text else stripped
        if stripped == text:
            break
        text = stripped
    return text.strip(" ,;:|-")


def _clean_part(part: str) -> str:
    part = strip_labels(part)
    part = _PAREN_TAIL_RE.sub("", part)  # "Elena Oberholzer (obe)" / "(obe" cut by the split
    part = _PAREN_RE.sub("", part)
    return part.strip(" ,.;:|-*\"'")


def _is_org(part: str, words: list[str], site: frozenset[str]) -> bool:
    folded = [w.casefold().strip(".,") for w in words]
    if any(w in ORG_WORDS for w in folded) or any(w.split("-")[-1] in ORG_WORDS for w in folded):
        return True
    if _DOMAIN_RE.match(part):
        return True
    return squash_name(part) in site


def squash_name(text: str) -> str:
    """A name as compared with the site's own names: NFKC, case-folded, letters and digits only."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def classify(part: str, *, typed_org: bool = False, site: frozenset[str] = frozenset()) -> tuple[str | None, str]:
    """(``"credit"``, ``"author"`` or None for not a name; the name without a trailing job
    title) for one cleaned byline part."""
    if not part or len(part) > 80 or (_URL_RE.search(part) and not _DOMAIN_RE.match(part)):
        return None, part
    if agency_of(part) or agencies_in(part):  # "Le Figaro et AFP": a credit naming an agency
        return "credit", part
    words = part.split()
    # "Tom Gillespie News reporter": a job title after a name is not an organisation
    if not typed_org and len(words) > 2 and words[-1].casefold() in _ROLE_WORDS:
        while len(words) > 2 and words[-1].casefold() in _ROLE_WORDS | _TITLE_WORDS:
            words.pop()
        part = " ".join(words)
    if typed_org or _is_org(part, words, site):
        return ("credit" if len(words) <= 8 else None), part
    if _DIGIT_RE.search(part):
        return None, part
    if _is_uncased(part):
        return ("author" if len(words) <= 4 and len(part) <= 24 else None), part
    while len(words) > 2 and words[-1].casefold() in _ROLE_WORDS:
        words.pop()
    if not 2 <= len(words) <= 5:
        return None, part
    if any(w.casefold() in _ROLE_WORDS for w in words):
        return None, part
    letters = [w for w in words if w[0].isalpha()]
    if len(letters) != len(words):
        return None, part
    # a name reads as capitalised words (particles such as "van", "de" allowed), or is all
    # lower case as some pages print it; an acronym among mixed-case words is not a name
    caps = sum(1 for w in words if w[0].isupper())
    lower = all(w.islower() for w in words)
    if not lower and caps < max(2, len(words) - 2):
        return None, part
    if not part.isupper() and any(len(w.strip(".")) >= 2 and w.strip(".").isupper() for w in words):
        return None, part
    return "author", " ".join(words)


def read_byline(
    values: Iterable[str], *, typed_org: bool = False, site: frozenset[str] = frozenset(), split: bool = True
) -> Byline:
    """People and organisations credited by byline strings from one source.

    ``typed_org``: the source says these are organisations (JSON-LD ``Organization``);
    ``site``: squashed names the site calls itself (its own name as a credit);
    ``split``: split lists of names (off for a structured field that holds one name).
    """
    authors: list[str] = []
    credits: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not value or not value.strip() or _WHOLE_URL_RE.match(value.strip()) or _CODE_RE.search(value):
            continue
        text = strip_labels(value)
        whole = _clean_part(text)
        kind_whole, _ = classify(whole, typed_org=typed_org, site=site)
        parts = [whole] if (not split or (kind_whole == "credit" and agency_of(whole))) else _SPLIT_RE.split(text)
        for raw_part in parts:
            kind, part = classify(_clean_part(raw_part or ""), typed_org=typed_org, site=site)
            if kind is None or part.casefold() in seen:
                continue
            seen.add(part.casefold())
            if kind == "author" and part.isupper() and not _is_uncased(part) and len(part.split()) > 1:
                part = " ".join(w.capitalize() for w in part.split())
            (authors if kind == "author" else credits).append(part)
    return Byline(tuple(authors), tuple(credits))
