"""The cycle exports: the workbook and one CSV per sheet, for coordinators; every download is
audited."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.core.db import utcnow
from app.core.labels import ASSESSMENT_STATES
from app.core.permissions import can_export_cycles, can_see_dashboard, require
from app.extensions import db
from app.models import Cycle, CycleStatus
from app.reports import bp, exports, services
from app.reports import dashboard as dashboards
from app.reports.data import cached_cycle_data

# The cycle page (``assessments/cycle.html``) links to the exports for those who may download.
bp.add_app_template_global(can_export_cycles, "can_export_cycles")
bp.add_app_template_global(exports.sheet_titles, "export_sheets")
bp.add_app_template_global(can_see_dashboard, "can_see_dashboard")


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


@bp.get("/dashboard")
@require(can_see_dashboard)
def dashboard():
    """The coordinators' dashboard: pipeline, heatmap, per-provision view, group averages and
    trends of a cycle, filtered through the URL (cycle, framework, region, status, measure,
    provision)."""
    cycles = list(db.session.scalars(select(Cycle).order_by(Cycle.id)))
    if not cycles:
        return render_template("reports/dashboard.html", cycles=[], cycle=None, board=None)
    by_id = {cycle.id: cycle for cycle in cycles}
    cycle = by_id.get(request.args.get("cycle", type=int) or 0)
    if cycle is None:
        opened = [c for c in cycles if c.status is CycleStatus.OPEN]
        cycle = (opened or cycles)[-1]
    filters = dashboards.Filters(
        cycle_id=cycle.id,
        framework=request.args.get("framework") or None,
        region=request.args.get("region") or None,
        status=request.args.get("status") or None,
        measure=request.args.get("measure") or "counts",
        provision=request.args.get("provision") or None,
    )
    # Trends: at most EARLIER_CYCLES earlier finished cycles, each one data context.
    earlier = [c for c in cycles if c.id < cycle.id and c.status is CycleStatus.CLOSED]
    earlier = earlier[-dashboards.EARLIER_CYCLES :]
    board = dashboards.build(
        cached_cycle_data(cycle),
        filters,
        deadline=cycle.deadline,
        today=utcnow().date(),
        earlier=[cached_cycle_data(c) for c in earlier],
    )
    return render_template(
        "reports/dashboard.html",
        cycles=list(reversed(cycles)),
        cycle=cycle,
        board=board,
        bands=dashboards.BANDS,
        band=dashboards.band,
        scale=dashboards.SCALE,
        all_ratings=dashboards.ALL_RATINGS,
        min_group=dashboards.MIN_GROUP,
        earlier_cycles=dashboards.EARLIER_CYCLES,
        states=ASSESSMENT_STATES,
        here=lambda **changes: url_for(
            "reports.dashboard",
            **{k: v for k, v in {**request.args.to_dict(), **changes}.items() if v},
        ),
    )
