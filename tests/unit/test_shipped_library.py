"""The shipped questionnaire and framework files: valid, complete, and faithful to the treaties."""

from __future__ import annotations

from app.frameworks.coverage import coverage

#: Articles each framework must cover (Budapest 2–35, P1 3–7, P2 6–14, UN 7–53).
EXPECTED = {
    "budapest": range(2, 36),
    "budapest-p1": range(3, 8),
    "budapest-p2": range(6, 15),
    "un-cybercrime": range(7, 54),
}

#: Budapest Article -> UN Convention article, from the crosswalk table of conventions.md.
BUDAPEST_TO_UN = {
    2: 7, 3: 8, 4: 9, 5: 10, 6: 11, 7: 12, 8: 13, 9: 14, 11: 19, 12: 18, 13: 21, 14: 23, 15: 24,
    16: 25, 17: 26, 18: 27, 19: 28, 20: 29, 21: 30, 22: 22, 23: 35, 24: 37, 25: 40, 26: 40,
    27: 40, 28: 40, 29: 42, 30: 43, 31: 44, 33: 45, 34: 46, 35: 41,
}  # fmt: skip
#: Budapest Art. 42: the only provisions on which a reservation may be made (plus 20 and 21
#: through Art. 14(3)); Art. 40: the only declarations.
RESERVATIONS = {4, 6, 9, 10, 11, 14, 20, 21, 22, 29}
DECLARATIONS = {2, 3, 6, 7, 9, 27}
CORE = {2, 9, 15, 16, 17, 18, 19, 29, 31, 35}


def test_every_shipped_file_is_valid(shipped_library):
    assert shipped_library.problems == []
    assert set(shipped_library.frameworks) == set(EXPECTED)
    assert [q.id for q in shipped_library.questionnaires] == ["catf-self-assessment"]


def test_every_provision_of_every_framework_is_covered(shipped_library):
    result = coverage(shipped_library.frameworks, shipped_library.questionnaires)
    for framework_id, articles in EXPECTED.items():
        cover = result[framework_id]
        assert sorted(map(int, cover.provisions)) == list(articles), framework_id
        assert cover.uncovered == [], framework_id
        assert cover.uncovered_elements == [], framework_id


def test_every_provision_has_a_core_element_and_a_legislative_citation(shipped_library):
    questions = {
        question.id: question
        for questionnaire in shipped_library.questionnaires
        for section in questionnaire.sections
        for question in section.questions
    }
    cited = {
        ref.rsplit(".", 1)[0]
        for question in questions.values()
        if question.type == "legal_citation"
        for ref in question.evidences
    }
    for framework in shipped_library.frameworks.values():
        for provision in framework.provisions:
            ref = f"{framework.id}:{provision.id}"
            assert ref in cited, f"{ref} has no legal_citation question"


def test_budapest_crosswalk_matches_the_conventions_table(shipped_library):
    budapest = {int(p.id): p for p in shipped_library.frameworks["budapest"].provisions}
    for article, un_article in BUDAPEST_TO_UN.items():
        assert f"un-cybercrime:{un_article}" in budapest[article].crosswalk, article
    for article in (10, 32):  # only in Budapest
        assert not [c for c in budapest[article].crosswalk if c.startswith("un-cybercrime:")]


def test_un_only_articles_have_no_budapest_match(shipped_library):
    un = {int(p.id): p for p in shipped_library.frameworks["un-cybercrime"].provisions}
    for article in (15, 16, 17, 20, 31, 32, 33, 34, 38, 39, 47, 49, 50, 51, 52):
        assert not [c for c in un[article].crosswalk if c.startswith("budapest:")], article


def test_budapest_reservations_declarations_and_core_flags(shipped_library):
    budapest = {int(p.id): p for p in shipped_library.frameworks["budapest"].provisions}
    assert {a for a, p in budapest.items() if p.reservation} == RESERVATIONS
    assert {a for a, p in budapest.items() if p.declaration} == DECLARATIONS
    assert {a for a, p in budapest.items() if p.core} == CORE


def test_sources_are_recorded(shipped_library):
    budapest = shipped_library.frameworks["budapest"]
    facts = " ".join(fact for source in budapest.sources for fact in source.facts)
    assert "ninety days" in facts and "sixty days" in facts and "one year" in facts


def test_maturity_areas_cover_the_six_capacities(shipped_library):
    (questionnaire,) = shipped_library.questionnaires
    assert [area.id for area in questionnaire.maturity_areas] == [
        "contact_point",
        "specialised_units",
        "training",
        "cooperation_practice",
        "statistics",
        "public_private",
    ]
