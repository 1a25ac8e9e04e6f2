"""Self-assessment: cycles, a country's answers saved as they change, evidence, submission."""

from flask import Blueprint

bp = Blueprint("assessments", __name__)
