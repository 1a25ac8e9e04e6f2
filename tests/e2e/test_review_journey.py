"""The review from end to end in a real browser, each person in a browser of their own: a
coordinator assigns the lead reviewer; the reviewer overrides a rating (refused without a
justification, saved with one) and asks the country a question; the official replies, changes an
answer and resubmits; the reviewer accepts the other derived ratings, writes the recommendation
the override calls for and finalises; the coordinator publishes; the official reads the final
ratings, the reviewer's justification and the recommendation (issue 10).

Set ``REVIEW_SCREENSHOTS`` to a folder to keep screenshots of the reviewer's ratings, the
clarification page, the recommendations and the published ratings at 1366 and 390 px."""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.assessments import answers, review
from app.assessments import recommendations as recommending
from app.extensions import db
from app.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Clarification,
    ProvisionRating,
    Recommendation,
    User,
)
from tests.conftest import PASSWORD, fill_required
from tests.e2e.conftest import browser_sign_in

pytestmark = pytest.mark.e2e

PROVISION = "budapest:2"  # derived C once every required question is answered
PROVISION_ID = "p-budapest-2"
OVERRIDE = "PC"
JUSTIFICATION = "The offence requires intent to obtain data, which the Convention leaves optional."
QUESTION = "Does section 3 of the Cybercrime Act cover access without any intent to obtain data?"
ABOUT_QUESTION = "cap.legislative_status.other_laws"  # feeds no provision: the override holds
REPLY = "No: section 3 needs that intent. A bill removing it is before parliament."
OTHER_LAWS = "Criminal Procedure Code, articles 12-19 (production orders), amended in 2026."
RECOMMENDATION = "Criminalise access to a computer system without right, whatever the intent."

SHOTS = os.environ.get("REVIEW_SCREENSHOTS")
WIDTHS = ((1366, 900), (390, 844))
#: Scrolls an element to the top of the viewport, just below the sticky header, at once.
SCROLL_TO = """
async (node) => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  await frame();
  const header = document.querySelector(".site-header");
  const sticky = header && getComputedStyle(header).position === "sticky";
  const top = node.getBoundingClientRect().top + window.scrollY;
  window.scrollTo({top: top - (sticky ? header.offsetHeight : 0) - 8, behavior: "instant"});
  await frame();
  await frame();
}
"""


def signed_in(stack: ExitStack, browser, base: str, email: str):
    """A page in a browser of its own, signed in as ``email``; confirm dialogs are accepted."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    stack.callback(context.close)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    browser_sign_in(page, base, email, PASSWORD)
    return page


def snap(page, name: str, element: str | None = None) -> None:
    """With ``REVIEW_SCREENSHOTS`` set, keep screenshots of the page at both widths: the whole
    page, or the viewport with ``element`` at its top."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        if element:
            page.locator(element).first.evaluate(SCROLL_TO)
        page.screenshot(path=f"{SHOTS}/review-{name}-{width}.png", full_page=element is None)
    page.set_viewport_size({"width": 1366, "height": 900})


def status(page):
    """The assessment's status badge, under its title."""
    return page.locator("h1 + p .badge")


def flash(page, text: str):
    return page.locator(".alert").filter(has_text=text)


def provision(page):
    return page.locator(f'[id="{PROVISION_ID}"]')


def opened(page):
    """The provision's details, opened if they are not."""
    details = provision(page)
    if not details.evaluate("node => node.open"):
        details.locator("summary").click()
    return details


def rate_what_is_left(app, assessment_id: int, reviewer_id: int) -> None:
    """Rate NC (with a recommendation) what accepting the derived ratings leaves: the NR."""
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        reviewer = db.session.get(User, reviewer_id)
        left = review.unrated(assessment, "lead")
        if not left:
            return
        reason = "Not answered: nothing shows it in place."
        review.rate(assessment, [(ref, "NC", reason) for ref in left], reviewer)
        for ref in left:
            recommending.recommend(assessment, ref, f"Bring the law in line with {ref}.", None,
                                   reviewer)  # fmt: skip
        db.session.commit()


def test_a_review_from_assignment_to_publication(app, world, assessments, live_server, browser):
    base = live_server
    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        answers.submit(assessment, db.session.get(User, world.own.id))
        assessment.lead_reviewer_id = None  # for the coordinator to assign
        db.session.commit()

    with ExitStack() as stack:
        coordinator = signed_in(stack, browser, base, world.coordinator.email)
        reviewer = signed_in(stack, browser, base, world.reviewer.email)
        official = signed_in(stack, browser, base, world.own.email)

        # The coordinator assigns the lead reviewer.
        coordinator.goto(f"{base}/assessments/{assessments.own}")
        expect(coordinator.get_by_role("heading", level=1)).to_have_text(
            "Self-assessment of Demoland"
        )
        expect(status(coordinator)).to_have_text("Submitted")
        panel = coordinator.locator("#review")
        expect(panel.locator("dd").first).to_have_text("Not assigned yet")
        panel.get_by_label("Lead reviewer").select_option(world.reviewer.email)
        panel.get_by_role("button", name="Assign", exact=True).click()
        expect(flash(coordinator, "The reviewers are assigned.")).to_be_visible()
        expect(coordinator.locator("#review dd").first).to_have_text("Rafael")

        # The reviewer finds it in their queue and starts the review.
        reviewer.reload()
        expect(reviewer.get_by_role("heading", name="Review queue (1)")).to_be_visible()
        row = reviewer.get_by_role("row").filter(has_text="Demoland")
        expect(row).to_contain_text("Submitted")
        expect(row).to_contain_text("Lead reviewer")
        row.get_by_role("link", name="Demoland").click()
        reviewer.get_by_role("button", name="Start the review").click()
        expect(flash(reviewer, "Start the review — done.")).to_be_visible()
        expect(status(reviewer)).to_have_text("In review")

        # An override is refused without a justification, and saved with one.
        reviewer.locator("#review").get_by_role("link", name="Ratings", exact=True).click()
        expect(reviewer.get_by_role("heading", level=1)).to_have_text(
            "Ratings derived from the answers"
        )
        details = opened(reviewer)
        expect(details.locator("summary")).to_contain_text("Not reviewed")
        details.get_by_label("Your rating").select_option(OVERRIDE)
        details.get_by_role("button", name="Save", exact=True).click()
        # The page comes back on the provision, opened, with the message in it, in sight.
        refusal = provision(reviewer).get_by_role("alert")
        expect(refusal).to_have_text(
            f"Rating {OVERRIDE} differs from the derived C: justify the override."
        )
        expect(refusal).to_be_in_viewport()
        expect(provision(reviewer).locator("summary")).to_contain_text("Not reviewed")
        details = provision(reviewer)
        assert details.evaluate("node => node.open")
        details.get_by_label("Your rating").select_option(OVERRIDE)
        details.get_by_label("Justification (required to override, and for NA)").fill(JUSTIFICATION)
        details.get_by_role("button", name="Save", exact=True).click()
        expect(
            provision(reviewer).locator(".alert", has_text="The rating is saved.")
        ).to_be_in_viewport()
        summary = provision(reviewer).locator("summary")
        expect(summary).to_contain_text(f"Rated {OVERRIDE}")
        expect(summary.locator(".badge", has_text="override")).to_be_visible()
        details = opened(reviewer)
        expect(details.get_by_label("Your rating")).to_have_value(OVERRIDE)
        expect(details).to_contain_text(f"Justification: {JUSTIFICATION}")
        snap(reviewer, "ratings-override", f'[id="{PROVISION_ID}"]')
        snap(reviewer, "ratings-top", "h1")

        # ... and asks the country a question about an answer and the provision.
        reviewer.get_by_role("link", name="Demoland · 2027 round").click()
        reviewer.get_by_role("link", name="Ask the country for clarification").click()
        expect(reviewer.get_by_role("heading", level=1)).to_have_text(
            "Ask the country for clarification"
        )
        first = reviewer.get_by_role("group", name="Question 1")
        first.get_by_label("What should the country clarify?").fill(QUESTION)
        first.get_by_label("About the question", exact=False).fill(ABOUT_QUESTION)
        first.get_by_label("About the provision (optional)").select_option(PROVISION)
        snap(reviewer, "clarification")
        reviewer.get_by_role("button", name="Return to the country with the questions").click()
        expect(
            flash(reviewer, "The assessment is returned to the country with your questions.")
        ).to_be_visible()
        expect(status(reviewer)).to_have_text("Clarification requested")
        asked = reviewer.locator("#review li.card").filter(has_text=QUESTION)
        expect(asked).to_contain_text("Budapest Art. 2")

        # The official reads the question, replies, changes an answer and resubmits.
        official.reload()
        banner = official.locator("#clarification-banner")
        expect(banner).to_contain_text("A reviewer returned your assessment with 1 question.")
        banner.get_by_role("link", name="Read the questions").click()
        expect(status(official)).to_have_text("Clarification requested")
        question = official.locator("#review li.card").filter(has_text=QUESTION)
        expect(question.get_by_role("link", name="Other laws", exact=False)).to_be_visible()
        question.get_by_label("Your reply").fill(REPLY)
        question.get_by_role("button", name="Save the reply").click()
        expect(flash(official, "Your reply is saved.")).to_be_visible()
        expect(official.locator("#review li.card").filter(has_text=QUESTION)).to_contain_text(
            f"Reply: {REPLY}"
        )
        official.get_by_role("link", name="Legislative status").click()
        expect(official.get_by_text("Answers are saved as you go.")).to_be_visible()
        other_laws = official.locator(f'[id="q-{ABOUT_QUESTION}"]')
        other_laws.get_by_role("textbox", name="Other laws with relevant provisions").fill(
            OTHER_LAWS
        )
        expect(other_laws.locator(".save-status")).to_contain_text("Saved")
        official.get_by_role("link", name="Demoland · 2027 round").click()
        official.get_by_role("button", name="Resubmit to the reviewer").click()
        expect(flash(official, "Resubmit to the reviewer — done.")).to_be_visible()
        expect(status(official)).to_have_text("Resubmitted")

        # The reviewer resumes, reads the reply and rates the rest.
        reviewer.goto(base + "/")
        row = reviewer.get_by_role("row").filter(has_text="Demoland")
        expect(row).to_contain_text("Resubmitted")
        row.get_by_role("link", name="Demoland").click()
        reviewer.get_by_role("button", name="Start the review").click()
        expect(flash(reviewer, "Start the review — done.")).to_be_visible()
        expect(status(reviewer)).to_have_text("In review")
        expect(reviewer.locator("#review li.card").filter(has_text=QUESTION)).to_contain_text(
            f"Reply: {REPLY}"
        )
        reviewer.locator("#review").get_by_role("link", name="Ratings", exact=True).click()
        expect(provision(reviewer).locator("summary")).to_contain_text(f"Rated {OVERRIDE}")
        reviewer.get_by_role(
            "button", name="Accept every derived rating not yet rated (not NR)"
        ).click()
        accepted = reviewer.get_by_role("status").filter(has_text="derived ratings accepted.")
        expect(accepted).to_have_text(
            re.compile(r"^\d+ derived ratings accepted\. \d+ maturity stages confirmed\.$")
        )
        rate_what_is_left(app, assessments.own, world.reviewer.id)
        reviewer.reload()
        expect(reviewer.locator("#your-ratings")).to_contain_text(
            "0 provisions have no up-to-date rating of yours."
        )
        expect(reviewer.locator("summary", has_text="Not reviewed")).to_have_count(0)
        summary = provision(reviewer).locator("summary")
        expect(summary).to_contain_text(f"Rated {OVERRIDE}")  # accepting kept the override
        expect(summary.locator(".badge", has_text="override")).to_be_visible()

        # The override to PC calls for a recommendation, written on the recommendations page.
        reviewer.get_by_role("link", name="Demoland · 2027 round").click()
        reviewer.locator("#review").get_by_role("link", name="Recommendations").click()
        expect(reviewer.get_by_role("heading", level=1)).to_have_text("Recommendations")
        expect(reviewer.get_by_role("status")).to_contain_text(
            "1 provision rated PC or NC has no recommendation yet."
        )
        card = reviewer.locator(f'[id="rec-{PROVISION.replace(":", "-")}"]')
        expect(card.get_by_role("heading")).to_have_text(
            f"{OVERRIDE} Partially compliant Budapest Art. 2 — Illegal access"
        )
        expect(card).to_contain_text("No recommendation yet")
        snap(reviewer, "recommendations")
        card.get_by_label("Recommendation", exact=True).fill(RECOMMENDATION)
        card.get_by_role("button", name="Add the recommendation").click()
        expect(flash(reviewer, "The recommendation is added.")).to_be_visible()
        expect(card.locator(".list-group-item")).to_contain_text(RECOMMENDATION)
        expect(card).not_to_contain_text("No recommendation yet")
        expect(reviewer.get_by_text("has no recommendation yet")).to_have_count(0)

        # ... and finalises.
        reviewer.get_by_role("link", name="Back to the review").click()
        reviewer.get_by_role("button", name="Finalise the review").click()
        expect(flash(reviewer, "Finalise the review — done.")).to_be_visible()
        expect(status(reviewer)).to_have_text("Finalised")
        expect(
            reviewer.get_by_role("link", name="Ask the country for clarification")
        ).to_have_count(0)

        # The coordinator publishes.
        coordinator.reload()
        expect(status(coordinator)).to_have_text("Finalised")
        coordinator.get_by_role("button", name="Publish the results").click()
        expect(flash(coordinator, "Publish the results — done.")).to_be_visible()
        expect(status(coordinator)).to_have_text("Published")

        # The official reads the final ratings, the justification and the recommendation.
        official.goto(base + "/")
        expect(official.locator("#clarification-banner")).to_have_count(0)
        published = official.get_by_role("listitem").filter(has_text="2027 round")
        expect(published.locator(".badge")).to_have_text("Published")
        published.get_by_role("link", name="2027 round").click()
        expect(status(official)).to_have_text("Published")
        official.locator("#review").get_by_role("link", name="Ratings", exact=True).click()
        expect(official.get_by_role("heading", level=1)).to_have_text("Final ratings")
        summary = provision(official).locator("summary")
        expect(summary.locator(".rating").first).to_have_text(OVERRIDE)
        expect(summary).to_contain_text("final rating; derived from the answers: C")
        details = opened(official)
        expect(details.get_by_text(JUSTIFICATION)).to_be_visible()
        expect(details).to_contain_text(f"Rated {OVERRIDE} by Rafael")
        expect(official.get_by_label("Your rating")).to_have_count(0)
        expect(official.get_by_text("never shown to the country")).to_have_count(0)
        snap(official, "published-ratings", f'[id="{PROVISION_ID}"]')
        snap(official, "published-ratings-top", "h1")
        official.get_by_role("link", name="Demoland · 2027 round").click()
        official.locator("#review").get_by_role("link", name="Recommendations").click()
        card = official.locator(f'[id="rec-{PROVISION.replace(":", "-")}"]')
        expect(card).to_contain_text(RECOMMENDATION)
        expect(official.get_by_role("button", name="Add the recommendation")).to_have_count(0)
        expect(official.get_by_role("button", name="Withdraw")).to_have_count(0)

    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert assessment.status is AssessmentStatus.PUBLISHED
        assert assessment.lead_reviewer_id == world.reviewer.id
        final = db.session.scalars(
            select(ProvisionRating).where(
                ProvisionRating.assessment_id == assessment.id,
                ProvisionRating.provision == PROVISION,
                ProvisionRating.layer == "final",
            )
        ).all()
        assert [(r.rating, r.derived, r.justification) for r in final] == [
            (OVERRIDE, "C", JUSTIFICATION)
        ]  # the refused save stored nothing
        asked = db.session.scalars(select(Clarification)).one()
        assert (asked.question_id, asked.provision, asked.reply) == (
            ABOUT_QUESTION, PROVISION, REPLY
        )  # fmt: skip
        changed = select(Answer.value).where(
            Answer.assessment_id == assessment.id, Answer.question_id == ABOUT_QUESTION
        )
        assert db.session.scalar(changed) == OTHER_LAWS
        written = db.session.scalars(
            select(Recommendation).where(Recommendation.provision == PROVISION)
        ).one()
        assert written.text == RECOMMENDATION
