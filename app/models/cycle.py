"""Assessment cycles: a questionnaire version, a deadline and the participating countries."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db
from app.models.country import Country
from app.models.library import QuestionnaireVersion
from app.models.user import User, enum_column

cycle_countries = Table(
    "cycle_countries",
    db.metadata,
    Column("cycle_id", ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True),
    Column("country_id", ForeignKey("countries.id"), primary_key=True),
)


class CycleStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared; no assessment exists yet
    OPEN = "open"  # countries fill their assessments
    CLOSED = "closed"  # no more changes by countries


class Cycle(db.Model):
    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[CycleStatus] = mapped_column(
        enum_column(CycleStatus, "cycle_status"), default=CycleStatus.DRAFT
    )
    #: Start each country's assessment from its previous finished cycle's answers.
    carry_over: Mapped[bool] = mapped_column(default=True)
    #: Each assessment is rated by a second reviewer too, independently.
    second_review: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: The maturity stage each capability area should reach (area id -> stage 1..5); an area
    #: finally below it becomes a capacity-building need when the review is finalised.
    maturity_targets: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    countries: Mapped[list[Country]] = relationship(
        secondary=cycle_countries, order_by=Country.name
    )
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Cycle {self.name} {self.status.value}>"
