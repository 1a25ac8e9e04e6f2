"""Recommendations, GRECO style: the lead reviewer writes one (or picks one from the library
coordinators keep per provision) for every provision whose final rating is PC or NC; the review of
the country's next cycle judges each earlier recommendation implemented satisfactorily, partly
implemented or not implemented. Services take model objects and plain values, flush but never
commit, and write the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.assessments.answers import lock
from app.assessments.changes import previous_query
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Forbidden, Invalid, NotFound, Refused
from app.core.labels import FOLLOW_UP_STATES
from app.extensions import db
from app.frameworks import store
from app.frameworks.types import CONTROL_CHARACTERS
from app.models import (
    Assessment,
    AssessmentStatus,
    QuestionnaireVersion,
    Recommendation,
    RecommendationTemplate,
    User,
)

TEXT_MAX = 5000
#: The final ratings that call for a recommendation.
NEEDS_RECOMMENDATION = ("PC", "NC")
#: The judgements of an earlier recommendation (``Recommendation.follow_up``).
FOLLOW_UPS = tuple(FOLLOW_UP_STATES)
#: At most this many current recommendations on one provision of one assessment.
PER_PROVISION_MAX = 20


# --- Provisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionName:
    """How a provision is shown: its reference, citation ("Budapest Art. 16") and title."""

    ref: str
    label: str
    title: str


def _names(rows) -> dict[str, ProvisionName]:
    from app.frameworks.words import localized
    from app.scoring.explain import provision_label

    names = {}
    for row in rows:
        model = store.framework_model(row)
        framework = localized(model.abbreviation or model.short_title)
        for provision in model.provisions:
            ref = f"{model.id}:{provision.id}"
            names[ref] = ProvisionName(
                ref, provision_label(framework, provision.article), localized(provision.title)
            )
    return names


def known_provisions() -> dict[str, ProvisionName]:
    """Return the provisions of the newest stored version of each framework, in the frameworks'
    and the files' order (one query): those the library may hold recommendations for."""
    rows = store.latest_frameworks()
    return _names(rows[key] for key in sorted(rows))


def provision_names(version: QuestionnaireVersion) -> dict[str, ProvisionName]:
    """Return the provisions of a questionnaire version's frameworks (one query at most)."""
    return _names(version.frameworks)


# --- Checks ----------------------------------------------------------------------------------


def _text(text: str | None, field: str, *, required: bool = True) -> str | None:
    """Return ``text`` trimmed (line ends as one character), or raise naming ``field``."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise Invalid(_l("Write the recommendation."), field=field)
        return None
    if len(text) > TEXT_MAX:
        raise Invalid(_l("Keep the text under 5,000 characters."), field=field)
    if CONTROL_CHARACTERS.search(text):
        raise Invalid(
            _l("Remove the invisible control characters from the text (such as NUL)."),
            field=field,
        )
    return text


def _identifier(value: int | str | None, field: str) -> int | None:
    """Return a posted id as an integer (None for none given), or raise naming ``field``."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(_l("Choose a recommendation from the list."), field=field) from None


def _lead(assessment: Assessment, user: User, message) -> None:
    from app.core.permissions import is_lead_reviewer

    if not is_lead_reviewer(user, assessment):
        raise Forbidden(message)


def _in_review(assessment: Assessment, message) -> None:
    if assessment.status is not AssessmentStatus.IN_REVIEW:
        raise Refused(message)


# --- The library -----------------------------------------------------------------------------


def templates(
    provision: str | Iterable[str] | None = None, active_only: bool = True
) -> list[RecommendationTemplate]:
    """Return the library's recommendations, of one provision (a ref) or several (refs), oldest
    first (one query).

    :param active_only: leave out those coordinators withdrew from the library.
    """
    query = select(RecommendationTemplate).order_by(
        RecommendationTemplate.provision, RecommendationTemplate.id
    )
    if isinstance(provision, str):
        query = query.where(RecommendationTemplate.provision == provision)
    elif provision is not None:
        query = query.where(RecommendationTemplate.provision.in_(sorted(set(provision))))
    if active_only:
        query = query.where(RecommendationTemplate.active.is_(True))
    return list(db.session.scalars(query))


def _librarian(user: User) -> None:
    from app.core.permissions import can_keep_recommendation_library

    if not can_keep_recommendation_library(user):
        raise Forbidden(_l("Only coordinators keep the library of recommendations."))


def add_template(provision: str, text: str, user: User) -> RecommendationTemplate:
    """Add a reusable recommendation for a provision to the library.

    :param provision: a provision ref of a stored framework, e.g. ``budapest:16``.
    :raises Forbidden: unless ``user`` keeps the library (coordinators, admins).
    :raises Invalid: naming the field: an unknown ``provision``; an empty, too long or
        control-character ``text``; the same text for the same provision twice.
    """
    _librarian(user)
    provision = (provision or "").strip()
    if provision not in known_provisions():
        raise Invalid(_l("Choose a provision of the frameworks."), field="provision")
    text = _text(text, "text")
    if db.session.scalar(
        select(RecommendationTemplate.id).where(
            RecommendationTemplate.provision == provision, RecommendationTemplate.text == text
        )
    ):
        raise Invalid(
            _l("The library already holds this recommendation for this provision."), field="text"
        )
    template = RecommendationTemplate(
        provision=provision, text=text, active=True, created_at=utcnow(), created_by_id=user.id
    )
    db.session.add(template)
    db.session.flush()
    audit.record(
        "recommendation_template.added",
        actor=user,
        obj=template,
        after={"provision": provision, "text": text, "active": True},
    )
    return template


def update_template(
    template_id: int, text: str, active: bool, user: User
) -> RecommendationTemplate:
    """Change a library recommendation's text, or take it out of (or back into) the library;
    recommendations already taken from it keep their own copy of the text.

    :raises Forbidden: unless ``user`` keeps the library; :raises NotFound: no such template;
    :raises Invalid: an empty, too long or control-character ``text``.
    """
    _librarian(user)
    template = db.session.get(RecommendationTemplate, template_id)
    if template is None:
        raise NotFound(_l("No such recommendation in the library."))
    text = _text(text, "text")
    active = bool(active)
    before = {"text": template.text, "active": template.active}
    after = {"text": text, "active": active}
    changed = [key for key in before if before[key] != after[key]]
    if changed:
        template.text, template.active, template.updated_at = text, active, utcnow()
        audit.record(
            "recommendation_template.changed",
            actor=user,
            obj=template,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
            provision=template.provision,
        )
    return template


# --- An assessment's recommendations ---------------------------------------------------------


def current(assessment: Assessment) -> dict[str, list[Recommendation]]:
    """Return the assessment's recommendations not withdrawn, per provision, oldest first (one
    query)."""
    result: dict[str, list[Recommendation]] = {}
    for item in db.session.scalars(
        select(Recommendation)
        .where(Recommendation.assessment_id == assessment.id, Recommendation.withdrawn_at.is_(None))
        .order_by(Recommendation.id)
    ):
        result.setdefault(item.provision, []).append(item)
    return result


def recommend(
    assessment: Assessment,
    provision: str,
    text: str | None,
    template_id: int | str | None,
    user: User,
) -> Recommendation:
    """Write a recommendation on one of the assessment's provisions, or take one from the
    library: its text is copied (the reviewer may give an edited ``text``) and ``template_id``
    kept.

    :raises Forbidden: unless the lead reviewer; :raises Refused: unless in review.
    :raises Invalid: naming the field: ``provision`` not of this assessment, ``template`` not in
        the library for that provision, ``text`` empty (and no template), too long or with
        control characters, or the same recommendation twice.
    """
    from app.scoring.assessments import rules_for

    _lead(assessment, user, _l("Only the lead reviewer writes the recommendations."))
    lock(assessment)
    _in_review(assessment, _l("Recommendations are written while the assessment is in review."))
    provision = (provision or "").strip()
    if provision not in rules_for(assessment.questionnaire_version).by_ref:
        raise Invalid(_l("No such provision in this assessment."), field="provision")
    template = None
    template_id = _identifier(template_id, "template")
    if template_id is not None:
        template = db.session.get(RecommendationTemplate, template_id)
        if template is None or not template.active:
            raise Invalid(_l("This recommendation is not in the library."), field="template")
        if template.provision != provision:
            raise Invalid(
                _l("This library recommendation is for another provision."), field="template"
            )
    text = _text(text, "text", required=template is None)
    if text is None:
        text = template.text
    already = current(assessment).get(provision, [])
    if any(item.text == text for item in already):
        raise Invalid(_l("The provision has this recommendation already."), field="text")
    if len(already) >= PER_PROVISION_MAX:
        raise Invalid(_l("The provision has too many recommendations already."), field="text")
    item = Recommendation(
        assessment_id=assessment.id,
        provision=provision,
        text=text,
        template_id=template.id if template else None,
        created_at=utcnow(),
        created_by_id=user.id,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        "assessment.recommendation_added",
        actor=user,
        obj=assessment,
        after={"text": text},
        recommendation=item.id,
        provision=provision,
        template=item.template_id,
    )
    return item


def withdraw(assessment: Assessment, recommendation_id: int, user: User) -> Recommendation:
    """Withdraw one of the assessment's recommendations (it stays, marked, for the trail).

    :raises Forbidden: unless the lead reviewer; :raises NotFound: not a current recommendation
        of this assessment; :raises Refused: unless in review.
    """
    _lead(assessment, user, _l("Only the lead reviewer withdraws recommendations."))
    lock(assessment)
    item = db.session.get(Recommendation, recommendation_id)
    if item is None or item.assessment_id != assessment.id or item.withdrawn_at is not None:
        raise NotFound(_l("No such recommendation."))
    _in_review(assessment, _l("Recommendations are withdrawn while the assessment is in review."))
    item.withdrawn_at = utcnow()
    audit.record(
        "assessment.recommendation_withdrawn",
        actor=user,
        obj=assessment,
        before={"text": item.text},
        recommendation=item.id,
        provision=item.provision,
    )
    return item


# --- Follow-up in the next cycle -------------------------------------------------------------


def previous(assessment: Assessment) -> Assessment | None:
    """Return the country's most recent finished (finalised or published) assessment of an
    earlier cycle: the one whose recommendations this review follows up (one query)."""
    return db.session.scalar(previous_query(assessment))


def earlier(assessment: Assessment) -> list[Recommendation]:
    """Return the recommendations (not withdrawn) of :func:`previous`, oldest first (one
    query)."""
    before = previous_query(assessment).with_only_columns(Assessment.id).scalar_subquery()
    return list(
        db.session.scalars(
            select(Recommendation)
            .where(Recommendation.assessment_id == before, Recommendation.withdrawn_at.is_(None))
            .order_by(Recommendation.id)
        )
    )


def judge(
    assessment: Assessment,
    recommendation_id: int,
    judgement: str,
    comment: str | None,
    user: User,
) -> Recommendation:
    """Judge one recommendation of the country's previous cycle: ``implemented``
    (satisfactorily), ``partly`` or ``not``, with an optional comment. Judging again replaces
    the judgement (the audit trail keeps each).

    :raises Forbidden: unless the lead reviewer; :raises NotFound: not a recommendation of this
        country's previous cycle; :raises Refused: unless in review; :raises Invalid: naming the
        field (``judgement``, ``comment``).
    """
    _lead(assessment, user, _l("Only the lead reviewer follows up the recommendations."))
    lock(assessment)
    item = next((r for r in earlier(assessment) if r.id == recommendation_id), None)
    if item is None:
        raise NotFound(_l("No such recommendation of the previous cycle."))
    _in_review(
        assessment, _l("Earlier recommendations are followed up while the assessment is in review.")
    )
    judgement = (judgement or "").strip()
    if judgement not in FOLLOW_UPS:
        raise Invalid(
            _l("Choose implemented satisfactorily, partly implemented or not implemented."),
            field="judgement",
        )
    comment = _text(comment, "comment", required=False)
    before = {
        "follow_up": item.follow_up,
        "comment": item.follow_up_comment,
        "in": item.followed_up_in_id,
    }
    item.follow_up, item.follow_up_comment = judgement, comment
    item.followed_up_in_id, item.followed_up_at, item.followed_up_by_id = (
        assessment.id,
        utcnow(),
        user.id,
    )
    audit.record(
        "assessment.recommendation_judged",
        actor=user,
        obj=assessment,
        before=before,
        after={"follow_up": judgement, "comment": comment, "in": assessment.id},
        recommendation=item.id,
        provision=item.provision,
        earlier_assessment=item.assessment_id,
    )
    return item


def judged_here(assessment: Assessment, item: Recommendation) -> bool:
    """Whether this assessment's review has judged ``item`` (an earlier recommendation)."""
    return item.follow_up is not None and item.followed_up_in_id == assessment.id


# --- Before finalising -----------------------------------------------------------------------


def final_ratings(assessment: Assessment, ratings: Mapping | None = None) -> dict[str, str]:
    """Return each provision's current final rating (provision ref -> rating)."""
    from app.assessments import review

    ratings = review.current_ratings(assessment) if ratings is None else ratings
    return {ref: item.rating.rating for (ref, layer), item in ratings.items() if layer == "final"}


def needing(
    assessment: Assessment,
    finals: Mapping[str, str] | None = None,
    written: Mapping[str, list[Recommendation]] | None = None,
) -> list[str]:
    """Return the provisions whose final rating is PC or NC and that have no recommendation, in
    the questionnaire's order (``finals``, ``written``: what the caller has read already)."""
    from app.scoring.assessments import rules_for

    finals = final_ratings(assessment) if finals is None else finals
    written = current(assessment) if written is None else written
    return [
        rule.ref
        for rule in rules_for(assessment.questionnaire_version).provisions
        if finals.get(rule.ref) in NEEDS_RECOMMENDATION and not written.get(rule.ref)
    ]


def finalise_refusal(assessment: Assessment):
    """Return why the review may not be finalised yet as far as recommendations go (a lazy
    message), or None: a provision rated PC or NC without a recommendation, or an earlier
    recommendation not judged in this review."""
    missing = needing(assessment)
    if missing:
        first = provision_names(assessment.questionnaire_version).get(missing[0])
        return _l(
            "Write a recommendation for every provision rated PC or NC before finalising: "
            "%(num)d without one (first: %(first)s).",
            num=len(missing),
            first=first.label if first else missing[0],
        )
    unjudged = [item for item in earlier(assessment) if not judged_here(assessment, item)]
    if unjudged:
        return _l(
            "Judge every recommendation of the previous cycle before finalising: %(num)d not "
            "judged yet.",
            num=len(unjudged),
        )
    return None
