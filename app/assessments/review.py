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
from app.models import (
    Assessment,
    AssessmentStatus,
    Clarification,
    ProvisionRating,
    ReviewComment,
    StageRating,
    User,
)
from app.models.user import Role

TEXT_MAX = 5000


def _plain(text: str | None, field: str) -> None:
    """Refuse invisible control characters (NUL and the like) in a text, naming ``field``."""
    from app.frameworks.types import CONTROL_CHARACTERS

    if text and CONTROL_CHARACTERS.search(text):
        raise Invalid(
            _l("Remove the invisible control characters from the text (such as NUL)."),
            field=field,
        )


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
        _plain(reason, "reason")
        details["reason"] = reason
    if action == "finalise":
        from app.scoring.engine import RULES_VERSION

        details["rules_version"] = RULES_VERSION
    workflows.ASSESSMENT.perform(
        assessment, action, user, country=assessment.country.code, cycle=assessment.cycle.name,
        **details,
    )  # fmt: skip
    if action == "finalise":  # the finished review keeps the rules it was rated under
        assessment.rules_version = details["rules_version"]
        from app.capacity import needs  # its gaps become capacity-building needs

        needs.create_from_review(assessment, user)


@dataclass(frozen=True)
class Item:
    """A question for the country: its text, and the question of the questionnaire or the
    provision it is about (either, both or neither)."""

    text: str
    question_id: str | None = None
    provision: str | None = None


def request_clarification(assessment: Assessment, items: Iterable[Item], user: User) -> int:
    """Return the assessment to the country with questions; return the round's number.

    :raises Invalid: no question, an empty or too long text, an unknown question id.
    :raises Refused/Forbidden: as the transition does.
    """
    lock(assessment)
    refusal = workflows.ASSESSMENT.refusal(assessment, "request_clarification", user, guards=False)
    if refusal is not None:
        raise refusal  # a wrong status or person: say so before looking at the questions
    from app.scoring.assessments import rules_for

    questions = runtime(assessment.questionnaire_version).questions
    provisions = rules_for(assessment.questionnaire_version).by_ref
    cleaned = []
    for index, item in enumerate(items):
        text = (item.text or "").strip()
        if not text:
            continue
        if len(text) > TEXT_MAX:
            raise Invalid(_l("Keep each question under 5,000 characters."), field=f"items.{index}")
        _plain(text, f"items.{index}")
        if item.question_id and item.question_id not in questions:
            raise Invalid(_l("No such question in this questionnaire."), field=f"items.{index}")
        if item.provision and item.provision not in provisions:
            raise Invalid(_l("No such provision in this assessment."), field=f"items.{index}")
        cleaned.append(Item(text, item.question_id or None, item.provision or None))
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
            provision=item.provision,
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
    _plain(text, "reply")
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


def _checked(card, ref: str, rating: str | None, justification: str | None, kept=None):
    """Return the provision's derived result, and the rating and justification given, checked:
    a rating on the scale; NA, and any rating other than the derived one, with a justification
    (``kept(rating)`` supplies one a reviewer already wrote, when none is given).

    :raises Invalid: naming the field (``provision``, ``rating``, ``justification``).
    """
    result = card.provisions.get(ref)
    if result is None:
        raise Invalid(_l("No such provision in this assessment."), field="provision")
    rating = (rating or "").strip().upper()
    if rating not in GIVEN:
        raise Invalid(_l("Choose C, LC, PC, NC or NA."), field="rating")
    justification = (justification or "").strip() or None
    if justification and len(justification) > TEXT_MAX:
        raise Invalid(_l("Keep the justification under 5,000 characters."), field="justification")
    _plain(justification, "justification")
    if justification is None and kept is not None:
        justification = kept(rating)
    if rating == "NA" and not justification:
        raise Invalid(_l("Say why the provision does not apply."), field="justification")
    if rating != result.rating and not justification:
        raise Invalid(
            _l("Rating %(rating)s differs from the derived %(derived)s: justify the override.",
               rating=rating, derived=result.rating),
            field="justification",
        )  # fmt: skip
    return result, rating, justification


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
        result, rating, justification = _checked(card, ref, rating, justification)
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


@dataclass(frozen=True)
class Accepted:
    """What accepting the derived ratings stored: provision ratings, and confirmed stages."""

    ratings: int
    stages: int


def accept_derived(assessment: Assessment, user: User) -> Accepted:
    """Accept the derived rating of every provision the reviewer has not rated, or whose rating
    is out of date; a derived NA carries its reason, and an NR is left for the reviewer. The
    lead reviewer confirms the derived stage of every area not yet confirmed, too.

    :returns: how many ratings and stages were stored.
    """
    from app.scoring.assessments import scorecard
    from app.scoring.explain import explain

    layer = _layer(assessment, user)
    card = scorecard(assessment)
    todo = [
        (
            ref,
            card.provisions[ref].rating,
            explain(card.provisions[ref].reason) if card.provisions[ref].rating == "NA" else None,
        )
        for ref in unrated(assessment, layer)
        if card.provisions[ref].rating in GIVEN
    ]
    stored = rate(assessment, todo, user, card=card)
    confirmed = 0
    if layer == "lead":
        stages = [(area, card.areas[area].stage, None) for area in unrated_stages(assessment)]
        confirmed = rate_stages(assessment, stages, user, card=card) if stages else 0
    return Accepted(stored, confirmed)


# --- Adjudication (cycles with a second reviewer) --------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One provision as the two reviewers rated it, and its final rating if settled."""

    ref: str
    lead: Current | None
    second: Current | None
    final: Current | None

    @staticmethod
    def _up_to_date(item: Current | None) -> str | None:
        return item.rating.rating if item is not None and not item.stale else None

    @property
    def agreed(self) -> bool:
        """Both reviewers gave the same up-to-date rating."""
        lead = self._up_to_date(self.lead)
        return lead is not None and lead == self._up_to_date(self.second)

    @property
    def settled(self) -> bool:
        """The final rating is up to date and newer than both reviewers' ratings."""
        if self.final is None or self.final.stale:
            return False
        rated = [item.rating.rated_at for item in (self.lead, self.second) if item is not None]
        return all(self.final.rating.rated_at >= when for when in rated)

    @property
    def implicit(self) -> bool:
        """Only one reviewer has an up-to-date rating: a disagreement all the same."""
        return (self._up_to_date(self.lead) is None) != (self._up_to_date(self.second) is None)


def pairs(
    assessment: Assessment, current: Mapping[tuple[str, str], Current] | None = None
) -> list[Pair]:
    """Return every provision of the assessment with its lead, second and final ratings."""
    from app.scoring.assessments import rules_for

    current = current_ratings(assessment) if current is None else current
    return [
        Pair(
            rule.ref,
            current.get((rule.ref, "lead")),
            current.get((rule.ref, "second")),
            current.get((rule.ref, "final")),
        )
        for rule in rules_for(assessment.questionnaire_version).provisions
    ]


def disagreements(
    assessment: Assessment, current: Mapping[tuple[str, str], Current] | None = None
) -> list[Pair]:
    """Return the provisions to adjudicate: rated differently by the two reviewers, or by one
    only, and whose final rating is not settled since."""
    if not assessment.cycle.second_review:
        return []
    return [
        pair
        for pair in pairs(assessment, current)
        if not pair.settled
        and not pair.agreed
        and (pair.lead is not None or pair.second is not None)
    ]


def _adjudicator(assessment: Assessment, user: User) -> None:
    from app.core.permissions import can_adjudicate

    if not can_adjudicate(user, assessment):
        raise Forbidden(_l("Only the lead reviewer or a coordinator settles the final ratings."))
    if assessment.status is not AssessmentStatus.IN_REVIEW:
        raise Refused(_l("Ratings are given while the assessment is in review."))


def adjudicate(
    assessment: Assessment,
    ratings: Iterable[tuple[str, str, str | None]],
    user: User,
    card=None,
    current: Mapping[tuple[str, str], Current] | None = None,
) -> int:
    """Settle final ratings, each ``(provision ref, rating, justification)``, where the cycle has
    a second reviewer. A rating one of the reviewers gave keeps that reviewer's justification
    when none is written; otherwise the rules of :func:`rate` apply (an override of the derived
    rating, and NA, need a justification).

    :raises Invalid: naming the field; :raises Forbidden: unless lead reviewer or coordinator.
    :returns: how many final ratings were stored.
    """
    from app.scoring.assessments import scorecard

    _adjudicator(assessment, user)
    lock(assessment)
    card = card or scorecard(assessment)
    current = current_ratings(assessment) if current is None else current
    now, rows = utcnow(), []
    for ref, rating, justification in ratings:

        def kept(chosen: str, ref: str = ref) -> str | None:
            """The justification of the reviewer whose up-to-date rating is the one chosen."""
            for layer in ("lead", "second"):
                given = current.get((ref, layer))
                if given and not given.stale and given.rating.rating == chosen:
                    return given.rating.justification
            return None

        result, rating, justification = _checked(card, ref, rating, justification, kept)
        lead, second = current.get((ref, "lead")), current.get((ref, "second"))
        rows.append(
            ProvisionRating(
                assessment_id=assessment.id, provision=ref, layer="final", rating=rating,
                derived=result.rating, justification=justification, rated_at=now,
                rated_by_id=user.id,
            )
        )  # fmt: skip
        audit.record(
            "assessment.provision_adjudicated",
            actor=user,
            obj=assessment,
            after={"rating": rating},
            provision=ref,
            layer="final",
            derived=result.rating,
            lead=lead.rating.rating if lead else None,
            second=second.rating.rating if second else None,
            justification=justification,
        )
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)


def accept_agreed(assessment: Assessment, user: User) -> int:
    """Make final every rating both reviewers agree on (up to date, and not settled since).

    :returns: how many final ratings were stored.
    """
    _adjudicator(assessment, user)
    lock(assessment)  # read the ratings as they stand for the settling below
    current = current_ratings(assessment)
    todo = [
        (pair.ref, pair.lead.rating.rating, pair.lead.rating.justification)
        for pair in pairs(assessment, current)
        if pair.agreed and not pair.settled
    ]
    return adjudicate(assessment, todo, user, current=current) if todo else 0


def layer_ratings(
    assessment: Assessment, current: Mapping[tuple[str, str], Current] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the lead's and the second reviewer's up-to-date ratings (provision ref -> rating)."""
    current = current_ratings(assessment) if current is None else current
    layers: dict[str, dict[str, str]] = {"lead": {}, "second": {}}
    for (ref, layer), item in current.items():
        if layer in layers and not item.stale:
            layers[layer][ref] = item.rating.rating
    return layers["lead"], layers["second"]


def agreement_of(assessment: Assessment, current=None):
    """Return the agreement between the two reviewers of the assessment
    (:class:`app.scoring.agreement.Agreement`), or None when the cycle has no second review."""
    from app.scoring.agreement import agreement

    if not assessment.cycle.second_review:
        return None
    return agreement(*layer_ratings(assessment, current))


def cycle_agreement(cycle):
    """Return the agreement between the reviewers of a cycle's assessments, by their latest
    ratings: pooled over the cycle (one table, one kappa; never an average of kappas) and per
    assessment id; None when the cycle has no second review (one query whatever the size)."""
    from app.scoring.agreement import agreement, pool

    if not cycle.second_review:
        return None
    rows = db.session.execute(
        select(ProvisionRating.assessment_id, ProvisionRating.layer,
               ProvisionRating.provision, ProvisionRating.rating)
        .join(Assessment, Assessment.id == ProvisionRating.assessment_id)
        .where(Assessment.cycle_id == cycle.id, ProvisionRating.layer.in_(("lead", "second")))
        .order_by(ProvisionRating.id)
    ).all()  # fmt: skip
    latest: dict[int, tuple[dict[str, str], dict[str, str]]] = {}
    for assessment_id, layer, provision, rating in rows:
        first, second = latest.setdefault(assessment_id, ({}, {}))
        (first if layer == "lead" else second)[provision] = rating
    return pool(latest), {key: agreement(*pair) for key, pair in latest.items()}


# --- Maturity stages --------------------------------------------------------------------------

STAGES = range(0, 6)


@dataclass(frozen=True)
class CurrentStage:
    """An area's current stage in a layer, and whether the answers changed since."""

    rating: StageRating
    stale: bool


def current_stages(
    assessment: Assessment, changed: Mapping[str, datetime] | None = None
) -> dict[tuple[str, str], CurrentStage]:
    """Return the current stage of each (area, layer) and whether an indicator's answer changed
    after it was given (two queries; one when the caller gives when each answer ``changed``)."""
    from app.models import Answer
    from app.scoring.assessments import rules_for

    rows = db.session.scalars(
        select(StageRating)
        .where(StageRating.assessment_id == assessment.id)
        .order_by(StageRating.id)
    ).all()
    latest = {(row.area, row.layer): row for row in rows}
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
    feeding = {
        area.id: {q for indicator in area.indicators for q in indicator.questions}
        for area in rules_for(assessment.questionnaire_version).areas
    }
    return {
        key: CurrentStage(
            row,
            any(changed.get(q) and changed[q] > row.rated_at for q in feeding.get(row.area, ())),
        )
        for key, row in latest.items()
    }


def unrated_stages(
    assessment: Assessment, current: Mapping[tuple[str, str], CurrentStage] | None = None
) -> list[str]:
    """Return the capability areas whose stage has no current, up-to-date final confirmation."""
    from app.scoring.assessments import rules_for

    current = current_stages(assessment) if current is None else current
    return [
        area.id
        for area in rules_for(assessment.questionnaire_version).areas
        if (area.id, "final") not in current or current[(area.id, "final")].stale
    ]


def rate_stages(
    assessment: Assessment,
    stages: Iterable[tuple[str, int | str, str | None]],
    user: User,
    card=None,
) -> int:
    """Confirm or override the derived maturity stage of capability areas, each ``(area id,
    stage, justification)``: the lead reviewer's confirmation is final (the second reviewer
    rates provisions only). An override needs a written justification.

    :raises Invalid: naming the field (``area``, ``stage``, ``justification``).
    :raises Forbidden: unless the lead reviewer; :raises Refused: unless in review.
    :returns: how many stages were stored.
    """
    from app.core.permissions import is_lead_reviewer
    from app.scoring.assessments import scorecard

    if not is_lead_reviewer(user, assessment):
        raise Forbidden(_l("The lead reviewer confirms the maturity stages."))
    lock(assessment)
    if assessment.status is not AssessmentStatus.IN_REVIEW:
        raise Refused(_l("Ratings are given while the assessment is in review."))
    card = card or scorecard(assessment)
    now, rows = utcnow(), []
    for area, stage, justification in stages:
        result = card.areas.get(area)
        if result is None:
            raise Invalid(_l("No such capability area in this assessment."), field="area")
        try:
            stage = int(str(stage).strip())
        except ValueError:
            stage = -1
        if stage not in STAGES:
            raise Invalid(_l("Choose a stage from 0 to 5."), field="stage")
        justification = (justification or "").strip() or None
        if justification and len(justification) > TEXT_MAX:
            raise Invalid(
                _l("Keep the justification under 5,000 characters."), field="justification"
            )
        _plain(justification, "justification")
        if stage != result.stage and not justification:
            raise Invalid(
                _l("Stage %(stage)d differs from the derived stage %(derived)d: justify the "
                   "override.", stage=stage, derived=result.stage),
                field="justification",
            )  # fmt: skip
        for layer in ("lead", "final"):
            rows.append(
                StageRating(
                    assessment_id=assessment.id, area=area, layer=layer, stage=stage,
                    derived=result.stage, justification=justification, rated_at=now,
                    rated_by_id=user.id,
                )
            )  # fmt: skip
        audit.record(
            "assessment.stage_rated",
            actor=user,
            obj=assessment,
            after={"stage": stage},
            area=area,
            layer="lead",
            derived=result.stage,
            justification=justification,
        )
    db.session.add_all(rows)
    db.session.flush()
    return len(rows) // 2


# --- Comments on provisions and elements ------------------------------------------------------

COMMENTS_MAX = 200


def comment(
    assessment: Assessment, provision: str, element: str | None, text: str, user: User
) -> ReviewComment:
    """Add a reviewer's comment on a provision, or on one of its elements.

    :raises Forbidden: unless an assigned reviewer; :raises Refused: once the review is
        finished; :raises Invalid: naming the field.
    """
    from app.scoring.assessments import rules_for

    layer = _layer(assessment, user)
    lock(assessment)
    if assessment.status in workflows.DONE:
        raise Refused(_l("The review is finalised: comments can no longer be added."))
    rule = rules_for(assessment.questionnaire_version).by_ref.get(provision or "")
    if rule is None:
        raise Invalid(_l("No such provision in this assessment."), field="provision")
    element = (element or "").strip() or None
    if element and element not in {item.ref for item in rule.elements}:
        raise Invalid(_l("No such element in this provision."), field="element")
    text = (text or "").strip()
    if not text:
        raise Invalid(_l("Write a comment."), field="comment")
    if len(text) > TEXT_MAX:
        raise Invalid(_l("Keep the comment under 5,000 characters."), field="comment")
    _plain(text, "comment")
    count = db.session.scalar(
        select(func.count(ReviewComment.id)).where(
            ReviewComment.assessment_id == assessment.id, ReviewComment.provision == provision
        )
    )
    if count >= COMMENTS_MAX:
        raise Invalid(_l("This provision has too many comments already."), field="comment")
    item = ReviewComment(
        assessment_id=assessment.id, provision=provision, element=element, layer=layer,
        text=text, created_at=utcnow(), author_id=user.id,
    )  # fmt: skip
    db.session.add(item)
    db.session.flush()
    audit.record(
        "assessment.comment_added",
        actor=user,
        obj=assessment,
        provision=provision,
        element=element,
        layer=layer,
        comment=item.id,
    )
    return item


def comments(assessment: Assessment, layers: Iterable[str]) -> dict[str, list[ReviewComment]]:
    """Return the comments of the given layers, per provision, oldest first (one query)."""
    result: dict[str, list[ReviewComment]] = {}
    for item in db.session.scalars(
        select(ReviewComment)
        .where(ReviewComment.assessment_id == assessment.id, ReviewComment.layer.in_(list(layers)))
        .order_by(ReviewComment.id)
    ):
        result.setdefault(item.provision, []).append(item)
    return result


# --- Each provision's review status -----------------------------------------------------------

NOT_REVIEWED, ACCEPTED, REVISION_REQUESTED = "not_reviewed", "accepted", "revision_requested"
REVIEW_STATUSES = (NOT_REVIEWED, REVISION_REQUESTED, ACCEPTED)


def status_names() -> dict[str, str]:
    """Return each review status's name in the user's language."""
    from flask_babel import gettext

    return {
        NOT_REVIEWED: gettext("Not reviewed"),
        REVISION_REQUESTED: gettext("Revision requested"),
        ACCEPTED: gettext("Rated"),
    }


def statuses(
    assessment: Assessment,
    layer: str,
    current: Mapping[tuple[str, str], Current],
    asked: Iterable[Clarification],
) -> dict[str, str]:
    """Return each provision's review status in ``layer``: ``revision_requested`` when the
    country was asked about it (or a question feeding it) after the layer's rating, else
    ``accepted`` when rated and up to date, else ``not_reviewed`` (a country's later edit to a
    feeding answer makes the rating out of date)."""
    from app.scoring.assessments import rules_for

    rules = rules_for(assessment.questionnaire_version)
    by_question: dict[str, set[str]] = {}
    for rule in rules.provisions:
        for element in rule.elements:
            for q in (*element.status_questions, *element.stage_questions):
                by_question.setdefault(q, set()).add(rule.ref)
    asked_at: dict[str, datetime] = {}
    for item in asked:
        refs = set(by_question.get(item.question_id or "", ()))
        if item.provision:
            refs.add(item.provision)
        for ref in refs:
            asked_at[ref] = max(asked_at.get(ref, item.asked_at), item.asked_at)
    result = {}
    for rule in rules.provisions:
        given = current.get((rule.ref, layer))
        if rule.ref in asked_at and (given is None or given.rating.rated_at < asked_at[rule.ref]):
            result[rule.ref] = REVISION_REQUESTED
        elif given is not None and not given.stale:
            result[rule.ref] = ACCEPTED
        else:
            result[rule.ref] = NOT_REVIEWED
    return result


def adjudication_queue(user: User) -> list[tuple[Assessment, int]]:
    """Return the assessments in review whose two reviewers' ratings wait for adjudication by
    ``user`` (as lead reviewer once they rated every provision, or as a coordinator), each with
    how many provisions to settle. By the latest ratings; the adjudication page checks them
    against the answers. Two queries whatever the number of assessments."""
    from app.core.permissions import can_coordinate_reviews
    from app.models import Cycle
    from app.scoring.assessments import rules_for

    query = (
        select(Assessment)
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Cycle.second_review.is_(True), Assessment.status == AssessmentStatus.IN_REVIEW)
        .order_by(Assessment.review_started_at, Assessment.id)
    )
    if not can_coordinate_reviews(user):
        query = query.where(Assessment.lead_reviewer_id == user.id)
    assessments = list(db.session.scalars(query))
    if not assessments:
        return []
    latest: dict[tuple[int, str, str], ProvisionRating] = {}
    for row in db.session.scalars(
        select(ProvisionRating)
        .where(ProvisionRating.assessment_id.in_([a.id for a in assessments]))
        .order_by(ProvisionRating.id)
    ):
        latest[(row.assessment_id, row.provision, row.layer)] = row
    result = []
    for assessment in assessments:
        refs = [rule.ref for rule in rules_for(assessment.questionnaire_version).provisions]
        lead = {ref: latest.get((assessment.id, ref, "lead")) for ref in refs}
        if not can_coordinate_reviews(user) and not all(lead.values()):
            continue  # the lead compares once they rated every provision themselves
        count = 0
        for ref in refs:
            first, second = lead[ref], latest.get((assessment.id, ref, "second"))
            final = latest.get((assessment.id, ref, "final"))
            if first is None and second is None:
                continue
            if first and second and first.rating == second.rating:
                continue
            newest = max(row.rated_at for row in (first, second) if row is not None)
            if final is None or final.rated_at < newest:
                count += 1
        if count:
            result.append((assessment, count))
    return result
