"""Throughput benchmark: the assessment section pages, measured against /healthz and /account.

A fresh database (SQLite in WAL mode by default; ``--database postgresql`` creates and drops a
fresh database on the local server; ``both`` runs one after the other) is migrated and seeded
with the shipped questionnaires, one country XAA, its official (a known password), a coordinator
and an open cycle. The XAA assessment is then filled so that every question of the measured
sections holds an answer (``--fill all``: every question of the questionnaire): each question
gets ``question.sample_value(variant=0, files=...)``, a question that holds files first getting
one PDF evidence file that its value refers to, and every third answer a short note. The app is
served by gunicorn (2 workers x 4 threads by default) and the official signs in over HTTP like a
browser (the login page's CSRF token, then the form), keeping the session cookie.

Four pages are measured in the same run, interleaved in rounds (each round starting with a
different page) so that drift, such as other load on the machine, touches each alike:
``/healthz`` (the floor: no session, no template), ``/account`` (a plain signed-in page), the
small section ``legislative_status`` and the section with the most questions (counted in the
questionnaire; ``substantive`` today). In each round every page gets N client threads, each with
its own keep-alive connection, for a fixed duration. Every response must be 200 and a section
page must contain its questions (``data-question=`` blocks); anything else is an error and fails
the run. Before the rounds each page is warmed up (every worker renders it), its median latency
over sequential requests on one connection is measured and its HTML size recorded.

    python benchmarks/bench_sections.py [--database sqlite|postgresql|both] [--clients 8]
        [--seconds 5] [--rounds 3] [--fill sections|all] [--no-fail]

Figures: requests/s per page and its ratio to /healthz (over all rounds, and per round), printed
and written to benchmarks/results/sections-<database>.json. Targets: the largest section at
least 0.08 of /healthz, legislative_status at least 0.12. A missed target exits 1
(``--no-fail`` only reports it); bad responses always exit 1.

The server runs with ``APP_ENV=production`` as deployed (and as bench_autosave serves it): no
debugger, templates compiled once and cached, ``SECRET_KEY`` from the environment. Production
session cookies are ``Secure``, which a browser would not send back over plain http; this client
keeps the cookie itself and sends it with every request, so the signed-in pages are served as
they are behind TLS. (The development configuration differs only in those cookie settings.)

The clients run on the same machine as the server: on a small machine they take CPU from it, so
the absolute figures (/healthz most of all) depend on the host and its load; the ratios are the
measure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import tempfile
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

import harness

RESULTS = harness.ROOT / "benchmarks" / "results"
COUNTRY = "XAA"
EMAIL = "official.xaa@bench.example.org"
PASSWORD = "a bench passphrase"
SMALL_SECTION = "legislative_status"
#: Least requests/s of a page as a share of /healthz.
TARGETS = {"largest_section": 0.08, "small_section": 0.12}
# A minimal well-formed PDF: the upload check sniffs the type from the content.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
QUESTION_MARK = b"data-question="


def prepare(database_url: str, instance: Path, fill: str) -> dict:
    """Migrate and seed a fresh database; return the assessment and the sections to measure."""
    app = harness.bench_app(database_url, instance)
    from app.assessments import answers, cycles, evidence
    from app.auth import services as accounts
    from app.core.permissions import Role
    from app.extensions import db
    from app.frameworks import store
    from app.models import Country

    with app.app_context():
        country = Country(code=COUNTRY, name="Benchland", region="150", participating=True)
        db.session.add(country)
        db.session.flush()
        coordinator = accounts.create_user(
            "coordinator@bench.example.org",
            "Coordinator",
            Role.COORDINATOR,
            None,
            password=PASSWORD,
        )
        official = accounts.create_user(
            EMAIL, "Official XAA", Role.OFFICIAL, country, password=PASSWORD
        )
        version = next(
            (
                v
                for v in store.latest_questionnaires()
                if answers.runtime(v).section(SMALL_SECTION) is not None
            ),
            None,
        )
        assert version is not None, f"no questionnaire has a section {SMALL_SECTION!r}"
        cycle = cycles.create_cycle(
            "Bench round", version, date(2030, 1, 1), [country], carry_over=False, user=coordinator
        )
        (assessment,) = cycles.open_cycle(cycle, coordinator)
        questionnaire = answers.state(assessment).runtime
        sections = questionnaire.questionnaire.sections
        largest = max(sections, key=lambda section: len(section.questions))
        small = questionnaire.section(SMALL_SECTION)
        if fill == "all":
            to_fill = list(questionnaire.questions.values())
        else:
            to_fill = list(small.questions) + list(largest.questions)
        files = 0
        for index, question in enumerate(to_fill):
            attached: list[str] = []
            version_seen = 0
            if question.holds_files:
                upload = evidence.add_evidence(
                    assessment, PDF, "law.pdf", user=official, question_id=question.id, version=0
                )
                attached = [upload.public_id]
                files += 1
                stored = answers.find_answer(assessment, question.id)
                version_seen = stored.version if stored else 0
            extra = {"note": f"Bench note {index}: see the attached law."} if index % 3 == 0 else {}
            answers.save_answer(
                assessment,
                question.id,
                question.sample_value(variant=0, files=attached),
                version=version_seen,
                user=official,
                questionnaire=questionnaire,
                **extra,
            )
        db.session.commit()
        filled = answers.state(assessment)
        for section in (small, largest):
            unanswered = [
                q.id
                for q in section.questions
                if q.id not in filled.answers or not q.is_answered(filled.answers[q.id].value)
            ]
            assert not unanswered, f"{section.id}: unanswered {unanswered[:5]}"
        seeded = {
            "assessment": assessment.id,
            "questionnaire": f"{version.questionnaire_id} {version.version}",
            "answers": len(filled.answers),
            "evidence_files": files,
            "sections": {
                "small_section": {"id": small.id, "questions": len(small.questions)},
                "largest_section": {"id": largest.id, "questions": len(largest.questions)},
            },
        }
        db.session.remove()
        db.engine.dispose()
    return seeded


class Client:
    """A keep-alive connection that sends the session cookie it was given."""

    def __init__(self, port: int, cookie: str | None = None):
        self.port = port
        self.cookie = cookie
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        return response, payload

    def close(self) -> None:
        self.connection.close()


def session_cookie(response: http.client.HTTPResponse) -> str | None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def sign_in(port: int) -> str:
    """Sign in as the official through the login form; return the session cookie."""
    client = Client(port)
    response, page = client.request("GET", "/auth/login")
    assert response.status == 200, f"GET /auth/login: HTTP {response.status}"
    client.cookie = session_cookie(response)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1).decode(), "email": EMAIL, "password": PASSWORD}
    )
    response, page = client.request(
        "POST",
        "/auth/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    cookie = session_cookie(response)
    assert response.status == 302 and cookie, f"sign-in refused: HTTP {response.status}"
    client.cookie = cookie
    response, _ = client.request("GET", "/account")
    assert response.status == 200, f"/account after sign-in: HTTP {response.status}"
    client.close()
    return cookie


def check(page: dict, status: int, body: bytes) -> str | None:
    """Return what is wrong with a response, if anything."""
    if status != 200:
        return f"{page['path']}: HTTP {status} {body[:120]!r}"
    if page["section"] and body.count(QUESTION_MARK) == 0:
        return f"{page['path']}: no question on the page"
    return None


def sequential(port: int, cookie: str, page: dict, count: int) -> dict:
    """Median latency of ``count`` requests one after the other on one connection."""
    client = Client(port, cookie if page["signed_in"] else None)
    timings, size, rendered, errors = [], 0, 0, []
    for _ in range(count):
        started = time.perf_counter()
        response, body = client.request("GET", page["path"])
        timings.append(time.perf_counter() - started)
        problem = check(page, response.status, body)
        if problem:
            errors.append(problem)
        size, rendered = len(body), body.count(QUESTION_MARK)
    client.close()
    figures = {"median_ms": round(statistics.median(timings) * 1000, 2), "html_bytes": size}
    if page["section"]:
        figures["questions_rendered"] = rendered
    return {**figures, "errors": errors}


def load(port: int, cookie: str, page: dict, clients: int, seconds: float) -> dict:
    """``clients`` threads request the page for ``seconds``; return requests/s and errors."""
    counts = [0] * clients
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    stop = [0.0]

    def work(slot: int) -> None:
        client = Client(port, cookie if page["signed_in"] else None)
        barrier.wait()
        end = stop[0]
        done = 0
        while time.perf_counter() < end:
            try:
                response, body = client.request("GET", page["path"])
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{page['path']}: {error!r}")
                continue
            problem = check(page, response.status, body)
            if problem:
                errors.append(problem)
            else:
                done += 1
        counts[slot] = done
        client.close()

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(clients)]
    for thread in threads:
        thread.start()
    stop[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"requests": sum(counts), "seconds": elapsed, "errors": errors}


def run(database: str, args: argparse.Namespace) -> dict:
    instance = Path(tempfile.mkdtemp(prefix=f"bench-sections-{database}-"))
    url, pg_name = harness.fresh_database(database, instance)
    gunicorn = None
    try:
        seeded = prepare(url, instance, args.fill)
        assessment = seeded["assessment"]
        sections = seeded["sections"]
        pages = {
            "healthz": {"path": "/healthz", "signed_in": False, "section": False},
            "account": {"path": "/account", "signed_in": True, "section": False},
        }
        for key in ("small_section", "largest_section"):
            pages[key] = {
                "path": f"/assessments/{assessment}/sections/{sections[key]['id']}",
                "signed_in": True,
                "section": True,
            }
        gunicorn, port = harness.start_gunicorn(url, instance, args.workers, args.threads)
        cookie = sign_in(port)
        errors: list[str] = []
        single = {}
        for name, page in pages.items():
            load(port, cookie, page, args.clients, args.warmup)  # every worker renders it once
            single[name] = sequential(port, cookie, page, args.sequential)
            errors += single[name].pop("errors")
        totals = {name: {"requests": 0, "seconds": 0.0, "rounds": []} for name in pages}
        names = list(pages)
        for round_index in range(args.rounds):
            shift = round_index % len(names)  # a different page goes first in each round
            for name in names[shift:] + names[:shift]:
                result = load(port, cookie, pages[name], args.clients, args.seconds)
                errors += result["errors"]
                totals[name]["requests"] += result["requests"]
                totals[name]["seconds"] += result["seconds"]
                totals[name]["rounds"].append(round(result["requests"] / result["seconds"], 1))
                print(
                    f"  round {round_index + 1} {name:16} "
                    f"{result['requests'] / result['seconds']:8.1f} req/s",
                    flush=True,
                )
    finally:
        if gunicorn is not None:
            harness.stop_gunicorn(gunicorn)
        if pg_name:
            harness.drop_database(pg_name)
    if not errors:
        shutil.rmtree(instance, ignore_errors=True)  # kept, with gunicorn.log, to look into errors
    rates = {name: total["requests"] / total["seconds"] for name, total in totals.items()}
    figures = {}
    for name, page in pages.items():
        figures[name] = {
            "path": page["path"],
            "requests_per_second": round(rates[name], 1),
            "per_round": totals[name]["rounds"],
            "requests": totals[name]["requests"],
            "ratio_to_healthz": round(rates[name] / rates["healthz"], 4) if rates["healthz"] else 0,
            "ratio_per_round": [
                round(mine / floor, 4) if floor else 0
                for mine, floor in zip(
                    totals[name]["rounds"], totals["healthz"]["rounds"], strict=True
                )
            ],
            **single[name],
        }
        if name in sections:
            figures[name]["section"] = sections[name]["id"]
            figures[name]["questions"] = sections[name]["questions"]
    targets = {
        name: {
            "section": sections[name]["id"],
            "ratio": figures[name]["ratio_to_healthz"],
            "target": target,
            "met": figures[name]["ratio_to_healthz"] >= target,
        }
        for name, target in TARGETS.items()
    }
    return {
        "database": database,
        "gunicorn": f"{args.workers} workers x {args.threads} threads",
        "clients": args.clients,
        "seconds_per_page_per_round": args.seconds,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "questionnaire": seeded["questionnaire"],
        "fill": args.fill,
        "answers": seeded["answers"],
        "evidence_files": seeded["evidence_files"],
        "pages": figures,
        "targets": targets,
        "errors": len(errors),
        "first_errors": errors[:5],
        **({"instance": str(instance)} if errors else {}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--seconds", type=float, default=5.0, help="per page per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds per page before")
    parser.add_argument("--sequential", type=int, default=20, help="requests for the latency")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--fill",
        choices=["sections", "all"],
        default="sections",
        help="answer the two measured sections (default) or the whole questionnaire",
    )
    parser.add_argument("--no-fail", action="store_true", help="report missed targets only")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = missed = False
    for database in databases:
        result = run(database, args)
        (RESULTS / f"sections-{database}.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        print(f"{database}, {result['gunicorn']}, {args.clients} clients:")
        for name, page in result["pages"].items():
            print(
                f"  {name:16} {page['path']:40} {page['requests_per_second']:8.1f} req/s  "
                f"ratio {page['ratio_to_healthz']:.3f}  median {page['median_ms']:.1f} ms  "
                f"{page['html_bytes']:,} bytes"
            )
        for name, target in result["targets"].items():
            verdict = "met" if target["met"] else "MISSED"
            print(
                f"  target {name} ({target['section']}): ratio {target['ratio']:.3f}"
                f" >= {target['target']} {verdict}"
            )
            missed |= not target["met"]
        if result["errors"]:
            print(f"  FAILED: {result['errors']} bad responses, e.g. {result['first_errors'][:2]}")
            failed = True
    return 1 if failed or (missed and not args.no_fail) else 0


if __name__ == "__main__":
    raise SystemExit(main())
