"""Every assessment page costs a fixed number of SQL queries, whatever the section's size."""

from __future__ import annotations

import re
from functools import partial

from tests.conftest import PDF, count_statements, fill_required, post_form, sign_in

#: Sections from 6 to 64 questions.
SECTIONS = ["jurisdiction", "contact_point", "un_offences", "protocol_2", "substantive"]


def measure(app, client, url: str) -> int:
    client.get(url)  # warm the parsed questionnaire cache (once per process)
    statements = count_statements(app, partial(client.get, url))
    return len(statements)


def test_section_pages_cost_the_same_whatever_their_size(app, client, world, assessments):
    fill_required(app, assessments.own, world.own.id)  # every section holds answers
    sign_in(client, world.own.email)
    counts = {
        section: measure(app, client, f"/assessments/{assessments.own}/sections/{section}")
        for section in SECTIONS
    }
    assert len(set(counts.values())) == 1, counts
    assert next(iter(counts.values())) <= 8, counts


def test_overview_home_workbook_and_api_cost_a_fixed_number_of_queries(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    post_form(client, f"/assessments/{assessments.own}/evidence",
              {"file": (__import__("io").BytesIO(PDF), "a.pdf"),
               "question_id": "cap.legislative_status.evidence", "version": "0"},
              content_type="multipart/form-data")  # fmt: skip
    empty = {
        "overview": measure(app, client, f"/assessments/{assessments.own}"),
        "home": measure(app, client, "/"),
        "submit": measure(app, client, f"/assessments/{assessments.own}/submit"),
        "workbook": measure(app, client, f"/assessments/{assessments.own}/workbook"),
    }
    fill_required(app, assessments.own, world.own.id)
    full = {
        "overview": measure(app, client, f"/assessments/{assessments.own}"),
        "home": measure(app, client, "/"),
        "submit": measure(app, client, f"/assessments/{assessments.own}/submit"),
        "workbook": measure(app, client, f"/assessments/{assessments.own}/workbook"),
    }
    assert empty == full
    assert max(full.values()) <= 10, full


def test_saving_an_answer_costs_a_fixed_number_of_queries(app, client, world, assessments):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/answers/jur.territory"
    token_page = client.get("/auth/forgot").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)

    def save(answer: str, version: int) -> int:
        data = {"csrf_token": token, "jur.territory[answer]": answer,
                "version[jur.territory]": str(version)}  # fmt: skip
        return len(count_statements(app, partial(client.post, url, data=data)))

    save("yes", 0)
    on_an_empty_assessment = save("no", 1)
    fill_required(app, assessments.own, world.own.id)
    on_a_full_assessment = save("partly", 2)
    assert on_an_empty_assessment == on_a_full_assessment <= 14


def test_saving_a_section_costs_the_same_whatever_the_number_of_answers(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/sections/substantive"
    page = client.get(url).get_data(as_text=True)
    groups = sorted(set(re.findall(r'name="([^"]+)\[answer\]" id="[^"]+-yes"', page)))
    assert len(groups) >= 40, len(groups)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def save(questions: list[str], answer: str, version: int) -> int:
        data = {"csrf_token": token}
        for qid in questions:
            data[f"{qid}[answer]"] = answer
            data[f"version[{qid}]"] = str(version)
        response = []
        statements = count_statements(app, lambda: response.append(client.post(url, data=data)))
        assert response[0].status_code == 302, response[0].get_data(as_text=True)[:500]
        return len(statements)

    few, many = groups[:3], groups[3:40]
    created = {"few": save(few, "yes", 0), "many": save(many, "yes", 0)}
    changed = {"few": save(few, "no", 1), "many": save(many, "no", 1)}
    assert created["few"] == created["many"], created
    assert changed["few"] == changed["many"], changed
    assert max(*created.values(), *changed.values()) <= 16, (created, changed)
