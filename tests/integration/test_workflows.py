"""The transition tables of cycles and assessments: every allowed transition is taken by whom it
should be, stamps who and when and writes its audit event; every other is refused with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.assessments import answers, cycles, workflows
from app.core.errors import Forbidden, Refused
from app.extensions import db
from app.frameworks import store
from app.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Country,
    Cycle,
    CycleStatus,
    User,
)
from tests.conftest import fill_required

CYCLE_STATES = list(CycleStatus)
ASSESSMENT_STATES = list(AssessmentStatus)


def table(workflow) -> set[tuple[str, str]]:
    """Return (action, source status) pairs the workflow allows."""
    return {(t.name, source.value) for t in workflow.transitions for source in t.sources}


def test_the_tables_say_what_each_state_allows():
    assert table(workflows.CYCLE) == {("open", "draft"), ("close", "open")}
    assert table(workflows.ASSESSMENT) == {
        ("submit", "draft"),
        ("start_review", "submitted"),
        ("start_review", "resubmitted"),
        ("request_clarification", "in_review"),
        ("resubmit", "clarification"),
        ("finalise", "in_review"),
        ("publish", "finalised"),
        ("reopen", "finalised"),
        ("reopen", "published"),
    }
    assert {AssessmentStatus.DRAFT, AssessmentStatus.CLARIFICATION} == workflows.COUNTRY_WRITES


def user(persona) -> User:
    return db.session.get(User, persona.id)


def prepared_cycle(world) -> Cycle:
    version = store.latest_questionnaires()[0]
    countries = list(db.session.scalars(select(Country).where(Country.code.in_(["XAA"]))))
    return cycles.create_cycle(
        "Round",
        version,
        date(2027, 6, 30),
        countries,
        carry_over=False,
        user=user(world.coordinator),
    )


def last_event(action: str) -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


@pytest.mark.parametrize("action", ["open", "close"])
@pytest.mark.parametrize("status", CYCLE_STATES, ids=lambda s: s.value)
def test_every_cycle_transition_from_every_state(app, world, loaded_library, action, status):
    with app.app_context():
        cycle = prepared_cycle(world)
        cycle.status = status
        allowed = (action, status.value) in table(workflows.CYCLE)
        coordinator = user(world.coordinator)
        problem = workflows.CYCLE.refusal(cycle, action, coordinator)
        if not allowed:
            assert isinstance(problem, Refused)
            assert problem.status == 409
            assert str(problem.message)  # a reason a person reads
            with pytest.raises(Refused):
                workflows.CYCLE.perform(cycle, action, coordinator)
            assert cycle.status is status
            return
        assert problem is None
        with pytest.raises(Forbidden):
            workflows.CYCLE.perform(cycle, action, user(world.reviewer))
        step = cycles.open_cycle if action == "open" else cycles.close_cycle
        step(cycle, coordinator)
        target = workflows.CYCLE.transition(action).target
        assert cycle.status is target
        stamp = cycle.opened_at if action == "open" else cycle.closed_at
        assert stamp is not None
        event = last_event(f"cycle.{'opened' if action == 'open' else 'closed'}")
        assert event.actor_id == coordinator.id
        assert event.summary["before"] == {"status": status.value}
        assert event.summary["after"] == {"status": target.value}


def test_the_refusal_names_the_current_status(app, world, loaded_library):
    with app.app_context():
        cycle = prepared_cycle(world)
        cycles.open_cycle(cycle, user(world.coordinator))
        with pytest.raises(Refused) as refused:
            cycles.open_cycle(cycle, user(world.coordinator))
        assert "Open" in str(refused.value.message)


@pytest.mark.parametrize("status", ASSESSMENT_STATES, ids=lambda s: s.value)
def test_submit_from_every_state(app, world, assessments, status):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = status
        official = user(world.own)
        if ("submit", status.value) not in table(workflows.ASSESSMENT):
            with pytest.raises(Refused) as refused:
                answers.submit(assessment, official)
            assert str(refused.value.message)
            assert assessment.submitted_at is None
            return
        for outsider in (world.other, world.reviewer, world.coordinator):
            assert workflows.ASSESSMENT.available(assessment, user(outsider)) == []
            with pytest.raises(Forbidden):
                workflows.ASSESSMENT.perform(assessment, "submit", user(outsider))
        assert [t.name for t in workflows.ASSESSMENT.available(assessment, official)] == ["submit"]
        answers.submit(assessment, official)
        assert assessment.status is AssessmentStatus.SUBMITTED
        assert assessment.submitted_by_id == official.id
        assert assessment.submitted_at is not None
        event = last_event("assessment.submitted")
        assert event.summary["after"] == {"status": "submitted"}
        assert event.summary["country"] == "XAA"


def test_submitting_in_a_closed_cycle_is_refused_by_the_guard(app, world, assessments):
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        cycles.close_cycle(assessment.cycle, user(world.coordinator))
        problem = workflows.ASSESSMENT.refusal(assessment, "submit", user(world.own))
        assert isinstance(problem, Refused)
        assert "closed" in str(problem.message)
        assert workflows.ASSESSMENT.available(assessment, user(world.own)) == []


def test_pages_offer_only_the_allowed_actions(app, client, world, loaded_library):
    from tests.conftest import post_form, sign_in

    with app.app_context():
        cycle_id = prepared_cycle(world).id
        db.session.commit()
    sign_in(client, world.coordinator.email)
    page = client.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "Open the cycle" in page and "Close the cycle" not in page
    post_form(client, f"/cycles/{cycle_id}/open")
    page = client.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "Close the cycle" in page and "Open the cycle" not in page
    refused = post_form(client, f"/cycles/{cycle_id}/open", follow_redirects=True)
    assert "This is not possible while the status is" in refused.get_data(as_text=True)
    post_form(client, f"/cycles/{cycle_id}/close")
    page = client.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "Close the cycle" not in page and "Open the cycle" not in page
