"""Which questions evidence each provision and element, and what no question covers."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.frameworks.schema import Framework, Questionnaire


@dataclass
class FrameworkCoverage:
    framework: Framework
    #: provision id -> ids of the questions that evidence any of its elements, in file order
    provisions: dict[str, list[str]] = field(default_factory=dict)
    #: element ref -> ids of the questions that evidence it
    elements: dict[str, list[str]] = field(default_factory=dict)

    @property
    def uncovered(self) -> list[str]:
        return [provision for provision, questions in self.provisions.items() if not questions]

    @property
    def uncovered_elements(self) -> list[str]:
        return [element for element, questions in self.elements.items() if not questions]


def coverage(
    frameworks: dict[str, Framework], questionnaires: list[Questionnaire]
) -> dict[str, FrameworkCoverage]:
    """Return, per framework, the questions of ``questionnaires`` that evidence each provision."""
    result = {}
    for framework in frameworks.values():
        cover = FrameworkCoverage(framework)
        for provision in framework.provisions:
            cover.provisions[provision.id] = []
            for element in provision.elements:
                cover.elements[f"{framework.id}:{provision.id}.{element.id}"] = []
        result[framework.id] = cover
    for questionnaire in questionnaires:
        for section in questionnaire.sections:
            for question in section.questions:
                for ref in question.evidences:
                    framework_id, _, rest = ref.partition(":")
                    provision_id = rest.split(".", 1)[0]
                    cover = result.get(framework_id)
                    if cover is None or provision_id not in cover.provisions:
                        continue
                    cover.elements.setdefault(ref, []).append(question.id)
                    if question.id not in cover.provisions[provision_id]:
                        cover.provisions[provision_id].append(question.id)
    return result


def as_json(result: dict[str, FrameworkCoverage]) -> dict:
    """Return the coverage in the documented JSON shape (plus uncovered elements)."""
    return {
        "frameworks": {
            framework_id: {
                "provisions": cover.provisions,
                "uncovered": cover.uncovered,
                "uncovered_elements": cover.uncovered_elements,
            }
            for framework_id, cover in result.items()
        }
    }
