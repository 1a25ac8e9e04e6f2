"""The cycle's exports as downloads: build the file from the cycle's data context and audit the
download (flushed with the session; the view commits)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response

from app.core import audit
from app.models import Cycle, User
from app.reports import exports
from app.reports.data import cycle_data

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Download:
    body: bytes
    mimetype: str
    filename: str
    #: The data snapshot the file was made from.
    snapshot: str

    def response(self) -> Response:
        """Return the file as an attachment (an ASCII file name; never cached)."""
        response = Response(self.body, mimetype=self.mimetype)
        response.headers.set("Content-Disposition", "attachment", filename=self.filename)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Data-Snapshot"] = self.snapshot
        return response


def export(cycle: Cycle, user: User, kind: str, sheet: str | None = None) -> Download:
    """Return the cycle's workbook (``kind`` ``xlsx``) or one sheet as CSV (``csv``), and audit
    the download (``cycle.exported``: format, sheet, count of countries, rows, snapshot).

    :raises KeyError: for a sheet that is not in ``exports.SHEETS``.
    """
    data = cycle_data(cycle)
    if kind == "xlsx":
        body, mimetype, rows = exports.cycle_workbook(data), XLSX, None
        filename = exports.safe_filename(data, "export.xlsx")
    else:
        body, mimetype = exports.cycle_csv(data, sheet), CSV
        filename = exports.safe_filename(data, f"{sheet}.csv")
        rows = exports.row_count(data, sheet)
    audit.record(
        "cycle.exported",
        actor=user,
        obj=cycle,
        format=kind,
        sheet=sheet,
        count=len(data.countries),
        rows=rows,
        snapshot=data.snapshot,
    )
    return Download(body, mimetype, filename, data.snapshot)
