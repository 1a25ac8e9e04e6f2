"""Evidence files: checked (size, type sniffed from the content), recorded, stored through
``app.core.storage`` and attached to the question that asks for them."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.assessments import answers
from app.core import audit
from app.core.db import utcnow
from app.core.errors import Invalid, NotFound
from app.core.storage import storage
from app.extensions import db
from app.models import Assessment, EvidenceFile, User

#: Evidence types accepted, by the MIME type sniffed from the content.
EVIDENCE_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "image/png": "png",
    "image/jpeg": "jpg",
}


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

    With ``question_id`` of a question that holds files, the file is also added to that answer
    (``version`` is the answer's version the user started from).

    :raises Invalid: when the file is empty, too large or of a type not accepted.
    :raises NotFound: for a question id that is not in the questionnaire.
    :raises Conflict: when the question's files changed since ``version``.
    """
    answers.lock(assessment)
    answers.ensure_editable(assessment)
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
    if content_type not in EVIDENCE_TYPES:
        raise Invalid(
            _l("Only PDF, DOCX, XLSX, ODT, PNG and JPEG files are accepted."),
            field="file",
            reason="type",
        )
    questionnaire = answers.runtime(assessment.questionnaire_version)
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
    if question is not None and question.holds_files:
        current = answers.find_answer(assessment, question_id)
        ids = list(current.value or []) if current else []
        answers.save_answer(
            assessment,
            question_id,
            [*ids, public_id],
            version=version if version is not None else (current.version if current else 0),
            user=user,
            source="evidence",
            questionnaire=questionnaire,
        )
    storage().put(public_id, data)  # last: nothing is stored for a refused upload
    audit.record(
        "evidence.uploaded",
        actor=user,
        obj=evidence,
        assessment=assessment.id,
        filename=evidence.filename,
        size=evidence.size,
    )
    return evidence


def evidence_files(assessment: Assessment) -> list[EvidenceFile]:
    """Return the assessment's evidence files, oldest first."""
    return list(
        db.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.assessment_id == assessment.id)
            .order_by(EvidenceFile.id)
        )
    )


def find_evidence(assessment: Assessment, public_id: str) -> EvidenceFile | None:
    """Return one of the assessment's evidence files by its public id, if it exists."""
    return db.session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.assessment_id == assessment.id, EvidenceFile.public_id == public_id
        )
    )


def open_evidence(evidence: EvidenceFile) -> BinaryIO:
    """Return the stored bytes of an evidence file, opened for reading."""
    return storage().open(evidence.public_id)
