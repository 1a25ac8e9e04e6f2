"""Words shared by the question types, translated once per language rather than per call.

Gettext through Flask-Babel costs a context lookup per call; a section page shows the same few
dozen words hundreds of times. ``words()`` returns them in the current language, looked up once
per language and process (the catalogues do not change while the process runs).
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from flask import g, has_app_context
from flask_babel import get_locale, gettext, pgettext


class Words(SimpleNamespace):
    """Translated words, read as attributes (``w.yes`` in templates) or by key (``w["yes"]``)."""

    def __getitem__(self, key: str) -> str:
        return getattr(self, key)


def language() -> str:
    """Return the current interface language code (``en`` outside a request).

    Kept on ``g`` for the request: pages ask for it once per label they show.
    """
    if not has_app_context():
        return "en"
    code = g.get("_language")
    if code is None:
        code = g._language = str(get_locale() or "en")
    return code


def localized(text: dict[str, str] | None) -> str:
    """Return a file text (``{en: ..., fr: ...}``) in the user's language, else English."""
    if not text:
        return ""
    return text.get(language()) or text.get("en") or next(iter(text.values()), "")


def human_size(size: int) -> str:
    """Return a file size as a person reads it: "451 B", "20 KB", "3.4 MB" (decimal units, as the
    limits are set, translated)."""
    text = words()
    if size < 1000:
        return f"{size} {text.bytes}"
    if size < 1_000_000:
        return f"{round(size / 1000)} {text.kb}"
    return f"{size / 1_000_000:.1f}".removesuffix(".0") + f" {text.mb}"


def words() -> Words:
    """Return the shared words in the current language."""
    return _words(language()) if has_app_context() else _english()


@cache
def _english() -> Words:
    return Words(**_table())


_cache: dict[str, Words] = {}


def _words(code: str) -> Words:
    table = _cache.get(code)
    if table is None:
        table = _cache[code] = Words(**_table())
    return table


def _table() -> dict[str, Any]:
    return {
        "no_answer": gettext("(no answer)"),
        "yes": gettext("Yes"),
        "partly": gettext("Partly"),
        "no": gettext("No"),
        "na": gettext("Not applicable"),
        "stage_none": gettext("No law"),
        "stage_draft": pgettext("legislative stage", "Draft"),
        "stage_tabled": gettext("Tabled in parliament"),
        "stage_adopted": gettext("Adopted, not in force"),
        "stage_in_force": gettext("In force"),
        "choose": gettext("— choose —"),
        "reference": gettext("Reference: the reservation or declaration, or a short comment"),
        "reference_cell": gettext("Reference (reservation, declaration or comment)"),
        "stage": gettext("Legislative stage"),
        "instrument": gettext("Law or instrument"),
        "article": gettext("Article or section"),
        "in_force_since": gettext("In force since"),
        "in_force_since_cell": gettext("In force since (YYYY-MM-DD)"),
        "link": gettext("Link to the text"),
        "instruments_help": gettext(
            "Cite each law in an instrument of its own; after saving, an empty one appears for "
            "the next."
        ),
        "unit": gettext("Unit or office"),
        "phone": gettext("Phone (reachable 24/7)"),
        "email": gettext("E-mail"),
        "secure_channel": gettext("Secure channel"),
        "languages": gettext("Working languages"),
        "availability": gettext("Availability"),
        "none_yet": gettext("None yet"),
        "none_of_these_yet": gettext("None of these yet"),
        "row": gettext("Row"),
        "empty_rows": gettext("Empty rows are ignored. Save to get more blank rows."),
        "add_row": gettext("Add a row"),
        "untick_file": gettext("Untick a file to detach it."),
        "no_file": gettext("No file attached yet."),
        "attach_label": gettext(
            "Attach a file (PDF, DOCX, XLSX, ODT, PNG or JPEG; at most %(size)s)"
        ),
        "attach": gettext("Attach"),
        "attach_online": gettext("Attach files online"),
        "required": gettext("required"),
        "carried": gettext("Carried over — please confirm"),
        "carried_help": gettext("Change it, or save it as it is, to confirm."),
        "carried_unconfirmed": gettext("Carried over from the previous cycle, not confirmed"),
        "carried_from": gettext("Carried over from the previous cycle"),
        "articles": gettext("Articles it evidences:"),
        "reviewer_asks": gettext("The reviewer asks:"),
        "reply": gettext("Reply:"),
        "earlier_answer": gettext(
            "This question replaces “%(label)s”. The answer given in the previous cycle:"
        ),
        "note_summary": gettext("Note for colleagues and reviewers"),
        "note": gettext("Note"),
        "history": gettext("History"),
        "last_saved": gettext("Last saved by %(name)s, %(when)s"),
        "conflict_title": gettext("A colleague changed this answer after you opened it."),
        "conflict_theirs": gettext("Their answer:"),
        "conflict_help": gettext(
            "Your answer is in the form below. Save to keep yours, or reload the page to take "
            "theirs."
        ),
        "bytes": gettext("B"),
        "kb": gettext("KB"),
        "mb": gettext("MB"),
    }
