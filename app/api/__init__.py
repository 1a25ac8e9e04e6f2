"""The JSON API (``/api/v1``): bearer tokens, assessments, answers, evidence; same permissions
as the pages, described by an OpenAPI 3.1 document at ``/api/v1/openapi.json``."""

from flask import Blueprint

bp = Blueprint("api", __name__)
