"""A coordinator opens the dashboard from the home page, changes the measure and the framework,
and sees the heatmap change; the filters stay in the URL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import browser_sign_in
from tests.integration.test_needs import finalise_with

pytestmark = pytest.mark.e2e


def test_a_coordinator_filters_the_dashboard(app, world, assessments, live_server, page):
    finalise_with(app, world, assessments.own, {"budapest:16": "PC", "budapest:17": "NC"})
    browser_sign_in(page, live_server, world.coordinator.email, PASSWORD)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cycle dashboard")
    heatmap = page.locator("table.heatmap")
    row = heatmap.locator("tbody tr", has_text="Demoland")
    expect(heatmap.locator("caption")).to_contain_text("Counts of final ratings")
    counts = row.locator("td").nth(-2).inner_text().splitlines()[0]
    assert "·" in counts
    page.get_by_label("Heatmap shows").select_option("index")
    page.get_by_role("button", name="Show").click()
    expect(heatmap.locator("caption")).to_contain_text("Indicative index")
    assert "measure=index" in page.url
    index = row.locator("td").nth(-2).inner_text().splitlines()[0]
    assert index != counts and index.isdigit()
    expect(page.get_by_text("C = 100, LC = 67, PC = 33, NC = 0")).to_be_visible()
    page.get_by_label("Framework").select_option("un-cybercrime")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#heatmap")).to_contain_text("UN")
    assert "framework=un-cybercrime" in page.url
    expect(page.get_by_label("Heatmap shows")).to_have_value("index")  # kept from the URL
