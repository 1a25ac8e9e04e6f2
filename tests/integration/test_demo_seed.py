"""``flask seed-demo`` leaves a demo that shows every journey: a closed 2025 round and an open
2027 round with one country half-way, one submitted and one not started."""

from __future__ import annotations

from sqlalchemy import func, select

from app import demo
from app.assessments import recommendations, review
from app.cli import DEFAULT_DEMO_PASSWORD
from app.extensions import db
from app.frameworks import store
from app.models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Cycle,
    CycleStatus,
    EvidenceFile,
    User,
)
from tests.conftest import sign_in


def _assessments(name: str) -> dict[str, Assessment]:
    return {
        assessment.country.code: assessment
        for assessment in db.session.scalars(
            select(Assessment).join(Assessment.cycle).where(Cycle.name == name)
        )
    }


def _answers(assessment: Assessment) -> list[Answer]:
    return list(db.session.scalars(select(Answer).where(Answer.assessment_id == assessment.id)))


def _revisions(assessment: Assessment) -> list[AnswerRevision]:
    return list(
        db.session.scalars(
            select(AnswerRevision)
            .join(Answer, Answer.id == AnswerRevision.answer_id)
            .where(Answer.assessment_id == assessment.id)
        )
    )


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Cycle, Assessment, Answer, AnswerRevision, EvidenceFile, AuditEvent, User)
    )


def test_seed_demo_runs_both_rounds_once(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Try first:" in first.output
    assert demo.OLGA in first.output.split("Try first:")[1]
    with app.app_context():
        emails = {user.id: user.email for user in db.session.scalars(select(User))}
        closed = db.session.scalar(select(Cycle).where(Cycle.name == demo.ROUND_2025))
        assert closed.status is CycleStatus.CLOSED
        assert closed.deadline.isoformat() == "2025-06-30"
        previous = _assessments(demo.ROUND_2025)
        assert sorted(previous) == ["XAA", "XAB", "XAC"]
        assert {a.status for a in previous.values()} == {AssessmentStatus.PUBLISHED}
        # Every provision rated PC or NC carries a recommendation, from the library if it has one.
        assert all(not recommendations.needing(a) for a in previous.values())
        demoland_2025 = recommendations.current(previous["XAA"])
        assert any(r.template_id for items in demoland_2025.values() for r in items)

        current = db.session.scalar(select(Cycle).where(Cycle.name == demo.ROUND_2027))
        assert current.status is CycleStatus.OPEN and current.carry_over
        assert current.deadline.isoformat() == "2027-06-30"
        assessments = _assessments(demo.ROUND_2027)
        assert sorted(assessments) == ["XAA", "XAB", "XAC"]

        # Demoland: half-way, by two officials, with carried-over answers still to confirm.
        demoland = assessments["XAA"]
        assert demoland.status is AssessmentStatus.DRAFT
        rows = _answers(demoland)
        written = [row for row in rows if not row.carried_over]
        assert len(written) >= 12
        assert any(row.carried_over for row in rows)
        assert {emails[row.updated_by_id] for row in written} == {demo.OLGA, demo.OTTO}
        changed_by = {emails.get(r.changed_by_id) for r in _revisions(demoland)}
        assert {demo.OLGA, demo.OTTO} <= changed_by
        assert any(row.note for row in written)
        contact = next(r for r in rows if r.question_id == "cap.contact_point.contact")
        assert contact.value["phone"].startswith("+") and "@" in contact.value["email"]
        files = list(
            db.session.scalars(
                select(EvidenceFile).where(EvidenceFile.assessment_id == demoland.id)
            )
        )
        assert len(files) == 1 and files[0].content_type == "application/pdf"
        attached = next(r for r in rows if r.question_id == files[0].question_id)
        assert attached.value == [files[0].public_id]

        # Exampleland: submitted by its official, nothing left to confirm; the reviewer asked
        # about its 24/7 contact, had the reply, and is rating: one override with its reason.
        exampleland = assessments["XAB"]
        assert exampleland.status is AssessmentStatus.IN_REVIEW
        assert emails[exampleland.submitted_by_id] == demo.BEATRIZ
        assert emails[exampleland.lead_reviewer_id] == demo.REVIEWER
        (asked,) = review.clarifications(exampleland)
        assert asked.question_id == "cap.contact_point.last_verified"
        assert asked.provision == "budapest:35" and asked.reply == demo.EXAMPLELAND_REPLY
        given = review.current_ratings(exampleland)
        assert {ref for ref, _layer in given} == {demo.OVERRIDDEN_2027[0], demo.ACCEPTED_2027}
        accepted = given[(demo.ACCEPTED_2027, "final")].rating
        assert accepted.rating == accepted.derived == "C"  # PC in 2025
        override = given[(demo.OVERRIDDEN_2027[0], "lead")].rating
        assert override.rating != override.derived and override.justification
        # The 2025 recommendations wait for the 2027 reviewer's follow-up.
        assert recommendations.earlier(exampleland)
        # The reviewer is assigned to every assessment of both rounds, so sees them all.
        assert {a.lead_reviewer_id for a in [*previous.values(), *assessments.values()]} == {
            exampleland.lead_reviewer_id
        }
        assert not any(row.carried_over for row in _answers(exampleland))

        # Sampleland: only what the round carried over; no official has touched it.
        sampleland = assessments["XAC"]
        assert sampleland.status is AssessmentStatus.DRAFT
        assert all(row.carried_over for row in _answers(sampleland))
        assert {r.source for r in _revisions(sampleland)} == {"carry_over"}
        counts = _counts()

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "Try first:" in second.output
    with app.app_context():
        assert _counts() == counts


def test_demo_accounts_find_the_rounds(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    official = app.test_client()
    assert sign_in(official, demo.OLGA, DEFAULT_DEMO_PASSWORD).status_code == 302
    home = official.get("/")
    assert home.status_code == 200
    assert demo.ROUND_2027 in home.get_data(as_text=True)
    for email, url in (
        (demo.COORDINATOR, "/cycles"),
        (demo.COORDINATOR, "/"),
        (demo.REVIEWER, "/assessments"),
        (demo.REVIEWER, "/"),
    ):
        staff = app.test_client()
        assert sign_in(staff, email, DEFAULT_DEMO_PASSWORD).status_code == 302
        page = staff.get(url).get_data(as_text=True)
        assert demo.ROUND_2025 in page and demo.ROUND_2027 in page, (email, url)
    coordinator = app.test_client()
    sign_in(coordinator, demo.COORDINATOR, DEFAULT_DEMO_PASSWORD)
    home = coordinator.get("/").get_data(as_text=True)
    assert "3 of 3" in home and "1 of 3" in home  # 2025: all submitted; 2027: Exampleland
    assert home.index(demo.ROUND_2027) < home.index(demo.ROUND_2025)  # the open round first


def test_demo_answers_name_questions_of_the_shipped_questionnaire(app, loaded_library):
    with app.app_context():
        version = store.latest_questionnaires()[0]
        ids = {
            question["id"]
            for section in version.definition["sections"]
            for question in section["questions"]
        }
    used = {question_id for _email, question_id, _value, _note in demo.DEMOLAND_2027}
    for answers in demo.ANSWERS_2025.values():
        used |= set(answers)
    used |= set(demo.EXAMPLELAND_2027) | {demo.DEMOLAND_EVIDENCE[1]}
    assert sorted(used - ids) == []
