"""The scoring engine, rule by rule (``shared/domain/scoring.md``): tables of cases on small rules,
the shipped questionnaire end to end, and properties (deterministic, monotone)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.frameworks.library import read_library
from app.scoring import engine
from app.scoring.engine import (
    AreaRule,
    ElementRule,
    Facts,
    IndicatorRule,
    ProvisionRule,
    ReservationRule,
    Rules,
)
from tests.conftest import QUESTIONNAIRES


def element(name: str, core: bool = False, stage: bool = True) -> ElementRule:
    return ElementRule(
        f"alpha:1.{name}", core, (f"q.{name}",), (f"q.{name}.citation",) if stage else ()
    )


def provision(*elements: ElementRule, obligation="mandatory", core=True) -> ProvisionRule:
    return ProvisionRule(
        "alpha:1", "alpha", "1", "substantive", obligation, core, 1.0, ("training",), elements
    )


ELEMENTS = (element("power", core=True), element("scope"), element("duration"), element("renewal"))
RULES = Rules(
    "q", "1", ("alpha",), (provision(*ELEMENTS),),
    {("alpha", "res1"): ReservationRule("alpha", "res1", "1(3)", "reservation",
                                        frozenset({"alpha:1.renewal"})),
     ("alpha", "res2"): ReservationRule("alpha", "res2", "1(4)", "reservation",
                                        frozenset({"alpha:1"}))},
    (), priority_threshold=0,
    by_ref={},
)  # fmt: skip
RULES = dataclasses.replace(RULES, by_ref={p.ref: p for p in RULES.provisions})


def facts_of(statuses: dict[str, str], stages: dict[str, str] | None = None, **more) -> Facts:
    """Facts where each element's question says ``statuses[name]`` (met/partly/not_met/na) and
    its citation records ``stages[name]`` (in force unless told)."""
    stages = stages or {}
    visible = set(more.pop("visible", ()))
    answered, recorded = {}, {}
    for name, status in statuses.items():
        visible |= {f"q.{name}", f"q.{name}.citation"}
        if status is not None:
            answered[f"q.{name}"] = status
            recorded[f"q.{name}.citation"] = stages.get(name, "in_force")
    return Facts(answered, recorded, more.pop("indicators", {}),
                 frozenset(more.pop("reservations", ())), frozenset(visible))  # fmt: skip


ALL_MET = {"power": "met", "scope": "met", "duration": "met", "renewal": "met"}


@pytest.mark.parametrize(
    ("statuses", "stages", "reservations", "rating", "rule"),
    [
        (ALL_MET, {}, (), "C", "all_met"),
        ({**ALL_MET, "renewal": "partly"}, {}, (), "LC", "non_core_gaps"),
        ({**ALL_MET, "scope": "not_met"}, {}, (), "LC", "non_core_gaps"),
        ({**ALL_MET, "scope": "not_met", "duration": "not_met"}, {}, (), "PC", "most_not_met"),
        ({**ALL_MET, "scope": "not_met", "duration": "partly"}, {}, (), "LC", "non_core_gaps"),
        ({**ALL_MET, "scope": "not_met", "duration": "not_met", "renewal": "not_met"}, {}, (),
         "PC", "most_not_met"),
        ({**ALL_MET, "power": "partly"}, {}, (), "PC", "core_partly"),
        ({**ALL_MET, "power": "not_met"}, {}, (), "NC", "core_not_met"),
        ({**ALL_MET, "power": "not_met", "scope": "partly"}, {}, (), "NC", "core_not_met"),
        # A claim of "met" on a draft law is not met, and reported in progress.
        (ALL_MET, {"power": "draft"}, (), "NC", "core_not_met"),
        (ALL_MET, {"scope": "tabled"}, (), "LC", "non_core_gaps"),
        ({**ALL_MET, "power": "partly"}, {"power": "adopted"}, (), "NC", "core_not_met"),
        (dict.fromkeys(ALL_MET, "na"), {}, (), "NA", "all_na"),
        ({**ALL_MET, "renewal": "na"}, {}, (), "C", "all_met"),
        # A recorded reservation: on an element it drops out; on the provision, NA.
        ({**ALL_MET, "renewal": "not_met"}, {}, [("alpha", "res1")], "C", "all_met"),
        ({**ALL_MET, "power": "not_met"}, {}, [("alpha", "res2")], "NA", "reserved"),
        # Unanswered elements leave the provision not yet rated.
        ({**ALL_MET, "scope": None}, {}, (), "NR", "unanswered"),
    ],
)  # fmt: skip
def test_every_rule_of_the_derived_rating(statuses, stages, reservations, rating, rule):
    card = engine.score(RULES, facts_of(statuses, stages, reservations=reservations))
    result = card.provisions["alpha:1"]
    assert (result.rating, result.reason.code) == (rating, rule)


def test_a_draft_law_counts_as_not_met_and_is_reported_in_progress():
    result = engine.score(RULES, facts_of(ALL_MET, {"scope": "draft"})).provisions["alpha:1"]
    scope = next(e for e in result.elements if e.ref == "alpha:1.scope")
    assert (scope.status, scope.in_progress, scope.reason.code) == (
        "not_met",
        True,
        "element_not_in_force",
    )
    assert result.in_progress
    # "No law" is not progress.
    result = engine.score(RULES, facts_of(ALL_MET, {"scope": "none"})).provisions["alpha:1"]
    assert not result.in_progress


def test_hidden_questions_are_ignored():
    # The questions of "renewal" are hidden (not visible): the element is not scored at all,
    # even though an earlier answer said "not met".
    facts = facts_of({k: v for k, v in ALL_MET.items() if k != "renewal"})
    facts = Facts({**facts.statuses}, facts.stages, {}, frozenset(), facts.visible)
    result = engine.score(RULES, facts).provisions["alpha:1"]
    assert result.rating == "C"
    renewal = next(e for e in result.elements if e.ref == "alpha:1.renewal")
    assert renewal.status == "not_asked"


@pytest.mark.parametrize("obligation", ["consider", "optional"])
def test_consider_and_optional_provisions_are_rated_but_never_failures(obligation):
    rule = provision(element("forward"), element("conditions"), obligation=obligation, core=False)
    rules = Rules("q", "1", ("alpha",), (rule,), {}, (), 0, by_ref={rule.ref: rule})
    card = engine.score(rules, facts_of({"forward": "not_met", "conditions": "not_met"}))
    result = card.provisions["alpha:1"]
    assert result.rating == "PC"  # rated and reported ...
    assert not result.gap  # ... but not a failure:
    assert card.frameworks["alpha"].gaps == 0
    assert card.triggers == () and card.gaps == ()


def test_priority_follow_up_names_the_trigger_that_fired():
    card = engine.score(RULES, facts_of({**ALL_MET, "power": "partly"}))
    assert [(t.kind, t.provisions) for t in card.triggers] == [
        ("core", ("alpha:1",)),
        ("threshold", ("alpha:1",)),
    ]
    assert card.gaps[0].ref == "alpha:1" and card.gaps[0].assistance == ("training",)


def test_roll_ups_count_ratings_and_the_index_is_weighted():
    second = ProvisionRule("alpha:2", "alpha", "2", "substantive", "mandatory", False, 3.0, (),
                           (ElementRule("alpha:2.x", True, ("q.x",), ()),))  # fmt: skip
    first = RULES.provisions[0]
    rules = Rules("q", "1", ("alpha",), (first, second), {}, (), 5,
                  by_ref={first.ref: first, second.ref: second})  # fmt: skip
    facts = facts_of({**ALL_MET, "power": "partly", "x": "met"})
    card = engine.score(rules, facts)
    rollup = card.frameworks["alpha"]
    assert rollup.counts == {"C": 1, "LC": 0, "PC": 1, "NC": 0, "NA": 0, "NR": 0}
    assert rollup.gaps == 1
    assert rollup.index == round((33 * 1 + 100 * 3) / 4, 1)
    assert card.clusters[("alpha", "substantive")] == rollup


def test_a_maturity_stage_needs_every_indicator_of_it_and_below():
    area = AreaRule("contact_point", (
        IndicatorRule("contact_point.designated", 1, ("q.a",)),
        IndicatorRule("contact_point.reachable", 2, ("q.b",)),
        IndicatorRule("contact_point.tested", 2, ("q.c",)),
        IndicatorRule("contact_point.reviewed", 3, ("q.d",)),
    ))  # fmt: skip
    rules = Rules("q", "1", (), (), {}, (area,), 5)

    def stage(**met):
        said = {f"contact_point.{name}": {"q": value} for name, value in met.items()}
        return engine.score(rules, Facts(indicators=said)).areas["contact_point"]

    assert stage().stage == 0
    assert stage(designated=True, reachable=True).stage == 1  # "tested" missing for stage 2
    assert stage(designated=True, reachable=True).missing == ("contact_point.tested",)
    assert stage(designated=True, reachable=True, tested=True).stage == 2
    assert stage(reachable=True, tested=True, reviewed=True).stage == 0  # stage 1 not met
    assert stage(designated=True, reachable=True, tested=True, reviewed=True).stage == 3
    # Every answer that evidences an indicator must show it: one "no" holds the stage back.
    said = {"contact_point.designated": {"q.a": True, "q.z": False}}
    assert engine.score(rules, Facts(indicators=said)).areas["contact_point"].stage == 0
    card = engine.score(rules, Facts(), targets={"contact_point": 3})
    assert [(g.kind, g.ref, g.rating_or_stage) for g in card.gaps] == [
        ("area", "contact_point", "0")
    ]


# --- The shipped questionnaire --------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    library = read_library([QUESTIONNAIRES])
    questionnaire = library.questionnaires[0]
    questions = {q.id: q for section in questionnaire.sections for q in section.questions}
    return engine.compile_rules(questionnaire, library.frameworks), questions


def full_answers(questions) -> dict:
    return {qid: q.sample_value(0) for qid, q in questions.items() if not q.holds_files}


def test_one_answer_rates_every_framework_it_is_mapped_to(shipped):
    rules, questions = shipped
    answers = full_answers(questions)
    before = engine.score(rules, engine.facts(questions, answers, questions))
    assert before.provisions["budapest:2"].rating == "C"
    assert before.provisions["un-cybercrime:7"].rating == "C"
    answers["sub.illegal_access.offence"] = {"answer": "no"}
    after = engine.score(rules, engine.facts(questions, answers, questions))
    assert after.provisions["budapest:2"].rating == "NC"
    assert after.provisions["un-cybercrime:7"].rating == "NC"
    assert after.provisions["budapest:2"].reason.code == "core_not_met"


def test_a_recorded_reservation_makes_what_it_covers_not_applicable(shipped):
    rules, questions = shipped
    answers = full_answers(questions)
    answers["sub.misuse_of_devices.possession"] = {"answer": "no"}
    answers["sub.misuse_of_devices.devices"] = {"answer": "no"}
    answers["un.reservations"] = None  # (its sample records the UN Convention's Art. 11 one)

    def rated(reservations):
        values = {**answers, "budapest.reservations": reservations}
        return engine.score(rules, engine.facts(questions, values, set(questions))).provisions

    without, reserved = rated(None), rated(["art6_3"])
    assert without["budapest:6"].rating == "LC"
    assert reserved["budapest:6"].rating == "C"
    statuses = {e.ref: e.status for e in reserved["budapest:6"].elements}
    assert statuses["budapest:6.possession"] == statuses["budapest:6.devices"] == "na"
    # A reservation under one treaty never excuses the other: the UN Convention's matching
    # provision is rated on the facts whatever Budapest reservation was made.
    assert reserved["un-cybercrime:11"].rating == without["un-cybercrime:11"].rating != "C"


def test_maturity_stages_of_the_shipped_areas_follow_the_checklists_and_their_evidence(shipped):
    from app.frameworks.types import IndicatorChecklist

    rules, questions = shipped
    answers = full_answers(questions)
    checklists = [q for q in questions.values() if isinstance(q, IndicatorChecklist)]
    for checklist in checklists:
        answers[checklist.id] = None  # nothing ticked: no area reaches stage 1
    card = engine.score(rules, engine.facts(questions, answers, questions))
    assert {area.stage for area in card.areas.values()} == {0}
    for checklist in checklists:
        answers[checklist.id] = list(checklist.indicators)  # every indicator ticked ...
    card = engine.score(rules, engine.facts(questions, answers, questions))
    assert {area.stage for area in card.areas.values()} == {5}
    # ... but a stage-1 indicator that another answer contradicts holds the whole area back.
    contradicting = next(
        q
        for q in questions.values()
        if q.rates_elements is False
        and not isinstance(q, IndicatorChecklist)
        and "contact_point.designated" in q.indicators
    )
    answers[contradicting.id] = None
    card = engine.score(rules, engine.facts(questions, answers, questions))
    assert card.areas["contact_point"].stage == 0
    assert "contact_point.designated" in card.areas["contact_point"].missing


def test_the_scorecard_names_its_versions(shipped):
    rules, questions = shipped
    card = engine.score(rules, engine.facts(questions, full_answers(questions), questions))
    assert (card.questionnaire_version, card.rules_version) == ("2026.2", engine.RULES_VERSION)
    assert set(card.frameworks) == {"budapest", "budapest-p1", "budapest-p2", "un-cybercrime"}


# --- Properties -----------------------------------------------------------------------------

NAMES = ("power", "scope", "duration", "renewal")
STATUS = st.sampled_from(["met", "partly", "not_met"])
STAGE = st.sampled_from(engine.STAGES)
RANK = {rating: i for i, rating in enumerate(engine.ORDER)}


@settings(max_examples=300, deadline=None)
@given(
    statuses=st.fixed_dictionaries(dict.fromkeys(NAMES, STATUS)),
    stages=st.fixed_dictionaries(dict.fromkeys(NAMES, STAGE)),
    which=st.sampled_from(NAMES),
    improve_stage=st.booleans(),
)
def test_scoring_is_deterministic_and_improving_an_answer_never_lowers_a_rating(
    statuses, stages, which, improve_stage
):
    facts = facts_of(statuses, stages)
    first = engine.score(RULES, facts)
    assert engine.score(RULES, facts) == first  # the same facts, the same scorecard
    better_statuses, better_stages = dict(statuses), dict(stages)
    if improve_stage:
        better_stages[which] = engine.STAGES[min(engine.STAGES.index(stages[which]) + 1, 4)]
    else:
        better_statuses[which] = engine.STATUSES[min(engine.STATUSES.index(statuses[which]) + 1, 2)]
    after = engine.score(RULES, facts_of(better_statuses, better_stages))
    before_rating = first.provisions["alpha:1"].rating
    after_rating = after.provisions["alpha:1"].rating
    assert RANK[after_rating] >= RANK[before_rating], (before_rating, after_rating)


CODES = {
    "all_met": {}, "non_core_gaps": {"elements": ("alpha:1.scope",)},
    "most_not_met": {"elements": ("alpha:1.scope", "alpha:1.duration"), "of": 3},
    "core_partly": {"elements": ("alpha:1.power",)}, "core_not_met": {"elements": ("alpha:1.power",)},
    "unanswered": {"elements": ("alpha:1.scope",)}, "reserved": {"reservation": "6(3)"},
    "all_reserved": {"reservation": "6(3)"}, "all_na": {}, "element_not_in_force": {"stage": "tabled"},
    "element_reserved": {"reservation": "6(3)"}, "element_met": {}, "element_partly": {},
    "element_not_met": {}, "element_na": {}, "element_unanswered": {}, "element_not_asked": {},
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_reason_reads_as_words_in_each_language(app, language):
    from flask_babel import force_locale

    from app.scoring.explain import explain, rating_definitions

    names = {"alpha:1.scope": "Covers all data", "alpha:1.power": "The power exists"}
    with app.test_request_context(), force_locale(language):
        texts = {
            code: explain(engine._reason(code, **values), lambda ref: names.get(ref, ref))
            for code, values in CODES.items()
        }
        assert len(rating_definitions()) == len(engine.RATINGS)
    assert all(text and "%(" not in text for text in texts.values()), texts
    assert "Covers all data" in texts["non_core_gaps"]
    assert "6(3)" in texts["reserved"]
    if language == "fr":
        assert texts["all_met"] != "Every applicable element is met by law in force."


def test_the_final_ratings_are_counted_in_place_of_the_derived_ones():
    """Roll-ups, priority follow-up and gap candidates of the final view count the reviewers'
    ratings and stages; the reasons stay the derived ones."""
    card = engine.score(RULES, facts_of(ALL_MET))
    assert card.provisions["alpha:1"].rating == "C" and not card.triggers
    final = engine.with_ratings(RULES, card, {"alpha:1": "PC"})
    assert final.provisions["alpha:1"].rating == "PC"
    assert final.provisions["alpha:1"].reason == card.provisions["alpha:1"].reason
    assert (
        final.frameworks["alpha"].counts["PC"] == 1 and final.frameworks["alpha"].counts["C"] == 0
    )
    assert final.clusters[("alpha", "substantive")].index == 33
    assert [t.kind for t in final.triggers] == ["core", "threshold"]
    assert [g.ref for g in final.gaps] == ["alpha:1"]
    assert engine.with_ratings(RULES, card, {}) == card  # nothing given: the derived view
