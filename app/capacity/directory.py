"""The 24/7 directory and the industry contact list: networks, each country's points of contact,
their verification and reachability tests, the liaison points of service providers, and the
directory's exports.

Services take model objects and plain values, flush but never commit, and audit every change
and every export. A change of a contact or a provider also writes a ``ContactRevision`` with the
fields it changed, before and after (the record's history).
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.core import audit
from app.core.db import utcnow
from app.core.errors import Forbidden, Invalid, NotFound, Refused
from app.core.permissions import Role, can_keep_contact, can_read_directory
from app.extensions import db
from app.frameworks.types import CONTROL_CHARACTERS
from app.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Contact,
    ContactNetwork,
    ContactRevision,
    ContactTest,
    Country,
    Cycle,
    Provider,
    User,
)

#: The networks every directory has (created on first use): key, name.
STANDARD_NETWORKS = (
    ("budapest_35", "Budapest Convention Art. 35 (24/7 Network)"),
    ("un_24_7", "UN Convention against Cybercrime 24/7 network"),
)
BUDAPEST = "budapest_35"
UN = "un_24_7"
DEFAULT_INTERVAL = 6
MAX_INTERVAL = 36

UNIT_TYPES = {
    "police": _l("Police or other law enforcement"),
    "prosecution": _l("Prosecution service"),
    "ministry": _l("Ministry"),
    "cert": _l("CERT / CSIRT"),
    "other": _l("Other"),
}
VERIFICATION_METHODS = {
    "call": _l("Telephone call"),
    "email": _l("E-mail"),
    "secure_channel": _l("Secure channel"),
    "in_person": _l("In person"),
}
TEST_CHANNELS = {
    "phone": _l("Telephone"),
    "email": _l("E-mail"),
    "secure_channel": _l("Secure channel"),
}
#: Outcomes of a reachability test: label and badge (the label always accompanies the colour).
TEST_OUTCOMES = {
    "reached": (_l("Reached"), "text-bg-success"),
    "reached_late": (_l("Reached late"), "text-bg-warning"),
    "not_reached": (_l("Not reached"), "text-bg-danger"),
}
REQUEST_KINDS = {
    "preservation": _l("Preservation"),
    "subscriber_data": _l("Subscriber data"),
    "traffic_data": _l("Traffic data"),
    "content": _l("Content data"),
    "emergency_disclosure": _l("Emergency disclosure"),
}

#: The fields of a contact a person keeps (verification is a step of its own).
CONTACT_FIELDS = (
    "unit",
    "unit_type",
    "phone",
    "email",
    "secure_channel",
    "languages",
    "can_preserve",
    "can_disclose_in_emergency",
    "mla_authority",
)
PROVIDER_FIELDS = (
    "name",
    "established_in",
    "unit",
    "portal_url",
    "email",
    "phone",
    "request_kinds",
    "languages",
    "emergency_channel",
    "interval_months",
    "countries",
)
#: Lengths of the text fields (the columns' sizes).
LIMITS = {
    "unit": 200,
    "secure_channel": 200,
    "languages": 200,
    "mla_authority": 300,
    "name": 200,
    "portal_url": 500,
    "emergency_channel": 300,
    "notes": 2000,
}
EARLIEST = date(2000, 1, 1)

# The questionnaire's answers a directory is prefilled from.
CONTACT_QUESTION = "cap.contact_point.contact"
HOST_QUESTION = "cap.contact_point.host_type"
NETWORKS_QUESTION = "cap.contact_point.networks"
#: The questionnaire's networks choices that name a standard network.
NETWORK_CHOICES = {"coe_budapest": BUDAPEST, "un_convention": UN}


# --- Small parsers -----------------------------------------------------------------------------


def today() -> date:
    """Return today's date in UTC (the date every rule compares with)."""
    return utcnow().date()


def _text(value: Any, name: str, *, required: bool = False, message=None) -> str | None:
    """Return a trimmed single-line text (None when empty); Invalid on ``name`` otherwise."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise Invalid(_l("Give a text."), field=name)
    if not text:
        if required:
            raise Invalid(message or _l("This field is required."), field=name)
        return None
    limit = LIMITS.get(name, 200)
    if len(text) > limit:
        raise Invalid(_l("Keep it under %(num)d characters.", num=limit), field=name)
    if CONTROL_CHARACTERS.search(text) and name != "notes":
        raise Invalid(_l("Remove the control characters (line breaks, tabs)."), field=name)
    return text


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "n", "no", "false", "0", "off"):
        return False
    if value in ("y", "yes", "true", "1", "on"):
        return True
    raise Invalid(_l("Answer yes or no."), field=name)


def _choice(value: Any, choices: Mapping[str, Any], name: str, message) -> str:
    if not isinstance(value, str) or value not in choices:
        raise Invalid(message, field=name)
    return value


def _date(value: Any, name: str, *, on: date | None = None) -> date:
    """Return a past or present date from a date or an ISO text; Invalid on ``name`` otherwise."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise Invalid(_l("Give the date as YYYY-MM-DD."), field=name)
    if value > (on or today()):
        raise Invalid(_l("The date cannot be in the future."), field=name)
    if value < EARLIEST:
        raise Invalid(_l("Give a date from 2000 on."), field=name)
    return value


def phone_region(country: Country | None) -> str | None:
    """Return the two-letter region national numbers of ``country`` are read in, if any (the
    demo countries XAA… have none)."""
    if country is None:
        return None
    found = pycountry.countries.get(alpha_3=country.code)
    return found.alpha_2 if found else None


def parse_phone(value: Any, country: Country | None, name: str = "phone", *, required=True):
    """Return the number in E.164 (``+33123456789``), or None when empty and not required.

    International form (``+33 1 23 45 67 89``) is always understood; a national number only where
    the country's region is known.

    :raises Invalid: on ``name`` for a missing, malformed or impossible number.
    """
    text = _text(value, name, required=required, message=_l("Give the 24/7 telephone number."))
    if text is None:
        return None
    region = phone_region(country)
    if region is None and not text.startswith("+"):
        raise Invalid(
            _l("Give the number in international form, starting with + and the country code."),
            field=name,
        )
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Invalid(
            _l(
                "“%(text)s” is not a valid telephone number: give it in international form, "
                "e.g. +33 1 23 45 67 89.",
                text=text,
            ),
            field=name,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """Return an E.164 number in the international form people read."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def clean_email(value: Any, name: str = "email", *, required: bool = True) -> str | None:
    """Return the normalised e-mail address (None when empty and not required).

    :raises Invalid: on ``name`` for a missing or malformed address.
    """
    text = _text(value, name, required=required, message=_l("Give the functional e-mail address."))
    if text is None:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(
            _l("“%(text)s” is not a valid e-mail address.", text=text), field=name
        ) from None


def _url(value: Any, name: str = "portal_url") -> str | None:
    text = _text(value, name)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        raise Invalid(_l("Give a web address starting with https:// or http://."), field=name)
    return text


def _interval(value: Any, name: str = "interval_months") -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_INTERVAL:
        raise Invalid(
            _l("Give a whole number of months from 1 to %(num)d.", num=MAX_INTERVAL), field=name
        )
    return value


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved ``months`` later, on the month's last day when it is shorter
    (31 August + 6 months = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Permissions inside the services -----------------------------------------------------------


def _require_reader(user: User) -> None:
    if not can_read_directory(user):
        raise Forbidden(
            _l(
                "The directory is for coordinators, reviewers and the officials of "
                "participating countries."
            )
        )


def _require_keeper(user: User, country_id: int | None) -> None:
    """Refuse unless ``user`` keeps the records of ``country_id``: another country's officials
    hear 404 (they keep none of its records), other readers 403."""
    if can_read_directory(user) and can_keep_contact(user, country_id):
        return
    if getattr(user, "role", None) is Role.OFFICIAL:
        raise NotFound(_l("There is no such contact of your country."))
    raise Forbidden(_l("Only coordinators and the country's officials keep its contacts."))


def _require_provider_keeper(user: User, provider: Provider | None, established_in_id) -> None:
    """Refuse unless ``user`` keeps ``provider`` (if any) and may say it is established in
    ``established_in_id``: an official who names no country is asked for theirs (Invalid)."""
    _require_reader(user)
    why = _l("Coordinators keep the list; officials keep providers established in their country.")
    if provider is not None and not can_keep_contact(user, provider.established_in_id):
        raise Forbidden(why)
    if not can_keep_contact(user, established_in_id):
        if user.role is Role.OFFICIAL and established_in_id is None:
            raise Invalid(
                _l("Choose your country: officials keep the providers established in it."),
                field="established_in",
            )
        raise Forbidden(why)


def may_keep_provider(user: User, provider: Provider | None = None) -> bool:
    """Return whether ``user`` may add providers (``provider`` None) or keep ``provider``."""
    if not can_read_directory(user):
        return False
    if provider is None:
        return user.role in (Role.COORDINATOR, Role.ADMIN) or (
            user.role is Role.OFFICIAL and user.country_id is not None
        )
    return can_keep_contact(user, provider.established_in_id)


def may_keep(user: User, country: Country) -> bool:
    """Return whether ``user`` keeps ``country``'s 24/7 contacts."""
    return can_read_directory(user) and can_keep_contact(user, country.id)


# --- Networks ----------------------------------------------------------------------------------


def ensure_networks(added: list[ContactNetwork] | None = None) -> list[ContactNetwork]:
    """Return every network in the order they were added, after adding the standard ones that
    are missing (flushed; appended to ``added``, so that a view knows to commit).

    Costs one query when they exist (the usual case).
    """
    networks = list(db.session.scalars(select(ContactNetwork).order_by(ContactNetwork.id)))
    keys = {network.key for network in networks}
    for key, name in STANDARD_NETWORKS:
        if key not in keys:
            network = ContactNetwork(key=key, name=name, interval_months=DEFAULT_INTERVAL)
            db.session.add(network)
            networks.append(network)
            if added is not None:
                added.append(network)
    if len(networks) > len(keys):
        db.session.flush()
    return networks


def network_by_key(key: str) -> ContactNetwork | None:
    """Return the network with ``key`` (the standard ones are created if need be)."""
    return next((n for n in ensure_networks() if n.key == key), None)


def _network_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:32] or "network"
    taken = set(db.session.scalars(select(ContactNetwork.key)))
    candidate, number = key, 2
    while candidate in taken:
        candidate, number = f"{key}_{number}", number + 1
    return candidate


def add_network(name: Any, interval_months: Any, user: User) -> ContactNetwork:
    """Add a network of 24/7 contacts (coordinators).

    :raises Forbidden: for anyone but coordinators and admins.
    :raises Invalid: on ``name`` (missing, too long, taken) or ``interval_months`` (not 1–36).
    """
    if getattr(user, "role", None) not in (Role.COORDINATOR, Role.ADMIN):
        raise Forbidden(_l("Only coordinators add networks."))
    name = _text(name, "name", required=True, message=_l("Name the network."))
    months = _interval(interval_months)
    existing = {n.name.casefold() for n in ensure_networks()}
    if name.casefold() in existing:
        raise Invalid(_l("There is a network of that name already."), field="name")
    network = ContactNetwork(key=_network_key(name), name=name, interval_months=months)
    db.session.add(network)
    db.session.flush()
    audit.record(
        "directory.network_added",
        actor=user,
        obj=network,
        after={"key": network.key, "name": name, "interval_months": months},
    )
    return network


def update_network(network: ContactNetwork, interval_months: Any, active: Any, user: User) -> bool:
    """Set a network's re-verification interval and whether it is in use (coordinators); return
    whether anything changed.

    :raises Invalid: on ``interval_months`` (not 1–36).
    """
    if getattr(user, "role", None) not in (Role.COORDINATOR, Role.ADMIN):
        raise Forbidden(_l("Only coordinators set the networks' intervals."))
    months = _interval(interval_months)
    active = _flag(active, "active")
    before = {"interval_months": network.interval_months, "active": network.active}
    after = {"interval_months": months, "active": active}
    if before == after:
        return False
    network.interval_months, network.active = months, active
    db.session.flush()
    audit.record("directory.network_updated", actor=user, obj=network, before=before, after=after)
    return True


# --- Contacts ----------------------------------------------------------------------------------


def _as_json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Country):
        return value.code
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def _claim(record) -> None:
    """Move the record's version on from the one read, or refuse when a colleague did first:
    compare-and-set in the database, so two simultaneous changes cannot both pass."""
    model, expected = type(record), record.version
    moved = db.session.execute(
        update(model)
        .where(model.id == record.id, model.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise _changed_since()
    set_committed_value(record, "version", expected + 1)


def _changed_since(record=None) -> Refused:
    if isinstance(record, Contact):
        message = _l(
            "A colleague changed this contact after you opened it. Reload the page and make "
            "your change again."
        )
    else:
        message = _l(
            "A colleague changed this entry after you opened it. Reload the page and make your "
            "change again."
        )
    return Refused(message, field="version")


def _check_version(record: Contact | Provider, started_from: int | None) -> None:
    """Refuse a change made from another version than the record's (409)."""
    if started_from != record.version:
        raise _changed_since(record)


def _revise(
    kind: str, record, fields: Sequence[str], new: Mapping[str, Any], user, *, created: bool = False
) -> dict[str, tuple[Any, Any]]:
    """Apply ``new`` to ``record``; write a revision of what changed and bump the version.
    Return the changes by field (empty: nothing changed, nothing written)."""
    changes = {}
    for name in fields:
        if name not in new:
            continue
        old = None if created else getattr(record, name)
        if created or _as_json(old) != _as_json(new[name]):
            changes[name] = (old, new[name])
    if not changes:
        return changes
    if not created:
        _claim(record)
    for name, (_old, value) in changes.items():
        setattr(record, name, value)
    record.updated_at = utcnow()
    record.updated_by_id = user.id if user is not None else None
    db.session.flush()
    db.session.add(
        ContactRevision(
            kind=kind,
            record_id=record.id,
            before=None if created else {k: _as_json(v[0]) for k, v in changes.items()},
            after={k: _as_json(v[1]) for k, v in changes.items()},
            changed_by_id=user.id if user is not None else None,
        )
    )
    return changes


def contact_values(values: Mapping[str, Any], country: Country) -> dict[str, Any]:
    """Check a contact's fields; return them cleaned (phone in E.164, e-mail normalised).

    :raises Invalid: on the first field that does not fit, named.
    """
    return {
        "unit": _text(values.get("unit"), "unit", required=True, message=_l("Name the unit.")),
        "unit_type": _choice(
            values.get("unit_type"), UNIT_TYPES, "unit_type", _l("Choose the type of unit.")
        ),
        "phone": parse_phone(values.get("phone"), country),
        "email": clean_email(values.get("email")),
        "secure_channel": _text(values.get("secure_channel"), "secure_channel"),
        "languages": _text(values.get("languages"), "languages"),
        "can_preserve": _flag(values.get("can_preserve"), "can_preserve"),
        "can_disclose_in_emergency": _flag(
            values.get("can_disclose_in_emergency"), "can_disclose_in_emergency"
        ),
        "mla_authority": _text(values.get("mla_authority"), "mla_authority"),
    }


def find_contact(country: Country, network: ContactNetwork) -> Contact | None:
    """Return ``country``'s contact in ``network``, if any."""
    return db.session.scalar(
        select(Contact).where(Contact.country_id == country.id, Contact.network_id == network.id)
    )


def _version(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise Invalid(_l("Reload the page: the form's version is missing."), field="version")


def save_contact(
    country: Country,
    network: ContactNetwork,
    values: Mapping[str, Any],
    *,
    version: Any,
    user: User,
) -> Contact:
    """Create or change ``country``'s contact in ``network`` (its officials, coordinators).

    :param values: the fields of ``CONTACT_FIELDS`` as typed (texts, booleans).
    :param version: the contact's version the form started from (None or 0 for a new one).
    :returns: the contact, flushed, with a revision of what changed.
    :raises NotFound: an official of another country; ``Forbidden``: another reader.
    :raises Invalid: on the field at fault. ``Refused`` (409): someone changed it since.
    """
    _require_keeper(user, country.id)
    cleaned = contact_values(values, country)
    started_from = _version(version)
    contact = find_contact(country, network)
    if contact is None:
        if started_from:
            raise Refused(_l("This contact was removed since you opened the page; reload it."))
        contact = Contact(country_id=country.id, network_id=network.id, **cleaned)
        contact.network = network
        db.session.add(contact)
        db.session.flush()
        _revise("contact", contact, CONTACT_FIELDS, cleaned, user, created=True)
        audit.record(
            "contact.created",
            actor=user,
            obj=contact,
            after=_snapshot(contact),
            country=country.code,
            network=network.key,
        )
        return contact
    _check_version(contact, started_from)
    changes = _revise("contact", contact, CONTACT_FIELDS, cleaned, user)
    if changes:
        audit.record(
            "contact.updated",
            actor=user,
            obj=contact,
            before={k: _as_json(v[0]) for k, v in changes.items()},
            after={k: _as_json(v[1]) for k, v in changes.items()},
            country=country.code,
            network=network.key,
        )
    return contact


def _snapshot(contact: Contact) -> dict[str, Any]:
    return {name: _as_json(getattr(contact, name)) for name in CONTACT_FIELDS}


@dataclass
class Prefilled:
    """What ``prefill_from_assessment`` did: the contacts it created or filled, the fields it
    filled, and the answers it could not take (field: why)."""

    assessment: Assessment
    contacts: list[Contact] = field(default_factory=list)
    filled: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def latest_submitted(country: Country) -> Assessment | None:
    """Return the country's assessment of the newest cycle that was submitted (or finished)."""
    return db.session.scalar(
        select(Assessment)
        .join(Assessment.cycle)
        .where(
            Assessment.country_id == country.id,
            Assessment.status != AssessmentStatus.DRAFT,
        )
        .order_by(Cycle.id.desc())
        .limit(1)
    )


def prefill_from_assessment(country: Country, user: User) -> Prefilled:
    """Create or fill the country's Budapest Art. 35 contact (and its UN one, when its answers
    name that network) from its latest submitted assessment's contact answers; only fields
    still empty are filled. A phone number or an e-mail address that does not parse is left
    out (see ``skipped``) for the official to give.

    :raises Refused: when the country has no submitted assessment, or it gives no contact.
    """
    _require_keeper(user, country.id)
    assessment = latest_submitted(country)
    if assessment is None:
        raise Refused(_l("Your country has no submitted assessment to take the contact from."))
    rows = db.session.scalars(
        select(Answer).where(
            Answer.assessment_id == assessment.id,
            Answer.question_id.in_([CONTACT_QUESTION, HOST_QUESTION, NETWORKS_QUESTION]),
        )
    )
    answered = {row.question_id: row.value for row in rows}
    given = answered.get(CONTACT_QUESTION)
    if not isinstance(given, dict) or not given.get("unit"):
        raise Refused(_l("The assessment gives no contact record of the 24/7 point of contact."))
    result = Prefilled(assessment)
    candidate: dict[str, Any] = {"unit": given.get("unit")}
    host = answered.get(HOST_QUESTION)
    candidate["unit_type"] = host if host in UNIT_TYPES else "other"
    for name, parse in (("phone", parse_phone), ("email", clean_email)):
        if given.get(name):
            try:
                candidate[name] = (
                    parse(given[name], country, name)
                    if name == "phone"
                    else (parse(given[name], name))
                )
            except Invalid as error:
                result.skipped[name] = str(error.message)
    for name in ("secure_channel", "languages"):
        if given.get(name):
            candidate[name] = str(given[name]).strip()[: LIMITS[name]]
    chosen = answered.get(NETWORKS_QUESTION) or []
    keys = [BUDAPEST] + [
        NETWORK_CHOICES[c] for c in chosen if NETWORK_CHOICES.get(c) not in (None, BUDAPEST)
    ]
    networks = {network.key: network for network in ensure_networks()}
    for key in keys:
        network = networks[key]
        contact = find_contact(country, network)
        if contact is None:
            values = {
                name: candidate.get(name, "" if name in ("phone", "email") else None)
                for name in CONTACT_FIELDS
                if name not in ("can_preserve", "can_disclose_in_emergency")
            }
            contact = Contact(country_id=country.id, network_id=network.id, **values)
            contact.network = network
            db.session.add(contact)
            db.session.flush()
            filled = {name: value for name, value in values.items() if value}
            _revise("contact", contact, CONTACT_FIELDS, filled, user, created=True)
        else:
            filled = {
                name: value
                for name, value in candidate.items()
                if value and not getattr(contact, name)
            }
            _revise("contact", contact, CONTACT_FIELDS, filled, user)
        result.contacts.append(contact)
        result.filled[key] = sorted(filled)
    audit.record(
        "contact.prefilled",
        actor=user,
        object_type="countries",
        object_id=country.id,
        assessment=assessment.id,
        filled=result.filled,
        skipped=sorted(result.skipped),
    )
    return result


def missing_fields(contact: Contact) -> list[str]:
    """Return the required fields a prefilled contact still lacks (phone, e-mail)."""
    return [name for name in ("unit", "phone", "email") if not getattr(contact, name)]


def verify(contact: Contact, on_date: Any, how: Any, user: User) -> Contact:
    """Record that ``contact`` was verified on ``on_date`` and how (the country's officials,
    coordinators).

    :param how: ``call``, ``email``, ``secure_channel`` or ``in_person``.
    :raises Invalid: on ``on`` (not a date, in the future, before 2000) or ``how``.
    """
    _require_keeper(user, contact.country_id)
    return _verified("contact", contact, on_date, how, user)


def _verified(kind: str, record, on_date: Any, how: Any, user: User):
    """Record a verification of a contact or a provider (``kind``): its date, who and how; a
    revision and an audit event (``<kind>.verified``)."""
    on = _date(on_date, "on")
    how = _choice(how, VERIFICATION_METHODS, "how", _l("Choose how it was verified."))
    new = {"verified_on": on, "verified_by_id": user.id, "verified_how": how}
    before = {k: _as_json(getattr(record, k)) for k in new}
    _revise(kind, record, tuple(new), new, user)
    audit.record(
        f"{kind}.verified",
        actor=user,
        obj=record,
        before=before,
        after={k: _as_json(v) for k, v in new.items()},
    )
    return record


def due_on(record: Contact | Provider) -> date | None:
    """Return the date by which ``record`` must be verified again (None: never verified)."""
    if record.verified_on is None:
        return None
    months = (
        record.network.interval_months if isinstance(record, Contact) else (record.interval_months)
    )
    return add_months(record.verified_on, months)


def overdue(record: Contact | Provider, on: date | None = None) -> bool:
    """Return whether ``record`` was never verified, or its re-verification date has passed
    (verified 31 January with 1 month: due 28/29 February, overdue from 1 March)."""
    due = due_on(record)
    return due is None or due < (on or today())


def contacts_query(
    *,
    network: ContactNetwork | None = None,
    region: str | None = None,
    country: Country | None = None,
):
    """Return the query of contacts in active networks, by country code and network."""
    query = (
        select(Contact)
        .join(Contact.network)
        .join(Contact.country)
        .where(ContactNetwork.active.is_(True))
        .options(selectinload(Contact.country), selectinload(Contact.verified_by))
        .order_by(Country.code, ContactNetwork.id)
    )
    if network is not None:
        query = query.where(Contact.network_id == network.id)
    if region:
        query = query.where(Country.region == region)
    if country is not None:
        query = query.where(Contact.country_id == country.id)
    return query


def list_contacts(
    *, network=None, region=None, country=None, only_overdue=False, on: date | None = None
) -> list[Contact]:
    """Return the contacts of active networks, filtered; ``only_overdue``: those overdue."""
    found = list(
        db.session.scalars(contacts_query(network=network, region=region, country=country))
    )
    if only_overdue:
        found = [contact for contact in found if overdue(contact, on)]
    return found


def overdue_contacts(on: date | None = None) -> list[Contact]:
    """Return every contact overdue for verification (for the coordinators' dashboard): one
    query, then the month arithmetic in Python (portable across databases)."""
    rows = db.session.scalars(
        select(Contact)
        .join(Contact.network)
        .join(Contact.country)
        .where(ContactNetwork.active.is_(True))
        .options(selectinload(Contact.country))
        .order_by(Contact.verified_on.is_not(None), Contact.verified_on, Country.code)
    )
    return [contact for contact in rows if overdue(contact, on)]


@dataclass(frozen=True)
class CountryStatus:
    """The 24/7 contacts of one country as its home page shows them."""

    contacts: list[Contact]
    overdue: list[Contact]

    @property
    def missing(self) -> bool:
        return not self.contacts

    @property
    def attention(self) -> bool:
        return self.missing or bool(self.overdue)


def country_status(country: Country, on: date | None = None) -> CountryStatus:
    """Return ``country``'s contacts and those overdue (one query)."""
    contacts = list(
        db.session.scalars(
            select(Contact)
            .join(Contact.network)
            .where(Contact.country_id == country.id, ContactNetwork.active.is_(True))
            .order_by(ContactNetwork.id)
        )
    )
    return CountryStatus(contacts, [c for c in contacts if overdue(c, on)])


def record_test(
    contact: Contact,
    tested_on: Any,
    channel: Any,
    response_minutes: Any,
    outcome: Any,
    notes: Any,
    user: User,
) -> ContactTest:
    """Log a reachability test of ``contact`` (the country's officials, coordinators).

    :param response_minutes: minutes until a reply (an integer ≥ 0); empty when not reached.
    :raises Invalid: on ``on``, ``channel``, ``response_minutes``, ``outcome`` or ``notes``.
    """
    _require_keeper(user, contact.country_id)
    on = _date(tested_on, "on")
    channel = _choice(channel, TEST_CHANNELS, "channel", _l("Choose the channel tested."))
    outcome = _choice(outcome, TEST_OUTCOMES, "outcome", _l("Choose the outcome."))
    if isinstance(response_minutes, str):
        text = response_minutes.strip()
        response_minutes = int(text) if text.isdigit() else (text or None)
    if response_minutes is None:
        if outcome != "not_reached":
            raise Invalid(
                _l("Give the minutes until the contact answered."), field="response_minutes"
            )
    elif (
        not isinstance(response_minutes, int)
        or isinstance(response_minutes, bool)
        or response_minutes < 0
    ):
        raise Invalid(_l("Give a whole number of minutes, 0 or more."), field="response_minutes")
    elif outcome == "not_reached":
        raise Invalid(
            _l("Leave the response time empty when nobody answered."), field="response_minutes"
        )
    elif response_minutes > 60 * 24 * 31:
        raise Invalid(_l("Give the minutes within a month (44,640)."), field="response_minutes")
    if notes is not None and not isinstance(notes, str):
        raise Invalid(_l("Give a text."), field="notes")
    notes = (notes or "").strip() or None
    if notes and len(notes) > LIMITS["notes"]:
        raise Invalid(_l("Keep it under %(num)d characters.", num=LIMITS["notes"]), field="notes")
    test = ContactTest(
        contact_id=contact.id,
        tested_on=on,
        channel=channel,
        response_minutes=response_minutes,
        outcome=outcome,
        notes=notes,
        recorded_by_id=user.id,
    )
    db.session.add(test)
    db.session.flush()
    audit.record(
        "contact.tested",
        actor=user,
        obj=contact,
        after={
            "tested_on": on.isoformat(),
            "channel": channel,
            "outcome": outcome,
            "response_minutes": response_minutes,
        },
    )
    return test


def tests_of(contacts: Iterable[Contact]) -> dict[int, list[ContactTest]]:
    """Return the tests of ``contacts`` by contact id, newest first (one query)."""
    ids = [contact.id for contact in contacts]
    result: dict[int, list[ContactTest]] = {i: [] for i in ids}
    if not ids:
        return result
    for test in db.session.scalars(
        select(ContactTest)
        .where(ContactTest.contact_id.in_(ids))
        .order_by(ContactTest.tested_on.desc(), ContactTest.id.desc())
    ):
        result[test.contact_id].append(test)
    return result


def history(kind: str, record_id: int) -> list[ContactRevision]:
    """Return the revisions of a contact or provider, newest first."""
    return list(
        db.session.scalars(
            select(ContactRevision)
            .where(ContactRevision.kind == kind, ContactRevision.record_id == record_id)
            .order_by(ContactRevision.id.desc())
        )
    )


# --- Exports -----------------------------------------------------------------------------------

CSV_COLUMNS = (
    "country_code",
    "country",
    "network",
    "unit",
    "unit_type",
    "phone",
    "email",
    "secure_channel",
    "languages",
    "can_preserve",
    "can_disclose_in_emergency",
    "mla_authority",
    "verified_on",
    "verified_how",
    "overdue",
)


def spreadsheet_safe(value: Any) -> Any:
    """Return a text cell a spreadsheet never runs as a formula: one starting with =, +, -, @
    (or a tab or carriage return) gets a leading apostrophe. E.164 numbers start with + too:
    they keep the apostrophe, which spreadsheets show as a plain text cell."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def export_csv(
    contacts: Sequence[Contact],
    user: User,
    *,
    network: ContactNetwork | None = None,
    names: Mapping[int, str] | None = None,
) -> str:
    """Return the contacts as CSV (UTF-8 text) and audit the export.

    :param names: the countries' names as the reader reads them, by country id.
    """
    _require_reader(user)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    on = today()
    for contact in contacts:
        row = [
            contact.country.code,
            (names or {}).get(contact.country_id, contact.country.name),
            contact.network.name,
            contact.unit,
            contact.unit_type,
            contact.phone,
            contact.email,
            contact.secure_channel or "",
            contact.languages or "",
            "yes" if contact.can_preserve else "no",
            "yes" if contact.can_disclose_in_emergency else "no",
            contact.mla_authority or "",
            contact.verified_on.isoformat() if contact.verified_on else "",
            contact.verified_how or "",
            "yes" if overdue(contact, on) else "no",
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    _audit_export(user, "csv", len(contacts), network)
    return buffer.getvalue()


def vcard_escape(value: str) -> str:
    """Escape a vCard 3.0 text value (RFC 2426): backslash, comma, semicolon, line breaks."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 2425), never inside a UTF-8 character."""
    out, current = [], ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def export_vcard(
    contacts: Sequence[Contact],
    user: User,
    *,
    network: ContactNetwork | None = None,
    names: Mapping[int, str] | None = None,
) -> str:
    """Return the contacts as vCard 3.0 cards (one per contact) and audit the export."""
    _require_reader(user)
    lines: list[str] = []
    for contact in contacts:
        country = (names or {}).get(contact.country_id, contact.country.name)
        note = [f"24/7 point of contact, {contact.network.name}"]
        if contact.secure_channel:
            note.append(f"Secure channel: {contact.secure_channel}")
        if contact.languages:
            note.append(f"Languages: {contact.languages}")
        if contact.mla_authority:
            note.append(f"MLA central authority: {contact.mla_authority}")
        if contact.verified_on:
            note.append(f"Verified {contact.verified_on.isoformat()}")
        card = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"FN:{vcard_escape(contact.unit)}",
            f"N:{vcard_escape(contact.unit)};;;;",
            f"ORG:{vcard_escape(contact.unit)};{vcard_escape(country)}",
            f"TITLE:{vcard_escape(contact.network.name)}",
        ]
        if contact.phone:
            card.append(f"TEL;TYPE=WORK,VOICE:{vcard_escape(contact.phone)}")
        if contact.email:
            card.append(f"EMAIL;TYPE=INTERNET:{vcard_escape(contact.email)}")
        card += [
            f"ADR;TYPE=WORK:;;;;;;{vcard_escape(country)}",
            f"NOTE:{vcard_escape(chr(10).join(note))}",
            f"UID:catf-contact-{contact.id}",
            "END:VCARD",
        ]
        lines += [_fold(line) for line in card]
    _audit_export(user, "vcard", len(contacts), network)
    return "".join(line + "\r\n" for line in lines)


def _audit_export(user: User, format_: str, count: int, network) -> None:
    audit.record(
        "directory.exported",
        actor=user,
        object_type="contacts",
        format=format_,
        count=count,
        network=network.key if network is not None else None,
    )


# --- Providers ---------------------------------------------------------------------------------


def provider_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check a provider's fields; return them cleaned.

    :param values: texts as typed; ``established_in`` a Country or None; ``countries`` a list of
        Country; ``request_kinds`` a list of keys of ``REQUEST_KINDS``.
    :raises Invalid: on the first field that does not fit, named.
    """
    established = values.get("established_in")
    if established is not None and not isinstance(established, Country):
        raise Invalid(_l("Choose a country from the list."), field="established_in")
    served = values.get("countries") or []
    if not isinstance(served, list) or not all(isinstance(c, Country) for c in served):
        raise Invalid(_l("Choose the countries from the list."), field="countries")
    kinds = values.get("request_kinds") or []
    if (
        not isinstance(kinds, list)
        or not kinds
        or not all(isinstance(k, str) and k in REQUEST_KINDS for k in kinds)
    ):
        raise Invalid(_l("Tick at least one kind of request it accepts."), field="request_kinds")
    cleaned = {
        "name": _text(
            values.get("name"), "name", required=True, message=_l("Name the service provider.")
        ),
        "established_in": established,
        "unit": _text(
            values.get("unit"),
            "unit",
            required=True,
            message=_l("Name the unit or portal that receives requests."),
        ),
        "portal_url": _url(values.get("portal_url")),
        "email": clean_email(values.get("email"), required=False),
        "phone": parse_phone(values.get("phone"), established, required=False),
        "request_kinds": [k for k in REQUEST_KINDS if k in kinds],
        "languages": _text(values.get("languages"), "languages"),
        "emergency_channel": _text(values.get("emergency_channel"), "emergency_channel"),
        "interval_months": _interval(values.get("interval_months", DEFAULT_INTERVAL)),
        "countries": sorted(set(served), key=lambda c: c.name),
    }
    if not cleaned["portal_url"] and not cleaned["email"]:
        raise Invalid(
            _l("Give the e-mail address or the portal that receives requests."), field="email"
        )
    return cleaned


def save_provider(
    provider: Provider | None, values: Mapping[str, Any], *, version: Any, user: User
) -> Provider:
    """Add a provider's liaison point (``provider`` None) or change one: coordinators, and
    officials for providers established in their country.

    :raises Forbidden: for anyone else. ``Invalid``: on the field at fault. ``Refused`` (409):
        someone changed it since ``version``.
    """
    established = values.get("established_in")
    _require_provider_keeper(
        user, provider, established.id if isinstance(established, Country) else None
    )
    cleaned = provider_values(values)
    if provider is None:
        provider = Provider(
            **{k: v for k, v in cleaned.items() if k not in ("established_in", "countries")},
            established_in_id=established.id if established else None,
        )
        provider.established_in = established
        provider.countries = cleaned["countries"]
        db.session.add(provider)
        db.session.flush()
        _revise("provider", provider, PROVIDER_FIELDS, cleaned, user, created=True)
        audit.record(
            "provider.created",
            actor=user,
            obj=provider,
            after={k: _as_json(v) for k, v in cleaned.items()},
        )
        return provider
    _check_version(provider, _version(version))
    changes = _revise("provider", provider, PROVIDER_FIELDS, cleaned, user)
    if changes:
        audit.record(
            "provider.updated",
            actor=user,
            obj=provider,
            before={k: _as_json(v[0]) for k, v in changes.items()},
            after={k: _as_json(v[1]) for k, v in changes.items()},
        )
    return provider


def verify_provider(provider: Provider, on_date: Any, how: Any, user: User) -> Provider:
    """Record that a provider's liaison point was verified on ``on_date`` and how.

    :raises Invalid: on ``on`` or ``how``; ``Forbidden`` for anyone who does not keep it.
    """
    _require_provider_keeper(user, provider, provider.established_in_id)
    return _verified("provider", provider, on_date, how, user)


def list_providers(served: Country | None = None) -> list[Provider]:
    """Return the providers by name; ``served``: those serving that country."""
    query = (
        select(Provider)
        .options(selectinload(Provider.countries), selectinload(Provider.established_in))
        .order_by(Provider.name, Provider.id)
    )
    if served is not None:
        query = query.where(Provider.countries.any(Country.id == served.id))
    return list(db.session.scalars(query))
