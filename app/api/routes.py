"""JSON API v1. Errors: ``{"error": {"status", "message", "field"?}}``; 422 names the field."""

from __future__ import annotations

from flask import current_app, g, jsonify, request, send_file
from flask_babel import lazy_gettext as _l

from app.api import auth as tokens
from app.api import bp
from app.api.openapi import document
from app.assessments import answers, evidence, review, workflows
from app.assessments.fields import parse_version, read_upload
from app.auth import services as accounts
from app.core import audit
from app.core.db import utcnow
from app.core.errors import ServiceError
from app.core.permissions import (
    can_adjudicate,
    can_answer,
    can_coordinate_reviews,
    can_see_other_layer,
    can_see_ratings,
    can_view_assessment,
    is_assigned_reviewer,
    is_lead_reviewer,
    visible_assessments,
)
from app.extensions import db
from app.frameworks.types import ShowContext
from app.models import ApiToken, Assessment, Clarification, EvidenceFile, User


class ApiError(Exception):
    """Stop a request with a JSON error."""

    def __init__(self, status: int, message, field: str | None = None):
        super().__init__(str(message))
        self.status, self.message, self.field = status, message, field


bp.after_request(tokens.commit_touch)


@bp.errorhandler(ApiError)
def _api_error(problem: ApiError):
    return error(problem.status, problem.message, problem.field)


@bp.errorhandler(answers.Conflict)
def _conflict(conflict: answers.Conflict):
    db.session.rollback()
    return error(409, conflict.message, current=_answer_json(conflict.answer))


@bp.errorhandler(ServiceError)
def _refused(problem: ServiceError):
    db.session.rollback()
    return error(problem.status, problem.message, problem.field, **problem.extra)


def error(status: int, message, field: str | None = None, **extra):
    body = {"status": status, "message": str(message)}
    if field:
        body["field"] = field
    body.update(extra)
    return jsonify(error=body), status


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(422, "The body must be a JSON object.", "body")
    return data


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(document())


@bp.post("/tokens")
def create_token():
    """Exchange e-mail and password for a bearer token (throttled like the sign-in page)."""
    data = _json_body()
    for name in ("email", "password"):
        if not isinstance(data.get(name), str) or not data[name]:
            return error(422, f"{name} is required.", name)
    name = data.get("name") or "API token"
    if not isinstance(name, str) or len(name) > 100:
        return error(422, "name is a text of at most 100 characters.", "name")
    result = accounts.authenticate(data["email"], data["password"], audit.client_ip() or "")
    if result.outcome is accounts.LoginOutcome.THROTTLED:
        db.session.commit()
        seconds = max(1, int((result.retry_after - utcnow()).total_seconds()))
        response, status = error(429, "Too many failed sign-in attempts; try again later.")
        response.headers["Retry-After"] = str(seconds)
        return response, status
    if result.outcome is not accounts.LoginOutcome.SUCCESS:
        db.session.commit()
        return tokens.unauthorized("The e-mail address or the password is wrong.")
    token, secret = tokens.issue(result.user, name)
    db.session.commit()
    return jsonify(
        id=token.id, name=token.name, token=secret, created_at=token.created_at.isoformat()
    ), 201


@bp.delete("/tokens/<int:token_id>")
@tokens.token_required
def revoke_token(token_id: int):
    """Revoke one of the caller's tokens (the one in use included)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != g.api_user.id:
        return error(404, "No such token.")
    tokens.revoke(token, g.api_user)
    db.session.commit()
    return "", 204


def _assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or not can_view_assessment(g.api_user, assessment):
        raise ApiError(404, "No such assessment.")
    return assessment


def _summary(assessment: Assessment) -> dict:
    return {
        "id": assessment.id,
        "country": {"code": assessment.country.code, "name": assessment.country.name},
        "cycle": {
            "id": assessment.cycle.id,
            "name": assessment.cycle.name,
            "deadline": assessment.cycle.deadline.isoformat(),
            "status": assessment.cycle.status.value,
        },
        "status": assessment.status.value,
        "submitted_at": assessment.submitted_at.isoformat() if assessment.submitted_at else None,
        "editable": can_answer(g.api_user, assessment) and answers.is_editable(assessment),
    }


@bp.get("/assessments")
@tokens.token_required
def list_assessments():
    """The assessments the caller may see."""
    query = visible_assessments(g.api_user)
    return jsonify(assessments=[_summary(a) for a in db.session.scalars(query)])


def _answer_json(answer) -> dict | None:
    if answer is None:
        return None
    return {
        "value": answer.value,
        "version": answer.version,
        "note": answer.note,
        "carried_over": answer.carried_over,
        "updated_at": answer.updated_at.isoformat(),
        "updated_by": answer.updated_by.display_name if answer.updated_by else None,
    }


#: Value schemas by (questionnaire version, question id): a version never changes, and building
#: the schemas of a whole questionnaire costs more than the rest of the response.
_schemas: dict[tuple[str, str], dict] = {}


def _value_schema(content_hash: str, question) -> dict:
    key = (content_hash, question.id)
    schema = _schemas.get(key)
    if schema is None:
        schema = _schemas[key] = question.value_schema()
    return schema


def _question_json(question, state, context: ShowContext) -> dict:
    return {
        "id": question.id,
        "type": question.type,
        "label": question.label,
        "help": question.help,
        "required": question.required,
        "relevant": question.relevant,
        "visible": state.visible[question.id],
        "evidences": question.evidences,
        "value_schema": _value_schema(
            state.assessment.questionnaire_version.content_hash, question
        ),
        "answer": _answer_json(state.answers.get(question.id)),
        **question.describe(context),
    }


@bp.get("/assessments/<int:assessment_id>")
@tokens.token_required
def get_assessment(assessment_id: int):
    """Structure, visibility, answers with their versions, and status."""
    assessment = _assessment(assessment_id)
    state = answers.state(assessment)
    progress = state.progress()
    context = ShowContext(indicators=state.runtime.indicators)
    version = assessment.questionnaire_version
    return jsonify(
        **_summary(assessment),
        questionnaire={
            "id": version.questionnaire_id,
            "version": version.version,
            "content_hash": version.content_hash,
        },
        missing=[question.id for question in state.missing()],
        review=_review_json(assessment),
        sections=[
            {
                "id": section.id,
                "title": section.title,
                "progress": vars(progress[section.id]),
                "questions": [_question_json(q, state, context) for q in section.questions],
            }
            for section in state.runtime.questionnaire.sections
        ],
    )


def _require_answerer(assessment: Assessment) -> None:
    if not can_answer(g.api_user, assessment):
        raise ApiError(403, "Only the country's officials change its answers.")


@bp.put("/assessments/<int:assessment_id>/answers/<question_id>")
@tokens.token_required
def save_answer(assessment_id: int, question_id: str):
    """Save one answer: 200 with the new version, 409 on a stale version, 422 on a bad value."""
    assessment = _assessment(assessment_id)
    _require_answerer(assessment)
    data = _json_body()
    if "value" not in data:
        return error(422, "value is required (null clears the answer).", "value")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return error(
            422, "version is the answer's version you started from (0 if none).", "version"
        )
    note = data.get("note", answers.UNSET)
    if note is not answers.UNSET and note is not None and not isinstance(note, str):
        return error(422, "note is a text.", "note")
    answer = answers.save_answer(
        assessment,
        question_id,
        data["value"],
        version=version,
        note=note,
        user=g.api_user,
        source="api",
    )
    db.session.commit()
    if answer is None:  # nothing was there and nothing was given
        return jsonify(question_id=question_id, value=None, version=0, note=None)
    return jsonify(question_id=question_id, **_answer_json(answer))


@bp.post("/assessments/<int:assessment_id>/submit")
@tokens.token_required
def submit_assessment(assessment_id: int):
    """Submit and lock; 422 lists the required questions still missing."""
    assessment = _assessment(assessment_id)
    _require_answerer(assessment)
    answers.submit(assessment, g.api_user)
    db.session.commit()
    return jsonify(_summary(assessment))


def _evidence_json(assessment: Assessment, evidence: EvidenceFile) -> dict:
    return {
        "id": evidence.public_id,
        "filename": evidence.filename,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "question_id": evidence.question_id,
        "uploaded_at": evidence.uploaded_at.isoformat(),
        "uploaded_by": evidence.uploaded_by.display_name if evidence.uploaded_by else None,
    }


@bp.post("/assessments/<int:assessment_id>/evidence")
@tokens.token_required
def upload_evidence(assessment_id: int):
    """Upload an evidence file (multipart ``file``; optional ``question_id`` and ``version``)."""
    assessment = _assessment(assessment_id)
    _require_answerer(assessment)
    upload = request.files.get("file")
    if upload is None:
        return error(422, "file is required (multipart/form-data).", "file")
    version = request.form.get("version", "")
    added = evidence.add_evidence(
        assessment,
        read_upload(upload, current_app.config["EVIDENCE_MAX_BYTES"] + 1),
        upload.filename or "",
        user=g.api_user,
        question_id=request.form.get("question_id") or None,
        version=parse_version(version),
    )
    db.session.commit()
    return jsonify(_evidence_json(assessment, added)), 201


@bp.get("/assessments/<int:assessment_id>/evidence")
@tokens.token_required
def list_evidence(assessment_id: int):
    """The assessment's evidence files."""
    assessment = _assessment(assessment_id)
    return jsonify(
        evidence=[_evidence_json(assessment, e) for e in evidence.evidence_files(assessment)]
    )


@bp.get("/assessments/<int:assessment_id>/evidence/<public_id>")
@tokens.token_required
def download_evidence(assessment_id: int, public_id: str):
    """Download an evidence file."""
    assessment = _assessment(assessment_id)
    found = evidence.find_evidence(assessment, public_id)
    if found is None:
        return error(404, "No such evidence file.")
    return send_file(
        evidence.open_evidence(found),
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
    )


# --- Review ------------------------------------------------------------------------------------


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _person(user: User | None, with_email: bool) -> dict | None:
    if user is None:
        return None
    person = {"name": user.display_name}
    if with_email:
        person["email"] = user.email
    return person


def _clarification_json(item: Clarification) -> dict:
    """One question to the country; ``latest`` is set by ``review.clarifications``."""
    return {
        "id": item.id,
        "round": item.round,
        "question_id": item.question_id,
        "text": item.text,
        "asked_at": _iso(item.asked_at),
        "asked_by": item.asked_by.display_name if item.asked_by else None,
        "reply": item.reply,
        "replied_at": _iso(item.replied_at),
        "replied_by": item.replied_by.display_name if item.replied_by else None,
        "open": item.reply is None and item.latest,
    }


def _review_json(assessment: Assessment) -> dict:
    """The review block: reviewers' e-mail addresses only for those who run the review (the
    assigned reviewers, coordinators and admins); the country's officials get their names, as
    the assessment's page shows them."""
    user = g.api_user
    contacts = is_assigned_reviewer(user, assessment) or can_coordinate_reviews(user, assessment)
    return {
        "status": assessment.status.value,
        "second_review": assessment.cycle.second_review,
        "lead_reviewer": _person(assessment.lead_reviewer, contacts),
        "second_reviewer": _person(assessment.second_reviewer, contacts),
        "started_at": _iso(assessment.review_started_at),
        "finalised_at": _iso(assessment.finalised_at),
        "published_at": _iso(assessment.published_at),
        "clarifications": [_clarification_json(item) for item in review.clarifications(assessment)],
    }


def _with_review(assessment: Assessment) -> dict:
    return {**_summary(assessment), "review": _review_json(assessment)}


#: Why a step is refused to the caller's role (403), by the service's name of the step. Who may
#: take it is the transition's own predicate, asked before the status, so that a role that can
#: never take a step hears so whatever the assessment's status.
NOT_YOURS = {
    "start_review": _l("Only the assessment's lead reviewer starts its review."),
    "request_clarification": _l(
        "Only the assessment's lead reviewer asks the country for clarification."
    ),
    "resubmit": _l("Only the country's officials resubmit its assessment."),
    "finalise": _l("Only the assessment's lead reviewer finalises its review."),
    "publish": _l("Only coordinators publish the results of a review."),
    "reopen": _l("Only coordinators re-open a review."),
}


def _require_step(assessment: Assessment, action: str) -> None:
    if not workflows.ASSESSMENT.transition(action).allowed(g.api_user, assessment):
        raise ApiError(403, NOT_YOURS[action])


def _step(assessment_id: int, action: str):
    assessment = _assessment(assessment_id)
    _require_step(assessment, action)
    review.perform(assessment, action, g.api_user)
    db.session.commit()
    return jsonify(_with_review(assessment))


@bp.post("/assessments/<int:assessment_id>/reviewers")
@tokens.token_required
def assign_reviewers(assessment_id: int):
    """Assign the lead (and second) reviewer by e-mail address (coordinators)."""
    assessment = _assessment(assessment_id)
    if not can_coordinate_reviews(g.api_user, assessment):
        raise ApiError(403, _l("Only coordinators assign reviewers."))
    data = _json_body()
    for name in ("lead", "second"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise ApiError(422, _l("Give the reviewer's e-mail address."), name)
    review.assign_reviewers(assessment, data.get("lead"), data.get("second"), g.api_user)
    db.session.commit()
    return jsonify(_review_json(assessment))


def _queue_item(assessment: Assessment) -> dict:
    return {
        "id": assessment.id,
        "country": {"code": assessment.country.code, "name": assessment.country.name},
        "cycle": {"id": assessment.cycle.id, "name": assessment.cycle.name},
        "status": assessment.status.value,
        "submitted_at": _iso(assessment.submitted_at),
        "role": "lead" if is_lead_reviewer(g.api_user, assessment) else "second",
    }


@bp.get("/review-queue")
@tokens.token_required
def review_queue():
    """The caller's assigned assessments whose review is not finished, oldest submission first."""
    user = g.api_user
    # The predicate as well as the query: an account that stopped being a reviewer keeps its
    # assignments in the database, but no longer reviews them.
    queue = [a for a in review.queue(user) if is_assigned_reviewer(user, a)]
    return jsonify(assessments=[_queue_item(a) for a in queue])


@bp.post("/assessments/<int:assessment_id>/clarification")
@tokens.token_required
def return_for_clarification(assessment_id: int):
    """Return the assessment to the country with questions (the lead reviewer)."""
    assessment = _assessment(assessment_id)
    _require_step(assessment, "request_clarification")
    items = _json_body().get("items")
    if not isinstance(items, list):
        raise ApiError(422, _l("Give the questions as a list of items."), "items")
    asked = []
    for index, item in enumerate(items):
        field = f"items.{index}"
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ApiError(422, _l("Each item needs the text of its question."), field)
        question_id = item.get("question_id")
        if question_id is not None and not isinstance(question_id, str):
            raise ApiError(422, _l("No such question in this questionnaire."), field)
        asked.append(review.Item(text, question_id))
    round_ = review.request_clarification(assessment, asked, g.api_user)
    db.session.commit()
    return jsonify(
        round=round_,
        status=assessment.status.value,
        items=[
            _clarification_json(item)
            for item in review.clarifications(assessment)
            if item.round == round_
        ],
    )


@bp.post("/assessments/<int:assessment_id>/clarifications/<int:clarification_id>/reply")
@tokens.token_required
def reply_to_clarification(assessment_id: int, clarification_id: int):
    """Reply to one of the reviewer's questions (the country's officials)."""
    assessment = _assessment(assessment_id)
    if not can_answer(g.api_user, assessment):
        raise ApiError(403, _l("Only the country's officials reply."))
    text = _json_body().get("reply", "")
    if not isinstance(text, str):
        raise ApiError(422, _l("Write a reply."), "reply")
    replied = review.reply(assessment, clarification_id, text, g.api_user)
    db.session.commit()
    item = next(item for item in review.clarifications(assessment) if item.id == replied.id)
    return jsonify(_clarification_json(item))


@bp.post("/assessments/<int:assessment_id>/review/start")
@tokens.token_required
def start_review(assessment_id: int):
    """Start the review of a submitted or resubmitted assessment (the lead reviewer)."""
    return _step(assessment_id, "start_review")


@bp.post("/assessments/<int:assessment_id>/resubmit")
@tokens.token_required
def resubmit_assessment(assessment_id: int):
    """Send the clarified assessment back to the reviewer (the country's officials)."""
    return _step(assessment_id, "resubmit")


@bp.post("/assessments/<int:assessment_id>/review/finalize")
@tokens.token_required
def finalize_review(assessment_id: int):
    """Finalise the review (the lead reviewer)."""
    return _step(assessment_id, "finalise")


@bp.post("/assessments/<int:assessment_id>/publish")
@tokens.token_required
def publish_assessment(assessment_id: int):
    """Publish the finalised results (coordinators)."""
    return _step(assessment_id, "publish")


@bp.post("/assessments/<int:assessment_id>/reopen")
@tokens.token_required
def reopen_assessment(assessment_id: int):
    """Re-open a finalised or published review, saying why (coordinators)."""
    assessment = _assessment(assessment_id)
    _require_step(assessment, "reopen")
    reason = _json_body().get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(422, _l("Say why the review is re-opened."), "reason")
    review.perform(assessment, "reopen", g.api_user, reason=reason)
    db.session.commit()
    return jsonify(_with_review(assessment))


# --- Ratings -----------------------------------------------------------------------------------


def _given_json(item: review.Current | None) -> dict | None:
    """A rating as given in one layer; ``stale``: an answer feeding it changed since."""
    if item is None:
        return None
    return {
        "rating": item.rating.rating,
        "justification": item.rating.justification,
        "rated_at": _iso(item.rating.rated_at),
        "stale": item.stale,
    }


def _agreement_json(assessment: Assessment, current) -> dict:
    """The two reviewers' agreement; ``settled``: the final rating was given since they rated."""
    result = review.agreement_of(assessment, current)
    open_ = {pair.ref for pair in review.disagreements(assessment, current)}
    return {
        "compared": result.compared,
        "identical": result.identical,
        "share": result.share,
        "kappa": result.kappa,
        "na_apart": [
            {"ref": item.ref, "lead": item.first, "second": item.second} for item in result.na_apart
        ],
        "disagreements": [
            {
                "ref": item.ref,
                "lead": item.first,
                "second": item.second,
                "kind": item.kind,
                "settled": item.ref not in open_,
            }
            for item in result.disagreements
        ],
    }


@bp.get("/assessments/<int:assessment_id>/review")
@tokens.token_required
def get_review(assessment_id: int):
    """Each provision's derived rating with its explanation and the ratings the caller may see;
    the maturity stages; the reviewers' agreement for those who see both layers."""
    from app.scoring.assessments import element_texts, rules_for, scorecard
    from app.scoring.explain import explain

    assessment = _assessment(assessment_id)
    user = g.api_user
    if not can_see_ratings(user, assessment):
        raise ApiError(403, _l("The country sees the ratings once they are published."))
    state = answers.state(assessment)
    card = scorecard(assessment, state)
    rules = rules_for(assessment.questionnaire_version)
    texts = element_texts(assessment)
    changed = {qid: answer.updated_at for qid, answer in state.answers.items()}
    current = review.current_ratings(assessment, changed)
    stages = review.current_stages(assessment, changed)
    layer = review.layer_of(assessment, user)
    status = review.statuses(
        assessment, layer or "final", current, review.clarifications(assessment)
    )
    others = can_see_other_layer(
        user, assessment, layer is not None and not review.unrated(assessment, layer, current)
    )
    # The final layer settles the two reviewers' ratings: the second reviewer, who rates
    # independently, sees it when they may see the lead's.
    sees_final = layer != "second" or others

    def element(ref: str) -> str:
        return texts.get(ref, ref)

    provisions = []
    for rule in rules.provisions:
        result = card.provisions[rule.ref]
        item = {
            "ref": rule.ref,
            "framework": rule.framework_id,
            "article": rule.article,
            "obligation": rule.obligation,
            "derived_rating": result.rating,
            "explanation": explain(result.reason, element),
            "in_progress": result.in_progress,
            "review_status": status[rule.ref],
            "your_rating": _given_json(current.get((rule.ref, layer))) if layer else None,
            "final_rating": _given_json(current.get((rule.ref, "final"))) if sees_final else None,
        }
        if others:
            item["lead_rating"] = _given_json(current.get((rule.ref, "lead")))
            item["second_rating"] = _given_json(current.get((rule.ref, "second")))
        provisions.append(item)
    body = {
        "assessment": assessment.id,
        "status": assessment.status.value,
        "questionnaire_version": assessment.questionnaire_version.version,
        "rules_version": (
            assessment.rules_version
            if assessment.status in workflows.DONE and assessment.rules_version
            else card.rules_version
        ),
        "your_layer": layer,
        "provisions": provisions,
        "stages": [_stage_json(card.areas[a.id], stages.get((a.id, "final"))) for a in rules.areas],
    }
    if others and assessment.cycle.second_review:
        body["agreement"] = _agreement_json(assessment, current)
    return jsonify(body)


def _stage_json(result, given: review.CurrentStage | None) -> dict:
    return {
        "area": result.id,
        "derived_stage": result.stage,
        "missing": list(result.missing),
        "stage": given.rating.stage if given else None,
        "justification": given.rating.justification if given else None,
        "rated_at": _iso(given.rating.rated_at) if given else None,
        "stale": given.stale if given else False,
    }


def _justification(data: dict) -> str | None:
    justification = data.get("justification")
    if justification is not None and not isinstance(justification, str):
        raise ApiError(422, _l("The justification is a text."), "justification")
    return justification


@bp.put("/assessments/<int:assessment_id>/ratings/<ref>")
@tokens.token_required
def rate_provision(assessment_id: int, ref: str):
    """Rate one provision in your layer, or (``final``) settle its final rating."""
    assessment = _assessment(assessment_id)
    user = g.api_user
    layer = review.layer_of(assessment, user)
    if layer is None and not can_adjudicate(user, assessment):
        raise ApiError(403, _l("Only the assessment's reviewers rate its provisions."))
    data = _json_body()
    rating = data.get("rating")
    if not isinstance(rating, str):
        raise ApiError(422, _l("Choose C, LC, PC, NC or NA."), "rating")
    justification = _justification(data)
    final = data.get("final", False)
    if not isinstance(final, bool):
        raise ApiError(422, _l("final is true or false."), "final")
    if final and not assessment.cycle.second_review:
        raise ApiError(
            422,
            _l("This cycle has no second reviewer: the lead reviewer's ratings are final."),
            "final",
        )
    if final:
        review.adjudicate(assessment, [(ref, rating, justification)], user)
        layer = "final"
    else:
        review.rate(assessment, [(ref, rating, justification)], user)
    db.session.commit()
    stored = review.current_ratings(assessment)[(ref, layer)].rating
    return jsonify(
        ref=ref,
        layer=layer,
        final=layer == "final" or (layer == "lead" and not assessment.cycle.second_review),
        rating=stored.rating,
        derived_rating=stored.derived,
        justification=stored.justification,
        rated_at=_iso(stored.rated_at),
    )


@bp.put("/assessments/<int:assessment_id>/stages/<area>")
@tokens.token_required
def set_maturity_stage(assessment_id: int, area: str):
    """Confirm, or override with a justification, a capability area's maturity stage (the lead
    reviewer; final at once)."""
    assessment = _assessment(assessment_id)
    if not is_lead_reviewer(g.api_user, assessment):
        raise ApiError(403, _l("Only the assessment's lead reviewer confirms its maturity stages."))
    data = _json_body()
    stage = data.get("stage")
    if not isinstance(stage, int) or isinstance(stage, bool):
        raise ApiError(422, _l("Choose a stage from 0 to 5."), "stage")
    justification = _justification(data)
    review.rate_stages(assessment, [(area, stage, justification)], g.api_user)
    db.session.commit()
    stored = review.current_stages(assessment)[(area, "final")].rating
    return jsonify(
        area=area,
        stage=stored.stage,
        derived_stage=stored.derived,
        justification=stored.justification,
        rated_at=_iso(stored.rated_at),
    )


# --- Capacity-building activities ----------------------------------------------------------------


def _activity_json(activity, needs) -> dict:
    """An activity of the register, with the needs matched with it that the caller may see."""
    return {
        "id": activity.id,
        "title": activity.title,
        "provider": activity.provider,
        "donor": activity.donor,
        "starts_on": activity.starts_on.isoformat(),
        "ends_on": activity.ends_on.isoformat(),
        "format": activity.format,
        "location": activity.location,
        "online": activity.online,
        "countries": [country.code for country in activity.countries],
        "institutions": activity.institutions,
        "audiences": list(activity.audiences or []),
        "participants": {"women": activity.participants_women, "men": activity.participants_men},
        "addresses": list(activity.addresses or []),
        "outputs": activity.outputs,
        "status": activity.status.value,
        "version": activity.version,
        "needs": [
            {
                "id": need.id,
                "country": need.country.code,
                "kind": need.kind,
                "ref": need.ref,
                "found": need.found,
                "status": need.status.value,
            }
            for need in needs
        ],
    }


def _api_activity(activity_id: int):
    from app.capacity import activities

    try:
        return activities.find(activity_id, g.api_user)
    except ServiceError:
        raise ApiError(404, _l("There is no such activity.")) from None


@bp.get("/activities")
@tokens.token_required
def list_activities():
    """The activities the caller may see, filtered like the register's page (country, donor,
    format, status, year)."""
    from app.capacity import activities

    rows = activities.register(g.api_user, activities.Filters.from_args(request.args))
    matched = activities.links(rows, g.api_user)
    return jsonify(activities=[_activity_json(a, matched[a.id]) for a in rows])


@bp.post("/activities")
@tokens.token_required
def create_activity():
    """Add an activity to the register (coordinators); 422 names the first field that does not
    fit."""
    from app.capacity import activities
    from app.core.permissions import can_manage_needs

    if not can_manage_needs(g.api_user):
        raise ApiError(403, _l("Only coordinators keep the register of activities."))
    created = activities.create_activity(_json_body(), g.api_user)
    db.session.commit()
    return jsonify(_activity_json(created, [])), 201


@bp.post("/activities/<int:activity_id>/needs")
@tokens.token_required
def link_activity_need(activity_id: int):
    """Match a need of one of the activity's beneficiary countries with it (coordinators)."""
    from app.capacity import activities
    from app.core.permissions import can_manage_needs

    activity = _api_activity(activity_id)
    if not can_manage_needs(g.api_user):
        raise ApiError(403, _l("Only coordinators match needs with activities."))
    data = _json_body()
    if "need" not in data:
        raise ApiError(422, _l("Give the need's id."), "need")
    activities.link_need(activity, data["need"], g.api_user)
    db.session.commit()
    return jsonify(_activity_json(activity, activities.linked_needs(activity, g.api_user)))


# --- 24/7 directory ------------------------------------------------------------------------------


def _contact_json(contact, on) -> dict:
    """A 24/7 contact with its verification and whether it is overdue on ``on``."""
    from app.capacity import directory

    due = directory.due_on(contact)
    return {
        "id": contact.id,
        "country": {"code": contact.country.code, "name": contact.country.name},
        "network": {"key": contact.network.key, "name": contact.network.name},
        "unit": contact.unit,
        "unit_type": contact.unit_type,
        "phone": contact.phone or None,
        "email": contact.email or None,
        "secure_channel": contact.secure_channel,
        "languages": contact.languages,
        "can_preserve": contact.can_preserve,
        "can_disclose_in_emergency": contact.can_disclose_in_emergency,
        "mla_authority": contact.mla_authority,
        "verification": {
            "on": _iso(contact.verified_on),
            "how": contact.verified_how,
            "by": contact.verified_by.display_name if contact.verified_by else None,
            "due": _iso(due),
            "overdue": directory.overdue(contact, on),
            "interval_months": contact.network.interval_months,
        },
        "version": contact.version,
    }


def _api_contact(contact_id: int):
    """The contact, or 404 for one that is not there or that the caller may not see."""
    from app.core.permissions import can_read_directory
    from app.models import Contact

    contact = db.session.get(Contact, contact_id)
    if contact is None or not can_read_directory(g.api_user):
        raise ApiError(404, _l("There is no such contact."))
    return contact


def _api_contact_keeper(contact) -> None:
    """404 for another country's officials, 403 for other readers who may not write."""
    from app.capacity import directory
    from app.core.permissions import Role

    if not directory.may_keep(g.api_user, contact.country):
        if g.api_user.role is Role.OFFICIAL:
            raise ApiError(404, _l("There is no such contact."))
        raise ApiError(403, _l("Only coordinators and the country's officials keep its contacts."))


@bp.get("/contacts")
@tokens.token_required
def list_contacts():
    """The 24/7 directory (coordinators, reviewers, officials of participating countries),
    filtered by network key, country code and ``overdue`` (true or false)."""
    from app.capacity import directory
    from app.core.permissions import can_read_directory
    from app.models import Country

    if not can_read_directory(g.api_user):
        raise ApiError(
            403,
            _l(
                "The directory is for coordinators, reviewers and the officials "
                "of participating countries."
            ),
        )
    network = country = None
    if request.args.get("network"):
        network = directory.network_by_key(request.args["network"])
        if network is None:
            raise ApiError(422, _l("No such network."), "network")
    code = request.args.get("country")
    if code:
        country = db.session.scalar(db.select(Country).where(Country.code == code.upper()))
        if country is None:
            raise ApiError(422, _l("No such country code."), "country")
    overdue = request.args.get("overdue")
    if overdue not in (None, "true", "false"):
        raise ApiError(422, _l("overdue is true or false."), "overdue")
    on = directory.today()
    found = directory.list_contacts(network=network, country=country, on=on)
    if overdue is not None:
        found = [c for c in found if directory.overdue(c, on) == (overdue == "true")]
    db.session.commit()  # the standard networks, on first use
    return jsonify(contacts=[_contact_json(contact, on) for contact in found])


@bp.post("/contacts/<int:contact_id>/verification")
@tokens.token_required
def verify_contact(contact_id: int):
    """Record a contact's verification: {"on": "YYYY-MM-DD", "how": call | email |
    secure_channel | in_person} (the country's officials, coordinators)."""
    from app.capacity import directory

    contact = _api_contact(contact_id)
    _api_contact_keeper(contact)
    data = _json_body()
    directory.verify(contact, data.get("on"), data.get("how"), g.api_user)
    db.session.commit()
    return jsonify(_contact_json(contact, directory.today()))


@bp.post("/contacts/<int:contact_id>/tests")
@tokens.token_required
def record_contact_test(contact_id: int):
    """Log a reachability test: {"on", "channel", "outcome", "response_minutes", "notes"}."""
    from app.capacity import directory

    contact = _api_contact(contact_id)
    _api_contact_keeper(contact)
    data = _json_body()
    test = directory.record_test(
        contact,
        data.get("on"),
        data.get("channel"),
        data.get("response_minutes"),
        data.get("outcome"),
        data.get("notes"),
        g.api_user,
    )
    db.session.commit()
    return jsonify(
        id=test.id,
        contact=contact.id,
        on=test.tested_on.isoformat(),
        channel=test.channel,
        outcome=test.outcome,
        response_minutes=test.response_minutes,
        notes=test.notes,
        recorded_by=g.api_user.display_name,
    ), 201


# --- Capacity-building needs -------------------------------------------------------------------


def _need_json(row) -> dict:
    """A need with its cycle, recommendation and the assistance requested."""
    need = row.need
    return {
        "id": need.id,
        "country": {"code": need.country.code, "name": need.country.name},
        "cycle": {"id": row.cycle.id, "name": row.cycle.name},
        "assessment": need.assessment_id,
        "kind": need.kind,
        "ref": need.ref,
        "found": need.found,
        "target_stage": need.target_stage,
        "assistance": list(need.assistance or []),
        "recommendation": row.recommendation.text if row.recommendation else None,
        "status": need.status.value,
        "priority": need.priority,
        "declined_reason": need.declined_reason,
        "closed_reason": need.closed_reason,
        "version": need.version,
        "created_at": _iso(need.created_at),
        "updated_at": _iso(need.updated_at),
        "requests": [
            {
                "id": item.id,
                "type": item.type,
                "target_institution": item.target_institution,
                "priority": item.priority,
                "description": item.description,
                "created_at": _iso(item.created_at),
                "created_by": item.created_by.display_name if item.created_by else None,
            }
            for item in row.requests
        ],
    }


@bp.get("/needs")
@tokens.token_required
def list_needs():
    """The needs the caller may see (officials: their country's, once published), filtered like
    the register (type, region, framework, provision, priority, status, country, kind, cycle),
    50 a page, with the counts of the filtered set."""
    from app.capacity import needs

    filters, errors = needs.parse_filters(request.args)
    if errors:
        name = next(iter(errors))
        raise ApiError(422, errors[name], name)
    page, counts = needs.register(filters, g.api_user)
    return jsonify(
        needs=[_need_json(row) for row in page.items],
        page=page.page,
        pages=page.pages,
        total=counts.total,
        counts={"status": counts.by_status, "type": counts.by_type},
    )


#: What ``updateNeed`` takes: the country's officials set ``priority`` (with ``version``) and
#: add ``assistance``; ``action`` (with ``reason``) closes, declines or re-opens.
NEED_FIELDS = frozenset({"priority", "version", "assistance", "action", "reason"})


@bp.patch("/needs/<int:need_id>")
@tokens.token_required
def update_need(need_id: int):
    """Change a need: its priority (``version``: the need's version you started from), a request
    for assistance, or its status (``action``: close, decline, reopen, with a ``reason``)."""
    from app.capacity import needs
    from app.core.permissions import can_manage_needs, can_request_assistance

    user = g.api_user
    need = needs.find(need_id, user)
    if need is None:
        raise ApiError(404, _l("No such need."))
    if not (can_manage_needs(user) or can_request_assistance(user, need)):
        raise ApiError(403, _l("Only the country's officials and coordinators change needs."))
    data = _json_body()
    unknown = sorted(set(data) - NEED_FIELDS)
    if unknown:
        raise ApiError(422, _l("This field cannot be changed."), unknown[0])
    if not set(data) & {"priority", "assistance", "action"}:
        raise ApiError(422, _l("Give a priority, an assistance request or an action."), "body")
    action = data.get("action")
    if action is not None and action not in needs.ACTIONS:
        raise ApiError(422, _l("The action is close, decline or reopen."), "action")
    if data.get("reason") is not None and not isinstance(data["reason"], str):
        raise ApiError(422, _l("The reason is a text."), "reason")
    assistance = data.get("assistance")
    if assistance is not None:
        if not isinstance(assistance, dict):
            raise ApiError(422, _l("Give the request as an object."), "assistance")
        try:
            needs.request_assistance(
                need,
                assistance.get("type"),
                assistance.get("target_institution"),
                assistance.get("priority"),
                assistance.get("description"),
                user,
            )
        except ServiceError as problem:
            if problem.status == 422 and problem.field:
                problem.field = f"assistance.{problem.field}"
            raise
    if "priority" in data:
        if not isinstance(data["priority"], int) or isinstance(data["priority"], bool):
            raise ApiError(422, _l("Choose a priority from 1 (highest) to 5 (lowest)."), "priority")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ApiError(422, _l("version is the need's version you started from."), "version")
        needs.set_priority(need, data["priority"], user, version)
    if action is not None:
        needs.ACTIONS[action](need, data.get("reason"), user)
    db.session.commit()
    (row,) = needs.rows([need])
    return jsonify(_need_json(row))


# --- Cycle exports ---------------------------------------------------------------------------


@bp.get("/cycles/<int:cycle_id>/export")
@tokens.token_required
def export_cycle(cycle_id: int):
    """The cycle's export for coordinators: the workbook (``format=xlsx``, the default) or one
    sheet as CSV (``format=csv&sheet=ratings``); audited like the page's downloads."""
    from app.core.permissions import can_export_cycles
    from app.models import Cycle
    from app.reports import exports, services

    if not can_export_cycles(g.api_user):
        raise ApiError(403, _l("Only coordinators export a cycle."))
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise ApiError(404, _l("No such cycle."))
    kind = request.args.get("format", "xlsx")
    if kind not in ("xlsx", "csv"):
        raise ApiError(422, _l("The format is xlsx or csv."), "format")
    sheet = request.args.get("sheet")
    if (kind == "csv" or sheet is not None) and sheet not in exports.SHEETS:
        raise ApiError(
            422, _l("Choose the sheet: %(sheets)s.", sheets=", ".join(exports.SHEETS)), "sheet"
        )
    download = services.export(cycle, g.api_user, kind, sheet if kind == "csv" else None)
    db.session.commit()
    return download.response()
