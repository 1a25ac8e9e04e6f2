"""The question types. Each owns its settings (checked when a file is read), how a value is
validated and normalised (the same code for forms, the API, imports and scoring), the comparable
form used by relevance conditions, and a JSON Schema of its value.

Adding a type means adding one class here (and, for forms, one rendering macro).
"""

from __future__ import annotations

import re
from abc import abstractmethod
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANG_TEXT = dict[str, str]
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
QUESTION_ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
INDICATOR_REF_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
ELEMENT_REF_PATTERN = r"^[a-z][a-z0-9-]*:[0-9A-Za-z_]+\.[a-z][a-z0-9_]*$"

SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 20_000
STAGES = ("none", "draft", "tabled", "adopted", "in_force")
YNPN = ("yes", "partly", "no", "na")


class AnswerError(ValueError):
    """A value does not fit its question; ``path`` locates the part at fault (``2.year``)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    value: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=60)]
    label: LANG_TEXT


class RangeValidation(Strict):
    min: Decimal | None = None
    max: Decimal | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class CountValidation(Strict):
    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=1)] | None = None


class TextValidation(Strict):
    max: Annotated[int, Field(ge=1)] | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"the pattern does not compile: {error}") from None
        return value


class DateValidation(Strict):
    min: date | None = None
    max: date | None = None


class TableValidation(Strict):
    max_rows: Annotated[int, Field(ge=1, le=1000)] | None = None


class QuestionBase(Strict):
    """What every question has, whatever its type."""

    type_name: ClassVar[str]
    #: Whether a value of this type can stand in a relevance condition.
    comparable_kind: ClassVar[str | None] = None

    id: Annotated[str, Field(pattern=QUESTION_ID_PATTERN, max_length=120)]
    label: LANG_TEXT
    help: LANG_TEXT | None = None
    required: bool = False
    relevant: str | None = None
    evidences: list[Annotated[str, Field(pattern=ELEMENT_REF_PATTERN)]] = []
    indicators: list[Annotated[str, Field(pattern=INDICATOR_REF_PATTERN)]] = []
    weight: Annotated[float, Field(gt=0, le=100)] | None = None

    @abstractmethod
    def normalise(self, value: Any) -> Any:
        """Return the stored form of ``value``; None means unanswered.

        :raises AnswerError: when the value does not fit the question.
        """

    def comparable(self, value: Any) -> Any:
        """Return the form of a stored value that relevance conditions compare."""
        return value

    def is_answered(self, value: Any) -> bool:
        """Return whether a stored value counts as an answer (for required questions)."""
        return value is not None and value != [] and value != ""

    @abstractmethod
    def value_schema(self) -> dict[str, Any]:
        """Return the JSON Schema a stored value satisfies (null means unanswered)."""

    def choice_values(self) -> tuple[str, ...] | None:
        """Return the values a relevance condition may compare this question with, if fixed."""
        return None


def _text(value: Any, maximum: int, pattern: str | None = None, path: str = "") -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float, Decimal)) or isinstance(value, bool):
        raise AnswerError("Enter text.", path)
    text = str(value).replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > maximum:
        raise AnswerError(f"Use at most {maximum} characters (this has {len(text)}).", path)
    if pattern and not re.fullmatch(pattern, text):
        raise AnswerError("The text does not have the expected form.", path)
    return text


class Ynpn(QuestionBase):
    """Yes / partly / no / not applicable; ``na`` names the reservation or declaration."""

    type_name: ClassVar[str] = "ynpn"
    comparable_kind: ClassVar[str] = "choice"
    type: Literal["ynpn"]

    def normalise(self, value: Any) -> dict[str, str] | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = {"answer": value}
        if not isinstance(value, dict):
            raise AnswerError("Choose yes, partly, no or not applicable.")
        unknown = set(value) - {"answer", "reference"}
        if unknown:
            raise AnswerError(f"Unknown field {sorted(unknown)[0]!r}.", sorted(unknown)[0])
        answer = value.get("answer")
        if answer in (None, ""):
            if _text(value.get("reference"), SHORT_TEXT_MAX):
                raise AnswerError("Choose yes, partly, no or not applicable.", "answer")
            return None
        if answer not in YNPN:
            raise AnswerError("Choose yes, partly, no or not applicable.", "answer")
        reference = _text(value.get("reference"), SHORT_TEXT_MAX, path="reference")
        if answer == "na" and not reference:
            raise AnswerError(
                "Name the reservation or declaration, or say why this does not apply.",
                "reference",
            )
        return {"answer": answer, "reference": reference} if reference else {"answer": answer}

    def comparable(self, value: Any) -> Any:
        return value["answer"] if value else None

    def choice_values(self) -> tuple[str, ...]:
        return YNPN

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": ["object", "null"],
            "properties": {
                "answer": {"enum": list(YNPN)},
                "reference": {"type": "string", "maxLength": SHORT_TEXT_MAX},
            },
            "required": ["answer"],
            "additionalProperties": False,
            "description": "na requires a reference naming the reservation or declaration",
        }


class ChoiceQuestion(QuestionBase):
    choices: Annotated[list[Choice], Field(min_length=2)]

    @field_validator("choices")
    @classmethod
    def _unique(cls, choices: list[Choice]) -> list[Choice]:
        seen = set()
        for choice in choices:
            if choice.value in seen:
                raise ValueError(f"duplicate choice value {choice.value!r}")
            seen.add(choice.value)
        return choices

    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    def _check(self, value: Any, path: str = "") -> str:
        if not isinstance(value, str) or value not in self.choice_values():
            raise AnswerError(
                f"Choose one of the options ({', '.join(self.choice_values())}).", path
            )
        return value


class SingleChoice(ChoiceQuestion):
    type_name: ClassVar[str] = "single_choice"
    comparable_kind: ClassVar[str] = "choice"
    type: Literal["single_choice"]

    def normalise(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return self._check(value)

    def value_schema(self) -> dict[str, Any]:
        return {"enum": [*self.choice_values(), None]}


class MultipleChoice(ChoiceQuestion):
    type_name: ClassVar[str] = "multiple_choice"
    comparable_kind: ClassVar[str] = "choices"
    type: Literal["multiple_choice"]
    validation: CountValidation = CountValidation()

    def normalise(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value] if value else []
        if not isinstance(value, list):
            raise AnswerError("Choose any of the options.")
        chosen = [self._check(item, str(index)) for index, item in enumerate(value)]
        if len(set(chosen)) != len(chosen):
            raise AnswerError("An option is chosen twice.")
        if not chosen:
            return None
        if self.validation.min is not None and len(chosen) < self.validation.min:
            raise AnswerError(f"Choose at least {self.validation.min} options.")
        if self.validation.max is not None and len(chosen) > self.validation.max:
            raise AnswerError(f"Choose at most {self.validation.max} options.")
        order = self.choice_values()
        return sorted(chosen, key=order.index)

    def value_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": ["array", "null"],
            "items": {"enum": list(self.choice_values())},
            "uniqueItems": True,
        }
        if self.validation.min is not None:
            schema["minItems"] = self.validation.min
        if self.validation.max is not None:
            schema["maxItems"] = self.validation.max
        return schema


class ShortText(QuestionBase):
    type_name: ClassVar[str] = "short_text"
    type: Literal["short_text"]
    validation: TextValidation = TextValidation()

    @property
    def maximum(self) -> int:
        return min(self.validation.max or SHORT_TEXT_MAX, SHORT_TEXT_MAX)

    def normalise(self, value: Any) -> str | None:
        text = _text(value, self.maximum, self.validation.pattern)
        if text is not None and "\n" in text:
            raise AnswerError("Use a single line.")
        return text

    def value_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": ["string", "null"], "maxLength": self.maximum}
        if self.validation.pattern:
            schema["pattern"] = self.validation.pattern
        return schema


class LongText(QuestionBase):
    type_name: ClassVar[str] = "long_text"
    type: Literal["long_text"]
    validation: TextValidation = TextValidation()

    @property
    def maximum(self) -> int:
        return min(self.validation.max or LONG_TEXT_MAX, LONG_TEXT_MAX)

    def normalise(self, value: Any) -> str | None:
        return _text(value, self.maximum)

    def value_schema(self) -> dict[str, Any]:
        return {"type": ["string", "null"], "maxLength": self.maximum}


def _number(value: Any, integer: bool, path: str = "") -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise AnswerError("Enter a number.", path)
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise AnswerError("Enter a whole number." if integer else "Enter a number.", path) from None
    if not number.is_finite():
        raise AnswerError("Enter a number.", path)
    if integer and number != number.to_integral_value():
        raise AnswerError("Enter a whole number.", path)
    return number


class NumberQuestion(QuestionBase):
    comparable_kind: ClassVar[str] = "number"
    validation: RangeValidation = RangeValidation()

    def _range(self, number: Decimal, path: str = "") -> None:
        low, high = self.validation.min, self.validation.max
        if low is not None and number < low:
            raise AnswerError(f"Enter {_plain(low)} or more.", path)
        if high is not None and number > high:
            raise AnswerError(f"Enter {_plain(high)} or less.", path)

    def _range_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.validation.min is not None:
            schema["minimum"] = float(self.validation.min)
        if self.validation.max is not None:
            schema["maximum"] = float(self.validation.max)
        return schema


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


class Integer(NumberQuestion):
    type_name: ClassVar[str] = "integer"
    type: Literal["integer"]

    def normalise(self, value: Any) -> int | None:
        number = _number(value, integer=True)
        if number is None:
            return None
        self._range(number)
        if abs(number) > 10**15:
            raise AnswerError("The number is too large.")
        return int(number)

    def comparable(self, value: Any) -> Any:
        return None if value is None else Decimal(value)

    def value_schema(self) -> dict[str, Any]:
        return self._range_schema({"type": ["integer", "null"]})


class DecimalQuestion(NumberQuestion):
    """A decimal number, stored as its exact text (``"12.5"``) so that no rounding creeps in."""

    type_name: ClassVar[str] = "decimal"
    type: Literal["decimal"]

    def normalise(self, value: Any) -> str | None:
        number = _number(value, integer=False)
        if number is None:
            return None
        self._range(number)
        if abs(number) > 10**15:
            raise AnswerError("The number is too large.")
        return _plain(number)

    def comparable(self, value: Any) -> Any:
        return None if value is None else Decimal(value)

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": ["string", "null"],
            "pattern": r"^-?\d+(\.\d+)?$",
            "description": "a decimal number written as text; numbers are accepted on input",
        }


def _date(value: Any, path: str = "") -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise AnswerError("Enter a date as YYYY-MM-DD.", path)


class DateQuestion(QuestionBase):
    type_name: ClassVar[str] = "date"
    comparable_kind: ClassVar[str] = "date"
    type: Literal["date"]
    validation: DateValidation = DateValidation()

    def normalise(self, value: Any) -> str | None:
        day = _date(value)
        if day is None:
            return None
        if self.validation.min and day < self.validation.min:
            raise AnswerError(f"Enter {self.validation.min.isoformat()} or later.")
        if self.validation.max and day > self.validation.max:
            raise AnswerError(f"Enter {self.validation.max.isoformat()} or earlier.")
        return day.isoformat()

    def value_schema(self) -> dict[str, Any]:
        return {"type": ["string", "null"], "format": "date"}


URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class LegalCitation(QuestionBase):
    """Instrument, article or section, date in force, legislative stage and link."""

    type_name: ClassVar[str] = "legal_citation"
    comparable_kind: ClassVar[str] = "choice"
    type: Literal["legal_citation"]
    FIELDS: ClassVar[tuple[str, ...]] = ("instrument", "article", "in_force_date", "stage", "link")

    def normalise(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise AnswerError("Give the citation's fields.")
        unknown = set(value) - set(self.FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise AnswerError(f"Unknown field {field!r}.", field)
        result = {
            "instrument": _text(value.get("instrument"), 300, path="instrument"),
            "article": _text(value.get("article"), 100, path="article"),
            "link": _text(value.get("link"), 2000, path="link"),
        }
        in_force = _date(value.get("in_force_date"), "in_force_date")
        stage = value.get("stage") or None
        if stage is None:
            if any(result.values()) or in_force:
                raise AnswerError("Choose the legislative stage.", "stage")
            return None
        if stage not in STAGES:
            raise AnswerError(
                "Choose the legislative stage: none, draft, tabled, adopted or in force.", "stage"
            )
        if stage != "none" and not result["instrument"]:
            raise AnswerError("Name the law or instrument.", "instrument")
        if stage == "in_force" and not in_force:
            raise AnswerError("Give the date of entry into force.", "in_force_date")
        if result["link"] and not URL_PATTERN.match(result["link"]):
            raise AnswerError("Give a web address starting with http:// or https://.", "link")
        result["in_force_date"] = in_force.isoformat() if in_force else None
        result["stage"] = stage
        return {key: result[key] for key in self.FIELDS if result[key] is not None}

    def comparable(self, value: Any) -> Any:
        return value["stage"] if value else None

    def choice_values(self) -> tuple[str, ...]:
        return STAGES

    def value_schema(self) -> dict[str, Any]:
        text = {"type": "string"}
        return {
            "type": ["object", "null"],
            "properties": {
                "instrument": {**text, "maxLength": 300},
                "article": {**text, "maxLength": 100},
                "in_force_date": {**text, "format": "date"},
                "stage": {"enum": list(STAGES)},
                "link": {**text, "format": "uri", "maxLength": 2000},
            },
            "required": ["stage"],
            "additionalProperties": False,
        }


PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{3,40}$"


class Contact(QuestionBase):
    """A contact record: unit, phone, e-mail, secure channel, languages, availability."""

    type_name: ClassVar[str] = "contact"
    type: Literal["contact"]
    FIELDS: ClassVar[tuple[str, ...]] = (
        "unit",
        "phone",
        "email",
        "secure_channel",
        "languages",
        "availability",
    )

    def normalise(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise AnswerError("Give the contact's fields.")
        unknown = set(value) - set(self.FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise AnswerError(f"Unknown field {field!r}.", field)
        result = {field: _text(value.get(field), 300, path=field) for field in self.FIELDS}
        if not any(result.values()):
            return None
        if not result["unit"]:
            raise AnswerError("Name the unit or office.", "unit")
        if result["phone"] and not re.fullmatch(PHONE_PATTERN, result["phone"]):
            raise AnswerError(
                "Give a phone number in international form, e.g. +33 1 23 45 67 89.", "phone"
            )
        if result["email"]:
            try:
                result["email"] = validate_email(
                    result["email"], check_deliverability=False
                ).normalized
            except EmailNotValidError:
                raise AnswerError("Give a valid e-mail address.", "email") from None
        return {key: text for key, text in result.items() if text}

    def value_schema(self) -> dict[str, Any]:
        properties = {field: {"type": "string", "maxLength": 300} for field in self.FIELDS}
        properties["phone"]["pattern"] = PHONE_PATTERN
        properties["email"]["format"] = "email"
        return {
            "type": ["object", "null"],
            "properties": properties,
            "required": ["unit"],
            "additionalProperties": False,
        }


class Column(Strict):
    """A typed column of a table question."""

    id: Annotated[str, Field(pattern=ID_PATTERN, max_length=60)]
    type: Literal["short_text", "integer", "decimal", "date", "single_choice"]
    label: LANG_TEXT
    required: bool = False
    choices: list[Choice] | None = None
    validation: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _settings(self):
        if (self.type == "single_choice") != (self.choices is not None):
            raise ValueError("choices are given for single_choice columns, and only for them")
        _ = self.question  # the settings must make a valid question of the column's type
        return self

    @cached_property
    def question(self) -> QuestionBase:
        """Return the column as a question of its type (its cells are checked the same way)."""
        data: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label}
        if self.choices is not None:
            data["choices"] = self.choices
        if self.validation is not None:
            data["validation"] = self.validation
        return COLUMN_TYPES[self.type].model_validate(data)


class Table(QuestionBase):
    """Rows with typed columns (e.g. training events: year, audience, topic, participants)."""

    type_name: ClassVar[str] = "table"
    comparable_kind: ClassVar[str] = "rows"
    type: Literal["table"]
    columns: Annotated[list[Column], Field(min_length=1, max_length=30)]
    validation: TableValidation = TableValidation()

    @field_validator("columns")
    @classmethod
    def _unique(cls, columns: list[Column]) -> list[Column]:
        ids = [column.id for column in columns]
        duplicates = {column for column in ids if ids.count(column) > 1}
        if duplicates:
            raise ValueError(f"duplicate column id {sorted(duplicates)[0]!r}")
        return columns

    def normalise(self, value: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise AnswerError("Give the table as a list of rows.")
        limit = self.validation.max_rows or 1000
        columns = {column.id: column for column in self.columns}
        rows = []
        for index, row in enumerate(value):
            if not isinstance(row, dict):
                raise AnswerError("Each row is a set of named cells.", str(index))
            unknown = set(row) - set(columns)
            if unknown:
                name = sorted(unknown)[0]
                raise AnswerError(f"Unknown column {name!r}.", f"{index}.{name}")
            cells = {}
            for column_id, column in columns.items():
                try:
                    cell = column.question.normalise(row.get(column_id))
                except AnswerError as error:
                    raise AnswerError(error.message, f"{index}.{column_id}") from None
                if cell is not None:
                    cells[column_id] = cell
            if not cells:
                continue  # an empty row is no row
            for column_id, column in columns.items():
                if column.required and column_id not in cells:
                    raise AnswerError("This cell is required.", f"{index}.{column_id}")
            rows.append(cells)
        if len(rows) > limit:
            raise AnswerError(f"Give at most {limit} rows.")
        return rows or None

    def value_schema(self) -> dict[str, Any]:
        properties = {}
        for column in self.columns:
            cell = column.question.value_schema()
            properties[column.id] = cell
        return {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": properties,
                "required": [column.id for column in self.columns if column.required],
                "additionalProperties": False,
            },
            "maxItems": self.validation.max_rows or 1000,
        }


EVIDENCE_ID_PATTERN = r"^[0-9a-f]{32}$"


class Evidence(QuestionBase):
    """References to uploaded evidence files (their random ids)."""

    type_name: ClassVar[str] = "evidence"
    comparable_kind: ClassVar[str] = "choices"
    type: Literal["evidence"]

    def normalise(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AnswerError("Give a list of evidence file ids.")
        for index, item in enumerate(value):
            if not re.fullmatch(EVIDENCE_ID_PATTERN, item):
                raise AnswerError("Not an evidence file id.", str(index))
        if len(set(value)) != len(value):
            raise AnswerError("A file is attached twice.")
        return list(value) or None

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": EVIDENCE_ID_PATTERN},
            "uniqueItems": True,
        }


class IndicatorChecklist(QuestionBase):
    """The maturity indicators that are met, among those the question lists in ``indicators``.

    An empty list is an answer ("none of these yet"), so a required checklist can be submitted by a
    country that has nothing in place.
    """

    type_name: ClassVar[str] = "indicator_checklist"
    comparable_kind: ClassVar[str] = "choices"
    type: Literal["indicator_checklist"]

    @model_validator(mode="after")
    def _has_items(self):
        if not self.indicators:
            raise ValueError("an indicator_checklist lists its items in indicators")
        return self

    def normalise(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AnswerError("Tick the indicators that are met.")
        for index, item in enumerate(value):
            if item not in self.indicators:
                raise AnswerError(f"{item!r} is not an indicator of this question.", str(index))
        if len(set(value)) != len(value):
            raise AnswerError("An indicator is ticked twice.")
        return sorted(value, key=self.indicators.index)

    def is_answered(self, value: Any) -> bool:
        return value is not None

    def choice_values(self) -> tuple[str, ...]:
        return tuple(self.indicators)

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": ["array", "null"],
            "items": {"enum": list(self.indicators)},
            "uniqueItems": True,
        }


#: The registry: type name -> class. Order is the order shown in documentation.
QUESTION_TYPES: dict[str, type[QuestionBase]] = {
    cls.type_name: cls
    for cls in (
        Ynpn,
        SingleChoice,
        MultipleChoice,
        ShortText,
        LongText,
        Integer,
        DecimalQuestion,
        DateQuestion,
        LegalCitation,
        Contact,
        Table,
        Evidence,
        IndicatorChecklist,
    )
}
COLUMN_TYPES = {
    name: QUESTION_TYPES[name]
    for name in ("short_text", "integer", "decimal", "date", "single_choice")
}

Question = Annotated[
    Ynpn
    | SingleChoice
    | MultipleChoice
    | ShortText
    | LongText
    | Integer
    | DecimalQuestion
    | DateQuestion
    | LegalCitation
    | Contact
    | Table
    | Evidence
    | IndicatorChecklist,
    Field(discriminator="type"),
]
