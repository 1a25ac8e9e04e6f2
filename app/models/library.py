"""Immutable versions of the framework and questionnaire files, keyed by content hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

questionnaire_version_frameworks = Table(
    "questionnaire_version_frameworks",
    db.metadata,
    Column(
        "questionnaire_version_id",
        ForeignKey("questionnaire_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("framework_version_id", ForeignKey("framework_versions.id"), primary_key=True),
)


class FrameworkVersion(db.Model):
    """One framework file's content as loaded; never changed once stored."""

    __tablename__ = "framework_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The framework's stable id (``budapest``, ``un-cybercrime``, …).
    framework_id: Mapped[str] = mapped_column(String(40), index=True)
    #: The ``version`` written in the file (the treaty text's version).
    version: Mapped[str] = mapped_column(String(40))
    #: SHA-256 of the normalised content: the same content is never stored twice.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The normalised file content; deferred, since pages use the parsed, cached copy.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuestionnaireVersion(db.Model):
    """One questionnaire file's content, with the framework versions it was checked against.

    Assessments point at the version they were started on, so later edits never change them.
    """

    __tablename__ = "questionnaire_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[str] = mapped_column(String(40))
    #: SHA-256 of the normalised content and of its frameworks' hashes.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The normalised file content; deferred, since pages use the parsed, cached copy.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    frameworks: Mapped[list[FrameworkVersion]] = relationship(
        secondary=questionnaire_version_frameworks, order_by=FrameworkVersion.framework_id
    )


@event.listens_for(FrameworkVersion, "before_update")
@event.listens_for(QuestionnaireVersion, "before_update")
def _immutable(mapper, connection, target) -> None:
    raise RuntimeError("loaded framework and questionnaire versions never change")
