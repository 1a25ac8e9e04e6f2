"""The reviewer workspace beyond single ratings: maturity stages confirmed or overridden, comments
on elements, each provision's review status, a second reviewer rating independently with
adjudication of their disagreements and their agreement measured, and the rules version kept."""

from __future__ import annotations

import pytest
from sklearn.metrics import cohen_kappa_score
from sqlalchemy import select

from app.assessments import answers, review
from app.core.errors import Forbidden, Invalid, Refused
from app.extensions import db
from app.models import Assessment, AssessmentStatus, AuditEvent, Cycle, StageRating, User
from app.scoring.engine import RULES_VERSION
from tests.conftest import fill_required, post_form, sign_in
from tests.integration.test_review_workflow import rate_everything


def recommend_everything(assessment, lead) -> None:
    """Write a recommendation for every provision whose final rating is PC or NC."""
    from app.assessments import recommendations

    for ref in recommendations.needing(assessment):
        recommendations.recommend(assessment, ref, f"Bring {ref} into line.", None, lead)


def person(world, name) -> User:
    return db.session.get(User, world.persona(name).id)


def in_review(app, world, assessments, second: bool = False) -> None:
    """Fill XAA's assessment and put it in review (with the outsider as second reviewer)."""
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        if second:
            assessment.cycle.second_review = True
            review.assign_reviewers(
                assessment, world.reviewer.email, world.outsider.email, person(world, "coordinator")
            )
        answers.submit(assessment, person(world, "own"))
        review.perform(assessment, "start_review", person(world, "reviewer"))
        db.session.commit()


def test_the_lead_confirms_or_overrides_each_maturity_stage(app, world, assessments):
    from app.scoring.assessments import scorecard

    in_review(app, world, assessments)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world, "reviewer")
        derived = scorecard(assessment).areas["contact_point"].stage
        other = 3 if derived != 3 else 2

        def refused(stage, why, user=lead, area="contact_point"):
            with pytest.raises(Invalid) as invalid:
                review.rate_stages(assessment, [(area, stage, why)], user)
            return invalid.value.field, str(invalid.value.message)

        assert refused(other, None) == (
            "justification",
            f"Stage {other} differs from the derived stage {derived}: justify the override.",
        )
        assert refused(6, "x")[0] == "stage"
        assert refused("two", "x")[0] == "stage"
        assert refused(1, "x", area="nowhere")[0] == "area"
        with pytest.raises(Forbidden):
            review.rate_stages(assessment, [("contact_point", derived, None)], person(world, "own"))
        review.rate_stages(assessment, [("contact_point", derived, None)], lead)
        review.rate_stages(assessment, [("contact_point", other, "Tested twice; no reply.")], lead)
        current = review.current_stages(assessment)
        assert current[("contact_point", "final")].rating.stage == other
        assert current[("contact_point", "final")].rating.derived == derived
        rows = db.session.scalars(
            select(StageRating).where(StageRating.area == "contact_point")
        ).all()
        assert len(rows) == 4  # lead and final, twice: never overwritten
        # Finalising waits for every area.
        card = scorecard(assessment)
        review.rate(
            assessment,
            [(ref, r.rating if r.rating in review.GIVEN else "NC", "Checked.")
             for ref, r in card.provisions.items()],
            lead,
        )  # fmt: skip
        recommend_everything(assessment, lead)
        with pytest.raises(Refused) as waiting:
            review.perform(assessment, "finalise", lead)
        assert "Confirm the maturity stage of every capability area" in str(waiting.value.message)


def test_a_country_edit_makes_a_confirmed_stage_out_of_date(app, world, assessments):
    from app.scoring.assessments import rules_for

    in_review(app, world, assessments)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world, "reviewer")
        review.accept_derived(assessment, lead)
        assert review.unrated_stages(assessment) == []
        question = "cap.contact_point.status"
        area = next(
            a
            for a in rules_for(assessment.questionnaire_version).areas
            if any(question in indicator.questions for indicator in a.indicators)
        )
        assessment.status = AssessmentStatus.CLARIFICATION
        current = answers.state(assessment).answers.get(question)
        value = "none" if current is None or current.value != "none" else "designated"
        answers.save_answer(
            assessment, question, value, version=current.version if current else None,
            user=person(world, "own"),
        )  # fmt: skip
        assert area.id in review.unrated_stages(assessment)


def test_comments_on_elements_stay_with_the_reviewers(app, client, world, assessments):
    in_review(app, world, assessments, second=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead, second = person(world, "reviewer"), person(world, "outsider")
        with pytest.raises(Invalid) as invalid:
            review.comment(assessment, "budapest:2", "budapest:2.nowhere", "x", lead)
        assert invalid.value.field == "element"
        with pytest.raises(Invalid) as invalid:
            review.comment(assessment, "budapest:999", None, "x", lead)
        assert invalid.value.field == "provision"
        with pytest.raises(Invalid) as invalid:
            review.comment(assessment, "budapest:2", None, "   ", lead)
        assert invalid.value.field == "comment"
        with pytest.raises(Forbidden):
            review.comment(assessment, "budapest:2", None, "x", person(world, "own"))
        review.comment(
            assessment, "budapest:2", "budapest:2.intent", "Intent is read narrowly.", lead
        )
        review.comment(assessment, "budapest:2", None, "Second's own note.", second)
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "assessment.comment_added").limit(1)
        )
        assert event.summary["provision"] == "budapest:2"
        db.session.commit()
    url = f"/assessments/{assessments.own}/ratings"
    sign_in(client, world.outsider.email)
    page = client.get(url).get_data(as_text=True)
    assert "Second&#39;s own note." in page
    assert "Intent is read narrowly." not in page  # the lead's layer stays hidden
    post_form(client, "/auth/logout")
    sign_in(client, world.coordinator.email)
    page = client.get(url).get_data(as_text=True)
    assert "Intent is read narrowly." in page and "Second&#39;s own note." in page
    post_form(client, "/auth/logout")
    sign_in(client, world.own.email)
    assert client.get(url).status_code == 403  # not published: nothing for the country


def test_comment_through_the_page(app, client, world, assessments):
    in_review(app, world, assessments)
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}"
    done = post_form(
        client, f"{url}/comments",
        {"provision": "budapest:2", "element": "", "comment": "Look at the 2024 case law."},
        follow_redirects=True,
    )  # fmt: skip
    assert "Your comment is saved." in done.get_data(as_text=True)
    assert "Look at the 2024 case law." in done.get_data(as_text=True)
    empty = post_form(client, f"{url}/comments", {"provision": "budapest:2", "comment": " "},
                      follow_redirects=True)  # fmt: skip
    assert "Write a comment." in empty.get_data(as_text=True)


def test_each_provision_has_its_review_status(app, client, world, assessments):
    in_review(app, world, assessments)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world, "reviewer")

        def status(ref):
            current = review.current_ratings(assessment)
            return review.statuses(assessment, "lead", current, review.clarifications(assessment))[
                ref
            ]

        assert status("budapest:2") == review.NOT_REVIEWED
        rate_everything(assessment, lead)
        assert status("budapest:2") == review.ACCEPTED
        review.request_clarification(
            assessment, [review.Item("Is the 2026 bill in force?", None, "budapest:2")], lead
        )
        assert status("budapest:2") == review.REVISION_REQUESTED
        assert status("budapest:3") == review.ACCEPTED
        # The country amends an answer feeding Art. 2 and replies, then resubmits.
        own = person(world, "own")
        state = answers.state(assessment)
        intent = state.answers["sub.illegal_access.intent"]
        new = {"answer": "partly"} if intent.value != {"answer": "partly"} else {"answer": "yes"}
        answers.save_answer(assessment, "sub.illegal_access.intent", new,
                            version=intent.version, user=own)  # fmt: skip
        item = review.open_clarifications(assessment)[0]
        review.reply(assessment, item.id, "It entered into force on 1 March.", own)
        review.perform(assessment, "resubmit", own)
        review.perform(assessment, "start_review", lead)
        assert status("budapest:2") == review.REVISION_REQUESTED  # until the reviewer rates again
        db.session.commit()
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}/ratings"
    page = client.get(url + "?show=revision_requested").get_data(as_text=True)
    assert 'id="p-budapest-2"' in page and 'id="p-budapest-3"' not in page
    assert "Revision requested (1)" in page
    page = client.get(url + "?show=not_reviewed").get_data(as_text=True)
    assert 'id="p-budapest-2"' not in page
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        from app.scoring.assessments import scorecard

        derived = scorecard(assessment).provisions["budapest:2"].rating
        review.rate(
            assessment, [("budapest:2", derived, "Checked again.")], person(world, "reviewer")
        )
        db.session.commit()
    page = client.get(url + "?show=accepted").get_data(as_text=True)
    assert 'id="p-budapest-2"' in page


def test_a_question_about_a_provision_from_the_page(app, client, world, assessments):
    in_review(app, world, assessments)
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}/clarification"
    form = client.get(url + "?provision=budapest:16").get_data(as_text=True)
    assert '<option value="budapest:16" selected>' in form
    bad = post_form(client, url, {"text-0": "Which article?", "provision-0": "budapest:999"})
    assert bad.status_code == 422
    assert "No such provision in this assessment." in bad.get_data(as_text=True)
    post_form(
        client, url, {"text-0": "How long may data be preserved?", "provision-0": "budapest:16"}
    )
    post_form(client, "/auth/logout")
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}").get_data(as_text=True)
    assert "How long may data be preserved?" in page
    assert "Art. 16" in page  # the provision is named to the country


def test_two_reviewers_rate_independently_then_the_lead_settles(app, client, world, assessments):
    from app.scoring.assessments import scorecard

    in_review(app, world, assessments, second=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead, second = person(world, "reviewer"), person(world, "outsider")
        card = scorecard(assessment)
        refs = [ref for ref, r in card.provisions.items() if r.rating in ("C", "LC", "PC", "NC")]
        assert len(refs) >= 6
        rate_everything(assessment, lead)  # the lead's layer only: the cycle has two reviewers
        assert review.unrated(assessment, "final")
        # The second reviewer agrees on all but two, and leaves one unrated (implicit).
        differ, skipped = refs[:2], refs[2]
        scale = ["NC", "PC", "LC", "C"]
        ratings = []
        for ref in refs[3:] + differ:
            mine = card.provisions[ref].rating
            if ref in differ:
                mine = scale[(scale.index(mine) + 1) % 4]
            ratings.append((ref, mine, "Read the law again." if ref in differ else None))
        review.rate(assessment, ratings, second)
        pending = {pair.ref: pair for pair in review.disagreements(assessment)}
        assert set(differ) | {skipped} <= set(pending)
        assert pending[skipped].implicit
        # The agreement matches scikit-learn's quadratic-weighted kappa.
        result = review.agreement_of(assessment)
        first, other = review.layer_ratings(assessment)
        both = [ref for ref in first if ref in other and first[ref] != "NA" and other[ref] != "NA"]
        expected = cohen_kappa_score(
            [scale.index(first[r]) for r in both], [scale.index(other[r]) for r in both],
            weights="quadratic", labels=range(4),
        )  # fmt: skip
        assert result.compared == len(both)
        assert result.kappa == pytest.approx(expected)
        with pytest.raises(Forbidden):
            review.adjudicate(assessment, [(refs[0], "C", "x")], second)
        stored = review.accept_agreed(assessment, lead)
        assert stored == len(refs[3:])
        with pytest.raises(Refused) as refused:
            review.perform(assessment, "finalise", lead)
        assert "Settle the final rating of every provision" in str(refused.value.message)
        # Choosing the second reviewer's rating keeps their justification.
        review.adjudicate(
            assessment, [(differ[0], {r: m for r, m, _ in ratings}[differ[0]], None)], lead
        )
        final = review.current_ratings(assessment)[(differ[0], "final")].rating
        assert final.justification == "Read the law again."
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "assessment.provision_adjudicated")
            .order_by(AuditEvent.id.desc()).limit(1)
        )  # fmt: skip
        assert event.summary["lead"] == card.provisions[differ[0]].rating
        db.session.commit()

    # The second reviewer never sees the lead's ratings, nor settles.
    url = f"/assessments/{assessments.own}/adjudication"
    sign_in(client, world.outsider.email)
    assert client.get(url).status_code == 403
    post_form(client, "/auth/logout")
    sign_in(client, world.reviewer.email)
    page = client.get(url).get_data(as_text=True)
    assert "disagreements to settle" in page or "disagreement to settle" in page
    assert "rated by one reviewer only" in page
    assert "Quadratic-weighted Cohen" in page
    home = client.get("/").get_data(as_text=True)
    assert "Disagreements to settle" in home
    settled = post_form(client, url, {"provision": differ[1], "rating": "NA", "justification": ""},
                        follow_redirects=True)  # fmt: skip
    assert "Say why the provision does not apply." in settled.get_data(as_text=True)
    with app.app_context():
        left = [
            pair.ref for pair in review.disagreements(db.session.get(Assessment, assessments.own))
        ]
    for ref in left:
        post_form(
            client, url, {"provision": ref, "rating": "NC", "justification": "Settled: no law."}
        )
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert review.disagreements(assessment) == []
        assert "Disagreements to settle" not in client.get("/").get_data(as_text=True)
        cycle = db.session.get(Cycle, assessments.cycle_id)
        pooled, per_assessment = review.cycle_agreement(cycle)
        assert per_assessment[assessment.id].compared == pooled.compared


def test_the_lead_compares_only_after_rating_everything(app, client, world, assessments):
    in_review(app, world, assessments, second=True)
    sign_in(client, world.reviewer.email)
    page = client.get(f"/assessments/{assessments.own}/adjudication").get_data(as_text=True)
    assert "rate every provision yourself first" in page
    assert "Quadratic-weighted" not in page
    post_form(client, "/auth/logout")
    sign_in(client, world.coordinator.email)  # coordinators see both layers at any time
    page = client.get(f"/assessments/{assessments.own}/adjudication").get_data(as_text=True)
    assert "rate every provision yourself first" not in page


def test_the_adjudication_page_is_for_second_review_cycles_only(app, client, world, assessments):
    in_review(app, world, assessments)
    sign_in(client, world.reviewer.email)
    assert client.get(f"/assessments/{assessments.own}/adjudication").status_code == 403


def test_finalising_keeps_the_rules_version(app, world, assessments):
    in_review(app, world, assessments)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world, "reviewer")
        assert assessment.rules_version is None
        rate_everything(assessment, lead)
        recommend_everything(assessment, lead)
        review.perform(assessment, "finalise", lead)
        assert assessment.rules_version == RULES_VERSION
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "assessment.finalised")
        )
        assert event.summary["rules_version"] == RULES_VERSION


def test_a_cycle_can_ask_for_a_second_reviewer(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    page = client.get("/cycles/new").get_data(as_text=True)
    assert "Each assessment is rated by a second reviewer too" in page
    with app.app_context():
        from app.frameworks import store

        version = store.latest_questionnaires()[0].id
    response = post_form(
        client, "/cycles/new",
        {"name": "2029 round", "questionnaire_version": str(version), "deadline": "2099-06-30",
         "countries": ["XAA"], "second_review": "y"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Two reviewers per assessment" in response.get_data(as_text=True)
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2029 round"))
        assert cycle.second_review is True


def test_a_saved_or_refused_rating_opens_its_provision_with_the_message(
    app, client, world, assessments
):
    in_review(app, world, assessments)
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}/ratings"
    with app.app_context():
        from app.scoring.assessments import scorecard

        derived = scorecard(db.session.get(Assessment, assessments.own)).provisions["budapest:2"]
    other = "PC" if derived.rating != "PC" else "LC"
    refused = post_form(client, url, {"provision": "budapest:2", "rating": other})
    assert refused.headers["Location"].endswith("?open=budapest:2#p-budapest-2")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    opened = page[page.index('id="p-budapest-2"') :]
    assert opened.startswith('id="p-budapest-2" open>')
    assert "justify the override" in opened[: opened.index("</details>")]


def test_the_published_page_counts_the_final_ratings(app, client, world, assessments):
    in_review(app, world, assessments)
    with app.app_context():
        from app.scoring.assessments import scorecard

        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world, "reviewer")
        card = scorecard(assessment)
        rate_everything(assessment, lead)
        c_refs = [ref for ref, r in card.provisions.items() if r.rating == "C"]
        review.rate(assessment, [(ref, "NC", "Not in force.") for ref in c_refs], lead)
        recommend_everything(assessment, lead)
        review.perform(assessment, "finalise", lead)
        review.perform(assessment, "publish", person(world, "coordinator"))
        db.session.commit()
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}/ratings").get_data(as_text=True)
    assert "Final ratings" in page
    budapest = page[page.index('id="f-budapest"') :]
    counts = budapest[: budapest.index("</p>")]
    # Every Budapest provision the answers rated C is finally NC: no C is counted.
    assert 'rating-c">C</span> <span class="visually-hidden">Compliant</span> 0' in counts
    assert "Priority follow-up" in page


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_refused_in_every_review_text(app, world, assessments, character):
    """PostgreSQL refuses NUL in text, and no reader can see the others: each text naming its
    field is refused before anything is written."""
    in_review(app, world, assessments)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = person(world, "reviewer")
        bad = f"Read the law{character}again."
        attempts = {
            "justification": lambda: review.rate(assessment, [("budapest:2", "NA", bad)], lead),
            "comment": lambda: review.comment(assessment, "budapest:2", None, bad, lead),
            "items.0": lambda: review.request_clarification(assessment, [review.Item(bad)], lead),
        }
        for field, attempt in attempts.items():
            with pytest.raises(Invalid) as invalid:
                attempt()
            assert invalid.value.field == field
        with pytest.raises(Invalid) as invalid:
            review.rate_stages(assessment, [("contact_point", 5, bad)], lead)
        assert invalid.value.field == "justification"
        assert (
            review.current_ratings(assessment) == {} and review.comments(assessment, ["lead"]) == {}
        )


def test_each_provision_links_its_answers_history_and_the_evidence_beside_them(
    app, client, world, assessments
):
    from app.assessments import evidence
    from tests.conftest import PDF

    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        official = person(world, "own")
        question = "cap.contact_point.maturity_evidence"
        answer = answers.state(assessment).answers.get(question)
        file = evidence.add_evidence(
            assessment, PDF, "duty-roster.pdf", user=official, question_id=question,
            version=answer.version if answer else None,
        )  # fmt: skip
        download = f"/assessments/{assessments.own}/evidence/{file.public_id}"
        answers.submit(assessment, official)
        review.perform(assessment, "start_review", person(world, "reviewer"))
        db.session.commit()
    sign_in(client, world.reviewer.email)
    page = client.get(f"/assessments/{assessments.own}/ratings").get_data(as_text=True)

    def details(ref):
        part = page[page.index(f'id="p-{ref.replace(":", "-")}"') :]
        return part[: part.index("</details>")]

    assert f"/assessments/{assessments.own}/answers/sub.illegal_access.intent/history" in details(
        "budapest:2"
    )
    # The file is shown beside the capability area whose indicators are in its section, and
    # not beside provisions whose answers are elsewhere.
    maturity = page[page.index('id="maturity"') : page.index('id="f-budapest"')]
    contact_row = maturity[maturity.index("24/7 point of contact") :]
    contact_row = contact_row[: contact_row.index("</tr>")]
    assert download in contact_row and "duty-roster.pdf" in contact_row
    assert download not in details("budapest:2")
