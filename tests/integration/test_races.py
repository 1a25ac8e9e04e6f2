"""Concurrent writes to one assessment, with real threads on the real database engine (SQLite or
PostgreSQL, whichever the suite runs on): every client gets a clear answer — saved, or 409 with
the current answer — never a 500, and a submission never lets a save slip in beside it."""

from __future__ import annotations

from sqlalchemy import func, select

from app.assessments import answers
from app.extensions import db
from app.models import Answer, AnswerRevision, Assessment, AssessmentStatus
from tests.conftest import fill_required, make_user, post_form, sign_in, together
from tests.integration.test_api import bearer, token_for

OFFENCE = "sub.illegal_access.offence"


def officials(app, count: int) -> list:
    """Return signed-in clients of ``count`` XAA officials."""
    from app.core.permissions import Role

    clients = []
    with app.app_context():
        emails = [
            make_user(f"official{n}@xaa.example.org", Role.OFFICIAL, "XAA").email
            for n in range(count)
        ]
        db.session.commit()
    for email in emails:
        client = app.test_client()
        assert sign_in(client, email).status_code == 302
        clients.append(client)
    return clients


def saver(client, assessment_id, channel, answer, token=None, version=0):
    """Return an action saving OFFENCE from ``version`` through ``channel``; it gives the status."""
    # Every client sends a different value: none of them merely repeats what is stored.
    reference = f"Art. {answer} {version} {id(client)}"
    data = {
        f"{OFFENCE}[answer]": "partly",
        f"{OFFENCE}[reference]": reference,
        f"version[{OFFENCE}]": str(version),
    }
    if channel == "autosave":
        url = f"/assessments/{assessment_id}/answers/{OFFENCE}"
        return lambda: post_form(client, url, data).status_code
    if channel == "section":
        url = f"/assessments/{assessment_id}/sections/substantive"
        return lambda: post_form(client, url, data).status_code
    url = f"/api/v1/assessments/{assessment_id}/answers/{OFFENCE}"
    body = {"value": {"answer": "partly", "reference": reference}, "version": version}
    return lambda: client.put(url, json=body, headers=bearer(token)).status_code


def check_one_winner(app, assessment_id, statuses, saved, refused, version=1) -> None:
    assert all(isinstance(status, int) for status in statuses), statuses
    assert 500 not in statuses, statuses
    assert statuses.count(saved) == 1, statuses
    assert statuses.count(refused) == len(statuses) - 1, statuses
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.assessment_id == assessment_id))
        assert answer.version == version
        revisions = db.session.scalar(select(func.count(AnswerRevision.id)))
        assert revisions == version  # one per saved version: the winner's, and only it


def test_concurrent_first_saves_of_one_answer_have_exactly_one_winner(app, world, assessments):
    clients = officials(app, 6)
    for channel, saved, refused in (("autosave", 200, 409), ("section", 302, 422)):
        with app.app_context():
            db.session.execute(db.delete(AnswerRevision))
            db.session.execute(db.delete(Answer))
            db.session.commit()
        actions = [
            saver(client, assessments.own, channel, str(n)) for n, client in enumerate(clients)
        ]
        check_one_winner(app, assessments.own, together(actions), saved, refused)
        # And again, all changing the answer that now exists, from its version 1.
        actions = [
            saver(client, assessments.own, channel, str(n), version=1)
            for n, client in enumerate(clients)
        ]
        check_one_winner(app, assessments.own, together(actions), saved, refused, version=2)


def test_concurrent_api_saves_of_one_answer_have_exactly_one_winner(
    app, client, world, assessments
):
    clients = officials(app, 6)
    tokens = []
    with app.app_context():
        emails = [f"official{n}@xaa.example.org" for n in range(6)]
    for email in emails:
        tokens.append(token_for(client, email))
    actions = [
        saver(client, assessments.own, "api", str(n), token) for n, token in enumerate(tokens)
    ]
    del clients
    check_one_winner(app, assessments.own, together(actions), 200, 409)
    actions = [
        saver(client, assessments.own, "api", str(n), token, version=1)
        for n, token in enumerate(tokens)
    ]
    check_one_winner(app, assessments.own, together(actions), 200, 409, version=2)


def test_no_save_slips_in_beside_a_submission(app, world, assessments):
    from app.core.errors import ServiceError
    from app.models import User

    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        current = answers.state(db.session.get(Assessment, assessments.own))
        required = next(
            q.id
            for q in current.runtime.questions.values()
            if q.required
            and q.id in current.answers
            and current.visible[q.id]
            and current.runtime.conditions.get(q.id) is None
        )
        optional = [
            q for q in current.runtime.questions.values()
            if not q.required and q.id not in current.answers and current.visible[q.id]
            and not q.holds_files
        ][:4]  # fmt: skip

    def step(work):
        def run():
            with app.app_context():
                assessment = db.session.get(Assessment, assessments.own)
                user = db.session.get(User, world.own.id)
                try:
                    work(assessment, user)
                    db.session.commit()
                    return "done"
                except ServiceError as error:
                    db.session.rollback()
                    return error.status

        return run

    def clear(assessment, user):
        version = answers.find_answer(assessment, required).version
        answers.save_answer(assessment, required, None, version=version, user=user)

    def saving(question):
        return lambda assessment, user: answers.save_answer(
            assessment, question.id, question.sample_value(), version=0, user=user
        )

    outcomes = together([step(answers.submit), step(clear), *(step(saving(q)) for q in optional)])
    assert all(outcome in ("done", 409, 422) for outcome in outcomes), outcomes
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        if outcomes[0] == "done":
            assert assessment.status is AssessmentStatus.SUBMITTED
            assert answers.state(assessment).missing() == []  # the clearing came after, refused
            assert outcomes[1] == 409
            last_change = db.session.scalar(
                select(func.max(AnswerRevision.changed_at))
                .join(Answer)
                .where(Answer.assessment_id == assessment.id)
            )
            assert last_change <= assessment.submitted_at
            late = [o for o in outcomes[2:] if o != "done"]
            assert all(o == 409 for o in late), outcomes
        else:  # the required answer was cleared first: the submission saw it missing
            assert outcomes[0] == 422 and outcomes[1] == "done"
            assert assessment.status is AssessmentStatus.DRAFT


def test_concurrent_saves_of_one_247_contact_have_exactly_one_winner(app, world, assessments):
    """Colleagues saving the country's 24/7 contact from the same version at the same moment:
    one change is kept, the others are told to reload (409), none is lost silently."""
    from app.capacity import directory
    from app.models import Contact, ContactRevision, Country, User

    clients = officials(app, 5)
    with app.app_context():
        country = db.session.scalar(select(Country).where(Country.code == "XAA"))
        network = directory.network_by_key(directory.BUDAPEST)
        contact = directory.save_contact(
            country, network,
            {"unit": "Cyber Unit", "unit_type": "police", "phone": "+33 1 99 00 01 47",
             "email": "cyber@police.example.org"},
            version=None, user=db.session.get(User, world.own.id),
        )  # fmt: skip
        db.session.commit()
        contact_id, network_id, version = contact.id, network.id, contact.version
    url = f"/assessments/{assessments.own}"  # any page gives the session a CSRF token

    def save(client, n):
        client.get(url)
        return lambda: post_form(
            client, f"/countries/XAA/directory/networks/{network_id}",
            {f"n{network_id}-version": str(version), f"n{network_id}-unit": f"Cyber Unit {n}",
             f"n{network_id}-unit_type": "police", f"n{network_id}-phone": "+33 1 99 00 01 47",
             f"n{network_id}-email": "cyber@police.example.org"},
        ).status_code  # fmt: skip

    statuses = together([save(client, n) for n, client in enumerate(clients)])
    assert sorted(statuses) == [302] + [409] * 4, statuses
    with app.app_context():
        assert db.session.get(Contact, contact_id).version == version + 1
        revisions = db.session.scalar(
            select(func.count(ContactRevision.id)).where(
                ContactRevision.kind == "contact", ContactRevision.record_id == contact_id
            )
        )
        assert revisions == 2  # the creation and the one change kept
