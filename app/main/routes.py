"""Home pages by role, the account page, the language switch and country pages."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from sqlalchemy import select

from app.admin import events as audit_events
from app.api import auth as api_tokens
from app.assessments import answers, review, workflows
from app.capacity import directory
from app.core import audit
from app.core.db import utcnow
from app.core.permissions import (
    Role,
    can_keep_recommendation_library,
    can_manage_cycles,
    can_read_directory,
    require_country_access,
    visible_assessments,
)
from app.core.security import is_safe_redirect
from app.extensions import db
from app.forms import ActionForm
from app.i18n import by_country_name
from app.main import bp
from app.main import services as queries
from app.main.forms import AccountForm, LanguageForm
from app.models import ApiToken, AssessmentStatus, Country


@bp.get("/")
@login_required
def home():
    """The home page made for the user's role."""
    user = current_user
    if user.role is Role.OFFICIAL:
        assessments = list(db.session.scalars(visible_assessments(user)))
        current = next((a for a in assessments if answers.is_editable(a)), None)
        state = answers.state(current) if current else None
        return render_template(
            "main/home_official.html",
            country=user.country,
            team=queries.country_team(user.country),
            assessments=assessments,
            current=current,
            state=state,
            progress=state.progress() if state else None,
            asked=review.open_clarifications(current) if current else [],
            contacts_status=(
                directory.country_status(user.country) if can_read_directory(user) else None
            ),
        )
    context = {
        "countries": by_country_name(queries.participating_countries()),
        "cycles": queries.cycle_summaries(),
        "manages_cycles": can_manage_cycles(user),
        "keeps_recommendations": can_keep_recommendation_library(user),
    }
    if user.role is Role.REVIEWER:
        assigned = review.queue(user)
        context["queue"] = [a for a in assigned if a.status in workflows.AWAITING_REVIEW
                            or a.status is AssessmentStatus.IN_REVIEW]  # fmt: skip
        context["waiting"] = [a for a in assigned if a.status in workflows.COUNTRY_WRITES]
        context["to_adjudicate"] = review.adjudication_queue(user)
        context["today"] = utcnow()
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        context["overview"] = queries.overview()
        context["overdue_contacts"] = directory.overdue_contacts()
        context["to_adjudicate"] = review.adjudication_queue(user)
    if user.role is Role.ADMIN:
        context["events"] = audit_events.shown(queries.recent_events())
    return render_template("main/home.html", **context)


@bp.post("/language")
def set_language():
    """Switch the interface language (kept on the account when signed in)."""
    form = LanguageForm()
    target = form.next.data if is_safe_redirect(form.next.data) else url_for("main.home")
    if form.validate_on_submit():
        session["locale"] = form.language.data
        if current_user.is_authenticated:
            current_user.locale = form.language.data
            db.session.commit()
        refresh()
        g.pop("_language", None)
    return redirect(target)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's own name and language; links to password change and sign-out everywhere."""
    user = current_user._get_current_object()
    form = AccountForm(obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.locale.data = user.locale or ""
    if form.validate_on_submit():
        before = {"display_name": user.display_name, "locale": user.locale}
        user.display_name = form.display_name.data.strip()
        user.locale = form.locale.data or None
        after = {"display_name": user.display_name, "locale": user.locale}
        if before != after:
            audit.record("user.profile_updated", actor=user, obj=user, before=before, after=after)
        db.session.commit()
        if user.locale:
            session["locale"] = user.locale
        refresh()
        g.pop("_language", None)
        flash(_("Your account is saved."), "success")
        return redirect(url_for("main.account"))
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("main/account.html", form=form, tokens=tokens, action_form=ActionForm())


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's API tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    api_tokens.revoke(token, current_user)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked.", name=token.name), "success")
    return redirect(url_for("main.account"))


@bp.get("/countries/<code>")
@login_required
def country(code: str):
    """A country's page: its facts and its team of officials."""
    country = db.first_or_404(select(Country).where(Country.code == code.upper()))
    require_country_access(current_user, country)
    return render_template("main/country.html", country=country, team=queries.country_team(country))


@bp.get("/healthz")
def healthz():
    """Tell a load balancer that the app and its database answer."""
    db.session.execute(select(1))
    return {"status": "ok"}


@bp.get("/favicon.ico")
def favicon():
    """The site icon, for browsers and tools that ask at the old address (pages link the SVG)."""
    return send_from_directory(
        current_app.static_folder, "img/favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
