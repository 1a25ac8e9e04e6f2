"""The question types: the one home of everything that depends on a question's type.

Each class owns its settings (checked when a file is read); how a value is validated and
normalised (the same code for forms, the API, imports and scoring); the comparable form used by
relevance conditions; the JSON Schema of its value; how posted form data becomes a raw value; its
rendering macro (``macro``, in ``templates/questions/_inputs.html``); how a stored value reads as
text and as HTML (read-only pages, history, conflicts, later reviews and reports); its workbook
cells and how they read back; and a sample valid value for tests and demos.

Nothing outside ``app/frameworks/`` branches on a type name. Adding a type means adding one class
here (registered in ``QUESTION_TYPES`` and ``Question``) and one macro.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal, Union

from babel.dates import format_date as babel_format_date
from email_validator import EmailNotValidError, validate_email
from flask import has_app_context
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.frameworks.words import human_size, localized, words

LANG_TEXT = dict[str, str]
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
QUESTION_ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
INDICATOR_REF_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
ELEMENT_REF_PATTERN = r"^[a-z][a-z0-9-]*:[0-9A-Za-z_]+\.[a-z][a-z0-9_]*$"

SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 20_000
STAGES = ("none", "draft", "tabled", "adopted", "in_force")
YNPN = ("yes", "partly", "no", "na")
#: What each ``ynpn`` answer says of an element.
ELEMENT_STATUS = {"yes": "met", "partly": "partly", "no": "not_met", "na": "na"}


class AnswerError(ValueError):
    """A value does not fit its question; ``path`` locates the part at fault (``2.year``)."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path


#: The checklist's explicit "none of these yet" box: an answer, unlike leaving every box empty.
NONE_YET = "__none__"


@dataclass(frozen=True)
class Cell:
    """One workbook row of a question: its field, the text shown, the value, the drop-down."""

    field: str
    text: str
    value: Any
    choices: tuple[str, ...] | None = None
    editable: bool = True


@dataclass(frozen=True)
class ShowContext:
    """What a display of a value may need besides the value itself.

    :param indicators: maturity indicator ref -> its text (``{en: ..., fr: ...}``).
    :param files: evidence public id -> the file (with ``filename`` and ``size``).
    :param file_url: public id -> the address to download the file, when links are wanted.
    """

    indicators: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    files: Mapping[str, Any] = field(default_factory=dict)
    file_url: Callable[[str], str] | None = None
    #: The label of a file input, with the accepted types and the size limit.
    upload_label: str = ""


NO_CONTEXT = ShowContext()


def label_to_value(labels: Mapping[str, str], cell_value: Any) -> Any:
    """Return the value whose label (or value) a workbook cell holds; else the text as typed."""
    if cell_value is None:
        return None
    text = str(cell_value).strip()
    for value, label in labels.items():
        if text.casefold() in (label.casefold(), value.casefold()):
            return value
    return text  # left as typed: the question's check explains what is allowed


def _line(text: str) -> Markup:
    return Markup('<p class="answer mb-0">{}</p>').format(text)


def _items(texts) -> Markup:
    items = Markup("").join(Markup("<li>{}</li>").format(text) for text in texts)
    return Markup('<ul class="answer mb-0">{}</ul>').format(items)


def _long_date(text: str) -> str:
    """Return an ISO date as words in the current language ("1 May 2019")."""
    day = date.fromisoformat(text)
    if has_app_context():
        return format_date(day, "long")
    return babel_format_date(day, "long", locale="en")


def _fields_from_form(qid: str, names: Sequence[str], form: Any) -> dict[str, str] | None:
    """Return the fields posted as ``<qid>[<field>]``, or None when all are empty."""
    value = {name: form.get(f"{qid}[{name}]", "") for name in names}
    return value if any(str(item).strip() for item in value.values()) else None


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
    #: The type's name in the library pages.
    title: ClassVar[Any] = ""
    #: Whether a value of this type can stand in a relevance condition.
    comparable_kind: ClassVar[str | None] = None
    #: The rendering macro in ``templates/questions/_inputs.html``.
    macro: ClassVar[str] = "text_line"
    #: Values are lists of evidence file ids (checked against the assessment's files).
    holds_files: ClassVar[bool] = False
    #: The value has fixed options (drop-downs in the workbook and in table cells).
    has_choices: ClassVar[bool] = False
    #: HTML input type and input mode of a single-field value (also for table cells).
    html_input: ClassVar[str] = "text"
    inputmode: ClassVar[str | None] = None
    #: The workbook puts the value on a sheet of its own (rows and columns).
    own_sheet: ClassVar[bool] = False
    #: Scoring reads its answer as the status of the elements it evidences (``element_status``),
    #: or as the legislative stage of the law behind them (``legislative_stage``).
    rates_elements: ClassVar[bool] = False
    records_stage: ClassVar[bool] = False

    id: Annotated[str, Field(pattern=QUESTION_ID_PATTERN, max_length=120)]
    label: LANG_TEXT
    help: LANG_TEXT | None = None
    required: bool = False
    relevant: str | None = None
    evidences: list[Annotated[str, Field(pattern=ELEMENT_REF_PATTERN)]] = []
    indicators: list[Annotated[str, Field(pattern=INDICATOR_REF_PATTERN)]] = []
    weight: Annotated[float, Field(gt=0, le=100)] | None = None
    #: Questions of earlier versions this one takes over (a split or retyped question): their
    #: earlier answers are shown beside it, since they cannot be carried over as they are.
    replaces: list[Annotated[str, Field(pattern=QUESTION_ID_PATTERN, max_length=120)]] = []

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

    # --- What scoring reads (``app/scoring``) -----------------------------------------------

    def element_status(self, value: Any) -> str | None:
        """Return what the value says of the elements the question evidences: ``met``,
        ``partly``, ``not_met`` or ``na``; None when the type does not rate elements."""
        return None

    def legislative_stage(self, value: Any) -> str | None:
        """Return the legislative stage the value records (``none`` … ``in_force``), if any."""
        return None

    def indicator_met(self, value: Any, ref: str) -> bool:
        """Return whether the value shows the maturity indicator ``ref`` met: by default, any
        answer is the evidence the indicator asks for."""
        return self.is_answered(value)

    def ticking(self, value: Any, refs: list[str]) -> Any:
        """Return the value that records exactly the maturity indicators ``refs`` as met, or
        None when the type does not record indicators itself (the default)."""
        return None

    def reservations_recorded(self, value: Any) -> tuple[tuple[str, str], ...]:
        """Return the (framework, reservation id) pairs the value records."""
        return ()

    @abstractmethod
    def value_schema(self) -> dict[str, Any]:
        """Return the JSON Schema a stored value satisfies (null means unanswered)."""

    def choice_values(self) -> tuple[str, ...] | None:
        """Return the values a relevance condition may compare this question with, if fixed."""
        return None

    # --- Forms ---------------------------------------------------------------------------------

    def from_form(self, form: Any) -> Any:
        """Return the raw value posted by the question's inputs (``form`` is a MultiDict)."""
        return form.get(self.id)

    # --- Display -------------------------------------------------------------------------------

    def display_text(self, value: Any, context: ShowContext = NO_CONTEXT) -> str:
        """Return a stored value as plain text a person reads (history, conflicts, workbook)."""
        if value is None or value == []:
            return words()["no_answer"]
        return self._text(value, context)

    def _text(self, value: Any, context: ShowContext) -> str:
        return str(value)

    def display_html(self, value: Any, context: ShowContext = NO_CONTEXT) -> Markup:
        """Return a stored value as HTML for read-only pages (escaped; no form controls)."""
        if value is None or value == []:
            return Markup('<p class="answer answer-empty mb-0">{}</p>').format(words()["no_answer"])
        return self._html(value, context)

    def _html(self, value: Any, context: ShowContext) -> Markup:
        return _line(self._text(value, context))

    # --- Workbook ------------------------------------------------------------------------------

    def to_cell(self, value: Any) -> Any:
        """Return what a single workbook cell shows for a value (labels for choices)."""
        return value

    def cell_choices(self) -> tuple[str, ...] | None:
        """Return the labels of a cell's drop-down list, if the value has fixed options."""
        return None

    def from_cell(self, cell_value: Any) -> Any:
        """Return the raw value a single workbook cell holds."""
        return cell_value

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        """Return the workbook rows of the question (the first carries the note and version)."""
        return [Cell("", localized(self.label), self.to_cell(value), self.cell_choices())]

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        """Return the raw value from the question's workbook cells (field -> cell value)."""
        return self.from_cell(cells.get(""))

    # --- API and tests -------------------------------------------------------------------------

    def describe(self, context: ShowContext = NO_CONTEXT) -> dict[str, Any]:
        """Return what API clients need besides the common fields (choices, columns, ...)."""
        return {}

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        """Return a valid stored value (``variant`` 0 and 1 differ where the type allows)."""
        return self.normalise(f"Sample answer {variant + 1}")


def _text(value: Any, maximum: int, pattern: str | None = None, path: str = "") -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float, Decimal)) or isinstance(value, bool):
        raise AnswerError(_l("Enter text."), path)
    text = str(value).replace("\r\n", "\n").strip()
    if not text:
        return None
    if CONTROL_CHARACTERS.search(text):
        raise AnswerError(
            _l("Remove the invisible control characters from the text (such as NUL)."), path
        )
    if len(text) > maximum:
        raise AnswerError(
            _l(
                "Use at most %(maximum)d characters (this has %(length)d).",
                maximum=maximum,
                length=len(text),
            ),
            path,
        )
    if pattern and not re.fullmatch(pattern, text):
        raise AnswerError(_l("The text does not have the expected form."), path)
    return text


# --- The JSON Schemas of values (``value_schema``) ----------------------------------------------
# A schema describes the stored value, which ``normalise`` accepts as it is: so a value generated
# from the schema is accepted, and a value ``normalise`` refuses is refused. Patterns are written
# for ECMA-262 and Python alike: no ``\d``, ``.`` or ``\s`` (but in ``[\s\S]``, any character),
# whose meanings differ.

#: The whitespace ``str.strip`` removes, spelled out.
_WS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: The control characters no text keeps: spreadsheets, PDFs and PostgreSQL's text cannot hold
#: them (tab, line feed and carriage return are kept).
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROL}]")
#: Text as ``_text`` stores it: not blank, no whitespace at either end, no control character.
_TEXT = rf"^[^{_WS}{_CONTROL}](?:[^{_CONTROL}]*[^{_WS}{_CONTROL}])?$"
#: The same on a single line.
_LINE = rf"^[^{_WS}{_CONTROL}](?:[^\n{_CONTROL}]*[^{_WS}{_CONTROL}])?$"


def _text_schema(maximum: int, *, line: bool = False) -> dict[str, Any]:
    """Return the schema of a text ``_text`` stores (trimmed, not blank, at most ``maximum``)."""
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": maximum,
        "pattern": _LINE if line else _TEXT,
    }


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` that also admits null, which means unanswered."""
    result = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


def _alternatives(options: Sequence[str]) -> str:
    return options[0] if len(options) == 1 else f"(?:{'|'.join(options)})"


def _digit_range(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]"


def _any_digits(count: int) -> str:
    return "" if count == 0 else "[0-9]" if count == 1 else f"[0-9]{{{count}}}"


def _digits_between(low: str, high: str) -> str:
    """Return a pattern of the digit strings of ``len(low)`` from ``low`` to ``high``."""
    if low == high:
        return low
    if low == "0" * len(low) and high == "9" * len(high):
        return _any_digits(len(low))
    i = next(i for i, (a, b) in enumerate(zip(low, high, strict=True)) if a != b)
    rest = len(low) - i - 1
    from_start, to_end = low[i + 1 :] == "0" * rest, high[i + 1 :] == "9" * rest
    first, last = int(low[i]) + (not from_start), int(high[i]) - (not to_end)
    options = [] if from_start else [low[i] + _digits_between(low[i + 1 :], "9" * rest)]
    if first <= last:
        options.append(_digit_range(first, last) + _any_digits(rest))
    if not to_end:
        options.append(high[i] + _digits_between("0" * rest, high[i + 1 :]))
    return low[:i] + _alternatives(options)


class Ynpn(QuestionBase):
    """Yes / partly / no / not applicable; ``na`` names the reservation or declaration."""

    type_name: ClassVar[str] = "ynpn"
    title: ClassVar[Any] = _l("Yes / partly / no / not applicable")
    comparable_kind: ClassVar[str] = "choice"
    macro: ClassVar[str] = "ynpn"
    has_choices: ClassVar[bool] = True
    rates_elements: ClassVar[bool] = True
    type: Literal["ynpn"]
    FIELDS: ClassVar[tuple[str, ...]] = ("answer", "reference")

    def normalise(self, value: Any) -> dict[str, str] | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = {"answer": value}
        if not isinstance(value, dict):
            raise AnswerError(_l("Choose yes, partly, no or not applicable."))
        unknown = set(value) - {"answer", "reference"}
        if unknown:
            raise AnswerError(
                _l("Unknown field “%(name)s”.", name=sorted(unknown)[0]), sorted(unknown)[0]
            )
        answer = value.get("answer")
        if answer in (None, ""):
            if _text(value.get("reference"), SHORT_TEXT_MAX):
                raise AnswerError(_l("Choose yes, partly, no or not applicable."), "answer")
            return None
        if answer not in YNPN:
            raise AnswerError(_l("Choose yes, partly, no or not applicable."), "answer")
        reference = _text(value.get("reference"), SHORT_TEXT_MAX, path="reference")
        if answer == "na" and not reference:
            raise AnswerError(
                _l("Name the reservation or declaration, or say why this does not apply."),
                "reference",
            )
        return {"answer": answer, "reference": reference} if reference else {"answer": answer}

    def comparable(self, value: Any) -> Any:
        return value["answer"] if value else None

    def element_status(self, value: Any) -> str | None:
        return ELEMENT_STATUS[value["answer"]] if value else None

    def indicator_met(self, value: Any, ref: str) -> bool:
        return bool(value) and value["answer"] == "yes"

    def choice_values(self) -> tuple[str, ...]:
        return YNPN

    @staticmethod
    def options() -> list[tuple[str, str]]:
        """Return (value, label) of the four answers in the current language."""
        text = words()
        return [(code, text[code]) for code in YNPN]

    def from_form(self, form: Any) -> Any:
        return _fields_from_form(self.id, self.FIELDS, form)

    def _text(self, value: Any, context: ShowContext) -> str:
        text = words()[value["answer"]]
        return f"{text} — {value['reference']}" if value.get("reference") else text

    def _html(self, value: Any, context: ShowContext) -> Markup:
        html = Markup('<p class="answer mb-0"><strong>{}</strong>').format(words()[value["answer"]])
        if value.get("reference"):
            html += Markup(" — {}").format(value["reference"])
        return html + Markup("</p>")

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        labels = dict(self.options())
        return [
            Cell(
                "answer",
                localized(self.label),
                labels.get(value["answer"]) if value else None,
                tuple(labels.values()),
            ),
            Cell("reference", words()["reference_cell"], value.get("reference") if value else None),
        ]

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        return {
            "answer": label_to_value(dict(self.options()), cells.get("answer")),
            "reference": cells.get("reference"),
        }

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        return {"answer": "yes"} if variant == 0 else {"answer": "partly", "reference": "Art. 12"}

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "answer": {"enum": list(YNPN)},
                "reference": _text_schema(SHORT_TEXT_MAX),
            },
            "required": ["answer"],
            "additionalProperties": False,
            "if": {"properties": {"answer": {"const": "na"}}},
            "then": {"required": ["reference"]},
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

    has_choices: ClassVar[bool] = True
    macro: ClassVar[str] = "choices"
    #: Several options may be chosen (checkboxes rather than radio buttons).
    multiple: ClassVar[bool] = False

    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)

    def choice_label(self, value: str) -> str:
        """Return the label of one of the options in the current language."""
        for choice in self.choices:
            if choice.value == value:
                return localized(choice.label)
        return value

    def labels(self) -> dict[str, str]:
        """Return value -> label of the options in the current language."""
        return {choice.value: localized(choice.label) for choice in self.choices}

    def describe(self, context: ShowContext = NO_CONTEXT) -> dict[str, Any]:
        return {"choices": [choice.model_dump() for choice in self.choices]}

    def _check(self, value: Any, path: str = "") -> str:
        if not isinstance(value, str) or value not in self.choice_values():
            raise AnswerError(
                _l(
                    "Choose one of the options (%(options)s).",
                    options=", ".join(self.choice_values()),
                ),
                path,
            )
        return value


class SingleChoice(ChoiceQuestion):
    type_name: ClassVar[str] = "single_choice"
    title: ClassVar[Any] = _l("Single choice")
    comparable_kind: ClassVar[str] = "choice"
    type: Literal["single_choice"]

    def normalise(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        return self._check(value)

    def _text(self, value: Any, context: ShowContext) -> str:
        return self.choice_label(value)

    def to_cell(self, value: Any) -> Any:
        return self.choice_label(value) if value is not None else None

    def cell_choices(self) -> tuple[str, ...]:
        return tuple(self.labels().values())

    def from_cell(self, cell_value: Any) -> Any:
        return label_to_value(self.labels(), cell_value)

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        return self.choices[0 if variant == 0 else -1].value

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choice_values())}


class MultipleChoice(ChoiceQuestion):
    type_name: ClassVar[str] = "multiple_choice"
    title: ClassVar[Any] = _l("Multiple choice")
    multiple: ClassVar[bool] = True
    comparable_kind: ClassVar[str] = "choices"
    type: Literal["multiple_choice"]
    validation: CountValidation = CountValidation()

    def from_form(self, form: Any) -> Any:
        return [item for item in form.getlist(self.id) if item]

    def _text(self, value: Any, context: ShowContext) -> str:
        return "; ".join(self.choice_label(item) for item in value)

    def _html(self, value: Any, context: ShowContext) -> Markup:
        return _items(self.choice_label(item) for item in value)

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        chosen, label, yes = value or [], localized(self.label), words()["yes"]
        return [
            Cell(
                choice.value,
                f"{label} — {localized(choice.label)}",
                yes if choice.value in chosen else None,
                (yes,),
            )
            for choice in self.choices
        ]

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        return [value for value in self.choice_values() if cells.get(value)]

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        low = self.validation.min or 1
        values = self.choice_values()
        chosen = values[:low] if variant == 0 else values[-max(low, 1) :]
        return self.normalise(list(chosen))

    def normalise(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value] if value else []
        if not isinstance(value, list):
            raise AnswerError(_l("Choose any of the options."))
        chosen = [self._check(item, str(index)) for index, item in enumerate(value)]
        if len(set(chosen)) != len(chosen):
            raise AnswerError(_l("An option is chosen twice."))
        if not chosen:
            return None
        if self.validation.min is not None and len(chosen) < self.validation.min:
            raise AnswerError(_l("Choose at least %(num)d options.", num=self.validation.min))
        if self.validation.max is not None and len(chosen) > self.validation.max:
            raise AnswerError(_l("Choose at most %(num)d options.", num=self.validation.max))
        order = self.choice_values()
        return sorted(chosen, key=order.index)

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "array",
            "items": {"enum": list(self.choice_values())},
            "uniqueItems": True,
            "minItems": max(self.validation.min or 0, 1),  # nothing chosen is no answer: null
            "description": "stored in the order of the options",
        }
        if self.validation.max is not None:
            schema["maxItems"] = self.validation.max
        return schema


class GeneratedChoices(MultipleChoice):
    """A multiple choice whose options come from the library, not from the question: the file
    names where they come from, and checking the library fills them in (so a stored version
    keeps the options it was loaded with)."""

    type_name: ClassVar[str] = ""
    choices: list[Choice] = []

    @abstractmethod
    def options_from(self, questionnaire: Any, frameworks: Mapping[str, Any]) -> list[Choice]:
        """Return the options, given the questionnaire and its frameworks (parsed files).

        :raises ValueError: naming what is missing, when they cannot be made.
        """


class Reservations(GeneratedChoices):
    """The reservations and declarations a country made (or notifications it sent) under one
    framework, from the list its file defines; scoring rates what they cover NA."""

    type_name: ClassVar[str] = "reservations"
    title: ClassVar[Any] = _l("Reservations and declarations")
    type: Literal["reservations"]
    framework: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]
    #: Offer only these kinds (reservation, declaration, notification); all when empty.
    kinds: list[Literal["reservation", "declaration", "notification"]] = []

    def reservations_recorded(self, value: Any) -> tuple[tuple[str, str], ...]:
        return tuple((self.framework, item) for item in value or ())

    def options_from(self, questionnaire: Any, frameworks: Mapping[str, Any]) -> list[Choice]:
        if self.framework not in questionnaire.frameworks or self.framework not in frameworks:
            raise ValueError(f"framework {self.framework!r} is not in this questionnaire")
        items = [
            item
            for item in frameworks[self.framework].reservations
            if not self.kinds or item.kind in self.kinds
        ]
        if len(items) < 2:
            raise ValueError(
                f"framework {self.framework!r} defines fewer than two items of these kinds"
            )
        return [
            Choice(
                value=item.id,
                label={
                    language: f"{ARTICLE_WORD.get(language, 'Art.')} {item.article} — {text}"
                    for language, text in item.text.items()
                },
            )
            for item in items
        ]


#: How an article is abbreviated before its number, per language of the files.
ARTICLE_WORD = {"en": "Art.", "fr": "Art."}


class Institutions(GeneratedChoices):
    """The institutions that contributed (the questionnaire file's ``institutions`` list)."""

    type_name: ClassVar[str] = "institutions"
    title: ClassVar[Any] = _l("Contributing institutions")
    type: Literal["institutions"]

    def options_from(self, questionnaire: Any, frameworks: Mapping[str, Any]) -> list[Choice]:
        if len(questionnaire.institutions) < 2:
            raise ValueError("the questionnaire lists no institutions to choose from")
        return [
            Choice(value=item.id, label=dict(item.label)) for item in questionnaire.institutions
        ]


class ShortText(QuestionBase):
    type_name: ClassVar[str] = "short_text"
    title: ClassVar[Any] = _l("Short text")
    type: Literal["short_text"]
    validation: TextValidation = TextValidation()

    @property
    def maximum(self) -> int:
        return min(self.validation.max or SHORT_TEXT_MAX, SHORT_TEXT_MAX)

    def normalise(self, value: Any) -> str | None:
        text = _text(value, self.maximum, self.validation.pattern)
        if text is not None and "\n" in text:
            raise AnswerError(_l("Use a single line."))
        return text

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        schema = _text_schema(self.maximum, line=True)
        if self.validation.pattern:  # the whole text matches it (``re.fullmatch``)
            flags = re.match(r"\(\?[aiLmsux]+\)", self.validation.pattern)
            lead = flags.group() if flags else ""
            end = "\n" if "x" in lead else ""  # a verbose pattern may end in a comment
            body = self.validation.pattern[len(lead) :]
            schema["allOf"] = [{"pattern": f"{lead}^(?:{body}{end})$"}]
        return schema


class LongText(QuestionBase):
    type_name: ClassVar[str] = "long_text"
    title: ClassVar[Any] = _l("Long text")
    macro: ClassVar[str] = "text_block"
    type: Literal["long_text"]
    validation: TextValidation = TextValidation()

    def _html(self, value: Any, context: ShowContext) -> Markup:
        return Markup('<p class="answer answer-long mb-0">{}</p>').format(value)

    @property
    def maximum(self) -> int:
        return min(self.validation.max or LONG_TEXT_MAX, LONG_TEXT_MAX)

    def normalise(self, value: Any) -> str | None:
        return _text(value, self.maximum)

    def value_schema(self) -> dict[str, Any]:
        return _nullable(_text_schema(self.maximum))


def _number(value: Any, integer: bool, path: str = "") -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise AnswerError(_l("Enter a number."), path)
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise AnswerError(
            _l("Enter a whole number.") if integer else _l("Enter a number."), path
        ) from None
    if not number.is_finite():
        raise AnswerError(_l("Enter a number."), path)
    if integer and number != number.to_integral_value():
        raise AnswerError(_l("Enter a whole number."), path)
    return number


class NumberQuestion(QuestionBase):
    comparable_kind: ClassVar[str] = "number"
    macro: ClassVar[str] = "number"
    validation: RangeValidation = RangeValidation()

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        low = self.validation.min if self.validation.min is not None else Decimal(2023)
        return self.normalise(low + variant)

    def _range(self, number: Decimal, path: str = "") -> None:
        low, high = self.validation.min, self.validation.max
        if low is not None and number < low:
            raise AnswerError(_l("Enter %(number)s or more.", number=_plain(low)), path)
        if high is not None and number > high:
            raise AnswerError(_l("Enter %(number)s or less.", number=_plain(high)), path)

    def _bounds(self) -> tuple[Decimal, Decimal]:
        """Return the bounds of an accepted number (``normalise`` refuses beyond 10**15)."""
        low, high = self.validation.min, self.validation.max
        low = -_NUMBER_LIMIT if low is None else max(low, -_NUMBER_LIMIT)
        high = _NUMBER_LIMIT if high is None else min(high, _NUMBER_LIMIT)
        return low, high


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


#: The largest magnitude of a number ``normalise`` accepts.
_NUMBER_LIMIT = Decimal(10**15)
#: Further fraction digits, if any, the last of them not 0.
_TAIL = "(?:[0-9]*[1-9])?"


def _split(number: Decimal) -> tuple[int, str]:
    """Return the whole part and the fraction's digits (no trailing 0) of a number >= 0."""
    whole, _dot, fraction = format(number, "f").partition(".")
    return int(whole), fraction.rstrip("0")


def _fraction_at_least(low: str) -> list[str]:
    """Return patterns of the fraction digits ``f`` (not empty, last not 0), 0.f >= 0.low."""
    options = [low[:i] + _digit_range(int(d) + 1, 9) + _TAIL for i, d in enumerate(low) if d != "9"]
    return [*options, low + _TAIL]


def _fraction_at_most(high: str) -> list[str]:
    """Return patterns of the fraction digits ``f`` (not empty, last not 0), 0.f <= 0.high."""
    options = []
    for i, d in enumerate(high):
        if i and high[i - 1] != "0":
            options.append(high[:i])
        if d >= "1":
            options.append(f"{high[:i]}0[0-9]*[1-9]")
        if d >= "2":
            options.append(high[:i] + _digit_range(1, int(d) - 1) + _TAIL)
    return [*options, high] if high else options


def _fraction_between(low: str, high: str) -> tuple[list[str], bool]:
    """Return patterns of the fraction digits from 0.low to 0.high, and whether none may be."""
    if not low:
        return _fraction_at_most(high), True
    if low == high:
        return [low], False
    i = next((i for i, (a, b) in enumerate(zip(low, high, strict=False)) if a != b), len(low))
    head = low[:i]
    if i == len(low):  # high continues low
        return [head, *(head + option for option in _fraction_at_most(high[i:]))], False
    options = [low[: i + 1] + option for option in _fraction_at_least(low[i + 1 :])]
    if not low[i + 1 :]:
        options = [low[: i + 1] + _TAIL]
    if int(high[i]) - int(low[i]) > 1:
        options.append(head + _digit_range(int(low[i]) + 1, int(high[i]) - 1) + _TAIL)
    options += [high[: i + 1] + option for option in ["", *_fraction_at_most(high[i + 1 :])]]
    return options, False


def _whole_between(low: int, high: int) -> list[str]:
    """Return patterns of the whole numbers from ``low`` to ``high`` (>= 0), without leading 0."""
    options, full = [], []  # full: the lengths (> 1) of which every number is in
    for length in range(len(str(low)), len(str(high)) + 1):
        first, last = max(low, 10 ** (length - 1) if length > 1 else 0), min(high, 10**length - 1)
        if length > 1 and (first, last) == (10 ** (length - 1), 10**length - 1):
            full.append(length - 1)
        elif first <= last:
            options.append(_digits_between(str(first), str(last)))
    if full:
        count = str(full[0]) if len(full) == 1 else f"{full[0]},{full[-1]}"
        options.append(f"[1-9][0-9]{{{count}}}")
    return options


def _unsigned_between(low: Decimal, high: Decimal) -> list[str]:
    """Return patterns of the texts ``_plain`` gives of the numbers from ``low`` to ``high``."""

    def number(whole: str, fraction: tuple[list[str], bool]) -> str:
        options, optional = fraction
        if not options:
            return whole
        dotted = rf"\.{_alternatives(options)}"
        return whole + (f"(?:{dotted})?" if optional else dotted)

    (low_whole, low_fraction), (high_whole, high_fraction) = _split(low), _split(high)
    if low_whole == high_whole:
        return [number(str(low_whole), _fraction_between(low_fraction, high_fraction))]
    anything = (["[0-9]*[1-9]"], True)
    first = (_fraction_at_least(low_fraction), False) if low_fraction else anything
    options = [number(str(low_whole), first)]
    middle = _whole_between(low_whole + 1, high_whole - 1)
    if middle:
        options.append(number(_alternatives(middle), anything))
    options.append(number(str(high_whole), (_fraction_at_most(high_fraction), True)))
    return options


def _decimal_pattern(low: Decimal, high: Decimal) -> str:
    """Return a pattern of the texts ``_plain`` gives of the numbers from ``low`` to ``high``."""
    options = []
    if high >= max(low, 0):
        options += _unsigned_between(max(low, Decimal(0)), high)
    if low <= min(high, 0):  # "-0" is what "-0.0" is stored as
        options += ["-" + option for option in _unsigned_between(max(-high, Decimal(0)), -low)]
    return f"^{_alternatives(options)}$" if options else "^(?!)"


class Integer(NumberQuestion):
    type_name: ClassVar[str] = "integer"
    title: ClassVar[Any] = _l("Whole number")
    inputmode: ClassVar[str] = "numeric"
    type: Literal["integer"]

    def normalise(self, value: Any) -> int | None:
        number = _number(value, integer=True)
        if number is None:
            return None
        self._range(number)
        if abs(number) > 10**15:
            raise AnswerError(_l("The number is too large."))
        return int(number)

    def comparable(self, value: Any) -> Any:
        return None if value is None else Decimal(value)

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        low, high = self._bounds()
        return {
            "type": "integer",
            "minimum": int(low.to_integral_value(rounding="ROUND_CEILING")),
            "maximum": int(high.to_integral_value(rounding="ROUND_FLOOR")),
        }


class DecimalQuestion(NumberQuestion):
    """A decimal number, stored as its exact text (``"12.5"``) so that no rounding creeps in."""

    type_name: ClassVar[str] = "decimal"
    title: ClassVar[Any] = _l("Decimal number")
    inputmode: ClassVar[str] = "decimal"
    type: Literal["decimal"]

    def normalise(self, value: Any) -> str | None:
        number = _number(value, integer=False)
        if number is None:
            return None
        self._range(number)
        if abs(number) > 10**15:
            raise AnswerError(_l("The number is too large."))
        return _plain(number)

    def comparable(self, value: Any) -> Any:
        return None if value is None else Decimal(value)

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        low, high = self._bounds()
        return {
            "type": "string",
            "pattern": _decimal_pattern(low, high),
            "description": (
                f"a number from {_plain(low)} to {_plain(high)} written as text without "
                "exponent, leading zeros or trailing fraction zeros; numbers are accepted on input"
            ),
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
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
                raise AnswerError(
                    _l(
                        "%(date)s does not exist: check the day and the month.",
                        date=value.strip(),
                    ),
                    path,
                ) from None
    raise AnswerError(_l("Enter a date as YYYY-MM-DD."), path)


#: The days of each month, 29 February apart.
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: The last two digits of the years of a century that are divisible by 4.
_BY_FOUR = "(?:0[48]|[2468][048]|[13579][26])"


def _month_days(first: tuple[int, int], last: tuple[int, int]) -> str | None:
    """Return a pattern of ``MM-DD`` from ``first`` to ``last`` (month, day), 29 February apart."""
    months_by_days: dict[str, list[str]] = {}
    for month in range(first[0], last[0] + 1):
        low = first[1] if month == first[0] else 1
        high = min(last[1] if month == last[0] else 31, _MONTH_DAYS[month - 1])
        if low <= high:
            days = _digits_between(f"{low:02}", f"{high:02}")
            months_by_days.setdefault(days, []).append(f"{month:02}")
    options = [f"{_alternatives(months)}-{days}" for days, months in months_by_days.items()]
    return _alternatives(options) if options else None


def _leap_years(first: int, last: int) -> list[str]:
    """Return patterns of the leap years from ``first`` to ``last`` (within 1 to 9999)."""
    full = [
        century
        for century in range(first // 100, last // 100 + 1)
        if first <= max(century * 100, 1) and century * 100 + 99 <= last
    ]
    options, spans = [], [(first, last)]
    if full:
        options.append(_digits_between(f"{full[0]:02}", f"{full[-1]:02}") + _BY_FOUR)
        centuries = [f"{century:02}" for century in full if century % 4 == 0 and century]
        if len(centuries) == 24:
            options.append(f"{_BY_FOUR}00")
        elif centuries:
            options.append(f"{_alternatives(centuries)}00")
        spans = [(first, full[0] * 100 - 1), (full[-1] * 100 + 100, last)]
    for low, high in spans:  # the years of centuries only partly in range, at most 2 * 25
        options += [
            f"{year:04}"
            for year in range(low, high + 1)
            if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        ]
    return options


def _date_pattern(low: date | None, high: date | None) -> str:
    """Return a pattern of the ISO dates (real ones only) from ``low`` to ``high``."""
    low, high = low or date.min, high or date.max
    if low > high:
        return "^(?!)"
    start, end = (low.month, low.day), (high.month, high.day)
    spans = [(f"{low.year:04}", start, end)]  # years, first (month, day), last (month, day)
    if low.year < high.year:
        first, last = low.year + (start != (1, 1)), high.year - (end != (12, 31))
        spans = [] if start == (1, 1) else [(f"{low.year:04}", start, (12, 31))]
        if first <= last:
            spans.append((_digits_between(f"{first:04}", f"{last:04}"), (1, 1), (12, 31)))
        if end != (12, 31):
            spans.append((f"{high.year:04}", (1, 1), end))
    options = [
        f"{years}-{days}" for years, first, last in spans if (days := _month_days(first, last))
    ]
    leap = _leap_years(low.year + (start > (2, 29)), high.year - (end < (2, 29)))
    if leap:
        options.append(f"{_alternatives(leap)}-02-29")
    return f"^{_alternatives(options)}$" if options else "^(?!)"


def _date_schema(low: date | None = None, high: date | None = None) -> dict[str, Any]:
    limits = f" from {low.isoformat()}" if low else ""
    limits += f" until {high.isoformat()}" if high else ""
    return {
        "type": "string",
        "format": "date",
        "pattern": _date_pattern(low, high),
        "description": f"a date written YYYY-MM-DD{limits}",
    }


class DateQuestion(QuestionBase):
    type_name: ClassVar[str] = "date"
    title: ClassVar[Any] = _l("Date")
    comparable_kind: ClassVar[str] = "date"
    macro: ClassVar[str] = "number"
    html_input: ClassVar[str] = "date"
    type: Literal["date"]
    validation: DateValidation = DateValidation()

    def _text(self, value: Any, context: ShowContext) -> str:
        return _long_date(value)

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        if self.validation.min:
            return self.normalise(date.fromordinal(self.validation.min.toordinal() + variant))
        return self.normalise(date(2024, 1, 15 + variant))

    def normalise(self, value: Any) -> str | None:
        day = _date(value)
        if day is None:
            return None
        if self.validation.min and day < self.validation.min:
            raise AnswerError(_l("Enter %(date)s or later.", date=self.validation.min.isoformat()))
        if self.validation.max and day > self.validation.max:
            raise AnswerError(
                _l("Enter %(date)s or earlier.", date=self.validation.max.isoformat())
            )
        return day.isoformat()

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        return _date_schema(self.validation.min, self.validation.max)


URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


#: The most instruments one citation holds.
MAX_INSTRUMENTS = 10


def _instruments(value: Any) -> list[Any]:
    """Return the instruments of a citation: a list, or the single citation stored before
    citations held several (answers not yet migrated, a page or workbook of that time)."""
    if value is None:
        return []
    return [value] if isinstance(value, dict) else list(value)


def _filled(item: Any) -> bool:
    """Return whether an instrument as given (stored or posted) has anything in it."""
    return isinstance(item, dict) and any(
        item_value is not None and str(item_value).strip() for item_value in item.values()
    )


@dataclass(frozen=True)
class InstrumentRow:
    """One instrument of a citation as the form shows it."""

    index: int
    fields: Mapping[str, Any]
    legend: str
    #: The field the error is about, when the error is about this instrument.
    invalid: str | None = None


class LegalCitation(QuestionBase):
    """The instruments that provide for something — an offence is often split between a
    criminal code and a special law — each with its name, article or section, legislative stage,
    date of entry into force and link.

    The value is a list of one to ``MAX_INSTRUMENTS`` instruments. A single instrument (the value
    before citations held several) is accepted and stored as a list of one.
    """

    type_name: ClassVar[str] = "legal_citation"
    title: ClassVar[Any] = _l("Legal citation")
    comparable_kind: ClassVar[str] = "choice"
    macro: ClassVar[str] = "citation"
    records_stage: ClassVar[bool] = True
    type: Literal["legal_citation"]
    FIELDS: ClassVar[tuple[str, ...]] = ("instrument", "article", "in_force_date", "stage", "link")

    @staticmethod
    def stages() -> list[tuple[str, str]]:
        """Return (value, label) of the legislative stages in the current language."""
        text = words()
        return [(stage, text[f"stage_{stage}"]) for stage in STAGES]

    # --- The value -------------------------------------------------------------------------

    def normalise(self, value: Any) -> list[dict[str, str]] | None:
        if value is None:
            return None
        if isinstance(value, dict):  # one instrument, as before: its errors keep their paths
            item = self._instrument(value, "")
            return None if item is None else [item]
        if not isinstance(value, list):
            raise AnswerError(_l("Give the citation as a list of instruments."))
        items = []
        for index, raw in enumerate(value):
            try:
                if not isinstance(raw, dict):
                    raise AnswerError(_l("Give the instrument's fields."), str(index))
                item = self._instrument(raw, f"{index}.")
            except AnswerError as error:
                raise AnswerError(
                    _l("Instrument %(num)d: %(problem)s", num=index + 1, problem=error.message),
                    error.path,
                ) from None
            if item is not None:
                items.append(item)  # an instrument left empty is no instrument
        if len(items) > MAX_INSTRUMENTS:
            raise AnswerError(_l("Cite at most %(num)d instruments.", num=MAX_INSTRUMENTS))
        return items or None

    def _instrument(self, value: dict, prefix: str) -> dict[str, str] | None:
        """Return one instrument as stored, or None when it is empty; paths start ``prefix``."""
        unknown = set(value) - set(self.FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise AnswerError(_l("Unknown field “%(name)s”.", name=field), prefix + field)
        result = {
            "instrument": _text(value.get("instrument"), 300, path=prefix + "instrument"),
            "article": _text(value.get("article"), 100, path=prefix + "article"),
            "link": _text(value.get("link"), 2000, path=prefix + "link"),
        }
        in_force = _date(value.get("in_force_date"), prefix + "in_force_date")
        stage = value.get("stage") or None
        if stage is None:
            if any(result.values()) or in_force:
                raise AnswerError(_l("Choose the legislative stage."), prefix + "stage")
            return None
        if stage not in STAGES:
            raise AnswerError(
                _l("Choose the legislative stage: none, draft, tabled, adopted or in force."),
                prefix + "stage",
            )
        if stage != "none" and not result["instrument"]:
            raise AnswerError(_l("Name the law or instrument."), prefix + "instrument")
        if stage == "in_force" and not in_force:
            raise AnswerError(_l("Give the date of entry into force."), prefix + "in_force_date")
        if result["link"] and not URL_PATTERN.match(result["link"]):
            raise AnswerError(
                _l("Give a web address starting with http:// or https://."), prefix + "link"
            )
        result["in_force_date"] = in_force.isoformat() if in_force else None
        result["stage"] = stage
        return {key: result[key] for key in self.FIELDS if result[key] is not None}

    def comparable(self, value: Any) -> Any:
        # The stage the law has reached is that of its weakest instrument: an offence split
        # between a code in force and a bill is not yet in force.
        stages = [item["stage"] for item in _instruments(value)]
        return min(stages, key=STAGES.index) if stages else None

    def legislative_stage(self, value: Any) -> str | None:
        return self.comparable(value)

    def choice_values(self) -> tuple[str, ...]:
        return STAGES

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": self._instrument_schema(),
            "minItems": 1,  # no instrument is no answer: null
            "maxItems": MAX_INSTRUMENTS,
            "description": (
                "the instruments that provide for it; a single instrument object is accepted "
                "on input and stored as a list of one"
            ),
        }

    @staticmethod
    def _instrument_schema() -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "instrument": _text_schema(300),
                "article": _text_schema(100),
                "in_force_date": _date_schema(),
                "stage": {"enum": list(STAGES)},
                "link": {**_text_schema(2000), "pattern": _LINK},
            },
            "required": ["stage"],
            "additionalProperties": False,
            "allOf": [
                {
                    "if": {"properties": {"stage": {"enum": [s for s in STAGES if s != "none"]}}},
                    "then": {"required": ["instrument"]},
                },
                {
                    "if": {"properties": {"stage": {"const": "in_force"}}},
                    "then": {"required": ["in_force_date"]},
                },
            ],
            "description": (
                "every stage but none names the instrument; in_force gives the date of entry "
                "into force; the link is a web address starting with http:// or https://"
            ),
        }

    # --- Forms ---------------------------------------------------------------------------------

    def from_form(self, form: Any) -> Any:
        # Inputs ``<qid>[<index>][<field>]``; ``<qid>[<field>]`` from a page opened before
        # citations held several instruments still saves (its one instrument), never clears.
        single = _fields_from_form(self.id, self.FIELDS, form)
        if single is not None:
            return single
        items: dict[int, dict[str, str]] = {}
        prefix = f"{self.id}["
        for key, item in form.items(multi=True):
            if not key.startswith(prefix) or not key.endswith("]"):
                continue
            index, _sep, name = key[len(prefix) : -1].partition("][")
            if ROW_INDEX.fullmatch(index) and name in self.FIELDS:
                items.setdefault(int(index), {})[name] = item
        return [items[index] for index in sorted(items)]

    def form_rows(self, value: Any, error: Any = None) -> list[InstrumentRow]:
        """Return the instruments the form shows: each one given (stored, or as posted when the
        form comes back with an error), then an empty one for another, up to the maximum.

        :param error: the value's error, if any: its ``path`` (``1.in_force_date``, or
            ``in_force_date`` for a single instrument) marks the field at fault.
        """
        items = [dict(item) if isinstance(item, dict) else {} for item in _instruments(value)]
        if not items or (_filled(items[-1]) and len(items) < MAX_INSTRUMENTS):
            items.append({})
        last = len(items) - 1
        path = str(getattr(error, "path", "") or "")
        where, _sep, name = path.rpartition(".")
        at_fault = int(where) if ROW_INDEX.fullmatch(where) else 0 if not where else None
        return [
            InstrumentRow(
                index,
                item,
                self.instrument_legend(index, spare=0 < index == last and not _filled(item)),
                name if index == at_fault and name in self.FIELDS else None,
            )
            for index, item in enumerate(items)
        ]

    @staticmethod
    def instrument_legend(index: int, *, spare: bool = False) -> str:
        """Return the title of the ``index``-th instrument (0-based) in the form and workbook."""
        if spare:
            return _("Another instrument (optional)")
        return _("Instrument %(num)d", num=index + 1)

    # --- Display -------------------------------------------------------------------------------

    def _text(self, value: Any, context: ShowContext) -> str:
        return "; ".join(self._instrument_text(item) for item in _instruments(value))

    @staticmethod
    def _instrument_text(item: Mapping[str, Any]) -> str:
        text = words()
        parts = [part for part in (item.get("instrument"), item.get("article")) if part]
        line = ", ".join(parts)
        stage = text[f"stage_{item['stage']}"]
        if item.get("in_force_date"):
            since = _("in force since %(date)s", date=_long_date(item["in_force_date"]))
            line = f"{line} — {since}" if line else since
        elif item["stage"] != "in_force" or not line:
            line = f"{line} — {stage}" if line else stage
        if item.get("link"):
            line = f"{line} ({item['link']})"
        return line

    def _html(self, value: Any, context: ShowContext) -> Markup:
        items = [self._instrument_html(item) for item in _instruments(value)]
        if len(items) == 1:
            return _line(items[0])
        return _items(items)

    @staticmethod
    def _instrument_html(item: Mapping[str, Any]) -> Markup:
        text = words()
        parts = [part for part in (item.get("instrument"), item.get("article")) if part]
        html = Markup("")
        if parts:
            html += Markup("<strong>{}</strong>").format(", ".join(parts))
        if item.get("in_force_date"):
            since = _("in force since %(date)s", date=_long_date(item["in_force_date"]))
            html += Markup(" — {}").format(since) if parts else escape(since)
        else:
            stage = text[f"stage_{item['stage']}"]
            html += Markup(" — {}").format(stage) if parts else escape(stage)
        if item.get("link"):
            html += Markup(' <a href="{}" rel="noopener noreferrer">{}</a>').format(
                item["link"], text["link"]
            )
        return html

    # --- Workbook ------------------------------------------------------------------------------
    # Rows ``<index>.<field>`` for every instrument given and an empty one for another (at least
    # two, since a workbook filled offline cannot ask for more): no instrument is ever left out,
    # so a workbook sent back unchanged keeps them all.

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        items, text, stages = _instruments(value), words(), dict(self.stages())
        count = min(MAX_INSTRUMENTS, max(len(items) + 1, 2))
        cells = []
        for index in range(count):
            item = items[index] if index < len(items) else {}
            legend = self.instrument_legend(index, spare=index > 0 and index >= len(items))
            first = f"{localized(self.label)} — {legend}" if index == 0 else legend
            cells += [
                Cell(
                    f"{index}.stage",
                    f"{first} — {text['stage']}",
                    stages.get(item.get("stage")),
                    tuple(stages.values()),
                ),
                Cell(
                    f"{index}.instrument",
                    f"{legend} — {text['instrument']}",
                    item.get("instrument"),
                ),
                Cell(f"{index}.article", f"{legend} — {text['article']}", item.get("article")),
                Cell(
                    f"{index}.in_force_date",
                    f"{legend} — {text['in_force_since_cell']}",
                    item.get("in_force_date"),
                ),
                Cell(f"{index}.link", f"{legend} — {text['link']}", item.get("link")),
            ]
        return cells

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        stages = dict(self.stages())
        if any(name in cells for name in self.FIELDS):  # a workbook of one instrument, as before
            value = {name: cells.get(name) for name in self.FIELDS}
            value["stage"] = label_to_value(stages, value["stage"])
            return value if any(value.values()) else None
        groups: dict[int, dict[str, Any]] = {}
        for key, cell_value in cells.items():
            index, _sep, name = str(key).partition(".")
            if ROW_INDEX.fullmatch(index) and name in self.FIELDS:
                groups.setdefault(int(index), {})[name] = (
                    label_to_value(stages, cell_value) if name == "stage" else cell_value
                )
        if not any(_filled(item) for item in groups.values()):
            return None
        # By index, gaps kept, so that an error's path names the row it is about.
        return [groups.get(index, {}) for index in range(max(groups) + 1)]

    # --- API and tests -------------------------------------------------------------------------

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        if variant == 0:
            return self.normalise(
                [
                    {
                        "stage": "in_force",
                        "instrument": "Criminal Code",
                        "in_force_date": "2015-01-01",
                    }
                ]
            )
        return self.normalise(
            [
                {
                    "stage": "in_force",
                    "instrument": "Criminal Code",
                    "article": "Art. 285",
                    "in_force_date": "2015-01-01",
                },
                {"stage": "draft", "instrument": "Cybercrime Bill"},
            ]
        )


#: ``URL_PATTERN`` on a trimmed text.
_LINK = rf"^[hH][tT][tT][pP][sS]?://[^{_WS}{_CONTROL}/$.?#][^{_WS}{_CONTROL}]*$"


PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{3,40}$"


class Contact(QuestionBase):
    """A contact record: unit, phone, e-mail, secure channel, languages, availability."""

    type_name: ClassVar[str] = "contact"
    title: ClassVar[Any] = _l("Contact record")
    macro: ClassVar[str] = "contact"
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
            raise AnswerError(_l("Give the contact's fields."))
        unknown = set(value) - set(self.FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise AnswerError(_l("Unknown field “%(name)s”.", name=field), field)
        result = {field: _text(value.get(field), 300, path=field) for field in self.FIELDS}
        if not any(result.values()):
            return None
        if not result["unit"]:
            raise AnswerError(_l("Name the unit or office."), "unit")
        if result["phone"] and not re.fullmatch(PHONE_PATTERN, result["phone"]):
            raise AnswerError(
                _l("Give a phone number in international form, e.g. +33 1 23 45 67 89."), "phone"
            )
        if result["email"]:
            try:
                result["email"] = validate_email(
                    result["email"], check_deliverability=False
                ).normalized
            except EmailNotValidError:
                raise AnswerError(_l("Give a valid e-mail address."), "email") from None
        return {key: text for key, text in result.items() if text}

    @classmethod
    def field_labels(cls) -> list[tuple[str, str, str]]:
        """Return (field, label, HTML input type) of the contact's fields."""
        text = words()
        kinds = {"phone": "tel", "email": "email"}
        return [(name, text[name], kinds.get(name, "text")) for name in cls.FIELDS]

    def from_form(self, form: Any) -> Any:
        return _fields_from_form(self.id, self.FIELDS, form)

    def _text(self, value: Any, context: ShowContext) -> str:
        return "; ".join(str(item) for item in value.values())

    def _html(self, value: Any, context: ShowContext) -> Markup:
        rows = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(label, value[name])
            for name, label, _kind in self.field_labels()
            if value.get(name)
        )
        return Markup('<dl class="answer answer-fields mb-0">{}</dl>').format(rows)

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        contact, label = value or {}, localized(self.label)
        return [
            Cell(name, f"{label} — {text}", contact.get(name))
            for name, text, _kind in self.field_labels()
        ]

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        value = {name: cells.get(name) for name in self.FIELDS}
        return value if any(value.values()) else None

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        unit = "National Cybercrime Unit" if variant == 0 else "Cybercrime Prosecution Office"
        return self.normalise({"unit": unit, "phone": f"+1 555 010{variant}"})

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        properties = {field: _text_schema(300) for field in self.FIELDS}
        properties["phone"] = {"type": "string", "pattern": _PHONE}
        properties["email"] = {
            "type": "string",
            "maxLength": 254,
            "pattern": _EMAIL,
            "description": "the addresses described are those in ASCII characters",
        }
        return {
            "type": "object",
            "properties": properties,
            "required": ["unit"],
            "additionalProperties": False,
        }


#: ``PHONE_PATTERN`` on a trimmed text.
_PHONE = r"^\+?[0-9][0-9 ()./-]{2,39}[0-9()./-]$"


def _label(last: str) -> str:
    """Return a pattern of a domain label (at most 63, no "--" 3rd and 4th) ending in ``last``."""
    a, h = "[A-Za-z0-9]", "[A-Za-z0-9-]"
    longer = f"{a}{h}{a}{h}{{0,59}}{last}|{a}{h}-(?:{last}|{a}{h}{{0,58}}{last})"
    return f"(?:{last}|{a}{h}?{last}|{longer})"


def _any_case(word: str) -> str:
    return "".join(f"[{letter.lower()}{letter.upper()}]" for letter in word)


_SPECIAL_USE = "|".join(
    _any_case(name) for name in ("arpa", "invalid", "local", "localhost", "onion", "test")
)
#: The ASCII e-mail addresses ``email_validator`` accepts without checking deliverability:
#: a dot-atom local part; labels of letters, digits and inner hyphens; a top-level domain that
#: ends with a letter and is not a special-use one.
_EMAIL = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    rf"@(?:{_label('[A-Za-z0-9]')}\.)+(?!(?:{_SPECIAL_USE})$){_label('[A-Za-z]')}$"
)


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
    title: ClassVar[Any] = _l("Table")
    comparable_kind: ClassVar[str] = "rows"
    macro: ClassVar[str] = "table"
    own_sheet: ClassVar[bool] = True
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
            raise AnswerError(_l("Give the table as a list of rows."))
        limit = self.validation.max_rows or 1000
        columns = {column.id: column for column in self.columns}
        rows = []
        for index, row in enumerate(value):
            if not isinstance(row, dict):
                raise AnswerError(_l("Each row is a set of named cells."), str(index))
            unknown = set(row) - set(columns)
            if unknown:
                name = sorted(unknown)[0]
                raise AnswerError(_l("Unknown column “%(name)s”.", name=name), f"{index}.{name}")
            cells = {}
            for column_id, column in columns.items():
                try:
                    cell = column.question.normalise(row.get(column_id))
                except AnswerError as error:
                    raise AnswerError(
                        _l(
                            "Row %(row)d, %(column)s: %(problem)s",
                            row=index + 1,
                            column=localized(column.label),
                            problem=error.message,
                        ),
                        f"{index}.{column_id}",
                    ) from None
                if cell is not None:
                    cells[column_id] = cell
            if not cells:
                continue  # an empty row is no row
            for column_id, column in columns.items():
                if column.required and column_id not in cells:
                    raise AnswerError(
                        _l(
                            "Row %(row)d, %(column)s: this cell is required.",
                            row=index + 1,
                            column=localized(column.label),
                        ),
                        f"{index}.{column_id}",
                    )
            rows.append(cells)
        if len(rows) > limit:
            raise AnswerError(_l("Give at most %(num)d rows.", num=limit))
        return rows or None

    def from_form(self, form: Any) -> Any:
        rows: dict[int, dict[str, str]] = {}
        prefix = f"{self.id}["
        for key, item in form.items(multi=True):
            if not key.startswith(prefix) or not key.endswith("]"):
                continue
            row, _sep, column = key[len(prefix) : -1].partition("][")
            if ROW_INDEX.fullmatch(row) and column:
                rows.setdefault(int(row), {})[column] = item
        return [rows[index] for index in sorted(rows)]

    def _cell_text(self, column: Column, cell: Any) -> str:
        return "" if cell is None else column.question.display_text(cell)

    def _text(self, value: Any, context: ShowContext) -> str:
        return "; ".join(
            ", ".join(
                f"{localized(column.label)}: {self._cell_text(column, row[column.id])}"
                for column in self.columns
                if column.id in row
            )
            for row in value
        )

    def _html(self, value: Any, context: ShowContext) -> Markup:
        head = Markup("").join(
            Markup('<th scope="col">{}</th>').format(localized(column.label))
            for column in self.columns
        )
        body = Markup("").join(
            Markup("<tr>{}</tr>").format(
                Markup("").join(
                    Markup("<td>{}</td>").format(self._cell_text(column, row.get(column.id)))
                    for column in self.columns
                )
            )
            for row in value
        )
        return Markup(
            '<div class="table-responsive"><table class="table table-sm answer answer-table mb-0">'
            "<thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>"
        ).format(head, body)

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        # The rows are on the question's own sheet (``sheet_rows``); this row points to it.
        return [Cell("", localized(self.label), None, None, editable=False)]

    def sheet_rows(self, value: Any) -> list[list[Any]]:
        """Return the table's rows as workbook cells (labels for choices), in column order."""
        return [
            [
                column.question.to_cell(row[column.id]) if column.id in row else None
                for column in self.columns
            ]
            for row in value or []
        ]

    def from_sheet(self, ids: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[dict]:
        """Return raw rows from workbook rows whose columns are named by ``ids``."""
        columns = {column.id: column for column in self.columns}
        values = []
        for row in rows:
            cells = {}
            for position, cell_value in enumerate(row):
                column = columns.get(ids[position]) if position < len(ids) else None
                if column is not None:
                    cells[column.id] = column.question.from_cell(cell_value)
            values.append(cells)
        return values

    def describe(self, context: ShowContext = NO_CONTEXT) -> dict[str, Any]:
        return {"columns": [column.model_dump(exclude={"validation"}) for column in self.columns]}

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        row = {column.id: column.question.sample_value(variant) for column in self.columns}
        return self.normalise([row])

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    column.id: column.question._answer_schema() for column in self.columns
                },
                "required": [column.id for column in self.columns if column.required],
                "additionalProperties": False,
                "minProperties": 1,  # an empty row is no row
            },
            "minItems": 1,  # no row is no answer: null
            "maxItems": self.validation.max_rows or 1000,
        }


EVIDENCE_ID_PATTERN = r"^[0-9a-f]{32}$"
#: A table row's index in form input names (``q[12][year]``): ASCII digits, and few of them.
ROW_INDEX = re.compile(r"[0-9]{1,4}")


class Evidence(QuestionBase):
    """References to uploaded evidence files (their random ids)."""

    type_name: ClassVar[str] = "evidence"
    title: ClassVar[Any] = _l("Evidence files")
    comparable_kind: ClassVar[str] = "choices"
    macro: ClassVar[str] = "evidence"
    holds_files: ClassVar[bool] = True
    type: Literal["evidence"]

    def from_form(self, form: Any) -> Any:
        return [item for item in form.getlist(self.id) if item]

    def _name(self, public_id: str, context: ShowContext) -> str:
        file = context.files.get(public_id)
        return file.filename if file is not None else public_id

    def _text(self, value: Any, context: ShowContext) -> str:
        if context.files:
            return "; ".join(self._name(public_id, context) for public_id in value)
        return _("%(num)d file(s)", num=len(value))

    def _html(self, value: Any, context: ShowContext) -> Markup:
        items = []
        for public_id in value:
            file = context.files.get(public_id)
            if file is None:
                items.append(escape(public_id))
                continue
            size = Markup(' <span class="small text-body-secondary">({})</span>').format(
                human_size(file.size)
            )
            if context.file_url:
                link = Markup('<a href="{}">{}</a>').format(
                    context.file_url(public_id), file.filename
                )
            else:
                link = escape(file.filename)
            items.append(link + size)
        return _items(items)

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        return [Cell("", localized(self.label), words()["attach_online"], None, editable=False)]

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        raise NotImplementedError("evidence files are attached online, not in the workbook")

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        return list(files[:1]) or None

    def normalise(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AnswerError(_l("Give a list of evidence file ids."))
        for index, item in enumerate(value):
            if not re.fullmatch(EVIDENCE_ID_PATTERN, item):
                raise AnswerError(_l("Not an evidence file id."), str(index))
        if len(set(value)) != len(value):
            raise AnswerError(_l("A file is attached twice."))
        return list(value) or None

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        item = {"type": "string", "pattern": EVIDENCE_ID_PATTERN, "minLength": 32, "maxLength": 32}
        return {
            "type": "array",
            "items": item,  # the lengths keep Python's "$" from admitting a final newline
            "uniqueItems": True,
            "minItems": 1,  # no file is no answer: null
            "description": "the ids of files uploaded to this assessment",
        }


class IndicatorChecklist(QuestionBase):
    """The maturity indicators that are met, among those the question lists in ``indicators``.

    An empty list is an answer ("none of these yet"), so a required checklist can be submitted by a
    country that has nothing in place.
    """

    type_name: ClassVar[str] = "indicator_checklist"
    title: ClassVar[Any] = _l("Maturity indicator checklist")
    comparable_kind: ClassVar[str] = "choices"
    macro: ClassVar[str] = "checklist"
    type: Literal["indicator_checklist"]

    def indicator_met(self, value: Any, ref: str) -> bool:
        return ref in (value or ())

    def ticking(self, value: Any, refs: list[str]) -> Any:
        return [ref for ref in self.indicators if ref in refs]

    def from_form(self, form: Any) -> Any:
        items = [item for item in form.getlist(self.id) if item]
        if not items:
            return None  # untouched: no answer yet
        return [item for item in items if item != NONE_YET]  # only "none yet" answers []

    def _indicator(self, ref: str, context: ShowContext) -> str:
        text = context.indicators.get(ref)
        return localized(dict(text)) if text else ref

    def display_text(self, value: Any, context: ShowContext = NO_CONTEXT) -> str:
        if value == []:
            return words()["none_yet"]
        return super().display_text(value, context)

    def display_html(self, value: Any, context: ShowContext = NO_CONTEXT) -> Markup:
        if value == []:
            return _line(words()["none_yet"])
        return super().display_html(value, context)

    def _text(self, value: Any, context: ShowContext) -> str:
        return "; ".join(self._indicator(ref, context) for ref in value)

    def _html(self, value: Any, context: ShowContext) -> Markup:
        return _items(self._indicator(ref, context) for ref in value)

    def workbook_cells(self, value: Any, context: ShowContext = NO_CONTEXT) -> list[Cell]:
        chosen, label, text = value or [], localized(self.label), words()
        cells = [
            Cell(
                ref,
                f"{label} — {self._indicator(ref, context)}",
                text["yes"] if ref in chosen else None,
                (text["yes"],),
            )
            for ref in self.indicators
        ]
        cells.append(
            Cell(
                NONE_YET,
                f"{label} — {text['none_of_these_yet']}",
                text["yes"] if value == [] else None,
                (text["yes"],),
            )
        )
        return cells

    def from_workbook(self, cells: Mapping[str, Any]) -> Any:
        ticked = [ref for ref in self.indicators if cells.get(ref)]
        if ticked:
            return ticked
        return [] if cells.get(NONE_YET) else None

    def describe(self, context: ShowContext = NO_CONTEXT) -> dict[str, Any]:
        return {
            "indicators": [
                {"id": ref, "text": context.indicators.get(ref)} for ref in self.indicators
            ]
        }

    def sample_value(self, variant: int = 0, *, files: Sequence[str] = ()) -> Any:
        return [] if variant == 0 else list(self.indicators[:1])

    @model_validator(mode="after")
    def _has_items(self):
        if not self.indicators:
            raise ValueError("an indicator_checklist lists its items in indicators")
        return self

    def normalise(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AnswerError(_l("Tick the indicators that are met."))
        for index, item in enumerate(value):
            if item not in self.indicators:
                raise AnswerError(
                    _l("“%(item)s” is not an indicator of this question.", item=item), str(index)
                )
        if len(set(value)) != len(value):
            raise AnswerError(_l("An indicator is ticked twice."))
        return sorted(value, key=self.indicators.index)

    def is_answered(self, value: Any) -> bool:
        return value is not None

    def choice_values(self) -> tuple[str, ...]:
        return tuple(self.indicators)

    def value_schema(self) -> dict[str, Any]:
        return _nullable(self._answer_schema())

    def _answer_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"enum": list(self.indicators)},
            "uniqueItems": True,
            "description": "an empty list means none of these yet; stored in the listed order",
        }


#: The registry: type name -> class. Order is the order shown in documentation.
QUESTION_TYPES: dict[str, type[QuestionBase]] = {
    cls.type_name: cls
    for cls in (
        Ynpn,
        SingleChoice,
        MultipleChoice,
        Reservations,
        Institutions,
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


def _union() -> Any:
    """Return the pydantic type of "any registered question", told apart by ``type``."""
    return Annotated[Union[tuple(QUESTION_TYPES.values())], Field(discriminator="type")]  # noqa: UP007


#: Any registered question type (the files' ``questions`` items).
Question = _union()


def register(cls: type[QuestionBase]) -> type[QuestionBase]:
    """Add a question type to the registry (usable as a class decorator); files may then use it.

    The built-in types are registered above; this is for types added later (and tests).
    """
    if cls.type_name in QUESTION_TYPES and QUESTION_TYPES[cls.type_name] is not cls:
        raise ValueError(f"a question type {cls.type_name!r} is already registered")
    QUESTION_TYPES[cls.type_name] = cls
    _rebuild()
    return cls


def unregister(cls: type[QuestionBase]) -> None:
    """Remove a question type added with ``register``."""
    if QUESTION_TYPES.get(cls.type_name) is cls:
        del QUESTION_TYPES[cls.type_name]
        _rebuild()


def _rebuild() -> None:
    global Question
    Question = _union()
    from app.frameworks import schema  # the file models refer to Question by name

    schema.rebuild(Question)
