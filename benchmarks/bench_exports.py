"""Benchmark: a cycle's data context (``reports.data.cycle_data``) and its workbook
(``reports.exports.cycle_workbook``) at 20 and at 194 countries, and how the time grows.

A temporary SQLite database (``harness.bench_app``: migrated, the shipped questionnaires loaded)
gets ``--countries`` (194) made-up countries and two closed cycles on the shipped questionnaire:
one of the first ``--small`` (20) countries, one of all of them. Every assessment is finalised,
with answers drawn as ``bench_scoring.varied_answers`` draws them (seeded per country: weaker
answers, other values, reservations, some questions left open), a final rating for every
provision (drawn from C, LC, PC, NC, NA) and a final stage for every capability area; they are
written in bulk (``insert``), as the app would have stored them over a cycle, not through the
services. The first 20 countries have the same data in both cycles.

Each measurement runs in a fresh application context (a fresh session, as a request has), after
one warm-up build of each cycle (the process caches of parsed files, runtime and rules filled, as
in a running server). Figures, per cycle size: the median over ``--runs`` (3) of ``cycle_data``
and of ``cycle_workbook`` and their sum, the SQL statements ``cycle_data`` sends, the workbook's
size; the peak memory (``tracemalloc``) of one more build of the data and the workbook — the
answers, ratings and scorecards of every country included, since they are made inside it.
The growth ratio is the time at 194 countries over the time at 20 (9.7 times the countries),
measured in the same run.

    python benchmarks/bench_exports.py [--countries 194] [--small 20] [--runs 3] [--seed 2026]
        [--target-ratio 10.7] [--target-seconds 5] [--no-fail]

Targets: the growth ratio of data + workbook at most ``--target-ratio`` (10.7: close to linear),
the 194-country data + workbook under ``--target-seconds`` (5 s), and the same number of queries
at both sizes. A missed target exits 1 (``--no-fail`` only reports it). Figures are printed and
written to benchmarks/results/exports.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import harness

RESULTS = harness.ROOT / "benchmarks" / "results"
GIVEN = ("C", "C", "C", "LC", "LC", "PC", "NC", "NA")  # a plausible spread of final ratings


def seed(app, countries: int, small: int, seed_value: int) -> tuple[int, int, dict]:
    """Store the two cycles; return their ids and what was stored."""
    import bench_scoring
    from sqlalchemy import insert

    from app.assessments import answers as answer_state
    from app.extensions import db
    from app.frameworks import store
    from app.models import (
        Answer,
        Assessment,
        AssessmentStatus,
        Country,
        Cycle,
        CycleStatus,
        ProvisionRating,
        StageRating,
    )
    from app.scoring.assessments import rules_for

    regions = ("002", "019", "142", "150", "009")
    if countries > 26 * 26:
        raise SystemExit("at most 676 countries (codes XAA to XZZ)")
    with app.app_context():
        (version,) = store.latest_questionnaires()
        runtime = answer_state.runtime(version)
        rules = rules_for(version)
        rows = [
            Country(code=f"X{chr(65 + n // 26)}{chr(65 + n % 26)}", name=f"Benchland {n:03d}",
                    region=regions[n % 5], participating=True)
            for n in range(countries)
        ]  # fmt: skip
        db.session.add_all(rows)
        now = datetime(2030, 1, 1, tzinfo=UTC)
        cycles = []
        for name, size in ((f"Bench {small}", small), (f"Bench {countries}", countries)):
            cycle = Cycle(
                name=name, questionnaire_version_id=version.id, deadline=date(2030, 6, 30),
                status=CycleStatus.CLOSED, carry_over=False,
            )  # fmt: skip
            db.session.add(cycle)
            db.session.flush()
            cycles.append((cycle, size))
        answers_stored = ratings_stored = 0
        for cycle, size in cycles:
            for n, country in enumerate(rows[:size]):
                rng = random.Random(seed_value * 1000 + n)
                assessment = Assessment(
                    cycle_id=cycle.id, country_id=country.id, questionnaire_version_id=version.id,
                    status=AssessmentStatus.FINALISED, submitted_at=now,
                    review_started_at=now + timedelta(days=1),
                    finalised_at=now + timedelta(days=30), rules_version=rules.rules_version,
                )  # fmt: skip
                db.session.add(assessment)
                db.session.flush()
                values = bench_scoring.varied_answers(runtime, rng)
                db.session.execute(
                    insert(Answer),
                    [
                        {"assessment_id": assessment.id, "question_id": qid, "value": value,
                         "version": 1, "updated_at": now}
                        for qid, value in values.items()
                    ],
                )  # fmt: skip
                db.session.execute(
                    insert(ProvisionRating),
                    [
                        {"assessment_id": assessment.id, "provision": rule.ref, "layer": "final",
                         "rating": rng.choice(GIVEN), "derived": "C", "rated_at": now,
                         "justification": "Bench."}
                        for rule in rules.provisions
                    ],
                )  # fmt: skip
                db.session.execute(
                    insert(StageRating),
                    [
                        {"assessment_id": assessment.id, "area": area.id, "layer": "final",
                         "stage": rng.randrange(6), "derived": 0, "rated_at": now}
                        for area in rules.areas
                    ],
                )  # fmt: skip
                answers_stored += len(values)
                ratings_stored += len(rules.provisions)
        db.session.commit()
        ids = (cycles[0][0].id, cycles[1][0].id)
        stored = {
            "questions": len(runtime.questions),
            "provisions": len(rules.provisions),
            "maturity_areas": len(rules.areas),
            "answers": answers_stored,
            "final_ratings": ratings_stored,
        }
    return ids[0], ids[1], stored


def build(app, cycle_id: int) -> tuple[float, float, int, int]:
    """Build the data context and the workbook in a fresh context; return both times, the
    statements sent and the workbook's size."""
    from sqlalchemy import event

    from app.extensions import db
    from app.models import Cycle
    from app.reports.data import cycle_data
    from app.reports.exports import cycle_workbook

    statements = []

    def listener(*args) -> None:
        statements.append(args[2])

    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            started = time.perf_counter()
            data = cycle_data(cycle)
            middle = time.perf_counter()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        body = cycle_workbook(data)
        ended = time.perf_counter()
        db.session.remove()
    return middle - started, ended - middle, len(statements), len(body)


def peak_memory(app, cycle_id: int) -> float:
    """Return the peak memory (MB, tracemalloc) of one build of the data and the workbook."""
    from app.extensions import db
    from app.models import Cycle
    from app.reports.data import cycle_data
    from app.reports.exports import cycle_workbook

    gc.collect()
    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        tracemalloc.start()
        cycle_workbook(cycle_data(cycle))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        db.session.remove()
    return round(peak / 1e6, 1)


def measure(app, cycle_id: int, countries: int, runs: int) -> dict:
    build(app, cycle_id)  # warm-up
    data_times, book_times = [], []
    statements = size = 0
    for _ in range(runs):
        data_s, book_s, statements, size = build(app, cycle_id)
        data_times.append(data_s)
        book_times.append(book_s)
    totals = [a + b for a, b in zip(data_times, book_times, strict=True)]
    return {
        "countries": countries,
        "runs": runs,
        "cycle_data_s": round(statistics.median(data_times), 3),
        "workbook_s": round(statistics.median(book_times), 3),
        "total_s": round(statistics.median(totals), 3),
        "total_min_s": round(min(totals), 3),
        "statements": statements,
        "workbook_kb": round(size / 1000, 1),
        "peak_memory_mb": peak_memory(app, cycle_id),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=194)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--target-ratio", type=float, default=10.7)
    parser.add_argument("--target-seconds", type=float, default=5.0)
    parser.add_argument("--no-fail", action="store_true", help="report a missed target only")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    url, _ = harness.fresh_database("sqlite", instance)
    ok = False
    try:
        started = time.perf_counter()
        app = harness.bench_app(url, instance)
        small_id, large_id, stored = seed(app, args.countries, args.small, args.seed)
        seeded = time.perf_counter() - started
        small = measure(app, small_id, args.small, args.runs)
        large = measure(app, large_id, args.countries, args.runs)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        ok = True
    finally:
        if ok:
            shutil.rmtree(instance, ignore_errors=True)  # kept to look into a failure

    ratio = round(large["total_s"] / small["total_s"], 2)
    result = {
        "database": "sqlite",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "stored": stored,
        "seed_seconds": round(seeded, 1),
        "small": small,
        "large": large,
        "countries_ratio": round(args.countries / args.small, 2),
        "growth_ratio": ratio,
        "targets": {
            "growth_ratio": {"value": ratio, "target": args.target_ratio,
                             "met": ratio <= args.target_ratio},
            "large_total_s": {"value": large["total_s"], "target": args.target_seconds,
                              "met": large["total_s"] < args.target_seconds},
            "same_statements": {"value": [small["statements"], large["statements"]],
                                "met": small["statements"] == large["statements"]},
        },
    }  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "exports.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(
        f"{stored['provisions']} provisions, {stored['questions']} questions; "
        f"{stored['answers']} answers and {stored['final_ratings']} final ratings stored"
    )
    for figures in (small, large):
        print(
            f"  {figures['countries']:4d} countries: cycle_data {figures['cycle_data_s']:.3f} s"
            f" + workbook {figures['workbook_s']:.3f} s = {figures['total_s']:.3f} s"
            f" (median of {figures['runs']}); {figures['statements']} SQL statements;"
            f" workbook {figures['workbook_kb']:.0f} kB; peak memory"
            f" {figures['peak_memory_mb']:.1f} MB"
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
