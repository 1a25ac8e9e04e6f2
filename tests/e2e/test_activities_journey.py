"""A coordinator matches a need with a capacity-building activity and marks the activity delivered,
in a real browser: the need moves from identified to matched to delivered, and the country's
official reads it on the activity's page (issue 11).

Set ``ACTIVITY_SCREENSHOTS`` to a folder to keep screenshots of the register and the activity's
page at 1366 and 390 px."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.capacity import activities
from app.extensions import db
from app.models import Activity, Assessment, AssessmentStatus, Need, NeedStatus, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

SHOTS = os.environ.get("ACTIVITY_SCREENSHOTS")
WIDTHS = ((1366, 900), (390, 844))
TITLE = "Expedited preservation of stored data: a course for prosecutors and judges"


def snap(page, name: str) -> None:
    """With ``ACTIVITY_SCREENSHOTS`` set, keep full-page screenshots at both widths."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/activities-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def prepare(app, world, assessments) -> tuple[int, int]:
    """XAA's published review found a need on Budapest Art. 16; a course for XAA is planned (and
    another for XAB, which XAA's official never sees)."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = AssessmentStatus.PUBLISHED
        need = Need(country_id=assessment.country_id, assessment_id=assessment.id,
                    kind="provision", ref="budapest:16", found="PC")  # fmt: skip
        db.session.add(need)
        coordinator = db.session.get(User, world.coordinator.id)
        course = activities.create_activity(
            {"title": TITLE, "provider": "C-PROC", "donor": "European Union",
             "starts_on": "2027-03-10", "ends_on": "2027-03-12", "format": "course",
             "location": "Demo City", "countries": ["XAA"], "audiences": ["prosecutors", "judges"],
             "participants_women": 14, "participants_men": 11, "addresses": ["budapest:17"],
             "outputs": "A model preservation order."},
            coordinator,
        )  # fmt: skip
        activities.create_activity(
            {"title": "Study visit to a 24/7 unit", "provider": "Interpol", "donor": "Norway",
             "starts_on": "2027-05-02", "ends_on": "2027-05-04", "format": "study_visit",
             "online": True, "countries": ["XAB"], "audiences": ["contact_point_staff"]},
            coordinator,
        )  # fmt: skip
        db.session.commit()
        return course.id, need.id


def test_a_coordinator_matches_a_need_with_an_activity_and_marks_it_delivered(
    app, world, assessments, live_server, browser
):
    base = live_server
    activity_id, need_id = prepare(app, world, assessments)
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("dialog", lambda dialog: dialog.accept())
        browser_sign_in(page, base, world.coordinator.email, PASSWORD)

        page.get_by_role("button", name="Capacity building").click()
        page.get_by_role("link", name="Activities", exact=True).first.click()
        expect(page.get_by_role("heading", name="Capacity-building activities")).to_be_visible()
        expect(page.locator("caption")).to_have_text("2 activities")
        page.get_by_label("Country").select_option("XAA")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("caption")).to_have_text("1 activity")
        snap(page, "register")
        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
        expect(page.get_by_text("No need is matched with this activity yet.")).to_be_visible()

        select = page.get_by_label("Need of a beneficiary country")
        select.select_option(str(need_id))
        page.get_by_role("button", name="Match with this activity").click()
        expect(page.locator(".alert-success")).to_contain_text("matched with the activity")
        row = page.locator(f'tr[data-need="{need_id}"]')
        expect(row.get_by_test_id("need-status")).to_have_text("Matched with an activity")

        page.get_by_role("button", name="Mark delivered").click()  # confirmed in the dialog
        expect(page.locator(".alert-success")).to_contain_text("1 need moved on with it")
        expect(page.get_by_test_id("activity-status")).to_have_text("Delivered")
        expect(row.get_by_test_id("need-status")).to_have_text("Delivered")
        expect(page.get_by_role("button", name="Mark delivered")).to_have_count(0)
        expect(page.locator('[data-effect-count="not_reviewed"]')).to_have_text(
            "Not yet reviewed: 1"
        )
        snap(page, "activity")
    finally:
        context.close()

    with app.app_context():
        assert db.session.get(Need, need_id).status is NeedStatus.DELIVERED
        assert db.session.get(Activity, activity_id).status.value == "delivered"

    # The country's official follows it on the same page.
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_sign_in(page, base, world.own.email, PASSWORD)
        page.goto(f"{base}/activities")
        expect(page.locator("caption")).to_have_text("1 activity")
        page.get_by_role("link", name=TITLE).click()
        expect(
            page.locator(f'tr[data-need="{need_id}"]').get_by_test_id("need-status")
        ).to_have_text("Delivered")
        expect(page.get_by_role("button", name="Mark delivered")).to_have_count(0)
    finally:
        context.close()
