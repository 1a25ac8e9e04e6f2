"""An assessment's own audit trail: the events recorded on it that a person may read
(``permissions.trail_filter`` decides which), each told as a sentence in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core.permissions import trail_filter
from app.extensions import db
from app.models import Assessment, AuditEvent, User

#: The most events a trail page lists.
LIMIT = 200


def trail(assessment: Assessment, user: User, limit: int = LIMIT) -> list[AuditEvent]:
    """Return the newest ``limit`` events of ``assessment``'s trail that ``user`` may read,
    newest first, with their actors (one query)."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == Assessment.__tablename__,
                AuditEvent.object_id == str(assessment.id),
                trail_filter(user, assessment),
            )
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Entry:
    """One event as the trail shows it: who, and what they did, in words (``event.created_at``
    says when)."""

    event: AuditEvent
    who: str
    what: str


def entries(assessment: Assessment, events: list[AuditEvent]) -> list[Entry]:
    """Return ``events`` as sentences in the user's language (at most two more queries: the
    reviewers named by assignments, and the frameworks' names when a provision is named)."""
    named = {
        ident
        for event in events
        if event.action == "assessment.reviewers_assigned"
        for ident in _after(event).values()
        if isinstance(ident, int)
    }
    people: dict[int, str] = {}
    if named:
        people = dict(
            db.session.execute(
                select(User.id, User.display_name).where(User.id.in_(sorted(named)))
            ).all()
        )
    words = _Words(assessment, people)
    return [Entry(event, _who(event), describe(event, words)) for event in events]


def _who(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.display_name or _("Someone")
    return _("The system") if not event.actor_email else _("Someone")


def _after(event: AuditEvent) -> dict[str, Any]:
    after = (event.summary or {}).get("after")
    return after if isinstance(after, dict) else {}


class _Words:
    """What sentences name, looked up once per page and only when needed."""

    def __init__(self, assessment: Assessment, people: Mapping[str | int, str]):
        self.assessment = assessment
        self.people = people
        self._provisions: dict[str, str] | None = None
        self._areas: dict[str, str] | None = None

    def provision(self, ref: Any) -> str:
        if self._provisions is None:
            from app.scoring.assessments import provision_labels

            self._provisions = provision_labels(self.assessment)
        return self._provisions.get(str(ref), str(ref))

    def area(self, area_id: Any) -> str:
        if self._areas is None:
            from app.assessments.answers import runtime
            from app.frameworks.words import localized

            questionnaire = runtime(self.assessment.questionnaire_version).questionnaire
            self._areas = {area.id: localized(area.title) for area in questionnaire.maturity_areas}
        return self._areas.get(str(area_id), str(area_id))

    def person(self, ident: Any) -> str:
        return self.people.get(ident) or _("a reviewer")


def _as_layer(layer: Any) -> str:
    return {
        "lead": _("as lead reviewer"),
        "second": _("as second reviewer"),
        "final": _("as the final rating"),
    }.get(layer, "")


def _with_reason(sentence: str, reason: Any) -> str:
    if not reason:
        return sentence
    return _("%(sentence)s: %(reason)s", sentence=sentence, reason=reason)


def _layered(sentence: str, summary: Mapping[str, Any]) -> str:
    role = _as_layer(summary.get("layer"))
    return _("%(sentence)s %(role)s", sentence=sentence, role=role) if role else sentence


def _provision_rated(event: AuditEvent, words: _Words) -> str:
    summary = event.summary or {}
    rating, derived = _after(event).get("rating"), summary.get("derived")
    where = words.provision(summary.get("provision"))
    if derived and rating != derived:
        said = _(
            "Rated %(provision)s %(rating)s (derived %(derived)s)",
            provision=where,
            rating=rating,
            derived=derived,
        )
    else:
        said = _("Rated %(provision)s %(rating)s, as derived", provision=where, rating=rating)
    return _with_reason(_layered(said, summary), summary.get("justification"))


def _stage_rated(event: AuditEvent, words: _Words) -> str:
    summary = event.summary or {}
    stage, derived = _after(event).get("stage", summary.get("stage")), summary.get("derived")
    area = words.area(summary.get("area"))
    if derived is not None and stage != derived:
        said = _(
            "Rated the maturity of %(area)s at stage %(stage)s (derived %(derived)s)",
            area=area,
            stage=stage,
            derived=derived,
        )
    else:
        said = _("Rated the maturity of %(area)s at stage %(stage)s, as derived", area=area,
                 stage=stage)  # fmt: skip
    return _with_reason(_layered(said, summary), summary.get("justification"))


def _adjudicated(event: AuditEvent, words: _Words) -> str:
    summary = event.summary or {}
    rating, derived = _after(event).get("rating"), summary.get("derived")
    where = words.provision(summary.get("provision"))
    if derived and rating != derived:
        said = _(
            "Settled the final rating of %(provision)s: %(rating)s (derived %(derived)s)",
            provision=where,
            rating=rating,
            derived=derived,
        )
    else:
        said = _(
            "Settled the final rating of %(provision)s: %(rating)s, as derived",
            provision=where,
            rating=rating,
        )
    return _with_reason(said, summary.get("justification"))


def _comment_added(event: AuditEvent, words: _Words) -> str:
    summary = event.summary or {}
    said = _("Commented on %(provision)s", provision=words.provision(summary.get("provision")))
    return _layered(said, summary)


def _recommended(event: AuditEvent, words: _Words) -> str:
    where = words.provision((event.summary or {}).get("provision"))
    said = _("Recommended on %(provision)s", provision=where)
    return _with_reason(said, _after(event).get("text"))


def _withdrawn(event: AuditEvent, words: _Words) -> str:
    where = words.provision((event.summary or {}).get("provision"))
    return _("Withdrew a recommendation on %(provision)s", provision=where)


def _judged(event: AuditEvent, words: _Words) -> str:
    where = words.provision((event.summary or {}).get("provision"))
    after = _after(event)
    said = {
        "implemented": _(
            "Judged the earlier recommendation on %(provision)s implemented satisfactorily",
            provision=where,
        ),
        "partly": _(
            "Judged the earlier recommendation on %(provision)s partly implemented",
            provision=where,
        ),
        "not": _(
            "Judged the earlier recommendation on %(provision)s not implemented",
            provision=where,
        ),
    }.get(
        after.get("follow_up"),
        _("Judged the earlier recommendation on %(provision)s", provision=where),
    )
    return _with_reason(said, after.get("comment"))


def _returned(event: AuditEvent, words: _Words) -> str:
    summary = event.summary or {}
    count, round_ = summary.get("questions"), summary.get("round")
    if not isinstance(count, int) or not isinstance(round_, int):
        return _("Returned to the country with questions")
    return ngettext(
        "Returned to the country with %(num)d question (round %(round)d)",
        "Returned to the country with %(num)d questions (round %(round)d)",
        count,
        round=round_,
    )


def _assigned(event: AuditEvent, words: _Words) -> str:
    after = _after(event)
    lead, second = after.get("lead"), after.get("second")
    if second:
        return _(
            "Assigned %(lead)s as lead reviewer and %(second)s as second reviewer",
            lead=words.person(lead),
            second=words.person(second),
        )
    return _("Assigned %(lead)s as lead reviewer", lead=words.person(lead))


def _replied(event: AuditEvent, words: _Words) -> str:
    return _with_reason(_("Replied to a question of the reviewer"), _after(event).get("reply"))


def _reopened(event: AuditEvent, words: _Words) -> str:
    reason = (event.summary or {}).get("reason")
    return _("Re-opened: %(reason)s", reason=reason) if reason else _("Re-opened the review")


#: action -> the sentence saying what the actor did.
SENTENCES: dict[str, Callable[[AuditEvent, _Words], str]] = {
    "assessment.submitted": lambda event, words: _("Submitted the assessment"),
    "assessment.review_started": lambda event, words: _("Started the review"),
    "assessment.returned_for_clarification": _returned,
    "assessment.resubmitted": lambda event, words: _("Resubmitted to the reviewer"),
    "assessment.finalised": lambda event, words: _("Finalised the review"),
    "assessment.published": lambda event, words: _("Published the results"),
    "assessment.reopened": _reopened,
    "assessment.reviewers_assigned": _assigned,
    "assessment.clarification_replied": _replied,
    "assessment.provision_rated": _provision_rated,
    "assessment.provision_adjudicated": _adjudicated,
    "assessment.stage_rated": _stage_rated,
    "assessment.comment_added": _comment_added,
    "assessment.recommendation_added": _recommended,
    "assessment.recommendation_withdrawn": _withdrawn,
    "assessment.recommendation_judged": _judged,
}


def describe(event: AuditEvent, words: _Words) -> str:
    """Return what the event's actor did, as a sentence (the action's name when unknown)."""
    sentence = SENTENCES.get(event.action)
    return sentence(event, words) if sentence else event.action
