"""The e-mails of the account life cycle. Links always use ``BASE_URL``, never the request's
Host header, so that a forged header cannot redirect a reset link elsewhere."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import format_datetime, gettext

from app.core import mail
from app.core.db import utcnow
from app.core.labels import ROLE_LABELS
from app.models import User


def external_url(endpoint: str, **values) -> str:
    """Return the absolute address of ``endpoint`` under the configured ``BASE_URL``."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def send_invitation(user: User, token: str, inviter: User | None) -> str:
    """E-mail an invitation link to ``user``; return the link (also shown to CLI operators)."""
    link = external_url("auth.accept_invitation", token=token)
    expires = utcnow() + current_app.config["INVITATION_TTL"]
    body = gettext(
        "Hello,\n\n%(inviter)s invited you to the Cybercrime Action Task Force assessment tool "
        "as %(role)s.\n\nChoose your password here (the link works once, until %(expires)s):\n"
        "%(link)s\n\nIf you did not expect this message, you can ignore it.",
        inviter=inviter.display_name if inviter else gettext("The Task Force secretariat"),
        role=ROLE_LABELS[user.role],
        expires=format_datetime(expires),
        link=link,
    )
    mail.send(user.email, gettext("Your invitation to the Cybercrime Action Task Force"), body)
    return link


def send_password_reset(user: User, token: str) -> None:
    """E-mail a password-reset link to ``user``."""
    link = external_url("auth.reset_password", token=token)
    body = gettext(
        "Hello,\n\nSomeone asked to reset the password of your account. Choose a new password "
        "here (the link works once, for %(minutes)d minutes):\n%(link)s\n\nIf it was not you, "
        "ignore this message: your password stays as it is.",
        minutes=int(current_app.config["PASSWORD_RESET_TTL"].total_seconds() // 60),
        link=link,
    )
    mail.send(user.email, gettext("Reset your password"), body)
