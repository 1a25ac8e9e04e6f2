"""Questionnaire 2026.2 beside 2026.1: assessments keep their version, carry-over maps answers by
stable id and compatible type and says what it could not carry; the articles each question
evidences, who answers a section, and the library's question texts and badges."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.assessments import answers, cycles
from app.extensions import db
from app.frameworks import store
from app.frameworks.library import read_library
from app.models import Answer, Assessment, Country, Cycle, QuestionnaireVersion, User
from tests.conftest import QUESTIONNAIRES, fill_required, sign_in

ARCHIVE = QUESTIONNAIRES / "archive" / "catf-self-assessment-2026.1.yaml"


@pytest.fixture
def both_versions(app):
    """2026.1 (archived) and 2026.2 loaded, the current one last (so it is the newest)."""
    with app.app_context():
        library = read_library([ARCHIVE, QUESTIONNAIRES])
        assert library.ok, [str(p) for p in library.problems[:5]]
        store.load(library)
        db.session.commit()
        rows = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id))
        return {row.version: row.id for row in rows}


def run_rounds(app, world, versions, earlier: dict[str, object]) -> tuple[int, int]:
    """A closed 2025 round on 2026.1 in which XAA submitted ``earlier`` (and whatever else was
    required), then an open 2027 round on 2026.2 carrying answers over; returns the two
    assessments' ids."""
    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        xaa = db.session.scalars(select(Country).where(Country.code == "XAA")).all()
        old = db.session.get(QuestionnaireVersion, versions["2026.1"])
        cycle = cycles.create_cycle(
            "2025 round", old, date(2025, 6, 30), xaa, carry_over=False, user=coordinator,
            past_deadline=True,
        )  # fmt: skip
        (first,) = cycles.open_cycle(cycle, coordinator)
        first_id, cycle_id = first.id, cycle.id
        db.session.commit()
    with app.app_context():
        official = db.session.get(User, world.own.id)
        first = db.session.get(Assessment, first_id)
        current = answers.state(first)
        for question_id, value in earlier.items():
            answer = current.answers.get(question_id)
            answers.save_answer(
                first, question_id, value, version=answer.version if answer else 0, user=official
            )
        db.session.commit()
    fill_required(app, first_id, world.own.id)
    with app.app_context():
        coordinator = db.session.get(User, world.coordinator.id)
        official = db.session.get(User, world.own.id)
        answers.submit(db.session.get(Assessment, first_id), official)
        cycles.close_cycle(db.session.get(Cycle, cycle_id), coordinator)
        xaa = db.session.scalars(select(Country).where(Country.code == "XAA")).all()
        new = db.session.get(QuestionnaireVersion, versions["2026.2"])
        cycle = cycles.create_cycle(
            "2027 round", new, date(2027, 6, 30), xaa, carry_over=True, user=coordinator
        )
        (second,) = cycles.open_cycle(cycle, coordinator)
        db.session.commit()
        return first_id, second.id


EARLIER = {
    "sub.illegal_access.offence": {"answer": "yes"},
    "p1.status": "ratified_reservations",
    "p1.reservations": ["art3_2"],
}


def test_carry_over_from_2026_1_keeps_what_fits_and_says_what_it_left(app, client, world,
                                                                       both_versions):  # fmt: skip
    first, second = run_rounds(app, world, both_versions, EARLIER)
    with app.app_context():
        old, new = db.session.get(Assessment, first), db.session.get(Assessment, second)
        # Each assessment keeps the version it was started on.
        assert (old.questionnaire_version.version, new.questionnaire_version.version) == (
            "2026.1",
            "2026.2",
        )
        carried = {
            a.question_id: a.value
            for a in db.session.scalars(select(Answer).where(Answer.assessment_id == second))
        }
        # Same id and type: carried. A multiple choice that became a reservations question
        # keeps its answer, since the framework file lists the same option.
        assert carried["sub.illegal_access.offence"] == {"answer": "yes"}
        assert carried["p1.reservations"] == ["art3_2"]
        # The status question changed its options: a new question replaces it, empty.
        assert "p1.status" not in carried and "p1.treaty_status" not in carried
        _, left = answers.left_behind(new)
        reasons = {item.question_id: (item.reason, item.replaced_by) for item in left}
        assert reasons["p1.status"] == ("replaced", ("p1.treaty_status",))

    sign_in(client, world.own.email)
    overview = client.get(f"/assessments/{second}").get_data(as_text=True)
    count = len(left)
    assert f"{count} answers of 2025 round could not be carried over" in overview
    assert "version 2026.1, now 2026.2" in overview
    assert "Ratified or acceded, with reservations" in overview  # the earlier answer, as text
    link = re.search(r'href="([^"]+#q-p1\.treaty_status)"', overview)
    assert link, "the new question is linked"

    section = client.get(link.group(1).split("#")[0]).get_data(as_text=True)
    note = section[section.index('id="q-p1.treaty_status"') :]
    note = note[: note.index('id="q-', 10)]
    assert "This question replaces" in note
    assert "Ratified or acceded, with reservations" in note


def test_the_demo_runs_2025_on_2026_1_and_2027_on_2026_2(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(
            select(Assessment.id, QuestionnaireVersion.version)
            .join(Assessment.questionnaire_version)
            .join(Assessment.cycle)
        ).all()
        by_version = {version for _, version in rows}
        assert by_version == {"2026.1", "2026.2"}
        newest = store.latest_questionnaires()[0]
        assert newest.version == "2026.2"
        carried = [a for a in db.session.scalars(select(Assessment)) if a.carried_from_id]
        assert carried and all(answers.left_behind(a)[1] for a in carried), (
            "carry-over between the rounds leaves something to show"
        )


def test_questions_cite_the_articles_they_evidence_and_officials_can_follow_them(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}/sections/substantive").get_data(as_text=True)
    block = page[page.index('id="q-sub.illegal_access.offence"') :]
    block = block[: block.index("</legend>") + 400]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', block[: block.index('class="form-text')])
    assert [text for _, text in links] == ["Budapest Art. 2", "UN Art. 7"], links
    library = client.get(links[0][0].split("#")[0])
    assert library.status_code == 200  # an official may read the provisions
    assert 'id="p-2"' in library.get_data(as_text=True)


def test_a_section_says_who_usually_answers_it(app, client, world, assessments):
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}/sections/substantive").get_data(as_text=True)
    line = page[page.index('id="answered-by"') :]
    line = line[: line.index("</p>")]
    assert "Usually answered by:" in line and "Ministry of Justice" in line, line
    assert 'name="substantive.contributors"' in page


def test_the_library_shows_question_texts_obligations_and_unverified_badges(
    app, client, world, loaded_library
):
    sign_in(client, world.reviewer.email)
    budapest = client.get("/library/frameworks/budapest").get_data(as_text=True)
    article_26 = budapest[budapest.index('id="p-26"') :]
    article_26 = article_26[: article_26.index("</section>")]
    assert "Optional measure" in article_26 and "may" in article_26
    assert "Does your law make it a criminal offence" in budapest  # question texts, not ids
    with app.app_context():
        un = store.framework_model(store.latest_frameworks()["un-cybercrime"])
        doubts = sum(bool(p.unverified) for p in un.provisions) + sum(
            bool(e.unverified) for p in un.provisions for e in p.elements
        )
    page = client.get("/library/frameworks/un-cybercrime").get_data(as_text=True)
    assert doubts > 0
    assert page.count("Not yet checked against the official text") >= doubts
