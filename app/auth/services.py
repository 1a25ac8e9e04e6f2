"""Account business steps: sign-in with throttling, passwords, one-time tokens, invitations.

Services take model objects and plain values, never the request; they flush but never commit,
and they write the audit trail.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.core import audit
from app.core.db import utcnow
from app.core.permissions import Role
from app.core.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from app.extensions import db
from app.models import AccountToken, Country, LoginAttempt, TokenPurpose, User

#: Sign-in attempts are kept this long for throttling, then pruned (the audit trail keeps all).
ATTEMPT_RETENTION = timedelta(days=1)


class AccountError(ValueError):
    """A business rule refused the change; ``field`` names the input at fault, if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def load_session_user(session_id: str) -> User | None:
    """Return the user of a session identifier ``"<id>:<session version>"``, or None if revoked.

    Called by Flask-Login on every request: a changed session version (password change,
    sign-out everywhere, deactivation) or an inactive account ends the session.
    """
    user_id, _, version = session_id.partition(":")
    if not (re.fullmatch(r"[0-9]{1,18}", user_id) and re.fullmatch(r"[0-9]{1,9}", version)):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def find_user_by_email(email: str) -> User | None:
    """Return the user with this e-mail, compared case-insensitively."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


# --- Sign-in ---------------------------------------------------------------------------------


class LoginOutcome(enum.StrEnum):
    SUCCESS = "success"
    INVALID = "invalid"  # unknown e-mail, wrong password, or no password set yet
    INACTIVE = "inactive"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    retry_after: datetime | None = None


def locked_until(email: str, ip: str, now: datetime | None = None) -> datetime | None:
    """Return until when sign-in is refused for this account or address, or None.

    After ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_FAILURE_WINDOW`` for the same e-mail or
    the same IP address, attempts are refused for ``LOGIN_LOCKOUT`` after the last failure. A
    success clears the account's count (not the address's: one valid account must not unlock an
    address that is guessing others).
    """
    config = current_app.config
    limit, window, lockout = (
        config["LOGIN_MAX_FAILURES"],
        config["LOGIN_FAILURE_WINDOW"],
        config["LOGIN_LOCKOUT"],
    )
    now = now or utcnow()
    email = email.strip().lower()
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    )
    until = None
    for column, value, since in (
        (LoginAttempt.email, email, last_success),
        (LoginAttempt.ip, ip, None),
    ):
        query = select(LoginAttempt.created_at).where(
            column == value,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at >= now - window - lockout,
        )
        if since is not None:
            query = query.where(LoginAttempt.created_at > since)
        failures = db.session.scalars(
            query.order_by(LoginAttempt.created_at.desc()).limit(limit)
        ).all()
        if len(failures) == limit and failures[0] - failures[-1] <= window:
            end = failures[0] + lockout
            if end > now and (until is None or end > until):
                until = end
    return until


def authenticate(email: str, password: str, ip: str) -> LoginResult:
    """Check a sign-in attempt, record it, and audit it.

    :returns: the outcome; on success the user, with last sign-in updated and the hash
        upgraded when the Argon2 parameters changed.
    """
    email = email.strip().lower()
    now = utcnow()
    retry_after = locked_until(email, ip, now)
    if retry_after is not None:
        audit.record("auth.login.throttled", actor_email=email, retry_after=retry_after.isoformat())
        return LoginResult(LoginOutcome.THROTTLED, retry_after=retry_after)

    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and not user.active:
        outcome = LoginOutcome.INACTIVE
    elif ok and user is not None:
        outcome = LoginOutcome.SUCCESS
    else:
        outcome = LoginOutcome.INVALID

    succeeded = outcome is LoginOutcome.SUCCESS
    db.session.add(LoginAttempt(email=email, ip=ip, succeeded=succeeded, created_at=now))
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < now - ATTEMPT_RETENTION)
    )
    if succeeded:
        assert user is not None
        if needs_rehash(user.password_hash or ""):
            user.password_hash = hash_password(password)
        user.last_login_at = now
        audit.record("auth.login.success", actor=user, obj=user)
        return LoginResult(outcome, user=user)
    audit.record(
        "auth.login.failure",
        actor=user,
        actor_email=email,
        obj=user,
        reason=outcome.value if user else "unknown_account",
    )
    db.session.flush()
    return LoginResult(outcome)


# --- Passwords and tokens --------------------------------------------------------------------


def set_password(user: User, password: str, *, actor: User | None, action: str) -> None:
    """Give ``user`` a new password and revoke every session of the account.

    The caller signs the current browser in again if it should stay signed in.
    """
    user.password_hash = hash_password(password)
    user.revoke_sessions()
    audit.record(action, actor=actor, obj=user)


def issue_token(user: User, purpose: TokenPurpose) -> str:
    """Create a one-time token for ``user`` and return it (only its digest is stored).

    Earlier unused tokens of the same purpose stop working.
    """
    db.session.execute(
        delete(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
    )
    ttl = current_app.config[
        "INVITATION_TTL" if purpose is TokenPurpose.INVITATION else "PASSWORD_RESET_TTL"
    ]
    token, digest = new_token()
    now = utcnow()
    db.session.add(
        AccountToken(
            user=user, purpose=purpose, token_hash=digest, created_at=now, expires_at=now + ttl
        )
    )
    db.session.flush()
    return token


def find_token(token: str, purpose: TokenPurpose) -> AccountToken | None:
    """Return the unused, unexpired token of this purpose whose account is active, or None."""
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_digest(token), AccountToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.active:
        return None
    return row


def use_token(row: AccountToken, password: str, display_name: str | None = None) -> User:
    """Spend a token: set the account's password (and name, for invitations).

    :returns: the account, whose sessions were all revoked.
    """
    user = row.user
    row.used_at = utcnow()
    if display_name:
        user.display_name = display_name
    action = (
        "user.invitation_accepted"
        if row.purpose is TokenPurpose.INVITATION
        else "user.password_reset"
    )
    set_password(user, password, actor=user, action=action)
    return user


# --- Accounts --------------------------------------------------------------------------------


def validate_role_country(role: Role, country: Country | None) -> None:
    """Officials belong to exactly one country; other roles to none.

    :raises AccountError: naming the ``country`` field.
    """
    if role is Role.OFFICIAL and country is None:
        raise AccountError(_l("An official must belong to a country."), field="country")
    if role is not Role.OFFICIAL and country is not None:
        raise AccountError(_l("Only officials belong to a country."), field="country")


def create_user(
    email: str,
    display_name: str,
    role: Role,
    country: Country | None,
    *,
    password: str | None = None,
    actor: User | None = None,
    action: str = "user.created",
) -> User:
    """Create an account (with a password, or waiting for an invitation to be accepted).

    :raises AccountError: when the e-mail is taken or the role and country do not fit.
    """
    validate_role_country(role, country)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."), field="email")
    user = User(
        email=email,
        display_name=display_name.strip() or email.split("@")[0],
        role=role,
        country=country,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        action,
        actor=actor,
        obj=user,
        after={
            "email": user.email,
            "role": role.value,
            "country": country.code if country else None,
        },
    )
    return user


def update_user(
    user: User,
    *,
    display_name: str,
    role: Role,
    country: Country | None,
    actor: User,
) -> None:
    """Change an account's name, role or country; a role or country change revokes its sessions.

    :raises AccountError: when the role and country do not fit, or an admin would remove the
        last active admin.
    """
    validate_role_country(role, country)
    if user.role is Role.ADMIN and role is not Role.ADMIN and _is_last_admin(user):
        raise AccountError(_l("The last active administrator must stay an administrator."), "role")
    before = _snapshot(user)
    user.display_name = display_name.strip() or user.display_name
    user.role = role
    user.country = country
    after = _snapshot(user)
    changed = {key for key in before if before[key] != after[key]}
    if not changed:
        return
    if changed & {"role", "country"}:
        user.revoke_sessions()
    audit.record(
        "user.updated",
        actor=actor,
        obj=user,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )


def set_active(user: User, active: bool, *, actor: User | None) -> None:
    """Deactivate (revoking every session) or reactivate an account.

    :raises AccountError: when it would leave no active administrator.
    """
    if user.active == active:
        return
    if not active and user.role is Role.ADMIN and _is_last_admin(user):
        raise AccountError(_l("The last active administrator cannot be deactivated."))
    user.active = active
    if not active:
        user.revoke_sessions()
    audit.record(
        "user.reactivated" if active else "user.deactivated",
        actor=actor,
        obj=user,
        before={"active": not active},
        after={"active": active},
    )


def _is_last_admin(user: User) -> bool:
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    return others == 0


def _snapshot(user: User) -> dict[str, str | None]:
    return {
        "display_name": user.display_name,
        "role": user.role.value,
        "country": user.country.code if user.country else None,
    }
