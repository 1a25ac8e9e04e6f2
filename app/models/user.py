"""Accounts, their one-time tokens, the record of sign-in attempts and their locks, and ended
browser sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.db import UTCDateTime, utcnow
from app.core.permissions import Role
from app.extensions import db
from app.models.country import Country


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum as its lower-case value in a VARCHAR with a CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'official' AND country_id IS NOT NULL)"
            " OR (role <> 'official' AND country_id IS NULL)",
            name="official_has_one_country",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    #: Argon2id hash; empty until an invited user sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    country_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Preferred interface language; None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of the session cookie; raising it revokes every session of the account.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    country: Mapped[Country | None] = relationship(lazy="joined")

    @validates("email")
    def _normalise_email(self, key: str, value: str) -> str:
        return value.strip().lower()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def has_password(self) -> bool:
        """Return whether the account can sign in with a password (the invitation was accepted)."""
        return self.password_hash is not None

    def get_id(self) -> str:
        """Return what the session keeps of the user: the id and the session version (Flask-Login).

        Each sign-in's own random id is kept beside it (see ``app.auth.sessions``).
        """
        return f"{self.id}:{self.session_version}"

    def revoke_sessions(self) -> None:
        """Invalidate every session of this account, the current one included."""
        self.session_version = (self.session_version or 1) + 1

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    RESET = "password_reset"


class AccountToken(db.Model):
    """A one-time, expiring token sent by e-mail; only its SHA-256 digest is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """One sign-in attempt, kept for throttling across worker processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LoginThrottle(db.Model):
    """The lock of one e-mail address, or of one client address, that tried to sign in.

    Checking an attempt against the limits and recording it is one step: the attempt first
    writes the row of its e-mail address and the row of its client address (created when
    missing), which holds their row locks on PostgreSQL, and the database's write lock on
    SQLite, until the transaction ends, so concurrent attempts for one account or from one
    address are counted one after the other. Rows unused for a day are pruned.
    """

    __tablename__ = "login_throttles"

    #: SHA-256 of ``account:<e-mail>`` or ``address:<client address>`` (a fixed size whatever
    #: was typed).
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EndedSession(db.Model):
    """A browser session ended by signing out; its cookie is refused from then on.

    Only the digest of the session's random id is stored. A row is kept as long as a copy of
    the cookie could still be valid (``PERMANENT_SESSION_LIFETIME`` after the sign-out), then
    pruned.
    """

    __tablename__ = "ended_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), index=True)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored.

    It stops working when revoked, when the account is deactivated, or when the account's
    sessions are revoked (password change, sign-out everywhere).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The account's session version when the token was made.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
