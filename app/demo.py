"""Demo rounds for ``flask seed-demo``: a closed 2025 round and an open 2027 round that show every
journey (a country half-way through, one that submitted, one that has not started).

Everything goes through the assessment services, so statuses, history and the audit trail are
those a user would have left. Realistic answers are written by question id; every other required
question gets its type's sample value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from app.assessments import answers, cycles, evidence, recommendations, review
from app.capacity import demo_needs
from app.core.permissions import Role
from app.extensions import db
from app.frameworks import store
from app.models import Assessment, Country, Cycle, QuestionnaireVersion, User

ROUND_2025 = "2025 round"
ROUND_2027 = "2027 round"
ROUND_COUNTRIES = ("XAA", "XAB", "XAC")

COORDINATOR = "coordinator@demo.example.org"
REVIEWER = "reviewer@demo.example.org"
OLGA = "official.xaa@demo.example.org"  # Demoland
OTTO = "official2.xaa@demo.example.org"  # Demoland, another agency
BEATRIZ = "official.xab@demo.example.org"  # Exampleland
SAMI = "official.xac@demo.example.org"  # Sampleland

#: The official who answers and submits for each country of the rounds.
OFFICIALS = {"XAA": OLGA, "XAB": BEATRIZ, "XAC": SAMI}

#: Accounts the rounds need besides the basic demo accounts (someone submitted Sampleland's 2025
#: assessment): (e-mail, name, role, country code), as ``app.cli.DEMO_USERS``.
ACCOUNTS = [(SAMI, "Sami Official", Role.OFFICIAL, "XAC")]

#: The smallest valid PDF a browser opens (sniffed as application/pdf).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _in_force(instrument: str, article: str, since: str, **more: str) -> dict[str, str]:
    """Return an instrument of a citation: a provision in force since ``since``."""
    return {
        "stage": "in_force",
        "instrument": instrument,
        "article": article,
        "in_force_date": since,
        **more,
    }


def _code(article: str, **more: str) -> list[dict[str, str]]:
    """Return a citation of Demoland's Criminal Code (its only instrument)."""
    return [_in_force("Criminal Code", article, "2019-05-01", **more)]


def _mla(year: int, direction: str, kind: str, requests: int, executed: int, partly: int,
         refused: int, pending: int, reasons: str, median_days: int) -> dict[str, Any]:  # fmt: skip
    """Return a row of the mutual legal assistance statistics table."""
    row = {
        "year": year,
        "direction": direction,
        "type": kind,
        "requests": requests,
        "executed": executed,
        "partly_executed": partly,
        "refused": refused,
        "pending": pending,
        "median_days": median_days,
    }
    return {**row, "refusal_reasons": reasons} if reasons else row


def _training(year: int, audience: str, topic: str, women: int, men: int) -> dict[str, Any]:
    """Return a row of the training events table."""
    return {
        "year": year,
        "audience": audience,
        "topic": topic,
        "participants_women": women,
        "participants_men": men,
    }


DEMOLAND_CONTACT_2025 = {
    "unit": "Cybercrime Division, Demoland National Police",
    "phone": "+999 21 555 0147",
    "email": "cyber247@police.demoland.demo.example.org",
    "languages": "Demolandic, English",
    "availability": "Office hours; on-call officer at night and at weekends",
}

DEMOLAND_TRAINING_2025 = [
    _training(2023, "prosecutors", "Electronic evidence in criminal proceedings", 14, 11),
    _training(2024, "judges", "Introduction to cybercrime and electronic evidence", 9, 12),
    _training(2024, "law_enforcement", "First responders: seizing digital devices", 7, 31),
]

#: Answers of the 2025 round by country and question id (the rest are sample values).
ANSWERS_2025: dict[str, dict[str, Any]] = {
    "XAA": {
        "cap.legislative_status.overall": "partial",
        "cap.legislative_status.main_law": _code("Arts 285–290"),
        "cap.legislative_status.other_laws": (
            "Code of Criminal Procedure (2011), Chapter 14 on search and seizure; Law No. 52/2016 "
            "on Mutual Legal Assistance in Criminal Matters; Law No. 17/2020 on Personal Data "
            "Protection; Law on Electronic Communications (2015)."
        ),
        "cap.legislative_status.reform": "drafting",
        "cap.legislative_status.reform_scope": (
            "A draft Law on Electronic Evidence adds expedited preservation of traffic data and "
            "production orders for subscriber information."
        ),
        "cap.legislative_status.reform_expected": "2026-12-31",
        "sub.illegal_access.offence": {"answer": "yes"},
        "sub.illegal_access.citation": _code("Art. 285"),
        "sub.illegal_access.details": (
            "Article 285 punishes access to the whole or any part of a computer system without "
            "right, with up to three years' imprisonment. No security measure needs to be "
            "infringed."
        ),
        # Interception is split between the Criminal Code and the telecommunications law.
        "sub.illegal_interception.citation": [
            *_code("Art. 286"),
            _in_force("Law on Electronic Communications", "Art. 112", "2015-07-01"),
        ],
        "sub.data_interference.citation": _code("Art. 287"),
        "sub.system_interference.citation": _code("Art. 288"),
        "sub.misuse_of_devices.citation": _code("Art. 289"),
        "sub.fraud.citation": _code("Art. 290"),
        "un.off.grooming.offence": {"answer": "no"},
        "un.off.grooming.citation": [
            {"stage": "draft", "instrument": "Draft Law on the Protection of Children Online"}
        ],
        "cap.contact_point.status": "notified",
        "cap.contact_point.networks": ["coe_budapest", "interpol"],
        "cap.contact_point.contact": DEMOLAND_CONTACT_2025,
        "cap.contact_point.host_type": "police",
        "cap.contact_point.availability": "on_call",
        "cap.contact_point.staff_count": 4,
        "cap.contact_point.staff_trained": 2,
        "cap.contact_point.power_preservation": "same_day",
        "cap.contact_point.power_emergency": "case_by_case",
        "cap.contact_point.mla_link": "informal",
        "cap.contact_point.last_verified": "2025-02-10",
        "cap.central_authorities.mla.contact": {
            "unit": "International Legal Cooperation Department, Ministry of Justice",
            "phone": "+999 21 555 0300",
            "email": "mla@justice.demoland.demo.example.org",
            "languages": "Demolandic, English, French",
        },
        "cap.central_authorities.mla.host": "ministry_justice",
        "cap.central_authorities.extradition.same": "yes",
        "cap.central_authorities.means": ["diplomatic", "email", "interpol"],
        "cap.central_authorities.languages": "Demolandic, English, French",
        "cap.central_authorities.register": "central_register",
        "cap.specialised_units.htcu.status": "dedicated_unit",
        "cap.specialised_units.htcu.name": "Cybercrime Division, Demoland National Police",
        "cap.specialised_units.htcu.staff": 24,
        "cap.specialised_units.htcu.mandate": "written",
        "cap.specialised_units.prosecutors.status": "network",
        "cap.specialised_units.prosecutors.staff": 9,
        "cap.specialised_units.prosecutors.mandate": "written",
        "cap.specialised_units.forensics.status": "own_lab",
        "cap.specialised_units.csirt.status": "national",
        "cap.specialised_units.csirt.name": "DL-CERT, National Cyber Security Agency",
        "cap.specialised_units.csirt.link": "informal",
        "cap.training.events": DEMOLAND_TRAINING_2025,
        "cap.training.curricula.judges": "in_service_only",
        "cap.training.curricula.prosecutors": "initial_and_in_service",
        "cap.training.curricula.law_enforcement": "initial_and_in_service",
    },
    "XAB": {
        "cap.legislative_status.overall": "comprehensive",
        "cap.legislative_status.main_law": [
            _in_force("Law No. 12/2017 on Cybercrime", "Arts 3–14", "2017-09-01")
        ],
        "cap.legislative_status.reform": "no",
        "cap.contact_point.status": "notified",
        "cap.contact_point.networks": ["coe_budapest", "g7"],
        "cap.contact_point.contact": {
            "unit": "High-Tech Crime Unit, Exampleland Police",
            "phone": "+998 30 555 0199",
            "email": "htcu247@police.exampleland.demo.example.org",
            "languages": "English, Spanish",
            "availability": "Staffed 24/7",
        },
        "cap.contact_point.host_type": "police",
        "cap.contact_point.availability": "staffed_24_7",
        "cap.specialised_units.htcu.status": "dedicated_unit",
        "cap.specialised_units.htcu.name": "High-Tech Crime Unit, Exampleland Police",
        "cap.specialised_units.htcu.staff": 41,
        "cap.specialised_units.htcu.mandate": "written",
    },
    "XAC": {
        "cap.legislative_status.overall": "draft",
        "cap.legislative_status.main_law": [{"stage": "tabled", "instrument": "Cybercrime Bill"}],
        "cap.legislative_status.reform": "tabled",
        "cap.legislative_status.reform_scope": (
            "The Cybercrime Bill (offences and procedural powers) has been before Parliament "
            "since March 2025."
        ),
        "cap.legislative_status.reform_expected": "2026-06-30",
        "cap.contact_point.status": "in_preparation",
        "cap.specialised_units.htcu.status": "designated_officers",
        "cap.specialised_units.htcu.name": "Economic Crime Department, Sampleland Police",
        "cap.specialised_units.htcu.mandate": "informal",
    },
}

#: Demoland's work in the 2027 round, in order: (official, question id, value, note). A value of
#: ``CONFIRM`` saves the carried-over answer as it is. Some changes reveal required questions that
#: nobody has answered yet, so the assessment is not ready to submit.
CONFIRM: Any = object()
DEMOLAND_2027: list[tuple[str, str, Any, str | None]] = [
    (OLGA, "cap.legislative_status.overall", "comprehensive", None),
    (
        OLGA,
        "cap.legislative_status.main_law",
        _code("Arts 285–290", link="https://legislation.demoland.demo.example.org/criminal-code"),
        None,
    ),
    (
        OLGA,
        "cap.legislative_status.other_laws",
        "Code of Criminal Procedure (2011), Chapter 14 on search and seizure; Law No. 31/2026 on "
        "Electronic Evidence (in force 1 September 2026); Law No. 52/2016 on Mutual Legal "
        "Assistance in Criminal Matters; Law No. 17/2020 on Personal Data Protection; Law on "
        "Electronic Communications (2015).",
        "Checked against the Official Gazette on 12 January 2027.",
    ),
    (OLGA, "cap.legislative_status.reform", "tabled", None),
    (
        OLGA,
        "cap.legislative_status.reform_scope",
        "The bill implementing the Second Additional Protocol (direct cooperation with service "
        "providers, emergency mutual assistance, joint investigation teams) was tabled in "
        "Parliament in January 2027.",
        None,
    ),
    (OLGA, "cap.legislative_status.reform_expected", "2027-10-01", None),
    (OLGA, "cap.contact_point.status", CONFIRM, None),
    (OLGA, "cap.contact_point.networks", CONFIRM, None),
    (
        OLGA,
        "cap.contact_point.contact",
        {
            **DEMOLAND_CONTACT_2025,
            "phone": "+999 21 555 0247",
            "secure_channel": "SIENA",
            "availability": "Staffed 24/7 since October 2026",
        },
        "The hotline number changed in October 2026; the old number forwards until June 2027.",
    ),
    (OLGA, "cap.contact_point.host_type", CONFIRM, None),
    (OLGA, "cap.contact_point.availability", "staffed_24_7", None),
    (OLGA, "cap.contact_point.last_verified", "2026-11-14", None),
    (OLGA, "cap.contact_point.verification_method", "test_call", None),
    (OLGA, "cap.contact_point.last_test", "2026-11-14", None),
    (OLGA, "cap.contact_point.last_test_response", 12, None),
    (OLGA, "cap.contact_point.next_review", "2027-11-14", None),
    (
        OLGA,
        "cap.central_authorities.extradition.same",
        "no",
        "Since the 2026 reorganisation, extradition is handled by the Department of Extradition "
        "and Transfer. Otto, could you add its contact details?",
    ),
    (
        OTTO,
        "cap.training.events",
        [
            *DEMOLAND_TRAINING_2025[1:],
            _training(2025, "prosecutors", "Cross-border access to electronic evidence", 16, 10),
            _training(2026, "judges", "Electronic evidence at trial", 13, 11),
            _training(2026, "law_enforcement", "Cryptocurrency tracing", 5, 22),
        ],
        "The 2026 figures are provisional until the Judicial Academy's annual report (March 2027).",
    ),
    (OTTO, "cap.training.curricula.judges", "initial_and_in_service", None),
    (OTTO, "cap.training.curricula.prosecutors", CONFIRM, None),
    (OTTO, "cap.training.curricula.law_enforcement", CONFIRM, None),
    (OTTO, "cap.training.trainers", "some", None),
    (OTTO, "cap.training.trainers_count", 6, None),
    (OTTO, "cap.training.curricula_updated", "2026-09-15", None),
    (OTTO, "un.off.grooming.offence", {"answer": "yes"}, None),
    (
        OTTO,
        "un.off.grooming.citation",
        [_in_force("Criminal Code (as amended by Law No. 8/2026)", "Art. 210a", "2026-03-01")],
        None,
    ),
    # The 2026.2 questionnaire asks treaty status and reservations as data (the 2025 answers
    # to the Protocols' old status questions are shown beside the new ones).
    (OLGA, "budapest.treaty_status", "ratified", None),
    (OLGA, "budapest.status_date", "2013-06-12", None),
    (OLGA, "budapest.reservations", ["art6_3", "art22_2"], None),
    (OLGA, "budapest.declarations", ["art24_7a", "art27_2c"], None),
    (OLGA, "treaty_status.contributors", ["foreign_ministry", "justice_ministry"], None),
    (
        OTTO,
        "cap.statistics.mla_requests",
        [
            _mla(2025, "sent", "subscriber", 41, 30, 4, 2, 5, "", 48),
            _mla(2025, "received", "subscriber", 57, 49, 3, 1, 4, "Dual criminality", 35),
            _mla(2026, "sent", "emergency", 6, 6, 0, 0, 0, "", 2),
        ],
        "Figures from the central authority's case register, extracted 15 January 2027.",
    ),
    (OTTO, "statistics.contributors", ["central_authority", "prosecution"], None),
    (OTTO, "sub.illegal_access.citation", CONFIRM, None),
    (OTTO, "sub.illegal_interception.citation", CONFIRM, None),
]

#: The evidence file Demoland attached in 2027: (official, question id, file name).
DEMOLAND_EVIDENCE = (OTTO, "cap.legislative_status.evidence", "criminal-code-arts-285-290.pdf")

#: What Exampleland updated in 2027 before confirming the rest and submitting.
EXAMPLELAND_2027: dict[str, Any] = {
    # A Party to the Convention and the First Protocol; the Second signed; the UN one not yet.
    "budapest.treaty_status": "ratified",
    "budapest.status_date": "2014-03-18",
    "p1.treaty_status": "ratified",
    "p1.status_date": "2016-09-07",
    "p2.treaty_status": "signed",
    "p2.status_date": "2023-02-21",
    "un.treaty_status": "not_signed",
    "cap.contact_point.last_verified": "2027-01-20",
    "cap.contact_point.verification_method": "network_confirmation",
    "cap.training.events": [
        _training(2025, "law_enforcement", "Live data forensics", 8, 19),
        _training(2026, "judges", "Electronic evidence for trial judges", 12, 10),
    ],
}


#: The questionnaire version the 2025 round used (``questionnaires/archive/``).
VERSION_2025 = "2026.1"


def seed_rounds(users: Mapping[str, User], countries: Mapping[str, Country]) -> list[str]:
    """Create the rounds that do not exist yet; return the names of those created.

    :param users: the demo accounts by e-mail (the coordinator and the officials of ``OFFICIALS``).
    :param countries: the demo countries by code.
    """
    coordinator = users[COORDINATOR]
    chosen = [countries[code] for code in ROUND_COUNTRIES]
    created = []
    if _cycle(ROUND_2025) is None:
        _seed_2025(coordinator, chosen, users)
        created.append(ROUND_2025)
    if _cycle(ROUND_2027) is None:
        _seed_2027(coordinator, chosen, users)
        created.append(ROUND_2027)
    from app.capacity import demo_activities, demo_directory

    demo_needs.seed(users, coordinator)  # assistance requested on the 2025 needs
    created += demo_activities.seed(users, coordinator)
    created += demo_directory.seed(users, coordinator, date.today())
    return created


def _rate(assessment: Assessment, reviewer: User) -> None:
    """Accept every derived rating, overriding one with its justification (and rating what has
    no answer as not compliant, saying so); confirm every derived maturity stage."""
    from app.scoring.assessments import scorecard
    from app.scoring.explain import explain

    card = scorecard(assessment)
    ratings = []
    extra = COUNTRY_OVERRIDES_2025.get(assessment.country.code)
    for ref, result in card.provisions.items():
        if extra and ref == extra[0] and result.rating != extra[1]:
            ratings.append(extra)
        elif ref == OVERRIDDEN[0] and result.rating != OVERRIDDEN[1]:
            ratings.append((ref, OVERRIDDEN[1], OVERRIDDEN[2]))
        elif result.rating in review.GIVEN:
            why = explain(result.reason) if result.rating == "NA" else None
            ratings.append((ref, result.rating, why))
        else:
            ratings.append((ref, "NC", "No answer shows the provision in place."))
    review.rate(assessment, ratings, reviewer, card=card)
    review.rate_stages(
        assessment, [(area, result.stage, None) for area, result in card.areas.items()], reviewer,
        card=card,
    )  # fmt: skip


#: The demo reviewer's one override: (provision, rating, justification).
OVERRIDDEN = (
    "budapest:13",
    "LC",
    "Sanctions exist for every offence, but the fines for legal persons are too low to "
    "dissuade a large company; the 2026 amendment that raises them is not in force yet.",
)

#: A country's own 2025 override, so the 2027 review has a recommendation to follow up.
COUNTRY_OVERRIDES_2025 = {
    "XAB": (
        "budapest:16",
        "PC",
        "The law allows preservation orders, but for 30 days only and without renewal: well "
        "short of the 90 days, renewable, the article requires.",
    ),
}

#: The library of recommendations the coordinator keeps: (provision, text).
RECOMMENDATION_LIBRARY = [
    (
        "un-cybercrime:15",
        "Criminalise the solicitation or grooming of a child for a sexual offence through "
        "information and communications technology, including where no meeting takes place, "
        "and bring the draft law on the protection of children online into force.",
    ),
    (
        "budapest:16",
        "Empower the competent authorities to order the expedited preservation of specified "
        "stored computer data for up to 90 days, renewable, without waiting for a search "
        "warrant.",
    ),
    (
        "budapest:17",
        "Provide for the expedited preservation of traffic data whichever service providers "
        "took part in the communication, and the expedited disclosure of enough traffic data "
        "to identify them and the path of the communication.",
    ),
    (
        "budapest:18",
        "Introduce production orders for specified computer data and for subscriber "
        "information held by service providers offering their services in the country.",
    ),
]


def _recommend(assessment: Assessment, reviewer: User, library: Mapping[str, int]) -> None:
    """Give every provision rated PC or NC its recommendation: the library's where it has one,
    else one the reviewer writes."""
    names = recommendations.provision_names(assessment.questionnaire_version)
    for ref in recommendations.needing(assessment):
        if ref in library:
            recommendations.recommend(assessment, ref, None, library[ref], reviewer)
            continue
        name = names.get(ref)
        text = (
            f"Bring the law and its practice in line with {name.label if name else ref} "
            f"({name.title if name else ref}), and report the measures taken in the next cycle."
        )
        recommendations.recommend(assessment, ref, text, None, reviewer)


def cycle_assessments(cycle: Cycle) -> list[Assessment]:
    """Return a cycle's assessments, by id."""
    return list(
        db.session.scalars(
            select(Assessment).where(Assessment.cycle_id == cycle.id).order_by(Assessment.id)
        )
    )


def _cycle(name: str) -> Cycle | None:
    """Return the cycle called ``name``, if it exists."""
    return db.session.scalar(select(Cycle).where(Cycle.name == name))


def _seed_2025(coordinator: User, chosen: list[Country], users: Mapping[str, User]) -> None:
    """Run the 2025 round to its end: every country answers, submits, then the round closes.

    It ran on questionnaire version 2026.1 (the archived file), so the 2027 round shows what
    carrying answers over into a newer version keeps and what it leaves behind."""
    version = db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.version == VERSION_2025)
        .order_by(QuestionnaireVersion.id.desc())
        .limit(1)
    )
    if version is None:  # an installation without the archive: the round uses what there is
        version = store.latest_questionnaires()[0]
    cycle = cycles.create_cycle(
        ROUND_2025,
        version,
        date(2025, 6, 30),
        chosen,
        carry_over=False,
        user=coordinator,
        past_deadline=True,  # a round of the past, recorded as it went
        maturity_targets=demo_needs.TARGETS_2025,
    )
    for assessment in cycles.open_cycle(cycle, coordinator):
        code = assessment.country.code
        official = users[OFFICIALS[code]]
        current = answers.state(assessment)
        for question_id, value in ANSWERS_2025[code].items():
            _write(current, official, question_id, value)
        _complete(assessment, official, 0)  # consistent with the realistic answers
        _tick_checklists(assessment, official)
        answers.submit(assessment, official)
        review.assign_reviewers(assessment, REVIEWER, None, coordinator)
    cycles.close_cycle(cycle, coordinator)
    # Reviewed, finalised and published: each country reads its 2025 ratings.
    reviewer = users[REVIEWER]
    library = {
        ref: recommendations.add_template(ref, text, coordinator).id
        for ref, text in RECOMMENDATION_LIBRARY
    }
    for assessment in cycle_assessments(cycle):
        review.perform(assessment, "start_review", reviewer)
        _rate(assessment, reviewer)
        _recommend(assessment, reviewer, library)
        review.perform(assessment, "finalise", reviewer)
        review.perform(assessment, "publish", coordinator)


def _seed_2027(coordinator: User, chosen: list[Country], users: Mapping[str, User]) -> None:
    """Open the 2027 round: Demoland half-way, Exampleland submitted, Sampleland untouched."""
    version = store.latest_questionnaires()[0]
    cycle = cycles.create_cycle(
        ROUND_2027, version, date(2027, 6, 30), chosen, carry_over=True, user=coordinator
    )
    opened = {a.country.code: a for a in cycles.open_cycle(cycle, coordinator)}
    _fill_demoland(opened["XAA"], users)
    _submit_exampleland(opened["XAB"], users[BEATRIZ])
    # Sampleland (XAC): nobody has opened it yet; it holds only the answers carried over.
    for assessment in opened.values():  # the coordinator planned the reviews ahead
        review.assign_reviewers(assessment, REVIEWER, None, coordinator)
    # The reviewer started on Exampleland, asked one question about a provision, had the
    # country's reply, and is rating again: the derived ratings with one override so far.
    exampleland = opened["XAB"]
    reviewer, beatriz = users[REVIEWER], users[BEATRIZ]
    review.perform(exampleland, "start_review", reviewer)
    review.request_clarification(
        exampleland,
        [
            review.Item(
                "Your 24/7 point of contact was last verified in January 2027: which channel "
                "was tested, and how long did the reply take?",
                "cap.contact_point.last_verified",
                "budapest:35",
            )
        ],
        reviewer,
    )
    (question,) = review.open_clarifications(exampleland)
    review.reply(exampleland, question.id, EXAMPLELAND_REPLY, beatriz)
    review.perform(exampleland, "resubmit", beatriz)
    review.perform(exampleland, "start_review", reviewer)
    from app.scoring.assessments import scorecard

    card = scorecard(exampleland)
    ref, rating, why = OVERRIDDEN_2027
    if card.provisions[ref].rating == rating:  # the answers changed: override the other way
        rating = "LC" if rating != "LC" else "PC"
    # Expedited preservation, PC in 2025, is in law now (the legislative advice of 2026 helped):
    # the reviewer accepts the better derived rating, and overrides another one.
    improved = card.provisions[ACCEPTED_2027].rating
    review.rate(exampleland, [(ACCEPTED_2027, improved, None), (ref, rating, why)], reviewer,
                card=card)  # fmt: skip
    review.comment(exampleland, ref, None, EXAMPLELAND_COMMENT, reviewer)


#: The country's reply to the reviewer's question in the 2027 round.
EXAMPLELAND_REPLY = (
    "A test call and an e-mail on 14 January 2027 through the Art. 35 network: the duty "
    "officer answered the call at once and confirmed the e-mail within 40 minutes."
)
#: The 2027 provision whose 2025 need the demo's delivered activity answered.
ACCEPTED_2027 = "budapest:16"
#: The 2027 override: (provision, rating, justification).
OVERRIDDEN_2027 = (
    "budapest:17",
    "LC",
    "Traffic data can be preserved quickly only when the provider is domestic: the answers "
    "show the power, but requests to the foreign providers in the chain still take weeks.",
)
EXAMPLELAND_COMMENT = "Ask for the 2026 figures on preservation requests to foreign providers."


def _fill_demoland(assessment: Assessment, users: Mapping[str, User]) -> None:
    """Leave Demoland's assessment half-way: two officials' answers, a note, a file."""
    current = answers.state(assessment)
    for email, question_id, value, note in DEMOLAND_2027:
        if value is CONFIRM:
            carried = current.answers.get(question_id)
            if carried is None:
                continue  # nothing was carried over (the 2025 round was not the demo's)
            value = carried.value
        _write(current, users[email], question_id, value, answers.UNSET if note is None else note)
    email, question_id, filename = DEMOLAND_EVIDENCE
    answer = current.answers.get(question_id)
    evidence.add_evidence(
        assessment,
        PDF,
        filename,
        user=users[email],
        question_id=question_id,
        version=answer.version if answer else 0,
    )


def _submit_exampleland(assessment: Assessment, official: User) -> None:
    """Update a few answers, confirm every carried-over one, fill the gaps and submit."""
    current = answers.state(assessment)
    for question_id, value in EXAMPLELAND_2027.items():
        _write(current, official, question_id, value)
    for question_id, answer in list(current.answers.items()):
        if answer.carried_over:
            _write(current, official, question_id, answer.value)
    _complete(assessment, official, variant=1)
    _tick_checklists(assessment, official)
    answers.submit(assessment, official)


def _write(
    current: answers.State, user: User, question_id: str, value: Any, note: Any = answers.UNSET
) -> None:
    """Save one answer from the version the official has in front of them."""
    answer = current.answers.get(question_id)
    saved = answers.save_answer(
        current.assessment,
        question_id,
        value,
        version=answer.version if answer else 0,
        user=user,
        note=note,
    )
    if saved is not None:
        current.answers[question_id] = saved


def _tick_checklists(assessment: Assessment, official: User) -> None:
    """Tick on each maturity checklist the indicators the other answers show in place, as an
    official who read the checklist would."""
    from app.scoring.assessments import rules_for

    current = answers.state(assessment)
    questions = current.runtime.questions
    ticked: dict[str, list[str]] = {}
    for area in rules_for(assessment.questionnaire_version).areas:
        for indicator in area.indicators:
            lists = [q for q in indicator.questions if questions[q].ticking(None, []) is not None]
            shown = all(
                current.visible.get(q)
                and questions[q].indicator_met(current.values.get(q), indicator.ref)
                for q in indicator.questions
                if q not in lists
            )
            for question_id in lists:
                ticked.setdefault(question_id, [])
                if shown:
                    ticked[question_id].append(indicator.ref)
    for question_id, refs in ticked.items():
        value = questions[question_id].ticking(current.values.get(question_id), refs)
        if current.values.get(question_id) != value and current.visible.get(question_id):
            _write(current, official, question_id, value)


def _complete(assessment: Assessment, official: User, variant: int) -> None:
    """Give every required, visible, unanswered question its type's sample value."""
    for _ in range(20):
        current = answers.state(assessment)
        missing = current.missing()
        if not missing:
            return
        for question in missing:
            files: tuple[str, ...] = ()
            if question.holds_files:
                upload = evidence.add_evidence(
                    assessment, PDF, "supporting-document.pdf", user=official
                )
                files = (upload.public_id,)
            _write(current, official, question.id, question.sample_value(variant, files=files))
    raise RuntimeError(f"{assessment!r}: sample values leave required questions unanswered")
