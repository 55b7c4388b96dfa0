"""Coverage: is an article an independent report of the same event as a story?

Copies and follow-ups share text; independent coverage shares the *event*: the same who, what,
where and when told in other words. Its evidence is therefore not shingles but the vocabulary
of the event, above all its names: the places, people, organisations and figures an outlet
cannot report the event without. Method (``DECISION_METHOD`` below, recorded in every coverage
decision; ``coverage_terms.METHOD`` names the stored terms it reads). This module decides; a
text is read into its terms in ``workers/coverage_terms.py``, and weighed into the vectors the
similarity compares in ``workers/coverage_vectors.py``:

* Terms: names (capitalised words that do not start a sentence), numbers, and content words
  (stop words of the main European languages dropped). Every term is folded to its first six
  letters, a language-agnostic stemmer that also folds demonyms and inflections onto their
  name ("Osterran" / "Osterra", "Keldoran" / "Keldora", "Osterras"); numbers are kept whole.
  Outlets spell some names differently: an abbreviation loses its dots ("C.I.A." is "CIA") and
  a name with a short lower-case tail is its head ("Jong-un" is "Jong Un"). The headline's
  figures are kept whole among its terms, with a mark when it gives a percentage; a currency's
  code before an amount ("VFL 4.3m") is the amount's unit, not one of its names.
* Weights: ``(1 + ln tf) * idf * kind`` with names and numbers counted double, as in streaming
  news clustering (Miranda et al. 2018) and Event Registry. ``idf = ln((N + 1) / (df + 1)) + 1``
  over the articles live in the index: a name every story carries (a country, a president)
  weighs little, a town or a defendant a lot. Each article keeps only its ``max_terms``
  heaviest terms (hash + log-tf byte), chosen when it is indexed.
* Similarity: cosine of the two weighted vectors (idf as of the decision, so a stored article's
  weights follow the window as it fills), damped by the time gap (``exp(-gap / time_scale)``,
  within ``window``): coverage follows an event within hours or a few days. A story is chosen
  by its best-matching member; it passes the threshold when that member does or when the story
  as a whole does (the ``centroid`` of its members' vectors, damped by the best member's gap):
  a report written far from each member can share what they tell together, within one news
  cycle of that member (``centroid_gap``: later, the centroid's vocabulary matches the topic,
  a commentary or another event of the same setting, as well as the event). Passing through
  its best member alone, an input must share some words with the story's other reports too
  (``min_rest_cosine``): a story of several reports is one event, and a member that touched on
  another event does not draw that event's reports in. Candidates come from the input's rarest
  terms' postings.
* Look-alike gates, the ones today's follow-up test uses, applied to the event instead of to
  a text: the names of the input's *headline* must be found among what the story is about (its
  headlines and heaviest terms: a second quake names another town, another central bank another
  country, the club's next match another opponent); the story's headline words must be found in
  the input, and the *rarest* name of a story headline (the defendant, the opponent, the town)
  must be named in it when it is rare in the window (a country every story names is no slot,
  and a local report leaves its own country out); the shared names must carry real idf weight; and when both sides quote
  several figures (counts, amounts, rates, scores, not years) some must agree (the same
  template on the next day or for another company fills in other figures). When both headlines
  give a percentage (a rate, a profit's change), a headline figure of one must be found in the
  other: another bank's decision or the next quarter gives other ones (counts are not compared:
  a toll grows as an event unfolds). A look-alike shares everything but one slot of
  who/what/where, and the headline is where a report puts that slot: the input's headline names
  must be 80% found (idf-weighted), so that one slot of a four-name headline cannot be missing;
  60% when the two quote a *telling figure* (``telling_form``: "1,800", "186", "412"; rare in the
  window), the event's own number, which a look-alike does not repeat. A common name of the
  headline (a country or a capital, held by as many live articles as a figure too common to
  tell) is found among all the names the story gives, not only its prominent ones: a report
  headlines its setting ("Kestrian ex-mayor jailed") where the story names it in passing, and
  the slot a look-alike fills differently is a rare name.
  Outlets differ in giving first names ("Donald Trump" in one headline, "President Trump" in
  the story): a headline name directly before another headline name that its text uses more
  often (a given name before its surname) is found when that name is.
* Protagonist: the input's most salient name (``(1 + ln tf) * idf``), when it repeats it
  throughout (``min_protagonist_mentions``), must be named somewhere in a story of at least
  ``min_protagonist_reports`` reports. Another event in the same setting (Netanyahu presenting
  files on the Iran deal, the French president's visit about the same deal) shares most names
  but not the one its own event turns on. One report may leave out a name another repeats (a
  lawyer quoted throughout one report of an inquiry): a single report's silence is not judged.
* Arrival order: an input published *before* a member it matches, arriving after it, is also
  judged with the roles swapped (the member's stored terms as the input, the input as the
  story), as the decision in publication order would have been. Swapped, the input is the
  story, and its text is in hand: a member's names are looked for among all its terms, not only
  among the heaviest ones the index would keep of it. The input's protagonist is still asked of
  a story of several reports: its reports leaving out the one the input repeats throughout tell
  another event, whichever was published first. A member stamped with the same instant as
  the input (two dates without a time, as many feeds and pages give them) may have been
  published after it: the two are judged both ways, since the order they were published in
  is unknown.
* Mutual headlines: an input whose headline names are found in the story and a member whose
  headline names are found in the input, every gate but the story's headline words holding
  both ways, pass without those words when the two headlines give at least two names between
  them. Reports in other words (a reaction, a market report, a local angle) rarely repeat each
  other's headline words but name the same who and where; a look-alike's other slot sits in its
  own headline, so it is found in one direction only; and one shared name alone (the same
  person in two stories) is not an event. Passing without one gate, the two texts must also be
  closer than the bare threshold asks (``min_mutual_cosine``): a report of the president's next
  announcement names her and the country as the story of her last one does, and shares its
  setting's words, not the event's.
* Close texts (v42): an input published after the story's nearest member (or at its instant, v44:
  ``may_follow``), every gate but the story's headline words holding, passes without them where its
  text is as close to that member's as ``close_text_cosine`` and one word of what happened is shared
  either way (``close_text_words``): a report of its own angle (a tabloid's, a market's, a town's)
  headlines it in words of none of the story's headlines; the same minister's other engagement of
  the afternoon shares every name and no word of what she did.
* A site's own reports: a story holding a report of the input's site published before it must
  give every name of the input's headline in its own headlines (``own_site_headline_names``,
  v25). A site reports an event a second time in other words under the names its story
  headlines already (the explainer of the deal names the two countries) or under none (the
  analysis); its report of another event in the formula of its first shares the first's names
  and words and every other gate, and headlines the slot it fills (the trade minister's other
  counterpart that afternoon, the company's results the morning after its former chief's
  verdict). Other outlets are not asked it: each headlines its own angle. The rules ask it; the
  rescue model asks such a story a higher probability instead (``rescue_same_site_probability``).
  Such a story asks besides for a word of what its headlines say happened in the input
  (``own_site_story_words``, v32): the site's report of another event in the setting of its
  first shares the setting's names, in its headline too, and none of the event's words. And
  where the input headlines a percentage, a member of the story must print it
  (``own_site_headline_figures``, v33): a site's next release in its formula (the producer
  prices after the consumer prices, the inflation figure the day after the rate) headlines the
  figure its own event gives, and may print the first's in passing. A piece labelled an
  analysis, an explainer or a comment (``RawTerms.labelled``) is not asked for its headline's
  names (``labelled_pieces``, v34): it is about an event already reported, and headlines whom
  it turns on (the governor's dissent, the minister's successor) as the site's report of
  another event does not. Such a piece is joined by the rescue model at a lower probability
  (``rescue_labelled_probability``, v35): it is no new event.

* Another language: German capitalises its nouns, so its nouns read as names; a capital after
  an article (and its adjectives) that the text never writes as a name is read as a noun
  (``RawTerms.nouns``), and an article with a German paragraph is stored as German
  (``LANGUAGE_DE`` among its headline terms); a French, Spanish, Italian, Portuguese or Dutch
  one by its own mark (``LANGUAGE_MARKS``), told by the stop words only its language has
  (``text_language``; since v17: before, a Spanish report of an English story was read as if it
  were English, its words compared with words it cannot share). A story none of whose members
  is in the input's language is told in another language (``in_other_language``): the gates
  read the input's names without its nouns, and the similarity is that of its names and
  figures (``names_vector``), what is written alike in two languages. The story's side is read as
  stored: a look-alike's other town is a name in any language, and a German story of another
  event holds its own nouns. A story's centroid sums the members in the input's language only.
  A story headline's rarest name may be a word the other language translates ("Ysbane Valley",
  "the National Assembly"): any rare name of that headline named stands for it (v22).

Consistency: document frequencies are the lengths of the term postings, a pure function of the
set of indexed articles (each article's stored term hashes count once), maintained on every put
and drop of an article, so an index restored from the compacted changelog in any order holds
the same frequencies and decides as its predecessor did. ``coverage_terms.METHOD`` is stored with
each article's terms: terms of another method version are not compared.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Collection, Container, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from workers import coverage_model
from workers.coverage_model import RescueModel
from workers.coverage_terms import (
    LANGUAGE_DE,
    LANGUAGE_MARKS,
    MARKS,
    PERCENT,
    RawTerms,
    headline_move,
    language_mark,
    marked_verdict,
)
from workers.coverage_vectors import LOG_TF, CoverageFeatures, Vector, centroid, cosine, weighted_share

# The decision rules over the stored terms (``coverage_terms.METHOD``; recorded in every coverage
# decision's evidence): v4 added the protagonist gate to the v3 rules, v5 the telling figures
# (``telling_form``), v6 the reading of a story told in another language (``in_other_language``,
# from the input's own text), v7 the headline's names without the agency it credits ("(AFP)", "-
# Reuters": ``agencies.without_credits``; a headline stored by v6 may still hold one until it
# expires) and no name read in a capital that begins a clause (after a colon, at an opening quote),
# and the story's centroid only within ``centroid_gap`` of its best member; v8 a credit of an agency
# off the list ("(NPA)" ending a headline) read as a credit, mutual headlines only between texts as
# close as ``min_mutual_cosine``, a given name one its text uses less often than the surname after
# it (not half as often), no input passing through one member of a story whose other reports it
# shares almost nothing with (``min_rest_cosine``), and the rarest name of a story's headline
# required of a report only when it is rare in the window (``rare_subject_only``); v9 such a code
# after a dash or bar ending a headline ("... rate to 4.75% | ABT") read as a credit, a word with a
# capital within it ("AeroValdor") a name where a sentence begins too, and a headline moving only
# another way than the story's percentage headlines (``headline_move``) another event; v10 a common
# name of a headline (a country, a capital) found among all the story's names
# (``common_headline_names``), and no word English writes too ("hat", "mit") read as the mark of a
# German paragraph; v11 a story the input tells of only as a separate matter, or that tells so of
# the input, another event (``sets_apart``), and the way a headline's percentage went read from the
# clause giving it (``percent_clause_move``); v12 an amount with its multiplier or unit written on
# ("£412m") the figure "412 million" gives (stored terms v8); v13 a currency's code before an amount
# in a headline ("VFL 4.3m") no name of it (stored terms v9); v14 the input's protagonist asked of a
# story of several reports when the input is judged with the roles swapped too
# (``earlier_protagonist``); v15 an input telling of the headline of any of the story's members only
# as a separate matter another event (``sets_apart``: not only of its best match's), and the rescue
# model (``RESCUE_MODEL``) where the rules turn down every story; v16 a word of the window as
# common as a figure too common to tell (the country) passed over in asking whether a report tells
# of another only as a separate matter, two rare words then asked (``set_apart_rare_words``); v17
# a story told in French, Spanish, Italian, Portuguese or Dutch read as another language by an
# input in English or German, and the other way round, as German alone was (the stored terms'
# language marks of ``coverage_terms`` v10); v18 an input and its best match each mentioning the
# other's headline names only in passing (``mentioned_in_passing``: the terms ``coverage_terms``
# v11 stores as such) two events; v19 the headline names both give left out of that test when the
# input also writes each in lower case (an institution's word: the same court's second ruling),
# and the window's common names (the setting) passed over in it; the rescue model read at 0.9;
# v20 the rescue model asked of a story failing the share of its headline words found in the
# input too, not only the share of the input's headline names found in it
# (``rescue_story_headline``); v21 the stored terms of v12, which set apart what a report tells
# where it places its own event in time against another ("The ruling came hours after the same
# court struck down the data law": ``coverage_terms.sets_apart_words``); v22 a story told in another
# language whose headline's rarest name is a word that language translates ("Valley", "Assembly")
# named when another rare name of that headline is (``foreign_subject_any_name``), and the rescue
# model asked of stories as similar as ``rescue_min_similarity`` (0.10), not only as the rules ask;
# v23 that floor for a story in the input's language only (``rescue_min_similarity_other_language``:
# in another, the similarity of names and figures is asked what the rules ask); v24 the rescue
# model logit-v2, read at 0.7, and at 0.95 of a story holding a report of the input's site
# (``rescue_same_site_probability``); v25 a story holding a report of the input's site published
# before it asked by the rules for every name of the input's headline among its headlines' names
# (``own_site_headline_names``); v26 the rescue model trees-v1, boosted trees in place of the
# logistic regression (``workers/coverage_model.py``), read at 0.7 as logit-v2 was; v27 the rescue
# model asked of a story whose headlines' rarest name the input does not name too
# (``rescue_unnamed_subject``); v28 a story sharing few names with the input asked by the rules
# for a word of its headlines in the input too (``weak_shared_name_idf``); v29 the stored terms of
# v13, which read a figure printed the continental way as English prints it ("5,8" as "5.8"); v30
# the stored terms of v14, which read every term without its accents ("Zürich" as "Zurich"); v31
# the stored terms of v15, which read a headline's slowing, cooling or dip as a fall and its
# acceleration or rebound as a rise (``coverage_terms.headline_move``); v32 a story holding a
# report of the input's site published before it asked for a word of what its headlines say
# happened in the input (``own_site_story_words``); v33 such a story asked for the percentage the
# input's headline gives among its members' figures (``own_site_headline_figures``); v34 an input
# labelled an analysis, an explainer or a comment not asked for its headline's names by such a
# story (``labelled_pieces``); v35 such an input joined by the rescue model at
# ``rescue_labelled_probability``; v36 a question a headline answers ("Why ...", "what it means
# for ...") read as its label too (``coverage_terms._LABELLED``); v37 the stored terms of v16,
# which read a decimal without the zeros that end it ("4.50" as "4.5"); v38 the rescue model
# asked 0.8 of a story whose headlines' rarest name the input leaves unnamed, not 0.9
# (``rescue_unnamed_subject_probability``); v39 the stored terms of v17, and no "keep" read as a
# hold in a headline (``coverage_terms._HOLDS``: "Kovald keeps his options open"); v40 what its
# readers need to know read as a headline's label too ("After the quake: what Catterby homeowners
# need to know about inspections": ``coverage_terms._LABELLED``); v41 two reports each
# mentioning the other's headline names only in passing only where one of them mentions some
# (``in_passing_mentioned``: a name a report never uses is not mentioned in passing); v42 an input
# published after the story's nearest member, whose names agree with the story and whose text is
# as close as ``close_text_cosine`` to that member's, sharing a word of what happened either way
# (``close_text_words``), not asked for the story's headline words (a report of its own angle);
# v43 the rescue model read 0.05 under its thresholds (0.65, and 0.75 for a story whose rarest
# headline name the input leaves unnamed) where the input was published after the story's
# nearest member (``rescue_later_margin``); v44 an input stamped at the same instant as the story's
# nearest member read as published after it by both (``may_follow``: a day's reports given their
# date alone); v45 the stored terms of v18, a rate's change given in points read as a headline's
# percentage ("quarter-point hike": ``coverage_terms._PERCENT``); v46 the rescue model read at
# 0.6, not 0.7 (0.55 for an input published after the story's nearest member); v47 a story whose
# headlines' rarest name the input leaves unnamed asked 0.8 only by an input published before the
# story's nearest member (``rescue_unnamed_subject_before_only``); v48 the stored terms of v19, and a
# story telling a rare name of the input's headline only as another engagement of its day another
# event (``told_as_other_engagement``); v49 the stored terms of v20, no word written in capitals
# of five letters or more read as a name (``coverage_terms._SHOUTED``); v50 the stored terms of v21,
# no "follows" with a time after it read as placing the event after another
# (``coverage_terms._COMES_LATER``: "Our analysis follows later today"); v51 the stored terms of v22,
# a headline saying a measure stands against a story whose headlines say only that one falls, or
# the other way, another event (``opposite_verdicts``: the same court's other ruling that morning).
DECISION_METHOD = "tfidf-names-v51"

# The rescue model the decider ships (``workers/coverage_model.py``): boosted trees fitted to the
# failed judgements of the repository's labelled corpora (coverage-dev and the held-out sets 1 to
# 24, in time order and on one day, under v25's rules: 14,740 judgements, 771 of the input's event)
# by ``bench/probe_learned.py --fit trees-v1``, before sets 25 and 26 (written to measure it) were
# added: with them, ``--fit`` gives another model. Read at 0.7, as logit-v2 (v24-v25) was, through
# v45; at 0.6 since v46 (its file's ``min_probability``): over the 68 held-out sets the lower
# reading raised recall in time order on 22 sets and with dates alone on 31, precision lost on none
# and no look-alike pair more in either, where reports are decided in the order they were published;
# decided in shuffled orders, or with ten days' news pressed into one, some look-alike pairs more
# (five orders 474 -> 495 of 22,000, one day 627 -> 654 of 4,500; the v46 paragraph of
# docs/coverage-history.md). Leaving each corpus out (``bench/probe_learned.py``), over coverage-dev
# and sets 1-24 the trees gave the rules more recall than the regression in every variant and no
# less precision: see the v26 paragraph of docs/coverage-history.md for the figures.
RESCUE_MODEL: RescueModel | None = coverage_model.load("trees-v1")
# Where ``rescue_measures`` gives whether a story headline's rarest name is named.
_SUBJECT_NAMED = coverage_model.RESCUE_MEASURES.index("subject_named")


@dataclass(frozen=True)
class CoverageSettings:
    """Thresholds of the coverage relation (see the module docstring)."""

    enabled: bool = True
    max_terms: int = 40
    max_names: int = 64
    max_figures: int = 24
    # Terms used to look candidates up: the input's rarest ones (cheap, selective).
    lookup_terms: int = 16
    # A term held by more live articles than this is too common to find candidates with.
    max_postings: int = 400
    max_candidates: int = 12
    # Members of a story whose names the gates look at (oldest first): bounds the work per story.
    max_story_members: int = 16
    window: timedelta = timedelta(days=3)
    time_scale: timedelta = timedelta(days=2)
    # Damped cosine at or above which two articles report the same event (gates permitting).
    min_similarity: float = 0.15
    # A story of several reports is one event: an input that passes through its best member but
    # whose words the story's other reports (at least ``min_rest_reports``, their centroid) share
    # almost nothing of (a cosine under this) is another event that member touched on, the chain
    # single-link clustering is known for (a neighbour's report of a president's retirement that
    # dwells on the border deal signed the next day drew the deal's first report in).
    min_rest_cosine: float = 0.1
    min_rest_reports: int = 2
    # The story as a whole (its centroid) stands for its best member only this close to it: one
    # news cycle (a topic's vocabulary matches the centroid as well as the event's does).
    centroid_gap: timedelta = timedelta(hours=12)
    # idf-weighted share of the input's headline names found in the story, and of the story's
    # headline names found in the input.
    # (0.8: a four-name headline may not miss one name of average weight: that is the slot a
    # look-alike fills differently.)
    min_headline_in_story: float = 0.8
    min_story_headline_in_input: float = 0.4
    # ...not asked (nor the story headline's words) of an input published after the story's nearest
    # member (or at its instant: ``may_follow``), whose names agree with the story (every look-alike
    # gate holds) and whose text is this close to that member's (cosine, before the time damping; 0:
    # always asked). A report in its own words headlines its own angle (the tabloid's "Ex-mayor
    # caged over harbour bribes", the market's reaction, a local paper's town) in words of none of
    # the story's headlines, and tells the event in its text; a look-alike sharing this much of the
    # text is the same template filled in for another who, where or figure, which the names gates
    # are for. Published after: an earlier report arriving late may hold the story's event as the
    # background of its own (the defendant's tax verdict, recalled by his appeal ruling of the next
    # day). (0.35: over 58 held-out sets in time order, recall up on eight and precision on four,
    # recall down on one; in five arrival orders no look-alike pair more; on one day 10 more of
    # 3,889.)
    close_text_cosine: float = 0.35
    # ...and where a word of what happened is shared either way (``_close_words``): the same
    # minister's two engagements of an afternoon share every name and place, and no word of what
    # she did. 0: not asked.
    close_text_words: int = 1
    # Words of a story headline, beside its names, the input must use, for one headline at least:
    # what the story's event was ("signs", "budget", "law"), where its names say only who. Asked
    # where the share above is waived (``headline_waived``: ``rescue_story_headline_words``); 0:
    # not asked.
    min_story_headline_words: int = 0
    # ...lowered to this when the two reports share a telling figure (``telling_figures``): the
    # event's own number ("1,800 jobs", "186 km", "412 million") says which event it is, and a
    # report may then headline a name the story does not (the company's country, a hometown).
    min_headline_with_figure: float = 0.6
    # A telling figure is rare in the window too: its idf at least this share of the highest
    # idf the window gives (a figure held by more than about the square root of the live
    # articles says nothing of one event).
    telling_figure_idf_share: float = 0.5
    # The rarest name of a story's headline must be named in a report of its event only when it
    # is as rare in the window as a telling figure (the defendant, the town, the opponent): a
    # country or a president that every story of the setting names is no slot a look-alike
    # fills differently, and a local paper's report of the blast never names its own country.
    rare_subject_only: bool = True
    # Whether the gates ask it at all (the rules do; ``headline_waived`` lifts it when
    # ``rescue_unnamed_subject``).
    subject_required: bool = True
    # Shared names must carry at least this much idf mass (two distinctive names, roughly).
    min_shared_name_idf: float = 5.0
    # ...and a story sharing less than this (about three distinctive names) is joined only when
    # the input tells what happened too: a word of some headline of the story that is no name
    # nor figure of it (``_story_words_found``). Few names say where, not which event: "Passenger
    # train collides with freight train near Brennick" shares the town and the country with a
    # story of the town's football club beaten at home, and none of its headlines' words. 0: not
    # asked (v27). Leaving it unasked above would cost reports telling the event in other words
    # than a story's headlines (the tabloid's "VAL'S AXE FALLS" of a reshuffle) that share ten
    # names with it.
    weak_shared_name_idf: float = 15.0
    # idf-weighted share of the input's figures found in the story, when it has a few.
    min_numbers_compared: int = 6
    min_numbers_in_story: float = 0.05
    # An input published before a member it matches (or at the same instant: a date without a
    # time says nothing of which came first) is judged with the roles swapped too.
    swap_roles: bool = True
    # Two reports whose headline names are found in each other pass without the story's
    # headline words (see ``judge``).
    mutual_headlines: bool = True
    # Distinct names the two headlines give between them for mutual headlines (two slots: a
    # single shared name, one person in two stories, would join every story about them).
    min_mutual_headline_names: int = 2
    # ...and whose texts are this close (the two reports' cosine, before the time damping): the
    # route passes without one gate, so the words must tell more of one event than the bare
    # threshold asks. A report of another event of the same people (the president's next
    # announcement, which names her and the country as the story's headlines do) shares their
    # setting's vocabulary, a cosine about 0.2; a report of the event in other words, more.
    # Not asked of a story told in another language, compared on names alone.
    min_mutual_cosine: float = 0.22
    # A headline's given name directly before a name the story holds ("Donald Trump", where the
    # story says "President Trump") is found with it (see ``head_pairs``).
    given_names: bool = True
    # The input's whole text, not only its stored terms, stands for it when the roles are
    # swapped (see ``TextProbe``).
    probe_full_text: bool = True
    # An input's most salient name, repeated at least this often, is its protagonist: a story
    # of at least ``min_protagonist_reports`` reports must name it too (0: not judged; see
    # ``_gates``). One report may leave out a name another repeats (a lawyer quoted
    # throughout one report of an inquiry); every report of a story leaving it out says the
    # story's event is another one.
    min_protagonist_mentions: int = 8
    min_protagonist_reports: int = 2
    # ...asked of an input judged with the roles swapped too (see ``_protagonist_story``).
    earlier_protagonist: bool = True
    # A story told in another language is judged on what is written alike (see ``judge``).
    foreign_reading: bool = True
    # ...where the rarest name of a story headline is a word its language writes as a name
    # ("Valley", "Assembly", "Court": the Dutch report writes "vallei", the French "Assemblée"),
    # the slot is named when any rare name of that headline is (see ``_subject_named``).
    foreign_subject_any_name: bool = True
    # A common name of the input's headline (a country, a capital: its idf under that of a
    # telling figure, so held by more than about the square root of the live articles) is
    # found among all the story's names, not only what its headlines and heaviest terms are
    # about: a report headlines the setting ("Kestrian ex-mayor jailed", "Marrowland sends water
    # bombers to Norvassa") that the story names in passing. The slot a look-alike fills
    # differently (a town, a defendant, an opponent) is a rare name.
    common_headline_names: bool = True
    # A headline whose words move one way (up, down, held) against a story whose headlines give
    # a percentage moving only the other ways is another event (see ``headline_move``).
    opposite_moves: bool = True
    # ...the way the clause giving a headline's percentage says, when it says one ("holds rate
    # at 5.75%, signals cuts later in year": held; see ``percent_clause_move``).
    percent_clause_moves: bool = True
    # A headline saying a measure stands (upheld, passed) against a story whose headlines say only
    # that one falls (struck down, rejected), or the other way, is another event: the same court's
    # or chamber's other decision (see ``coverage_terms.headline_verdict``).
    opposite_verdicts: bool = True
    # A report that uses the words of its best match's headline (beyond its own headline's) only
    # where it sets another matter apart ("hours after the same court struck down the data law
    # in a separate case") tells of that event as another one: the court's other ruling, the
    # defendant's other case, the rival's results "separately on Wednesday".
    set_apart_mentions: bool = True
    # ...of at least this many of those words, in the input's text (whole in hand: "retention"
    # of "data retention law", the rest stop words), and in a member's (``CoverageFeatures.apart``:
    # the index keeps its heaviest terms and names, so a word found only where it sets another
    # matter apart may be one it uses elsewhere under terms the index let go; and one word is a
    # coincidence as often as a mention: the "separate regional election" of a report of the
    # regional vote the input headlines "election"; its "separate trial on tax evasion charges"
    # a mention of the trial).
    min_set_apart_words: int = 1
    min_stored_set_apart_words: int = 2
    # A word of the window as common as a figure too common to tell (the country, the capital
    # every report of the setting names: ``min_telling_idf``) says nothing of which matter a
    # paragraph tells, and a look-alike names its setting where it tells its own event too (a
    # court's other ruling "in Castemar"): such words are passed over, and then at least this
    # many rare words must be told apart (one is as often a coincidence: a report of the mayor's
    # sentence telling of "a new and separate case" against him, the story headline's "case").
    # 0: every word counts, as in v15.
    set_apart_rare_words: int = 2
    # Two reports each of which mentions the other's headline names only in passing (in one
    # paragraph after its lead: ``RawTerms.passing``) are two events telling each other as
    # background: the president's second visitor of the afternoon ("Earlier on Tuesday she
    # hosted Estrania's Jorge Ibarra") and the report of the first visit ("The president was
    # to receive Valmont's Claire Duvall later in the day"), each naming the other's every
    # headline name. Kept apart when, both ways, under this idf-weighted share of the other's
    # headline names is told (named in the headline, the lead, or two paragraphs). A report of
    # the event in other words tells the story's names where it tells its event, or the story
    # tells its names so (see ``mentioned_in_passing``). 0: not judged, as in v17.
    max_told_in_passing: float = 0.35
    # The headline names both give, when the input writes each in lower case too (an
    # institution: "the court"), left out of the in-passing test (``mentioned_in_passing``).
    ordinary_shared_names: bool = True
    # The window's common names (the setting: under a telling figure's idf) passed over on both
    # sides of that test, unless a side would be left with none (``mentioned_in_passing``).
    in_passing_rare_names: bool = True
    # ...and on one side at least some of the other's headline names are mentioned, in passing:
    # a name a side does not use at all is not mentioned in passing. v40 read a name left out as
    # one told in passing: the business paper's report of the port strike ("Brazhvik strike
    # snarls exports as fruit traders and parts makers count the cost") says "dockers", not the
    # wire's "Dockworkers", and the wire never names the fruit cooperative its headline names,
    # so each was read as mentioning the other's only in passing and the report was kept apart as
    # another event. Asked of one side, not both: a look-alike of the same afternoon often names
    # the other's event in passing on one side only (its background), and the other side none of
    # its names (asked of both sides, five arrival orders and one day merged more look-alikes).
    in_passing_mentioned: bool = True
    # A story telling a rare name of the input's headline only as another engagement of its day
    # ("Later today Mr Pruett hosts Gulvetia's foreign minister ...") is another event
    # (``told_as_other_engagement``): the same minister's other meeting of the day. False: not
    # judged, as in v47.
    other_engagement: bool = True
    # Where the rules turn down every candidate story, the story the rescue model gives the
    # input to (``rescue``), nearest first; None: the rules alone.
    rescue: RescueModel | None = RESCUE_MODEL
    # The rescue model weighs a story that fails the share of its headline words found in the
    # input (``min_story_headline_in_input``) as well as one failing the share of the input's
    # headline names found in the story (``headline_waived``): both are the headline gates a
    # report in other words fails (a tabloid's "MORTGAGE MISERY: Bank bosses hike rates AGAIN"
    # finds 0.32 of "Kestravan central bank raises key rate to 4.25%"), and the model weighs
    # both shares. False: the names' share alone, as in v19.
    rescue_story_headline: bool = True
    # ...asking instead this many words of some story headline that are no name nor figure of
    # it (``min_story_headline_words``): what happened, where the names say who (one minister's
    # budget signing and her flood visit that afternoon share every name and no such word).
    rescue_story_headline_words: int = 1
    # The rescue model weighs a story whose headlines' rarest name the input does not name
    # (``subject_required`` lifted in ``headline_waived``; ``subject_named`` among its measures,
    # fitted on judgements of both kinds): a report in other words names the event's setting,
    # not always its rarest slot (the tabloid's "RENT-ASTIC! Tenants cheer as greedy hikes
    # capped" never names the National Assembly that passed the law; a local paper's quake story
    # its town, never the highlands the story headlines). Leaving each corpus out, recall rose more
    # than the look-alikes merged (the v27 paragraph of docs/coverage-history.md). False: asked, as in v26.
    rescue_unnamed_subject: bool = True
    # ...at this probability at least: a story whose slot the input leaves unnamed is more often
    # another event in the same setting than one whose slot it names. Leaving each corpus out,
    # at 0.9 the look-alikes merged stayed as many as in v26 (in arrival orders fewer), at the
    # model's own 0.7 more (158 -> 167 of pairs over three arrival orders). 0.8 from v38: over
    # the 48 sets, 20 of them written after 0.9 was chosen, no precision lost in time order,
    # with an hour's polling lag or with dates alone, recall up (a flood's wire report after
    # the regional paper's, whose headline names the flooded quarter); in shuffled orders and
    # on one day some look-alike pairs more (the v38 paragraph of docs/coverage-history.md).
    rescue_unnamed_subject_probability: float = 0.8
    # ...asked only of an input published before the story's nearest member (since v47): one
    # published after it (``may_follow``) is asked what any input is (the model's own threshold
    # less ``rescue_later_margin``). The model weighs whether the slot is named
    # (``subject_named`` among its measures); asking more of it again cost reports of the event
    # in the order they are published (the local paper's "Sibrany earthquake: two dead, dozens
    # injured as residents spend night outdoors", 0.69, under the wire's "Magnitude 5.6
    # earthquake strikes Vornask province, two dead"). A report published before the story's
    # member, arriving late, is where the slot tells most: the previous stage of a cycling tour
    # ("Soral keeps the blue jersey as Telzin turns out for the Tour in the rain", 0.75-0.79
    # against the next day's stage, in coverage-dev shuffled or polled late). Over the 74 sets, in time order, with an
    # hour's polling lag and with dates alone: recall up on 17 sets in time order and down on
    # none, no precision lost, no look-alike pair more; five shuffled orders 555 -> 556 pairs of
    # about 24,000; on one day 681 -> 694 of 4,955 (the v47 paragraph of
    # docs/coverage-history.md). False: asked of every input, as in v46.
    rescue_unnamed_subject_before_only: bool = True
    # The model's own threshold (trees-v1's 0.7, chosen in v26 over arrival orders in which a report
    # published before a story's member is judged against it as often as after; 0.6 since v46) and
    # the unnamed subject's (``rescue_unnamed_subject_probability``) lowered by this where the input
    # was published after the story's nearest member, or at its instant (``may_follow``; 0: as asked
    # everywhere), as a report of an event follows its first report; a report published before the
    # member it is judged against, arriving late, may be the earlier event the member recalls
    # (``may_be_later`` and the swapped roles judge that case). (0.05, so 0.65 and 0.75 under v43's
    # reading, 0.55 and 0.75 under v46's, 0.55 alone since v47's: ``rescue_unnamed_subject_before_only``.
    # Over 60 held-out sets in time order recall up on sixteen, none down, no precision lost; on one
    # day two look-alike pairs more of 4,022 and in five orders one of 20,110; 0.1 on the model's
    # threshold alone raised recall on 18 sets, but one day merged 15 more pairs.)
    rescue_later_margin: float = 0.05
    # The similarity the rescue model asks of a story's nearest member at least (the rules ask
    # ``min_similarity``): the model weighs the similarity itself (``damped`` among its
    # measures, fitted on judgements of every similarity), and a tabloid's or an explainer's
    # report of the event shares fewer of its words than the rules ask (0.12-0.15 with the
    # wire's); the floor bounds what the rescue costs, asked of few stories so.
    rescue_min_similarity: float = 0.10
    # ...and of a story told in another language (``in_other_language``), whose similarity is
    # that of names and figures alone (``names_vector``), what the rules ask: the words a
    # tabloid leaves out are not in that similarity, and on real pages the lower floor joined
    # two languages' reports of one country's news of other days (v23).
    rescue_min_similarity_other_language: float = 0.15
    # The probability the rescue model must give a story holding a report of the input's site
    # (among the members the gates read). A site's second report of an event in other words (its
    # explainer, the wire's next report of the election quoting the winner: 0.998) is most often
    # joined by the rules; what the model takes of such a story below this is as often a report
    # of another event in the formula of the site's first (the wire's pact with another country
    # the same afternoon: 0.82). v24.
    rescue_same_site_probability: float = 0.95
    # A story holding a report of the input's site published before it (among the members the
    # gates read) must give every name of the input's headline in its own headlines
    # (``new_headline_name``). A site tells its second report of an event under the names its
    # story headlines already (its explainer of the deal names the two countries), or under
    # none (the analysis); a name none of them gives is the slot its report of another event in
    # its own formula fills: the wire's pact with the other neighbour the afternoon of its trade
    # deal, the central bank's other country, the company's results the morning after its
    # former chief's verdict. Asked of the site's later report only: its first, arriving after
    # its next day's report ("Firefighters hold the line at Kelby"), headlines what came first
    # (the evacuation), not what the later one does. A report of the site stamped with the same
    # instant (a date alone) counts as before. Other outlets' reports are not asked it: each
    # headlines its own angle (the town, the union). Asked by the rules: the rescue model weighs
    # the headline shares itself, and asks such a story ``rescue_same_site_probability`` (the
    # wire's next report of the election, headlining the winner and the party he courts, 0.998).
    # False: not asked, as in v24.
    own_site_headline_names: bool = True
    # ...and the input must use a word of what happened that a headline of that story gives (no
    # name nor figure of it, and no name of the input: ``_story_words_found``). A site's second
    # report of an event, in other words, still says what its first headlined (the rail line, the
    # rate, the vote) or what another outlet's did; its report of another event in its setting
    # (the foreign paper's report of the quake felt in the border towns its report of the rail
    # deal named the day before, the visiting minister's condolences in its fourth paragraph)
    # shares the setting's names and none of the event's words. False: not asked, as in v31.
    own_site_story_words: bool = True
    # ...and where the input's headline gives a percentage, a member of the story must print one
    # of its headline's figures (``new_headline_figure``). A site headlines the figure of the
    # event it reports; its second report of an event headlines the same rate, share or change
    # or none, and its report of the next release in its formula headlines the figure of that
    # one: the wire's producer prices ("rise 5.2% in September") two days after its consumer
    # prices ("inflation rises to 3.4%"), sharing the country, the statistics office, the bank
    # and the month, and printing the other's figures in passing. Other outlets are not asked
    # it (an analysis headlines what markets expect next), nor a headline without a percentage
    # (a toll, a count, grows as an event unfolds). False: not asked, as in v32.
    own_site_headline_figures: bool = True
    # An input whose headline is labelled as an analysis, an explainer, a comment or what is
    # known so far (``RawTerms.labelled``) is not asked ``own_site_headline_names``: such a piece
    # is about an event already reported, and headlines whom or what it turns on, named in the
    # story's reports but not in their headlines ("Analysis: Dumaresq's split vote hints the
    # tightening cycle is near", the governor, after the paper's report of the rate rise;
    # "Analysis: With Orvith gone, Maskell loses a shield", the prime minister, after its report
    # of the minister's resignation). The site's report of another event in its formula (the
    # trade minister's other counterpart, the company's next results) is no such piece. Over 44
    # sets in time order, that rule turned down nine inputs whose own event's story was the
    # nearest, seven of them labelled so, and kept ten from another event's, none labelled (on
    # one day: 3 of 35, and 1 of 53). False: asked, as in v33.
    labelled_pieces: bool = True
    # The probability the rescue model must give a story for an input labelled an analysis, an
    # explainer or a comment (``RawTerms.labelled``), in place of every other it asks (the
    # model's own, ``rescue_same_site_probability``, ``rescue_unnamed_subject_probability``).
    # Those guard against a report of another event in the setting or the formula of the
    # story's; a labelled piece is about an event already reported, so a story passing every
    # gate but the headline shares is most often its event: an explainer of the quake ("why does
    # Zelmor keep shaking", 0.68), the business paper's analysis of the rate rise the morning
    # after ("Prask's hawkish turn leaves government with a budget headache", 0.52), sharing few
    # of the wire's words. Over 44 sets, read at 0.3 it joined no look-alike in time order either.
    # None: asked as any input, as in v34.
    rescue_labelled_probability: float | None = 0.5


class Stored(Protocol):
    """What the gates read of an indexed article."""

    @property
    def article_id(self) -> str: ...
    @property
    def time(self) -> datetime: ...
    @property
    def cov(self) -> CoverageFeatures: ...


@dataclass(frozen=True, slots=True, init=False)
class Judgement:
    """The input against one story: the similarity, the gates' measures, and whether it passed."""

    passed: bool
    damped: float
    cosine: float
    top: Stored
    gap_hours: float
    head_in_story: float
    story_head_in_input: float
    shared: list[int]
    shared_idf: float
    numbers_in_story: float
    story_damped: float | None
    input_is_earlier: bool
    # The headline-name share required, when a telling figure lowered it (else None).
    head_floor: float | None = None
    # Judged as a story told in another language (``in_other_language``).
    other_language: bool = False
    # Kept apart because its headline moves its figure another way (``headline_move``).
    moves_apart: bool = False
    # Kept apart because it tells of its best match's event only as a separate matter.
    set_apart: bool = False
    # Kept apart because it and its best match mention each other's headline names only in passing.
    in_passing: bool = False
    # Kept apart because its headline names what no headline of a story holding a report of
    # its own site does (``new_headline_name``).
    own_site_name: bool = False
    # Kept apart because it uses no word of what the headlines of a story holding a report of
    # its own site say happened (``_story_words_found``).
    own_site_words: bool = False
    # Kept apart because its headline gives a percentage no member of a story holding a report
    # of its own site prints (``new_headline_figure``).
    own_site_figure: bool = False
    # Not asked ``own_site_headline_names``, which it fails, as a piece labelled an analysis, an
    # explainer or a comment (``labelled_pieces``).
    own_site_labelled: bool = False
    # Passed without the story's headline words, its text as close as ``close_text_cosine``.
    close_text: bool = False
    # Kept apart because the story tells the input's headline name only as another engagement
    # of its day (``told_as_other_engagement``).
    other_engagement: bool = False
    # Kept apart because its headline gives another verdict on a measure (``opposite_verdicts``).
    verdicts_apart: bool = False

    def __init__(
        self,
        passed: bool,
        damped: float,
        cosine: float,
        top: Stored,
        gap_hours: float,
        head_in_story: float,
        story_head_in_input: float,
        shared: list[int],
        shared_idf: float,
        numbers_in_story: float,
        story_damped: float | None,
        input_is_earlier: bool,
        head_floor: float | None = None,
        other_language: bool = False,
        moves_apart: bool = False,
        set_apart: bool = False,
        in_passing: bool = False,
        own_site_name: bool = False,
        own_site_words: bool = False,
        own_site_figure: bool = False,
        own_site_labelled: bool = False,
        close_text: bool = False,
        other_engagement: bool = False,
        verdicts_apart: bool = False,
    ) -> None:
        # Written out, not generated: see ``coverage_vectors.CoverageFeatures``.
        object.__setattr__(self, "passed", passed)
        object.__setattr__(self, "damped", damped)
        object.__setattr__(self, "cosine", cosine)
        object.__setattr__(self, "top", top)
        object.__setattr__(self, "gap_hours", gap_hours)
        object.__setattr__(self, "head_in_story", head_in_story)
        object.__setattr__(self, "story_head_in_input", story_head_in_input)
        object.__setattr__(self, "shared", shared)
        object.__setattr__(self, "shared_idf", shared_idf)
        object.__setattr__(self, "numbers_in_story", numbers_in_story)
        object.__setattr__(self, "story_damped", story_damped)
        object.__setattr__(self, "input_is_earlier", input_is_earlier)
        object.__setattr__(self, "head_floor", head_floor)
        object.__setattr__(self, "other_language", other_language)
        object.__setattr__(self, "moves_apart", moves_apart)
        object.__setattr__(self, "set_apart", set_apart)
        object.__setattr__(self, "in_passing", in_passing)
        object.__setattr__(self, "own_site_name", own_site_name)
        object.__setattr__(self, "own_site_words", own_site_words)
        object.__setattr__(self, "own_site_figure", own_site_figure)
        object.__setattr__(self, "own_site_labelled", own_site_labelled)
        object.__setattr__(self, "close_text", close_text)
        object.__setattr__(self, "other_engagement", other_engagement)
        object.__setattr__(self, "verdicts_apart", verdicts_apart)

    def evidence(self, raw: RawTerms) -> dict[str, float | int | str]:
        label = raw.label
        out: dict[str, float | int | str] = {
            "coverage_similarity": round(self.damped, 4),
            "coverage_cosine": round(self.cosine, 4),
            "headline_names_in_story": round(self.head_in_story, 4),
            "story_headline_names_in_input": round(self.story_head_in_input, 4),
            "shared_names_idf": round(self.shared_idf, 3),
            "numbers_in_story": round(self.numbers_in_story, 4),
            "shared_names": ", ".join(label[h] for h in self.shared[:12] if h in label and h not in raw.number_hashes),
            "shared_numbers": ", ".join(label[h] for h in self.shared if h in raw.number_hashes),
            "time_gap_hours": round(self.gap_hours, 2),
            "coverage_method": DECISION_METHOD,
        }
        if self.story_damped is not None:
            out["coverage_story_similarity"] = round(self.story_damped, 4)
        if self.input_is_earlier:
            out["coverage_input_is_earlier"] = 1
        if self.head_floor is not None:
            out["headline_names_required"] = self.head_floor
        if self.other_language:
            out["coverage_other_language"] = 1
        if self.moves_apart:
            out["headline_moves_apart"] = 1
        if self.verdicts_apart:
            out["headline_verdicts_apart"] = 1
        if self.set_apart:
            out["told_apart"] = 1
        if self.in_passing:
            out["mentioned_in_passing"] = 1
        if self.own_site_name:
            out["own_site_new_headline_name"] = 1
        if self.own_site_words:
            out["own_site_no_story_word"] = 1
        if self.own_site_figure:
            out["own_site_new_headline_figure"] = 1
        if self.own_site_labelled:
            out["own_site_labelled_piece"] = 1
        if self.close_text:
            out["coverage_close_text"] = 1
        if self.other_engagement:
            out["told_as_other_engagement"] = 1
        return out


def _rarest_name(member: Stored, idf: Callable[[int], float]) -> int | None:
    """The rarest of the names in ``member``'s headline (ties by hash), or None when it names
    nothing. Asked of every member of nearly every candidate story (``may_pass_waived``): the
    few headline terms are looked up in the stored arrays, not the arrays turned into sets."""
    cov = member.cov
    names, figures = cov.names, cov.figures
    best: int | None = None
    best_idf = 0.0
    for h in cov.headline:
        if h in names and h not in figures:
            x = idf(h)
            if best is None or x > best_idf or (x == best_idf and h > best):
                best, best_idf = h, x
    return best


def _rarest_name_idf(member: Stored, idf: Callable[[int], float]) -> float:
    """The idf of the rarest name in ``member``'s headline (0.0 when it names nothing)."""
    name = _rarest_name(member, idf)
    return 0.0 if name is None else idf(name)


def _rarest_name_found(member: Stored, found: Container[int], idf: Callable[[int], float]) -> bool:
    """Whether ``found`` holds the rarest of the names in ``member``'s headline (True when the
    headline names nothing)."""
    name = _rarest_name(member, idf)
    return name is None or name in found


@dataclass(frozen=True, slots=True, init=False)
class Probe:
    """An indexed article's coverage features unpacked (the decider keeps them between
    decisions), or the input in that shape (for the gates with the roles swapped)."""

    article_id: str
    time: datetime
    cov: CoverageFeatures
    _about: frozenset[int] | None = field(default=None, compare=False, repr=False)

    def __init__(
        self,
        article_id: str,
        time: datetime,
        cov: CoverageFeatures,
        _about: frozenset[int] | None = None,
    ) -> None:
        # Written out, not generated: see ``coverage_vectors.CoverageFeatures``.
        object.__setattr__(self, "article_id", article_id)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "_about", _about)

    @property
    def about(self) -> frozenset[int]:
        """What the article is about (``_prominent`` of it alone): its headline and heaviest
        terms as a set, built on first use. The first gate asks membership of it for every
        candidate story of every coverage decision; a scan of the two arrays was most of it."""
        got = self._about
        if got is None:
            got = _about_of(self.cov)
            object.__setattr__(self, "_about", got)
        return got


class TextProbe:
    """The input as the story of the gates with the roles swapped (``judge``): its text is in
    hand, so a member's names are looked for among all its terms and names, not only among the
    heaviest ones the index keeps (``stored``); its headline and figures are as stored. Built on
    first use, once per decision, since most decisions never swap."""

    __slots__ = ("_full", "_raw", "article_id", "stored", "time")

    def __init__(self, article_id: str, time: datetime, stored: CoverageFeatures, raw: RawTerms) -> None:
        self.article_id, self.time, self.stored, self._raw = article_id, time, stored, raw
        self._full: CoverageFeatures | None = None

    @property
    def cov(self) -> CoverageFeatures:
        if self._full is None:
            s, raw = self.stored, self._raw
            self._full = CoverageFeatures(
                array("I", raw.counts),
                array("B"),
                array("I", raw.name_hashes),
                s.headline,
                s.figures,
                s.apart,
                array("I", sorted(raw.passing)),
            )
        return self._full


def protagonist(raw: RawTerms, w: Callable[[int], float]) -> int | None:
    """The input's most salient name, by ``(1 + ln tf) * idf`` (ties by hash): who or what a
    report is most about. None when it names nothing."""
    counts, lt = raw.counts, LOG_TF
    best: tuple[float, int] | None = None
    for h in raw.name_hashes:
        if h in raw.number_hashes:
            continue
        key = (lt[min(counts.get(h, 1), 255)] * w(h), -h)
        if best is None or key > best:
            best = key
    return None if best is None else -best[1]


def _protagonist_named(
    raw: RawTerms, story_names: Container[int], w: Callable[[int], float], c: CoverageSettings
) -> bool:
    """Whether the story names the input's protagonist, when the input repeats it at least
    ``min_protagonist_mentions`` times (True otherwise)."""
    if not c.min_protagonist_mentions:
        return True
    top = protagonist(raw, w)
    return top is None or top in story_names or raw.counts.get(top, 1) < c.min_protagonist_mentions


def _protagonist_story(
    raw: RawTerms, members: Sequence[Stored], w: Callable[[int], float], c: CoverageSettings
) -> bool:
    """Whether the story may be the input's by its protagonist, as the gates ask it of a story
    of several reports (``_gates``), for the input judged with the roles swapped
    (``earlier_protagonist``): an earlier report of the story's event names who it turns on as
    its later reports do, and the story's reports leaving out the one the input repeats
    throughout tell another event, whichever of the two was published first."""
    if not c.earlier_protagonist or len(members) < c.min_protagonist_reports:
        return True
    return _protagonist_named(raw, _story_names(members, _prominent(members)), w, c)


def _story_names(members: Sequence[Stored], prominent: set[int]) -> set[int]:
    """Every name a story's members give, and what the story is about (``prominent``): where
    the gates look for a name the input repeats or shares."""
    names = set(prominent)
    for m in members:
        names.update(m.cov.names)
    return names


@dataclass(frozen=True, slots=True, init=False)
class _Gates:
    passed: bool
    head_in_story: float
    story_head_in_input: float
    shared: list[int]
    shared_idf: float
    numbers_in_story: float
    # Every gate but the story's headline words in the input (see ``judge``: mutual headlines).
    names_agree: bool
    # The headline-name share required (lowered by a telling figure).
    head_floor: float
    # The input's headline moves its figure another way than the story's (``headline_move``).
    moves_apart: bool = False
    # The input's headline gives another verdict than the story's (``opposite_verdicts``).
    verdicts_apart: bool = False

    def __init__(
        self,
        passed: bool,
        head_in_story: float,
        story_head_in_input: float,
        shared: list[int],
        shared_idf: float,
        numbers_in_story: float,
        names_agree: bool,
        head_floor: float,
        moves_apart: bool = False,
        verdicts_apart: bool = False,
    ) -> None:
        # Written out, not generated: see ``coverage_vectors.CoverageFeatures``.
        object.__setattr__(self, "passed", passed)
        object.__setattr__(self, "head_in_story", head_in_story)
        object.__setattr__(self, "story_head_in_input", story_head_in_input)
        object.__setattr__(self, "shared", shared)
        object.__setattr__(self, "shared_idf", shared_idf)
        object.__setattr__(self, "numbers_in_story", numbers_in_story)
        object.__setattr__(self, "names_agree", names_agree)
        object.__setattr__(self, "head_floor", head_floor)
        object.__setattr__(self, "moves_apart", moves_apart)
        object.__setattr__(self, "verdicts_apart", verdicts_apart)


def _as_input(f: CoverageFeatures) -> RawTerms:
    """A stored article's features in the shape of an input's terms: what the index keeps of
    its text (heaviest terms, names, headline, figures) stands for all of it."""
    names = frozenset(f.names)
    return RawTerms(
        dict.fromkeys((*f.terms, *f.names, *f.headline, *f.figures), 1),
        names,
        frozenset(f.figures),
        frozenset(h for h in f.headline if h in names and h not in f.figures),
        frozenset(f.headline),
        {},
        frozenset(),
        [],
    )


def may_be_later(member: datetime, input_time: datetime) -> bool:
    """Whether a stored article may have been published after the input, so that the input is
    also judged as the earlier one (with the roles swapped): stamped later, or at the same
    instant (two dates without a time, as many feeds and pages give them, say nothing of which
    came first)."""
    return member >= input_time


def may_follow(member: datetime, input_time: datetime) -> bool:
    """Whether the input may have been published after a stored article, as a report of an event
    follows the event's first report (``close_text_cosine``, ``rescue_later_margin``): stamped
    later, or at the same instant, as :func:`may_be_later` reads it (v44; before, only stamped
    later: of a day's reports stamped with its date alone, as feeds and pages without a time
    give them, none followed another, and the day's reports in their own words were asked what
    the rules ask of a report published before the story)."""
    return input_time >= member


def min_telling_idf(top_idf: float, c: CoverageSettings) -> float:
    """The idf a telling figure has at least, given the highest idf of the window (that of a
    term no live article holds)."""
    return c.telling_figure_idf_share * top_idf


def _about_of(f: CoverageFeatures) -> frozenset[int]:
    """What one article is about: its headline and heaviest terms."""
    return frozenset(f.headline).union(f.terms)


def _about(m: Stored) -> frozenset[int]:
    """``_about_of`` an article, as a probe keeps it (built once) or built here."""
    return m.about if isinstance(m, Probe) else _about_of(m.cov)


def _prominent(members: Sequence[Stored]) -> set[int]:
    """What a story is about: its members' headlines and heaviest terms."""
    out: set[int] = set()
    for m in members:
        out.update(_about(m))
    return out


class _Prominent:
    """Membership in what a story is about (``_prominent``) without building the set: the
    gates' first test asks it of the input's few headline names only."""

    __slots__ = ("_members",)

    def __init__(self, members: Sequence[Stored]) -> None:
        self._members = [_about(m) for m in members]

    def __contains__(self, h: object) -> bool:
        return any(h in about for about in self._members)

    def among(self, names: frozenset[int]) -> set[int]:
        """The ``names`` it holds: one set intersection a member (in C, over the few names),
        instead of a membership test a name."""
        out: set[int] = set()
        for about in self._members:
            out |= names & about
        return out


class _Names:
    """Membership among the names a story's members give, without building their union: asked
    only of the input's common headline names the prominent terms left out."""

    __slots__ = ("_members",)

    def __init__(self, members: Sequence[Stored]) -> None:
        self._members = members

    def __contains__(self, h: object) -> bool:
        return any(h in m.cov.names for m in self._members)


def _head_in_story(
    raw: RawTerms,
    prominent: _Prominent | set[int],
    w: Callable[[int], float],
    c: CoverageSettings,
    names: Container[int] = frozenset(),
    common_idf: float = math.inf,
) -> float:
    """idf-weighted share of the input's headline names found among what the story is about;
    a common name (``common_idf``, see ``common_headline_names``) among all its names too."""
    found = prominent.among(raw.headline) if isinstance(prominent, _Prominent) else set(raw.headline & prominent)
    if c.given_names and raw.head_pairs:
        # "Donald Trump" where the story says "President Trump": outlets differ in giving a
        # first name, and a given name names nobody without its surname.
        found.update(a for a, b in raw.head_pairs if b in prominent)
    if c.common_headline_names and math.isfinite(common_idf) and len(found) < len(raw.headline):
        common = [h for h in raw.headline if h not in found and w(h) < common_idf]
        if common:
            found.update(h for h in common if h in names)
    return weighted_share(raw.headline, found, w)


def _subject_named(
    members: Sequence[Stored],
    counts: Container[int],
    w: Callable[[int], float],
    c: CoverageSettings,
    min_telling_idf: float,
    foreign: bool = False,
) -> bool:
    """Whether the rarest name of a story headline is named in the input (``counts``), or need
    not be (``rare_subject_only``: no headline's rarest name is as rare as a telling figure).
    A story told in another language (``foreign``: ``in_other_language``) writes some of its
    words as names ("Ysbane Valley", "the National Assembly") that the input's language
    translates ("Ysbane-vallei", "l'Assemblée"): the rarest may be such a word, so any name of
    that headline rare in the window (at least ``min_telling_idf``) named in the input names the
    slot (``foreign_subject_any_name``). A look-alike in another language still names its own
    town or defendant in its headline, which the story does not hold (the headline-name share)."""
    if any(_rarest_name_found(m, counts, w) for m in members) or (
        c.rare_subject_only
        and math.isfinite(min_telling_idf)
        and all(_rarest_name_idf(m, w) < min_telling_idf for m in members)
    ):
        return True
    if not (foreign and c.foreign_subject_any_name):
        return False
    for m in members:
        names, figures = m.cov.names, m.cov.figures
        for h in m.cov.headline:
            if h in names and h not in figures and h in counts and w(h) >= min_telling_idf:
                return True
    return False


def _shares_names(names: frozenset[int], members: Sequence[Stored], w: Callable[[int], float], least: float) -> bool:
    """Whether the input's ``names`` found among what a story's members name or are about carry
    at least ``least`` idf: the gates' shared names (``min_shared_name_idf``) asked alone, each
    member's stored names intersected with the input's, the idf summed as the gates sum it."""
    found: set[int] = set()
    for m in members:
        found |= names.intersection(m.cov.names)
        found |= names & _about(m)
    return sum((w(h) for h in sorted(found, key=lambda h: (-w(h), h))), 0.0) >= least


def _telling_shared(
    my_figures: Sequence[int],
    story_figures: Container[int],
    telling: Container[int],
    w: Callable[[int], float],
    min_telling_idf: float,
) -> bool:
    """Whether the input and the story quote a figure of a telling form, telling in this window."""
    return any(h in telling and h in story_figures and w(h) >= min_telling_idf for h in my_figures)


def _story_words_found(
    members: Sequence[Stored], counts: Container[int], least: int, mine: Container[int] = frozenset()
) -> bool:
    """Whether the input (``counts``) uses at least ``least`` of the words of some member's
    headline that are no name nor figure of it: what happened, not who. ``mine``: the input's
    names, no words of what happened either (a name the index did not keep among a member's
    heaviest is still a name: the capital both give)."""
    for m in members:
        f = m.cov
        names, figures = f.names, f.figures
        found = 0
        for h in f.headline:
            if h in counts and h not in names and h not in figures and h not in MARKS and h not in mine:
                found += 1
                if found >= least:
                    return True
    return False


def _close_words(raw: RawTerms, members: Sequence[Stored], least: int) -> bool:
    """A word of what happened shared either way (``close_text_words``): ``least`` words of a
    member's headline in the input (``_story_words_found``), or of the input's headline among
    what a member stores (its heaviest terms and its headline). A tabloid's "Ex-mayor caged over
    harbour bribes" uses the wire's "mayor"; the same minister's flood visit that afternoon
    ("visits flooded farms and promises relief") shares no word with her budget signing either
    way, however many names the two share."""
    if _story_words_found(members, raw.counts, least, raw.name_hashes):
        return True
    mine = [h for h in raw.headline_terms if h not in raw.name_hashes and h not in raw.number_hashes and h not in MARKS]
    for m in members:
        f = m.cov
        found = sum(1 for h in mine if h in f.terms or h in f.headline)
        if found >= least:
            return True
    return False


def _gates(
    raw: RawTerms,
    my_figures: Sequence[int],
    members: Sequence[Stored],
    w: Callable[[int], float],
    c: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
    foreign: bool = False,
) -> _Gates:
    """The look-alike gates of an input (its terms ``raw``) against a story's members;
    ``telling``: the decision's figures of a telling form, telling in this window when their
    idf is at least ``min_telling_idf``."""
    story_prominent = _prominent(members)
    story_names = _story_names(members, story_prominent)
    head_in_story = _head_in_story(raw, story_prominent, w, c, story_names, min_telling_idf)
    story_head_in_input = max(
        weighted_share((h for h in m.cov.headline if h not in m.cov.figures and h not in MARKS), raw.counts, w)
        for m in members
    )
    # The most specific name in a story headline (its rarest: the defendant, the town,
    # the opponent) is the slot a look-alike fills differently; a report of the same
    # event names it. Required of at least one headline of the story.
    # Judged where that name is rare in the window (``rare_subject_only``): a country every
    # story names is no slot, and a local paper leaves its own country out.
    subject_named = _subject_named(members, raw.counts, w, c, min_telling_idf, foreign)
    shared = sorted((h for h in raw.name_hashes if h in story_names), key=lambda h: (-w(h), h))
    shared_idf = sum((w(h) for h in shared), 0.0)  # a float when none is shared too (0.0 in the evidence)
    # Figures: a report of the same event repeats some of its figures (a magnitude, a
    # rate, a price); the same template on another day or company fills in others.
    # Judged only when both sides quote several: most reports share few or none.
    story_figures: set[int] = set()
    for m in members:
        story_figures.update(m.cov.figures)
    numbers_in_story = weighted_share(my_figures, story_figures, w)
    figures_compared = min(len(my_figures), len(story_figures))
    # Headline figures, when both headlines give a percentage (the rate a bank set, a profit's
    # change, a vote share): an event has one, and its reports repeat a headline figure of the
    # other somewhere. When neither side's headline figures are found in the other, the same
    # template was filled in for another bank or quarter. Not judged without percentages:
    # counts (a toll, cases) grow as an event unfolds, and reports headline different ones.
    my_head_figures = raw.headline_terms & raw.number_hashes
    story_head_figures = [h for m in members for h in m.cov.headline if h in m.cov.figures]
    figures_conflict = (
        PERCENT in raw.headline_terms
        and any(PERCENT in m.cov.headline for m in members)
        and my_head_figures.isdisjoint(story_figures)
        and raw.number_hashes.isdisjoint(story_head_figures)
    )
    # Moves: the story's headlines that give a percentage say which way its figure went; a
    # headline that says only another way reports another event (``headline_move``). Asked only
    # of percentages on the story's side: a toll, a storm, a river move both ways as an event
    # unfolds.
    moves_conflict = False
    if c.opposite_moves:
        clause = c.percent_clause_moves
        my_move = headline_move(raw.headline_terms, clause)
        if my_move is not None:
            theirs = {headline_move(m.cov.headline, clause) for m in members if PERCENT in m.cov.headline}
            theirs.discard(None)
            moves_conflict = bool(theirs) and my_move not in theirs
    # Verdicts: a headline saying a measure stands against a story whose headlines say only that
    # one falls, or the other way (``headline_verdict``), is the same court's or chamber's other
    # decision. Asked only where both sides say one: most reports' headlines give none.
    verdicts_conflict = False
    if c.opposite_verdicts:
        mine = marked_verdict(raw.headline_terms)
        if mine is not None:
            said = {marked_verdict(m.cov.headline) for m in members}
            said.discard(None)
            verdicts_conflict = bool(said) and mine not in said
    # A telling figure both sides quote (the event's own number, rare in the window) lowers
    # the headline-name share required: the report's headline may then add a name (the
    # company's country, the winner's hometown). A look-alike's figures are its own event's.
    head_floor = c.min_headline_in_story
    if head_in_story < head_floor and _telling_shared(my_figures, story_figures, telling, w, min_telling_idf):
        head_floor = c.min_headline_with_figure
    # The input's protagonist (its most salient name, when it repeats it throughout) is named
    # somewhere in a story of several reports. A report of another event in the same setting
    # (the same country, the same deal, the same minister with another counterpart) names much
    # of the story, but none of the story's reports names the one its own event turns on:
    # Netanyahu, in a report of his presentation on the Iran deal, against a story of the
    # French president's visit about the same deal. Looked at last (it ranks every name of
    # the input), when all else agrees.
    names_agree = (
        not figures_conflict
        and not moves_conflict
        and not verdicts_conflict
        and head_in_story >= head_floor
        and shared_idf >= c.min_shared_name_idf
        and (subject_named or not c.subject_required)
        and (figures_compared < c.min_numbers_compared or numbers_in_story >= c.min_numbers_in_story)
        and (len(members) < c.min_protagonist_reports or _protagonist_named(raw, story_names, w, c))
    )
    # Words of what happened: asked where set (``min_story_headline_words``), and at least one
    # where the names shared are few (``weak_shared_name_idf``).
    words = c.min_story_headline_words if shared_idf >= c.weak_shared_name_idf else max(c.min_story_headline_words, 1)
    passed = (
        names_agree
        and story_head_in_input >= c.min_story_headline_in_input
        and (words == 0 or _story_words_found(members, raw.counts, words))
    )
    return _Gates(
        passed,
        head_in_story,
        story_head_in_input,
        shared,
        shared_idf,
        numbers_in_story,
        names_agree,
        head_floor,
        moves_conflict,
        verdicts_conflict,
    )


def in_other_language(raw: RawTerms, members: Sequence[Stored], c: CoverageSettings) -> bool:
    """Whether the story is told in another language than the input: none of its members is
    in the input's (as their headlines mark it: ``LANGUAGE_DE``, ``LANGUAGE_MARKS``, English
    unmarked). The words of two languages are not shared, so the story is judged on what is
    written alike in both: names and figures (``written_alike``, ``names_vector``). At least
    one of the input's headline names must be left to compare once its nouns are set apart."""
    if not c.foreign_reading or not members:
        return False
    mine = language_mark(raw)
    if any(_language(m.cov.headline) == mine for m in members):
        return False
    return not raw.headline <= raw.nouns


def in_language(raw: RawTerms, members: Sequence[Stored]) -> list[Stored]:
    """The members told in the input's language (``in_other_language``'s marks): a story's
    centroid is what its reports tell together in words the input can share."""
    mine = language_mark(raw)
    return [m for m in members if _language(m.cov.headline) == mine]


_LANGUAGE_TERMS = (LANGUAGE_DE, *LANGUAGE_MARKS.values())


def _language(headline: Sequence[int]) -> int | None:
    """A stored article's language: the mark among its headline's terms (None: English, or a
    record of an earlier method that marked German alone)."""
    for mark in _LANGUAGE_TERMS:
        if mark in headline:
            return mark
    return None


def written_alike(raw: RawTerms) -> RawTerms:
    """The input as a story in another language can share it: its nouns are words of its own
    language, not names (see ``in_other_language``)."""
    nouns = raw.nouns
    return replace(
        raw,
        name_hashes=raw.name_hashes - nouns,
        headline=raw.headline - nouns,
        head_pairs=frozenset(p for p in raw.head_pairs if nouns.isdisjoint(p)),
    )


def names_vector(raw: RawTerms, idf: Callable[[int], float]) -> Vector:
    """Unit-length vector of the input's names and figures, ``(1 + ln tf) * idf`` each: what a
    report in another language can share with it (its words are of its own language)."""
    counts, lt = raw.counts, LOG_TF
    vec = {h: lt[min(counts.get(h, 1), 255)] * idf(h) for h in sorted(raw.name_hashes | raw.number_hashes)}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {h: v / norm for h, v in vec.items()}


def _alike_probe(me: Probe | TextProbe, raw: RawTerms) -> Probe:
    """The input's stored form (for the gates with the roles swapped) without its nouns."""
    f = me.cov
    return Probe(
        me.article_id,
        me.time,
        CoverageFeatures(
            f.terms,
            f.tf,
            array("I", [h for h in f.names if h not in raw.nouns]),
            f.headline,
            f.figures,
            f.apart,
            f.passing,
        ),
    )


def may_pass(
    hits: Sequence[tuple[float, float, Stored]],
    members: Sequence[Stored],
    c: CoverageSettings,
    raw: RawTerms | None = None,
) -> bool:
    """False when ``judge`` cannot pass the story whatever its gates say: its best member's
    damped similarity (``hits[0]``, the judgement's ``damped``) is under the threshold and it
    has no other member whose centroid could reach it. A necessary condition of
    ``judge(...).passed``, to keep in step with it: the decider skips the gates of such stories
    once a nearer story's judgement is in hand (most candidates of a decision). An input
    (``raw``) that may read the story as told in another language is compared on its names
    (``in_other_language``): not skipped."""
    # the cheap tests first: the language test unpacks a member's stored terms
    return (
        hits[0][0] >= c.min_similarity or len(members) > 1 or (raw is not None and in_other_language(raw, members, c))
    )


def gated_headline_share(
    raw: RawTerms,
    me: Probe | TextProbe,
    hits: Sequence[tuple[float, float, Stored]],
    members: Sequence[Stored],
    idf: Callable[[int], float],
    c: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
) -> float | None:
    """None when ``judge`` (same arguments) may pass the story (``may_pass_gates``); else the
    share of the input's headline names found in it (``headline_in_story``) that rules it out.
    The decider asks both of each candidate story: when it rules out every one, the shares
    are the evidence of its ``new``, and they are what this test has just measured."""
    return _headline_gate(raw, me, hits, members, idf, c, telling, min_telling_idf)


def _headline_gate(
    raw: RawTerms,
    me: Probe | TextProbe,
    hits: Sequence[tuple[float, float, Stored]],
    members: Sequence[Stored],
    idf: Callable[[int], float],
    c: CoverageSettings,
    telling: Container[int],
    min_telling_idf: float,
) -> float | None:
    """``gated_headline_share`` (and ``may_pass_gates``), apart from what the decider calls."""
    foreign = in_other_language(raw, members, c)
    if foreign:
        raw, me = written_alike(raw), _alike_probe(me, raw)
    floor = min(c.min_headline_in_story, c.min_headline_with_figure) if telling else c.min_headline_in_story
    share = _head_in_story(raw, _Prominent(members), idf, c, _Names(members), min_telling_idf)
    if share >= floor:
        return None
    if c.swap_roles and any(
        may_be_later(m.time, me.time)
        and _gates(_as_input(m.cov), m.cov.figures, [me], idf, c, telling, min_telling_idf, foreign).passed
        for _, _, m in hits
    ):
        return None
    return share


def may_pass_gates(
    raw: RawTerms,
    me: Probe | TextProbe,
    hits: Sequence[tuple[float, float, Stored]],
    members: Sequence[Stored],
    idf: Callable[[int], float],
    c: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
) -> bool:
    """False when ``judge`` (same arguments) cannot pass the story: the input's headline names
    are not found in it, not even to the share a telling figure allows (so its names disagree,
    which every way to pass but the swapped roles needs) and no member passes the gates with
    the roles swapped. Cheaper than the judgement (one gate, evaluated first, instead of all of
    them with their measures): the decider asks it (``gated_headline_share``) of the stories
    after the first, whose judgements only matter when they pass. A necessary condition of
    ``judge(...).passed``, to keep in step with it."""
    return _headline_gate(raw, me, hits, members, idf, c, telling, min_telling_idf) is None


def headline_in_story(
    raw: RawTerms,
    members: Sequence[Stored],
    idf: Callable[[int], float],
    c: CoverageSettings,
    min_telling_idf: float = math.inf,
) -> float:
    """The idf-weighted share of the input's headline names found in the story, as the gates
    measure it (``headline_names_in_story`` of a judgement): the evidence of a ``new`` decision
    whose candidate stories were all ruled out by ``may_pass_gates`` before any was judged
    (``gated_headline_share`` gives it the decider as it rules a story out)."""
    if in_other_language(raw, members, c):
        raw = written_alike(raw)
    return _head_in_story(raw, _Prominent(members), idf, c, _Names(members), min_telling_idf)


def judge(
    raw: RawTerms,
    me: Probe | TextProbe,
    my_vec: Vector,
    hits: Sequence[tuple[float, float, Stored]],
    members: Sequence[Stored],
    idf: Callable[[int], float],
    vector: Callable[[Stored], Vector],
    c: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
    own_site: bool = False,
) -> Judgement:
    """The input (its terms ``raw``; ``me``: its stored form, or with ``probe_full_text`` a
    ``TextProbe`` for the gates with the roles swapped) against one story, given its
    candidate members (``hits``: damped similarity, cosine, article; best first) and the
    story's members carrying coverage terms (oldest first); ``telling``: the input's figures of
    a telling form (:func:`telling_figures`, once per decision), which tell in this window when
    their idf is at least ``min_telling_idf`` (:func:`min_telling_idf`); ``own_site``: one of
    those members is of the input's site, published before it (``own_site_headline_names``).
    Pure: a function of the stored features and the frequencies behind ``idf``.

    A story told in another language (``in_other_language``) is judged on what is written alike
    in both: the input's names without the nouns its language capitalises, in the gates, and
    its names and figures, in the similarity (``names_vector``; the story's vectors as they
    are). The words of two languages are not shared, so the cosine of all terms would measure
    the languages, not the event."""
    w = idf
    damped, cos, top = hits[0]
    when = me.time
    my_figures = me.stored.figures if isinstance(me, TextProbe) else me.cov.figures
    foreign = in_other_language(raw, members, c)
    if foreign:
        raw, me, my_vec = written_alike(raw), _alike_probe(me, raw), names_vector(raw, w)
        scale = c.time_scale.total_seconds()
        best: tuple[float, float, Stored] | None = None
        for _, _, m in hits:
            cos = cosine(my_vec, vector(m))
            damped = cos * math.exp(-abs((m.time - when).total_seconds()) / scale)
            if best is None or damped > best[0]:
                best = (damped, cos, m)
        assert best is not None  # hits holds the best member at least
        damped, cos, top = best
    g = _gates(raw, my_figures, members, w, c, telling, min_telling_idf, foreign)
    close_text = (
        not g.passed
        and g.names_agree
        and 0 < c.close_text_cosine <= cos
        and may_follow(top.time, when)
        and (c.close_text_words == 0 or _close_words(raw, members, c.close_text_words))
    )
    if close_text:
        # Told in its own words, as close as ``close_text_cosine``: no headline word asked.
        g = replace(g, passed=True)
    input_is_earlier = False
    if not g.passed and c.swap_roles:
        # A report published *before* a member it matches arrived after it (feeds are polled
        # in another order than they publish): had they arrived in time order, that member
        # would have been judged against the input. The same gates with the roles swapped
        # (the member's stored terms as the input, the input as the story) keep the decision
        # close to the time-ordered one (``may_be_later``: ties included).
        for _, _, m in hits:
            if (
                may_be_later(m.time, when)
                and _gates(_as_input(m.cov), m.cov.figures, [me], w, c, telling, min_telling_idf, foreign).passed
            ):
                # (the story's side of the protagonist gate, asked only now: it ranks the names)
                input_is_earlier = _protagonist_story(raw, members, w, c)
                break
    mutual = False
    if not g.passed and not input_is_earlier and c.mutual_headlines and g.names_agree and raw.headline:
        # Mutual headlines: each headline's names are found in the other report, both ways,
        # and every other gate holds both ways. Reports in other words rarely repeat each
        # other's headline *words* (a reaction piece, a market report), but they name the same
        # who and where; a look-alike fills one slot differently, and that slot is in its
        # headline (so found in one direction only).
        # At least two names between the two headlines (who and where, say): one shared name
        # alone (the same person in two stories) is no event.
        for _, m_cos, m in hits:
            if m_cos < c.min_mutual_cosine and not foreign:
                continue
            names = frozenset(m.cov.names)
            theirs = {h for h in m.cov.headline if h in names and h not in m.cov.figures}
            named = bool(theirs) and len(theirs | raw.headline) >= c.min_mutual_headline_names
            if (
                named
                and _gates(_as_input(m.cov), m.cov.figures, [me], w, c, telling, min_telling_idf, foreign).names_agree
            ):
                mutual = True
                break
    gates = g.passed or input_is_earlier or mutual
    # The story as a whole: its members' vectors summed (their centroid), damped by the
    # gap to the best-matching member. Each report tells part of the event; a report
    # written far from any one of them (a feature, a reaction piece) can still share
    # most of what they tell together. It may only pass the similarity threshold: the
    # nearest story is still chosen by its best member, so a story that has grown by
    # merging does not draw reports from smaller ones. Computed only when it decides.
    gap = abs((top.time - when).total_seconds())
    story_damped = None
    if gates and damped < c.min_similarity and len(members) > 1 and gap <= c.centroid_gap.total_seconds():
        story_cos = cosine(my_vec, centroid(vector(m) for m in (members if foreign else in_language(raw, members))))
        story_damped = story_cos * math.exp(-gap / c.time_scale.total_seconds())
    passed = gates and max(damped, story_damped or 0.0) >= c.min_similarity
    if passed and c.min_rest_cosine > 0 and story_damped is None:
        # Through its best member alone: the story's other reports must tell some of it too.
        rest = [m for m in (members if foreign else in_language(raw, members)) if m.article_id != top.article_id]
        if len(rest) >= c.min_rest_reports and cosine(my_vec, centroid(vector(m) for m in rest)) < c.min_rest_cosine:
            passed = False
    engagement = passed and c.other_engagement and told_as_other_engagement(raw, members, w, min_telling_idf)
    apart = engagement or (passed and c.set_apart_mentions and sets_apart(raw, top, members, c, w, min_telling_idf))
    passing = (
        passed and not apart and c.max_told_in_passing > 0 and mentioned_in_passing(raw, top, w, c, min_telling_idf)
    )
    own_asked = passed and not apart and not passing and own_site
    named = own_asked and c.own_site_headline_names and new_headline_name(raw, members, c)
    labelled = named and c.labelled_pieces and raw.labelled
    own_name = named and not labelled
    own_words = (
        own_asked
        and not own_name
        and c.own_site_story_words
        and not _story_words_found(members, raw.counts, 1, raw.name_hashes)
    )
    own_figure = (
        own_asked
        and not own_name
        and not own_words
        and c.own_site_headline_figures
        and new_headline_figure(raw, members)
    )
    judged = passed and not apart and not passing and not own_name and not own_words and not own_figure
    return Judgement(
        judged,
        damped,
        cos,
        top,
        gap / 3600,
        g.head_in_story,
        g.story_head_in_input,
        g.shared,
        g.shared_idf,
        g.numbers_in_story,
        story_damped,
        input_is_earlier,
        g.head_floor if g.head_floor != c.min_headline_in_story else None,
        foreign,
        g.moves_apart,
        apart,
        passing,
        own_name,
        own_words,
        own_figure,
        labelled,
        close_text and judged,
        engagement,
        g.verdicts_apart,
    )


def new_headline_name(raw: RawTerms, members: Sequence[Stored], c: CoverageSettings) -> bool:
    """Whether the input's headline gives a name (not a figure) that none of the story's
    headlines gives (``own_site_headline_names``): a given name directly before a name they give
    is found with it (``given_names``: "Annika Strand" where they say "Strand"). The names of
    the input's text in the judgement's reading (a story in another language: without the
    nouns its language capitalises)."""
    heads: set[int] = set()
    for m in members:
        heads.update(m.cov.headline)
    figures = raw.number_hashes
    for h in raw.headline:
        if h in heads or h in figures or h in MARKS:
            continue
        if c.given_names and any(a == h and b in heads for a, b in raw.head_pairs):
            continue
        return True
    return False


def new_headline_figure(raw: RawTerms, members: Sequence[Stored]) -> bool:
    """Whether the input's headline gives a percentage and none of its headline's figures is
    among the figures a member of the story stores (``own_site_headline_figures``). A headline's
    figures are always stored (``coverage_vectors.select``), so a member's own headline
    percentage is found."""
    if PERCENT not in raw.headline_terms:
        return False
    mine = raw.headline_terms & raw.number_hashes
    return bool(mine) and not any(h in m.cov.figures for m in members for h in mine)


def told_share(
    names: Collection[int],
    head: Container[int],
    uses: Container[int],
    passing: Container[int],
    w: Callable[[int], float],
) -> float:
    """The idf-weighted share of ``names`` a text tells: in its headline (``head``), or used
    (``uses``) and not only in passing (``passing``); 1.0 of no names."""
    return weighted_share(names, {h for h in names if h in head or (h in uses and h not in passing)}, w)


def mentioned_in_passing(
    raw: RawTerms,
    top: Stored,
    idf: Callable[[int], float],
    c: CoverageSettings,
    min_telling_idf: float = math.inf,
) -> bool:
    """Whether the input and its best match each mention the other's headline names only in
    passing (``max_told_in_passing``; what the index keeps of the member's text stands for all
    of it: a name it does not keep is not told). Both ways: a reaction piece or a feature may
    name the story's subject once, after its own lead (the storm's name in a report headlining
    the governor's emergency), but the story then tells the names of its headline where it
    tells its event; a look-alike of the same afternoon is background on both sides. Names both
    headlines give that are each a word the input also writes in lower case ("the court", "the
    bank": ``RawTerms.ordinary``) say which institution, not which event, and are left out of
    both sides (``ordinary_shared_names``): the same court's second ruling of the morning, told
    as "the Court of Justice", names "court" in its headline as the first ruling's did. And a
    name as common in the window as a figure too common to tell (``min_telling_idf``: the
    country, the club's city) says where, not which event: passed over on both sides
    (``in_passing_rare_names``), as ``told_apart`` passes it over, unless a side would be left
    with no name: the club's record signing names the club and its city as its sale of a
    midfielder that afternoon did, and each names the other's players once. Some of the
    other's names must be mentioned in passing on one side at least (``in_passing_mentioned``):
    a name a side never uses is not mentioned in passing."""
    f = top.cov
    names = frozenset(f.names)
    figures = frozenset(f.figures)
    head = frozenset(f.headline)
    theirs = [h for h in f.headline if h in names and h not in figures and h not in MARKS]
    mine: Collection[int] = raw.headline
    if c.ordinary_shared_names and raw.ordinary:
        shared = [h for h in f.headline if h in raw.headline]
        if shared and raw.ordinary.issuperset(shared):
            theirs = [h for h in theirs if h not in raw.headline]
            mine = [h for h in raw.headline if h not in head]
    if c.in_passing_rare_names and math.isfinite(min_telling_idf):
        rare_theirs = [h for h in theirs if idf(h) >= min_telling_idf]
        rare_mine = [h for h in mine if idf(h) >= min_telling_idf]
        if rare_theirs and rare_mine:
            theirs, mine = rare_theirs, rare_mine
    if not theirs or not mine:
        return False
    most = c.max_told_in_passing
    if told_share(theirs, raw.headline_terms, raw.counts, raw.passing, idf) >= most:
        return False
    passing = frozenset(f.passing)
    if c.in_passing_mentioned and not any(h in raw.passing for h in theirs) and not any(h in passing for h in mine):
        return False
    uses = {*f.terms, *names}
    return told_share(mine, head, uses, passing, idf) < most


def told_apart(
    words: Iterable[int],
    own: Container[int],
    uses: Container[int],
    apart: Container[int],
    least: int,
    common: Callable[[int], bool] | None = None,
    least_rare: int = 0,
) -> bool:
    """Whether of another report's headline ``words`` a text uses (``uses``) beyond its own
    headline (``own``), it uses each only where it sets another matter apart (``apart``), and
    uses ``least`` at least. A report of the event in other words uses them where it tells the event
    ("the court annulled the data law"); a look-alike of the same setting names the event
    beside its own as another matter ("hours after the same court struck down the data law in
    a separate case"), and nowhere else. A word ``common`` says of (the country every report of
    the setting names) is passed over, wherever the text uses it; having passed over one, at
    least ``least_rare`` words must be told apart: one rare word is as often a coincidence."""
    said = 0
    passed_over = False
    for t in words:
        if t in uses and t not in own and t not in MARKS:
            if common is not None and common(t):
                passed_over = True
                continue
            if t not in apart:
                return False
            said += 1
    return said >= (max(least, least_rare) if passed_over else least)


def sets_apart(
    raw: RawTerms,
    top: Stored,
    members: Sequence[Stored],
    c: CoverageSettings,
    idf: Callable[[int], float] | None = None,
    min_telling_idf: float = math.inf,
) -> bool:
    """Whether the input tells of the event of its best match, or of another member of the
    story, only as a separate matter, or a member of the story tells so of the input's
    (:func:`told_apart`; what the index keeps of a member's text stands for all of it). Every
    member's headline is asked: a look-alike sets apart the event as its first report headlined
    it ("the same court struck down the data law"), and its best match may be a later report
    headlining another side of it. A word of the window as common as a figure too common to tell
    (``min_telling_idf``: the country, its capital) is passed over (``set_apart_rare_words``):
    a look-alike names its setting where it tells its own event too."""
    own = raw.headline_terms
    common: Callable[[int], bool] | None = None
    if c.set_apart_rare_words and idf is not None and math.isfinite(min_telling_idf):
        w = idf

        def common(t: int) -> bool:
            return w(t) < min_telling_idf

    rare = c.set_apart_rare_words
    if raw.set_apart and any(
        told_apart(m.cov.headline, own, raw.counts, raw.set_apart, c.min_set_apart_words, common, rare)
        for m in (top, *members)
    ):
        return True
    for m in members:
        f = m.cov
        if f.apart:
            uses = {*f.terms, *f.names, *f.figures, *f.apart}
            if told_apart(
                own, frozenset(f.headline), uses, frozenset(f.apart), c.min_stored_set_apart_words, common, rare
            ):
                return True
    return False


def told_as_other_engagement(
    raw: RawTerms, members: Sequence[Stored], idf: Callable[[int], float], min_telling_idf: float
) -> bool:
    """Whether the story tells a name of the input's headline only as another engagement of its
    day: a rare name (at least ``min_telling_idf``: the counterpart, the river, not the country)
    that no story headline gives, that a member uses only where it tells another engagement
    (``CoverageFeatures.engaged``: "Later today Mr Pruett hosts Gulvetia's foreign minister for
    negotiations on sharing water from the Athey River") and no member uses elsewhere. The
    minister's breakfast talks and the afternoon's accord share the minister, the capital and
    the day; the accord's headline names what the breakfast's report gives as the afternoon's
    schedule. A report of the story's own event names its headline's people where it tells
    the event, in the story's reports too. And the other way: a rare name of a story headline
    that the input's headline does not give and the input uses only where it tells another
    engagement (``RawTerms.engaged``: the accord's "Earlier he had breakfast with Carondese
    Foreign Minister Ines Maralto", judged against the breakfast's story arriving after it).
    Pure: stored features and the window's frequencies."""
    if not math.isfinite(min_telling_idf):
        return False
    if raw.engaged:
        own = raw.headline_terms
        for m in members:
            names = m.cov.names
            for h in m.cov.headline:
                if h in raw.engaged and h in names and h not in own and idf(h) >= min_telling_idf:
                    return True
    if not any(m.cov.engaged for m in members):
        return False
    heads = {h for m in members for h in m.cov.headline}
    for h in raw.headline:
        if h in heads or h not in raw.name_hashes or idf(h) < min_telling_idf:
            continue
        told = [h in m.cov.engaged for m in members]
        if any(told) and not any(
            not t and (h in m.cov.names or h in m.cov.terms) for m, t in zip(members, told, strict=True)
        ):
            return True
    return False


def rescue_measures(
    raw: RawTerms,
    me: Probe | TextProbe,
    members: Sequence[Stored],
    j: Judgement,
    idf: Callable[[int], float],
    c: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
) -> list[float]:
    """The measures of the failed judgement ``j`` of the input against a story that the rescue
    model weighs (``RESCUE_MEASURES``): the judgement's own, and the gates' tests it does not
    keep (the story's rarest headline name named, figures compared, a telling figure shared,
    the protagonist named), asked here of every story, whatever its size. Computed only when
    the rules turned down every candidate story."""
    w = idf
    my_figures = me.stored.figures if isinstance(me, TextProbe) else me.cov.figures
    r = written_alike(raw) if j.other_language else raw
    story_names = _story_names(members, _prominent(members))
    subject_named = _subject_named(members, r.counts, w, c, min_telling_idf, j.other_language)
    story_figures = {h for m in members for h in m.cov.figures}
    telling_shared = _telling_shared(my_figures, story_figures, telling, w, min_telling_idf)
    unfound = max((w(h) for h in r.headline if h not in story_names), default=0.0)
    unfound_rarity = unfound / min_telling_idf if math.isfinite(min_telling_idf) and min_telling_idf > 0 else 0.0
    return [
        j.head_in_story,
        j.story_head_in_input,
        float(subject_named),
        j.shared_idf,
        j.numbers_in_story,
        float(min(len(my_figures), len(story_figures))),
        float(telling_shared),
        float(_protagonist_named(r, story_names, w, c)),
        j.damped,
        math.log1p(j.gap_hours),
        math.log(len(members)),
        float(j.other_language),
        float(len(r.headline)),
        unfound_rarity,
    ]


def headline_waived(c: CoverageSettings) -> CoverageSettings:
    """The rules with the headline gates waived, the share of the input's headline names found
    in the story and (``rescue_story_headline``) the share of the story's headline words found
    in the input (the gates the rescue model weighs instead: ``rescue``), and the similarity
    asked of the story down to ``rescue_min_similarity`` (the model weighs it), and
    (``rescue_unnamed_subject``) a story headline's rarest name named in the input (the model
    weighs whether it is); every other as it is."""
    waived = replace(
        c,
        min_headline_in_story=0.0,
        min_headline_with_figure=0.0,
        rescue=None,
        min_similarity=c.rescue_min_similarity,
        subject_required=c.subject_required and not c.rescue_unnamed_subject,
    )
    if not c.rescue_story_headline:
        return waived
    words = max(c.rescue_story_headline_words, c.min_story_headline_words)
    return replace(waived, min_story_headline_in_input=0.0, min_story_headline_words=words)


def may_pass_waived(
    raw: RawTerms,
    me: Probe | TextProbe,
    members: Sequence[Stored],
    idf: Callable[[int], float],
    waived: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
) -> bool:
    """False when ``judge`` under ``waived`` (:func:`headline_waived`) cannot pass the story,
    known before any vector: the gates fail (the names do not agree, so no mutual headlines
    either) and no member may have been published after the input (no swapped roles). A
    necessary condition, as ``may_pass_gates`` is of the rules: the decider looks for a rescue
    in every ``new``, and computes the vectors of the stories it leaves only."""
    if waived.swap_roles and any(may_be_later(m.time, me.time) for m in members):
        return True
    foreign = in_other_language(raw, members, waived)
    if foreign:
        raw = written_alike(raw)
    # The names agree only where a story headline's rarest name is named in the input (or need
    # not be): the one gate nearly every candidate story of a ``new`` fails, and a quarter of the
    # cost of them all, so asked alone first (when the rescue asks it: ``rescue_unnamed_subject``).
    if waived.subject_required and not _subject_named(members, raw.counts, idf, waived, min_telling_idf, foreign):
        return False
    # ...and where the names both give carry ``min_shared_name_idf``: asked next, without the
    # story's set of names, since a story whose rarest slot the input leaves unnamed is asked the
    # whole gates otherwise (``rescue_unnamed_subject``: most candidate stories of a ``new``).
    if not _shares_names(raw.name_hashes, members, idf, waived.min_shared_name_idf):
        return False
    my_figures = me.stored.figures if isinstance(me, TextProbe) else me.cov.figures
    g = _gates(raw, my_figures, members, idf, waived, telling, min_telling_idf, foreign)
    return g.passed or g.names_agree


def rescue(
    raw: RawTerms,
    me: Probe | TextProbe,
    members: Sequence[Stored],
    waived: Judgement,
    idf: Callable[[int], float],
    model: RescueModel,
    c: CoverageSettings,
    telling: Container[int] = frozenset(),
    min_telling_idf: float = math.inf,
    same_site: bool = False,
) -> float | None:
    """The rescue model's probability that a story the rules turned down is the input's event,
    when it is at least the model's threshold (of a story holding a report of the input's site,
    ``same_site``: at least ``rescue_same_site_probability`` too; of a story whose headlines'
    rarest name the input leaves unnamed, published before the story's nearest member,
    ``rescue_unnamed_subject_probability``); else None.
    ``waived``: the input judged against the story under :func:`headline_waived`, which must
    pass: the model weighs only the gates most reports of an event in other words fail (their
    headline names a place, a side or a person the story never names: the country a local paper
    leaves out, the pilots of an airline's results; their text tells the event in other words
    than the story's headline: a tabloid's, a brief's), and whether the names it does not find
    are the slot a look-alike fills differently or another angle on the event; every other
    gate, the similarity and the words setting another matter apart hold as the rules have them
    (a notice pages print instead of their story, the same minister's next engagement). Asked
    only when the rules turn down every candidate story: the rules decide first, the model only
    where they say no.
    The input must be as similar to the story's nearest member as ``rescue_min_similarity``
    (not through the story's centroid; v21 asked what the rules ask, ``min_similarity``): the
    model weighs that similarity itself, and a tabloid's or an explainer's report shares fewer
    of the wire's words than the rules ask; the floor keeps the model to few stories (a rescue
    is looked for in every ``new``). A story told in another language is compared on names and
    figures alone, where no word is left out: asked what the rules ask
    (``rescue_min_similarity_other_language``). An input labelled an analysis, an explainer or a
    comment is asked ``rescue_labelled_probability`` instead of every other probability; one
    published after the story's nearest member, the model's own threshold less
    ``rescue_later_margin``, the unnamed subject's too where it is still asked
    (``rescue_unnamed_subject_before_only``)."""
    floor = c.rescue_min_similarity_other_language if waived.other_language else c.rescue_min_similarity
    if not waived.passed or waived.damped < floor:
        return None
    x = rescue_measures(raw, me, members, waived, idf, c, telling, min_telling_idf)
    p = model.probability(x)
    follows = may_follow(waived.top.time, me.time)
    margin = c.rescue_later_margin if follows else 0.0
    base = model.min_probability - margin
    asked = max(base, c.rescue_same_site_probability) if same_site else base
    if not x[_SUBJECT_NAMED] and not (follows and c.rescue_unnamed_subject_before_only):
        asked = max(asked, c.rescue_unnamed_subject_probability - margin)
    if raw.labelled and c.rescue_labelled_probability is not None:
        asked = c.rescue_labelled_probability
    return p if p >= asked else None
