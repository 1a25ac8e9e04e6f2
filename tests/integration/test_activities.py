"""The register of capacity-building activities (issue 11, item 2): coordinators keep it, needs of
the beneficiary countries are matched with activities and move on with them, documents, the
effect shown by the next review, who sees what, the API and every bad input."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.capacity import activities
from app.core.errors import Forbidden, Invalid, Refused
from app.extensions import db
from app.models import (
    Activity,
    ActivityDocument,
    ActivityNeed,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Country,
    Need,
    NeedStatus,
    ProvisionRating,
    StageRating,
    User,
)
from tests.conftest import PDF, open_cycle, post_form, sign_in, sign_in_session
from tests.integration.test_api import bearer, token_for

VALID = {
    "title": "Expedited preservation: a course for prosecutors",
    "provider": "C-PROC",
    "donor": "European Union",
    "starts_on": "2027-03-10",
    "ends_on": "2027-03-12",
    "format": "course",
    "location": "Demo City",
    "online": False,
    "countries": ["XAA"],
    "institutions": "Prosecutor General's Office",
    "audiences": ["prosecutors", "judges"],
    "participants_women": 14,
    "participants_men": 11,
    "addresses": ["budapest:16"],
    "outputs": "25 people trained.",
}


def person(persona) -> User:
    return db.session.get(User, persona.id)


def make_need(app, assessment_id: int, *, ref="budapest:16", found="PC", kind="provision",
              status=NeedStatus.IDENTIFIED, published=True) -> int:  # fmt: skip
    """Add a need found in ``assessment_id`` (its country's); publish that review, so that the
    country's officials see the need."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        if published:
            assessment.status = AssessmentStatus.PUBLISHED
        need = Need(
            country_id=assessment.country_id, assessment_id=assessment.id, kind=kind, ref=ref,
            found=found, status=status, target_stage=3 if kind == "area" else None,
        )  # fmt: skip
        db.session.add(need)
        db.session.commit()
        return need.id


def make_activity(app, world, **overrides) -> int:
    with app.app_context():
        activity = activities.create_activity({**VALID, **overrides}, person(world.coordinator))
        db.session.commit()
        return activity.id


def need_status(app, need_id: int) -> NeedStatus:
    with app.app_context():
        return db.session.get(Need, need_id).status


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


@pytest.fixture
def api(client, world):
    """Bearer headers of each persona."""
    return {
        name: bearer(token_for(client, getattr(world, name).email))
        for name in ("own", "other", "reviewer", "coordinator", "admin")
    }


# --- Creating and changing ---------------------------------------------------------------------


def test_a_coordinator_adds_an_activity_on_the_page(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    form = client.get("/activities/new").get_data(as_text=True)
    for label in ("Title", "Provider", "First day", "Last day", "Format", "Audiences",
                  "Beneficiary countries", "Participants: women"):  # fmt: skip
        assert label in form
    response = post_form(client, "/activities/new", {
        "title": "Live data forensics", "provider": "Europol", "donor": "",
        "starts_on": "2027-05-02", "ends_on": "2027-05-02", "format": "course",
        "location": "", "online": "y", "countries": ["XAA", "XAB"],
        "audiences": ["police", "cert"], "participants_women": "3", "participants_men": "9",
        "addresses": ["budapest:19"], "outputs": "",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        activity = db.session.scalars(select(Activity)).one()
        assert activity.online and activity.location is None and activity.donor is None
        assert [c.code for c in activity.countries] == ["XAA", "XAB"]  # by name: Demo, Example
        assert activity.audiences == ["police", "cert"]
        assert (activity.participants_women, activity.participants_men) == (3, 9)
        assert activity.status.value == "planned"
    assert response.headers["Location"].endswith(f"/activities/{activity.id}")
    (created,) = events(app, "activity.created")
    assert created.actor_id == world.coordinator.id
    assert created.summary["after"]["countries"] == ["XAA", "XAB"]


#: (values changed, field named, words of the message)
BAD_INPUTS = [
    ({"title": ""}, "title", "required"),
    ({"title": "x" * 301}, "title", "301"),
    ({"title": "Bad\x00title"}, "title", "control characters"),
    ({"title": 12}, "title", "text"),
    ({"provider": None}, "provider", "required"),
    ({"donor": "d" * 201}, "donor", "201"),
    ({"starts_on": "10/03/2027"}, "starts_on", "YYYY-MM-DD"),
    ({"ends_on": ""}, "ends_on", "YYYY-MM-DD"),
    ({"starts_on": "2027-03-12", "ends_on": "2027-03-10"}, "ends_on", "out of order"),
    ({"format": "webinar"}, "format", "format"),
    ({"format": None}, "format", "format"),
    ({"location": "", "online": False}, "location", "online"),
    ({"location": None}, "location", "online"),
    ({"online": "sometimes"}, "online", "true or false"),
    ({"countries": []}, "countries", "at least one"),
    ({"countries": ["ZZZ"]}, "countries", "ZZZ"),
    ({"countries": "XAA"}, None, None),  # a single code is a list of one: accepted
    ({"countries": [1]}, "countries", "list"),
    ({"institutions": "Ministry\x07"}, "institutions", "control characters"),
    ({"audiences": ["judges", "journalists"]}, "audiences", "audiences"),
    ({"participants_women": -1}, "participants_women", "negative"),
    ({"participants_men": -5}, "participants_men", "negative"),
    ({"participants_men": "many"}, "participants_men", "whole number"),
    ({"participants_women": 2.5}, "participants_women", "whole number"),
    ({"participants_women": True}, "participants_women", "whole number"),
    ({"addresses": ["budapest:999"]}, "addresses", "budapest:999"),
    ({"outputs": "o" * 5001}, "outputs", "5001"),
]


@pytest.mark.parametrize(("changes", "field", "words"), BAD_INPUTS)
def test_the_api_refuses_each_bad_input_naming_the_field(
    app, client, world, loaded_library, api, changes, field, words
):
    response = client.post("/api/v1/activities", json={**VALID, **changes},
                           headers=api["coordinator"])  # fmt: skip
    if field is None:
        assert response.status_code == 201, response.get_json()
        return
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field
    assert words.lower() in error["message"].lower()
    assert count(app, Activity) == 0


def test_the_api_creates_lists_and_refuses_a_body_that_is_not_an_object(
    app, client, world, loaded_library, api
):
    assert client.post("/api/v1/activities", data="[]", headers=api["coordinator"],
                       content_type="application/json").get_json()["error"]["field"] == "body"  # fmt: skip
    response = client.post("/api/v1/activities", json=VALID, headers=api["coordinator"])
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "planned" and body["countries"] == ["XAA"] and body["version"] == 1
    assert body["participants"] == {"women": 14, "men": 11} and body["needs"] == []
    listed = client.get("/api/v1/activities", headers=api["reviewer"]).get_json()["activities"]
    assert [item["id"] for item in listed] == [body["id"]]
    for persona in ("own", "other", "reviewer"):
        refused = client.post("/api/v1/activities", json=VALID, headers=api[persona])
        assert refused.status_code == 403
    assert count(app, Activity) == 1


def test_the_form_shows_every_problem_next_to_its_field_and_keeps_what_was_typed(
    app, client, world, loaded_library
):
    sign_in(client, world.coordinator.email)
    response = post_form(client, "/activities/new", {
        "title": "Study visit to the 24/7 unit", "provider": "Interpol", "format": "study_visit",
        "starts_on": "2027-06-10", "ends_on": "2027-06-01", "countries": ["XAA"],
        "participants_women": "-2", "participants_men": "4", "location": "",
    })  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#ends_on"' in page and 'id="ends_on-error"' in page and "out of order" in page
    assert 'id="participants_women-error"' in page and "cannot be negative" in page
    assert 'id="location-error"' in page
    assert 'value="Study visit to the 24/7 unit"' in page and 'value="-2"' in page
    assert count(app, Activity) == 0


def test_a_change_from_a_stale_version_is_refused(app, client, world, loaded_library, api):
    activity_id = make_activity(app, world)
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        coordinator = person(world.coordinator)
        activities.update_activity(activity, {**VALID, "title": "Renamed"}, 1, coordinator)
        db.session.commit()
        assert activity.version == 2
        with pytest.raises(Refused) as refused:
            activities.update_activity(activity, {**VALID, "title": "Again"}, 1, coordinator)
        assert refused.value.status == 409
        db.session.rollback()
        assert db.session.get(Activity, activity_id).title == "Renamed"
        with pytest.raises(Forbidden):
            activities.update_activity(activity, VALID, 2, person(world.reviewer))
    (updated,) = events(app, "activity.updated")
    assert updated.summary == {"before": {"title": VALID["title"]}, "after": {"title": "Renamed"}}
    sign_in(client, world.coordinator.email)
    page = client.get(f"/activities/{activity_id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    data = {**VALID, "title": "Third", "version": "1", "online": ""}
    response = post_form(client, f"/activities/{activity_id}/edit", data)
    assert response.status_code == 409
    assert "Someone changed the activity" in response.get_data(as_text=True)
    assert 'value="Third"' in response.get_data(as_text=True)  # nothing typed is lost
    response = post_form(client, f"/activities/{activity_id}/edit", {**data, "version": "2"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Activity, activity_id).title == "Third"


# --- Needs and statuses ------------------------------------------------------------------------


def test_only_a_beneficiary_countrys_open_need_can_be_matched(app, client, world, assessments, api):
    activity_id = make_activity(app, world)  # for XAA
    own_need = make_need(app, assessments.own)
    other_need = make_need(app, assessments.other)  # XAB's
    declined = make_need(app, assessments.own, ref="budapest:17", status=NeedStatus.DECLINED)
    url = f"/api/v1/activities/{activity_id}/needs"
    for need_id, words in ((other_need, "another country"), (declined, "closed or declined"),
                           ("x", "Choose a need"), (999_999, "no such need")):  # fmt: skip
        response = client.post(url, json={"need": need_id}, headers=api["coordinator"])
        assert response.status_code == 422, need_id
        assert response.get_json()["error"]["field"] == "need"
        assert words.lower() in response.get_json()["error"]["message"].lower()
    assert client.post(url, json={}, headers=api["coordinator"]).status_code == 422
    assert count(app, ActivityNeed) == 0
    assert need_status(app, other_need) is NeedStatus.IDENTIFIED
    # On the page: the select offers XAA's open needs only; another's is refused next to it.
    sign_in(client, world.coordinator.email)
    page = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert f'value="{own_need}"' in page and f'value="{other_need}"' not in page
    assert f'value="{declined}"' not in page
    refused = post_form(client, f"/activities/{activity_id}/needs", {"need": str(other_need)})
    assert refused.status_code == 422
    assert 'id="need-error"' in refused.get_data(as_text=True)
    assert count(app, ActivityNeed) == 0
    # The right one is matched, and only once.
    response = client.post(url, json={"need": own_need}, headers=api["coordinator"])
    assert response.status_code == 200
    assert [n["status"] for n in response.get_json()["needs"]] == ["matched"]
    again = client.post(url, json={"need": own_need}, headers=api["coordinator"])
    assert again.status_code == 422 and "already" in again.get_json()["error"]["message"]
    assert need_status(app, own_need) is NeedStatus.MATCHED
    (linked,) = events(app, "activity.need_linked")
    assert linked.summary["need"] == own_need
    assert len(events(app, "need.matched")) == 1


def test_status_changes_move_the_matched_needs_on(app, client, world, assessments):
    activity_id = make_activity(app, world)
    identified = make_need(app, assessments.own)
    requested = make_need(app, assessments.own, ref="budapest:17", status=NeedStatus.REQUESTED)
    area = make_need(app, assessments.own, ref="contact_point", kind="area", found="1")
    closed_later = make_need(app, assessments.own, ref="budapest:18")
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        coordinator = person(world.coordinator)
        for need_id in (identified, requested, area, closed_later):
            activities.link_need(activity, need_id, coordinator)
        db.session.get(Need, closed_later).status = NeedStatus.CLOSED  # met meanwhile
        db.session.commit()
    assert need_status(app, requested) is NeedStatus.MATCHED
    sign_in(client, world.coordinator.email)
    page = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "Mark in delivery" in page and "Mark delivered" in page
    response = post_form(client, f"/activities/{activity_id}/status", {"action": "start_delivery"},
                         follow_redirects=True)  # fmt: skip
    assert "3 needs moved on with it" in response.get_data(as_text=True)
    for need_id in (identified, requested, area):
        assert need_status(app, need_id) is NeedStatus.IN_DELIVERY
    post_form(client, f"/activities/{activity_id}/status", {"action": "deliver"})
    for need_id in (identified, requested, area):
        assert need_status(app, need_id) is NeedStatus.DELIVERED
    assert need_status(app, closed_later) is NeedStatus.CLOSED  # untouched
    assert len(events(app, "need.delivered")) == 3
    assert [e.summary["after"]["status"] for e in events(app, "activity.delivered")] == [
        "delivered"
    ]
    # Delivering again is refused, said on the page; a made-up action too.
    again = post_form(client, f"/activities/{activity_id}/status", {"action": "deliver"},
                      follow_redirects=True)  # fmt: skip
    assert "not possible while the status is “Delivered”" in again.get_data(as_text=True)
    with app.app_context(), pytest.raises(Refused):
        activities.change_status(
            db.session.get(Activity, activity_id), "cancel", person(world.coordinator)
        )
    made_up = post_form(client, f"/activities/{activity_id}/status", {"action": "explode"},
                        follow_redirects=True)  # fmt: skip
    assert "Choose one of the buttons" in made_up.get_data(as_text=True)
    # A need matched with a delivered activity (entered after the fact) is delivered at once.
    late = make_need(app, assessments.own, ref="budapest:19")
    post_form(client, f"/activities/{activity_id}/needs", {"need": str(late)})
    assert need_status(app, late) is NeedStatus.DELIVERED


def test_a_cancelled_activity_leaves_its_needs_and_takes_no_more(app, world, assessments):
    activity_id = make_activity(app, world)
    need = make_need(app, assessments.own)
    other = make_need(app, assessments.own, ref="budapest:17")
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        coordinator = person(world.coordinator)
        activities.link_need(activity, need, coordinator)
        activities.change_status(activity, "cancel", coordinator)
        db.session.commit()
        with pytest.raises(Refused):
            activities.link_need(activity, other, coordinator)
        db.session.rollback()
        with pytest.raises(Forbidden):
            activities.change_status(activity, "deliver", person(world.own))
    assert need_status(app, need) is NeedStatus.MATCHED


def test_a_need_is_taken_off_an_activity(app, client, world, assessments):
    activity_id = make_activity(app, world)
    need = make_need(app, assessments.own)
    with app.app_context():
        activities.link_need(db.session.get(Activity, activity_id), need, person(world.coordinator))
        db.session.commit()
    sign_in(client, world.coordinator.email)
    response = post_form(client, f"/activities/{activity_id}/needs/remove", {"need": str(need)},
                         follow_redirects=True)  # fmt: skip
    assert "no longer matched" in response.get_data(as_text=True)
    assert count(app, ActivityNeed) == 0
    assert len(events(app, "activity.need_unlinked")) == 1
    # Matched with no other activity, the need goes back to the register's unmatched needs.
    assert need_status(app, need) is NeedStatus.IDENTIFIED
    missing = post_form(client, f"/activities/{activity_id}/needs/remove", {"need": str(need)})
    assert missing.status_code == 404


def test_a_requested_need_taken_off_an_activity_stays_requested(app, world, assessments):
    from app.models import AssistanceRequest

    activity_id = make_activity(app, world)
    need = make_need(app, assessments.own, status=NeedStatus.REQUESTED)
    with app.app_context():
        db.session.add(AssistanceRequest(need_id=need, type="training", target_institution="Police",
                                         priority=1, description="A course."))  # fmt: skip
        activity = db.session.get(Activity, activity_id)
        coordinator = person(world.coordinator)
        activities.link_need(activity, need, coordinator)
        activities.unlink_need(activity, need, coordinator)
        db.session.commit()
    assert need_status(app, need) is NeedStatus.REQUESTED


# --- Who sees what -----------------------------------------------------------------------------


def test_officials_see_the_activities_for_their_country_only(app, client, world, assessments, api):
    ours = make_activity(app, world, title="For Demoland", countries=["XAA"])
    theirs = make_activity(app, world, title="For Exampleland", countries=["XAB"])
    both = make_activity(app, world, title="For both", countries=["XAA", "XAB"])
    xab_need = make_need(app, assessments.other)
    xaa_need = make_need(app, assessments.own)
    with app.app_context():
        activity = db.session.get(Activity, both)
        for need_id in (xab_need, xaa_need):
            activities.link_need(activity, need_id, person(world.coordinator))
        db.session.commit()
    seen = {}
    for name in ("own", "other", "reviewer", "coordinator", "admin"):
        listed = client.get("/api/v1/activities", headers=api[name]).get_json()["activities"]
        seen[name] = {item["title"] for item in listed}
    assert seen["own"] == {"For Demoland", "For both"}
    assert seen["other"] == {"For Exampleland", "For both"}
    assert seen["reviewer"] == seen["coordinator"] == seen["admin"] == {
        "For Demoland", "For Exampleland", "For both"
    }  # fmt: skip
    # An official reads their own country's needs of a shared activity, never another's.
    listed = client.get("/api/v1/activities", headers=api["own"]).get_json()["activities"]
    shared = next(item for item in listed if item["id"] == both)
    assert [need["id"] for need in shared["needs"]] == [xaa_need]
    sign_in_session(client, world.own)
    assert client.get(f"/activities/{theirs}").status_code == 404
    assert client.get(f"/activities/{ours}").status_code == 200
    page = client.get(f"/activities/{both}").get_data(as_text=True)
    assert f'data-need="{xaa_need}"' in page and f'data-need="{xab_need}"' not in page
    assert "Match a need" not in page and "Mark delivered" not in page
    listing = client.get("/activities").get_data(as_text=True)
    assert "For Demoland" in listing and "For Exampleland" not in listing
    assert client.get(f"/activities/{ours}/edit").status_code == 403
    # The API: another country's activity does not exist; only coordinators write.
    url = f"/api/v1/activities/{ours}/needs"
    assert client.post(url, json={"need": xaa_need}, headers=api["other"]).status_code == 404
    assert client.post(url, json={"need": xaa_need}, headers=api["own"]).status_code == 403
    assert client.post(url, json={"need": xaa_need}, headers=api["reviewer"]).status_code == 403
    assert client.post("/api/v1/activities/999999/needs", json={"need": xaa_need},
                       headers=api["coordinator"]).status_code == 404  # fmt: skip


def test_an_official_does_not_see_a_need_whose_review_is_not_published(
    app, client, world, assessments
):
    activity_id = make_activity(app, world)
    hidden = make_need(app, assessments.own, published=False)
    with app.app_context():
        activities.link_need(db.session.get(Activity, activity_id), hidden,
                             person(world.coordinator))  # fmt: skip
        db.session.commit()
    sign_in_session(client, world.own)
    assert f'data-need="{hidden}"' not in client.get(f"/activities/{activity_id}").get_data(
        as_text=True
    )
    sign_in_session(client, world.reviewer)
    assert f'data-need="{hidden}"' in client.get(f"/activities/{activity_id}").get_data(
        as_text=True
    )


def test_the_register_filters_by_the_address(app, client, world, loaded_library, api):
    make_activity(app, world, title="Course 2026", starts_on="2026-11-02", ends_on="2026-11-04")
    make_activity(app, world, title="Mentoring 2027", format="mentoring", donor="Norway",
                  countries=["XAB"], starts_on="2027-01-10", ends_on="2027-06-30")  # fmt: skip
    spanning = make_activity(app, world, title="Exercise", format="exercise", donor=None,
                             starts_on="2026-12-20", ends_on="2027-01-05")  # fmt: skip
    with app.app_context():
        activities.change_status(
            db.session.get(Activity, spanning), "start_delivery", person(world.coordinator)
        )
        db.session.commit()
    sign_in(client, world.coordinator.email)

    def titles(query: str) -> list[str]:
        page = client.get(f"/activities?{query}").get_data(as_text=True)
        return re.findall(r'<a href="/activities/\d+">([^<]+)</a>', page)

    assert titles("") == ["Mentoring 2027", "Exercise", "Course 2026"]
    assert titles("country=XAB") == ["Mentoring 2027"]
    assert titles("donor=Norway") == ["Mentoring 2027"]
    assert titles("format=exercise") == ["Exercise"]
    assert titles("status=in_delivery") == ["Exercise"]
    assert titles("year=2026") == ["Exercise", "Course 2026"]
    assert titles("year=2027&format=course") == []
    assert titles("year=abc&status=nonsense") == titles("")  # ignored
    page = client.get("/activities?year=2026").get_data(as_text=True)
    assert "2 activities" in page and '<option value="2026" selected>' in page
    listed = client.get("/api/v1/activities?year=2027&country=XAB",
                        headers=api["coordinator"]).get_json()["activities"]  # fmt: skip
    assert [item["title"] for item in listed] == ["Mentoring 2027"]


# --- Documents ---------------------------------------------------------------------------------


def test_documents_are_checked_stored_and_downloaded_by_those_who_see_the_activity(
    app, client, world, loaded_library, monkeypatch
):
    activity_id = make_activity(app, world)
    url = f"/activities/{activity_id}/documents"
    sign_in_session(client, world.coordinator)

    def upload(data: bytes, name: str):
        return post_form(client, url, {"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")  # fmt: skip

    refused = upload(b"just some text", "agenda.pdf")
    assert refused.status_code == 422
    assert "Only PDF, DOCX, XLSX, PPTX, ODT, PNG and JPEG" in refused.get_data(as_text=True)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", len(PDF) - 1)
    assert upload(PDF, "agenda.pdf").status_code == 422
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 20_000_000)
    assert count(app, ActivityDocument) == 0
    response = upload(PDF, "../Agenda\x00 day 1.pdf")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalars(select(ActivityDocument)).one()
        public_id, filename = document.public_id, document.filename
    assert filename == "Agenda day 1.pdf"
    assert len(events(app, "activity.document_uploaded")) == 1
    sign_in_session(client, world.own)
    assert upload(PDF, "mine.pdf").status_code == 403
    download = client.get(f"{url}/{public_id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    (downloaded,) = events(app, "activity.document_downloaded")
    assert downloaded.actor_id == world.own.id
    assert client.get(f"{url}/{'0' * 32}").status_code == 404
    sign_in_session(client, world.other)
    assert client.get(f"{url}/{public_id}").status_code == 404


# --- Effect ------------------------------------------------------------------------------------


def finish_later_review(app, world, cycle_id: int, ratings: dict[str, str],
                        stages: dict[str, int]) -> int:  # fmt: skip
    """Close the cycle, open a later one and publish XAA's review there with these final ratings
    and stages."""
    from app.assessments import cycles
    from app.models import Cycle

    with app.app_context():
        cycles.close_cycle(db.session.get(Cycle, cycle_id), person(world.coordinator))
        db.session.commit()
    later = open_cycle(app, world, name="2029 round", countries=("XAA",))
    with app.app_context():
        assessment = db.session.get(Assessment, later.own)
        assessment.status = AssessmentStatus.PUBLISHED
        for ref, rating in ratings.items():
            db.session.add(ProvisionRating(assessment_id=assessment.id, provision=ref,
                                           layer="final", rating=rating, derived=rating))  # fmt: skip
        for area, stage in stages.items():
            db.session.add(StageRating(assessment_id=assessment.id, area=area, layer="final",
                                       stage=stage, derived=stage))  # fmt: skip
        db.session.commit()
        return assessment.id


def test_the_next_review_shows_the_effect_per_need_activity_and_donor(
    app, client, world, assessments, api
):
    activity_id = make_activity(app, world)
    better = make_need(app, assessments.own, ref="budapest:16", found="PC")
    same = make_need(app, assessments.own, ref="budapest:17", found="NC")
    worse = make_need(app, assessments.own, ref="budapest:18", found="PC")
    area = make_need(app, assessments.own, ref="contact_point", kind="area", found="1")
    unrated = make_need(app, assessments.own, ref="budapest:19", found="PC")
    other_donor = make_activity(app, world, title="Other", donor="Norway")
    with app.app_context():
        coordinator = person(world.coordinator)
        activity = db.session.get(Activity, activity_id)
        for need_id in (better, same, worse, area, unrated):
            activities.link_need(activity, need_id, coordinator)
        activities.link_need(db.session.get(Activity, other_donor), better, coordinator)
        activities.change_status(activity, "deliver", coordinator)
        db.session.commit()
        _, found, counts = activities.effect_summary(activity, coordinator)
        assert found == {}  # not reviewed since
        assert counts["not_reviewed"] == 5
    finish_later_review(app, world, assessments.cycle_id, {"budapest:16": "LC", "budapest:17": "NC",
                                     "budapest:18": "NC"}, {"contact_point": 3})  # fmt: skip
    with app.app_context():
        coordinator = person(world.coordinator)
        activity = db.session.get(Activity, activity_id)
        _, found, counts = activities.effect_summary(activity, coordinator)
        assert found[better].direction == "improved" and found[better].after == "LC"
        assert found[better].cycle_name == "2029 round"
        assert found[same].direction == "unchanged"
        assert found[worse].direction == "worse"
        assert found[area].direction == "improved" and found[area].after == "3"
        assert unrated not in found
        assert dict(counts) == {"improved": 2, "unchanged": 1, "worse": 1, "not_reviewed": 1}
        donors = activities.donor_summary(list(db.session.scalars(select(Activity))), coordinator)
        assert [(donor, n, dict(tally)) for donor, n, tally in donors] == [
            ("European Union", 1,
             {"improved": 2, "unchanged": 1, "worse": 1, "not_reviewed": 1}),
            ("Norway", 1, {"improved": 1, "unchanged": 0, "worse": 0, "not_reviewed": 0}),
        ]  # fmt: skip
    sign_in_session(client, world.coordinator)
    page = client.get(f"/activities/{activity_id}").get_data(as_text=True)
    assert "PC → LC · 2029 round" in page
    assert re.search(r'data-effect-count="improved">Improved: 2<', page)
    donors_page = client.get("/activities?view=donors").get_data(as_text=True)
    assert "European Union" in donors_page and "Norway" in donors_page
    assert "Effect per donor" in donors_page
    # The country's officials read it too (the later review is published).
    sign_in_session(client, world.own)
    assert "PC → LC · 2029 round" in client.get(f"/activities/{activity_id}").get_data(as_text=True)


def test_the_openapi_document_names_the_activities_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"listActivities", "createActivity", "linkActivityNeed"} <= operations


# --- Demo --------------------------------------------------------------------------------------


def test_the_demo_seeds_a_delivered_activity_answering_the_2025_need_and_a_planned_one(
    app, world, loaded_library
):
    from app.capacity import demo_activities

    cycle = open_cycle(app, world, name="2025 round")
    need = make_need(app, cycle.other, ref="budapest:16", found="PC")  # Exampleland's
    with app.app_context():
        coordinator = person(world.coordinator)
        for code, name in (("XAA", "Demoland"), ("XAB", "Exampleland")):
            assert db.session.scalar(select(Country).where(Country.code == code)).name == name
        created = demo_activities.seed({}, coordinator)
        db.session.commit()
        assert len(created) == 2
        assert demo_activities.seed({}, coordinator) == []  # safe to run again
        rows = {a.title: a for a in db.session.scalars(select(Activity))}
        delivered = rows[demo_activities.DELIVERED["title"]]
        assert delivered.status.value == "delivered"
        assert [n.id for n in activities.linked_needs(delivered)] == [need]
        assert rows[demo_activities.PLANNED["title"]].status.value == "planned"
    assert need_status(app, need) is NeedStatus.DELIVERED


def test_the_check_reports_every_problem_at_once(app, world, loaded_library):
    with app.app_context():
        checked = activities.check({**VALID, "title": "", "ends_on": "2027-01-01",
                                    "participants_men": -1})  # fmt: skip
        assert [p.field for p in checked.problems] == ["title", "ends_on", "participants_men"]
        assert all(isinstance(p, Invalid) and p.status == 422 for p in checked.problems)
