"""Capacity-building needs: found when a review is finalised (a mandatory provision finally rated
PC or NC, a maturity area below the cycle's target stage), followed by the country (requested
assistance, priorities) and the coordinators (the register, closing and declining), and met when a
later review rates them better.

Services take model objects and plain values, flush but never commit, and write the audit trail;
every change of status goes through the transition table ``app.capacity.workflows.NEED``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import joinedload

from app.capacity.workflows import BY_REVIEW, IMPROVED, NEED, OPEN
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Forbidden, Invalid, Refused
from app.core.labels import ASSISTANCE_LABELS, REGION_LABELS
from app.core.permissions import Role, can_request_assistance
from app.extensions import db
from app.frameworks.types import CONTROL_CHARACTERS
from app.models import (
    Assessment,
    AssessmentStatus,
    AssistanceRequest,
    Country,
    Cycle,
    Need,
    NeedStatus,
    ProvisionRating,
    Recommendation,
    StageRating,
    User,
)

#: The final ratings that make a mandatory provision a need.
GAPS = ("PC", "NC")
#: The final ratings that meet a provision's need in a later review.
MET = ("C", "LC", "NA")
#: The order of the ratings, worst first (NA stands apart: the provision no longer applies).
RATING_ORDER = {"NC": 0, "PC": 1, "LC": 2, "C": 3}

#: The kinds of assistance a country may request, with their names.
REQUEST_TYPES = {
    "training": _l("Training"),
    "mentoring": _l("Mentoring"),
    "legislative_advice": _l("Legislative advice"),
    "equipment": _l("Equipment"),
    "study_visit": _l("Study visit"),
    "exercise": _l("Exercise"),
    "technical_assistance": _l("Technical assistance"),
}
#: Every assistance type a need may carry: suggested by the framework file, or requested.
ASSISTANCE_TYPES = {**ASSISTANCE_LABELS, **REQUEST_TYPES}
KINDS = {"provision": _l("Provision"), "area": _l("Maturity area")}
PRIORITIES = range(1, 6)
TEXT_MAX = 5000
INSTITUTION_MAX = 200
PER_PAGE = 50
#: ``status=open`` in the register: every status still to be met.
OPEN_FILTER = "open"


def _text(value: Any, field: str, limit: int, missing) -> str:
    """Return a required text trimmed (line ends as one character), or raise naming ``field``."""
    text = value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""
    if not text:
        raise Invalid(missing, field=field)
    if len(text) > limit:
        raise Invalid(
            _l("Keep it under %(num)s characters.", num=format_decimal(limit)),
            field=field,
        )
    if CONTROL_CHARACTERS.search(text):
        raise Invalid(
            _l("Remove the invisible control characters from the text (such as NUL)."),
            field=field,
        )
    return text


def parse_priority(value: Any, field: str = "priority") -> int:
    """Return a priority from 1 (highest) to 5, from a form's text or a JSON integer, or raise
    naming ``field``."""
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        number = None
    if number not in PRIORITIES:
        raise Invalid(_l("Choose a priority from 1 (highest) to 5 (lowest)."), field=field)
    return number


def _touch(need: Need) -> None:
    need.version = (need.version or 1) + 1
    need.updated_at = utcnow()


def _lock(need: Need) -> None:
    """Serialise the changes to one need (a no-op update takes the row's lock), then read its
    status, priority and version again under the lock."""
    table = Need.__table__
    db.session.execute(update(table).where(table.c.id == need.id).values(id=table.c.id))
    db.session.expire(need, ["status", "priority", "version"])


# --- Found by a review -----------------------------------------------------------------------


def _final_ratings(assessment_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """Return the latest final rating of each (assessment, provision) (one query)."""
    rows = db.session.execute(
        select(ProvisionRating.assessment_id, ProvisionRating.provision, ProvisionRating.rating)
        .where(
            ProvisionRating.assessment_id.in_(sorted(set(assessment_ids))),
            ProvisionRating.layer == "final",
        )
        .order_by(ProvisionRating.id)
    )
    return {(assessment_id, ref): rating for assessment_id, ref, rating in rows}


def _final_stages(assessment_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """Return the latest final stage of each (assessment, area) (one query)."""
    rows = db.session.execute(
        select(StageRating.assessment_id, StageRating.area, StageRating.stage)
        .where(
            StageRating.assessment_id.in_(sorted(set(assessment_ids))),
            StageRating.layer == "final",
        )
        .order_by(StageRating.id)
    )
    return {(assessment_id, area): stage for assessment_id, area, stage in rows}


def _target(value: Any) -> int | None:
    try:
        target = int(value)
    except (TypeError, ValueError):
        return None
    return target if target in PRIORITIES else None  # stages 1..5; 0 is no target


def create_from_review(assessment: Assessment, user: User) -> list[Need]:
    """Record the needs a finalised review finds; meet those a better rating answers.

    One need per mandatory provision finally rated PC or NC (consider and optional provisions
    never count as failures), with the provision's first current recommendation and the
    assistance types its framework file suggests; one per capability area whose final stage is
    below the cycle's target. Finalising again (after a re-open) updates the needs still open,
    brings back those its own earlier finalisation closed and that fail again, and closes
    (``improved``) those no longer found. The country's open needs of earlier assessments whose
    provision is now rated C, LC or NA, or whose area now reaches the target they fell short of,
    are closed (``improved``) too. A fixed number of queries whatever the size.

    :param user: who finalised the review (the audit's actor).
    :returns: the needs this review found, new and existing.
    """
    token = BY_REVIEW.set(True)
    try:
        return _record(assessment, user)
    finally:
        BY_REVIEW.reset(token)


def _record(assessment: Assessment, user: User) -> list[Need]:
    from app.assessments import recommendations
    from app.scoring.assessments import rules_for

    rules = rules_for(assessment.questionnaire_version)
    finals = {ref: rating for (_, ref), rating in _final_ratings([assessment.id]).items()}
    stages = {area: stage for (_, area), stage in _final_stages([assessment.id]).items()}
    written = recommendations.current(assessment)
    targets = assessment.cycle.maturity_targets or {}
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in rules.provisions:
        rating = finals.get(rule.ref)
        if rating in GAPS and rule.binding:
            first = written.get(rule.ref)
            wanted[("provision", rule.ref)] = {
                "found": rating,
                "target_stage": None,
                "assistance": list(rule.assistance),
                "recommendation_id": first[0].id if first else None,
            }
    for area in rules.areas:
        target, stage = _target(targets.get(area.id)), stages.get(area.id)
        if target is not None and stage is not None and stage < target:
            wanted[("area", area.id)] = {
                "found": str(stage),
                "target_stage": target,
                "assistance": [],
                "recommendation_id": None,
            }
    existing = {
        (need.kind, need.ref): need
        for need in db.session.scalars(select(Need).where(Need.assessment_id == assessment.id))
    }
    context = {"assessment": assessment.id, "cycle": assessment.cycle.name}
    now, created, found = utcnow(), [], []
    for (kind, ref), values in wanted.items():
        need = existing.get((kind, ref))
        if need is None:
            need = Need(
                country_id=assessment.country_id, assessment_id=assessment.id, kind=kind,
                ref=ref, status=NeedStatus.IDENTIFIED, version=1, created_at=now,
                updated_at=now, **values,
            )  # fmt: skip
            db.session.add(need)
            created.append(need)
        else:
            if NEED.refusal(need, "recur", user) is None:
                NEED.perform(need, "recur", user, found=values["found"], **context)
                need.closed_reason = None
                _touch(need)
            if need.status in OPEN:
                _update(need, values, user, context)
        found.append(need)
    for key, need in existing.items():
        if key not in wanted and need.status in OPEN:
            rating = finals.get(need.ref) if need.kind == "provision" else stages.get(need.ref)
            _improve(need, user, now=rating, **context)
    db.session.flush()
    for need in created:
        audit.record(
            "need.identified",
            actor=user,
            obj=need,
            after={"status": need.status.value, "found": need.found},
            kind=need.kind,
            ref=need.ref,
            target_stage=need.target_stage,
            **context,
        )
    _meet_earlier(assessment, finals, stages, user, context)
    return found


def _update(need: Need, values: Mapping[str, Any], user: User, context: dict) -> None:
    changed = [key for key, value in values.items() if getattr(need, key) != value]
    if not changed:
        return
    before = {key: getattr(need, key) for key in changed}
    for key in changed:
        setattr(need, key, values[key])
    _touch(need)
    audit.record(
        "need.updated",
        actor=user,
        obj=need,
        before=before,
        after={key: values[key] for key in changed},
        **context,
    )


def _improve(need: Need, user: User, **context: Any) -> None:
    NEED.perform(need, "improve", user, reason=IMPROVED, found=need.found, **context)
    need.closed_reason = IMPROVED
    _touch(need)


def _meet_earlier(
    assessment: Assessment,
    finals: Mapping[str, str],
    stages: Mapping[str, int],
    user: User,
    context: dict,
) -> None:
    """Close the country's open needs of earlier assessments that the review rates better."""
    earlier = db.session.scalars(
        select(Need)
        .join(Assessment, Assessment.id == Need.assessment_id)
        .where(
            Need.country_id == assessment.country_id,
            Need.assessment_id != assessment.id,
            Need.status.in_(sorted(OPEN)),
            or_(
                Assessment.created_at < assessment.created_at,
                and_(Assessment.created_at == assessment.created_at, Assessment.id < assessment.id),
            ),
        )
        .order_by(Need.id)
    )
    for need in earlier:
        if need.kind == "provision" and finals.get(need.ref) in MET:
            _improve(need, user, now=finals[need.ref], **context)
        elif (
            need.kind == "area"
            and need.target_stage is not None
            and stages.get(need.ref, -1) >= need.target_stage
        ):
            _improve(need, user, now=str(stages[need.ref]), **context)


# --- The effect of a later review --------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """How a later finished review rated a need's provision (or area) compared with when it was
    found: ``before`` and ``after`` are ratings (PC, NC, …) or stages ("0".."5")."""

    before: str
    after: str
    #: ``improved``, ``unchanged`` or ``worse``.
    direction: str
    #: The cycle of the later review.
    cycle_name: str
    #: The later review is still under way: its final rating may change before it is finalised.
    provisional: bool = False


def _direction(kind: str, before: str, after: str) -> str:
    if kind == "area":
        old, new = int(before), int(after)
    elif after == "NA":  # the provision no longer applies: nothing left to meet
        return "improved"
    else:
        old, new = RATING_ORDER.get(before, -1), RATING_ORDER.get(after, -1)
    return "improved" if new > old else "worse" if new < old else "unchanged"


def effects(needs: list[Need], *, published_only: bool = False) -> dict[int, Effect]:
    """Return, by need id, how the country's latest finished review after the one that found
    each need rates its provision or area (three queries whatever the number of needs); without
    one, how a later review still under way rates it so far (``provisional``). A need without a
    later review that rates it has no entry.

    :param published_only: count only published reviews (what the country's officials read).
    """
    if not needs:
        return {}
    countries = {need.country_id for need in needs}
    done = [AssessmentStatus.PUBLISHED] if published_only else [
        AssessmentStatus.FINALISED,
        AssessmentStatus.PUBLISHED,
    ]  # fmt: skip
    rows = db.session.execute(
        select(
            Assessment.id, Assessment.country_id, Assessment.created_at, Assessment.status,
            Cycle.name,
        )
        .join(Cycle, Cycle.id == Assessment.cycle_id)
        .where(Assessment.country_id.in_(sorted(countries)))
    ).all()  # fmt: skip
    order = {row.id: (row.created_at, row.id) for row in rows}
    finished = sorted((row for row in rows if row.status in done), key=lambda r: order[r.id])
    # Staff also read a review under way, marked provisional, until a later one is finished.
    under_way = (
        []
        if published_only
        else sorted(
            (row for row in rows if row.status is AssessmentStatus.IN_REVIEW),
            key=lambda r: order[r.id],
        )
    )
    later: dict[int, Any] = {}
    for need in needs:
        mine = order.get(need.assessment_id)
        for pool in (finished, under_way):
            candidates = [
                row
                for row in pool
                if row.country_id == need.country_id and mine is not None and order[row.id] > mine
            ]
            if candidates:
                later[need.id] = candidates[-1]  # the latest: where the country stands now
                break
    if not later:
        return {}
    ids = {row.id for row in later.values()}
    ratings = _final_ratings(ids) if any(n.kind == "provision" for n in needs) else {}
    stages = _final_stages(ids) if any(n.kind == "area" for n in needs) else {}
    result = {}
    for need in needs:
        row = later.get(need.id)
        if row is None:
            continue
        if need.kind == "provision":
            after = ratings.get((row.id, need.ref))
        else:
            stage = stages.get((row.id, need.ref))
            after = None if stage is None else str(stage)
        if after is None:
            continue
        direction = _direction(need.kind, need.found, after)
        provisional = row.status is AssessmentStatus.IN_REVIEW
        result[need.id] = Effect(need.found, after, direction, row.name, provisional)
    return result


def effect(need: Need) -> str | None:
    """Return whether the country's latest later finished review rates the need's provision (or
    area) better: ``improved``, ``unchanged``, ``worse``; None without such a review."""
    found = effects([need]).get(need.id)
    return found.direction if found else None


# --- The country's steps -----------------------------------------------------------------------


def _country_step(need: Need, user: User) -> None:
    if not can_request_assistance(user, need):
        raise Forbidden(_l("Only the country's officials ask for assistance on its needs."))


def _still_open(need: Need) -> None:
    if need.status not in OPEN:
        raise Refused(
            _l(
                "This need is “%(status)s”: re-open it first.",
                status=NEED.label(need.status),
            ),
            status_from=need.status.value,
        )


def request_assistance(
    need: Need,
    type: Any,
    target_institution: Any,
    priority: Any,
    description: Any,
    user: User,
) -> AssistanceRequest:
    """Add the assistance the country asks for on one of its needs; a need still identified
    becomes requested. A need without a priority takes the request's.

    :param type: one of ``REQUEST_TYPES``.
    :param priority: 1 (highest) to 5.
    :raises Forbidden: unless an official of the need's country.
    :raises Invalid: naming the field: ``type``, ``target_institution`` (empty, over 200
        characters, control characters), ``priority``, ``description`` (empty, over 5,000
        characters, control characters).
    :raises Refused: when the need is closed or declined.
    """
    _country_step(need, user)
    kind = type.strip() if isinstance(type, str) else ""
    if kind not in REQUEST_TYPES:
        raise Invalid(_l("Choose the kind of assistance from the list."), field="type")
    institution = _text(
        target_institution,
        "target_institution",
        INSTITUTION_MAX,
        _l("Name the institution the assistance is for."),
    )
    priority = parse_priority(priority)
    description = _text(
        description, "description", TEXT_MAX, _l("Describe the assistance you need.")
    )
    _lock(need)
    _still_open(need)
    item = AssistanceRequest(
        need_id=need.id, type=kind, target_institution=institution, priority=priority,
        description=description, created_at=utcnow(), created_by_id=user.id,
    )  # fmt: skip
    db.session.add(item)
    db.session.flush()
    audit.record(
        "need.assistance_requested",
        actor=user,
        obj=need,
        after={"type": kind, "target_institution": institution, "priority": priority},
        request=item.id,
    )
    if need.status is NeedStatus.IDENTIFIED:
        NEED.perform(need, "request", user, request=item.id)
    if need.priority is None:
        need.priority = priority
    _touch(need)
    return item


def set_priority(need: Need, priority: Any, user: User, version: Any) -> Need:
    """Set the country's priority of one of its needs, from 1 (highest) to 5.

    :param version: the need's version the official started from (optimistic locking).
    :raises Forbidden: unless an official of the need's country.
    :raises Invalid: naming ``priority`` or ``version``.
    :raises Refused: (409, ``version``) when someone changed the need since; when it is closed
        or declined.
    """
    _country_step(need, user)
    priority = parse_priority(priority)
    try:
        expected = int(str(version).strip()) if not isinstance(version, bool) else None
    except ValueError:
        expected = None
    if expected is None or expected < 1:
        raise Invalid(_l("Reload the page: the need's version is missing."), field="version")
    _lock(need)
    if need.version != expected:
        raise Refused(
            _l(
                "Someone changed this need while you were looking at it: read it again, then "
                "set the priority."
            ),
            field="version",
            current=need.version,
        )
    _still_open(need)
    before = need.priority
    if before != priority:
        need.priority = priority
        _touch(need)
        audit.record(
            "need.priority_changed",
            actor=user,
            obj=need,
            before={"priority": before},
            after={"priority": priority},
        )
    return need


def _step(need: Need, action: str, user: User, reason: Any = None, missing=None) -> None:
    transition = NEED.transition(action)
    if not transition.allowed(user, need):
        raise Forbidden(_l("You may not take this action."), action=action)
    context = {}
    if missing is not None:
        context["reason"] = _text(reason, "reason", TEXT_MAX, missing)
    _lock(need)
    NEED.perform(need, action, user, **context)
    if action == "decline":
        need.declined_reason = context["reason"]
    elif action == "close":
        need.closed_reason = context["reason"]
    else:
        need.declined_reason = need.closed_reason = None
    _touch(need)


def decline(need: Need, reason: Any, user: User) -> Need:
    """Decline a need, saying why (the country's officials, coordinators).

    :raises Forbidden: for anyone else; :raises Invalid: no reason (``reason``), too long, or
        control characters; :raises Refused: when its status does not allow it.
    """
    _step(need, "decline", user, reason, _l("Say why the need is declined."))
    return need


def close(need: Need, reason: Any, user: User) -> Need:
    """Close a need as met, saying how (coordinators).

    :raises Forbidden, Invalid (``reason``), Refused: as :func:`decline`.
    """
    _step(need, "close", user, reason, _l("Say how the need was met."))
    return need


def reopen(need: Need, user: User) -> Need:
    """Re-open a closed or declined need (coordinators).

    :raises Forbidden: for anyone else; :raises Refused: when it is not closed or declined.
    """
    _step(need, "reopen", user)
    return need


#: The actions coordinators (and, for decline, the country) take on a page or through the API.
ACTIONS = {
    "close": close,
    "decline": decline,
    "reopen": lambda need, _reason, user: reopen(need, user),
}


# --- Who sees which needs ---------------------------------------------------------------------


def visible(user: User) -> ColumnElement[bool]:
    """Return the condition on needs (joined with their assessment) that ``user`` may see
    (``app.core.permissions.visible_needs``)."""
    from app.core.permissions import visible_needs

    return visible_needs(user)


def may_see(user: User, need: Need) -> bool:
    """Whether ``user`` may see ``need`` (as :func:`visible` says for a query)."""
    from app.core.permissions import can_see_needs

    if not can_see_needs(user, need.country_id):
        return False
    if user.role is Role.OFFICIAL:
        status = db.session.scalar(
            select(Assessment.status).where(Assessment.id == need.assessment_id)
        )
        return status is AssessmentStatus.PUBLISHED
    return True


def find(need_id: int, user: User) -> Need | None:
    """Return the need ``user`` may see with this id, or None (one query)."""
    return db.session.scalar(
        select(Need)
        .join(Assessment, Assessment.id == Need.assessment_id)
        .where(Need.id == need_id, visible(user))
        .options(joinedload(Need.country))
    )


# --- The register ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The register's filters (each None when not set), as the URL gives them."""

    type: str | None = None
    region: str | None = None
    framework: str | None = None
    provision: str | None = None
    priority: int | None = None
    status: str | None = None
    country: str | None = None
    kind: str | None = None
    cycle: int | None = None
    page: int = 1

    def args(self) -> dict[str, Any]:
        """Return the filters set, as URL parameters (the page left out)."""
        return {
            key: value
            for key, value in vars(self).items()
            if key != "page" and value is not None and value != ""
        }


_REF = re.compile(r"^[A-Za-z0-9_.-]{1,40}(:[A-Za-z0-9_.-]{1,40})?$")
_CODE = re.compile(r"^[A-Za-z]{2,3}$")


def parse_filters(args: Mapping[str, Any]) -> tuple[Filters, dict[str, str]]:
    """Read the register's filters from URL parameters; return them and, by field, why a value
    was left out (an unknown type, a priority that is not 1–5, …)."""
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}

    def text(name: str) -> str | None:
        value = args.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    checks = {
        "type": (lambda v: v in ASSISTANCE_TYPES, _l("Choose a kind of assistance from the list.")),
        "region": (lambda v: v in REGION_LABELS, _l("Choose a region from the list.")),
        "framework": (lambda v: ":" not in v and bool(_REF.match(v)), _l("No such framework.")),
        "provision": (lambda v: bool(_REF.match(v)), _l("No such provision or area.")),
        "status": (
            lambda v: v == OPEN_FILTER or v in {s.value for s in NeedStatus},
            _l("Choose a status from the list."),
        ),
        "country": (lambda v: bool(_CODE.match(v)), _l("Give a country's code, such as XAA.")),
        "kind": (lambda v: v in KINDS, _l("Choose provision or maturity area.")),
    }
    for name, (ok, message) in checks.items():
        value = text(name)
        if value is None:
            continue
        if name == "country":
            value = value.upper()
        if ok(value):
            values[name] = value
        else:
            errors[name] = message
    for name in ("priority", "cycle", "page"):
        value = text(name)
        if value is None:
            continue
        try:
            number = int(value)
        except ValueError:
            number = None
        if name == "priority" and number not in PRIORITIES:
            errors[name] = _l("Choose a priority from 1 (highest) to 5 (lowest).")
        elif name != "priority" and (number is None or not 1 <= number < 2**31):
            errors[name] = _l("Give a positive whole number.")
        else:
            values[name] = number
    return Filters(**values), {key: str(message) for key, message in errors.items()}


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.type:
        conditions.append(
            or_(
                cast(Need.assistance, String).like(f'%"{filters.type}"%'),
                exists().where(
                    AssistanceRequest.need_id == Need.id, AssistanceRequest.type == filters.type
                ),
            )
        )
    if filters.region:
        conditions.append(Country.region == filters.region)
    if filters.framework:
        conditions.append(Need.ref.startswith(f"{filters.framework}:", autoescape=True))
    if filters.provision:
        conditions.append(Need.ref == filters.provision)
    if filters.priority:
        conditions.append(Need.priority == filters.priority)
    if filters.status == OPEN_FILTER:
        conditions.append(Need.status.in_(sorted(OPEN)))
    elif filters.status:
        conditions.append(Need.status == NeedStatus(filters.status))
    if filters.country:
        conditions.append(Country.code == filters.country)
    if filters.kind:
        conditions.append(Need.kind == filters.kind)
    if filters.cycle:
        conditions.append(Assessment.cycle_id == filters.cycle)
    return conditions


def _query(filters: Filters, user: User | None) -> Select:
    query = (
        select(Need)
        .join(Country, Country.id == Need.country_id)
        .join(Assessment, Assessment.id == Need.assessment_id)
        .where(*_conditions(filters))
    )
    if user is not None:
        query = query.where(visible(user))
    return query


@dataclass
class Counts:
    """How many needs of the filtered set are in each status, and carry each assistance type
    (suggested by the framework or requested by the country)."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """A need as lists show it: its cycle, recommendation and the assistance requested."""

    need: Need
    cycle: Cycle
    recommendation: Recommendation | None
    requests: list[AssistanceRequest]


@dataclass
class Page:
    """One page of the register (what the pagination macro reads)."""

    items: list[Row]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, left: int = 2, right: int = 2, around: int = 2):
        """Yield page numbers to link, None for a gap (as Flask-SQLAlchemy's pagination)."""
        last = 0
        for number in range(1, self.pages + 1):
            if number <= left or number > self.pages - right or abs(number - self.page) <= around:
                if last + 1 != number:
                    yield None
                yield number
                last = number


def rows(needs: list[Need]) -> list[Row]:
    """Return the needs with their cycle, recommendation and requests (three queries)."""
    if not needs:
        return []
    cycles = dict(
        db.session.execute(
            select(Assessment.id, Cycle)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Assessment.id.in_(sorted({n.assessment_id for n in needs})))
        ).all()
    )
    wanted = sorted({n.recommendation_id for n in needs if n.recommendation_id})
    recommendations = {}
    if wanted:
        query = select(Recommendation).where(Recommendation.id.in_(wanted))
        recommendations = {item.id: item for item in db.session.scalars(query)}
    requests: dict[int, list[AssistanceRequest]] = {}
    for item in db.session.scalars(
        select(AssistanceRequest)
        .where(AssistanceRequest.need_id.in_([n.id for n in needs]))
        .order_by(AssistanceRequest.id)
    ):
        requests.setdefault(item.need_id, []).append(item)
    return [
        Row(
            need,
            cycles[need.assessment_id],
            recommendations.get(need.recommendation_id),
            requests.get(need.id, []),
        )
        for need in needs
    ]


def counts(filters: Filters, user: User | None = None) -> Counts:
    """Return the counts of the needs the filters select (two queries)."""
    base = _query(filters, user).subquery()
    by_status = {
        (status.value if isinstance(status, NeedStatus) else str(status)): number
        for status, number in db.session.execute(
            select(base.c.status, func.count()).group_by(base.c.status)
        )
    }
    columns = [
        func.coalesce(
            func.sum(
                case(
                    (
                        or_(
                            cast(Need.assistance, String).like(f'%"{key}"%'),
                            exists().where(
                                AssistanceRequest.need_id == Need.id, AssistanceRequest.type == key
                            ),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        )
        for key in ASSISTANCE_TYPES
    ]
    ids = _query(filters, user).with_only_columns(Need.id).scalar_subquery()
    totals = db.session.execute(select(*columns).where(Need.id.in_(ids))).one()
    return Counts(
        total=sum(by_status.values()),
        by_status=by_status,
        by_type={key: int(number) for key, number in zip(ASSISTANCE_TYPES, totals, strict=True)},
    )


def register(filters: Filters, user: User | None = None) -> tuple[Page, Counts]:
    """Return one page (50 needs) of the needs the filters select, newest first, and the counts
    of the whole filtered set by status and assistance type (a fixed number of queries).

    :param user: show only the needs ``user`` may see (None: every need).
    """
    total_counts = counts(filters, user)
    page = min(max(filters.page, 1), max(1, math.ceil(total_counts.total / PER_PAGE)))
    needs = list(
        db.session.scalars(
            _query(filters, user)
            .options(joinedload(Need.country))
            .order_by(Need.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    return Page(rows(needs), page, PER_PAGE, total_counts.total), total_counts


def country_needs(country: Country, user: User) -> list[Row]:
    """Return a country's needs ``user`` may see: open ones first (by priority, unset last),
    then the others, newest first (four queries)."""
    needs = list(
        db.session.scalars(
            select(Need)
            .join(Assessment, Assessment.id == Need.assessment_id)
            .where(Need.country_id == country.id, visible(user))
            .options(joinedload(Need.country))
            .order_by(Need.id.desc())
        )
    )
    needs.sort(key=lambda n: (n.status not in OPEN, n.priority is None, n.priority or 0))
    return rows(needs)


# --- How needs are named ----------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """What pages call the provisions and areas of needs, and the register's choices."""

    #: provision ref -> ``ProvisionName`` (label "Budapest Art. 16", title)
    provisions: dict[str, Any]
    #: area id -> its title
    areas: dict[str, str]
    #: framework id -> its short name
    frameworks: dict[str, str]

    def label(self, need: Need) -> str:
        """Return "Budapest Art. 16 — Expedited preservation" or the area's title."""
        if need.kind == "area":
            return self.areas.get(need.ref, need.ref)
        name = self.provisions.get(need.ref)
        return f"{name.label} — {name.title}" if name else need.ref


def names() -> Names:
    """Return the names of the newest frameworks' provisions and the newest questionnaires'
    capability areas (four queries)."""
    from app.assessments.answers import runtime
    from app.assessments.recommendations import known_provisions
    from app.frameworks import store
    from app.frameworks.words import localized

    frameworks = {}
    for key, row in sorted(store.latest_frameworks().items()):
        model = store.framework_model(row)
        frameworks[key] = localized(model.abbreviation or model.short_title)
    areas: dict[str, str] = {}
    for version in store.latest_questionnaires():
        for area in runtime(version).questionnaire.maturity_areas:
            areas.setdefault(area.id, localized(area.title))
    return Names(known_provisions(), areas, frameworks)


def history(need: Need) -> list:
    """Return the need's audit events, oldest first, as people read them (one query)."""
    from app.admin.events import details
    from app.models import AuditEvent

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == Need.__tablename__, AuditEvent.object_id == str(need.id))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.id)
    ).all()
    return [(event, details(event.summary)) for event in events]
