"""One matrix: every URL rule × every persona, with the status each must get.

Personas: ``anonymous``; ``own``, an official of the object's country (XAA); ``other``, an
official of another country (XAB); ``reviewer``; ``coordinator``; ``admin``. Path parameters
point at objects of XAA (its country page, its official's account). Forms are posted empty
with CSRF checks off, so that the status shows authorisation, not form handling; CSRF has its
own tests.
"""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import User
from tests.conftest import sign_in_session

PERSONAS = ("anonymous", "own", "other", "reviewer", "coordinator", "admin")
BAD_TOKEN = "not-a-real-token"


def row(anonymous, own, other, reviewer, coordinator, admin) -> dict[str, int]:
    return dict(zip(PERSONAS, (anonymous, own, other, reviewer, coordinator, admin), strict=True))


SIGNED_IN = row(302, 200, 200, 200, 200, 200)
EVERYONE = row(200, 200, 200, 200, 200, 200)
NOBODY = row(404, 404, 404, 404, 404, 404)
STAFF = row(302, 403, 403, 403, 200, 200)
ADMIN_ONLY = row(302, 403, 403, 403, 403, 200)
LIBRARY = row(302, 403, 403, 200, 200, 200)
VIEW_OWN = row(302, 200, 404, 200, 200, 200)  # the country's officials and the staff
ANSWER_OWN = row(302, 200, 404, 403, 403, 403)  # only the country's officials answer
API_ALL = row(401, 200, 200, 200, 200, 200)
API_VIEW_OWN = row(401, 200, 404, 200, 200, 200)

#: (method, rule) -> expected status per persona. Keys must match app.url_map exactly.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/"): SIGNED_IN,
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/favicon.ico"): EVERYONE,
    ("POST", "/language"): row(302, 302, 302, 302, 302, 302),
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account"): SIGNED_IN,  # 200: the empty form comes back with its errors
    ("GET", "/countries/<code>"): row(302, 200, 404, 200, 200, 200),
    ("GET", "/auth/login"): row(200, 302, 302, 302, 302, 302),
    ("POST", "/auth/login"): row(200, 302, 302, 302, 302, 302),
    ("POST", "/auth/logout"): row(302, 302, 302, 302, 302, 302),
    ("POST", "/auth/logout-everywhere"): row(302, 302, 302, 302, 302, 302),
    ("GET", "/auth/password"): SIGNED_IN,
    ("POST", "/auth/password"): SIGNED_IN,
    ("GET", "/auth/forgot"): EVERYONE,
    ("POST", "/auth/forgot"): EVERYONE,
    ("GET", "/auth/reset/<token>"): NOBODY,
    ("POST", "/auth/reset/<token>"): NOBODY,
    ("GET", "/auth/invitation/<token>"): NOBODY,
    ("POST", "/auth/invitation/<token>"): NOBODY,
    ("GET", "/admin/users"): STAFF,
    ("GET", "/admin/users/invite"): STAFF,
    ("POST", "/admin/users/invite"): STAFF,
    ("GET", "/admin/users/<int:user_id>"): ADMIN_ONLY,
    ("POST", "/admin/users/<int:user_id>"): ADMIN_ONLY,
    ("POST", "/admin/users/<int:user_id>/deactivate"): row(302, 403, 403, 403, 403, 302),
    ("POST", "/admin/users/<int:user_id>/reactivate"): row(302, 403, 403, 403, 403, 302),
    ("POST", "/admin/users/<int:user_id>/invitation"): row(302, 403, 403, 403, 302, 302),
    ("GET", "/admin/countries"): STAFF,
    ("POST", "/admin/countries/<code>/participation"): row(302, 403, 403, 403, 302, 302),
    ("GET", "/admin/audit"): ADMIN_ONLY,
    ("GET", "/library/"): LIBRARY,
    ("GET", "/library/frameworks/<framework_id>"): SIGNED_IN,  # officials follow cited articles
    ("GET", "/library/questionnaires/<int:version_id>"): LIBRARY,
    ("GET", "/library/coverage"): LIBRARY,
    ("GET", "/library/crosswalk"): LIBRARY,
    ("POST", "/account/tokens/<int:token_id>/revoke"): row(302, 302, 404, 404, 404, 404),
    ("GET", "/cycles"): STAFF,
    ("GET", "/cycles/new"): STAFF,
    ("POST", "/cycles/new"): STAFF,
    ("GET", "/cycles/<int:cycle_id>"): STAFF,
    ("GET", "/cycles/<int:cycle_id>/edit"): row(302, 403, 403, 403, 302, 302),  # open: not now
    ("POST", "/cycles/<int:cycle_id>/edit"): row(302, 403, 403, 403, 302, 302),
    ("POST", "/cycles/<int:cycle_id>/delete"): row(302, 403, 403, 403, 302, 302),
    ("POST", "/cycles/<int:cycle_id>/open"): row(302, 403, 403, 403, 302, 302),
    ("POST", "/cycles/<int:cycle_id>/close"): row(302, 403, 403, 403, 302, 302),
    # The cycle's exports (every country's final ratings): coordinators and admins.
    ("GET", "/cycles/<int:cycle_id>/export.xlsx"): STAFF,
    ("GET", "/cycles/<int:cycle_id>/export/<sheet>.csv"): STAFF,
    # The cycle dashboard (every country's final ratings): coordinators and admins.
    ("GET", "/dashboard"): STAFF,
    ("GET", "/assessments"): SIGNED_IN,
    ("GET", "/assessments/<int:assessment_id>"): VIEW_OWN,
    ("GET", "/assessments/<int:assessment_id>/sections/<section_id>"): VIEW_OWN,
    ("POST", "/assessments/<int:assessment_id>/sections/<section_id>"): row(
        302, 302, 404, 403, 403, 403
    ),
    ("POST", "/assessments/<int:assessment_id>/answers/<question_id>"): ANSWER_OWN,
    ("GET", "/assessments/<int:assessment_id>/answers/<question_id>/history"): VIEW_OWN,
    ("POST", "/assessments/<int:assessment_id>/evidence"): row(302, 302, 404, 403, 403, 403),
    ("GET", "/assessments/<int:assessment_id>/evidence/<public_id>"): VIEW_OWN,
    ("GET", "/assessments/<int:assessment_id>/submit"): ANSWER_OWN,
    ("POST", "/assessments/<int:assessment_id>/submit"): ANSWER_OWN,  # 200: what is missing
    ("GET", "/assessments/<int:assessment_id>/workbook"): VIEW_OWN,
    # Everyone who sees the assessment reads its trail, filtered to what they may know.
    ("GET", "/assessments/<int:assessment_id>/trail"): VIEW_OWN,
    # Review: a coordinator assigns; the step itself is refused (a draft) with a message (302).
    ("POST", "/assessments/<int:assessment_id>/reviewers"): row(302, 403, 404, 403, 302, 302),
    ("POST", "/assessments/<int:assessment_id>/review/<action>"): row(302, 302, 404, 302, 302, 302),
    # Reviewers and coordinators see the ratings; the country once they are published.
    ("GET", "/assessments/<int:assessment_id>/ratings"): row(302, 403, 404, 200, 200, 200),
    # Only the assessment's reviewers rate (302: a draft is not in review, said on the page).
    ("POST", "/assessments/<int:assessment_id>/ratings"): row(302, 403, 404, 302, 403, 403),
    # The lead reviewer confirms maturity stages (302: a draft is not in review, said on the page).
    ("POST", "/assessments/<int:assessment_id>/stages"): row(302, 403, 404, 302, 403, 403),
    # The assessment's reviewers comment (302: saved, back to the ratings page).
    ("POST", "/assessments/<int:assessment_id>/comments"): row(302, 403, 404, 302, 403, 403),
    # Adjudication is for cycles with a second reviewer: this one has none, so nobody (403).
    ("GET", "/assessments/<int:assessment_id>/adjudication"): row(302, 403, 404, 403, 403, 403),
    ("POST", "/assessments/<int:assessment_id>/adjudication"): row(302, 403, 404, 403, 403, 403),
    # Only the lead reviewer asks (422: a draft cannot be returned to the country).
    ("GET", "/assessments/<int:assessment_id>/clarification"): row(302, 403, 404, 200, 403, 403),
    ("POST", "/assessments/<int:assessment_id>/clarification"): row(302, 403, 404, 422, 403, 403),
    ("POST", "/assessments/<int:assessment_id>/clarifications/<int:clarification_id>/reply"): row(
        302, 404, 404, 403, 403, 403
    ),  # 404 for the official: there is no such question (yet)
    ("GET", "/assessments/<int:assessment_id>/workbook/upload"): ANSWER_OWN,
    ("POST", "/assessments/<int:assessment_id>/workbook/upload"): ANSWER_OWN,  # 200: no file
    # Recommendations: read by those who see the ratings; written, withdrawn and judged by the
    # lead reviewer only (409: a draft is not in review; 404: there is no such recommendation).
    ("GET", "/assessments/<int:assessment_id>/recommendations"): row(302, 403, 404, 200, 200, 200),
    ("POST", "/assessments/<int:assessment_id>/recommendations"): row(302, 403, 404, 409, 403, 403),
    (
        "POST",
        "/assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/withdraw",
    ): row(302, 403, 404, 404, 403, 403),
    (
        "POST",
        "/assessments/<int:assessment_id>/recommendations/<int:recommendation_id>/judgement",
    ): row(302, 403, 404, 404, 403, 403),
    # The library of recommendations: coordinators keep it (422: the empty form comes back).
    ("GET", "/recommendations"): STAFF,
    ("GET", "/recommendations/new"): STAFF,
    ("POST", "/recommendations/new"): row(302, 403, 403, 403, 422, 422),
    ("GET", "/recommendations/<int:template_id>/edit"): STAFF,
    ("POST", "/recommendations/<int:template_id>/edit"): row(302, 403, 403, 403, 422, 422),
    # Capacity-building needs: the register for the staff (reviewers read it); a country's needs
    # for its officials and the staff. Officials ask for assistance and set priorities, and
    # decline; coordinators close, decline and re-open (422: the empty form names the field at
    # fault; 409: an identified need cannot be re-opened).
    ("GET", "/needs"): row(302, 403, 403, 200, 200, 200),
    ("GET", "/countries/<code>/needs"): row(302, 200, 404, 200, 200, 200),
    ("GET", "/needs/<int:need_id>"): row(302, 200, 404, 200, 200, 200),
    ("POST", "/needs/<int:need_id>/assistance"): row(302, 422, 404, 403, 403, 403),
    ("POST", "/needs/<int:need_id>/priority"): row(302, 422, 404, 403, 403, 403),
    ("POST", "/needs/<int:need_id>/decline"): row(302, 422, 404, 403, 422, 422),
    ("POST", "/needs/<int:need_id>/close"): row(302, 403, 404, 403, 422, 422),
    ("POST", "/needs/<int:need_id>/reopen"): row(302, 403, 404, 403, 409, 409),
    # The activities register: everyone signed in reads it (officials: their country's
    # activities, 404 for another's); coordinators keep it. Empty forms come back (422), an
    # empty status or removal is refused with a message (302).
    ("GET", "/activities"): SIGNED_IN,
    ("GET", "/activities/new"): STAFF,
    ("POST", "/activities/new"): row(302, 403, 403, 403, 422, 422),
    ("GET", "/activities/<int:activity_id>"): VIEW_OWN,
    ("GET", "/activities/<int:activity_id>/edit"): row(302, 403, 404, 403, 200, 200),
    ("POST", "/activities/<int:activity_id>/edit"): row(302, 403, 404, 403, 422, 422),
    ("POST", "/activities/<int:activity_id>/status"): row(302, 403, 404, 403, 302, 302),
    ("POST", "/activities/<int:activity_id>/needs"): row(302, 403, 404, 403, 422, 422),
    ("POST", "/activities/<int:activity_id>/needs/remove"): row(302, 403, 404, 403, 302, 302),
    ("POST", "/activities/<int:activity_id>/documents"): row(302, 403, 404, 403, 422, 422),
    ("GET", "/activities/<int:activity_id>/documents/<document_id>"): VIEW_OWN,
    # The 24/7 directory and the industry contact list: read by everyone signed in here (both
    # countries participate); a country's contacts kept by its officials and coordinators,
    # another country's officials hear 404, reviewers 403 (422: the empty form names the field;
    # prefill: no submitted assessment, said on the page, 302). Providers: kept by coordinators
    # and the officials of the country they are established in (XAA).
    ("GET", "/directory"): SIGNED_IN,
    ("GET", "/directory/export.csv"): SIGNED_IN,
    ("GET", "/directory/export.vcf"): SIGNED_IN,
    ("GET", "/countries/<code>/directory"): SIGNED_IN,
    ("POST", "/countries/<code>/directory/networks/<int:network_id>"): row(
        302, 422, 404, 403, 422, 422
    ),
    ("POST", "/countries/<code>/directory/prefill"): row(302, 302, 404, 403, 302, 302),
    ("POST", "/directory/contacts/<int:contact_id>/verification"): row(
        302, 422, 404, 403, 422, 422
    ),
    ("POST", "/directory/contacts/<int:contact_id>/tests"): row(302, 422, 404, 403, 422, 422),
    ("GET", "/directory/contacts/<int:contact_id>/history"): SIGNED_IN,
    ("GET", "/directory/networks"): STAFF,
    ("POST", "/directory/networks"): row(302, 403, 403, 403, 422, 422),
    ("POST", "/directory/networks/<int:network_id>"): row(302, 403, 403, 403, 422, 422),
    ("GET", "/providers"): SIGNED_IN,
    ("GET", "/providers/new"): row(302, 200, 200, 403, 200, 200),
    ("POST", "/providers/new"): row(302, 422, 422, 403, 422, 422),
    ("GET", "/providers/<int:provider_id>"): SIGNED_IN,
    ("POST", "/providers/<int:provider_id>"): row(302, 422, 403, 403, 422, 422),
    ("POST", "/providers/<int:provider_id>/verification"): row(302, 422, 403, 403, 422, 422),
    ("GET", "/providers/<int:provider_id>/history"): SIGNED_IN,
    ("GET", "/api/v1/openapi.json"): EVERYONE,
    ("POST", "/api/v1/tokens"): row(422, 422, 422, 422, 422, 422),  # empty body: no credentials
    ("DELETE", "/api/v1/tokens/<int:token_id>"): row(401, 204, 404, 404, 404, 404),
    ("GET", "/api/v1/assessments"): API_ALL,
    ("GET", "/api/v1/assessments/<int:assessment_id>"): API_VIEW_OWN,
    ("PUT", "/api/v1/assessments/<int:assessment_id>/answers/<question_id>"): row(
        401, 200, 404, 403, 403, 403
    ),
    ("POST", "/api/v1/assessments/<int:assessment_id>/submit"): row(401, 422, 404, 403, 403, 403),
    ("GET", "/api/v1/assessments/<int:assessment_id>/evidence"): API_VIEW_OWN,
    ("POST", "/api/v1/assessments/<int:assessment_id>/evidence"): row(401, 422, 404, 403, 403, 403),
    ("GET", "/api/v1/assessments/<int:assessment_id>/evidence/<public_id>"): API_VIEW_OWN,
    # Review through the API: the role is checked before the body and the status (the empty
    # body is then refused, 422; the draft refuses the step, 409).
    ("GET", "/api/v1/review-queue"): API_ALL,  # empty for all but reviewers
    ("POST", "/api/v1/assessments/<int:assessment_id>/reviewers"): row(
        401, 403, 404, 403, 422, 422
    ),
    ("POST", "/api/v1/assessments/<int:assessment_id>/review/start"): row(
        401, 403, 404, 409, 403, 403
    ),
    ("POST", "/api/v1/assessments/<int:assessment_id>/clarification"): row(
        401, 403, 404, 422, 403, 403
    ),
    (
        "POST",
        "/api/v1/assessments/<int:assessment_id>/clarifications/<int:clarification_id>/reply",
    ): row(401, 404, 404, 403, 403, 403),  # 404 for the official: there is no such question (yet)
    ("POST", "/api/v1/assessments/<int:assessment_id>/resubmit"): row(401, 409, 404, 403, 403, 403),
    ("POST", "/api/v1/assessments/<int:assessment_id>/review/finalize"): row(
        401, 403, 404, 409, 403, 403
    ),
    ("POST", "/api/v1/assessments/<int:assessment_id>/publish"): row(401, 403, 404, 403, 409, 409),
    ("POST", "/api/v1/assessments/<int:assessment_id>/reopen"): row(
        401, 403, 404, 403, 422, 422
    ),  # 422: no reason given
    # Ratings: the country reads them once published (403 before); the body is refused (422: no
    # rating, no stage) before the draft is (409); only reviewers rate, only the lead stages.
    ("GET", "/api/v1/assessments/<int:assessment_id>/review"): row(401, 403, 404, 200, 200, 200),
    ("PUT", "/api/v1/assessments/<int:assessment_id>/ratings/<ref>"): row(
        401, 403, 404, 422, 403, 403
    ),
    ("PUT", "/api/v1/assessments/<int:assessment_id>/stages/<area>"): row(
        401, 403, 404, 422, 403, 403
    ),
    ("GET", "/api/v1/needs"): API_ALL,  # officials: their country's only
    # The role before the body (reviewers read needs, change none), then the empty body (422).
    ("PATCH", "/api/v1/needs/<int:need_id>"): row(401, 422, 404, 403, 422, 422),
    # 24/7 contacts: another country's officials find none to write (404); reviewers read them
    # but keep none (403); then the empty body (422).
    ("GET", "/api/v1/contacts"): API_ALL,
    ("POST", "/api/v1/contacts/<int:contact_id>/verification"): row(401, 422, 404, 403, 422, 422),
    ("POST", "/api/v1/contacts/<int:contact_id>/tests"): row(401, 422, 404, 403, 422, 422),
    # Activities: the role (403) and the activity (404: another country's) before the empty
    # body (422).
    ("GET", "/api/v1/activities"): API_ALL,
    ("POST", "/api/v1/activities"): row(401, 403, 403, 403, 422, 422),
    ("POST", "/api/v1/activities/<int:activity_id>/needs"): row(401, 403, 404, 403, 422, 422),
    # A cycle's export: coordinators and admins (the workbook when no format is given).
    ("GET", "/api/v1/cycles/<int:cycle_id>/export"): row(401, 403, 403, 403, 200, 200),
}

#: Rules whose objects exist only once a cycle is open (and so the library loaded).
NEEDS_ASSESSMENTS = {
    rule for _, rule in MATRIX if "<int:assessment_id>" in rule or "<int:cycle_id>" in rule
}

#: Rules whose objects exist only once the questionnaire library is loaded.
NEEDS_LIBRARY = {rule for _, rule in MATRIX if rule.startswith("/library/")}


def app_rules(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_matrix(app):
    """Fails when a route is added without deciding who may use it (or the matrix is stale)."""
    routes = app_rules(app)
    assert routes - MATRIX.keys() == set(), "routes missing from the permission matrix"
    assert MATRIX.keys() - routes == set(), "matrix rows for routes that no longer exist"


def concrete_path(rule: str, world, ids: dict) -> str:
    path = (
        rule.replace("<code>", "XAA")
        .replace("<int:user_id>", str(world.own.id))
        .replace("<token>", BAD_TOKEN)
        .replace("<framework_id>", "budapest")
        .replace("<section_id>", "jurisdiction")
        .replace("<question_id>", "jur.territory")
        .replace("<action>", "start_review")
        .replace("<int:clarification_id>", "1")
        .replace("<int:recommendation_id>", "1")
        .replace("<ref>", "budapest:2")
        .replace("<area>", "contact_point")
        .replace("<sheet>", "ratings")
    )
    for name, value in ids.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return path


def evidence_for(app, world, assessment_id: int) -> str:
    """Attach a real evidence file to the assessment; return its id."""
    from app.assessments import evidence as evidence_files
    from app.models import Assessment
    from tests.conftest import PDF

    with app.app_context():
        evidence = evidence_files.add_evidence(
            db.session.get(Assessment, assessment_id),
            PDF,
            "law.pdf",
            user=db.session.get(User, world.own.id),
        )
        db.session.commit()
        return evidence.public_id


def template_for(app, world) -> int:
    """Add a recommendation to the library; return its id."""
    from app.models import RecommendationTemplate

    with app.app_context():
        template = RecommendationTemplate(
            provision="budapest:2", text="Criminalise it.", created_by_id=world.coordinator.id
        )
        db.session.add(template)
        db.session.commit()
        return template.id


def need_for(app, assessment_id: int) -> int:
    """Publish the assessment with a need of its country (XAA) found in it; return its id."""
    from app.models import Assessment, AssessmentStatus, Need

    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assessment.status = AssessmentStatus.PUBLISHED
        need = Need(
            country_id=assessment.country_id,
            assessment_id=assessment.id,
            kind="provision",
            ref="budapest:16",
            found="PC",
            assistance=["training"],
        )
        db.session.add(need)
        db.session.commit()
        return need.id


def activity_for(app, world) -> dict[str, int | str]:
    """Add an activity for XAA with a document; return its id and the document's."""
    from app.capacity import activities
    from tests.conftest import PDF

    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        activity = activities.create_activity(
            {"title": "Course", "provider": "C-PROC", "starts_on": "2027-03-01",
             "ends_on": "2027-03-02", "format": "course", "online": True, "countries": ["XAA"]},
            coordinator,
        )  # fmt: skip
        document = activities.add_document(activity, PDF, "agenda.pdf", coordinator)
        db.session.commit()
        return {"activity_id": activity.id, "document_id": document.public_id}


def directory_for(app, world) -> dict[str, int]:
    """Add XAA's Art. 35 contact and a provider established in XAA; return their ids and the
    network's."""
    from app.capacity import directory
    from app.models import Country

    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        xaa = db.session.scalar(db.select(Country).where(Country.code == "XAA"))
        network = directory.network_by_key(directory.BUDAPEST)
        values = {"unit": "Cybercrime Unit", "unit_type": "police", "phone": "+442079460958",
                  "email": "247@xaa.example.org"}  # fmt: skip
        contact = directory.save_contact(xaa, network, values, version=None, user=coordinator)
        provider = directory.save_provider(
            None,
            {"name": "Examplemail", "established_in": xaa, "unit": "LERT",
             "email": "lert@examplemail.example", "request_kinds": ["preservation"]},
            version=None,
            user=coordinator,
        )  # fmt: skip
        db.session.commit()
        return {"contact_id": contact.id, "provider_id": provider.id, "network_id": network.id}


def token_for(app, persona) -> tuple[int, str]:
    """Create an API token for ``persona``; return its id and secret."""
    from app.api import auth

    with app.app_context():
        token, secret = auth.issue(db.session.get(User, persona.id), "matrix")
        db.session.commit()
        return token.id, secret


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX))
def test_permission(app, client, world, monkeypatch, request, method, rule, persona):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    ids: dict = {}
    if rule in NEEDS_LIBRARY:
        ids["version_id"] = request.getfixturevalue("loaded_library")
    if rule in NEEDS_ASSESSMENTS:
        opened = request.getfixturevalue("assessments")
        ids |= {"assessment_id": opened.own, "cycle_id": opened.cycle_id}
        ids["public_id"] = evidence_for(app, world, opened.own)
    if "<int:template_id>" in rule:
        ids["template_id"] = template_for(app, world)
    if "<int:token_id>" in rule:
        ids["token_id"], _ = token_for(app, world.own)
    if "<int:activity_id>" in rule:
        ids |= activity_for(app, world)
    if any(f"<int:{name}>" in rule for name in ("contact_id", "provider_id", "network_id")):
        ids |= directory_for(app, world)
    if "<int:need_id>" in rule:
        ids["need_id"] = need_for(app, request.getfixturevalue("assessments").own)
    user = world.persona(persona)
    kwargs: dict = {}
    if rule.startswith("/api/"):
        if user is not None:
            kwargs["headers"] = {"Authorization": f"Bearer {token_for(app, user)[1]}"}
        if method in ("PUT", "POST") and not rule.endswith("/evidence"):
            kwargs["json"] = {"value": None, "version": 0} if method == "PUT" else {}
    elif user is not None:
        sign_in_session(client, user)
    response = client.open(concrete_path(rule, world, ids), method=method, **kwargs)
    response.close()
    assert response.status_code == MATRIX[(method, rule)][persona]
    if response.status_code == 302 and user is None and rule != "/language":
        location = response.headers["Location"]
        assert location.startswith("/auth/login") or rule.startswith("/auth/")


#: What a reviewer assigned to none of the assessments gets on their routes: nothing at all.
OUTSIDER_EXPECTS = {"GET": 404, "POST": 404, "PUT": 404}


@pytest.mark.parametrize(
    ("method", "rule"), sorted(key for key in MATRIX if "<int:assessment_id>" in key[1])
)
def test_a_reviewer_not_assigned_finds_no_assessment(
    app, client, world, monkeypatch, method, rule, assessments
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    ids = {"assessment_id": assessments.own, "cycle_id": assessments.cycle_id}
    ids["public_id"] = evidence_for(app, world, assessments.own)
    kwargs: dict = {}
    if rule.startswith("/api/"):
        kwargs["headers"] = {"Authorization": f"Bearer {token_for(app, world.outsider)[1]}"}
        if method in ("PUT", "POST") and not rule.endswith("/evidence"):
            kwargs["json"] = {"value": None, "version": 0} if method == "PUT" else {}
    else:
        sign_in_session(client, world.outsider)
    response = client.open(concrete_path(rule, world, ids), method=method, **kwargs)
    response.close()
    assert response.status_code == OUTSIDER_EXPECTS[method], (method, rule)
