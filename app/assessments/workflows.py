"""The transition tables of cycles and assessments (see ``app.core.workflow``).

Review adds its states to ``ASSESSMENT`` as transitions, not as new code paths.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.labels import ASSESSMENT_STATES, CYCLE_STATES
from app.core.permissions import can_answer, can_manage_cycles
from app.core.workflow import Transition, Workflow
from app.extensions import db
from app.i18n import country_name
from app.models import Assessment, AssessmentStatus, Country, Cycle, CycleStatus
from app.models.cycle import cycle_countries

#: The states in which the country's officials may change their answers.
COUNTRY_WRITES = frozenset({AssessmentStatus.DRAFT})


def _cycle_is_open(assessment: Assessment):
    if assessment.cycle.status is not CycleStatus.OPEN:
        return _l("This assessment cycle is closed; answers can no longer change.")
    return None


def _no_country_in_another_open_cycle(cycle: Cycle):
    codes = {country.id: country for country in cycle.countries}
    busy = db.session.execute(
        select(Country, Cycle.name)
        .join(cycle_countries, cycle_countries.c.country_id == Country.id)
        .join(Cycle, Cycle.id == cycle_countries.c.cycle_id)
        .where(
            Cycle.status == CycleStatus.OPEN,
            Cycle.id != cycle.id,
            Country.id.in_(sorted(codes)),
        )
        .order_by(Country.name)
    ).all()
    if busy:
        names = ", ".join(f"{country_name(country)} ({name})" for country, name in busy[:10])
        return _l(
            "A country may take part in one open cycle at a time; already in an open cycle: "
            "%(countries)s.",
            countries=names,
        )
    return None


CYCLE = Workflow(
    kind="cycle",
    status_attribute="status",
    transitions=[
        Transition(
            name="open",
            sources=frozenset({CycleStatus.DRAFT}),
            target=CycleStatus.OPEN,
            allowed=lambda user, cycle: can_manage_cycles(user),
            label=_l("Open the cycle"),
            confirm=_l("Open the cycle? Every participating country gets its assessment."),
            guards=(_no_country_in_another_open_cycle,),
            stamp=("opened_at", None),
        ),
        Transition(
            name="close",
            sources=frozenset({CycleStatus.OPEN}),
            target=CycleStatus.CLOSED,
            allowed=lambda user, cycle: can_manage_cycles(user),
            label=_l("Close the cycle"),
            confirm=_l("Close the cycle? Countries can no longer change their answers."),
            stamp=("closed_at", None),
        ),
    ],
    events={"open": "opened", "close": "closed"},
    labels=CYCLE_STATES,
)

ASSESSMENT = Workflow(
    kind="assessment",
    status_attribute="status",
    transitions=[
        Transition(
            name="submit",
            sources=COUNTRY_WRITES,
            target=AssessmentStatus.SUBMITTED,
            allowed=can_answer,
            label=_l("Submit the assessment"),
            guards=(_cycle_is_open,),
            stamp=("submitted_at", "submitted_by_id"),
        ),
    ],
    events={"submit": "submitted"},
    labels=ASSESSMENT_STATES,
)
