"""Languages: the user's preference, then the browser's; a switcher; complete catalogues."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from app.extensions import db
from app.models import User
from tests.conftest import post_form, sign_in

ROOT = Path(__file__).resolve().parents[2]


def test_the_browser_language_is_used_for_anonymous_visitors(client):
    page = client.get("/auth/login", headers={"Accept-Language": "fr-CH, fr;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Se connecter" in html


def test_the_switcher_changes_the_language_and_returns_to_the_page(client):
    response = post_form(client, "/language", {"language": "fr", "next": "/auth/forgot"})
    assert response.headers["Location"] == "/auth/forgot"
    assert '<html lang="fr">' in client.get("/auth/forgot").get_data(as_text=True)


def test_the_users_preference_wins_over_the_browser(app, client, world):
    sign_in(client, world.own.email)
    post_form(client, "/language", {"language": "fr", "next": "/"})
    with app.app_context():
        assert db.session.get(User, world.own.id).locale == "fr"
    other_browser = app.test_client()
    sign_in(other_browser, world.own.email)
    page = other_browser.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in page and "Responsable national" in page


def test_the_switcher_refuses_to_redirect_off_site(client):
    response = post_form(client, "/language", {"language": "fr", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_dates_are_shown_in_utc_with_the_zone_named(client, world):
    sign_in(client, world.own.email)
    page = client.get("/account").get_data(as_text=True)
    assert " UTC</dd>" in page


def test_every_string_in_the_code_is_in_the_french_catalogue_and_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
            "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "--no-location", ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    # A template the extractor cannot parse is skipped silently: check that every one was read.
    for template in (ROOT / "app/templates").rglob("*.html"):
        for literal in re.findall(r'_\("([^"%]{4,})"\)', template.read_text()):
            assert literal in wanted, f"{template.name}: {literal!r} was not extracted"
    with (ROOT / "app/translations/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        message.id
        for message in catalogue
        if message.id
        and not message.fuzzy
        and (all(message.string) if isinstance(message.string, tuple) else message.string)
    }
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], f"{len(missing)} strings lack a French translation: {missing[:10]}"
