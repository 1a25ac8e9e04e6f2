"""Demo activities for ``flask seed-demo``: a course delivered to Exampleland in 2026 that answers
the need its 2025 review found on Budapest Art. 16 (rated PC, with a recommendation), and a
mentoring programme planned for Demoland. Everything goes through the activities services, so the
statuses, the needs' moves and the audit trail are those a coordinator would have left."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from app.capacity import activities
from app.extensions import db
from app.models import Activity, Assessment, Cycle, Need, User

ROUND_2025 = "2025 round"

DELIVERED = {
    "title": "Expedited preservation of stored computer data: a course for prosecutors and judges",
    "provider": "Council of Europe, Cybercrime Programme Office (C-PROC)",
    "donor": "European Union",
    "starts_on": "2026-03-10",
    "ends_on": "2026-03-12",
    "format": "course",
    "location": "Exampleton, Exampleland",
    "online": False,
    "countries": ["XAB"],
    "institutions": "Prosecutor General's Office; Judicial Training Centre",
    "audiences": ["prosecutors", "judges"],
    "participants_women": 14,
    "participants_men": 11,
    "addresses": ["budapest:16", "budapest:17"],
    "outputs": (
        "25 prosecutors and judges trained; a model preservation order and a checklist for "
        "renewing it, handed to the Prosecutor General's Office; draft amendments extending "
        "preservation to 90 days, renewable, discussed with the Ministry of Justice."
    ),
}

PLANNED = {
    "title": "Mentoring the 24/7 point of contact: procedures, tests and handover",
    "provider": "UNODC Global Programme on Cybercrime",
    "donor": "Government of Norway",
    "starts_on": "2027-09-15",
    "ends_on": "2027-12-15",
    "format": "mentoring",
    "location": "Demo City, Demoland",
    "online": True,
    "countries": ["XAA"],
    "institutions": "National Police, High-Tech Crime Unit (24/7 point of contact)",
    "audiences": ["contact_point_staff", "police"],
    "addresses": ["budapest:35"],
    "outputs": None,
}


def _need_2025(code: str, ref: str) -> Need | None:
    """Return the need the country's 2025 review found on ``ref``, if the review made one."""
    return db.session.scalar(
        select(Need)
        .join(Assessment, Assessment.id == Need.assessment_id)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Cycle.name == ROUND_2025, Need.ref == ref, Need.country.has(code=code))
    )


def seed(users: Mapping[str, User], coordinator: User) -> list[str]:
    """Add the demo activities that are not in the register yet; return their titles.

    :param users: the demo accounts by e-mail (not needed yet: the coordinator keeps the
        register; kept for symmetry with the other demo seeds).
    :param coordinator: who enters the activities and matches the need.
    """
    known = set(db.session.scalars(select(Activity.title)))
    known_refs = activities.addressable()
    created = []
    for values in (DELIVERED, PLANNED):
        if values["title"] in known:
            continue
        checked = activities.check(values, known=known_refs)
        if checked.problems:  # a ref the loaded frameworks lack: leave it out
            values = {**values, "addresses": [r for r in values["addresses"] if r in known_refs]}
        activity = activities.create_activity(values, coordinator)
        if values["title"] == DELIVERED["title"]:
            need = _need_2025("XAB", "budapest:16")
            if need is not None:
                activities.link_need(activity, need.id, coordinator)
            activities.change_status(activity, "start_delivery", coordinator)
            activities.change_status(activity, "deliver", coordinator)
        created.append(activity.title)
    db.session.flush()
    return created
