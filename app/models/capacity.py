"""Capacity building: needs found in review, the activities that answer them, the 24/7 points of
contact of each country and the law-enforcement liaison points of service providers.

Needs and contacts point at provisions and maturity areas by the stable ids of the questionnaire
files (``budapest:16``, ``contact_point``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db
from app.models.country import Country
from app.models.user import User, enum_column


class NeedStatus(enum.StrEnum):
    IDENTIFIED = "identified"  # found in a finalised review
    REQUESTED = "requested"  # the country asked for assistance on it
    MATCHED = "matched"  # linked to a capacity-building activity
    IN_DELIVERY = "in_delivery"  # an activity answering it is under way
    DELIVERED = "delivered"  # an activity answering it was delivered
    CLOSED = "closed"  # met: a later review rated it better, or a coordinator closed it
    DECLINED = "declined"  # not taken up, with a reason


class Need(db.Model):
    """A capacity-building need of a country: a provision finally rated PC or NC, or a maturity
    area below the cycle's target stage, found when a review is finalised."""

    __tablename__ = "needs"
    __table_args__ = (UniqueConstraint("assessment_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), index=True)
    #: The finalised assessment it was found in.
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: ``provision`` or ``area``.
    kind: Mapped[str] = mapped_column(String(10))
    #: The provision ref (``budapest:16``) or the maturity area id (``contact_point``).
    ref: Mapped[str] = mapped_column(String(60), index=True)
    #: The final rating (PC, NC) or the stage reached ("0".."5") when it was found.
    found: Mapped[str] = mapped_column(String(2))
    #: For an area: the cycle's target stage it fell short of.
    target_stage: Mapped[int | None] = mapped_column(Integer)
    #: The assistance types the framework file suggests (training, legislative_advice, ...).
    assistance: Mapped[list[str]] = mapped_column(JSON, default=list)
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="SET NULL")
    )
    status: Mapped[NeedStatus] = mapped_column(
        enum_column(NeedStatus, "need_status"), default=NeedStatus.IDENTIFIED
    )
    #: The country's priority, 1 (highest) to 5; None until the country sets it.
    priority: Mapped[int | None] = mapped_column(Integer)
    declined_reason: Mapped[str | None] = mapped_column(Text)
    #: How it was met, when closed: ``improved`` (a later review), or a coordinator's words.
    closed_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Optimistic concurrency: each change increments it.
    version: Mapped[int] = mapped_column(Integer, default=1)

    country: Mapped[Country] = relationship()


class AssistanceRequest(db.Model):
    """Assistance a country's officials ask for on one of its needs."""

    __tablename__ = "assistance_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    #: One of the assistance types (training, mentoring, legislative_advice, equipment, ...).
    type: Mapped[str] = mapped_column(String(30))
    target_institution: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(lazy="joined")


class ActivityStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_DELIVERY = "in_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


activity_countries = Table(
    "activity_countries",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("country_id", ForeignKey("countries.id"), primary_key=True),
)


class Activity(db.Model):
    """A capacity-building activity: a course, mentoring, legislative advice, equipment, a study
    visit or an exercise, for one or more countries."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200))
    donor: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: course | mentoring | legislative_advice | equipment | study_visit | exercise
    format: Mapped[str] = mapped_column(String(30))
    #: A place, or None when online only.
    location: Mapped[str | None] = mapped_column(String(200))
    online: Mapped[bool] = mapped_column(default=False)
    #: The beneficiary institutions, in words.
    institutions: Mapped[str | None] = mapped_column(Text)
    #: judges | prosecutors | police | contact_point_staff | central_authority | cert
    audiences: Mapped[list[str]] = mapped_column(JSON, default=list)
    participants_women: Mapped[int | None] = mapped_column(Integer)
    participants_men: Mapped[int | None] = mapped_column(Integer)
    #: Provision refs and area ids addressed beyond those of the linked needs.
    addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    outputs: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ActivityStatus] = mapped_column(
        enum_column(ActivityStatus, "activity_status"), default=ActivityStatus.PLANNED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    countries: Mapped[list[Country]] = relationship(
        secondary=activity_countries, order_by=Country.name
    )


class ActivityNeed(db.Model):
    """A need matched to an activity that answers it."""

    __tablename__ = "activity_needs"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    need_id: Mapped[int] = mapped_column(
        ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ActivityDocument(db.Model):
    """A document of an activity (agenda, report, materials), stored like evidence files."""

    __tablename__ = "activity_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ContactNetwork(db.Model):
    """A network of 24/7 points of contact (Budapest Art. 35, the UN Convention's, others a
    coordinator adds), with how often its contacts must be verified again."""

    __tablename__ = "contact_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key, e.g. ``budapest_35``, ``un_24_7``.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Months after a verification before the contact is overdue.
    interval_months: Mapped[int] = mapped_column(Integer, default=6)
    active: Mapped[bool] = mapped_column(default=True)


class Contact(db.Model):
    """A country's 24/7 point of contact in one network: never public."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("country_id", "network_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("contact_networks.id"))
    unit: Mapped[str] = mapped_column(String(200))
    #: police | prosecution | ministry | cert | other
    unit_type: Mapped[str] = mapped_column(String(20))
    #: E.164, parsed with ``phonenumbers``.
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    secure_channel: Mapped[str | None] = mapped_column(String(200))
    languages: Mapped[str | None] = mapped_column(String(200))
    can_preserve: Mapped[bool] = mapped_column(default=False)
    can_disclose_in_emergency: Mapped[bool] = mapped_column(default=False)
    #: The MLA central authority it works with, in words.
    mla_authority: Mapped[str | None] = mapped_column(String(300))
    verified_on: Mapped[date | None] = mapped_column(Date)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: How it was verified: call, e-mail, secure channel, in person.
    verified_how: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    country: Mapped[Country] = relationship()
    network: Mapped[ContactNetwork] = relationship(lazy="joined")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])


class ContactRevision(db.Model):
    """A change to a contact: its fields before and after, who and when (the contact's history)."""

    __tablename__ = "contact_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``contact`` (a 24/7 contact) or ``provider`` (a service provider's liaison point).
    kind: Mapped[str] = mapped_column(String(10))
    record_id: Mapped[int] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    changed_by: Mapped[User | None] = relationship(lazy="joined")


class ContactTest(db.Model):
    """A periodic reachability test of a 24/7 contact."""

    __tablename__ = "contact_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    tested_on: Mapped[date] = mapped_column(Date)
    #: phone | email | secure_channel
    channel: Mapped[str] = mapped_column(String(20))
    #: Minutes until a reply; None when nobody answered.
    response_minutes: Mapped[int | None] = mapped_column(Integer)
    #: reached | reached_late | not_reached
    outcome: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recorded_by: Mapped[User | None] = relationship(lazy="joined")


provider_countries = Table(
    "provider_countries",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("country_id", ForeignKey("countries.id"), primary_key=True),
)


class Provider(db.Model):
    """A service provider's law-enforcement liaison point (the Octopus conference's industry
    contact list): never public."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The country it is established in (its officials may keep the entry), if any.
    established_in_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id"), index=True)
    #: The unit or portal that receives requests.
    unit: Mapped[str] = mapped_column(String(300))
    portal_url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    #: preservation | subscriber_data | traffic_data | content | emergency_disclosure
    request_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[str | None] = mapped_column(String(200))
    emergency_channel: Mapped[str | None] = mapped_column(String(300))
    interval_months: Mapped[int] = mapped_column(Integer, default=6)
    verified_on: Mapped[date | None] = mapped_column(Date)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_how: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    established_in: Mapped[Country | None] = relationship()
    countries: Mapped[list[Country]] = relationship(
        secondary=provider_countries, order_by=Country.name
    )
