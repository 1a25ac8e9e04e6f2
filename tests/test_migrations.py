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
