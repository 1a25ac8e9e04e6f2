"""The command line: clear one-line errors with exit status 2, nothing half-written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Country, User
from tests.conftest import sign_in


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Country.id))),
            db.session.scalar(select(func.count(AuditEvent.id))),
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "a@xaa.example.org", "--role", "chief"], "unknown role 'chief'"),
        (
            ["users", "create", "a@xaa.example.org", "--role", "official", "--country", "ZZZ"],
            "unknown country 'ZZZ'",
        ),
        (["users", "create", "not-an-email", "--role", "reviewer"], "invalid e-mail address"),
        (["users", "create", "a@xaa.example.org", "--role", "official"], "give --country"),
        (
            ["users", "create", "a@catf.example.org", "--role", "admin", "--country", "XAA"],
            "only officials belong to a country",
        ),
        (["users", "create", "--role", "admin"], "Missing argument 'EMAIL'"),
        (["users", "create", "a@catf.example.org"], "Missing option '--role'"),
        (["users", "create", "a@catf.example.org", "--role", "admin", "--bogus"], "No such option"),
        (["users", "deactivate", "ghost@catf.example.org"], "no account with e-mail"),
        (["users", "create", "olga@xaa.example.org", "--role", "reviewer"], "already exists"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2_writing_nothing(app, runner, world, args, message):
    before = counts(app)
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and message in lines[0]
    assert "Traceback" not in result.output
    assert counts(app) == before


def test_weak_password_from_stdin_is_refused(app, runner, world):
    before = counts(app)
    result = runner.invoke(
        args=["users", "create", "new@catf.example.org", "--role", "reviewer", "--password-stdin"],
        input="password1234\n",
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: password refused: This password is too common; choose one that is harder to guess."
    )
    assert counts(app) == before


def test_create_user_with_password_from_stdin_can_sign_in(app, runner, client, world):
    result = runner.invoke(
        args=[
            "users", "create", "New.Official@XAA.example.org", "--role", "official",
            "--country", "xaa", "--name", "Nina New", "--password-stdin",
        ],
        input="a perfectly fine passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Created official of XAA: new.official@xaa.example.org"
    response = sign_in(client, "new.official@xaa.example.org", "a perfectly fine passphrase")
    assert response.status_code == 302
    assert "Nina New" in client.get("/").get_data(as_text=True)


def test_create_user_without_password_prints_an_invitation_link(app, runner, world):
    result = runner.invoke(args=["users", "create", "rev@catf.example.org", "--role", "reviewer"])
    assert result.exit_code == 0
    link = re.search(
        r"Invitation link \(valid once\): (http://catf\.test/auth/invitation/\S+)", result.output
    )
    assert link
    path = link.group(1).removeprefix("http://catf.test")
    assert app.test_client().get(path).status_code == 200


def test_deactivate_ends_sessions(app, runner, world):
    browser = app.test_client()
    sign_in(browser, world.own.email)
    result = runner.invoke(args=["users", "deactivate", world.own.email])
    assert result.exit_code == 0
    assert browser.get("/").status_code == 302


def test_countries_sync_loads_iso_3166_with_regions_and_is_idempotent(app, runner):
    first = runner.invoke(args=["countries", "sync"])
    assert first.exit_code == 0
    assert re.match(r"Countries: 249 added, 0 updated, 249 in all\.", first.output)
    second = runner.invoke(args=["countries", "sync"])
    assert second.output.strip() == "Countries: 0 added, 0 updated, 249 in all."
    with app.app_context():
        france = db.session.scalar(select(Country).where(Country.code == "FRA"))
        kenya = db.session.scalar(select(Country).where(Country.code == "KEN"))
        assert (france.name, france.region) == ("France", "150")
        assert (kenya.name, kenya.region) == ("Kenya", "002")
        regions = set(db.session.scalars(select(Country.region).distinct()))
        assert regions == {"002", "019", "142", "150", "009", None}


def test_seed_demo_is_idempotent_and_its_printed_sign_ins_work(app, runner):
    first = runner.invoke(args=["seed-demo", "--password", "a demo passphrase"])
    assert first.exit_code == 0, first.output
    first_counts = counts(app)[:2]
    second = runner.invoke(args=["seed-demo", "--password", "a demo passphrase"])
    assert second.exit_code == 0
    assert counts(app)[:2] == first_counts
    assert "signs in with the password: a demo passphrase" in second.output
    rows = re.findall(
        r"^(official|reviewer|coordinator|admin)\s+(\S+)\s+(\S+@\S+)$", second.output, re.M
    )
    assert {role for role, _, _ in rows} == {"official", "reviewer", "coordinator", "admin"}
    officials_by_country = {}
    for role, country, email in rows:
        if role == "official":
            officials_by_country.setdefault(country, []).append(email)
        browser = app.test_client()
        assert sign_in(browser, email, "a demo passphrase").status_code == 302, email
        assert browser.get("/").status_code == 200
    assert max(len(emails) for emails in officials_by_country.values()) >= 2
    with app.app_context():
        demo = db.session.scalars(select(Country.code).where(Country.code.like("X%"))).all()
        assert demo and all(re.fullmatch(r"X[A-Z]{2}", code) for code in demo)


def test_seed_demo_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["seed-demo", "--password", "short"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: password refused: Use at least 12")
    assert counts(app) == (0, 0, 0)
