"""Questions in HTML forms: each type's input names, how posted form data becomes the raw value
that the type's ``normalise`` checks, and how a stored value reads as text.

Input names: ``<question id>`` for one value (several for multiple choices and checklists),
``<question id>[<field>]`` for a structured value, ``<question id>[<row>][<column>]`` for tables;
``version[<question id>]`` carries the answer's version and ``note[<question id>]`` its note.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext
from werkzeug.datastructures import MultiDict

from app.frameworks.types import QuestionBase
from app.i18n import localized

STRUCTURED = {
    "ynpn": ("answer", "reference"),
    "legal_citation": ("instrument", "article", "in_force_date", "stage", "link"),
    "contact": ("unit", "phone", "email", "secure_channel", "languages", "availability"),
}
LIST_TYPES = {"multiple_choice", "evidence"}
#: The checklist's explicit "none of these yet" box: an answer, unlike leaving every box empty.
NONE_YET = "__none__"
#: Blank rows offered at the end of a table form.
TABLE_SPARE_ROWS = 3


def posted(question: QuestionBase, form: MultiDict) -> bool:
    """Return whether the form carries this question's inputs (or its version)."""
    prefix = f"{question.id}["
    return (
        question.id in form
        or f"version[{question.id}]" in form
        or any(key.startswith(prefix) for key in form)
    )


def raw_value(question: QuestionBase, form: MultiDict) -> Any:
    """Return the raw value of ``question`` from posted form data (None when empty)."""
    qid = question.id
    if question.type in STRUCTURED:
        value = {field: form.get(f"{qid}[{field}]", "") for field in STRUCTURED[question.type]}
        return value if any(str(v).strip() for v in value.values()) else None
    if question.type == "indicator_checklist":
        items = [item for item in form.getlist(qid) if item]
        if not items:
            return None  # untouched: no answer yet
        refs = [item for item in items if item != NONE_YET]
        return refs  # ticking only "none of these yet" answers with an empty list
    if question.type in LIST_TYPES:
        return [item for item in form.getlist(qid) if item]
    if question.type == "table":
        rows: dict[int, dict[str, str]] = {}
        prefix = f"{qid}["
        for key, item in form.items(multi=True):
            if not key.startswith(prefix) or not key.endswith("]"):
                continue
            row, _, column = key[len(prefix) : -1].partition("][")
            if row.isdigit() and column:
                rows.setdefault(int(row), {})[column] = item
        return [rows[index] for index in sorted(rows)]
    return form.get(qid)


def version_of(question: QuestionBase, form: MultiDict) -> int | None:
    """Return the answer version the form was rendered with (0 when there was no answer)."""
    text = form.get(f"version[{question.id}]", "")
    return int(text) if text.isdigit() else None


def note_of(question: QuestionBase, form: MultiDict) -> Any:
    """Return the posted note, or None when the form has no note input for the question."""
    key = f"note[{question.id}]"
    return form.get(key) if key in form else None


def choice_label(question: QuestionBase, value: str) -> str:
    for choice in getattr(question, "choices", None) or []:
        if choice.value == value:
            return localized(choice.label)
    return value


def ynpn_label(answer: str) -> str:
    return {
        "yes": _("Yes"),
        "partly": _("Partly"),
        "no": _("No"),
        "na": _("Not applicable"),
    }.get(answer, answer)


def stage_label(stage: str) -> str:
    return {
        "none": _("No law"),
        "draft": pgettext("legislative stage", "Draft"),
        "tabled": _("Tabled in parliament"),
        "adopted": _("Adopted, not in force"),
        "in_force": _("In force"),
    }.get(stage, stage)


def display(
    question: QuestionBase, value: Any, indicator_texts: dict[str, str] | None = None
) -> str:
    """Return a stored value as text a person reads (history, conflicts, read-only pages)."""
    if value is None or value == []:
        return _("(no answer)")
    kind = question.type
    if kind == "ynpn":
        text = ynpn_label(value["answer"])
        return f"{text} — {value['reference']}" if value.get("reference") else text
    if kind == "single_choice":
        return choice_label(question, value)
    if kind == "multiple_choice":
        return "; ".join(choice_label(question, item) for item in value)
    if kind == "legal_citation":
        parts = [stage_label(value["stage"])]
        parts += [value[key] for key in ("instrument", "article") if value.get(key)]
        if value.get("in_force_date"):
            parts.append(_("in force since %(date)s", date=value["in_force_date"]))
        if value.get("link"):
            parts.append(value["link"])
        return ", ".join(parts)
    if kind == "contact":
        return "; ".join(str(item) for item in value.values())
    if kind == "table":
        return "; ".join(
            ", ".join(f"{column}: {cell}" for column, cell in row.items()) for row in value
        )
    if kind == "indicator_checklist":
        texts = indicator_texts or {}
        return "; ".join(texts.get(item, item) for item in value) if value else _("None yet")
    if kind == "evidence":
        return _("%(num)d file(s)", num=len(value))
    return str(value)
