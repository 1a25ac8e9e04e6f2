"""The 24/7 directory and the industry contact list (issue 11, items 3 and 4): each service rule
and every bad input (the field named, nothing saved), the history, overdue verification at the
month boundaries, the exports (formula neutralisation, vCard escaping, audited), who sees and
who keeps what, the pages, the home pages' warnings, the API and the demo."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import jsonschema
import pytest
from sqlalchemy import func, select

from app.capacity import directory
from app.core.errors import Forbidden, Invalid, NotFound, Refused
from app.core.permissions import Role
from app.extensions import db
from app.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Contact,
    ContactNetwork,
    ContactRevision,
    ContactTest,
    Country,
    Provider,
    User,
)
from tests.conftest import make_country, make_user, post_form, sign_in_session
from tests.integration.test_api import bearer, token_for

GOOD = {
    "unit": "Cybercrime Division, Demoland Police",
    "unit_type": "police",
    "phone": "+44 20 7946 0958",
    "email": "Cyber247@Police.Demoland.example.org",
    "secure_channel": "Encrypted e-mail",
    "languages": "English, French",
    "can_preserve": True,
    "can_disclose_in_emergency": False,
    "mla_authority": "Ministry of Justice",
}


def user(persona) -> User:
    return db.session.get(User, persona.id)


def country(code: str) -> Country:
    return db.session.scalar(select(Country).where(Country.code == code))


def art35() -> ContactNetwork:
    return directory.network_by_key(directory.BUDAPEST)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def make_contact(app, world, code="XAA", **changes) -> int:
    """Add ``code``'s Art. 35 contact (as the coordinator); return its id."""
    with app.app_context():
        contact = directory.save_contact(
            country(code), art35(), {**GOOD, **changes}, version=None, user=user(world.coordinator)
        )
        db.session.commit()
        return contact.id


def make_provider(app, world, established="XAA", **changes) -> int:
    with app.app_context():
        values = {
            "name": "Examplemail",
            "established_in": country(established) if established else None,
            "unit": "Law Enforcement Response Team",
            "portal_url": "https://lers.examplemail.example/",
            "email": "lert@examplemail.example",
            "phone": "",
            "request_kinds": ["preservation", "emergency_disclosure"],
            "countries": [country("XAA"), country("XAB")],
            "interval_months": 6,
            **changes,
        }
        provider = directory.save_provider(None, values, version=None, user=user(world.coordinator))
        db.session.commit()
        return provider.id


# --- Contacts: rules and bad input ---------------------------------------------------------------


def test_a_contact_is_saved_with_its_phone_in_e164_and_a_revision(app, world):
    with app.app_context():
        official = user(world.own)
        contact = directory.save_contact(country("XAA"), art35(), GOOD, version=0, user=official)
        db.session.commit()
        assert contact.phone == "+442079460958"
        assert contact.email == "Cyber247@police.demoland.example.org"  # domain lower-cased
        assert contact.version == 1 and contact.updated_by_id == official.id
        (revision,) = directory.history("contact", contact.id)
        assert revision.before is None and revision.after["phone"] == "+442079460958"
        assert revision.changed_by_id == official.id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "contact.created"))
        assert event.summary["country"] == "XAA" and event.object_id == str(contact.id)


BAD_CONTACTS = [
    ("unit", {"unit": "  "}),
    ("unit", {"unit": "x" * 201}),
    ("unit", {"unit": "Cyber\u0007unit"}),
    ("unit_type", {"unit_type": "army"}),
    ("unit_type", {"unit_type": None}),
    ("phone", {"phone": ""}),
    ("phone", {"phone": "call the police"}),
    ("phone", {"phone": "12345"}),
    ("phone", {"phone": "+999 21 555 0147"}),  # no such country code
    ("phone", {"phone": "+44 20 7946"}),  # too short
    ("phone", {"phone": "020 7946 0958"}),  # national form: XAA has no region to read it in
    ("email", {"email": ""}),
    ("email", {"email": "cyber247"}),
    ("email", {"email": "cyber@@example.org"}),
    ("email", {"email": "a b@example.org"}),
    ("secure_channel", {"secure_channel": "x" * 201}),
    ("mla_authority", {"mla_authority": "x" * 301}),
    ("can_preserve", {"can_preserve": "perhaps"}),
]


@pytest.mark.parametrize(("field", "change"), BAD_CONTACTS)
def test_a_bad_contact_names_the_field_and_saves_nothing(app, world, field, change):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            directory.save_contact(
                country("XAA"), art35(), {**GOOD, **change}, version=0, user=user(world.own)
            )
        assert refused.value.field == field and str(refused.value.message)
        db.session.rollback()
        assert count(Contact) == count(ContactRevision) == 0
        contact_events = select(func.count(AuditEvent.id)).where(AuditEvent.action.like("contact%"))
        assert db.session.scalar(contact_events) == 0


def test_a_malformed_phone_number_says_how_to_write_it(app, world):
    with app.app_context(), pytest.raises(Invalid) as refused:
        directory.save_contact(country("XAA"), art35(), {**GOOD, "phone": "12345"}, version=0,
                               user=user(world.own))  # fmt: skip
    assert "international form" in str(refused.value.message)


def test_a_national_number_is_read_in_the_country_s_region(app, world):
    with app.app_context():
        db.session.add(Country(code="FRA", name="France", region="150", participating=True))
        db.session.flush()
        saved = directory.save_contact(country("FRA"), art35(), {**GOOD, "phone": "01 23 45 67 89"},
                                       version=0, user=user(world.coordinator))  # fmt: skip
        assert saved.phone == "+33123456789"
        assert directory.display_phone(saved.phone) == "+33 1 23 45 67 89"


def test_changes_write_revisions_of_the_changed_fields_and_stale_versions_are_refused(app, world):
    contact_id = make_contact(app, world)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        official = user(world.own)
        directory.save_contact(contact.country, contact.network, GOOD, version=1, user=official)
        assert contact.version == 1 and len(directory.history("contact", contact_id)) == 1
        changed = {**GOOD, "languages": "English", "can_disclose_in_emergency": True}
        directory.save_contact(contact.country, contact.network, changed, version=1, user=official)
        db.session.commit()
        assert contact.version == 2
        newest = directory.history("contact", contact_id)[0]
        assert newest.before == {"languages": "English, French", "can_disclose_in_emergency": False}
        assert newest.after == {"languages": "English", "can_disclose_in_emergency": True}
        with pytest.raises(Refused) as stale:
            directory.save_contact(contact.country, contact.network, GOOD, version=1, user=official)
        assert stale.value.status == 409


def test_officials_keep_only_their_country_s_contacts(app, world):
    contact_id = make_contact(app, world)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        with pytest.raises(NotFound):
            directory.save_contact(contact.country, contact.network, GOOD, version=1,
                                   user=user(world.other))  # fmt: skip
        with pytest.raises(NotFound):
            directory.verify(contact, date.today(), "call", user(world.other))
        with pytest.raises(Forbidden):
            directory.verify(contact, date.today(), "call", user(world.reviewer))
        with pytest.raises(NotFound):
            directory.record_test(contact, date.today(), "phone", 3, "reached", None,
                                  user(world.other))  # fmt: skip


# --- Verification and overdue -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "field"),
    [
        (date.today() + timedelta(days=1), "on"),
        ("1999-12-31", "on"),
        ("31/12/2025", "on"),
        ("", "on"),
        (None, "on"),
    ],
)
def test_a_verification_date_must_be_real_past_and_from_2000(app, world, on, field):
    contact_id = make_contact(app, world)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        with pytest.raises(Invalid) as refused:
            directory.verify(contact, on, "call", user(world.own))
        assert refused.value.field == field
        db.session.rollback()
        assert db.session.get(Contact, contact_id).verified_on is None


@pytest.mark.parametrize("how", ["", "fax", None, "CALL"])
def test_a_verification_says_how_from_the_list(app, world, how):
    contact_id = make_contact(app, world)
    with app.app_context(), pytest.raises(Invalid) as refused:
        directory.verify(db.session.get(Contact, contact_id), date.today(), how, user(world.own))
    assert refused.value.field == "how"


def test_a_verification_is_stamped_with_who_and_how_and_kept_in_the_history(app, world):
    contact_id = make_contact(app, world)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        directory.verify(contact, "2000-01-01", "in_person", user(world.own))
        directory.verify(contact, date.today().isoformat(), "secure_channel", user(world.own))
        db.session.commit()
        assert contact.verified_on == date.today() and contact.verified_how == "secure_channel"
        assert contact.verified_by_id == world.own.id
        newest = directory.history("contact", contact_id)[0]
        assert newest.before["verified_on"] == "2000-01-01"
        assert newest.after["verified_how"] == "secure_channel"


@pytest.mark.parametrize(
    ("verified", "months", "due"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # leap year
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 1, 15), 6, date(2025, 7, 15)),
        (date(2025, 7, 15), 6, date(2026, 1, 15)),  # over the year's end
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
    ],
)
def test_overdue_starts_the_day_after_the_interval_ends(app, world, verified, months, due):
    contact_id = make_contact(app, world)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        contact.network.interval_months = months
        contact.verified_on = verified
        assert directory.due_on(contact) == due
        assert not directory.overdue(contact, due)
        assert not directory.overdue(contact, due - timedelta(days=1))
        assert directory.overdue(contact, due + timedelta(days=1))


def test_never_verified_is_overdue_and_the_dashboard_lists_overdue_contacts(app, world):
    own = make_contact(app, world, "XAA")
    other = make_contact(app, world, "XAB")
    with app.app_context():
        assert [c.id for c in directory.overdue_contacts()] == [own, other]
        directory.verify(db.session.get(Contact, other), date.today(), "call", user(world.other))
        directory.verify(db.session.get(Contact, own), directory.add_months(date.today(), -7),
                         "email", user(world.own))  # fmt: skip
        db.session.commit()
        assert [c.id for c in directory.overdue_contacts()] == [own]
        art35().interval_months = 12
        assert directory.overdue_contacts() == []
        art35().interval_months = 6
        art35().active = False  # a network no longer in use flags nothing
        assert directory.overdue_contacts() == []


# --- Tests log ---------------------------------------------------------------------------------


BAD_TESTS = [
    ({"tested_on": date.today() + timedelta(days=1)}, "on"),
    ({"tested_on": "yesterday"}, "on"),
    ({"channel": "pigeon"}, "channel"),
    ({"outcome": "maybe"}, "outcome"),
    ({"outcome": None}, "outcome"),
    ({"response_minutes": -1}, "response_minutes"),
    ({"response_minutes": "-5"}, "response_minutes"),
    ({"response_minutes": "ten"}, "response_minutes"),
    ({"response_minutes": 2.5}, "response_minutes"),
    ({"response_minutes": True}, "response_minutes"),
    ({"response_minutes": None}, "response_minutes"),  # reached: how long did it take?
    ({"outcome": "not_reached", "response_minutes": 5}, "response_minutes"),
    ({"notes": "x" * 2001}, "notes"),
]


@pytest.mark.parametrize(("change", "field"), BAD_TESTS)
def test_a_bad_test_names_the_field_and_logs_nothing(app, world, change, field):
    contact_id = make_contact(app, world)
    values = {"tested_on": date.today(), "channel": "phone", "response_minutes": 4,
              "outcome": "reached", "notes": None, **change}  # fmt: skip
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            directory.record_test(db.session.get(Contact, contact_id), user=user(world.own),
                                  **values)  # fmt: skip
        assert refused.value.field == field
        db.session.rollback()
        assert count(ContactTest) == 0


def test_tests_are_logged_by_officials_and_coordinators(app, world):
    contact_id = make_contact(app, world)
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        directory.record_test(contact, date.today(), "email", "0", "reached", "", user(world.own))
        directory.record_test(contact, "2025-01-02", "phone", "", "not_reached", "No answer.",
                              user(world.coordinator))  # fmt: skip
        db.session.commit()
        tests = directory.tests_of([contact])[contact_id]
        assert [(t.outcome, t.response_minutes) for t in tests] == [
            ("reached", 0),
            ("not_reached", None),
        ]
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "contact.tested")
            )
            == 2
        )


# --- Networks ----------------------------------------------------------------------------------


def test_the_standard_networks_exist_once_and_coordinators_add_and_set_intervals(app, world):
    with app.app_context():
        keys = [n.key for n in directory.ensure_networks()]
        assert keys == ["budapest_35", "un_24_7"]
        assert [n.key for n in directory.ensure_networks()] == keys
        assert art35().interval_months == 6
        coordinator = user(world.coordinator)
        g7 = directory.add_network("G7 24/7 Network", "3", coordinator)
        assert g7.key == "g7_24_7_network" and g7.interval_months == 3
        for name, months, field in (("", 6, "name"), ("g7 24/7 network", 6, "name"),
                                    ("Interpol", 0, "interval_months"),
                                    ("Interpol", 37, "interval_months"),
                                    ("Interpol", "six", "interval_months")):  # fmt: skip
            with pytest.raises(Invalid) as refused:
                directory.add_network(name, months, coordinator)
            assert refused.value.field == field
        with pytest.raises(Forbidden):
            directory.add_network("Interpol", 6, user(world.own))
        assert directory.update_network(art35(), 12, True, coordinator)
        assert not directory.update_network(art35(), "12", "y", coordinator)
        assert art35().interval_months == 12


# --- Prefill -----------------------------------------------------------------------------------


def _answer(assessment_id: int, question_id: str, value) -> None:
    db.session.add(Answer(assessment_id=assessment_id, question_id=question_id, value=value))


def test_prefill_takes_the_contact_from_the_latest_submitted_assessment(app, world, assessments):
    with app.app_context():
        official = user(world.own)
        with pytest.raises(Refused):  # a draft is not submitted yet
            directory.prefill_from_assessment(country("XAA"), official)
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = AssessmentStatus.SUBMITTED
        _answer(assessment.id, directory.CONTACT_QUESTION, {
            "unit": "Cybercrime Unit", "phone": "+999 21 555 0147",
            "email": "247@police.example.org", "languages": "English",
        })  # fmt: skip
        _answer(assessment.id, directory.HOST_QUESTION, "prosecution")
        _answer(assessment.id, directory.NETWORKS_QUESTION, ["coe_budapest", "un_convention"])
        db.session.commit()
        result = directory.prefill_from_assessment(country("XAA"), official)
        db.session.commit()
        assert [c.network.key for c in result.contacts] == ["budapest_35", "un_24_7"]
        first = result.contacts[0]
        assert (first.unit, first.unit_type, first.email) == (
            "Cybercrime Unit", "prosecution", "247@police.example.org"
        )  # fmt: skip
        assert first.phone == "" and "phone" in result.skipped  # +999 is no country code
        assert directory.missing_fields(first) == ["phone"]
        # Again: only empty fields are filled, so a kept value stays.
        first.unit = "Renamed unit"
        first.phone = "+442079460958"
        directory.prefill_from_assessment(country("XAA"), official)
        assert first.unit == "Renamed unit" and first.phone == "+442079460958"
        with pytest.raises(NotFound):
            directory.prefill_from_assessment(country("XAA"), user(world.other))


# --- Exports -----------------------------------------------------------------------------------


def test_the_csv_export_neutralises_formulas_and_is_audited(app, world):
    make_contact(app, world, unit="=HYPERLINK(\"http://evil.example\")", languages="@SUM(A1)",
                 secure_channel="-2+3", mla_authority="+cmd")  # fmt: skip
    with app.app_context():
        text = directory.export_csv(directory.list_contacts(), user(world.reviewer))
        db.session.commit()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows[0]["unit"] == '\'=HYPERLINK("http://evil.example")'
        assert rows[0]["languages"] == "'@SUM(A1)"
        assert rows[0]["secure_channel"] == "'-2+3"
        assert rows[0]["mla_authority"] == "'+cmd"
        assert rows[0]["phone"] == "'+442079460958"
        assert rows[0]["country"] == "Demoland" and rows[0]["overdue"] == "yes"
        for row in rows:
            assert all(not cell or cell[0] not in "=+-@" for cell in row.values())
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "directory.exported")
        )
        assert event.summary["format"] == "csv" and event.summary["count"] == 1
        assert event.actor_email == world.reviewer.email


def test_the_vcard_export_escapes_and_folds_and_is_audited(app, world):
    make_contact(app, world, unit="Cyber; Crime, Unit\\East", languages="A\nB")
    make_contact(app, world, "XAB", unit="Exampleland " + "very long unit name " * 6)
    with app.app_context():
        network = art35()
        text = directory.export_vcard(directory.list_contacts(network=network), user(world.own),
                                      network=network)  # fmt: skip
        db.session.commit()
        assert text.count("BEGIN:VCARD") == 2 and text.count("VERSION:3.0") == 2
        assert "FN:Cyber\\; Crime\\, Unit\\\\East\r\n" in text
        assert "Languages: A\\nB" in text and "\nB" not in text.replace("\r\n", "")
        assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
        unfolded = text.replace("\r\n ", "")
        assert "FN:Exampleland " + "very long unit name " * 5 in unfolded
        assert "TEL;TYPE=WORK,VOICE:+442079460958" in text
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "directory.exported")
        )
        assert event.summary == {"format": "vcard", "count": 2, "network": "budapest_35"}


def test_the_export_pages_download_and_audit(app, client, world):
    make_contact(app, world)
    sign_in_session(client, world.own)
    response = client.get("/directory/export.csv?network=budapest_35")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Cybercrime Division" in response.get_data(as_text=True)
    response = client.get("/directory/export.vcf")
    assert response.mimetype == "text/vcard" and "BEGIN:VCARD" in response.get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "directory.exported")
        ).all()
        assert sorted(e.summary["format"] for e in events) == ["csv", "vcard"]


# --- Who sees and keeps what -------------------------------------------------------------------

READ_PAGES = ["/directory", "/countries/XAA/directory", "/providers", "/directory/export.csv"]


@pytest.mark.parametrize("url", READ_PAGES)
def test_the_directory_is_never_public(app, client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(
    "persona", ["own", "other", "reviewer", "outsider", "coordinator", "admin"]
)
def test_readers_see_the_directory(app, client, world, persona):
    make_contact(app, world)
    sign_in_session(client, world.persona(persona))
    for url in READ_PAGES:
        assert client.get(url).status_code == 200, url


def test_an_official_of_a_country_that_does_not_participate_is_refused(app, client, world):
    contact_id = make_contact(app, world)
    with app.app_context():
        make_country("XAZ", "Nowhereland", participating=False)
        outsider = make_user("nadia@xaz.example.org", Role.OFFICIAL, "XAZ")
        db.session.commit()
    sign_in_session(client, outsider)
    for url in [
        *READ_PAGES,
        "/countries/XAZ/directory",
        f"/directory/contacts/{contact_id}/history",
    ]:
        assert client.get(url).status_code == 403, url
    api = bearer(token_for(client, outsider.email))
    assert client.get("/api/v1/contacts", headers=api).status_code == 403
    response = client.post(f"/api/v1/contacts/{contact_id}/verification", headers=api,
                           json={"on": date.today().isoformat(), "how": "call"})  # fmt: skip
    assert response.status_code == 404


def test_officials_cannot_change_another_country_s_contact(app, client, world):
    contact_id = make_contact(app, world)
    sign_in_session(client, world.other)
    with app.app_context():
        network_id = art35().id
    today = date.today().isoformat()
    assert post_form(client, f"/countries/XAA/directory/networks/{network_id}",
                     {f"n{network_id}-unit": "Mine now"}).status_code == 404  # fmt: skip
    assert post_form(client, f"/directory/contacts/{contact_id}/verification",
                     {f"v{contact_id}-on": today, f"v{contact_id}-how": "call"}).status_code == 404  # fmt: skip
    assert post_form(client, "/countries/XAA/directory/prefill").status_code == 404
    page = client.get("/countries/XAA/directory").get_data(as_text=True)
    assert "Record a verification" not in page and "Change the contact" not in page
    with app.app_context():
        assert db.session.get(Contact, contact_id).verified_on is None
        assert db.session.get(Contact, contact_id).unit == GOOD["unit"]


# --- Pages -------------------------------------------------------------------------------------


def test_an_official_records_the_contact_then_verifies_and_tests_it(app, client, world):
    sign_in_session(client, world.own)
    page = client.get("/countries/XAA/directory").get_data(as_text=True)
    assert "No 24/7 contact is recorded" in page and "Fill from the self-assessment" in page
    with app.app_context():
        network_id = art35().id
    prefix = f"n{network_id}-"
    form = {prefix + k: v for k, v in GOOD.items() if not isinstance(v, bool)}
    form[prefix + "can_preserve"] = "y"
    form[prefix + "version"] = "0"
    bad = post_form(client, f"/countries/XAA/directory/networks/{network_id}",
                    {**form, prefix + "phone": "555-CALL-ME"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "There is a problem" in html and f'href="#{prefix}phone"' in html
    assert 'value="555-CALL-ME"' in html  # nothing typed is lost
    assert 'aria-invalid="true"' in html
    saved = post_form(client, f"/countries/XAA/directory/networks/{network_id}", form)
    assert saved.status_code == 302
    with app.app_context():
        contact = db.session.scalar(select(Contact))
        assert contact.phone == "+442079460958" and contact.can_preserve
        contact_id = contact.id
    stale = post_form(client, f"/countries/XAA/directory/networks/{network_id}",
                      {**form, prefix + "unit": "Other"})  # version 0: a new one was expected  # fmt: skip
    assert stale.status_code == 409 and "changed this contact" in stale.get_data(as_text=True)
    v, t = f"v{contact_id}-", f"t{contact_id}-"
    refused = post_form(client, f"/directory/contacts/{contact_id}/verification",
                        {v + "on": "2999-01-01", v + "how": "call"})  # fmt: skip
    assert refused.status_code == 422 and "cannot be in the future" in refused.get_data(
        as_text=True
    )
    today = date.today()
    assert post_form(client, f"/directory/contacts/{contact_id}/verification",
                     {v + "on": today.isoformat(), v + "how": "call"}).status_code == 302  # fmt: skip
    assert post_form(client, f"/directory/contacts/{contact_id}/tests",
                     {t + "on": today.isoformat(), t + "channel": "phone", t + "outcome": "reached",
                      t + "response_minutes": "7"}).status_code == 302  # fmt: skip
    page = client.get("/countries/XAA/directory").get_data(as_text=True)
    assert "answered in 7 minutes" in page and "Telephone call" in page
    history = client.get(f"/directory/contacts/{contact_id}/history").get_data(as_text=True)
    assert "Created" in history and "2 changes" in history


def test_the_directory_page_filters_and_flags_overdue_contacts(app, client, world):
    own = make_contact(app, world, "XAA")
    make_contact(app, world, "XAB", unit="Exampleland High-Tech Crime Unit")
    with app.app_context():
        directory.verify(db.session.get(Contact, own), date.today(), "call", user(world.own))
        db.session.commit()
    sign_in_session(client, world.reviewer)
    html = client.get("/directory").get_data(as_text=True)
    assert "2 contacts" in html and "1 overdue" in html and "Never verified" in html
    only = client.get("/directory?overdue=1").get_data(as_text=True)
    assert "Exampleland High-Tech" in only and "Cybercrime Division" not in only
    assert "export.csv?overdue=1" in only
    assert "No contact matches" in client.get("/directory?network=un_24_7").get_data(as_text=True)
    assert "No contact matches" in client.get("/directory?region=002").get_data(as_text=True)


def test_coordinators_keep_the_networks(app, client, world):
    sign_in_session(client, world.coordinator)
    assert client.get("/directory/networks").status_code == 200
    bad = post_form(client, "/directory/networks", {"name": "Interpol", "interval_months": "0"})
    assert bad.status_code == 422 and "from 1 to 36" in bad.get_data(as_text=True)
    assert post_form(client, "/directory/networks", {"name": "Interpol", "interval_months": "4"}
                     ).status_code == 302  # fmt: skip
    with app.app_context():
        network = directory.network_by_key("interpol")
        assert network.interval_months == 4
        network_id = network.id
    assert post_form(client, f"/directory/networks/{network_id}",
                     {f"s{network_id}-interval_months": "9"}).status_code == 302  # fmt: skip
    with app.app_context():
        network = db.session.get(ContactNetwork, network_id)
        assert network.interval_months == 9 and not network.active
    sign_in_session(client, world.own)
    assert client.get("/directory/networks").status_code == 403


def test_the_official_home_warns_loudly_until_the_contact_is_verified(app, client, world):
    sign_in_session(client, world.own)
    html = client.get("/").get_data(as_text=True)
    assert 'id="contact-banner"' in html and "No 24/7 contact of Demoland" in html
    contact_id = make_contact(app, world)
    html = client.get("/").get_data(as_text=True)
    assert "never verified" in html
    with app.app_context():
        directory.verify(db.session.get(Contact, contact_id), directory.add_months(date.today(), -8),
                         "call", user(world.own))  # fmt: skip
        db.session.commit()
    assert "overdue for verification" in client.get("/").get_data(as_text=True)
    with app.app_context():
        directory.verify(db.session.get(Contact, contact_id), date.today(), "call", user(world.own))
        db.session.commit()
    assert 'id="contact-banner"' not in client.get("/").get_data(as_text=True)
    sign_in_session(client, world.coordinator)
    html = client.get("/").get_data(as_text=True)
    assert "24/7 contacts overdue for verification (0)" in html


def test_the_coordinator_dashboard_lists_overdue_contacts(app, client, world):
    make_contact(app, world, "XAB")
    sign_in_session(client, world.coordinator)
    html = client.get("/").get_data(as_text=True)
    assert "24/7 contacts overdue for verification (1)" in html
    assert re.search(r"Exampleland · Budapest Convention Art\. 35.*never verified", html)


# --- Providers ---------------------------------------------------------------------------------

PROVIDER_FORM = {
    "name": "Examplemail",
    "established_in": "XAA",
    "unit": "Law Enforcement Response Team",
    "portal_url": "https://lers.examplemail.example/",
    "email": "lert@examplemail.example",
    "phone": "+61 2 5550 1234",
    "request_kinds": ["preservation", "subscriber_data"],
    "countries": "xaa, XAB",
    "languages": "English",
    "emergency_channel": "Portal, around the clock",
    "interval_months": "6",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"unit": ""}, "unit"),
        ({"portal_url": "javascript:alert(1)"}, "portal_url"),
        ({"portal_url": "ftp://files.example/"}, "portal_url"),
        ({"email": "lert"}, "email"),
        ({"email": "", "portal_url": ""}, "email"),
        ({"phone": "0800 123"}, "phone"),
        ({"request_kinds": []}, "request_kinds"),
        ({"request_kinds": ["everything"]}, "request_kinds"),
        ({"countries": "XAA, ZZZ"}, "countries"),
        ({"interval_months": "0"}, "interval_months"),
    ],
)
def test_a_bad_provider_names_the_field_and_saves_nothing(app, client, world, change, field):
    sign_in_session(client, world.own)
    response = post_form(client, "/providers/new", {**PROVIDER_FORM, **change})
    assert response.status_code == 422
    assert f'href="#{field}"' in response.get_data(as_text=True)
    with app.app_context():
        assert count(Provider) == count(ContactRevision) == 0


def test_officials_keep_providers_established_in_their_country_only(app, client, world):
    sign_in_session(client, world.own)
    assert post_form(client, "/providers/new", PROVIDER_FORM).status_code == 302
    with app.app_context():
        provider = db.session.scalar(select(Provider))
        assert provider.phone == "+61255501234"
        assert [c.code for c in provider.countries] == ["XAA", "XAB"]
        assert provider.request_kinds == ["preservation", "subscriber_data"]
        own_id = provider.id
    # Not established in their country: refused (they read the list, so 403).
    response = post_form(client, "/providers/new", {**PROVIDER_FORM, "established_in": "XAB"})
    assert response.status_code == 403
    foreign = make_provider(app, world, established="XAB")
    abroad = make_provider(app, world, established=None, countries=[])
    for provider_id in (foreign, abroad):
        assert client.get(f"/providers/{provider_id}").status_code == 200
        assert post_form(client, f"/providers/{provider_id}", PROVIDER_FORM).status_code == 403
        assert post_form(client, f"/providers/{provider_id}/verification").status_code == 403
    # Their own: changed (with the version) and verified.
    changed = {**PROVIDER_FORM, "languages": "English, French", "version": "1"}
    assert post_form(client, f"/providers/{own_id}", changed).status_code == 302
    assert post_form(client, f"/providers/{own_id}", changed).status_code == 409  # stale
    verified = post_form(client, f"/providers/{own_id}/verification",
                         {"verify-on": date.today().isoformat(), "verify-how": "email"})  # fmt: skip
    assert verified.status_code == 302
    history = client.get(f"/providers/{own_id}/history").get_data(as_text=True)
    assert "English, French" in history and "3 changes" in history
    sign_in_session(client, world.reviewer)
    assert client.get("/providers/new").status_code == 403
    listing = client.get("/providers?country=XAB").get_data(as_text=True)
    assert "3 service providers" not in listing and "2 service providers" in listing


def test_coordinators_keep_every_provider(app, world):
    provider_id = make_provider(app, world, established="XAB")
    with app.app_context():
        provider = db.session.get(Provider, provider_id)
        directory.verify_provider(provider, date.today(), "call", user(world.coordinator))
        assert not directory.overdue(provider)
        provider.interval_months = 1
        provider.verified_on = date.today() - timedelta(days=40)
        assert directory.overdue(provider)
        with pytest.raises(Invalid) as refused:
            directory.verify_provider(provider, date(1999, 1, 1), "call", user(world.coordinator))
        assert refused.value.field == "on"


# --- API ---------------------------------------------------------------------------------------


def _schema(client, name: str, body) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    jsonschema.validate(
        body, {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


def test_list_contacts_filters_and_answers_the_documented_shape(app, client, world):
    own = make_contact(app, world, "XAA")
    make_contact(app, world, "XAB")
    with app.app_context():
        directory.verify(db.session.get(Contact, own), date.today(), "call", user(world.own))
        db.session.commit()
    headers = bearer(token_for(client, world.other.email))
    body = client.get("/api/v1/contacts", headers=headers).get_json()
    assert [c["country"]["code"] for c in body["contacts"]] == ["XAA", "XAB"]
    for contact in body["contacts"]:
        _schema(client, "Contact", contact)
    first = body["contacts"][0]
    assert first["phone"] == "+442079460958" and first["verification"]["overdue"] is False
    assert first["verification"]["how"] == "call" and first["verification"]["by"] == "Olga"
    overdue = client.get("/api/v1/contacts?overdue=true", headers=headers).get_json()
    assert [c["country"]["code"] for c in overdue["contacts"]] == ["XAB"]
    assert client.get("/api/v1/contacts?country=xaa&network=budapest_35",
                      headers=headers).get_json()["contacts"][0]["id"] == own  # fmt: skip
    for query, field in (("network=g8", "network"), ("country=ZZZ", "country"),
                         ("overdue=yes", "overdue")):  # fmt: skip
        response = client.get(f"/api/v1/contacts?{query}", headers=headers)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field


def test_verify_contact_and_record_a_test_through_the_api(app, client, world):
    contact_id = make_contact(app, world)
    own = bearer(token_for(client, world.own.email))
    url = f"/api/v1/contacts/{contact_id}"
    today = date.today().isoformat()
    for body, field in (({"on": "2999-01-01", "how": "call"}, "on"), ({"on": today}, "how"),
                        ({"on": 20250101, "how": "call"}, "on")):  # fmt: skip
        response = client.post(f"{url}/verification", headers=own, json=body)
        assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert client.post(f"{url}/verification", headers=own, data="x").status_code == 422
    done = client.post(f"{url}/verification", headers=own, json={"on": today, "how": "email"})
    assert done.status_code == 200
    _schema(client, "Contact", done.get_json())
    assert done.get_json()["verification"]["on"] == today
    bad = client.post(f"{url}/tests", headers=own,
                      json={"on": today, "channel": "phone", "outcome": "reached",
                            "response_minutes": -3})  # fmt: skip
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "response_minutes"
    logged = client.post(f"{url}/tests", headers=own,
                         json={"on": today, "channel": "phone", "outcome": "not_reached",
                               "notes": "Voicemail."})  # fmt: skip
    assert logged.status_code == 201
    _schema(client, "ContactTest", logged.get_json())
    other = bearer(token_for(client, world.other.email))
    reviewer = bearer(token_for(client, world.reviewer.email))
    body = {"on": today, "how": "call"}
    assert client.post(f"{url}/verification", headers=other, json=body).status_code == 404
    assert client.post(f"{url}/verification", headers=reviewer, json=body).status_code == 403
    assert client.post("/api/v1/contacts/999999/verification", headers=own,
                       json=body).status_code == 404  # fmt: skip
    with app.app_context():
        assert count(ContactTest) == 1


def test_the_contact_operations_are_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert {"listContacts", "verifyContact", "recordContactTest"} <= operations


# --- Demo --------------------------------------------------------------------------------------


def test_the_demo_directory(app):
    from app.capacity import demo_directory

    with app.app_context():
        for code, name in (("XAA", "Demoland"), ("XAB", "Exampleland"), ("XAC", "Sampleland")):
            make_country(code, name)
        make_user(demo_directory.OLGA, Role.OFFICIAL, "XAA")
        make_user(demo_directory.BEATRIZ, Role.OFFICIAL, "XAB")
        make_user("coordinator@demo.example.org", Role.COORDINATOR)
        users = {u.email: u for u in db.session.scalars(select(User))}
        coordinator = users["coordinator@demo.example.org"]
        done = demo_directory.seed(users, coordinator, date.today())
        db.session.commit()
        assert len(done) == 4
        overdue = {c.country.code for c in directory.overdue_contacts()}
        assert overdue == {"XAA"}
        status = directory.country_status(country("XAC"))
        assert status.missing
        assert count(ContactTest) == 1
        providers = directory.list_providers()
        assert [p.name for p in providers] == ["Examplemail Services", "Samplecloud Hosting"]
        assert [directory.overdue(p) for p in providers] == [False, True]
        assert demo_directory.seed(users, coordinator, date.today()) == [
            "The 24/7 directory is seeded already."
        ]
