"""Loading a checked library into the database as immutable versions, and reading them back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core import audit
from app.extensions import db
from app.frameworks.library import Library
from app.frameworks.schema import Framework, Questionnaire
from app.models import FrameworkVersion, QuestionnaireVersion


def content_hash(definition: dict[str, Any], *extra: str) -> str:
    """Return the SHA-256 of a definition's canonical JSON (and of ``extra`` hashes)."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Loaded:
    kind: str  # "framework" | "questionnaire"
    id: str
    version: str
    content_hash: str
    new: bool

    def __str__(self) -> str:
        state = "new version" if self.new else "unchanged"
        return f"{self.kind} {self.id} {self.version} ({self.content_hash[:12]}): {state}"


def load(library: Library) -> list[Loaded]:
    """Store every framework and questionnaire of a checked library; return what happened.

    Loading the same content again changes nothing; changed content adds a version. A
    questionnaire's hash includes its frameworks' hashes, so a changed framework also gives the
    questionnaire a new version (its scoring basis changed).

    :raises ValueError: when the library has problems (nothing is written).
    """
    if not library.ok:
        raise ValueError("the library has problems; validate it first")
    results: list[Loaded] = []
    stored: dict[str, FrameworkVersion] = {}
    for framework in library.frameworks.values():
        definition = framework.model_dump(mode="json")
        row, new = _version(
            FrameworkVersion,
            content_hash(definition),
            framework_id=framework.id,
            version=framework.version,
            definition=definition,
        )
        stored[framework.id] = row
        results.append(Loaded("framework", framework.id, framework.version, row.content_hash, new))
    for questionnaire in library.questionnaires:
        definition = questionnaire.model_dump(mode="json")
        frameworks = [stored[framework_id] for framework_id in questionnaire.frameworks]
        row, new = _version(
            QuestionnaireVersion,
            content_hash(definition, *sorted(f.content_hash for f in frameworks)),
            questionnaire_id=questionnaire.id,
            version=questionnaire.version,
            definition=definition,
            frameworks=frameworks,
        )
        results.append(
            Loaded("questionnaire", questionnaire.id, questionnaire.version, row.content_hash, new)
        )
    return results


def _version(model, digest: str, **fields):
    """Return the stored version with this content hash, adding (and auditing) it if new."""
    row = db.session.scalar(select(model).where(model.content_hash == digest))
    if row is not None:
        return row, False
    row = model(content_hash=digest, **fields)
    db.session.add(row)
    db.session.flush()
    kind = "framework" if model is FrameworkVersion else "questionnaire"
    audit.record(f"library.{kind}_loaded", obj=row, version=fields["version"])
    return row, True


#: Parsed definitions by content hash. Versions never change, so entries never go stale; there
#: are only as many as versions loaded.
_parsed: dict[str, Framework | Questionnaire] = {}


def framework_model(row: FrameworkVersion) -> Framework:
    """Return the parsed definition of a stored framework version (cached: it never changes)."""
    model = _parsed.get(row.content_hash)
    if model is None:
        model = _parsed[row.content_hash] = Framework.model_validate(row.definition)
    return model


def questionnaire_model(row: QuestionnaireVersion) -> Questionnaire:
    """Return the parsed definition of a stored questionnaire version (cached)."""
    model = _parsed.get(row.content_hash)
    if model is None:
        model = _parsed[row.content_hash] = Questionnaire.model_validate(row.definition)
    return model


def latest_questionnaires() -> list[QuestionnaireVersion]:
    """Return the newest version of each questionnaire, with its frameworks, in one query each."""
    newest = (
        select(func.max(QuestionnaireVersion.id))
        .group_by(QuestionnaireVersion.questionnaire_id)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.id.in_(newest))
            .options(selectinload(QuestionnaireVersion.frameworks))
            .order_by(QuestionnaireVersion.questionnaire_id)
        )
    )


def latest_frameworks() -> dict[str, FrameworkVersion]:
    """Return the newest stored version of each framework, by framework id."""
    newest = (
        select(func.max(FrameworkVersion.id))
        .group_by(FrameworkVersion.framework_id)
        .scalar_subquery()
    )
    rows = db.session.scalars(select(FrameworkVersion).where(FrameworkVersion.id.in_(newest)))
    return {row.framework_id: row for row in rows}
