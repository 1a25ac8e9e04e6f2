"""Answers: reading an assessment's state, saving answers (one, or a section's at once),
history, carrying answers over from an earlier cycle, and submission. Services take model objects
and plain values, flush but never commit, and write the audit trail."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.assessments import workflows
from app.core.db import utcnow
from app.core.errors import Invalid, NotFound, Refused, ServiceError
from app.extensions import db
from app.frameworks import store
from app.frameworks.runtime import Runtime, runtime_for
from app.frameworks.types import CONTROL_CHARACTERS, AnswerError, QuestionBase
from app.models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    CycleStatus,
    EvidenceFile,
    QuestionnaireVersion,
    User,
)

UNSET: Any = object()
NOTE_MAX = 5000


class Conflict(ServiceError):
    """The answer changed since the version the user started from; ``answer`` is the current one."""

    status = 409

    def __init__(self, answer: Answer | None):
        super().__init__(
            _l("A colleague changed this answer after you opened it. Choose which to keep.")
        )
        self.answer = answer


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class State:
    """An assessment with its questionnaire runtime, answers and what is visible.

    A state loaded for some questions only (``scope``) knows the values of those questions and of
    every question their visibility depends on: enough for their section's page and progress.
    """

    assessment: Assessment
    runtime: Runtime
    answers: dict[str, Answer]
    visible: dict[str, bool]
    #: Stored values by question id.
    values: dict[str, Any]
    #: The questions whose values were loaded, when not all of them were.
    scope: frozenset[str] | None = None

    def progress(self):
        """Return each section's progress (only the sections within scope, for a partial state)."""
        return {
            section.id: self.runtime.section_progress(section, self.values, self.visible)
            for section in self.runtime.questionnaire.sections
            if self.scope is None or all(q.id in self.scope for q in section.questions)
        }

    def missing(self):
        """Return the required, visible questions without an answer (of the whole assessment)."""
        if self.scope is not None:
            raise ValueError("missing() needs the whole assessment's answers")
        return self.runtime.missing(self.values, self.visible)


def runtime(version: QuestionnaireVersion) -> Runtime:
    """Return the runtime of a questionnaire version (parsed and indexed once per process)."""
    return runtime_for(version.content_hash, store.questionnaire_model(version))


def state(assessment: Assessment, *, only: Collection[str] | None = None) -> State:
    """Load an assessment's answers and compute what is visible.

    :param only: the questions the caller shows (a section's): only their answers and those of
        the questions their visibility depends on are read (two queries: the answers, and the
        people who saved them), which is much less work for a large questionnaire.
    """
    questionnaire = runtime(assessment.questionnaire_version)
    query = select(Answer).where(Answer.assessment_id == assessment.id)
    if only is None:
        answers = {answer.question_id: answer for answer in db.session.scalars(query)}
        values = {question_id: answer.value for question_id, answer in answers.items()}
        return State(assessment, questionnaire, answers, questionnaire.visibility(values), values)
    scope = questionnaire.with_conditions(only)
    # The few people who saved these answers are read once, not joined to every answer.
    rows = db.session.scalars(
        query.where(Answer.question_id.in_(sorted(scope))).options(lazyload(Answer.updated_by))
    ).all()
    answers = {answer.question_id: answer for answer in rows}
    values = {answer.question_id: answer.value for answer in rows}
    people = sorted({answer.updated_by_id for answer in rows} - {None})
    savers = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(people)))}
    for answer in rows:
        set_committed_value(answer, "updated_by", savers.get(answer.updated_by_id))
    visible = questionnaire.visibility(values, scope)
    return State(assessment, questionnaire, answers, visible, values, scope)


def is_editable(assessment: Assessment) -> bool:
    """Return whether countries may still change the assessment."""
    return _why_not_editable(assessment) is None


def _why_not_editable(assessment: Assessment):
    if assessment.status not in workflows.COUNTRY_WRITES:
        return _l("This assessment was submitted; it can no longer be changed.")
    if assessment.status is AssessmentStatus.CLARIFICATION:
        return None  # the reviewer asked: the country answers, even after the deadline
    if assessment.cycle.status is not CycleStatus.OPEN:
        return _l("This assessment cycle is closed; answers can no longer change.")
    return None


def lock(assessment: Assessment) -> None:
    """Serialise every write to one assessment, then re-read its status under the lock.

    A no-op update of the assessment's row takes the row's lock on PostgreSQL and the write lock
    on SQLite, so two writes to one assessment — saves, uploads, a submission — run one after the
    other; the status is then read again, so a save that waited for a submission is refused.
    """
    table = Assessment.__table__
    db.session.execute(update(table).where(table.c.id == assessment.id).values(id=table.c.id))
    db.session.expire(assessment, ["status", "submitted_at", "submitted_by_id"])
    db.session.expire(assessment.cycle, ["status"])


def ensure_editable(assessment: Assessment) -> None:
    """Refuse (409) when countries may no longer change the assessment."""
    reason = _why_not_editable(assessment)
    if reason is not None:
        raise Refused(reason)


def find_answer(assessment: Assessment, question_id: str) -> Answer | None:
    """Return the current answer to one question, if any (one query)."""
    return db.session.scalar(
        select(Answer).where(
            Answer.assessment_id == assessment.id, Answer.question_id == question_id
        )
    )


def history(answer: Answer) -> list[AnswerRevision]:
    """Return the changes of an answer, newest first."""
    return list(
        db.session.scalars(
            select(AnswerRevision)
            .where(AnswerRevision.answer_id == answer.id)
            .order_by(AnswerRevision.id.desc())
        )
    )


# --- Saving ----------------------------------------------------------------------------------


def _question(questionnaire: Runtime, question_id: str) -> QuestionBase:
    question = questionnaire.questions.get(question_id)
    if question is None:
        raise NotFound(_l("There is no question %(id)s in this questionnaire.", id=question_id))
    return question


def _normalise(question: QuestionBase, raw_value: Any) -> Any:
    try:
        return question.normalise(raw_value)
    except AnswerError as error:
        field_name = "value" + (f".{error.path}" if error.path else "")
        raise Invalid(error.message, field=field_name) from None


def _clean_note(note: Any) -> Any:
    if note is UNSET:
        return UNSET
    note = (str(note).strip() or None) if note is not None else None
    if note and len(note) > NOTE_MAX:
        raise Invalid(_l("Keep the note under 5,000 characters."), field="note")
    if note and CONTROL_CHARACTERS.search(note):
        raise Invalid(
            _l("Remove the invisible control characters from the note (such as NUL)."),
            field="note",
        )
    return note


def save_answer(
    assessment: Assessment,
    question_id: str,
    raw_value: Any,
    *,
    version: int | None,
    user: User,
    note: Any = UNSET,
    source: str = "web",
    questionnaire: Runtime | None = None,
) -> Answer | None:
    """Validate and store one answer, refusing a save that started from an older version.

    :param version: the answer's version the user started from; 0 or None for "no answer yet".
    :param note: the question's note; leave UNSET to keep it.
    :returns: the stored answer (its ``version`` is the new one), or None when there was no
        answer and none is given (an untouched question of a saved form).
    :raises NotFound: for a question id that is not in the questionnaire.
    :raises Invalid: for a value that does not fit the question (``field`` is its path).
    :raises Conflict: when the answer changed since ``version``.
    :raises Refused: when the assessment can no longer change.
    """
    lock(assessment)
    ensure_editable(assessment)
    questionnaire = questionnaire or runtime(assessment.questionnaire_version)
    question = _question(questionnaire, question_id)
    value = _normalise(question, raw_value)
    if question.holds_files and value:
        _check_evidence_ids(assessment, value)
    note = _clean_note(note)
    answer = find_answer(assessment, question_id)
    change = _plan(question_id, answer, value, note, version)
    if change is None:
        return answer
    if answer is None:
        answer = Answer(
            assessment_id=assessment.id,
            question_id=question_id,
            value=change.value,
            note=change.note,
            updated_by_id=user.id,
            updated_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(answer)
        except IntegrityError:
            # A colleague created the answer at the same moment.
            raise Conflict(find_answer(assessment, question_id)) from None
    else:
        answer.value = change.value
        answer.note = change.note
        answer.carried_over = False
        answer.updated_by_id = user.id
        answer.updated_at = utcnow()
        try:
            with db.session.begin_nested():
                db.session.flush()
        except StaleDataError:
            db.session.expire(answer)
            raise Conflict(db.session.get(Answer, answer.id)) from None
    db.session.add(AnswerRevision(**_revision(change, answer.id, user, source, answer.updated_at)))
    return answer


@dataclass(frozen=True)
class _Change:
    """A checked change of one answer, not yet written."""

    question_id: str
    #: The current answer, or None when the question has none yet.
    answer: Answer | None
    value: Any
    note: Any
    #: The version the user started from.
    version: int | None
    old_value: Any = None
    old_note: Any = None


def _plan(
    question_id: str, answer: Answer | None, value: Any, note: Any, version: int | None
) -> _Change | None:
    """Return the change a checked value makes to the current answer; None when it makes none.

    :raises Conflict: when ``version`` is not the current answer's version.
    """
    if answer is None:
        if version:
            raise Conflict(None)
        if value is None and not (note is not UNSET and note):
            return None
        return _Change(question_id, None, value, None if note is UNSET else note, version)
    if version is None or version != answer.version:
        if value == answer.value and (note is UNSET or note == answer.note):
            # What is stored is already what was sent (typically the page's own autosave got
            # there first): nothing is lost, so there is nothing to resolve.
            return None
        raise Conflict(answer)
    new_note = answer.note if note is UNSET else note
    if value == answer.value and new_note == answer.note and not answer.carried_over:
        return None  # nothing changed: no new version
    return _Change(question_id, answer, value, new_note, version, answer.value, answer.note)


@dataclass(frozen=True)
class Submitted:
    """One question's input from a form: the raw value, the version it started from, its note."""

    question_id: str
    raw: Any
    version: int | None
    note: Any = UNSET


class Problem(str):
    """An error message that also names the part of the value at fault, so that a form can show
    it next to that input: ``path`` is the value's path (``1.in_force_date``), or empty."""

    path: str

    def __new__(cls, message: Any, path: str = "") -> Problem:
        problem = super().__new__(cls, str(message))
        problem.path = path
        return problem

    @classmethod
    def of(cls, error: ServiceError) -> Problem:
        """Return the message of a refused input, with the path within the value it names."""
        where = error.field or ""
        path = where.removeprefix("value.") if where.startswith("value.") else ""
        return cls(error.message, path)


@dataclass
class SectionResult:
    """What became of a section's inputs: new versions, errors (``Problem``) and conflicts by
    question id."""

    saved: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    conflicts: dict[str, Answer | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.conflicts


def save_answers(
    current: State, inputs: Iterable[Submitted], *, user: User, source: str = "web"
) -> SectionResult:
    """Save several answers of one assessment at once (a section's form).

    Every input is checked against the answers already loaded in ``current`` (their rows must be
    loaded: see ``state(only=...)``). The changes are written with one statement for new answers,
    one for changed answers (each guarded by the version it started from) and one for their
    history, so the cost does not grow with the number of questions. Inputs that do not fit or
    that started from an older version are reported; the others are saved.

    :raises Refused: when the assessment can no longer change.
    """
    assessment = current.assessment
    lock(assessment)
    ensure_editable(assessment)
    # Read the rows again under the lock: a colleague may have saved since they were loaded.
    db.session.scalars(
        select(Answer)
        .where(Answer.assessment_id == assessment.id, Answer.id.in_(_ids(current.answers)))
        .options(lazyload(Answer.updated_by))
        .execution_options(populate_existing=True)
    ).all()
    result = SectionResult()
    changes: list[_Change] = []
    files: dict[str, list[str]] = {}
    for item in inputs:
        try:
            question = _question(current.runtime, item.question_id)
            value = _normalise(question, item.raw)
            note = _clean_note(item.note)
            change = _plan(
                item.question_id, current.answers.get(item.question_id), value, note, item.version
            )
        except Conflict as conflict:
            result.conflicts[item.question_id] = conflict.answer
            continue
        except ServiceError as error:
            result.errors[item.question_id] = Problem.of(error)
            continue
        if change is not None:
            if question.holds_files and value:
                files[item.question_id] = value
            changes.append(change)
    if files:
        known = _known_evidence(assessment, [i for ids in files.values() for i in ids])
        refused = {qid for qid, ids in files.items() if any(i not in known for i in ids)}
        for question_id in refused:
            result.errors[question_id] = str(_l("No such evidence file in this assessment."))
        changes = [change for change in changes if change.question_id not in refused]
    if not changes:
        return result
    try:
        with db.session.begin_nested():
            result.saved = _write(assessment, changes, user, source)
    except (IntegrityError, StaleDataError):
        # A colleague saved some of these answers meanwhile: save one by one to learn which.
        db.session.expire_all()
        return _save_one_by_one(assessment, changes, result, user, source)
    return result


def _ids(rows: dict[str, Answer]) -> list[int]:
    return sorted(answer.id for answer in rows.values())


def _write(assessment: Assessment, changes: list[_Change], user: User, source: str) -> dict:
    """Write checked changes in a fixed number of statements; return the new versions.

    :raises StaleDataError: when an answer changed since it was read (nothing is kept then).
    """
    now = utcnow()
    created = [change for change in changes if change.answer is None]
    changed = [change for change in changes if change.answer is not None]
    ids: dict[str, int] = {}
    if created:
        rows = db.session.execute(
            insert(Answer).returning(Answer.id, Answer.question_id),
            [
                {
                    "assessment_id": assessment.id,
                    "question_id": change.question_id,
                    "value": change.value,
                    "note": change.note,
                    "carried_over": False,
                    "version": 1,
                    "updated_at": now,
                    "updated_by_id": user.id,
                }
                for change in created
            ],
        )
        ids = {question_id: answer_id for answer_id, question_id in rows}
    if changed:
        table = Answer.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_old"))
            .values(
                value=bindparam("b_value"),
                note=bindparam("b_note"),
                carried_over=False,
                version=bindparam("b_new"),
                updated_at=now,
                updated_by_id=user.id,
            )
        )
        params = [
            {
                "b_id": change.answer.id,
                "b_old": change.answer.version,
                "b_value": change.value,
                "b_note": change.note,
                "b_new": change.answer.version + 1,
            }
            for change in changed
        ]
        if db.session.execute(statement, params).rowcount != len(params):
            raise StaleDataError("an answer changed since it was read")
    db.session.execute(
        insert(AnswerRevision),
        [
            _revision(
                change,
                change.answer.id if change.answer is not None else ids[change.question_id],
                user,
                source,
                now,
            )
            for change in changes
        ],
    )
    versions = {change.question_id: 1 for change in created}
    for change in changed:  # the loaded rows now say what the database says
        answer = change.answer
        for name, value in (
            ("value", change.value),
            ("note", change.note),
            ("carried_over", False),
            ("version", answer.version + 1),
            ("updated_at", now),
            ("updated_by_id", user.id),
            ("updated_by", user),
        ):
            set_committed_value(answer, name, value)
        versions[change.question_id] = answer.version
    return versions


def _save_one_by_one(assessment, changes, result, user, source) -> SectionResult:
    questionnaire = runtime(assessment.questionnaire_version)
    for change in changes:
        try:
            answer = save_answer(
                assessment,
                change.question_id,
                change.value,
                version=change.version,
                note=change.note,
                user=user,
                source=source,
                questionnaire=questionnaire,
            )
        except Conflict as conflict:
            result.conflicts[change.question_id] = conflict.answer
        except ServiceError as error:
            result.errors[change.question_id] = str(error.message)
        else:
            if answer is not None:
                result.saved[change.question_id] = answer.version
    return result


def _revision(change: _Change, answer_id: int, user: User | None, source: str, when) -> dict:
    """Return the history row of a change, as column values."""
    return {
        "answer_id": answer_id,
        "old_value": change.old_value,
        "new_value": change.value,
        "old_note": change.old_note,
        "new_note": change.note,
        "source": source,
        "changed_by_id": user.id if user else None,
        "changed_at": when,
    }


def _known_evidence(assessment: Assessment, ids: list[str]) -> set[str]:
    return set(
        db.session.scalars(
            select(EvidenceFile.public_id).where(
                EvidenceFile.assessment_id == assessment.id, EvidenceFile.public_id.in_(ids)
            )
        )
    )


def _check_evidence_ids(assessment: Assessment, ids: list[str]) -> None:
    known = _known_evidence(assessment, ids)
    for index, public_id in enumerate(ids):
        if public_id not in known:
            raise Invalid(_l("No such evidence file in this assessment."), field=f"value.{index}")


# --- Carrying over and submitting ------------------------------------------------------------


#: Why an earlier answer was not carried over (see ``carry_plan``).
LEFT_REMOVED = "removed"  # the question is not in the new version
LEFT_REPLACED = "replaced"  # new questions take it over: it is shown beside them
LEFT_RETYPED = "retyped"  # same id, a different kind of answer
LEFT_RULES = "rules"  # same type, but the value no longer fits (options, limits)
LEFT_FILES = "files"  # files stay with the assessment they were attached to


@dataclass(frozen=True)
class Left:
    """An earlier answer that was not carried over, and why."""

    question_id: str
    #: The earlier question (for its label and the earlier answer's display).
    question: QuestionBase
    value: Any
    reason: str
    #: The questions of the new version that take it over (``replaces``), if any.
    replaced_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class CarryPlan:
    """What carrying ``previous``'s answers into a newer assessment does, answer by answer."""

    carried: list[tuple[Answer, Any]]
    left: list[Left]


def carry_plan(previous: Assessment, target_version: QuestionnaireVersion) -> CarryPlan:
    """Sort ``previous``'s answers into those that fit ``target_version`` (by stable question id,
    a compatible type and a value its rules accept) and those left behind, with the reason.

    A compatible type is the same type or a narrower one of the same kind (a multiple choice that
    became a reservations question keeps its answer if the options kept their values).
    """
    target_runtime = runtime(target_version)
    source_runtime = runtime(previous.questionnaire_version)
    replaced_by: dict[str, list[str]] = {}
    for question in target_runtime.questions.values():
        for old in question.replaces:
            replaced_by.setdefault(old, []).append(question.id)
    carried, left = [], []
    answers = db.session.scalars(
        select(Answer).where(Answer.assessment_id == previous.id).order_by(Answer.question_id)
    )
    for answer in answers:
        before = source_runtime.questions.get(answer.question_id)
        if answer.value is None or before is None:
            continue  # nothing to carry, or a question the earlier version no longer knows
        question = target_runtime.questions.get(answer.question_id)
        reason = None
        if answer.question_id in replaced_by:
            reason = LEFT_REPLACED
        elif question is None:
            reason = LEFT_REMOVED
        elif not isinstance(question, type(before)):
            reason = LEFT_RETYPED
        elif question.holds_files:
            reason = LEFT_FILES
        else:
            try:
                carried.append((answer, question.normalise(answer.value)))
            except AnswerError:
                reason = LEFT_RULES
        if reason is not None:
            left.append(
                Left(
                    answer.question_id,
                    before,
                    answer.value,
                    reason,
                    tuple(replaced_by.get(answer.question_id, ())),
                )
            )
    position = {question_id: i for i, question_id in enumerate(source_runtime.questions)}
    left.sort(key=lambda item: position[item.question_id])  # in the earlier questionnaire's order
    return CarryPlan(carried, left)


def left_behind(assessment: Assessment) -> tuple[Assessment | None, list[Left]]:
    """Return the assessment this one was carried over from and its answers that could not be
    carried (three queries; none when nothing was carried over)."""
    if assessment.carried_from_id is None:
        return None, []
    previous = db.session.get(Assessment, assessment.carried_from_id)
    return previous, carry_plan(previous, assessment.questionnaire_version).left


def earlier_answers(
    assessment: Assessment, questions: Iterable[QuestionBase]
) -> dict[str, list[tuple[QuestionBase, Any]]]:
    """Return, for each of ``questions`` that replaces earlier questions, the earlier questions and
    their answers in the assessment this one was carried over from (one query)."""
    wanted = {old: question.id for question in questions for old in question.replaces}
    if not wanted or assessment.carried_from_id is None:
        return {}
    previous = db.session.get(Assessment, assessment.carried_from_id)
    before = runtime(previous.questionnaire_version)
    found: dict[str, list[tuple[QuestionBase, Any]]] = {}
    rows = db.session.execute(
        select(Answer.question_id, Answer.value)
        .where(Answer.assessment_id == previous.id, Answer.question_id.in_(wanted))
        .order_by(Answer.question_id)
    )
    for question_id, value in rows:
        old = before.questions.get(question_id)
        if old is not None and value is not None:
            found.setdefault(wanted[question_id], []).append((old, value))
    return found


def carry_over(previous: Assessment, target: Assessment, user: User) -> int:
    """Copy the answers of ``previous`` that still fit ``target``'s questionnaire, each marked
    "carried over — please confirm". Returns how many were copied; ``carry_plan`` tells which
    were left behind and why."""
    rows = [
        Answer(
            assessment_id=target.id,
            question_id=answer.question_id,
            value=value,
            note=answer.note,
            carried_over=True,
            updated_by_id=user.id,
            updated_at=utcnow(),
        )
        for answer, value in carry_plan(previous, target.questionnaire_version).carried
    ]
    db.session.add_all(rows)
    db.session.flush()
    now = utcnow()
    db.session.add_all(
        AnswerRevision(
            **_revision(
                _Change(row.question_id, None, row.value, row.note, 0),
                row.id,
                user,
                "carry_over",
                now,
            )
        )
        for row in rows
    )
    target.carried_from_id = previous.id
    return len(rows)


def submit(assessment: Assessment, user: User) -> None:
    """Lock the assessment once every required, visible question is answered.

    :raises Invalid: listing the missing questions in ``extra["missing"]``.
    :raises Refused: when it was already submitted or the cycle is closed.
    :raises Forbidden: when ``user`` is not one of the country's officials.
    """
    lock(assessment)  # no save can slip in between the check and the status change
    ensure_editable(assessment)
    missing = state(assessment).missing()
    if missing:
        raise Invalid(
            _l("Some required questions have no answer yet."),
            missing=[question.id for question in missing],
        )
    workflows.ASSESSMENT.perform(
        assessment, "submit", user, country=assessment.country.code, cycle=assessment.cycle.name
    )
