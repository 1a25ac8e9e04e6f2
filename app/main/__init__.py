"""Home pages, the account page, the language switch and country pages."""

from flask import Blueprint

bp = Blueprint("main", __name__)
