"""Self-assessment pages: cycles, autosave, conditions, conflicts, evidence, submission."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from app.assessments import answers
from app.extensions import db
from app.models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Cycle,
    CycleStatus,
    EvidenceFile,
    User,
)
from tests.conftest import PDF, fill_required, open_cycle, post_form, sign_in

OFFENCE = "sub.illegal_access.offence"
DETAILS = "sub.illegal_access.details"  # shown when the offence exists (yes or partly)


def autosave(client, assessment_id, question_id, data, version=0):
    return post_form(
        client,
        f"/assessments/{assessment_id}/answers/{question_id}",
        {**data, f"version[{question_id}]": str(version)},
    )


def answer_row(app, assessment_id, question_id):
    with app.app_context():
        return db.session.scalar(
            select(Answer).where(
                Answer.assessment_id == assessment_id, Answer.question_id == question_id
            )
        )


# --- Cycles ----------------------------------------------------------------------------------


def test_coordinator_prepares_and_opens_a_cycle(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    page = client.get("/cycles/new").get_data(as_text=True)
    ticked = r'<input checked class="form-check-input" id="countries-\d+" name="countries" '
    assert re.search(ticked + r'type="checkbox" value="XAA">', page)  # participating: ticked
    assert "<legend" in page and ">Europe" in page  # grouped by region
    response = post_form(
        client,
        "/cycles/new",
        {
            "name": "2027 round",
            "questionnaire_version": str(loaded_library),
            "deadline": "2027-06-30",
            "countries": ["XAA", "XAB"],
            "carry_over": "y",
        },
    )
    assert response.status_code == 302
    cycle_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert post_form(client, f"/cycles/{cycle_id}/open").status_code == 302
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        assert cycle.status is CycleStatus.OPEN
        rows = db.session.scalars(select(Assessment).where(Assessment.cycle_id == cycle_id)).all()
        assert sorted(a.country.code for a in rows) == ["XAA", "XAB"]
        assert {a.status for a in rows} == {AssessmentStatus.DRAFT}
        assert {a.questionnaire_version_id for a in rows} == {loaded_library}
    page = client.get(f"/cycles/{cycle_id}").get_data(as_text=True)
    assert "Demoland" in page and "Exampleland" in page and "Draft" in page


def test_cycle_form_errors_keep_what_was_typed(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    response = post_form(
        client,
        "/cycles/new",
        {"name": "Round", "questionnaire_version": str(loaded_library), "deadline": "30/06/2027"},
    )
    page = response.get_data(as_text=True)
    assert "Give the deadline as a date." in page
    assert "Choose at least one participating country." in page
    assert 'value="Round"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Cycle.id))) == 0


def test_a_closed_cycle_refuses_changes(app, client, world, assessments):
    sign_in(client, world.coordinator.email)
    post_form(client, f"/cycles/{assessments.cycle_id}/close")
    official = app.test_client()
    sign_in(official, world.own.email)
    response = autosave(official, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"})
    assert response.status_code == 409
    assert "cycle is closed" in response.get_json()["error"]["message"]


# --- Saving ----------------------------------------------------------------------------------


def test_autosave_stores_the_answer_with_its_history(app, client, world, assessments):
    sign_in(client, world.own.email)
    first = autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "partly"})
    assert first.status_code == 200 and first.get_json()["version"] == 1
    second = autosave(
        client,
        assessments.own,
        OFFENCE,
        {f"{OFFENCE}[answer]": "yes", f"note[{OFFENCE}]": "Section 2 of the Cybercrime Act"},
        version=1,
    )
    assert second.get_json()["version"] == 2
    answer = answer_row(app, assessments.own, OFFENCE)
    assert answer.value == {"answer": "yes"} and answer.note == "Section 2 of the Cybercrime Act"
    page = client.get(f"/assessments/{assessments.own}/answers/{OFFENCE}/history")
    html = page.get_data(as_text=True)
    assert html.index("Partly") < html.index("(no answer)")  # newest first: partly came first
    assert "Olga" in html and "UTC" in html and "On the page" in html


def test_the_same_value_again_makes_no_new_version(app, client, world, assessments):
    sign_in(client, world.own.email)
    autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"})
    again = autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"}, version=1)
    assert again.get_json()["version"] == 1


def test_conditions_show_and_hide_questions_and_are_enforced_on_the_server(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    shown = autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"})
    assert shown.get_json()["visible"][DETAILS] is True
    autosave(client, assessments.own, DETAILS, {DETAILS: "Art. 2 of the Criminal Code"})
    hidden = autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "no"}, version=1)
    assert hidden.get_json()["visible"][DETAILS] is False
    page = client.get(f"/assessments/{assessments.own}/sections/substantive").get_data(as_text=True)
    block = re.search(rf'<div class="[^"]*question[^"]*" id="q-{re.escape(DETAILS)}"[^>]*>', page)
    assert block and "hidden" in block.group(0)
    # The hidden question's answer is kept, and it is neither required nor counted.
    assert answer_row(app, assessments.own, DETAILS).value == "Art. 2 of the Criminal Code"


def test_a_hidden_required_question_is_not_missing(app, world, assessments):
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        official = db.session.get(User, world.own.id)
        before = {q.id for q in answers.state(assessment).missing()}
        assert "cap.legislative_status.main_law" not in before  # hidden until answered
        answers.save_answer(
            assessment, "cap.legislative_status.overall", "comprehensive", version=0, user=official
        )
        db.session.commit()
        shown = {q.id for q in answers.state(assessment).missing()}
        assert "cap.legislative_status.main_law" in shown
        answers.save_answer(
            assessment, "cap.legislative_status.overall", "none", version=1, user=official
        )
        db.session.commit()
        after = {q.id for q in answers.state(assessment).missing()}
        assert "cap.legislative_status.main_law" not in after
        assert "cap.legislative_status.overall" not in after


def test_a_stale_save_is_a_conflict_showing_both_values(app, world, assessments):
    first, second = app.test_client(), app.test_client()
    sign_in(first, world.own.email)
    with app.app_context():
        colleague = make_colleague()
    sign_in(second, colleague)
    autosave(first, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"})
    conflict = autosave(second, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "no"})
    assert conflict.status_code == 409
    body = conflict.get_json()["conflict"]
    assert body["value_text"] == "Yes" and body["version"] == 1 and body["by"] == "Olga"
    assert "Their answer:" in body["html"]
    assert answer_row(app, assessments.own, OFFENCE).value == {"answer": "yes"}
    # Keeping mine: save again from the version now known.
    kept = autosave(second, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "no"}, version=1)
    assert kept.status_code == 200
    assert answer_row(app, assessments.own, OFFENCE).value == {"answer": "no"}


def make_colleague() -> str:
    from app.core.permissions import Role
    from tests.conftest import make_user

    persona = make_user("otto@xaa.example.org", Role.OFFICIAL, "XAA", name="Otto")
    db.session.commit()
    return persona.email


def test_two_officials_editing_different_questions_never_conflict(app, world, assessments):
    first, second = app.test_client(), app.test_client()
    sign_in(first, world.own.email)
    with app.app_context():
        colleague = make_colleague()
    sign_in(second, colleague)
    for number, question in enumerate(["jur.territory", "jur.nationals", "jur.ships_aircraft"]):
        client = first if number % 2 == 0 else second
        response = autosave(client, assessments.own, question, {f"{question}[answer]": "yes"})
        assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Answer.id))) == 3


def test_the_section_save_button_works_without_javascript(app, client, world, assessments):
    sign_in(client, world.own.email)
    response = post_form(
        client,
        f"/assessments/{assessments.own}/sections/jurisdiction",
        {
            "jur.territory[answer]": "yes",
            "version[jur.territory]": "0",
            "jur.nationals[answer]": "partly",
            "jur.nationals[reference]": "Only for serious offences",
            "version[jur.nationals]": "0",
            "jur.citation[0][stage]": "in_force",
            "jur.citation[0][instrument]": "Criminal Code",
            "jur.citation[0][in_force_date]": "2012-03-01",
            "jur.citation[1][stage]": "",  # the empty "another instrument"
            "version[jur.citation]": "0",
        },
    )
    assert response.status_code == 302
    assert answer_row(app, assessments.own, "jur.nationals").value == {
        "answer": "partly",
        "reference": "Only for serious offences",
    }
    assert answer_row(app, assessments.own, "jur.citation").value == [
        {"instrument": "Criminal Code", "in_force_date": "2012-03-01", "stage": "in_force"}
    ]


def test_saving_a_section_leaves_untouched_questions_unanswered(app, client, world, assessments):
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}/sections/jurisdiction").get_data(
        as_text=True
    )
    form = dict(re.findall(r'name="(version\[[^\]]+\])" value="(\d+)"', page))
    assert len(form) == 8  # every question carries its version
    form["jur.territory[answer]"] = "yes"
    assert (
        post_form(client, f"/assessments/{assessments.own}/sections/jurisdiction", form).status_code
        == 302
    )
    with app.app_context():
        assert db.session.scalars(select(Answer.question_id)).all() == ["jur.territory"]
        assert db.session.scalar(select(func.count(AnswerRevision.id))) == 1


def test_an_invalid_value_is_explained_next_to_the_field_and_kept(app, client, world, assessments):
    sign_in(client, world.own.email)
    response = post_form(
        client,
        f"/assessments/{assessments.own}/sections/jurisdiction",
        {
            "jur.citation[0][stage]": "in_force",
            "jur.citation[0][instrument]": "Criminal Code",
            "version[jur.citation]": "0",
            "jur.territory[answer]": "yes",
            "version[jur.territory]": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="jur.citation-error"' in page and "Give the date of entry into force." in page
    assert 'href="#q-jur.citation"' in page  # the error summary links to the question
    assert 'value="Criminal Code"' in page  # nothing typed is lost
    assert answer_row(app, assessments.own, "jur.citation") is None
    assert answer_row(app, assessments.own, "jur.territory").value == {"answer": "yes"}


def test_a_citation_cites_several_instruments_and_an_error_sits_by_its_field(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/sections/jurisdiction"
    posted = {
        "jur.citation[0][stage]": "in_force",
        "jur.citation[0][instrument]": "Criminal Code",
        "jur.citation[0][article]": "Art. 7",
        "jur.citation[0][in_force_date]": "2012-03-01",
        "jur.citation[1][stage]": "in_force",
        "jur.citation[1][instrument]": "Law on Electronic Communications",
        "jur.citation[1][in_force_date]": "",
        "jur.citation[2][stage]": "",
        "version[jur.citation]": "0",
    }
    response = post_form(client, url, posted)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "Instrument 2: Give the date of entry into force."
    # Next to the second instrument's date, which points to it; not repeated above the inputs.
    date_input = re.search(r'<input [^>]*id="jur\.citation-1-in_force_date"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in date_input
    assert 'aria-describedby="jur.citation-error"' in date_input
    assert page.count('id="jur.citation-error"') == 1
    after = page[page.index(date_input) + len(date_input) :]
    assert after.startswith('<div class="text-danger small mt-1" id="jur.citation-error"')
    assert after.index(message) < after.index("</fieldset>")
    first_date = re.search(r'<input [^>]*id="jur\.citation-0-in_force_date"[^>]*>', page).group(0)
    assert "aria-invalid" not in first_date and 'value="2012-03-01"' in first_date
    assert 'value="Law on Electronic Communications"' in page  # nothing typed is lost
    assert 'href="#q-jur.citation">' in page and message in page  # the summary names it too
    assert answer_row(app, assessments.own, "jur.citation") is None

    posted["jur.citation[1][in_force_date]"] = "2015-07-01"
    assert post_form(client, url, posted).status_code == 302
    assert answer_row(app, assessments.own, "jur.citation").value == [
        {"instrument": "Criminal Code", "article": "Art. 7", "in_force_date": "2012-03-01",
         "stage": "in_force"},
        {"instrument": "Law on Electronic Communications", "in_force_date": "2015-07-01",
         "stage": "in_force"},
    ]  # fmt: skip
    page = client.get(url).get_data(as_text=True)
    block = page[page.index('id="q-jur.citation"') :]
    block = block[: block.index('id="jur.citation-note"')]
    legends = re.findall(r"<legend [^>]*>([^<]+)</legend>", block)
    assert legends == ["Instrument 1", "Instrument 2", "Another instrument (optional)"]
    for index in range(3):  # each input has its label
        for name in ("stage", "instrument", "article", "in_force_date", "link"):
            assert f'<label class="form-label small" for="jur.citation-{index}-{name}">' in block
            assert f'name="jur.citation[{index}][{name}]"' in block


def test_autosave_names_the_instrument_field_at_fault(app, client, world, assessments):
    sign_in(client, world.own.email)
    response = autosave(
        client,
        assessments.own,
        "jur.citation",
        {"jur.citation[0][stage]": "none", "jur.citation[1][stage]": "draft"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "message": "Instrument 2: Name the law or instrument.",
        "field": "value.1.instrument",
    }


def test_a_stale_section_save_shows_the_conflict_on_the_page(app, client, world, assessments):
    sign_in(client, world.own.email)
    autosave(client, assessments.own, "jur.territory", {"jur.territory[answer]": "yes"})
    response = post_form(
        client,
        f"/assessments/{assessments.own}/sections/jurisdiction",
        {"jur.territory[answer]": "no", "version[jur.territory]": "0"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A colleague changed this answer after you opened it." in page
    assert "Their answer: Yes" in page
    assert 'name="version[jur.territory]" value="1"' in page  # saving again keeps mine


def test_saving_the_section_right_after_its_own_autosave_is_no_conflict(
    app, client, world, assessments
):
    # The page autosaved the date (version 0 -> 1) while the person clicked "Save this section",
    # whose form still carries version 0: the same value is no lost update.
    sign_in(client, world.own.email)
    autosave(client, assessments.own, "jur.territory", {"jur.territory[answer]": "yes"})
    response = post_form(
        client,
        f"/assessments/{assessments.own}/sections/jurisdiction",
        {"jur.territory[answer]": "yes", "version[jur.territory]": "0"},
    )
    assert response.status_code == 302
    assert answer_row(app, assessments.own, "jur.territory").version == 1  # no new version


def test_unknown_question_and_other_countries(app, client, world, assessments):
    sign_in(client, world.own.email)
    assert autosave(client, assessments.own, "no.such.question", {}).status_code == 404
    assert client.get(f"/assessments/{assessments.other}").status_code == 404
    assert (
        autosave(client, assessments.other, OFFENCE, {f"{OFFENCE}[answer]": "yes"}).status_code
        == 404
    )
    reviewer = app.test_client()
    sign_in(reviewer, world.reviewer.email)
    assert reviewer.get(f"/assessments/{assessments.own}/sections/jurisdiction").status_code == 200
    assert (
        autosave(reviewer, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"}).status_code
        == 403
    )


# --- Carry-over ------------------------------------------------------------------------------


def test_a_new_cycle_starts_from_the_previous_finished_cycle(app, client, world, assessments):
    fill_required(app, assessments.own, world.own.id)
    sign_in(client, world.own.email)
    post_form(client, f"/assessments/{assessments.own}/submit")
    coordinator = app.test_client()
    sign_in(coordinator, world.coordinator.email)
    post_form(coordinator, f"/cycles/{assessments.cycle_id}/close")
    following = open_cycle(app, world, name="2029 round")
    with app.app_context():
        old = {
            a.question_id: a.value
            for a in db.session.scalars(
                select(Answer).where(Answer.assessment_id == assessments.own)
            )
        }
        new = {
            a.question_id: a
            for a in db.session.scalars(select(Answer).where(Answer.assessment_id == following.own))
        }
        assert new and all(answer.carried_over for answer in new.values())
        carried = {qid for qid, value in old.items() if value is not None}
        evidence_questions = {
            qid
            for qid in carried
            if isinstance(old[qid], list)
            and old[qid]
            and len(old[qid][0]) == 32
            and qid.endswith("evidence")
        }
        assert set(new) == carried - evidence_questions  # files stay with their assessment
        assert db.session.get(Assessment, following.own).carried_from_id == assessments.own
        assert (
            db.session.scalar(
                select(func.count(Answer.id)).where(Answer.assessment_id == following.other)
            )
            == 0
        )
    page = client.get(f"/assessments/{following.own}/sections/jurisdiction").get_data(as_text=True)
    assert "Carried over — please confirm" in page
    # Touching the answer (saving it, even unchanged) confirms it.
    version = new["jur.territory"].version
    autosave(
        client, following.own, "jur.territory", {"jur.territory[answer]": "yes"}, version=version
    )
    assert answer_row(app, following.own, "jur.territory").carried_over is False


# --- Evidence --------------------------------------------------------------------------------

EVIDENCE_QUESTION = "cap.legislative_status.evidence"


def upload(client, assessment_id, data, name, question_id=EVIDENCE_QUESTION, version=0):
    return post_form(
        client,
        f"/assessments/{assessment_id}/evidence",
        {"file": (io.BytesIO(data), name), "question_id": question_id, "version": str(version)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_evidence_is_attached_and_downloaded_only_by_those_entitled(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    page = upload(client, assessments.own, PDF, "../../Loi n° 2015-12\x00.txt").get_data(
        as_text=True
    )
    assert "is attached." in page
    with app.app_context():
        evidence = db.session.scalars(select(EvidenceFile)).one()
        stored = Path(app.config["UPLOAD_FOLDER"]) / evidence.public_id
        assert stored.read_bytes() == PDF
        assert "static" not in str(stored)
        assert (
            evidence.filename == "Loi n° 2015-12.pdf" and evidence.content_type == "application/pdf"
        )
    assert answer_row(app, assessments.own, EVIDENCE_QUESTION).value == [evidence.public_id]
    url = f"/assessments/{assessments.own}/evidence/{evidence.public_id}"
    with client.get(url) as download:
        assert download.status_code == 200 and download.data == PDF
        disposition = download.headers["Content-Disposition"]
    assert (
        disposition.startswith("attachment;")
        and "2015-12.pdf" in disposition
        and ".." not in disposition
    )
    stranger = app.test_client()
    sign_in(stranger, world.other.email)
    assert stranger.get(url).status_code == 404
    reviewer = app.test_client()
    sign_in(reviewer, world.reviewer.email)
    with reviewer.get(url) as allowed:
        assert allowed.status_code == 200


def test_a_disallowed_file_is_refused_and_nothing_is_stored(app, client, world, assessments):
    sign_in(client, world.own.email)
    executable = b"MZ\x90\x00\x03" + b"\x00" * 200
    page = upload(client, assessments.own, executable, "report.pdf").get_data(as_text=True)
    assert "Only PDF, DOCX, XLSX, ODT, PNG and JPEG files are accepted." in page
    page = upload(client, assessments.own, b"just text", "notes.pdf").get_data(as_text=True)
    assert "Only PDF, DOCX, XLSX, ODT, PNG and JPEG files are accepted." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(EvidenceFile.id))) == 0
        folder = Path(app.config["UPLOAD_FOLDER"])
        assert not folder.exists() or not any(folder.iterdir())
    assert answer_row(app, assessments.own, EVIDENCE_QUESTION) is None


def test_an_oversized_file_is_refused_before_anything_is_stored(
    app, client, world, assessments, monkeypatch
):
    sign_in(client, world.own.email)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    page = upload(client, assessments.own, PDF + b"0" * 2000, "big.pdf").get_data(as_text=True)
    assert "The file is larger than 0.001 MB." in page
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 5000)
    response = post_form(
        client,
        f"/assessments/{assessments.own}/evidence",
        {"file": (io.BytesIO(PDF + b"0" * 10_000), "huge.pdf"), "question_id": EVIDENCE_QUESTION},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302  # back to the page, with the reason (not a bare 413)
    with app.app_context():
        assert db.session.scalar(select(func.count(EvidenceFile.id))) == 0


# --- Submission ------------------------------------------------------------------------------


def test_submit_lists_what_is_missing_with_links(app, client, world, assessments):
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}/submit").get_data(as_text=True)
    assert "required questions have no answer" in page
    assert f"/assessments/{assessments.own}/sections/jurisdiction#q-jur.territory" in page
    # Grouped by section, each with its count, the first open and the others folded.
    assert re.search(r"<summary><span[^>]*>Jurisdiction</span> — \d+ questions</summary>", page)
    assert (
        page.count("<details") > 5
        and page.count('<details class="mb-2 border rounded px-3 py-2" open>') == 1
    )
    response = post_form(client, f"/assessments/{assessments.own}/submit", follow_redirects=True)
    assert "Some required questions have no answer yet." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assessment, assessments.own).status is AssessmentStatus.DRAFT


def test_submit_locks_the_assessment_and_officials_keep_reading(app, client, world, assessments):
    fill_required(app, assessments.own, world.own.id)
    sign_in(client, world.own.email)
    assert "Every required question is answered." in client.get(
        f"/assessments/{assessments.own}/submit"
    ).get_data(as_text=True)
    response = post_form(client, f"/assessments/{assessments.own}/submit", follow_redirects=True)
    assert "The assessment is submitted. Thank you." in response.get_data(as_text=True)
    with app.app_context():
        assessment = db.session.get(Assessment, assessments.own)
        assert assessment.status is AssessmentStatus.SUBMITTED
        assert assessment.submitted_by_id == world.own.id and assessment.submitted_at
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "assessment.submitted")
        ).one()
        assert event.actor_id == world.own.id and event.summary["country"] == "XAA"
    refused = autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "no"}, version=1)
    assert refused.status_code == 409
    assert "submitted; it can no longer be changed" in refused.get_json()["error"]["message"]
    page = client.get(f"/assessments/{assessments.own}/sections/jurisdiction")
    assert page.status_code == 200 and "read-only" in page.get_data(as_text=True)


def test_revisions_record_every_change(app, client, world, assessments):
    sign_in(client, world.own.email)
    for version, answer in enumerate(["yes", "partly", "no"]):
        autosave(client, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": answer}, version=version)
    with app.app_context():
        revisions = db.session.scalars(select(AnswerRevision).order_by(AnswerRevision.id)).all()
        assert [(r.old_value, r.new_value) for r in revisions] == [
            (None, {"answer": "yes"}),
            ({"answer": "yes"}, {"answer": "partly"}),
            ({"answer": "partly"}, {"answer": "no"}),
        ]
        assert {r.changed_by_id for r in revisions} == {world.own.id}


def test_a_reused_question_block_never_shows_an_old_answer(app, client, world, assessments):
    """Blocks are rendered once per answer version and language: changes and languages show."""
    with app.app_context():
        colleague = app.test_client()
        sign_in(colleague, make_colleague())
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/sections/substantive"
    checked = f'id="{OFFENCE}-partly" value="partly" checked'
    assert checked not in client.get(url).get_data(as_text=True)  # rendered and kept
    autosave(colleague, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "partly"})
    page = client.get(url).get_data(as_text=True)
    assert checked in page and "Last saved by Otto" in page
    autosave(colleague, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "no"}, version=1)
    page = client.get(url).get_data(as_text=True)
    assert checked not in page and f'id="{OFFENCE}-no" value="no" checked' in page
    post_form(client, "/language", {"language": "fr", "next": url})
    french = client.get(url).get_data(as_text=True)
    assert ">En partie<" in french and ">Partly<" not in french
    reviewer = app.test_client()
    sign_in(reviewer, world.reviewer.email)
    read_only = reviewer.get(url).get_data(as_text=True)
    assert f'name="{OFFENCE}[answer]"' not in read_only  # the official's form is not reused
    assert "<strong>No</strong>" in read_only


def test_a_section_without_required_questions_reads_optional_not_complete(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    page = client.get(f"/assessments/{assessments.own}").get_data(as_text=True)
    row = page[page.index(f"/assessments/{assessments.own}/sections/assistance") :]
    row = row[: row.index("</tr>")]
    assert "Optional" in row and "Complete" not in row and "0%" in row
    home = client.get("/").get_data(as_text=True)
    row = home[home.index(f"/assessments/{assessments.own}/sections/assistance") :]
    row = row[: row.index("</tr>")]
    assert "Optional" in row and "Complete" not in row


def prepare(client, version_id, name, countries=("XAA",), deadline="2027-06-30"):
    return post_form(
        client,
        "/cycles/new",
        {
            "name": name,
            "questionnaire_version": str(version_id),
            "deadline": deadline,
            "countries": list(countries),
        },
    )


def test_a_deadline_in_the_past_is_refused_next_to_the_field(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    response = prepare(client, loaded_library, "Late round", deadline="2020-01-31")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The deadline is in the past; choose a later date." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Cycle.id))) == 0


def test_a_country_takes_part_in_one_open_cycle_at_a_time(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    first = prepare(client, loaded_library, "First", countries=("XAA", "XAB"))
    second = prepare(client, loaded_library, "Second", countries=("XAB",))
    first_id = int(first.headers["Location"].rsplit("/", 1)[1])
    second_id = int(second.headers["Location"].rsplit("/", 1)[1])
    assert post_form(client, f"/cycles/{first_id}/open").status_code == 302
    page = client.get(f"/cycles/{second_id}").get_data(as_text=True)
    assert "Open the cycle" not in page  # not offered while XAB is in an open cycle
    refused = post_form(client, f"/cycles/{second_id}/open", follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "one open cycle at a time" in text and "Exampleland (First)" in text
    post_form(client, f"/cycles/{first_id}/close")
    assert post_form(client, f"/cycles/{second_id}/open").status_code == 302
    with app.app_context():
        assert db.session.get(Cycle, second_id).status is CycleStatus.OPEN


def test_a_draft_cycle_can_be_changed_and_deleted_an_open_one_cannot(
    app, client, world, loaded_library
):
    sign_in(client, world.coordinator.email)
    cycle_id = int(prepare(client, loaded_library, "Draft").headers["Location"].rsplit("/", 1)[1])
    form = client.get(f"/cycles/{cycle_id}/edit").get_data(as_text=True)
    assert 'value="Draft"' in form and "Change the cycle" in form
    changed = post_form(
        client,
        f"/cycles/{cycle_id}/edit",
        {
            "name": "Draft, renamed",
            "questionnaire_version": str(loaded_library),
            "deadline": "2028-01-31",
            "countries": ["XAB"],
        },
    )
    assert changed.status_code == 302
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        assert cycle.name == "Draft, renamed" and cycle.deadline.isoformat() == "2028-01-31"
        assert [country.code for country in cycle.countries] == ["XAB"]
    assert post_form(client, f"/cycles/{cycle_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Cycle, cycle_id) is None
    opened = int(prepare(client, loaded_library, "Open").headers["Location"].rsplit("/", 1)[1])
    post_form(client, f"/cycles/{opened}/open")
    refused = post_form(client, f"/cycles/{opened}/delete", follow_redirects=True)
    assert "Only a cycle in preparation can be deleted." in refused.get_data(as_text=True)
    assert client.get(f"/cycles/{opened}/edit").status_code == 302
    with app.app_context():
        assert db.session.get(Cycle, opened) is not None


def test_the_cycle_page_shows_each_countrys_progress_and_last_activity(
    app, client, world, assessments
):
    official = app.test_client()
    sign_in(official, world.own.email)
    autosave(official, assessments.own, OFFENCE, {f"{OFFENCE}[answer]": "yes"})
    sign_in(client, world.coordinator.email)
    page = client.get(f"/cycles/{assessments.cycle_id}").get_data(as_text=True)
    own = page[page.index(f"/assessments/{assessments.own}") :]
    own = own[: own.index("</tr>")]
    assert re.search(r"1 of \d+ \(\d+%\)", own) and "Olga" in own
    other = page[page.index(f"/assessments/{assessments.other}") :]
    assert "Not started" in other[: other.index("</tr>")]


def test_an_upload_says_what_happened_next_to_the_file_input(app, client, world, assessments):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/sections/legislative_status"
    question = "cap.legislative_status.evidence"
    page = client.get(url).get_data(as_text=True)
    assert "PNG or JPEG; at most 20 MB)" in page  # the limit, next to the input

    def upload(content: bytes, name: str):
        response = post_form(
            client,
            f"/assessments/{assessments.own}/evidence",
            {"file": (io.BytesIO(content), name), "question_id": question, "version": "0"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"#q-{question}")
        return client.get(response.headers["Location"]).get_data(as_text=True)

    def notice(html: str) -> str:
        block = html[html.index(f'id="q-{question}"') :]
        block = block[: block.index(f'id="{question}-file"')]
        return re.sub(r"\\s+", " ", block)

    assert "Only PDF, DOCX, XLSX, ODT, PNG and JPEG files are accepted." in notice(
        upload(b"MZ\\x90\\x00 not a document", "tool.exe")
    )
    assert "law.pdf is attached." in notice(upload(PDF, "law.pdf"))
    assert "is attached" not in notice(client.get(url).get_data(as_text=True))  # once only
    forged = client.get(f"{url}?upload={question}&notice=<b>hello</b>").get_data(as_text=True)
    assert "<b>hello</b>" not in forged and "The file was not attached." in forged


def test_a_file_over_the_request_limit_returns_to_the_page_with_the_reason(
    app, client, world, assessments
):
    sign_in(client, world.own.email)
    url = f"/assessments/{assessments.own}/sections/legislative_status"
    app.config["MAX_CONTENT_LENGTH"], limit = 50_000, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = post_form(
            client,
            f"/assessments/{assessments.own}/evidence",
            {"file": (io.BytesIO(PDF + b"0" * 100_000), "big.pdf"), "question_id": "x"},
            content_type="multipart/form-data",
            headers={"Referer": f"http://localhost{url}"},
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 302 and response.headers["Location"] == url
    assert "The file is larger than 20 MB." in client.get(url).get_data(as_text=True)
