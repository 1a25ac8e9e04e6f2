"""A loaded questionnaire, ready to use: its questions by id, parsed conditions in dependency
order, visibility from answers, and progress. Pure: no Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.frameworks import expressions
from app.frameworks.schema import Questionnaire, Section
from app.frameworks.types import QuestionBase


@dataclass(frozen=True)
class SectionProgress:
    answered_required: int
    required: int
    answered: int
    visible: int

    @property
    def complete(self) -> bool:
        return self.answered_required == self.required


@dataclass
class Runtime:
    questionnaire: Questionnaire
    questions: dict[str, QuestionBase] = field(default_factory=dict)
    section_of: dict[str, Section] = field(default_factory=dict)
    conditions: dict[str, expressions.Node] = field(default_factory=dict)
    #: Question ids ordered so that a condition's references come before it.
    order: list[str] = field(default_factory=list)
    #: Maturity indicator ref (``area.indicator``) -> its text.
    indicators: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Institution id -> its name (the file's ``institutions``).
    institution_names: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def build(cls, questionnaire: Questionnaire) -> Runtime:
        """Index a (validated) questionnaire: conditions parse and form no cycle."""
        runtime = cls(questionnaire)
        for section in questionnaire.sections:
            for question in section.questions:
                runtime.questions[question.id] = question
                runtime.section_of[question.id] = section
                if question.relevant:
                    runtime.conditions[question.id] = expressions.parse(question.relevant)
        runtime.institution_names = {item.id: item.label for item in questionnaire.institutions}
        for area in questionnaire.maturity_areas:
            for stage in area.stages:
                for indicator in stage.indicators:
                    runtime.indicators[f"{area.id}.{indicator.id}"] = indicator.text
        seen: set[str] = set()

        def place(question_id: str) -> None:
            if question_id in seen:
                return
            seen.add(question_id)
            tree = runtime.conditions.get(question_id)
            for name in sorted(expressions.names(tree) if tree else ()):
                if name in runtime.questions:
                    place(name)
            runtime.order.append(question_id)

        for question_id in runtime.questions:
            place(question_id)
        return runtime

    def with_conditions(self, question_ids: Iterable[str]) -> frozenset[str]:
        """Return the questions and every question their visibility depends on, transitively."""
        found: set[str] = set()
        pending = [question_id for question_id in question_ids if question_id in self.questions]
        while pending:
            question_id = pending.pop()
            if question_id in found:
                continue
            found.add(question_id)
            tree = self.conditions.get(question_id)
            if tree is not None:
                pending.extend(name for name in expressions.names(tree) if name in self.questions)
        return frozenset(found)

    def section(self, section_id: str) -> Section | None:
        """Return the section with this id, if any."""
        return next((s for s in self.questionnaire.sections if s.id == section_id), None)

    def visibility(
        self, values: dict[str, Any], scope: frozenset[str] | None = None
    ) -> dict[str, bool]:
        """Return whether each question is shown, given stored values by question id.

        A hidden question counts as unanswered in the conditions of others, so hiding cascades.
        With ``scope`` (questions closed under ``with_conditions``), only those are computed.
        """
        visible: dict[str, bool] = {}
        comparable: dict[str, Any] = {}
        order = self.order if scope is None else [q for q in self.order if q in scope]
        for question_id in order:
            tree = self.conditions.get(question_id)
            shown = tree is None or expressions.evaluate(tree, comparable)
            visible[question_id] = shown
            question = self.questions[question_id]
            value = values.get(question_id)
            if shown and question.is_answered(value):
                comparable[question_id] = question.comparable(value)
        return visible

    def progress(
        self, values: dict[str, Any], visible: dict[str, bool]
    ) -> dict[str, SectionProgress]:
        """Return, per section, answered and required counts among the visible questions."""
        return {
            section.id: self.section_progress(section, values, visible)
            for section in self.questionnaire.sections
        }

    def section_progress(
        self, section: Section, values: dict[str, Any], visible: dict[str, bool]
    ) -> SectionProgress:
        """Return one section's answered and required counts among its visible questions."""
        shown = [q for q in section.questions if visible.get(q.id, True)]
        answered = {q.id for q in shown if q.is_answered(values.get(q.id))}
        required = [q for q in shown if q.required]
        return SectionProgress(
            answered_required=sum(1 for q in required if q.id in answered),
            required=len(required),
            answered=len(answered),
            visible=len(shown),
        )

    def missing(self, values: dict[str, Any], visible: dict[str, bool]) -> list[QuestionBase]:
        """Return the required, visible questions that have no answer, in questionnaire order."""
        return [
            question
            for section in self.questionnaire.sections
            for question in section.questions
            if question.required
            and visible.get(question.id, True)
            and not question.is_answered(values.get(question.id))
        ]


_runtimes: dict[str, Runtime] = {}


def runtime_for(content_hash: str, questionnaire: Questionnaire) -> Runtime:
    """Return the runtime of a stored questionnaire version (cached: versions never change)."""
    runtime = _runtimes.get(content_hash)
    if runtime is None:
        runtime = _runtimes[content_hash] = Runtime.build(questionnaire)
    return runtime
