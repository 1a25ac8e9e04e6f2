"""The cycle exports: the workbook and one CSV per sheet, for coordinators; every download is
audited."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from app.core.permissions import can_export_cycles, require
from app.extensions import db
from app.models import Cycle
from app.reports import bp, exports, services

# The cycle page (``assessments/cycle.html``) links to the exports for those who may download.
bp.add_app_template_global(can_export_cycles, "can_export_cycles")
bp.add_app_template_global(exports.sheet_titles, "export_sheets")


@bp.get("/cycles/<int:cycle_id>/export.xlsx")
@require(can_export_cycles)
def export_workbook(cycle_id: int):
    """The cycle's workbook: ratings matrix, counts, maturity, treaty status, status and dates."""
    cycle = db.get_or_404(Cycle, cycle_id)
    download = services.export(cycle, current_user, "xlsx")
    db.session.commit()
    return download.response()


@bp.get("/cycles/<int:cycle_id>/export/<sheet>.csv")
@require(can_export_cycles)
def export_sheet(cycle_id: int, sheet: str):
    """One sheet of the cycle's export as CSV (UTF-8 with a byte-order mark)."""
    cycle = db.get_or_404(Cycle, cycle_id)
    if sheet not in exports.SHEETS:
        abort(404)
    download = services.export(cycle, current_user, "csv", sheet)
    db.session.commit()
    return download.response()
