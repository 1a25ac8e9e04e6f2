"""Fixtures: the app on a real database (SQLite file by default, PostgreSQL through
``TEST_DATABASE_URL``), a clean database for every test, and a small world of personas."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event, select

from app import create_app
from app.auth import services as accounts
from app.core.mail import MemoryBackend
from app.core.permissions import Role
from app.extensions import db
from app.frameworks import store
from app.frameworks.library import read_library
from app.models import Country, QuestionnaireVersion, User

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The test database: ``TEST_DATABASE_URL``, or a SQLite file in a temporary folder."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        BASE_URL="http://catf.test",
    )
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(app):
    """Empty every table and the outbox after each test."""
    yield
    MemoryBackend.outbox.clear()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class Persona:
    id: int
    email: str
    role: Role
    country: str | None


@dataclass(frozen=True)
class World:
    """Two countries and one account of each kind the permission rules distinguish."""

    own: Persona  # an official of XAA, the country whose objects the tests open
    other: Persona  # an official of XAB
    reviewer: Persona
    coordinator: Persona
    admin: Persona

    def persona(self, name: str) -> Persona | None:
        return None if name == "anonymous" else getattr(self, name)


def make_country(code: str, name: str, participating: bool = True) -> None:
    db.session.add(Country(code=code, name=name, region="150", participating=participating))
    db.session.flush()


def make_user(email: str, role: Role, country_code: str | None = None, **kwargs) -> Persona:
    country = (
        db.session.scalar(select(Country).where(Country.code == country_code))
        if country_code
        else None
    )
    user = accounts.create_user(
        email, kwargs.pop("name", email.split("@")[0].title()), role, country, password=PASSWORD
    )
    for key, value in kwargs.items():
        setattr(user, key, value)
    db.session.flush()
    return Persona(user.id, user.email, role, country_code)


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        make_country("XAA", "Demoland")
        make_country("XAB", "Exampleland")
        result = World(
            own=make_user("olga@xaa.example.org", Role.OFFICIAL, "XAA"),
            other=make_user("bea@xab.example.org", Role.OFFICIAL, "XAB"),
            reviewer=make_user("rafael@catf.example.org", Role.REVIEWER),
            coordinator=make_user("camille@catf.example.org", Role.COORDINATOR),
            admin=make_user("ada@catf.example.org", Role.ADMIN),
        )
        db.session.commit()
    return result


QUESTIONNAIRES = Path(__file__).resolve().parents[1] / "questionnaires"


@pytest.fixture(scope="session")
def shipped_library():
    """The shipped questionnaire and framework files, read and checked once per run."""
    library = read_library([QUESTIONNAIRES])
    assert library.ok, "\n".join(map(str, library.problems))
    return library


@pytest.fixture
def loaded_library(app, shipped_library):
    """The shipped files loaded into the database; returns the questionnaire version's id."""
    with app.app_context():
        store.load(shipped_library)
        db.session.commit()
        return db.session.scalar(select(QuestionnaireVersion.id))


def count_statements(app, action) -> list[str]:
    """Run ``action`` and return the SQL statements it sent to the database."""
    statements: list[str] = []

    def listener(connection, cursor, statement, *args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


def sign_in_session(client, persona: Persona) -> None:
    """Put ``persona`` in the client's session as Flask-Login does after a sign-in."""
    with client.application.app_context():
        version = db.session.get(User, persona.id).session_version
    with client.session_transaction() as session:
        session["_user_id"] = f"{persona.id}:{version}"
        session["_fresh"] = True


def csrf_token(client, **kwargs) -> str:
    """Return a CSRF token valid for the client's session (read from a rendered form)."""
    html = client.get("/auth/forgot", **kwargs).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, as a browser would."""
    token = csrf_token(client, **{k: v for k, v in kwargs.items() if k != "follow_redirects"})
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def sign_in(client, email: str, password: str = PASSWORD, **kwargs):
    """Sign in through the real form."""
    return post_form(client, "/auth/login", {"email": email, "password": password}, **kwargs)
