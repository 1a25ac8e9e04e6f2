"""A cycle's exports from its data context (``data.CycleData``): one Excel workbook (streamed
with openpyxl's write-only mode, so memory stays bounded whatever the number of countries) and
one CSV file per sheet. The workbook and the CSV files are made from the same tables.

Sheets: the ratings matrix (countries × provisions, final ratings), the counts per cluster and
framework (with the indicative index, labelled as such), maturity (countries × capability areas:
stage, and whether confirmed), treaty status (country × instrument), status and dates, and a
short "About" sheet (cycle, time, data snapshot, scale). Cells are typed (numbers, dates, text);
no text is ever a live formula: text cells are stored as text, those starting with =, +, -, @, a
tab or a carriage return with Excel's quote prefix too (as ``app.assessments.workbook`` does);
in CSV such a text gets a leading apostrophe (``app.capacity.directory.spreadsheet_safe``).
Headers and sheet names are in the reader's language.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.capacity.directory import spreadsheet_safe
from app.core.db import utcnow
from app.reports.data import RATINGS, CycleData

#: A text starting with one of these is a formula to some spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The sheets, by the key the CSV routes and the API name them with.
SHEETS = ("ratings", "counts", "maturity", "treaty-status", "status")
BOLD = Font(bold=True)
#: Characters a sheet title may not hold.
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Table:
    """One sheet: its title, header, rows (made as they are written) and layout."""

    key: str
    title: str
    header: list[str]
    rows: Callable[[], Iterator[list[Any]]]
    #: The first cell that scrolls (frozen rows above, frozen columns left of it).
    freeze: str = "C2"
    widths: tuple[float, ...] = ()


def sheet_titles() -> dict[str, str]:
    """Return each sheet's title in the reader's language (as the workbook names them)."""
    return {
        "ratings": _("Ratings"),
        "counts": _("Counts"),
        "maturity": _("Maturity"),
        "treaty-status": _("Treaty status"),
        "status": _("Status and dates"),
    }


def _utc(moment: datetime | None) -> datetime | None:
    """A timestamp as Excel holds it: naive, in UTC (the headers say so)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def tables(data: CycleData) -> dict[str, Table]:
    """Return the export's tables, by sheet key, each producing its rows from ``data``."""
    titles = sheet_titles()
    code, country = _("Country code"), _("Country")

    def ratings() -> Iterator[list[Any]]:
        for item in data.countries:
            row = [item.country.code, item.country.name, item.status_label]
            for column in data.columns:
                rating = item.ratings.get(column.ref)
                row.append(rating.shown if rating is not None else None)
            yield row

    def counts() -> Iterator[list[Any]]:
        whole = _("Whole framework")
        for item in data.countries:
            for count in item.counts:
                cluster = (
                    data.cluster_labels.get((count.framework_id, count.cluster), count.cluster)
                    if count.cluster
                    else whole
                )
                yield [
                    item.country.code,
                    item.country.name,
                    data.framework_labels.get(count.framework_id, count.framework_id),
                    cluster,
                    *(count.counts.get(rating, 0) for rating in RATINGS),
                    count.gaps,
                    count.index,
                ]

    def maturity() -> Iterator[list[Any]]:
        confirmed, derived = _("Confirmed"), _("Derived")
        for item in data.countries:
            row: list[Any] = [item.country.code, item.country.name]
            for area in data.areas:
                stage = item.stages.get(area.id)
                row += (
                    [stage.stage, confirmed if stage.confirmed else derived]
                    if stage
                    else [None, None]
                )
            yield row

    def treaty() -> Iterator[list[Any]]:
        for item in data.countries:
            for instrument in data.instruments:
                status = item.treaty.get(instrument.framework_id)
                if status is None:
                    continue
                yield [
                    item.country.code,
                    item.country.name,
                    instrument.label,
                    status.status_text,
                    status.date,
                    status.reservations_text,
                    status.declarations_text,
                ]

    def status() -> Iterator[list[Any]]:
        for item in data.countries:
            yield [
                item.country.code,
                item.country.name,
                item.country.region_name or None,
                item.status_label,
                _utc(item.submitted_at),
                _utc(item.finalised_at),
                _utc(item.published_at),
                item.questionnaire_version,
                item.rules_version,
                item.snapshot,
            ]

    areas = []
    for area in data.areas:
        areas += [area.label, _("%(area)s: confirmed or derived", area=area.label)]
    return {
        "ratings": Table(
            "ratings",
            titles["ratings"],
            [code, country, _("Status"), *(column.label for column in data.columns)],
            ratings,
            freeze="D2",
            widths=(10, 28, 16),
        ),
        "counts": Table(
            "counts",
            titles["counts"],
            [
                code,
                country,
                _("Framework"),
                _("Cluster"),
                *RATINGS,
                _("Gaps (PC or NC, mandatory)"),
                _("Indicative index (C=100, LC=67, PC=33, NC=0; NA and NR excluded)"),
            ],
            counts,
            widths=(10, 28, 14, 28),
        ),
        "maturity": Table(
            "maturity",
            titles["maturity"],
            [code, country, *areas],
            maturity,
            widths=(10, 28),
        ),
        "treaty-status": Table(
            "treaty-status",
            titles["treaty-status"],
            [
                code,
                country,
                _("Instrument"),
                _("Status"),
                _("Date of the latest step"),
                _("Reservations"),
                _("Declarations and notifications"),
            ],
            treaty,
            widths=(10, 28, 36, 30, 14, 60, 60),
        ),
        "status": Table(
            "status",
            titles["status"],
            [
                code,
                country,
                _("Region"),
                _("Status"),
                _("Submitted (UTC)"),
                _("Finalised (UTC)"),
                _("Published (UTC)"),
                _("Questionnaire version"),
                _("Scoring rules version"),
                _("Data snapshot (SHA-256)"),
            ],
            status,
            widths=(10, 28, 12, 16, 18, 18, 18, 14, 14, 66),
        ),
    }


# --- Workbook ----------------------------------------------------------------------------------


def _title(text: str) -> str:
    return _TITLE_FORBIDDEN.sub(" ", text)[:31]


def _text_cell(sheet, text: str) -> Any:
    """Return a text cell that is never a formula."""
    cell = WriteOnlyCell(sheet, value=text)
    if text.startswith(FORMULA_START):
        cell.data_type = "s"  # openpyxl takes a text starting with "=" for a formula
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def _xlsx_cell(sheet, value: Any) -> Any:
    """Return what to append for ``value``: a typed cell; text never a formula."""
    if isinstance(value, str):
        return _text_cell(sheet, value) if value.startswith(FORMULA_START) else value
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


def cycle_workbook(data: CycleData) -> bytes:
    """Return the cycle's workbook (.xlsx): one sheet per table, frozen header row and country
    columns, a filter on every sheet; then an "About" sheet."""
    book = Workbook(write_only=True)
    for table in tables(data).values():
        sheet = book.create_sheet(_title(table.title))
        for position, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(position)].width = width
        sheet.freeze_panes = table.freeze
        header = []
        for text in table.header:
            cell = _text_cell(sheet, text)
            cell.font = BOLD
            header.append(cell)
        sheet.append(header)
        count = 0
        for row in table.rows():
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            count += 1
        last = get_column_letter(len(table.header))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    about = book.create_sheet(_title(_("About")))
    about.column_dimensions["A"].width = 34
    about.column_dimensions["B"].width = 80
    for key, value in _about(data):
        about.append([_xlsx_cell(about, key), _xlsx_cell(about, value)])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _about(data: CycleData) -> list[tuple[str, Any]]:
    return [
        (_("Cycle"), data.cycle_name),
        (_("Exported (UTC)"), _utc(utcnow())),
        (_("Countries"), len(data.countries)),
        (_("Data snapshot (SHA-256)"), data.snapshot),
        (
            _("Ratings"),
            _("The final ratings: C compliant, LC largely compliant, PC partially compliant, "
              "NC non-compliant, NA not applicable, NR not rated."),
        ),
        (
            _("Indicative index"),
            _("Indicative only: C=100, LC=67, PC=33, NC=0; NA and NR excluded; equal weights "
              "unless the questionnaire sets weights."),
        ),
        (
            _("Maturity"),
            _("The stage a reviewer confirmed; where none is confirmed, the stage derived from "
              "the answers (said beside it)."),
        ),
    ]  # fmt: skip


# --- CSV ---------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _utc(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return spreadsheet_safe(value)


def cycle_csv(data: CycleData, sheet: str) -> bytes:
    """Return one sheet of the export as CSV: UTF-8 with a byte-order mark (so spreadsheets
    read the accents), CRLF line ends.

    :raises KeyError: for a sheet that is not in ``SHEETS``.
    """
    table = tables(data)[sheet]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_value(text) for text in table.header])
    for row in table.rows():
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def row_count(data: CycleData, sheet: str) -> int:
    """Return how many rows (without the header) a sheet has."""
    return sum(1 for _row in tables(data)[sheet].rows())


def safe_filename(data: CycleData, suffix: str) -> str:
    """Return an ASCII file name for a download: ``catf-<cycle>-<suffix>``."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", data.cycle_name).strip("-").lower()[:60]
    return f"catf-{stem or f'cycle-{data.cycle_id}'}-{suffix}"
