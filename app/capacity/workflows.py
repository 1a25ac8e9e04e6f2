"""The transition table of needs (see ``app.core.workflow``): identified → requested → matched →
in delivery → delivered → closed, or declined with a reason; a coordinator may re-open a closed
or declined need. The services take these transitions; no code compares need statuses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.permissions import can_manage_needs, can_request_assistance
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


def _coordinator_or_country(user, need) -> bool:
    return can_manage_needs(user) or can_request_assistance(user, need)


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
    ],
    events={
        "request": "requested",
        "match": "matched",
        "start_delivery": "delivery_started",
        "deliver": "delivered",
        "close": "closed",
        "decline": "declined",
        "reopen": "reopened",
    },
    labels=NEED_STATES,
)
