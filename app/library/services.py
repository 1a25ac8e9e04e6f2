"""What the library pages show, computed from the newest loaded versions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.frameworks import store
from app.frameworks.coverage import FrameworkCoverage, coverage
from app.frameworks.schema import Framework, Provision, Questionnaire
from app.models import FrameworkVersion, QuestionnaireVersion


@dataclass(frozen=True)
class Shelf:
    """The newest version of every framework and questionnaire, parsed."""

    framework_rows: dict[str, FrameworkVersion]
    frameworks: dict[str, Framework]
    questionnaire_rows: list[QuestionnaireVersion]
    questionnaires: list[Questionnaire]

    def coverage(self) -> dict[str, FrameworkCoverage]:
        """Return the questions of the newest questionnaires that evidence each provision."""
        return coverage(self.frameworks, self.questionnaires)


def shelf() -> Shelf:
    """Return the newest versions (three queries, whatever the library's size)."""
    framework_rows = store.latest_frameworks()
    questionnaire_rows = store.latest_questionnaires()
    return Shelf(
        framework_rows,
        {key: store.framework_model(row) for key, row in sorted(framework_rows.items())},
        questionnaire_rows,
        [store.questionnaire_model(row) for row in questionnaire_rows],
    )


def question_texts(shelf: Shelf) -> dict[str, dict[str, str]]:
    """Return the label of every question of the newest questionnaires, by question id."""
    return {
        question.id: question.label
        for questionnaire in shelf.questionnaires
        for section in questionnaire.sections
        for question in section.questions
    }


def history() -> tuple[list[FrameworkVersion], list[QuestionnaireVersion]]:
    """Return every loaded version, newest first (without their definitions)."""
    frameworks = db.session.scalars(
        select(FrameworkVersion).order_by(FrameworkVersion.id.desc())
    ).all()
    questionnaires = db.session.scalars(
        select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())
    ).all()
    return list(frameworks), list(questionnaires)


@dataclass(frozen=True)
class CrosswalkRow:
    left: Provision | None
    right: Provision | None


def crosswalk(left: Framework, right: Framework) -> list[CrosswalkRow]:
    """Pair the provisions of two frameworks through the crosswalk; unmatched ones stand alone."""
    right_by_id = {provision.id: provision for provision in right.provisions}
    rows, matched = [], set()
    for provision in left.provisions:
        targets = [
            ref.split(":", 1)[1] for ref in provision.crosswalk if ref.startswith(f"{right.id}:")
        ]
        if not targets:
            rows.append(CrosswalkRow(provision, None))
        for target in targets:
            rows.append(CrosswalkRow(provision, right_by_id.get(target)))
            matched.add(target)
    rows.extend(
        CrosswalkRow(None, provision)
        for provision in right.provisions
        if provision.id not in matched
    )
    return rows
