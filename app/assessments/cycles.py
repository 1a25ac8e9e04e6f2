"""Cycles: prepare, open (one draft assessment per participating country, with answers carried
over) and close. Services flush but never commit; status changes go through the cycle workflow."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.assessments import answers, workflows
from app.core import audit
from app.core.errors import Invalid
from app.extensions import db
from app.models import (
    Assessment,
    AssessmentStatus,
    Country,
    Cycle,
    CycleStatus,
    QuestionnaireVersion,
    User,
)

#: The states of an assessment that count as finished (answers to carry over, earlier results).
FINISHED = frozenset({AssessmentStatus.SUBMITTED})


def create_cycle(
    name: str,
    version: QuestionnaireVersion,
    deadline: date,
    countries: list[Country],
    *,
    carry_over: bool,
    user: User,
) -> Cycle:
    """Prepare a cycle (status draft).

    :raises Invalid: when the name is taken or no country participates.
    """
    if db.session.scalar(select(Cycle.id).where(Cycle.name == name.strip())):
        raise Invalid(_l("A cycle with this name already exists."), field="name")
    if not countries:
        raise Invalid(_l("Choose at least one participating country."), field="countries")
    cycle = Cycle(
        name=name.strip(),
        questionnaire_version=version,
        deadline=deadline,
        countries=countries,
        carry_over=carry_over,
        created_by=user,
    )
    db.session.add(cycle)
    db.session.flush()
    audit.record(
        "cycle.created",
        actor=user,
        obj=cycle,
        after={"name": cycle.name, "deadline": deadline.isoformat(), "countries": len(countries)},
    )
    return cycle


def open_cycle(cycle: Cycle, user: User) -> list[Assessment]:
    """Open a cycle: one draft assessment per participating country, with answers carried over
    from the country's previous finished cycle when the cycle asks for it.

    :raises Refused: when the cycle is not in preparation.
    :raises Forbidden: when ``user`` may not manage cycles.
    """
    problem = workflows.CYCLE.refusal(cycle, "open", user)
    if problem is not None:
        raise problem
    created = []
    for country in cycle.countries:
        assessment = Assessment(
            cycle=cycle,
            country=country,
            questionnaire_version_id=cycle.questionnaire_version_id,
        )
        db.session.add(assessment)
        db.session.flush()
        if cycle.carry_over:
            previous = previous_finished(country, cycle)
            if previous is not None:
                answers.carry_over(previous, assessment, user)
        created.append(assessment)
    workflows.CYCLE.perform(cycle, "open", user, assessments=len(created))
    return created


def close_cycle(cycle: Cycle, user: User) -> None:
    """Close an open cycle: countries can no longer change their assessments.

    :raises Refused: when the cycle is not open.
    """
    workflows.CYCLE.perform(cycle, "close", user)


def previous_finished(country: Country, cycle: Cycle) -> Assessment | None:
    """Return the country's finished assessment of its latest closed cycle before ``cycle``."""
    return db.session.scalar(
        select(Assessment)
        .join(Assessment.cycle)
        .where(
            Assessment.country_id == country.id,
            Assessment.status.in_(FINISHED),
            Cycle.status == CycleStatus.CLOSED,
            Cycle.id != cycle.id,
        )
        .order_by(Cycle.closed_at.desc(), Cycle.id.desc())
        .limit(1)
    )
