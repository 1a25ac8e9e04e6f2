"""What every question type shows and writes: its display as text and as HTML, its workbook cells
read back, the form inputs it reads, and the sample values tests and the demo rely on."""

from __future__ import annotations

from types import SimpleNamespace

import jsonschema
import pytest
from werkzeug.datastructures import MultiDict

from app.frameworks.types import NONE_YET, QUESTION_TYPES, ShowContext
from tests.unit.test_question_types import LABEL, make

CHOICES = [
    {"value": "police", "label": {"en": "Police"}},
    {"value": "prosecution", "label": {"en": "Prosecution"}},
]
COLUMNS = [
    {"id": "year", "type": "integer", "label": {"en": "Year"}, "required": True,
     "validation": {"min": 2000, "max": 2100}},
    {"id": "audience", "type": "single_choice", "label": {"en": "Audience"}, "choices": CHOICES},
    {"id": "women", "type": "integer", "label": {"en": "Women"}, "validation": {"min": 0}},
]  # fmt: skip
SETTINGS = {
    "single_choice": {"choices": CHOICES},
    "multiple_choice": {"choices": CHOICES},
    "table": {"columns": COLUMNS},
    "indicator_checklist": {"indicators": ["units.unit", "units.staff"]},
}
FILE_ID = "a" * 32
CONTEXT = ShowContext(
    indicators={"units.unit": {"en": "A specialised unit exists"}, "units.staff": LABEL},
    files={FILE_ID: SimpleNamespace(filename="Law 12.pdf", size=20480)},
    file_url=lambda public_id: f"/files/{public_id}",
)


def question(name: str):
    return make(name, **SETTINGS.get(name, {}))


@pytest.mark.parametrize("name", QUESTION_TYPES)
def test_samples_are_valid_stored_values_and_the_two_variants_differ(name):
    q = question(name)
    for variant in (0, 1):
        value = q.sample_value(variant, files=[FILE_ID])
        assert q.normalise(value) == value
        jsonschema.validate(value, q.value_schema())
    if not q.holds_files:
        assert q.sample_value(0) != q.sample_value(1)


@pytest.mark.parametrize("name", QUESTION_TYPES)
def test_every_value_reads_as_text_and_html_and_no_answer_says_so(name):
    q = question(name)
    value = q.sample_value(1, files=[FILE_ID])
    assert q.display_text(value, CONTEXT).strip()
    assert "<input" not in q.display_html(value, CONTEXT)
    assert q.display_text(None) == "(no answer)"
    assert "(no answer)" in q.display_html(None)


@pytest.mark.parametrize("name", QUESTION_TYPES)
def test_workbook_cells_read_back_as_the_same_value(name):
    q = question(name)
    if q.holds_files or q.own_sheet:
        return  # files are attached online; tables have their own sheet (below)
    value = q.sample_value(1)
    cells = {cell.field: cell.value for cell in q.workbook_cells(value, CONTEXT)}
    assert q.normalise(q.from_workbook(cells)) == value
    empty = {cell.field: cell.value for cell in q.workbook_cells(None, CONTEXT)}
    assert q.normalise(q.from_workbook(empty)) is None


def test_a_table_reads_back_from_its_sheet_rows():
    q = question("table")
    value = [{"year": 2024, "audience": "prosecution", "women": 4}, {"year": 2025}]
    rows = q.sheet_rows(value)
    assert rows[0][1] == "Prosecution"  # the choice's label, not its value
    ids = [column.id for column in q.columns]
    assert q.normalise(q.from_sheet(ids, rows)) == value


def test_a_citation_reads_as_a_lawyer_writes_it():
    q = question("legal_citation")
    value = {
        "instrument": "Criminal Code",
        "article": "Arts 285–290",
        "stage": "in_force",
        "in_force_date": "2019-05-01",
    }
    assert q.display_text(value) == "Criminal Code, Arts 285–290 — in force since May 1, 2019"
    html = q.display_html(value)
    assert "<strong>Criminal Code, Arts 285–290</strong> — in force since May 1, 2019" in html
    draft = q.display_text({"instrument": "Cybercrime Bill", "stage": "tabled"})
    assert draft == "Cybercrime Bill — Tabled in parliament"


def test_choices_indicators_files_and_tables_show_their_words():
    assert question("ynpn").display_text({"answer": "na", "reference": "Art. 6(3)"}) == (
        "Not applicable — Art. 6(3)"
    )
    checklist = question("indicator_checklist")
    assert checklist.display_text(["units.unit"], CONTEXT) == "A specialised unit exists"
    assert checklist.display_text([], CONTEXT) == "None yet"
    files = question("evidence").display_html([FILE_ID], CONTEXT)
    assert f'<a href="/files/{FILE_ID}">Law 12.pdf</a>' in files and "20 KB" in files
    table = question("table").display_html([{"year": 2024, "audience": "police"}], CONTEXT)
    assert (
        "<table" in table and '<th scope="col">Audience</th>' in table and "<td>2024</td>" in table
    )


def test_displays_escape_what_officials_typed():
    hostile = "<script>alert(1)</script>"
    for name in ("short_text", "long_text"):
        html = question(name).display_html(hostile)
        assert "<script>" not in html and "&lt;script&gt;" in html
    html = question("ynpn").display_html({"answer": "yes", "reference": hostile})
    assert "<script>" not in html
    html = question("contact").display_html({"unit": hostile})
    assert "<script>" not in html
    link = question("legal_citation").display_html(
        {"stage": "draft", "instrument": "X", "link": 'https://x.org/"onmouseover="a'}
    )
    assert '"onmouseover' not in link


def test_each_type_reads_its_own_form_inputs():
    form = MultiDict(
        [
            ("q.x[answer]", "partly"),
            ("q.x[reference]", "s. 4"),
        ]
    )
    assert question("ynpn").from_form(form) == {"answer": "partly", "reference": "s. 4"}
    assert question("ynpn").from_form(MultiDict()) is None
    assert question("multiple_choice").from_form(MultiDict([("q.x", "police"), ("q.x", "")])) == [
        "police"
    ]
    checklist = question("indicator_checklist")
    assert checklist.from_form(MultiDict([("q.x", NONE_YET)])) == []
    assert checklist.from_form(MultiDict()) is None
    rows = MultiDict([("q.x[1][year]", "2025"), ("q.x[0][year]", "2024"), ("q.x[0][women]", "3")])
    assert question("table").from_form(rows) == [{"year": "2024", "women": "3"}, {"year": "2025"}]
    assert question("integer").from_form(MultiDict([("q.x", "12")])) == "12"


def test_file_sizes_read_in_human_units():
    from app.frameworks.words import human_size

    assert human_size(451) == "451 B"
    assert human_size(20 * 1024) == "20 KB"
    assert human_size(3_420_000) == "3.4 MB"
    assert human_size(20_000_000) == "20 MB"
