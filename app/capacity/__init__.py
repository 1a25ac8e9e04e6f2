"""Capacity building: needs found in review, the activities that answer them, the 24/7 directory
and the industry contact list. Routes live in one module per aggregate (``needs_routes``,
``activities_routes``, ``directory_routes``), all on this blueprint."""

from flask import Blueprint

bp = Blueprint("capacity", __name__)


def load_routes() -> None:
    """Import the route modules so that their views register on ``bp``."""
    from app.capacity import activities_routes, directory_routes, needs_routes  # noqa: F401
