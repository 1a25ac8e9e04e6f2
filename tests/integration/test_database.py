"""The embedded SQLite database is set up for several processes and enforces its rules."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db
from app.models import Country, User


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        db.engine.dispose()


def test_default_database_is_a_sqlite_file_in_the_instance_folder():
    app = create_app("development", SQLALCHEMY_DATABASE_URI=None, SECRET_KEY="k" * 32)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/catf.sqlite3")


def test_postgres_urls_use_psycopg_3():
    from config import database_url

    assert database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("sqlite:///x") == "sqlite:///x"


def test_an_official_must_have_exactly_one_country_in_the_database_too(app, world):
    with app.app_context():
        db.session.add(User(email="x@xaa.example.org", display_name="X", role="official"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_emails_are_unique_whatever_their_case(app, world):
    with app.app_context():
        db.session.add(User(email="OLGA@XAA.example.org", display_name="Twin", role="reviewer"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_country_codes_are_unique(app, world):
    with app.app_context():
        db.session.add(Country(code="XAA", name="Again"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
