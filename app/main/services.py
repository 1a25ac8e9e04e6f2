"""Queries behind the home and country pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.core.permissions import Role
from app.extensions import db
from app.models import Assessment, AuditEvent, Country, Cycle, CycleStatus, User


@dataclass(frozen=True)
class Overview:
    """Counts shown on the coordinators' and administrators' home pages."""

    users_by_role: dict[Role, int]
    pending_invitations: int
    participating_countries: int
    countries: int


def overview() -> Overview:
    """Return the counts of active users per role, pending invitations and countries."""
    rows = db.session.execute(
        select(User.role, func.count(User.id)).where(User.active.is_(True)).group_by(User.role)
    ).all()
    by_role = dict.fromkeys(Role, 0) | dict(rows)
    pending = db.session.scalar(
        select(func.count(User.id)).where(User.active.is_(True), User.password_hash.is_(None))
    )
    participating = db.session.scalar(
        select(func.count(Country.id)).where(Country.participating.is_(True))
    )
    total = db.session.scalar(select(func.count(Country.id)))
    return Overview(by_role, pending or 0, participating or 0, total or 0)


def participating_countries() -> list[Country]:
    """Return the participating countries by name."""
    return list(
        db.session.scalars(
            select(Country).where(Country.participating.is_(True)).order_by(Country.code)
        )
    )


def country_team(country: Country) -> list[User]:
    """Return the officials of ``country``, active first, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.country_id == country.id)
            .order_by(User.active.desc(), User.display_name)
        )
    )


def recent_events(limit: int = 10) -> list[AuditEvent]:
    """Return the latest audit events with their actors."""
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


@dataclass(frozen=True)
class CycleSummary:
    """A cycle with how many of its assessments exist and how many were submitted."""

    cycle: Cycle
    assessments: int
    submitted: int


def cycle_summaries() -> list[CycleSummary]:
    """Return every cycle, open ones first then newest first, with its assessment counts."""
    rows = db.session.execute(
        select(
            Cycle,
            func.count(Assessment.id),
            func.coalesce(func.sum(case((Assessment.submitted_at.is_not(None), 1), else_=0)), 0),
        )
        .outerjoin(Assessment, Assessment.cycle_id == Cycle.id)
        .group_by(Cycle.id)
        .order_by(case((Cycle.status == CycleStatus.OPEN, 0), else_=1), Cycle.id.desc())
    ).all()
    return [CycleSummary(cycle, total, int(submitted)) for cycle, total, submitted in rows]
