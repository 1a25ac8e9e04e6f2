"""Queries behind the home and country pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.core.permissions import Role
from app.extensions import db
from app.models import AuditEvent, Country, Cycle, CycleStatus, User


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
            select(Country).where(Country.participating.is_(True)).order_by(Country.name)
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


def open_cycles() -> list[Cycle]:
    """Return the open cycles, nearest deadline first."""
    return list(
        db.session.scalars(
            select(Cycle).where(Cycle.status == CycleStatus.OPEN).order_by(Cycle.deadline)
        )
    )
