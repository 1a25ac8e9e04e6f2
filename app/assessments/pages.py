"""What the assessment pages show about each question, prepared once per page so that templates
run no queries and translate nothing per question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from app.assessments.answers import State
from app.frameworks.types import ShowContext
from app.frameworks.words import words
from app.i18n import datetime_utc
from app.models import Answer, Assessment, EvidenceFile


def show_context(assessment: Assessment, state: State, files: list[EvidenceFile]) -> ShowContext:
    """Return what displays of this assessment's values need: indicator texts and files."""
    download = url_for(
        "assessments.download_evidence", assessment_id=assessment.id, public_id="__ID__"
    )
    return ShowContext(
        indicators=state.runtime.indicators,
        files={file.public_id: file for file in files},
        file_url=lambda public_id: download.replace("__ID__", public_id),
    )


@dataclass
class QuestionPage:
    """The per-page facts every question block reads."""

    assessment: Assessment
    answers: dict[str, Answer]
    visible: dict[str, bool]
    editable: bool
    show: ShowContext
    words: Any
    history: str

    @classmethod
    def build(
        cls, assessment: Assessment, state: State, files: list[EvidenceFile], *, editable: bool
    ) -> QuestionPage:
        """Return the page facts for ``assessment`` as ``state`` holds it."""
        return cls(
            assessment,
            state.answers,
            state.visible,
            editable,
            show_context(assessment, state, files),
            words(),
            url_for("assessments.answer_history", assessment_id=assessment.id, question_id="__Q__"),
        )

    def history_url(self, question_id: str) -> str:
        """Return the address of an answer's history."""
        return self.history.replace("__Q__", question_id)

    def saved_by(self, answer: Answer) -> str:
        """Return "Last saved by NAME, WHEN"."""
        name = answer.updated_by.display_name if answer.updated_by else "—"
        return self.words["last_saved"] % {"name": name, "when": datetime_utc(answer.updated_at)}
