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
    # Options the library fills in from the framework file or the questionnaire's institutions.
    "reservations": {"framework": "budapest", "choices": CHOICES},
    "institutions": {"choices": CHOICES},
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
    code = {
        "instrument": "Criminal Code",
        "article": "Arts 285–290",
        "stage": "in_force",
        "in_force_date": "2019-05-01",
    }
    assert q.display_text([code]) == "Criminal Code, Arts 285–290 — in force since May 1, 2019"
    html = q.display_html([code])
    assert html == (
        '<p class="answer mb-0"><strong>Criminal Code, Arts 285–290</strong> — '
        "in force since May 1, 2019</p>"
    )
    draft = q.display_text([{"instrument": "Cybercrime Bill", "stage": "tabled"}])
    assert draft == "Cybercrime Bill — Tabled in parliament"


def test_a_citation_of_several_instruments_reads_as_a_list():
    q = question("legal_citation")
    value = [
        {"instrument": "Criminal Code", "article": "Art. 286", "stage": "in_force",
         "in_force_date": "2019-05-01"},
        {"instrument": "Law on Electronic Communications", "stage": "adopted",
         "link": "https://laws.example.org/lec"},
    ]  # fmt: skip
    assert q.display_text(value) == (
        "Criminal Code, Art. 286 — in force since May 1, 2019; "
        "Law on Electronic Communications — Adopted, not in force (https://laws.example.org/lec)"
    )
    html = q.display_html(value)
    assert html.startswith('<ul class="answer mb-0"><li><strong>Criminal Code, Art. 286</strong>')
    assert html.count("<li>") == 2
    assert (
        "<li><strong>Law on Electronic Communications</strong> — Adopted, not in force "
        '<a href="https://laws.example.org/lec" rel="noopener noreferrer">Link to the text</a></li>'
    ) in html
    # A citation stored before citations held several instruments still reads.
    assert q.display_text(value[0]) == "Criminal Code, Art. 286 — in force since May 1, 2019"


def test_a_citation_keeps_every_instrument_in_the_workbook():
    q = question("legal_citation")
    value = [
        {"instrument": f"Law {n}", "stage": "in_force", "in_force_date": f"20{10 + n}-01-01"}
        for n in range(1, 11)
    ]
    cells = q.workbook_cells(value, CONTEXT)
    assert len(cells) == 10 * 5  # every instrument, and no room for an eleventh
    assert cells[0].field == "0.stage"
    assert cells[0].text == "Label — Instrument 1 — Legislative stage"
    assert cells[-1].field == "9.link" and cells[-1].text == "Instrument 10 — Link to the text"
    read = {cell.field: cell.value for cell in cells}
    assert q.normalise(q.from_workbook(read)) == value
    # Fewer than the maximum: an empty instrument for another, and at least two in all.
    fields = [cell.field for cell in q.workbook_cells(value[:3], CONTEXT)]
    assert fields[-5:] == ["3.stage", "3.instrument", "3.article", "3.in_force_date", "3.link"]
    empty = q.workbook_cells(None, CONTEXT)
    assert [cell.text for cell in empty if cell.field.endswith(".stage")] == [
        "Label — Instrument 1 — Legislative stage",
        "Another instrument (optional) — Legislative stage",
    ]


def test_a_citation_reads_back_from_a_workbook_of_before():
    q = question("legal_citation")
    cells = {"stage": "In force", "instrument": "Criminal Code", "article": None,
             "in_force_date": "2012-03-01", "link": None}  # fmt: skip
    assert q.normalise(q.from_workbook(cells)) == [
        {"instrument": "Criminal Code", "in_force_date": "2012-03-01", "stage": "in_force"}
    ]
    gap = {"0.stage": None, "1.stage": "Draft", "1.instrument": "Bill"}
    assert q.from_workbook(gap) == [{"stage": None}, {"stage": "draft", "instrument": "Bill"}]


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
        [
            {"stage": "draft", "instrument": hostile},
            {"stage": "draft", "instrument": "X", "link": 'https://x.org/"onmouseover="a'},
        ]
    )
    assert '"onmouseover' not in link and "<script>" not in link


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
    citation = question("legal_citation")
    posted = MultiDict(
        [("q.x[1][stage]", "draft"), ("q.x[1][instrument]", "Bill"), ("q.x[0][stage]", "none"),
         ("q.x[2][stage]", ""), ("q.x[0][nonsense]", "x"), ("q.y[0][stage]", "draft")]
    )  # fmt: skip
    assert citation.from_form(posted) == [
        {"stage": "none"},
        {"stage": "draft", "instrument": "Bill"},
        {"stage": ""},
    ]
    # A page opened before citations held several instruments saves its one instrument.
    single = MultiDict([("q.x[stage]", "draft"), ("q.x[instrument]", "Bill")])
    assert citation.normalise(citation.from_form(single)) == [
        {"instrument": "Bill", "stage": "draft"}
    ]


def test_a_citation_form_shows_each_instrument_and_one_more():
    q = question("legal_citation")
    assert [(row.index, row.legend) for row in q.form_rows(None)] == [(0, "Instrument 1")]
    two = [{"stage": "none"}, {"stage": "draft", "instrument": "Bill"}]
    rows = q.form_rows(two)
    assert [(row.index, row.legend) for row in rows] == [
        (0, "Instrument 1"),
        (1, "Instrument 2"),
        (2, "Another instrument (optional)"),
    ]
    assert rows[1].fields["instrument"] == "Bill" and rows[2].fields == {}
    assert len(q.form_rows([{"stage": "none"}] * 10)) == 10  # the most there can be

    class Refused(str):
        path = "1.in_force_date"

    posted = [{"stage": "none"}, {"stage": "in_force", "instrument": "Law"}, {"stage": ""}]
    rows = q.form_rows(posted, Refused("Instrument 2: Give the date of entry into force."))
    assert [row.invalid for row in rows] == [None, "in_force_date", None]
    assert len(rows) == 3  # the empty one posted is the one more, not followed by another
    Refused.path = "stage"  # a single instrument's path (an object, as before)
    rows = q.form_rows({"instrument": "X"}, Refused("Choose the legislative stage."))
    assert [row.invalid for row in rows] == ["stage", None]


def test_file_sizes_read_in_human_units():
    from app.frameworks.words import human_size

    assert human_size(451) == "451 B"
    assert human_size(20 * 1024) == "20 KB"
    assert human_size(3_420_000) == "3.4 MB"
    assert human_size(20_000_000) == "20 MB"
