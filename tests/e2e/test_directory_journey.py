"""An official keeps their 24/7 contact current in a real browser (issue 11): the home page warns
loudly that the contact was never verified; on the country's directory page the official records
a verification (date, how) and a reachability test (channel, minutes, outcome), sees both, and
the warning is gone from the home page.

Set ``DIRECTORY_SCREENSHOTS`` to a folder to keep screenshots of the directory and the country's
page at 1366 and 390 px."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.capacity import directory
from app.extensions import db
from app.models import Contact, ContactTest, Country, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("DIRECTORY_SCREENSHOTS")
WIDTHS = ((1366, 900), (390, 844))


def snap(page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/directory-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_an_official_verifies_their_24_7_contact_and_records_a_test(app, world, live_server,
                                                                    browser):  # fmt: skip
    base = live_server
    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        for code, unit in (("XAA", "Cybercrime Division, Demoland Police"),
                           ("XAB", "High-Tech Crime Unit, Exampleland Police")):  # fmt: skip
            country = db.session.scalar(select(Country).where(Country.code == code))
            directory.save_contact(
                country,
                directory.network_by_key(directory.BUDAPEST),
                {"unit": unit, "unit_type": "police", "phone": "+44 20 7946 0958",
                 "email": f"cyber247@police.{code.lower()}.example.org", "languages": "English",
                 "can_preserve": True},
                version=None,
                user=coordinator,
            )  # fmt: skip
        db.session.commit()
        network_id = directory.network_by_key(directory.BUDAPEST).id

    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_sign_in(page, base, world.own.email, PASSWORD)

        # The home page says, loudly, that the contact was never verified.
        banner = page.locator("#contact-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("never verified")
        banner.get_by_role("link", name="Keep our 24/7 contact current").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("24/7 contacts of Demoland")
        snap(page, "country")

        section = page.locator(f"#n-{network_id}")
        expect(section.get_by_test_id("verification")).to_contain_text("Never verified")
        today = date.today()

        # A verification in the future is refused next to the field, then recorded.
        verify = section.get_by_role("form", name="Record a verification")
        verify.get_by_label("Verified on").fill("2999-01-01")
        verify.get_by_label("How").select_option(label="Telephone call")
        verify.get_by_role("button", name="Record the verification").click()
        expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
        section = page.locator(f"#n-{network_id}")
        verify = section.get_by_role("form", name="Record a verification")
        expect(verify.locator(".invalid-feedback")).to_have_text(
            "The date cannot be in the future."
        )
        verify.get_by_label("Verified on").fill(today.isoformat())
        verify.get_by_label("How").select_option(label="Telephone call")
        verify.get_by_role("button", name="Record the verification").click()
        expect(page.locator(".alert-success")).to_have_text("The verification is recorded.")
        section = page.locator(f"#n-{network_id}")
        expect(section.get_by_test_id("verification")).to_contain_text("Verified")
        expect(section.get_by_test_id("verification")).to_contain_text("Telephone call")

        # A reachability test: channel, minutes, outcome.
        test = section.get_by_role("form", name="Record a reachability test")
        test.get_by_label("Tested on").fill(today.isoformat())
        test.get_by_label("Channel").select_option(label="Telephone")
        test.get_by_label("Outcome").select_option(label="Reached")
        test.get_by_label("Response time in minutes").fill("6")
        test.get_by_label("Notes").fill("The duty officer answered at once.")
        test.get_by_role("button", name="Record the test").click()
        expect(page.locator(".alert-success")).to_have_text("The test is recorded.")
        tests = page.locator(f"#n-{network_id}").get_by_test_id("tests")
        expect(tests).to_contain_text("Reached")
        expect(tests).to_contain_text("answered in 6 minutes")
        expect(tests).to_contain_text("The duty officer answered at once.")
        snap(page, "country-after")

        # The home page's warning is gone.
        page.get_by_role("link", name="Home", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Our assessment")
        expect(page.locator("#contact-banner")).to_have_count(0)

        page.goto(f"{base}/directory")
        expect(page.get_by_role("heading", level=1)).to_have_text("24/7 directory")
        expect(page.locator("#contacts > li")).to_have_count(2)
        snap(page, "index")
    finally:
        context.close()

    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.unit.like("Cybercrime%")))
        assert contact.verified_on == today and contact.verified_how == "call"
        assert contact.verified_by_id == world.own.id
        (logged,) = db.session.scalars(select(ContactTest)).all()
        assert (logged.channel, logged.response_minutes, logged.outcome) == ("phone", 6, "reached")
