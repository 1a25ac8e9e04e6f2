"""The JSON API: tokens, the same permissions as the pages, versions, 409 and 422."""

from __future__ import annotations

import io

import jsonschema
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from tests.conftest import PASSWORD, PDF, fill_required, post_form, sign_in

OFFENCE = "sub.illegal_access.offence"


def token_for(client, email, password=PASSWORD) -> str:
    response = client.post(
        "/api/v1/tokens", json={"email": email, "password": password, "name": "script"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_the_openapi_document_is_valid_3_1_and_names_every_operation(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    operations = {
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    }
    assert {"createToken", "listAssessments", "getAssessment", "saveAnswer", "submitAssessment",
            "uploadEvidence", "listEvidence"} <= operations  # fmt: skip


def test_tokens_are_stored_hashed_and_refused_when_wrong(app, client, world):
    token = token_for(client, world.own.email)
    with app.app_context():
        stored = db.session.scalars(select(ApiToken)).one()
        assert stored.token_hash != token and token not in stored.token_hash
    assert (
        client.post(
            "/api/v1/tokens", json={"email": world.own.email, "password": "wrong"}
        ).status_code
        == 401
    )
    missing = client.post("/api/v1/tokens", json={"email": world.own.email})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "password"
    assert client.post("/api/v1/tokens", data="not json").status_code == 422
    assert client.get("/api/v1/assessments").status_code == 401
    assert client.get("/api/v1/assessments", headers=bearer("made-up")).status_code == 401


def test_token_creation_is_throttled_like_sign_in(client, world):
    for _ in range(5):
        client.post("/api/v1/tokens", json={"email": world.own.email, "password": "wrong"})
    response = client.post("/api/v1/tokens", json={"email": world.own.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_revoked_tokens_and_revoked_sessions_stop_working(app, client, world):
    token = token_for(client, world.own.email)
    other = token_for(client, world.own.email)
    assert client.get("/api/v1/assessments", headers=bearer(token)).status_code == 200
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id).order_by(ApiToken.id)).first()
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/assessments", headers=bearer(token)).status_code == 401
    browser = app.test_client()
    sign_in(browser, world.own.email)
    post_form(browser, "/auth/logout-everywhere")
    assert client.get("/api/v1/assessments", headers=bearer(other)).status_code == 401


def test_tokens_can_be_revoked_from_the_account_page(app, client, world):
    token = token_for(app.test_client(), world.own.email)
    sign_in(client, world.own.email)
    page = client.get("/account").get_data(as_text=True)
    assert "script" in page
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    post_form(client, f"/account/tokens/{token_id}/revoke")
    assert client.get("/api/v1/assessments", headers=bearer(token)).status_code == 401


def test_list_and_get_follow_country_tenancy(app, client, world, assessments):
    own = bearer(token_for(client, world.own.email))
    listed = client.get("/api/v1/assessments", headers=own).get_json()["assessments"]
    assert [a["id"] for a in listed] == [assessments.own]
    assert client.get(f"/api/v1/assessments/{assessments.other}", headers=own).status_code == 404
    reviewer = bearer(token_for(client, world.reviewer.email))
    listed = client.get("/api/v1/assessments", headers=reviewer).get_json()["assessments"]
    assert {a["id"] for a in listed} == {assessments.own, assessments.other}
    assert all(a["editable"] is False for a in listed)


def test_get_assessment_gives_structure_visibility_answers_and_value_schemas(
    app, client, world, assessments
):
    headers = bearer(token_for(client, world.own.email))
    client.put(f"/api/v1/assessments/{assessments.own}/answers/{OFFENCE}", headers=headers,
               json={"value": {"answer": "yes"}, "version": 0})  # fmt: skip
    body = client.get(f"/api/v1/assessments/{assessments.own}", headers=headers).get_json()
    assert body["status"] == "draft" and body["editable"] is True
    questions = {q["id"]: q for s in body["sections"] for q in s["questions"]}
    assert len(questions) == 558
    offence = questions[OFFENCE]
    assert offence["answer"]["value"] == {"answer": "yes"} and offence["answer"]["version"] == 1
    assert offence["label"]["fr"] and offence["visible"] is True
    assert questions["sub.illegal_access.details"]["visible"] is True
    for question in questions.values():
        jsonschema.Draft202012Validator.check_schema(question["value_schema"])
        if question["answer"]:
            jsonschema.validate(question["answer"]["value"], question["value_schema"])
    assert "jur.territory" in body["missing"]


def test_save_answer_versions_conflicts_and_errors(app, client, world, assessments):
    headers = bearer(token_for(client, world.own.email))
    url = f"/api/v1/assessments/{assessments.own}/answers/{OFFENCE}"
    saved = client.put(
        url,
        headers=headers,
        json={"value": {"answer": "partly", "reference": "s. 2"}, "version": 0},
    )
    assert saved.status_code == 200 and saved.get_json()["version"] == 1
    stale = client.put(url, headers=headers, json={"value": {"answer": "no"}, "version": 0})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["current"]["value"] == {
        "answer": "partly",
        "reference": "s. 2",
    }
    invalid = client.put(url, headers=headers, json={"value": {"answer": "maybe"}, "version": 1})
    assert invalid.status_code == 422
    assert invalid.get_json()["error"] == {
        "status": 422, "message": "Choose yes, partly, no or not applicable.", "field": "value.answer",
    }  # fmt: skip
    na = client.put(url, headers=headers, json={"value": {"answer": "na"}, "version": 1})
    assert na.status_code == 422 and na.get_json()["error"]["field"] == "value.reference"
    no_version = client.put(url, headers=headers, json={"value": {"answer": "no"}})
    assert no_version.status_code == 422 and no_version.get_json()["error"]["field"] == "version"
    table = client.put(
        f"/api/v1/assessments/{assessments.own}/answers/cap.training.events", headers=headers,
        json={"value": [{"year": 1990, "audience": "judges"}], "version": 0},
    )  # fmt: skip
    assert table.status_code == 422 and table.get_json()["error"]["field"] == "value.0.year"
    unknown = client.put(
        f"/api/v1/assessments/{assessments.own}/answers/no.such",
        headers=headers,
        json={"value": None, "version": 0},
    )
    assert unknown.status_code == 404
    other = client.put(
        f"/api/v1/assessments/{assessments.other}/answers/{OFFENCE}",
        headers=headers,
        json={"value": "yes", "version": 0},
    )
    assert other.status_code == 404
    reviewer = bearer(token_for(client, world.reviewer.email))
    assert client.put(url, headers=reviewer, json={"value": "yes", "version": 1}).status_code == 403


def test_submit_through_the_api(app, client, world, assessments):
    headers = bearer(token_for(client, world.own.email))
    url = f"/api/v1/assessments/{assessments.own}/submit"
    missing = client.post(url, headers=headers)
    assert missing.status_code == 422 and "jur.territory" in missing.get_json()["error"]["missing"]
    fill_required(app, assessments.own, world.own.id)
    done = client.post(url, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "submitted"
    after = client.put(
        f"/api/v1/assessments/{assessments.own}/answers/{OFFENCE}",
        headers=headers,
        json={"value": "no", "version": 1},
    )
    assert after.status_code == 409 and "submitted" in after.get_json()["error"]["message"]
    assert client.post(url, headers=headers).status_code == 409


def test_upload_and_list_evidence(app, client, world, assessments):
    headers = bearer(token_for(client, world.own.email))
    url = f"/api/v1/assessments/{assessments.own}/evidence"
    created = client.post(
        url,
        headers=headers,
        data={
            "file": (io.BytesIO(PDF), "law.pdf"),
            "question_id": "cap.legislative_status.evidence",
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    evidence = created.get_json()
    assert evidence["content_type"] == "application/pdf" and evidence["size"] == len(PDF)
    listed = client.get(url, headers=headers).get_json()["evidence"]
    assert [e["id"] for e in listed] == [evidence["id"]]
    with client.get(f"{url}/{evidence['id']}", headers=headers) as download:
        assert download.data == PDF
    refused = client.post(
        url,
        headers=headers,
        data={"file": (io.BytesIO(b"<html>"), "page.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "file"
    assert (
        client.post(url, headers=headers, data={}, content_type="multipart/form-data").status_code
        == 422
    )
    stranger = bearer(token_for(client, world.other.email))
    assert client.get(url, headers=stranger).status_code == 404


def test_the_api_needs_no_csrf_token_but_never_accepts_the_session_cookie(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    response = client.put(
        f"/api/v1/assessments/{assessments.own}/answers/{OFFENCE}",
        json={"value": "yes", "version": 0},
    )
    assert response.status_code == 401


def test_the_token_stamp_joins_the_request_commit(app, client, world, assessments):
    from sqlalchemy import event

    from app.models import ApiToken

    token = token_for(client, world.own.email)
    commits: list[int] = []
    with app.app_context():
        engine = db.engine

    def listener(connection) -> None:
        commits.append(1)

    event.listen(engine, "commit", listener)
    try:
        response = client.put(
            f"/api/v1/assessments/{assessments.own}/answers/{OFFENCE}",
            json={"value": "yes", "version": 0},
            headers=bearer(token),
        )
    finally:
        event.remove(engine, "commit", listener)
    assert response.status_code == 200
    assert len(commits) == 1  # the answer and the token's last use, together
    with app.app_context():
        stamped = db.session.scalar(db.select(ApiToken.last_used_at))
        assert stamped is not None
        db.session.execute(db.update(ApiToken).values(last_used_at=None))
        db.session.commit()
    assert client.get("/api/v1/assessments", headers=bearer(token)).status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(ApiToken.last_used_at)) is not None  # reads stamp too


def test_a_citation_of_several_instruments_through_the_api(app, client, world, assessments):
    headers = bearer(token_for(client, world.own.email))
    url = f"/api/v1/assessments/{assessments.own}/answers/jur.citation"
    code = {"instrument": "Criminal Code", "article": "Art. 7", "stage": "in_force",
            "in_force_date": "2012-03-01"}  # fmt: skip
    law = {"instrument": "Law on Electronic Communications", "stage": "in_force"}
    refused = client.put(url, headers=headers, json={"value": [code, law], "version": 0})
    assert refused.status_code == 422
    assert refused.get_json()["error"] == {
        "status": 422, "message": "Instrument 2: Give the date of entry into force.",
        "field": "value.1.in_force_date",
    }  # fmt: skip
    law["in_force_date"] = "2015-07-01"
    saved = client.put(url, headers=headers, json={"value": [code, law], "version": 0})
    assert saved.status_code == 200 and saved.get_json()["value"] == [
        {"instrument": "Criminal Code", "article": "Art. 7", "in_force_date": "2012-03-01",
         "stage": "in_force"},
        {"instrument": "Law on Electronic Communications", "in_force_date": "2015-07-01",
         "stage": "in_force"},
    ]  # fmt: skip
    body = client.get(f"/api/v1/assessments/{assessments.own}", headers=headers).get_json()
    question = next(
        q for s in body["sections"] for q in s["questions"] if q["id"] == "jur.citation"
    )
    assert question["answer"]["value"] == saved.get_json()["value"]
    assert question["value_schema"]["type"] == ["array", "null"]
    assert question["value_schema"]["maxItems"] == 10
    jsonschema.validate(question["answer"]["value"], question["value_schema"])
    # A client of before sends one instrument as an object: stored as a list of one, and its
    # errors name the field as before.
    single = client.put(url, headers=headers, json={"value": {"stage": "draft"}, "version": 1})
    assert single.get_json()["error"]["field"] == "value.instrument"
    single = client.put(
        url, headers=headers, json={"value": {"stage": "draft", "instrument": "Bill"}, "version": 1}
    )
    assert single.status_code == 200
    assert single.get_json()["value"] == [{"instrument": "Bill", "stage": "draft"}]
