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
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.assessments import fields, services
from app.core.db import utcnow
from app.frameworks.types import STAGES, YNPN, AnswerError, QuestionBase
from app.i18n import localized
from app.models import Assessment, User

HEADER = ("id", "field", "question", "answer", "note", "version")
ID, FIELD, QUESTION, ANSWER, NOTE, VERSION = range(1, 7)
META_SHEET, LISTS_SHEET = "_meta", "_lists"
TABLE_SPARE_ROWS = 20
UNLOCKED = Protection(locked=False)
BOLD = Font(bold=True)
ANSWER_FILL = PatternFill("solid", fgColor="FFF8E1")


def _yes() -> str:
    return _("Yes")


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


def _choice_labels(question: QuestionBase) -> dict[str, str]:
    """Return value -> label for questions with fixed values (labels in the user's language)."""
    if question.type == "ynpn":
        return {code: fields.ynpn_label(code) for code in YNPN}
    if question.type in ("single_choice", "multiple_choice"):
        return {choice.value: localized(choice.label) for choice in question.choices}
    return {}


def _stage_labels() -> dict[str, str]:
    return {stage: fields.stage_label(stage) for stage in STAGES}


def _rows(question: QuestionBase, value: Any, runtime) -> list[tuple[str, str, Any, tuple | None]]:
    """Return the (field, question text, cell value, drop-down labels) rows of a question."""
    label = localized(question.label)
    kind = question.type
    if kind == "ynpn":
        labels = _choice_labels(question)
        return [
            (
                "answer",
                label,
                labels.get(value["answer"]) if value else None,
                tuple(labels.values()),
            ),
            (
                "reference",
                _("Reference (reservation, declaration or comment)"),
                value.get("reference") if value else None,
                None,
            ),
        ]
    if kind == "single_choice":
        labels = _choice_labels(question)
        return [("", label, labels.get(value) if value else None, tuple(labels.values()))]
    if kind == "multiple_choice":
        chosen = value or []
        return [
            (
                choice.value,
                f"{label} — {localized(choice.label)}",
                _yes() if choice.value in chosen else None,
                (_yes(),),
            )
            for choice in question.choices
        ]
    if kind == "indicator_checklist":
        chosen = value or []
        rows = [
            (
                ref,
                f"{label} — {localized(runtime.indicators.get(ref))}",
                _yes() if ref in chosen else None,
                (_yes(),),
            )
            for ref in question.indicators
        ]
        rows.append(
            (
                fields.NONE_YET,
                f"{label} — {_('None of these yet')}",
                _yes() if value == [] else None,
                (_yes(),),
            )
        )
        return rows
    if kind == "legal_citation":
        citation = value or {}
        stages = _stage_labels()
        return [
            (
                "stage",
                f"{label} — {_('Legislative stage')}",
                stages.get(citation.get("stage")),
                tuple(stages.values()),
            ),
            ("instrument", _("Law or instrument"), citation.get("instrument"), None),
            ("article", _("Article or section"), citation.get("article"), None),
            (
                "in_force_date",
                _("In force since (YYYY-MM-DD)"),
                citation.get("in_force_date"),
                None,
            ),
            ("link", _("Link to the text"), citation.get("link"), None),
        ]
    if kind == "contact":
        contact = value or {}
        names = {
            "unit": _("Unit or office"),
            "phone": _("Phone (reachable 24/7)"),
            "email": _("E-mail"),
            "secure_channel": _("Secure channel"),
            "languages": _("Working languages"),
            "availability": _("Availability"),
        }
        first = [(key, f"{label} — {text}", contact.get(key), None) for key, text in names.items()]
        return first
    if kind == "evidence":
        return [("", label, _("Attach files online"), None)]
    return [("", label, value, None)]


def export(assessment: Assessment) -> bytes:
    """Return the assessment's questionnaire and current answers as an .xlsx workbook."""
    state = services.state(assessment)
    runtime = state.runtime
    questionnaire = runtime.questionnaire
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
            country=assessment.country.name,
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
            rows = _rows(question, value, runtime)
            if question.type == "table":
                table_number += 1
                table_sheet = _table_sheet(book, lists, question, value, table_number)
                rows = [
                    (
                        "",
                        localized(question.label),
                        _("See the sheet %(name)s", name=table_sheet.title),
                        None,
                    )
                ]
            for index, (field_name, text, cell_value, choices) in enumerate(rows):
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
                editable = question.type not in ("evidence", "table")
                if editable:
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
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


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
    rows = value or []
    for index in range(len(rows) + TABLE_SPARE_ROWS):
        row = rows[index] if index < len(rows) else {}
        cells = []
        for column in question.columns:
            item = row.get(column.id)
            if column.type == "single_choice" and item is not None:
                item = next((localized(c.label) for c in column.choices if c.value == item), item)
            cells.append(item)
        sheet.append(cells)
        for position in range(1, len(question.columns) + 1):
            cell = sheet.cell(row=sheet.max_row, column=position)
            cell.protection = UNLOCKED
            cell.fill = ANSWER_FILL
    for position, column in enumerate(question.columns, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = 22
        if column.type == "single_choice":
            labels = tuple(localized(choice.label) for choice in column.choices)
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


def _label_to_value(labels: dict[str, str], cell_value: Any) -> Any:
    if cell_value is None:
        return None
    text = str(cell_value).strip()
    for value, label in labels.items():
        if text.casefold() in (label.casefold(), value.casefold()):
            return value
    return text  # left as typed: the question's check explains what is allowed


def import_workbook(assessment: Assessment, data: bytes, user: User) -> ImportResult:
    """Check a filled workbook as a whole, then save every change, or none.

    :returns: the problems (nothing saved when there are any) or the number of answers changed.
    """
    result = ImportResult()
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
            row[0]: row[1] for row in book[META_SHEET].iter_rows(values_only=True) if row and row[0]
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

    state = services.state(assessment)
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
            and runtime.questions[first].type == "table"
        ):
            tables[first] = (sheet.title, list(sheet.iter_rows(min_row=2)))
            continue
        for row in sheet.iter_rows(min_row=2):
            question_id = row[ID - 1].value if len(row) >= ID else None
            if not question_id:
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
                    int(version_cell) if isinstance(version_cell, (int, float)) else None,
                    {},
                    f"{sheet.title}!{answer_cell.coordinate}",
                )
            item.raw[field_name] = _text(answer_cell.value)
            item.cells[field_name] = f"{sheet.title}!{answer_cell.coordinate}"

    changes = []
    for question_id, item in pending.items():
        question = item.question
        if question.type == "evidence":
            continue
        raw, where = _assemble(question, item, tables, runtime)
        try:
            value = question.normalise(raw)
        except AnswerError as error:
            field_name = error.path.split(".")[0] if error.path else ""
            cell = where.get(field_name) or item.first_cell
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
            who = answer.updated_by.display_name if answer and answer.updated_by else "—"
            sheet, _sep, coordinate = item.first_cell.partition("!")
            result.problems.append(
                CellProblem(
                    sheet,
                    coordinate,
                    question_id,
                    _(
                        "Conflict: changed online by %(name)s since the download; "
                        "it now reads “%(value)s”.",
                        name=who,
                        value=fields.display(question, current_value),
                    ),
                )
            )
            continue
        changes.append((question_id, value, note, current_version))
    if result.problems:
        return result
    for question_id, value, note, version in changes:
        try:
            services.save_answer(
                assessment,
                question_id,
                value,
                version=version,
                note=note,
                user=user,
                source="import",
                questionnaire=runtime,
            )
        except services.AssessmentError as error:
            result.problems.append(CellProblem("", "", question_id, str(error.message)))
    result.changed = 0 if result.problems else len(changes)
    return result


def _assemble(
    question: QuestionBase, item: _Pending, tables, runtime
) -> tuple[Any, dict[str, str]]:
    """Return the raw value of a question from its rows, and the cell of each field."""
    raw, cells, kind = item.raw, item.cells, question.type
    if kind == "ynpn":
        return {
            "answer": _label_to_value(_choice_labels(question), raw.get("answer")),
            "reference": raw.get("reference"),
        }, cells
    if kind == "single_choice":
        return _label_to_value(_choice_labels(question), raw.get("")), {"": cells.get("")}
    if kind == "multiple_choice":
        return [value for value in (c.value for c in question.choices) if raw.get(value)], cells
    if kind == "indicator_checklist":
        ticked = [ref for ref in question.indicators if raw.get(ref)]
        if ticked:
            return ticked, cells
        return ([] if raw.get(fields.NONE_YET) else None), cells
    if kind == "legal_citation":
        value = {key: raw.get(key) for key in ("instrument", "article", "in_force_date", "link")}
        value["stage"] = _label_to_value(_stage_labels(), raw.get("stage"))
        return (value if any(value.values()) else None), cells
    if kind == "contact":
        value = {key: raw.get(key) for key in fields.STRUCTURED["contact"]}
        return (value if any(value.values()) else None), cells
    if kind == "table":
        title, rows = tables.get(question.id, ("", []))
        if not rows:
            return None, cells
        ids = [cell.value for cell in rows[0]]
        values, where = [], {}
        for row in rows[2:]:
            cells_by_id = {}
            for position, cell in enumerate(row):
                if position < len(ids) and ids[position]:
                    column = next((c for c in question.columns if c.id == ids[position]), None)
                    if column is None:
                        continue
                    cell_value = _text(cell.value)
                    if column.type == "single_choice":
                        cell_value = _label_to_value(
                            {c.value: localized(c.label) for c in column.choices}, cell_value
                        )
                    cells_by_id[column.id] = cell_value
            if any(v is not None for v in cells_by_id.values()):
                where[str(len(values))] = f"{title}!{row[0].coordinate}"
                values.append(cells_by_id)
        return values, where
    return raw.get(""), {"": cells.get("")}
