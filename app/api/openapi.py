"""The OpenAPI 3.1 document of the JSON API (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from app.frameworks.types import QUESTION_TYPES


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
                "submit. Same permissions as the web pages. Authenticate with a bearer token "
                "obtained from createToken."
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
                        "status": {"enum": ["draft", "submitted"]},
                        "submitted_at": {"type": ["string", "null"], "format": "date-time"},
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
                                "sections": {"type": "array", "items": _ref("Section")},
                            },
                            "required": ["questionnaire", "sections", "missing"],
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
            },
        },
    }
