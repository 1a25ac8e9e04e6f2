"""An assessment's own trail: every persona reads what it may know, told as sentences; the two
reviewers do not read each other's ratings before the review is finalised; the country reads no
rating before publication, and then only the final ones; a page costs a fixed number of queries."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest

from app.assessments import answers, review, trail, workflows
from app.core.permissions import TRANSITION_EVENTS, Role
from app.extensions import db
from app.models import Assessment, AssessmentStatus, Clarification, User
from app.scoring.assessments import scorecard
from tests.conftest import count_statements, fill_required, make_user, sign_in
from tests.integration.test_changes import finalise

LEAD_REASON = "The lead checked the 2019 code"
SECOND_REASON = "The second read the draft bill"
REPLY = "Criminal Code, Art. 285."


def person(persona_id: int) -> User:
    return db.session.get(User, persona_id)


def trail_text(app, persona, assessment_id: int) -> str:
    client = app.test_client()
    sign_in(client, persona.email)
    response = client.get(f"/assessments/{assessment_id}/trail")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def two_reviewers(app, world, assessments):
    """XAA's assessment in a cycle with a second reviewer (Sam), rated by both on Budapest
    Art. 2, commented by the lead, returned once with two questions that the country answered,
    resubmitted and in review again. Returns (assessment id, Sam, the derived rating of Art. 2)."""
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        sam = make_user("sam@catf.example.org", Role.REVIEWER)
        assessment = db.session.get(Assessment, assessments.own)
        assessment.cycle.second_review = True
        official, lead = person(world.own.id), person(world.reviewer.id)
        answers.submit(assessment, official)
        review.assign_reviewers(
            assessment, world.reviewer.email, sam.email, person(world.coordinator.id)
        )
        review.perform(assessment, "start_review", lead)
        derived = scorecard(assessment).provisions["budapest:2"].rating
        lead_rating = "LC" if derived != "LC" else "PC"
        review.rate(assessment, [("budapest:2", lead_rating, LEAD_REASON)], lead)
        review.rate(assessment, [("budapest:2", "NC", SECOND_REASON)], person(sam.id))
        review.comment(assessment, "budapest:2", None, "Ask about the 2019 code.", lead)
        review.request_clarification(
            assessment, [review.Item("Which law?"), review.Item("Send the statistics.")], lead
        )
        for item in db.session.query(Clarification).all():
            review.reply(assessment, item.id, REPLY, official)
        review.perform(assessment, "resubmit", official)
        review.perform(assessment, "start_review", lead)
        db.session.commit()
        return assessments.own, sam, derived, lead_rating


def test_each_persona_reads_what_it_may_know_before_finalisation(app, world, two_reviewers):
    assessment_id, sam, derived, lead_rating = two_reviewers
    lead_sentence = (
        f"Rated Budapest Art. 2 {lead_rating} (derived {derived}) as lead reviewer: {LEAD_REASON}"
    )
    second_sentence = f"Rated Budapest Art. 2 NC (derived {derived}) as second reviewer"
    shared = [
        "Submitted the assessment",
        "Assigned Rafael as lead reviewer and Sam as second reviewer",
        "Started the review",
        "Returned to the country with 2 questions (round 1)",
        f"Replied to a question of the reviewer: {REPLY}",
        "Resubmitted to the reviewer",
    ]
    coordinator = trail_text(app, world.coordinator, assessment_id)
    for sentence in [*shared, lead_sentence, second_sentence, SECOND_REASON]:
        assert sentence in coordinator, sentence
    assert "Commented on Budapest Art. 2 as lead reviewer" in coordinator
    assert "Olga" in coordinator and "Camille" in coordinator  # who, by name
    assert "UTC" in coordinator  # when
    # Newest first.
    assert coordinator.index("Started the review") < coordinator.index("Submitted the assessment")

    lead = trail_text(app, world.reviewer, assessment_id)
    for sentence in [*shared, lead_sentence, "Commented on Budapest Art. 2"]:
        assert sentence in lead, sentence
    assert SECOND_REASON not in lead and "as second reviewer:" not in lead

    second_client = trail_text(app, sam, assessment_id)
    for sentence in [*shared, second_sentence, SECOND_REASON]:
        assert sentence in second_client, sentence
    assert LEAD_REASON not in second_client and "as lead reviewer:" not in second_client
    assert "Commented on" not in second_client

    official = trail_text(app, world.own, assessment_id)
    for sentence in shared:
        assert sentence in official, sentence
    for hidden in ("Rated ", "Commented", LEAD_REASON, SECOND_REASON, "@catf.example.org"):
        assert hidden not in official, hidden

    # The overview shows the five latest of them, and the way to the rest.
    client = app.test_client()
    sign_in(client, world.own.email)
    overview = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    recent = overview[overview.index('id="trail"') :]
    assert "Show the full trail" in recent and f"/assessments/{assessment_id}/trail" in recent
    assert recent.count("<time ") == 5
    assert "Started the review" in recent and "Submitted the assessment" not in recent


def test_outsiders_find_no_trail(app, world, two_reviewers):
    assessment_id = two_reviewers[0]
    for persona in (world.outsider, world.other):
        client = app.test_client()
        sign_in(client, persona.email)
        assert client.get(f"/assessments/{assessment_id}/trail").status_code == 404


def test_after_finalisation_reviewers_read_both_layers_and_the_country_the_final_one(
    app, world, two_reviewers
):
    assessment_id, sam, derived, lead_rating = two_reviewers
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        lead = person(world.reviewer.id)
        review.adjudicate(assessment, [("budapest:2", lead_rating, None)], lead)
        # Finalising itself (its guards) is tested with the workflow; the trail reads the status.
        assessment.status = AssessmentStatus.FINALISED
        db.session.commit()
    second = trail_text(app, sam, assessment_id)
    assert LEAD_REASON in second and "Commented on Budapest Art. 2 as lead reviewer" in second
    settled = f"Settled the final rating of Budapest Art. 2: {lead_rating} (derived {derived})"
    assert settled in second
    official = trail_text(app, world.own, assessment_id)
    assert "Rated " not in official and "Settled" not in official  # finalised, not published

    with app.app_context():
        review.perform(
            db.session.get(Assessment, assessment_id), "publish", person(world.coordinator.id)
        )
        db.session.commit()
    official = trail_text(app, world.own, assessment_id)
    assert settled in official and "Published the results" in official
    for hidden in (SECOND_REASON, "Rated Budapest", "Commented"):  # the working layers
        assert hidden not in official, hidden

    with app.app_context():
        review.perform(
            db.session.get(Assessment, assessment_id),
            "reopen",
            person(world.coordinator.id),
            reason="A new law came into force",
        )
        db.session.commit()
    official = trail_text(app, world.own, assessment_id)
    assert "Re-opened: A new law came into force" in official
    assert "Settled" not in official  # in review again: no rating shown
    again = trail_text(app, sam, assessment_id)  # in review again: each their own layer
    assert "as lead reviewer:" not in again and "as second reviewer:" in again


def test_without_a_second_reviewer_the_country_reads_the_leads_ratings_once_published(
    app, world, assessments
):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world.reviewer.id)
        answers.submit(assessment, person(world.own.id))
        review.perform(assessment, "start_review", lead)
        overrides = [("budapest:2", "NA", "A reservation covers it"), ("budapest:3", "PC", "Gaps")]
        finalise(assessment, lead, overrides)
        db.session.commit()
    official = trail_text(app, world.own, assessments.own)
    assert "Finalised the review" in official and "Rated " not in official
    with app.app_context():
        review.perform(
            db.session.get(Assessment, assessments.own), "publish", person(world.coordinator.id)
        )
        db.session.commit()
    official = trail_text(app, world.own, assessments.own)
    assert "as lead reviewer: A reservation covers it" in official
    assert "Rated the maturity of" in official
    assert "Recommended on" not in official  # recommendations are the report's business
    coordinator = trail_text(app, world.coordinator, assessments.own)
    assert "Recommended on Budapest Art. 3: Bring the law into force." in coordinator


def test_the_trail_costs_a_fixed_number_of_queries(app, world, two_reviewers):
    assessment_id = two_reviewers[0]
    client = app.test_client()
    sign_in(client, world.coordinator.email)
    url = f"/assessments/{assessment_id}/trail"

    def measure() -> tuple[int, int]:
        client.get(url)
        pages = []
        statements = count_statements(app, lambda: pages.append(client.get(url)))
        return len(statements), pages[0].get_data(as_text=True).count("<time ")

    few, few_events = measure()
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        lead = person(world.reviewer.id)
        card = scorecard(assessment)
        review.rate(
            assessment,
            [(ref, "NC", "Not in force") for ref in list(card.provisions)[:30]],
            lead,
            card=card,
        )
        db.session.commit()
    many, many_events = measure()
    assert many_events >= few_events + 30
    assert few == many <= 6, (few, many)
    overview = partial(client.get, f"/assessments/{assessment_id}")
    overview()
    assert len(count_statements(app, overview)) <= 10  # the latest five: a few more queries


def test_every_assessment_event_has_a_sentence_and_every_transition_reaches_the_country():
    events = {f"assessment.{name}" for name in workflows.ASSESSMENT.events.values()}
    assert events == TRANSITION_EVENTS
    source = "\n".join(path.read_text() for path in Path(trail.__file__).parents[1].rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*"(assessment\.[a-z_]+)"', source))
    assert recorded, "no assessment event found in the code"
    assert recorded | events <= trail.SENTENCES.keys(), (recorded | events) - trail.SENTENCES.keys()


def test_the_second_reviewer_does_not_read_the_lead_settling_a_rating(app, world, two_reviewers):
    """An adjudication names both reviewers' ratings: before the end, only the lead (who settles)
    and coordinators read it."""
    assessment_id, sam, _derived, lead_rating = two_reviewers
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        review.adjudicate(
            assessment, [("budapest:2", lead_rating, None)], person(world.reviewer.id)
        )
        db.session.commit()
    settled = "Settled the final rating of Budapest Art. 2"
    assert settled in trail_text(app, world.reviewer, assessment_id)
    assert settled in trail_text(app, world.coordinator, assessment_id)
    assert settled not in trail_text(app, sam, assessment_id)
