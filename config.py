"""Configuration, read from the environment. The only place settings are defined.

Choose a class with ``APP_ENV`` (``development``, ``testing`` or ``production``) or pass a name to
``create_app``. Environment variables:

- ``DATABASE_URL``: SQLAlchemy URL; default a SQLite file in the instance folder.
  ``postgres://`` and ``postgresql://`` URLs are served through psycopg 3.
- ``SECRET_KEY``: required in production. In development a random key is kept in the
  instance folder.
- ``INSTANCE_PATH``: absolute path of the instance folder (database, secret key, uploads);
  default ``instance/`` next to the code.
- ``PORT``: port of the demo server (default 5000).
- ``BASE_URL``: the public address used in links sent by e-mail outside a request (CLI invitations).
- ``MAIL_BACKEND``: ``log`` (default: links are written to the log) or ``module:Class``.
- ``QUESTIONNAIRES_DIR``: folder of the questionnaire and framework files (default
  ``questionnaires/`` beside this file).
- ``EVIDENCE_MAX_BYTES``: largest evidence file accepted (default 20 MB); ``UPLOAD_FOLDER``:
  where evidence files are stored (default ``uploads/`` in the instance folder).
- ``PROXY_FIX_X_FOR``: number of reverse proxies in front of the app whose
  ``X-Forwarded-For`` is trusted.
- ``LOGIN_MAX_FAILURES_PER_ADDRESS``: failed sign-ins from one client address within the
  failure window after which that address is paused (default 50; each account has its own
  limit of 5).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path


def database_url(url: str | None) -> str | None:
    """Return ``url`` with PostgreSQL URLs pointed at the psycopg 3 driver."""
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


#: Read before the configuration class, because the instance folder holds the default database.
INSTANCE_PATH = os.environ.get("INSTANCE_PATH") or None


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    PORT = _int("PORT", 5000)
    BASE_URL = os.environ.get("BASE_URL", f"http://127.0.0.1:{_int('PORT', 5000)}")

    # Sessions: signed cookies, revocable through the user's session version; each sign-in also
    # has its own id, refused once that browser signs out (app/auth/sessions.py).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # Argon2id parameters (argon2-cffi defaults: RFC 9106 low-memory profile). Hashes made with
    # other parameters are rehashed at the next successful sign-in.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    # Sign-in throttling, kept in the database so that it holds across worker processes.
    LOGIN_MAX_FAILURES = 5
    #: Higher than the account's limit: an office or a country's network may share one address.
    LOGIN_MAX_FAILURES_PER_ADDRESS = _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50)
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    LOGIN_LOCKOUT = timedelta(minutes=15)

    INVITATION_TTL = timedelta(days=7)
    PASSWORD_RESET_TTL = timedelta(hours=1)

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@catf.invalid")

    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)

    #: The questionnaire and framework files loaded by ``seed-demo`` and read by the CLI by default.
    QUESTIONNAIRES_DIR = os.environ.get("QUESTIONNAIRES_DIR") or str(
        Path(__file__).resolve().parent / "questionnaires"
    )

    #: Evidence files: largest accepted size, and where they are stored (default: instance/uploads).
    EVIDENCE_MAX_BYTES = _int("EVIDENCE_MAX_BYTES", 20_000_000)
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")
    #: Requests larger than this are refused before they are read (evidence plus form overhead).
    MAX_CONTENT_LENGTH = _int("EVIDENCE_MAX_BYTES", 20_000_000) + 1_000_000

    #: Rendered question blocks kept per process and reused until their answer changes (each a
    #: few kilobytes); 0 renders every block every time.
    QUESTION_CACHE_SIZE = _int("QUESTION_CACHE_SIZE", 20_000)

    USERS_PER_PAGE = 50
    AUDIT_PER_PAGE = 50


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = secrets.token_hex(32)
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL"))
    # Cheap hashes keep the suite fast; the rehash-on-login test relies on these differing.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    MAIL_BACKEND = "memory"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
