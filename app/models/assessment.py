"""A country's self-assessment in a cycle, its answers with their history, and evidence files."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db
from app.models.country import Country
from app.models.cycle import Cycle
from app.models.library import QuestionnaireVersion
from app.models.user import User, enum_column


class AssessmentStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    #: Returned to the country with questions (clarification requested).
    CLARIFICATION = "clarification"
    RESUBMITTED = "resubmitted"
    FINALISED = "finalised"
    PUBLISHED = "published"


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("cycle_id", "country_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), index=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), index=True)
    #: The version it was started on; later loads of the questionnaire never change it.
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    status: Mapped[AssessmentStatus] = mapped_column(
        enum_column(AssessmentStatus, "assessment_status"), default=AssessmentStatus.DRAFT
    )
    #: The assessment whose answers were carried over into this one, if any.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The reviewers coordinators assigned: the lead, and a second where the cycle asks for one.
    lead_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    second_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The scoring rules' version the final ratings were given under (set when finalised).
    rules_version: Mapped[str | None] = mapped_column(String(20))

    cycle: Mapped[Cycle] = relationship(lazy="joined", innerjoin=True)
    country: Mapped[Country] = relationship(lazy="joined", innerjoin=True)
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship(
        lazy="joined", innerjoin=True
    )
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    lead_reviewer: Mapped[User | None] = relationship(foreign_keys=[lead_reviewer_id])
    second_reviewer: Mapped[User | None] = relationship(foreign_keys=[second_reviewer_id])

    def __repr__(self) -> str:
        return f"<Assessment {self.country.code} {self.cycle.name}>"


class Answer(db.Model):
    """The current answer to one question. ``version`` guards against lost updates: a save that
    started from an older version is refused as a conflict (SQLAlchemy's version counter)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(120))
    #: The normalised value (see the question type); None when cleared.
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    #: Copied from the previous cycle and not yet confirmed by the country.
    carried_over: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by: Mapped[User | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class AnswerRevision(db.Model):
    """One change of an answer: who, when, from which value to which (append-only)."""

    __tablename__ = "answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    old_note: Mapped[str | None] = mapped_column(Text)
    new_note: Mapped[str | None] = mapped_column(Text)
    #: web | api | import | carry_over | evidence
    source: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    changed_by: Mapped[User | None] = relationship(lazy="joined")


class Clarification(db.Model):
    """A reviewer's question to the country, on a question or on the whole assessment, asked
    when the assessment is returned for clarification; the country's reply closes it."""

    __tablename__ = "clarifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The round of clarification (1 for the first return to the country).
    round: Mapped[int] = mapped_column(Integer)
    #: The question it is about, if any.
    question_id: Mapped[str | None] = mapped_column(String(120))
    #: The provision it is about (e.g. ``budapest:16``), if any.
    provision: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id], lazy="joined")
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id], lazy="joined")


class EvidenceFile(db.Model):
    """An uploaded evidence file, stored outside the static folder under a random name."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random hex id: the stored file's name and the id used in answers and URLs.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The question it was attached to, if any.
    question_id: Mapped[str | None] = mapped_column(String(120))
    #: The uploader's file name, sanitised; used only as the download name.
    filename: Mapped[str] = mapped_column(String(255))
    #: Sniffed from the content, never taken from the name.
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")


class ProvisionRating(db.Model):
    """A reviewer's rating of one provision, in a layer (``lead``, ``second``, ``final``).

    Append-only: a new rating adds a row, so every earlier one stays with who and when; the
    current rating of a layer is its latest row. ``derived`` is what the engine derived when
    the rating was given, so an override can always be seen as one."""

    __tablename__ = "provision_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The provision's reference, e.g. ``budapest:16``.
    provision: Mapped[str] = mapped_column(String(60))
    layer: Mapped[str] = mapped_column(String(10))
    rating: Mapped[str] = mapped_column(String(2))
    derived: Mapped[str] = mapped_column(String(2))
    justification: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rated_by: Mapped[User | None] = relationship(lazy="joined")


class StageRating(db.Model):
    """A reviewer's confirmation, or override, of the maturity stage derived for one capability
    area, in a layer (``lead``, ``second``, ``final``); append-only like provision ratings."""

    __tablename__ = "stage_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    #: The capability area's id in the questionnaire, e.g. ``contact_point``.
    area: Mapped[str] = mapped_column(String(60))
    layer: Mapped[str] = mapped_column(String(10))
    #: 0 (no stage reached) to 5.
    stage: Mapped[int] = mapped_column(Integer)
    derived: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rated_by: Mapped[User | None] = relationship(lazy="joined")


class ReviewComment(db.Model):
    """A reviewer's comment on a provision or one of its elements. Reviewers' working notes:
    never shown to the country; each reviewer sees their own layer's until the review is
    finalised, coordinators see all."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    provision: Mapped[str] = mapped_column(String(60))
    #: The element's ref (``budapest:16.duration``), or None for the provision as a whole.
    element: Mapped[str | None] = mapped_column(String(120))
    layer: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User | None] = relationship(lazy="joined")


class RecommendationTemplate(db.Model):
    """A reusable recommendation for one provision, kept by coordinators."""

    __tablename__ = "recommendation_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    provision: Mapped[str] = mapped_column(String(60), index=True)
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Recommendation(db.Model):
    """A recommendation to the country on a provision rated PC or NC (GRECO style), and its
    follow-up: the review of the country's next cycle judges whether it was implemented."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    provision: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    #: The library's recommendation it was taken from, if any.
    template_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation_templates.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Withdrawn by the reviewer before the review was finalised (kept for the trail).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The follow-up, judged in the review of the country's next cycle:
    #: ``implemented`` (satisfactorily), ``partly`` or ``not``.
    follow_up: Mapped[str | None] = mapped_column(String(12))
    follow_up_comment: Mapped[str | None] = mapped_column(Text)
    followed_up_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), index=True
    )
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")
    followed_up_by: Mapped[User | None] = relationship(
        foreign_keys=[followed_up_by_id], lazy="joined"
    )
