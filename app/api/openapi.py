"""The OpenAPI 3.1 document of the JSON API (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from app.capacity import activities, directory
from app.frameworks.types import QUESTION_TYPES
from app.models import ActivityStatus, AssessmentStatus, NeedStatus
from app.scoring.engine import RATINGS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


ASSESSMENT_ID = {
    "name": "assessment_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
LANG_TEXT = {"type": "object", "additionalProperties": {"type": "string"}}
STATUSES = [status.value for status in AssessmentStatus]
DATE_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
#: The ratings a reviewer gives (NR, not yet rated, is only ever derived).
GIVEN = [rating for rating in RATINGS if rating != "NR"]
LAYERS = ["lead", "second"]


def _body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _step(operation_id: str, summary: str, who: str, when: str, **more: Any) -> dict[str, Any]:
    """A review step: one POST that takes a transition and answers with the new status."""
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": f"{who} {when} Answers with the assessment and its review block.",
            "parameters": [ASSESSMENT_ID],
            **more,
            "responses": {
                "200": _json(_ref("ReviewedAssessment"), "Done; status is the new status."),
                "401": _error("No valid token."),
                "403": _error(f"Not for your role: {who.lower()}"),
                "404": _error("No such assessment, or not yours to see (or to review)."),
                "409": _json(
                    _ref("Refusal"), "The status does not allow it; the message says why."
                ),
                **(
                    {"422": _error("error.field names the field.")} if "requestBody" in more else {}
                ),
            },
        }
    }


def document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cybercrime Action Task Force assessment API",
            "version": "1.0.0",
            "description": (
                "Country officials' self-assessments: read the questionnaire with its answers, "
                "save answers (with versions that prevent lost updates), attach evidence and "
                "submit; reviewers review them (assignment, clarification rounds with the "
                "country, ratings of provisions and maturity stages, finalisation, "
                "publication). Same permissions as the web pages. "
                "Authenticate with a bearer token obtained from createToken. An assessment you "
                "may not see (a reviewer: not assigned to you) answers 404, a step your role "
                "may not take 403, both before any look at the body (422: error.field names "
                "the field) or at the assessment's status (409: error.message says why)."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/tokens": {
                "post": {
                    "operationId": "createToken",
                    "summary": "Exchange e-mail and password for a bearer token",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("TokenRequest")}},
                    },
                    "responses": {
                        "201": _json(_ref("Token"), "The token; its secret is shown only once."),
                        "401": _error("Wrong e-mail or password."),
                        "422": _error("A field is missing or invalid; error.field names it."),
                        "429": _error("Too many failed attempts; see the Retry-After header."),
                    },
                }
            },
            "/tokens/{token_id}": {
                "delete": {
                    "operationId": "revokeToken",
                    "summary": "Revoke one of your tokens",
                    "parameters": [
                        {
                            "name": "token_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "204": {"description": "Revoked."},
                        "401": _error("No valid token."),
                        "404": _error("No such token of yours."),
                    },
                }
            },
            "/assessments": {
                "get": {
                    "operationId": "listAssessments",
                    "summary": "The assessments you may see",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "assessments": {
                                        "type": "array",
                                        "items": _ref("AssessmentSummary"),
                                    }
                                },
                                "required": ["assessments"],
                            },
                            "Assessments, newest cycle first.",
                        ),
                        "401": _error("No valid token."),
                    },
                }
            },
            "/assessments/{assessment_id}": {
                "get": {
                    "operationId": "getAssessment",
                    "summary": "Structure, visibility, answers with their versions, and status",
                    "parameters": [ASSESSMENT_ID],
                    "responses": {
                        "200": _json(_ref("Assessment"), "The assessment."),
                        "401": _error("No valid token."),
                        "404": _error("No such assessment, or not yours to see."),
                    },
                }
            },
            "/assessments/{assessment_id}/answers/{question_id}": {
                "put": {
                    "operationId": "saveAnswer",
                    "summary": "Save one answer",
                    "description": (
                        "Send the answer's version you started from (0 when there was none). "
                        "A stale version is refused with 409 and the current answer, so that "
                        "no colleague's change is silently overwritten. The value must satisfy "
                        "the question's value_schema."
                    ),
                    "parameters": [
                        ASSESSMENT_ID,
                        {
                            "name": "question_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("AnswerInput")}},
                    },
                    "responses": {
                        "200": _json(_ref("SavedAnswer"), "Saved; version is the new version."),
                        "401": _error("No valid token."),
                        "403": _error("Only the country's officials change its answers."),
                        "404": _error("No such assessment or question."),
                        "409": _json(
                            _ref("Conflict"),
                            "Stale version (error.current holds the current answer), or the "
                            "assessment was submitted or its cycle closed.",
                        ),
                        "422": _error("Invalid value; error.field is its path (value.answer…)."),
                    },
                }
            },
            "/assessments/{assessment_id}/submit": {
                "post": {
                    "operationId": "submitAssessment",
                    "summary": "Submit and lock the assessment",
                    "parameters": [ASSESSMENT_ID],
                    "responses": {
                        "200": _json(_ref("AssessmentSummary"), "Submitted."),
                        "401": _error("No valid token."),
                        "403": _error("Only the country's officials submit."),
                        "404": _error("No such assessment."),
                        "409": _error("Already submitted, or the cycle is closed."),
                        "422": _json(
                            _ref("MissingAnswers"), "Required questions without an answer."
                        ),
                    },
                }
            },
            "/assessments/{assessment_id}/evidence": {
                "get": {
                    "operationId": "listEvidence",
                    "summary": "The assessment's evidence files",
                    "parameters": [ASSESSMENT_ID],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "evidence": {"type": "array", "items": _ref("Evidence")}
                                },
                                "required": ["evidence"],
                            },
                            "Files, oldest first.",
                        ),
                        "401": _error("No valid token."),
                        "404": _error("No such assessment."),
                    },
                },
                "post": {
                    "operationId": "uploadEvidence",
                    "summary": "Upload an evidence file",
                    "description": (
                        "PDF, DOCX, XLSX, ODT, PNG or JPEG, recognised from the content. With "
                        "question_id of an evidence question the file is also added to that "
                        "answer (version: the answer's version you started from)."
                    ),
                    "parameters": [ASSESSMENT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "file": {
                                            "type": "string",
                                            "contentMediaType": "application/octet-stream",
                                        },
                                        "question_id": {"type": "string"},
                                        "version": {"type": "integer"},
                                    },
                                    "required": ["file"],
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(_ref("Evidence"), "Stored."),
                        "401": _error("No valid token."),
                        "403": _error("Only the country's officials attach evidence."),
                        "404": _error("No such assessment or question."),
                        "409": _error("Submitted, closed, or the answer changed meanwhile."),
                        "413": _error("The request is larger than the server accepts."),
                        "422": _error("Empty, too large or not an accepted type; field is file."),
                    },
                },
            },
            "/assessments/{assessment_id}/evidence/{evidence_id}": {
                "get": {
                    "operationId": "downloadEvidence",
                    "summary": "Download an evidence file",
                    "parameters": [
                        ASSESSMENT_ID,
                        {
                            "name": "evidence_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The file, as an attachment.",
                            "content": {"application/octet-stream": {}},
                        },
                        "401": _error("No valid token."),
                        "404": _error("No such file."),
                    },
                }
            },
            "/review-queue": {
                "get": {
                    "operationId": "listReviewQueue",
                    "summary": "The assessments you review whose review is not finished",
                    "description": (
                        "Assigned to you as lead or second reviewer and neither finalised nor "
                        "published, oldest submission first (drafts last). Empty for anyone "
                        "but reviewers."
                    ),
                    "responses": {
                        "200": _json(_ref("ReviewQueue"), "Your queue."),
                        "401": _error("No valid token."),
                    },
                }
            },
            "/assessments/{assessment_id}/reviewers": {
                "post": {
                    "operationId": "assignReviewers",
                    "summary": "Assign the lead (and second) reviewer",
                    "description": (
                        "Coordinators and admins, until the review is finalised. Reviewers are "
                        "named by e-mail address; a second reviewer only where the cycle asks "
                        "for one (review.second_review), and another person than the lead. "
                        "Assigning again replaces both."
                    ),
                    "parameters": [ASSESSMENT_ID],
                    "requestBody": _body("ReviewerAssignment"),
                    "responses": {
                        "200": _json(_ref("Review"), "Assigned: the assessment's review block."),
                        "401": _error("No valid token."),
                        "403": _error("Only coordinators assign reviewers."),
                        "404": _error("No such assessment."),
                        "422": _error(
                            "error.field is lead or second: no active reviewer with this "
                            "address, the same person twice, a second reviewer the cycle does "
                            "not ask for; or lead, when the review is already finalised."
                        ),
                    },
                }
            },
            "/assessments/{assessment_id}/review/start": _step(
                "startReview",
                "Start the review",
                "The lead reviewer.",
                "From submitted or resubmitted to in_review.",
            ),
            "/assessments/{assessment_id}/clarification": {
                "post": {
                    "operationId": "returnForClarification",
                    "summary": "Return the assessment to the country with questions",
                    "description": (
                        "The lead reviewer, while in_review: the questions start a new round "
                        "and the status becomes clarification, in which the country's "
                        "officials change their answers, reply (replyToClarification) and "
                        "resubmit (resubmitAssessment)."
                    ),
                    "parameters": [ASSESSMENT_ID],
                    "requestBody": _body("ClarificationRequest"),
                    "responses": {
                        "200": _json(_ref("ClarificationRound"), "Returned to the country."),
                        "401": _error("No valid token."),
                        "403": _error("Only the lead reviewer asks for clarification."),
                        "404": _error("No such assessment, or not yours to review."),
                        "409": _json(_ref("Refusal"), "Not in review; the message says why."),
                        "422": _error(
                            "error.field is items (none, or more than 50) or items.N (no text, "
                            "a text over 5,000 characters, an unknown question_id)."
                        ),
                    },
                }
            },
            "/assessments/{assessment_id}/clarifications/{clarification_id}/reply": {
                "post": {
                    "operationId": "replyToClarification",
                    "summary": "Reply to a reviewer's question",
                    "description": (
                        "The country's officials, while the assessment is in clarification. "
                        "Replying again replaces the reply."
                    ),
                    "parameters": [
                        ASSESSMENT_ID,
                        {
                            "name": "clarification_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                    "requestBody": _body("ClarificationReply"),
                    "responses": {
                        "200": _json(_ref("Clarification"), "The question with your reply."),
                        "401": _error("No valid token."),
                        "403": _error("Only the country's officials reply."),
                        "404": _error("No such assessment or question."),
                        "409": _error("The assessment is not with the country."),
                        "422": _error("Empty or too long; error.field is reply."),
                    },
                }
            },
            "/assessments/{assessment_id}/resubmit": _step(
                "resubmitAssessment",
                "Resubmit to the reviewer",
                "The country's officials.",
                "From clarification to resubmitted, once every question of the latest round has a "
                "reply: the lead reviewer then resumes the review.",
            ),
            "/assessments/{assessment_id}/review/finalize": _step(
                "finalizeReview",
                "Finalise the review",
                "The lead reviewer.",
                "From in_review to finalised: the ratings are final unless a coordinator "
                "re-opens the review.",
            ),
            "/assessments/{assessment_id}/publish": _step(
                "publishAssessment",
                "Publish the results",
                "Coordinators and admins.",
                "From finalised to published: the country's officials see the final ratings.",
            ),
            "/assessments/{assessment_id}/reopen": _step(
                "reopenAssessment",
                "Re-open a finalised or published review",
                "Coordinators and admins.",
                "From finalised or published back to in_review, with the reason (audited).",
                requestBody=_body("ReopenRequest"),
            ),
            "/assessments/{assessment_id}/review": {
                "get": {
                    "operationId": "getReview",
                    "summary": "The ratings: derived, given in each layer, final; the stages",
                    "description": (
                        "Every provision of the assessment's frameworks with its derived rating "
                        "and why, and the ratings you may see. The assessment's reviewers see "
                        "their own layer (your_rating); two reviewers rate independently, so "
                        "each sees the other's layer (lead_rating, second_rating) and the "
                        "agreement only once the review is finalised, or the lead once they "
                        "have rated every provision. The final layer (final_rating): the lead "
                        "reviewer, coordinators and admins at any time, the second reviewer "
                        "when they see both layers, the country's officials once the results "
                        "are published (derived and final ratings only). Coordinators and "
                        "admins see everything."
                    ),
                    "parameters": [ASSESSMENT_ID],
                    "responses": {
                        "200": _json(_ref("ReviewRatings"), "The ratings you may see."),
                        "401": _error("No valid token."),
                        "403": _error("The country's officials, before the results are published."),
                        "404": _error("No such assessment, or not yours to see (or to review)."),
                    },
                }
            },
            "/assessments/{assessment_id}/ratings/{ref}": {
                "put": {
                    "operationId": "rateProvision",
                    "summary": "Rate one provision",
                    "description": (
                        "An assigned reviewer rates in their layer, while in_review; each rating "
                        "is kept with who and when, the latest being the current one. Where the "
                        "cycle has no second reviewer, the lead reviewer's rating is also the "
                        "final one. Where it has one, final: true settles the final rating "
                        "(the lead reviewer, coordinators and admins); without a justification "
                        "it keeps that of a reviewer who gave the same rating. A rating other "
                        "than the derived one, and NA always, needs a justification."
                    ),
                    "parameters": [
                        ASSESSMENT_ID,
                        {
                            "name": "ref",
                            "in": "path",
                            "required": True,
                            "description": "The provision: framework:article id (budapest:16).",
                            "schema": {"type": "string", "examples": ["budapest:16"]},
                        },
                    ],
                    "requestBody": _body("RatingInput"),
                    "responses": {
                        "200": _json(_ref("StoredRating"), "Stored."),
                        "401": _error("No valid token."),
                        "403": _error(
                            "Not a reviewer of the assessment, nor (final) its lead reviewer "
                            "or a coordinator."
                        ),
                        "404": _error("No such assessment, or not yours to review."),
                        "409": _json(_ref("Refusal"), "Not in review; the message says why."),
                        "422": _error(
                            "error.field is body (not a JSON object), provision (no such "
                            "provision in the assessment), rating (not one of C, LC, PC, NC, "
                            "NA), justification (not a text, over 5,000 characters, or missing "
                            "for an override or NA) or final (not a boolean, or true in a "
                            "cycle without a second reviewer)."
                        ),
                    },
                }
            },
            "/assessments/{assessment_id}/stages/{area}": {
                "put": {
                    "operationId": "setMaturityStage",
                    "summary": "Confirm or override a capability area's maturity stage",
                    "description": (
                        "The lead reviewer, while in_review; the stage is final at once (the "
                        "second reviewer rates provisions only). A stage other than the "
                        "derived one needs a justification."
                    ),
                    "parameters": [
                        ASSESSMENT_ID,
                        {
                            "name": "area",
                            "in": "path",
                            "required": True,
                            "description": "The capability area's id in the questionnaire.",
                            "schema": {"type": "string", "examples": ["contact_point"]},
                        },
                    ],
                    "requestBody": _body("StageInput"),
                    "responses": {
                        "200": _json(_ref("StoredStage"), "Stored."),
                        "401": _error("No valid token."),
                        "403": _error("Only the lead reviewer confirms the maturity stages."),
                        "404": _error("No such assessment, or not yours to review."),
                        "409": _json(_ref("Refusal"), "Not in review; the message says why."),
                        "422": _error(
                            "error.field is body, area (no such capability area), stage (not "
                            "an integer from 0 to 5) or justification (not a text, over 5,000 "
                            "characters, or missing for an override)."
                        ),
                    },
                }
            },
            **_activity_paths(),
            **_contact_paths(),
            **_need_paths(),
            **_export_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "status": {"type": "integer"},
                                "message": {"type": "string"},
                                "field": {"type": "string"},
                            },
                            "required": ["status", "message"],
                        }
                    },
                    "required": ["error"],
                },
                "Conflict": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "status": {"const": 409},
                                "message": {"type": "string"},
                                "current": {"oneOf": [_ref("Answer"), {"type": "null"}]},
                            },
                            "required": ["status", "message"],
                        }
                    },
                    "required": ["error"],
                },
                "MissingAnswers": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "status": {"const": 422},
                                "message": {"type": "string"},
                                "missing": {"type": "array", "items": {"type": "string"}},
                            },
                            "required": ["status", "message", "missing"],
                        }
                    },
                    "required": ["error"],
                },
                "Refusal": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "status": {"const": 409},
                                "message": {"type": "string", "description": "Why not."},
                                "status_from": {
                                    "enum": STATUSES,
                                    "description": "The status that does not allow it.",
                                },
                                "action": {"type": "string"},
                            },
                            "required": ["status", "message"],
                        }
                    },
                    "required": ["error"],
                },
                "Person": {
                    "type": "object",
                    "description": (
                        "email only for the assigned reviewers, coordinators and admins; the "
                        "country's officials get the name."
                    ),
                    "properties": {
                        "name": {"type": "string"},
                        "email": {"type": "string", "format": "email"},
                    },
                    "required": ["name"],
                },
                "Clarification": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "round": {"type": "integer", "minimum": 1},
                        "question_id": {"type": ["string", "null"]},
                        "text": {"type": "string"},
                        "asked_at": {"type": "string", "format": "date-time"},
                        "asked_by": {"type": ["string", "null"]},
                        "reply": {"type": ["string", "null"]},
                        "replied_at": DATE_TIME_OR_NULL,
                        "replied_by": {"type": ["string", "null"]},
                        "open": {
                            "type": "boolean",
                            "description": "A question of the latest round without a reply.",
                        },
                    },
                    "required": ["id", "round", "question_id", "text", "reply", "open"],
                },
                "Review": {
                    "type": "object",
                    "properties": {
                        "status": {"enum": STATUSES},
                        "second_review": {
                            "type": "boolean",
                            "description": "Whether the cycle asks for a second reviewer.",
                        },
                        "lead_reviewer": {"oneOf": [_ref("Person"), {"type": "null"}]},
                        "second_reviewer": {"oneOf": [_ref("Person"), {"type": "null"}]},
                        "started_at": DATE_TIME_OR_NULL,
                        "finalised_at": DATE_TIME_OR_NULL,
                        "published_at": DATE_TIME_OR_NULL,
                        "clarifications": {
                            "type": "array",
                            "items": _ref("Clarification"),
                            "description": "Every question asked, oldest round first.",
                        },
                    },
                    "required": [
                        "status",
                        "second_review",
                        "lead_reviewer",
                        "second_reviewer",
                        "clarifications",
                    ],
                },
                "ReviewedAssessment": {
                    "allOf": [
                        _ref("AssessmentSummary"),
                        {
                            "type": "object",
                            "properties": {"review": _ref("Review")},
                            "required": ["review"],
                        },
                    ]
                },
                "GivenRating": {
                    "type": "object",
                    "description": "A rating as given in one layer (its latest).",
                    "properties": {
                        "rating": {"enum": GIVEN},
                        "justification": {"type": ["string", "null"]},
                        "rated_at": {"type": "string", "format": "date-time"},
                        "stale": {
                            "type": "boolean",
                            "description": "An answer feeding the provision changed since.",
                        },
                    },
                    "required": ["rating", "justification", "rated_at", "stale"],
                },
                "ProvisionReview": {
                    "type": "object",
                    "properties": {
                        "ref": {"type": "string", "examples": ["budapest:2"]},
                        "framework": {"type": "string"},
                        "article": {"type": "string"},
                        "obligation": {"enum": ["mandatory", "consider", "optional"]},
                        "derived_rating": {"enum": list(RATINGS)},
                        "explanation": {
                            "type": "string",
                            "description": "Why the derived rating, in the user's language.",
                        },
                        "in_progress": {
                            "type": "boolean",
                            "description": "A law behind it is drafted, tabled or adopted.",
                        },
                        "review_status": {
                            "enum": ["not_reviewed", "accepted", "revision_requested"],
                            "description": (
                                "In your layer; for coordinators and officials, the final one."
                            ),
                        },
                        "your_rating": {"oneOf": [_ref("GivenRating"), {"type": "null"}]},
                        "final_rating": {"oneOf": [_ref("GivenRating"), {"type": "null"}]},
                        "lead_rating": {"oneOf": [_ref("GivenRating"), {"type": "null"}]},
                        "second_rating": {"oneOf": [_ref("GivenRating"), {"type": "null"}]},
                    },
                    "required": [
                        "ref",
                        "framework",
                        "article",
                        "obligation",
                        "derived_rating",
                        "explanation",
                        "in_progress",
                        "review_status",
                        "your_rating",
                        "final_rating",
                    ],
                },
                "StageReview": {
                    "type": "object",
                    "properties": {
                        "area": {"type": "string"},
                        "derived_stage": {"type": "integer", "minimum": 0, "maximum": 5},
                        "missing": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "The indicators missing for the next stage.",
                        },
                        "stage": {"type": ["integer", "null"], "minimum": 0, "maximum": 5},
                        "justification": {"type": ["string", "null"]},
                        "rated_at": DATE_TIME_OR_NULL,
                        "stale": {"type": "boolean"},
                    },
                    "required": ["area", "derived_stage", "stage", "justification", "stale"],
                },
                "Agreement": {
                    "type": "object",
                    "description": (
                        "Between the two reviewers' up-to-date ratings: the share of identical "
                        "ratings and the quadratic-weighted Cohen's kappa over the provisions "
                        "both rated on the scale NC < PC < LC < C; NA counted apart."
                    ),
                    "properties": {
                        "compared": {"type": "integer", "minimum": 0},
                        "identical": {"type": "integer", "minimum": 0},
                        "share": {"type": ["number", "null"]},
                        "kappa": {"type": ["number", "null"]},
                        "na_apart": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "ref": {"type": "string"},
                                    "lead": {"type": ["string", "null"]},
                                    "second": {"type": ["string", "null"]},
                                },
                                "required": ["ref", "lead", "second"],
                            },
                        },
                        "disagreements": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "ref": {"type": "string"},
                                    "lead": {"type": ["string", "null"]},
                                    "second": {"type": ["string", "null"]},
                                    "kind": {
                                        "enum": ["different", "implicit"],
                                        "description": "implicit: only one of them rated it.",
                                    },
                                    "settled": {
                                        "type": "boolean",
                                        "description": "Its final rating was given since.",
                                    },
                                },
                                "required": ["ref", "lead", "second", "kind", "settled"],
                            },
                        },
                    },
                    "required": [
                        "compared",
                        "identical",
                        "share",
                        "kappa",
                        "na_apart",
                        "disagreements",
                    ],
                },
                "ReviewRatings": {
                    "type": "object",
                    "properties": {
                        "assessment": {"type": "integer"},
                        "status": {"enum": STATUSES},
                        "questionnaire_version": {"type": "string"},
                        "rules_version": {
                            "type": "string",
                            "description": (
                                "The scoring rules' version: the current one, or the one the "
                                "review was finalised under."
                            ),
                        },
                        "your_layer": {"enum": [*LAYERS, None]},
                        "provisions": {"type": "array", "items": _ref("ProvisionReview")},
                        "stages": {"type": "array", "items": _ref("StageReview")},
                        "agreement": _ref("Agreement"),
                    },
                    "required": [
                        "assessment",
                        "status",
                        "questionnaire_version",
                        "rules_version",
                        "your_layer",
                        "provisions",
                        "stages",
                    ],
                },
                "RatingInput": {
                    "type": "object",
                    "properties": {
                        "rating": {"enum": GIVEN},
                        "justification": {"type": ["string", "null"], "maxLength": 5000},
                        "final": {
                            "type": "boolean",
                            "default": False,
                            "description": (
                                "Settle the final rating (cycles with a second reviewer)."
                            ),
                        },
                    },
                    "required": ["rating"],
                },
                "StoredRating": {
                    "type": "object",
                    "properties": {
                        "ref": {"type": "string"},
                        "layer": {"enum": [*LAYERS, "final"]},
                        "final": {
                            "type": "boolean",
                            "description": "It is (also) the provision's final rating.",
                        },
                        "rating": {"enum": GIVEN},
                        "derived_rating": {"enum": list(RATINGS)},
                        "justification": {"type": ["string", "null"]},
                        "rated_at": {"type": "string", "format": "date-time"},
                    },
                    "required": [
                        "ref",
                        "layer",
                        "final",
                        "rating",
                        "derived_rating",
                        "justification",
                        "rated_at",
                    ],
                },
                "StageInput": {
                    "type": "object",
                    "properties": {
                        "stage": {"type": "integer", "minimum": 0, "maximum": 5},
                        "justification": {"type": ["string", "null"], "maxLength": 5000},
                    },
                    "required": ["stage"],
                },
                "StoredStage": {
                    "type": "object",
                    "properties": {
                        "area": {"type": "string"},
                        "stage": {"type": "integer", "minimum": 0, "maximum": 5},
                        "derived_stage": {"type": "integer", "minimum": 0, "maximum": 5},
                        "justification": {"type": ["string", "null"]},
                        "rated_at": {"type": "string", "format": "date-time"},
                    },
                    "required": ["area", "stage", "derived_stage", "justification", "rated_at"],
                },
                "ReviewerAssignment": {
                    "type": "object",
                    "properties": {
                        "lead": {"type": "string", "format": "email"},
                        "second": {"type": ["string", "null"], "format": "email"},
                    },
                    "required": ["lead"],
                },
                "ReviewQueue": {
                    "type": "object",
                    "properties": {
                        "assessments": {"type": "array", "items": _ref("ReviewQueueItem")}
                    },
                    "required": ["assessments"],
                },
                "ReviewQueueItem": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "country": {
                            "type": "object",
                            "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                            "required": ["code", "name"],
                        },
                        "cycle": {
                            "type": "object",
                            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                            "required": ["id", "name"],
                        },
                        "status": {"enum": STATUSES},
                        "submitted_at": DATE_TIME_OR_NULL,
                        "role": {"enum": ["lead", "second"]},
                    },
                    "required": ["id", "country", "cycle", "status", "submitted_at", "role"],
                },
                "ClarificationRequest": {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 50,
                            "items": {
                                "type": "object",
                                "properties": {
                                    "question_id": {
                                        "type": ["string", "null"],
                                        "description": "The question it is about, if any.",
                                    },
                                    "text": {"type": "string", "minLength": 1, "maxLength": 5000},
                                },
                                "required": ["text"],
                            },
                        }
                    },
                    "required": ["items"],
                },
                "ClarificationRound": {
                    "type": "object",
                    "properties": {
                        "round": {"type": "integer", "minimum": 1},
                        "status": {"enum": STATUSES},
                        "items": {"type": "array", "items": _ref("Clarification")},
                    },
                    "required": ["round", "status", "items"],
                },
                "ClarificationReply": {
                    "type": "object",
                    "properties": {"reply": {"type": "string", "minLength": 1, "maxLength": 5000}},
                    "required": ["reply"],
                },
                "ReopenRequest": {
                    "type": "object",
                    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 5000}},
                    "required": ["reason"],
                },
                "TokenRequest": {
                    "type": "object",
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "password": {"type": "string"},
                        "name": {"type": "string", "maxLength": 100},
                    },
                    "required": ["email", "password"],
                },
                "Token": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "token": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                    "required": ["id", "name", "token", "created_at"],
                },
                "AssessmentSummary": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "country": {
                            "type": "object",
                            "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                        },
                        "cycle": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "name": {"type": "string"},
                                "deadline": {"type": "string", "format": "date"},
                                "status": {"enum": ["draft", "open", "closed"]},
                            },
                        },
                        "status": {"enum": STATUSES},
                        "submitted_at": DATE_TIME_OR_NULL,
                        "editable": {"type": "boolean"},
                    },
                    "required": ["id", "country", "cycle", "status", "editable"],
                },
                "Assessment": {
                    "allOf": [
                        _ref("AssessmentSummary"),
                        {
                            "type": "object",
                            "properties": {
                                "questionnaire": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "version": {"type": "string"},
                                        "content_hash": {"type": "string"},
                                    },
                                },
                                "missing": {"type": "array", "items": {"type": "string"}},
                                "review": _ref("Review"),
                                "sections": {"type": "array", "items": _ref("Section")},
                            },
                            "required": ["questionnaire", "sections", "missing", "review"],
                        },
                    ]
                },
                "Section": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": LANG_TEXT,
                        "progress": {
                            "type": "object",
                            "properties": {
                                "answered_required": {"type": "integer"},
                                "required": {"type": "integer"},
                                "answered": {"type": "integer"},
                                "visible": {"type": "integer"},
                            },
                        },
                        "questions": {"type": "array", "items": _ref("Question")},
                    },
                    "required": ["id", "title", "questions"],
                },
                "Question": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"enum": list(QUESTION_TYPES)},
                        "label": LANG_TEXT,
                        "help": {"oneOf": [LANG_TEXT, {"type": "null"}]},
                        "required": {"type": "boolean"},
                        "relevant": {"type": ["string", "null"]},
                        "visible": {"type": "boolean"},
                        "evidences": {"type": "array", "items": {"type": "string"}},
                        "value_schema": {
                            "type": "object",
                            "description": "The JSON Schema the question's value must satisfy.",
                        },
                        "answer": {"oneOf": [_ref("Answer"), {"type": "null"}]},
                    },
                    "required": ["id", "type", "label", "required", "visible", "value_schema"],
                },
                "Answer": {
                    "type": "object",
                    "properties": {
                        "value": {},
                        "version": {"type": "integer"},
                        "note": {"type": ["string", "null"]},
                        "carried_over": {"type": "boolean"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "updated_by": {"type": ["string", "null"]},
                    },
                    "required": ["value", "version"],
                },
                "AnswerInput": {
                    "type": "object",
                    "properties": {
                        "value": {
                            "description": "Satisfies the question's value_schema; null clears."
                        },
                        "version": {"type": "integer", "minimum": 0},
                        "note": {"type": ["string", "null"], "maxLength": 5000},
                    },
                    "required": ["value", "version"],
                },
                "SavedAnswer": {
                    "allOf": [
                        _ref("Answer"),
                        {"type": "object", "properties": {"question_id": {"type": "string"}}},
                    ]
                },
                "Evidence": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "filename": {"type": "string"},
                        "content_type": {"type": "string"},
                        "size": {"type": "integer"},
                        "sha256": {"type": "string"},
                        "question_id": {"type": ["string", "null"]},
                        "uploaded_at": {"type": "string", "format": "date-time"},
                        "uploaded_by": {"type": ["string", "null"]},
                    },
                    "required": ["id", "filename", "content_type", "size"],
                },
                **_activity_schemas(),
                **_contact_schemas(),
                **_need_schemas(),
            },
        },
    }


# --- Capacity-building activities ----------------------------------------------------------------

ACTIVITY_FORMATS = list(activities.FORMAT_LABELS)
ACTIVITY_AUDIENCES = list(activities.AUDIENCE_LABELS)
ACTIVITY_STATUSES = [status.value for status in ActivityStatus]
NEED_STATUSES = [status.value for status in NeedStatus]


def _activity_paths() -> dict[str, Any]:
    """The activities register's operations."""
    query = [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
        for name, schema, text in (
            ("country", {"type": "string"}, "A beneficiary country's ISO 3166 alpha-3 code."),
            ("donor", {"type": "string"}, "The donor, exactly as registered."),
            ("format", {"enum": ACTIVITY_FORMATS}, "The activity's format."),
            ("status", {"enum": ACTIVITY_STATUSES}, "The activity's status."),
            ("year", {"type": "integer"}, "Activities taking place (in part) that year."),
        )
    ]
    return {
        "/activities": {
            "get": {
                "operationId": "listActivities",
                "summary": "The capacity-building activities you may see",
                "description": (
                    "Coordinators, admins and reviewers see every activity; officials those "
                    "whose beneficiaries include their country, with their country's needs only. "
                    "Filters that do not fit are ignored."
                ),
                "parameters": query,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "activities": {"type": "array", "items": _ref("Activity")}
                            },
                            "required": ["activities"],
                        },
                        "The activities, the latest start first.",
                    ),
                    "401": _error("No valid token."),
                },
            },
            "post": {
                "operationId": "createActivity",
                "summary": "Add an activity to the register (coordinators)",
                "requestBody": _body("ActivityInput"),
                "responses": {
                    "201": _json(_ref("Activity"), "Added, planned."),
                    "401": _error("No valid token."),
                    "403": _error("Only coordinators keep the register."),
                    "422": _error(
                        "error.field names the first value that does not fit: body, title, "
                        "provider, donor, starts_on, ends_on (dates out of order), format, "
                        "location (neither a place nor online), online, countries (none, or "
                        "an unknown code), institutions, audiences, participants_women or "
                        "participants_men (not a whole number, or negative), addresses or "
                        "outputs. Nothing is saved."
                    ),
                },
            },
        },
        "/activities/{activity_id}/needs": {
            "post": {
                "operationId": "linkActivityNeed",
                "summary": "Match a need with an activity (coordinators)",
                "description": (
                    "The need must be a beneficiary country's, neither closed nor declined. An "
                    "identified or requested need becomes matched, and follows the activity "
                    "when it is already in delivery or delivered."
                ),
                "parameters": [
                    {
                        "name": "activity_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    }
                ],
                "requestBody": _body("ActivityNeedInput"),
                "responses": {
                    "200": _json(_ref("Activity"), "Matched; the activity with its needs."),
                    "401": _error("No valid token."),
                    "403": _error("Only coordinators match needs with activities."),
                    "404": _error("No such activity, or not yours to see."),
                    "409": _json(_ref("Refusal"), "The activity is cancelled."),
                    "422": _error(
                        "error.field is body or need: no such need, another country's need, a "
                        "need closed or declined, or one matched with the activity already. "
                        "Nothing is saved."
                    ),
                },
            }
        },
    }


def _activity_schemas() -> dict[str, Any]:
    """The activities register's schemas."""
    text_or_null = {"type": ["string", "null"]}
    count = {"type": ["integer", "null"], "minimum": 0}
    return {
        "Activity": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "title": {"type": "string"},
                "provider": {"type": "string"},
                "donor": text_or_null,
                "starts_on": {"type": "string", "format": "date"},
                "ends_on": {"type": "string", "format": "date"},
                "format": {"enum": ACTIVITY_FORMATS},
                "location": text_or_null,
                "online": {"type": "boolean"},
                "countries": {"type": "array", "items": {"type": "string"}},
                "institutions": text_or_null,
                "audiences": {"type": "array", "items": {"enum": ACTIVITY_AUDIENCES}},
                "participants": {
                    "type": "object",
                    "properties": {"women": count, "men": count},
                },
                "addresses": {"type": "array", "items": {"type": "string"}},
                "outputs": text_or_null,
                "status": {"enum": ACTIVITY_STATUSES},
                "version": {"type": "integer"},
                "needs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "country": {"type": "string"},
                            "kind": {"enum": ["provision", "area"]},
                            "ref": {"type": "string"},
                            "found": {"type": "string"},
                            "status": {"enum": NEED_STATUSES},
                        },
                    },
                },
            },
            "required": ["id", "title", "provider", "starts_on", "ends_on", "format", "status"],
        },
        "ActivityInput": {
            "type": "object",
            "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 300},
                "provider": {"type": "string", "minLength": 1, "maxLength": 200},
                "donor": {"type": ["string", "null"], "maxLength": 200},
                "starts_on": {"type": "string", "format": "date"},
                "ends_on": {"type": "string", "format": "date"},
                "format": {"enum": ACTIVITY_FORMATS},
                "location": {"type": ["string", "null"], "maxLength": 200},
                "online": {"type": "boolean"},
                "countries": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "institutions": {"type": ["string", "null"], "maxLength": 5000},
                "audiences": {"type": "array", "items": {"enum": ACTIVITY_AUDIENCES}},
                "participants_women": count,
                "participants_men": count,
                "addresses": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Provision refs (budapest:16) and capability area ids.",
                },
                "outputs": {"type": ["string", "null"], "maxLength": 5000},
            },
            "required": ["title", "provider", "starts_on", "ends_on", "format", "countries"],
        },
        "ActivityNeedInput": {
            "type": "object",
            "properties": {"need": {"type": "integer", "minimum": 1}},
            "required": ["need"],
        },
    }


# --- 24/7 directory ------------------------------------------------------------------------------

CONTACT_ID = {
    "name": "contact_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
VERIFICATION_METHODS = list(directory.VERIFICATION_METHODS)
TEST_CHANNELS = list(directory.TEST_CHANNELS)
TEST_OUTCOMES = list(directory.TEST_OUTCOMES)
UNIT_TYPES = list(directory.UNIT_TYPES)
STRING_OR_NULL = {"type": ["string", "null"]}


def _contact_paths() -> dict[str, Any]:
    """The 24/7 directory's operations."""
    who = (
        "The country's officials and coordinators. 404: no such contact, one you may not see, "
        "or (an official) another country's; 403: you read the directory but keep no contact "
        "of that country (reviewers)."
    )
    return {
        "/contacts": {
            "get": {
                "operationId": "listContacts",
                "summary": "The 24/7 directory",
                "description": (
                    "Every country's 24/7 points of contact in the networks in use, with their "
                    "last verification and whether it is overdue. Coordinators, reviewers and "
                    "the officials of participating countries; never public."
                ),
                "parameters": [
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "schema": schema,
                        "description": text,
                    }
                    for name, schema, text in (
                        ("network", {"type": "string"}, "A network's key, e.g. budapest_35."),
                        ("country", {"type": "string"}, "A country's ISO 3166 alpha-3 code."),
                        ("overdue", {"enum": ["true", "false"]}, "Only those (not) overdue."),
                    )
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"contacts": {"type": "array", "items": _ref("Contact")}},
                            "required": ["contacts"],
                        },
                        "The contacts, by country code and network.",
                    ),
                    "401": _error("No valid token."),
                    "403": _error("Not for your role, or your country does not participate."),
                    "422": _error("error.field is network, country or overdue."),
                },
            }
        },
        "/contacts/{contact_id}/verification": {
            "post": {
                "operationId": "verifyContact",
                "summary": "Record a contact's verification",
                "description": who,
                "parameters": [CONTACT_ID],
                "requestBody": _body("ContactVerificationInput"),
                "responses": {
                    "200": _json(_ref("Contact"), "Recorded; the contact as it is now."),
                    "401": _error("No valid token."),
                    "403": _error("You do not keep this country's contacts."),
                    "404": _error("No such contact, or not yours to see or keep."),
                    "422": _error(
                        "error.field is body, on (not a date, in the future, before 2000) or how."
                    ),
                },
            }
        },
        "/contacts/{contact_id}/tests": {
            "post": {
                "operationId": "recordContactTest",
                "summary": "Log a reachability test of a contact",
                "description": who,
                "parameters": [CONTACT_ID],
                "requestBody": _body("ContactTestInput"),
                "responses": {
                    "201": _json(_ref("ContactTest"), "Logged."),
                    "401": _error("No valid token."),
                    "403": _error("You do not keep this country's contacts."),
                    "404": _error("No such contact, or not yours to see or keep."),
                    "422": _error(
                        "error.field is body, on, channel, outcome, response_minutes (not a "
                        "whole number of minutes, missing for a reply, given when not reached) "
                        "or notes."
                    ),
                },
            }
        },
    }


def _contact_schemas() -> dict[str, Any]:
    """The 24/7 directory's schemas."""
    return {
        "Contact": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "country": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                    "required": ["code", "name"],
                },
                "network": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                    "required": ["key", "name"],
                },
                "unit": {"type": "string"},
                "unit_type": {"enum": UNIT_TYPES},
                "phone": {**STRING_OR_NULL, "description": "E.164, e.g. +33123456789."},
                "email": STRING_OR_NULL,
                "secure_channel": STRING_OR_NULL,
                "languages": STRING_OR_NULL,
                "can_preserve": {"type": "boolean"},
                "can_disclose_in_emergency": {"type": "boolean"},
                "mla_authority": STRING_OR_NULL,
                "verification": {
                    "type": "object",
                    "properties": {
                        "on": {"type": ["string", "null"], "format": "date"},
                        "how": {"enum": [*VERIFICATION_METHODS, None]},
                        "by": STRING_OR_NULL,
                        "due": {"type": ["string", "null"], "format": "date"},
                        "overdue": {"type": "boolean"},
                        "interval_months": {"type": "integer"},
                    },
                    "required": ["on", "how", "due", "overdue", "interval_months"],
                },
                "version": {"type": "integer"},
            },
            "required": ["id", "country", "network", "unit", "phone", "email", "verification"],
        },
        "ContactVerificationInput": {
            "type": "object",
            "properties": {
                "on": {"type": "string", "format": "date"},
                "how": {"enum": VERIFICATION_METHODS},
            },
            "required": ["on", "how"],
        },
        "ContactTestInput": {
            "type": "object",
            "properties": {
                "on": {"type": "string", "format": "date"},
                "channel": {"enum": TEST_CHANNELS},
                "outcome": {"enum": TEST_OUTCOMES},
                "response_minutes": {"type": ["integer", "null"], "minimum": 0},
                "notes": {"type": ["string", "null"], "maxLength": 2000},
            },
            "required": ["on", "channel", "outcome"],
        },
        "ContactTest": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "contact": {"type": "integer"},
                "on": {"type": "string", "format": "date"},
                "channel": {"enum": TEST_CHANNELS},
                "outcome": {"enum": TEST_OUTCOMES},
                "response_minutes": {"type": ["integer", "null"]},
                "notes": STRING_OR_NULL,
                "recorded_by": {"type": "string"},
            },
            "required": ["id", "contact", "on", "channel", "outcome", "response_minutes"],
        },
    }


# --- Capacity-building needs ---------------------------------------------------------------------


def _need_paths() -> dict[str, Any]:
    """The needs' operations: the register and the changes to one need."""
    from app.capacity.needs import ASSISTANCE_TYPES, KINDS

    query = [
        {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
        for name, schema, text in (
            ("type", {"enum": list(ASSISTANCE_TYPES)}, "Assistance suggested or requested."),
            ("region", {"type": "string"}, "The country's UN M49 region code (150: Europe)."),
            ("framework", {"type": "string"}, "A framework id: its provisions' needs."),
            ("provision", {"type": "string"}, "A provision ref (budapest:16) or an area id."),
            ("priority", {"type": "integer", "minimum": 1, "maximum": 5}, "The priority."),
            ("status", {"enum": [*NEED_STATUSES, "open"]}, "open: every status still to meet."),
            ("country", {"type": "string"}, "The country's ISO 3166 alpha-3 code."),
            ("kind", {"enum": list(KINDS)}, "Provisions or maturity areas."),
            ("cycle", {"type": "integer"}, "The cycle whose review found them."),
            ("page", {"type": "integer", "minimum": 1}, "50 needs a page, newest first."),
        )
    ]
    return {
        "/needs": {
            "get": {
                "operationId": "listNeeds",
                "summary": "The capacity-building needs you may see",
                "description": (
                    "Coordinators, admins and reviewers see every country's needs; officials "
                    "their own country's once the review that found them is published. The "
                    "counts are those of the whole filtered set."
                ),
                "parameters": query,
                "responses": {
                    "200": _json(_ref("NeedList"), "One page of needs, with the counts."),
                    "401": _error("No valid token."),
                    "422": _error("error.field names the filter that does not fit."),
                },
            }
        },
        "/needs/{need_id}": {
            "patch": {
                "operationId": "updateNeed",
                "summary": "Change a need: priority, requested assistance or status",
                "description": (
                    "The country's officials set the priority (with the version they started "
                    "from), add a request for assistance (an identified need becomes "
                    "requested) and decline with a reason; coordinators close (with a "
                    "reason), decline and re-open."
                ),
                "parameters": [
                    {
                        "name": "need_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    }
                ],
                "requestBody": _body("NeedUpdate"),
                "responses": {
                    "200": _json(_ref("Need"), "Changed."),
                    "401": _error("No valid token."),
                    "403": _error("Not the country's official nor a coordinator."),
                    "404": _error("No such need, or not yours to see (another country's)."),
                    "409": _json(
                        _ref("Refusal"),
                        "A stale version (error.field is version), or the status does not "
                        "allow the action.",
                    ),
                    "422": _error(
                        "error.field names the field: body, priority, version, action, reason, "
                        "assistance, assistance.type, assistance.target_institution, "
                        "assistance.priority or assistance.description."
                    ),
                },
            }
        },
    }


def _need_schemas() -> dict[str, Any]:
    """The needs' schemas."""
    from app.capacity.needs import ASSISTANCE_TYPES, REQUEST_TYPES

    named = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "required": ["id", "name"],
    }
    request = {
        "type": "object",
        "properties": {
            "type": {"enum": list(REQUEST_TYPES)},
            "target_institution": {"type": "string", "minLength": 1, "maxLength": 200},
            "priority": {"type": "integer", "minimum": 1, "maximum": 5},
            "description": {"type": "string", "minLength": 1, "maxLength": 5000},
        },
        "required": ["type", "target_institution", "priority", "description"],
    }
    return {
        "Need": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "country": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                },
                "cycle": named,
                "assessment": {"type": "integer"},
                "kind": {"enum": ["provision", "area"]},
                "ref": {"type": "string", "examples": ["budapest:16", "contact_point"]},
                "found": {
                    "type": "string",
                    "description": "The final rating (PC, NC) or the stage reached (0-5).",
                },
                "target_stage": {"type": ["integer", "null"]},
                "assistance": {
                    "type": "array",
                    "items": {"enum": list(ASSISTANCE_TYPES)},
                    "description": "The assistance the framework file suggests.",
                },
                "recommendation": {"type": ["string", "null"]},
                "status": {"enum": NEED_STATUSES},
                "priority": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                "declined_reason": {"type": ["string", "null"]},
                "closed_reason": {
                    "type": ["string", "null"],
                    "description": "improved: a later review rated it better.",
                },
                "version": {"type": "integer"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "requests": {
                    "type": "array",
                    "items": {
                        "allOf": [
                            request,
                            {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "created_at": {"type": "string", "format": "date-time"},
                                    "created_by": {"type": ["string", "null"]},
                                },
                            },
                        ]
                    },
                },
            },
            "required": ["id", "country", "kind", "ref", "found", "status", "version"],
        },
        "NeedList": {
            "type": "object",
            "properties": {
                "needs": {"type": "array", "items": _ref("Need")},
                "page": {"type": "integer"},
                "pages": {"type": "integer"},
                "total": {"type": "integer"},
                "counts": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "type": {"type": "object", "additionalProperties": {"type": "integer"}},
                    },
                },
            },
            "required": ["needs", "page", "pages", "total", "counts"],
        },
        "NeedUpdate": {
            "type": "object",
            "properties": {
                "priority": {"type": "integer", "minimum": 1, "maximum": 5},
                "version": {
                    "type": "integer",
                    "description": "The need's version you started from (with priority).",
                },
                "assistance": request,
                "action": {"enum": ["close", "decline", "reopen"]},
                "reason": {"type": "string", "maxLength": 5000},
            },
            "additionalProperties": False,
        },
    }


# --- Cycle exports -------------------------------------------------------------------------------


def _export_paths() -> dict[str, Any]:
    """The cycle export (``exportCycle``): the workbook, or one sheet as CSV."""
    from app.reports.exports import SHEETS

    return {
        "/cycles/{cycle_id}/export": {
            "get": {
                "operationId": "exportCycle",
                "summary": "A cycle's export: the workbook, or one sheet as CSV",
                "description": (
                    "For coordinators and admins. Every assessment of the cycle: the final "
                    "ratings (NR where none), the counts per cluster and framework with the "
                    "indicative index, maturity stages (confirmed or derived), treaty status, "
                    "status and dates, and the data snapshot (SHA-256 of the ratings and "
                    "answers used, also in the X-Data-Snapshot header). Text is never a live "
                    "formula. Each download is audited (cycle.exported)."
                ),
                "parameters": [
                    {
                        "name": "cycle_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["xlsx", "csv"], "default": "xlsx"},
                        "description": "xlsx: every sheet in one workbook; csv: one sheet.",
                    },
                    {
                        "name": "sheet",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": list(SHEETS)},
                        "description": "The sheet (required with format=csv).",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The file, as an attachment.",
                        "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                            "text/csv": {},
                        },
                    },
                    "401": _error("No valid token."),
                    "403": _error("Not for your role: coordinators and admins only."),
                    "404": _error("No such cycle."),
                    "422": _error("A bad format or sheet; error.field names it."),
                },
            }
        }
    }
