"""Scoring an assessment: its questionnaire version's rules (compiled once per process) applied to
its answers."""

from __future__ import annotations

import threading

from app.assessments import answers
from app.frameworks import store
from app.models import Assessment, QuestionnaireVersion
from app.scoring import engine

_RULES: dict[str, engine.Rules] = {}
_LOCK = threading.Lock()


def rules_for(version: QuestionnaireVersion) -> engine.Rules:
    """Return the rules of a questionnaire version (compiled once: versions never change)."""
    rules = _RULES.get(version.content_hash)
    if rules is None:
        frameworks = {row.framework_id: store.framework_model(row) for row in version.frameworks}
        rules = engine.compile_rules(store.questionnaire_model(version), frameworks)
        with _LOCK:
            _RULES[version.content_hash] = rules
    return rules


def scorecard(
    assessment: Assessment, state: answers.State | None = None, targets=None
) -> engine.Scorecard:
    """Return the derived ratings of ``assessment`` as its answers stand (``state``, when the
    caller has read them already)."""
    current = state or answers.state(assessment)
    values = {question_id: answer.value for question_id, answer in current.answers.items()}
    visible = [question_id for question_id, shown in current.visible.items() if shown]
    facts = engine.facts(current.runtime.questions, values, visible)
    return engine.score(rules_for(assessment.questionnaire_version), facts, targets)
