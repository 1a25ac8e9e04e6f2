"""The pydantic schema of framework and questionnaire files (see ``questionnaires/FORMAT.md``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo

from app.frameworks.types import ID_PATTERN, LANG_TEXT, Question, Strict

FRAMEWORK_ID_PATTERN = r"^[a-z][a-z0-9-]*$"
ARTICLE_PATTERN = r"^[0-9]+[A-Za-z]?$"
PROVISION_REF_PATTERN = r"^[a-z][a-z0-9-]*:[0-9]+[A-Za-z]?$"
#: A provision (``budapest:6``) or one of its elements (``budapest:6.possession``).
COVERED_REF_PATTERN = r"^[a-z][a-z0-9-]*:[0-9]+[A-Za-z]?(\.[a-z][a-z0-9_]*)?$"
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
#: How strongly a provision binds, from the treaty's wording: "shall establish / adopt",
#: "shall consider / endeavour / where appropriate", "may".
OBLIGATIONS = ("mandatory", "consider", "optional")
RESERVATION_KINDS = ("reservation", "declaration", "notification")
#: The institutions that usually answer a section (``answered_by``) or contributed to it.
INSTITUTIONS = (
    "justice_ministry",
    "interior_ministry",
    "foreign_ministry",
    "police",
    "prosecution",
    "judiciary",
    "central_authority",
    "contact_point",
    "cert",
    "forensics",
    "training_institute",
    "data_protection",
    "statistics_office",
    "regulator",
    "other",
)
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


#: A note on what still awaits a check against the official text (shown as a badge).
Unverified = Annotated[str, Field(min_length=1, max_length=1000)] | None


class Element(Strict):
    id: Id
    text: LANG_TEXT
    core: bool = False
    unverified: Unverified = None


class Provision(Strict):
    id: Annotated[str, Field(pattern=ARTICLE_PATTERN)]
    article: Annotated[str, Field(min_length=1, max_length=20)]
    title: LANG_TEXT
    cluster: Id
    summary: LANG_TEXT
    core: bool = False
    #: mandatory ("shall establish"), consider ("shall consider / endeavour") or optional
    #: ("may"): consider and optional provisions never count as failures.
    obligation: Literal[OBLIGATIONS] = "mandatory"
    #: The treaty wording the classification rests on (required unless mandatory).
    obligation_basis: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    reservation: bool = False
    declaration: bool = False
    unverified: Unverified = None
    elements: Annotated[list[Element], Field(min_length=1)]
    crosswalk: list[Annotated[str, Field(pattern=PROVISION_REF_PATTERN)]] = []
    assistance: list[Literal[ASSISTANCE_TYPES]] = []

    @model_validator(mode="before")
    @classmethod
    def _legacy_optional(cls, data: Any) -> Any:
        """Versions stored before 2026.2 wrote ``optional: true|false``; read them as before."""
        if isinstance(data, dict) and "optional" in data:
            data = dict(data)
            optional = data.pop("optional")
            data.setdefault("obligation", "optional" if optional else "mandatory")
        return data

    @property
    def binding(self) -> bool:
        """Whether a gap is a failure (only mandatory provisions)."""
        return self.obligation == "mandatory"


class Reservation(Strict):
    """A reservation, declaration or notification the treaty allows (or requires)."""

    id: Id
    kind: Literal[RESERVATION_KINDS]
    #: The article paragraph, as the treaty numbers it: "6(3)", "41(1)".
    article: Annotated[str, Field(min_length=1, max_length=30)]
    text: LANG_TEXT
    #: The provisions or elements of this framework it makes not applicable (NA).
    covers: list[Annotated[str, Field(pattern=COVERED_REF_PATTERN)]] = []
    unverified: Unverified = None


class Framework(Strict):
    kind: Literal["framework"]
    id: Annotated[str, Field(pattern=FRAMEWORK_ID_PATTERN, max_length=40)]
    title: LANG_TEXT
    short_title: LANG_TEXT
    #: How questions cite it beside their label ("Budapest", "UN"); short_title when absent.
    abbreviation: LANG_TEXT | None = None
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
    #: What a country may reserve, declare or must notify: the reservation questions' choices.
    reservations: list[Reservation] = []


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
    #: Weights of provisions in the indicative index (``budapest:16: 2``); 1 when not given.
    weights: dict[
        Annotated[str, Field(pattern=PROVISION_REF_PATTERN)], Annotated[float, Field(gt=0, le=100)]
    ] = {}


class Institution(Strict):
    id: Literal[INSTITUTIONS]
    label: LANG_TEXT


class Section(Strict):
    id: Id
    title: LANG_TEXT
    intro: LANG_TEXT | None = None
    #: The institutions that usually answer it (ids of the file's ``institutions``).
    answered_by: list[Literal[INSTITUTIONS]] = []
    questions: Annotated[list[Question], Field(min_length=1)]


class Questionnaire(Strict):
    kind: Literal["questionnaire"]
    id: Annotated[str, Field(pattern=FRAMEWORK_ID_PATTERN, max_length=60)]
    version: Annotated[str, Field(min_length=1, max_length=40)]
    title: LANG_TEXT
    languages: Languages
    frameworks: Annotated[list[str], Field(min_length=1)]
    settings: Settings = Settings()
    #: The institutions sections name in ``answered_by`` (and ``institutions`` questions offer).
    institutions: list[Institution] = []
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
