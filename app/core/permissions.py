"""Who may do what: the role enum, ``can_*`` predicates and the view decorator.

Views never compare roles inline; they ask a predicate here. A country is a tenant: officials see
only their own country, and objects of other countries answer 404 so that their existence stays
private (``require_country_access``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

if TYPE_CHECKING:
    from app.models import Assessment, Country, User


class Role(enum.StrEnum):
    OFFICIAL = "official"
    REVIEWER = "reviewer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


#: The roles a coordinator may invite; admins may invite every role.
COORDINATOR_INVITABLE = frozenset({Role.OFFICIAL, Role.REVIEWER})


def is_signed_in(user: User | Any) -> bool:
    """Return whether ``user`` is an authenticated, active account."""
    return bool(getattr(user, "is_authenticated", False))


def can_view_country(user: User, country: Country) -> bool:
    """Officials see their own country; reviewers, coordinators and admins see every country."""
    if not is_signed_in(user):
        return False
    if user.role is Role.OFFICIAL:
        return user.country_id == country.id
    return True


def can_list_users(user: User) -> bool:
    """Coordinators and admins see the user list (coordinators to invite and follow officials)."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_invite(user: User, role: Role | None = None) -> bool:
    """Admins invite anyone; coordinators invite officials and reviewers."""
    if not is_signed_in(user):
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.COORDINATOR:
        return role is None or role in COORDINATOR_INVITABLE
    return False


def invitable_roles(user: User) -> list[Role]:
    """Return the roles ``user`` may give to a new account, in display order."""
    return [role for role in Role if can_invite(user, role)]


def can_manage_users(user: User) -> bool:
    """Only admins change roles and countries, deactivate and reactivate accounts."""
    return is_signed_in(user) and user.role is Role.ADMIN


def can_manage_countries(user: User) -> bool:
    """Coordinators and admins list countries and mark them as participating."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_browse_library(user: User) -> bool:
    """Reviewers, coordinators and admins browse the frameworks, questionnaires and coverage."""
    return is_signed_in(user) and user.role in (Role.REVIEWER, Role.COORDINATOR, Role.ADMIN)


def can_read_frameworks(user: User) -> bool:
    """Everyone signed in reads the frameworks' provisions and elements (officials follow the
    articles cited beside each question); they hold no country's data."""
    return is_signed_in(user)


def can_manage_cycles(user: User) -> bool:
    """Coordinators and admins create, open and close assessment cycles."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_export_cycles(user: User) -> bool:
    """Coordinators and admins download a cycle's exports (every country's final ratings)."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_see_dashboard(user: User) -> bool:
    """Coordinators and admins see the cycle dashboard (every country's final ratings)."""
    return can_export_cycles(user)


def can_keep_recommendation_library(user: User) -> bool:
    """Coordinators and admins keep the library of reusable recommendations, per provision."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def is_assigned_reviewer(user: User, assessment: Assessment) -> bool:
    """Whether ``user`` is a reviewer assigned to ``assessment`` (lead or second)."""
    return (
        is_signed_in(user)
        and user.role is Role.REVIEWER
        and user.id in (assessment.lead_reviewer_id, assessment.second_reviewer_id)
    )


def is_lead_reviewer(user: User, assessment: Assessment) -> bool:
    """Whether ``user`` is the lead reviewer of ``assessment``: they start the review, ask for
    clarification and finalise."""
    return (
        is_signed_in(user) and user.role is Role.REVIEWER and user.id == assessment.lead_reviewer_id
    )


def can_coordinate_reviews(user: User, assessment: Assessment | None = None) -> bool:
    """Coordinators and admins assign reviewers, publish finalised assessments and re-open them."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_adjudicate(user: User, assessment: Assessment) -> bool:
    """Where a cycle asks for a second reviewer, the lead reviewer or a coordinator settles the
    final rating of each provision from the two reviewers' ratings."""
    return assessment.cycle.second_review and (
        is_lead_reviewer(user, assessment) or can_coordinate_reviews(user, assessment)
    )


def can_see_other_layer(user: User, assessment: Assessment, own_layer_done: bool) -> bool:
    """Two reviewers rate independently: a reviewer sees the other's ratings and comments only
    once the review is finished, or (the lead) once they have rated every provision themselves,
    to adjudicate. Coordinators see both layers at any time."""
    from app.models import AssessmentStatus

    if can_coordinate_reviews(user, assessment):
        return True
    if not is_assigned_reviewer(user, assessment):
        return False
    if assessment.status in (AssessmentStatus.FINALISED, AssessmentStatus.PUBLISHED):
        return True
    return is_lead_reviewer(user, assessment) and own_layer_done


def can_manage_needs(user: User) -> bool:
    """Coordinators and admins keep the needs register and the activities register, and match
    needs with activities."""
    return is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def can_request_assistance(user: User, need: Any) -> bool:
    """A country's officials ask for assistance on their country's needs and set their
    priority."""
    return (
        is_signed_in(user)
        and user.role is Role.OFFICIAL
        and user.country_id is not None
        and user.country_id == need.country_id
    )


def can_see_needs(user: User, country_id: int | None) -> bool:
    """Coordinators, admins and reviewers see every country's needs; officials their own."""
    if not is_signed_in(user):
        return False
    if user.role in (Role.COORDINATOR, Role.ADMIN, Role.REVIEWER):
        return True
    return user.role is Role.OFFICIAL and country_id is not None and user.country_id == country_id


def visible_needs(user: User) -> ColumnElement[bool]:
    """Return the condition on needs, joined with the assessment that found them, that ``user``
    may see: what ``can_see_needs`` says, and for officials only once that review is published
    (the final ratings behind a need are not theirs to read before)."""
    from app.models import Assessment, AssessmentStatus, Need

    if not is_signed_in(user):
        return false()
    if user.role in (Role.COORDINATOR, Role.ADMIN, Role.REVIEWER):
        return true()
    if user.role is Role.OFFICIAL and user.country_id is not None:
        return and_(
            Need.country_id == user.country_id, Assessment.status == AssessmentStatus.PUBLISHED
        )
    return false()


def can_see_activity(user: User, activity: Any) -> bool:
    """Coordinators, admins and reviewers see every capacity-building activity; officials those
    whose beneficiaries include their country (``visible_activities`` says the same as a query)."""
    if not is_signed_in(user):
        return False
    if user.role in (Role.COORDINATOR, Role.ADMIN, Role.REVIEWER):
        return True
    return (
        user.role is Role.OFFICIAL
        and user.country_id is not None
        and any(country.id == user.country_id for country in activity.countries)
    )


def visible_activities(user: User) -> Select:
    """Return the query of the activities ``user`` may see, the latest start first."""
    from app.models import Activity, Country

    query = select(Activity).order_by(Activity.starts_on.desc(), Activity.id.desc())
    if not is_signed_in(user):
        return query.where(false())
    if user.role in (Role.COORDINATOR, Role.ADMIN, Role.REVIEWER):
        return query
    if user.role is Role.OFFICIAL and user.country_id is not None:
        return query.where(Activity.countries.any(Country.id == user.country_id))
    return query.where(false())


def can_read_directory(user: User) -> bool:
    """The 24/7 directory and the industry contact list are never public: coordinators,
    reviewers and the officials of participating countries read them."""
    if not is_signed_in(user):
        return False
    if user.role in (Role.COORDINATOR, Role.ADMIN, Role.REVIEWER):
        return True
    return (
        user.role is Role.OFFICIAL and user.country is not None and bool(user.country.participating)
    )


def can_keep_contact(user: User, country_id: int | None) -> bool:
    """Coordinators keep every country's 24/7 contacts; officials keep their own country's (and
    the liaison points of providers established in it)."""
    if not is_signed_in(user):
        return False
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return True
    return user.role is Role.OFFICIAL and country_id is not None and user.country_id == country_id


def can_see_ratings(user: User, assessment: Assessment) -> bool:
    """The assessment's reviewers and coordinators see its ratings as they are made; the
    country's officials once they are published."""
    from app.models import AssessmentStatus

    if not can_view_assessment(user, assessment):
        return False
    if user.role is Role.OFFICIAL:
        return assessment.status is AssessmentStatus.PUBLISHED
    return True


def can_view_assessment(user: User, assessment: Assessment) -> bool:
    """Officials see their country's assessments; a reviewer sees those assigned to them;
    coordinators and admins see all."""
    if not is_signed_in(user):
        return False
    if user.role is Role.OFFICIAL:
        return user.country_id == assessment.country_id
    if user.role is Role.REVIEWER:
        return is_assigned_reviewer(user, assessment)
    return True


def visible_assessments(user: User) -> Select:
    """Return the query of the assessments ``user`` may see, newest cycle first.

    The one place that decides it: home pages, the assessment list and the API list use it, and
    ``can_view_assessment`` says the same for one assessment.
    """
    from app.models import Assessment, Cycle

    query = select(Assessment).join(Assessment.cycle).order_by(Cycle.id.desc(), Assessment.id)
    if not is_signed_in(user):
        return query.where(false())
    if user.role is Role.OFFICIAL:
        return query.where(Assessment.country_id == user.country_id)
    if user.role is Role.REVIEWER:
        return query.where(
            or_(Assessment.lead_reviewer_id == user.id, Assessment.second_reviewer_id == user.id)
        )
    return query


def can_answer(user: User, assessment: Assessment) -> bool:
    """Only the country's officials answer its questionnaire (whether it is still open is the
    service's rule)."""
    return (
        is_signed_in(user)
        and user.role is Role.OFFICIAL
        and user.country_id == assessment.country_id
    )


def require_assessment_access(user: User, assessment: Assessment) -> None:
    """Abort with 404 unless ``user`` may see ``assessment``."""
    if not can_view_assessment(user, assessment):
        abort(404)


def who_may_grant(user: User) -> str:
    """Return whom ``user`` should ask for what their role does not allow: ``admin`` for
    coordinators (only administrators are above them), else ``staff``."""
    if is_signed_in(user) and user.role in (Role.COORDINATOR, Role.ADMIN):
        return "admin"
    return "staff"


def can_view_audit(user: User) -> bool:
    """Only admins read the audit trail."""
    return is_signed_in(user) and user.role is Role.ADMIN


#: The assessment's transitions, as audited (``app.assessments.workflows.ASSESSMENT.events``).
TRANSITION_EVENTS = frozenset(
    {
        "assessment.submitted",
        "assessment.review_started",
        "assessment.returned_for_clarification",
        "assessment.resubmitted",
        "assessment.finalised",
        "assessment.published",
        "assessment.reopened",
    }
)
#: Ratings given in a layer (``summary["layer"]``).
RATING_EVENTS = frozenset(
    {"assessment.provision_rated", "assessment.provision_adjudicated", "assessment.stage_rated"}
)
#: What the country's officials read of their assessment's trail, whatever its status: its
#: transitions, the reviewers' questions and their replies, who reviews it.
COUNTRY_EVENTS = TRANSITION_EVENTS | {
    "assessment.clarification_replied",
    "assessment.reviewers_assigned",
}


def trail_filter(user: User, assessment: Assessment) -> ColumnElement[bool]:
    """Return the condition on ``AuditEvent`` rows of ``assessment``'s trail that ``user`` may
    read: the one place deciding who sees which events of an assessment.

    Coordinators and admins read everything. An assigned reviewer reads everything but, until
    the review is finalised, what the other reviewer did in their own layer (ratings, comments:
    the two rate independently), and the second reviewer the final layer too. The country's
    officials read the allow-list ``COUNTRY_EVENTS`` and, once the results are published, the
    ratings that made the final ones; never a reviewer's working layer, comments or
    recommendations (they read the published recommendations on their page). Anyone else:
    nothing.
    """
    from app.assessments import review, workflows
    from app.models import AssessmentStatus, AuditEvent

    if not can_view_assessment(user, assessment):
        return false()
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return true()
    layer = AuditEvent.summary["layer"].as_string()
    if user.role is Role.REVIEWER:
        if assessment.status in workflows.DONE:
            return true()
        own = review.layer_of(assessment, user)
        # The lead settles the final layer; the second reviewer would read the lead's view in
        # it (an adjudication names both ratings), so sees only their own layer until the end.
        return or_(layer.is_(None), layer.in_([own, "final"] if own == "lead" else [own]))
    if user.role is not Role.OFFICIAL:
        return false()
    allowed = AuditEvent.action.in_(sorted(COUNTRY_EVENTS))
    if assessment.status is not AssessmentStatus.PUBLISHED:
        return allowed
    action = AuditEvent.action
    # The final layer's ratings: adjudicated ones; the lead's confirmations of maturity stages,
    # which are final as given; and the lead's ratings where the cycle has no second reviewer,
    # which are stored as the final ones too (``review.rate``, ``review.rate_stages``).
    final = [and_(action.in_(sorted(RATING_EVENTS)), layer == "final")]
    final.append(action == "assessment.stage_rated")
    if not assessment.cycle.second_review:
        final.append(and_(action == "assessment.provision_rated", layer == "lead"))
    return or_(allowed, *final)


def require(predicate: Callable[[User], bool]) -> Callable:
    """Decorate a view so that it answers 403 unless ``predicate(current_user)`` holds.

    Anonymous users are sent to the sign-in page first (Flask-Login's ``unauthorized``).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not is_signed_in(current_user):
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_country_access(user: User, country: Country) -> None:
    """Abort with 404 unless ``user`` may see ``country`` (its existence stays private)."""
    if not can_view_country(user, country):
        abort(404)
