"""One matrix: every URL rule × every persona, with the status each must get.

Personas: ``anonymous``; ``own``, an official of the object's country (XAA); ``other``, an
official of another country (XAB); ``reviewer``; ``coordinator``; ``admin``. Path parameters
point at objects of XAA (its country page, its official's account). Forms are posted empty
with CSRF checks off, so that the status shows authorisation, not form handling; CSRF has its
own tests.
"""

from __future__ import annotations

import pytest

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

#: (method, rule) -> expected status per persona. Keys must match app.url_map exactly.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/"): SIGNED_IN,
    ("GET", "/healthz"): EVERYONE,
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
    ("GET", "/library/frameworks/<framework_id>"): LIBRARY,
    ("GET", "/library/questionnaires/<int:version_id>"): LIBRARY,
    ("GET", "/library/coverage"): LIBRARY,
    ("GET", "/library/crosswalk"): LIBRARY,
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


def concrete_path(rule: str, world, version_id: int | None) -> str:
    return (
        rule.replace("<code>", "XAA")
        .replace("<int:user_id>", str(world.own.id))
        .replace("<token>", BAD_TOKEN)
        .replace("<framework_id>", "budapest")
        .replace("<int:version_id>", str(version_id))
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX))
def test_permission(app, client, world, monkeypatch, request, method, rule, persona):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    version_id = request.getfixturevalue("loaded_library") if rule in NEEDS_LIBRARY else None
    user = world.persona(persona)
    if user is not None:
        sign_in_session(client, user)
    response = client.open(concrete_path(rule, world, version_id), method=method)
    assert response.status_code == MATRIX[(method, rule)][persona]
    if response.status_code == 302 and user is None and rule != "/language":
        location = response.headers["Location"]
        assert location.startswith("/auth/login") or rule.startswith("/auth/")
