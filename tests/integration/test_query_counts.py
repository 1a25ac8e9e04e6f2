"""Every assessment page costs a fixed number of SQL queries, whatever the section's size."""

from __future__ import annotations

import re
from functools import partial

from tests.conftest import PDF, count_statements, fill_required, post_form, sign_in

#: Sections from 6 to 64 questions.
SECTIONS = ["jurisdiction", "contact_point", "un_offences", "protocol_2", "substantive"]


def measure(app, client, url: str) -> int:
    client.get(url)  # warm the parsed questionnaire cache (once per process)
    statements = count_statements(app, partial(client.get, url))
    return len(statements)


def test_section_pages_cost_the_same_whatever_their_size(app, client, world, assessments):
    fill_required(app, assessments.own, world.own.id)  # every section holds answers
    sign_in(client, world.own.email)
    counts = {
        section: measure(app, client, f"/assessments/{assessments.own}/sections/{section}")
        for section in SECTIONS
    }
    assert len(set(counts.values())) == 1, counts
    assert next(iter(counts.values())) <= 8, counts


def test_overview_home_workbook_and_api_cost_a_fixed_number_of_queries(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    post_form(client, f"/assessments/{assessments.own}/evidence",
              {"file": (__import__("io").BytesIO(PDF), "a.pdf"),
               "question_id": "cap.legislative_status.evidence", "version": "0"},
              content_type="multipart/form-data")  # fmt: skip
    empty = {
        "overview": measure(app, client, f"/assessments/{assessments.own}"),
        "home": measure(app, client, "/"),
        "submit": measure(app, client, f"/assessments/{assessments.own}/submit"),
        "workbook": measure(app, client, f"/assessments/{assessments.own}/workbook"),
    }
    fill_required(app, assessments.own, world.own.id)
    full = {
        "overview": measure(app, client, f"/assessments/{assessments.own}"),
        "home": measure(app, client, "/"),
        "submit": measure(app, client, f"/assessments/{assessments.own}/submit"),
        "workbook": measure(app, client, f"/assessments/{assessments.own}/workbook"),
    }
    assert empty == full
    assert max(full.values()) <= 10, full


def test_saving_an_answer_costs_a_fixed_number_of_queries(app, client, world, assessments):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/answers/jur.territory"
    token_page = client.get("/auth/forgot").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)

    def save(answer: str, version: int) -> int:
        data = {"csrf_token": token, "jur.territory[answer]": answer,
                "version[jur.territory]": str(version)}  # fmt: skip
        return len(count_statements(app, partial(client.post, url, data=data)))

    save("yes", 0)
    on_an_empty_assessment = save("no", 1)
    fill_required(app, assessments.own, world.own.id)
    on_a_full_assessment = save("partly", 2)
    assert on_an_empty_assessment == on_a_full_assessment <= 14


def test_saving_a_section_costs_the_same_whatever_the_number_of_answers(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/sections/substantive"
    page = client.get(url).get_data(as_text=True)
    groups = sorted(set(re.findall(r'name="([^"]+)\[answer\]" id="[^"]+-yes"', page)))
    assert len(groups) >= 40, len(groups)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def save(questions: list[str], answer: str, version: int) -> int:
        data = {"csrf_token": token}
        for qid in questions:
            data[f"{qid}[answer]"] = answer
            data[f"version[{qid}]"] = str(version)
        response = []
        statements = count_statements(app, lambda: response.append(client.post(url, data=data)))
        assert response[0].status_code == 302, response[0].get_data(as_text=True)[:500]
        return len(statements)

    few, many = groups[:3], groups[3:40]
    created = {"few": save(few, "yes", 0), "many": save(many, "yes", 0)}
    changed = {"few": save(few, "no", 1), "many": save(many, "no", 1)}
    assert created["few"] == created["many"], created
    assert changed["few"] == changed["many"], changed
    assert max(*created.values(), *changed.values()) <= 16, (created, changed)


def test_the_review_api_costs_a_fixed_number_of_queries(app, client, world, assessments):
    """getReview reads every provision's ratings in every layer, the stages and the questions
    asked at once: as many queries with nothing rated as with everything rated twice."""
    from app.assessments import review
    from app.core.db import utcnow
    from app.extensions import db
    from app.models import Assessment, AssessmentStatus, Clarification, User
    from app.scoring.assessments import scorecard
    from tests.integration.test_api import bearer, token_for

    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.cycle.second_review = True
        assessment.second_reviewer_id = world.outsider.id
        assessment.status = AssessmentStatus.IN_REVIEW
        db.session.commit()
    url = f"/api/v1/assessments/{assessments.own}/review"
    callers = {name: bearer(token_for(client, getattr(world, name).email))
               for name in ("coordinator", "reviewer", "outsider")}  # fmt: skip

    def measure_all() -> dict[str, int]:
        counts = {}
        for name, headers in callers.items():
            client.get(url, headers=headers)  # warm the caches, stamp the token
            counts[name] = len(count_statements(app, partial(client.get, url, headers=headers)))
        return counts

    empty = measure_all()
    with app.app_context():
        db.session.get(Assessment, assessments.own).status = AssessmentStatus.DRAFT
        db.session.commit()
    fill_required(app, assessments.own, world.own.id)  # the country answers every question
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.status = AssessmentStatus.IN_REVIEW
        card = scorecard(assessment)
        for persona in (world.reviewer, world.outsider):
            given = [(ref, "NC", "Not in force.") for ref in card.provisions]
            review.rate(assessment, given, db.session.get(User, persona.id), card=card)
        lead = db.session.get(User, world.reviewer.id)
        review.adjudicate(assessment, [(ref, "NC", None) for ref in card.provisions], lead)
        review.rate_stages(
            assessment, [(area, 5, "Seen on site.") for area in card.areas], lead, card=card
        )
        db.session.add_all(
            Clarification(assessment_id=assessment.id, round=1, question_id=qid, text="Why?",
                          asked_at=utcnow(), asked_by_id=lead.id)
            for qid in ("jur.territory", "cap.legislative_status")
        )  # fmt: skip
        db.session.commit()
        assert len(card.provisions) >= 40
    full = measure_all()
    response = client.get(url, headers=callers["coordinator"]).get_json()
    assert "agreement" in response and all(p["final_rating"] for p in response["provisions"])
    assert empty == full, (empty, full)
    assert max(full.values()) <= 8, full


def test_the_recommendations_page_costs_the_same_whatever_the_number_of_provisions(
    app, client, world, assessments
):
    from app.assessments import recommendations, review
    from app.extensions import db
    from app.models import Assessment, User
    from tests.integration.test_recommendations import in_review

    in_review(app, world, assessments.own, world.own.id, rate=False)
    url = f"/assessments/{assessments.own}/recommendations"
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        reviewer = db.session.get(User, world.reviewer.id)
        review.rate(assessment, [("budapest:2", "NC", None)], reviewer)  # one provision NC
        recommendations.recommend(assessment, "budapest:2", "Criminalise it.", None, reviewer)
        db.session.commit()
    sign_in(client, world.reviewer.email)
    few = measure(app, client, url)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        reviewer = db.session.get(User, world.reviewer.id)
        coordinator = db.session.get(User, world.coordinator.id)
        every = review.unrated(assessment)  # all but budapest:2: now every one NC
        review.rate(
            assessment, [(ref, "NC", "The law is not in force.") for ref in every], reviewer
        )
        needing = recommendations.needing(assessment)
        for ref in needing:
            recommendations.recommend(assessment, ref, f"Do {ref}.", None, reviewer)
            for n in range(2):
                recommendations.add_template(ref, f"Library text {n} for {ref}.", coordinator)
        db.session.commit()
    assert len(needing) >= 20, len(needing)
    page = client.get(url).get_data(as_text=True)
    assert page.count('class="card mb-3"') >= len(needing) + 1
    many = measure(app, client, url)
    assert few == many, (few, many)
    assert many <= 10, many


def test_the_review_pages_cost_the_same_with_few_or_many_ratings(app, client, world, assessments):
    """The ratings page and the adjudication page read ratings, stages, comments and questions
    in one query each, however many there are."""
    from app.assessments import answers, review
    from app.extensions import db
    from app.models import Assessment, User
    from tests.integration.test_review_workflow import rate_everything

    fill_required(app, assessments.own, world.own.id)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assessment.cycle.second_review = True
        review.assign_reviewers(
            assessment, world.reviewer.email, world.outsider.email,
            db.session.get(User, world.coordinator.id),
        )  # fmt: skip
        answers.submit(assessment, db.session.get(User, world.own.id))
        lead = db.session.get(User, world.reviewer.id)
        review.perform(assessment, "start_review", lead)
        review.rate(assessment, [("budapest:2", "NC", "Not in force.")], lead)
        db.session.commit()
    sign_in(client, world.coordinator.email)
    pages = [
        f"/assessments/{assessments.own}/ratings",
        f"/assessments/{assessments.own}/adjudication",
    ]
    few = [measure(app, client, url) for url in pages]
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        lead = db.session.get(User, world.reviewer.id)
        second = db.session.get(User, world.outsider.id)
        rate_everything(assessment, lead)
        review.rate(
            assessment,
            [(ref, "NC", "Nothing in force.") for (ref, layer) in review.current_ratings(assessment)
             if layer == "lead"],
            second,
        )  # fmt: skip
        for ref in list(review.current_ratings(assessment))[:30]:
            review.comment(assessment, ref[0], None, "A note.", lead)
        review.request_clarification(
            assessment, [review.Item(f"Question {i}", None, "budapest:3") for i in range(10)], lead
        )
        db.session.commit()
    many = [measure(app, client, url) for url in pages]
    assert few == many
    assert max(many) <= 14, many


def test_the_activities_pages_cost_the_same_with_few_or_many_activities_and_needs(
    app, client, world, assessments
):
    """The register (list and per donor) and an activity's page read activities, countries,
    needs, effects and documents in a fixed number of queries."""
    from app.capacity import activities
    from app.extensions import db
    from app.models import Activity, Assessment, AssessmentStatus, Need, User
    from tests.integration.test_activities import VALID

    def add(number: int, needs: int) -> int:
        with app.app_context():
            coordinator = db.session.get(User, world.coordinator.id)
            assessment = db.session.get(Assessment, assessments.own)
            assessment.status = AssessmentStatus.PUBLISHED
            first = None
            for n in range(number):
                activity = activities.create_activity(
                    {**VALID, "title": f"Course {n}", "donor": f"Donor {n % 3}",
                     "countries": ["XAA", "XAB"], "addresses": []},
                    coordinator,
                )  # fmt: skip
                first = first or activity
                activities.add_document(activity, PDF, f"agenda-{n}.pdf", coordinator)
            existing = db.session.query(Need).count()
            for n in range(needs):
                need = Need(country_id=assessment.country_id, assessment_id=assessment.id,
                            kind="provision", ref=f"budapest:{existing + n + 2}", found="PC")  # fmt: skip
                db.session.add(need)
                db.session.flush()
                for activity in db.session.query(Activity).all():
                    activities.link_need(activity, need.id, coordinator)
            db.session.commit()
            return first.id if first else db.session.query(Activity.id).first()[0]

    first = add(1, 1)
    urls = ["/activities", "/activities?view=donors", "/activities?year=2027&country=XAA",
            f"/activities/{first}"]  # fmt: skip
    browsers = {persona.email: app.test_client() for persona in (world.coordinator, world.own)}
    for email, browser in browsers.items():
        sign_in(browser, email)
        assert "Course 0" in browser.get("/activities").get_data(as_text=True)
    few = {email: [measure(app, b, url) for url in urls] for email, b in browsers.items()}
    add(12, 15)
    many = {email: [measure(app, b, url) for url in urls] for email, b in browsers.items()}
    assert few == many
    assert max(max(c) for c in many.values()) <= 16, many


def test_the_directory_pages_cost_the_same_with_few_or_many_contacts_and_tests(app, client, world):
    """The 24/7 directory and a country's directory page read contacts (with their countries and
    verifiers), networks and tests in a fixed number of queries."""
    from datetime import date

    from app.capacity import directory
    from app.extensions import db
    from app.models import Country, User
    from tests.conftest import make_country

    def add(codes, tests: int) -> None:
        with app.app_context():
            coordinator = db.session.get(User, world.coordinator.id)
            for code in codes:
                country = db.session.scalar(db.select(Country).where(Country.code == code))
                for network in directory.ensure_networks():
                    contact = directory.find_contact(country, network) or directory.save_contact(
                        country, network,
                        {"unit": f"Unit of {code}", "unit_type": "police",
                         "phone": "+442079460958", "email": f"247@{code.lower()}.example.org"},
                        version=None, user=coordinator,
                    )  # fmt: skip
                    directory.verify(contact, date.today(), "call", coordinator)
                    for _ in range(tests):
                        directory.record_test(contact, date.today(), "phone", 5, "reached", None,
                                              coordinator)  # fmt: skip
            db.session.commit()

    add(["XAA"], 1)
    sign_in(client, world.own.email)
    pages = ["/directory", "/countries/XAA/directory"]
    few = [measure(app, client, url) for url in pages]
    with app.app_context():
        for number in range(8):
            make_country(f"XB{chr(65 + number)}", f"Country {number}")
        db.session.commit()
    add([f"XB{chr(65 + number)}" for number in range(8)] + ["XAB"], 3)
    add(["XAA"], 6)
    many = [measure(app, client, url) for url in pages]
    assert few == many, (few, many)
    assert max(many) <= 8, many


def test_the_needs_pages_cost_the_same_with_few_or_many_needs(app, client, world, assessments):
    """The needs register and a country's needs read needs, countries, cycles, recommendations,
    requests (and effects) in a fixed number of queries."""
    from app.extensions import db
    from app.models import Assessment, AssessmentStatus, AssistanceRequest, Need, Recommendation

    def add(count: int) -> None:
        with app.app_context():
            for assessment_id in (assessments.own, assessments.other):
                assessment = db.session.get(Assessment, assessment_id)
                assessment.status = AssessmentStatus.PUBLISHED
                for number in range(count):
                    ref = f"budapest:{number}-{assessment_id}-{count}"
                    recommendation = Recommendation(
                        assessment_id=assessment_id, provision=ref, text="Change the law."
                    )
                    db.session.add(recommendation)
                    db.session.flush()
                    need = Need(
                        country_id=assessment.country_id, assessment_id=assessment_id,
                        kind="provision" if number % 3 else "area", ref=ref, found="PC",
                        assistance=["training"], recommendation_id=recommendation.id,
                        priority=number % 5 + 1,
                    )  # fmt: skip
                    db.session.add(need)
                    db.session.flush()
                    db.session.add(
                        AssistanceRequest(
                            need_id=need.id, type="mentoring", target_institution="Unit",
                            priority=1, description="Help.", created_by_id=world.own.id,
                        )
                    )  # fmt: skip
            db.session.commit()

    add(1)
    sign_in(client, world.coordinator.email)
    pages = ["/needs", "/needs?type=training&status=open&country=XAA", "/countries/XAA/needs"]
    few = [measure(app, client, url) for url in pages]
    add(30)
    many = [measure(app, client, url) for url in pages]
    assert few == many, (few, many)
    assert max(many) <= 14, many
    client.post("/auth/logout")
    official = app.test_client()
    sign_in(official, world.own.email)
    assert measure(app, official, "/countries/XAA/needs") <= 12


def test_the_dashboard_costs_the_same_with_one_or_three_assessments(
    app, client, world, loaded_library
):
    """The dashboard reads the cycles, then each shown cycle's data context: a fixed number of
    queries whatever the number of countries; the trends add one data context (a fixed number of
    queries) per earlier finished cycle, at most three."""
    from app.extensions import db
    from app.models import Cycle, CycleStatus
    from app.reports.data import cycle_data
    from tests.conftest import make_country, open_cycle, sign_in_session
    from tests.integration.test_dashboard import rate_all

    with app.app_context():
        make_country("XAC", "Thirdland")
        db.session.commit()
    one = open_cycle(app, world, name="One", countries=("XAA",))
    rate_all(app, one.cycle_id, ["XAA"])
    sign_in_session(client, world.coordinator)
    url = "/dashboard?measure=index&provision=budapest:16&cycle="
    alone = measure(app, client, f"{url}{one.cycle_id}")
    with app.app_context():
        db.session.get(Cycle, one.cycle_id).status = CycleStatus.CLOSED
        db.session.commit()
    three = open_cycle(app, world, name="Three", countries=("XAA", "XAB", "XAC"))
    rate_all(app, three.cycle_id, ["XAA", "XAB", "XAC"])
    assert measure(app, client, f"{url}{one.cycle_id}") == alone  # no earlier cycle either

    def context() -> None:
        with app.test_request_context():
            cycle_data(db.session.get(Cycle, one.cycle_id))

    context()
    per_context = len(count_statements(app, context)) - 1  # less reading the cycle
    from app.reports import data as contexts

    def cold(target: str) -> int:
        contexts._CACHED.clear()  # as after a change: every data context is built again
        return len(count_statements(app, partial(client.get, target)))

    one_cold, three_cold = cold(f"{url}{one.cycle_id}"), cold(f"{url}{three.cycle_id}")
    # Three countries cost what one does; One's data context (for the trends) and its
    # fingerprint (two queries) come on top.
    assert three_cold == one_cold + per_context + 2, (one_cold, per_context, three_cold)
    assert three_cold <= 20, three_cold
    # Seen again with nothing changed, a data context costs only its fingerprint.
    with_trends = measure(app, client, f"{url}{three.cycle_id}")
    assert with_trends == alone + 2, (alone, with_trends)
    assert alone < one_cold
