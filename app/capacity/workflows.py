"""The transition table of needs (see ``app.core.workflow``): identified → requested → matched →
in delivery → delivered → closed, or declined with a reason; a matched need taken off its
activity goes back (to requested when the country asked for assistance); a coordinator may
re-open a closed or declined need. The services take these transitions; no code compares need
statuses."""

from __future__ import annotations

from contextvars import ContextVar

from flask_babel import lazy_gettext as _l

from app.core.permissions import can_manage_needs, can_request_assistance, is_signed_in
from app.core.workflow import Transition, Workflow
from app.models import NeedStatus

#: Needs still to be met.
OPEN = frozenset(
    {
        NeedStatus.IDENTIFIED,
        NeedStatus.REQUESTED,
        NeedStatus.MATCHED,
        NeedStatus.IN_DELIVERY,
        NeedStatus.DELIVERED,
    }
)

NEED_STATES = {
    "identified": (_l("Identified"), "text-bg-secondary"),
    "requested": (_l("Assistance requested"), "text-bg-info"),
    "matched": (_l("Matched with an activity"), "text-bg-primary"),
    "in_delivery": (_l("In delivery"), "text-bg-warning"),
    "delivered": (_l("Delivered"), "text-bg-success"),
    "closed": (_l("Closed"), "text-bg-dark"),
    "declined": (_l("Declined"), "text-bg-light border"),
}


def _has_requests(need) -> bool:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AssistanceRequest

    return (
        db.session.scalar(
            select(AssistanceRequest.id).where(AssistanceRequest.need_id == need.id).limit(1)
        )
        is not None
    )


def _not_requested(need):
    return _l("The country asked for assistance on this need.") if _has_requests(need) else None


def _requested(need):
    return None if _has_requests(need) else _l("The country has not asked for assistance yet.")


def _coordinator_or_country(user, need) -> bool:
    return can_manage_needs(user) or can_request_assistance(user, need)


#: Why a need was closed by a later review's better rating (``Need.closed_reason``).
IMPROVED = "improved"


#: Set while a finalised review records its needs (``app.capacity.needs.create_from_review``):
#: only then may ``improve`` and ``recur`` be taken, by whoever finalised it (the lead reviewer
#: or a coordinator). No page or API offers them.
BY_REVIEW: ContextVar[bool] = ContextVar("need_by_review", default=False)


def _finalises_reviews(user, need) -> bool:
    return BY_REVIEW.get() and is_signed_in(user)


def _closed_by_review(need):
    if need.closed_reason != IMPROVED:
        return _l("Only a need closed by a better rating comes back with a worse one.")
    return None


NEED = Workflow(
    kind="need",
    status_attribute="status",
    transitions=[
        Transition(
            name="request",
            sources=frozenset({NeedStatus.IDENTIFIED}),
            target=NeedStatus.REQUESTED,
            allowed=can_request_assistance,
            label=_l("Request assistance"),
        ),
        Transition(
            name="match",
            sources=frozenset({NeedStatus.IDENTIFIED, NeedStatus.REQUESTED}),
            target=NeedStatus.MATCHED,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Match with an activity"),
        ),
        Transition(
            name="unmatch",
            sources=frozenset({NeedStatus.MATCHED}),
            target=NeedStatus.IDENTIFIED,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Take off the activity"),
            guards=(_not_requested,),
        ),
        Transition(
            name="unmatch_requested",
            sources=frozenset({NeedStatus.MATCHED}),
            target=NeedStatus.REQUESTED,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Take off the activity"),
            guards=(_requested,),
        ),
        Transition(
            name="start_delivery",
            sources=frozenset({NeedStatus.MATCHED}),
            target=NeedStatus.IN_DELIVERY,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Mark in delivery"),
        ),
        Transition(
            name="deliver",
            sources=frozenset({NeedStatus.MATCHED, NeedStatus.IN_DELIVERY}),
            target=NeedStatus.DELIVERED,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Mark delivered"),
        ),
        Transition(
            name="close",
            sources=OPEN,
            target=NeedStatus.CLOSED,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Close the need"),
        ),
        Transition(
            name="decline",
            sources=frozenset({NeedStatus.IDENTIFIED, NeedStatus.REQUESTED, NeedStatus.MATCHED}),
            target=NeedStatus.DECLINED,
            allowed=_coordinator_or_country,
            label=_l("Decline the need"),
        ),
        Transition(
            name="reopen",
            sources=frozenset({NeedStatus.CLOSED, NeedStatus.DECLINED}),
            target=NeedStatus.IDENTIFIED,
            allowed=lambda user, need: can_manage_needs(user),
            label=_l("Re-open the need"),
        ),
        # A finalised review's better rating meets the need; a re-finalised one may undo that.
        Transition(
            name="improve",
            sources=OPEN,
            target=NeedStatus.CLOSED,
            allowed=_finalises_reviews,
            label=_l("Met by a better rating"),
        ),
        Transition(
            name="recur",
            sources=frozenset({NeedStatus.CLOSED}),
            target=NeedStatus.IDENTIFIED,
            allowed=_finalises_reviews,
            label=_l("Found again by the review"),
            guards=(_closed_by_review,),
        ),
    ],
    events={
        "request": "requested",
        "match": "matched",
        "unmatch": "unmatched",
        "unmatch_requested": "unmatched",
        "start_delivery": "delivery_started",
        "deliver": "delivered",
        "close": "closed",
        "decline": "declined",
        "reopen": "reopened",
        "improve": "closed_by_review",
        "recur": "found_again",
    },
    labels=NEED_STATES,
)
