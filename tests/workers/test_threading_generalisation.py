"""Threading quality on a held-out set written independently of the dev corpus and of the
thresholds: 44 wire articles, 10 threads plus hard negatives and unrelated items, across
diplomacy, earnings, sport, disasters, courts, health regulation, elections, legislation and
markets. Every role appears: originals, syndicated copies (dateline/credit changes, shortened
to the first paragraphs, an added editor's note), revisions (same guid: corrected numbers, an
added paragraph, a changed headline), follow-ups (quoting a sentence inside new reporting, a
next-day story, and two heavy paraphrases), hard negatives (same template or same actors,
different event) and unrelated stories.

The data was written before the decision was evaluated on it. Metrics are the same as in
``test_threading_quality.py``: pairwise same-story F1 and decision accuracy."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.workers.test_threading_quality import correct, pairwise_f1
from workers.thread import Decision, StoryIndex, ThreadInput, ThreadSettings, decide_and_apply


@dataclass(frozen=True)
class Held:
    id: str
    thread: str
    role: str  # original | syndicated_copy | revision | followup | hard_negative | unrelated
    expect: str  # new | duplicate | update
    site: str
    guid: str  # the article's identity (guid, else URL): same guid = same article revised
    published: str
    title: str
    paragraphs: tuple[str, ...]

    def item(self) -> ThreadInput:
        text = "\n\n".join(self.paragraphs)
        return ThreadInput(
            article_id=hashlib.sha256(self.guid.encode()).hexdigest()[:20],
            raw_id=hashlib.sha256((self.guid + text).encode()).hexdigest()[:20],
            url=f"https://{self.site}/{self.id.lower()}",
            guid=self.guid,
            site=self.site,
            title=self.title,
            text=text,
            published=datetime.fromisoformat(self.published).replace(tzinfo=UTC),
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
        )


# ---------------------------------------------------------------- H01 diplomacy: call readout

_H01 = (
    "Prime Minister Lena Okafor today held a telephone conversation with the President of the Republic of "
    "Kaldera, Viktor Amsel.",
    "The two leaders discussed the state of bilateral trade, which grew by 14% last year to 3.2 billion "
    "euros, and agreed to convene the intergovernmental commission on economic cooperation in Rostov Vale "
    "before the end of July.",
    "Particular attention was paid to the construction of the Nordline gas interconnector. Prime Minister "
    "Okafor stressed that Ostrand remained committed to completing the project on schedule in 2028.",
    "The leaders also exchanged views on the situation in the Brask Sea region and underlined the importance "
    "of maintaining freedom of navigation.",
    "President Amsel congratulated Prime Minister Okafor on Ostrand's assumption of the chairmanship of the "
    "Council of Northern States.",
    "The conversation took place in a constructive and friendly atmosphere. The leaders agreed to remain in contact.",
)
_H01_TITLE = "Prime Minister Lena Okafor holds telephone conversation with President of Kaldera Viktor Amsel"

# ---------------------------------------------------------------- H02 earnings

_H02 = (
    "HELMSTADT, June 3 (Wire-X) - Corvane Systems reported a 22% rise in first-quarter revenue on Wednesday, "
    "beating analysts' forecasts as cloud providers kept buying its networking chips for new data centres.",
    "Revenue rose to 2.84 billion euros in the three months to the end of April from 2.33 billion a year "
    "earlier. Net profit climbed to 512 million euros, or 1.46 euros per share, compared with an average "
    "estimate of 1.31 euros in a Marketline poll of analysts.",
    "Sales at the data-centre unit, which now accounts for more than half of group revenue, jumped 41%, "
    "while the automotive division reported a 6% decline as carmakers cut inventories.",
    '"Demand from our largest customers has not slowed, and we are adding capacity as fast as we can," '
    "Chief Executive Mirela Duca said on a call with analysts.",
    "Corvane raised its full-year revenue forecast to between 11.6 billion and 12 billion euros, from 11 "
    "billion to 11.5 billion previously.",
    "Shares in the company rose 7% in after-hours trading in Helmstadt.",
)

# ---------------------------------------------------------------- H03 sport: match report

_H03 = (
    "Torvik came from a goal down to beat Almsby 3-1 at the Riverside Stadium on Saturday and moved to the "
    "top of the Premier Division table, a point ahead of Kessbridge.",
    "Almsby took the lead in the ninth minute when Jonas Brekke turned in a low cross from Emil Sandvik, but "
    "Torvik levelled before half-time through a curling free kick from captain Dario Lindqvist.",
    "Substitute Kofi Mensah put the hosts ahead in the 67th minute with a header and Lindqvist sealed the win "
    "from the penalty spot after Almsby defender Per Aune handled in the area.",
    '"At half-time I told the players to stay patient, and they showed real character," Torvik coach Henrik '
    'Vaag said. "But nothing is decided yet. There are still five games to play."',
    "Almsby, who had won their previous four league matches, remain fifth. The two sides meet again in the "
    "Cup quarter-final at Almsby's Bergstrand Park on Wednesday.",
)

# ---------------------------------------------------------------- H04 sport: preview

_H04 = (
    "Kessbridge Lions will try to win their first Championship title in 19 years when they face holders "
    "Port Arden in the final at the National Stadium in Vessburg on Saturday.",
    "Kessbridge coach Maren Dahl has named an unchanged side from the team that beat Hollin 31-17 in the "
    "semi-final, with fly-half Arne Solberg fit after a hamstring scare.",
    "Port Arden, who have won four of the last five finals, will be without lock Sam Whitley, who was "
    "suspended for three weeks for a dangerous tackle. Former captain Rory Delane returns to the starting "
    "line-up in his place.",
    '"Finals are about handling pressure, and this group has been here before," Port Arden coach Callum '
    "Reid said on Thursday.",
    "The two sides drew 20-20 when they met in the regular season in March. Kick-off is at 3 p.m. local "
    "time and tickets have been sold out for weeks.",
)

# ---------------------------------------------------------------- H05 disaster: floods

_H05 = (
    "RENDAL, June 8 (Wire-X) - Flash floods killed at least 14 people and forced thousands from their homes "
    "in Velmora's Rendal province after the heaviest rainfall on record for early June, officials said on "
    "Monday.",
    "The Dunmere river burst its banks overnight, flooding the centre of the provincial capital Greyhaven "
    "and cutting the main road to the coast, the provincial emergency service said. At least 23 people were "
    "missing.",
    "The national weather service said 212 mm of rain fell in 24 hours at its station in Greyhaven, more "
    "than the average for the whole month.",
    "Soldiers and volunteers used boats to rescue residents stranded on the roofs of houses in low-lying "
    "districts. About 4,600 people spent the night in schools and sports halls.",
    '"We have never seen water rise this fast," said Greyhaven mayor Tilda Roos. "Whole streets disappeared '
    'in less than an hour."',
    "Prime Minister Ansgar Holm was due to visit the area later on Monday.",
)

# ---------------------------------------------------------------- H06 courts

_H06 = (
    "A court in Rostov Vale on Tuesday sentenced former transport minister Pavel Strand to six years in "
    "prison for taking bribes worth 2.4 million euros from construction companies bidding for motorway "
    "contracts.",
    'Judge Helena Marsk said Strand had abused his office "in a systematic and calculated way" between 2019 '
    "and 2022, steering contracts for the A7 motorway to firms that paid into accounts controlled by his "
    "brother-in-law.",
    "The court also ordered the confiscation of a villa on the Brask Sea coast and barred Strand from "
    "holding public office for ten years. Two businessmen were given suspended sentences.",
    "Strand, who resigned in 2023 when the investigation became public, denied the charges throughout the "
    "14-month trial. His lawyer Otto Brenn said he would appeal.",
    "The case is the most high-profile to come before the courts since Kaldera set up a special "
    "anti-corruption prosecutor's office in 2021 under pressure from international lenders.",
)

# ---------------------------------------------------------------- H07 health regulator

_H07 = (
    "Ostrand's Medicines and Health Products Agency on Wednesday approved Norlis Pharma's Cerevant for the "
    "treatment of early Alzheimer's disease, making it the first drug of its kind available in the country.",
    "The agency said the monthly infusion had been shown to slow cognitive decline by 27% over 18 months in "
    "a trial of 1,795 patients, and that the benefits outweighed the risks for patients with mild symptoms.",
    "Approval comes with conditions. Patients must have brain scans before starting treatment and at regular "
    "intervals, because of a risk of swelling and small bleeds in the brain, the agency said.",
    "Norlis Pharma said Cerevant would be available in specialist clinics from September. It has not "
    "disclosed a price.",
    '"This is a meaningful step for patients and families who have waited a long time for a treatment that '
    "acts on the disease itself,\" said Dr Hanna Welt of the Ostrand Alzheimer's Society.",
    "The agency's decision follows approvals in several other countries last year.",
)

# ---------------------------------------------------------------- H08 elections

_H08 = (
    "Velmora's centre-right Civic Union won the most seats in Sunday's parliamentary election but fell short "
    "of a majority, preliminary results published by the Central Electoral Commission showed.",
    "With 96% of votes counted, the Civic Union led by former finance minister Greta Solheim had 31.4% of "
    "the vote and was projected to win 62 of the 150 seats in parliament. Prime Minister Ansgar Holm's "
    "Social Democrats were second with 24.8% and 48 seats.",
    "The Green Alliance came third with 11.2%, followed by the nationalist Velmora First party with 9.6%. "
    "Turnout was 71%, the highest since 2009.",
    '"Voters have asked us to lead, and we will reach out to every party that shares our commitment to lower '
    'taxes and a stronger economy," Solheim told supporters in the capital.',
    "Holm conceded defeat shortly before midnight but said his party would play a constructive role in parliament.",
)

# ---------------------------------------------------------------- H09 legislation

_H09 = (
    "VESSBURG, June 16 (Wire-Q) - Ostrand's parliament on Tuesday passed a law capping annual rent increases "
    "at 3% for the next five years, handing Prime Minister Lena Okafor's coalition a victory on one of its "
    "main campaign promises.",
    "The bill was approved by 98 votes to 71 in the 175-seat Landsting. It covers about 780,000 rented homes "
    "and also bans landlords from charging tenants fees for drawing up contracts.",
    'Housing Minister Eirik Lund said the law would give families "breathing space" after rents in Vessburg '
    "rose by almost 30% in three years.",
    "The opposition Conservative Party voted against, saying the cap would discourage investment in new "
    'rental housing. "This law will leave us with fewer homes and longer queues," said Conservative housing '
    "spokeswoman Anne Brekk.",
    "The law takes effect on January 1 once it has been signed by President Ines Varga and published in the "
    "official gazette.",
)

# ---------------------------------------------------------------- H10 markets

_H10 = (
    "HELMSTADT, June 17 (Wire-X) - Helmstadt's benchmark HX-50 index closed at a record high on Wednesday, "
    "lifted by a rally in chipmakers after Corvane Systems won a multi-billion euro supply contract from a "
    "U.S. cloud provider.",
    "The HX-50 rose 1.3% to 18,412.6 points, beating its previous closing high set in March. The broader "
    "HX-All Share index gained 0.9%.",
    "Corvane shares jumped 9.4% to a record 212.5 euros, while rival Brightwell Semiconductor rose 4.1%. "
    "Banks also gained after government bond yields edged higher.",
    '"Investors are betting that the spending boom on data centres has years left to run," said Lukas Veer, '
    "head of equity strategy at Nordbank in Helmstadt.",
    "On the currency market, the krona was steady at 11.24 per dollar. Trading volumes were about 10% above "
    "the 30-day average.",
)


def _undateline(paragraph: str) -> str:
    return paragraph.split(" - ", 1)[1]


HELD_OUT: tuple[Held, ...] = (
    # --- June 1-2: diplomacy
    Held(
        "H01-1",
        "H01",
        "original",
        "new",
        "pm.ostrand.example",
        "pm-ostrand-2026-0611",
        "2026-06-01T10:00",
        _H01_TITLE,
        _H01,
    ),
    Held(
        "H01-2",
        "H01",
        "syndicated_copy",
        "duplicate",
        "wire-q.example",
        "wq-65870",
        "2026-06-01T10:40",
        _H01_TITLE,
        (
            "VESSBURG, June 1 (Wire-Q) - " + _H01[0],
            *_H01[1:],
            "(Reporting by Wire-Q staff in Vessburg; Editing by Mara Collins)",
        ),
    ),
    Held(
        "H01-3",
        "H01-neg",
        "hard_negative",
        "new",
        "pm.ostrand.example",
        "pm-ostrand-2026-0614",
        "2026-06-02T09:00",
        "Prime Minister Lena Okafor holds telephone conversation with Prime Minister of Velmora Ansgar Holm",
        (
            "Prime Minister Lena Okafor today held a telephone conversation with the Prime Minister of the "
            "Kingdom of Velmora, Ansgar Holm.",
            "The two leaders discussed the state of bilateral trade and investment, including the expansion of "
            "the Port of Selby container terminal, and agreed to hold the next round of intergovernmental "
            "consultations in Vessburg in the autumn.",
            "Particular attention was paid to cooperation in offshore wind energy. Prime Minister Okafor "
            "stressed that Ostrand remained committed to the joint North Shelf grid project.",
            "The leaders also exchanged views on the situation in the Brask Sea region and underlined the "
            "importance of maintaining freedom of navigation.",
            "Prime Minister Holm congratulated Prime Minister Okafor on Ostrand's assumption of the "
            "chairmanship of the Council of Northern States.",
            "The conversation took place in a constructive and friendly atmosphere. The leaders agreed to "
            "remain in contact.",
        ),
    ),
    Held(
        "H01-4",
        "H01",
        "followup",
        "update",
        "wire-q.example",
        "wq-65911",
        "2026-06-02T13:00",
        "Kaldera pushes for faster gas link after Amsel-Okafor call",
        (
            "VESSBURG, June 2 (Wire-Q) - Kaldera wants the Nordline gas interconnector with Ostrand to start "
            "pumping a year earlier than planned, a senior Kalderan official said on Tuesday, a day after "
            "President Viktor Amsel discussed the project with Ostrand's prime minister.",
            "Deputy Energy Minister Rasmus Tal told reporters in Rostov Vale that Kaldera would offer to cover "
            "part of the cost of a compressor station on its side of the border if the two governments agreed "
            "to bring the start date forward to 2027.",
            "Ostrand's government said after Monday's call that \"Prime Minister Okafor stressed that Ostrand "
            'remained committed to completing the project on schedule in 2028." A spokesman for the prime '
            "minister declined to comment on the Kalderan proposal.",
            "The 240-km pipeline, which will link the Kalderan gas network with storage sites in western "
            "Ostrand, is expected to cost about 1.1 billion euros. Construction began last year.",
            "Analysts say an earlier start would help Ostrand, which imports most of its gas by sea, ahead of "
            "what forecasters expect to be a tight winter market.",
        ),
    ),
    Held(
        "H01-5",
        "H01",
        "followup",
        "update",
        "ostrand-herald.example",
        "https://ostrand-herald.example/a/88121",
        "2026-06-03T08:00",
        "Analysis: Okafor's call with Amsel signals thaw between Ostrand and Kaldera",
        (
            "When Lena Okafor picked up the phone to Viktor Amsel on Monday, it was the first conversation "
            "between an Ostrand prime minister and a Kalderan president in almost two years.",
            "The official summary released by Okafor's office was brief and formulaic, mentioning trade, the "
            "Nordline gas interconnector and the Brask Sea. But diplomats in Vessburg said the call itself "
            "mattered more than anything in it.",
            "Relations soured in 2024 after Kaldera expelled two Ostrand diplomats over a spying row. Trade "
            "nevertheless kept growing, reaching 3.2 billion euros last year, and the pipeline has become the "
            "main thread holding the relationship together.",
            '"Both sides need Nordline more than they need the quarrel," said Irena Vos, a fellow at the '
            "Vessburg Institute for International Affairs.",
            "Amsel is expected to attend the Council of Northern States summit that Ostrand will host in "
            "October, which would be his first visit to the country since taking office.",
        ),
    ),
    # --- June 3-5: earnings
    Held(
        "H02-1",
        "H02",
        "original",
        "new",
        "wire-x.example",
        "wx:510201",
        "2026-06-03T20:15",
        "Corvane Systems quarterly profit beats forecasts on data-centre demand",
        _H02,
    ),
    Held(
        "H02-2",
        "H02",
        "syndicated_copy",
        "duplicate",
        "markets-daily.example",
        "md-22190",
        "2026-06-03T20:45",
        "Corvane Systems profit beats forecasts",
        (_undateline(_H02[0]), _H02[1], _H02[2], "Source: Wire-X"),
    ),
    Held(
        "H02-3",
        "H02",
        "revision",
        "update",
        "wire-x.example",
        "wx:510201",
        "2026-06-03T22:05",
        "UPDATE 1-Corvane Systems raises outlook as data-centre chip sales jump 41%",
        (
            _H02[0],
            _H02[1].replace("512 million", "521 million").replace("1.46 euros", "1.48 euros"),
            _H02[2],
            _H02[3],
            _H02[4],
            "The company also announced a share buyback of up to 1 billion euros over the next 12 months.",
            _H02[5],
            "(Corrects net profit figure in second paragraph to 521 million euros from 512 million)",
        ),
    ),
    Held(
        "U1",
        "U1",
        "unrelated",
        "new",
        "wire-q.example",
        "wq-65990",
        "2026-06-04T11:00",
        "Kaldera central bank holds rates at 4.25%, signals cut later this year",
        (
            "ROSTOV VALE, June 4 (Wire-Q) - Kaldera's central bank kept its main interest rate at 4.25% on "
            "Thursday, as expected, but said it could lower borrowing costs later this year if inflation "
            "keeps slowing.",
            "Consumer prices rose 3.1% in May from a year earlier, down from 3.6% in April and the lowest "
            "since 2021, the statistics office said last week.",
            '"The disinflation process is on track, but we want to see it confirmed before we act," Governor '
            "Marta Kell told a news conference.",
            "All 18 economists polled by Wire-Q had expected no change. Most expect a first cut in September.",
        ),
    ),
    Held(
        "H02-4",
        "H02-neg1",
        "hard_negative",
        "new",
        "wire-x.example",
        "wx:510255",
        "2026-06-05T09:30",
        "Corvane Systems unveils faster networking chip for AI data centres",
        (
            "HELMSTADT, June 5 (Wire-X) - Corvane Systems on Friday unveiled a networking chip that it said "
            "could move data between servers twice as fast as its current products, as it seeks to fend off "
            "rivals in the fast-growing market for artificial intelligence infrastructure.",
            "The chip, called Tessellate 3, will be made by contract manufacturer Aurum Foundry on its "
            "3-nanometre process and is due to ship to customers in the first quarter of next year, the "
            "company said.",
            '"Our customers are building clusters with hundreds of thousands of processors, and the network '
            'has become the bottleneck," Chief Executive Mirela Duca told a product event in Helmstadt.',
            "The launch comes two days after Corvane raised its full-year revenue forecast on strong demand "
            "from cloud providers.",
            "Shares in the company were little changed in Helmstadt trading.",
        ),
    ),
    Held(
        "H02-5",
        "H02-neg2",
        "hard_negative",
        "new",
        "wire-x.example",
        "wx:510262",
        "2026-06-05T20:30",
        "Brightwell Semiconductor profit misses forecasts as car chip demand slumps",
        (
            "HELMSTADT, June 5 (Wire-X) - Brightwell Semiconductor reported an 8% fall in first-quarter revenue "
            "on Friday, missing analysts' forecasts as carmakers cut orders for its power-management chips.",
            "Revenue fell to 1.12 billion euros in the three months to the end of April from 1.22 billion a "
            "year earlier. Net profit dropped to 96 million euros, or 0.41 euros per share, compared with an "
            "average estimate of 0.52 euros in a Marketline poll of analysts.",
            "Sales to the automotive industry, which accounts for about 60% of group revenue, fell 15%, while "
            "the industrial unit reported a 3% rise.",
            '"We expect the inventory correction in automotive to last at least until the autumn," Chief '
            "Executive Jan Oorts said on a call with analysts.",
            "Brightwell cut its full-year revenue forecast to between 4.4 billion and 4.6 billion euros, from "
            "4.8 billion to 5 billion previously.",
            "Shares in the company fell 11% in after-hours trading in Helmstadt.",
        ),
    ),
    # --- June 6-8: sport
    Held(
        "H03-1",
        "H03",
        "original",
        "new",
        "sportsdesk-q.example",
        "sq-7781",
        "2026-06-06T17:10",
        "Torvik hit back to beat Almsby 3-1 and go top of Premier Division",
        _H03,
    ),
    Held(
        "H03-2",
        "H03",
        "syndicated_copy",
        "duplicate",
        "nordsport.example",
        "ns-40412",
        "2026-06-06T18:10",
        "Torvik hit back to beat Almsby 3-1 and go top of Premier Division",
        (
            "Editor's note: This report was supplied by Sportsdesk-Q and is published under a content-sharing "
            "agreement.",
            *_H03,
            "(Sportsdesk-Q)",
        ),
    ),
    Held(
        "H04-1",
        "H04",
        "original",
        "new",
        "sportsdesk-q.example",
        "sq-7800",
        "2026-06-07T09:00",
        "Preview: Kessbridge Lions face Port Arden in Championship final",
        _H04,
    ),
    Held(
        "H04-3",
        "H04",
        "syndicated_copy",
        "duplicate",
        "rugbynews.example",
        "rn-1187",
        "2026-06-07T10:00",
        "Kessbridge Lions face Port Arden in Championship final",
        _H04[:3],
    ),
    Held(
        "H04-2",
        "H04",
        "revision",
        "update",
        "sportsdesk-q.example",
        "sq-7800",
        "2026-06-08T08:00",
        "Preview: Kessbridge Lions without Solberg for Championship final against Port Arden",
        (
            _H04[0],
            "Kessbridge coach Maren Dahl has made one change from the team that beat Hollin 31-17 in the "
            "semi-final, with Nils Aas starting at fly-half after Arne Solberg failed a late fitness test on "
            "his hamstring.",
            '"Arne was desperate to play but we couldn\'t take the risk," Dahl said on Friday evening.',
            *_H04[2:],
        ),
    ),
    Held(
        "H05-1",
        "H05",
        "original",
        "new",
        "wire-x.example",
        "wx:510340",
        "2026-06-08T06:00",
        "Floods kill 14 in Velmora's Rendal province after record rainfall",
        _H05,
    ),
    Held(
        "H05-2",
        "H05",
        "syndicated_copy",
        "duplicate",
        "velmora-post.example",
        "vp-301774",
        "2026-06-08T06:45",
        "Floods kill 14 in Velmora's Rendal province after record rainfall",
        (
            "GREYHAVEN, Velmora, June 8 (Wire-X) - " + _undateline(_H05[0]),
            *_H05[1:],
            "Copyright Wire-X 2026. All rights reserved.",
        ),
    ),
    Held(
        "U2",
        "U2",
        "unrelated",
        "new",
        "sportsdesk-q.example",
        "sq-7811",
        "2026-06-08T10:00",
        "Hollin Town appoint former defender Tove Berg as head coach",
        (
            "Hollin Town have appointed former defender Tove Berg as head coach on a three-year contract, the "
            "club said on Monday, a week after Leif Strom left by mutual consent.",
            "Berg, 41, made more than 300 appearances for the club and has spent the last two seasons in "
            "charge of its under-21 side.",
            '"This club is my home and I know exactly what our supporters expect," Berg said.',
            "Hollin finished ninth in the Premier Division, their lowest position for a decade.",
        ),
    ),
    Held(
        "H05-3",
        "H05",
        "revision",
        "update",
        "wire-x.example",
        "wx:510340",
        "2026-06-08T11:30",
        "Velmora flood death toll rises to 21 as Holm visits Rendal",
        (
            _H05[0].replace("at least 14 people", "at least 21 people"),
            _H05[1].replace("At least 23 people", "At least 17 people"),
            *_H05[2:5],
            "Prime Minister Ansgar Holm, who flew over the flooded districts by helicopter on Monday "
            "afternoon, promised emergency aid of 50 million euros and said the army would stay in the "
            "province for as long as it was needed.",
        ),
    ),
    Held(
        "H05-4",
        "H05",
        "followup",
        "update",
        "wire-x.example",
        "wx:510388",
        "2026-06-09T07:30",
        "Velmora counts cost of Rendal floods as Dunmere river recedes",
        (
            "GREYHAVEN, June 9 (Wire-X) - Residents of Greyhaven began clearing mud and debris from their homes "
            "on Tuesday as the Dunmere river fell back below flood level, a day after flash floods killed at "
            "least 21 people in Velmora's Rendal province.",
            "The provincial government put the damage at more than 300 million euros and said 1,200 homes had "
            "been destroyed or badly damaged. Eleven people were still missing.",
            '"We have never seen water rise this fast," Greyhaven mayor Tilda Roos said on Monday. On Tuesday '
            "she asked the national government to declare the province a disaster area, which would release "
            "emergency funds for rebuilding.",
            "The national weather service said 212 mm of rain fell in 24 hours at its station in Greyhaven, "
            "more than the average for the whole month. It warned that more storms could hit the region at "
            "the weekend.",
            "Insurers said it was too early to estimate claims.",
        ),
    ),
    # --- June 9-12: courts, health, more sport, more floods
    Held(
        "H06-1",
        "H06",
        "original",
        "new",
        "courtwire.example",
        "cw-3310",
        "2026-06-09T12:00",
        "Former Kaldera transport minister Pavel Strand jailed for six years for bribery",
        _H06,
    ),
    Held(
        "H06-2",
        "H06",
        "syndicated_copy",
        "duplicate",
        "wire-q.example",
        "wq-66010",
        "2026-06-09T13:00",
        "Former Kaldera transport minister jailed for six years for bribery",
        ("ROSTOV VALE, June 9 (Wire-Q) - " + _H06[0], _H06[1], _H06[2]),
    ),
    Held(
        "H07-1",
        "H07",
        "original",
        "new",
        "healthwire.example",
        "hw-20411",
        "2026-06-10T10:00",
        "Ostrand medicines agency approves Norlis Pharma's Alzheimer's drug Cerevant",
        _H07,
    ),
    Held(
        "H07-2",
        "H07",
        "syndicated_copy",
        "duplicate",
        "medbrief.example",
        "mb-7c1e90",
        "2026-06-10T10:30",
        "Ostrand medicines agency approves Norlis Pharma's Alzheimer's drug Cerevant",
        (
            *_H07,
            "Editor's note: This article is part of Medbrief's coverage of dementia research, supported by the "
            "Linden Trust. The trust has no influence over editorial content.",
        ),
    ),
    Held(
        "H03-3",
        "H03-neg",
        "hard_negative",
        "new",
        "sportsdesk-q.example",
        "sq-7825",
        "2026-06-10T21:00",
        "Almsby beat Torvik 2-0 to reach Cup semi-finals",
        (
            "Almsby avenged their league defeat by beating Torvik 2-0 at Bergstrand Park on Wednesday to reach "
            "the semi-finals of the Cup.",
            "Jonas Brekke gave the hosts the lead in the 23rd minute, sweeping in a pass from Emil Sandvik, and "
            "Tobias Grund doubled the advantage early in the second half with a shot from the edge of the area.",
            "Torvik, who rested captain Dario Lindqvist ahead of Sunday's league match against Kessbridge, "
            "rarely threatened, and Kofi Mensah's header in stoppage time was saved by goalkeeper Anders Holt.",
            '"We owed them one after Saturday," Almsby coach Lise Moen said. "The players were hungry from the '
            'first whistle."',
            "Almsby will face Kessbridge or Hollin Town in the semi-finals next month.",
        ),
    ),
    Held(
        "H06-3",
        "H06",
        "followup",
        "update",
        "courtwire.example",
        "cw-3342",
        "2026-06-11T09:00",
        "Jailed ex-minister Strand files appeal, says trial was political",
        (
            "Former Kaldera transport minister Pavel Strand has filed an appeal against his six-year prison "
            "sentence for bribery, arguing that the trial was politically motivated, his lawyer said on "
            "Thursday.",
            "A court in Rostov Vale on Tuesday sentenced Strand to six years in prison for taking bribes worth "
            "2.4 million euros from construction companies bidding for motorway contracts.",
            "In a 40-page filing to the regional appeals court, lawyer Otto Brenn said the judges had relied on "
            "the testimony of a businessman who had struck a deal with prosecutors and that key bank records "
            "had been obtained illegally.",
            '"My client is being punished for opposing the government\'s infrastructure plans," Brenn told '
            "reporters outside the court.",
            "The special anti-corruption prosecutor's office said it was confident the verdict would be "
            "upheld. The appeal is expected to be heard in the autumn.",
        ),
    ),
    Held(
        "U3",
        "U3",
        "unrelated",
        "new",
        "velmora-post.example",
        "vp-301990",
        "2026-06-11T15:00",
        "Velmora National Orchestra names Chiara Benn chief conductor",
        (
            "The Velmora National Orchestra has named the Italian-born conductor Chiara Benn as its next chief "
            "conductor, the first woman to hold the post in the orchestra's 112-year history.",
            "Benn, 38, will take up the position at the start of the 2027-28 season, succeeding Anton Reiss, "
            "who is stepping down after 14 years.",
            "She first conducted the orchestra in 2022 in a performance of Mahler's Sixth Symphony that critics "
            "described as one of the highlights of that season.",
            "The orchestra also announced a tour of four Asian cities next spring.",
        ),
    ),
    Held(
        "H07-3",
        "H07",
        "followup",
        "update",
        "wire-y.example",
        "wire-y-90044",
        "2026-06-12T09:00",
        "Ostrand insurers warn Cerevant costs could strain budgets",
        (
            "Ostrand's largest health insurers warned on Friday that the cost of Norlis Pharma's newly approved "
            "Alzheimer's drug Cerevant could add hundreds of millions of euros a year to their spending unless "
            "the company offered steep discounts.",
            "The Medicines and Health Products Agency approved the monthly infusion on Wednesday for patients "
            "with early Alzheimer's disease, after a trial showed it slowed cognitive decline by 27% over 18 "
            "months.",
            "The Federation of Health Insurers estimated that about 40,000 patients could be eligible in the "
            "first year. The drug sells for the equivalent of about 24,000 euros a year in other markets, not "
            "counting the cost of the scans patients need to monitor side effects.",
            '"Nobody disputes that this is progress, but the price has to reflect the modest size of the '
            "benefit,\" the federation's chairman Karl Idris said.",
            "Norlis Pharma said it was in talks with insurers and would announce its price before the drug "
            "reaches clinics in September.",
        ),
    ),
    Held(
        "H06-4",
        "H06-neg",
        "hard_negative",
        "new",
        "courtwire.example",
        "cw-3351",
        "2026-06-12T12:00",
        "Former Kaldera deputy health minister Ivo Ranta jailed for four years for bribery",
        (
            "A court in Rostov Vale on Friday sentenced former deputy health minister Ivo Ranta to four years in "
            "prison for taking bribes worth 640,000 euros from suppliers bidding for hospital equipment "
            "contracts.",
            "Judge Helena Marsk said Ranta had abused his office between 2020 and 2022, steering orders for "
            "ventilators and scanners to two distributors that paid for his family's holidays and a flat in "
            "the capital.",
            "The court also barred Ranta from holding public office for eight years. A former hospital "
            "procurement manager was given a suspended sentence.",
            "Ranta, who was dismissed in 2022, admitted part of the charges. His lawyer said he would consider "
            "an appeal.",
            "The case is the latest to come before the courts since Kaldera set up a special anti-corruption "
            "prosecutor's office in 2021 under pressure from international lenders.",
        ),
    ),
    Held(
        "H05-5",
        "H05-neg",
        "hard_negative",
        "new",
        "wire-x.example",
        "wx:510431",
        "2026-06-12T16:00",
        "Floods kill 6 in Velmora's Ostmark province as storms move north",
        (
            "LANDRIN, June 12 (Wire-X) - Flash floods killed at least six people and forced hundreds from their "
            "homes in Velmora's Ostmark province on Friday, officials said, four days after deadly floods hit "
            "the south of the country.",
            "The Seld river burst its banks in several places, flooding villages around the provincial capital "
            "Landrin, the provincial emergency service said. At least nine people were missing.",
            "The national weather service said 148 mm of rain fell in 24 hours at its station in Landrin and "
            "issued a red warning for the neighbouring province of Haskel.",
            "Soldiers and volunteers used boats to rescue residents stranded on the roofs of houses. About 800 "
            "people spent the night in emergency shelters.",
            "Floods in Rendal province earlier this week killed 21 people.",
        ),
    ),
    # --- June 14-21: elections, legislation, markets
    Held(
        "H08-1",
        "H08",
        "original",
        "new",
        "wire-y.example",
        "wire-y-90112",
        "2026-06-14T23:30",
        "Centre-right Civic Union wins most seats in Velmora election, short of majority",
        _H08,
    ),
    Held(
        "H08-3",
        "H08",
        "syndicated_copy",
        "duplicate",
        "velmora-post.example",
        "vp-302115",
        "2026-06-15T00:10",
        "Centre-right Civic Union wins most seats in Velmora election, short of majority",
        ("ALDMOOR, June 14 (Wire-Y) - " + _H08[0], *_H08[1:], "(Wire-Y)"),
    ),
    Held(
        "H08-2",
        "H08",
        "revision",
        "update",
        "wire-y.example",
        "wire-y-90112",
        "2026-06-15T07:00",
        "Velmora's Civic Union wins 63 seats in final election count, needs partner",
        (
            _H08[0].replace("preliminary results", "final results"),
            "With all votes counted, the Civic Union led by former finance minister Greta Solheim had 31.9% of "
            "the vote and 63 of the 150 seats in parliament. Prime Minister Ansgar Holm's Social Democrats "
            "were second with 24.5% and 47 seats.",
            *_H08[2:],
            "The commission is due to certify the results on Thursday.",
        ),
    ),
    Held(
        "H08-4",
        "H08",
        "followup",
        "update",
        "wire-y.example",
        "wire-y-90160",
        "2026-06-15T15:00",
        "Velmora's Solheim opens coalition talks with Greens after election win",
        (
            "ALDMOOR, June 15 (Wire-Y) - Civic Union leader Greta Solheim invited the Green Alliance to "
            "coalition talks on Monday, a day after her party won the most seats in Velmora's parliamentary "
            "election but fell short of a majority.",
            "Final results published by the Central Electoral Commission gave the Civic Union 63 of the 150 "
            "seats. A coalition with the Greens, who won 22 seats, would leave Solheim three seats short of a "
            "majority, and she would need the support of at least one smaller party.",
            "Green Alliance co-leader Mats Eriksen said his party would only join a government that committed "
            "to closing Velmora's last coal-fired power station by 2030.",
            '"Voters have asked us to lead, and we will reach out to every party that shares our commitment to '
            'lower taxes and a stronger economy," Solheim had told supporters on election night.',
            "Outgoing Prime Minister Ansgar Holm's Social Democrats, who came second, said they would go into "
            "opposition.",
        ),
    ),
    Held(
        "H09-1",
        "H09",
        "original",
        "new",
        "wire-q.example",
        "wq-66120",
        "2026-06-16T16:00",
        "Ostrand parliament passes law capping rent increases at 3%",
        _H09,
    ),
    Held(
        "H10-1",
        "H10",
        "original",
        "new",
        "wire-x.example",
        "wx:510600",
        "2026-06-17T16:45",
        "Helmstadt stocks close at record high as chipmakers rally",
        _H10,
    ),
    Held(
        "H10-3",
        "H10",
        "syndicated_copy",
        "duplicate",
        "business-daily.example",
        "bd-55102",
        "2026-06-17T17:05",
        "Helmstadt stocks close at record high as chipmakers rally",
        (_undateline(_H10[0]), _H10[1], _H10[2]),
    ),
    Held(
        "H09-2",
        "H09-neg",
        "hard_negative",
        "new",
        "wire-q.example",
        "wq-66188",
        "2026-06-18T15:30",
        "Ostrand parliament passes law raising minimum wage by 8%",
        (
            "VESSBURG, June 18 (Wire-Q) - Ostrand's parliament on Thursday passed a law raising the minimum "
            "wage by 8% from January, handing Prime Minister Lena Okafor's coalition a second legislative "
            "victory in a week.",
            "The bill was approved by 101 votes to 68 in the 175-seat Landsting. It will lift the hourly "
            "minimum wage to 16.20 euros and applies to about 310,000 workers.",
            "Labour Minister Silje Norum said the increase would help low-paid workers keep up with living costs.",
            "The opposition Conservative Party voted against, saying the increase would cost jobs in small "
            'businesses. "Small shops and restaurants will pay for this with fewer staff," said Conservative '
            "labour spokesman Tor Vik.",
            "The law takes effect on January 1 once it has been signed by President Ines Varga and published "
            "in the official gazette.",
        ),
    ),
    Held(
        "H10-2",
        "H10-neg",
        "hard_negative",
        "new",
        "wire-x.example",
        "wx:510622",
        "2026-06-18T16:45",
        "Helmstadt stocks fall from record as investors take profits in chipmakers",
        (
            "HELMSTADT, June 18 (Wire-X) - Helmstadt's benchmark HX-50 index fell from a record high on "
            "Thursday as investors took profits in chipmakers after a two-day rally, while weaker-than-expected "
            "factory data weighed on industrial shares.",
            "The HX-50 fell 0.8% to 18,265.3 points. The broader HX-All Share index lost 0.6%.",
            "Corvane shares fell 3.2% and Brightwell Semiconductor lost 2.7%. Engineering group Talberg "
            "Industries dropped 4.5% after cutting its profit forecast.",
            '"After a run like this, some profit-taking was inevitable," said Lukas Veer, head of equity '
            "strategy at Nordbank in Helmstadt.",
            "On the currency market, the krona weakened to 11.31 per dollar. Trading volumes were about 5% "
            "above the 30-day average.",
        ),
    ),
    Held(
        "H09-3",
        "H09",
        "followup",
        "update",
        "ostrand-herald.example",
        "https://ostrand-herald.example/a/88410",
        "2026-06-19T10:00",
        "Landlords to challenge Ostrand rent cap in constitutional court",
        (
            "A group of Ostrand landlords said on Friday it would challenge the country's new rent cap in the "
            "constitutional court, arguing that it violates property rights.",
            "Ostrand's parliament on Tuesday passed a law capping annual rent increases at 3% for the next five "
            "years. It covers about 780,000 rented homes and also bans landlords from charging tenants fees "
            "for drawing up contracts.",
            "The Property Owners' Association, which represents about 12,000 landlords, said the cap would make "
            "it impossible to pay for renovations as building costs continue to rise.",
            "Housing Minister Eirik Lund said he was confident the law would withstand any legal challenge.",
        ),
    ),
    Held(
        "U4",
        "U4",
        "unrelated",
        "new",
        "wire-q.example",
        "wq-66231",
        "2026-06-20T08:00",
        "Ostrand rail operator orders 40 trains to replace ageing fleet",
        (
            "VESSBURG, June 20 (Wire-Q) - Ostrand's state rail operator has ordered 40 electric trains worth "
            "about 900 million euros to replace regional trains that in some cases are more than 40 years old.",
            "The trains will be built by Halden Rail at its plant in Selby and delivered between 2028 and 2031, "
            "the operator said on Saturday.",
            '"Passengers have waited long enough for modern, reliable trains," chief executive Oda Frey said.',
            "The order is the largest in the company's history.",
        ),
    ),
    Held(
        "H08-5",
        "H08-neg",
        "hard_negative",
        "new",
        "wire-y.example",
        "wire-y-90301",
        "2026-06-21T20:00",
        "Civic Union's Idun Falk wins Aldmoor mayoral runoff",
        (
            "Civic Union candidate Idun Falk won the runoff for mayor of Aldmoor on Sunday, preliminary results "
            "published by the Central Electoral Commission showed, a week after her party won the most seats "
            "in Velmora's parliamentary election.",
            "With 98% of votes counted, Falk had 54.2% of the vote against 45.8% for the Social Democrat "
            "incumbent Jonas Ek, who had run the capital since 2018. Turnout was 48%.",
            '"Aldmoor has voted for change, and I will be a mayor for every neighbourhood," Falk told supporters.',
            "Civic Union leader Greta Solheim, who is in coalition talks with the Green Alliance, congratulated "
            "Falk on social media.",
        ),
    ),
)


def evaluate(settings: ThreadSettings) -> tuple[float, float, list[str], list[tuple[Held, Decision]]]:
    """Run the held-out set through one index in publication order; (F1, accuracy, errors, log)."""
    index = StoryIndex(settings)
    predicted: dict[str, str] = {}
    wrong: list[str] = []
    log: list[tuple[Held, Decision]] = []
    for row in sorted(HELD_OUT, key=lambda r: (r.published, r.id)):
        decision, _ = decide_and_apply(index, row.item())
        predicted[row.id] = decision.story_id
        log.append((row, decision))
        if not correct(decision, row.expect, row.role):
            wrong.append(f"{row.id} ({row.role}): {decision.kind}/{decision.update_kind} {decision.evidence}")
    f1 = pairwise_f1(predicted, {row.id: row.thread for row in HELD_OUT})
    return f1, 1 - len(wrong) / len(HELD_OUT), wrong, log


def test_held_out_set_is_well_formed() -> None:
    ids = [r.id for r in HELD_OUT]
    assert len(ids) == len(set(ids)) >= 30
    threads = {r.thread for r in HELD_OUT}
    assert len({t for t in threads if "-" not in t and not t.startswith("U")}) >= 8
    roles = {r.role for r in HELD_OUT}
    assert roles == {"original", "syndicated_copy", "revision", "followup", "hard_negative", "unrelated"}
    for r in HELD_OUT:
        assert r.expect == {
            "original": "new",
            "hard_negative": "new",
            "unrelated": "new",
            "syndicated_copy": "duplicate",
        }.get(r.role, "update")


def test_held_out_f1_and_accuracy() -> None:
    """Achieved 0.889 F1 / 0.930 accuracy (before the revision-headline and boilerplate-passage
    changes: 0.833 / 0.907). The three remaining errors are known limits, not noise: two heavy
    paraphrases (H01-5, H07-3) share no sentence with the original, so the verbatim-passage
    design cannot find them; and H09-2 (same parliament, another bill) shares an 18-shingle
    template sentence that a cold index cannot tell from a quote. Floors sit just below."""
    f1, accuracy, wrong, _ = evaluate(ThreadSettings())
    print(f"held-out: pairwise F1={f1:.3f} accuracy={accuracy:.3f}")
    assert f1 >= 0.87, wrong
    assert accuracy >= 0.9, wrong
    assert {w.split(" ", 1)[0] for w in wrong} <= {"H01-5", "H07-3", "H09-2"}, wrong


def test_followup_of_a_revised_story_need_not_name_what_the_revision_added_to_the_headline() -> None:
    _, _, _, log = evaluate(ThreadSettings())
    by_id = {row.id: d for row, d in log}
    assert by_id["H05-3"].update_kind == "revision"
    assert by_id["H05-4"].kind == "update", by_id["H05-4"].evidence
    assert by_id["H05-4"].story_id == by_id["H05-1"].story_id
    assert by_id["H05-5"].kind == "new"  # the other province's flood still stays apart


def _bill(key: str, day: int, subject: str, votes: str, minister: str) -> ThreadInput:
    return Held(
        key,
        key,
        "original",
        "new",
        "wire-q.example",
        f"wq-bg-{key}",
        f"2026-06-{day:02d}T12:00",
        f"Ostrand parliament passes {minister.rsplit(maxsplit=1)[-1]}'s {subject.removeprefix('a law on ')} law",
        (
            f"VESSBURG, June {day} (Wire-Q) - Ostrand's parliament passed {subject} on Monday by {votes}.",
            f"{minister} said the law answered a long-standing demand of voters across the country.",
            _H09[4],
        ),
    ).item()


def test_a_template_sentence_seen_in_other_stories_is_not_quote_evidence() -> None:
    """On a warm index, where the wire has already closed two other law stories (kept apart by
    their headlines, which name their ministers) with the same sentence, that sentence is
    boilerplate: the minimum-wage bill stays apart from the rent cap, while the landlords'
    follow-up, which quotes the rent-cap lede, still joins it. (On a cold index the first reuse
    of a template sentence is still taken for a quote: see ``test_held_out_f1_and_accuracy``.)"""
    index = StoryIndex(ThreadSettings())
    b1, _ = decide_and_apply(index, _bill("B1", 9, "a law on digital identity cards", "102 votes to 60", "Ida Stamm"))
    b2, _ = decide_and_apply(index, _bill("B2", 11, "a law on coastal fishing quotas", "95 votes to 77", "Per Olde"))
    assert b2.kind == "new" and b2.story_id != b1.story_id, b2.evidence
    rows = {r.id: r for r in HELD_OUT}
    rent, _ = decide_and_apply(index, rows["H09-1"].item())
    wage, _ = decide_and_apply(index, rows["H09-2"].item())
    assert wage.kind == "new", wage.evidence
    assert int(wage.evidence["boilerplate_passages"]) >= 1
    follow, _ = decide_and_apply(index, rows["H09-3"].item())
    assert (follow.kind, follow.update_kind, follow.story_id) == ("update", "followup", rent.story_id)


def test_held_out_restored_index_decides_identically() -> None:
    rows = sorted(HELD_OUT, key=lambda r: (r.published, r.id))
    half = len(rows) // 2
    live = StoryIndex(ThreadSettings())
    log: dict[str, bytes | None] = {}
    for row in rows[:half]:
        _, entries = decide_and_apply(live, row.item())
        log.update(entries)
    restored = StoryIndex(ThreadSettings())
    for key in sorted(log, reverse=True):
        restored.restore(key, log[key])
    assert restored.stats() == live.stats()
    for row in rows[half:]:
        assert restored.decide(row.item()) == live.decide(row.item())
        decide_and_apply(live, row.item())
        decide_and_apply(restored, row.item())
