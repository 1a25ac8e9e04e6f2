"""Odd input gets a clear answer — 404 or 422 with a message — never a 500: ids beyond what a
database holds, versions that are digits to Python but no numbers, broken workbooks."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook

from tests.conftest import PDF, post_form, sign_in
from tests.integration.test_api import bearer, token_for
from tests.integration.test_workbook import download, find_row, upload

HUGE = str(2**63)
OFFENCE = "sub.illegal_access.offence"


def rules_with_ids(app) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def test_every_route_answers_404_to_an_id_no_database_can_hold(app, client, world, assessments):
    sign_in(client, world.coordinator.email)
    token = token_for(app.test_client(), world.own.email)
    rules = rules_with_ids(app)
    assert len(rules) >= 15
    for method, rule in rules:
        path = re.sub(r"<int:[a-z_]+>", HUGE, rule)
        path = re.sub(r"<[a-z_:]+>", "x", path)
        headers = bearer(token) if rule.startswith("/api/") else {}
        response = client.open(path, method=method, headers=headers)
        assert response.status_code in (404, 405), (method, rule, response.status_code)


@pytest.mark.parametrize("version", ["²", "٣", "9" * 5000, "-1", "1e3"])
def test_versions_that_are_no_numbers_are_refused_not_crashed(
    app, client, world, assessments, version
):
    sign_in(client, world.own.email)
    autosave = post_form(
        client,
        f"/assessments/{assessments.own}/answers/{OFFENCE}",
        {f"{OFFENCE}[answer]": "yes", f"version[{OFFENCE}]": version},
    )
    assert autosave.status_code in (200, 409)  # no answer yet: saved; else a conflict
    section = post_form(
        client,
        f"/assessments/{assessments.own}/sections/substantive",
        {f"{OFFENCE}[answer]": "yes", f"version[{OFFENCE}]": version},
    )
    assert section.status_code in (302, 422)
    upload = post_form(
        client,
        f"/assessments/{assessments.own}/evidence",
        {
            "file": (io.BytesIO(PDF), "a.pdf"),
            "question_id": "cap.legislative_status.evidence",
            "version": version,
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    table = post_form(
        client,
        f"/assessments/{assessments.own}/sections/training",
        {f"cap.training.events[{version}][year]": "2024", "version[cap.training.events]": "0"},
    )
    assert table.status_code in (302, 422)


def test_a_workbook_with_missing_columns_or_odd_versions_is_explained(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    sheet = next(s for s in book.worksheets if s.title.endswith("substantive"))
    row = find_row(sheet, OFFENCE)
    row[5].value = float("inf")  # the hidden version column
    row[3].value = "Yes"
    response = upload(client, assessments.own, book)
    assert response.status_code in (302, 422)

    truncated = download(client, assessments.own)
    sheet = next(s for s in truncated.worksheets if s.title.endswith("substantive"))
    sheet.delete_cols(3, 4)  # keep only the id and field columns
    response = upload(client, assessments.own, truncated)
    assert response.status_code == 422
    assert "no answer column" in response.get_data(as_text=True)

    meta_only = Workbook()
    meta_only.create_sheet("_meta").append(["assessment"])  # a key without its value
    response = upload(client, assessments.own, meta_only)
    assert response.status_code == 422
    assert "not downloaded from this assessment" in response.get_data(as_text=True)


def test_control_characters_are_refused_so_every_export_can_hold_the_answers(
    app, client, world, assessments
):
    # A NUL or an escape character in an answer or a note would break the workbook (spreadsheets
    # cannot hold them) and PostgreSQL's text columns: refused with a message naming the field.
    token = token_for(client, world.own.email)
    url = f"/api/v1/assessments/{assessments.own}/answers/sub.illegal_access.citation"
    citation = [{"stage": "draft", "instrument": "Criminal\x00Code"}]
    response = client.put(url, json={"value": citation, "version": 0}, headers=bearer(token))
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "value.0.instrument"
    assert "control characters" in response.get_json()["error"]["message"]
    response = client.put(
        url,
        json={"value": None, "note": "see \x1b[31mhere", "version": 0},
        headers=bearer(token),
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "note"
    # Tabs and line breaks are text: kept, and the workbook still downloads.
    kept = [{"stage": "draft", "instrument": "Criminal Code\tBook II"}]
    response = client.put(
        url, json={"value": kept, "note": "line one\nline two", "version": 0}, headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    sign_in(client, world.own.email)
    assert client.get(f"/assessments/{assessments.own}/workbook").status_code == 200


def test_a_nul_in_a_filter_of_the_address_is_a_clear_400(app, client, world):
    sign_in(client, world.coordinator.email)
    for url in ("/admin/users?q=a%00", "/admin/countries?q=%00x", "/assessments?status=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "contains a NUL character (%00): remove it" in response.get_data(as_text=True)
