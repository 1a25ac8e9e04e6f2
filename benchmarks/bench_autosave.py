"""Load benchmark: 50 concurrent officials save 5,000 answers through the app served by gunicorn.

For each database (SQLite in WAL mode, PostgreSQL): a fresh database is migrated and seeded with
25 countries, 2 officials each, an open cycle and one API token per official. Each official
(a thread with its own keep-alive connection) works through 50 questions of its country's
assessment, saving each twice as a person typing would (version 0, then 1): 100 saves per
official, 5,000 in all. The two officials of a country answer different questions, so no save
may conflict. Afterwards the database is checked: every answer present, with the last value
sent and version 2, and 5,000 revisions. Zero errors and zero lost answers are required.

    python benchmarks/bench_autosave.py [--database sqlite|postgresql|both] [--officials 50]

Figures: p50 / p95 / p99 save latency and throughput, printed and written to
benchmarks/results/autosave-<database>.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import harness

RESULTS = harness.ROOT / "benchmarks" / "results"
SAVES_PER_QUESTION = 2


def value_pair(question):
    """Two different valid values for a question (the first typed, then the final one)."""
    if question.holds_files:
        return None
    first, final = question.sample_value(0), question.sample_value(1)
    return (first, final) if first is not None and first != final else None


def prepare(database_url: str, instance: Path, officials: int, per_official: int) -> list[dict]:
    """Migrate and seed a fresh database; return each official's token and work."""
    app = harness.bench_app(database_url, instance)
    from app.api import auth
    from app.assessments import answers, cycles
    from app.auth import services as accounts
    from app.core.permissions import Role
    from app.extensions import db
    from app.frameworks import store
    from app.models import Country

    work = []
    with app.app_context():
        countries = []
        for index in range(officials // 2):
            code = "X" + chr(ord("B") + index // 26) + chr(ord("A") + index % 26)
            country = Country(code=code, name=f"Benchland {code}", region="150", participating=True)
            db.session.add(country)
            countries.append(country)
        db.session.flush()
        coordinator = accounts.create_user(
            "coordinator@bench.example.org",
            "Coordinator",
            Role.COORDINATOR,
            None,
            password="a bench passphrase",
        )
        version = store.latest_questionnaires()[0]
        cycle = cycles.create_cycle(
            "Bench round", version, date(2030, 1, 1), countries, carry_over=False, user=coordinator
        )
        assessments = {a.country_id: a for a in cycles.open_cycle(cycle, coordinator)}
        runtime = answers.runtime(version)
        questions = [q for q in runtime.questions.values() if value_pair(q) is not None]
        assert len(questions) >= 2 * per_official, "not enough questions for disjoint work"
        for country in countries:
            for seat in range(2):
                user = accounts.create_user(
                    f"official{seat}.{country.code.lower()}@bench.example.org",
                    f"Official {seat} {country.code}",
                    Role.OFFICIAL,
                    country,
                    password="a bench passphrase",
                )
                _, secret = auth.issue(user, "bench")
                mine = questions[seat * per_official : (seat + 1) * per_official]
                work.append(
                    {
                        "token": secret,
                        "assessment": assessments[country.id].id,
                        "saves": [(q.id, *value_pair(q)) for q in mine],
                    }
                )
        db.session.commit()
        db.engine.dispose()
    return work


def official(
    port: int, job: dict, latencies: list, errors: list, barrier: threading.Barrier
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {job['token']}", "Content-Type": "application/json"}
    barrier.wait()
    for question_id, first, final in job["saves"]:
        for version, value in enumerate((first, final)):
            body = json.dumps({"value": value, "version": version})
            started = time.perf_counter()
            try:
                connection.request(
                    "PUT",
                    f"/api/v1/assessments/{job['assessment']}/answers/{question_id}",
                    body,
                    headers,
                )
                response = connection.getresponse()
                payload = response.read()
            except OSError as error:
                errors.append(f"{question_id}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(f"{question_id}: HTTP {response.status} {payload[:200]!r}")
    connection.close()


def verify(database_url: str, work: list[dict]) -> dict:
    """Check the database: every final value present with version 2; count revisions."""
    from sqlalchemy import JSON, Integer, String, create_engine, text

    from config import database_url as normalise

    engine = create_engine(normalise(database_url))
    expected = {(job["assessment"], qid): final for job in work for qid, _, final in job["saves"]}
    with engine.connect() as connection:
        query = text("SELECT assessment_id, question_id, value, version FROM answers").columns(
            assessment_id=Integer, question_id=String, value=JSON, version=Integer
        )  # typed, so that SQLite and PostgreSQL give the same decoded values
        rows = connection.execute(query).all()
        revisions = connection.execute(text("SELECT count(*) FROM answer_revisions")).scalar()
    engine.dispose()
    stored = {(a, q): (v, version) for a, q, v, version in rows}
    missing = [key for key in expected if key not in stored]
    wrong = [
        key
        for key, final in expected.items()
        if key in stored and stored[key] != (final, SAVES_PER_QUESTION)
    ]
    return {
        "answers_expected": len(expected),
        "answers_stored": len(stored),
        "lost_answers": len(missing),
        "wrong_values": len(wrong),
        "revisions": revisions,
    }


def run(database: str, officials: int, answers: int, workers: int) -> dict:
    per_official = answers // officials // SAVES_PER_QUESTION
    instance = Path(tempfile.mkdtemp(prefix=f"bench-{database}-"))
    url, pg_name = harness.fresh_database(database, instance)
    gunicorn = None
    try:
        work = prepare(url, instance, officials, per_official)
        gunicorn, port = harness.start_gunicorn(url, instance, workers, threads=4)
        latencies: list[float] = []
        errors: list[str] = []
        barrier = threading.Barrier(len(work))
        threads = [
            threading.Thread(target=official, args=(port, job, latencies, errors, barrier))
            for job in work
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        checks = verify(url, work)
    finally:
        if gunicorn is not None:
            harness.stop_gunicorn(gunicorn)
        if pg_name:
            harness.drop_database(pg_name)
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0

    return {
        "database": database,
        "officials": len(work),
        "saves_sent": len(work) * per_official * SAVES_PER_QUESTION,
        "saves_ok": len(latencies) - len(errors),
        "errors": len(errors),
        "first_errors": errors[:5],
        "seconds": round(elapsed, 2),
        "saves_per_second": round(len(latencies) / elapsed, 1) if elapsed else 0,
        "latency_ms": {
            "p50": round(percentile(0.50), 1),
            "p95": round(percentile(0.95), 1),
            "p99": round(percentile(0.99), 1),
            "mean": round(statistics.fmean(ordered) * 1000, 1) if ordered else 0,
        },
        "gunicorn": f"{workers} workers x 4 threads",
        **checks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--officials", type=int, default=50)
    parser.add_argument("--answers", type=int, default=5000, help="saves in all")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = False
    for database in databases:
        result = run(database, args.officials, args.answers, args.workers)
        (RESULTS / f"autosave-{database}.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        ok = (
            result["errors"] == 0
            and result["lost_answers"] == 0
            and result["wrong_values"] == 0
            and result["saves_ok"] == result["saves_sent"]
            and result["revisions"] == result["saves_sent"]
        )
        print(
            f"{database}: {'OK' if ok else 'FAILED'} — {result['saves_ok']} saves, "
            f"p50 {result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} ms"
        )
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
