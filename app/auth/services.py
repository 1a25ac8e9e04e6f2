"""Account business steps: sign-in with throttling, sessions, passwords, one-time tokens,
invitations.

Services take model objects and plain values, never the request (but for Flask-Login's user
loader, which reads the session); they flush but never commit, and they write the audit trail.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.sessions import SESSION_ID_KEY
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
from app.models.user import EndedSession, LoginThrottle

#: Sign-in attempts and their locks are kept this long for throttling, then pruned (the audit
#: trail keeps every attempt).
ATTEMPT_RETENTION = timedelta(days=1)

#: A failed sign-in warns that the pause is near when this many failures or fewer remain.
WARN_WHEN_REMAINING = 2


class AccountError(ValueError):
    """A business rule refused the change; ``field`` names the input at fault, if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's user loader, called on every request: the user of this browser's session.

    :param session_id: ``"<id>:<session version>"``, kept in the session by Flask-Login.
    """
    return session_user(session_id, session.get(SESSION_ID_KEY))


def session_user(session_id: str, browser_session: object) -> User | None:
    """Return the user of a signed-in session, or None if the session is over.

    It is over when the account's session version changed (password change, sign-out
    everywhere, deactivation), the account is inactive, or this browser signed out: its
    ``browser_session`` id (see ``app.auth.sessions``) is among the ended sessions. One query.
    """
    user_id, _, version = session_id.partition(":")
    if not (re.fullmatch(r"[0-9]{1,18}", user_id) and re.fullmatch(r"[0-9]{1,9}", version)):
        return None
    if not isinstance(browser_session, str) or not browser_session:
        return None
    ended = select(EndedSession.id).where(
        EndedSession.session_hash == token_digest(browser_session)
    )
    user = db.session.scalar(select(User).where(User.id == int(user_id), ~ended.exists()))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_session(browser_session: object) -> None:
    """Record that the session with this id was signed out, so that its cookie stops working,
    and prune the records whose cookies have expired anyway."""
    now = utcnow()
    db.session.execute(
        delete(EndedSession).where(
            EndedSession.ended_at < now - current_app.config["PERMANENT_SESSION_LIFETIME"]
        ),
        execution_options={"synchronize_session": False},
    )
    if isinstance(browser_session, str) and browser_session:
        db.session.add(EndedSession(session_hash=token_digest(browser_session), ended_at=now))
    db.session.flush()


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
    #: After a failure: how many more failures are allowed before sign-in is paused for this
    #: e-mail address or this client address, whichever comes first (0: paused from now on).
    remaining: int | None = None


@dataclass(frozen=True)
class Throttle:
    """Where an e-mail address and a client address stand against their sign-in limits."""

    #: Until when sign-in is refused, or None.
    locked_until: datetime | None
    #: How many more failures are allowed before the pause, counting the next attempt.
    remaining: int


def lock_attempts(email: str, ip: str, now: datetime | None = None) -> None:
    """Take the sign-in locks of this e-mail address, then of this client address, until the
    transaction ends, so that checking and recording an attempt is one step.

    Each lock is a row of ``login_throttles``, created or touched by one
    ``INSERT ... ON CONFLICT DO UPDATE``: on PostgreSQL concurrent attempts for the same account
    or from the same address wait for the row, then count what the first one recorded; on
    SQLite the first write takes the database's write lock. The account's row comes first,
    always, so two attempts never wait for each other in a circle.
    """
    now = now or utcnow()
    dialect = db.session.get_bind(LoginThrottle.__mapper__).dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    for key in (f"account:{email}", f"address:{ip}"):
        statement = insert(LoginThrottle).values(key_hash=token_digest(key), locked_at=now)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[LoginThrottle.key_hash],
                set_={"locked_at": statement.excluded.locked_at},
            )
        )


def throttle(email: str, ip: str, now: datetime | None = None) -> Throttle:
    """Return where this e-mail address and this client address stand.

    After ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_FAILURE_WINDOW`` for the same e-mail,
    or ``LOGIN_MAX_FAILURES_PER_ADDRESS`` from the same client address, attempts are refused for
    ``LOGIN_LOCKOUT`` after the last failure. A success clears the account's count (not the
    address's: one valid account must not unlock an address that is guessing others). Unknown
    e-mail addresses are counted exactly like known ones, so nothing here tells them apart.
    """
    config = current_app.config
    window, lockout = config["LOGIN_FAILURE_WINDOW"], config["LOGIN_LOCKOUT"]
    now = now or utcnow()
    email = email.strip().lower()
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    )
    until, remaining = None, config["LOGIN_MAX_FAILURES"]
    for column, value, limit, since in (
        (LoginAttempt.email, email, config["LOGIN_MAX_FAILURES"], last_success),
        (LoginAttempt.ip, ip, config["LOGIN_MAX_FAILURES_PER_ADDRESS"], None),
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
        # The next failure pauses sign-in when it makes ``limit`` failures within the window.
        left = limit - sum(1 for failed_at in failures if failed_at >= now - window)
        remaining = min(remaining, left)
    return Throttle(until, max(0, remaining))


def authenticate(email: str, password: str, ip: str) -> LoginResult:
    """Check a sign-in attempt, record it, and audit it — as one step: the attempt holds the
    locks of its e-mail and client address (``lock_attempts``) from before it counts the earlier
    failures until the caller commits, so parallel attempts are checked one after the other and
    no more passwords are verified than the limits allow.

    :returns: the outcome; on success the user, with last sign-in updated and the hash
        upgraded when the Argon2 parameters changed; after a failure, the failures remaining
        before the pause.
    """
    email = email.strip().lower()
    now = utcnow()
    lock_attempts(email, ip, now)
    state = throttle(email, ip, now)
    if state.locked_until is not None:
        audit.record(
            "auth.login.throttled", actor_email=email, retry_after=state.locked_until.isoformat()
        )
        return LoginResult(LoginOutcome.THROTTLED, retry_after=state.locked_until)

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
    _prune_attempts(now)
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
    return LoginResult(outcome, remaining=max(0, state.remaining - 1))


def _prune_attempts(now: datetime) -> None:
    """Delete the attempts and the locks older than ``ATTEMPT_RETENTION``.

    Locks that another attempt holds are skipped (``SKIP LOCKED`` on PostgreSQL), so pruning
    never waits for, nor deadlocks with, a concurrent attempt.
    """
    cutoff = now - ATTEMPT_RETENTION
    unsynchronised = {"synchronize_session": False}
    db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.created_at < cutoff),
        execution_options=unsynchronised,
    )
    stale = (
        select(LoginThrottle.key_hash)
        .where(LoginThrottle.locked_at < cutoff)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.key_hash.in_(stale)),
        execution_options=unsynchronised,
    )


# --- Passwords and tokens --------------------------------------------------------------------


def set_password(user: User, password: str, *, actor: User | None, action: str) -> None:
    """Give ``user`` a new password, revoke every session of the account and withdraw every
    link still unused (password resets, invitations): one sent before the change no longer works.

    The caller signs the current browser in again if it should stay signed in.
    """
    user.password_hash = hash_password(password)
    user.revoke_sessions()
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None)),
        execution_options={"synchronize_session": False},
    )
    audit.record(action, actor=actor, obj=user)


def issue_token(user: User, purpose: TokenPurpose) -> str:
    """Create a one-time token for ``user`` and return it (only its digest is stored).

    Earlier unused tokens of the same purpose stop working. A no-op update of the account's row
    comes first (its row lock on PostgreSQL, the write lock on SQLite), so that of links requested
    at the same moment each withdraws the one before it and only the newest works.
    """
    users = User.__table__
    db.session.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(session_version=users.c.session_version)  # not the key: rows citing it go on
    )
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


def use_token(row: AccountToken, password: str, display_name: str | None = None) -> User | None:
    """Spend a token, exactly once: set the account's password (and name, for invitations).

    The token is spent by one conditional ``UPDATE`` (still unused, unexpired) before anything
    else: of several requests using one link at once, the first takes the row (its lock on
    PostgreSQL, the write lock on SQLite) and the others find it spent.

    :returns: the account, whose sessions were all revoked; None when the token was spent,
        withdrawn (a newer link, a password change) or expired since it was read — the caller
        rolls back and refuses the link.
    """
    now = utcnow()
    spent = db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.id == row.id,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    if spent.rowcount != 1:
        return None
    set_committed_value(row, "used_at", now)
    user = row.user
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
