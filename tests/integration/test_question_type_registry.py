"""Adding a question type is one class and one macro.

This module defines a type that exists nowhere else — a rating of one to five stars — registers
it, adds its macro to the question macros, puts a question of that type in a copy of the shipped
questionnaire, and follows one value through the section page, the JSON API, the workbook and the
read-only display. No other file knows about it.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup
from openpyxl import load_workbook

from app.extensions import db
from app.frameworks import types
from app.frameworks.types import AnswerError, QuestionBase, ShowContext
from app.models import Answer
from tests.conftest import open_cycle, post_form, sign_in
from tests.integration.test_api import bearer, token_for
from tests.integration.test_workbook import find_row, upload

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "questionnaires"
QID = "cap.legislative_status.confidence"
SECTION = "legislative_status"


class Stars(QuestionBase):
    """A rating from one to five stars."""

    type_name: ClassVar[str] = "stars"
    title: ClassVar[Any] = "Stars"
    comparable_kind: ClassVar[str] = "number"
    macro: ClassVar[str] = "stars"
    type: Literal["stars"]

    def normalise(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        try:
            stars = int(str(value).strip().split(".")[0])
        except ValueError:
            raise AnswerError("Choose from 1 to 5 stars.") from None
        if not 1 <= stars <= 5:
            raise AnswerError("Choose from 1 to 5 stars.")
        return stars

    def value_schema(self) -> dict[str, Any]:
        return {"type": ["integer", "null"], "minimum": 1, "maximum": 5}

    def _text(self, value: Any, context: ShowContext) -> str:
        return f"{value} of 5 stars"

    def _html(self, value: Any, context: ShowContext) -> Markup:
        return Markup('<p class="answer">{}{} ({})</p>').format(
            "★" * value, "☆" * (5 - value), self._text(value, context)
        )

    def sample_value(self, variant: int = 0, *, files=()) -> Any:
        return 3 + variant


MACRO = """
{% macro stars(q, value, w, described, ctx) -%}
<select class="form-select" id="{{ q.id }}-input" name="{{ q.id }}" aria-labelledby="{{ q.id }}-label">
<option value=""></option>
{%- for n in range(1, 6) %}<option value="{{ n }}"{% if value == n %} selected{% endif %}>{{ n }} ★</option>{% endfor -%}
</select>
{%- endmacro %}
"""

QUESTION = """  - id: cap.legislative_status.confidence
    type: stars
    label:
      en: How confident are you in this self-assessment?
      fr: Quelle confiance accordez-vous à cette auto-évaluation ?
"""


@pytest.fixture
def stars(app, runner, tmp_path, world):
    """Register the type and its macro, and load a questionnaire that asks a Stars question."""
    types.register(Stars)
    loader = app.jinja_env.loader
    source = loader.get_source(app.jinja_env, "questions/_inputs.html")[0]
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"questions/_inputs.html": source + MACRO}), loader]
    )
    app.jinja_env.cache.clear()
    folder = tmp_path / "questionnaires"
    shutil.copytree(QUESTIONNAIRES, folder, ignore=shutil.ignore_patterns("*.md"))
    path = folder / "catf-self-assessment.yaml"
    text = path.read_text()
    start = text.index("- id: legislative_status\n")
    anchor = text.index("  questions:\n", start) + len("  questions:\n")
    path.write_text(text[:anchor] + QUESTION + text[anchor:])
    result = runner.invoke(args=["questionnaires", "load", str(folder)])
    assert result.exit_code == 0, result.output
    try:
        yield open_cycle(app, world)
    finally:
        app.jinja_env.loader = loader
        app.jinja_env.cache.clear()
        types.unregister(Stars)


def stored(app, assessment_id: int) -> Answer | None:
    with app.app_context():
        return db.session.scalar(
            db.select(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id == QID
            )
        )


def test_a_type_defined_here_round_trips_through_page_api_workbook_and_display(
    app, client, world, stars
):
    url = f"/assessments/{stars.own}/sections/{SECTION}"
    sign_in(client, world.own.email)

    # The section page renders the type's macro, and its form saves through the type.
    page = client.get(url).get_data(as_text=True)
    assert f'<select class="form-select" id="{QID}-input" name="{QID}"' in page
    refused = post_form(client, url, {QID: "9", f"version[{QID}]": "0"})
    assert refused.status_code == 422
    assert "Choose from 1 to 5 stars." in refused.get_data(as_text=True)
    assert stored(app, stars.own) is None
    saved = post_form(client, url, {QID: "4", f"version[{QID}]": "0"})
    assert saved.status_code == 302
    assert stored(app, stars.own).value == 4
    assert '<option value="4" selected>' in client.get(url).get_data(as_text=True)

    # The API describes it with its value schema, and saves and refuses through the type.
    token = token_for(client, world.own.email)
    detail = client.get(f"/api/v1/assessments/{stars.own}", headers=bearer(token)).get_json()
    question = next(
        q for section in detail["sections"] for q in section["questions"] if q["id"] == QID
    )
    assert question["type"] == "stars"
    assert question["value_schema"]["maximum"] == 5
    assert question["answer"]["value"] == 4
    api_url = f"/api/v1/assessments/{stars.own}/answers/{QID}"
    bad = client.put(api_url, json={"value": 7, "version": 1}, headers=bearer(token))
    assert bad.status_code == 422
    assert bad.get_json()["error"]["field"] == "value"
    good = client.put(api_url, json={"value": 5, "version": 1}, headers=bearer(token))
    assert good.status_code == 200
    assert good.get_json()["version"] == 2
    openapi = client.get("/api/v1/openapi.json").get_json()
    assert "stars" in openapi["components"]["schemas"]["Question"]["properties"]["type"]["enum"]

    # The workbook writes the value in its cell and reads a change back.
    response = client.get(f"/assessments/{stars.own}/workbook")
    book = load_workbook(io.BytesIO(response.data))
    sheet = next(s for s in book.worksheets if s.title.endswith(SECTION))
    row = find_row(sheet, QID)
    assert row[3].value == 5
    row[3].value = 2
    assert upload(client, stars.own, book).status_code == 302
    assert stored(app, stars.own).value == 2

    # Everyone else reads it as text, through the type's display.
    reviewer = app.test_client()
    sign_in(reviewer, world.reviewer.email)
    html = reviewer.get(url).get_data(as_text=True)
    assert "★★☆☆☆ (2 of 5 stars)" in html
    assert f'name="{QID}"' not in html
    history = reviewer.get(f"/assessments/{stars.own}/answers/{QID}/history")
    assert "★★★★★ (5 of 5 stars)" in history.get_data(as_text=True)
