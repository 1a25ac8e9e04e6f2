"""The review's transitions: every step from every state, taken only by whom it should be, with
its audit event; illegal steps refused with a reason; assignment rules; clarification rounds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.assessments import answers, review, workflows
from app.core.errors import Forbidden, Invalid, Refused
from app.extensions import db
from app.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Clarification,
    ProvisionRating,
    User,
)
from tests.conftest import fill_required, post_form, recommend_where_needed, sign_in

ACTIONS = ("start_review", "resubmit", "finalise", "publish", "reopen")
#: Who takes each step (a persona of ``world``).
ACTOR = {
    "start_review": "reviewer",
    "request_clarification": "reviewer",
    "resubmit": "own",
    "finalise": "reviewer",
    "publish": "coordinator",
    "reopen": "coordinator",
}


def person(world, name) -> User:
    return db.session.get(User, world.persona(name).id)


def allowed(action, status) -> bool:
    return status in workflows.ASSESSMENT.transition(action).sources


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", list(AssessmentStatus), ids=lambda s: s.value)
def test_every_review_step_from_every_state(app, world, assessments, action, status):
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = status
        actor = person(world, ACTOR[action])
        if not allowed(action, status):
            with pytest.raises(Refused) as refused:
                review.perform(assessment, action, actor, reason="Because")
            assert refused.value.status == 409
            assert "not possible while the status is" in str(refused.value.message)
            assert assessment.status is status
            return
        for other in {"own", "other", "reviewer", "outsider", "coordinator"} - {ACTOR[action]}:
            if action in ("publish", "reopen") and other == "coordinator":
                continue
            with pytest.raises(Forbidden):
                review.perform(assessment, action, person(world, other), reason="Because")
        if action == "finalise":
            assessment.status = AssessmentStatus.IN_REVIEW
            with pytest.raises(Refused) as refused:  # nothing rated yet
                review.perform(assessment, action, actor)
            assert "Rate every provision before finalising" in str(refused.value.message)
            rate_everything(assessment, actor)
        if action == "reopen":
            with pytest.raises(Invalid) as invalid:
                review.perform(assessment, action, actor, reason="  ")
            assert invalid.value.field == "reason"
        review.perform(assessment, action, actor, reason="A new fact came to light")
        target = workflows.ASSESSMENT.transition(action).target
        assert assessment.status is target
        # The assessment's own latest event (finalising also records the needs it found).
        event = db.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.object_type == "assessments")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        assert event.action == f"assessment.{workflows.ASSESSMENT.events[action]}"
        assert event.actor_id == actor.id
        assert event.summary["before"] == {"status": status.value}
        if action == "reopen":
            assert event.summary["reason"] == "A new fact came to light"


def rate_everything(assessment, reviewer) -> None:
    """Rate every provision: its derived rating, or NC with a reason where there is none; and
    confirm every derived maturity stage."""
    from app.scoring.assessments import scorecard

    card = scorecard(assessment)
    review.rate(
        assessment,
        [
            (ref, result.rating, None) if result.rating in ("C", "LC", "PC", "NC")
            else (ref, "NC", "Not answered: nothing shows it in place.")
            for ref, result in card.provisions.items()
        ],
        reviewer,
        card=card,
    )  # fmt: skip
    review.rate_stages(
        assessment, [(area, result.stage, None) for area, result in card.areas.items()], reviewer,
        card=card,
    )  # fmt: skip
    recommend_where_needed(assessment, reviewer)  # PC and NC provisions need a recommendation


def test_a_review_cannot_start_without_a_lead_reviewer(app, world, assessments):
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.lead_reviewer_id = None
        coordinator = person(world, "coordinator")
        # Nobody can: the coordinator is not the lead, and there is no lead.
        with pytest.raises(Forbidden):
            review.perform(assessment, "start_review", coordinator)


def test_assignment_rules(app, world, assessments):
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        coordinator = person(world, "coordinator")
        with pytest.raises(Forbidden):
            review.assign_reviewers(
                assessment, world.outsider.email, None, person(world, "reviewer")
            )
        with pytest.raises(Invalid) as invalid:
            review.assign_reviewers(assessment, world.own.email, None, coordinator)
        assert invalid.value.field == "lead" and "Only a reviewer" in str(invalid.value.message)
        with pytest.raises(Invalid) as invalid:
            review.assign_reviewers(assessment, "nobody@example.org", None, coordinator)
        assert invalid.value.field == "lead"
        with pytest.raises(Invalid) as invalid:  # the cycle asks for no second reviewer
            review.assign_reviewers(
                assessment, world.reviewer.email, world.outsider.email, coordinator
            )
        assert invalid.value.field == "second"
        assessment.cycle.second_review = True
        with pytest.raises(Invalid) as invalid:
            review.assign_reviewers(
                assessment, world.reviewer.email, world.reviewer.email, coordinator
            )
        assert invalid.value.field == "second"
        review.assign_reviewers(assessment, world.outsider.email, world.reviewer.email, coordinator)
        assert (assessment.lead_reviewer_id, assessment.second_reviewer_id) == (
            world.outsider.id,
            world.reviewer.id,
        )
        assessment.status = AssessmentStatus.PUBLISHED
        with pytest.raises(Invalid):
            review.assign_reviewers(assessment, world.reviewer.email, None, coordinator)


def test_a_clarification_round_from_question_to_resubmission(app, client, world, assessments):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        answers.submit(assessment, person(world, "own"))
        db.session.commit()
    reviewer = app.test_client()
    sign_in(reviewer, world.reviewer.email)
    url = f"/assessments/{assessments.own}"
    page = reviewer.get(url).get_data(as_text=True)
    assert "Start the review" in page
    post_form(reviewer, f"{url}/review/start_review")
    # Returning with no question is refused, with the message on the page.
    response = post_form(reviewer, f"{url}/clarification", {"text-0": "  "})
    assert response.status_code == 422
    assert "Ask at least one question." in response.get_data(as_text=True)
    response = post_form(reviewer, f"{url}/clarification", {
        "text-0": "Which law implements the offence of illegal access?",
        "question-0": "sub.illegal_access.offence",
        "text-1": "Send the 2026 statistics.",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assessment, assessments.own).status is AssessmentStatus.CLARIFICATION
        items = db.session.scalars(select(Clarification).order_by(Clarification.id)).all()
        assert [(i.round, i.question_id) for i in items] == [
            (1, "sub.illegal_access.offence"),
            (1, None),
        ]
        first_id = items[0].id
    # The official sees the questions at home, on the overview and inline in the section.
    sign_in(client, world.own.email)
    home = client.get("/").get_data(as_text=True)
    assert "A reviewer returned your assessment with 2 questions." in home
    section = client.get(f"{url}/sections/substantive").get_data(as_text=True)
    block = section[section.index('id="q-sub.illegal_access.offence"') :]
    assert "The reviewer asks:" in block[: block.index('id="q-', 10)]
    # The country may change answers again (even though the review has started) and reply.
    response = post_form(
        client,
        f"{url}/answers/sub.illegal_access.intent",
        {"sub.illegal_access.intent[answer]": "partly", "version[sub.illegal_access.intent]": "1"},
    )
    assert response.status_code in (200, 409), response.get_data(as_text=True)
    post_form(
        client, f"{url}/clarifications/{first_id}/reply", {"reply": "Criminal Code, Art. 285."}
    )
    refused = post_form(client, f"{url}/review/resubmit", follow_redirects=True)
    assert "Reply to every question of the reviewer before resubmitting (1 left)." in (
        refused.get_data(as_text=True)
    )
    post_form(client, f"{url}/clarifications/{first_id + 1}/reply", {"reply": "Attached."})
    post_form(client, f"{url}/review/resubmit")
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert assessment.status is AssessmentStatus.RESUBMITTED
        assert db.session.get(Clarification, first_id).reply == "Criminal Code, Art. 285."
        with pytest.raises(Refused):  # no more changes once resubmitted
            answers.ensure_editable(assessment)
    # The reviewer resumes and reads the reply.
    post_form(reviewer, f"{url}/review/start_review")
    page = reviewer.get(url).get_data(as_text=True)
    assert "Criminal Code, Art. 285." in page
    assert reviewer.get("/").status_code == 200


def test_the_reviewer_queue_lists_only_assigned_assessments(app, client, world, assessments):
    with app.app_context():
        for assessment_id in (assessments.own, assessments.other):
            db.session.get(Assessment, assessment_id).status = AssessmentStatus.SUBMITTED
        db.session.get(Assessment, assessments.other).lead_reviewer_id = world.outsider.id
        db.session.commit()
    sign_in(client, world.reviewer.email)
    home = client.get("/").get_data(as_text=True)
    queue = home[home.index("Review queue") : home.index("Assessment cycles")]
    assert "Demoland" in queue and "Exampleland" not in queue
    assert client.get(f"/assessments/{assessments.other}").status_code == 404
    listing = client.get("/assessments").get_data(as_text=True)
    assert "Exampleland" not in listing


def test_the_ratings_page_shows_each_derived_rating_with_its_reason_and_answers(
    app, client, world, assessments
):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        official = person(world, "own")
        current = answers.state(assessment)
        answer = current.answers["sub.illegal_access.offence"]
        answers.save_answer(
            assessment, "sub.illegal_access.offence", {"answer": "no"},
            version=answer.version, user=official,
        )  # fmt: skip
        answers.submit(assessment, official)
        db.session.commit()
    url = f"/assessments/{assessments.own}/ratings"
    sign_in(client, world.reviewer.email)
    page = client.get(url).get_data(as_text=True)
    card = page[page.index('id="p-budapest-2"') :]
    card = card[: card.index("</details>")]
    assert ">NC</span>" in card and "A core element is not met" in card
    assert "Does your law make it a criminal offence to access a computer system" in card
    assert ": No" in card  # the answer used, as text
    un = page[page.index('id="p-un-cybercrime-7"') :]
    assert ">NC</span>" in un[: un.index("</details>")]  # the same answer rates the UN article
    assert "Priority follow-up" in page and "Budapest Art. 2" in page
    # The country sees its ratings only once they are published; an outsider never.
    official_client = app.test_client()
    sign_in(official_client, world.own.email)
    assert official_client.get(url).status_code == 403
    with app.app_context():
        db.session.get(Assessment, assessments.own).status = AssessmentStatus.PUBLISHED
        db.session.commit()
    assert official_client.get(url).status_code == 200
    outsider = app.test_client()
    sign_in(outsider, world.outsider.email)
    assert outsider.get(url).status_code == 404


def test_ratings_stack_in_layers_and_overrides_need_a_justification(app, world, assessments):
    from app.scoring.assessments import scorecard

    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.cycle.second_review = True
        coordinator = person(world, "coordinator")
        review.assign_reviewers(assessment, world.reviewer.email, world.outsider.email, coordinator)
        assessment.status = AssessmentStatus.IN_REVIEW
        lead, second = person(world, "reviewer"), person(world, "outsider")
        derived = scorecard(assessment).provisions["budapest:2"].rating
        other = "PC" if derived != "PC" else "LC"

        def refused(rating, why, user=lead):
            with pytest.raises(Invalid) as invalid:
                review.rate(assessment, [("budapest:2", rating, why)], user)
            return invalid.value.field, str(invalid.value.message)

        assert refused(other, None) == (
            "justification",
            f"Rating {other} differs from the derived {derived}: justify the override.",
        )
        assert refused("NA", "  ")[0] == "justification"
        assert refused("X", None)[0] == "rating"
        with pytest.raises(Forbidden):
            review.rate(assessment, [("budapest:2", derived, None)], person(world, "own"))
        with pytest.raises(Forbidden):
            review.rate(assessment, [("budapest:2", derived, None)], coordinator)

        review.rate(assessment, [("budapest:2", derived, None)], lead)  # accepting needs no words
        review.rate(assessment, [("budapest:2", other, "The 2026 bill is not in force.")], lead)
        review.rate(
            assessment,
            [("budapest:2", "C", "Checked the code." if derived != "C" else None)],
            second,
        )
        current = review.current_ratings(assessment)
        assert current[("budapest:2", "lead")].rating.rating == other  # the latest counts ...
        assert current[("budapest:2", "lead")].rating.derived == derived
        assert current[("budapest:2", "second")].rating.rating == "C"  # ... in each layer
        assert ("budapest:2", "final") not in current  # adjudication makes the final one
        rows = db.session.scalars(
            select(ProvisionRating).where(ProvisionRating.provision == "budapest:2")
        ).all()
        assert len(rows) == 3  # never overwritten
        assert not current[("budapest:2", "lead")].stale
        db.session.commit()

    # The country changes an answer that feeds the provision: the rating is out of date.
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = AssessmentStatus.CLARIFICATION
        answer = answers.state(assessment).answers["sub.illegal_access.intent"]
        answers.save_answer(
            assessment, "sub.illegal_access.intent", {"answer": "partly"},
            version=answer.version, user=person(world, "own"),
        )  # fmt: skip
        assessment.status = AssessmentStatus.IN_REVIEW
        current = review.current_ratings(assessment)
        assert current[("budapest:2", "lead")].stale
        assert "budapest:2" in review.unrated(assessment, "lead")
        assert "budapest:3" in review.unrated(assessment, "lead")  # never rated


def test_a_reviewer_accepts_the_derived_ratings_on_the_page_then_finalises(
    app, client, world, assessments
):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        answers.submit(assessment, person(world, "own"))
        review.perform(assessment, "start_review", person(world, "reviewer"))
        db.session.commit()
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}"
    page = client.get(f"{url}/ratings").get_data(as_text=True)
    assert "provisions have no up-to-date rating of yours" in page
    accepted = post_form(client, f"{url}/ratings", {"accept_all": "1"}, follow_redirects=True)
    text = accepted.get_data(as_text=True)
    assert re.search(r"\d+ derived ratings accepted\.", text)
    # What had no derived rating (NR) waits for the reviewer's own rating and reason.
    with app.app_context():
        left = review.unrated(db.session.get(Assessment, assessments.own))
    for ref in left:
        post_form(client, f"{url}/ratings", {"provision": ref, "rating": "NC",
                                              "justification": "Not answered."})  # fmt: skip
    with app.app_context():  # every provision rated PC or NC carries a recommendation
        recommend_where_needed(
            db.session.get(Assessment, assessments.own), db.session.get(User, world.reviewer.id)
        )
        db.session.commit()
    response = post_form(client, f"{url}/review/finalise", follow_redirects=True)
    assert "Finalise the review — done." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assessment, assessments.own).status is AssessmentStatus.FINALISED


def test_the_official_home_says_a_submitted_assessment_is_with_the_reviewers(
    app, client, world, assessments
):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        answers.submit(db.session.get(Assessment, assessments.own), person(world, "own"))
        db.session.commit()
    sign_in(client, world.own.email)
    home = client.get("/").get_data(as_text=True)
    assert "Your 2027 round assessment is with the reviewers" in home
    assert "No assessment is open for your country" not in home
