"""Library pages for reviewers, coordinators and admins."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from app.core.permissions import can_browse_library, can_read_frameworks, require
from app.extensions import db
from app.frameworks import store
from app.library import bp
from app.library import services as library
from app.models import QuestionnaireVersion


@bp.get("/")
@require(can_browse_library)
def index():
    """The loaded frameworks and questionnaires, and every version ever loaded."""
    frameworks, questionnaires = library.history()
    return render_template(
        "library/index.html",
        shelf=library.shelf(),
        framework_history=frameworks,
        questionnaire_history=questionnaires,
    )


@bp.get("/frameworks/<framework_id>")
@require(can_read_frameworks)
def framework(framework_id: str):
    """A framework's provisions by cluster, their elements, crosswalk and evidencing questions."""
    shelf = library.shelf()
    model = shelf.frameworks.get(framework_id)
    if model is None:
        abort(404)
    return render_template(
        "library/framework.html",
        framework=model,
        row=shelf.framework_rows[framework_id],
        cover=shelf.coverage()[framework_id],
        frameworks=shelf.frameworks,
        questions=library.question_texts(shelf),
        browse=can_browse_library(current_user),
    )


@bp.get("/questionnaires/<int:version_id>")
@require(can_browse_library)
def questionnaire(version_id: int):
    """A questionnaire version: its sections, questions and maturity areas."""
    row = db.get_or_404(QuestionnaireVersion, version_id)
    return render_template(
        "library/questionnaire.html", row=row, questionnaire=store.questionnaire_model(row)
    )


@bp.get("/coverage")
@require(can_browse_library)
def coverage():
    """Per framework, the questions that evidence each provision; uncovered ones stand out."""
    shelf = library.shelf()
    return render_template("library/coverage.html", shelf=shelf, result=shelf.coverage())


@bp.get("/crosswalk")
@require(can_browse_library)
def crosswalk():
    """The Budapest Convention beside the UN Convention against Cybercrime."""
    shelf = library.shelf()
    left, right = shelf.frameworks.get("budapest"), shelf.frameworks.get("un-cybercrime")
    rows = library.crosswalk(left, right) if left and right else []
    return render_template("library/crosswalk.html", left=left, right=right, rows=rows)
