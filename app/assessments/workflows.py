"""The transition tables of cycles and assessments (see ``app.core.workflow``).

Review adds its states to ``ASSESSMENT`` as transitions, not as new code paths.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.labels import ASSESSMENT_STATES, CYCLE_STATES
from app.core.permissions import (
    can_answer,
    can_coordinate_reviews,
    can_manage_cycles,
    is_lead_reviewer,
)
from app.core.workflow import Transition, Workflow
from app.extensions import db
from app.i18n import country_name
from app.models import Assessment, AssessmentStatus, Country, Cycle, CycleStatus
from app.models.cycle import cycle_countries

#: The states in which the country's officials may change their answers: while they prepare it
#: (the cycle open), and when a reviewer returned it with questions (whatever the cycle).
COUNTRY_WRITES = frozenset({AssessmentStatus.DRAFT, AssessmentStatus.CLARIFICATION})
#: Waiting for a reviewer to start (or resume) the review.
AWAITING_REVIEW = frozenset({AssessmentStatus.SUBMITTED, AssessmentStatus.RESUBMITTED})
#: Reviewed to the end: ratings are final.
DONE = frozenset({AssessmentStatus.FINALISED, AssessmentStatus.PUBLISHED})


def _cycle_is_open(assessment: Assessment):
    if assessment.cycle.status is not CycleStatus.OPEN:
        return _l("This assessment cycle is closed; answers can no longer change.")
    return None


def _lead_assigned(assessment: Assessment):
    if assessment.lead_reviewer_id is None:
        return _l("Assign a lead reviewer first.")
    return None


def _all_replied(assessment: Assessment):
    from app.assessments import review

    unanswered = review.open_clarifications(assessment)
    if unanswered:
        return _l(
            "Reply to every question of the reviewer before resubmitting (%(num)d left).",
            num=len(unanswered),
        )
    return None


def _every_provision_rated(assessment: Assessment):
    from app.assessments import review

    missing = review.unrated(assessment, "final")
    if missing and assessment.cycle.second_review:
        return _l(
            "Settle the final rating of every provision before finalising: %(num)d left, "
            "disagreements included (first: %(first)s).",
            num=len(missing),
            first=missing[0],
        )
    if missing:
        return _l(
            "Rate every provision before finalising: %(num)d without an up-to-date rating "
            "(first: %(first)s).",
            num=len(missing),
            first=missing[0],
        )
    areas = review.unrated_stages(assessment)
    if areas:
        return _l(
            "Confirm the maturity stage of every capability area before finalising: %(num)d "
            "left (first: %(first)s).",
            num=len(areas),
            first=areas[0],
        )
    return None


def _questions_asked(assessment: Assessment):
    from app.assessments import review  # the open questions are review's business

    if not review.open_clarifications(assessment):
        return _l("Ask at least one question before returning the assessment to the country.")
    return None


def _recommendations_complete(assessment: Assessment):
    from app.assessments import recommendations  # recommendations are review's business too

    return recommendations.finalise_refusal(assessment)


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
            sources=frozenset({AssessmentStatus.DRAFT}),
            target=AssessmentStatus.SUBMITTED,
            allowed=can_answer,
            label=_l("Submit the assessment"),
            guards=(_cycle_is_open,),
            stamp=("submitted_at", "submitted_by_id"),
        ),
        Transition(
            name="start_review",
            sources=AWAITING_REVIEW,
            target=AssessmentStatus.IN_REVIEW,
            allowed=is_lead_reviewer,
            label=_l("Start the review"),
            guards=(_lead_assigned,),
            stamp=("review_started_at", None),
        ),
        Transition(
            name="request_clarification",
            sources=frozenset({AssessmentStatus.IN_REVIEW}),
            target=AssessmentStatus.CLARIFICATION,
            allowed=is_lead_reviewer,
            label=_l("Return to the country with the questions"),
            confirm=_l("Return the assessment to the country? Its officials can then change it."),
            guards=(_questions_asked,),
        ),
        Transition(
            name="resubmit",
            sources=frozenset({AssessmentStatus.CLARIFICATION}),
            target=AssessmentStatus.RESUBMITTED,
            allowed=can_answer,
            label=_l("Resubmit to the reviewer"),
            guards=(_all_replied,),
        ),
        Transition(
            name="finalise",
            sources=frozenset({AssessmentStatus.IN_REVIEW}),
            target=AssessmentStatus.FINALISED,
            allowed=is_lead_reviewer,
            label=_l("Finalise the review"),
            guards=(_every_provision_rated, _recommendations_complete),
            confirm=_l(
                "Finalise the review? The ratings can then change only if a coordinator "
                "re-opens it."
            ),
            stamp=("finalised_at", "finalised_by_id"),
        ),
        Transition(
            name="publish",
            sources=frozenset({AssessmentStatus.FINALISED}),
            target=AssessmentStatus.PUBLISHED,
            allowed=can_coordinate_reviews,
            label=_l("Publish the results"),
            confirm=_l("Publish? The country's officials will see the final ratings."),
            stamp=("published_at", "published_by_id"),
        ),
        Transition(
            name="reopen",
            sources=DONE,
            target=AssessmentStatus.IN_REVIEW,
            allowed=can_coordinate_reviews,
            label=_l("Re-open the review"),
        ),
    ],
    events={
        "submit": "submitted",
        "start_review": "review_started",
        "request_clarification": "returned_for_clarification",
        "resubmit": "resubmitted",
        "finalise": "finalised",
        "publish": "published",
        "reopen": "reopened",
    },
    labels=ASSESSMENT_STATES,
)
