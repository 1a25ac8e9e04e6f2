"""The register of capacity-building activities: courses, mentoring, legislative advice,
equipment, study visits and exercises, the needs they answer, their documents, and their effect
on the countries' next reviews.

Every step takes model objects and plain values, flushes (never commits) and writes the audit
trail. Steps raise ``Invalid`` (422, naming the field), ``Refused`` (409), ``Forbidden`` (403) or
``NotFound`` (404).
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from app.assessments.evidence import EVIDENCE_TYPES, sanitise_filename
from app.capacity.activity_workflows import ACTIVITY, CATCH_UP, NEED_STEPS, TAKES_NEEDS
from app.capacity.workflows import NEED
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Forbidden, Invalid, NotFound, Refused
from app.core.permissions import Role, can_manage_needs, can_see_activity, visible_needs
from app.core.storage import storage
from app.extensions import db
from app.frameworks.types import CONTROL_CHARACTERS
from app.models import (
    Activity,
    ActivityDocument,
    ActivityNeed,
    Assessment,
    Country,
    Need,
    NeedStatus,
    User,
)

#: The formats of an activity, in display order.
FORMAT_LABELS = {
    "course": _l("Course"),
    "mentoring": _l("Mentoring"),
    "legislative_advice": _l("Legislative advice"),
    "equipment": _l("Equipment"),
    "study_visit": _l("Study visit"),
    "exercise": _l("Exercise"),
}

#: The audiences an activity trains or equips, in display order.
AUDIENCE_LABELS = {
    "judges": _l("Judges"),
    "prosecutors": _l("Prosecutors"),
    "police": _l("Police"),
    "contact_point_staff": _l("24/7 point of contact staff"),
    "central_authority": _l("Central authority"),
    "cert": _l("CERT / CSIRT"),
}

#: The effect of an activity on a need, as the country's next finished review shows it.
EFFECT_LABELS = {
    "improved": (_l("Improved"), "text-bg-success"),
    "unchanged": (_l("Unchanged"), "text-bg-secondary"),
    "worse": (_l("Worse"), "text-bg-danger"),
    "not_reviewed": (_l("Not yet reviewed"), "text-bg-light border"),
}

#: Document types accepted, by the MIME type sniffed from the content: those of evidence, and
#: slides (course materials).
DOCUMENT_TYPES = {
    **EVIDENCE_TYPES,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}

#: Needs that may still be matched with an activity.
LINKABLE = frozenset(
    {
        NeedStatus.IDENTIFIED,
        NeedStatus.REQUESTED,
        NeedStatus.MATCHED,
        NeedStatus.IN_DELIVERY,
        NeedStatus.DELIVERED,
    }
)

LONG_TEXT_MAX = 5000
PARTICIPANTS_MAX = 1_000_000


# --- Checking the values -----------------------------------------------------------------------


@dataclass
class Checked:
    """The values of an activity once checked, and every problem found (each names its field)."""

    values: dict[str, Any]
    problems: list[Invalid]


def _text(
    raw: Any, field: str, problems: list[Invalid], *, limit: int, required: bool = False
) -> str | None:
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        problems.append(Invalid(_l("Give a text."), field=field))
        return None
    text = raw.replace("\r\n", "\n").strip()
    if not text:
        if required:
            problems.append(Invalid(_l("This is required."), field=field))
        return None
    if len(text) > limit:
        problems.append(
            Invalid(_l("Keep it under %(num)d characters.", num=limit + 1), field=field)
        )
        return None
    if CONTROL_CHARACTERS.search(text):
        problems.append(
            Invalid(
                _l("Remove the invisible control characters from the text (such as NUL)."),
                field=field,
            )
        )
        return None
    return text


def _date(raw: Any, field: str, problems: list[Invalid]) -> date | None:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    problems.append(Invalid(_l("Give a date as YYYY-MM-DD."), field=field))
    return None


def _count(raw: Any, field: str, problems: list[Invalid]) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    else:
        try:
            value = int(str(raw).strip())
        except ValueError:
            value = None
    if value is None:
        problems.append(Invalid(_l("Give a whole number."), field=field))
        return None
    if value < 0:
        problems.append(Invalid(_l("Participant counts cannot be negative."), field=field))
        return None
    if value > PARTICIPANTS_MAX:
        problems.append(Invalid(_l("That is more participants than possible."), field=field))
        return None
    return value


def _choices(raw: Any, field: str, problems: list[Invalid]) -> list[str] | None:
    """Return a list of strings (a comma-separated text is split), or None after a problem."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        problems.append(Invalid(_l("Give a list of identifiers."), field=field))
        return None
    seen: list[str] = []
    for item in raw:
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def addressable() -> dict[str, str]:
    """Return the provision refs and maturity area ids an activity may address, with their names
    (the newest stored frameworks and questionnaires; a few queries)."""
    from app.assessments.recommendations import known_provisions
    from app.frameworks import store
    from app.frameworks.words import localized

    names = {ref: f"{name.label} — {name.title}" for ref, name in known_provisions().items()}
    for version in store.latest_questionnaires():
        for area in store.questionnaire_model(version).maturity_areas:
            names.setdefault(
                area.id, str(_l("Capability area: %(name)s", name=localized(area.title)))
            )
    return names


def check(values: Mapping[str, Any], *, known: Mapping[str, str] | None = None) -> Checked:
    """Check an activity's values as a person or a script gave them.

    :param values: ``title``, ``provider``, ``donor``, ``starts_on``, ``ends_on`` (dates or ISO
        texts), ``format``, ``location``, ``online``, ``countries`` (codes), ``institutions``,
        ``audiences``, ``participants_women``, ``participants_men`` (whole numbers, or none),
        ``addresses`` (provision refs and area ids) and ``outputs``.
    :param known: the refs that may be addressed (``addressable()`` when not given).
    :returns: the clean values (countries as rows) and every problem, each naming its field.
    """
    problems: list[Invalid] = []
    clean: dict[str, Any] = {}
    clean["title"] = _text(values.get("title"), "title", problems, limit=300, required=True)
    clean["provider"] = _text(
        values.get("provider"), "provider", problems, limit=200, required=True
    )
    clean["donor"] = _text(values.get("donor"), "donor", problems, limit=200)
    clean["starts_on"] = _date(values.get("starts_on"), "starts_on", problems)
    clean["ends_on"] = _date(values.get("ends_on"), "ends_on", problems)
    if clean["starts_on"] and clean["ends_on"] and clean["ends_on"] < clean["starts_on"]:
        problems.append(
            Invalid(_l("The end date is before the start date: the dates are out of order."),
                    field="ends_on", reason="dates_out_of_order")
        )  # fmt: skip
    kind = values.get("format")
    if kind not in FORMAT_LABELS:
        problems.append(Invalid(_l("Choose the format from the list."), field="format"))
    clean["format"] = kind if kind in FORMAT_LABELS else None
    clean["location"] = _text(values.get("location"), "location", problems, limit=200)
    online = values.get("online", False)
    if online in ("y", "on", "true", "1"):
        online = True
    elif online in (None, "", "false", "0"):
        online = False
    if not isinstance(online, bool):
        problems.append(Invalid(_l("online is true or false."), field="online"))
        online = False
    clean["online"] = online
    if not online and not clean["location"] and not any(p.field == "location" for p in problems):
        problems.append(
            Invalid(_l("Give the place where it takes place, or say that it is online."),
                    field="location")
        )  # fmt: skip
    codes = _choices(values.get("countries"), "countries", problems)
    if codes is not None:
        rows = (
            list(db.session.scalars(select(Country).where(Country.code.in_(codes))))
            if codes
            else []
        )
        unknown = sorted(set(codes) - {row.code for row in rows})
        if unknown:
            problems.append(
                Invalid(_l("No such country: %(codes)s.", codes=", ".join(unknown)),
                        field="countries")
            )  # fmt: skip
        elif not rows:
            problems.append(
                Invalid(_l("Choose at least one beneficiary country."), field="countries")
            )
        clean["countries"] = rows
    clean["institutions"] = _text(
        values.get("institutions"), "institutions", problems, limit=LONG_TEXT_MAX
    )
    audiences = _choices(values.get("audiences"), "audiences", problems)
    if audiences is not None:
        wrong = [item for item in audiences if item not in AUDIENCE_LABELS]
        if wrong:
            problems.append(Invalid(_l("Choose the audiences from the list."), field="audiences"))
        clean["audiences"] = [key for key in AUDIENCE_LABELS if key in audiences]
    for field in ("participants_women", "participants_men"):
        clean[field] = _count(values.get(field), field, problems)
    addresses = _choices(values.get("addresses"), "addresses", problems)
    if addresses:
        names = addressable() if known is None else known
        wrong = [ref for ref in addresses if ref not in names]
        if wrong:
            problems.append(
                Invalid(_l("No such provision or capability area: %(refs)s.",
                           refs=", ".join(wrong)), field="addresses")
            )  # fmt: skip
    clean["addresses"] = addresses or []
    clean["outputs"] = _text(values.get("outputs"), "outputs", problems, limit=LONG_TEXT_MAX)
    return Checked(clean, problems)


FIELDS = (
    "title",
    "provider",
    "donor",
    "starts_on",
    "ends_on",
    "format",
    "location",
    "online",
    "institutions",
    "audiences",
    "participants_women",
    "participants_men",
    "addresses",
    "outputs",
)


def _snapshot(activity: Activity) -> dict[str, Any]:
    """The activity's fields as the audit trail keeps them."""
    data = {name: getattr(activity, name) for name in FIELDS}
    for name in ("starts_on", "ends_on"):
        data[name] = data[name].isoformat() if data[name] else None
    data["countries"] = [country.code for country in activity.countries]
    return data


def _coordinator(user: User) -> None:
    if not can_manage_needs(user):
        raise Forbidden(_l("Only coordinators keep the register of activities."))


def _apply(activity: Activity, checked: Checked) -> None:
    if checked.problems:
        raise checked.problems[0]
    for name in FIELDS:
        setattr(activity, name, checked.values[name])
    activity.countries = checked.values["countries"]


# --- Creating and changing ---------------------------------------------------------------------


def create_activity(values: Mapping[str, Any], user: User, *, checked: Checked | None = None):
    """Add an activity to the register, planned.

    :param values: as ``check`` takes them.
    :param checked: the result of ``check(values)`` when the caller ran it already.
    :returns: the new activity.
    :raises Forbidden: unless ``user`` is a coordinator or an admin.
    :raises Invalid: for the first value that does not fit, naming its field.
    """
    _coordinator(user)
    checked = checked or check(values)
    activity = Activity(created_by_id=user.id, created_at=utcnow(), updated_at=utcnow())
    _apply(activity, checked)
    db.session.add(activity)
    db.session.flush()
    audit.record("activity.created", actor=user, obj=activity, after=_snapshot(activity))
    return activity


def _claim(activity: Activity, version: Any) -> None:
    """Move the activity's version on from ``version``, or refuse when someone else did first
    (compare-and-set in the database, so two simultaneous changes cannot both pass)."""
    if not isinstance(version, int) or isinstance(version, bool):
        raise Invalid(_l("Give the version of the activity you started from."), field="version")
    moved = db.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.version == version)
        .values(version=version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.refresh(activity)
        raise Refused(
            _l("Someone changed the activity since you opened it. Reload it and try again."),
            field="version",
            current_version=activity.version,
        )
    db.session.expire(activity, ["version", "updated_at"])


def update_activity(
    activity: Activity,
    values: Mapping[str, Any],
    version: Any,
    user: User,
    *,
    checked: Checked | None = None,
) -> Activity:
    """Change an activity's details.

    :param version: the activity's version the user started from.
    :raises Forbidden: unless ``user`` is a coordinator or an admin.
    :raises Invalid: for the first value that does not fit, naming its field.
    :raises Refused: when the activity changed since ``version``.
    """
    _coordinator(user)
    checked = checked or check(values)
    if checked.problems:
        raise checked.problems[0]
    before = _snapshot(activity)
    _claim(activity, version)
    _apply(activity, checked)
    db.session.flush()
    after = _snapshot(activity)
    changed = [name for name in after if after[name] != before[name]]
    audit.record(
        "activity.updated",
        actor=user,
        obj=activity,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return activity


def linked_needs(activity: Activity, user: User | None = None) -> list[Need]:
    """Return the needs matched with the activity (those ``user`` may see, when given), with
    their countries (one query)."""
    query = (
        select(Need)
        .join(ActivityNeed, ActivityNeed.need_id == Need.id)
        .where(ActivityNeed.activity_id == activity.id)
        .options(joinedload(Need.country))
        .order_by(Need.country_id, Need.kind.desc(), Need.ref, Need.id)
    )
    if user is not None:
        query = query.join(Assessment, Assessment.id == Need.assessment_id).where(
            visible_needs(user)
        )
    return list(db.session.scalars(query))


def change_status(activity: Activity, action: str, user: User) -> list[Need]:
    """Take a step of the activity (``start_delivery``, ``deliver``, ``cancel``) and move its
    matched needs on: in delivery with it, delivered with it (needs in a state that does not
    allow the step keep theirs).

    :returns: the needs moved.
    :raises Forbidden: unless ``user`` is a coordinator or an admin.
    :raises Refused: when the activity's status does not allow the step, or it changed meanwhile.
    """
    _coordinator(user)  # the role before the status: a role that never may hears so
    problem = ACTIVITY.refusal(activity, action, user)
    if problem is not None:
        raise problem
    _claim(activity, activity.version)
    ACTIVITY.perform(activity, action, user)
    moved = []
    step = NEED_STEPS.get(action)
    if step:
        for need in linked_needs(activity):
            if NEED.refusal(need, step, user) is None:
                _step_need(need, step, user, activity)
                moved.append(need)
    db.session.flush()
    return moved


def _step_need(need: Need, step: str, user: User, activity: Activity) -> None:
    NEED.perform(need, step, user, activity=activity.id)
    need.version = (need.version or 0) + 1
    need.updated_at = utcnow()


# --- Needs -------------------------------------------------------------------------------------


def _need_id(value: Any) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise Invalid(_l("Choose a need from the list."), field="need")


def link_need(activity: Activity, need_id: Any, user: User) -> Need:
    """Match a need of one of the activity's beneficiary countries with the activity: the need
    becomes matched when it was identified or requested, and follows the activity when it is
    already in delivery or delivered.

    :raises Forbidden: unless ``user`` is a coordinator or an admin.
    :raises Invalid: (``need``) for no such need, another country's need, a need closed or
        declined, or one matched with the activity already; nothing is saved.
    :raises Refused: when the activity is cancelled.
    """
    _coordinator(user)
    need = db.session.get(Need, _need_id(need_id))
    if need is None:
        raise Invalid(_l("There is no such need."), field="need")
    if need.country_id not in {country.id for country in activity.countries}:
        raise Invalid(
            _l("This need is another country's: only needs of the activity's beneficiary "
               "countries can be matched with it."),
            field="need",
            reason="other_country",
        )  # fmt: skip
    if need.status not in LINKABLE:
        raise Invalid(
            _l("This need is closed or declined: re-open it before matching it."), field="need"
        )
    if ACTIVITY.status(activity) not in TAKES_NEEDS:
        raise Refused(_l("A cancelled activity takes no needs."))
    exists = db.session.get(ActivityNeed, (activity.id, need.id))
    if exists is not None:
        raise Invalid(_l("This need is matched with the activity already."), field="need")
    db.session.add(
        ActivityNeed(
            activity_id=activity.id, need_id=need.id, linked_at=utcnow(), linked_by_id=user.id
        )
    )
    db.session.flush()
    audit.record(
        "activity.need_linked",
        actor=user,
        obj=activity,
        need=need.id,
        country=need.country.code,
        ref=need.ref,
    )
    for step in ("match", *CATCH_UP.get(ACTIVITY.status(activity), ())):
        if NEED.refusal(need, step, user) is None:
            _step_need(need, step, user, activity)
    db.session.flush()
    return need


def unlink_need(activity: Activity, need_id: Any, user: User) -> None:
    """Take a need off the activity; a need matched with no other activity goes back to
    requested (the country asked for assistance) or identified.

    :raises Forbidden: unless ``user`` is a coordinator or an admin.
    :raises NotFound: when the need is not matched with the activity.
    """
    _coordinator(user)
    link = db.session.get(ActivityNeed, (activity.id, _need_id(need_id)))
    if link is None:
        raise NotFound(_l("This need is not matched with the activity."))
    db.session.delete(link)
    db.session.flush()
    audit.record("activity.need_unlinked", actor=user, obj=activity, need=link.need_id)
    need = db.session.get(Need, link.need_id)
    others = db.session.scalar(
        select(ActivityNeed.activity_id).where(ActivityNeed.need_id == need.id).limit(1)
    )
    if need.status is NeedStatus.MATCHED and others is None:
        for action in ("unmatch_requested", "unmatch"):
            if NEED.refusal(need, action, user) is None:
                NEED.perform(need, action, user, activity=activity.id)
                break


def candidate_needs(activity: Activity, linked: Iterable[Need] = ()) -> list[Need]:
    """Return the needs of the activity's beneficiary countries that may be matched with it and
    are not yet (one query)."""
    ids = [country.id for country in activity.countries]
    taken = {need.id for need in linked}
    rows = db.session.scalars(
        select(Need)
        .where(Need.country_id.in_(ids), Need.status.in_(sorted(LINKABLE)))
        .options(joinedload(Need.country))
        .order_by(Need.country_id, Need.priority.is_(None), Need.priority, Need.ref, Need.id)
    )
    return [need for need in rows if need.id not in taken]


# --- Documents ---------------------------------------------------------------------------------


def add_document(activity: Activity, data: bytes, filename: str, user: User) -> ActivityDocument:
    """Store a document of the activity (agenda, report, materials) after checking its size and
    its sniffed type.

    :raises Forbidden: unless ``user`` is a coordinator or an admin.
    :raises Invalid: (``file``) when the file is empty, too large or of a type not accepted.
    """
    _coordinator(user)
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if not data:
        raise Invalid(_l("The file is empty."), field="file", reason="empty")
    if len(data) > limit:
        raise Invalid(
            _l("The file is larger than %(size)s MB.", size=f"{limit / 1_000_000:g}"),
            field="file",
            reason="too_large",
        )
    content_type = filetype.guess_mime(data)
    if content_type not in DOCUMENT_TYPES:
        raise Invalid(
            _l("Only PDF, DOCX, XLSX, PPTX, ODT, PNG and JPEG files are accepted."),
            field="file",
            reason="type",
        )
    document = ActivityDocument(
        public_id=secrets.token_hex(16),
        activity_id=activity.id,
        filename=sanitise_filename(filename or "document", DOCUMENT_TYPES[content_type]),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=utcnow(),
        uploaded_by_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    storage().put(document.public_id, data)  # last: nothing is stored for a refused upload
    audit.record(
        "activity.document_uploaded",
        actor=user,
        obj=activity,
        document=document.public_id,
        filename=document.filename,
        size=document.size,
    )
    return document


def documents(activity: Activity) -> list[ActivityDocument]:
    """Return the activity's documents, oldest first."""
    return list(
        db.session.scalars(
            select(ActivityDocument)
            .where(ActivityDocument.activity_id == activity.id)
            .order_by(ActivityDocument.id)
        )
    )


def open_document(
    activity: Activity, public_id: str, user: User
) -> tuple[ActivityDocument, BinaryIO]:
    """Return one of the activity's documents and its bytes opened for reading; audit it.

    :raises NotFound: when the activity has no such document, or ``user`` may not see it.
    """
    if not can_see_activity(user, activity):
        raise NotFound(_l("There is no such activity."))
    document = db.session.scalar(
        select(ActivityDocument).where(
            ActivityDocument.activity_id == activity.id, ActivityDocument.public_id == public_id
        )
    )
    if document is None:
        raise NotFound(_l("There is no such document."))
    stream = storage().open(document.public_id)
    audit.record(
        "activity.document_downloaded",
        actor=user,
        obj=activity,
        document=document.public_id,
        filename=document.filename,
    )
    return document, stream


# --- Effect ------------------------------------------------------------------------------------


def _effects_for(user: User, needs: list[Need]) -> dict[int, Any]:
    """The effects ``user`` may read (``app.capacity.needs.effects``): the country's officials
    see later results once published."""
    from app.capacity.needs import effects

    return effects(needs, published_only=getattr(user, "role", None) is Role.OFFICIAL)


def effect_of(effect: Any) -> str:
    """Return the effect's key in ``EFFECT_LABELS`` (``not_reviewed`` for none yet)."""
    return effect.direction if effect is not None else "not_reviewed"


def _tally(needs: Iterable[Need], found: Mapping[int, Any]) -> Counter:
    """Count the needs by effect; a provisional one (its later review under way) is not yet
    reviewed."""
    counts: Counter = Counter(dict.fromkeys(EFFECT_LABELS, 0))
    for need in needs:
        effect = found.get(need.id)
        counts[effect_of(None if effect is not None and effect.provisional else effect)] += 1
    return counts


def effect_summary(activity: Activity, user: User) -> tuple[list[Need], dict[int, Any], Counter]:
    """Return the activity's needs ``user`` may see, the effect of each and their counts by
    effect (improved, unchanged, worse, not yet reviewed); at most four queries."""
    needs = linked_needs(activity, user)
    found = _effects_for(user, needs)
    return needs, found, _tally(needs, found)


def links(activities: list[Activity], user: User) -> dict[int, list[Need]]:
    """Return the needs ``user`` may see of each activity, by activity id (one query)."""
    result: dict[int, list[Need]] = {activity.id: [] for activity in activities}
    if not activities:
        return result
    rows = db.session.execute(
        select(ActivityNeed.activity_id, Need)
        .join(Need, Need.id == ActivityNeed.need_id)
        .join(Assessment, Assessment.id == Need.assessment_id)
        .where(ActivityNeed.activity_id.in_(list(result)), visible_needs(user))
        .order_by(Need.id)
    )
    for activity_id, need in rows:
        result[activity_id].append(need)
    return result


def donor_summary(activities: list[Activity], user: User) -> list[tuple[str | None, int, Counter]]:
    """Return, per donor (None: no donor named), its number of activities and the effect counts
    of their needs ``user`` may see; a need answered by several of a donor's activities counts
    once. Largest donors first; at most four queries."""
    matched = links(activities, user)
    every = {need.id: need for needs in matched.values() for need in needs}
    found = _effects_for(user, list(every.values()))
    donors: dict[str | None, tuple[list[Activity], dict[int, Need]]] = {}
    for activity in activities:
        entry = donors.setdefault(activity.donor, ([], {}))
        entry[0].append(activity)
        for need in matched[activity.id]:
            entry[1][need.id] = need
    rows = [
        (donor, len(items), _tally(needs.values(), found))
        for donor, (items, needs) in donors.items()
    ]
    return sorted(rows, key=lambda row: (-row[1], row[0] is None, (row[0] or "").casefold()))


# --- Reading -----------------------------------------------------------------------------------


def find(activity_id: Any, user: User) -> Activity:
    """Return the activity ``user`` may see, with its countries.

    :raises NotFound: when there is none, or ``user`` may not see it (its existence stays private).
    """
    activity = None
    if isinstance(activity_id, int) and not isinstance(activity_id, bool):
        activity = db.session.scalar(
            select(Activity)
            .where(Activity.id == activity_id)
            .options(selectinload(Activity.countries))
        )
    if activity is None or not can_see_activity(user, activity):
        raise NotFound(_l("There is no such activity."))
    return activity


# --- The register ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The register's filters, as given in the address (values that do not fit are ignored)."""

    country: str | None = None
    donor: str | None = None
    format: str | None = None
    status: str | None = None
    year: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Filters:
        """Read the filters from query arguments, dropping those that do not fit."""

        def text(name: str, limit: int) -> str | None:
            value = args.get(name)
            if not isinstance(value, str):
                return None
            value = value.strip()
            return value if value and len(value) <= limit else None

        year = text("year", 4)
        status = text("status", 20)
        kind = text("format", 30)
        return cls(
            country=(text("country", 3) or "").upper() or None,
            donor=text("donor", 200),
            format=kind if kind in FORMAT_LABELS else None,
            status=status if status in ACTIVITY.labels else None,
            year=int(year) if year and year.isdigit() and 1900 <= int(year) <= 2200 else None,
        )

    def args(self) -> dict[str, Any]:
        """Return the filters set, as query arguments."""
        return {key: value for key, value in vars(self).items() if value is not None}


def register(user: User, filters: Filters = Filters()) -> list[Activity]:
    """Return the activities ``user`` may see that match ``filters``, with their countries, the
    latest start first (two queries)."""
    from app.core.permissions import visible_activities

    query = visible_activities(user).options(selectinload(Activity.countries))
    if filters.country:
        query = query.where(Activity.countries.any(Country.code == filters.country))
    if filters.donor:
        query = query.where(Activity.donor == filters.donor)
    if filters.format:
        query = query.where(Activity.format == filters.format)
    if filters.status:
        query = query.where(Activity.status == filters.status)
    if filters.year:
        query = query.where(
            Activity.starts_on <= date(filters.year, 12, 31),
            Activity.ends_on >= date(filters.year, 1, 1),
        )
    return list(db.session.scalars(query))


def filter_options(user: User) -> dict[str, list]:
    """Return what the register's filters offer ``user``: the donors and years of the activities
    they may see, and the countries those activities serve (three queries)."""
    from app.core.permissions import visible_activities
    from app.models.capacity import activity_countries

    visible = visible_activities(user).order_by(None).subquery()
    donors = db.session.scalars(
        select(visible.c.donor).where(visible.c.donor.is_not(None)).distinct()
    )
    first, last = db.session.execute(
        select(func.min(visible.c.starts_on), func.max(visible.c.ends_on))
    ).one()
    countries = db.session.scalars(
        select(Country)
        .join(activity_countries, activity_countries.c.country_id == Country.id)
        .where(activity_countries.c.activity_id.in_(select(visible.c.id)))
        .distinct()
    )
    if getattr(user, "role", None) is Role.OFFICIAL:
        countries = [country for country in countries if country.id == user.country_id]
    years = list(range(last.year, first.year - 1, -1)) if first and last else []
    return {
        "donors": sorted(donors, key=str.casefold),
        "years": years,
        "countries": list(countries),
    }
