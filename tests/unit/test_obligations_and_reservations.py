"""Obligation strength, reservations as data, institutions and ``replaces``: the checks of the
library on small fixtures, and what the shipped files hold."""

from __future__ import annotations

import pytest

from app.frameworks.library import read_library
from app.frameworks.schema import Provision
from app.frameworks.types import AnswerError
from tests.conftest import QUESTIONNAIRES
from tests.unit.test_library_validation import ALPHA, QUESTIONNAIRE, library_from, line_of

#: Alpha with a permissive article 3 and two reservations.
ALPHA_3 = ALPHA.replace(
    '    crosswalk: ["beta:7"]\n',
    '    crosswalk: ["beta:7"]\n'
    '  - id: "3"\n'
    '    article: "3"\n'
    "    title: {en: Spontaneous information, fr: Information spontanée}\n"
    "    cluster: substantive\n"
    "    summary: {en: May forward, fr: Peut transmettre}\n"
    "    obligation: optional\n"
    "    obligation_basis: \"Art. 3: 'A Party may … forward'\"\n"
    "    elements:\n"
    "      - id: forward\n"
    "        text: {en: Can forward, fr: Peut transmettre}\n",
) + (
    "reservations:\n"
    "  - id: art2_2\n"
    "    kind: reservation\n"
    '    article: "2(2)"\n'
    "    text: {en: 'Reservation: intent required', fr: 'Réserve : intention exigée'}\n"
    '    covers: ["alpha:2.intent"]\n'
    "  - id: art2_3\n"
    "    kind: reservation\n"
    '    article: "2(3)"\n'
    "    text: {en: 'Reservation: not to apply Art. 2', fr: 'Réserve : art. 2 non appliqué'}\n"
    '    covers: ["alpha:2"]\n'
    "  - id: art3_1\n"
    "    kind: declaration\n"
    '    article: "3(1)"\n'
    "    text: {en: 'Declaration: on request only', fr: 'Déclaration : sur demande'}\n"
)

RESERVATION_QUESTIONS = QUESTIONNAIRE.replace(
    "      - id: sub.access.details\n",
    "      - id: treaty.alpha.reservations\n"
    "        type: reservations\n"
    "        framework: alpha\n"
    "        label: {en: Which reservations?, fr: Quelles réserves ?}\n"
    "      - id: treaty.alpha.reservations_only\n"
    "        type: reservations\n"
    "        framework: alpha\n"
    "        kinds: [reservation, notification]\n"
    "        label: {en: Reservations only?, fr: Réserves seules ?}\n"
    "      - id: sub.access.details\n",
)


def problems_of(library) -> list[str]:
    return [str(problem) for problem in library.problems]


def test_a_permissive_provision_with_its_wording_and_reservations_is_valid(tmp_path):
    library = library_from(tmp_path, alpha=ALPHA_3)
    assert problems_of(library) == []
    permissive = library.frameworks["alpha"].provisions[1]
    assert (permissive.obligation, permissive.binding) == ("optional", False)
    assert [r.id for r in library.frameworks["alpha"].reservations] == [
        "art2_2",
        "art2_3",
        "art3_1",
    ]


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("    obligation_basis: \"Art. 3: 'A Party may … forward'\"\n", "", "obligation: optional",
         "provisions.1.obligation: say which wording makes the provision optional"),
        ("        text: {en: Can forward, fr: Peut transmettre}\n",
         "        text: {en: Can forward, fr: Peut transmettre}\n        core: true  # wrong\n",
         "core: true  # wrong", "an optional provision has no core element"),
        ("    obligation: optional\n", "    obligation: consider\n    core: true  # wrong\n",
         "core: true  # wrong",
         "provisions.1.core: a consider provision never fires priority follow-up"),
        ("    obligation: optional\n", "    obligation: mandatory\n", "elements:\n      - id: forward",
         "a mandatory provision needs a core element"),
        ('    covers: ["alpha:2.intent"]\n', '    covers: ["alpha:2.motive"]\n', "alpha:2.motive",
         "reservations.0.covers.0: 'alpha:2.motive' is not a provision or element of alpha"),
        ("  - id: art3_1\n", "  - id: art2_2\n", "id: art2_2\n    kind: declaration",
         "duplicate reservation 'art2_2'"),
        ("    kind: declaration\n", "    kind: wish\n", "kind: wish", "'wish' is not allowed"),
    ],
)  # fmt: skip
def test_obligation_and_reservation_problems(tmp_path, old, new, needle, message):
    text = ALPHA_3.replace(old, new, 1)
    assert text != ALPHA_3
    problems = problems_of(library_from(tmp_path, alpha=text))
    where = f"{tmp_path / 'alpha.yaml'}:{line_of(text, needle)}: "
    assert any(p.startswith(where) and message in p for p in problems), (where, problems)


def test_versions_stored_with_the_old_optional_flag_still_read():
    old = {
        "id": "26",
        "article": "26",
        "title": {"en": "Spontaneous information"},
        "cluster": "cooperation",
        "summary": {"en": "May forward"},
        "optional": True,
        "elements": [{"id": "forward", "text": {"en": "Can forward"}}],
    }
    assert Provision.model_validate(old).obligation == "optional"
    assert Provision.model_validate({**old, "optional": False}).obligation == "mandatory"


def test_reservation_choices_come_from_the_framework_file(tmp_path):
    library = library_from(tmp_path, alpha=ALPHA_3, questionnaire=RESERVATION_QUESTIONS)
    assert problems_of(library) == []
    questions = {q.id: q for q in library.questionnaires[0].sections[0].questions}
    both, reservations_only = (
        questions["treaty.alpha.reservations"],
        questions["treaty.alpha.reservations_only"],
    )
    assert both.choice_values() == ("art2_2", "art2_3", "art3_1")
    assert both.choices[0].label == {
        "en": "Art. 2(2) — Reservation: intent required",
        "fr": "Art. 2(2) — Réserve : intention exigée",
    }
    # A value is one of the framework's items; anything else is refused.
    assert both.normalise(["art3_1", "art2_2"]) == ["art2_2", "art3_1"]
    with pytest.raises(AnswerError):
        both.normalise(["art9_9"])
    # ``kinds`` narrows the options.
    assert reservations_only.choice_values() == ("art2_2", "art2_3")


def test_reservation_questions_need_options_from_a_framework_of_the_questionnaire(tmp_path):
    text = RESERVATION_QUESTIONS.replace(
        "framework: alpha\n        kinds", "framework: gamma\n        kinds"
    )
    problems = problems_of(library_from(tmp_path, alpha=ALPHA_3, questionnaire=text))
    assert any("framework 'gamma' is not in this questionnaire" in p for p in problems), problems
    written = RESERVATION_QUESTIONS.replace(
        "        framework: alpha\n        label: {en: Which",
        "        framework: alpha\n        choices: [{value: a, label: {en: A, fr: A}},"
        " {value: b, label: {en: B, fr: B}}]\n        label: {en: Which",
    )
    assert written != RESERVATION_QUESTIONS
    problems = problems_of(library_from(tmp_path, alpha=ALPHA_3, questionnaire=written))
    message = "the options of a reservations question come from the library"
    assert any(message in p for p in problems), problems


def test_a_kinds_filter_leaving_fewer_than_two_options_is_a_problem(tmp_path):
    text = RESERVATION_QUESTIONS.replace(
        "kinds: [reservation, notification]", "kinds: [declaration]"
    )
    problems = problems_of(library_from(tmp_path, alpha=ALPHA_3, questionnaire=text))
    assert any("defines fewer than two items of these kinds" in p for p in problems), problems


def test_institutions_answered_by_and_replaces(tmp_path):
    text = (
        QUESTIONNAIRE.replace(
            "sections:\n",
            "institutions:\n"
            "  - {id: police, label: {en: Police, fr: Police}}\n"
            "  - {id: prosecution, label: {en: Prosecution, fr: Parquet}}\n"
            "sections:\n",
            1,
        )
        .replace(
            "    title: {en: Offences, fr: Infractions}\n",
            "    title: {en: Offences, fr: Infractions}\n    answered_by: [police]\n",
        )
        .replace(
            "      - id: sub.access.details\n",
            "      - id: sub.contributors\n"
            "        type: institutions\n"
            "        label: {en: Who contributed?, fr: Qui a contribué ?}\n"
            "        replaces: [sub.old_contributors]\n"
            "      - id: sub.access.details\n",
        )
    )
    library = library_from(tmp_path, questionnaire=text)
    assert problems_of(library) == []
    question = library.questionnaires[0].sections[0].questions[2]
    assert question.choice_values() == ("police", "prosecution")
    assert question.replaces == ["sub.old_contributors"]

    wrong = text.replace("answered_by: [police]", "answered_by: [judiciary]")
    problems = problems_of(library_from(tmp_path, questionnaire=wrong))
    assert any("'judiciary' is not in the questionnaire's institutions" in p for p in problems)
    itself = text.replace("replaces: [sub.old_contributors]", "replaces: [sub.access.intent]")
    problems = problems_of(library_from(tmp_path, questionnaire=itself))
    assert any("'sub.access.intent' is a question of this version" in p for p in problems)


# --- The shipped files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    library = read_library([QUESTIONNAIRES])
    assert library.ok, [str(p) for p in library.problems[:5]]
    return library


def test_every_provision_that_is_not_mandatory_rests_on_a_quoted_wording(shipped):
    listed = {
        f"{framework.id}:{provision.id}": (provision.obligation, provision.obligation_basis)
        for framework in shipped.frameworks.values()
        for provision in framework.provisions
        if provision.obligation != "mandatory"
    }
    # The classifications the legal review asked for, each with the wording it rests on.
    expected = {
        "budapest:26": "optional",
        "budapest:32": "optional",
        "budapest-p2:11": "optional",
        "budapest-p2:12": "optional",
        "un-cybercrime:20": "consider",
        "un-cybercrime:39": "consider",
        "un-cybercrime:48": "consider",
        "un-cybercrime:51": "consider",
        "un-cybercrime:32": "optional",
        "un-cybercrime:38": "optional",
    }
    for ref, obligation in expected.items():
        assert listed[ref][0] == obligation, ref
    for ref, (obligation, basis) in sorted(listed.items()):
        words = ("may", "consider", "endeavour", "appropriate", "peut", "envisag")
        assert basis and any(word in basis.lower() for word in words), (ref, obligation, basis)


def test_no_optional_or_consider_provision_has_a_core_element(shipped):
    for framework in shipped.frameworks.values():
        for provision in framework.provisions:
            if provision.obligation != "mandatory":
                ref = f"{framework.id}:{provision.id}"
                assert not provision.core, ref
                assert not [e.id for e in provision.elements if e.core], ref


def test_every_framework_lists_its_reservations_and_each_has_a_question(shipped):
    questionnaire = next(q for q in shipped.questionnaires if q.version == "2026.2")
    asked: dict[str, set[str]] = {}
    for section in questionnaire.sections:
        for question in section.questions:
            if question.type == "reservations":
                asked.setdefault(question.framework, set()).update(question.choice_values())
    for framework in shipped.frameworks.values():
        assert framework.reservations, framework.id
        assert asked[framework.id] == {item.id for item in framework.reservations}, framework.id
    budapest = {item.article for item in shipped.frameworks["budapest"].reservations}
    for paragraph in ("6(3)", "9(4)", "10(3)", "11(3)", "14(3)", "22(2)", "29(4)", "41(1)"):
        assert paragraph in budapest


def test_the_budapest_elements_found_missing_are_there_and_asked(shipped):
    questionnaire = next(q for q in shipped.questionnaires if q.version == "2026.2")
    evidenced = {
        ref for section in questionnaire.sections for q in section.questions for ref in q.evidences
    }
    for ref in ("budapest:15.third_parties", "budapest:22.consultation",
                "budapest:29.inform_requesting"):  # fmt: skip
        assert ref in evidenced, ref
