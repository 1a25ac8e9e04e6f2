"""Cycles: prepare, open (one draft assessment per participating country, with answers carried
over) and close. Services flush but never commit; status changes go through the cycle workflow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.assessments import answers, workflows
from app.core import audit
from app.core.errors import Invalid, Refused
from app.extensions import db
from app.i18n import by_country_name
from app.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Country,
    Cycle,
    CycleStatus,
    QuestionnaireVersion,
    User,
)

#: The states of an assessment that count as finished (answers to carry over, earlier results).
#: Submitted at least once: what a later cycle carries over (the latest answers).
FINISHED = frozenset(AssessmentStatus) - {AssessmentStatus.DRAFT}


def create_cycle(
    name: str,
    version: QuestionnaireVersion,
    deadline: date,
    countries: list[Country],
    *,
    carry_over: bool,
    user: User,
    second_review: bool = False,
    past_deadline: bool = False,
    maturity_targets: Mapping[str, int] | None = None,
) -> Cycle:
    """Prepare a cycle (status draft).

    :param past_deadline: accept a deadline already past (recording an earlier round, as the
        demo does); the pages never do.
    :param maturity_targets: capability area id -> the stage (1 to 5) each country should reach;
        an area finally below it becomes a capacity-building need.
    :raises Invalid: when the name is taken, the deadline is past, no country participates or a
        target is not a stage of an area of the version (``maturity_targets``).
    """
    _check(name, deadline, countries, past_deadline=past_deadline)
    targets = _targets(version, maturity_targets)
    cycle = Cycle(
        name=name.strip(),
        questionnaire_version=version,
        deadline=deadline,
        countries=countries,
        carry_over=carry_over,
        second_review=second_review,
        maturity_targets=targets,
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


def _targets(version: QuestionnaireVersion, targets: Mapping[str, int] | None) -> dict[str, int]:
    """Return the target stage of each capability area (0 or none: no target), or raise."""
    from app.scoring.assessments import rules_for

    areas = {area.id for area in rules_for(version).areas}
    result = {}
    for area, stage in (targets or {}).items():
        if area not in areas:
            raise Invalid(
                _l("The questionnaire version has no capability area “%(area)s”.", area=area),
                field="maturity_targets",
            )
        if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= 5:
            raise Invalid(_l("Choose a target stage from 0 (none) to 5."), field="maturity_targets")
        if stage:
            result[area] = stage
    return result


def _check(
    name: str, deadline: date, countries: list[Country], *, past_deadline: bool, cycle=None
) -> None:
    taken = select(Cycle.id).where(Cycle.name == name.strip())
    if cycle is not None:
        taken = taken.where(Cycle.id != cycle.id)
    if db.session.scalar(taken):
        raise Invalid(_l("A cycle with this name already exists."), field="name")
    if deadline < date.today() and not past_deadline:
        raise Invalid(_l("The deadline is in the past; choose a later date."), field="deadline")
    if not countries:
        raise Invalid(_l("Choose at least one participating country."), field="countries")


def update_cycle(
    cycle: Cycle,
    name: str,
    version: QuestionnaireVersion,
    deadline: date,
    countries: list[Country],
    *,
    carry_over: bool,
    user: User,
    second_review: bool = False,
    maturity_targets: Mapping[str, int] | None = None,
) -> Cycle:
    """Change a cycle still in preparation; return it.

    :raises Refused: when the cycle was opened already.
    :raises Invalid: as ``create_cycle``.
    """
    if cycle.status is not CycleStatus.DRAFT:
        raise Refused(_l("Only a cycle in preparation can be changed."))
    _check(name, deadline, countries, past_deadline=False, cycle=cycle)
    targets = _targets(version, maturity_targets)
    before = _summary(cycle)
    cycle.name = name.strip()
    cycle.questionnaire_version = version
    cycle.deadline = deadline
    cycle.countries = countries
    cycle.carry_over = carry_over
    cycle.second_review = second_review
    cycle.maturity_targets = targets
    after = _summary(cycle)
    if before != after:
        audit.record("cycle.updated", actor=user, obj=cycle, before=before, after=after)
    return cycle


def delete_cycle(cycle: Cycle, user: User) -> None:
    """Delete a cycle still in preparation (no country has an assessment in it yet).

    :raises Refused: when the cycle was opened already.
    """
    if cycle.status is not CycleStatus.DRAFT:
        raise Refused(_l("Only a cycle in preparation can be deleted."))
    audit.record("cycle.deleted", actor=user, obj=cycle, before=_summary(cycle))
    db.session.delete(cycle)


def _summary(cycle: Cycle) -> dict:
    return {
        "name": cycle.name,
        "questionnaire_version": cycle.questionnaire_version.content_hash[:12],
        "deadline": cycle.deadline.isoformat(),
        "countries": sorted(country.code for country in cycle.countries),
        "carry_over": cycle.carry_over,
        "second_review": cycle.second_review,
        "maturity_targets": dict(sorted((cycle.maturity_targets or {}).items())),
    }


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


@dataclass(frozen=True)
class CountryProgress:
    """Where one country stands in a cycle: its assessment, required answers, last activity."""

    assessment: Assessment
    answered_required: int
    required: int
    last_activity: datetime | None
    last_by: str | None

    @property
    def percent(self) -> int:
        return round(100 * self.answered_required / self.required) if self.required else 100


def progress(cycle: Cycle) -> list[CountryProgress]:
    """Return every country's progress in ``cycle``, by country name (three queries in all)."""
    assessments = by_country_name(
        db.session.scalars(select(Assessment).where(Assessment.cycle_id == cycle.id)),
        lambda assessment: assessment.country,
    )
    ids = [assessment.id for assessment in assessments]
    values: dict[int, dict] = {assessment_id: {} for assessment_id in ids}
    for assessment_id, question_id, value in db.session.execute(
        select(Answer.assessment_id, Answer.question_id, Answer.value).where(
            Answer.assessment_id.in_(ids)
        )
    ):
        values[assessment_id][question_id] = value
    latest = (
        select(Answer.assessment_id, func.max(Answer.updated_at).label("at"))
        .where(Answer.assessment_id.in_(ids))
        .group_by(Answer.assessment_id)
        .subquery()
    )
    last: dict[int, tuple] = {}
    for assessment_id, at, name in db.session.execute(
        select(Answer.assessment_id, Answer.updated_at, User.display_name)
        .join(
            latest,
            (latest.c.assessment_id == Answer.assessment_id) & (latest.c.at == Answer.updated_at),
        )
        .outerjoin(User, User.id == Answer.updated_by_id)
    ):
        last[assessment_id] = (at, name)
    result = []
    for assessment in assessments:
        runtime = answers.runtime(assessment.questionnaire_version)
        given = values[assessment.id]
        visible = runtime.visibility(given)
        sections = runtime.progress(given, visible).values()
        at, name = last.get(assessment.id, (None, None))
        result.append(
            CountryProgress(
                assessment,
                sum(p.answered_required for p in sections),
                sum(p.required for p in sections),
                at,
                name,
            )
        )
    return result
