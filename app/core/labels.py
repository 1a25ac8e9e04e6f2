"""One source for the words (and colours) of roles and statuses shown anywhere."""

from flask_babel import lazy_gettext as _l

from app.core.permissions import Role

ROLE_LABELS = {
    Role.OFFICIAL: _l("Country official"),
    Role.REVIEWER: _l("Reviewer"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
}

#: M49 region codes and their names.
REGION_LABELS = {
    "002": _l("Africa"),
    "019": _l("Americas"),
    "142": _l("Asia"),
    "150": _l("Europe"),
    "009": _l("Oceania"),
}

#: Account states: label and Bootstrap badge class (text always accompanies the colour).
ACCOUNT_STATES = {
    "active": (_l("Active"), "text-bg-success"),
    "invited": (_l("Invited"), "text-bg-warning"),
    "deactivated": (_l("Deactivated"), "text-bg-secondary"),
}


def account_state(user) -> str:
    """Return ``active``, ``invited`` (no password yet) or ``deactivated``."""
    if not user.active:
        return "deactivated"
    if not user.has_password:
        return "invited"
    return "active"
