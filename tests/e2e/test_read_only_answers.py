"""A reviewer opens a section of a submitted assessment and reads the answers as text: the chosen
label, the citation as a lawyer writes it, tables as tables, the attached file as a link — and no
form control to mistake for something they could change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.assessments import answers, evidence
from app.extensions import db
from app.models import Assessment, User
from tests.conftest import PASSWORD, PDF, fill_required
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

SECTION = "legislative_status"


def test_a_reviewer_reads_a_submitted_section_as_text(
    app, world, assessments, live_server, browser
):
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        official = db.session.get(User, world.own.id)
        current = answers.state(assessment)

        def save(question_id, value, note=answers.UNSET):
            answer = current.answers.get(question_id)
            answers.save_answer(
                assessment,
                question_id,
                value,
                version=answer.version if answer else 0,
                note=note,
                user=official,
            )

        save("cap.legislative_status.overall", "partial", note="Procedural powers lag behind.")
        save(
            "cap.legislative_status.main_law",
            [
                {
                    "stage": "in_force",
                    "instrument": "Criminal Code",
                    "article": "Arts 285–290",
                    "in_force_date": "2019-05-01",
                }
            ],
        )
        evidence.add_evidence(
            assessment,
            PDF,
            "Criminal Code (extract).pdf",
            user=official,
            question_id="cap.legislative_status.evidence",
            version=0,
        )
        db.session.commit()
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        answers.submit(assessment, db.session.get(User, world.own.id))
        db.session.commit()

    for width in (1366, 390):
        context = browser.new_context(locale="en-GB", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        browser_sign_in(page, live_server, world.reviewer.email, PASSWORD)
        page.goto(f"{live_server}/assessments/{assessments.own}/sections/{SECTION}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Legislative status")
        expect(page.get_by_role("status")).to_contain_text("answers are shown as text")

        overall = page.locator('[id="q-cap.legislative_status.overall"]')
        expect(overall.locator(".answer-display")).to_contain_text(
            "Partial: some provisions are in force, gaps remain"
        )
        expect(overall).to_contain_text("Procedural powers lag behind.")
        main_law = page.locator('[id="q-cap.legislative_status.main_law"]')
        expect(main_law.locator(".answer-display")).to_have_text(
            "Criminal Code, Arts 285–290 — in force since May 1, 2019"
        )
        files = page.locator('[id="q-cap.legislative_status.evidence"]')
        expect(files.get_by_role("link", name="Criminal Code (extract).pdf")).to_be_visible()

        # Nothing in the answers can be typed into, ticked or chosen; no save button is offered.
        assert page.locator("form#section-form").count() == 0
        controls = page.locator("#section-answers").locator("input, select, textarea")
        assert controls.count() == 0
        expect(page.get_by_role("button", name="Save this section")).to_have_count(0)
        # The phone width does not scroll sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow} px of horizontal scrolling at {width} px"
        context.close()
