"""Audit events as people read them: the object named and linked, the details as fields."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.i18n import country_name
from app.models import Assessment, AuditEvent, Country, Cycle, User


@dataclass(frozen=True)
class Detail:
    """One fact of an event: a field with its value before and after, or a single value."""

    name: str
    before: Any = None
    after: Any = None
    value: Any = None
    changed: bool = False


@dataclass(frozen=True)
class ShownEvent:
    event: AuditEvent
    object_label: str | None
    object_url: str | None
    details: list[Detail]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items())
    if value is None or value == "":
        return "—"
    return str(value)


def _name(key: str) -> str:
    return key.replace("_", " ").capitalize()


def details(summary: dict[str, Any] | None) -> list[Detail]:
    """Return an event's summary as fields: those that changed (before → after), then the rest."""
    summary = dict(summary or {})
    before, after = summary.pop("before", None) or {}, summary.pop("after", None) or {}
    shown = [
        Detail(_name(key), _text(before.get(key)), _text(after.get(key)), changed=True)
        for key in before
    ]
    shown += [Detail(_name(key), value=_text(after[key])) for key in after if key not in before]
    shown += [Detail(_name(key), value=_text(value)) for key, value in summary.items()]
    return shown


def shown(events: list[AuditEvent]) -> list[ShownEvent]:
    """Return events with their objects named and linked (one query per kind of object)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.object_type and event.object_id and event.object_id.isdecimal():
            wanted[event.object_type].add(int(event.object_id))
        assessment = (event.summary or {}).get("assessment")
        if event.object_type == "evidence_files" and isinstance(assessment, int):
            wanted["assessments"].add(assessment)
    names: dict[tuple[str, int], tuple[str, str | None]] = {}
    if wanted["users"]:
        for user in db.session.scalars(select(User).where(User.id.in_(wanted["users"]))):
            names["users", user.id] = (
                user.email,
                url_for("admin.edit_user", user_id=user.id),
            )
    if wanted["cycles"]:
        for cycle in db.session.scalars(select(Cycle).where(Cycle.id.in_(wanted["cycles"]))):
            names["cycles", cycle.id] = (
                cycle.name,
                url_for("assessments.cycle", cycle_id=cycle.id),
            )
    if wanted["assessments"]:
        for assessment in db.session.scalars(
            select(Assessment).where(Assessment.id.in_(wanted["assessments"]))
        ):
            names["assessments", assessment.id] = (
                f"{country_name(assessment.country)} · {assessment.cycle.name}",
                url_for("assessments.overview", assessment_id=assessment.id),
            )
    if wanted["countries"]:
        for country in db.session.scalars(
            select(Country).where(Country.id.in_(wanted["countries"]))
        ):
            names["countries", country.id] = (
                country_name(country),
                url_for("main.country", code=country.code),
            )
    result = []
    for event in events:
        label, url = None, None
        if event.object_type:
            key = event.object_id
            found = names.get((event.object_type, int(key))) if key and key.isdecimal() else None
            if event.object_type == "evidence_files":
                assessment = (event.summary or {}).get("assessment")
                found = names.get(("assessments", assessment)) if assessment else None
                if found:
                    filename = (event.summary or {}).get("filename", "")
                    found = (f"{filename} — {found[0]}", found[1])
            label, url = found or (f"{event.object_type} {key or ''}".strip(), None)
        result.append(ShownEvent(event, label, url, details(event.summary)))
    return result
