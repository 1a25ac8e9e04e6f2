"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db
from app.models.user import User


class AuditEvent(db.Model):
    """Who did what, to which object, when, and from where. Rows are never changed or deleted."""

    __tablename__ = "audit_events"
    #: An object's own trail (the assessment page shows its trail).
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The e-mail given, kept even when no account matches (failed sign-ins).
    actor_email: Mapped[str | None] = mapped_column(String(254))
    #: Dotted verb, e.g. ``auth.login.failure`` or ``user.role_changed``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    #: ``{"before": {...}, "after": {...}}`` or other context; never secrets.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _append_only(mapper, connection, target: AuditEvent) -> None:
    raise RuntimeError("audit events are append-only")
