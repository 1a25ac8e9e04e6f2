"""Administration pages: users, roles and countries, participation, the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from app.core.permissions import Role
from app.extensions import db
from app.models import AuditEvent, Country, User
from tests.conftest import post_form, sign_in


def test_admin_changes_role_and_country_and_the_person_is_signed_out(app, world):
    official = app.test_client()
    sign_in(official, world.own.email)
    admin = app.test_client()
    sign_in(admin, world.admin.email)
    response = post_form(
        admin,
        f"/admin/users/{world.own.id}",
        {"display_name": "Olga O.", "role": "official", "country": "XAB"},
    )
    assert response.status_code == 302
    assert official.get("/").status_code == 302
    with app.app_context():
        user = db.session.get(User, world.own.id)
        assert (user.display_name, user.country.code) == ("Olga O.", "XAB")
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.updated")
        ).one()
        assert event.summary["before"] == {"display_name": "Olga", "country": "XAA"}
        assert event.summary["after"] == {"display_name": "Olga O.", "country": "XAB"}
        assert event.actor_id == world.admin.id


def test_a_role_and_country_that_do_not_fit_are_refused_next_to_the_field(app, client, world):
    sign_in(client, world.admin.email)
    page = post_form(
        client,
        f"/admin/users/{world.reviewer.id}",
        {"display_name": "Rafael", "role": "official", "country": ""},
    ).get_data(as_text=True)
    assert 'id="country-error"' in page and "must belong to a country" in page
    with app.app_context():
        assert db.session.get(User, world.reviewer.id).role is Role.REVIEWER


def test_the_last_administrator_stays(app, client, world):
    sign_in(client, world.admin.email)
    page = post_form(
        client,
        f"/admin/users/{world.admin.id}",
        {"display_name": "Ada", "role": "reviewer", "country": ""},
    ).get_data(as_text=True)
    assert "The last active administrator must stay an administrator." in page
    response = post_form(client, f"/admin/users/{world.admin.id}/deactivate", follow_redirects=True)
    assert "cannot be deactivated" in response.get_data(as_text=True)
    with app.app_context():
        admin = db.session.get(User, world.admin.id)
        assert admin.active and admin.role is Role.ADMIN


def test_reactivated_account_signs_in_again(app, client, world):
    sign_in(client, world.admin.email)
    post_form(client, f"/admin/users/{world.own.id}/deactivate")
    post_form(client, f"/admin/users/{world.own.id}/reactivate")
    assert sign_in(app.test_client(), world.own.email).status_code == 302


def test_user_list_filters_survive_in_the_url(client, world):
    sign_in(client, world.coordinator.email)
    page = client.get("/admin/users?role=official&country=XAA").get_data(as_text=True)
    assert "olga@xaa.example.org" in page and "bea@xab.example.org" not in page
    assert "1 user" in page
    assert '<option value="official" selected>' in page
    page = client.get("/admin/users?q=CAMILLE").get_data(as_text=True)
    assert "camille@catf.example.org" in page and "olga@" not in page


def test_coordinators_see_no_edit_link_and_may_resend_invitations(app, client, world):
    sign_in(client, world.coordinator.email)
    post_form(
        client,
        "/admin/users/invite",
        {"email": "pending@xaa.example.org", "display_name": "Pending", "role": "official",
         "country": "XAA"},
    )  # fmt: skip
    page = client.get("/admin/users?state=invited").get_data(as_text=True)
    assert "pending@xaa.example.org" in page and "Send the invitation again" in page
    assert "/admin/users/" + str(world.own.id) + '"' not in page
    with app.app_context():
        pending = db.session.scalar(select(User).where(User.email == "pending@xaa.example.org"))
    response = post_form(client, f"/admin/users/{pending.id}/invitation", follow_redirects=True)
    assert "A new invitation was sent" in response.get_data(as_text=True)


def test_marking_a_country_as_participating_is_audited(app, client, world):
    with app.app_context():
        db.session.add(Country(code="XAC", name="Sampleland", region="019"))
        db.session.commit()
    sign_in(client, world.coordinator.email)
    page = client.get("/admin/countries?participating=no").get_data(as_text=True)
    assert "Sampleland" in page and "Demoland" not in page
    response = post_form(client, "/admin/countries/XAC/participation", follow_redirects=True)
    assert "Sampleland now participates." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Country).where(Country.code == "XAC")).participating
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "country.participation_changed")
        ).one()
        assert event.summary == {
            "before": {"participating": False},
            "after": {"participating": True},
        }


def test_audit_trail_lists_events_newest_first_and_filters(client, world):
    sign_in(client, world.admin.email)
    post_form(client, "/admin/countries/XAA/participation")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.index("country.participation_changed") < page.index("auth.login.success")
    filtered = client.get("/admin/audit?action=auth.").get_data(as_text=True)
    assert "auth.login.success" in filtered and "country.participation_changed" not in filtered


def test_audit_events_cannot_be_changed_or_deleted(app, world):
    import pytest

    with app.app_context():
        event = AuditEvent(action="test.event", summary={})
        db.session.add(event)
        db.session.commit()
        event.action = "tampered"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.delete(event)
            db.session.commit()


def test_country_pages_are_private_to_their_officials(client, world):
    sign_in(client, world.own.email)
    own = client.get("/countries/xaa")
    assert own.status_code == 200 and "olga@xaa.example.org" in own.get_data(as_text=True)
    assert client.get("/countries/XAB").status_code == 404
    assert client.get("/countries/ZZZ").status_code == 404


def test_official_home_shows_the_country_and_the_team(client, world):
    sign_in(client, world.own.email)
    page = client.get("/").get_data(as_text=True)
    assert "Demoland" in page and "Officials of Demoland (1)" in page
    assert "bea@xab.example.org" not in page


def test_coordinator_home_counts_users_and_countries(client, world):
    sign_in(client, world.coordinator.email)
    page = client.get("/").get_data(as_text=True)
    assert "Participating countries: 2 of 2" in page
    assert "Invitations not accepted yet: 0" in page


def test_the_audit_trail_names_and_links_objects_and_reads_details_as_fields(
    app, client, world, assessments
):
    sign_in(client, world.coordinator.email)
    post_form(client, f"/cycles/{assessments.cycle_id}/close")
    admin = app.test_client()
    sign_in(admin, world.admin.email)
    page = admin.get("/admin/audit?action=cycle.").get_data(as_text=True)
    assert f'<a href="/cycles/{assessments.cycle_id}">2027 round</a>' in page
    assert "<dt>Status</dt>" in page and "open → closed" in page
    assert "{&#34;" not in page and '{"' not in page  # no raw JSON
    assert "kept in that answer&#39;s history" in page or "kept in that answer's history" in page


def test_countries_read_and_sort_as_the_user_reads_them(app, client, runner, world):
    assert runner.invoke(args=["countries", "sync"]).exit_code == 0
    sign_in(client, world.coordinator.email)
    page = client.get("/admin/countries").get_data(as_text=True)
    assert page.index("Åland Islands") < page.index("Albania")  # not after Zimbabwe
    assert page.index("Canada") < page.index("Caribbean Netherlands") < page.index("Chad")
    assert "Bonaire, Sint Eustatius and Saba" not in page  # one name per country, everywhere
    post_form(client, "/language", {"language": "fr", "next": "/admin/countries"})
    french = client.get("/admin/countries").get_data(as_text=True)
    assert french.index("Égypte") < french.index("Érythrée") < french.index("Espagne")
    form = client.get("/cycles/new").get_data(as_text=True)
    assert form.index("Îles Åland (ALA)") < form.index("Irlande (IRL)")  # among the I's of Europe


def test_a_refused_coordinator_is_sent_to_an_administrator_not_to_a_coordinator(client, world):
    sign_in(client, world.coordinator.email)
    response = client.get("/admin/audit")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Ask an administrator" in page and "Ask a coordinator" not in page
    reviewer = client.application.test_client()
    sign_in(reviewer, world.reviewer.email)
    assert "Ask a coordinator or an administrator" in reviewer.get("/admin/audit").get_data(
        as_text=True
    )
