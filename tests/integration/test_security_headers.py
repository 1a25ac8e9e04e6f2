"""Security headers on every response, and templates that let the Content-Security-Policy hold:
no inline script or style, one id per element, a favicon."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from app import create_app
from app.extensions import db
from app.models import User
from tests.conftest import sign_in_session

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "templates"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def assert_security_headers(response, *, production: bool = False) -> None:
    headers = response.headers
    assert headers.getlist("Content-Security-Policy")[0] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert headers.get("X-Frame-Options") == "DENY"
    if production:
        hsts = headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
        assert max_age >= 31_536_000
    else:
        assert "Strict-Transport-Security" not in headers
    assert "Server" not in headers  # the application never names itself or its versions


def evidence_for(app, world, assessment_id: int) -> str:
    from app.assessments import evidence as evidence_files
    from app.models import Assessment
    from tests.conftest import PDF

    with app.app_context():
        found = evidence_files.add_evidence(
            db.session.get(Assessment, assessment_id),
            PDF,
            "law.pdf",
            user=db.session.get(User, world.own.id),
        )
        db.session.commit()
        return found.public_id


def test_pages_errors_static_files_and_json_carry_the_security_headers(app, client, world):
    anonymous = [
        "/auth/login",
        "/no-such-page",
        "/static/css/app.css",
        "/healthz",
        "/favicon.ico",
        "/api/v1/openapi.json",
        "/api/v1/assessments",  # 401 as JSON
    ]
    for path in anonymous:
        check(client, path)
    sign_in_session(client, world.own)
    for path in ("/", "/account", "/admin/users"):  # the last one: 403
        check(client, path)


def check(client, path: str, **kwargs) -> None:
    production = kwargs.pop("production", False)
    response = client.get(path, **kwargs)
    try:
        assert_security_headers(response, production=production)
    finally:
        response.close()


def test_error_pages_carry_them_too(app, client, database_url):
    response = client.post("/auth/login", data={"email": "x"})  # no CSRF token: 400
    assert response.status_code == 400
    assert_security_headers(response)
    failing = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)

    @failing.get("/boom")
    def boom():
        raise RuntimeError("boom")

    failing.logger.disabled = True  # the traceback is expected
    try:
        response = failing.test_client().get("/boom")
    finally:
        with failing.app_context():
            db.engine.dispose()  # close its connections now, not when collected
    assert response.status_code == 500
    assert_security_headers(response)


def test_production_adds_strict_transport_security(app, database_url):
    production = create_app("production", SECRET_KEY="x" * 64, SQLALCHEMY_DATABASE_URI=database_url)
    client = production.test_client()
    try:
        for path in ("/auth/login", "/healthz", "/no-such-page", "/static/css/app.css"):
            check(client, path, base_url="https://catf.test", production=True)
    finally:
        with production.app_context():
            db.engine.dispose()  # close its connections now, not when collected


def test_evidence_downloads_are_sandboxed(app, client, world, assessments):
    from app.api import auth as api_tokens

    public_id = evidence_for(app, world, assessments.own)
    sign_in_session(client, world.own)
    page = client.get(f"/assessments/{assessments.own}/evidence/{public_id}")
    with app.app_context():
        _, secret = api_tokens.issue(db.session.get(User, world.own.id), "test")
        db.session.commit()
    api = app.test_client().get(
        f"/api/v1/assessments/{assessments.own}/evidence/{public_id}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    for response in (page, api):
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        policies = response.headers.getlist("Content-Security-Policy")
        assert "sandbox" in policies and CSP in policies
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()
    other_page = client.get(f"/assessments/{assessments.own}")
    assert "sandbox" not in other_page.headers.getlist("Content-Security-Policy")


def test_templates_have_no_inline_script_or_style():
    """The policy allows no inline script, style attribute or event handler attribute."""
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{template.relative_to(ROOT)}:{number}"
            if re.search(r"\sstyle\s*=", line, re.IGNORECASE):
                problems.append(f"{where}: style attribute")
            if re.search(r"<style\b", line, re.IGNORECASE):
                problems.append(f"{where}: <style> element")
            if re.search(r"\son[a-z]+\s*=", line, re.IGNORECASE):
                problems.append(f"{where}: event handler attribute")
            if re.search(r"javascript:", line, re.IGNORECASE):
                problems.append(f"{where}: javascript: address")
        for script in re.finditer(r"<script\b([^>]*)>", text, re.IGNORECASE):
            if "src=" not in script.group(1):
                problems.append(f"{template.relative_to(ROOT)}: inline <script>")
    assert problems == []


def duplicate_ids(html: str) -> list[str]:
    counts = Counter(re.findall(r"\sid=\"([^\"]+)\"", html))
    return sorted(name for name, count in counts.items() if count > 1)


def test_pages_with_several_forms_have_no_duplicate_ids(app, client, world, assessments):
    from app.api import auth as api_tokens

    with app.app_context():  # two tokens: two revoke forms on the account page
        for name in ("laptop", "script"):
            api_tokens.issue(db.session.get(User, world.own.id), name)
        db.session.commit()
    pages = {
        "own": [
            "/",
            "/account",
            f"/assessments/{assessments.own}",
            f"/assessments/{assessments.own}/sections/legislative_status",
            f"/assessments/{assessments.own}/sections/substantive",
            f"/assessments/{assessments.own}/submit",
        ],
        "coordinator": ["/", "/cycles", f"/cycles/{assessments.cycle_id}", "/admin/users"],
        "admin": ["/", "/admin/countries", "/admin/audit"],
        "reviewer": ["/", f"/assessments/{assessments.own}/sections/substantive"],
    }
    for persona, paths in pages.items():
        browser = app.test_client()
        sign_in_session(browser, world.persona(persona))
        for path in paths:
            response = browser.get(path)
            assert response.status_code == 200, path
            html = response.get_data(as_text=True)
            assert duplicate_ids(html) == [], path
            # Tests and scripts read the token with this exact attribute order.
            assert re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html), path
    anonymous = app.test_client().get("/auth/login").get_data(as_text=True)
    assert duplicate_ids(anonymous) == []


def test_the_favicon_is_linked_and_served(client):
    html = client.get("/auth/login").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link, "no SVG favicon linked"
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).lstrip().startswith("<svg")
    icon.close()
    legacy = client.get("/favicon.ico")
    assert legacy.status_code == 200 and legacy.mimetype == "image/svg+xml"
    legacy.close()


def test_gunicorn_names_no_version(tmp_path):
    """gunicorn's own ``Server`` header carries no version (Werkzeug's dev server is not
    production); the app adds none."""
    import urllib.request

    from tests.e2e.conftest import free_port, wait_for

    port = free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "INSTANCE_PATH": str(tmp_path),
        "APP_ENV": "production",
        "SECRET_KEY": "y" * 64,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/favicon.ico", server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico") as response:
            banner = response.headers.get_all("Server") or []
            assert all(not re.search(r"\d", value) for value in banner), banner
            assert response.headers["Content-Security-Policy"] == CSP
            assert "max-age=" in response.headers["Strict-Transport-Security"]
    finally:
        server.terminate()
        server.wait(timeout=10)
