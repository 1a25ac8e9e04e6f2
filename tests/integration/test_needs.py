"""Capacity-building needs: found when a review is finalised (PC / NC on mandatory provisions,
maturity areas below the cycle's target), never twice; met by a better rating in the next cycle;
followed by the country (requested assistance, priorities) and the coordinators (the register,
closing, declining); the pages and the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.assessments import answers, cycles, review
from app.capacity import needs
from app.core.errors import Forbidden, Invalid, Refused
from app.extensions import db
from app.models import (
    Assessment,
    AssistanceRequest,
    AuditEvent,
    Cycle,
    Need,
    NeedStatus,
    Recommendation,
    User,
)
from tests.conftest import (
    fill_required,
    open_cycle,
    post_form,
    recommend_where_needed,
    sign_in,
    sign_in_session,
)

#: The final ratings the tests give, beside C everywhere else: two mandatory provisions fail,
#: and an optional one (spontaneous information, "may") that never counts as a failure.
FAILING = {"budapest:16": "PC", "budapest:17": "NC", "budapest:26": "NC"}
#: The area the tests set a target above the stage reached.
SHORT_AREA = "contact_point"


def person(persona) -> User:
    return db.session.get(User, persona.id)


def finalise_with(
    app,
    world,
    assessment_id: int,
    ratings: dict[str, str],
    *,
    stages: dict[str, int] | None = None,
    targets: dict[str, int] | None = None,
    publish: bool = False,
    official=None,
) -> None:
    """Answer, submit and review the assessment: every provision C but ``ratings``, every
    derived stage confirmed but ``stages``; set the cycle's maturity ``targets``; write the
    recommendations and finalise (and publish)."""
    from app.scoring.assessments import scorecard

    official = official or world.own
    fill_required(app, assessment_id, official.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        reviewer = person(world.reviewer)
        if assessment.status.value == "draft":
            answers.submit(assessment, person(official))
        review.perform(assessment, "start_review", reviewer)
        card = scorecard(assessment)
        given = []
        for ref, result in card.provisions.items():
            rating = ratings.get(ref, "C")
            why = None if rating == result.rating else f"The test rates it {rating}."
            given.append((ref, rating, why))
        review.rate(assessment, given, reviewer, card=card)
        confirmed = []
        for area, result in card.areas.items():
            stage = (stages or {}).get(area, result.stage)
            why = None if stage == result.stage else "The test sets it."
            confirmed.append((area, stage, why))
        review.rate_stages(assessment, confirmed, reviewer, card=card)
        assessment.cycle.maturity_targets = dict(targets or {})
        recommend_where_needed(assessment, reviewer)
        review.perform(assessment, "finalise", reviewer)
        if publish:
            review.perform(assessment, "publish", person(world.coordinator))
        db.session.commit()


def needs_of(assessment_id: int) -> dict[tuple[str, str], Need]:
    return {
        (need.kind, need.ref): need
        for need in db.session.scalars(select(Need).where(Need.assessment_id == assessment_id))
    }


def test_finalising_a_review_creates_exactly_the_expected_needs(app, world, assessments):
    finalise_with(
        app, world, assessments.own, FAILING, stages={SHORT_AREA: 1}, targets={SHORT_AREA: 3}
    )
    with app.app_context():
        found = needs_of(assessments.own)
        assert set(found) == {
            ("provision", "budapest:16"),
            ("provision", "budapest:17"),
            ("area", SHORT_AREA),
        }  # budapest:26 is optional: never a failure, never a need
        preservation = found[("provision", "budapest:16")]
        assert preservation.found == "PC" and preservation.status is NeedStatus.IDENTIFIED
        assert preservation.country.code == "XAA"
        assert preservation.assistance  # the framework file's suggestions
        recommendation = db.session.get(Recommendation, preservation.recommendation_id)
        assert recommendation.text == "Bring the law in line with budapest:16."
        assert found[("provision", "budapest:17")].found == "NC"
        area = found[("area", SHORT_AREA)]
        assert (area.found, area.target_stage) == ("1", 3)
        assert area.recommendation_id is None
        events = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "needs")
        ).all()
        assert events.count("need.identified") == 3


def test_finalising_again_after_a_reopen_does_not_duplicate(app, world, assessments):
    finalise_with(
        app, world, assessments.own, FAILING, stages={SHORT_AREA: 1}, targets={SHORT_AREA: 3}
    )
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        coordinator, reviewer = person(world.coordinator), person(world.reviewer)
        review.perform(assessment, "reopen", coordinator, reason="The law changed.")
        # The preservation order is now fully in place; the production order fails worse.
        review.rate(
            assessment,
            [("budapest:16", "C", "The law changed."), ("budapest:18", "PC", "Not for all data.")],
            reviewer,
        )
        recommend_where_needed(assessment, reviewer)
        review.perform(assessment, "finalise", reviewer)
        review.perform(assessment, "reopen", coordinator, reason="Once more.")
        review.perform(assessment, "finalise", reviewer)
        db.session.commit()
        found = needs_of(assessments.own)
        assert set(found) == {
            ("provision", "budapest:16"),
            ("provision", "budapest:17"),
            ("provision", "budapest:18"),
            ("area", SHORT_AREA),
        }
        assert db.session.scalar(select(func.count(Need.id))) == 4
        met = found[("provision", "budapest:16")]
        assert met.status is NeedStatus.CLOSED and met.closed_reason == "improved"
        assert found[("provision", "budapest:18")].status is NeedStatus.IDENTIFIED
        # And back: the preservation order fails again, its need comes back.
        review.perform(assessment, "reopen", coordinator, reason="The court struck it down.")
        review.rate(assessment, [("budapest:16", "NC", "Struck down.")], reviewer)
        recommend_where_needed(assessment, reviewer)
        review.perform(assessment, "finalise", reviewer)
        db.session.commit()
        again = needs_of(assessments.own)[("provision", "budapest:16")]
        assert again.id == met.id
        assert again.status is NeedStatus.IDENTIFIED and again.found == "NC"
        assert again.closed_reason is None


# --- The next cycle ------------------------------------------------------------------------------


def test_a_better_rating_in_the_next_cycle_closes_the_need_and_shows_the_effect(
    app, world, assessments
):
    finalise_with(
        app, world, assessments.own, FAILING, stages={SHORT_AREA: 1}, targets={SHORT_AREA: 3},
        publish=True,
    )  # fmt: skip
    with app.app_context():
        first = needs_of(assessments.own)
        assert needs.effects(list(first.values())) == {}  # no later review yet
        assert needs.effect(first[("provision", "budapest:16")]) is None
        cycles.close_cycle(db.session.get(Cycle, assessments.cycle_id), person(world.coordinator))
        db.session.commit()
    later = open_cycle(app, world, "2029 round", countries=("XAA",))
    # Preservation now largely in place, traffic data still NC, production orders worse (C→PC
    # is no need of the first review); the contact point reaches the target stage.
    finalise_with(
        app, world, later.own, {"budapest:16": "LC", "budapest:17": "NC"},
        stages={SHORT_AREA: 3}, targets={},
    )  # fmt: skip
    with app.app_context():
        first = needs_of(assessments.own)
        met = first[("provision", "budapest:16")]
        assert met.status is NeedStatus.CLOSED and met.closed_reason == "improved"
        assert first[("area", SHORT_AREA)].status is NeedStatus.CLOSED
        still = first[("provision", "budapest:17")]
        assert still.status is NeedStatus.IDENTIFIED
        found = needs.effects(list(first.values()))
        assert found[met.id] == needs.Effect("PC", "LC", "improved", "2029 round")
        assert found[still.id] == needs.Effect("NC", "NC", "unchanged", "2029 round")
        assert found[first[("area", SHORT_AREA)].id].direction == "improved"
        assert needs.effect(met) == "improved"
        # The later review finds its own need for traffic data; nothing later rates it yet.
        again = needs_of(later.own)
        assert set(again) == {("provision", "budapest:17")}
        assert needs.effect(again[("provision", "budapest:17")]) is None
        # The country reads only published reviews' effects: the 2029 one is finalised only.
        assert needs.effects(list(first.values()), published_only=True) == {}
        closed = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "need.closed_by_review", AuditEvent.object_id == str(met.id)
            )
        )
        assert closed.summary["reason"] == "improved" and closed.summary["now"] == "LC"


def test_a_later_review_under_way_shows_a_provisional_effect_to_the_staff(app, world, assessments):
    """While the next review is in progress, its final ratings so far show the effect, marked
    provisional; the country reads nothing until a later review is published, and an activity's
    tally counts it as not yet reviewed."""
    from app.capacity import activities
    from app.scoring.assessments import scorecard

    finalise_with(app, world, assessments.own, FAILING, publish=True)
    with app.app_context():
        cycles.close_cycle(db.session.get(Cycle, assessments.cycle_id), person(world.coordinator))
        db.session.commit()
    later = open_cycle(app, world, "2029 round", countries=("XAA",))
    fill_required(app, later.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, later.own)
        reviewer = person(world.reviewer)
        answers.submit(assessment, person(world.own))
        review.perform(assessment, "start_review", reviewer)
        derived = scorecard(assessment).provisions["budapest:16"].rating
        review.rate(assessment, [("budapest:16", "C", None if derived == "C" else "In law now.")],
                    reviewer)  # fmt: skip
        db.session.commit()
        met = needs_of(assessments.own)[("provision", "budapest:16")]
        found = needs.effects([met])
        assert found[met.id] == needs.Effect("PC", "C", "improved", "2029 round", True)
        assert met.status is not NeedStatus.CLOSED  # closed only when that review is finalised
        assert needs.effects([met], published_only=True) == {}
        assert activities._tally([met], found)["not_reviewed"] == 1


def test_the_effects_of_many_needs_cost_a_fixed_number_of_queries(app, world, assessments):
    from tests.conftest import count_statements

    with app.app_context():
        for index in range(30):
            db.session.add(
                Need(
                    country_id=db.session.get(Assessment, assessments.own).country_id,
                    assessment_id=assessments.own, kind="provision", ref=f"budapest:{index}",
                    found="NC",
                )
            )  # fmt: skip
        db.session.commit()
        some = list(db.session.scalars(select(Need).limit(2)))
        every = list(db.session.scalars(select(Need)))
    with app.app_context():
        few = count_statements(app, lambda: needs.effects(some))
    with app.app_context():
        many = count_statements(app, lambda: needs.effects(every))
    assert len(few) == len(many) <= 3


# --- The country's steps, and bad input -----------------------------------------------------------


@pytest.fixture
def need_id(app, world, assessments) -> int:
    """A need of XAA (budapest:16, PC) found in a published review."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = assessment.status.__class__.PUBLISHED
        need = Need(
            country_id=assessment.country_id, assessment_id=assessment.id, kind="provision",
            ref="budapest:16", found="PC", assistance=["legislative_drafting", "training"],
        )  # fmt: skip
        db.session.add(need)
        db.session.commit()
        return need.id


GOOD = {
    "type": "training",
    "target_institution": "Cybercrime unit of the prosecution service",
    "priority": "1",
    "description": "A course on preservation orders for 20 prosecutors.",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "0"}, "priority"),
        ({"priority": "6"}, "priority"),
        ({"priority": "x"}, "priority"),
        ({"type": "holiday"}, "type"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"target_institution": ""}, "target_institution"),
        ({"target_institution": "x" * 201}, "target_institution"),
        ({"target_institution": "Unit\x00"}, "target_institution"),
        ({"description": "Help\x07 us"}, "description"),
    ],
)
def test_a_bad_request_for_assistance_names_the_field_and_saves_nothing(
    app, world, need_id, change, field
):
    with app.app_context():
        need = db.session.get(Need, need_id)
        values = {**GOOD, **change}
        with pytest.raises(Invalid) as invalid:
            needs.request_assistance(
                need, values["type"], values["target_institution"], values["priority"],
                values["description"], person(world.own),
            )  # fmt: skip
        assert invalid.value.field == field
        db.session.rollback()
        assert db.session.scalar(select(func.count(AssistanceRequest.id))) == 0
        assert db.session.get(Need, need_id).status is NeedStatus.IDENTIFIED


def test_requesting_assistance_and_setting_the_priority(app, world, need_id):
    with app.app_context():
        need = db.session.get(Need, need_id)
        with pytest.raises(Forbidden):  # another country's official, the staff
            needs.request_assistance(need, *GOOD.values(), person(world.other))
        with pytest.raises(Forbidden):
            needs.request_assistance(need, *GOOD.values(), person(world.coordinator))
        item = needs.request_assistance(need, *GOOD.values(), person(world.own))
        db.session.commit()
        assert item.priority == 1 and item.created_by_id == world.own.id
        assert need.status is NeedStatus.REQUESTED and need.priority == 1
        version = need.version
        needs.set_priority(need, "3", person(world.own), version)
        db.session.commit()
        assert need.priority == 3 and need.version == version + 1
        with pytest.raises(Refused) as stale:  # a colleague's page from before the change
            needs.set_priority(need, 2, person(world.own), version)
        assert stale.value.field == "version" and stale.value.status == 409
        db.session.rollback()
        for bad in (0, 6, "x", None):
            with pytest.raises(Invalid) as invalid:
                needs.set_priority(need, bad, person(world.own), need.version)
            assert invalid.value.field == "priority"
        assert db.session.get(Need, need_id).priority == 3
        actions = [
            event.action
            for event in db.session.scalars(
                select(AuditEvent).where(AuditEvent.object_type == "needs").order_by(AuditEvent.id)
            )
        ]
        assert actions == ["need.assistance_requested", "need.requested", "need.priority_changed"]


def test_declining_closing_and_reopening(app, world, need_id):
    with app.app_context():
        need = db.session.get(Need, need_id)
        with pytest.raises(Invalid) as invalid:
            needs.decline(need, "  ", person(world.own))
        assert invalid.value.field == "reason"
        with pytest.raises(Forbidden):
            needs.close(need, "Met by the 2026 law.", person(world.own))
        with pytest.raises(Forbidden):
            needs.decline(need, "Not ours.", person(world.reviewer))
        needs.decline(need, "The 2026 law already answers it.", person(world.own))
        assert need.status is NeedStatus.DECLINED
        assert need.declined_reason == "The 2026 law already answers it."
        with pytest.raises(Refused):  # declined: nothing more to request
            needs.request_assistance(need, *GOOD.values(), person(world.own))
        with pytest.raises(Refused):
            needs.close(need, "Met.", person(world.coordinator))
        needs.reopen(need, person(world.coordinator))
        assert need.status is NeedStatus.IDENTIFIED and need.declined_reason is None
        with pytest.raises(Refused):
            needs.reopen(need, person(world.coordinator))
        needs.close(need, "Met by the regional programme.", person(world.coordinator))
        assert (need.status, need.closed_reason) == (
            NeedStatus.CLOSED,
            "Met by the regional programme.",
        )


# --- The pages ------------------------------------------------------------------------------------


def test_the_country_page_takes_a_request_for_assistance(app, client, world, need_id):
    sign_in(client, world.own.email)
    page = client.get("/countries/XAA/needs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Capacity-building needs" in html and "Bring" not in html
    assert f'id="assistance-type-{need_id}"' in html
    assert f'for="assistance-description-{need_id}"' in html  # every field labelled
    bad = post_form(
        client, f"/needs/{need_id}/assistance", {**GOOD, "priority": "6", "description": "Kept"}
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "There is a problem" in html
    assert f'href="#assistance-priority-{need_id}"' in html  # the summary links to the field
    assert f'id="assistance-priority-{need_id}-error"' in html  # the message beside it
    assert ">Kept</textarea>" in html  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count(AssistanceRequest.id))) == 0
    done = post_form(client, f"/needs/{need_id}/assistance", GOOD)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#need-{need_id}")
    html = client.get("/countries/XAA/needs").get_data(as_text=True)
    assert "Cybercrime unit of the prosecution service" in html
    assert "Assistance requested" in html
    with app.app_context():
        assert db.session.get(Need, need_id).status is NeedStatus.REQUESTED
    stale = post_form(client, f"/needs/{need_id}/priority", {"priority": "2", "version": "1"})
    assert stale.status_code == 409
    assert f'id="priority-version-{need_id}"' in stale.get_data(as_text=True)
    with app.app_context():
        version = db.session.get(Need, need_id).version
    saved = post_form(
        client, f"/needs/{need_id}/priority", {"priority": "2", "version": str(version)}
    )
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Need, need_id).priority == 2


def test_another_countrys_need_is_not_found(app, client, world, need_id):
    sign_in(client, world.other.email)
    assert client.get("/countries/XAA/needs").status_code == 404
    assert client.get(f"/needs/{need_id}").status_code == 404
    assert post_form(client, f"/needs/{need_id}/assistance", GOOD).status_code == 404
    assert client.get("/countries/XAB/needs").status_code == 200
    assert "No need has been found yet" in client.get("/countries/XAB/needs").get_data(as_text=True)


def test_officials_see_needs_only_once_the_review_is_published(app, client, world, need_id):
    with app.app_context():
        need = db.session.get(Need, need_id)
        db.session.get(Assessment, need.assessment_id).status = db.session.get(
            Assessment, need.assessment_id
        ).status.__class__.FINALISED
        db.session.commit()
    sign_in(client, world.own.email)
    assert client.get(f"/needs/{need_id}").status_code == 404
    assert f"need-{need_id}" not in client.get("/countries/XAA/needs").get_data(as_text=True)


def test_the_official_home_and_the_country_page_link_the_needs(app, client, world, need_id):
    sign_in(client, world.own.email)
    assert 'href="/countries/XAA/needs"' in client.get("/").get_data(as_text=True)
    assert 'href="/countries/XAA/needs"' in client.get("/countries/XAA").get_data(as_text=True)


def test_a_coordinator_closes_and_reopens_on_the_need_page(app, client, world, need_id):
    sign_in(client, world.coordinator.email)
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "Close the need" in page and "Re-open the need" not in page
    empty = post_form(client, f"/needs/{need_id}/close", {"back": "need", "reason": " "})
    assert empty.status_code == 422
    assert f'id="close-reason-{need_id}-error"' in empty.get_data(as_text=True)
    done = post_form(client, f"/needs/{need_id}/close", {"back": "need", "reason": "Met."})
    assert done.status_code == 302 and done.headers["Location"] == f"/needs/{need_id}"
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "Re-open the need" in page and "need.closed" in page  # the history
    assert post_form(client, f"/needs/{need_id}/reopen", {"back": "need"}).status_code == 302
    with app.app_context():
        assert db.session.get(Need, need_id).status is NeedStatus.IDENTIFIED


# --- The register ---------------------------------------------------------------------------------


def _needs_for_the_register(app, assessments) -> None:
    """Four needs: XAA's budapest:16 (requested, training, priority 1), budapest:17 (identified),
    its contact_point area; XAB's budapest:16 (closed)."""
    with app.app_context():
        own = db.session.get(Assessment, assessments.own)
        other = db.session.get(Assessment, assessments.other)
        other.country.region = "002"
        rows = [
            Need(country_id=own.country_id, assessment_id=own.id, kind="provision",
                 ref="budapest:16", found="PC", assistance=["training"], priority=1,
                 status=NeedStatus.REQUESTED),
            Need(country_id=own.country_id, assessment_id=own.id, kind="provision",
                 ref="budapest:17", found="NC", assistance=["legislative_drafting"]),
            Need(country_id=own.country_id, assessment_id=own.id, kind="area",
                 ref="contact_point", found="1", target_stage=3, assistance=[]),
            Need(country_id=other.country_id, assessment_id=other.id, kind="provision",
                 ref="budapest:16", found="NC", assistance=["training"],
                 status=NeedStatus.CLOSED),
        ]  # fmt: skip
        db.session.add_all(rows)
        db.session.flush()
        db.session.add(
            AssistanceRequest(
                need_id=rows[1].id, type="study_visit", target_institution="Ministry",
                priority=2, description="A visit.",
            )
        )  # fmt: skip
        db.session.commit()


def _shown(html: str) -> int:
    return len(re.findall(r'<tr data-need="\d+">', html))


def test_the_register_filters_in_the_url_and_counts(app, client, world, assessments):
    _needs_for_the_register(app, assessments)
    sign_in(client, world.coordinator.email)

    def get(query: str) -> str:
        response = client.get(f"/needs{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    every = get("")
    assert _shown(every) == 4 and "4 needs" in every
    assert '<span data-count="requested">1</span>' in every
    assert '<span data-count="closed">1</span>' in every
    assert '<span data-type-count="training">2</span>' in every
    assert '<span data-type-count="study_visit">1</span>' in every
    assert _shown(get("?country=XAA")) == 3
    assert _shown(get("?region=002")) == 1
    assert _shown(get("?status=open")) == 3
    assert _shown(get("?status=requested&country=XAA")) == 1
    assert _shown(get("?type=training")) == 2
    assert _shown(get("?type=study_visit")) == 1  # requested, not suggested
    assert _shown(get("?framework=budapest")) == 3
    assert _shown(get("?provision=budapest:16")) == 2
    assert _shown(get("?kind=area")) == 1
    assert _shown(get("?priority=1")) == 1
    assert _shown(get(f"?cycle={assessments.cycle_id}")) == 4
    filtered = get("?type=training&country=XAA")
    assert _shown(filtered) == 1 and "1 need" in filtered
    assert '<option value="XAA" selected>' in filtered  # the filters survive the reload
    bad = get("?priority=9&country=XAA")
    assert "There is a problem" in bad and 'id="filter-priority-error"' in bad
    assert _shown(bad) == 3  # the bad filter is left out, the others kept
    sign_in_session(client, world.reviewer)
    assert _shown(get("")) == 4 and "Close the need" not in get("")
    sign_in_session(client, world.own)
    assert client.get("/needs").status_code == 403


def test_the_register_pages_by_fifty(app, client, world, assessments):
    with app.app_context():
        own = db.session.get(Assessment, assessments.own)
        db.session.add_all(
            Need(country_id=own.country_id, assessment_id=own.id, kind="provision",
                 ref=f"budapest:{index}", found="NC", assistance=[])
            for index in range(55)
        )  # fmt: skip
        db.session.commit()
    sign_in(client, world.coordinator.email)
    first = client.get("/needs?country=XAA").get_data(as_text=True)
    assert _shown(first) == 50 and "55 needs" in first
    assert "/needs?page=2&amp;country=XAA" in first or "/needs?country=XAA&amp;page=2" in first
    assert _shown(client.get("/needs?country=XAA&page=2").get_data(as_text=True)) == 5


# --- The cycle's maturity targets ---------------------------------------------------------------


def test_the_cycle_form_sets_the_maturity_targets(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    page = client.get("/cycles/new").get_data(as_text=True)
    assert "Target maturity stage of each capability area" in page
    assert 'for="target_0"' in page  # labelled: the area's title
    with app.app_context():
        from app.frameworks import store

        version = store.latest_questionnaires()[0]
    data = {
        "name": "2031 round", "questionnaire_version": str(version.id),
        "deadline": "2031-06-30", "countries": ["XAA"], "carry_over": "y",
        "target_0": "3", "target_1": "0", "target_2": "5",
    }  # fmt: skip
    assert post_form(client, "/cycles/new", data).status_code == 302
    with app.app_context():
        from app.assessments.answers import runtime

        areas = [a.id for a in runtime(version).questionnaire.maturity_areas]
        cycle = db.session.scalar(select(Cycle).where(Cycle.name == "2031 round"))
        assert cycle.maturity_targets == {areas[0]: 3, areas[2]: 5}
        cycle_id = cycle.id
    edit = client.get(f"/cycles/{cycle_id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="3">|<option value="3" selected>', edit)
    bad = post_form(client, "/cycles/new", {**data, "name": "2033 round", "target_0": "9"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        countries = list(cycle.countries)
        for targets in ({"nowhere": 2}, {areas[0]: 6}, {areas[0]: "3"}):
            with pytest.raises(Invalid) as invalid:
                cycles.create_cycle(
                    "2035 round", version, cycle.deadline, countries, carry_over=False,
                    user=person(world.coordinator), maturity_targets=targets,
                )  # fmt: skip
            assert invalid.value.field == "maturity_targets"


# --- The API ------------------------------------------------------------------------------------


def _token(app, persona) -> str:
    from app.api import auth

    with app.app_context():
        _token_row, secret = auth.issue(db.session.get(User, persona.id), "tests")
        db.session.commit()
        return secret


def test_the_api_lists_needs_by_the_registers_filters(app, client, world, assessments):
    _needs_for_the_register(app, assessments)
    with app.app_context():  # the country reads its needs once the review is published
        db.session.get(Assessment, assessments.own).status = db.session.get(
            Assessment, assessments.own
        ).status.__class__.PUBLISHED
        db.session.commit()

    def get(persona, query=""):
        headers = {"Authorization": f"Bearer {_token(app, persona)}"}
        return client.get(f"/api/v1/needs{query}", headers=headers)

    staff = get(world.coordinator).get_json()
    assert staff["total"] == 4 and len(staff["needs"]) == 4
    assert staff["counts"]["status"] == {"requested": 1, "identified": 2, "closed": 1}
    assert staff["counts"]["type"]["training"] == 2
    own = get(world.own).get_json()
    assert {need["country"]["code"] for need in own["needs"]} == {"XAA"} and own["total"] == 3
    assert get(world.other).get_json()["total"] == 0  # XAB's review is not published
    area = get(world.coordinator, "?kind=area").get_json()["needs"]
    assert [(n["ref"], n["found"], n["target_stage"]) for n in area] == [("contact_point", "1", 3)]
    for query, field in (("?priority=x", "priority"), ("?status=lost", "status"),
                         ("?type=holiday", "type")):  # fmt: skip
        response = get(world.coordinator, query)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field


def test_the_api_updates_a_need(app, client, world, need_id):
    def patch(persona, body):
        headers = {"Authorization": f"Bearer {_token(app, persona)}"}
        return client.patch(f"/api/v1/needs/{need_id}", json=body, headers=headers)

    assert patch(world.other, {"priority": 1, "version": 1}).status_code == 404
    assert patch(world.reviewer, {"priority": 1, "version": 1}).status_code == 403
    for body, field in (
        ({"priority": 0, "version": 1}, "priority"),
        ({"priority": "x", "version": 1}, "priority"),
        ({"priority": 2}, "version"),
        ({"colour": "red"}, "colour"),
        ({}, "body"),
        ({"assistance": {**GOOD, "priority": 1, "type": "holiday"}}, "assistance.type"),
        ({"assistance": {**GOOD, "priority": 1, "description": ""}}, "assistance.description"),
        ({"action": "explode"}, "action"),
    ):
        response = patch(world.own, body)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["field"] == field
    changed = patch(world.own, {"priority": 2, "version": 1})
    assert changed.status_code == 200 and changed.get_json()["priority"] == 2
    stale = patch(world.own, {"priority": 4, "version": 1})
    assert stale.status_code == 409 and stale.get_json()["error"]["field"] == "version"
    asked = patch(world.own, {"assistance": {**GOOD, "priority": 1}}).get_json()
    assert asked["status"] == "requested" and asked["requests"][0]["type"] == "training"
    assert patch(world.own, {"action": "close", "reason": "Met."}).status_code == 403
    assert patch(world.coordinator, {"action": "reopen"}).status_code == 409  # not closed
    assert patch(world.coordinator, {"action": "close"}).get_json()["error"]["field"] == "reason"
    closed = patch(world.coordinator, {"action": "close", "reason": "Met by a course."})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert patch(world.coordinator, {"action": "reopen"}).get_json()["status"] == "identified"
    with app.app_context():
        assert db.session.scalar(select(func.count(AssistanceRequest.id))) == 1


def test_the_openapi_document_describes_the_needs(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["paths"]["/needs"]["get"]["operationId"] == "listNeeds"
    assert document["paths"]["/needs/{need_id}"]["patch"]["operationId"] == "updateNeed"
    assert "Need" in document["components"]["schemas"]
