"""The pydantic schema of framework and questionnaire files (see ``questionnaires/FORMAT.md``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field
from pydantic.fields import FieldInfo

from app.frameworks.types import ID_PATTERN, LANG_TEXT, Question, Strict

FRAMEWORK_ID_PATTERN = r"^[a-z][a-z0-9-]*$"
ARTICLE_PATTERN = r"^[0-9]+[A-Za-z]?$"
PROVISION_REF_PATTERN = r"^[a-z][a-z0-9-]*:[0-9]+[A-Za-z]?$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}$"

ASSISTANCE_TYPES = (
    "legislative_drafting",
    "training",
    "mentoring",
    "equipment",
    "institution_building",
    "policy_advice",
    "cooperation_facilitation",
)
CLUSTERS = ("substantive", "procedural", "jurisdiction", "cooperation", "prevention", "capacity")
MATURITY_STAGES = {1: "Start-up", 2: "Formative", 3: "Established", 4: "Strategic", 5: "Dynamic"}

Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=60)]
Languages = Annotated[list[Annotated[str, Field(pattern=LANGUAGE_PATTERN)]], Field(min_length=1)]


class Source(Strict):
    title: Annotated[str, Field(min_length=1)]
    reference: Annotated[str, Field(min_length=1)]
    checked: date
    facts: list[str] = []


class Cluster(Strict):
    id: Literal[CLUSTERS]
    title: LANG_TEXT


class Element(Strict):
    id: Id
    text: LANG_TEXT
    core: bool = False


class Provision(Strict):
    id: Annotated[str, Field(pattern=ARTICLE_PATTERN)]
    article: Annotated[str, Field(min_length=1, max_length=20)]
    title: LANG_TEXT
    cluster: Id
    summary: LANG_TEXT
    core: bool = False
    #: The article permits but does not require measures ("may"): a gap is no failure.
    optional: bool = False
    reservation: bool = False
    declaration: bool = False
    elements: Annotated[list[Element], Field(min_length=1)]
    crosswalk: list[Annotated[str, Field(pattern=PROVISION_REF_PATTERN)]] = []
    assistance: list[Literal[ASSISTANCE_TYPES]] = []


class Framework(Strict):
    kind: Literal["framework"]
    id: Annotated[str, Field(pattern=FRAMEWORK_ID_PATTERN, max_length=40)]
    title: LANG_TEXT
    short_title: LANG_TEXT
    instrument: Annotated[str, Field(min_length=1)]
    version: Annotated[str, Field(min_length=1, max_length=40)]
    adopted: date | None = None
    opened_for_signature: date | None = None
    entry_into_force: date | None = None
    languages: Languages
    sources: Annotated[list[Source], Field(min_length=1)]
    #: Facts encoded from secondary knowledge that still await a check against the official text.
    unverified: list[str] = []
    clusters: Annotated[list[Cluster], Field(min_length=1)]
    provisions: Annotated[list[Provision], Field(min_length=1)]


class Indicator(Strict):
    id: Id
    text: LANG_TEXT


class Stage(Strict):
    stage: Annotated[int, Field(ge=1, le=5)]
    indicators: Annotated[list[Indicator], Field(min_length=1)]


class MaturityArea(Strict):
    id: Id
    title: LANG_TEXT
    description: LANG_TEXT | None = None
    stages: Annotated[list[Stage], Field(min_length=5, max_length=5)]


class Settings(Strict):
    #: Priority follow-up fires when more provisions than this are rated PC or NC.
    priority_threshold: Annotated[int, Field(ge=0)] = 5


class Section(Strict):
    id: Id
    title: LANG_TEXT
    intro: LANG_TEXT | None = None
    questions: Annotated[list[Question], Field(min_length=1)]


class Questionnaire(Strict):
    kind: Literal["questionnaire"]
    id: Annotated[str, Field(pattern=FRAMEWORK_ID_PATTERN, max_length=60)]
    version: Annotated[str, Field(min_length=1, max_length=40)]
    title: LANG_TEXT
    languages: Languages
    frameworks: Annotated[list[str], Field(min_length=1)]
    settings: Settings = Settings()
    maturity_areas: list[MaturityArea] = []
    sections: Annotated[list[Section], Field(min_length=1)]


FILE_KINDS = {"framework": Framework, "questionnaire": Questionnaire}


def rebuild(question: Any) -> None:
    """Re-resolve the models that hold questions after the registry of types changed."""
    global Question
    Question = question
    Section.__pydantic_fields__["questions"] = FieldInfo.from_annotation(
        Annotated[list[question], Field(min_length=1)]
    )
    Section.model_rebuild(force=True)
    Questionnaire.model_rebuild(force=True)
