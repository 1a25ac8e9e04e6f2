"""The register of capacity-building activities: the list with its filters and the summary per
donor, an activity's page (its needs and their effect, documents, status), and the forms
coordinators keep it with."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from app.assessments.fields import read_upload
from app.capacity import activities as service
from app.capacity import bp
from app.capacity.activities_forms import ActivityForm, DocumentForm, LinkNeedForm
from app.capacity.activity_workflows import ACTIVITY, ACTIVITY_STATES, TAKES_NEEDS
from app.capacity.workflows import NEED_STATES
from app.core import labels
from app.core.errors import ServiceError
from app.core.permissions import can_manage_needs, require
from app.extensions import db
from app.forms import ActionForm
from app.i18n import by_country_name, country_name
from app.models import Activity, Country


def _activity(activity_id: int) -> Activity:
    try:
        return service.find(activity_id, current_user)
    except ServiceError:
        abort(404)


def _manager() -> None:
    if not can_manage_needs(current_user):
        abort(403)


def _page_url(activity: Activity, anchor: str = "") -> str:
    return url_for("capacity.activity", activity_id=activity.id) + (f"#{anchor}" if anchor else "")


def _common() -> dict:
    return {
        "ACTIVITY_STATES": ACTIVITY_STATES,
        "NEED_STATES": NEED_STATES,
        "FORMAT_LABELS": service.FORMAT_LABELS,
        "AUDIENCE_LABELS": service.AUDIENCE_LABELS,
        "EFFECT_LABELS": service.EFFECT_LABELS,
        "manages": can_manage_needs(current_user),
    }


# --- The register ------------------------------------------------------------------------------


@bp.get("/activities")
@login_required
def activities():
    """The activities the user may see, filtered by the address; or (``view=donors``) the effect
    of the needs they answered, per donor."""
    filters = service.Filters.from_args(request.args)
    rows = service.register(current_user, filters)
    view = "donors" if request.args.get("view") == "donors" else "list"
    context = {}
    if view == "donors":
        context["donors"] = service.donor_summary(rows, current_user)
    else:
        context["matched"] = service.links(rows, current_user)
    options = service.filter_options(current_user)
    options["countries"] = by_country_name(options["countries"])
    return render_template(
        "capacity/activities.html",
        activities=rows,
        filters=filters,
        options=options,
        view=view,
        **context,
        **_common(),
    )


# --- Creating and changing ---------------------------------------------------------------------


def _fill_choices(form: ActivityForm, names: dict[str, str]) -> list[Country]:
    countries = by_country_name(db.session.scalars(select(Country)))
    form.countries.choices = [
        SelectChoice(c.code, f"{country_name(c)} ({c.code})") for c in countries
    ]
    form.addresses.choices = [SelectChoice(ref, name) for ref, name in names.items()]
    return countries


def _country_groups(form: ActivityForm, countries: list[Country]) -> list[tuple[str, list]]:
    """The country checkboxes grouped by UN region, in the regions' order."""
    region_of = {country.code: country.region for country in countries}
    groups: dict[str | None, list] = {}
    for option in form.countries:
        groups.setdefault(region_of.get(option.data), []).append(option)
    order = [*labels.REGION_LABELS, None]
    return [
        (str(labels.REGION_LABELS.get(region, _("Other territories"))), groups[region])
        for region in order
        if region in groups
    ]


def _form_page(form: ActivityForm, countries, activity: Activity | None, status: int = 200):
    return (
        render_template(
            "capacity/activity_form.html",
            form=form,
            groups=_country_groups(form, countries),
            activity=activity,
            **_common(),
        ),
        status,
    )


def _save(form: ActivityForm, names: dict[str, str], step) -> tuple[Activity | None, int]:
    """Check the form's values and run ``step(checked)``; on a refusal put its message next to
    its field (or above the form) and return the status to answer."""
    checked = service.check(form.values(), known=names)
    if checked.problems:
        for problem in checked.problems:
            getattr(form, problem.field).errors.append(str(problem.message))
        return None, 422
    try:
        saved = step(checked)
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        target = getattr(form, error.field or "", None)
        if target is not None and error.field != "version":
            target.errors.append(str(error.message))
        else:
            form.form_errors.append(str(error.message))
        return None, error.status
    db.session.commit()
    return saved, 200


@bp.route("/activities/new", methods=["GET", "POST"])
@require(can_manage_needs)
def new_activity():
    """Add an activity to the register."""
    form = ActivityForm()
    names = service.addressable()
    countries = _fill_choices(form, names)
    if request.method == "GET" and request.args.get("country"):
        form.countries.data = [request.args["country"].upper()]
    status = 200
    if form.validate_on_submit():
        saved, status = _save(
            form,
            names,
            lambda checked: service.create_activity({}, current_user, checked=checked),
        )
        if saved is not None:
            flash(_("The activity is in the register."), "success")
            return redirect(_page_url(saved))
    elif request.method == "POST":
        status = 400 if "csrf_token" in form.errors else 422
    return _form_page(form, countries, None, status)


def _values_of(activity: Activity) -> dict:
    return {
        "title": activity.title,
        "provider": activity.provider,
        "donor": activity.donor,
        "starts_on": activity.starts_on.isoformat(),
        "ends_on": activity.ends_on.isoformat(),
        "format": activity.format,
        "location": activity.location,
        "online": activity.online,
        "countries": [country.code for country in activity.countries],
        "institutions": activity.institutions,
        "audiences": list(activity.audiences or []),
        "participants_women": "" if activity.participants_women is None
        else str(activity.participants_women),
        "participants_men": "" if activity.participants_men is None
        else str(activity.participants_men),
        "addresses": list(activity.addresses or []),
        "outputs": activity.outputs,
        "version": str(activity.version),
    }  # fmt: skip


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_activity(activity_id: int):
    """Change an activity's details (refused when someone changed it meanwhile)."""
    activity = _activity(activity_id)
    _manager()
    form = ActivityForm(data=None if request.method == "POST" else _values_of(activity))
    names = service.addressable()
    countries = _fill_choices(form, names)
    status = 200
    if form.validate_on_submit():
        version = form.version.data
        saved, status = _save(
            form,
            names,
            lambda checked: service.update_activity(
                activity,
                {},
                int(version) if (version or "").isdigit() else version,
                current_user,
                checked=checked,
            ),
        )
        if saved is not None:
            flash(_("The activity is saved."), "success")
            return redirect(_page_url(saved))
    elif request.method == "POST":
        status = 400 if "csrf_token" in form.errors else 422
    return _form_page(form, countries, activity, status)


# --- One activity ------------------------------------------------------------------------------


def _detail(activity: Activity, *, link_form=None, document_form=None, status: int = 200):
    """Render the activity's page (with a refused form's errors, when given)."""
    needs, found, counts = service.effect_summary(activity, current_user)
    manages = can_manage_needs(current_user)
    open_for_needs = manages and ACTIVITY.status(activity) in TAKES_NEEDS
    link_form = link_form or LinkNeedForm(formdata=None)
    names = service.addressable()
    if open_for_needs:
        candidates = service.candidate_needs(activity, needs)
        link_form.need.choices = [SelectChoice("", _("Choose a need…"))] + [
            SelectChoice(
                str(need.id),
                f"{country_name(need.country)} — {names.get(need.ref, need.ref)} "
                f"({need.found}) · {NEED_STATES[need.status.value][0]}",
            )
            for need in candidates
        ]
    return (
        render_template(
            "capacity/activity.html",
            activity=activity,
            needs=needs,
            effects=found,
            counts=counts,
            names=names,
            documents=service.documents(activity),
            actions=ACTIVITY.available(activity, current_user),
            open_for_needs=open_for_needs,
            link_form=link_form,
            document_form=document_form or DocumentForm(formdata=None),
            action_form=ActionForm(),
            **_common(),
        ),
        status,
    )


@bp.get("/activities/<int:activity_id>")
@login_required
def activity(activity_id: int):
    """An activity: its details, the needs it answers with their status and effect, documents
    and, for coordinators, the forms that keep it."""
    return _detail(_activity(activity_id))


def _step(activity: Activity, step, success: str, anchor: str = ""):
    """Run a service step from a posted button: commit and say ``success``; otherwise roll back
    and say why on the page (403 and 404 stay errors)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        step()
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(_page_url(activity, anchor))


@bp.post("/activities/<int:activity_id>/status")
@login_required
def activity_status(activity_id: int):
    """Take a step of the activity (in delivery, delivered, cancelled); its needs follow."""
    activity = _activity(activity_id)
    _manager()
    action = request.form.get("action", "")
    moved: list = []

    def step():
        if action not in ACTIVITY_ACTIONS:
            raise ServiceError(_("Choose one of the buttons."))
        moved.extend(service.change_status(activity, action, current_user))

    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        step()
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        message = f"{ACTIVITY_ACTIONS[action]} — {_('done.')}"
        if moved:
            message += " " + ngettext(
                "%(num)d need moved on with it.", "%(num)d needs moved on with it.", len(moved)
            )
        flash(message, "success")
    return redirect(_page_url(activity))


#: The activity's steps taken with a button, and their labels.
ACTIVITY_ACTIONS = {transition.name: transition.label for transition in ACTIVITY.transitions}


@bp.post("/activities/<int:activity_id>/needs")
@login_required
def link_need(activity_id: int):
    """Match a need of a beneficiary country with the activity."""
    activity = _activity(activity_id)
    _manager()
    form = LinkNeedForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        service.link_need(activity, form.need.data, current_user)
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        form.need.errors = [str(error.message)]
        return _detail(activity, link_form=form, status=error.status)
    db.session.commit()
    flash(_("The need is matched with the activity."), "success")
    return redirect(_page_url(activity, "needs"))


@bp.post("/activities/<int:activity_id>/needs/remove")
@login_required
def unlink_need(activity_id: int):
    """Take a need off the activity."""
    activity = _activity(activity_id)
    _manager()
    return _step(
        activity,
        lambda: service.unlink_need(activity, request.form.get("need"), current_user),
        _("The need is no longer matched with the activity."),
        "needs",
    )


@bp.post("/activities/<int:activity_id>/documents")
@login_required
def upload_document(activity_id: int):
    """Attach a document (agenda, report, materials) to the activity."""
    from flask import current_app

    activity = _activity(activity_id)
    _manager()
    form = DocumentForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _detail(activity, document_form=form, status=422)
    upload = form.file.data
    try:
        service.add_document(
            activity,
            read_upload(upload, current_app.config["EVIDENCE_MAX_BYTES"] + 1),
            upload.filename or "",
            current_user,
        )
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        form.file.errors = [str(error.message)]
        return _detail(activity, document_form=form, status=error.status)
    db.session.commit()
    flash(_("The document is attached."), "success")
    return redirect(_page_url(activity, "documents"))


@bp.get("/activities/<int:activity_id>/documents/<document_id>")
@login_required
def download_document(activity_id: int, document_id: str):
    """Download one of the activity's documents (the download is audited)."""
    activity = _activity(activity_id)
    try:
        document, stream = service.open_document(activity, document_id, current_user)
    except ServiceError:
        abort(404)
    db.session.commit()
    return send_file(
        stream,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )
