"""The review through the JSON API: assignment, the queue, clarification rounds and every step,
with the same permissions as the pages — 404 where the assessment is not yours to see, 403 for
a role that never takes the step, 409 with the reason where the status does not allow it, and
422 naming the field. Every answer is checked against the OpenAPI document."""

from __future__ import annotations

import re

import jsonschema
import pytest
from sqlalchemy import select

from app.core.permissions import Role
from app.extensions import db
from app.models import Assessment, AssessmentStatus, AuditEvent, Cycle, User
from tests.conftest import fill_required
from tests.integration.test_api import bearer, token_for

REVIEW_OPERATIONS = {
    "assignReviewers": ("post", "/assessments/{assessment_id}/reviewers"),
    "listReviewQueue": ("get", "/review-queue"),
    "returnForClarification": ("post", "/assessments/{assessment_id}/clarification"),
    "replyToClarification": (
        "post",
        "/assessments/{assessment_id}/clarifications/{clarification_id}/reply",
    ),
    "startReview": ("post", "/assessments/{assessment_id}/review/start"),
    "resubmitAssessment": ("post", "/assessments/{assessment_id}/resubmit"),
    "finalizeReview": ("post", "/assessments/{assessment_id}/review/finalize"),
    "publishAssessment": ("post", "/assessments/{assessment_id}/publish"),
    "reopenAssessment": ("post", "/assessments/{assessment_id}/reopen"),
    "getReview": ("get", "/assessments/{assessment_id}/review"),
    "rateProvision": ("put", "/assessments/{assessment_id}/ratings/{ref}"),
    "setMaturityStage": ("put", "/assessments/{assessment_id}/stages/{area}"),
}


def set_state(app, assessment_id: int, status: AssessmentStatus | None = None, **columns) -> None:
    """Put an assessment in a state directly (the steps before it have their own tests)."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        if status is not None:
            assessment.status = status
        for name, value in columns.items():
            setattr(assessment, name, value)
        db.session.commit()


def status_of(app, assessment_id: int) -> AssessmentStatus:
    with app.app_context():
        return db.session.get(Assessment, assessment_id).status


class Api:
    """A client that speaks for one persona and checks answers against the OpenAPI document."""

    def __init__(self, client, persona):
        self.client = client
        self.headers = bearer(token_for(client, persona.email))

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path: str, body=None):
        return self.client.post(f"/api/v1{path}", headers=self.headers, json=body)

    def put(self, path: str, body=None):
        return self.client.put(f"/api/v1{path}", headers=self.headers, json=body)


@pytest.fixture
def api(client, world):
    def speaking_as(name: str) -> Api:
        return Api(client, world.persona(name))

    return speaking_as


def conforms(client, body: dict, schema: str) -> dict:
    """Assert that ``body`` is valid for a schema of the OpenAPI document; return it."""
    document = client.get("/api/v1/openapi.json").get_json()
    jsonschema.validate(
        body, {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    )
    return body


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["status"] == status and body["message"]
    return body


def test_every_review_operation_is_in_the_openapi_document(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    for operation_id, (method, path) in REVIEW_OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["operationId"] == operation_id
        assert {"200", "401"} <= operation["responses"].keys()
        if "{assessment_id}" in path:
            assert {"403", "404"} <= operation["responses"].keys()
    # Every API route is documented, and every documented operation is a route.
    documented = {
        (method.upper(), re.sub(r"\{[a-z_]+\}", "{}", path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    routes = {
        (method, re.sub(r"<[a-z_:]+>", "{}", rule.rule.removeprefix("/api/v1")))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes
    assessment = document["components"]["schemas"]["Assessment"]["allOf"][1]
    assert "review" in assessment["required"]
    summary = document["components"]["schemas"]["AssessmentSummary"]["properties"]["status"]
    assert set(summary["enum"]) == {status.value for status in AssessmentStatus}


def test_a_coordinator_assigns_reviewers_by_e_mail(app, client, api, world, assessments):
    url = f"/assessments/{assessments.own}/reviewers"
    coordinator = api("coordinator")
    assigned = coordinator.post(url, {"lead": world.outsider.email.upper(), "second": None})
    assert assigned.status_code == 200
    review = conforms(client, assigned.get_json(), "Review")
    assert review["lead_reviewer"] == {"name": "Oscar", "email": world.outsider.email}
    assert review["second_reviewer"] is None and review["status"] == "draft"
    # The assignment is what a reviewer may see: the new lead sees it, the former one no more.
    assert api("outsider").get(f"/assessments/{assessments.own}").status_code == 200
    assert api("reviewer").get(f"/assessments/{assessments.own}").status_code == 404
    with app.app_context():
        db.session.get(Cycle, assessments.cycle_id).second_review = True
        db.session.commit()
    both = api("admin").post(url, {"lead": world.reviewer.email, "second": world.outsider.email})
    assert both.status_code == 200
    assert both.get_json()["second_reviewer"]["email"] == world.outsider.email
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event.action == "assessment.reviewers_assigned"
        assert event.actor_id == world.admin.id


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "lead", "Choose the lead reviewer."),
        ({"lead": ""}, "lead", "Choose the lead reviewer."),
        ({"lead": 7}, "lead", "Give the reviewer's e-mail address."),
        ({"lead": "nobody@example.org"}, "lead", "No active account has this e-mail address."),
        ({"lead": "olga@xaa.example.org"}, "lead", "Only a reviewer can be assigned"),
        ({"lead": "rafael@catf.example.org", "second": ["x"]}, "second", "e-mail address"),
        ({"lead": "rafael@catf.example.org", "second": "oscar@catf.example.org"}, "second",
         "This cycle asks for no second reviewer."),
    ],
)  # fmt: skip
def test_assigning_reviewers_names_the_field_at_fault(
    app, api, world, assessments, body, field, message
):
    refused = problem(
        api("coordinator").post(f"/assessments/{assessments.own}/reviewers", body), 422
    )
    assert refused["field"] == field and message in refused["message"]
    with app.app_context():  # nothing changed
        assert db.session.get(Assessment, assessments.own).lead_reviewer_id == world.reviewer.id


def test_the_same_person_twice_and_a_finished_review_are_refused(app, api, world, assessments):
    url = f"/assessments/{assessments.own}/reviewers"
    with app.app_context():
        db.session.get(Cycle, assessments.cycle_id).second_review = True
        db.session.commit()
    twice = {"lead": world.reviewer.email, "second": world.reviewer.email}
    assert problem(api("coordinator").post(url, twice), 422)["field"] == "second"
    set_state(app, assessments.own, AssessmentStatus.FINALISED)
    finished = problem(api("coordinator").post(url, {"lead": world.outsider.email}), 422)
    assert finished["field"] == "lead" and "re-open it" in finished["message"]


def test_only_coordinators_assign_and_only_what_they_see(app, api, world, assessments):
    url = f"/assessments/{assessments.own}/reviewers"
    body = {"lead": world.outsider.email}
    for name in ("own", "reviewer"):
        assert problem(api(name).post(url, body), 403)["message"] == (
            "Only coordinators assign reviewers."
        )
    for name in ("other", "outsider"):
        assert problem(api(name).post(url, body), 404)["message"] == "No such assessment."
    with app.app_context():
        assert db.session.get(Assessment, assessments.own).lead_reviewer_id == world.reviewer.id


def test_the_review_queue_lists_the_callers_unfinished_assignments(
    app, client, api, world, assessments
):
    set_state(app, assessments.own, AssessmentStatus.SUBMITTED)
    set_state(app, assessments.other, AssessmentStatus.RESUBMITTED,
              lead_reviewer_id=world.outsider.id, second_reviewer_id=world.reviewer.id)  # fmt: skip
    queue = conforms(client, api("reviewer").get("/review-queue").get_json(), "ReviewQueue")
    assert [(a["id"], a["role"], a["status"]) for a in queue["assessments"]] == [
        (assessments.own, "lead", "submitted"),
        (assessments.other, "second", "resubmitted"),
    ]
    own = queue["assessments"][0]
    assert own["country"] == {"code": "XAA", "name": "Demoland"}
    assert own["cycle"] == {"id": assessments.cycle_id, "name": "2027 round"}
    outsider = api("outsider").get("/review-queue").get_json()["assessments"]
    assert [(a["id"], a["role"]) for a in outsider] == [(assessments.other, "lead")]
    with app.app_context():  # no longer a reviewer: the assignment stays, the queue empties
        db.session.get(User, world.outsider.id).role = Role.COORDINATOR
        db.session.commit()
    assert api("outsider").get("/review-queue").get_json() == {"assessments": []}
    set_state(app, assessments.own, AssessmentStatus.FINALISED)
    set_state(app, assessments.other, AssessmentStatus.PUBLISHED)
    assert api("reviewer").get("/review-queue").get_json() == {"assessments": []}
    for name in ("own", "coordinator", "admin"):  # nobody reviews what is not theirs
        assert api(name).get("/review-queue").get_json() == {"assessments": []}


def test_a_review_from_submission_to_publication_and_back(app, client, api, world, assessments):
    base = f"/assessments/{assessments.own}"
    set_state(app, assessments.own, AssessmentStatus.SUBMITTED)
    reviewer, official, coordinator = api("reviewer"), api("own"), api("coordinator")

    started = reviewer.post(f"{base}/review/start")
    assert started.status_code == 200
    body = conforms(client, started.get_json(), "ReviewedAssessment")
    assert body["status"] == body["review"]["status"] == "in_review"
    assert body["review"]["started_at"] and body["editable"] is False

    asked = reviewer.post(f"{base}/clarification", {"items": [
        {"question_id": "jur.territory", "text": "  Does the law reach ships under your flag? "},
        {"text": "Please attach the amended Criminal Code.", "question_id": None},
    ]})  # fmt: skip
    assert asked.status_code == 200
    round_one = conforms(client, asked.get_json(), "ClarificationRound")
    assert round_one["round"] == 1 and round_one["status"] == "clarification"
    assert [(i["question_id"], i["text"], i["open"]) for i in round_one["items"]] == [
        ("jur.territory", "Does the law reach ships under your flag?", True),
        (None, "Please attach the amended Criminal Code.", True),
    ]
    assert round_one["items"][0]["asked_by"] == "Rafael"

    # The country sees the questions in its assessment, and may change its answers again.
    seen = official.get(base).get_json()
    assert seen["status"] == "clarification" and seen["editable"] is True
    assert [i["id"] for i in seen["review"]["clarifications"]] == [
        i["id"] for i in round_one["items"]
    ]
    first = round_one["items"][0]["id"]
    replied = official.post(f"{base}/clarifications/{first}/reply", {"reply": "Yes: art. 4."})
    assert replied.status_code == 200
    item = conforms(client, replied.get_json(), "Clarification")
    assert (item["reply"], item["replied_by"], item["open"]) == ("Yes: art. 4.", "Olga", False)

    early = problem(official.post(f"{base}/resubmit"), 409)
    assert early["message"] == (
        "Reply to every question of the reviewer before resubmitting (1 left)."
    )
    last = round_one["items"][1]["id"]
    official.post(f"{base}/clarifications/{last}/reply", {"reply": "Attached."})
    resubmitted = official.post(f"{base}/resubmit")
    assert resubmitted.status_code == 200 and resubmitted.get_json()["status"] == "resubmitted"
    assert reviewer.post(f"{base}/review/start").get_json()["status"] == "in_review"

    second = reviewer.post(f"{base}/clarification", {"items": [{"text": "And aircraft?"}]})
    assert second.get_json()["round"] == 2 and len(second.get_json()["items"]) == 1
    replies = official.get(base).get_json()["review"]["clarifications"]
    assert [(i["round"], i["reply"], i["open"]) for i in replies] == [
        (1, "Yes: art. 4.", False),
        (1, "Attached.", False),
        (2, None, True),
    ]
    aircraft = second.get_json()["items"][0]["id"]
    official.post(f"{base}/clarifications/{aircraft}/reply", {"reply": "Yes, art. 5."})
    official.post(f"{base}/resubmit")
    reviewer.post(f"{base}/review/start")

    refused = reviewer.post(f"{base}/review/finalize")  # nothing is rated yet
    assert refused.status_code == 409
    assert "Rate every provision" in refused.get_json()["error"]["message"]
    with app.app_context():
        from tests.integration.test_review_workflow import rate_everything

        assessment = db.session.get(Assessment, assessments.own)
        rate_everything(assessment, db.session.get(User, world.reviewer.id))
        db.session.commit()
    finalised = reviewer.post(f"{base}/review/finalize")
    assert finalised.status_code == 200
    assert finalised.get_json()["review"]["finalised_at"]
    assert finalised.get_json()["status"] == "finalised"
    published = coordinator.post(f"{base}/publish")
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert published.get_json()["review"]["published_at"]

    reopened = coordinator.post(f"{base}/reopen", {"reason": "The country sent a new law."})
    assert reopened.status_code == 200
    assert conforms(client, reopened.get_json(), "ReviewedAssessment")["status"] == "in_review"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event.action == "assessment.reopened"
        assert event.summary["reason"] == "The country sent a new law."
        assert event.actor_id == world.coordinator.id


def test_get_assessment_shows_reviewers_e_mails_only_to_those_who_run_the_review(
    app, client, api, world, assessments
):
    set_state(app, assessments.own, second_reviewer_id=world.outsider.id)
    lead = {"name": "Rafael", "email": world.reviewer.email}
    second = {"name": "Oscar", "email": world.outsider.email}
    for name in ("reviewer", "outsider", "coordinator", "admin"):
        body = api(name).get(f"/assessments/{assessments.own}").get_json()
        review = conforms(client, body, "Assessment")["review"]
        assert (review["lead_reviewer"], review["second_reviewer"]) == (lead, second), name
    review = api("own").get(f"/assessments/{assessments.own}").get_json()["review"]
    assert review["lead_reviewer"] == {"name": "Rafael"}
    assert review["second_reviewer"] == {"name": "Oscar"}
    assert review == {
        "status": "draft", "second_review": False, "lead_reviewer": {"name": "Rafael"},
        "second_reviewer": {"name": "Oscar"}, "started_at": None, "finalised_at": None,
        "published_at": None, "clarifications": [],
    }  # fmt: skip


def test_returning_for_clarification_names_the_item_at_fault(app, api, assessments):
    url = f"/assessments/{assessments.own}/clarification"
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    reviewer = api("reviewer")
    cases = [
        ({}, "items"),
        ({"items": "Why?"}, "items"),
        ({"items": []}, "items"),
        ({"items": [{"text": "Fine"}, {"text": "  "}]}, "items.1"),
        ({"items": ["Why?"]}, "items.0"),
        ({"items": [{"question_id": "jur.territory"}]}, "items.0"),
        ({"items": [{"text": "Fine"}, {"text": "Why?", "question_id": "no.such"}]}, "items.1"),
        ({"items": [{"text": "Why?", "question_id": 3}]}, "items.0"),
        ({"items": [{"text": "x" * 5001}]}, "items.0"),
        ({"items": [{"text": f"Question {n}?"} for n in range(51)]}, "items"),
    ]
    for body, field in cases:
        assert problem(reviewer.post(url, body), 422)["field"] == field, body
    assert problem(reviewer.post(url, ["Why?"]), 422)["field"] == "body"
    assert status_of(app, assessments.own) is AssessmentStatus.IN_REVIEW
    assert (
        api("own").get(f"/assessments/{assessments.own}").get_json()["review"]["clarifications"]
        == []
    )


def test_replies_and_reasons_name_their_field(app, api, assessments):
    base = f"/assessments/{assessments.own}"
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    asked = api("reviewer").post(f"{base}/clarification", {"items": [{"text": "Why?"}]})
    item = asked.get_json()["items"][0]["id"]
    official = api("own")
    for body in ({}, {"reply": "   "}, {"reply": 12}, {"reply": "x" * 5001}):
        refused = problem(official.post(f"{base}/clarifications/{item}/reply", body), 422)
        assert refused["field"] == "reply", body
    unknown = official.post(f"{base}/clarifications/{item + 1}/reply", {"reply": "Yes."})
    assert problem(unknown, 404)["message"] == "No such question."
    set_state(app, assessments.own, AssessmentStatus.FINALISED)
    coordinator = api("coordinator")
    for body in ({}, {"reason": ""}, {"reason": "  "}, {"reason": ["why"]}, {"reason": "x" * 5001}):
        refused = problem(coordinator.post(f"{base}/reopen", body), 422)
        assert refused["field"] == "reason", body
    assert status_of(app, assessments.own) is AssessmentStatus.FINALISED


#: (persona, method, path under /api/v1/assessments/<id>, body) for every assessment route.
ASSESSMENT_ROUTES = [
    ("get", "", None),
    ("post", "/reviewers", {"lead": "oscar@catf.example.org"}),
    ("post", "/review/start", None),
    ("post", "/clarification", {"items": [{"text": "Why?"}]}),
    ("post", "/clarifications/{item}/reply", {"reply": "Because."}),
    ("post", "/resubmit", None),
    ("post", "/review/finalize", None),
    ("post", "/publish", None),
    ("post", "/reopen", {"reason": "New facts."}),
]


@pytest.mark.parametrize(
    "status", [AssessmentStatus.SUBMITTED, AssessmentStatus.CLARIFICATION], ids=str
)
def test_a_reviewer_not_assigned_finds_nothing_to_act_on(app, api, world, assessments, status):
    """Whatever the step and whether the status would allow it: 404, and nothing changes."""
    base = f"/assessments/{assessments.own}"
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    asked = api("reviewer").post(f"{base}/clarification", {"items": [{"text": "Why?"}]})
    item = asked.get_json()["items"][0]["id"]
    set_state(app, assessments.own, status)
    outsider = api("outsider")
    for method, path, body in ASSESSMENT_ROUTES:
        url = base + path.format(item=item)
        response = outsider.get(url) if method == "get" else outsider.post(url, body)
        assert problem(response, 404)["message"] == "No such assessment.", path
    assert status_of(app, assessments.own) is status
    assert outsider.get("/review-queue").get_json() == {"assessments": []}
    assert [a["id"] for a in outsider.get("/assessments").get_json()["assessments"]] == []


@pytest.mark.parametrize(
    ("status", "persona", "path", "body"),
    [
        (AssessmentStatus.DRAFT, "reviewer", "/review/start", None),
        (AssessmentStatus.IN_REVIEW, "reviewer", "/review/start", None),
        (AssessmentStatus.SUBMITTED, "reviewer", "/clarification", {"items": [{"text": "Why?"}]}),
        (AssessmentStatus.SUBMITTED, "reviewer", "/review/finalize", None),
        (AssessmentStatus.CLARIFICATION, "reviewer", "/review/finalize", None),
        (AssessmentStatus.IN_REVIEW, "own", "/resubmit", None),
        (AssessmentStatus.IN_REVIEW, "coordinator", "/publish", None),
        (AssessmentStatus.PUBLISHED, "coordinator", "/publish", None),
        (AssessmentStatus.IN_REVIEW, "coordinator", "/reopen", {"reason": "New facts."}),
    ],
    ids=lambda value: getattr(value, "value", None),
)
def test_a_step_the_status_does_not_allow_is_refused_with_the_reason(
    app, api, assessments, status, persona, path, body
):
    set_state(app, assessments.own, status)
    refused = problem(api(persona).post(f"/assessments/{assessments.own}{path}", body), 409)
    label = {"draft": "Draft", "in_review": "In review", "submitted": "Submitted",
             "clarification": "Clarification requested", "published": "Published"}  # fmt: skip
    assert refused["message"] == (
        f"This is not possible while the status is “{label[status.value]}”."
    )
    assert refused["status_from"] == status.value
    assert status_of(app, assessments.own) is status


def test_replying_while_the_assessment_is_with_the_reviewer_is_refused(app, api, assessments):
    base = f"/assessments/{assessments.own}"
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    asked = api("reviewer").post(f"{base}/clarification", {"items": [{"text": "Why?"}]})
    item = asked.get_json()["items"][0]["id"]
    assert (
        api("own").post(f"{base}/clarifications/{item}/reply", {"reply": "So."}).status_code == 200
    )
    assert api("own").post(f"{base}/resubmit").status_code == 200
    refused = api("own").post(f"{base}/clarifications/{item}/reply", {"reply": "Because."})
    assert "can no longer be changed" in problem(refused, 409)["message"]


@pytest.mark.parametrize(
    ("status", "persona", "path", "body", "message"),
    [
        (AssessmentStatus.SUBMITTED, "own", "/review/start", None, "lead reviewer starts"),
        (AssessmentStatus.SUBMITTED, "coordinator", "/review/start", None, "lead reviewer"),
        (AssessmentStatus.IN_REVIEW, "admin", "/clarification", {"items": [{"text": "Why?"}]},
         "lead reviewer asks"),
        (AssessmentStatus.CLARIFICATION, "reviewer", "/resubmit", None, "officials resubmit"),
        (AssessmentStatus.CLARIFICATION, "coordinator", "/resubmit", None, "officials"),
        (AssessmentStatus.IN_REVIEW, "coordinator", "/review/finalize", None, "lead reviewer"),
        (AssessmentStatus.FINALISED, "reviewer", "/publish", None, "coordinators publish"),
        (AssessmentStatus.FINALISED, "own", "/publish", None, "coordinators publish"),
        (AssessmentStatus.PUBLISHED, "reviewer", "/reopen", {"reason": "Why not."},
         "coordinators re-open"),
        # The role is decided before the status: a step never yours says 403 in any state.
        (AssessmentStatus.DRAFT, "own", "/review/finalize", None, "lead reviewer finalises"),
        (AssessmentStatus.DRAFT, "reviewer", "/reopen", {}, "coordinators re-open"),
    ],
    ids=lambda value: getattr(value, "value", None),
)  # fmt: skip
def test_a_step_not_for_your_role_is_forbidden(
    app, api, assessments, status, persona, path, body, message
):
    set_state(app, assessments.own, status)
    refused = problem(api(persona).post(f"/assessments/{assessments.own}{path}", body), 403)
    assert message in refused["message"]
    assert status_of(app, assessments.own) is status


def test_a_second_reviewer_sees_the_assessment_but_leads_no_step(app, api, world, assessments):
    base = f"/assessments/{assessments.own}"
    set_state(
        app, assessments.own, AssessmentStatus.SUBMITTED, second_reviewer_id=world.outsider.id
    )
    second = api("outsider")
    assert second.get(base).status_code == 200
    assert "lead reviewer" in problem(second.post(f"{base}/review/start"), 403)["message"]
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    asked = second.post(f"{base}/clarification", {"items": [{"text": "Why?"}]})
    assert problem(asked, 403)
    assert problem(second.post(f"{base}/review/finalize"), 403)
    reply = api("reviewer").post(f"{base}/clarification", {"items": [{"text": "Why?"}]})
    item = reply.get_json()["items"][0]["id"]
    refused = second.post(f"{base}/clarifications/{item}/reply", {"reply": "I think so."})
    assert problem(refused, 403)["message"] == "Only the country's officials reply."


# --- Ratings: getReview, rateProvision, setMaturityStage -------------------------------------


def derived(app, assessment_id: int) -> tuple[dict[str, str], dict[str, int]]:
    """Return the derived rating of each provision and the derived stage of each area."""
    from app.scoring.assessments import scorecard

    with app.app_context():
        card = scorecard(db.session.get(Assessment, assessment_id))
        return (
            {ref: result.rating for ref, result in card.provisions.items()},
            {area: result.stage for area, result in card.areas.items()},
        )


def with_second_review(app, world, assessment_id: int) -> None:
    """Make the assessment's cycle ask for a second reviewer, and assign ``world.outsider``."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assessment.cycle.second_review = True
        assessment.second_reviewer_id = world.outsider.id
        db.session.commit()


def stored_ratings(app, assessment_id: int) -> list[tuple[str, str, str]]:
    from app.models import ProvisionRating, StageRating

    with app.app_context():
        rows = db.session.scalars(
            select(ProvisionRating).where(ProvisionRating.assessment_id == assessment_id)
        ).all()
        stages = db.session.scalars(
            select(StageRating).where(StageRating.assessment_id == assessment_id)
        ).all()
        return [(r.provision, r.layer, r.rating) for r in rows] + [
            (s.area, s.layer, str(s.stage)) for s in stages
        ]


def provision(body: dict, ref: str) -> dict:
    return next(item for item in body["provisions"] if item["ref"] == ref)


def test_a_lead_reviewer_rates_provisions_by_their_ref_and_reads_them_back(
    app, client, api, world, assessments
):
    from app.scoring.engine import RULES_VERSION

    fill_required(app, assessments.own, world.own.id)
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    ratings, _stages = derived(app, assessments.own)
    base = f"/assessments/{assessments.own}"
    lead = api("reviewer")

    before = conforms(client, lead.get(f"{base}/review").get_json(), "ReviewRatings")
    assert (before["assessment"], before["status"], before["your_layer"]) == (
        assessments.own,
        "in_review",
        "lead",
    )
    assert before["rules_version"] == RULES_VERSION and before["questionnaire_version"]
    assert [item["ref"] for item in before["provisions"]] == list(ratings)
    article = provision(before, "budapest:2")
    assert (article["framework"], article["article"], article["obligation"]) == (
        "budapest",
        "2",
        "mandatory",
    )
    assert article["derived_rating"] == ratings["budapest:2"] and article["explanation"]
    assert article["review_status"] == "not_reviewed" and article["in_progress"] is False
    assert article["your_rating"] is None and article["final_rating"] is None
    assert "lead_rating" not in article and "agreement" not in before
    assert {stage["area"] for stage in before["stages"]} >= {"contact_point"}

    # The colon of the ref, plain or URL-encoded.
    other = next(r for r in ("NC", "PC", "LC", "C") if r != ratings["budapest:16"])
    overridden = lead.put(f"{base}/ratings/budapest:16",
                          {"rating": other.lower(), "justification": "  Art. 5 is narrower. "})  # fmt: skip
    assert overridden.status_code == 200, overridden.get_json()
    assert conforms(client, overridden.get_json(), "StoredRating") | {"rated_at": None} == {
        "ref": "budapest:16", "layer": "lead", "final": True, "rating": other,
        "derived_rating": ratings["budapest:16"], "justification": "Art. 5 is narrower.",
        "rated_at": None,
    }  # fmt: skip
    accepted = lead.put(f"{base}/ratings/budapest%3A16", {"rating": ratings["budapest:16"]})
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["ref"] == "budapest:16"
    assert accepted.get_json()["justification"] is None

    after = conforms(client, lead.get(f"{base}/review").get_json(), "ReviewRatings")
    article = provision(after, "budapest:16")
    given = {"rating": ratings["budapest:16"], "justification": None, "stale": False,
             "rated_at": accepted.get_json()["rated_at"]}  # fmt: skip
    # No second reviewer: the lead's rating is the final one.
    assert article["your_rating"] == article["final_rating"] == given
    assert article["review_status"] == "accepted"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event.action == "assessment.provision_rated"
        assert event.summary["provision"] == "budapest:16"


def test_the_lead_reviewer_confirms_and_overrides_maturity_stages(
    app, client, api, world, assessments
):
    fill_required(app, assessments.own, world.own.id)
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    _ratings, stages = derived(app, assessments.own)
    url = f"/assessments/{assessments.own}/stages/contact_point"
    lead = api("reviewer")
    confirmed = lead.put(url, {"stage": stages["contact_point"], "justification": None})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert conforms(client, confirmed.get_json(), "StoredStage") | {"rated_at": None} == {
        "area": "contact_point", "stage": stages["contact_point"],
        "derived_stage": stages["contact_point"], "justification": None, "rated_at": None,
    }  # fmt: skip
    higher = (stages["contact_point"] + 1) % 6
    overridden = lead.put(url, {"stage": higher, "justification": "A 24/7 rota since May."})
    assert overridden.status_code == 200 and overridden.get_json()["stage"] == higher
    review = conforms(
        client, lead.get(f"/assessments/{assessments.own}/review").get_json(), "ReviewRatings"
    )
    area = next(item for item in review["stages"] if item["area"] == "contact_point")
    assert (area["derived_stage"], area["stage"], area["justification"], area["stale"]) == (
        stages["contact_point"],
        higher,
        "A 24/7 rota since May.",
        False,
    )


def test_rating_refuses_bad_values_naming_the_field(app, client, api, world, assessments):
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    ratings, _stages = derived(app, assessments.own)
    base = f"/assessments/{assessments.own}/ratings"
    lead = api("reviewer")
    other = next(r for r in ("NC", "PC", "LC", "C") if r != ratings["budapest:2"])
    cases = [
        ("budapest:999", {"rating": "C", "justification": "Why not."}, "provision"),
        ("nothing", {"rating": "C", "justification": "Why not."}, "provision"),
        ("budapest:2", {}, "rating"),
        ("budapest:2", {"rating": None}, "rating"),
        ("budapest:2", {"rating": "X", "justification": "Why not."}, "rating"),
        ("budapest:2", {"rating": "NR", "justification": "Why not."}, "rating"),
        ("budapest:2", {"rating": 3}, "rating"),
        ("budapest:2", {"rating": ["C"]}, "rating"),
        ("budapest:2", {"rating": other}, "justification"),
        ("budapest:2", {"rating": other, "justification": "   "}, "justification"),
        ("budapest:2", {"rating": "NA", "justification": None}, "justification"),
        ("budapest:2", {"rating": other, "justification": 12}, "justification"),
        ("budapest:2", {"rating": other, "justification": ["Why"]}, "justification"),
        ("budapest:2", {"rating": other, "justification": "x" * 5001}, "justification"),
        ("budapest:2", {"rating": other, "justification": "Why.", "final": "yes"}, "final"),
        # No second reviewer in this cycle: the lead's ratings are the final ones already.
        ("budapest:2", {"rating": other, "justification": "Why.", "final": True}, "final"),
    ]
    for ref, body, field in cases:
        assert problem(lead.put(f"{base}/{ref}", body), 422)["field"] == field, (ref, body)
    for body in (["C"], "C", None):
        assert problem(lead.put(f"{base}/budapest:2", body), 422)["field"] == "body"
    not_json = client.put(f"/api/v1{base}/budapest:2", headers=lead.headers, data="{rating: C")
    assert problem(not_json, 422)["field"] == "body"
    assert stored_ratings(app, assessments.own) == []


def test_setting_a_stage_refuses_bad_values_naming_the_field(app, api, world, assessments):
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    _ratings, stages = derived(app, assessments.own)
    base = f"/assessments/{assessments.own}/stages"
    lead = api("reviewer")
    other = (stages["contact_point"] + 1) % 6
    cases = [
        ("no_such_area", {"stage": 0, "justification": "Why."}, "area"),
        ("contact_point", {}, "stage"),
        ("contact_point", {"stage": None}, "stage"),
        ("contact_point", {"stage": 6, "justification": "Why."}, "stage"),
        ("contact_point", {"stage": -1, "justification": "Why."}, "stage"),
        ("contact_point", {"stage": "3", "justification": "Why."}, "stage"),
        ("contact_point", {"stage": 2.5, "justification": "Why."}, "stage"),
        ("contact_point", {"stage": True, "justification": "Why."}, "stage"),
        ("contact_point", {"stage": other}, "justification"),
        ("contact_point", {"stage": other, "justification": {"a": 1}}, "justification"),
        ("contact_point", {"stage": other, "justification": "x" * 5001}, "justification"),
    ]
    for area, body, field in cases:
        assert problem(lead.put(f"{base}/{area}", body), 422)["field"] == field, (area, body)
    assert problem(lead.put(f"{base}/contact_point", [0]), 422)["field"] == "body"
    assert stored_ratings(app, assessments.own) == []


@pytest.mark.parametrize(
    "status",
    [AssessmentStatus.SUBMITTED, AssessmentStatus.CLARIFICATION, AssessmentStatus.FINALISED],
    ids=str,
)
def test_ratings_outside_the_review_are_refused_with_the_reason(app, api, assessments, status):
    set_state(app, assessments.own, status)
    base = f"/assessments/{assessments.own}"
    lead = api("reviewer")
    body = {"rating": "NC", "justification": "Nothing in force."}
    for response in (
        lead.put(f"{base}/ratings/budapest:2", body),
        lead.put(f"{base}/stages/contact_point", {"stage": 1, "justification": "Why."}),
    ):
        assert problem(response, 409)["message"] == (
            "Ratings are given while the assessment is in review."
        )
    assert stored_ratings(app, assessments.own) == []


def test_only_the_assessments_reviewers_rate_and_only_the_lead_sets_stages(
    app, api, world, assessments
):
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    base = f"/assessments/{assessments.own}"
    body = {"rating": "NC", "justification": "Nothing in force."}
    stage = {"stage": 1, "justification": "Why."}
    for name in ("own", "coordinator", "admin"):  # 403 before the body is read
        refused = problem(api(name).put(f"{base}/ratings/budapest:2", ["not", "read"]), 403)
        assert refused["message"] == "Only the assessment's reviewers rate its provisions."
        refused = problem(api(name).put(f"{base}/stages/contact_point", stage), 403)
        assert "lead reviewer confirms" in refused["message"]
    for name in ("other", "outsider"):  # not theirs to see (the outsider: not assigned)
        for path, sent in (("/ratings/budapest:2", body), ("/stages/contact_point", stage)):
            assert problem(api(name).put(base + path, sent), 404)["message"] == (
                "No such assessment."
            )
        assert problem(api(name).get(f"{base}/review"), 404)["message"] == "No such assessment."
    with_second_review(app, world, assessments.own)
    second = api("outsider")  # now the second reviewer: rates, but sets no stage
    assert problem(second.put(f"{base}/stages/contact_point", stage), 403)
    assert (
        problem(second.put(f"{base}/ratings/budapest:2", body | {"final": True}), 403)["message"]
        == "Only the lead reviewer or a coordinator settles the final ratings."
    )
    assert problem(api("coordinator").put(f"{base}/ratings/budapest:2", body), 403)
    assert stored_ratings(app, assessments.own) == []
    assert second.put(f"{base}/ratings/budapest:2", body).get_json()["layer"] == "second"


def test_two_reviewers_see_their_own_layer_a_coordinator_both_and_the_agreement(
    app, client, api, world, assessments
):
    with_second_review(app, world, assessments.own)
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    base = f"/assessments/{assessments.own}"
    lead, second, coordinator = api("reviewer"), api("outsider"), api("coordinator")
    assert (
        lead.put(
            f"{base}/ratings/budapest:2", {"rating": "PC", "justification": "Only part of it."}
        ).status_code
        == 200
    )
    assert (
        second.put(
            f"{base}/ratings/budapest:2", {"rating": "NC", "justification": "Nothing in force."}
        ).status_code
        == 200
    )
    assert second.put(f"{base}/ratings/budapest:3",
                      {"rating": "NC", "justification": "No law."}).status_code == 200  # fmt: skip

    def review_of(who) -> dict:
        response = who.get(f"{base}/review")
        assert response.status_code == 200, response.get_json()
        return conforms(client, response.get_json(), "ReviewRatings")

    mine = review_of(lead)
    assert mine["your_layer"] == "lead" and "agreement" not in mine
    article = provision(mine, "budapest:2")
    assert article["your_rating"]["rating"] == "PC" and article["final_rating"] is None
    assert "lead_rating" not in article and "second_rating" not in article
    assert provision(mine, "budapest:3")["your_rating"] is None
    theirs = review_of(second)
    assert theirs["your_layer"] == "second" and "agreement" not in theirs
    article = provision(theirs, "budapest:2")
    assert article["your_rating"]["rating"] == "NC"
    assert article["your_rating"]["justification"] == "Nothing in force."
    assert "lead_rating" not in article and article["final_rating"] is None

    both = review_of(coordinator)
    assert both["your_layer"] is None
    article = provision(both, "budapest:2")
    assert article["your_rating"] is None
    assert (article["lead_rating"]["rating"], article["second_rating"]["rating"]) == ("PC", "NC")
    assert article["review_status"] == "not_reviewed"  # no final rating yet
    assert both["agreement"] == {
        "compared": 1, "identical": 0, "share": 0.0, "kappa": both["agreement"]["kappa"],
        "na_apart": [],
        "disagreements": [
            {"ref": "budapest:2", "lead": "PC", "second": "NC", "kind": "different",
             "settled": False},
            {"ref": "budapest:3", "lead": None, "second": "NC", "kind": "implicit",
             "settled": False},
        ],
    }  # fmt: skip

    # The lead settles the final rating: the second reviewer's, with their justification.
    settled = lead.put(f"{base}/ratings/budapest:2", {"rating": "nc", "final": True})
    assert settled.status_code == 200, settled.get_json()
    assert conforms(client, settled.get_json(), "StoredRating")["layer"] == "final"
    assert (settled.get_json()["final"], settled.get_json()["justification"]) == (
        True,
        "Nothing in force.",
    )
    by_coordinator = coordinator.put(f"{base}/ratings/budapest:3",
                                     {"rating": "NC", "final": True})  # fmt: skip
    assert by_coordinator.status_code == 200 and by_coordinator.get_json()["layer"] == "final"
    both = review_of(coordinator)
    assert [d["settled"] for d in both["agreement"]["disagreements"]] == [True, True]
    assert provision(both, "budapest:2")["final_rating"]["rating"] == "NC"
    assert provision(both, "budapest:2")["review_status"] == "accepted"
    assert provision(review_of(lead), "budapest:2")["final_rating"]["rating"] == "NC"
    # The final layer settles both reviewers' ratings: the second reviewer sees it only with the
    # lead's, once the review is finished.
    assert provision(review_of(second), "budapest:2")["final_rating"] is None

    set_state(app, assessments.own, AssessmentStatus.FINALISED, rules_version="2025.9")
    finished = review_of(second)
    assert finished["rules_version"] == "2025.9" and "agreement" in finished
    article = provision(finished, "budapest:2")
    assert (article["lead_rating"]["rating"], article["final_rating"]["rating"]) == ("PC", "NC")


def test_the_country_reads_derived_and_final_ratings_once_published(
    app, client, api, world, assessments
):
    with_second_review(app, world, assessments.own)
    set_state(app, assessments.own, AssessmentStatus.IN_REVIEW)
    base = f"/assessments/{assessments.own}"
    body = {"rating": "NC", "justification": "Nothing in force."}
    api("reviewer").put(f"{base}/ratings/budapest:2", body)
    api("outsider").put(f"{base}/ratings/budapest:2", body)
    api("reviewer").put(f"{base}/ratings/budapest:2", body | {"final": True})
    official = api("own")
    for status in (AssessmentStatus.IN_REVIEW, AssessmentStatus.FINALISED):
        set_state(app, assessments.own, status)
        refused = problem(official.get(f"{base}/review"), 403)
        assert refused["message"] == "The country sees the ratings once they are published."
        assert problem(api("other").get(f"{base}/review"), 404)
    set_state(app, assessments.own, AssessmentStatus.PUBLISHED, rules_version="2026.1")
    response = official.get(f"{base}/review")
    assert response.status_code == 200
    published = conforms(client, response.get_json(), "ReviewRatings")
    assert published["your_layer"] is None and "agreement" not in published
    article = provision(published, "budapest:2")
    assert article["final_rating"] == {
        "rating": "NC", "justification": "Nothing in force.", "stale": False,
        "rated_at": article["final_rating"]["rated_at"],
    }  # fmt: skip
    assert article["your_rating"] is None
    assert "lead_rating" not in article and "second_rating" not in article
    # Nothing answered: the derived rating says which elements lack an answer, by their text.
    assert article["derived_rating"] == "NR"
    assert article["explanation"].startswith("Not yet rated: these elements have no answer: ")
    assert "budapest:2." not in article["explanation"]
    assert problem(api("other").get(f"{base}/review"), 404)
    assert problem(official.put(f"{base}/ratings/budapest:2", body), 403)
