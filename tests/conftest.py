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
        UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")),
    )
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
    for stored in Path(app.config["UPLOAD_FOLDER"]).glob("*"):
        stored.unlink()
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
    reviewer: Persona  # the lead reviewer of the assessments ``open_cycle`` creates
    coordinator: Persona
    admin: Persona
    outsider: Persona  # a reviewer assigned to none of them

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
            outsider=make_user("oscar@catf.example.org", Role.REVIEWER),
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


@dataclass(frozen=True)
class Assessments:
    cycle_id: int
    own: int  # XAA's assessment
    other: int  # XAB's assessment


def open_cycle(app, world, name: str = "2027 round", countries=("XAA", "XAB")) -> Assessments:
    """Prepare and open a cycle for ``countries`` with the newest questionnaire."""
    from datetime import date

    from app.assessments import cycles
    from app.frameworks import store as library_store

    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        version = library_store.latest_questionnaires()[0]
        chosen = list(db.session.scalars(select(Country).where(Country.code.in_(countries))))
        cycle = cycles.create_cycle(
            name, version, date(2027, 6, 30), chosen, carry_over=True, user=coordinator
        )
        opened = cycles.open_cycle(cycle, coordinator)
        reviewer = getattr(world, "reviewer", None)
        for assessment in opened:  # world.reviewer reviews them; world.outsider none
            assessment.lead_reviewer_id = reviewer.id if reviewer else None
        created = {a.country.code: a.id for a in opened}
        db.session.commit()
        return Assessments(cycle.id, created.get("XAA"), created.get("XAB"))


@pytest.fixture
def assessments(app, world, loaded_library) -> Assessments:
    """An open cycle with a draft assessment for XAA (``own``) and XAB (``other``)."""
    return open_cycle(app, world)


def valid_value(question, evidence_id: str | None = None):
    """Return a value ``question`` accepts (used to fill questionnaires in tests)."""
    return question.sample_value(files=[evidence_id] if evidence_id else ())


def fill_required(app, assessment_id: int, official_id: int, except_section: str | None = None):
    """Answer every required, visible question (repeating as answers reveal more)."""
    from app.assessments import answers
    from app.assessments import evidence as evidence_files
    from app.models import Assessment

    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        official = db.session.get(User, official_id)
        evidence = None
        for _ in range(10):
            state = answers.state(assessment)
            missing = [
                q
                for q in state.missing()
                if except_section is None or state.runtime.section_of[q.id].id != except_section
            ]
            if not missing:
                break
            for question in missing:
                if question.holds_files and evidence is None:
                    evidence = evidence_files.add_evidence(
                        assessment, PDF, "law.pdf", user=official
                    ).public_id
                answer = state.answers.get(question.id)
                answers.save_answer(
                    assessment,
                    question.id,
                    valid_value(question, evidence),
                    version=answer.version if answer else 0,
                    user=official,
                )
            db.session.commit()
        db.session.commit()


#: The smallest valid PDF a browser would open (sniffed as application/pdf).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def together(actions) -> list:
    """Run each action in its own thread, released at the same moment by a barrier; return their
    results (an exception is a result, so that a crash is reported rather than a hang)."""
    import threading

    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            results[index] = action()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def recommend_where_needed(assessment, reviewer) -> None:
    """Do what recommendations ask before finalising: write one for every provision whose final
    rating is PC or NC and has none, and judge every earlier one not judged yet (partly)."""
    from app.assessments import recommendations

    for ref in recommendations.needing(assessment):
        recommendations.recommend(
            assessment, ref, f"Bring the law in line with {ref}.", None, reviewer
        )
    for item in recommendations.earlier(assessment):
        if not recommendations.judged_here(assessment, item):
            recommendations.judge(assessment, item.id, "partly", None, reviewer)
