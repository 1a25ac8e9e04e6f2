"""Bearer tokens: created from e-mail and password, stored hashed, revocable."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import g, has_request_context, jsonify, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core import audit
from app.core.db import utcnow
from app.core.security import new_token, token_digest
from app.extensions import db
from app.models import ApiToken, User

#: ``last_used_at`` is refreshed at most this often (one write per token per interval).
TOUCH_INTERVAL = timedelta(minutes=5)


def issue(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the secret (shown once, never stored)."""
    secret, digest = new_token()
    token = ApiToken(user=user, name=name, token_hash=digest, session_version=user.session_version)
    db.session.add(token)
    db.session.flush()
    audit.record("api.token_created", actor=user, obj=token, name=name)
    return token, secret


def revoke(token: ApiToken, actor: User) -> None:
    """Stop a token from working."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api.token_revoked", actor=actor, obj=token, name=token.name)


def find(secret: str) -> ApiToken | None:
    """Return the live token for ``secret``: not revoked, account active, sessions not revoked."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if not user.active or user.session_version != token.session_version:
        return None
    return token


def unauthorized(message: str = "A valid bearer token is required."):
    response = jsonify(error={"status": 401, "message": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="catf"'
    return response


def token_required(view):
    """Authenticate the request by its ``Authorization: Bearer`` header; sets ``g.api_user``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return unauthorized()
        token = find(secret.strip())
        if token is None:
            return unauthorized("The token is unknown, revoked or expired.")
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
            # Written with the request's own commit (see ``commit_touch``), not a commit of its own.
            token.last_used_at = now
            g.api_token_touched = True
        g.api_user = token.user
        g.api_token = token
        return view(*args, **kwargs)

    return wrapped


def commit_touch(response):
    """Commit a token's last-used stamp with the request, when the view itself did not commit.

    Views that change data commit once (the stamp goes with it); reading views do not commit, so
    the stamp is committed here, alone. A refused request (its view rolled back) is not stamped.
    """
    if g.pop("api_token_touched", False) and response.status_code < 400:
        db.session.commit()
    return response


@event.listens_for(Session, "after_commit")
def _stamp_committed(session: Session) -> None:
    # The view's commit carried the stamp: nothing is left for ``commit_touch`` to do.
    if has_request_context():
        g.pop("api_token_touched", None)
