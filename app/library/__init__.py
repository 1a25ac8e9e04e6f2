"""Browsing the loaded frameworks and questionnaires: provisions, elements, questions, coverage
and the crosswalk between the Budapest Convention and the UN Convention."""

from flask import Blueprint

bp = Blueprint("library", __name__)
