"""Users, invitations, countries and the audit trail."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.admin import bp, events
from app.admin.forms import EditUserForm, InviteForm
from app.auth import services as accounts
from app.auth.notifications import send_invitation
from app.core import audit
from app.core.permissions import (
    Role,
    can_invite,
    can_list_users,
    can_manage_countries,
    can_manage_users,
    can_view_audit,
    invitable_roles,
    require,
)
from app.extensions import db
from app.forms import ActionForm
from app.i18n import by_country_name, country_name
from app.models import AuditEvent, Country, TokenPurpose, User


def _countries() -> list[Country]:
    return by_country_name(db.session.scalars(select(Country)))


def _country_from_code(code: str | None) -> Country | None:
    if not code:
        return None
    return db.session.scalar(select(Country).where(Country.code == code))


@bp.get("/users")
@require(can_list_users)
def users():
    """List accounts, filtered by text, role, country and state (filters live in the URL)."""
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    country_code = request.args.get("country", "")
    state = request.args.get("state", "")
    query = select(User).order_by(User.display_name, User.email)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(User.display_name).like(pattern), User.email.like(pattern))
        )
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if country_code:
        query = query.join(User.country).where(Country.code == country_code)
    if state == "active":
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    elif state == "invited":
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    elif state == "deactivated":
        query = query.where(User.active.is_(False))
    page = db.paginate(query, per_page=current_app.config["USERS_PER_PAGE"], error_out=False)
    return render_template(
        "admin/users.html",
        page=page,
        countries=_countries(),
        filters={"q": q, "role": role, "country": country_code, "state": state},
        action_form=ActionForm(),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@require(can_invite)
def invite():
    """Create an account and e-mail it a one-time invitation link."""
    form = InviteForm()
    form.set_choices(invitable_roles(current_user), _countries())
    if form.validate_on_submit():
        role = Role(form.role.data)
        try:
            user = accounts.create_user(
                form.email.data,
                form.display_name.data,
                role,
                _country_from_code(form.country.data),
                actor=current_user,
                action="user.invited",
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error.message))
        else:
            token = accounts.issue_token(user, TokenPurpose.INVITATION)
            send_invitation(user, token, current_user)
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form)


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(can_manage_users)
def edit_user(user_id: int):
    """Change an account's name, role or country."""
    user = _user_or_404(user_id)
    form = EditUserForm()
    form.set_choices(list(Role), _countries())
    if request.method == "GET":
        form.display_name.data = user.display_name
        form.role.data = user.role.value
        form.country.data = user.country.code if user.country else ""
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                country=_country_from_code(form.country.data),
                actor=current_user,
            )
        except accounts.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "role").errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=user.display_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/edit_user.html", form=form, user=user, action_form=ActionForm())


@bp.post("/users/<int:user_id>/deactivate")
@require(can_manage_users)
def deactivate_user(user_id: int):
    """Deactivate an account; its sessions end at once."""
    return _set_active(_user_or_404(user_id), False)


@bp.post("/users/<int:user_id>/reactivate")
@require(can_manage_users)
def reactivate_user(user_id: int):
    """Reactivate an account."""
    return _set_active(_user_or_404(user_id), True)


def _set_active(user: User, active: bool):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        accounts.set_active(user, active, actor=current_user)
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        if active:
            flash(_("%(name)s is reactivated.", name=user.display_name), "success")
        else:
            flash(_("%(name)s is deactivated and signed out.", name=user.display_name), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/invitation")
@require(can_invite)
def resend_invitation(user_id: int):
    """Send a new invitation link to an account that has not accepted yet."""
    user = _user_or_404(user_id)
    if not can_invite(current_user, user.role):
        abort(403)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.has_password or not user.active:
        flash(_("%(name)s has already accepted the invitation.", name=user.display_name), "info")
        return redirect(url_for("admin.users"))
    token = accounts.issue_token(user, TokenPurpose.INVITATION)
    audit.record("user.invitation_resent", actor=current_user, obj=user)
    send_invitation(user, token, current_user)
    db.session.commit()
    flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.get("/countries")
@require(can_manage_countries)
def countries():
    """List countries with their officials, filtered by text, region and participation."""
    q = request.args.get("q", "").strip()
    region = request.args.get("region", "")
    participating = request.args.get("participating", "")
    officials = (
        select(User.country_id, func.count(User.id).label("officials"))
        .where(User.active.is_(True))
        .group_by(User.country_id)
        .subquery()
    )
    query = (
        select(Country, func.coalesce(officials.c.officials, 0))
        .outerjoin(officials, officials.c.country_id == Country.id)
        .order_by(Country.name)
    )
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(
            or_(func.lower(Country.name).like(pattern), func.lower(Country.code).like(pattern))
        )
    if region:
        query = query.where(Country.region == region)
    if participating in ("yes", "no"):
        query = query.where(Country.participating.is_(participating == "yes"))
    rows = by_country_name(db.session.execute(query).all(), lambda row: row[0])
    return render_template(
        "admin/countries.html",
        rows=rows,
        filters={"q": q, "region": region, "participating": participating},
        action_form=ActionForm(),
    )


@bp.post("/countries/<code>/participation")
@require(can_manage_countries)
def toggle_participation(code: str):
    """Mark a country as participating in the Task Force's cycles, or not."""
    country = db.first_or_404(select(Country).where(Country.code == code.upper()))
    if not ActionForm().validate_on_submit():
        abort(400)
    country.participating = not country.participating
    audit.record(
        "country.participation_changed",
        actor=current_user,
        obj=country,
        before={"participating": not country.participating},
        after={"participating": country.participating},
    )
    db.session.commit()
    if country.participating:
        flash(_("%(name)s now participates.", name=country_name(country)), "success")
    else:
        flash(_("%(name)s no longer participates.", name=country_name(country)), "success")
    return redirect(url_for("admin.countries", **request.args))


@bp.get("/audit")
@require(can_view_audit)
def audit_trail():
    """Read the audit trail, newest first, filtered by action and by actor."""
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip().lower()
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.like(f"{action}%"))
    if actor:
        query = query.where(AuditEvent.actor_email.like(f"%{actor}%"))
    page = db.paginate(query, per_page=current_app.config["AUDIT_PER_PAGE"], error_out=False)
    return render_template(
        "admin/audit.html",
        page=page,
        shown=events.shown(list(page.items)),
        filters={"action": action, "actor": actor},
    )
