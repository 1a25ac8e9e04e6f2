"""Accounts under pressure, with real threads on the real database engine (SQLite or PostgreSQL,
whichever the suite runs on): throttling holds under parallel attempts, one person's mistakes do
not lock out everyone behind the same address, a one-time link works exactly once, and signing
out ends the session on the server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth import services as accounts
from app.core.permissions import Role
from app.core.security import verify_password
from app.extensions import db
from app.models import AccountToken, LoginAttempt, TokenPurpose, User
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in, together
from tests.integration.test_auth import LOCKED, WRONG, audit_actions, link_in_last_mail

PARALLEL = 40


@pytest.fixture
def verified(monkeypatch) -> list[str]:
    """The password checks (Argon2) the sign-in service makes, one entry each."""
    calls: list[str] = []
    lock = threading.Lock()

    def counting(password_hash, password):
        with lock:
            calls.append(password_hash or "")
        return verify_password(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return calls


def login_action(client, email: str, password: str = WRONG, address: str = "127.0.0.1"):
    """Return an action posting the sign-in form once (its CSRF token is fetched beforehand, so
    that the threads start with the request itself); it gives (status, page)."""
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client, environ_base=environ)
    data = {"csrf_token": token, "email": email, "password": password}

    def action():
        response = client.post("/auth/login", data=data, environ_base=environ)
        return response.status_code, response.get_data(as_text=True)

    return action


def attempt(app, email: str, password: str = WRONG, address: str = "127.0.0.1"):
    """Sign in once from ``address`` in a fresh browser; return (status, page)."""
    return login_action(app.test_client(), email, password, address)()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- 9. Throttling is one atomic step --------------------------------------------------------


def test_parallel_wrong_passwords_for_one_account_are_checked_only_five_times(app, world, verified):
    actions = [login_action(app.test_client(), world.own.email) for _ in range(PARALLEL)]
    results = together(actions)
    assert all(isinstance(result, tuple) for result in results), results
    assert {status for status, _ in results} == {200}
    assert len(verified) == 5
    assert sum(LOCKED in page for _, page in results) == PARALLEL - 5
    assert count(app, LoginAttempt) == 5
    assert len(audit_actions(app, "auth.login.failure")) == 5
    assert len(audit_actions(app, "auth.login.throttled")) == PARALLEL - 5
    status, page = attempt(app, world.own.email, PASSWORD)
    assert status == 200 and LOCKED in page


def test_parallel_wrong_passwords_from_one_address_are_checked_only_up_to_its_limit(
    app, world, verified, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 10)
    actions = [
        login_action(app.test_client(), f"guess{number}@xaa.example.org")
        for number in range(PARALLEL)
    ]
    results = together(actions)
    assert all(isinstance(result, tuple) for result in results), results
    assert len(verified) == 10
    assert sum(LOCKED in page for _, page in results) == PARALLEL - 10
    assert count(app, LoginAttempt) == 10
    assert LOCKED in attempt(app, world.reviewer.email, PASSWORD)[1]
    assert attempt(app, world.reviewer.email, PASSWORD, address="10.9.8.7")[0] == 302


# --- 10. An address is locked by its own, higher limit ---------------------------------------


def test_one_persons_mistakes_do_not_lock_out_others_behind_the_same_address(app, world):
    for _ in range(5):
        attempt(app, world.own.email)
    for number in range(5):
        attempt(app, f"guess{number}@xaa.example.org")
    assert attempt(app, world.reviewer.email, PASSWORD)[0] == 302
    assert LOCKED in attempt(app, world.own.email, PASSWORD)[1]  # the account's own limit holds


def test_the_address_limit_is_its_own_setting_of_fifty_by_default(app, world):
    assert app.config["LOGIN_MAX_FAILURES"] == 5
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] == 50
    for number in range(49):
        assert LOCKED not in attempt(app, f"guess{number}@xaa.example.org")[1]
    assert attempt(app, world.reviewer.email, PASSWORD)[0] == 302
    attempt(app, "guess49@xaa.example.org")
    status, page = attempt(app, world.reviewer.email, PASSWORD)
    assert status == 200 and LOCKED in page and "Try again in 15 minutes" in page
    assert attempt(app, world.reviewer.email, PASSWORD, address="10.9.8.7")[0] == 302


def test_the_address_limit_is_read_from_the_environment():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "LOGIN_MAX_FAILURES_PER_ADDRESS": "120"}
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config; print(config.Config.LOGIN_MAX_FAILURES_PER_ADDRESS)",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.strip() == "120"


def problems(page: str) -> str:
    """Return the text of the page's error summary (empty when there is none)."""
    match = re.search(r'<div class="alert alert-danger".*?</div>', page, re.S)
    return re.sub(r"\s+", " ", match.group(0)) if match else ""


def test_a_warning_comes_before_the_lock_and_says_the_same_for_unknown_addresses(app, world):
    known = [problems(attempt(app, world.own.email)[1]) for _ in range(5)]
    unknown = [problems(attempt(app, "ghost@xaa.example.org")[1]) for _ in range(5)]
    assert known == unknown
    assert all("The e-mail address or the password is wrong." in text for text in known)
    assert "more failed attempt" not in known[0] + known[1]
    assert "After 2 more failed attempts, signing in will be paused for 15 minutes." in known[2]
    assert "After 1 more failed attempt, signing in will be paused for 15 minutes." in known[3]
    assert LOCKED not in known[4]
    assert LOCKED in attempt(app, "ghost@xaa.example.org")[1]


def test_a_warning_comes_before_the_address_lock_too(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 8)
    pages = [problems(attempt(app, f"guess{number}@xaa.example.org")[1]) for number in range(7)]
    assert "more failed attempt" not in "".join(pages[:5])
    assert "After 2 more failed attempts" in pages[5]
    assert "After 1 more failed attempt," in pages[6]


# --- 11. One-time links work once ------------------------------------------------------------


def request_reset(app, email: str) -> str:
    post_form(app.test_client(), "/auth/forgot", {"email": email})
    return link_in_last_mail("/auth/reset/")


def new_password(client, link: str, password: str):
    return post_form(client, link, {"new_password": password, "confirm_password": password})


def test_a_reset_link_stops_working_when_the_password_changes(app, world):
    link = request_reset(app, world.own.email)
    browser = app.test_client()
    sign_in(browser, world.own.email)
    changed = post_form(
        browser,
        "/auth/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert changed.status_code == 302
    stranger = app.test_client()
    assert stranger.get(link).status_code == 404
    assert new_password(stranger, link, "the attacker's phrase").status_code == 404
    assert sign_in(app.test_client(), world.own.email, "a brand new passphrase").status_code == 302


def test_a_password_set_through_a_link_ends_every_other_outstanding_link(app, world):
    first = request_reset(app, world.own.email)
    with app.app_context():
        user = db.session.get(User, world.own.id)
        accounts.issue_token(user, TokenPurpose.INVITATION)  # an invitation sent again meanwhile
        db.session.commit()
    assert new_password(app.test_client(), first, "reset to this phrase").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AccountToken.id)).where(AccountToken.used_at.is_(None))
            )
            == 0
        )


def test_a_newer_reset_link_replaces_the_older_one(app, world):
    older = request_reset(app, world.own.email)
    newer = request_reset(app, world.own.email)
    assert app.test_client().get(older).status_code == 404
    assert new_password(app.test_client(), older, "reset to this phrase").status_code == 404
    assert new_password(app.test_client(), newer, "reset to this phrase").status_code == 302


def test_of_links_requested_at_the_same_moment_only_the_newest_works(app, world):
    actions = []
    for _ in range(10):
        client = app.test_client()
        data = {"csrf_token": csrf_token(client), "email": world.own.email}
        actions.append(lambda client=client, data=data: client.post("/auth/forgot", data=data))
    assert [response.status_code for response in together(actions)] == [302] * 10
    with app.app_context():
        unused = db.session.scalars(
            select(AccountToken).where(AccountToken.used_at.is_(None))
        ).all()
        assert len(unused) == 1
        newest = db.session.scalar(select(func.max(AccountToken.id)))
        assert unused[0].id == newest


def parallel_uses(app, link: str, fields: dict) -> tuple[list, list[str]]:
    """Post ``link`` from 10 browsers at once, each with another password; return the results
    and the passwords."""
    passwords = [f"parallel passphrase number {n}" for n in range(10)]
    actions = []
    for password in passwords:
        client = app.test_client()
        token = csrf_token(client)
        data = {
            "csrf_token": token,
            "new_password": password,
            "confirm_password": password,
            **fields,
        }
        actions.append(lambda client=client, data=data: client.post(link, data=data).status_code)
    return together(actions), passwords


def test_parallel_uses_of_one_reset_link_succeed_once(app, world):
    link = request_reset(app, world.own.email)
    statuses, passwords = parallel_uses(app, link, {})
    assert sorted(statuses) == [302] + [404] * 9, statuses
    resets = [
        e for e in audit_actions(app, "user.password_reset") if e.action == "user.password_reset"
    ]
    assert len(resets) == 1
    winner = passwords[statuses.index(302)]
    with app.app_context():
        stored = db.session.get(User, world.own.id).password_hash
        assert [verify_password(stored, p) for p in passwords].count(True) == 1
        assert verify_password(stored, winner)


def test_parallel_uses_of_one_invitation_succeed_once(app, world):
    with app.app_context():
        invitee = accounts.create_user("invitee@catf.example.org", "Invitee", Role.REVIEWER, None)
        token = accounts.issue_token(invitee, TokenPurpose.INVITATION)
        db.session.commit()
        invitee_id = invitee.id
    statuses, passwords = parallel_uses(
        app, f"/auth/invitation/{token}", {"display_name": "Invitee"}
    )
    assert sorted(statuses) == [302] + [404] * 9, statuses
    assert len(audit_actions(app, "user.invitation_accepted")) == 1
    with app.app_context():
        stored = db.session.get(User, invitee_id).password_hash
        assert verify_password(stored, passwords[statuses.index(302)])


# --- 12. Signing out ends the session on the server ------------------------------------------


def test_a_session_cookie_captured_before_sign_out_no_longer_works(app, world):
    browser = app.test_client()
    assert sign_in(browser, world.own.email).status_code == 302
    captured = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", captured)
    assert thief.get("/").status_code == 200  # the cookie is the session: it works until...
    assert post_form(browser, "/auth/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", captured)
    response = thief.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert thief.get("/account").status_code == 302


def test_signing_out_of_one_browser_keeps_the_others_signed_in(app, world):
    first, second = app.test_client(), app.test_client()
    assert sign_in(first, world.own.email).status_code == 302
    assert sign_in(second, world.own.email).status_code == 302
    assert post_form(first, "/auth/logout").status_code == 302
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 200


def test_a_signed_session_without_a_session_id_is_refused(app, world):
    """A cookie signed before sessions carried their own id cannot be ended at sign-out: it is
    treated as signed out."""
    serializer = app.session_interface.get_signing_serializer(app)
    legacy = serializer.dumps({"_user_id": f"{world.own.id}:1", "_fresh": True})
    client = app.test_client()
    client.set_cookie("session", legacy)
    assert client.get("/").status_code == 302
    assert client.get("/").status_code == 302  # and it does not become valid on the way out
