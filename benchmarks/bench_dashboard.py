"""Benchmark: the coordinators' dashboard page (``/dashboard``: ``cycle_data`` + the dashboard's
computation + the rendered HTML) at 20 and at 194 countries, and how the time grows.

The data is ``bench_exports.seed``'s: two cycles on the shipped questionnaire, one of the first
``--small`` (20) made-up countries and one of all ``--countries`` (194), every assessment
finalised with answers, a final rating for every provision and a final stage per area. Both
cycles are marked open for the main measurement, so that neither page reads an earlier cycle
(like for like); then the small cycle is closed and the large page measured again with its trends,
which read the earlier cycle's data context too (the page reads at most three earlier ones).

Each request goes through the Flask test client with a signed-in coordinator, after one warm-up
request per page, with the process's cache of data contexts emptied before each (the cost after any
change); the last line is the same page seen again with nothing changed (the cache's two
queries). Figures: the median over ``--runs`` (3) of the request time, the SQL statements
per request, the page's size; the growth ratio (194 over 20 countries, 9.7 times the countries).

    python benchmarks/bench_dashboard.py [--countries 194] [--small 20] [--runs 3] [--seed 2026]
        [--target-ratio 10.7] [--no-fail]

Targets: a growth ratio of at most ``--target-ratio`` (10.7) and the same number of statements
at both sizes. A missed target exits 1 (``--no-fail`` only reports it). Figures are printed and
written to benchmarks/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import bench_exports
import harness

RESULTS = harness.ROOT / "benchmarks" / "results"


def coordinator_client(app):
    """A test client signed in as a new coordinator."""
    from app.auth import services as accounts
    from app.core.permissions import Role
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = accounts.create_user("bench@catf.example.org", "Bench", Role.COORDINATOR, None)
        db.session.commit()
        user_id, version = user.id, db.session.get(User, user.id).session_version
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{version}"
        session["_fresh"] = True
    return client


def set_status(app, cycle_ids, status) -> None:
    from app.extensions import db
    from app.models import Cycle

    with app.app_context():
        for cycle_id in cycle_ids:
            db.session.get(Cycle, cycle_id).status = status
        db.session.commit()


def request_once(app, client, url: str) -> tuple[float, int, int]:
    """Return the time of one request, the statements it sent and the page's size."""
    from sqlalchemy import event

    from app.extensions import db

    statements = []

    def listener(*args) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    return elapsed, len(statements), len(response.data)


def measure(app, client, cycle_id: int, countries: int, runs: int, cold: bool = True) -> dict:
    """Time the page; ``cold``: each data context built anew (as after any change), else read
    from the process's cache (a page seen again with nothing changed)."""
    from app.reports import data as contexts

    url = f"/dashboard?cycle={cycle_id}&measure=index&provision=budapest:16"
    request_once(app, client, url)  # warm-up
    times = []
    statements = size = 0
    for _ in range(runs):
        if cold:
            contexts._CACHED.clear()
        elapsed, statements, size = request_once(app, client, url)
        times.append(elapsed)
    return {
        "countries": countries,
        "runs": runs,
        "page_s": round(statistics.median(times), 3),
        "page_min_s": round(min(times), 3),
        "statements": statements,
        "page_kb": round(size / 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=194)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--target-ratio", type=float, default=10.7)
    parser.add_argument("--no-fail", action="store_true", help="report a missed target only")
    args = parser.parse_args()

    from app.models import CycleStatus

    instance = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url, _ = harness.fresh_database("sqlite", instance)
    ok = False
    try:
        app = harness.bench_app(url, instance)
        small_id, large_id, stored = bench_exports.seed(app, args.countries, args.small, args.seed)
        client = coordinator_client(app)
        set_status(app, (small_id, large_id), CycleStatus.OPEN)
        small = measure(app, client, small_id, args.small, args.runs)
        large = measure(app, client, large_id, args.countries, args.runs)
        set_status(app, (small_id,), CycleStatus.CLOSED)
        trends = measure(app, client, large_id, args.countries, args.runs)
        cached = measure(app, client, large_id, args.countries, args.runs, cold=False)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        ok = True
    finally:
        if ok:
            shutil.rmtree(instance, ignore_errors=True)  # kept to look into a failure

    ratio = round(large["page_s"] / small["page_s"], 2)
    result = {
        "database": "sqlite",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "stored": stored,
        "small": small,
        "large": large,
        "large_with_one_earlier_cycle": trends,
        "large_seen_again_unchanged": cached,
        "countries_ratio": round(args.countries / args.small, 2),
        "growth_ratio": ratio,
        "targets": {
            "growth_ratio": {"value": ratio, "target": args.target_ratio,
                             "met": ratio <= args.target_ratio},
            "same_statements": {"value": [small["statements"], large["statements"]],
                                "met": small["statements"] == large["statements"]},
        },
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dashboard.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    for name, figures in (
        ("", small),
        ("", large),
        (" + trends of 1 earlier cycle", trends),
        (" + trends, seen again unchanged (cached)", cached),
    ):
        print(
            f"  {figures['countries']:4d} countries{name}: /dashboard {figures['page_s']:.3f} s"
            f" (median of {figures['runs']}); {figures['statements']} SQL statements;"
            f" page {figures['page_kb']:.0f} kB"
        )
    print(
        f"  growth {ratio:.2f}x for {result['countries_ratio']:.1f}x the countries"
        f" (target <= {args.target_ratio:g})"
    )
    missed = [name for name, target in result["targets"].items() if not target["met"]]
    for name in missed:
        print(f"  target NOT MET: {name} {result['targets'][name]}")
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    raise SystemExit(main())
