"""Each question's ``value_schema`` says exactly what the server accepts, both ways.

(a) Values generated from the schema (hypothesis-jsonschema) are accepted by ``normalise``, which
    stores a value that satisfies the schema again and that it keeps as it is.
(b) Values ``normalise`` refuses (a corpus per type, built from each question's settings) are
    refused by a draft 2020-12 validator with format assertion.

Both run over every question of the shipped questionnaire (values are generated once per distinct
schema and checked against each question that has it), and over a few made-up questions with
settings the shipped file does not use (decimal bounds, text patterns, required table cells, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker

from app.frameworks.library import read_library
from app.frameworks.types import QUESTION_TYPES, AnswerError, MultipleChoice
from tests.conftest import QUESTIONNAIRES

LABEL = {"en": "Label"}
FILE_ID = "0123456789abcdef0123456789abcdef"


def make(type_name: str, qid: str = "made.up", **settings_):
    return QUESTION_TYPES[type_name].model_validate(
        {"id": qid, "type": type_name, "label": LABEL, **settings_}
    )


CHOICES = [{"value": value, "label": LABEL} for value in ("police", "prosecution", "courts")]
MADE_UP = [
    make("decimal", "made.decimal_any"),
    make("decimal", "made.decimal_bounded", validation={"min": "-2.75", "max": "1200.05"}),
    make("decimal", "made.decimal_small", validation={"min": "0.001", "max": "0.0125"}),
    make("decimal", "made.decimal_negative", validation={"max": "-3.5"}),
    make("integer", "made.integer_any"),
    make("integer", "made.integer_fractional_bounds", validation={"min": "-0.5", "max": "7.5"}),
    make("short_text", "made.short_pattern", validation={"pattern": r"[A-Z]{3}(-[0-9]+)?"}),
    make("long_text", "made.long_short", validation={"max": 40}),
    make("date", "made.date_from", validation={"min": "2024-02-29"}),
    make("date", "made.date_until", validation={"max": "1900-03-01"}),
    make("date", "made.date_year", validation={"min": "2023-03-01", "max": "2024-02-29"}),
    make(
        "multiple_choice", "made.multiple_counted", choices=CHOICES, validation={"min": 2, "max": 2}
    ),
    make("single_choice", "made.single", choices=CHOICES),
    make(
        "table",
        "made.table",
        validation={"max_rows": 3},
        columns=[
            {
                "id": "year",
                "type": "integer",
                "label": LABEL,
                "required": True,
                "validation": {"min": 2000, "max": 2100},
            },
            {
                "id": "body",
                "type": "single_choice",
                "label": LABEL,
                "choices": CHOICES,
                "required": True,
            },
            {"id": "cost", "type": "decimal", "label": LABEL, "validation": {"min": 0}},
            {"id": "held", "type": "date", "label": LABEL, "validation": {"max": "2030-12-31"}},
            {
                "id": "code",
                "type": "short_text",
                "label": LABEL,
                "validation": {"pattern": "[a-z]+", "max": 10},
            },
        ],
    ),
    make("indicator_checklist", "made.checklist", indicators=["a.one", "a.two", "b.three"]),
]


def _shipped_questions() -> list:
    library = read_library([QUESTIONNAIRES])
    assert library.ok, [str(problem) for problem in library.problems]
    return [
        question
        for questionnaire in library.questionnaires
        for section in questionnaire.sections
        for question in section.questions
    ]


SHIPPED = _shipped_questions()
SHIPPED_IDS = {question.id for question in SHIPPED}
QUESTIONS = SHIPPED + MADE_UP


def test_the_questions_cover_every_type():
    assert len(SHIPPED) == 558
    assert {question.type_name for question in SHIPPED} == set(QUESTION_TYPES) - {"decimal"}
    assert {question.type_name for question in QUESTIONS} == set(QUESTION_TYPES)


@dataclass
class Group:
    """The questions that share one schema: its values are generated once, checked for each."""

    schema: dict
    questions: list

    @property
    def name(self) -> str:
        first = self.questions[0]
        return f"{first.type_name}:{first.id}+{len(self.questions) - 1}"


def _groups() -> list[Group]:
    groups: dict[str, Group] = {}
    for question in QUESTIONS:
        schema = question.value_schema()
        key = json.dumps(schema, sort_keys=True)
        groups.setdefault(key, Group(schema, [])).questions.append(question)
    return list(groups.values())


GROUPS = _groups()


def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda question: question.id)
def test_the_schema_is_valid_draft_2020_12_and_admits_no_answer(question):
    schema = question.value_schema()
    Draft202012Validator.check_schema(schema)
    assert validator(schema).is_valid(None)
    if question.id in SHIPPED_IDS:  # the samples do not follow every made-up setting
        for variant in (0, 1):
            sample = question.sample_value(variant, files=[FILE_ID])
            assert validator(schema).is_valid(sample), (question.id, sample)


def generating(schema):
    """Return ``schema`` without ``format`` where a ``pattern`` says all (dates).

    hypothesis-jsonschema generates such strings from the format and only filters them by the
    pattern, which rejects most of them when the pattern bounds the dates; without the format it
    generates from the pattern. The values are then checked against the full schema.
    """
    if isinstance(schema, dict):
        return {
            key: generating(value)
            for key, value in schema.items()
            if not (key == "format" and "pattern" in schema)
        }
    if isinstance(schema, list):
        return [generating(item) for item in schema]
    return schema


@pytest.mark.parametrize("group", GROUPS, ids=lambda group: group.name)
def test_values_generated_from_the_schema_are_accepted(group):
    check = validator(group.schema)

    @settings(
        max_examples=20,
        deadline=timedelta(seconds=5),  # generous: two shared cores, a busy machine
        database=None,
        derandomize=True,  # the same examples on every run and in CI
        # A text with its own pattern is generated from one pattern and filtered by the other.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(from_schema(generating(group.schema)))
    def accepted(value):
        assert check.is_valid(value), value  # what was generated satisfies the real schema
        for question in group.questions:
            stored = question.normalise(value)  # raises AnswerError if the schema lied
            assert check.is_valid(stored), (question.id, value, stored)
            assert question.normalise(stored) == stored, (question.id, value, stored)

    accepted()


def _row(question) -> dict:
    """Return a valid row of a table question."""
    if question.id == "made.table":
        return {"year": 2020, "body": "police", "cost": "1.5", "code": "abc"}
    return dict(question.sample_value(0)[0])


def _too_many(question) -> list:
    return [_row(question)] * ((question.validation.max_rows or 1000) + 1)


def refused_values(question) -> list:
    """Return values ``question.normalise`` refuses, built from the question's settings."""
    kind = question.type_name
    if kind == "ynpn":
        return [
            {"answer": "maybe"},
            {"answer": "na"},
            {"answer": "na", "reference": "   "},
            {"answer": "yes", "extra": 1},
            {"answer": "partly", "reference": "x" * 501},
            {"reference": "Art. 6"},
            {"answer": True},
            3,
        ]
    if kind == "single_choice":
        return ["not_an_option", "POLICE", 3, [question.choices[0].value]]
    if isinstance(question, MultipleChoice):  # and the kinds whose options the library fills
        first = question.choices[0].value
        values = [["not_an_option"], [first, first], {"a": 1}, [3]]
        low, high = question.validation.min, question.validation.max
        if low and low > 1:
            values.append([choice.value for choice in question.choices[: low - 1]])
        if high and high < len(question.choices):
            values.append([choice.value for choice in question.choices[: high + 1]])
        return values
    if kind in ("short_text", "long_text"):
        values = ["x" * (question.maximum + 1), ["a list"], {"text": "x"}, True]
        if kind == "short_text":
            values.append("two\nlines")
            values.append("first\r\nsecond")
        if getattr(question.validation, "pattern", None):
            values.append("abc-12 not the form")
        return values
    if kind == "integer":
        low, high = question.validation.min, question.validation.max
        values = [4.5, True, "twelve", 10**15 + 1, -(10**15) - 1, [1]]
        if low is not None:
            values.append(int(low) - 1)
        if high is not None:
            values.append(int(high) + 1)
        return values
    if kind == "decimal":
        low, high = question.validation.min, question.validation.max
        values = ["1,5", "abc", "1e30", "NaN", "Infinity", True, "1000000000000000.5", [1]]
        if low is not None:
            values.append(format(low - Decimal("0.0001"), "f"))
        if high is not None:
            values.append(format(high + Decimal("0.0001"), "f"))
        return values
    if kind == "date":
        low, high = question.validation.min, question.validation.max
        values = ["2023-02-29", "1900-02-29", "01/02/2024", "2024-13-01", "2024-04-31", "2024-1-5",
                  "0000-01-01", 20240101, "2024-01-01T00:00:00"]  # fmt: skip
        if low is not None:
            values.append((low - timedelta(days=1)).isoformat())
        if high is not None and high < date.max:
            values.append((high + timedelta(days=1)).isoformat())
        return values
    if kind == "legal_citation":
        return [
            {"stage": "in_force"},
            {"stage": "draft"},
            {"stage": "tabled", "instrument": "   "},
            {"stage": "in_force", "instrument": "Criminal Code"},
            {"stage": "in_force", "instrument": "Criminal Code", "in_force_date": "2023-02-29"},
            {"instrument": "Criminal Code"},
            {"stage": "enacted", "instrument": "Criminal Code"},
            {"stage": "adopted", "instrument": "Code", "link": "javascript:alert(1)"},
            {"stage": "adopted", "instrument": "Code", "link": "https://exa mple.org"},
            {"stage": "draft", "instrument": "x" * 301},
            {"stage": "draft", "instrument": "Code", "article": "x" * 101},
            {"stage": "none", "year": 2020},
            "Criminal Code",
            # The stored form: a list of instruments.
            [{"stage": "in_force"}],
            [{"stage": "none"}, {"stage": "draft"}],
            [{"stage": "none"}, {"stage": "in_force", "instrument": "Law"}],
            [{"stage": "in_force", "instrument": "Code", "in_force_date": "2023-02-29"}],
            [{"stage": "adopted", "instrument": "Code", "link": "javascript:alert(1)"}],
            [{"stage": "none", "year": 2020}],
            [{"stage": "none"}] * 11,
            [{"stage": "none"}, "Criminal Code"],
            [[{"stage": "none"}]],
        ]
    if kind == "contact":
        return [
            {"phone": "+1 555 0100"},
            {"unit": "   ", "email": "poc@example.org"},
            {"unit": "Unit", "phone": "call me"},
            {"unit": "Unit", "phone": "+1"},
            {"unit": "Unit", "phone": "+1 " + "5" * 41},
            {"unit": "Unit", "email": "not-an-email"},
            {"unit": "Unit", "email": "poc@localhost"},
            {"unit": "Unit", "email": "poc@example.test"},
            {"unit": "Unit", "email": "poc@ex--ample.org"},
            {"unit": "Unit", "email": "poc..unit@example.org"},
            {"unit": "Unit", "email": "poc@example.123"},
            {"unit": "x" * 301},
            {"unit": "Unit", "fax": "+1 555 0100"},
            "National Cybercrime Unit",
        ]
    if kind == "table":
        columns = {column.id: column for column in question.columns}
        values = ["not rows", [["a list"]], [{"no_such_column": 1}], _too_many(question)]
        for column in question.columns:
            bad = {"integer": "many", "decimal": "1,5", "date": "2023-02-29",
                   "single_choice": "not_an_option", "short_text": "x" * 501}[column.type]  # fmt: skip
            values.append([{column.id: bad}])
        required = [column_id for column_id, column in columns.items() if column.required]
        for column_id in required:
            row = _row(question)
            del row[column_id]
            values.append([row])
        return values
    if kind == "evidence":
        return [["../../etc/passwd"], [FILE_ID.upper()], [FILE_ID, FILE_ID], [FILE_ID + "\n"],
                FILE_ID, [3]]  # fmt: skip
    if kind == "indicator_checklist":
        first = question.indicators[0]
        return [["not.an_indicator"], [first, first], first, [3]]
    raise AssertionError(f"no refused values for {kind}")


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda question: question.id)
def test_values_the_server_refuses_are_refused_by_the_schema(question):
    check = validator(question.value_schema())
    for value in refused_values(question):
        with pytest.raises(AnswerError):
            question.normalise(value)
        assert not check.is_valid(value), (question.id, value)


#: The cases the task named, on the shipped questions that have them.
NAMED = [
    ("legal_citation", {"stage": "in_force"}),
    ("legal_citation", [{"stage": "none"}, {"stage": "in_force", "instrument": "Criminal Code"}]),
    ("ynpn", {"answer": "na"}),
    ("contact", {"unit": "Unit", "phone": "call me"}),
    ("contact", {"unit": "Unit", "email": "not-an-email"}),
]


@pytest.mark.parametrize(("kind", "value"), NAMED)
def test_the_named_cases_are_refused_by_every_shipped_question(kind, value):
    questions = [question for question in SHIPPED if question.type_name == kind]
    assert questions
    for question in questions:
        assert not validator(question.value_schema()).is_valid(value), question.id


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    low=st.none() | st.decimals(-(10**6), 10**6, places=3),
    high=st.none() | st.decimals(-(10**6), 10**6, places=3),
    number=st.decimals(-(10**6), 10**6, places=4) | st.integers(-(10**16), 10**16).map(Decimal),
)
def test_decimal_bounds_in_the_pattern_agree_with_the_server(low, high, number):
    if low is not None and high is not None and low > high:
        low, high = high, low
    question = make("decimal", validation={"min": low, "max": high})
    canonical = format(number.normalize(), "f")
    accepted = _accepted(question, canonical)
    assert validator(question.value_schema()).is_valid(canonical) == accepted


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    low=st.none() | st.dates(),
    high=st.none() | st.dates(),
    day=st.dates(),
)
def test_date_bounds_in_the_pattern_agree_with_the_server(low, high, day):
    if low is not None and high is not None and low > high:
        low, high = high, low
    question = make("date", validation={"min": low, "max": high})
    accepted = _accepted(question, day.isoformat())
    assert validator(question.value_schema()).is_valid(day.isoformat()) == accepted


def _accepted(question, value) -> bool:
    try:
        question.normalise(value)
    except AnswerError:
        return False
    return True
