"""The transition table of capacity-building activities (see ``app.core.workflow``): planned →
in delivery → delivered, or cancelled. An activity entered after the fact may go from planned
to delivered at once. ``app.capacity.activities.change_status`` takes these transitions and
moves the matched needs on; no code compares activity statuses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.permissions import can_manage_needs
from app.core.workflow import Transition, Workflow
from app.models import ActivityStatus

ACTIVITY_STATES = {
    "planned": (_l("Planned"), "text-bg-secondary"),
    "in_delivery": (_l("In delivery"), "text-bg-warning"),
    "delivered": (_l("Delivered"), "text-bg-success"),
    "cancelled": (_l("Cancelled"), "text-bg-light border"),
}

#: Activities still to take place: needs may be matched with them and they may be cancelled.
UNDER_WAY = frozenset({ActivityStatus.PLANNED, ActivityStatus.IN_DELIVERY})


def _coordinator(user, activity) -> bool:
    return can_manage_needs(user)


ACTIVITY = Workflow(
    kind="activity",
    status_attribute="status",
    transitions=[
        Transition(
            name="start_delivery",
            sources=frozenset({ActivityStatus.PLANNED}),
            target=ActivityStatus.IN_DELIVERY,
            allowed=_coordinator,
            label=_l("Mark in delivery"),
        ),
        Transition(
            name="deliver",
            sources=UNDER_WAY,
            target=ActivityStatus.DELIVERED,
            allowed=_coordinator,
            label=_l("Mark delivered"),
            confirm=_l("Mark the activity delivered? Its matched needs will be marked delivered."),
        ),
        Transition(
            name="cancel",
            sources=UNDER_WAY,
            target=ActivityStatus.CANCELLED,
            allowed=_coordinator,
            label=_l("Cancel the activity"),
            confirm=_l("Cancel the activity? Its needs keep their status."),
        ),
    ],
    events={"start_delivery": "delivery_started", "deliver": "delivered", "cancel": "cancelled"},
    labels=ACTIVITY_STATES,
)

#: What each activity step asks of the needs matched with it (needs in another state stay).
NEED_STEPS = {"start_delivery": "start_delivery", "deliver": "deliver"}

#: Activities needs may be matched with: not cancelled ones (a delivered activity may be entered
#: after the fact, with the needs it met).
TAKES_NEEDS = UNDER_WAY | {ActivityStatus.DELIVERED}

#: The need steps a newly matched need takes to catch up with its activity's status.
CATCH_UP = {
    ActivityStatus.IN_DELIVERY: ("start_delivery",),
    ActivityStatus.DELIVERED: ("deliver",),
}
