"""The questionnaire as an Excel workbook, and back.

Export: an "About" sheet, one sheet per section (a row per answer field: question id, field,
question, answer, note, and the answer's version in a hidden column), one sheet per table
question, drop-downs for choices (lists on a hidden sheet), answer cells unlocked and the rest
protected. Import: the whole workbook is checked first; either every change is saved, or none is
and each problem is reported with its sheet and cell. An answer changed online since the download
is reported as a conflict.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from app.assessments import answers
from app.core.db import utcnow
from app.core.errors import ServiceError
from app.extensions import db
from app.frameworks.types import AnswerError, QuestionBase, ShowContext
from app.frameworks.words import localized
from app.i18n import country_name
from app.models import AnswerRevision, Assessment, User

HEADER = ("id", "field", "question", "answer", "note", "version")
ID, FIELD, QUESTION, ANSWER, NOTE, VERSION = range(1, 7)
META_SHEET, LISTS_SHEET = "_meta", "_lists"
TABLE_SPARE_ROWS = 20
UNLOCKED = Protection(locked=False)
BOLD = Font(bold=True)
ANSWER_FILL = PatternFill("solid", fgColor="FFF8E1")


@dataclass
class _Lists:
    """Drop-down lists kept on a hidden sheet (labels may hold commas)."""

    sheet: Any
    columns: dict[tuple[str, ...], str] = field(default_factory=dict)

    def formula(self, labels: tuple[str, ...]) -> str:
        if labels not in self.columns:
            column = get_column_letter(len(self.columns) + 1)
            for row, label in enumerate(labels, start=1):
                self.sheet.cell(row=row, column=len(self.columns) + 1, value=label)
            self.columns[labels] = (
                f"{quote_sheetname(LISTS_SHEET)}!${column}$1:${column}${len(labels)}"
            )
        return self.columns[labels]


def export(assessment: Assessment) -> bytes:
    """Return the assessment's questionnaire and current answers as an .xlsx workbook."""
    state = answers.state(assessment)
    runtime = state.runtime
    questionnaire = runtime.questionnaire
    context = ShowContext(indicators=runtime.indicators)
    book = Workbook()
    about = book.active
    about.title = _("About")[:31]
    lists = _Lists(book.create_sheet(LISTS_SHEET))
    lists.sheet.sheet_state = "hidden"
    meta = book.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    for key, text in (
        ("assessment", assessment.id),
        ("questionnaire_hash", assessment.questionnaire_version.content_hash),
        ("exported_at", utcnow().isoformat()),
    ):
        meta.append([key, text])

    about.column_dimensions["A"].width = 110
    for line in (
        _(
            "Self-assessment of %(country)s — %(cycle)s",
            country=country_name(assessment.country),
            cycle=assessment.cycle.name,
        ),
        localized(questionnaire.title),
        _(
            "Exported on %(when)s UTC. Questionnaire version %(version)s.",
            when=utcnow().strftime("%Y-%m-%d %H:%M"),
            version=assessment.questionnaire_version.version,
        ),
        "",
        _(
            "Fill in the yellow “answer” and “note” cells only; "
            "use the drop-down lists where offered."
        ),
        _("Dates as YYYY-MM-DD. Tables have their own sheets. Evidence files are attached online."),
        _(
            "A legal citation has rows for each instrument given and for one more; to cite "
            "still more, upload the workbook and download a fresh one."
        ),
        _(
            "Upload the workbook on the assessment's page: every change is checked first, "
            "and nothing is saved unless all of it is valid."
        ),
        _(
            "Answers a colleague changed online after this export are reported as conflicts: "
            "download a fresh workbook then."
        ),
    ):
        about.append([line])
    about["A1"].font = Font(bold=True, size=14)

    table_number = 0
    for number, section in enumerate(questionnaire.sections, start=1):
        sheet = book.create_sheet(f"{number:02d} {section.id}"[:31])
        sheet.append(
            [
                _("Question id"),
                _("Field"),
                localized(section.title),
                _("Answer"),
                _("Note"),
                _("Version"),
            ]
        )
        for cell in sheet[1]:
            cell.font = BOLD
        widths = {"A": 34, "B": 14, "C": 80, "D": 40, "E": 30}
        for column, width in widths.items():
            sheet.column_dimensions[column].width = width
        sheet.column_dimensions["F"].hidden = True
        sheet.freeze_panes = "D2"
        for question in section.questions:
            answer = state.answers.get(question.id)
            value = answer.value if answer else None
            cells = question.workbook_cells(value, context)
            if question.own_sheet:
                table_number += 1
                table_sheet = _table_sheet(book, lists, question, value, table_number)
                see = _("See the sheet %(name)s", name=table_sheet.title)
                cells = [replace(cell, value=see) for cell in cells]
            for index, cell in enumerate(cells):
                field_name, text, cell_value, choices = (
                    cell.field,
                    cell.text,
                    cell.value,
                    cell.choices,
                )
                row = sheet.max_row + 1
                sheet.cell(row=row, column=ID, value=question.id)
                sheet.cell(row=row, column=FIELD, value=field_name or None)
                text_cell = sheet.cell(
                    row=row,
                    column=QUESTION,
                    value=text + (" *" if question.required and index == 0 else ""),
                )
                text_cell.alignment = Alignment(wrap_text=True, vertical="top")
                answer_cell = sheet.cell(row=row, column=ANSWER, value=cell_value)
                if cell.editable:
                    answer_cell.protection = UNLOCKED
                    answer_cell.fill = ANSWER_FILL
                if choices:
                    validation = DataValidation(
                        type="list", formula1=lists.formula(choices), allow_blank=True
                    )
                    validation.error = _("Choose a value from the list.")
                    sheet.add_data_validation(validation)
                    validation.add(answer_cell)
                if index == 0:
                    note_cell = sheet.cell(
                        row=row, column=NOTE, value=answer.note if answer else None
                    )
                    note_cell.protection = UNLOCKED
                    note_cell.fill = ANSWER_FILL
                    sheet.cell(row=row, column=VERSION, value=answer.version if answer else 0)
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
    _as_text(book)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _as_text(book: Workbook) -> None:
    """Store every cell as the text or number it is: nothing an official typed becomes a formula.

    openpyxl takes a string beginning with "=" for a formula; an answer such as "=SUM(1,2) is how
    we count" would be lost on the way back, and a "=HYPERLINK(...)" would be live for whoever
    opens the file.
    """
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def _table_sheet(book, lists: _Lists, question, value, number: int):
    sheet = book.create_sheet(f"T{number:02d} {question.id.rsplit('.', 1)[-1]}"[:31])
    sheet.append([question.id, localized(question.label)])
    sheet["A1"].font = BOLD
    sheet.append([column.id for column in question.columns])
    sheet.append(
        [localized(column.label) + (" *" if column.required else "") for column in question.columns]
    )
    for cell in sheet[3]:
        cell.font = BOLD
    sheet.row_dimensions[2].hidden = True
    rows = question.sheet_rows(value)
    for index in range(len(rows) + TABLE_SPARE_ROWS):
        sheet.append(rows[index] if index < len(rows) else [None] * len(question.columns))
        for position in range(1, len(question.columns) + 1):
            cell = sheet.cell(row=sheet.max_row, column=position)
            cell.protection = UNLOCKED
            cell.fill = ANSWER_FILL
    for position, column in enumerate(question.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = 22
        labels = column.question.cell_choices()
        if labels:
            validation = DataValidation(
                type="list", formula1=lists.formula(labels), allow_blank=True
            )
            sheet.add_data_validation(validation)
            validation.add(f"{letter}4:{letter}{sheet.max_row}")
    sheet.protection.sheet = True
    return sheet


# --- Import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    cell: str
    question_id: str
    message: str


@dataclass
class ImportResult:
    problems: list[CellProblem] = field(default_factory=list)
    changed: int = 0


@dataclass
class _Pending:
    question: QuestionBase
    raw: Any
    note: Any
    version: int | None
    cells: dict[str, str]  # field -> cell reference
    first_cell: str


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def import_workbook(assessment: Assessment, data: bytes, user: User) -> ImportResult:
    """Check a filled workbook as a whole, then save every change, or none.

    :returns: the problems (nothing saved when there are any) or the number of answers changed.
    """
    result = ImportResult()
    refusal = _archive_refusal(data)
    if refusal is not None:
        result.problems.append(CellProblem("", "", "", refusal))
        return result
    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for files that are not workbooks
        result.problems.append(
            CellProblem("", "", "", _("This file is not an Excel workbook (.xlsx)."))
        )
        return result
    meta = {}
    if META_SHEET in book.sheetnames:
        meta = {
            row[0]: row[1]
            for row in book[META_SHEET].iter_rows(values_only=True)
            if len(row) > 1 and row[0]
        }
    if str(meta.get("assessment")) != str(assessment.id):
        result.problems.append(
            CellProblem("", "", "", _("This workbook was not downloaded from this assessment."))
        )
        return result
    if meta.get("questionnaire_hash") != assessment.questionnaire_version.content_hash:
        result.problems.append(
            CellProblem("", "", "", _("This workbook is for another version of the questionnaire."))
        )
        return result

    state = answers.state(assessment)
    runtime = state.runtime
    pending: dict[str, _Pending] = {}
    tables: dict[str, tuple[str, list]] = {}
    for sheet in book.worksheets:
        if sheet.title in (META_SHEET, LISTS_SHEET) or sheet.max_column < 2:
            continue
        first = sheet.cell(row=1, column=1).value
        if (
            isinstance(first, str)
            and first in runtime.questions
            and runtime.questions[first].own_sheet
        ):
            tables[first] = (sheet.title, list(sheet.iter_rows(min_row=2)))
            continue
        for row in sheet.iter_rows(min_row=2):
            question_id = row[ID - 1].value if len(row) >= ID else None
            if not question_id:
                continue
            if len(row) < ANSWER:
                result.problems.append(
                    CellProblem(
                        sheet.title,
                        row[0].coordinate,
                        str(question_id),
                        _("This row has no answer column; download a fresh workbook."),
                    )
                )
                continue
            question = runtime.questions.get(str(question_id))
            answer_cell = row[ANSWER - 1]
            if question is None:
                result.problems.append(
                    CellProblem(
                        sheet.title, row[0].coordinate, str(question_id), _("Unknown question id.")
                    )
                )
                continue
            field_name = row[FIELD - 1].value or ""
            item = pending.get(question.id)
            if item is None:
                version_cell = row[VERSION - 1].value if len(row) >= VERSION else None
                item = pending[question.id] = _Pending(
                    question,
                    {},
                    _text(row[NOTE - 1].value) if len(row) >= NOTE else None,
                    _version(version_cell),
                    {},
                    f"{sheet.title}!{answer_cell.coordinate}",
                )
            item.raw[field_name] = _text(answer_cell.value)
            item.cells[field_name] = f"{sheet.title}!{answer_cell.coordinate}"

    changes = []
    stale: list[tuple[_Pending, Any, Any, Any]] = []
    for question_id, item in pending.items():
        question = item.question
        if question.holds_files:
            continue
        raw, where = _assemble(question, item, tables)
        try:
            value = question.normalise(raw)
        except AnswerError as error:
            # The cell of the part at fault: a field of its own (a citation's ``1.stage``), else
            # the row its path starts with (a table's ``0`` for ``0.year``).
            cell = where.get(error.path) or where.get(error.path.split(".")[0]) or item.first_cell
            sheet, _sep, coordinate = cell.partition("!")
            result.problems.append(CellProblem(sheet, coordinate, question_id, error.message))
            continue
        answer = state.answers.get(question_id)
        current_value = answer.value if answer else None
        current_note = answer.note if answer else None
        note = item.note if item.note is not None else None
        if value == current_value and (note or None) == (current_note or None):
            continue
        current_version = answer.version if answer else 0
        if item.version is not None and item.version != current_version:
            stale.append((item, value, note, answer))
            continue
        changes.append((question_id, value, note, current_version))
    # Changed online since the download: a conflict only where the workbook changed it too.
    bases = _values_at(
        {item.question.id: (answer, item.version) for item, _v, _n, answer in stale if answer}
    )
    for item, value, note, answer in stale:
        base_value, base_note = bases.get(item.question.id, (None, None))
        if value == base_value and (note or None) == (base_note or None):
            continue  # untouched in the workbook: the newer online answer stays
        question = item.question
        who = answer.updated_by.display_name if answer and answer.updated_by else "—"
        sheet, _sep, coordinate = item.first_cell.partition("!")
        result.problems.append(
            CellProblem(
                sheet,
                coordinate,
                question.id,
                _(
                    "Conflict: changed online by %(name)s since the download; "
                    "it now reads “%(value)s”.",
                    name=who,
                    value=question.display_text(answer.value if answer else None),
                ),
            )
        )
    if result.problems:
        return result
    if not changes:
        return result
    try:
        saved = answers.save_answers(
            state,
            [answers.Submitted(qid, value, version, note) for qid, value, note, version in changes],
            user=user,
            source="import",
        )
    except ServiceError as error:
        result.problems.append(CellProblem("", "", "", str(error.message)))
        return result
    for question_id, message in saved.errors.items():
        result.problems.append(CellProblem("", "", question_id, message))
    for question_id in saved.conflicts:
        result.problems.append(
            CellProblem("", "", question_id, _("Conflict: changed online during the upload."))
        )
    result.changed = 0 if result.problems else len(changes)
    return result


#: What a workbook of this questionnaire can hold, with room to spare: the full questionnaire with
#: every answer at its longest stays far below; a "zip bomb" is refused before it is parsed.
MAX_MEMBERS = 400
MAX_MEMBER_BYTES = 16_000_000
MAX_TOTAL_BYTES = 32_000_000
MAX_RATIO = 100  # for members over 1 MB: text typed by people does not compress a hundredfold
MAX_CELLS = 100_000
CELL = re.compile(rb"<c[\s>/]")


def _archive_refusal(data: bytes) -> str | None:
    """Return why an upload cannot be a workbook of this questionnaire, before parsing it.

    The sizes checked are those the archive declares; Python's zipfile, which openpyxl uses,
    never reads more than a member declares. Worksheets are read in chunks to count their cells.
    """
    too_big = _("This workbook is larger than a workbook of this questionnaire can be.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            return too_big
        if sum(member.file_size for member in members) > MAX_TOTAL_BYTES:
            return too_big
        cells = 0
        for member in members:
            if member.file_size > MAX_MEMBER_BYTES:
                return too_big
            ratio = member.file_size / max(1, member.compress_size)
            if member.file_size > 1_000_000 and ratio > MAX_RATIO:
                return too_big
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                with archive.open(member) as stream:
                    tail = b""
                    while chunk := stream.read(1 << 20):
                        cells += len(CELL.findall(tail + chunk))
                        tail = chunk[-8:]
                        cells -= len(CELL.findall(tail))  # counted again with the next chunk
                if cells > MAX_CELLS:
                    return too_big
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return _("This file is not an Excel workbook (.xlsx).")
    return None


def _values_at(wanted: dict[str, tuple[Any, int]]) -> dict[str, tuple[Any, Any]]:
    """Return, per question, the value and note its answer had at the given version (one query).

    Every saved version of an answer has exactly one revision, in order: version ``n`` is what
    the ``n``-th revision wrote.
    """
    if not wanted:
        return {}
    by_answer = {
        answer.id: (question_id, version) for question_id, (answer, version) in wanted.items()
    }
    rows = db.session.execute(
        select(AnswerRevision.answer_id, AnswerRevision.new_value, AnswerRevision.new_note)
        .where(AnswerRevision.answer_id.in_(sorted(by_answer)))
        .order_by(AnswerRevision.answer_id, AnswerRevision.id)
    ).all()
    history: dict[int, list[tuple[Any, Any]]] = {}
    for answer_id, value, note in rows:
        history.setdefault(answer_id, []).append((value, note))
    bases = {}
    for answer_id, (question_id, version) in by_answer.items():
        versions = history.get(answer_id, [])
        if 1 <= version <= len(versions):
            bases[question_id] = versions[version - 1]
    return bases


def _version(cell_value: Any) -> int | None:
    """Return the answer version a hidden cell holds, or None for anything but a plain count."""
    if isinstance(cell_value, bool) or not isinstance(cell_value, (int, float)):
        return None
    if not math.isfinite(cell_value) or cell_value != int(cell_value):
        return None
    return int(cell_value) if 0 <= cell_value < 10**9 else None


def _assemble(question: QuestionBase, item: _Pending, tables) -> tuple[Any, dict[str, str]]:
    """Return the raw value of a question from its cells, and the cell of each field."""
    if not question.own_sheet:
        return question.from_workbook(item.raw), item.cells
    title, rows = tables.get(question.id, ("", []))
    if not rows:
        return None, item.cells
    ids = [cell.value for cell in rows[0]]
    body = [row for row in rows[2:] if any(_text(cell.value) is not None for cell in row)]
    values = question.from_sheet(ids, [[_text(cell.value) for cell in row] for row in body])
    where = {str(index): f"{title}!{row[0].coordinate}" for index, row in enumerate(body)}
    return values, where
