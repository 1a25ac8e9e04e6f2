"""Browser sessions that end on the server when their browser signs out.

The session stays a signed cookie, so nothing is stored for visitors or for sessions that are
merely in use. Each sign-in gets its own random id, kept in the session (``SESSION_ID_KEY``,
beside Flask-Login's ``"<user id>:<session version>"``):

- signing out records the id's digest in ``ended_sessions``, and the user loader
  (``services.session_user``) refuses a session whose id is recorded there — in the same query
  that loads the user, so a page costs no extra query. A copy of the cookie taken before the
  sign-out stops working; the account's other browsers stay signed in;
- a record is kept for ``PERMANENT_SESSION_LIFETIME`` after the sign-out: every cookie carrying
  that id was signed before the sign-out, so none is accepted after that time anyway;
- the session version still ends every session of an account at once (a password change,
  "sign out everywhere", a deactivation).

A signed-in session without an id cannot be ended at sign-out, so none is accepted or issued:
one arriving (signed before this design) is treated as signed out, and a user put in the session
by any other means than ``start`` gets an id when the cookie is written.
"""

from __future__ import annotations

import secrets

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user

from app.models import User

#: The session key holding the sign-in's random id.
SESSION_ID_KEY = "_session_id"

#: What Flask-Login keeps in the session for a signed-in user.
_SIGN_IN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds")


def new_session_id() -> str:
    """Return a new random session id (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def start(user: User) -> None:
    """Sign ``user`` in on a fresh session with a new id (nothing of the previous session
    survives but the chosen language)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)
    session[SESSION_ID_KEY] = new_session_id()
    session.permanent = True


class EndableSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions in which every signed-in session has an id that can be ended."""

    def open_session(self, app: Flask, request):
        opened = super().open_session(app, request)
        if opened is not None and "_user_id" in opened and SESSION_ID_KEY not in opened:
            for key in _SIGN_IN_KEYS:
                opened.pop(key, None)
        return opened

    def save_session(self, app: Flask, session, response) -> None:
        if "_user_id" in session and SESSION_ID_KEY not in session:
            session[SESSION_ID_KEY] = new_session_id()
        super().save_session(app, session, response)
