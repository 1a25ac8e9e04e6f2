"""Signing in and out: throttling, session revocation, redirects, CSRF, passwords, tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.core.db import utcnow
from app.core.mail import MemoryBackend
from app.extensions import db
from app.models import AccountToken, AuditEvent, LoginAttempt, User
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in

WRONG = "not the right password"


def audit_actions(app, action_prefix: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like(f"{action_prefix}%"))
                .order_by(AuditEvent.id)
            )
        )


# --- Sign-in ---------------------------------------------------------------------------------


def test_sign_in_lands_on_home_and_shows_who_and_role(client, world):
    response = sign_in(client, "OLGA@xaa.example.org", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/"
    assert "Olga" in page and "Country official" in page and "Demoland" in page


def test_sign_in_success_and_failure_are_audited(app, client, world):
    sign_in(client, world.own.email, WRONG)
    sign_in(client, "nobody@nowhere.example.org", WRONG)
    sign_in(client, world.own.email)
    failures = audit_actions(app, "auth.login.failure")
    assert [(e.actor_email, e.summary["reason"]) for e in failures] == [
        (world.own.email, "invalid"),
        ("nobody@nowhere.example.org", "unknown_account"),
    ]
    assert all(e.ip == "127.0.0.1" for e in failures)
    successes = audit_actions(app, "auth.login.success")
    assert [e.actor_id for e in successes] == [world.own.id]


def test_wrong_password_message_does_not_reveal_whether_the_account_exists(client, world):
    known = sign_in(client, world.own.email, WRONG).get_data(as_text=True)
    unknown = sign_in(client, "ghost@xaa.example.org", WRONG).get_data(as_text=True)
    message = "The e-mail address or the password is wrong."
    assert message in known and message in unknown


def test_sign_in_rehashes_a_password_made_with_older_parameters(app, client, world, monkeypatch):
    with app.app_context():
        old_hash = db.session.get(User, world.own.id).password_hash
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 2)
    assert sign_in(client, world.own.email).status_code == 302
    with app.app_context():
        new_hash = db.session.get(User, world.own.id).password_hash
    assert new_hash != old_hash and "t=2" in new_hash


# --- Throttling ------------------------------------------------------------------------------

LOCKED = "Too many failed sign-in attempts"


def test_five_failures_lock_the_account_even_for_the_right_password(app, client, world):
    for _ in range(5):
        assert LOCKED not in sign_in(client, world.own.email, WRONG).get_data(as_text=True)
    page = sign_in(client, world.own.email).get_data(as_text=True)
    assert LOCKED in page and "Try again in 15 minutes" in page
    assert audit_actions(app, "auth.login.throttled")


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(app, client, world):
    for _ in range(5):
        sign_in(client, world.own.email, WRONG)
    with app.app_context():
        db.session.execute(update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=14)))
        db.session.commit()
    assert LOCKED in sign_in(client, world.own.email).get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(LoginAttempt).values(created_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    assert sign_in(client, world.own.email).status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(app, client, world):
    for minutes_ago in (40, 30, 20, 10, 0):
        sign_in(client, world.own.email, WRONG)
        with app.app_context():
            newest = db.session.scalar(select(func.max(LoginAttempt.id)))
            db.session.execute(
                update(LoginAttempt)
                .where(LoginAttempt.id == newest)
                .values(created_at=utcnow() - timedelta(minutes=minutes_ago))
            )
            db.session.commit()
    assert sign_in(client, world.own.email).status_code == 302


def test_an_address_is_locked_for_every_account_only_at_its_own_higher_limit(
    app, client, world, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 8)
    for number in range(5):
        sign_in(client, f"guess{number}@xaa.example.org", WRONG)
    assert sign_in(app.test_client(), world.reviewer.email).status_code == 302
    for number in range(5, 8):
        sign_in(client, f"guess{number}@xaa.example.org", WRONG)
    assert LOCKED in sign_in(client, world.reviewer.email).get_data(as_text=True)
    other_address = client.application.test_client()
    response = sign_in(
        other_address, world.reviewer.email, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert response.status_code == 302


def test_the_lock_holds_across_worker_processes(app, world, database_url):
    """Another app instance on the same database (as another gunicorn worker) sees the lock."""
    for _ in range(5):
        sign_in(app.test_client(), world.own.email, WRONG)
    other_worker = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    page = sign_in(other_worker.test_client(), world.own.email).get_data(as_text=True)
    with other_worker.app_context():
        db.engine.dispose()
    assert LOCKED in page


def test_a_success_clears_the_account_count(client, world):
    for _ in range(4):
        sign_in(client, world.own.email, WRONG)
    assert sign_in(client, world.own.email).status_code == 302
    fresh = client.application.test_client()
    sign_in(fresh, world.own.email, WRONG, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert (
        sign_in(fresh, world.own.email, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 302
    )


# --- Sessions --------------------------------------------------------------------------------


def two_browsers(app, email):
    first, second = app.test_client(), app.test_client()
    assert sign_in(first, email).status_code == 302
    assert sign_in(second, email).status_code == 302
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    return first, second


def test_password_change_revokes_other_sessions_but_keeps_this_one(app, world):
    first, second = two_browsers(app, world.own.email)
    response = post_form(
        first,
        "/auth/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    other = second.get("/")
    assert other.status_code == 302 and other.headers["Location"].startswith("/auth/login")
    assert sign_in(app.test_client(), world.own.email, "a brand new passphrase").status_code == 302


def test_password_change_requires_the_current_password(client, world):
    sign_in(client, world.own.email)
    page = post_form(
        client,
        "/auth/password",
        {
            "current_password": WRONG,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    ).get_data(as_text=True)
    assert "The current password is wrong." in page
    assert sign_in(client.application.test_client(), world.own.email).status_code == 302


def test_deactivation_ends_the_sessions_at_once(app, world):
    official, _ = two_browsers(app, world.own.email)
    admin = app.test_client()
    sign_in(admin, world.admin.email)
    assert post_form(admin, f"/admin/users/{world.own.id}/deactivate").status_code == 302
    assert official.get("/").headers["Location"].startswith("/auth/login")
    page = sign_in(app.test_client(), world.own.email).get_data(as_text=True)
    assert "This account is deactivated" in page


def test_sign_out_everywhere(app, world):
    first, second = two_browsers(app, world.own.email)
    assert post_form(first, "/auth/logout-everywhere").status_code == 302
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


def test_sign_in_starts_a_fresh_session(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, world.own.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = sign_in(client, world.own.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_a_secret_key_is_required(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set in production"):
        create_app("production", SECRET_KEY=None)
    app = create_app(
        "production",
        SECRET_KEY="x" * 40,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.sqlite3'}",
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


# --- Redirects and CSRF ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "http://evil.example/",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(client, world, target):
    response = post_form(
        client,
        "/auth/login?" + f"next={target}".replace("\\", "%5C").replace("\t", "%09"),
        {"email": world.own.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_to_a_page_of_the_site_is_followed(client, world):
    response = post_form(
        client, "/auth/login?next=/account", {"email": world.own.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account"


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, world):
    sign_in(client, world.admin.email)
    response = client.post(f"/admin/users/{world.own.id}/deactivate")
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world.own.id).active is True


def test_sign_in_without_csrf_token_is_refused(client, world):
    response = client.post("/auth/login", data={"email": world.own.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_a_token_from_another_session_is_refused(app, client, world):
    stranger = app.test_client()
    token = csrf_token(stranger)
    sign_in(client, world.admin.email)
    response = client.post(f"/admin/users/{world.own.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 400


# --- Password policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "Use at least 12 characters."),
        ("x" * 129, "Use at most 128 characters."),
        ("password1234", "This password is too common"),
        ("QAZWSXEDCRFV", "This password is too common"),
        ("olga@xaa.example.org", "Do not use your e-mail address"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(app, client, world, password, message):
    sign_in(client, world.own.email)
    page = post_form(
        client,
        "/auth/password",
        {"current_password": PASSWORD, "new_password": password, "confirm_password": password},
    ).get_data(as_text=True)
    assert message in page
    assert 'href="#new_password"' in page  # the error summary links to the field
    with app.app_context():
        user = db.session.get(User, world.own.id)
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.action == "user.password_changed"
                )
            )
            == 0
        )
        assert user.session_version == 1


# --- Invitations and resets ------------------------------------------------------------------


def link_in_last_mail(path_prefix: str) -> str:
    body = MemoryBackend.outbox[-1].body
    match = re.search(r"http://catf\.test(" + re.escape(path_prefix) + r"[\w\-]+)", body)
    assert match, body
    return match.group(1)


def test_invitation_round_trip(app, client, world):
    sign_in(client, world.coordinator.email)
    response = post_form(
        client,
        "/admin/users/invite",
        {
            "email": "new.official@xaa.example.org",
            "display_name": "Nadia New",
            "role": "official",
            "country": "XAA",
        },
    )
    assert response.status_code == 302
    assert MemoryBackend.outbox[-1].to == "new.official@xaa.example.org"
    assert "as Country official" in MemoryBackend.outbox[-1].body
    link = link_in_last_mail("/auth/invitation/")
    invitee = app.test_client()
    page = invitee.get(link).get_data(as_text=True)
    assert "Nadia New" in page and "Demoland" in page
    response = post_form(
        invitee,
        link,
        {
            "display_name": "Nadia N.",
            "new_password": "my own long passphrase",
            "confirm_password": "my own long passphrase",
        },
    )
    assert response.headers["Location"] == "/"
    assert "Nadia N." in invitee.get("/").get_data(as_text=True)
    assert invitee.get(link).status_code == 404  # one-time
    assert audit_actions(app, "user.invited") and audit_actions(app, "user.invitation_accepted")


def test_an_expired_invitation_is_refused(app, client, world):
    sign_in(client, world.admin.email)
    post_form(
        client,
        "/admin/users/invite",
        {"email": "late@catf.example.org", "display_name": "Late", "role": "reviewer"},
    )
    link = link_in_last_mail("/auth/invitation/")
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert app.test_client().get(link).status_code == 404


def test_coordinators_cannot_invite_coordinators_or_admins(app, client, world):
    sign_in(client, world.coordinator.email)
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert 'value="official"' in page and 'value="reviewer"' in page
    assert 'value="coordinator"' not in page and 'value="admin"' not in page
    response = post_form(
        client,
        "/admin/users/invite",
        {"email": "boss@catf.example.org", "display_name": "Boss", "role": "admin"},
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "boss@catf.example.org")) is None


def test_invite_checks_role_and_country_and_duplicates(app, client, world):
    sign_in(client, world.admin.email)
    cases = [
        (
            {"email": "x@xaa.example.org", "role": "official", "country": ""},
            "must belong to a country",
        ),
        ({"email": "y@catf.example.org", "role": "reviewer", "country": "XAA"}, "Only officials"),
        ({"email": world.other.email.upper(), "role": "reviewer"}, "already exists"),
        ({"email": "not-an-email", "role": "reviewer"}, "Invalid email address"),
    ]
    for data, message in cases:
        page = post_form(
            client, "/admin/users/invite", {"display_name": "Someone", **data}
        ).get_data(as_text=True)
        assert message in page, message
        assert 'value="Someone"' in page  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 6  # the world's, no more


def test_password_reset_round_trip_revokes_sessions(app, world):
    signed_in = app.test_client()
    sign_in(signed_in, world.own.email)
    anonymous = app.test_client()
    response = post_form(anonymous, "/auth/forgot", {"email": world.own.email})
    assert response.status_code == 302
    link = link_in_last_mail("/auth/reset/")
    response = post_form(
        anonymous,
        link,
        {"new_password": "reset to this phrase", "confirm_password": "reset to this phrase"},
    )
    assert response.headers["Location"] == "/auth/login"
    assert signed_in.get("/").status_code == 302
    assert sign_in(app.test_client(), world.own.email, "reset to this phrase").status_code == 302
    assert anonymous.get(link).status_code == 404


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, world):
    known = post_form(client, "/auth/forgot", {"email": world.own.email}, follow_redirects=True)
    sent = len(MemoryBackend.outbox)
    unknown = post_form(
        client, "/auth/forgot", {"email": "ghost@xaa.example.org"}, follow_redirects=True
    )
    assert len(MemoryBackend.outbox) == sent
    message = "If an account uses this address"
    assert message in known.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_reset_links_use_the_configured_address_not_the_host_header(client, world):
    post_form(client, "/auth/forgot", {"email": world.own.email}, headers={"Host": "evil.example"})
    assert "evil.example" not in MemoryBackend.outbox[-1].body
    assert "http://catf.test/auth/reset/" in MemoryBackend.outbox[-1].body
