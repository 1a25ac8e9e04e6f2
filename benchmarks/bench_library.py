"""Benchmark: read and validate the whole questionnaire library, and load it into a database.

Target (issue: questionnaire library): well under one second for each. Prints the figures and
exits 1 when the median of a measurement reaches the target, so that `make bench` fails loudly.

    python benchmarks/bench_library.py [--runs 15] [--target 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from app import create_app
from app.extensions import db
from app.frameworks import store
from app.frameworks.coverage import coverage
from app.frameworks.library import read_library

ROOT = Path(__file__).resolve().parents[1]

LIBRARY = ROOT / "questionnaires"


def measure(label: str, action, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    print(
        f"{label:<40} median {statistics.median(timings) * 1000:7.1f} ms"
        f"   min {min(timings) * 1000:7.1f} ms   max {max(timings) * 1000:7.1f} ms   ({runs} runs)"
    )
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--target", type=float, default=1.0, help="seconds")
    args = parser.parse_args()

    library = read_library([LIBRARY])
    if not library.ok:
        print("\n".join(map(str, library.problems)))
        return 1
    files = sorted(LIBRARY.glob("*.yaml"))
    lines = sum(len(path.read_text().splitlines()) for path in files)
    questions = sum(len(s.questions) for q in library.questionnaires for s in q.sections)
    provisions = sum(len(f.provisions) for f in library.frameworks.values())
    print(f"library: {len(files)} files, {lines} lines, {provisions} provisions, ", end="")
    print(f"{questions} questions")

    results = {
        "read + validate": measure("read + validate", lambda: read_library([LIBRARY]), args.runs),
        "read + validate + coverage": measure(
            "read + validate + coverage",
            lambda: coverage(
                *(lambda lib: (lib.frameworks, lib.questionnaires))(read_library([LIBRARY]))
            ),
            args.runs,
        ),
    }

    with tempfile.TemporaryDirectory() as folder:

        def load_into_fresh_database() -> None:
            path = Path(folder, f"bench-{time.monotonic_ns()}.sqlite3")
            app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
            with app.app_context():
                db.create_all()
                started = time.perf_counter()
                store.load(read_library([LIBRARY]))
                db.session.commit()
                timings.append(time.perf_counter() - started)
                db.engine.dispose()

        timings: list[float] = []
        for _ in range(max(3, args.runs // 3)):
            load_into_fresh_database()
        label = "read + validate + load (SQLite)"
        print(
            f"{label:<40} median {statistics.median(timings) * 1000:7.1f} ms"
            f"   min {min(timings) * 1000:7.1f} ms   max {max(timings) * 1000:7.1f} ms"
            f"   ({len(timings)} runs)"
        )
        results["read + validate + load (SQLite)"] = timings

    slow = [name for name, values in results.items() if statistics.median(values) >= args.target]
    if slow:
        print(f"FAIL: over the {args.target:.1f} s target: {', '.join(slow)}")
        return 1
    print(f"OK: every median is under the {args.target:.1f} s target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
