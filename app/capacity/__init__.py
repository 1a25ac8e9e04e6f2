"""Capacity building: needs found in review, the activities that answer them, the 24/7 directory
and the industry contact list. Routes live in one module per aggregate (``needs_routes``,
``activities_routes``, ``directory_routes``), all on this blueprint."""

from flask import Blueprint

bp = Blueprint("capacity", __name__)


def load_routes() -> None:
    """Import the route modules so that their views register on ``bp``."""
    import importlib

    for name in ("needs_routes", "activities_routes", "directory_routes"):
        try:
            importlib.import_module(f"app.capacity.{name}")
        except ModuleNotFoundError as error:  # a module not written yet
            if error.name != f"app.capacity.{name}":
                raise
