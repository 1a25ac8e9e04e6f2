"""Cycles (coordinators) and the country's assessment pages (officials)."""

from __future__ import annotations

import functools
import io
from urllib.parse import urlsplit

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

from app.assessments import answers, bp, evidence, fields, review, workbook, workflows
from app.assessments import cycles as cycle_steps
from app.assessments import recommendations as recommending
from app.assessments.fields import read_upload
from app.assessments.forms import CycleForm, EvidenceForm, WorkbookUploadForm
from app.assessments.pages import QuestionPage, show_context
from app.core import labels
from app.core.errors import ServiceError
from app.core.permissions import (
    can_adjudicate,
    can_answer,
    can_coordinate_reviews,
    can_keep_recommendation_library,
    can_manage_cycles,
    can_see_other_layer,
    can_see_ratings,
    is_lead_reviewer,
    require,
    require_assessment_access,
    visible_assessments,
)
from app.core.security import is_safe_redirect
from app.extensions import db
from app.forms import ActionForm
from app.frameworks import store
from app.i18n import by_country_name, country_name
from app.models import Answer, Assessment, AssessmentStatus, Country, Cycle, CycleStatus


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError):
    """Answer a refused service step: JSON for the page's script, else a message and the page."""
    db.session.rollback()
    if _wants_json():
        body = {"message": str(error.message)}
        if error.field:
            body["field"] = error.field
        return jsonify(error=body), error.status
    flash(str(error.message), "danger")
    arguments = request.view_args or {}
    if "assessment_id" in arguments:
        target = url_for("assessments.overview", assessment_id=arguments["assessment_id"])
    elif "cycle_id" in arguments:
        target = url_for("assessments.cycle", cycle_id=arguments["cycle_id"])
    else:
        target = url_for("main.home")
    return redirect(target)


#: Views that answer JSON (the page's script), so their refusals do too.
JSON_VIEWS = {"assessments.save_answer"}


def _wants_json() -> bool:
    return request.endpoint in JSON_VIEWS


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


def _cycle_form(form: CycleForm, cycle: Cycle | None = None):
    """Fill the choices of a cycle form; return the versions and countries offered."""
    versions = store.latest_questionnaires()
    if cycle is not None and cycle.questionnaire_version not in versions:
        versions.append(cycle.questionnaire_version)  # a draft keeps the version it was given
    countries = by_country_name(db.session.scalars(select(Country)))
    form.questionnaire_version.choices = [
        SelectChoice(str(v.id), f"{v.questionnaire_id} {v.version} ({v.content_hash[:8]})")
        for v in versions
    ]
    form.countries.choices = [
        SelectChoice(c.code, f"{country_name(c)} ({c.code})") for c in countries
    ]
    return versions, countries


def _target_areas(cycle: Cycle | None = None) -> list[tuple[str, str]]:
    """Return the capability areas (id, title) of the questionnaire versions a cycle may use."""
    from app.frameworks.words import localized

    versions = store.latest_questionnaires()
    if cycle is not None and cycle.questionnaire_version not in versions:
        versions.append(cycle.questionnaire_version)
    areas: dict[str, str] = {}
    for version in versions:
        for area in answers.runtime(version).questionnaire.maturity_areas:
            areas.setdefault(area.id, localized(area.title))
    return list(areas.items())


def _country_groups(form: CycleForm, countries: list[Country]) -> list[tuple[str, list]]:
    """Return the country checkboxes grouped by UN region, in the regions' order."""
    region_of = {country.code: country.region for country in countries}
    groups: dict[str | None, list] = {}
    for option in form.countries:
        groups.setdefault(region_of.get(option.data), []).append(option)
    order = [*labels.REGION_LABELS, None]
    return [
        (str(labels.REGION_LABELS.get(region, _("Other territories"))), groups[region])
        for region in order
        if region in groups
    ]


def _save_cycle(form: CycleForm, versions, countries, step):
    """Run ``step`` (create or update) with the form's values and commit; return the cycle, or
    None after putting a refusal's message next to its field."""
    chosen = set(form.countries.data)
    version = next(v for v in versions if str(v.id) == form.questionnaire_version.data)
    try:
        result = step(
            form.name.data,
            version,
            form.deadline.data,
            [c for c in countries if c.code in chosen],
            carry_over=form.carry_over.data,
            second_review=form.second_review.data,
            maturity_targets=form.maturity_targets(),
            user=current_user,
        )
    except ServiceError as error:
        db.session.rollback()
        at_fault = getattr(form, error.field or "name", None)
        (at_fault.errors if at_fault is not None else form.form_errors).append(str(error.message))
        return None
    db.session.commit()
    return result


def _cycle_page(template: str, form: CycleForm, countries, **context):
    return render_template(
        template,
        form=form,
        groups=_country_groups(form, countries),
        **context,
    )


@bp.route("/cycles/new", methods=["GET", "POST"])
@require(can_manage_cycles)
def new_cycle():
    """Prepare a cycle: name, questionnaire version, deadline, participating countries, the
    target maturity stage of each capability area."""
    form = CycleForm.with_areas(_target_areas())()
    versions, countries = _cycle_form(form)
    if request.method == "GET":
        form.countries.data = [c.code for c in countries if c.participating]
    if form.validate_on_submit():
        saved = _save_cycle(form, versions, countries, cycle_steps.create_cycle)
        if saved is not None:
            flash(_("The cycle is prepared. Open it when the countries may start."), "success")
            return redirect(url_for("assessments.cycle", cycle_id=saved.id))
    return _cycle_page(
        "assessments/new_cycle.html", form, countries, has_versions=bool(versions), cycle=None
    )


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
@require(can_manage_cycles)
def edit_cycle(cycle_id: int):
    """Change a cycle while it is in preparation."""
    cycle = db.get_or_404(Cycle, cycle_id)
    if cycle.status is not CycleStatus.DRAFT:
        flash(_("Only a cycle in preparation can be changed."), "danger")
        return redirect(url_for("assessments.cycle", cycle_id=cycle.id))
    form = CycleForm.with_areas(_target_areas(cycle))(
        obj=None if request.method == "POST" else cycle
    )
    versions, countries = _cycle_form(form, cycle)
    if request.method == "GET":
        form.questionnaire_version.data = str(cycle.questionnaire_version_id)
        form.countries.data = [country.code for country in cycle.countries]
        form.show_targets(cycle.maturity_targets or {})
    if form.validate_on_submit():
        step = functools.partial(cycle_steps.update_cycle, cycle)
        if _save_cycle(form, versions, countries, step) is not None:
            flash(_("The cycle is saved."), "success")
            return redirect(url_for("assessments.cycle", cycle_id=cycle.id))
    return _cycle_page(
        "assessments/new_cycle.html", form, countries, has_versions=bool(versions), cycle=cycle
    )


@bp.post("/cycles/<int:cycle_id>/delete")
@require(can_manage_cycles)
def delete_cycle(cycle_id: int):
    """Delete a cycle while it is in preparation."""
    cycle = db.get_or_404(Cycle, cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = cycle.name
    cycle_steps.delete_cycle(cycle, current_user)
    db.session.commit()
    flash(_("The cycle “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("assessments.cycles"))


@bp.get("/cycles/<int:cycle_id>")
@require(can_manage_cycles)
def cycle(cycle_id: int):
    """A cycle's countries: the status of their assessments, progress and last activity."""
    cycle = db.session.scalar(
        select(Cycle).where(Cycle.id == cycle_id).options(selectinload(Cycle.countries))
    ) or abort(404)
    return render_template(
        "assessments/cycle.html",
        cycle=cycle,
        progress=cycle_steps.progress(cycle),
        agreement=review.cycle_agreement(cycle),
        actions=workflows.CYCLE.available(cycle, current_user),
        editable=cycle.status is CycleStatus.DRAFT,
        action_form=ActionForm(),
    )


@bp.post("/cycles/<int:cycle_id>/open")
@require(can_manage_cycles)
def open_cycle(cycle_id: int):
    """Open a prepared cycle: every participating country gets its draft assessment."""
    return _cycle_step(cycle_id, cycle_steps.open_cycle, _("The cycle is open."))


@bp.post("/cycles/<int:cycle_id>/close")
@require(can_manage_cycles)
def close_cycle(cycle_id: int):
    """Close an open cycle: countries can no longer change their answers."""
    return _cycle_step(cycle_id, cycle_steps.close_cycle, _("The cycle is closed."))


def _cycle_step(cycle_id: int, step, message: str):
    cycle = db.get_or_404(Cycle, cycle_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    step(cycle, current_user)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("assessments.cycle", cycle_id=cycle.id))


# --- Assessments -----------------------------------------------------------------------------


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.get_or_404(Assessment, assessment_id)
    require_assessment_access(current_user, assessment)
    return assessment


def _may_edit(assessment: Assessment) -> bool:
    return can_answer(current_user, assessment) and answers.is_editable(assessment)


@bp.get("/assessments")
@login_required
def assessments():
    """The assessments the user may see: their country's, or every country's for the staff."""
    query = visible_assessments(current_user)
    return render_template("assessments/list.html", assessments=list(db.session.scalars(query)))


@bp.get("/assessments/<int:assessment_id>")
@login_required
def overview(assessment_id: int):
    """Sections with progress, the deadline, evidence, submission and the offline workbook."""
    from app.scoring.assessments import provision_labels

    assessment = _assessment(assessment_id)
    current = answers.state(assessment)
    asked = review.clarifications(assessment)
    return render_template(
        "assessments/overview.html",
        assessment=assessment,
        state=current,
        progress=current.progress(),
        missing=current.missing(),
        carried=[a for a in current.answers.values() if a.carried_over],
        left_behind=answers.left_behind(assessment),
        evidence=evidence.evidence_files(assessment),
        editable=_may_edit(assessment),
        actions=workflows.ASSESSMENT.available(assessment, current_user),
        review_actions=[
            t
            for t in workflows.ASSESSMENT.available(assessment, current_user)
            if t.name in REVIEW_ACTIONS
        ],
        may_ask=is_lead_reviewer(current_user, assessment)
        and workflows.ASSESSMENT.status(assessment)
        in workflows.ASSESSMENT.transition("request_clarification").sources,
        assigns=can_coordinate_reviews(current_user, assessment),
        reviewers=review.reviewers() if can_coordinate_reviews(current_user, assessment) else [],
        asked=asked,
        provision_labels=provision_labels(assessment)
        if any(item.provision for item in asked)
        else {},
        adjudicates=can_adjudicate(current_user, assessment),
        sees_ratings=can_see_ratings(current_user, assessment),
        recent_trail=_trail_entries(assessment, limit=RECENT_TRAIL),
        action_form=ActionForm(),
    )


# --- Review ----------------------------------------------------------------------------------

#: The review's transitions taken with a button (request_clarification has its own page).
REVIEW_ACTIONS = ("start_review", "resubmit", "finalise", "publish", "reopen")


def _review_step(assessment: Assessment, step, success, url: str):
    """Run a review service step from a posted form: commit and say ``success()`` when it went
    through; otherwise roll back and say why on the page (403 and 404 stay errors)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = step()
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(success(result), "success")
    return redirect(url)


def _review_url(assessment: Assessment) -> str:
    return url_for("assessments.overview", assessment_id=assessment.id) + "#review"


@bp.post("/assessments/<int:assessment_id>/reviewers")
@login_required
def assign_reviewers(assessment_id: int):
    """A coordinator assigns the lead (and second) reviewer."""
    assessment = _assessment(assessment_id)
    form = request.form
    return _review_step(
        assessment,
        lambda: review.assign_reviewers(
            assessment, form.get("lead"), form.get("second"), current_user
        ),
        lambda _result: _("The reviewers are assigned."),
        _review_url(assessment),
    )


@bp.post("/assessments/<int:assessment_id>/review/<action>")
@login_required
def review_action(assessment_id: int, action: str):
    """Take a step of the review: start, resubmit, finalise, publish or re-open (with a reason)."""
    assessment = _assessment(assessment_id)
    if action not in REVIEW_ACTIONS:
        abort(404)
    label = workflows.ASSESSMENT.transition(action).label
    return _review_step(
        assessment,
        lambda: review.perform(assessment, action, current_user, reason=request.form.get("reason")),
        lambda _result: f"{label} — {_('done.')}",
        _review_url(assessment),
    )


@bp.post("/assessments/<int:assessment_id>/ratings")
@login_required
def rate(assessment_id: int):
    """A reviewer rates one provision (an override needs a justification), or accepts every
    derived rating not yet rated or out of date."""
    assessment = _assessment(assessment_id)
    ref = request.form.get("provision", "")
    url = url_for("assessments.ratings", assessment_id=assessment.id)
    if request.form.get("accept_all"):
        return _review_step(
            assessment,
            lambda: review.accept_derived(assessment, current_user),
            lambda stored: " ".join(
                [
                    ngettext(
                        "%(num)d derived rating accepted.",
                        "%(num)d derived ratings accepted.",
                        stored.ratings,
                    )
                ]
                + (
                    [
                        ngettext(
                            "%(num)d maturity stage confirmed.",
                            "%(num)d maturity stages confirmed.",
                            stored.stages,
                        )
                    ]
                    if stored.stages
                    else []
                )
            ),
            url,
        )
    form = request.form
    return _review_step(
        assessment,
        lambda: review.rate(
            assessment, [(ref, form.get("rating"), form.get("justification"))], current_user
        ),
        lambda _result: _("The rating is saved."),
        url_for("assessments.ratings", assessment_id=assessment.id, open=ref)
        + "#p-"
        + ref.replace(":", "-"),
    )


@bp.route("/assessments/<int:assessment_id>/clarification", methods=["GET", "POST"])
@login_required
def request_clarification(assessment_id: int):
    """The lead reviewer writes questions for the country, each about a question of the
    questionnaire or a provision where there is one, and returns the assessment to it."""

    assessment = _assessment(assessment_id)
    if not is_lead_reviewer(current_user, assessment):
        abort(403)
    current = answers.state(assessment)
    form = ActionForm()
    errors: dict[str, str] = {}
    rows = CLARIFICATION_ROWS
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        items = [
            review.Item(
                request.form.get(f"text-{i}", ""),
                request.form.get(f"question-{i}") or None,
                request.form.get(f"provision-{i}") or None,
            )
            for i in range(rows)
        ]
        try:
            review.request_clarification(assessment, items, current_user)
        except ServiceError as error:
            db.session.rollback()
            if error.status == 403:
                abort(403)
            errors[error.field or "items"] = str(error.message)
        else:
            db.session.commit()
            flash(_("The assessment is returned to the country with your questions."), "success")
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    status = 422 if errors else 200
    return render_template(
        "assessments/clarification.html",
        assessment=assessment,
        state=current,
        form=form,
        rows=rows,
        errors=errors,
        asked=review.clarifications(assessment),
        may_return=workflows.ASSESSMENT.transition("request_clarification").sources,
        provisions={
            ref: f"{name.label} — {name.title}"
            for ref, name in recommending.provision_names(assessment.questionnaire_version).items()
        },
        chosen=request.form.get("provision-0", request.args.get("provision", "")),
    ), status


@bp.get("/assessments/<int:assessment_id>/ratings")
@login_required
def ratings(assessment_id: int):
    """The reviewer workspace: every provision's derived rating with its reason, the elements and
    the answers used, its review status, the reviewer's rating and comments; maturity stages,
    counts per cluster and framework, priority follow-up. The country reads the final ratings
    once published."""
    from app.assessments.changes import since_previous
    from app.scoring import assessments as scoring
    from app.scoring.explain import explain, rating_definitions, rating_names

    assessment = _assessment(assessment_id)
    if not can_see_ratings(current_user, assessment):
        abort(403)
    current = answers.state(assessment)
    card, views = scoring.ratings_view(assessment, current)
    layer = review.layer_of(assessment, current_user)
    changed = {qid: answer.updated_at for qid, answer in current.answers.items()}
    given = review.current_ratings(assessment, changed)
    stages = review.current_stages(assessment, changed)
    # Each reviewer sees their own layer (two reviewers rate independently); coordinators and,
    # once published, the country see the final one.
    shown_layer = layer or "final"
    shown = {ref: item for (ref, name), item in given.items() if name == shown_layer}
    staff = layer is not None or can_coordinate_reviews(current_user, assessment)
    status = review.statuses(assessment, shown_layer, given, review.clarifications(assessment))
    show = request.args.get("show")
    show = show if show in review.REVIEW_STATUSES else None
    unrated = review.unrated(assessment, layer, given) if layer else []
    others = staff and can_see_other_layer(current_user, assessment, not unrated)
    comment_layers = ("lead", "second") if others else (layer,) if layer else ()
    in_review = assessment.status is AssessmentStatus.IN_REVIEW
    finals = {ref: item.rating.rating for (ref, name), item in given.items() if name == "final"}
    # Those who read the final ratings read their counts too; a reviewer works on the derived.
    totals = (
        scoring.final_scorecard(
            assessment,
            card,
            finals,
            {area: item.rating.stage for (area, name), item in stages.items() if name == "final"},
        )
        if layer is None and finals
        else card
    )
    # Evidence beside each provision: the files attached in the sections its answers are in.
    files_by_section: dict[str, list] = {}
    for file in evidence.evidence_files(assessment):
        section_of = current.runtime.section_of.get(file.question_id or "")
        if section_of is not None:
            files_by_section.setdefault(section_of.id, []).append(file)
    area_files = {
        area.id: [
            file
            for section_id in dict.fromkeys(
                current.runtime.section_of[q].id
                for indicator in area.indicators
                for q in indicator.questions
                if q in current.runtime.section_of
            )
            for file in files_by_section.get(section_id, [])
        ]
        for area in scoring.rules_for(assessment.questionnaire_version).areas
    }
    return render_template(
        "assessments/ratings.html",
        totals=totals,
        files_by_section=files_by_section,
        area_files=area_files,
        opened=request.args.get("open"),
        # What changed since the country's previous finished cycle; the country compares with
        # its published results only.
        changes=since_previous(assessment, current, published_only=not staff),
        layer=layer,
        staff=staff,
        may_rate=layer is not None and in_review,
        may_confirm_stages=layer == "lead" and in_review,
        may_comment=layer is not None and assessment.status not in workflows.DONE,
        may_ask=is_lead_reviewer(current_user, assessment) and in_review,
        may_adjudicate=can_adjudicate(current_user, assessment) and others,
        shown=shown,
        # The lead confirms the stages: the second reviewer sees them once they may see the lead's.
        stages={
            area: item
            for (area, name), item in stages.items()
            if name == "final" and (layer != "second" or others)
        },
        status=status if staff else {},
        status_counts={key: list(status.values()).count(key) for key in review.REVIEW_STATUSES},
        status_names=review.status_names(),
        show=show,
        comments=review.comments(assessment, comment_layers) if comment_layers else {},
        unrated=len(unrated) if layer else None,
        form=ActionForm(),
        given_codes=review.GIVEN,
        assessment=assessment,
        state=current,
        card=card,
        views=views,
        names=rating_names(),
        definitions=rating_definitions(),
        explain_element=lambda element: explain(element.reason),
        provision_labels=scoring.provision_labels(assessment),
    )


@bp.post("/assessments/<int:assessment_id>/stages")
@login_required
def rate_stage(assessment_id: int):
    """The lead reviewer confirms, or overrides with a justification, an area's maturity stage."""
    assessment = _assessment(assessment_id)
    form = request.form
    area = form.get("area", "")
    return _review_step(
        assessment,
        lambda: review.rate_stages(
            assessment, [(area, form.get("stage", ""), form.get("justification"))], current_user
        ),
        lambda _result: _("The maturity stage is saved."),
        url_for("assessments.ratings", assessment_id=assessment.id) + "#maturity",
    )


@bp.post("/assessments/<int:assessment_id>/comments")
@login_required
def add_comment(assessment_id: int):
    """A reviewer comments on a provision or one of its elements."""
    assessment = _assessment(assessment_id)
    form = request.form
    ref = form.get("provision", "")
    return _review_step(
        assessment,
        lambda: review.comment(
            assessment, ref, form.get("element"), form.get("comment", ""), current_user
        ),
        lambda _result: _("Your comment is saved."),
        url_for("assessments.ratings", assessment_id=assessment.id, open=ref)
        + "#p-"
        + ref.replace(":", "-"),
    )


@bp.route("/assessments/<int:assessment_id>/adjudication", methods=["GET", "POST"])
@login_required
def adjudication(assessment_id: int):
    """Where two reviewers rated the assessment: their agreement, every provision they differ on
    (or only one rated), and the final rating the lead reviewer or a coordinator settles."""
    from app.scoring import assessments as scoring
    from app.scoring.explain import rating_names

    assessment = _assessment(assessment_id)
    if not can_adjudicate(current_user, assessment):
        abort(403)
    url = url_for("assessments.adjudication", assessment_id=assessment.id)
    if request.method == "POST":
        form = request.form
        if form.get("accept_agreed"):
            return _review_step(
                assessment,
                lambda: review.accept_agreed(assessment, current_user),
                lambda stored: ngettext(
                    "%(num)d agreed rating is now final.",
                    "%(num)d agreed ratings are now final.",
                    stored,
                ),
                url,
            )
        ref = form.get("provision", "")
        return _review_step(
            assessment,
            lambda: review.adjudicate(
                assessment, [(ref, form.get("rating"), form.get("justification"))], current_user
            ),
            lambda _result: _("The final rating is saved."),
            url,
        )
    current = answers.state(assessment)
    given = review.current_ratings(
        assessment, {qid: answer.updated_at for qid, answer in current.answers.items()}
    )
    own_left = review.unrated(assessment, "lead", given)
    if not can_see_other_layer(current_user, assessment, not own_left):
        return render_template(
            "assessments/adjudication.html", assessment=assessment, own_left=own_left
        )
    from app.scoring.assessments import scorecard

    pairs = review.pairs(assessment, given)
    return render_template(
        "assessments/adjudication.html",
        assessment=assessment,
        own_left=[],
        card=scorecard(assessment, current),
        disagreements=review.disagreements(assessment, given),
        agreed=[pair for pair in pairs if pair.agreed and not pair.settled],
        settled=sum(1 for pair in pairs if pair.settled),
        total=len(pairs),
        result=review.agreement_of(assessment, given),
        may_settle=assessment.status is AssessmentStatus.IN_REVIEW,
        given_codes=review.GIVEN,
        names=rating_names(),
        labels_of=scoring.provision_labels(assessment),
        form=ActionForm(),
    )


#: How many questions the clarification form offers at once.
CLARIFICATION_ROWS = 5


@bp.post("/assessments/<int:assessment_id>/clarifications/<int:clarification_id>/reply")
@login_required
def reply_clarification(assessment_id: int, clarification_id: int):
    """An official replies to one of the reviewer's questions."""
    assessment = _assessment(assessment_id)
    return _review_step(
        assessment,
        lambda: review.reply(
            assessment, clarification_id, request.form.get("reply", ""), current_user
        ),
        lambda _result: _("Your reply is saved."),
        _review_url(assessment),
    )


@bp.route("/assessments/<int:assessment_id>/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(assessment_id: int, section_id: str):
    """A section's questions: a form for the country while it may answer (saved as they change,
    and by the save button); the answers as text for everyone else."""
    assessment = _assessment(assessment_id)
    section = answers.runtime(assessment.questionnaire_version).section(section_id) or abort(404)
    shown = [question.id for question in section.questions]
    current = answers.state(assessment, only=shown)
    editable = _may_edit(assessment)
    result = answers.SectionResult()
    submitted: dict[str, object] = {}
    if request.method == "POST":
        if not editable:
            abort(403 if not can_answer(current_user, assessment) else 409)
        if not ActionForm().validate_on_submit():
            abort(400)
        posted = fields.posted_ids(request.form)
        inputs = [
            fields.submitted(question, request.form)
            for question in section.questions
            if question.id in posted
        ]
        result = answers.save_answers(current, inputs, user=current_user)
        db.session.commit()
        if result.ok:
            flash(_("Saved."), "success")
            return redirect(
                url_for("assessments.section", assessment_id=assessment.id, section_id=section.id)
            )
        submitted = {
            item.question_id: item.raw
            for item in inputs
            if item.question_id in result.errors or item.question_id in result.conflicts
        }
        current = answers.state(assessment, only=shown)
    sections = current.runtime.questionnaire.sections
    index = next(i for i, s in enumerate(sections) if s.id == section.id)
    files = evidence.evidence_files(assessment)
    page = QuestionPage.build(
        assessment, current, files, editable=editable, questions=section.questions
    )
    page.notices = _upload_notices(files) if editable else {}
    return render_template(
        "assessments/section.html",
        assessment=assessment,
        state=current,
        page=page,
        section=section,
        previous=sections[index - 1] if index else None,
        following=sections[index + 1] if index + 1 < len(sections) else None,
        editable=editable,
        errors=result.errors,
        conflicts=result.conflicts,
        submitted=submitted,
        action_form=ActionForm(),
        evidence_form=EvidenceForm(),
    ), (200 if result.ok else 422)


@bp.post("/assessments/<int:assessment_id>/answers/<question_id>")
@login_required
def save_answer(assessment_id: int, question_id: str):
    """Save one answer as it changes (the page's script); answers JSON."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    questionnaire = answers.runtime(assessment.questionnaire_version)
    question = questionnaire.questions.get(question_id)
    if question is None:
        return jsonify(error={"message": _("There is no such question.")}), 404
    item = fields.submitted(question, request.form)
    try:
        answer = answers.save_answer(
            assessment,
            question_id,
            item.raw,
            version=item.version,
            note=item.note,
            user=current_user,
            questionnaire=questionnaire,
        )
    except answers.Conflict as error:
        db.session.rollback()
        return _conflict(assessment, question, error.answer, str(error.message))
    db.session.commit()
    after = answers.state(assessment)
    section = after.runtime.section_of[question_id]
    progress = after.progress()[section.id]
    return jsonify(
        status="saved",
        version=answer.version if answer else 0,
        saved_at=answer.updated_at.isoformat() if answer else None,
        visible={q.id: after.visible[q.id] for q in section.questions},
        progress={"answered_required": progress.answered_required, "required": progress.required},
    )


def _conflict(assessment: Assessment, question, theirs: Answer | None, message: str):
    current = answers.state(assessment)
    files = evidence.evidence_files(assessment)
    page = QuestionPage.build(assessment, current, files, editable=True, questions=[question])
    html = render_template(
        "assessments/_question_fragment.html", question=question, page=page, conflict=theirs
    )
    return jsonify(
        error={"message": message},
        conflict={
            "version": theirs.version if theirs else 0,
            "value_text": question.display_text(theirs.value if theirs else None, page.show),
            "by": theirs.updated_by.display_name if theirs and theirs.updated_by else "",
            "at": theirs.updated_at.isoformat() if theirs else "",
            "html": html,
        },
    ), 409


@bp.get("/assessments/<int:assessment_id>/answers/<question_id>/history")
@login_required
def answer_history(assessment_id: int, question_id: str):
    """Who changed an answer, when, from what to what."""
    assessment = _assessment(assessment_id)
    current = answers.state(assessment)
    question = current.runtime.questions.get(question_id) or abort(404)
    answer = current.answers.get(question_id)
    return render_template(
        "assessments/history.html",
        assessment=assessment,
        question=question,
        section=current.runtime.section_of[question_id],
        revisions=answers.history(answer) if answer else [],
        show=show_context(assessment, current, evidence.evidence_files(assessment)),
    )


@bp.post("/assessments/<int:assessment_id>/evidence")
@login_required
def upload_evidence(assessment_id: int):
    """Attach an evidence file to an evidence question; the outcome is shown next to its input."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    form = EvidenceForm()
    question_id = request.form.get("question_id") or None
    version = request.form.get("version", "")
    section = None
    if question_id:
        section = answers.runtime(assessment.questionnaire_version).section_of.get(question_id)

    def back(notice: str, public_id: str | None = None):
        if section is None:
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
        address = url_for(
            "assessments.section",
            assessment_id=assessment.id,
            section_id=section.id,
            upload=question_id,
            notice=notice,
            file=public_id,
        )
        return redirect(f"{address}#q-{question_id}")

    if not form.validate_on_submit():
        if section is None:
            flash(" ".join(map(str, form.file.errors)) or _("Choose a file."), "danger")
        return back("missing")
    upload = form.file.data
    try:
        added = evidence.add_evidence(
            assessment,
            read_upload(upload, current_app.config["EVIDENCE_MAX_BYTES"] + 1),
            upload.filename or "",
            user=current_user,
            question_id=question_id,
            version=fields.parse_version(version),
        )
    except answers.Conflict:
        db.session.rollback()
        return back("conflict")
    except ServiceError as error:
        db.session.rollback()
        if section is None:
            flash(str(error.message), "danger")
        return back(error.extra.get("reason", "refused"))
    db.session.commit()
    if section is None:
        flash(_("%(name)s is attached.", name=added.filename), "success")
    return back("attached", added.public_id)


def _upload_notices(files) -> dict[str, tuple[str, str]]:
    """Return the outcome of the upload the page comes back from, for its question."""
    question_id, notice = request.args.get("upload"), request.args.get("notice")
    if not question_id or not notice:
        return {}
    if notice == "attached":
        file = next((f for f in files if f.public_id == request.args.get("file")), None)
        if file is None:
            return {}
        return {question_id: ("success", _("%(name)s is attached.", name=file.filename))}
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    messages = {
        "missing": _("Choose a file first."),
        "empty": _("The file is empty."),
        "too_large": _("The file is larger than %(size)s MB.", size=f"{limit / 1_000_000:g}"),
        "type": _("Only PDF, DOCX, XLSX, ODT, PNG and JPEG files are accepted."),
        "conflict": _(
            "A colleague changed this question's files meanwhile; the page now shows them. "
            "Attach the file again."
        ),
    }
    return {question_id: ("danger", messages.get(notice, _("The file was not attached.")))}


@bp.errorhandler(413)
def _too_large(error):
    """Stay on the page with the reason when a request is larger than any upload may be."""
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    flash(_("The file is larger than %(size)s MB.", size=f"{limit / 1_000_000:g}"), "danger")
    arguments = request.view_args or {}
    came_from = urlsplit(request.referrer or "")
    target = came_from.path + (f"?{came_from.query}" if came_from.query else "")
    if came_from.netloc == request.host and is_safe_redirect(target):
        return redirect(target)
    if "assessment_id" in arguments:
        return redirect(url_for("assessments.overview", assessment_id=arguments["assessment_id"]))
    return redirect(url_for("main.home"))


@bp.get("/assessments/<int:assessment_id>/evidence/<public_id>")
@login_required
def download_evidence(assessment_id: int, public_id: str):
    """Download an evidence file, as an attachment, to those who may see the assessment."""
    assessment = _assessment(assessment_id)
    found = evidence.find_evidence(assessment, public_id) or abort(404)
    return send_file(
        evidence.open_evidence(found),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
    )


@bp.route("/assessments/<int:assessment_id>/submit", methods=["GET", "POST"])
@login_required
def submit(assessment_id: int):
    """Check what is missing, then submit and lock the assessment."""
    assessment = _assessment(assessment_id)
    if not can_answer(current_user, assessment):
        abort(403)
    current = answers.state(assessment)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            answers.submit(assessment, current_user)
        except ServiceError as error:  # shown above the list of what is missing
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("The assessment is submitted. Thank you."), "success")
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    missing = current.missing()
    by_section: dict[str, tuple] = {}
    for question in missing:
        section = current.runtime.section_of[question.id]
        by_section.setdefault(section.id, (section, []))[1].append(question)
    return render_template(
        "assessments/submit.html",
        assessment=assessment,
        state=current,
        missing=missing,
        by_section=list(by_section.values()),
        actions=workflows.ASSESSMENT.available(assessment, current_user),
        form=form,
    )


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
        if not answers.is_editable(assessment):
            flash(_("This assessment can no longer change."), "danger")
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
        result = workbook.import_workbook(assessment, read_upload(form.workbook.data), current_user)
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


# --- Audit trail -----------------------------------------------------------------------------

#: How many of the latest events the overview shows.
RECENT_TRAIL = 5


def _trail_entries(assessment: Assessment, limit: int):
    """Return the newest events of the assessment's trail the user may read, as sentences."""
    from app.assessments import trail as audit_trail

    events = audit_trail.trail(assessment, current_user, limit=limit)
    return audit_trail.entries(assessment, events)


@bp.get("/assessments/<int:assessment_id>/trail")
@login_required
def trail(assessment_id: int):
    """The assessment's own trail: transitions, assignments, questions and replies, and (for
    those who may see them) ratings, comments and recommendations, newest first."""
    from app.assessments.trail import LIMIT

    assessment = _assessment(assessment_id)
    return render_template(
        "assessments/trail.html",
        assessment=assessment,
        entries=_trail_entries(assessment, limit=LIMIT),
        limit=LIMIT,
    )


# --- Recommendations -------------------------------------------------------------------------


def _slug(ref: str) -> str:
    return ref.replace(":", "-")


def _recommendations_page(assessment: Assessment, refusal: dict | None = None):
    """Render the recommendations page (a fixed number of queries whatever the provisions);
    ``refusal``: the form refused (``form``), the field at fault, why, and the id of the element
    the error summary links to (``anchor``)."""
    from app.scoring.assessments import rules_for
    from app.scoring.explain import rating_names

    finals = recommending.final_ratings(assessment)
    written = recommending.current(assessment)
    rules = rules_for(assessment.questionnaire_version)
    rated = [
        rule.ref
        for rule in rules.provisions
        if finals.get(rule.ref) in recommending.NEEDS_RECOMMENDATION
    ]
    others = [
        rule.ref for rule in rules.provisions if rule.ref in written and rule.ref not in rated
    ]
    may_write = (
        is_lead_reviewer(current_user, assessment)
        and assessment.status is AssessmentStatus.IN_REVIEW
    )
    library: dict[str, list] = {}
    if may_write and rated:
        for template in recommending.templates(rated):
            library.setdefault(template.provision, []).append(template)
    previous = recommending.previous(assessment)
    earlier = recommending.earlier(assessment) if previous is not None else []
    names = recommending.provision_names(assessment.questionnaire_version)
    if previous is not None:
        names = {**recommending.provision_names(previous.questionnaire_version), **names}
    return render_template(
        "assessments/recommendations.html",
        assessment=assessment,
        finals=finals,
        written=written,
        rated=rated,
        others=others,
        missing=[ref for ref in rated if not written.get(ref)],
        library=library,
        previous=previous,
        earlier=earlier,
        unjudged=[r for r in earlier if not recommending.judged_here(assessment, r)],
        judged_here=functools.partial(recommending.judged_here, assessment),
        names=names,
        rating_names=rating_names(),
        may_write=may_write,
        is_lead=is_lead_reviewer(current_user, assessment),
        refusal=refusal,
        slug=_slug,
        action_form=ActionForm(),
    ), (refusal["status"] if refusal else 200)


def _recommendation_step(assessment: Assessment, form: str, step, success, anchors):
    """Run a recommendations service step from a posted form: commit, say ``success()`` and go
    back to the page; otherwise roll back and show the page again with the refusal next to its
    field and what was typed (403 and 404 stay errors)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        result = step()
    except ServiceError as error:
        db.session.rollback()
        if error.status in (403, 404):
            abort(error.status)
        return _recommendations_page(
            assessment,
            {
                "form": form,
                "field": error.field,
                "message": str(error.message),
                "anchor": anchors.get(error.field, anchors[None]),
                "status": error.status,
            },
        )
    db.session.commit()
    flash(success(result), "success")
    url = url_for("assessments.recommendations", assessment_id=assessment.id)
    return redirect(f"{url}#{anchors[None]}")


@bp.route("/assessments/<int:assessment_id>/recommendations", methods=["GET", "POST"])
@login_required
def recommendations(assessment_id: int):
    """The provisions rated PC or NC with their recommendations, written or taken from the
    library by the lead reviewer (POST adds one); the previous cycle's recommendations and how
    far each is implemented. Read-only for the others who see the ratings."""
    assessment = _assessment(assessment_id)
    if not can_see_ratings(current_user, assessment):
        abort(403)
    if request.method == "GET":
        return _recommendations_page(assessment)
    ref = request.form.get("provision", "")
    slug = _slug(ref)
    return _recommendation_step(
        assessment,
        f"add:{ref}",
        lambda: recommending.recommend(
            assessment,
            ref,
            request.form.get("text"),
            request.form.get("template"),
            current_user,
        ),
        lambda _item: _("The recommendation is added."),
        {
            None: f"rec-{slug}",
            "provision": "recommendations",
            "text": f"text-{slug}",
            "template": f"template-{slug}",
        },
    )


@bp.post("/assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/withdraw")
@login_required
def withdraw_recommendation(assessment_id: int, recommendation_id: int):
    """The lead reviewer withdraws a recommendation while the review is under way."""
    assessment = _assessment(assessment_id)
    if not can_see_ratings(current_user, assessment):
        abort(403)
    return _recommendation_step(
        assessment,
        f"withdraw:{recommendation_id}",
        lambda: recommending.withdraw(assessment, recommendation_id, current_user),
        lambda item: _("The recommendation is withdrawn."),
        {None: "recommendations"},
    )


@bp.post("/assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/judgement")
@login_required
def judge_recommendation(assessment_id: int, recommendation_id: int):
    """The lead reviewer judges how far a recommendation of the previous cycle is implemented."""
    assessment = _assessment(assessment_id)
    if not can_see_ratings(current_user, assessment):
        abort(403)
    key = f"earlier-{recommendation_id}"
    return _recommendation_step(
        assessment,
        f"judge:{recommendation_id}",
        lambda: recommending.judge(
            assessment,
            recommendation_id,
            request.form.get("judgement", ""),
            request.form.get("comment"),
            current_user,
        ),
        lambda _item: _("The follow-up is saved."),
        {
            None: key,
            "judgement": f"judgement-{recommendation_id}-{recommending.FOLLOW_UPS[0]}",
            "comment": f"comment-{recommendation_id}",
        },
    )


@bp.get("/recommendations")
@require(can_keep_recommendation_library)
def recommendation_library():
    """The library of reusable recommendations, per provision; ``?provision=`` shows one."""
    known = recommending.known_provisions()
    chosen = request.args.get("provision", "").strip()
    if chosen and chosen not in known:
        chosen = ""
    by_provision: dict[str, list] = {}
    for template in recommending.templates(chosen or None, active_only=False):
        by_provision.setdefault(template.provision, []).append(template)
    order = [ref for ref in known if ref in by_provision]
    order += sorted(ref for ref in by_provision if ref not in known)
    return render_template(
        "assessments/recommendation_library.html",
        known=known,
        chosen=chosen,
        order=order,
        by_provision=by_provision,
        total=sum(len(items) for items in by_provision.values()),
    )


def _template_form_page(form, known, template=None, status=200):
    return render_template(
        "assessments/recommendation_template.html", form=form, template=template, known=known
    ), status


@bp.route("/recommendations/new", methods=["GET", "POST"])
@require(can_keep_recommendation_library)
def new_recommendation_template():
    """Add a reusable recommendation for a provision to the library."""
    from app.assessments.forms import RecommendationTemplateForm

    form = RecommendationTemplateForm()
    del form.active
    known = recommending.known_provisions()
    form.provision.choices = [
        SelectChoice("", _("— choose —")),
        *(SelectChoice(ref, f"{name.label} — {name.title}") for ref, name in known.items()),
    ]
    if request.method == "GET":
        form.provision.data = request.args.get("provision", "")
    if form.validate_on_submit():
        try:
            template = recommending.add_template(form.provision.data, form.text.data, current_user)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "text").errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("The recommendation is added to the library."), "success")
            return redirect(
                url_for("assessments.recommendation_library", provision=template.provision)
            )
    return _template_form_page(form, known, status=422 if form.errors else 200)


@bp.route("/recommendations/<int:template_id>/edit", methods=["GET", "POST"])
@require(can_keep_recommendation_library)
def edit_recommendation_template(template_id: int):
    """Change a library recommendation's text, or take it out of the library."""
    from app.assessments.forms import RecommendationTemplateForm
    from app.models import RecommendationTemplate

    template = db.get_or_404(RecommendationTemplate, template_id)
    form = RecommendationTemplateForm(obj=None if request.method == "POST" else template)
    del form.provision
    if form.validate_on_submit():
        try:
            recommending.update_template(
                template.id, form.text.data, form.active.data, current_user
            )
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field or "text").errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("The library recommendation is saved."), "success")
            return redirect(
                url_for("assessments.recommendation_library", provision=template.provision)
            )
    return _template_form_page(
        form, recommending.known_provisions(), template, status=422 if form.errors else 200
    )
