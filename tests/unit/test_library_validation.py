"""Each class of validation error, from a small malformed fixture, with its message and line."""

from __future__ import annotations

import textwrap
import time
import tracemalloc

import pytest
import yaml

from app.frameworks import source
from app.frameworks.library import read_library

ALPHA = textwrap.dedent("""\
    kind: framework
    id: alpha
    title: {en: Alpha Convention, fr: Convention Alpha}
    short_title: {en: Alpha, fr: Alpha}
    instrument: ETS 1
    version: "2001"
    languages: [en, fr]
    sources:
      - {title: Official text, reference: "https://example.org/alpha", checked: 2026-11-23}
    clusters:
      - id: substantive
        title: {en: Substantive law, fr: Droit matériel}
    provisions:
      - id: "2"
        article: "2"
        title: {en: Illegal access, fr: Accès illégal}
        cluster: substantive
        summary: {en: Criminalise access, fr: Incriminer l'accès}
        core: true
        elements:
          - id: offence
            text: {en: The offence exists, fr: L'infraction existe}
            core: true
          - id: intent
            text: {en: Intent suffices, fr: L'intention suffit}
        crosswalk: ["beta:7"]
""")

BETA = textwrap.dedent("""\
    kind: framework
    id: beta
    title: {en: Beta Convention, fr: Convention Bêta}
    short_title: {en: Beta, fr: Bêta}
    instrument: UN
    version: "2024"
    languages: [en, fr]
    sources:
      - {title: Official text, reference: "https://example.org/beta", checked: 2026-11-23}
    clusters:
      - id: substantive
        title: {en: Criminalization, fr: Incrimination}
    provisions:
      - id: "7"
        article: "7"
        title: {en: Illegal access, fr: Accès illégal}
        cluster: substantive
        summary: {en: Criminalise access, fr: Incriminer l'accès}
        elements:
          - id: offence
            text: {en: The offence exists, fr: L'infraction existe}
            core: true
        crosswalk: ["alpha:2"]
""")

QUESTIONNAIRE = textwrap.dedent("""\
    kind: questionnaire
    id: test-questionnaire
    version: "1"
    title: {en: Test, fr: Test}
    languages: [en, fr]
    frameworks: [alpha, beta]
    maturity_areas:
      - id: contact_point
        title: {en: 24/7 contact, fr: Contact 24/7}
        stages:
          - {stage: 1, indicators: [{id: designated, text: {en: Designated, fr: Désigné}}]}
          - {stage: 2, indicators: [{id: reachable, text: {en: Reachable, fr: Joignable}}]}
          - {stage: 3, indicators: [{id: tested, text: {en: Tested, fr: Testé}}]}
          - {stage: 4, indicators: [{id: reviewed, text: {en: Reviewed, fr: Revu}}]}
          - {stage: 5, indicators: [{id: improving, text: {en: Improving, fr: Amélioré}}]}
    sections:
      - id: substantive
        title: {en: Offences, fr: Infractions}
        questions:
          - id: sub.access.offence
            type: ynpn
            label: {en: Is access an offence?, fr: L'accès est-il une infraction ?}
            required: true
            evidences: ["alpha:2.offence", "beta:7.offence"]
          - id: sub.access.intent
            type: ynpn
            label: {en: Does intent suffice?, fr: L'intention suffit-elle ?}
            evidences: ["alpha:2.intent"]
            relevant: "sub.access.offence in ['yes', 'partly']"
          - id: sub.access.details
            type: long_text
            label: {en: Details, fr: Détails}
            relevant: "answered(sub.access.intent)"
      - id: contact
        title: {en: Contact point, fr: Point de contact}
        questions:
          - id: cap.contact.maturity
            type: indicator_checklist
            label: {en: Which are met?, fr: Lesquels sont remplis ?}
            indicators: [contact_point.designated, contact_point.reachable, contact_point.tested,
                         contact_point.reviewed, contact_point.improving]
""")


def library_from(tmp_path, alpha=ALPHA, beta=BETA, questionnaire=QUESTIONNAIRE):
    for name, text in (("alpha.yaml", alpha), ("beta.yaml", beta), ("q.yaml", questionnaire)):
        (tmp_path / name).write_text(text)
    return read_library([tmp_path])


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text[:index].count("\n") + 1


def test_the_fixture_is_valid(tmp_path):
    library = library_from(tmp_path)
    assert [str(p) for p in library.problems] == []
    assert set(library.frameworks) == {"alpha", "beta"}


def only_problem(library) -> str:
    assert len(library.problems) == 1, [str(p) for p in library.problems]
    return str(library.problems[0])


def test_yaml_syntax_error(tmp_path):
    broken = QUESTIONNAIRE.replace('version: "1"', "version: [1", 1)
    problem = only_problem(library_from(tmp_path, questionnaire=broken))
    assert problem.startswith(f"{tmp_path / 'q.yaml'}:")
    assert "YAML syntax error" in problem


def test_duplicate_key(tmp_path):
    text = ALPHA.replace('version: "2001"', 'version: "2001"\nversion: "2002"')
    problem = only_problem(library_from(tmp_path, alpha=text))
    assert problem == (
        f"{tmp_path / 'alpha.yaml'}:{line_of(text, 'version', 2)}: version: "
        f"duplicate key 'version' (first at line {line_of(text, 'version')})"
    )


@pytest.mark.parametrize(
    ("old", "new", "needle", "path", "message"),
    [
        ("        required: true\n", "        required: true\n        colour: red\n",
         "colour", "sections.0.questions.0.colour", "unknown field"),
        ("        type: long_text", "        type: essay", "type: essay",
         "sections.0.questions.2.type", "unknown question type 'essay'; known types: ynpn,"),
        ("version: \"1\"\n", "", "kind:", "version", "this field is required"),
        ("  - id: substantive\n    title: {en: Offences",
         "  - id: Sub Stantive\n    title: {en: Offences", "Sub Stantive",
         "sections.0.id", "'Sub Stantive' does not have the expected form"),
    ],
)  # fmt: skip
def test_schema_violations(tmp_path, old, new, needle, path, message):
    text = QUESTIONNAIRE.replace(old, new, 1)
    assert text != QUESTIONNAIRE
    problem = only_problem(library_from(tmp_path, questionnaire=text))
    prefix = f"{tmp_path / 'q.yaml'}:{line_of(text, needle)}: {path}: "
    assert problem.startswith(prefix) and message in problem, problem


def test_duplicate_question_id(tmp_path):
    text = QUESTIONNAIRE.replace("id: sub.access.details", "id: sub.access.intent")
    problems = [str(p) for p in library_from(tmp_path, questionnaire=text).problems]
    expected = (
        f"{tmp_path / 'q.yaml'}:{line_of(text, 'id: sub.access.intent', 2)}: "
        f"sections.0.questions.2.id: duplicate question id 'sub.access.intent' "
        f"(first at line {line_of(text, 'id: sub.access.intent')})"
    )
    assert expected in problems


def test_duplicate_element_id(tmp_path):
    text = ALPHA.replace("- id: intent", "- id: offence")
    problems = [str(p) for p in library_from(tmp_path, alpha=text).problems]
    assert any(
        p.startswith(f"{tmp_path / 'alpha.yaml'}:{line_of(text, 'id: offence', 2)}: "
                     "provisions.0.elements.1.id: duplicate element 'offence'")
        for p in problems
    ), problems  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ('"alpha:2.intent"', '"alpha:2.motive"', "alpha:2.motive", "unknown element 'alpha:2.motive'"),
        ('"alpha:2.intent"', '"alpha:99.intent"', "alpha:99.intent", "no provision 'alpha:99'"),
        ('"alpha:2.intent"', '"gamma:2.intent"', "gamma:2.intent",
         "framework 'gamma' is not in this questionnaire"),
        ("contact_point.tested,", "contact_point.teste,", "contact_point.teste,",
         "unknown maturity indicator 'contact_point.teste'"),
        ("answered(sub.access.intent)", "answered(sub.acess.intent)", "answered(sub.acess",
         "unknown question 'sub.acess.intent'"),
        ("in ['yes', 'partly']", "in ['yes', 'perhaps']", "'perhaps'",
         "'perhaps' is not a value of sub.access.offence (it takes yes, partly, no, na)"),
        ("in ['yes', 'partly']\"", "in ['yes', 'partly'\"", "'partly'\"", "invalid condition: "),
    ],
)  # fmt: skip
def test_dangling_references_and_bad_conditions(tmp_path, old, new, needle, message):
    text = QUESTIONNAIRE.replace(old, new, 1)
    assert text != QUESTIONNAIRE
    problems = [str(p) for p in library_from(tmp_path, questionnaire=text).problems]
    prefix = f"{tmp_path / 'q.yaml'}:{line_of(text, needle)}: "
    assert any(p.startswith(prefix) and message in p for p in problems), problems


def test_an_indicator_no_question_evidences(tmp_path):
    text = QUESTIONNAIRE.replace("contact_point.reviewed, ", "")
    problem = only_problem(library_from(tmp_path, questionnaire=text))
    assert problem == (
        f"{tmp_path / 'q.yaml'}:{line_of(text, 'id: reviewed')}: "
        "maturity_areas.0.stages.3.indicators.0.id: "
        "no question evidences indicator 'contact_point.reviewed'"
    )


def test_cycle_between_relevance_conditions(tmp_path):
    text = QUESTIONNAIRE.replace(
        '        required: true\n        evidences: ["alpha:2.offence"',
        '        required: true\n        relevant: "answered(sub.access.details)"\n'
        '        evidences: ["alpha:2.offence"',
    )
    problem = only_problem(library_from(tmp_path, questionnaire=text))
    assert "relevance conditions form a cycle: sub.access.details → sub.access.intent → " in problem
    assert problem.startswith(f"{tmp_path / 'q.yaml'}:")


def test_a_question_relevant_on_itself_is_a_cycle(tmp_path):
    text = QUESTIONNAIRE.replace("answered(sub.access.intent)", "answered(sub.access.details)")
    problem = only_problem(library_from(tmp_path, questionnaire=text))
    assert "cycle: sub.access.details → sub.access.details" in problem


def test_missing_translation(tmp_path):
    text = QUESTIONNAIRE.replace("label: {en: Details, fr: Détails}", "label: {en: Details}")
    problem = only_problem(library_from(tmp_path, questionnaire=text))
    assert problem == (
        f"{tmp_path / 'q.yaml'}:{line_of(text, 'label: {en: Details}')}: "
        "sections.0.questions.2.label: missing translation for 'fr'"
    )


def test_undeclared_language_and_empty_text(tmp_path):
    text = ALPHA.replace("title: {en: Alpha Convention, fr: Convention Alpha}",
                         "title: {en: Alpha Convention, fr: '', de: Alpha-Konvention}")  # fmt: skip
    problems = [str(p) for p in library_from(tmp_path, alpha=text).problems]
    assert any("title.de: language 'de' is not declared in languages" in p for p in problems)
    assert any("title.fr: the text is empty" in p for p in problems)


def test_crosswalk_to_unknown_provision_and_without_return(tmp_path):
    text = ALPHA.replace('crosswalk: ["beta:7"]', 'crosswalk: ["beta:7", "beta:8"]')
    problems = [str(p) for p in library_from(tmp_path, alpha=text).problems]
    assert problems == [
        f"{tmp_path / 'alpha.yaml'}:{line_of(text, 'crosswalk')}: provisions.0.crosswalk.1: "
        "crosswalk to unknown provision 'beta:8'"
    ]
    one_way = BETA.replace('crosswalk: ["alpha:2"]', "crosswalk: []")
    problems = [str(p) for p in library_from(tmp_path, beta=one_way).problems]
    assert problems == [
        f"{tmp_path / 'alpha.yaml'}:{line_of(ALPHA, 'crosswalk')}: provisions.0.crosswalk.0: "
        "beta:7 does not list alpha:2 in its crosswalk in return"
    ]


def test_a_mandatory_provision_needs_a_core_element(tmp_path):
    text = ALPHA.replace(
        "        core: true\n      - id: intent", "        core: false\n      - id: intent"
    )
    assert text != ALPHA
    problem = only_problem(library_from(tmp_path, alpha=text))
    assert "provisions.0.elements: a mandatory provision needs a core element" in problem
    optional = text.replace(
        "    core: true\n    elements:",
        "    obligation: optional\n    obligation_basis: 'Art. 2: a Party may …'\n    elements:",
    )
    assert optional != text
    assert library_from(tmp_path, alpha=optional).problems == []


def test_unknown_framework_and_cluster(tmp_path):
    text = QUESTIONNAIRE.replace("frameworks: [alpha, beta]", "frameworks: [alpha, beta, gamma]")
    problems = [str(p) for p in library_from(tmp_path, questionnaire=text).problems]
    assert any("frameworks.2: unknown framework 'gamma'" in p for p in problems)
    alpha = ALPHA.replace("cluster: substantive", "cluster: procedural")
    problems = [str(p) for p in library_from(tmp_path, alpha=alpha).problems]
    assert any("provisions.0.cluster: unknown cluster 'procedural'" in p for p in problems)


def test_every_problem_of_a_file_is_reported_not_only_the_first(tmp_path):
    text = (
        QUESTIONNAIRE.replace("label: {en: Details, fr: Détails}", "label: {en: Details}")
        .replace('"alpha:2.intent"', '"alpha:2.motive"')
        .replace("in ['yes', 'partly']", "in ['yes', 'perhaps']")
    )
    assert len(library_from(tmp_path, questionnaire=text).problems) == 3


def test_a_missing_file_and_a_file_of_unknown_kind(tmp_path):
    (tmp_path / "other.yaml").write_text("kind: report\n")
    library = read_library([tmp_path / "other.yaml", tmp_path / "absent.yaml"])
    assert sorted(str(p) for p in library.problems) == sorted(
        [
            f"{tmp_path / 'absent.yaml'}:1: (file): no such file or folder",
            f"{tmp_path / 'other.yaml'}:1: kind: kind must be 'framework' or 'questionnaire'",
        ]
    )


# --- Hostile files: one problem at its line, in bounded time and memory, never a traceback ---


def billion_laughs() -> str:
    """Ten levels of nine aliases each: a billion "lol"s once expanded, 1 KB as written."""
    lines = ["kind: questionnaire", "a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    for level in range(1, 10):
        previous, name = chr(96 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


DEEP = 10_000
# (text, line, part of the message)
HOSTILE = {
    "self_referencing_alias": (
        "kind: questionnaire\nid: &me [*me]\n", 2, "YAML aliases (*me) are not allowed"),
    "alias_to_its_own_mapping": (
        "kind: questionnaire\nsections: &s\n  - id: a\n    questions: *s\n", 4,
        "YAML aliases (*s) are not allowed"),
    "billion_laughs": (billion_laughs(), 3, "YAML aliases (*a) are not allowed"),
    # libyaml stops flow lists at 1000 levels ("exceeded maximum nesting depth"); else we do
    "deep_flow_lists": (
        "kind: questionnaire\nid: " + "[" * DEEP + "]" * DEEP + "\n", 2, "nest"),
    "deep_flow_mappings": (
        "kind: questionnaire\nid: " + "{a: " * DEEP + "b" + "}" * DEEP + "\n", 2,
        "the data nests more than 50 levels deep"),
    "deep_block_lists": (
        "kind: questionnaire\nid:\n" + "- " * DEEP + "a\n", 3,
        "the data nests more than 50 levels deep"),
    "file_over_5_mb": (
        "kind: questionnaire\nid: x\n# " + "x" * 5_100_000 + "\n", 1,
        "the file is too large (5.1 MB; at most 5 MB)"),
    "two_documents": ("kind: questionnaire\n---\nkind: framework\n", 2, "more than one YAML document"),
    "list_as_key": ("kind: questionnaire\n? [a, b]\n: c\n", 2, "found unhashable key"),
}  # fmt: skip


def read_measured(path):
    """Return the library read from ``path``, the seconds and the peak memory it took."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        library = read_library([path])
        return library, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(params=["libyaml", "pure_python"])
def loader(request, monkeypatch):
    """Read with libyaml (when PyYAML has it, as its wheels do) and with PyYAML's own parser."""
    if request.param == "pure_python":
        monkeypatch.setattr(source, "SafeLoader", yaml.SafeLoader)
    return request.param


@pytest.mark.parametrize(("text", "line", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_is_one_problem_in_bounded_time_and_memory(
    loader, tmp_path, text, line, message
):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    library, seconds, peak = read_measured(path)
    problem = only_problem(library)
    assert problem.startswith(f"{path}:{line}: (file): ") and message in problem, problem
    assert seconds < 10, seconds  # generous for a shared machine: unbounded reading takes minutes
    assert peak < 200_000_000, peak


@pytest.mark.parametrize(("text", "line", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_validate_answers_a_hostile_file_with_file_line_message_and_status_1(
    runner, tmp_path, text, line, message
):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    result = runner.invoke(args=["questionnaires", "validate", str(path)])
    assert result.exit_code == 1, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}:{line}: ") and message in first, first
    assert "Traceback" not in result.output and "1 problem(s) found." in result.output


def test_load_refuses_a_hostile_file_and_loads_nothing(runner, tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs())
    result = runner.invoke(args=["questionnaires", "load", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:3: (file): YAML aliases (*a) are not allowed")
    assert "nothing was loaded" in result.output


def test_the_shipped_files_use_no_alias_and_nest_little():
    from tests.conftest import QUESTIONNAIRES

    for path in sorted(QUESTIONNAIRES.glob("*.yaml")):
        text = path.read_text()
        assert source.read(path).problems == []
        assert len(text.encode()) < source.MAX_FILE_BYTES / 5


def test_a_file_of_too_many_values_is_refused_at_the_value_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "MAX_NODES", 1000)
    path = tmp_path / "many.yaml"
    path.write_text("kind: questionnaire\nitems:\n" + "- a\n" * 2000)
    problem = only_problem(read_library([path]))
    # values: the document's mapping, "kind", "questionnaire", "items", the list, then the items
    assert problem == f"{path}:998: (file): the file holds more than 1,000 values"


def test_a_long_chain_of_relevance_conditions_is_checked_without_recursion(tmp_path):
    count = 3000  # each question is relevant on the next: a depth-first search 3000 deep
    chain = "".join(
        f"      - id: chain.q{index:05}\n        type: long_text\n"
        f"        label: {{en: Step, fr: Étape}}\n"
        + (f'        relevant: "answered(chain.q{index + 1:05})"\n' if index + 1 < count else "")
        for index in range(count)
    )
    section = "  - id: chain\n    title: {en: Chain, fr: Chaîne}\n    questions:\n" + chain
    assert library_from(tmp_path, questionnaire=QUESTIONNAIRE + section).problems == []
    closed = QUESTIONNAIRE + section + '        relevant: "answered(chain.q00000)"\n'
    problem = only_problem(library_from(tmp_path, questionnaire=closed))
    assert "relevance conditions form a cycle: chain.q00000 → chain.q00001 → " in problem
