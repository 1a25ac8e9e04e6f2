"""An official answers a section in a real browser: conditional questions appear as they answer,
every answer survives a reload, a file is attached, and the assessment is submitted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Assessment, AssessmentStatus, EvidenceFile
from tests.conftest import PASSWORD, PDF, fill_required
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

SECTION = "legislative_status"


def block(page, question_id: str):
    return page.locator(f'[id="q-{question_id}"]')


def test_an_official_answers_reloads_attaches_and_submits(
    app, world, assessments, live_server, page, tmp_path
):
    fill_required(app, assessments.own, world.own.id, except_section=SECTION)
    base = live_server
    browser_sign_in(page, base, world.own.email, PASSWORD)
    page.get_by_role("link", name="Open the assessment").click()
    page.get_by_role("link", name="Legislative status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Legislative status")

    main_law = block(page, "cap.legislative_status.main_law")
    expect(main_law).to_be_hidden()  # shown only once the overall status is known
    overall = block(page, "cap.legislative_status.overall")
    overall.get_by_role("radio").first.check()
    expect(main_law).to_be_visible()
    expect(overall.locator(".save-status")).to_contain_text("Saved")

    first = main_law.get_by_role("group", name="Instrument 1", exact=True)
    first.get_by_label("Legislative stage").select_option("in_force")
    first.get_by_label("Law or instrument").fill("Cybercrime Act 2019")
    first.get_by_label("Article or section").fill("Sections 1-45")
    first.get_by_label("In force since").fill("2019-09-01")
    expect(main_law.locator(".save-status")).to_contain_text("Saved", timeout=15_000)

    reform = block(page, "cap.legislative_status.reform")
    scope = block(page, "cap.legislative_status.reform_scope")
    expect(scope).to_be_hidden()
    reform.get_by_role("radio").first.check()  # "tabled": a reform is before parliament
    expect(scope).to_be_visible()
    scope.locator("textarea").first.fill(
        "Amendments on electronic evidence and the 24/7 point of contact."
    )
    expect(scope.locator(".save-status")).to_contain_text("Saved", timeout=15_000)
    page.locator("[data-progress]").wait_for()

    page.reload()
    expect(main_law).to_be_visible()
    expect(first.get_by_label("Law or instrument")).to_have_value("Cybercrime Act 2019")
    expect(first.get_by_label("In force since")).to_have_value("2019-09-01")
    expect(first.get_by_label("Legislative stage")).to_have_value("in_force")
    # A second law: the empty instrument offered for another; the autosave's error sits next
    # to the field at fault, which points to it, and goes once the field is filled in.
    another = main_law.get_by_role("group", name="Another instrument (optional)", exact=True)
    another.get_by_label("Legislative stage").select_option("in_force")
    another.get_by_label("Law or instrument").fill("Law on Electronic Communications")
    since = another.get_by_label("In force since")
    expect(since).to_have_attribute("aria-invalid", "true", timeout=15_000)
    expect(another.locator(".autosave-error")).to_have_text(
        "Instrument 2: Give the date of entry into force."
    )
    since.fill("2015-07-01")
    expect(main_law.locator(".save-status")).to_contain_text("Saved", timeout=15_000)
    expect(since).not_to_have_attribute("aria-invalid", "true")
    expect(main_law.locator(".autosave-error")).to_have_count(0)
    expect(overall.get_by_role("radio").first).to_be_checked()
    expect(scope.locator("textarea").first).to_have_value(
        "Amendments on electronic evidence and the 24/7 point of contact."
    )

    evidence = block(page, "cap.legislative_status.evidence")
    document = tmp_path / "Cybercrime Act 2019.pdf"
    document.write_bytes(PDF)
    evidence.get_by_label("Attach a file", exact=False).set_input_files(str(document))
    evidence.get_by_role("button", name="Attach", exact=True).click()
    expect(page.get_by_text("Cybercrime Act 2019.pdf is attached.")).to_be_visible()
    expect(
        block(page, "cap.legislative_status.evidence").get_by_role(
            "link", name="Cybercrime Act 2019.pdf"
        )
    ).to_be_visible()

    page.get_by_role("link", name="Demoland · 2027 round").click()
    page.get_by_role("link", name="Check and submit").click()
    expect(page.get_by_text("Every required question is answered.")).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit the assessment").click()
    expect(page.get_by_text("The assessment is submitted. Thank you.")).to_be_visible()

    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert assessment.status is AssessmentStatus.SUBMITTED
        saved = {
            a.question_id: a.value
            for a in db.session.scalars(select(Answer).where(Answer.assessment_id == assessment.id))
        }
        assert saved["cap.legislative_status.main_law"] == [
            {
                "instrument": "Cybercrime Act 2019",
                "article": "Sections 1-45",
                "in_force_date": "2019-09-01",
                "stage": "in_force",
            },
            {
                "instrument": "Law on Electronic Communications",
                "in_force_date": "2015-07-01",
                "stage": "in_force",
            },
        ]
        files = db.session.scalars(
            select(EvidenceFile).where(EvidenceFile.assessment_id == assessment.id)
        ).all()
        assert any(f.filename == "Cybercrime Act 2019.pdf" for f in files)


def test_a_failed_save_is_shown_and_retried_until_it_succeeds(
    app, world, assessments, live_server, page
):
    base = live_server
    browser_sign_in(page, base, world.own.email, PASSWORD)
    page.goto(f"{base}/assessments/{assessments.own}/sections/jurisdiction")
    failures = {"left": 2}

    def flaky(route):
        if failures["left"]:
            failures["left"] -= 1
            route.fulfill(status=503, body="Service unavailable")
        else:
            route.continue_()

    page.route("**/answers/jur.territory", flaky)
    territory = block(page, "jur.territory")
    territory.get_by_label("Yes", exact=True).check()
    expect(territory.locator(".save-status")).to_contain_text("Not saved — retrying")
    expect(territory.locator(".save-status")).to_contain_text("Saved", timeout=20_000)
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.question_id == "jur.territory"))
        assert answer.value == {"answer": "yes"}


def test_a_conflict_offers_both_answers(app, world, assessments, live_server, page):
    from app.assessments import answers
    from app.models import User

    base = live_server
    browser_sign_in(page, base, world.own.email, PASSWORD)
    page.goto(f"{base}/assessments/{assessments.own}/sections/jurisdiction")
    with app.app_context():  # a colleague answers after the page was opened
        answers.save_answer(db.session.get(Assessment, assessments.own), "jur.territory", "no",
                             version=0, user=db.session.get(User, world.own.id))  # fmt: skip
        db.session.commit()
    territory = block(page, "jur.territory")
    territory.get_by_label("Yes", exact=True).check()
    expect(
        territory.get_by_text("A colleague changed this answer. Their answer: No")
    ).to_be_visible()
    territory.get_by_role("button", name="Keep mine").click()
    expect(territory.locator(".save-status")).to_contain_text("Saved")
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.question_id == "jur.territory"))
        assert answer.value == {"answer": "yes"} and answer.version == 2
