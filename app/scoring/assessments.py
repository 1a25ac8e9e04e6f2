"""Scoring an assessment: its questionnaire version's rules (compiled once per process) applied to
its answers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class ProvisionView:
    """What the ratings page shows of one provision."""

    result: engine.ProvisionResult
    provision: Any  # the framework file's provision
    #: (element text, element result, [(question label, answer text, question id)])
    elements: list[tuple[str, engine.ElementResult, list[tuple[str, str, str]]]]
    explanation: str


@dataclass(frozen=True)
class FrameworkView:
    framework: Any
    rollup: engine.Rollup
    #: (cluster, its roll-up, its provisions)
    clusters: list[tuple[Any, engine.Rollup, list[ProvisionView]]]


def ratings_view(assessment: Assessment, state: answers.State) -> tuple[engine.Scorecard, list]:
    """Return the scorecard and, per framework, what the ratings page shows."""
    from app.frameworks.words import localized
    from app.scoring.explain import explain

    card = scorecard(assessment, state)
    frameworks = {
        row.framework_id: store.framework_model(row)
        for row in assessment.questionnaire_version.frameworks
    }
    texts = element_texts(assessment)
    questions = state.runtime.questions
    views = []
    for framework_id in card.frameworks:
        model = frameworks[framework_id]
        clusters = []
        for cluster in model.clusters:
            shown = []
            for provision in model.provisions:
                if provision.cluster != cluster.id:
                    continue
                result = card.provisions[f"{framework_id}:{provision.id}"]
                elements = [
                    (
                        texts.get(element.ref, element.ref),
                        element,
                        [
                            (
                                localized(questions[qid].label),
                                questions[qid].display_text(state.values.get(qid)),
                                qid,
                            )
                            for qid in dict.fromkeys(qid for qid, _ in element.answers)
                            if qid in questions
                        ],
                    )
                    for element in result.elements
                ]
                shown.append(
                    ProvisionView(
                        result,
                        provision,
                        elements,
                        explain(result.reason, lambda ref: texts.get(ref, ref)),
                    )
                )
            if shown:
                clusters.append((cluster, card.clusters[(framework_id, cluster.id)], shown))
        views.append(FrameworkView(model, card.frameworks[framework_id], clusters))
    return card, views


def element_texts(assessment: Assessment) -> dict[str, str]:
    """Return the text of each element of the assessment's frameworks, in the user's language,
    by its ref (``budapest:2.access``): how ``explain`` names the elements of a reason."""
    from app.frameworks.words import localized

    return {
        f"{row.framework_id}:{provision.id}.{element.id}": localized(element.text)
        for row in assessment.questionnaire_version.frameworks
        for provision in store.framework_model(row).provisions
        for element in provision.elements
    }


def provision_labels(assessment: Assessment) -> dict[str, str]:
    """Return "Budapest Art. 2" for each provision ref of the assessment's frameworks."""
    from app.frameworks.words import localized
    from app.scoring.explain import provision_label

    labels = {}
    for row in assessment.questionnaire_version.frameworks:
        model = store.framework_model(row)
        name = localized(model.abbreviation or model.short_title)
        for provision in model.provisions:
            labels[f"{model.id}:{provision.id}"] = provision_label(name, provision.article)
    return labels


def final_scorecard(
    assessment: Assessment, card: engine.Scorecard, ratings: dict, stages: dict
) -> engine.Scorecard:
    """Return ``card`` counted from the final ratings and stages (``ratings``: provision ref ->
    rating; ``stages``: area id -> stage), where given."""
    return engine.with_ratings(rules_for(assessment.questionnaire_version), card, ratings, stages)
