"""The migrations build exactly the models' schema, and run down and up again, on the test
database's engine (SQLite by default, PostgreSQL in CI)."""

from __future__ import annotations

import uuid

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from app import create_app
from app.extensions import db


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A new, empty database on the same server as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"{url.database}_mig_{uuid.uuid4().hex[:8]}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_matches_the_models_then_downgrade_and_upgrade_again(empty_database):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    model_tables = set(db.metadata.tables)
    with app.app_context():
        try:
            flask_migrate.upgrade()
            assert table_names() == model_tables | {"alembic_version"}
            assert schema_differences() == []

            flask_migrate.downgrade(revision="base")
            assert table_names() == {"alembic_version"}

            flask_migrate.upgrade()
            assert table_names() == model_tables | {"alembic_version"}
            assert schema_differences() == []
        finally:
            db.engine.dispose()


#: The revision that turns stored citations into lists of instruments, and the one before it.
CITATION_LISTS, BEFORE_CITATION_LISTS = "7c1e4b9a2d53", "f8b296d01ca8"


def test_stored_citations_become_lists_of_instruments_and_back(empty_database, shipped_library):
    from types import SimpleNamespace

    from sqlalchemy import select

    from app.assessments import answers
    from app.core.permissions import Role
    from app.frameworks import store
    from app.models import Answer, AnswerRevision, Assessment, User
    from tests.conftest import make_country, make_user, open_cycle

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database)
    code = {"instrument": "Criminal Code", "stage": "in_force", "in_force_date": "2012-03-01"}
    law = {"instrument": "Law on Electronic Communications", "stage": "draft"}
    with app.app_context():
        try:
            flask_migrate.upgrade()
            make_country("XAA", "Demoland")
            official = make_user("olga@xaa.example.org", Role.OFFICIAL, "XAA")
            coordinator = make_user("camille@catf.example.org", Role.COORDINATOR)
            store.load(shipped_library)
            db.session.commit()
            assessment_id = open_cycle(
                app, SimpleNamespace(coordinator=coordinator), countries=("XAA",)
            ).own
            assessment = db.session.get(Assessment, assessment_id)
            user = db.session.get(User, official.id)

            def save(question_id, value, version=0):
                answers.save_answer(assessment, question_id, value, version=version, user=user)
                db.session.commit()

            save("jur.citation", [code])
            save("jur.citation", [law], version=1)  # a revision from one instrument to another
            save("cap.legislative_status.main_law", [code, law])
            save("jur.territory", {"answer": "yes"})

            def stored():
                db.session.expire_all()
                values = {a.question_id: a.value for a in db.session.scalars(select(Answer))}
                history = [
                    (r.old_value, r.new_value)
                    for r in db.session.scalars(select(AnswerRevision).order_by(AnswerRevision.id))
                ]
                # End the reading transaction: a migration that alters or drops tables must not
                # wait for it (PostgreSQL locks what it read until then).
                db.session.rollback()
                return values, history

            at_head = stored()
            assert at_head[0]["jur.citation"] == [law]

            flask_migrate.downgrade(revision=BEFORE_CITATION_LISTS)
            values, history = stored()
            assert values == {
                "jur.citation": law,  # one instrument: one object again
                "cap.legislative_status.main_law": [code, law],  # several: kept as they are
                "jur.territory": {"answer": "yes"},
            }
            assert history == [(None, code), (code, law), (None, [code, law]),
                               (None, {"answer": "yes"})]  # fmt: skip
            # Saved while citations were one object.
            db.session.add(
                Answer(assessment_id=assessment_id, question_id="sub.fraud.citation", value=code,
                       version=1, updated_by_id=user.id)
            )  # fmt: skip
            db.session.commit()

            flask_migrate.upgrade(revision=CITATION_LISTS)
            values, history = stored()
            assert values == {**at_head[0], "sub.fraud.citation": [code]}
            assert history == at_head[1]
        finally:
            db.session.remove()
            db.engine.dispose()
