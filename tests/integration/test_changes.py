"""What changed since the country's previous finished cycle: per provision, that cycle's final
rating and the answers feeding it, then and now; only the same country's finished assessments of
an earlier cycle count; questions renamed between versions (``replaces``) are followed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.assessments import answers, changes, cycles, recommendations, review
from app.extensions import db
from app.frameworks import store
from app.frameworks.library import read_library
from app.models import Assessment, AssessmentStatus, Country, Cycle, QuestionnaireVersion, User
from app.scoring.assessments import rules_for
from app.scoring.explain import rating_names
from tests.conftest import QUESTIONNAIRES, count_statements, fill_required, open_cycle
from tests.integration.test_review_workflow import rate_everything

OVERRIDE = "The 2026 amendment is not in force yet."


def finalise(assessment: Assessment, reviewer: User, overrides=()) -> None:
    """Rate everything (with ``overrides``), recommend where a rating calls for it, finalise."""
    rate_everything(assessment, reviewer)
    if overrides:
        review.rate(assessment, list(overrides), reviewer)
    for ref in recommendations.needing(assessment):
        recommendations.recommend(assessment, ref, "Bring the law into force.", None, reviewer)
    review.perform(assessment, "finalise", reviewer)


def finish(app, world, assessment_id: int, official_id: int, overrides=()) -> None:
    """Fill, submit, review and finalise an assessment (the lead reviewer is world.reviewer)."""
    fill_required(app, assessment_id, official_id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        answers.submit(assessment, db.session.get(User, official_id))
        reviewer = db.session.get(User, world.reviewer.id)
        review.perform(assessment, "start_review", reviewer)
        finalise(assessment, reviewer, overrides)
        db.session.commit()


def close(app, world, cycle_id: int) -> None:
    with app.app_context():
        cycles.close_cycle(
            db.session.get(Cycle, cycle_id), db.session.get(User, world.coordinator.id)
        )
        db.session.commit()


def answer(assessment: Assessment, question_id: str, value, official: User) -> None:
    current = answers.state(assessment, only=[question_id]).answers.get(question_id)
    answers.save_answer(
        assessment, question_id, value, version=current.version if current else 0, user=official
    )


def feeding(assessment: Assessment, question_id: str) -> set[str]:
    """The provisions an answer feeds."""
    return {
        rule.ref
        for rule in rules_for(assessment.questionnaire_version).provisions
        for element in rule.elements
        if question_id in (*element.status_questions, *element.stage_questions)
    }


@pytest.fixture
def two_cycles(app, world, assessments):
    """XAA finished the 2027 round (Budapest Art. 2 overridden to LC, not published); the 2029
    round is open, with XAA's answers carried over. Returns (earlier id, current id)."""
    finish(app, world, assessments.own, world.own.id, [("budapest:2", "LC", OVERRIDE)])
    close(app, world, assessments.cycle_id)
    following = open_cycle(app, world, name="2029 round")
    return assessments.own, following.own


def test_a_changed_answer_shows_then_and_now_with_the_earlier_final_rating(app, world, two_cycles):
    earlier, current_id = two_cycles
    with app.app_context():
        assessment = db.session.get(Assessment, current_id)
        official = db.session.get(User, world.own.id)
        answer(assessment, "sub.illegal_access.offence", {"answer": "no"}, official)
        db.session.commit()
        found = changes.since_previous(assessment, answers.state(assessment))
        assert found is not None
        assert (found.previous.id, found.cycle) == (earlier, "2027 round")
        assert found.finalised_at is not None and found.published_at is None

        art2 = found.provisions["budapest:2"]
        assert [(c.question_id, c.before, c.after) for c in art2.answers] == [
            ("sub.illegal_access.offence", "Yes", "No")
        ]
        assert "access a computer system" in art2.answers[0].label
        # The final rating then, an override with its reason.
        assert (art2.rating.rating, art2.rating.overridden) == ("LC", True)
        assert art2.rating.derived != "LC" and art2.rating.justification == OVERRIDE
        # The one answer changed; everything carried over unchanged shows no change.
        changed = {ref for ref, change in found.provisions.items() if change.answers}
        assert changed == feeding(assessment, "sub.illegal_access.offence")
        assert "un-cybercrime:7" in changed  # the same answer feeds the UN article
        art16 = found.get("budapest:16")
        assert art16.answers == () and art16.rating is not None
        assert not art16.rating.overridden and art16.cycle == "2027 round"
        # Every provision of the rules is there.
        refs = {rule.ref for rule in rules_for(assessment.questionnaire_version).provisions}
        assert set(found.provisions) == refs

        # The page's block: the cycle, the rating badge and override, then and now.
        with app.test_request_context():
            macros = app.jinja_env.get_template("assessments/_changes.html").module
            html = str(macros.changes_for(art2, rating_names()))
            assert "Since 2027 round" in html
            assert '<span class="badge rating rating-lc">LC</span>' in html
            assert "override" in html and OVERRIDE in html
            assert "<td>Yes</td>" not in html  # answers sit in their own cells, as text
            assert ">Yes</td>" in html and ">No</td>" in html
            assert "No answer feeding this provision changed." not in html
            quiet = str(macros.changes_for(art16, rating_names()))
            assert "No answer feeding this provision changed." in quiet
            assert str(macros.changes_for(None, rating_names())).strip() == ""
            heading = str(macros.compared_with(found))
            assert "Compared with 2027 round, finalised" in heading and "UTC" in heading


def test_a_provision_not_rated_then_says_so(app, world, two_cycles):
    from app.models import ProvisionRating

    earlier, current_id = two_cycles
    with app.app_context():
        for row in db.session.scalars(
            select(ProvisionRating).where(
                ProvisionRating.assessment_id == earlier, ProvisionRating.provision == "budapest:3"
            )
        ):
            db.session.delete(row)
        db.session.commit()
        assessment = db.session.get(Assessment, current_id)
        found = changes.since_previous(assessment, answers.state(assessment))
        assert found.provisions["budapest:3"].rating is None
        with app.test_request_context():
            macros = app.jinja_env.get_template("assessments/_changes.html").module
            html = str(macros.changes_for(found.provisions["budapest:3"], rating_names()))
        assert "No final rating in 2027 round." in html


def test_only_a_published_cycle_counts_for_readers_of_published_results(app, world, two_cycles):
    earlier, current_id = two_cycles
    with app.app_context():
        assessment = db.session.get(Assessment, current_id)
        assert changes.previous(assessment).id == earlier
        assert changes.previous(assessment, published_only=True) is None
        review.perform(
            db.session.get(Assessment, earlier),
            "publish",
            db.session.get(User, world.coordinator.id),
        )
        db.session.commit()
        assert changes.previous(assessment, published_only=True).id == earlier
        found = changes.since_previous(assessment, answers.state(assessment), published_only=True)
        assert found.published_at is not None


def test_no_earlier_finished_cycle_means_nothing_to_compare(app, world, assessments):
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert changes.previous(assessment) is None
        assert changes.since_previous(assessment, answers.state(assessment)) is None


def test_unfinished_and_other_countries_assessments_are_never_compared_with(
    app, world, assessments
):
    # 2027: XAB finishes; XAA only submits.
    finish(app, world, assessments.other, world.other.id)
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        answers.submit(
            db.session.get(Assessment, assessments.own), db.session.get(User, world.own.id)
        )
        db.session.commit()
    close(app, world, assessments.cycle_id)
    second = open_cycle(app, world, name="2029 round")
    with app.app_context():
        own = db.session.get(Assessment, second.own)
        assert changes.since_previous(own, answers.state(own)) is None  # XAB's is not XAA's
        other = db.session.get(Assessment, second.other)
        assert changes.previous(other).id == assessments.other

    # XAA finishes 2029; its 2031 assessment stops in review: 2033 compares with 2029.
    finish(app, world, second.own, world.own.id)
    close(app, world, second.cycle_id)
    third = open_cycle(app, world, name="2031 round")
    with app.app_context():
        db.session.get(Assessment, third.own).status = AssessmentStatus.IN_REVIEW
        db.session.commit()
    close(app, world, third.cycle_id)
    fourth = open_cycle(app, world, name="2033 round")
    with app.app_context():
        latest = db.session.get(Assessment, fourth.own)
        found = changes.since_previous(latest, answers.state(latest))
        assert (found.previous.id, found.cycle) == (second.own, "2029 round")


def test_the_query_count_does_not_grow_with_the_changes(app, world, two_cycles):
    _, current_id = two_cycles
    with app.app_context():
        assessment = db.session.get(Assessment, current_id)
        official = db.session.get(User, world.own.id)
        current = answers.state(assessment)
        changes.since_previous(assessment, current)  # parse the earlier version once

        def measure() -> tuple[int, int]:
            state = answers.state(assessment)
            found = []
            statements = count_statements(
                app, lambda: found.append(changes.since_previous(assessment, state))
            )
            return len(statements), sum(len(c.answers) for c in found[0].provisions.values())

        answer(assessment, "sub.illegal_access.offence", {"answer": "no"}, official)
        db.session.commit()
        few, few_changes = measure()
        ynpn = [
            qid
            for qid, question in current.runtime.questions.items()
            if question.type_name == "ynpn" and qid.startswith("sub.") and qid in current.values
        ]
        for qid in ynpn[:25]:
            answer(assessment, qid, {"answer": "partly"}, official)
        db.session.commit()
        many, many_changes = measure()
        assert many_changes > few_changes + 20
        assert few == many == 3, (few, many)


# --- Questionnaire versions ------------------------------------------------------------------

ARCHIVE = QUESTIONNAIRES / "archive" / "catf-self-assessment-2026.1.yaml"


@pytest.fixture
def both_versions(app):
    """2026.1 (archived) and 2026.2 loaded, the current one last."""
    with app.app_context():
        library = read_library([ARCHIVE, QUESTIONNAIRES])
        assert library.ok, [str(p) for p in library.problems[:5]]
        store.load(library)
        db.session.commit()
        rows = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id))
        return {row.version: row.id for row in rows}


def open_round(app, world, version_id: int, name: str) -> int:
    """Open a round for XAA on a questionnaire version, reviewed by world.reviewer."""
    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        xaa = db.session.scalars(select(Country).where(Country.code == "XAA")).all()
        version = db.session.get(QuestionnaireVersion, version_id)
        cycle = cycles.create_cycle(
            name, version, date(2027, 6, 30), xaa, carry_over=True, user=coordinator
        )
        (assessment,) = cycles.open_cycle(cycle, coordinator)
        assessment.lead_reviewer_id = world.reviewer.id
        db.session.commit()
        return assessment.id


def test_questions_renamed_between_versions_are_compared_with_their_earlier_ids(
    app, world, both_versions
):
    first = open_round(app, world, both_versions["2026.1"], "2025 round")
    with app.app_context():
        assessment = db.session.get(Assessment, first)
        official = db.session.get(User, world.own.id)
        answer(assessment, "sub.sanctions.natural_persons", {"answer": "yes"}, official)
        answer(assessment, "sub.sanctions.legal_persons", {"answer": "partly"}, official)
        db.session.commit()
    finish(app, world, first, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, first)
        cycles.close_cycle(assessment.cycle, db.session.get(User, world.coordinator.id))
        db.session.commit()
    second = open_round(app, world, both_versions["2026.2"], "2027 round")
    with app.app_context():
        assessment = db.session.get(Assessment, second)
        official = db.session.get(User, world.own.id)
        runtime = answers.runtime(assessment.questionnaire_version)
        assert runtime.questions["sub.sanctions.penalty_parity"].replaces == [
            "sub.sanctions.natural_persons"
        ]
        # Replaced questions start empty; the country answers them afresh.
        answer(assessment, "sub.sanctions.penalty_parity", {"answer": "no"}, official)
        answer(assessment, "sub.sanctions.legal_persons_monetary", {"answer": "partly"}, official)
        db.session.commit()
        found = changes.since_previous(assessment, answers.state(assessment))
        assert found.cycle == "2025 round"
        art13 = {c.question_id: c for c in found.provisions["budapest:13"].answers}
        parity = art13["sub.sanctions.penalty_parity"]
        assert (parity.before, parity.after) == ("Yes", "No")
        assert parity.label == str(runtime.questions["sub.sanctions.penalty_parity"].label["en"])
        # Answered alike under its new id: no change.
        assert "sub.sanctions.legal_persons_monetary" not in art13
        # Two new questions take over one earlier question: answered then, not now.
        un21 = {c.question_id: c for c in found.provisions["un-cybercrime:21"].answers}
        release = un21["sub.sanctions.pretrial_release"]
        assert release.before == "Yes" and release.after == "(no answer)"
        assert found.provisions["budapest:13"].rating is not None
