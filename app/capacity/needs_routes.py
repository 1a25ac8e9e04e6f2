"""Capacity-building needs: the register across countries (coordinators; reviewers read it), a
country's needs (its officials ask for assistance and set priorities), and a need's page with its
history and the coordinators' actions (close, decline, re-open)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.capacity import bp
from app.capacity import needs as service
from app.capacity.workflows import NEED, NEED_STATES, OPEN
from app.core.errors import ServiceError
from app.core.labels import REGION_LABELS
from app.core.permissions import (
    can_manage_needs,
    can_request_assistance,
    can_see_needs,
    require,
    require_country_access,
)
from app.extensions import db
from app.forms import ActionForm
from app.i18n import by_country_name
from app.models import Country, Cycle, Need


def _sees_every_country(user) -> bool:
    """Coordinators, admins and reviewers read the register of every country's needs."""
    return can_see_needs(user, None)


def _need(need_id: int) -> Need:
    """Return the need the user may see, or answer 404 (another country's need stays private)."""
    need = service.find(need_id, current_user)
    if need is None:
        abort(404)
    return need


def _common() -> dict:
    """What every needs page shows beside its needs."""
    from app.scoring.explain import rating_names

    return {
        "NEED_STATES": NEED_STATES,
        "ASSISTANCE_TYPES": service.ASSISTANCE_TYPES,
        "REQUEST_TYPES": service.REQUEST_TYPES,
        "PRIORITIES": service.PRIORITIES,
        "names": service.names(),
        "rating_names": rating_names(),
        "is_open": lambda need: need.status in OPEN,
        "action_form": ActionForm(),
    }


# --- The register ------------------------------------------------------------------------------


@bp.get("/needs")
@require(_sees_every_country)
def register():
    """Every country's needs, filtered by the URL (type, region, framework, provision, priority,
    status, country, kind, cycle), with counts by status and assistance type; 50 a page."""
    filters, errors = service.parse_filters(request.args)
    page, counts = service.register(filters, current_user)
    common = _common()
    return render_template(
        "capacity/needs.html",
        page=page,
        counts=counts,
        filters=filters,
        args=filters.args(),
        errors=errors,
        regions=REGION_LABELS,
        countries=by_country_name(
            db.session.scalars(select(Country).where(Country.id.in_(select(Need.country_id))))
        ),
        cycles=list(db.session.scalars(select(Cycle).order_by(Cycle.id.desc()))),
        manages=can_manage_needs(current_user),
        **common,
    )


# --- A country's needs -------------------------------------------------------------------------


def _country(code: str) -> Country:
    country = db.first_or_404(select(Country).where(Country.code == code.upper()))
    require_country_access(current_user, country)
    if not can_see_needs(current_user, country.id):
        abort(404)
    return country


def _country_page(country: Country, refusal: dict | None = None):
    """Render a country's needs (a fixed number of queries whatever their number); ``refusal``:
    the form refused (``form``, ``need``), the field at fault and why."""
    rows = service.country_needs(country, current_user)
    # The country reads the effect of published reviews only, as it reads their ratings.
    official = not _sees_every_country(current_user)
    return render_template(
        "capacity/country_needs.html",
        country=country,
        rows=rows,
        open_count=sum(1 for row in rows if row.need.status in OPEN),
        effects=service.effects([row.need for row in rows], published_only=official),
        may_request=lambda need: can_request_assistance(current_user, need),
        may_decline=lambda need: NEED.refusal(need, "decline", current_user) is None,
        refusal=refusal,
        **_common(),
    ), (refusal["status"] if refusal else 200)


@bp.get("/countries/<code>/needs")
@login_required
def country_needs(code: str):
    """A country's needs with their recommendations and status: its officials ask for
    assistance, set priorities and decline; the staff read them."""
    return _country_page(_country(code))


# --- A need ------------------------------------------------------------------------------------


def _need_page(need: Need, refusal: dict | None = None):
    """Render a need's page: what was found, the recommendation, the assistance requested, the
    effect of a later review, its history and the actions the user may take."""
    (row,) = service.rows([need])
    official = not _sees_every_country(current_user)
    actions = [
        transition
        for transition in NEED.available(need, current_user)
        if transition.name in service.ACTIONS
    ]
    return render_template(
        "capacity/need.html",
        need=need,
        row=row,
        effect=service.effects([need], published_only=official).get(need.id),
        history=service.history(need) if not official else [],
        actions=actions,
        may_request=can_request_assistance(current_user, need),
        staff=_sees_every_country(current_user),
        refusal=refusal,
        **_common(),
    ), (refusal["status"] if refusal else 200)


@bp.get("/needs/<int:need_id>")
@login_required
def need(need_id: int):
    """A need's page."""
    return _need_page(_need(need_id))


def _step(need_id: int, form: str, step, success: str):
    """Run a service step posted from a need's form: commit, say ``success`` and go back to the
    page the form was on; otherwise roll back and show that page again with the refusal next to
    its field and what was typed (403 and 404 stay errors)."""
    need = _need(need_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    detail = request.form.get("back") == "need"
    try:
        step(need)
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        refusal = {
            "form": form,
            "need": need.id,
            "field": error.field,
            "message": str(error.message),
            "status": error.status,
        }
        need = _need(need_id)
        return _need_page(need, refusal) if detail else _country_page(need.country, refusal)
    db.session.commit()
    flash(success, "success")
    if detail:
        return redirect(url_for("capacity.need", need_id=need.id))
    return redirect(url_for("capacity.country_needs", code=need.country.code) + f"#need-{need.id}")


@bp.post("/needs/<int:need_id>/assistance")
@login_required
def request_assistance(need_id: int):
    """The country's officials ask for assistance on one of its needs."""
    form = request.form
    return _step(
        need_id,
        "assistance",
        lambda need: service.request_assistance(
            need,
            form.get("type"),
            form.get("target_institution"),
            form.get("priority"),
            form.get("description"),
            current_user,
        ),
        _("Your request for assistance is recorded."),
    )


@bp.post("/needs/<int:need_id>/priority")
@login_required
def set_priority(need_id: int):
    """The country's officials set the priority of one of its needs."""
    form = request.form
    return _step(
        need_id,
        "priority",
        lambda need: service.set_priority(
            need, form.get("priority"), current_user, form.get("version")
        ),
        _("The priority is saved."),
    )


@bp.post("/needs/<int:need_id>/decline")
@login_required
def decline(need_id: int):
    """Decline a need, saying why (the country's officials, coordinators)."""
    return _step(
        need_id,
        "decline",
        lambda need: service.decline(need, request.form.get("reason"), current_user),
        _("The need is declined."),
    )


@bp.post("/needs/<int:need_id>/close")
@login_required
def close(need_id: int):
    """Close a need as met, saying how (coordinators)."""
    return _step(
        need_id,
        "close",
        lambda need: service.close(need, request.form.get("reason"), current_user),
        _("The need is closed."),
    )


@bp.post("/needs/<int:need_id>/reopen")
@login_required
def reopen(need_id: int):
    """Re-open a closed or declined need (coordinators)."""
    return _step(
        need_id,
        "reopen",
        lambda need: service.reopen(need, current_user),
        _("The need is open again."),
    )
