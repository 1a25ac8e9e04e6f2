"""Review of a submitted assessment: assigning reviewers, the review's transitions, and the
clarification questions a reviewer sends back to the country. Services take model objects and
plain values, flush but never commit, and write the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.assessments import workflows
from app.assessments.answers import lock, runtime
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Forbidden, Invalid, Refused
from app.extensions import db
from app.models import Assessment, AssessmentStatus, Clarification, ProvisionRating, User
from app.models.user import Role

TEXT_MAX = 5000
#: At most this many questions in one return to the country.
ITEMS_MAX = 50


def _reviewer(email: str | None, field: str) -> User | None:
    """Return the active reviewer with this e-mail address (None for none given)."""
    if email is None or not str(email).strip():
        return None
    user = db.session.scalar(
        select(User).where(func.lower(User.email) == str(email).strip().lower())
    )
    if user is None or not user.active:
        raise Invalid(_l("No active account has this e-mail address."), field=field)
    if user.role is not Role.REVIEWER:
        raise Invalid(_l("Only a reviewer can be assigned to review an assessment."), field=field)
    return user


def assign_reviewers(
    assessment: Assessment, lead: str | None, second: str | None, user: User
) -> None:
    """Assign (or change) the lead and second reviewers, by e-mail address.

    :raises Forbidden: unless ``user`` coordinates reviews.
    :raises Invalid: naming the field: an unknown, inactive or non-reviewer account, the same
        person twice, a second reviewer where the cycle asks for none, or no lead.
    :raises Refused: once the review is finalised or published.
    """
    from app.core.permissions import can_coordinate_reviews

    if not can_coordinate_reviews(user, assessment):
        raise Forbidden(_l("Only coordinators assign reviewers."))
    lock(assessment)
    if assessment.status in workflows.DONE:
        raise Invalid(
            _l("The review is finalised: re-open it before changing its reviewers."), field="lead"
        )
    lead_user = _reviewer(lead, "lead")
    if lead_user is None:
        raise Invalid(_l("Choose the lead reviewer."), field="lead")
    second_user = _reviewer(second, "second")
    if second_user is not None and not assessment.cycle.second_review:
        raise Invalid(_l("This cycle asks for no second reviewer."), field="second")
    if second_user is not None and second_user.id == lead_user.id:
        raise Invalid(_l("The second reviewer must be another person."), field="second")
    before = {"lead": assessment.lead_reviewer_id, "second": assessment.second_reviewer_id}
    assessment.lead_reviewer_id = lead_user.id
    assessment.second_reviewer_id = second_user.id if second_user else None
    audit.record(
        "assessment.reviewers_assigned",
        actor=user,
        obj=assessment,
        before=before,
        after={"lead": lead_user.id, "second": assessment.second_reviewer_id},
        lead=lead_user.email,
        second=second_user.email if second_user else None,
    )


def perform(assessment: Assessment, action: str, user: User, reason: str | None = None) -> None:
    """Take one of the review's transitions (``start_review``, ``resubmit``, ``finalise``,
    ``publish``, ``reopen``); re-opening needs a reason.

    :raises Refused: (409) when the status does not allow it, with the reason.
    :raises Forbidden: when ``user`` may not take it.
    :raises Invalid: re-opening without a reason.
    """
    lock(assessment)
    details = {}
    if action == "reopen":
        reason = (reason or "").strip()
        if not reason:
            raise Invalid(_l("Say why the review is re-opened."), field="reason")
        if len(reason) > TEXT_MAX:
            raise Invalid(_l("Keep the reason under 5,000 characters."), field="reason")
        details["reason"] = reason
    workflows.ASSESSMENT.perform(
        assessment, action, user, country=assessment.country.code, cycle=assessment.cycle.name,
        **details,
    )  # fmt: skip


@dataclass(frozen=True)
class Item:
    """A question for the country: its text, and the question of the questionnaire it is on."""

    text: str
    question_id: str | None = None


def request_clarification(assessment: Assessment, items: Iterable[Item], user: User) -> int:
    """Return the assessment to the country with questions; return the round's number.

    :raises Invalid: no question, an empty or too long text, an unknown question id.
    :raises Refused/Forbidden: as the transition does.
    """
    lock(assessment)
    refusal = workflows.ASSESSMENT.refusal(assessment, "request_clarification", user, guards=False)
    if refusal is not None:
        raise refusal  # a wrong status or person: say so before looking at the questions
    questions = runtime(assessment.questionnaire_version).questions
    cleaned = []
    for index, item in enumerate(items):
        text = (item.text or "").strip()
        if not text:
            continue
        if len(text) > TEXT_MAX:
            raise Invalid(_l("Keep each question under 5,000 characters."), field=f"items.{index}")
        if item.question_id and item.question_id not in questions:
            raise Invalid(_l("No such question in this questionnaire."), field=f"items.{index}")
        cleaned.append(Item(text, item.question_id or None))
    if not cleaned:
        raise Invalid(_l("Ask at least one question."), field="items")
    if len(cleaned) > ITEMS_MAX:
        raise Invalid(_l("Ask at most 50 questions at once."), field="items")
    round_ = (
        db.session.scalar(
            select(func.max(Clarification.round)).where(
                Clarification.assessment_id == assessment.id
            )
        )
        or 0
    ) + 1
    now = utcnow()
    db.session.add_all(
        Clarification(
            assessment_id=assessment.id,
            round=round_,
            question_id=item.question_id,
            text=item.text,
            asked_at=now,
            asked_by_id=user.id,
        )
        for item in cleaned
    )
    db.session.flush()
    workflows.ASSESSMENT.perform(
        assessment, "request_clarification", user, questions=len(cleaned), round=round_
    )
    return round_


def open_clarifications(assessment: Assessment) -> list[Clarification]:
    """Return the questions of the latest round still without a reply (one query)."""
    return [item for item in clarifications(assessment) if item.reply is None and item.latest]


def clarifications(assessment: Assessment) -> list[Clarification]:
    """Return every question asked, oldest round first; ``latest`` marks the last round's."""
    items = list(
        db.session.scalars(
            select(Clarification)
            .where(Clarification.assessment_id == assessment.id)
            .order_by(Clarification.round, Clarification.id)
        )
    )
    last = max((item.round for item in items), default=0)
    for item in items:
        item.latest = item.round == last
    return items


def reply(assessment: Assessment, clarification_id: int, text: str, user: User) -> Clarification:
    """Record the country's reply to one question (while the assessment is with the country).

    :raises Invalid: an empty or too long reply.
    :raises Refused: when the assessment is not awaiting the country's replies.
    """
    from app.assessments.answers import ensure_editable
    from app.core.errors import NotFound
    from app.core.permissions import can_answer

    if not can_answer(user, assessment):
        raise Forbidden(_l("Only the country's officials reply."))
    lock(assessment)
    ensure_editable(assessment)
    item = db.session.get(Clarification, clarification_id)
    if item is None or item.assessment_id != assessment.id:
        raise NotFound(_l("No such question."))
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("Write a reply."), field="reply")
    if len(text) > TEXT_MAX:
        raise Invalid(_l("Keep the reply under 5,000 characters."), field="reply")
    before = item.reply
    item.reply, item.replied_at, item.replied_by_id = text, utcnow(), user.id
    audit.record(
        "assessment.clarification_replied",
        actor=user,
        obj=assessment,
        before={"reply": before},
        after={"reply": text},
        clarification=item.id,
    )
    return item


def reviewers() -> list[User]:
    """Return the active reviewers, by name (for the assignment form)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.REVIEWER, User.active.is_(True))
            .order_by(User.display_name, User.email)
        )
    )


def queue(user: User) -> list[Assessment]:
    """Return the assessments assigned to a reviewer that are not finished, oldest first."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(
                (Assessment.lead_reviewer_id == user.id)
                | (Assessment.second_reviewer_id == user.id),
                Assessment.status.not_in(workflows.DONE),
            )
            .order_by(Assessment.submitted_at.is_(None), Assessment.submitted_at, Assessment.id)
        )
    )


# --- Ratings ---------------------------------------------------------------------------------

#: The ratings a reviewer may give (NR is the absence of one).
GIVEN = ("C", "LC", "PC", "NC", "NA")


@dataclass(frozen=True)
class Current:
    """A provision's current rating in a layer, and whether the answers changed since."""

    rating: ProvisionRating
    #: An answer that feeds the provision changed after the rating was given: to review again.
    stale: bool


def layer_of(assessment: Assessment, user: User) -> str | None:
    """Return the layer ``user`` rates in (``lead`` or ``second``), or None if not a reviewer of
    the assessment."""
    from app.core.permissions import is_assigned_reviewer

    if not is_assigned_reviewer(user, assessment):
        return None
    return "lead" if user.id == assessment.lead_reviewer_id else "second"


def _layer(assessment: Assessment, user: User) -> str:
    layer = layer_of(assessment, user)
    if layer is None:
        raise Forbidden(_l("Only the assessment's reviewers rate its provisions."))
    return layer


def rate(
    assessment: Assessment,
    ratings: Iterable[tuple[str, str, str | None]],
    user: User,
    card=None,
) -> int:
    """Give ratings, each ``(provision ref, rating, justification)``, in the reviewer's layer.

    An override of the derived rating, and NA always, need a written justification. The lead
    reviewer's ratings are also the final ones when the cycle asks for no second reviewer.

    :raises Invalid: naming the field (``rating``, ``justification``, ``provision``).
    :raises Refused: unless the assessment is in review.
    :returns: how many ratings were stored.
    """
    from app.scoring.assessments import scorecard

    layer = _layer(assessment, user)
    lock(assessment)
    if assessment.status is not AssessmentStatus.IN_REVIEW:
        raise Refused(_l("Ratings are given while the assessment is in review."))
    card = card or scorecard(assessment)
    now, rows = utcnow(), []
    for ref, rating, justification in ratings:
        result = card.provisions.get(ref)
        if result is None:
            raise Invalid(_l("No such provision in this assessment."), field="provision")
        rating = (rating or "").strip().upper()
        if rating not in GIVEN:
            raise Invalid(_l("Choose C, LC, PC, NC or NA."), field="rating")
        justification = (justification or "").strip() or None
        if justification and len(justification) > TEXT_MAX:
            raise Invalid(
                _l("Keep the justification under 5,000 characters."), field="justification"
            )
        if rating == "NA" and not justification:
            raise Invalid(_l("Say why the provision does not apply."), field="justification")
        if rating != result.rating and not justification:
            raise Invalid(
                _l("Rating %(rating)s differs from the derived %(derived)s: justify the override.",
                   rating=rating, derived=result.rating),
                field="justification",
            )  # fmt: skip
        layers = [layer] + (
            ["final"] if layer == "lead" and not assessment.cycle.second_review else []
        )
        for name in layers:
            rows.append(
                ProvisionRating(
                    assessment_id=assessment.id, provision=ref, layer=name, rating=rating,
                    derived=result.rating, justification=justification, rated_at=now,
                    rated_by_id=user.id,
                )
            )  # fmt: skip
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        if row.layer != "final":
            audit.record(
                "assessment.provision_rated",
                actor=user,
                obj=assessment,
                after={"rating": row.rating},
                provision=row.provision,
                layer=row.layer,
                derived=row.derived,
                justification=row.justification,
            )
    return len([row for row in rows if row.layer != "final"])


def current_ratings(
    assessment: Assessment, changed: Mapping[str, datetime] | None = None
) -> dict[tuple[str, str], Current]:
    """Return the current rating of each (provision, layer), and whether it is out of date: an
    answer feeding the provision changed after it (two queries; one when the caller gives when
    each answer last ``changed``)."""
    from app.models import Answer
    from app.scoring.assessments import rules_for

    rows = db.session.scalars(
        select(ProvisionRating)
        .where(ProvisionRating.assessment_id == assessment.id)
        .order_by(ProvisionRating.id)
    ).all()
    latest: dict[tuple[str, str], ProvisionRating] = {}
    for row in rows:
        latest[(row.provision, row.layer)] = row
    if not latest:
        return {}
    if changed is None:
        changed = dict(
            db.session.execute(
                select(Answer.question_id, Answer.updated_at).where(
                    Answer.assessment_id == assessment.id
                )
            ).all()
        )
    rules = rules_for(assessment.questionnaire_version)
    result = {}
    for (ref, layer), row in latest.items():
        rule = rules.by_ref.get(ref)
        feeding = (
            {q for e in rule.elements for q in (*e.status_questions, *e.stage_questions)}
            if rule
            else set()
        )
        stale = any(changed.get(q) and changed[q] > row.rated_at for q in feeding)
        result[(ref, layer)] = Current(row, stale)
    return result


def unrated(
    assessment: Assessment,
    layer: str = "lead",
    current: Mapping[tuple[str, str], Current] | None = None,
) -> list[str]:
    """Return the provisions without a current, up-to-date rating in ``layer`` (``current``:
    the ratings when the caller has read them already)."""
    from app.scoring.assessments import rules_for

    current = current_ratings(assessment) if current is None else current
    return [
        rule.ref
        for rule in rules_for(assessment.questionnaire_version).provisions
        if (rule.ref, layer) not in current or current[(rule.ref, layer)].stale
    ]


def accept_derived(assessment: Assessment, user: User) -> int:
    """Accept the derived rating of every provision the reviewer has not rated, or whose rating
    is out of date; a derived NA carries its reason, and an NR is left for the reviewer.

    :returns: how many ratings were stored.
    """
    from app.scoring.assessments import scorecard
    from app.scoring.explain import explain

    layer = _layer(assessment, user)
    card = scorecard(assessment)
    todo = [
        (ref, card.provisions[ref].rating, explain(card.provisions[ref].reason))
        for ref in unrated(assessment, layer)
        if card.provisions[ref].rating in GIVEN
    ]
    return rate(assessment, todo, user, card=card)
