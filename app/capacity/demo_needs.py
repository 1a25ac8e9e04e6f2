"""Demo needs for ``flask seed-demo``: the needs come from the 2025 round's published reviews
(finalising a review records them, ``app.capacity.needs.create_from_review``), with the target
maturity stages the coordinator set for that round; then Exampleland and Demoland each ask for
assistance on one of theirs.

Everything goes through the services, so statuses, history and the audit trail are those a user
would have left. Safe to run again: a country that asked already is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from app.capacity import needs
from app.capacity.workflows import OPEN
from app.extensions import db
from app.models import Assessment, AssistanceRequest, Country, Cycle, Need, User

#: The target stage of the capability areas in the 2025 round: a designated, working 24/7 point
#: of contact, and regular training (``cycles.create_cycle(..., maturity_targets=...)``).
TARGETS_2025 = {"contact_point": 2, "training": 2}

#: What each country asks for: (country code, the needs to ask on, in order of preference as
#: (kind, ref), the request's type, target institution, priority and description).
REQUESTS = [
    (
        "XAB",
        [("provision", "budapest:16")],
        "legislative_advice",
        "Ministry of Justice, criminal legislation department",
        1,
        "Advice on amending the Code of Criminal Procedure so that preservation orders last 90 "
        "days and can be renewed, with a comparative note on how other Parties did it.",
    ),
    (
        "XAA",
        [("area", "contact_point"), ("provision", "un-cybercrime:15")],
        "training",
        "National police, 24/7 point of contact",
        2,
        "A two-day course for the 24/7 duty officers on handling preservation requests from "
        "abroad, with a reachability exercise at the end.",
    ),
]


def _needs_of(code: str, round_name: str) -> list[Need]:
    return list(
        db.session.scalars(
            select(Need)
            .join(Assessment, Assessment.id == Need.assessment_id)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .join(Country, Country.id == Need.country_id)
            .where(Country.code == code, Cycle.name == round_name)
            .order_by(Need.id)
        )
    )


def seed(users: Mapping[str, User], coordinator: User) -> None:
    """Have Exampleland (priority 1) and Demoland each ask for assistance on one of the needs
    their 2025 review found, unless they asked already.

    :param users: the demo accounts by e-mail (the officials of ``app.demo.OFFICIALS``).
    :param coordinator: the demo coordinator (kept for symmetry with the other demo seeds).
    """
    from app import demo

    for code, preferred, kind, institution, priority, description in REQUESTS:
        found = _needs_of(code, demo.ROUND_2025)
        if not found:
            continue
        asked = db.session.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.need_id.in_([need.id for need in found])
            )
        )
        if asked:
            continue
        by_key = {(need.kind, need.ref): need for need in found if need.status in OPEN}
        need = next((by_key[key] for key in preferred if key in by_key), None)
        need = need or next(iter(by_key.values()), None)
        if need is None:
            continue
        official = users[demo.OFFICIALS[code]]
        needs.request_assistance(need, kind, institution, priority, description, official)
    db.session.flush()
