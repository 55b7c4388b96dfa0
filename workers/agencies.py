"""Wire agencies: the maintained list of news agencies and the names they go by.

A page that credits an agency ("dpa", "(AP) —", "© Reuters", "Agence France-Presse") carries
the most useful byline a wire pipeline has: copies of one agency's text are the same story.
Each agency has one canonical id and its aliases (short code, full name, names in its own
script); matching is on whole words, case-insensitively, so "dpa" matches in
"Felix Schröder und Jörg Soldwisch, dpa" but "AP" does not match inside "APA" or "Japan".

Short codes that are also ordinary words or initials ("AA", "PA", "TT", "CP", "ANI") are only
recognised when they are the whole credit or stand in a credit line's parentheses, never
inside running text (:data:`AMBIGUOUS`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: canonical id -> aliases (the id itself is an alias). Keep entries alphabetical by id.
AGENCIES: dict[str, tuple[str, ...]] = {
    "aa": ("Anadolu Agency", "Anadolu Ajansı", "Anadolu Ajansi", "AA"),
    "aap": ("AAP", "Australian Associated Press"),
    "afp": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "ani": ("ANI", "Asian News International"),
    "anp": ("ANP", "Algemeen Nederlands Persbureau"),
    "ansa": ("ANSA", "Agenzia ANSA", "Agenzia Nazionale Stampa Associata"),
    "antara": ("Antara", "Antara News"),
    "ap": ("AP", "Associated Press", "The Associated Press"),
    "apa": ("APA", "Austria Presse Agentur", "APA-OTS"),
    "ats": ("ATS", "Keystone-ATS"),
    "belga": ("Belga",),
    "bernama": ("Bernama",),
    "bloomberg": ("Bloomberg", "Bloomberg News"),
    "cp": ("The Canadian Press", "Canadian Press", "CP"),
    "ctk": ("ČTK", "CTK", "Česká tisková kancelář"),
    "dpa": ("dpa", "Deutsche Presse-Agentur", "Deutsche Presse Agentur", "dpa-AFX", "dpa/tmn"),
    "efe": ("EFE", "Agencia EFE"),
    "epd": ("epd", "Evangelischer Pressedienst"),
    "europapress": ("Europa Press",),
    "ians": ("IANS", "Indo-Asian News Service"),
    "interfax": ("Interfax", "Интерфакс"),
    "irna": ("IRNA",),
    "jiji": ("Jiji Press", "Jiji", "時事通信", "時事通信社"),
    "kna": ("KNA", "Katholische Nachrichten-Agentur"),
    "kyodo": ("Kyodo", "Kyodo News", "共同通信", "共同通信社", "共同"),
    "lusa": ("Lusa", "Agência Lusa"),
    "mti": ("MTI",),
    "ntb": ("NTB", "Norsk Telegrambyrå"),
    "pa": ("PA Media", "PA", "Press Association"),
    "pap": ("PAP", "Polska Agencja Prasowa"),
    "pti": ("PTI", "Press Trust of India"),
    "reuters": ("Reuters", "Thomson Reuters", "路透社"),
    "ria": ("RIA Novosti", "РИА Новости"),
    "ritzau": ("Ritzau",),
    "sda": ("SDA", "Keystone-SDA", "Schweizerische Depeschenagentur"),
    "stt": ("STT", "STT-Info"),
    "tass": ("TASS", "ТАСС", "ИТАР-ТАСС", "ITAR-TASS"),
    "tt": ("TT", "Tidningarnas Telegrambyrå"),
    "ukrinform": ("Ukrinform", "Укрінформ"),
    "unian": ("UNIAN", "УНІАН"),
    "upi": ("UPI", "United Press International"),
    "xinhua": ("Xinhua", "Xinhua News Agency", "新华社", "新華社"),
    "yonhap": ("Yonhap", "Yonhap News Agency", "연합뉴스"),
}

#: aliases that are common words or initials: an agency only as a whole credit
AMBIGUOUS = frozenset({"aa", "pa", "tt", "cp", "ani", "ats", "apa", "antara", "jiji", "共同"})


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace("\u2011", "-").split())


_BY_ALIAS: dict[str, str] = {_fold(alias): key for key, aliases in AGENCIES.items() for alias in (key, *aliases)}
# longest first, so "Associated Press" wins over "AP" and "dpa-AFX" over "dpa"
_WORD_ALIASES = sorted((a for a in _BY_ALIAS if a not in AMBIGUOUS), key=len, reverse=True)
_ALIAS_RE = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in _WORD_ALIASES) + r")(?![\w-])")


def agency_of(credit: str) -> str | None:
    """The canonical id of the agency a whole credit names ("Associated Press" -> "ap"), or None."""
    folded = _fold(credit).strip(" .,;:()[]/©")
    return _BY_ALIAS.get(folded)


def agencies_in(text: str) -> list[str]:
    """Canonical ids of the agencies named as words in ``text`` ("Le Figaro et AFP" -> ["afp"]),
    in order of appearance, each once; ambiguous short codes count only as the whole text."""
    whole = agency_of(text)
    if whole:
        return [whole]
    out: list[str] = []
    for match in _ALIAS_RE.finditer(_fold(text)):
        key = _BY_ALIAS[match.group(0)]
        if key not in out:
            out.append(key)
    return out


def agencies_of(credits: Iterable[str]) -> tuple[str, ...]:
    """Canonical agency ids of a list of credits, each once, in order."""
    out: list[str] = []
    for credit in credits:
        for key in agencies_in(credit):
            if key not in out:
                out.append(key)
    return tuple(out)


# A credit line: "(AP) —", "(dpa) -", "/TASS/", "© dpa", "Quelle: dpa", "Foto: ..." is not one.
_CREDIT_LINE_RES = (
    re.compile(r"\((?P<name>[^()\n]{2,40})\)\s*[-\u2013\u2014:]"),
    re.compile(r"/(?P<name>[^/\n]{2,20})/"),
    re.compile(r"(?:©|\(c\)|copyright)\s*(?P<name>[^,;\n|]{2,40})", re.I),
    re.compile(
        r"^\(?(?:quelle|source|sources|fuente|fonte|källa|kilde|bron)\s*:\s*(?P<name>[^,;\n()]{2,40})\)?$", re.I
    ),
)


def credit_line_agencies(text: str) -> list[str]:
    """Agencies a dateline or credit line names, as the page prints them ("(AP) —" -> "AP").

    Only the opening line (the dateline) and the closing lines (the credit) are read, and
    only names on the agency list count: a parenthesis in running text is not a credit.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    out: list[str] = []
    for line in (lines[0][:200], *(ln[-120:] for ln in lines[-2:])):
        for pattern in _CREDIT_LINE_RES:
            for match in pattern.finditer(line):
                for piece in re.split(r"\s*[/,;]\s*|\s+(?:and|und|et|y|e)\s+", match.group("name").strip()):
                    name = re.sub(r"^\d{4}\s+", "", piece.strip(" ."))  # "© 2024 Reuters"
                    if agency_of(name) and name not in out:
                        out.append(name)
    return out


_ALIASES_AS_PRINTED = "|".join(
    re.escape(a) for a in sorted({a for aliases in AGENCIES.values() for a in aliases}, key=len, reverse=True)
)
# An agency credited in a headline: in parentheses ("Washington (AFP) -", "April 29 (UPI)"), or
# after a dash or bar at its end ("... - Reuters", as aggregators' feeds print titles). A code in
# capitals in parentheses that ends a headline ("... kills five (KUNA)", "(BSS)") is a credit
# too, of an agency the list does not hold: wires headline that way, and the event's own
# initials stand within the headline's words, not after them. So is such a code after a dash
# or bar at the end ("... rate to 4.75% | ABT"): the feed's or the page's credit line.
_HEADLINE_CREDIT_RE = re.compile(
    r"\(\s*(?:" + _ALIASES_AS_PRINTED + r")\s*\)|\s[-\u2013\u2014|]\s*(?:" + _ALIASES_AS_PRINTED + r")\s*$"
    r"|\s\(\s*[A-Z]{2,6}\s*\)\s*$|\s[-\u2013\u2014|]\s*[A-Z]{2,6}\s*$"
)


def without_credits(headline: str) -> str:
    """The headline without the agency credits it carries ("(AFP)", "- Reuters"), as the
    coverage relation reads its names: a credit says who wrote the report, not what the event
    is, and the reports of other outlets do not name it."""
    return _HEADLINE_CREDIT_RE.sub(" ", headline)
