"""The coverage relation's reading of a text (``workers/coverage_terms.py``): which words are
names, figures and nouns, what a headline's change did, and the memo the reading runs on."""

from __future__ import annotations

from typing import Any

import pytest

from workers import coverage_terms, coverage_vectors, features, shingles
from workers import thread as thread_module


def test_a_currency_code_before_an_amount_is_no_headline_name() -> None:
    """A headline writes an amount with its currency's code ("VFL 4.3m"); reports write "4.3
    million florins" and never name the code, so as a headline name it would be the rarest one,
    the slot a report must name. Before an amount it is the amount's unit; elsewhere a name."""

    def headline(title: str, body: str) -> set[str]:
        raw = coverage_terms.raw_terms(title, shingles.normalise_paragraphs(body), thread_module._CALENDAR)
        by_hash = {coverage_terms._hash_term(t): t for t in ("vfl", "destry", "4.3")}
        return {by_hash[h] for h in raw.headline_terms if h in by_hash}

    body = "Lucan Destry took VFL 4.3m, prosecutors said. The VFL fell against the euro."
    assert headline("Destry charged with taking VFL 4.3m in bribes", body) == {"destry", "4.3"}
    assert headline("Destry charged with taking VFL4.3m in bribes", body) == {"destry"}
    assert headline("VFL slides as Destry is charged", body) == {"vfl", "destry"}


def test_the_token_memo_reads_as_a_fresh_read_and_stays_bounded(monkeypatch: Any) -> None:
    """raw_terms reads each distinct token once per process: a warm memo gives what a cold one
    does, a word capitalised where a sentence begins is not read as the name it is mid-sentence,
    and a full memo starts again (a bound on memory)."""
    title, paras = "Talks in Vienna", ["Leaders met in Vienna.", "Vienna hosted the talks."]
    calendar = frozenset({"monday"})
    coverage_terms._token_memos.clear()
    cold = coverage_terms.raw_terms(title, paras, calendar)
    assert coverage_terms.raw_terms(title, paras, calendar) == cold
    assert "vienna" in cold.entities and "talks" not in cold.entities
    assert "vienna" not in coverage_terms.raw_terms("", ["Vienna hosted the talks."], calendar).entities
    monkeypatch.setattr(coverage_terms, "_TOKEN_MEMO_SIZE", 3)
    coverage_terms.raw_terms("", ["one two three four five six seven"], calendar)
    coverage_terms.raw_terms("", ["eight"], calendar)
    first, following = coverage_terms._token_memos[calendar]  # words that begin a sentence, the others
    assert (set(first), set(following)) == ({"eight"}, set())


def test_a_capital_that_begins_a_clause_is_no_name() -> None:
    """After a colon or at an opening quote a capital begins a clause, as at a sentence's start:
    "Rallies" in "Migrant caravan: Rallies, weddings ..." and "Releasing" in a quote are words,
    so no headline reads them as names (a name the story would have to hold). A name written
    there is still one where the text names it elsewhere; the follow-up gates' entities read
    the text as before, and its words are the same."""
    h = coverage_terms._hash_term
    paragraphs = [
        "Migrant caravan: Rallies, weddings and prayers in Tijuana before the crossing.",
        'Organiser Irineo Mujica told reporters "Releasing the caravan now is our right," and added: '
        '"Mujica is not afraid."',
        "Mujica said the group would walk to the San Ysidro gate on Sunday.",
    ]
    raw = coverage_terms.raw_terms("Migrant caravan: Rallies before Tijuana crossing", paragraphs, frozenset())
    assert h("rallie") not in raw.name_hashes and h("releas") not in raw.name_hashes
    assert raw.counts[h("rallie")] == 2 and raw.counts[h("releas")] == 1  # still counted, as words
    assert {h("mujica"), h("tijuan"), h("ysidro")} <= raw.name_hashes
    assert raw.headline == {h("tijuan")}
    assert {"rallies", "releasing", "mujica"} <= raw.entities  # the follow-up gates' reading
    assert [w for w in shingles.clause_words(paragraphs[1]) if w[0] not in ':"'] == shingles.sentence_words(
        paragraphs[1]
    )
    assert shingles.clause_words("at 10:30 in Dover") == ["at", "10", "30", "in", "Dover"]


def test_a_name_written_with_a_capital_within_it_is_one_where_a_sentence_begins() -> None:
    """A wire report may begin every sentence that names the company with its name ("AeroValdor,
    the flag carrier, ...", "AeroValdor now expects ..."): read only where a sentence does not
    begin, the name was never one, the headline named nothing, and a rival's report that named
    the company in passing read as closer to the story than its own first report. A capital
    within a word after small letters is a name wherever it stands; a sentence's first word
    otherwise is not."""
    h = coverage_terms._hash_term
    paragraphs = [
        "AeroValdor, the flag carrier, raised its forecast on Wednesday after profit rose 18%.",
        "Revenue climbed 9% to 3.46 billion crowns. AeroValdor now expects a record year.",
        "McConnell said nothing.",
    ]
    raw = coverage_terms.raw_terms("AeroValdor lifts outlook as profit climbs 18%", paragraphs, frozenset())
    assert {h("aerova"), h("mcconn")} <= raw.name_hashes
    assert raw.headline == {h("aerova")}
    assert h("revenu") not in raw.name_hashes and raw.counts[h("revenu")] == 1


def test_a_word_written_in_capitals_for_emphasis_is_no_name() -> None:
    """A tabloid writes words in capitals for emphasis ("stayed SILENT", "MYSTERY DRONES"): read
    as names, they stood among the names of its headline ("SILENT PHONES MINISTER QUITS") and
    asked the story for a silence it never names (``coverage_terms._SHOUTED``, v20). Such a word
    of five letters or more is counted as a word; a shorter one is an acronym (NATO, the union's
    initials) and stays a name, as does a name with a capital within it; the follow-up gates'
    entities still hold it. The same whichever path reads the text (the clean stage's features,
    or the decider's reading)."""
    h = coverage_terms._hash_term
    title = "SILENT PHONES MINISTER QUITS"
    paragraphs = [
        "The minister in charge of the emergency alert system that stayed SILENT during the "
        "Skellicott earthquake has finally quit.",
        "Interior Minister Ismerode told the TRWU and NATO liaison officers that MYSTERY DRONES had "
        "not been the cause, and AeroValdor said its flights were unaffected.",
    ]
    raw = coverage_terms.raw_terms(title, paragraphs, features.CALENDAR)
    assert h("silent") not in raw.name_hashes and raw.counts[h("silent")] == 2  # body and headline
    assert h("myster") not in raw.name_hashes and h("drones") not in raw.name_hashes
    assert {h("trwu"), h("nato"), h("aerova"), h("ismero"), h("skelli")} <= raw.name_hashes
    assert h("silent") not in raw.headline  # the headline names nothing the story must give
    assert {"silent", "mystery", "drones"} <= raw.entities  # the follow-up gates read them as before
    shipped = features.assemble(features.analyse(title, "\n".join(paragraphs)), 2000, 1000, 12)
    assert shipped is not None
    assert shipped.raw.name_hashes == raw.name_hashes and shipped.raw.headline == raw.headline


def test_a_headline_move_is_the_one_way_its_words_say_a_change_went() -> None:
    def move(title: str) -> int | None:
        return coverage_terms.headline_move(coverage_terms.raw_terms(title, [], frozenset()).headline_terms)

    assert move("National Bank of Aldana raises key rate to 4.75%") == 1
    assert move("Central Bank of Morvania cuts key rate to 3.25%") == -1
    assert move("Südmark: Zentralbank hält Leitzins stabil") == 0
    assert move("Almenara recorta un 3% su plantilla") == -1
    assert move("Fed stands pat on rates") == 0
    # the clause giving the percentage says one way (``percent_clause_move``): the profit rose
    assert move("Aldacom profit rises 12% as shares slip") == 1
    # several ways, or none: no move
    assert move("Aldacom profit rises as shares slip") is None
    # the currency moved, the bank held: no one way
    assert move("Mark eases as Kestrian National Bank stands pat") is None
    assert move("Seven killed as train derails near Korvin") is None
    # inflation slows, cools or dips as a rate eases, and accelerates as one rises
    assert move("Orlanian inflation slows to 3.6% in August") == -1
    assert move("October CPI dip unlikely to sway National Bank; mark steady") is None  # a dip, and a hold
    assert move("Inflation accelerates to 5.4% in September") == 1
    assert move("Inflação abranda para 3,9% em fevereiro") == -1
    # "price rises" is a noun, and they slowed: two ways, so none (not a rise against a story of
    # inflation easing)
    assert move("Price rises slow down, but the weekly shop is still getting dearer") is None


def test_a_german_text_reads_a_capital_after_an_article_as_a_noun() -> None:
    """German capitalises its nouns: a capital after an article (and its adjectives) is a noun,
    unless the text also writes it as a name (without one); the names and counts stay as in
    any other text. An English text, and a German word in it, read no nouns."""
    h = coverage_terms._hash_term
    german = coverage_terms.raw_terms(
        "Erdbeben in Osterra: Tote in der Kleinstadt Ruthwen",
        [
            "Ein schweres Erdbeben hat die Kleinstadt Ruthwen im Norden Osterras erschüttert. Der nationale "
            "Dienst meldete mindestens sechs Tote und sagte, die Lage in Osterra sei ernst.",
            "Die Behörden des Osterranischen Staates stellten Soforthilfe bereit, und Ruthwen bleibt gesperrt.",
        ],
        frozenset(),
    )
    assert {h("erdbeb"), h("kleins"), h("dienst"), h("behord")} <= german.nouns  # (read without accents: "Behörden")
    # "des Osterranischen Staates" reads a noun, but "Osterras" and "Osterra" are written as names
    assert h("osterr") not in german.nouns and h("ruthwe") not in german.nouns
    assert german.nouns <= german.name_hashes  # nouns stay names: only the gates read them apart
    assert german.headline & german.nouns == {h("erdbeb"), h("kleins")}
    assert german.german
    english = coverage_terms.raw_terms(
        "Quake hits Ardmoor",
        ["The Erdbeben, as the Osterran press calls it, hit the Province of Ardmoor on Monday."],
        frozenset(),
    )
    assert english.nouns == frozenset() and not english.german


def test_an_english_text_using_words_german_has_too_is_not_german() -> None:
    """A German paragraph is told by a function word only German has: not by one English
    writes too. A minister in a borrowed hard hat, researchers from MIT, Sind province: an
    English report read as German had its names read as a German's nouns, and a story of
    English reports read as told in another language."""
    english = coverage_terms.raw_terms(
        "Lindahl tours quake-hit Brenhollow",
        [
            "Wearing a borrowed hard hat, Lindahl walked through the old town with the Governor and stopped "
            "in front of the ruins of the bell tower.",
            "Engineers from MIT and from the University of Sind inspected the ruins, Kestria's disaster agency said.",
        ],
        frozenset(),
    )
    assert english.nouns == frozenset() and not english.german


@pytest.mark.parametrize(
    ("title", "move"),
    [
        ("National Bank of Vellmora holds rate at 5.75%, signals cuts later in year", 0),
        ("Castemar National Bank raises key rate to 4.25% as inflation lingers", 1),
        ("Maridane central bank cuts rate by 50 basis points to 6.00%", -1),
        ("Nationalbank senkt Leitzins auf 2,75 Prozent", -1),  # the comma of a figure parts no clause
        ("Profit rises 8% as shares slip", 1),
        ("Mark eases as Kestrian National Bank stands pat", None),  # no percentage
        ("Profit rises and sales slip 3%", None),  # its clause says two ways
    ],
)
def test_the_move_of_a_headline_is_that_of_the_clause_giving_its_percentage(title: str, move: int | None) -> None:
    assert coverage_terms.percent_clause_move(title) == move
    terms = coverage_terms.raw_terms(title, [], features.CALENDAR).headline_terms
    marks = {m for m, mark in coverage_terms.MOVE_MARKS.items() if mark in terms}
    assert marks == (set() if move is None else {move})
    if move is not None:
        assert coverage_terms.headline_move(terms) == move


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "El Banco Central de Amaru recortó el jueves su tasa de referencia en medio punto, "
            "según un comunicado, y dejó abierta la puerta a más bajas durante los próximos meses.",
            "es",
        ),
        (
            "La Cour suprême a annulé mardi les droits de douane sur l'acier, selon un arrêt "
            "publié aux premières heures, ainsi que deux décrets du gouvernement.",
            "fr",
        ),
        (
            "La Banca Centrale ha tagliato i tassi di un quarto di punto, anche se il governatore "
            "ha detto che altri tagli non sono ancora decisi per quest'anno.",
            "it",
        ),
        (
            "The central bank cut its key rate by half a point on Thursday, which according to "
            "analysts opens the door to further cuts, although the governor said nothing more.",
            "en",
        ),
        # an English report quoting a Spanish name and phrase is English
        (
            "The Banco Central de Amaru cut its rate, which the governor called 'un paso "
            "necesario', according to a statement issued after the meeting.",
            "en",
        ),
        # too few words of any language's own to tell
        ("Amaru: 7.25%.", ""),
    ],
)
def test_a_text_is_in_the_language_whose_own_stop_words_it_uses_most(text: str, language: str) -> None:
    """The language of a text is told by the stop words only one language has (``text_language``):
    stored as a mark among the headline's terms for French, Spanish, Italian, Portuguese and
    Dutch (German keeps its own, English none), so that a story told in one of them is read as
    another language by an English input, on what is written alike."""
    raw = coverage_terms.raw_terms("", shingles.normalise_paragraphs(text), thread_module._CALENDAR)
    assert raw.language == language
    marked = coverage_terms.MARKS.intersection(
        coverage_vectors.select(raw, coverage_vectors.DocFrequencies(), 40, 64, 24).headline
    )
    assert marked == ({coverage_terms.LANGUAGE_MARKS[language]} if language in coverage_terms.LANGUAGE_MARKS else set())
