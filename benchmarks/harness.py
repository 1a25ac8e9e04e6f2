"""Shared by the benchmarks that serve the app through gunicorn: database, app and server.

The bench scripts import this as a sibling module (they run as ``python benchmarks/bench_x.py``,
which puts this folder on ``sys.path``). Importing it puts the checkout beside it first on
``sys.path``, so that the benchmarks measure that code even when run from another checkout.

A run goes: ``fresh_database`` (SQLite in the instance folder, or a new ``catf_bench_<hex>``
database on the local PostgreSQL server, ``PG_SERVER``); ``bench_app``, which sets
``DATABASE_URL``, ``INSTANCE_PATH`` and a fresh ``SECRET_KEY`` in the environment (the
configuration reads them on import, and the server started later inherits them), migrates the
database with cheap password hashing and commits the shipped questionnaires (the script seeds the
rest inside ``app.app_context()``); ``start_gunicorn``, with ``APP_ENV=production`` as deployed,
in its own process group, logging to ``<instance>/gunicorn.log``; and, in a ``finally``,
``stop_gunicorn`` and ``drop_database``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the code beside the benchmarks, even from another checkout
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_on_server(statement: str) -> None:
    """Run one statement on the PostgreSQL server's maintenance database, outside a transaction."""
    from sqlalchemy import create_engine, text

    server = create_engine(
        PG_SERVER.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with server.connect() as connection:
        connection.execute(text(statement))
    server.dispose()


def fresh_database(kind: str, instance: Path) -> tuple[str, str | None]:
    """Create an empty SQLite (in ``instance``) or PostgreSQL database; return URL and PG name."""
    if kind == "sqlite":
        return f"sqlite:///{instance / 'bench.sqlite3'}", None
    name = f"catf_bench_{uuid.uuid4().hex[:8]}"
    _run_on_server(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER.rsplit('/', 1)[0]}/{name}", name


def drop_database(name: str) -> None:
    """Drop a PostgreSQL database made by ``fresh_database``, closing its connections."""
    _run_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app(url: str, instance: Path):
    """Return the development app on ``url``, migrated and holding the shipped questionnaires."""
    os.environ.update(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        }
    )
    import flask_migrate

    from app import create_app
    from app.extensions import db
    from app.frameworks import store
    from app.frameworks.library import read_library

    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_COST=8192,
    )
    with app.app_context():
        flask_migrate.upgrade()
        store.load(read_library([ROOT / "questionnaires"]))
        db.session.commit()  # the app context's end would roll it back
    return app


def start_gunicorn(
    url: str, instance: Path, workers: int, threads: int
) -> tuple[subprocess.Popen, int]:
    """Start gunicorn on a free port and wait for /healthz; return the process and its port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "APP_ENV": "production",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("FLASK_DEBUG", None)
    log = (instance / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app('production')",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()  # the server writes to its own copy
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return gunicorn, port
        except OSError:
            if time.monotonic() > deadline or gunicorn.poll() is not None:
                with contextlib.suppress(ProcessLookupError):  # it may have exited already
                    os.killpg(gunicorn.pid, signal.SIGTERM)
                raise RuntimeError(
                    "gunicorn did not start; see " + str(instance / "gunicorn.log")
                ) from None
            time.sleep(0.2)


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Stop a server started by ``start_gunicorn``, its workers too, and wait for it to exit."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
