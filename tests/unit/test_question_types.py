"""Every question type: valid, invalid and edge values, and the JSON Schema of its value."""

from decimal import Decimal

import jsonschema
import pytest

from app.frameworks.types import QUESTION_TYPES, AnswerError

LABEL = {"en": "Label"}


def make(type_name: str, **settings):
    return QUESTION_TYPES[type_name].model_validate(
        {"id": "q.x", "type": type_name, "label": LABEL, **settings}
    )


CHOICES = [{"value": "police", "label": LABEL}, {"value": "prosecution", "label": LABEL}]
COLUMNS = [
    {"id": "year", "type": "integer", "label": LABEL, "required": True,
     "validation": {"min": 2000, "max": 2100}},
    {"id": "audience", "type": "single_choice", "label": LABEL, "choices": CHOICES},
    {"id": "women", "type": "integer", "label": LABEL, "validation": {"min": 0}},
]  # fmt: skip

# (type, settings, input, stored value)
VALID = [
    ("ynpn", {}, "yes", {"answer": "yes"}),
    ("ynpn", {}, {"answer": "partly", "reference": " s. 4 "}, {"answer": "partly", "reference": "s. 4"}),
    ("ynpn", {}, {"answer": "na", "reference": "Reservation under Art. 6(3)"},
     {"answer": "na", "reference": "Reservation under Art. 6(3)"}),
    ("ynpn", {}, None, None),
    ("ynpn", {}, {"answer": ""}, None),
    ("single_choice", {"choices": CHOICES}, "police", "police"),
    ("single_choice", {"choices": CHOICES}, "", None),
    ("multiple_choice", {"choices": CHOICES}, ["prosecution", "police"], ["police", "prosecution"]),
    ("multiple_choice", {"choices": CHOICES}, [], None),
    ("reservations", {"framework": "budapest", "choices": CHOICES}, ["prosecution", "police"],
     ["police", "prosecution"]),
    ("institutions", {"choices": CHOICES}, ["police"], ["police"]),
    ("short_text", {}, "  Cyber unit  ", "Cyber unit"),
    ("short_text", {"validation": {"pattern": r"[A-Z]{3}"}}, "ABC", "ABC"),
    ("short_text", {}, "x" * 500, "x" * 500),
    ("long_text", {}, "line one\r\nline two", "line one\nline two"),
    ("long_text", {}, "   ", None),
    ("integer", {"validation": {"min": 0, "max": 100}}, "42", 42),
    ("integer", {}, 7.0, 7),
    ("integer", {}, "1 000", 1000),
    ("integer", {"validation": {"min": 0}}, 0, 0),
    ("decimal", {}, "12.50", "12.5"),
    ("decimal", {}, 0.1, "0.1"),
    ("decimal", {"validation": {"max": 10}}, "10", "10"),
    ("date", {}, "2024-02-29", "2024-02-29"),
    ("date", {"validation": {"min": "2000-01-01"}}, "2000-01-01", "2000-01-01"),
    ("legal_citation", {}, [{"stage": "none"}], [{"stage": "none"}]),
    ("legal_citation", {},
     [{"instrument": "Criminal Code", "article": "s. 287", "stage": "in_force",
       "in_force_date": "2019-05-01", "link": "https://laws.example.org/cc#287"},
      {"instrument": "", "article": " ", "stage": "", "in_force_date": "", "link": ""},
      {"instrument": " Law on Electronic Communications ", "stage": "adopted"}],
     [{"instrument": "Criminal Code", "article": "s. 287", "in_force_date": "2019-05-01",
       "stage": "in_force", "link": "https://laws.example.org/cc#287"},
      {"instrument": "Law on Electronic Communications", "stage": "adopted"}]),
    ("legal_citation", {}, [{"stage": "none"}] * 10, [{"stage": "none"}] * 10),
    ("legal_citation", {}, [{}, {"stage": ""}], None),
    ("legal_citation", {}, [], None),
    # One instrument as an object (API clients and workbooks of before): stored as a list of one.
    ("legal_citation", {}, {"instrument": "Cybercrime Bill", "stage": "tabled"},
     [{"instrument": "Cybercrime Bill", "stage": "tabled"}]),
    ("contact", {},
     {"unit": "National Cybercrime Unit", "phone": "+33 1 23 45 67 89",
      "email": "poc@Police.example.org", "languages": "English, French"},
     {"unit": "National Cybercrime Unit", "phone": "+33 1 23 45 67 89",
      "email": "poc@police.example.org", "languages": "English, French"}),
    ("table", {"columns": COLUMNS},
     [{"year": "2024", "audience": "police", "women": "3"}, {}, {"year": 2025}],
     [{"year": 2024, "audience": "police", "women": 3}, {"year": 2025}]),
    ("table", {"columns": COLUMNS}, [], None),
    ("evidence", {}, ["0123456789abcdef0123456789abcdef"], ["0123456789abcdef0123456789abcdef"]),
    ("indicator_checklist", {"indicators": ["a.one", "a.two"]}, ["a.two", "a.one"], ["a.one", "a.two"]),
    ("indicator_checklist", {"indicators": ["a.one"]}, [], []),
]  # fmt: skip


@pytest.mark.parametrize(("type_name", "settings", "value", "stored"), VALID)
def test_valid_values_are_normalised(type_name, settings, value, stored):
    assert make(type_name, **settings).normalise(value) == stored


# (type, settings, input, message, path)
INVALID = [
    ("ynpn", {}, "maybe", "Choose yes, partly, no or not applicable.", "answer"),
    ("ynpn", {}, {"answer": "na"}, "Name the reservation or declaration", "reference"),
    ("ynpn", {}, {"answer": "yes", "extra": 1}, "Unknown field “extra”.", "extra"),
    ("ynpn", {}, 3, "Choose yes, partly, no or not applicable.", ""),
    ("single_choice", {"choices": CHOICES}, "army", "Choose one of the options", ""),
    ("multiple_choice", {"choices": CHOICES}, ["police", "police"], "An option is chosen twice.", ""),
    ("multiple_choice", {"choices": CHOICES, "validation": {"max": 1}}, ["police", "prosecution"],
     "Choose at most 1 options.", ""),
    ("short_text", {}, "x" * 501, "Use at most 500 characters (this has 501).", ""),
    ("short_text", {}, "two\nlines", "Use a single line.", ""),
    ("short_text", {"validation": {"pattern": r"[A-Z]{3}"}}, "abcd", "expected form", ""),
    ("long_text", {}, "x" * 20_001, "Use at most 20000 characters", ""),
    ("long_text", {}, ["a list"], "Enter text.", ""),
    ("integer", {}, "4.5", "Enter a whole number.", ""),
    ("integer", {}, "twelve", "Enter a whole number.", ""),
    ("integer", {}, True, "Enter a number.", ""),
    ("integer", {}, "NaN", "Enter a number.", ""),
    ("integer", {"validation": {"min": 0}}, -1, "Enter 0 or more.", ""),
    ("integer", {"validation": {"max": 100}}, 101, "Enter 100 or less.", ""),
    ("integer", {}, "1e30", "The number is too large.", ""),
    ("decimal", {}, "1,5", "Enter a number.", ""),
    ("decimal", {"validation": {"min": "0.5"}}, "0.4", "Enter 0.5 or more.", ""),
    ("date", {}, "2023-02-29", "2023-02-29 does not exist: check the day and the month.", ""),
    ("date", {}, "01/02/2024", "Enter a date as YYYY-MM-DD.", ""),
    ("date", {"validation": {"max": "2030-12-31"}}, "2031-01-01", "Enter 2030-12-31 or earlier.", ""),
    ("legal_citation", {}, {"instrument": "Code"}, "Choose the legislative stage.", "stage"),
    ("legal_citation", {}, {"stage": "enacted"}, "Choose the legislative stage", "stage"),
    ("legal_citation", {}, {"stage": "draft"}, "Name the law or instrument.", "instrument"),
    ("legal_citation", {}, {"stage": "in_force", "instrument": "Code"},
     "Give the date of entry into force.", "in_force_date"),
    ("legal_citation", {}, {"stage": "adopted", "instrument": "Code", "link": "javascript:alert(1)"},
     "web address", "link"),
    ("legal_citation", {},
     [{"stage": "in_force", "instrument": "Criminal Code", "in_force_date": "2019-05-01"},
      {"stage": "in_force", "instrument": "Law on Electronic Communications"}],
     "Instrument 2: Give the date of entry into force.", "1.in_force_date"),
    ("legal_citation", {}, [{}, {"stage": "draft"}], "Instrument 2: Name the law or instrument.",
     "1.instrument"),
    ("legal_citation", {}, [{"stage": "none", "year": 2020}], "Instrument 1: Unknown field “year”.",
     "0.year"),
    ("legal_citation", {}, [{"stage": "none"}, "Criminal Code"],
     "Instrument 2: Give the instrument's fields.", "1"),
    ("legal_citation", {}, "Criminal Code", "Give the citation as a list of instruments.", ""),
    ("legal_citation", {}, [{"stage": "none"}] * 11, "Cite at most 10 instruments.", ""),
    ("reservations", {"framework": "budapest", "choices": CHOICES}, ["art99_9"],
     "Choose one of the options", "0"),
    ("institutions", {"choices": CHOICES}, ["police", "police"], "An option is chosen twice.", ""),
    ("contact", {}, {"phone": "+1 555 0100"}, "Name the unit or office.", "unit"),
    ("contact", {}, {"unit": "Unit", "phone": "call me"}, "phone number", "phone"),
    ("contact", {}, {"unit": "Unit", "email": "not-an-email"}, "valid e-mail", "email"),
    ("table", {"columns": COLUMNS}, [{"year": 1999}], "Enter 2000 or more.", "0.year"),
    ("table", {"columns": COLUMNS}, [{"audience": "police"}], "Row 1, Label: this cell is required.", "0.year"),
    ("table", {"columns": COLUMNS}, [{"year": 2020, "cost": 3}], "Unknown column “cost”.", "0.cost"),
    ("table", {"columns": COLUMNS, "validation": {"max_rows": 1}}, [{"year": 2020}, {"year": 2021}],
     "Give at most 1 rows.", ""),
    ("table", {"columns": COLUMNS}, "not rows", "list of rows", ""),
    ("evidence", {}, ["../../etc/passwd"], "Not an evidence file id.", "0"),
    ("indicator_checklist", {"indicators": ["a.one"]}, ["a.three"], "not an indicator", "0"),
]  # fmt: skip


@pytest.mark.parametrize(("type_name", "settings", "value", "message", "path"), INVALID)
def test_invalid_values_are_refused_with_a_message_and_the_path(
    type_name, settings, value, message, path
):
    with pytest.raises(AnswerError) as caught:
        make(type_name, **settings).normalise(value)
    assert message in caught.value.message
    assert caught.value.path == path


def test_every_registered_type_is_exercised():
    covered = {case[0] for case in VALID} & {case[0] for case in INVALID}
    assert covered >= set(QUESTION_TYPES) - {"indicator_checklist"} | {"indicator_checklist"}


@pytest.mark.parametrize(("type_name", "settings", "value", "stored"), VALID)
def test_stored_values_satisfy_the_types_json_schema(type_name, settings, value, stored):
    schema = make(type_name, **settings).value_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(stored, schema, format_checker=jsonschema.FormatChecker())


def test_comparable_forms():
    assert make("ynpn").comparable({"answer": "partly"}) == "partly"
    assert make("legal_citation").comparable({"stage": "draft", "instrument": "x"}) == "draft"
    assert make("integer").comparable(5) == Decimal(5)
    assert make("indicator_checklist", indicators=["a.b"]).is_answered([]) is True
    assert make("multiple_choice", choices=CHOICES).is_answered(None) is False


@pytest.mark.parametrize(
    ("type_name", "settings", "message"),
    [
        ("single_choice", {"choices": [CHOICES[0]]}, "at least 2"),
        ("single_choice", {"choices": [CHOICES[0], CHOICES[0]]}, "duplicate choice value"),
        ("short_text", {"validation": {"pattern": "("}}, "does not compile"),
        ("integer", {"validation": {"min": 5, "max": 1}}, "min is greater than max"),
        ("indicator_checklist", {}, "lists its items in indicators"),
        ("table", {"columns": [{"id": "x", "type": "single_choice", "label": LABEL}]},
         "choices are given for single_choice columns"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_when_the_file_is_read(type_name, settings, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        make(type_name, **settings)


@pytest.mark.parametrize(
    ("stages", "weakest"),
    [
        (["in_force"], "in_force"),
        (["in_force", "draft"], "draft"),
        (["adopted", "in_force", "tabled"], "tabled"),
        (["in_force", "none"], "none"),
    ],
)
def test_a_citation_compares_as_its_weakest_instrument(stages, weakest):
    q = make("legal_citation")
    value = q.normalise(
        [
            {"stage": stage, "instrument": f"Law {n}", "in_force_date": "2019-05-01"}
            for n, stage in enumerate(stages)
        ]
    )
    assert q.comparable(value) == weakest
    assert q.comparable(None) is None
