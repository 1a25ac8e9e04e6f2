"""Sign in and out, change or reset a password, accept an invitation."""

from __future__ import annotations

import math

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from app.auth import bp, sessions
from app.auth import services as accounts
from app.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
)
from app.auth.notifications import send_password_reset
from app.core import audit
from app.core.db import utcnow
from app.core.security import is_safe_redirect, verify_password
from app.extensions import db
from app.models import TokenPurpose


def lockout_minutes() -> int:
    """Return how long sign-in stays paused after too many failures, in whole minutes."""
    return max(1, math.ceil(current_app.config["LOGIN_LOCKOUT"].total_seconds() / 60))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password."""
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_redirect(next_url) else url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(form.email.data, form.password.data, audit.client_ip() or "")
        db.session.commit()
        if result.outcome is accounts.LoginOutcome.SUCCESS:
            sessions.start(result.user)
            return redirect(next_url if is_safe_redirect(next_url) else url_for("main.home"))
        if result.outcome is accounts.LoginOutcome.THROTTLED:
            minutes = max(1, math.ceil((result.retry_after - utcnow()).total_seconds() / 60))
            form.form_errors.append(
                ngettext(
                    "Too many failed sign-in attempts. Try again in %(num)d minute.",
                    "Too many failed sign-in attempts. Try again in %(num)d minutes.",
                    minutes,
                )
            )
        elif result.outcome is accounts.LoginOutcome.INACTIVE:
            form.form_errors.append(
                _("This account is deactivated. Ask your coordinator to reactivate it.")
            )
        else:
            form.form_errors.append(_("The e-mail address or the password is wrong."))
            if 0 < result.remaining <= accounts.WARN_WHEN_REMAINING:
                # Counted per e-mail address typed, known or not: the words reveal nothing.
                form.form_errors.append(
                    ngettext(
                        "After %(num)d more failed attempt, signing in will be paused for "
                        "%(minutes)d minutes.",
                        "After %(num)d more failed attempts, signing in will be paused for "
                        "%(minutes)d minutes.",
                        result.remaining,
                        minutes=lockout_minutes(),
                    )
                )
        return render_template("auth/login.html", form=form), 200
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out of this browser: its session ends on the server too, so a copy of its cookie
    stops working; the account's other browsers stay signed in."""
    if current_user.is_authenticated:
        accounts.end_session(session.get(sessions.SESSION_ID_KEY))
        audit.record("auth.logout", actor=current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    """Sign out of every browser and device at once."""
    user = current_user._get_current_object()
    user.revoke_sessions()
    audit.record("auth.logout_everywhere", actor=user, obj=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password (the current one is required); other sessions are revoked."""
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    form.policy_email = user.email
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            accounts.set_password(
                user, form.new_password.data, actor=user, action="user.password_changed"
            )
            db.session.commit()
            sessions.start(user)
            flash(_("Your password is changed. Other devices were signed out."), "success")
            return redirect(url_for("main.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a password-reset link; the answer never says whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data)
        if user is not None and user.active:
            token = accounts.issue_token(user, TokenPurpose.RESET)
            audit.record("user.password_reset_requested", actor_email=user.email, obj=user)
            send_password_reset(user, token)
        db.session.commit()
        flash(
            _(
                "If an account uses this address, we sent it a link to choose a new password. "
                "The link works once, for a limited time."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a one-time link."""
    row = accounts.find_token(token, TokenPurpose.RESET)
    if row is None:
        abort(404, description=_("This link is invalid, was already used or has expired."))
    form = ResetPasswordForm()
    form.policy_email = row.user.email
    if form.validate_on_submit():
        if accounts.use_token(row, form.new_password.data) is None:
            db.session.rollback()  # another request used the link first, or it was withdrawn
            abort(404, description=_("This link is invalid, was already used or has expired."))
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("Your password is changed. Sign in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Accept an invitation: confirm the name, choose a password, and sign in."""
    row = accounts.find_token(token, TokenPurpose.INVITATION)
    if row is None:
        abort(404, description=_("This invitation is invalid, was already used or has expired."))
    form = AcceptInvitationForm()
    form.policy_email = row.user.email
    if request.method == "GET":
        form.display_name.data = row.user.display_name
    if form.validate_on_submit():
        user = accounts.use_token(row, form.new_password.data, form.display_name.data)
        if user is None:
            db.session.rollback()  # another request accepted it first, or it was withdrawn
            abort(
                404, description=_("This invitation is invalid, was already used or has expired.")
            )
        user.last_login_at = utcnow()
        db.session.commit()
        sessions.start(user)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/accept_invitation.html", form=form, invited=row.user)
