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


#: Clusters of provisions (questionnaire files use these ids).
CLUSTER_LABELS = {
    "substantive": _l("Substantive criminal law"),
    "procedural": _l("Procedural law"),
    "jurisdiction": _l("Jurisdiction"),
    "cooperation": _l("International cooperation"),
    "prevention": _l("Prevention"),
    "capacity": _l("Capacity"),
}

ASSISTANCE_LABELS = {
    "legislative_drafting": _l("Legislative drafting"),
    "training": _l("Training"),
    "mentoring": _l("Mentoring"),
    "equipment": _l("Equipment"),
    "institution_building": _l("Institution building"),
    "policy_advice": _l("Policy advice"),
    "cooperation_facilitation": _l("Cooperation facilitation"),
}

MATURITY_STAGE_LABELS = {
    1: _l("Start-up"),
    2: _l("Formative"),
    3: _l("Established"),
    4: _l("Strategic"),
    5: _l("Dynamic"),
}

#: Assessment states: label and badge class.
ASSESSMENT_STATES = {
    "draft": (_l("Draft"), "text-bg-secondary"),
    "submitted": (_l("Submitted"), "text-bg-primary"),
    "in_review": (_l("In review"), "text-bg-info"),
    "clarification": (_l("Clarification requested"), "text-bg-warning"),
    "resubmitted": (_l("Resubmitted"), "text-bg-primary"),
    "finalised": (_l("Finalised"), "text-bg-success"),
    "published": (_l("Published"), "text-bg-dark"),
}

CYCLE_STATES = {
    "draft": (_l("In preparation"), "text-bg-secondary"),
    "open": (_l("Open"), "text-bg-success"),
    "closed": (_l("Closed"), "text-bg-dark"),
}

#: How an answer was changed (answer history).
REVISION_SOURCES = {
    "web": _l("On the page"),
    "api": _l("Through the API"),
    "import": _l("Workbook upload"),
    "carry_over": _l("Carried over"),
    "evidence": _l("File attached"),
}

#: How an earlier recommendation was followed up (``Recommendation.follow_up``): label and badge.
FOLLOW_UP_STATES = {
    "implemented": (_l("Implemented satisfactorily"), "text-bg-success"),
    "partly": (_l("Partly implemented"), "text-bg-warning"),
    "not": (_l("Not implemented"), "text-bg-danger"),
}
