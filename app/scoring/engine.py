"""The scoring engine: from a country's answers to element results, derived provision ratings,
maturity stages, roll-ups, priority follow-up and gap candidates (``shared/domain/scoring.md``).

Pure functions over frozen dataclasses: no Flask, no database. ``compile_rules`` turns a
questionnaire version and its frameworks into ``Rules`` (once per version); ``facts`` reads a
country's answers through the question types; ``score`` rates them. The same rules and facts
always give the same scorecard, and every result says why: the elements, the answers used and the
rule that fired, as ``Reason`` codes that ``app.scoring.explain`` puts into words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: The version of the rules below; a scorecard names it, so a finished assessment can say which
#: rules rated it. Change it whenever a rule changes.
RULES_VERSION = "2026.1"

RATINGS = ("C", "LC", "PC", "NC", "NA", "NR")
#: The ordinal scale of compliance (NA and NR are outside it).
ORDER = ("NC", "PC", "LC", "C")
#: The indicative index of each rating (labelled as such wherever shown; NA and NR excluded).
INDEX_POINTS = {"C": 100.0, "LC": 67.0, "PC": 33.0, "NC": 0.0}
GAPS = ("PC", "NC")
#: The weakest legislative stage first; only ``in_force`` makes an element met.
STAGES = ("none", "draft", "tabled", "adopted", "in_force")
IN_PROGRESS = ("draft", "tabled", "adopted")
#: Element statuses, the weakest first (for an element several answers speak for).
STATUSES = ("not_met", "partly", "met")


# --- Rules: what the questionnaire version and its frameworks say ----------------------------


@dataclass(frozen=True, slots=True)
class ElementRule:
    ref: str  # budapest:16.power
    core: bool
    #: Questions whose answer rates the element (yes / partly / no / na).
    status_questions: tuple[str, ...]
    #: Questions recording the legislative stage of the law behind it (citations).
    stage_questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProvisionRule:
    ref: str  # budapest:16
    framework_id: str
    article: str
    cluster: str
    obligation: str  # mandatory | consider | optional
    core: bool
    weight: float
    assistance: tuple[str, ...]
    elements: tuple[ElementRule, ...]

    @property
    def binding(self) -> bool:
        return self.obligation == "mandatory"


@dataclass(frozen=True, slots=True)
class ReservationRule:
    framework_id: str
    id: str
    article: str
    kind: str
    #: Provision refs and element refs it makes not applicable.
    covers: frozenset[str]


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    ref: str  # contact_point.designated
    stage: int
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AreaRule:
    id: str
    indicators: tuple[IndicatorRule, ...]


@dataclass(frozen=True, slots=True)
class Rules:
    questionnaire_id: str
    questionnaire_version: str
    frameworks: tuple[str, ...]
    provisions: tuple[ProvisionRule, ...]
    reservations: Mapping[tuple[str, str], ReservationRule]
    areas: tuple[AreaRule, ...]
    #: More PC/NC mandatory provisions than this fires priority follow-up.
    priority_threshold: int
    rules_version: str = RULES_VERSION
    by_ref: Mapping[str, ProvisionRule] = field(default_factory=dict)

    def provision(self, ref: str) -> ProvisionRule:
        return self.by_ref[ref]


def compile_rules(questionnaire: Any, frameworks: Mapping[str, Any]) -> Rules:
    """Return the rules of a (validated) questionnaire and its frameworks' parsed files."""
    status_questions: dict[str, list[str]] = {}
    stage_questions: dict[str, list[str]] = {}
    indicator_questions: dict[str, list[str]] = {}
    for section in questionnaire.sections:
        for question in section.questions:
            for ref in question.evidences:
                if question.rates_elements:
                    status_questions.setdefault(ref, []).append(question.id)
                elif question.records_stage:
                    stage_questions.setdefault(ref, []).append(question.id)
            for ref in question.indicators:
                indicator_questions.setdefault(ref, []).append(question.id)
    weights = questionnaire.settings.weights
    provisions = []
    reservations = {}
    for framework_id in questionnaire.frameworks:
        framework = frameworks.get(framework_id)
        if framework is None:
            continue
        for provision in framework.provisions:
            ref = f"{framework_id}:{provision.id}"
            provisions.append(
                ProvisionRule(
                    ref=ref,
                    framework_id=framework_id,
                    article=provision.article,
                    cluster=provision.cluster,
                    obligation=provision.obligation,
                    core=provision.core and provision.obligation == "mandatory",
                    weight=float(weights.get(ref, 1.0)),
                    assistance=tuple(provision.assistance),
                    elements=tuple(
                        ElementRule(
                            ref=f"{ref}.{element.id}",
                            core=element.core and provision.obligation == "mandatory",
                            status_questions=tuple(status_questions.get(f"{ref}.{element.id}", ())),
                            stage_questions=tuple(stage_questions.get(f"{ref}.{element.id}", ())),
                        )
                        for element in provision.elements
                    ),
                )
            )
        for item in framework.reservations:
            reservations[(framework_id, item.id)] = ReservationRule(
                framework_id, item.id, item.article, item.kind, frozenset(item.covers)
            )
    areas = tuple(
        AreaRule(
            area.id,
            tuple(
                IndicatorRule(
                    f"{area.id}.{indicator.id}",
                    stage.stage,
                    tuple(indicator_questions.get(f"{area.id}.{indicator.id}", ())),
                )
                for stage in sorted(area.stages, key=lambda stage: stage.stage)
                for indicator in stage.indicators
            ),
        )
        for area in questionnaire.maturity_areas
    )
    return Rules(
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        frameworks=tuple(f for f in questionnaire.frameworks if f in frameworks),
        provisions=tuple(provisions),
        reservations=reservations,
        areas=areas,
        priority_threshold=questionnaire.settings.priority_threshold,
        by_ref={provision.ref: provision for provision in provisions},
    )


# --- Facts: what the country answered, reduced to what scoring reads ------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """A country's answers as scoring reads them. Hidden questions are left out entirely."""

    #: question id -> met | partly | not_met | na (answered questions that rate elements)
    statuses: Mapping[str, str] = field(default_factory=dict)
    #: question id -> the weakest legislative stage it records
    stages: Mapping[str, str] = field(default_factory=dict)
    #: indicator ref -> question id -> whether that answer shows it met
    indicators: Mapping[str, Mapping[str, bool]] = field(default_factory=dict)
    #: (framework, reservation id) recorded by the country
    reservations: frozenset[tuple[str, str]] = frozenset()
    #: Visible questions (answered or not): an element with no visible question is not scored.
    visible: frozenset[str] = frozenset()


def facts(
    questions: Mapping[str, Any], answers: Mapping[str, Any], visible: Iterable[str]
) -> Facts:
    """Read stored answers through their question types.

    :param questions: question id -> question (the questionnaire version's).
    :param answers: question id -> stored value (None when unanswered).
    :param visible: the ids of the questions visible with these answers.
    """
    shown = frozenset(visible)
    statuses, stages, indicators, reserved = {}, {}, {}, set()
    for question_id in shown:
        question = questions.get(question_id)
        if question is None:
            continue
        value = answers.get(question_id)
        if value is not None:
            status = question.element_status(value)
            if status is not None:
                statuses[question_id] = status
            stage = question.legislative_stage(value)
            if stage is not None:
                stages[question_id] = stage
            reserved.update(question.reservations_recorded(value))
        for ref in question.indicators:
            indicators.setdefault(ref, {})[question_id] = question.indicator_met(value, ref)
    return Facts(statuses, stages, indicators, frozenset(reserved), shown)


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a result is what it is: a code and the values its words need (see ``explain``)."""

    code: str
    values: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.values).get(key, default)


def _reason(code: str, **values: Any) -> Reason:
    return Reason(code, tuple(sorted(values.items())))


@dataclass(frozen=True, slots=True)
class ElementResult:
    ref: str
    core: bool
    #: met | partly | not_met | na | unanswered | not_asked (no visible question)
    status: str
    #: The law behind a "met" is drafted, tabled or adopted but not in force.
    in_progress: bool
    #: The answers used: (question id, what it said).
    answers: tuple[tuple[str, str], ...]
    reason: Reason


@dataclass(frozen=True, slots=True)
class ProvisionResult:
    ref: str
    framework_id: str
    cluster: str
    obligation: str
    core: bool
    rating: str
    elements: tuple[ElementResult, ...]
    #: The rule that fired.
    reason: Reason

    @property
    def in_progress(self) -> bool:
        return any(element.in_progress for element in self.elements)

    @property
    def gap(self) -> bool:
        """A failure that counts: PC or NC on a mandatory provision."""
        return self.rating in GAPS and self.obligation == "mandatory"


@dataclass(frozen=True, slots=True)
class AreaResult:
    id: str
    #: The stage reached: 0 when not even stage 1 is (all its indicators met).
    stage: int
    met: tuple[str, ...]
    #: The indicators still missing for the next stage.
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rollup:
    """Counts of ratings (GRECO, FATF style) and the indicative index (never an average of
    labels: C=100, LC=67, PC=33, NC=0, NA and NR excluded, weights from the file)."""

    counts: Mapping[str, int]
    #: PC and NC of mandatory provisions only (consider and optional never count as failures).
    gaps: int
    index: float | None


@dataclass(frozen=True, slots=True)
class Trigger:
    #: core (a core provision is PC or NC) | threshold (more gaps than the file's setting)
    kind: str
    provisions: tuple[str, ...]
    threshold: int | None = None


@dataclass(frozen=True, slots=True)
class GapCandidate:
    #: provision | area
    kind: str
    ref: str
    rating_or_stage: str
    assistance: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Scorecard:
    questionnaire_id: str
    questionnaire_version: str
    rules_version: str
    provisions: Mapping[str, ProvisionResult]
    areas: Mapping[str, AreaResult]
    #: framework id -> its roll-up
    frameworks: Mapping[str, Rollup]
    #: (framework id, cluster id) -> its roll-up
    clusters: Mapping[tuple[str, str], Rollup]
    triggers: tuple[Trigger, ...]
    gaps: tuple[GapCandidate, ...]

    def in_framework(self, framework_id: str) -> list[ProvisionResult]:
        return [p for p in self.provisions.values() if p.framework_id == framework_id]


# --- Scoring ---------------------------------------------------------------------------------


def score(rules: Rules, facts: Facts, targets: Mapping[str, int] | None = None) -> Scorecard:
    """Rate every provision and maturity area of ``rules`` from ``facts``.

    :param targets: maturity area id -> the stage the coordinator set as target; areas below it
        become gap candidates.
    """
    covering = reserved_refs(rules, facts)
    provisions = {
        rule.ref: rate_provision(rule, facts, covering.get(rule.framework_id, {}))
        for rule in rules.provisions
    }
    areas = {area.id: stage_of(area, facts) for area in rules.areas}
    return _summarise(rules, provisions, areas, targets)


def with_ratings(
    rules: Rules,
    card: Scorecard,
    ratings: Mapping[str, str],
    stages: Mapping[str, int] | None = None,
    targets: Mapping[str, int] | None = None,
) -> Scorecard:
    """Return ``card`` with the reviewers' ratings (provision ref -> rating) and stages (area id
    -> stage) in place of the derived ones, and its roll-ups, priority follow-up and gap
    candidates counted from them: the final ratings' view. Reasons stay the derived ones."""
    provisions = {
        ref: replace(result, rating=ratings[ref]) if ref in ratings else result
        for ref, result in card.provisions.items()
    }
    areas = {
        area_id: replace(result, stage=stages[area_id]) if area_id in (stages or {}) else result
        for area_id, result in card.areas.items()
    }
    return _summarise(rules, provisions, areas, targets)


def _summarise(
    rules: Rules,
    provisions: dict[str, ProvisionResult],
    areas: dict[str, AreaResult],
    targets: Mapping[str, int] | None,
) -> Scorecard:
    frameworks = {
        framework_id: rollup(
            [p for p in provisions.values() if p.framework_id == framework_id], rules
        )
        for framework_id in rules.frameworks
    }
    grouped: dict[tuple[str, str], list[ProvisionResult]] = {}
    for result in provisions.values():
        grouped.setdefault((result.framework_id, result.cluster), []).append(result)
    clusters = {key: rollup(results, rules) for key, results in grouped.items()}
    gaps_found = [result for result in provisions.values() if result.gap]
    triggers = []
    core_gaps = tuple(result.ref for result in gaps_found if result.core)
    if core_gaps:
        triggers.append(Trigger("core", core_gaps))
    if len(gaps_found) > rules.priority_threshold:
        triggers.append(
            Trigger("threshold", tuple(r.ref for r in gaps_found), rules.priority_threshold)
        )
    candidates = [
        GapCandidate("provision", result.ref, result.rating, rules.provision(result.ref).assistance)
        for result in gaps_found
    ]
    for area_id, target in sorted((targets or {}).items()):
        reached = areas.get(area_id)
        if reached is not None and reached.stage < target:
            candidates.append(GapCandidate("area", area_id, str(reached.stage)))
    return Scorecard(
        rules.questionnaire_id,
        rules.questionnaire_version,
        rules.rules_version,
        provisions,
        areas,
        frameworks,
        clusters,
        tuple(triggers),
        tuple(candidates),
    )


def rate_element(rule: ElementRule, facts: Facts, reserved: Mapping[str, str]) -> ElementResult:
    """Return an element's status from the answers that speak for it."""
    if rule.ref in reserved:
        return ElementResult(
            rule.ref,
            rule.core,
            "na",
            False,
            (),
            _reason("element_reserved", reservation=reserved[rule.ref]),
        )
    asked = [q for q in (*rule.status_questions, *rule.stage_questions) if q in facts.visible]
    if not asked:
        return ElementResult(
            rule.ref, rule.core, "not_asked", False, (), _reason("element_not_asked")
        )
    said = [(q, facts.statuses[q]) for q in rule.status_questions if q in facts.statuses]
    stages = [(q, facts.stages[q]) for q in rule.stage_questions if q in facts.stages]
    used = tuple(said + stages)
    if not said:
        return ElementResult(
            rule.ref, rule.core, "unanswered", False, used, _reason("element_unanswered")
        )
    answers = [status for _, status in said]
    if all(status == "na" for status in answers):
        return ElementResult(rule.ref, rule.core, "na", False, used, _reason("element_na"))
    status = min((s for s in answers if s != "na"), key=STATUSES.index)
    if status in ("met", "partly") and stages:
        weakest = min((stage for _, stage in stages), key=STAGES.index)
        if weakest != "in_force":
            return ElementResult(
                rule.ref,
                rule.core,
                "not_met",
                weakest in IN_PROGRESS,
                used,
                _reason("element_not_in_force", stage=weakest),
            )
    return ElementResult(rule.ref, rule.core, status, False, used, _reason(f"element_{status}"))


def reserved_refs(rules: Rules, facts: Facts) -> dict[str, dict[str, str]]:
    """Return, per framework, each provision or element ref a recorded reservation covers, with
    that reservation's article (the first one, in a fixed order)."""
    covering: dict[str, dict[str, str]] = {}
    for key in sorted(facts.reservations):
        reservation = rules.reservations.get(key)
        if reservation is None:
            continue
        found = covering.setdefault(reservation.framework_id, {})
        for ref in sorted(reservation.covers):
            found.setdefault(ref, reservation.article)
    return covering


def rate_provision(
    rule: ProvisionRule, facts: Facts, covering: Mapping[str, str]
) -> ProvisionResult:
    """Return a provision's derived rating by the rules of ``scoring.md``; ``covering`` maps the
    refs of this framework that recorded reservations cover to the reservation's article."""

    def result(rating: str, elements, reason: Reason) -> ProvisionResult:
        return ProvisionResult(
            rule.ref, rule.framework_id, rule.cluster, rule.obligation, rule.core, rating,
            tuple(elements), reason,
        )  # fmt: skip

    if rule.ref in covering:
        return result("NA", (), _reason("reserved", reservation=covering[rule.ref]))
    elements = [rate_element(element, facts, covering) for element in rule.elements]
    applicable = [e for e in elements if e.status not in ("na", "not_asked")]
    if not applicable:
        reserved = [e for e in elements if e.reason.code == "element_reserved"]
        if reserved:
            return result(
                "NA",
                elements,
                _reason("all_reserved", reservation=reserved[0].reason.get("reservation")),
            )
        return result("NA", elements, _reason("all_na"))
    unanswered = [e.ref for e in applicable if e.status == "unanswered"]
    if unanswered:
        return result("NR", elements, _reason("unanswered", elements=tuple(unanswered)))
    core_not_met = [e.ref for e in applicable if e.core and e.status == "not_met"]
    if core_not_met:
        return result("NC", elements, _reason("core_not_met", elements=tuple(core_not_met)))
    core_partly = [e.ref for e in applicable if e.core and e.status == "partly"]
    if core_partly:
        return result("PC", elements, _reason("core_partly", elements=tuple(core_partly)))
    others = [e for e in applicable if not e.core]
    not_met = [e.ref for e in others if e.status == "not_met"]
    if others and len(not_met) * 2 > len(others):
        return result(
            "PC", elements, _reason("most_not_met", elements=tuple(not_met), of=len(others))
        )
    short = [e.ref for e in others if e.status in ("not_met", "partly")]
    if short:
        return result("LC", elements, _reason("non_core_gaps", elements=tuple(short)))
    return result("C", elements, _reason("all_met"))


def stage_of(area: AreaRule, facts: Facts) -> AreaResult:
    """A stage is reached only when all its indicators and those of every lower stage are met.
    An indicator is met when at least one visible question evidences it and all of them show it."""
    met = []
    for indicator in area.indicators:
        said = facts.indicators.get(indicator.ref, {})
        if said and all(said.values()):
            met.append(indicator.ref)
    reached = 0
    for stage in range(1, 6):
        needed = [i.ref for i in area.indicators if i.stage == stage]
        if needed and all(ref in met for ref in needed):
            reached = stage
        else:
            break
    missing = tuple(i.ref for i in area.indicators if i.stage == reached + 1 and i.ref not in met)
    return AreaResult(area.id, reached, tuple(met), missing)


def rollup(results: list[ProvisionResult], rules: Rules) -> Rollup:
    counts = dict.fromkeys(RATINGS, 0)
    for result in results:
        counts[result.rating] += 1
    weighted = [
        (rules.provision(r.ref).weight, INDEX_POINTS[r.rating])
        for r in results
        if r.rating in INDEX_POINTS
    ]
    total = sum(weight for weight, _ in weighted)
    index = round(sum(w * p for w, p in weighted) / total, 1) if total else None
    return Rollup(counts, sum(1 for r in results if r.gap), index)
