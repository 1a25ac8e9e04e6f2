"""Questions in HTML forms: what is generic to every type. Input names: ``<question id>`` for one
value (several for multiple choices and checklists), ``<question id>[<field>]`` for a structured
value, ``<question id>[<row>][<column>]`` for tables — each type reads its own inputs
(``from_form``); ``version[<question id>]`` carries the answer's version and
``note[<question id>]`` its note.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from app.assessments.answers import UNSET, Submitted
from app.frameworks.types import QuestionBase

VERSION = re.compile(r"[0-9]{1,9}")


def posted_ids(form: MultiDict) -> set[str]:
    """Return the ids of the questions whose inputs (or version) the form carries."""
    ids = set()
    for key in form:
        if key.startswith("version["):
            ids.add(key[len("version[") : -1])
        elif not key.startswith("note["):
            ids.add(key.partition("[")[0])
    return ids


def parse_version(text: str | None) -> int | None:
    """Return a posted version number, or None when it is not one (``"²"`` is a digit to
    ``str.isdigit`` but no number, and versions never reach a billion)."""
    return int(text) if text and VERSION.fullmatch(text) else None


def version_of(question: QuestionBase, form: MultiDict) -> int | None:
    """Return the answer version the form was rendered with (0 when there was no answer)."""
    return parse_version(form.get(f"version[{question.id}]"))


def note_of(question: QuestionBase, form: MultiDict) -> Any:
    """Return the posted note, or UNSET when the form has no note input for the question."""
    key = f"note[{question.id}]"
    return form.get(key) if key in form else UNSET


def submitted(question: QuestionBase, form: MultiDict) -> Submitted:
    """Return a question's input from posted form data."""
    return Submitted(
        question.id, question.from_form(form), version_of(question, form), note_of(question, form)
    )


def read_upload(upload: Any, limit: int = -1) -> bytes:
    """Return an uploaded file's bytes (at most ``limit``) and close it at once (large uploads
    are spooled to a temporary file, which would otherwise stay open until collected)."""
    try:
        return upload.read(limit)
    finally:
        upload.close()
