"""The business steps of self-assessment. They take model objects and plain values, flush but
never commit, and write the audit trail. Errors carry the HTTP status a view should answer."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.core import audit
from app.core.db import utcnow
from app.extensions import db
from app.frameworks import store
from app.frameworks.runtime import Runtime, runtime_for
from app.frameworks.types import AnswerError
from app.models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    Country,
    Cycle,
    CycleStatus,
    EvidenceFile,
    QuestionnaireVersion,
    User,
)

UNSET: Any = object()

#: Evidence types accepted, by the MIME type sniffed from the content.
EVIDENCE_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "image/png": "png",
    "image/jpeg": "jpg",
}


class AssessmentError(Exception):
    """A refused step: ``status`` is the HTTP status, ``field`` the input at fault, if any."""

    status = 409

    def __init__(self, message, *, field: str | None = None, status: int | None = None, **extra):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.extra = extra
        if status is not None:
            self.status = status


class NotFound(AssessmentError):
    status = 404


class Invalid(AssessmentError):
    status = 422


class Conflict(AssessmentError):
    """The answer changed since the version the user started from."""

    status = 409

    def __init__(self, answer: Answer | None):
        super().__init__(
            _l("A colleague changed this answer after you opened it. Choose which to keep.")
        )
        self.answer = answer


# --- Reading ---------------------------------------------------------------------------------


@dataclass
class State:
    """An assessment with its questionnaire runtime, answers and what is visible."""

    assessment: Assessment
    runtime: Runtime
    answers: dict[str, Answer]
    visible: dict[str, bool]

    @property
    def values(self) -> dict[str, Any]:
        return {question_id: answer.value for question_id, answer in self.answers.items()}

    def progress(self):
        return self.runtime.progress(self.values, self.visible)

    def missing(self):
        return self.runtime.missing(self.values, self.visible)


def runtime(version: QuestionnaireVersion) -> Runtime:
    """Return the runtime of a questionnaire version (parsed and indexed once per process)."""
    return runtime_for(version.content_hash, store.questionnaire_model(version))


def state(assessment: Assessment) -> State:
    """Load an assessment's answers (one query) and compute what is visible."""
    answers = {
        answer.question_id: answer
        for answer in db.session.scalars(
            select(Answer).where(Answer.assessment_id == assessment.id)
        )
    }
    questionnaire = runtime(assessment.questionnaire_version)
    values = {question_id: answer.value for question_id, answer in answers.items()}
    return State(assessment, questionnaire, answers, questionnaire.visibility(values))


def is_editable(assessment: Assessment) -> bool:
    """Return whether countries may still change the assessment."""
    return (
        assessment.status is AssessmentStatus.DRAFT and assessment.cycle.status is CycleStatus.OPEN
    )


def _ensure_editable(assessment: Assessment) -> None:
    if assessment.status is not AssessmentStatus.DRAFT:
        raise AssessmentError(_l("This assessment was submitted; it can no longer be changed."))
    if assessment.cycle.status is not CycleStatus.OPEN:
        raise AssessmentError(_l("This assessment cycle is closed; answers can no longer change."))


# --- Saving ----------------------------------------------------------------------------------


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
    :raises AssessmentError: when the assessment can no longer change.
    """
    _ensure_editable(assessment)
    questionnaire = questionnaire or runtime(assessment.questionnaire_version)
    question = questionnaire.questions.get(question_id)
    if question is None:
        raise NotFound(_l("There is no question %(id)s in this questionnaire.", id=question_id))
    try:
        value = question.normalise(raw_value)
    except AnswerError as error:
        field = "value" + (f".{error.path}" if error.path else "")
        raise Invalid(error.message, field=field) from None
    if question.type == "evidence" and value:
        _check_evidence_ids(assessment, value)
    if note is not UNSET:
        note = (str(note).strip() or None) if note is not None else None
        if note and len(note) > 5000:
            raise Invalid(_l("Keep the note under 5,000 characters."), field="note")

    answer = db.session.scalar(
        select(Answer).where(
            Answer.assessment_id == assessment.id, Answer.question_id == question_id
        )
    )
    if answer is None:
        if version:
            raise Conflict(None)
        if value is None and not (note is not UNSET and note):
            return None
        answer = Answer(
            assessment_id=assessment.id,
            question_id=question_id,
            value=value,
            note=None if note is UNSET else note,
            updated_by_id=user.id,
            updated_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(answer)
        except IntegrityError:
            # A colleague created the answer at the same moment.
            raise Conflict(find_answer(assessment, question_id)) from None
        _revision(answer, None, value, None, answer.note, user, source)
        return answer

    if version is None or version != answer.version:
        raise Conflict(answer)
    new_note = answer.note if note is UNSET else note
    if value == answer.value and new_note == answer.note and not answer.carried_over:
        return answer  # nothing changed: no new version
    old_value, old_note = answer.value, answer.note
    answer.value = value
    answer.note = new_note
    answer.carried_over = False
    answer.updated_by_id = user.id
    answer.updated_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except StaleDataError:
        db.session.expire(answer)
        raise Conflict(db.session.get(Answer, answer.id)) from None
    _revision(answer, old_value, value, old_note, new_note, user, source)
    return answer


def _revision(answer, old_value, new_value, old_note, new_note, user, source) -> None:
    db.session.add(
        AnswerRevision(
            answer_id=answer.id,
            old_value=old_value,
            new_value=new_value,
            old_note=old_note,
            new_note=new_note,
            source=source,
            changed_by_id=user.id if user else None,
            changed_at=utcnow(),
        )
    )


def _check_evidence_ids(assessment: Assessment, ids: list[str]) -> None:
    known = set(
        db.session.scalars(
            select(EvidenceFile.public_id).where(
                EvidenceFile.assessment_id == assessment.id, EvidenceFile.public_id.in_(ids)
            )
        )
    )
    for index, public_id in enumerate(ids):
        if public_id not in known:
            raise Invalid(_l("No such evidence file in this assessment."), field=f"value.{index}")


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


# --- Evidence --------------------------------------------------------------------------------


def upload_folder() -> Path:
    """Return the folder of evidence files (outside the static folder), creating it."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sanitise_filename(name: str, extension: str) -> str:
    """Return a safe download name: no path, no control characters, the sniffed extension."""
    name = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    name = name.strip(" .")[:200] or "evidence"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem}.{extension}"


def add_evidence(
    assessment: Assessment,
    data: bytes,
    filename: str,
    *,
    user: User,
    question_id: str | None = None,
    version: int | None = None,
) -> EvidenceFile:
    """Store an evidence file after checking its size and its sniffed type.

    With ``question_id`` of an evidence question, the file is also added to that answer
    (``version`` is the answer's version the user started from).

    :raises Invalid: when the file is empty, too large or of a type not accepted.
    """
    _ensure_editable(assessment)
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if not data:
        raise Invalid(_l("The file is empty."), field="file")
    if len(data) > limit:
        raise Invalid(
            _l("The file is larger than %(size)s MB.", size=f"{limit / 1_000_000:g}"), field="file"
        )
    content_type = filetype.guess_mime(data)
    if content_type not in EVIDENCE_TYPES:
        raise Invalid(
            _l("Only PDF, DOCX, XLSX, ODT, PNG and JPEG files are accepted."), field="file"
        )
    questionnaire = runtime(assessment.questionnaire_version)
    question = questionnaire.questions.get(question_id) if question_id else None
    if question_id and question is None:
        raise NotFound(_l("There is no question %(id)s in this questionnaire.", id=question_id))
    public_id = secrets.token_hex(16)
    evidence = EvidenceFile(
        public_id=public_id,
        assessment_id=assessment.id,
        question_id=question_id,
        filename=sanitise_filename(filename or "evidence", EVIDENCE_TYPES[content_type]),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    db.session.add(evidence)
    db.session.flush()
    if question is not None and question.type == "evidence":
        current = find_answer(assessment, question_id)
        ids = list(current.value or []) if current else []
        save_answer(
            assessment,
            question_id,
            [*ids, public_id],
            version=version if version is not None else (current.version if current else 0),
            user=user,
            source="evidence",
            questionnaire=questionnaire,
        )
    path = upload_folder() / public_id
    path.write_bytes(data)  # last: nothing is stored for a refused upload
    audit.record(
        "evidence.uploaded",
        actor=user,
        obj=evidence,
        assessment=assessment.id,
        filename=evidence.filename,
        size=evidence.size,
    )
    return evidence


def evidence_path(evidence: EvidenceFile) -> Path:
    """Return where an evidence file's bytes are stored."""
    return upload_folder() / evidence.public_id


def evidence_files(assessment: Assessment) -> list[EvidenceFile]:
    """Return the assessment's evidence files, oldest first."""
    return list(
        db.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.assessment_id == assessment.id)
            .order_by(EvidenceFile.id)
        )
    )


# --- Submission ------------------------------------------------------------------------------


def submit(assessment: Assessment, user: User) -> None:
    """Lock the assessment once every required, visible question is answered.

    :raises Invalid: listing the missing questions in ``extra["missing"]``.
    :raises AssessmentError: when it was already submitted or the cycle is closed.
    """
    _ensure_editable(assessment)
    current = state(assessment)
    missing = current.missing()
    if missing:
        raise Invalid(
            _l("Some required questions have no answer yet."),
            missing=[question.id for question in missing],
        )
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = user.id
    audit.record(
        "assessment.submitted",
        actor=user,
        obj=assessment,
        before={"status": "draft"},
        after={"status": "submitted"},
        country=assessment.country.code,
        cycle=assessment.cycle.name,
    )


# --- Cycles ----------------------------------------------------------------------------------


def create_cycle(
    name: str,
    version: QuestionnaireVersion,
    deadline: date,
    countries: list[Country],
    *,
    carry_over: bool,
    user: User,
) -> Cycle:
    """Prepare a cycle (status draft).

    :raises Invalid: when the name is taken or no country participates.
    """
    if db.session.scalar(select(Cycle.id).where(Cycle.name == name.strip())):
        raise Invalid(_l("A cycle with this name already exists."), field="name")
    if not countries:
        raise Invalid(_l("Choose at least one participating country."), field="countries")
    cycle = Cycle(
        name=name.strip(),
        questionnaire_version=version,
        deadline=deadline,
        countries=countries,
        carry_over=carry_over,
        created_by=user,
    )
    db.session.add(cycle)
    db.session.flush()
    audit.record(
        "cycle.created",
        actor=user,
        obj=cycle,
        after={"name": cycle.name, "deadline": deadline.isoformat(), "countries": len(countries)},
    )
    return cycle


def open_cycle(cycle: Cycle, user: User) -> list[Assessment]:
    """Open a cycle: one draft assessment per participating country, with answers carried over
    from the country's previous finished cycle when the cycle asks for it.

    :raises AssessmentError: when the cycle is not a draft.
    """
    if cycle.status is not CycleStatus.DRAFT:
        raise AssessmentError(_l("Only a cycle in preparation can be opened."))
    created = []
    for country in cycle.countries:
        assessment = Assessment(
            cycle=cycle,
            country=country,
            questionnaire_version_id=cycle.questionnaire_version_id,
        )
        db.session.add(assessment)
        db.session.flush()
        if cycle.carry_over:
            previous = previous_finished(country, cycle)
            if previous is not None:
                carry_over(previous, assessment, user)
        created.append(assessment)
    cycle.status = CycleStatus.OPEN
    cycle.opened_at = utcnow()
    audit.record(
        "cycle.opened",
        actor=user,
        obj=cycle,
        before={"status": "draft"},
        after={"status": "open"},
        assessments=len(created),
    )
    return created


def close_cycle(cycle: Cycle, user: User) -> None:
    """Close an open cycle: countries can no longer change their assessments."""
    if cycle.status is not CycleStatus.OPEN:
        raise AssessmentError(_l("Only an open cycle can be closed."))
    cycle.status = CycleStatus.CLOSED
    cycle.closed_at = utcnow()
    audit.record(
        "cycle.closed", actor=user, obj=cycle, before={"status": "open"}, after={"status": "closed"}
    )


def previous_finished(country: Country, cycle: Cycle) -> Assessment | None:
    """Return the country's submitted assessment of its latest closed cycle before ``cycle``."""
    return db.session.scalar(
        select(Assessment)
        .join(Assessment.cycle)
        .where(
            Assessment.country_id == country.id,
            Assessment.status == AssessmentStatus.SUBMITTED,
            Cycle.status == CycleStatus.CLOSED,
            Cycle.id != cycle.id,
        )
        .order_by(Cycle.closed_at.desc(), Cycle.id.desc())
        .limit(1)
    )


def carry_over(previous: Assessment, target: Assessment, user: User) -> int:
    """Copy the answers of ``previous`` that still fit ``target``'s questionnaire, each marked
    "carried over — please confirm". Returns how many were copied."""
    target_runtime = runtime(target.questionnaire_version)
    source_runtime = runtime(previous.questionnaire_version)
    copied = 0
    for answer in db.session.scalars(select(Answer).where(Answer.assessment_id == previous.id)):
        question = target_runtime.questions.get(answer.question_id)
        before = source_runtime.questions.get(answer.question_id)
        if question is None or before is None or question.type != before.type:
            continue
        if question.type == "evidence" or answer.value is None:
            continue  # files belong to the earlier assessment
        try:
            value = question.normalise(answer.value)
        except AnswerError:
            continue  # the question's rules changed: the country answers afresh
        row = Answer(
            assessment_id=target.id,
            question_id=answer.question_id,
            value=value,
            note=answer.note,
            carried_over=True,
            updated_by_id=user.id,
            updated_at=utcnow(),
        )
        db.session.add(row)
        db.session.flush()
        _revision(row, None, value, None, answer.note, user, "carry_over")
        copied += 1
    target.carried_from_id = previous.id
    return copied
