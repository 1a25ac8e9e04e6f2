"""A table question grows with an "Add a row" button, and the new row is saved like the others."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Answer
from tests.conftest import PASSWORD
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

QUESTION = "cap.training.events"


def test_an_official_adds_table_rows_beyond_the_blank_ones(
    app, world, assessments, live_server, page
):
    browser_sign_in(page, live_server, world.own.email, PASSWORD)
    page.goto(f"{live_server}/assessments/{assessments.own}/sections/training")
    table = page.locator(f'table[data-rows="{QUESTION}"]')
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("Save to get more blank rows")).to_be_hidden()
    add = page.get_by_role("button", name="Add a row")
    add.click()
    add.click()
    expect(rows).to_have_count(5)
    expect(rows.nth(4).locator("input").first).to_be_focused()
    for number, year in ((1, "2023"), (5, "2025")):
        row = rows.nth(number - 1)
        row.locator("input").first.fill(year)
        row.locator("select").first.select_option(index=1)
    years = None
    for _ in range(75):  # autosave: wait for the last change to be saved (up to 15 s)
        page.wait_for_timeout(200)
        with app.app_context():
            answer = db.session.scalar(select(Answer).where(Answer.question_id == QUESTION))
            years = [row["year"] for row in answer.value] if answer and answer.value else None
        if years == [2023, 2025]:
            break
    assert years == [2023, 2025]
    page.reload()
    expect(rows).to_have_count(5)  # two saved rows and three blank ones
