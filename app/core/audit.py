"""Writing the audit trail."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEvent, User


def client_ip() -> str | None:
    """Return the client's address for the current request (after ProxyFix), if any."""
    if has_request_context():
        return request.remote_addr
    return None


def record(
    action: str,
    *,
    actor: User | None = None,
    actor_email: str | None = None,
    obj: Any = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **context: Any,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits).

    :param action: dotted verb, e.g. ``user.role_changed``.
    :param actor: the user acting; None for anonymous or command-line actions.
    :param obj: the object acted on; its table name and id are recorded.
    :param before: the fields that changed, as they were.
    :param after: the same fields, as they are now.
    :param context: more facts worth keeping (never secrets).
    :returns: the new event, already added to the session.
    """
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    summary: dict[str, Any] = {}
    if before is not None:
        summary["before"] = before
    if after is not None:
        summary["after"] = after
    summary.update(context)
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_email=actor_email or (actor.email if actor is not None else None),
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        summary=summary,
        ip=client_ip(),
    )
    db.session.add(event)
    return event
