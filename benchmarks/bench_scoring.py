"""Benchmark: scoring one assessment of the shipped questionnaire, and a whole 194-country cycle.

The library in ``questionnaires/`` is read once (``read_library``) and its questionnaire's rules
compiled once (``engine.compile_rules``), as the app does once per questionnaire version. Three
measurements follow.

1. One assessment, in memory: every question of the questionnaire answered with its
   ``sample_value(0)`` or ``sample_value(1)`` (the variant drawn per question from a fixed seed, so
   that ratings vary; a question that holds files gets one made-up file id). Visibility is worked
   out once; then ``engine.facts`` + ``engine.score`` run ``--runs`` times (after a few warm-up
   runs). Figures: median / min / max of ``facts + score``, and the medians of each part.
2. The same answers stored in a temporary SQLite database (``harness.bench_app``: migrated, the
   shipped questionnaires loaded; one country, an open cycle, the evidence files uploaded and the
   answers saved in one batch), then ``app.scoring.assessments.scorecard(assessment)`` end to end
   (read the answers, work out visibility, facts, score), each run in a fresh session as a request
   would be. The first call runs with the process caches emptied (definitions parsed, runtime and
   rules built) and is reported apart; the median is over the runs after it. Its ratings must equal
   those of measurement 1, or the run fails.
3. A cycle of ``--countries`` (194) assessments, each answered differently (seeded per country:
   how many answers take the weaker sample value, a share taken from the type's other values —
   no, not applicable, ratified treaties with reservations, other stages and choices — and, for a
   quarter of the countries, a few questions left open), scored one after another in memory,
   every scorecard kept as a cycle overview keeps them. Figures: total, mean, median and max
   ``facts + score`` time (visibility timed apart), and the peak memory (``tracemalloc``) of a
   second pass that keeps all the scorecards too. ``tracemalloc`` counts only what is allocated
   after it starts: the answers and rules, made before, are not in the figure.

Python's cyclic garbage collector runs during the timed loops as it would in the app; the time it
takes there and its passes per generation are reported (``gc_ms``, ``gc_collections``), since a
full pass over a large heap shows up as a slow run.

    python benchmarks/bench_scoring.py [--runs 300] [--db-runs 50] [--countries 194]
        [--target-ms 50] [--seed 2026] [--no-db] [--profile] [--no-fail]

Target: the median of ``facts + score`` for one assessment under ``--target-ms`` (50 ms). A missed
target exits 1 (``--no-fail`` only reports it); a stored scorecard that differs from the in-memory
one always exits 1. Figures are printed and written to benchmarks/results/scoring.json;
``--profile`` also prints the functions where the cycle's scoring spends its time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import date
from pathlib import Path

import harness

RESULTS = harness.ROOT / "benchmarks" / "results"
LIBRARY = harness.ROOT / "questionnaires"
COUNTRY = "XAA"
PASSWORD = "a bench passphrase"
FAKE_FILE = "0123456789abcdef0123456789abcdef"  # an evidence file id, for in-memory answers
# A minimal well-formed PDF: the upload check sniffs the type from the content.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
WARMUP = 5


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def spread(timings: list[float]) -> dict:
    """Median, min, max (and p95 for many runs) in milliseconds."""
    figures = {
        "median_ms": ms(statistics.median(timings)),
        "min_ms": ms(min(timings)),
        "max_ms": ms(max(timings)),
    }
    if len(timings) >= 20:
        figures["p95_ms"] = ms(statistics.quantiles(timings, n=20)[-1])
    return figures


class GcClock:
    """Counts the cyclic garbage collector's passes per generation and the time they take
    (``gc.callbacks``), while in a ``with`` block."""

    def __init__(self):
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[info["generation"]] += 1

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)

    def figures(self) -> dict:
        return {"gc_ms": ms(self.seconds), "gc_collections": self.collections}


def ratings(card) -> dict[str, int]:
    counts = Counter(result.rating for result in card.provisions.values())
    return dict(sorted(counts.items()))


def fingerprint(card) -> tuple:
    """What a scorecard says, comparable across scorecards: ratings, stages, gap candidates."""
    return (
        tuple(sorted((ref, p.rating, p.reason.code) for ref, p in card.provisions.items())),
        tuple(sorted((area_id, a.stage) for area_id, a in card.areas.items())),
        tuple((g.kind, g.ref, g.rating_or_stage) for g in card.gaps),
        tuple((t.kind, t.provisions) for t in card.triggers),
    )


def reserved(card) -> bool:
    """Whether a recorded reservation made a provision or an element of ``card`` NA."""
    return any(
        p.reason.code in ("reserved", "all_reserved")
        or any(e.reason.code == "element_reserved" for e in p.elements)
        for p in card.provisions.values()
    )


# --- Answers ---------------------------------------------------------------------------------


def sample_answers(runtime, rng: random.Random, files=(FAKE_FILE,)) -> dict:
    """Every question answered with its sample value, variant 0 or 1 drawn per question."""
    values = {}
    for question in runtime.questions.values():
        value = question.sample_value(rng.randrange(2), files=files)
        if value is not None:
            values[question.id] = value
    return values


def other_value(question, rng: random.Random):
    """A valid value outside the two samples where the type has others (None: use a sample)."""
    from app.frameworks import types

    try:
        if isinstance(question, types.Ynpn):
            answer = rng.choice(types.YNPN)
            reference = "Reservation, Art. 6(3)" if answer == "na" else None
            return question.normalise({"answer": answer, "reference": reference})
        if isinstance(question, types.MultipleChoice):  # also reservations, institutions
            options = question.choice_values()
            low = question.validation.min or 1
            high = min(question.validation.max or len(options), len(options))
            return question.normalise(rng.sample(options, rng.randint(low, high)))
        if isinstance(question, types.ChoiceQuestion):
            return question.normalise(rng.choice(question.choice_values()))
        if isinstance(question, types.IndicatorChecklist):
            chosen = [ref for ref in question.indicators if rng.random() < 0.6]
            return question.normalise(chosen)
        if isinstance(question, types.LegalCitation):
            instruments = []
            for index in range(rng.randint(1, 2)):
                stage = rng.choice(types.STAGES)
                item = {"stage": stage}
                if stage != "none":
                    item["instrument"] = f"Law {index + 1}"
                if stage == "in_force":
                    item["in_force_date"] = "2019-06-01"
                instruments.append(item)
            return question.normalise(instruments)
    except types.AnswerError:
        return None
    return None


def varied_answers(runtime, rng: random.Random) -> dict:
    """One country's answers: how far along it is, and how it answers, drawn from ``rng``."""
    weaker = rng.random()  # share of answers taking sample variant 1 (partly, a draft law, ...)
    wide = rng.uniform(0.1, 0.5)  # share taken from the type's other values
    left_open = rng.choice((0.0, 0.0, 0.0, 0.03))  # some countries have not finished
    values = {}
    for question in runtime.questions.values():
        if rng.random() < left_open:
            continue
        value = other_value(question, rng) if rng.random() < wide else None
        if value is None:
            value = question.sample_value(int(rng.random() < weaker), files=(FAKE_FILE,))
        if value is not None:
            values[question.id] = value
    return values


def shown(runtime, values: dict) -> list[str]:
    """The visible questions, as ``scorecard`` passes them to ``facts``."""
    return [question_id for question_id, show in runtime.visibility(values).items() if show]


# --- 1. One assessment in memory ---------------------------------------------------------------


def one_assessment(rules, runtime, values: dict, runs: int) -> tuple[dict, object]:
    from app.scoring import engine

    visibility = []
    for _ in range(WARMUP + runs):
        started = time.perf_counter()
        visible = shown(runtime, values)
        visibility.append(time.perf_counter() - started)
    totals, facts_times, score_times = [], [], []
    gc.collect()
    with GcClock() as collector:
        for run in range(WARMUP + runs):
            started = time.perf_counter()
            facts = engine.facts(runtime.questions, values, visible)
            middle = time.perf_counter()
            card = engine.score(rules, facts)
            ended = time.perf_counter()
            if run >= WARMUP:
                totals.append(ended - started)
                facts_times.append(middle - started)
                score_times.append(ended - middle)
    return {
        "answers": len(values),
        "visible_questions": len(visible),
        "runs": runs,
        "facts_score": spread(totals),
        "facts_median_ms": ms(statistics.median(facts_times)),
        "score_median_ms": ms(statistics.median(score_times)),
        "visibility_median_ms": ms(statistics.median(visibility[WARMUP:])),
        **collector.figures(),
        "ratings": ratings(card),
        "area_stages": {area_id: area.stage for area_id, area in card.areas.items()},
        "reservations_recorded": len(facts.reservations),
    }, card


# --- 2. A stored assessment, end to end --------------------------------------------------------


def stored_assessment(values: dict, runs: int, questionnaire_id: str, expected: tuple) -> dict:
    """Store ``values`` as one assessment in a fresh SQLite database; time ``scorecard``."""
    instance = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    url, _ = harness.fresh_database("sqlite", instance)
    ok = False
    try:
        started = time.perf_counter()
        app = harness.bench_app(url, instance)
        from app.assessments import answers, cycles, evidence
        from app.auth import services as accounts
        from app.core.permissions import Role
        from app.extensions import db
        from app.frameworks import runtime as runtime_module
        from app.frameworks import store
        from app.models import Assessment, Country
        from app.scoring import assessments as scoring

        with app.app_context():
            country = Country(code=COUNTRY, name="Benchland", region="150", participating=True)
            db.session.add(country)
            db.session.flush()
            coordinator = accounts.create_user(
                "coordinator@bench.example.org", "Coordinator", Role.COORDINATOR, None,
                password=PASSWORD,
            )  # fmt: skip
            official = accounts.create_user(
                "official.xaa@bench.example.org", "Official XAA", Role.OFFICIAL, country,
                password=PASSWORD,
            )  # fmt: skip
            (version,) = [
                v for v in store.latest_questionnaires() if v.questionnaire_id == questionnaire_id
            ]
            cycle = cycles.create_cycle(
                "Bench round", version, date(2030, 1, 1), [country], carry_over=False,
                user=coordinator,
            )  # fmt: skip
            (assessment,) = cycles.open_cycle(cycle, coordinator)
            runtime = answers.runtime(version)
            inputs = []
            for question_id, value in values.items():
                if runtime.questions[question_id].holds_files:  # uploading saves the answer
                    evidence.add_evidence(
                        assessment, PDF, "law.pdf", user=official, question_id=question_id,
                        version=0,
                    )  # fmt: skip
                else:
                    inputs.append(answers.Submitted(question_id, value, 0))
            result = answers.save_answers(answers.state(assessment), inputs, user=official)
            assert result.ok, f"answers refused: {result.errors or result.conflicts}"
            db.session.commit()
            assessment_id = assessment.id
            stored = len(answers.state(assessment).answers)
            seeded = time.perf_counter() - started

            # The first call as a fresh process makes it: definitions parsed, runtime and rules
            # built (the process caches emptied; the app's code is not touched).
            store._parsed.clear()
            runtime_module._runtimes.clear()
            scoring._RULES.clear()
            timings = []
            collector = GcClock()
            for run in range(runs + 1):
                db.session.remove()  # a fresh session, as each request has
                assessment = db.session.get(Assessment, assessment_id)
                if run == 1:
                    gc.callbacks.append(collector)  # the runs after the first call
                started = time.perf_counter()
                card = scoring.scorecard(assessment)
                timings.append(time.perf_counter() - started)
            if collector in gc.callbacks:
                gc.callbacks.remove(collector)
            db.session.remove()
            db.engine.dispose()
        matches = fingerprint(card) == expected
        ok = True
        return {
            "database": "sqlite",
            "answers_stored": stored,
            "seed_seconds": round(seeded, 2),
            "runs": runs,
            "first_call_ms": ms(timings[0]),
            "scorecard": spread(timings[1:]),
            **collector.figures(),
            "ratings": ratings(card),
            "matches_in_memory": matches,
        }
    finally:
        if ok:
            shutil.rmtree(instance, ignore_errors=True)  # kept to look into a failure


# --- 3. A cycle --------------------------------------------------------------------------------


def cycle(rules, runtime, countries: int, seed: int, profile: bool) -> tuple[dict, str | None]:
    from app.scoring import engine

    answer_sets = [
        varied_answers(runtime, random.Random(seed * 1000 + n)) for n in range(countries)
    ]
    distinct = len({json.dumps(values, sort_keys=True) for values in answer_sets})
    gc.collect()
    visibility_total = 0.0
    inputs, per_assessment, cards = [], [], []
    started = time.perf_counter()
    with GcClock() as collector:
        for values in answer_sets:
            begun = time.perf_counter()
            visible = shown(runtime, values)
            middle = time.perf_counter()
            card = engine.score(rules, engine.facts(runtime.questions, values, visible))
            ended = time.perf_counter()
            visibility_total += middle - begun
            per_assessment.append(ended - middle)
            inputs.append((values, visible))
            cards.append(card)  # kept, as a cycle overview keeps them
    wall = time.perf_counter() - started
    scoring_total = sum(per_assessment)

    # Memory: score them again, keeping every scorecard, with tracemalloc on.
    del cards[:]
    gc.collect()
    tracemalloc.start()
    kept = [engine.score(rules, engine.facts(runtime.questions, v, shown_)) for v, shown_ in inputs]
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    totals = Counter()
    for card in kept:
        totals.update(ratings(card))
    indexes = [rollup.index for card in kept for rollup in card.frameworks.values() if rollup.index]
    figures = {
        "with_reserved_ratings": sum(1 for card in kept if reserved(card)),
        "with_priority_trigger": sum(1 for card in kept if card.triggers),
        "distinct_scorecards": len({fingerprint(card) for card in kept}),
    }
    del kept
    gc.collect()
    report = None
    if profile:
        # The collector is off here: its passes would be charged to whatever function
        # allocated at the time. Its own share is in gc_ms.
        gc.disable()
        profiler = cProfile.Profile()
        profiler.enable()
        for values, visible in inputs:
            engine.score(rules, engine.facts(runtime.questions, values, visible))
        profiler.disable()
        gc.enable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        report = out.getvalue()

    return {
        "assessments": countries,
        "distinct_answer_sets": distinct,
        "distinct_scorecards": figures["distinct_scorecards"],
        "facts_score_total_s": round(scoring_total, 3),
        "facts_score_mean_ms": ms(scoring_total / countries),
        "facts_score": spread(per_assessment),
        "visibility_total_s": round(visibility_total, 3),
        "wall_s": round(wall, 3),
        **collector.figures(),
        "peak_memory_mb": round(peak / 1e6, 2),
        "scorecards_retained_mb": round(retained / 1e6, 2),
        "per_scorecard_kb": round(retained / countries / 1e3, 1),
        "ratings": dict(sorted(totals.items())),
        "framework_index_range": [min(indexes), max(indexes)] if indexes else None,
        "with_reserved_ratings": figures["with_reserved_ratings"],
        "with_priority_trigger": figures["with_priority_trigger"],
    }, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="facts + score of one assessment")
    parser.add_argument("--db-runs", type=int, default=50, help="scorecard of a stored assessment")
    parser.add_argument("--countries", type=int, default=194)
    parser.add_argument("--target-ms", type=float, default=50.0, help="median, one assessment")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-db", action="store_true", help="skip the stored assessment")
    parser.add_argument("--profile", action="store_true", help="cProfile the cycle's scoring")
    parser.add_argument("--no-fail", action="store_true", help="report a missed target only")
    args = parser.parse_args()

    from app.frameworks.library import read_library
    from app.frameworks.runtime import Runtime
    from app.scoring import engine

    library = read_library([LIBRARY])
    if not library.ok:
        print("\n".join(map(str, library.problems)))
        return 1
    (questionnaire,) = library.questionnaires
    started = time.perf_counter()
    rules = engine.compile_rules(questionnaire, library.frameworks)
    compiled = time.perf_counter() - started
    runtime = Runtime.build(questionnaire)

    values = sample_answers(runtime, random.Random(args.seed))
    one, card = one_assessment(rules, runtime, values, args.runs)
    stored = None
    if not args.no_db:
        stored = stored_assessment(values, args.db_runs, questionnaire.id, fingerprint(card))
    whole, profile = cycle(rules, runtime, args.countries, args.seed, args.profile)

    median = one["facts_score"]["median_ms"]
    result = {
        "questionnaire": f"{questionnaire.id} {questionnaire.version}",
        "rules_version": rules.rules_version,
        "library": {
            "questions": len(runtime.questions),
            "provisions": len(rules.provisions),
            "elements": sum(len(p.elements) for p in rules.provisions),
            "reservations": len(rules.reservations),
            "maturity_areas": len(rules.areas),
        },
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "compile_rules_ms": ms(compiled),
        "one_assessment": one,
        "stored_assessment": stored,
        "cycle": whole,
        "targets": {
            "one_assessment_median": {
                "median_ms": median,
                "target_ms": args.target_ms,
                "met": median < args.target_ms,
            }
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scoring.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if profile:
        print(profile)

    library_figures = result["library"]
    print(
        f"{result['questionnaire']}: {library_figures['questions']} questions, "
        f"{library_figures['provisions']} provisions, {library_figures['elements']} elements; "
        f"rules compiled in {result['compile_rules_ms']:.1f} ms"
    )
    figures = one["facts_score"]
    print(
        f"  one assessment, facts + score    median {figures['median_ms']:7.2f} ms"
        f"   min {figures['min_ms']:7.2f} ms   max {figures['max_ms']:7.2f} ms"
        f"   ({one['runs']} runs; facts {one['facts_median_ms']:.2f},"
        f" score {one['score_median_ms']:.2f}, visibility {one['visibility_median_ms']:.2f} ms)"
    )
    print(
        f"    {one['answers']} answers, {one['visible_questions']} visible; {one['ratings']};"
        f" garbage collector {one['gc_ms']:.1f} ms in all runs"
    )
    failed = False
    if stored:
        figures = stored["scorecard"]
        print(
            f"  stored assessment, scorecard()   median {figures['median_ms']:7.2f} ms"
            f"   min {figures['min_ms']:7.2f} ms   max {figures['max_ms']:7.2f} ms"
            f"   ({stored['runs']} runs; first call {stored['first_call_ms']:.1f} ms, SQLite;"
            f" garbage collector {stored['gc_ms']:.1f} ms in all runs)"
        )
        if not stored["matches_in_memory"]:
            print("  FAILED: the stored assessment's scorecard differs from the in-memory one")
            failed = True
    figures = whole["facts_score"]
    print(
        f"  cycle of {whole['assessments']}, facts + score"
        f"   total {whole['facts_score_total_s']:.3f} s"
        f"   mean {whole['facts_score_mean_ms']:.2f} ms   median {figures['median_ms']:.2f} ms"
        f"   max {figures['max_ms']:.2f} ms   (visibility {whole['visibility_total_s']:.3f} s more;"
        f" garbage collector {whole['gc_ms'] / 1000:.3f} s within)"
    )
    print(
        f"    peak memory {whole['peak_memory_mb']:.1f} MB keeping all {whole['assessments']}"
        f" scorecards ({whole['per_scorecard_kb']:.0f} kB each);"
        f" {whole['distinct_scorecards']} distinct scorecards; {whole['ratings']}"
    )
    target = result["targets"]["one_assessment_median"]
    verdict = "met" if target["met"] else "NOT MET"
    print(
        f"  target: one assessment's facts + score median {target['median_ms']:.2f} ms"
        f" < {target['target_ms']:g} ms {verdict}"
    )
    missed = not target["met"]
    return 1 if failed or (missed and not args.no_fail) else 0


if __name__ == "__main__":
    raise SystemExit(main())
