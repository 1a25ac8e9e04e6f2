"""The scoring engine's reasons and ratings in words a country can read (in its language)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.scoring.engine import Reason


def provision_label(framework: str, article: str) -> str:
    """Return how a provision is cited: "Budapest Art. 2"."""
    return _("%(framework)s Art. %(num)s", framework=framework, num=article)


def rating_names() -> dict[str, str]:
    """Return each rating's name."""
    return {
        "C": _("Compliant"),
        "LC": _("Largely compliant"),
        "PC": _("Partially compliant"),
        "NC": _("Non-compliant"),
        "NA": _("Not applicable"),
        "NR": _("Not yet rated"),
    }


def rating_definitions() -> dict[str, str]:
    """Return what each rating means (shown beside ratings)."""
    return {
        "C": _("Every applicable element is met by law in force."),
        "LC": _("Only minor elements are missing or partly met; every core element is met."),
        "PC": _(
            "A core element is only partly met, or more than half of the other elements are not "
            "met."
        ),
        "NC": _("A core element is not met."),
        "NA": _(
            "The provision does not apply: a reservation the country made covers it, or none of "
            "its elements applies."
        ),
        "NR": _("Not yet rated: some elements have no answer."),
    }


STAGE_WORDS = {
    "none": _l("no law"),
    "draft": _l("a draft"),
    "tabled": _l("a bill before parliament"),
    "adopted": _l("adopted but not in force"),
    "in_force": _l("in force"),
}


def explain(reason: Reason, element: Callable[[str], str] = str) -> str:
    """Return ``reason`` in words; ``element`` names an element from its reference."""
    listed = "; ".join(element(ref).rstrip(". ") for ref in reason.get("elements", ()))
    code = reason.code
    if code == "all_met":
        return _("Every applicable element is met by law in force.")
    if code == "non_core_gaps":
        return _("Every core element is met; these are not fully met: %(list)s.", list=listed)
    if code == "most_not_met":
        return _(
            "More than half of the other elements (%(num)d of %(of)d) are not met: %(list)s.",
            num=len(reason.get("elements", ())),
            of=reason.get("of"),
            list=listed,
        )
    if code == "core_partly":
        return _("A core element is only partly met: %(list)s.", list=listed)
    if code == "core_not_met":
        return _("A core element is not met: %(list)s.", list=listed)
    if code == "unanswered":
        return _("Not yet rated: these elements have no answer: %(list)s.", list=listed)
    if code == "reserved":
        return _(
            "Not applicable: the country's reservation under Article %(article)s covers it.",
            article=reason.get("reservation"),
        )
    if code == "all_reserved":
        return _(
            "Not applicable: the country's reservation under Article %(article)s covers its "
            "elements.",
            article=reason.get("reservation"),
        )
    if code == "all_na":
        return _("Not applicable: the country answered that none of its elements applies.")
    if code == "element_not_in_force":
        return _(
            "Claimed as met, but the law is %(stage)s: not met until it is in force (in progress).",
            stage=STAGE_WORDS[reason.get("stage")],
        )
    if code == "element_reserved":
        return _(
            "Not applicable: reservation under Article %(article)s.",
            article=reason.get("reservation"),
        )
    return {
        "element_met": _("Met."),
        "element_partly": _("Partly met."),
        "element_not_met": _("Not met."),
        "element_na": _("Not applicable."),
        "element_unanswered": _("No answer yet."),
        "element_not_asked": _("Not asked with these answers (the question is hidden)."),
    }[code]
