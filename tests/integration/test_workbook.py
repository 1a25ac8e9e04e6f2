"""The offline round trip: download the questionnaire as a workbook, fill it, upload it back."""

from __future__ import annotations

import io
import itertools

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer
from tests.conftest import fill_required, post_form, sign_in

OFFENCE = "sub.illegal_access.offence"


def download(client, assessment_id):
    response = client.get(f"/assessments/{assessment_id}/workbook")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


def section_sheet(book, section_id):
    """Return the sheet of a section, whatever its number."""
    return next(book[name] for name in book.sheetnames if name[3:] == section_id)


def find_row(sheet, question_id, field=None):
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == question_id and (field is None or (row[1].value or "") == field):
            return row
    raise AssertionError(f"{question_id} {field} not in {sheet.title}")


def upload(client, assessment_id, book):
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return post_form(
        client,
        f"/assessments/{assessment_id}/workbook/upload",
        {"workbook": (data, "filled.xlsx")},
        content_type="multipart/form-data",
    )


def answers(app, assessment_id):
    with app.app_context():
        return {
            a.question_id: a.value
            for a in db.session.scalars(select(Answer).where(Answer.assessment_id == assessment_id))
        }


def test_the_workbook_has_a_sheet_per_section_ids_drop_downs_and_current_answers(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    post_form(client, f"/assessments/{assessments.own}/answers/{OFFENCE}",
              {f"{OFFENCE}[answer]": "partly", f"version[{OFFENCE}]": "0"})  # fmt: skip
    book = download(client, assessments.own)
    assert book.sheetnames[3:6] == ["01 legislative_status", "02 treaty_status", "03 substantive"]
    assert len([name for name in book.sheetnames if name[:2].isdigit()]) == 19  # one per section
    sheet = section_sheet(book, "substantive")
    row = find_row(sheet, OFFENCE, "answer")
    assert row[3].value == "Partly" and row[5].value == 1  # the answer and its version
    validations = [
        dv for dv in sheet.data_validations.dataValidation if f"D{row[0].row}" in str(dv.sqref)
    ]
    assert validations and validations[0].type == "list"
    assert any(name.startswith("T") for name in book.sheetnames)  # tables have their own sheets
    assert book["_meta"].sheet_state == "hidden"


def test_a_filled_workbook_is_imported(app, client, world, assessments):
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    sheet = section_sheet(book, "jurisdiction")
    find_row(sheet, "jur.territory", "answer")[3].value = "Yes"
    find_row(sheet, "jur.nationals", "answer")[3].value = "partly"
    find_row(sheet, "jur.nationals", "reference")[3].value = "Only serious offences"
    find_row(sheet, "jur.citation", "0.stage")[3].value = "In force"
    find_row(sheet, "jur.citation", "0.instrument")[3].value = "Criminal Code"
    from datetime import datetime

    find_row(sheet, "jur.citation", "0.in_force_date")[3].value = datetime(2012, 3, 1)
    find_row(sheet, "jur.citation", "1.stage")[3].value = "Adopted, not in force"
    find_row(sheet, "jur.citation", "1.instrument")[3].value = "Law on Electronic Communications"
    find_row(sheet, "jur.other_grounds")[4].value = "Checked with the Ministry of Justice"
    training = next(name for name in book.sheetnames if name.startswith("T") and "events" in name)
    table = book[training]
    ids = [cell.value for cell in table[2]]
    table.cell(row=4, column=ids.index("year") + 1, value=2025)
    table.cell(row=4, column=ids.index("audience") + 1, value="Judges")
    response = upload(client, assessments.own, book)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    stored = answers(app, assessments.own)
    assert stored["jur.territory"] == {"answer": "yes"}
    assert stored["jur.nationals"] == {"answer": "partly", "reference": "Only serious offences"}
    assert stored["jur.citation"] == [
        {"instrument": "Criminal Code", "in_force_date": "2012-03-01", "stage": "in_force"},
        {"instrument": "Law on Electronic Communications", "stage": "adopted"},
    ]
    assert stored["cap.training.events"][0]["year"] == 2025
    with app.app_context():
        note = db.session.scalar(
            select(Answer.note).where(Answer.question_id == "jur.other_grounds")
        )
        assert note == "Checked with the Ministry of Justice"
    # Uploading the same workbook again changes nothing.
    again = upload(client, assessments.own, download(client, assessments.own))
    assert again.status_code == 302


def test_any_invalid_cell_imports_nothing_and_lists_each_problem(app, client, world, assessments):
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    sheet = section_sheet(book, "jurisdiction")
    find_row(sheet, "jur.territory", "answer")[3].value = "Yes"
    bad = find_row(sheet, "jur.nationals", "answer")
    bad[3].value = "Sometimes"
    citation = find_row(sheet, "jur.citation", "0.stage")
    citation[3].value = "In force"
    response = upload(client, assessments.own, book)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nothing was saved" in page
    assert (
        f"<td>{bad[3].coordinate}</td>" in page
        and "Choose yes, partly, no or not applicable." in page
    )
    assert "Name the law or instrument." in page
    assert answers(app, assessments.own) == {}


def test_answers_changed_online_since_the_download_are_conflicts(app, client, world, assessments):
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    post_form(client, f"/assessments/{assessments.own}/answers/jur.territory",
              {"jur.territory[answer]": "no", "version[jur.territory]": "0"})  # fmt: skip
    sheet = section_sheet(book, "jurisdiction")
    find_row(sheet, "jur.territory", "answer")[3].value = "Yes"
    find_row(sheet, "jur.nationals", "answer")[3].value = "Yes"
    response = upload(client, assessments.own, book)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Conflict: changed online by Olga since the download; it now reads “No”." in page
    assert answers(app, assessments.own) == {"jur.territory": {"answer": "no"}}


def test_a_workbook_of_another_assessment_or_not_a_workbook_is_refused(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    book["_meta"]["B1"].value = assessments.other
    page = upload(client, assessments.own, book).get_data(as_text=True)
    assert "was not downloaded from this assessment" in page
    response = post_form(
        client, f"/assessments/{assessments.own}/workbook/upload",
        {"workbook": (io.BytesIO(b"PK\x03\x04 not really"), "fake.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert "not an Excel workbook" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_an_answer_changed_online_and_untouched_in_the_workbook_is_no_conflict(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    book = download(client, assessments.own)  # nothing answered yet
    post_form(client, f"/assessments/{assessments.own}/answers/jur.territory",
              {"jur.territory[answer]": "no", "version[jur.territory]": "0"})  # fmt: skip
    sheet = section_sheet(book, "jurisdiction")
    find_row(sheet, "jur.nationals", "answer")[3].value = "Yes"  # a different question
    response = upload(client, assessments.own, book)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert answers(app, assessments.own) == {
        "jur.territory": {"answer": "no"},  # the colleague's newer answer stays
        "jur.nationals": {"answer": "yes"},
    }
    # A second colleague's change after a first one: still only what the workbook changed counts.
    book = download(client, assessments.own)
    post_form(client, f"/assessments/{assessments.own}/answers/jur.territory",
              {"jur.territory[answer]": "partly", "version[jur.territory]": "1"})  # fmt: skip
    post_form(client, f"/assessments/{assessments.own}/answers/jur.territory",
              {"jur.territory[answer]": "yes", "version[jur.territory]": "2"})  # fmt: skip
    find_row(section_sheet(book, "jurisdiction"), "jur.nationals", "answer")[3].value = "No"
    assert upload(client, assessments.own, book).status_code == 302
    assert answers(app, assessments.own) == {
        "jur.territory": {"answer": "yes"},
        "jur.nationals": {"answer": "no"},
    }


TRICKY_TEXTS = [
    "=SUM(1,2) is how we count",
    '=HYPERLINK("http://evil.example","click")',
    "+33 1 23 45 67 89 is the hotline",
    "-5 cases a year",
    "@unit on the secure channel",
    "Ωμέγα — 北京 — ça — 🙂",
    "x" * 4000,
]


def test_an_untouched_workbook_changes_nothing_whatever_the_answers_hold(
    app, client, world, assessments
):
    from app.assessments import answers as answer_services
    from app.models import AnswerRevision, Assessment, User

    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        official = db.session.get(User, world.own.id)
        state = answer_services.state(assessment)
        texts = itertools.cycle(TRICKY_TEXTS)
        for question in state.runtime.questions.values():
            answer = state.answers.get(question.id)
            if question.holds_files or not state.visible[question.id]:
                continue
            if _accepts_text(question):  # short and long texts: the tricky ones
                value = question.normalise(next(texts)[: question.maximum])
            else:  # every other type keeps the valid value it was given
                value = answer.value if answer else None
            answer_services.save_answer(
                assessment, question.id, value, version=answer.version if answer else 0,
                note=next(texts), user=official,
            )  # fmt: skip
        db.session.commit()
        before = {
            a.question_id: (a.value, a.note)
            for a in answer_services.state(assessment).answers.values()
        }
        revisions = db.session.scalar(select(func.count(AnswerRevision.id)))
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    formulas = [
        cell.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []  # nothing an official typed is live in the file
    response = upload(client, assessments.own, book)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        after = {
            a.question_id: (a.value, a.note)
            for a in answer_services.state(assessment).answers.values()
        }
        assert after == before
        assert db.session.scalar(select(func.count(AnswerRevision.id))) == revisions


def _accepts_text(question) -> bool:
    try:
        return question.normalise("text") == "text"
    except Exception:
        return False


def bomb(sheet_xml_chunks) -> io.BytesIO:
    """Return a workbook-shaped archive whose first sheet is written from ``sheet_xml_chunks``."""
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for chunk in sheet_xml_chunks:
                sheet.write(chunk)
    data.seek(0)
    return data


def test_workbook_bombs_are_refused_before_they_are_parsed(app, client, world, assessments):
    import tracemalloc

    from app.assessments import workbook
    from app.models import Assessment, User

    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"A" * 4000 + b"</t></is></c></row>"
    huge = bomb(row for _ in range(50_000))  # 200 MB of sheet in a quarter of a megabyte
    cells = bomb(b'<c r="A1"><v>1</v></c>' for _ in range(300_000))  # 6.6 MB, 300,000 cells
    assert len(huge.getvalue()) < 400_000
    sign_in(client, world.own.email)
    for archive in (huge, cells):
        data = archive.getvalue()
        response = upload_bytes(client, assessments.own, data)
        assert response.status_code == 422
        assert "larger than a workbook of this questionnaire can be" in response.get_data(
            as_text=True
        )
        with app.test_request_context():
            tracemalloc.start()
            assessment = db.session.get(Assessment, assessments.own)
            result = workbook.import_workbook(assessment, data, db.session.get(User, world.own.id))
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert result.problems and peak < 200_000_000, peak
    # The real workbook, full of answers, is well within the limits.
    fill_required(app, assessments.own, world.own.id)
    real = download(client, assessments.own)
    assert upload(client, assessments.own, real).status_code == 302


def upload_bytes(client, assessment_id, data: bytes):
    return post_form(
        client,
        f"/assessments/{assessment_id}/workbook/upload",
        {"workbook": (io.BytesIO(data), "bomb.xlsx")},
        content_type="multipart/form-data",
    )


def _instruments(count: int) -> list[dict]:
    return [
        {"instrument": f"Law No. {n}/2015", "article": f"Art. {n}", "stage": "in_force",
         "in_force_date": f"2015-01-{n:02d}"}
        for n in range(1, count + 1)
    ]  # fmt: skip


def _save(app, assessment_id, user_id, question_id, value):
    from app.assessments import answers as answer_services
    from app.models import Assessment, User

    with app.app_context():
        answer_services.save_answer(
            db.session.get(Assessment, assessment_id), question_id, value, version=0,
            user=db.session.get(User, user_id),
        )  # fmt: skip
        db.session.commit()


def test_every_instrument_of_a_citation_survives_the_workbook(app, client, world, assessments):
    from app.models import AnswerRevision

    ten = _instruments(10)  # the most a citation holds: more than the two a new one is given
    _save(app, assessments.own, world.own.id, "jur.citation", ten)
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    sheet = section_sheet(book, "jurisdiction")
    fields = [row[1].value for row in sheet.iter_rows(min_row=2) if row[0].value == "jur.citation"]
    assert fields == [f"{n}.{name}" for n in range(10)
                      for name in ("stage", "instrument", "article", "in_force_date", "link")]  # fmt: skip
    assert find_row(sheet, "jur.citation", "9.instrument")[3].value == "Law No. 10/2015"
    with app.app_context():
        revisions = db.session.scalar(select(func.count(AnswerRevision.id)))
    assert upload(client, assessments.own, book).status_code == 302
    assert answers(app, assessments.own)["jur.citation"] == ten  # sent back unchanged: kept
    with app.app_context():
        assert db.session.scalar(select(func.count(AnswerRevision.id))) == revisions

    book = download(client, assessments.own)
    find_row(section_sheet(book, "jurisdiction"), "jur.citation", "6.article")[3].value = "Arts 7–9"
    assert upload(client, assessments.own, book).status_code == 302
    assert answers(app, assessments.own)["jur.citation"] == [
        *ten[:6],
        {**ten[6], "article": "Arts 7–9"},
        *ten[7:],
    ]


def test_a_citation_gains_an_instrument_and_an_error_names_its_cell(
    app, client, world, assessments
):
    _save(app, assessments.own, world.own.id, "jur.citation", _instruments(1))
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    sheet = section_sheet(book, "jurisdiction")
    assert find_row(sheet, "jur.citation", "1.stage")[2].value == (
        "Another instrument (optional) — Legislative stage"
    )
    find_row(sheet, "jur.citation", "1.stage")[3].value = "In force"
    find_row(sheet, "jur.citation", "1.instrument")[3].value = "Law on Electronic Communications"
    date = find_row(sheet, "jur.citation", "1.in_force_date")[3]
    response = upload(client, assessments.own, book)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"<td>{date.coordinate}</td>" in page
    assert "Instrument 2: Give the date of entry into force." in page
    date.value = "2015-07-01"
    assert upload(client, assessments.own, book).status_code == 302
    assert answers(app, assessments.own)["jur.citation"] == [
        *_instruments(1),
        {"instrument": "Law on Electronic Communications", "in_force_date": "2015-07-01",
         "stage": "in_force"},
    ]  # fmt: skip


def test_a_workbook_with_the_citation_of_before_still_imports(app, client, world, assessments):
    """Downloaded before citations held several instruments: one row per field, no index."""
    sign_in(client, world.own.email)
    book = download(client, assessments.own)
    sheet = section_sheet(book, "jurisdiction")
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "jur.citation":
            index, _sep, name = row[1].value.partition(".")
            if index == "0":
                row[1].value = name
            else:
                row[0].value = row[1].value = None  # the rows of before stop at one instrument
    find_row(sheet, "jur.citation", "stage")[3].value = "Draft"
    find_row(sheet, "jur.citation", "instrument")[3].value = "Cybercrime Bill"
    assert upload(client, assessments.own, book).status_code == 302
    assert answers(app, assessments.own)["jur.citation"] == [
        {"instrument": "Cybercrime Bill", "stage": "draft"}
    ]
