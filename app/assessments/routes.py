"""Cycles (coordinators) and the country's assessment pages (officials)."""

from __future__ import annotations

import io

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from app.assessments import bp, fields, services, workbook
from app.assessments.forms import CycleForm, EvidenceForm, WorkbookUploadForm
from app.core.permissions import (
    Role,
    can_answer,
    can_manage_cycles,
    require,
    require_assessment_access,
)
from app.extensions import db
from app.forms import ActionForm
from app.frameworks import store
from app.models import Answer, Assessment, Country, Cycle, EvidenceFile

# --- Cycles ----------------------------------------------------------------------------------


@bp.get("/cycles")
@require(can_manage_cycles)
def cycles():
    """Every cycle, newest first, with its assessments' counts by status."""
    rows = db.session.execute(
        select(Cycle, func.count(Assessment.id))
        .outerjoin(Assessment, Assessment.cycle_id == Cycle.id)
        .group_by(Cycle.id)
        .order_by(Cycle.id.desc())
    ).all()
    return render_template("assessments/cycles.html", rows=rows)


@bp.route("/cycles/new", methods=["GET", "POST"])
@require(can_manage_cycles)
def new_cycle():
    """Prepare a cycle: name, questionnaire version, deadline, participating countries."""
    form = CycleForm()
    versions = store.latest_questionnaires()
    countries = list(db.session.scalars(select(Country).order_by(Country.name)))
    form.questionnaire_version.choices = [
        SelectChoice(str(v.id), f"{v.questionnaire_id} {v.version} ({v.content_hash[:8]})")
        for v in versions
    ]
    form.countries.choices = [SelectChoice(c.code, f"{c.name} ({c.code})") for c in countries]
    if request.method == "GET":
        form.countries.data = [c.code for c in countries if c.participating]
    if form.validate_on_submit():
        chosen = set(form.countries.data)
        version = next(v for v in versions if str(v.id) == form.questionnaire_version.data)
        try:
            cycle = services.create_cycle(
                form.name.data,
                version,
                form.deadline.data,
                [c for c in countries if c.code in chosen],
                carry_over=form.carry_over.data,
                user=current_user,
            )
        except services.AssessmentError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("The cycle is prepared. Open it when the countries may start."), "success")
            return redirect(url_for("assessments.cycle", cycle_id=cycle.id))
    return render_template("assessments/new_cycle.html", form=form, has_versions=bool(versions))


@bp.get("/cycles/<int:cycle_id>")
@require(can_manage_cycles)
def cycle(cycle_id: int):
    """A cycle's countries, the status of their assessments and how many answers they hold."""
    cycle = db.session.scalar(
        select(Cycle).where(Cycle.id == cycle_id).options(selectinload(Cycle.countries))
    ) or abort(404)
    assessments = db.session.execute(
        select(Assessment, func.count(Answer.id))
        .outerjoin(Answer, (Answer.assessment_id == Assessment.id) & Answer.value.is_not(None))
        .where(Assessment.cycle_id == cycle.id)
        .group_by(Assessment.id)
        .order_by(Assessment.id)
    ).all()
    return render_template(
        "assessments/cycle.html", cycle=cycle, assessments=assessments, action_form=ActionForm()
    )


@bp.post("/cycles/<int:cycle_id>/open")
@require(can_manage_cycles)
def open_cycle(cycle_id: int):
    """Open a prepared cycle: every participating country gets its draft assessment."""
    return _cycle_step(cycle_id, services.open_cycle, _("The cycle is open."))


@bp.post("/cycles/<int:cycle_id>/close")
@require(can_manage_cycles)
def close_cycle(cycle_id: int):
    """Close an open cycle: countries can no longer change their answers."""
    return _cycle_step(cycle_id, services.close_cycle, _("The cycle is closed."))


def _cycle_step(cycle_id: int, step, message: str):
    cycle = db.get_or_404(Cycle, cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        step(cycle, current_user)
    except services.AssessmentError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("assessments.cycle", cycle_id=cycle.id))


# --- Assessments -----------------------------------------------------------------------------


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.get_or_404(Assessment, assessment_id)
    require_assessment_access(current_user, assessment)
    return assessment


def _may_edit(assessment: Assessment) -> bool:
    return can_answer(current_user, assessment) and services.is_editable(assessment)


@bp.get("/assessments")
@login_required
def assessments():
    """The assessments the user may see: their country's, or every country's for the staff."""
    query = select(Assessment).join(Assessment.cycle).order_by(Cycle.id.desc(), Assessment.id)
    if current_user.role is Role.OFFICIAL:
        query = query.where(Assessment.country_id == current_user.country_id)
    return render_template("assessments/list.html", assessments=list(db.session.scalars(query)))


@bp.get("/assessments/<int:assessment_id>")
@login_required
def overview(assessment_id: int):
    """Sections with progress, the deadline, evidence, submission and the offline workbook."""
    assessment = _assessment(assessment_id)
    current = services.state(assessment)
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        state=current,
        progress=current.progress(),
        missing=current.missing(),
        carried=[a for a in current.answers.values() if a.carried_over],
        evidence=services.evidence_files(assessment),
        editable=_may_edit(assessment),
        action_form=ActionForm(),
    )


@bp.route("/assessments/<int:assessment_id>/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(assessment_id: int, section_id: str):
    """A section's questions as a form; saved as they change (and by the save button)."""
    assessment = _assessment(assessment_id)
    current = services.state(assessment)
    section = current.runtime.section(section_id) or abort(404)
    editable = _may_edit(assessment)
    errors: dict[str, str] = {}
    conflicts: dict[str, object] = {}
    submitted: dict[str, object] = {}
    if request.method == "POST":
        if not editable:
            abort(403 if not can_answer(current_user, assessment) else 409)
        if not ActionForm().validate_on_submit():
            abort(400)
        for question in section.questions:
            if not fields.posted(question, request.form):
                continue
            raw = fields.raw_value(question, request.form)
            try:
                services.save_answer(
                    assessment,
                    question.id,
                    raw,
                    version=fields.version_of(question, request.form),
                    note=fields.note_of(question, request.form),
                    user=current_user,
                    questionnaire=current.runtime,
                )
            except services.Conflict as error:
                conflicts[question.id] = error.answer
                submitted[question.id] = raw
            except services.AssessmentError as error:
                errors[question.id] = str(error.message)
                submitted[question.id] = raw
        db.session.commit()
        if not errors and not conflicts:
            flash(_("Saved."), "success")
            return redirect(
                url_for("assessments.section", assessment_id=assessment.id, section_id=section.id)
            )
        current = services.state(assessment)
    sections = current.runtime.questionnaire.sections
    index = next(i for i, s in enumerate(sections) if s.id == section.id)
    return render_template(
        "assessments/section.html",
        assessment=assessment,
        state=current,
        section=section,
        previous=sections[index - 1] if index else None,
        following=sections[index + 1] if index + 1 < len(sections) else None,
        editable=editable,
        errors=errors,
        conflicts=conflicts,
        submitted=submitted,
        evidence={e.public_id: e for e in services.evidence_files(assessment)},
        action_form=ActionForm(),
        evidence_form=EvidenceForm(),
    ), (422 if errors or conflicts else 200)


@bp.post("/assessments/<int:assessment_id>/answers/<question_id>")
@login_required
def save_answer(assessment_id: int, question_id: str):
    """Save one answer as it changes (the page's script); answers JSON."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    questionnaire = services.runtime(assessment.questionnaire_version)
    question = questionnaire.questions.get(question_id)
    if question is None:
        return jsonify(error={"message": _("There is no such question.")}), 404
    try:
        answer = services.save_answer(
            assessment,
            question_id,
            fields.raw_value(question, request.form),
            version=fields.version_of(question, request.form),
            note=fields.note_of(question, request.form),
            user=current_user,
            questionnaire=questionnaire,
        )
    except services.Conflict as error:
        db.session.rollback()
        theirs = error.answer
        html = render_template(
            "assessments/_question_fragment.html",
            assessment=assessment,
            state=services.state(assessment),
            question=question,
            editable=True,
            evidence={e.public_id: e for e in services.evidence_files(assessment)},
            conflict=theirs,
        )
        return jsonify(
            error={"message": str(error.message)},
            conflict={
                "version": theirs.version if theirs else 0,
                "value_text": fields.display(question, theirs.value if theirs else None),
                "by": theirs.updated_by.display_name if theirs and theirs.updated_by else "",
                "at": theirs.updated_at.isoformat() if theirs else "",
                "html": html,
            },
        ), 409
    except services.AssessmentError as error:
        db.session.rollback()
        return jsonify(error={"message": str(error.message), "field": error.field}), error.status
    db.session.commit()
    after = services.state(assessment)
    section = after.runtime.section_of[question_id]
    progress = after.progress()[section.id]
    return jsonify(
        status="saved",
        version=answer.version if answer else 0,
        saved_at=answer.updated_at.isoformat() if answer else None,
        visible={q.id: after.visible[q.id] for q in section.questions},
        progress={"answered_required": progress.answered_required, "required": progress.required},
    )


@bp.get("/assessments/<int:assessment_id>/answers/<question_id>/history")
@login_required
def answer_history(assessment_id: int, question_id: str):
    """Who changed an answer, when, from what to what."""
    assessment = _assessment(assessment_id)
    questionnaire = services.runtime(assessment.questionnaire_version)
    question = questionnaire.questions.get(question_id) or abort(404)
    answer = services.find_answer(assessment, question_id)
    return render_template(
        "assessments/history.html",
        assessment=assessment,
        question=question,
        section=questionnaire.section_of[question_id],
        revisions=services.history(answer) if answer else [],
        display=fields.display,
    )


@bp.post("/assessments/<int:assessment_id>/evidence")
@login_required
def upload_evidence(assessment_id: int):
    """Attach an evidence file to an evidence question."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    form = EvidenceForm()
    question_id = request.form.get("question_id") or None
    version = request.form.get("version", "")
    back = url_for("assessments.overview", assessment_id=assessment.id)
    if question_id:
        section = services.runtime(assessment.questionnaire_version).section_of.get(question_id)
        if section is not None:
            back = (
                url_for("assessments.section", assessment_id=assessment.id, section_id=section.id)
                + f"#q-{question_id}"
            )
    if not form.validate_on_submit():
        message = " ".join(map(str, form.file.errors)) or _(
            "The upload was not accepted; try again."
        )
        flash(message, "danger")
        return redirect(back)
    upload = form.file.data
    try:
        evidence = services.add_evidence(
            assessment,
            upload.read(current_app.config["EVIDENCE_MAX_BYTES"] + 1),
            upload.filename or "",
            user=current_user,
            question_id=question_id,
            version=int(version) if version.isdigit() else None,
        )
    except services.Conflict:
        db.session.rollback()
        flash(
            _(
                "A colleague changed this question's files meanwhile; the page now shows them. "
                "Attach the file again."
            ),
            "warning",
        )
        return redirect(back)
    except services.AssessmentError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(back)
    db.session.commit()
    flash(_("%(name)s is attached.", name=evidence.filename), "success")
    return redirect(back)


@bp.get("/assessments/<int:assessment_id>/evidence/<public_id>")
@login_required
def download_evidence(assessment_id: int, public_id: str):
    """Download an evidence file, as an attachment, to those who may see the assessment."""
    assessment = _assessment(assessment_id)
    evidence = db.session.scalar(
        select(EvidenceFile).where(
            EvidenceFile.assessment_id == assessment.id, EvidenceFile.public_id == public_id
        )
    ) or abort(404)
    return send_file(
        services.evidence_path(evidence),
        mimetype=evidence.content_type,
        as_attachment=True,
        download_name=evidence.filename,
        max_age=0,
    )


@bp.route("/assessments/<int:assessment_id>/submit", methods=["GET", "POST"])
@login_required
def submit(assessment_id: int):
    """Check what is missing, then submit and lock the assessment."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    current = services.state(assessment)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.submit(assessment, current_user)
        except services.AssessmentError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("The assessment is submitted. Thank you."), "success")
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template(
        "assessments/submit.html",
        assessment=assessment,
        state=current,
        missing=current.missing(),
        editable=services.is_editable(assessment),
        form=form,
    )


@bp.record_once
def _template_helpers(state) -> None:
    # Imported macros see environment globals only, so the value formatter lives there.
    state.app.jinja_env.globals["display"] = fields.display


@bp.get("/assessments/<int:assessment_id>/workbook")
@login_required
def download_workbook(assessment_id: int):
    """The questionnaire with the current answers, as an Excel workbook."""
    assessment = _assessment(assessment_id)
    data = workbook.export(assessment)
    name = f"{assessment.country.code}-{assessment.cycle.name}-questionnaire.xlsx".replace(" ", "_")
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
        max_age=0,
    )


@bp.route("/assessments/<int:assessment_id>/workbook/upload", methods=["GET", "POST"])
@login_required
def upload_workbook(assessment_id: int):
    """Upload a filled workbook: every change is saved, or none and each problem is listed."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    form = WorkbookUploadForm()
    result = None
    if form.validate_on_submit():
        if not services.is_editable(assessment):
            flash(_("This assessment can no longer change."), "danger")
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
        result = workbook.import_workbook(assessment, form.workbook.data.read(), current_user)
        if result.problems:
            db.session.rollback()
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The workbook is imported: %(num)d answer changed.",
                    "The workbook is imported: %(num)d answers changed.",
                    result.changed,
                ),
                "success",
            )
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return render_template(
        "assessments/upload_workbook.html", assessment=assessment, form=form, result=result
    ), (422 if result and result.problems else 200)
