"""The one data context of a cycle: what every export (workbook, CSV, API) and report shows of
each country, read once and scored in memory.

For every assessment of the cycle: the country, the status and its dates, the questionnaire and
rules versions, each provision's final rating (the current rating of the final layer) beside the
derived one, the counts per cluster and per framework of the final ratings with the indicative
index, the maturity stage per capability area (the final confirmed stage, else the derived one,
and which), the treaty status per instrument as the country recorded it, and a snapshot hash of
the ratings and answers used. Reading only: a fixed number of queries whatever the number of
countries (the assessments, the questionnaire versions with their frameworks, then the answers,
the final ratings and the final stages of the whole cycle, one query each); scoring is pure.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.assessments import answers as answer_state
from app.assessments import workflows
from app.core.labels import ASSESSMENT_STATES, CLUSTER_LABELS, REGION_LABELS
from app.extensions import db
from app.frameworks import store
from app.frameworks.words import localized
from app.i18n import by_country_name, country_name
from app.models import (
    Answer,
    Assessment,
    Cycle,
    ProvisionRating,
    QuestionnaireVersion,
    StageRating,
)
from app.scoring import engine
from app.scoring.assessments import rules_for

#: The rating shown where the final layer has none.
NOT_RATED = "NR"
#: What the counts count, in order (GRECO, FATF style: counts, never an average of labels).
RATINGS = engine.RATINGS


# --- The shape ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A provision of the ratings matrix."""

    ref: str  # budapest:16
    label: str  # Budapest Art. 16
    framework_id: str
    cluster: str


@dataclass(frozen=True, slots=True)
class Area:
    """A capability area of the maturity sheet."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Instrument:
    """A framework whose treaty status the questionnaire asks."""

    framework_id: str
    label: str


@dataclass(frozen=True, slots=True)
class CountryInfo:
    code: str
    name: str  # in the reader's language
    region: str | None  # UN M49 code
    region_name: str


@dataclass(frozen=True, slots=True)
class Rating:
    """One provision's final rating beside the derived one."""

    ref: str
    #: The current rating of the final layer; None when the final layer has none.
    final: str | None
    #: What the engine derives from the answers as they stand.
    derived: str
    #: An answer feeding the provision changed after the final rating was given.
    stale: bool = False

    @property
    def shown(self) -> str:
        """The rating the exports show: the final one, else NR."""
        return self.final or NOT_RATED

    @property
    def overridden(self) -> bool:
        return self.final is not None and self.final != self.derived


@dataclass(frozen=True, slots=True)
class Counts:
    """The counts of the final ratings of a framework's cluster (``cluster`` None: the whole
    framework), its gaps (PC / NC of mandatory provisions) and the indicative index."""

    framework_id: str
    cluster: str | None
    counts: Mapping[str, int]
    gaps: int
    #: The indicative index (C=100, LC=67, PC=33, NC=0; NA and NR excluded), labelled as such
    #: wherever shown; None when nothing is rated on the scale.
    index: float | None


@dataclass(frozen=True, slots=True)
class Stage:
    """A capability area's maturity stage: the final confirmed one, else the derived one."""

    area: str
    stage: int
    #: True: a reviewer confirmed (or set) it in the final layer; False: derived.
    confirmed: bool
    derived: int


@dataclass(frozen=True, slots=True)
class TreatyStatus:
    """A country's status with regard to one instrument, as recorded in its answers (texts
    through the question types' ``display_text``; None where not asked or not answered)."""

    framework_id: str
    status: str | None  # the stored choice (ratified, signed, ...)
    status_text: str | None
    date: date | None
    date_text: str | None
    #: The reservation ids recorded, and the same as text.
    reservations: tuple[str, ...]
    reservations_text: str | None
    #: The declarations and notifications recorded, and the same as text.
    declarations: tuple[str, ...]
    declarations_text: str | None


@dataclass(frozen=True, slots=True)
class CountryData:
    """Everything the exports show of one country's assessment."""

    assessment_id: int
    country: CountryInfo
    status: str
    status_label: str
    submitted_at: datetime | None
    finalised_at: datetime | None
    published_at: datetime | None
    questionnaire_version: str
    questionnaire_hash: str
    rules_version: str
    #: provision ref -> its rating, for every provision of the assessment's questionnaire.
    ratings: Mapping[str, Rating]
    #: Per framework: its clusters' counts, then the framework's (``cluster`` None).
    counts: tuple[Counts, ...]
    #: area id -> its stage
    stages: Mapping[str, Stage]
    #: framework id -> its treaty status
    treaty: Mapping[str, TreatyStatus]
    #: SHA-256 of the final ratings and stages and the answers used (with the questionnaire
    #: and rules versions): the same data always gives the same hash.
    snapshot: str


@dataclass(frozen=True, slots=True)
class CycleData:
    """The cycle's data context: its columns, and one ``CountryData`` per assessment, by the
    countries' names as the reader reads them."""

    cycle_id: int
    cycle_name: str
    columns: tuple[Column, ...]
    areas: tuple[Area, ...]
    instruments: tuple[Instrument, ...]
    #: (framework id, cluster id) -> the cluster's title; framework id -> its short name.
    cluster_labels: Mapping[tuple[str, str], str]
    framework_labels: Mapping[str, str]
    countries: tuple[CountryData, ...]
    #: SHA-256 over the countries' snapshots.
    snapshot: str


# --- Columns -----------------------------------------------------------------------------------


def provision_columns(cycle: Cycle) -> list[Column]:
    """Return the provisions of the cycle's questionnaire, in the files' order, with their labels
    ("Budapest Art. 16")."""
    return _columns([cycle.questionnaire_version])


def _columns(versions: Iterable[QuestionnaireVersion]) -> list[Column]:
    from app.scoring.explain import provision_label

    columns: dict[str, Column] = {}
    for version in versions:
        for row in _framework_rows(version):
            model = store.framework_model(row)
            name = localized(model.abbreviation or model.short_title)
            for provision in model.provisions:
                ref = f"{model.id}:{provision.id}"
                if ref not in columns:
                    columns[ref] = Column(
                        ref, provision_label(name, provision.article), model.id, provision.cluster
                    )
    return list(columns.values())


def _framework_rows(version: QuestionnaireVersion) -> list:
    """The version's framework rows in the questionnaire's order of frameworks."""
    order = list(store.questionnaire_model(version).frameworks)
    rows = {row.framework_id: row for row in version.frameworks}
    return [rows[framework_id] for framework_id in order if framework_id in rows]


# --- Treaty status questions -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TreatyQuestions:
    framework_id: str
    status: str | None
    date: str | None
    #: The questions recording reservations, declarations or notifications.
    records: tuple[str, ...]


def _treaty_questions(runtime) -> dict[str, _TreatyQuestions]:
    """Return, per framework, the questions of the treaty-status section about it.

    A section whose id names "treaty" groups its questions by their id's first part
    (``budapest.treaty_status``, ``budapest.reservations``, ...): a group with questions that
    record reservations under one framework is that framework's; its choice question is the
    status, its date question the date of the latest step.
    """
    found: dict[str, _TreatyQuestions] = {}
    for section in runtime.questionnaire.sections:
        if "treaty" not in section.id:
            continue
        groups: dict[str, list] = {}
        for question in section.questions:
            groups.setdefault(question.id.split(".", 1)[0], []).append(question)
        for questions in groups.values():
            frameworks = {getattr(q, "framework", None) for q in questions} - {None}
            if len(frameworks) != 1:
                continue
            (framework_id,) = frameworks
            records = tuple(q.id for q in questions if getattr(q, "framework", None))
            status = next((q.id for q in questions if q.comparable_kind == "choice"), None)
            when = next((q.id for q in questions if q.comparable_kind == "date"), None)
            found[framework_id] = _TreatyQuestions(framework_id, status, when, records)
    return found


def _treaty(
    runtime, rules: engine.Rules, asked: _TreatyQuestions, values: Mapping[str, Any], visible
) -> TreatyStatus:
    questions = runtime.questions

    def shown(question_id: str | None) -> Any:
        if question_id is None or not visible.get(question_id):
            return None
        return values.get(question_id)

    status = shown(asked.status)
    when = shown(asked.date)
    kept: dict[str, list[str]] = {"reservation": [], "declaration": []}
    texts: dict[str, list[str]] = {"reservation": [], "declaration": []}
    for question_id in asked.records:
        question = questions[question_id]
        value = shown(question_id)
        if not value:
            continue
        split: dict[str, list[str]] = {"reservation": [], "declaration": []}
        for framework_id, item in question.reservations_recorded(value):
            rule = rules.reservations.get((framework_id, item))
            kind = "reservation" if rule is None or rule.kind == "reservation" else "declaration"
            split[kind].append(item)
        for kind, items in split.items():
            if items:
                kept[kind].extend(items)
                texts[kind].append(question.display_text(items))
    return TreatyStatus(
        framework_id=asked.framework_id,
        status=status,
        status_text=questions[asked.status].display_text(status) if status is not None else None,
        date=date.fromisoformat(when) if isinstance(when, str) else None,
        date_text=questions[asked.date].display_text(when) if when is not None else None,
        reservations=tuple(kept["reservation"]),
        reservations_text="; ".join(texts["reservation"]) or None,
        declarations=tuple(kept["declaration"]),
        declarations_text="; ".join(texts["declaration"]) or None,
    )


# --- Building the context ----------------------------------------------------------------------


def snapshot_of(parts: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a canonical JSON of ``parts`` (keys sorted, no spaces)."""
    canonical = json.dumps(
        parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def cycle_data(cycle: Cycle) -> CycleData:
    """Return the data context of ``cycle``: every assessment's country, status, ratings,
    counts, stages and treaty status (a fixed number of queries; see the module)."""
    assessments = list(
        db.session.scalars(select(Assessment).where(Assessment.cycle_id == cycle.id))
    )
    version_ids = {a.questionnaire_version_id for a in assessments} | {
        cycle.questionnaire_version_id
    }
    versions = {
        version.id: version
        for version in db.session.scalars(
            select(QuestionnaireVersion)
            .where(QuestionnaireVersion.id.in_(sorted(version_ids)))
            .options(selectinload(QuestionnaireVersion.frameworks))
        )
    }
    ordered = [versions[cycle.questionnaire_version_id]] + [
        versions[i] for i in sorted(version_ids) if i != cycle.questionnaire_version_id
    ]

    finals: dict[int, dict[str, tuple[str, datetime]]] = {a.id: {} for a in assessments}
    for assessment_id, ref, rating, rated_at in db.session.execute(
        select(
            ProvisionRating.assessment_id,
            ProvisionRating.provision,
            ProvisionRating.rating,
            ProvisionRating.rated_at,
        )
        .join(Assessment, Assessment.id == ProvisionRating.assessment_id)
        .where(Assessment.cycle_id == cycle.id, ProvisionRating.layer == "final")
        .order_by(ProvisionRating.id)
    ):
        finals[assessment_id][ref] = (rating, rated_at)  # the latest wins
    stages: dict[int, dict[str, int]] = {a.id: {} for a in assessments}
    for assessment_id, area, stage in db.session.execute(
        select(StageRating.assessment_id, StageRating.area, StageRating.stage)
        .join(Assessment, Assessment.id == StageRating.assessment_id)
        .where(Assessment.cycle_id == cycle.id, StageRating.layer == "final")
        .order_by(StageRating.id)
    ):
        stages[assessment_id][area] = stage

    # The answers are read in one query, one assessment after the other, and each country is
    # built as soon as its answers are in: memory holds one country's answers at a time.
    by_id = {assessment.id: assessment for assessment in assessments}
    built: dict[int, CountryData] = {}

    def done(assessment_id: int, values: dict[str, Any], changed: dict[str, datetime]) -> None:
        built[assessment_id] = _country(
            by_id[assessment_id], values, changed, finals[assessment_id], stages[assessment_id]
        )

    current, values, changed = None, {}, {}
    for assessment_id, question_id, value, updated_at in db.session.execute(
        select(Answer.assessment_id, Answer.question_id, Answer.value, Answer.updated_at)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(Assessment.cycle_id == cycle.id)
        .order_by(Answer.assessment_id)
        .execution_options(yield_per=2000)
    ):
        if assessment_id != current:
            if current is not None:
                done(current, values, changed)
            current, values, changed = assessment_id, {}, {}
        values[question_id] = value
        changed[question_id] = updated_at
    if current is not None:
        done(current, values, changed)
    for assessment in assessments:
        if assessment.id not in built:  # no answer yet
            done(assessment.id, {}, {})
    countries = [
        built[a.id] for a in by_country_name(assessments, lambda assessment: assessment.country)
    ]
    areas: dict[str, Area] = {}
    instruments: dict[str, Instrument] = {}
    cluster_labels: dict[tuple[str, str], str] = {}
    framework_labels: dict[str, str] = {}
    for version in ordered:
        questionnaire = store.questionnaire_model(version)
        for area in questionnaire.maturity_areas:
            areas.setdefault(area.id, Area(area.id, localized(area.title)))
        treaty = _treaty_questions_of(version)
        for row in _framework_rows(version):
            model = store.framework_model(row)
            framework_labels.setdefault(
                model.id, localized(model.abbreviation or model.short_title)
            )
            for cluster in model.clusters:
                cluster_labels.setdefault(
                    (model.id, cluster.id),
                    localized(cluster.title) or str(CLUSTER_LABELS.get(cluster.id, cluster.id)),
                )
            if model.id in treaty:
                instruments.setdefault(model.id, Instrument(model.id, localized(model.short_title)))
    return CycleData(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        columns=tuple(_columns(ordered)),
        areas=tuple(areas.values()),
        instruments=tuple(instruments.values()),
        cluster_labels=cluster_labels,
        framework_labels=framework_labels,
        countries=tuple(countries),
        snapshot=snapshot_of({c.country.code: c.snapshot for c in countries}),
    )


def _feeding(rules: engine.Rules) -> dict[str, frozenset[str]]:
    """Return the questions that feed each provision (for whether a rating is out of date)."""
    return {
        rule.ref: frozenset(
            q
            for element in rule.elements
            for q in (*element.status_questions, *element.stage_questions)
        )
        for rule in rules.provisions
    }


#: Per questionnaire version (by content hash; versions never change): the questions feeding
#: each provision, and the treaty-status questions per framework.
_FEEDING: dict[str, dict[str, frozenset[str]]] = {}
_TREATY: dict[str, dict[str, _TreatyQuestions]] = {}


def _treaty_questions_of(version: QuestionnaireVersion) -> dict[str, _TreatyQuestions]:
    found = _TREATY.get(version.content_hash)
    if found is None:
        found = _TREATY[version.content_hash] = _treaty_questions(answer_state.runtime(version))
    return found


def _country(
    assessment: Assessment,
    values: dict[str, Any],
    changed: Mapping[str, datetime],
    finals: Mapping[str, tuple[str, datetime]],
    confirmed: Mapping[str, int],
) -> CountryData:
    version = assessment.questionnaire_version
    runtime = answer_state.runtime(version)
    rules = rules_for(version)
    visible = runtime.visibility(values)
    shown = [question_id for question_id, show in visible.items() if show]
    card = engine.score(rules, engine.facts(runtime.questions, values, shown))
    feeding = _FEEDING.get(version.content_hash)
    if feeding is None:
        feeding = _FEEDING[version.content_hash] = _feeding(rules)

    ratings = {}
    for ref, result in card.provisions.items():
        given = finals.get(ref)
        stale = given is not None and any(
            changed.get(q) is not None and changed[q] > given[1] for q in feeding.get(ref, ())
        )
        ratings[ref] = Rating(ref, given[0] if given else None, result.rating, stale)
    final_card = engine.with_ratings(
        rules,
        card,
        {ref: rating.shown for ref, rating in ratings.items()},
        {area: stage for area, stage in confirmed.items() if area in card.areas},
    )
    counts = []
    for framework_id in rules.frameworks:
        for (framework, cluster), rollup in final_card.clusters.items():
            if framework == framework_id:
                counts.append(
                    Counts(framework_id, cluster, dict(rollup.counts), rollup.gaps, rollup.index)
                )
        rollup = final_card.frameworks[framework_id]
        counts.append(Counts(framework_id, None, dict(rollup.counts), rollup.gaps, rollup.index))
    stages = {
        area_id: Stage(
            area_id, confirmed.get(area_id, result.stage), area_id in confirmed, result.stage
        )
        for area_id, result in card.areas.items()
    }
    treaty = {
        framework_id: _treaty(runtime, rules, asked, values, visible)
        for framework_id, asked in _treaty_questions_of(version).items()
    }
    done = assessment.status in workflows.DONE
    rules_version = (assessment.rules_version if done else None) or card.rules_version
    status = assessment.status.value
    country = assessment.country
    snapshot = snapshot_of(
        {
            "questionnaire": version.content_hash,
            "rules": rules_version,
            "answers": {q: values[q] for q in shown if q in values},
            "ratings": {ref: rating.final for ref, rating in ratings.items() if rating.final},
            "stages": dict(confirmed),
        }
    )
    return CountryData(
        assessment_id=assessment.id,
        country=CountryInfo(
            country.code,
            country_name(country),
            country.region,
            str(REGION_LABELS.get(country.region or "", country.region or "")),
        ),
        status=status,
        status_label=str(ASSESSMENT_STATES[status][0]),
        submitted_at=assessment.submitted_at,
        finalised_at=assessment.finalised_at,
        published_at=assessment.published_at,
        questionnaire_version=version.version,
        questionnaire_hash=version.content_hash,
        rules_version=rules_version,
        ratings=ratings,
        counts=tuple(counts),
        stages=stages,
        treaty=treaty,
        snapshot=snapshot,
    )


# --- A cache of data contexts, for pages read often (the dashboard) ---------------------------

#: The data contexts kept per process: (cycle id, language, fingerprint) -> CycleData.
_CACHED: dict[tuple, CycleData] = {}
_CACHED_MAX = 8
_CACHE_LOCK = threading.Lock()


def fingerprint(cycle: Cycle) -> tuple:
    """Return what changes whenever the cycle's data context would (two small queries): its
    name and version; how many answers its assessments hold and when the last changed; the
    latest rating and stage given; each assessment's status."""
    from sqlalchemy import func

    from app.models import Answer, ProvisionRating, StageRating

    in_cycle = select(Assessment.id).where(Assessment.cycle_id == cycle.id)
    counts = db.session.execute(
        select(
            select(func.count(Answer.id))
            .where(Answer.assessment_id.in_(in_cycle))
            .scalar_subquery(),
            select(func.max(Answer.updated_at))
            .where(Answer.assessment_id.in_(in_cycle))
            .scalar_subquery(),
            select(func.max(ProvisionRating.id))
            .where(ProvisionRating.assessment_id.in_(in_cycle))
            .scalar_subquery(),
            select(func.max(StageRating.id))
            .where(StageRating.assessment_id.in_(in_cycle))
            .scalar_subquery(),
        )
    ).one()
    statuses = db.session.execute(
        select(Assessment.id, Assessment.status, Assessment.country_id)
        .where(Assessment.cycle_id == cycle.id)
        .order_by(Assessment.id)
    ).all()
    return (cycle.name, cycle.questionnaire_version_id, tuple(counts), tuple(map(tuple, statuses)))


def cached_cycle_data(cycle: Cycle) -> CycleData:
    """Return :func:`cycle_data`, built again only when the cycle's answers, ratings, stages or
    statuses changed since (or in another language): a page read often costs two small
    queries instead of scoring every country again."""
    from flask_babel import get_locale

    key = (cycle.id, str(get_locale()), fingerprint(cycle))
    with _CACHE_LOCK:
        found = _CACHED.get(key)
    if found is not None:
        return found
    data = cycle_data(cycle)
    with _CACHE_LOCK:
        if len(_CACHED) >= _CACHED_MAX:
            _CACHED.pop(next(iter(_CACHED)))
        _CACHED[key] = data
    return data
