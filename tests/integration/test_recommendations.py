"""Recommendations, GRECO style: every provision rated PC or NC carries one before the review is
finalised, written by the lead reviewer or taken from the library coordinators keep; the next
cycle's review judges each earlier one, and only the same country's."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.assessments import answers, cycles, recommendations, review
from app.core.errors import Forbidden, Invalid, NotFound, Refused
from app.core.permissions import Role
from app.extensions import db
from app.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Cycle,
    Recommendation,
    RecommendationTemplate,
    User,
)
from tests.conftest import (
    fill_required,
    make_user,
    open_cycle,
    post_form,
    recommend_where_needed,
    sign_in,
)

#: A provision the tests make non-compliant: the country says illegal access is no offence.
NC = "budapest:2"


def person(persona) -> User:
    return db.session.get(User, persona.id)


def rate_all(assessment: Assessment, reviewer: User) -> None:
    """Accept every derived rating and stage; rate what has none NC (with the reason)."""
    review.accept_derived(assessment, reviewer)
    left = review.unrated(assessment)
    if left:
        review.rate(assessment, [(ref, "NC", "Not answered.") for ref in left], reviewer)


def in_review(app, world, assessment_id: int, official_id: int, rate: bool = True) -> None:
    """Answer, submit and start the review; rate every provision (budapest:2 is NC)."""
    fill_required(app, assessment_id, official_id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        official = db.session.get(User, official_id)
        answer = answers.state(assessment).answers["sub.illegal_access.offence"]
        answers.save_answer(
            assessment, "sub.illegal_access.offence", {"answer": "no"},
            version=answer.version, user=official,
        )  # fmt: skip
        answers.submit(assessment, official)
        reviewer = person(world.reviewer)
        review.perform(assessment, "start_review", reviewer)
        if rate:
            rate_all(assessment, reviewer)
        db.session.commit()


def add_template(app, world, provision: str, text: str) -> int:
    with app.app_context():
        template = recommendations.add_template(provision, text, person(world.coordinator))
        db.session.commit()
        return template.id


def stored() -> list[Recommendation]:
    return list(db.session.scalars(select(Recommendation).order_by(Recommendation.id)))


def test_a_pc_or_nc_provision_needs_a_recommendation_before_finalising(
    app, client, world, assessments
):
    in_review(app, world, assessments.own, world.own.id)
    url = f"/assessments/{assessments.own}"
    sign_in(client, world.reviewer.email)
    overview = client.get(url).get_data(as_text=True)
    assert f'href="{url}/recommendations"' in overview
    page = client.get(f"{url}/recommendations").get_data(as_text=True)
    card = page[page.index('id="rec-budapest-2"') :]
    card = card[: card.index("</form>")]
    assert ">NC</span>" in card and "Budapest Art. 2" in card and "No recommendation yet" in card
    assert '<label class="form-label" for="text-budapest-2">Recommendation</label>' in card

    refused = post_form(client, f"{url}/review/finalise", follow_redirects=True)
    assert "Write a recommendation for every provision rated PC or NC before finalising" in (
        refused.get_data(as_text=True)
    )
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert assessment.status is AssessmentStatus.IN_REVIEW
        with pytest.raises(Refused) as problem:
            review.perform(assessment, "finalise", person(world.reviewer))
        assert problem.value.status == 409
        needing = recommendations.needing(assessment)
    assert NC in needing

    for ref in needing:
        response = post_form(client, f"{url}/recommendations", {
            "provision": ref, "text": f"Make {ref} an offence in the Criminal Code.",
        })  # fmt: skip
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(f"{url}/recommendations").get_data(as_text=True)
    assert "Make budapest:2 an offence in the Criminal Code." in page
    assert "No recommendation yet" not in page
    done = post_form(client, f"{url}/review/finalise", follow_redirects=True)
    assert "Finalise the review — done." in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assessment, assessments.own).status is AssessmentStatus.FINALISED
        event = db.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "assessment.recommendation_added")
            .order_by(AuditEvent.id)
            .limit(1)
        )
        assert event.actor_id == world.reviewer.id and event.object_id == str(assessments.own)
        assert event.summary["provision"] == needing[0]
        assert sorted(r.provision for r in stored()) == sorted(needing)


def test_picking_from_the_library_copies_the_text_and_keeps_the_template(
    app, client, world, assessments
):
    in_review(app, world, assessments.own, world.own.id)
    library_text = "Criminalise access to a computer system without right, as Article 2 asks."
    template_id = add_template(app, world, NC, library_text)
    add_template(app, world, "budapest:3", "Criminalise interception without right.")
    url = f"/assessments/{assessments.own}/recommendations"
    sign_in(client, world.reviewer.email)
    page = client.get(url).get_data(as_text=True)
    card = page[page.index('id="rec-budapest-2"') :]
    card = card[: card.index("</form>")]
    assert f'<option value="{template_id}" data-text="{library_text}">' in card
    assert "interception" not in card  # another provision's recommendation is not offered
    assert 'for="template-budapest-2">Take a recommendation from the library' in card

    # As it is: the text box left empty.
    response = post_form(client, url, {"provision": NC, "template": str(template_id), "text": ""})
    assert response.status_code == 302
    # Adapted to the country: the text given, the template kept.
    adapted = library_text + " Include attempts."
    post_form(client, url, {"provision": NC, "template": str(template_id), "text": adapted})
    with app.app_context():
        first, second = stored()
        assert (first.text, first.template_id) == (library_text, template_id)
        assert (second.text, second.template_id) == (adapted, template_id)
        # A later change to the library leaves recommendations made as they were.
        recommendations.update_template(
            template_id, "Something else entirely.", True, person(world.coordinator)
        )
        db.session.commit()
        assert db.session.get(Recommendation, first.id).text == library_text
    assert "From the library" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "   "}, "text", "Write the recommendation."),
        ({"text": "x" * 5001}, "text", "Keep the text under 5,000 characters."),
        ({"text": "Nul\x00byte"}, "text", "Remove the invisible control characters"),
        (
            {"provision": "budapest:999", "text": "Do it."},
            "provision",
            "No such provision in this assessment.",
        ),
        (
            {"template": "other", "text": ""},
            "template",
            "This library recommendation is for another provision.",
        ),
        (
            {"template": "999999", "text": ""},
            "template",
            "This recommendation is not in the library.",
        ),
        (
            {"template": "abc", "text": "Do it."},
            "template",
            "Choose a recommendation from the list.",
        ),
    ],
    ids=[
        "empty",
        "too-long",
        "control",
        "unknown-provision",
        "other-template",
        "no-template",
        "bad-id",
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    app, client, world, assessments, data, field, message
):
    in_review(app, world, assessments.own, world.own.id)
    other = add_template(app, world, "budapest:3", "Criminalise interception without right.")
    add_template(app, world, NC, "Criminalise illegal access.")  # so the select is shown
    data = {"provision": NC, **data}
    if data.get("template") == "other":
        data["template"] = str(other)
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}/recommendations"
    response = post_form(client, url, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    summary = page[page.index('id="error-summary"') :]
    assert message in summary[: summary.index("</div>")]
    if field != "provision":  # the message is repeated next to the field, with what was typed
        assert f'id="{field}-budapest-2-error"' in page
        assert re.search(rf'id="{field}-budapest-2-error"[^>]*>[^<]*{re.escape(message)}', page)
    if field == "text" and data["text"].strip() and "\x00" not in data["text"]:
        assert data["text"] in page
    with app.app_context():
        assert stored() == []
        assert not db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "assessment.recommendation_added"
            )
        )
        with pytest.raises(Invalid) as invalid:  # the service names the same field
            recommendations.recommend(
                db.session.get(Assessment, assessments.own),
                data["provision"],
                data.get("text"),
                data.get("template"),
                person(world.reviewer),
            )
        assert invalid.value.field == field


def test_only_the_lead_reviewer_writes_and_others_read(app, client, world, assessments):
    in_review(app, world, assessments.own, world.own.id)
    with app.app_context():
        second = make_user("sam@catf.example.org", Role.REVIEWER)
        assessment = db.session.get(Assessment, assessments.own)
        assessment.cycle.second_review = True
        assessment.second_reviewer_id = second.id
        written = recommendations.recommend(
            assessment, NC, "Criminalise illegal access.", None, person(world.reviewer)
        )
        db.session.commit()
        written_id = written.id
    url = f"/assessments/{assessments.own}/recommendations"
    data = {"provision": NC, "text": "Another recommendation."}

    def attempt(persona_email):
        visitor = app.test_client()
        sign_in(visitor, persona_email)
        return (
            visitor.get(url).status_code,
            post_form(visitor, url, data).status_code,
            post_form(visitor, f"{url}/{written_id}/withdraw").status_code,
            visitor,
        )

    # The country sees nothing before the results are published; another country never.
    assert attempt(world.own.email)[:3] == (403, 403, 403)
    assert attempt(world.other.email)[:3] == (404, 404, 404)
    assert attempt(world.outsider.email)[:3] == (404, 404, 404)
    # The second reviewer and the coordinator read, without a form.
    for email in ("sam@catf.example.org", world.coordinator.email):
        get, post, withdraw, visitor = attempt(email)
        assert (get, post, withdraw) == (200, 403, 403), email
        page = visitor.get(url).get_data(as_text=True)
        assert "Criminalise illegal access." in page
        assert 'name="text"' not in page and "Withdraw" not in page
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        for persona in (world.own, world.coordinator, world.outsider):
            with pytest.raises(Forbidden):
                recommendations.recommend(assessment, NC, "Nope.", None, person(persona))
        with pytest.raises(Forbidden):
            recommendations.recommend(
                assessment, NC, "Nope.", None, db.session.get(User, second.id)
            )
        assert [r.text for r in stored()] == ["Criminalise illegal access."]
        # Published: the country's officials read the recommendations, and still cannot write.
        assessment.status = AssessmentStatus.PUBLISHED
        db.session.commit()
    get, post, withdraw, visitor = attempt(world.own.email)
    assert (get, post, withdraw) == (200, 403, 403)
    assert "Criminalise illegal access." in visitor.get(url).get_data(as_text=True)


def test_the_lead_reviewer_withdraws_a_recommendation_while_in_review(
    app, client, world, assessments
):
    in_review(app, world, assessments.own, world.own.id)
    with app.app_context():
        lead = person(world.reviewer)
        item = recommendations.recommend(
            db.session.get(Assessment, assessments.own), NC, "Criminalise it.", None, lead
        )
        db.session.commit()
        item_id = item.id
        # XAB's assessment, in review too, with a recommendation of its own.
        other = db.session.get(Assessment, assessments.other)
        other.status = AssessmentStatus.IN_REVIEW
        other_recommendation = recommendations.recommend(other, NC, "Theirs.", None, lead).id
        db.session.commit()
    sign_in(client, world.reviewer.email)
    url = f"/assessments/{assessments.own}/recommendations"
    # Not this assessment's: no such recommendation here.
    assert post_form(client, f"{url}/{other_recommendation}/withdraw").status_code == 404
    response = post_form(client, f"{url}/{item_id}/withdraw", follow_redirects=True)
    assert "The recommendation is withdrawn." in response.get_data(as_text=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert db.session.get(Recommendation, item_id).withdrawn_at is not None
        assert db.session.get(Recommendation, other_recommendation).withdrawn_at is None
        assert NC not in recommendations.current(assessment)
        assert NC in recommendations.needing(assessment)  # it needs one again
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "assessment.recommendation_withdrawn")
        )
        assert event.summary["recommendation"] == item_id
        assert post_form(client, f"{url}/{item_id}/withdraw").status_code == 404  # once
        # Once finalised, recommendations stay as they are.
        again = recommendations.recommend(
            assessment, NC, "Criminalise it.", None, person(world.reviewer)
        )
        db.session.commit()
        again_id = again.id
        assessment.status = AssessmentStatus.FINALISED
        db.session.commit()
    refused = post_form(client, f"{url}/{again_id}/withdraw")
    assert refused.status_code == 409
    assert "Recommendations are withdrawn while the assessment is in review." in (
        refused.get_data(as_text=True)
    )
    refused = post_form(client, url, {"provision": NC, "text": "Late."})
    assert refused.status_code == 409
    assert "Recommendations are written while the assessment is in review." in (
        refused.get_data(as_text=True)
    )


def finish_first_cycle(app, world, assessments) -> dict[str, list[int]]:
    """Review both countries' assessments of the first cycle to the end, with recommendations;
    close the cycle. Return each country's recommendation ids."""
    in_review(app, world, assessments.own, world.own.id)
    in_review(app, world, assessments.other, world.other.id)
    ids = {}
    with app.app_context():
        reviewer, coordinator = person(world.reviewer), person(world.coordinator)
        for code, assessment_id in (("XAA", assessments.own), ("XAB", assessments.other)):
            assessment = db.session.get(Assessment, assessment_id)
            recommend_where_needed(assessment, reviewer)
            review.perform(assessment, "finalise", reviewer)
            ids[code] = [
                r.id for items in recommendations.current(assessment).values() for r in items
            ]
        review.perform(db.session.get(Assessment, assessments.own), "publish", coordinator)
        cycles.close_cycle(db.session.get(Cycle, assessments.cycle_id), coordinator)
        db.session.commit()
    return ids


def test_the_next_cycle_judges_the_earlier_recommendations(app, client, world, assessments):
    first = finish_first_cycle(app, world, assessments)
    assert first["XAA"] and first["XAB"]
    following = open_cycle(app, world, name="2029 round")
    with app.app_context():
        assessment = db.session.get(Assessment, following.own)
        assessment.status = AssessmentStatus.IN_REVIEW
        rate_all(assessment, person(world.reviewer))
        for ref in recommendations.needing(assessment):  # this cycle's own recommendations
            recommendations.recommend(assessment, ref, "Keep going.", None, person(world.reviewer))
        db.session.commit()
        earlier = recommendations.earlier(assessment)
        assert [r.id for r in earlier] == first["XAA"]  # its own country's, never XAB's
        assert recommendations.previous(assessment).id == assessments.own
        texts = {r.id: r.text for r in earlier}
    url = f"/assessments/{following.own}"
    sign_in(client, world.reviewer.email)
    page = client.get(f"{url}/recommendations").get_data(as_text=True)
    section = page[page.index('id="earlier"') :]
    assert "Recommendations of the previous cycle" in section and "2027 round" in section
    first_id = first["XAA"][0]
    card = section[section.index(f'id="earlier-{first_id}"') :]
    card = card[: card.index("</form>")]
    assert texts[first_id] in card and "Not judged yet" in card
    for value, label in (
        ("implemented", "Implemented satisfactorily"),
        ("partly", "Partly implemented"),
        ("not", "Not implemented"),
    ):
        assert f'id="judgement-{first_id}-{value}" value="{value}">' in card
        assert (
            f'<label class="form-check-label" for="judgement-{first_id}-{value}">{label}</label>'
            in card
        )

    refused = post_form(client, f"{url}/review/finalise", follow_redirects=True)
    assert "Judge every recommendation of the previous cycle before finalising: " in (
        refused.get_data(as_text=True)
    )
    # Another country's recommendation cannot be judged through this assessment.
    stranger = first["XAB"][0]
    assert post_form(client, f"{url}/recommendations/{stranger}/judgement", {
        "judgement": "implemented"}).status_code == 404  # fmt: skip
    # No judgement chosen: said next to the choices; nothing saved.
    response = post_form(client, f"{url}/recommendations/{first_id}/judgement", {
        "comment": "The bill is in Parliament."})  # fmt: skip
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert f'id="judgement-{first_id}-error"' in text
    assert "Choose implemented satisfactorily, partly implemented or not implemented." in text
    assert "The bill is in Parliament." in text  # what was typed stays
    # Judged, then judged again: the latest counts, the trail keeps both.
    for judgement in ("not", "partly"):
        response = post_form(client, f"{url}/recommendations/{first_id}/judgement", {
            "judgement": judgement, "comment": "The bill is in Parliament."})  # fmt: skip
        assert response.status_code == 302
    with app.app_context():
        item = db.session.get(Recommendation, first_id)
        assert (item.follow_up, item.follow_up_comment) == ("partly", "The bill is in Parliament.")
        assert (item.followed_up_in_id, item.followed_up_by_id) == (
            following.own,
            world.reviewer.id,
        )
        assert db.session.get(Recommendation, stranger).follow_up is None
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "assessment.recommendation_judged")
            .order_by(AuditEvent.id)
        ).all()
        assert [e.summary["after"]["follow_up"] for e in events] == ["not", "partly"]
        assert events[1].summary["before"]["follow_up"] == "not"
        assessment = db.session.get(Assessment, following.own)
        with pytest.raises(NotFound):
            recommendations.judge(assessment, stranger, "implemented", None, person(world.reviewer))
        with pytest.raises(Forbidden):
            recommendations.judge(
                assessment, first_id, "implemented", None, person(world.coordinator)
            )
    page = client.get(f"{url}/recommendations").get_data(as_text=True)
    card = page[page.index(f'id="earlier-{first_id}"') :]
    assert "Partly implemented</span>" in card[: card.index("</form>")]
    assert f'id="judgement-{first_id}-partly" value="partly" checked>' in card

    # Every earlier recommendation judged: the review can be finalised.
    for other_id in first["XAA"][1:]:
        post_form(
            client, f"{url}/recommendations/{other_id}/judgement", {"judgement": "implemented"}
        )
    done = post_form(client, f"{url}/review/finalise", follow_redirects=True)
    assert "Finalise the review — done." in done.get_data(as_text=True)


def test_library_is_kept_by_coordinators(app, client, world, loaded_library):
    for email in (world.reviewer.email, world.own.email):
        visitor = app.test_client()
        sign_in(visitor, email)
        assert 'href="/recommendations"' not in visitor.get("/").get_data(as_text=True)
        assert visitor.get("/recommendations").status_code == 403
        assert post_form(visitor, "/recommendations/new", {
            "provision": NC, "text": "Criminalise it."}).status_code == 403  # fmt: skip
    with app.app_context(), pytest.raises(Forbidden):
        recommendations.add_template(NC, "Criminalise it.", person(world.reviewer))
    sign_in(client, world.coordinator.email)
    assert 'href="/recommendations"' in client.get("/").get_data(as_text=True)  # from home
    form = client.get("/recommendations/new?provision=budapest:2").get_data(as_text=True)
    assert '<option selected value="budapest:2">Budapest Art. 2' in form

    for data, field, message in (
        ({"provision": NC, "text": "  "}, "text", "Write the recommendation."),
        ({"provision": NC, "text": "y" * 5001}, "text", "Keep the text under 5,000 characters."),
        (
            {"provision": "budapest:999", "text": "Do it."},
            "provision",
            "Choose a provision of the frameworks.",
        ),
        ({"provision": "", "text": "Do it."}, "provision", "Choose a provision of the frameworks."),
    ):
        response = post_form(client, "/recommendations/new", data)
        assert response.status_code == 422, data
        page = response.get_data(as_text=True)
        assert f'<div id="{field}-error" class="invalid-feedback d-block">{message}' in page
        assert f'<a href="#{field}" class="alert-link">' in page
    text = "Criminalise access to a computer system without right."
    added = post_form(client, "/recommendations/new", {"provision": NC, "text": text})
    assert added.status_code == 302
    again = post_form(client, "/recommendations/new", {"provision": NC, "text": text})
    assert "The library already holds this recommendation for this provision." in (
        again.get_data(as_text=True)
    )
    post_form(client, "/recommendations/new", {"provision": "budapest:3", "text": "Intercept."})
    listing = client.get("/recommendations").get_data(as_text=True)
    assert text in listing and "Intercept." in listing and "2 recommendations" in listing
    only = client.get("/recommendations?provision=budapest:2").get_data(as_text=True)
    assert text in only and "Intercept." not in only
    with app.app_context():
        template = db.session.scalar(
            select(RecommendationTemplate).where(RecommendationTemplate.provision == NC)
        )
        template_id = template.id
        assert template.created_by_id == world.coordinator.id and template.active
    edit = f"/recommendations/{template_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert text in page and "Budapest Art. 2" in page
    assert post_form(client, edit, {"text": ""}).status_code == 422
    changed = post_form(client, edit, {"text": text + " Attempts too."})  # unticked: taken out
    assert changed.status_code == 302
    with app.app_context():
        template = db.session.get(RecommendationTemplate, template_id)
        assert (template.text, template.active) == (text + " Attempts too.", False)
        assert recommendations.templates(NC) == []
        assert len(recommendations.templates(NC, active_only=False)) == 1
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "recommendation_templates")
        ).all()
        assert sorted(actions) == [
            "recommendation_template.added",
            "recommendation_template.added",
            "recommendation_template.changed",
        ]
    assert "Taken out" in client.get("/recommendations").get_data(as_text=True)
    assert client.get("/recommendations/999999/edit").status_code == 404
