"""Signing in and out, passwords, invitations and password resets."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.record_once
def _endable_sessions(state) -> None:
    """Give the application sessions that end on the server at sign-out (``sessions``)."""
    from app.auth.sessions import EndableSessionInterface

    state.app.session_interface = EndableSessionInterface()
