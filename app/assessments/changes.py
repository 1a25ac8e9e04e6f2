"""What changed since the country's previous finished cycle, per provision: that cycle's final
rating and, answer by answer, what the questions feeding the provision said then and say now.

For the reviewer's workspace. Reads only: a fixed number of queries whatever the questionnaire's
size (the previous assessment, its answers, its final ratings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.assessments import workflows
from app.assessments.answers import State, runtime
from app.extensions import db
from app.frameworks.words import localized
from app.models import Answer, Assessment, AssessmentStatus, ProvisionRating


@dataclass(frozen=True)
class AnswerChange:
    """One question feeding a provision whose answer changed since the previous cycle."""

    question_id: str
    #: The current question's label, in the user's language.
    label: str
    #: The previous cycle's answer as text (through the question of that cycle's version).
    before: str
    #: The current answer as text.
    after: str


@dataclass(frozen=True)
class PreviousRating:
    """A provision's final rating in the previous cycle (its latest ``final`` row)."""

    rating: str
    derived: str
    justification: str | None
    rated_at: datetime

    @property
    def overridden(self) -> bool:
        """Whether the final rating departs from the rating derived then."""
        return self.rating != self.derived


@dataclass(frozen=True)
class ProvisionChange:
    """What one provision shows of the previous cycle."""

    ref: str
    #: The previous cycle's name (``Since <cycle>``).
    cycle: str
    #: Its final rating then; None when the provision did not exist or was not rated then.
    rating: PreviousRating | None
    #: The answers feeding the provision that changed, in its elements' order.
    answers: tuple[AnswerChange, ...]


@dataclass(frozen=True)
class Changes:
    """The comparison of an assessment with the country's previous finished cycle."""

    previous: Assessment
    #: The previous cycle's name.
    cycle: str
    #: When the previous review was finalised (and published, if it was).
    finalised_at: datetime | None
    published_at: datetime | None
    #: Provision ref -> what changed, for every provision of the assessment's rules.
    provisions: Mapping[str, ProvisionChange]

    def get(self, ref: str) -> ProvisionChange | None:
        """Return the change of one provision (None for a ref the rules do not know)."""
        return self.provisions.get(ref)


def previous_query(assessment: Assessment, *, published_only: bool = False):
    """Return the query of the same country's most recent finished (finalised or published)
    assessment of another cycle created before this one.

    :param published_only: only a published one (for readers who may not see results that are
        not published yet).
    """
    statuses = {AssessmentStatus.PUBLISHED} if published_only else workflows.DONE
    return (
        select(Assessment)
        .where(
            Assessment.country_id == assessment.country_id,
            Assessment.cycle_id != assessment.cycle_id,
            Assessment.id != assessment.id,
            Assessment.status.in_(sorted(statuses)),
            or_(
                Assessment.created_at < assessment.created_at,
                and_(Assessment.created_at == assessment.created_at, Assessment.id < assessment.id),
            ),
        )
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .limit(1)
    )


def previous(assessment: Assessment, *, published_only: bool = False) -> Assessment | None:
    """Return the assessment of :func:`previous_query` (one query): the one this review
    compares with, and whose recommendations it follows up."""
    return db.session.scalar(previous_query(assessment, published_only=published_only))


def since_previous(
    assessment: Assessment, state: State, *, published_only: bool = False
) -> Changes | None:
    """Compare ``assessment`` (its answers as read in ``state``) with the country's previous
    finished cycle: per provision of its rules, that cycle's final rating and the answers feeding
    the provision that changed (three queries).

    A question the previous version asked under other ids (its ``replaces``) is compared with the
    answers to those; the earlier answers are shown through the earlier version's questions.

    :param published_only: compare only with a published cycle (see ``previous``).
    :returns: None when the country has no earlier finished cycle.
    """
    from app.scoring.assessments import rules_for

    before = previous(assessment, published_only=published_only)
    if before is None:
        return None
    old_questions = runtime(before.questionnaire_version).questions
    questions = state.runtime.questions
    old_values: dict[str, Any] = dict(
        db.session.execute(
            select(Answer.question_id, Answer.value).where(Answer.assessment_id == before.id)
        ).all()
    )
    finals: dict[str, PreviousRating] = {}
    rows = db.session.execute(
        select(
            ProvisionRating.provision,
            ProvisionRating.rating,
            ProvisionRating.derived,
            ProvisionRating.justification,
            ProvisionRating.rated_at,
        )
        .where(ProvisionRating.assessment_id == before.id, ProvisionRating.layer == "final")
        .order_by(ProvisionRating.id)
    )
    for ref, rating, derived, justification, rated_at in rows:
        finals[ref] = PreviousRating(rating, derived, justification, rated_at)  # latest wins

    not_asked = _("Not asked then")
    compared: dict[str, AnswerChange | None] = {}

    def compare(question_id: str) -> AnswerChange | None:
        if question_id in compared:
            return compared[question_id]
        question = questions[question_id]
        value = state.values.get(question_id)
        after = question.display_text(value)
        if question_id in old_questions:
            sources = [question_id]
        else:
            sources = [old for old in question.replaces if old in old_questions]
        if not sources:
            change = None if value is None else AnswerChange(
                question_id, localized(question.label), not_asked, after
            )  # fmt: skip
        else:
            if len(sources) == 1:
                old_value = old_values.get(sources[0])
                then = old_questions[sources[0]].display_text(old_value)
            else:
                old_value = [old_values.get(old) for old in sources]
                answered = [old for old in sources if old_values.get(old) is not None]
                then = "; ".join(
                    old_questions[old].display_text(old_values[old]) for old in answered
                ) or old_questions[sources[0]].display_text(None)
            # Both the value and its words must differ: a reworded option with the same value,
            # or an equal text from a value stored differently, is no change a reviewer sees.
            differs = old_value != value and then != after
            change = (
                AnswerChange(question_id, localized(question.label), then, after)
                if differs
                else None
            )
        compared[question_id] = change
        return change

    provisions = {}
    for rule in rules_for(assessment.questionnaire_version).provisions:
        feeding = dict.fromkeys(
            qid
            for element in rule.elements
            for qid in (*element.status_questions, *element.stage_questions)
            if qid in questions
        )
        found = tuple(change for qid in feeding if (change := compare(qid)) is not None)
        provisions[rule.ref] = ProvisionChange(
            rule.ref, before.cycle.name, finals.get(rule.ref), found
        )
    return Changes(before, before.cycle.name, before.finalised_at, before.published_at, provisions)
