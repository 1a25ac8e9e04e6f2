"""Read a set of framework and questionnaire files, and check them as a whole.

Every problem is reported with its file, line and dotted path; nothing raises. Checks: YAML syntax,
duplicate keys, the schema (unknown fields and question types, bad ids and values), translations
for every declared language, duplicate ids, references (elements, provisions, indicators,
questions, clusters, frameworks), the crosswalk (targets exist and list the provision back), and
relevance conditions (they parse, name known questions, compare with real values, form no cycle).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.frameworks import expressions
from app.frameworks.schema import FILE_KINDS, Framework, Questionnaire
from app.frameworks.source import Path_, Problem, SourceFile, read
from app.frameworks.types import QUESTION_TYPES, GeneratedChoices

LANG_TEXT_KEYS = {
    "title",
    "short_title",
    "abbreviation",
    "summary",
    "text",
    "label",
    "help",
    "intro",
    "description",
}


@dataclass
class Library:
    """The frameworks and questionnaires read from a set of files, and what is wrong with them."""

    frameworks: dict[str, Framework] = field(default_factory=dict)
    questionnaires: list[Questionnaire] = field(default_factory=list)
    sources: dict[int, SourceFile] = field(default_factory=dict)  # id(model) -> its file
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def source_of(self, model: Framework | Questionnaire) -> SourceFile:
        return self.sources[id(model)]


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Return the YAML files named by ``paths`` (folders give their ``*.yaml`` files)."""
    files, problems = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, "", "no such file or folder"))
    return files, problems


def read_library(paths: Iterable[str | Path]) -> Library:
    """Read and check every file of ``paths`` together."""
    library = Library()
    files, library.problems = expand(paths)
    for path in files:
        source = read(path)
        library.problems.extend(source.problems)
        if source.data is None:
            continue  # unreadable: a syntax error (duplicate keys still leave usable data)
        model = _parse(source, library.problems)
        if model is None:
            continue
        library.sources[id(model)] = source
        if isinstance(model, Framework):
            if model.id in library.frameworks:
                other = library.source_of(library.frameworks[model.id]).name
                library.problems.append(
                    source.problem(("id",), f"framework {model.id!r} is also defined in {other}")
                )
                continue
            library.frameworks[model.id] = model
        else:
            library.questionnaires.append(model)
    for framework in library.frameworks.values():
        _check_framework(library, framework)
    _check_crosswalk(library)
    for questionnaire in library.questionnaires:
        _check_questionnaire(library, questionnaire)
    library.problems.sort(key=lambda problem: (problem.file, problem.line, problem.path))
    return library


# --- Schema ----------------------------------------------------------------------------------


def _parse(source: SourceFile, problems: list[Problem]) -> Framework | Questionnaire | None:
    data = source.data
    if not isinstance(data, dict):
        problems.append(source.problem((), "the file must be a mapping with a 'kind'"))
        return None
    kind = data.get("kind")
    if kind not in FILE_KINDS:
        problems.append(source.problem(("kind",), "kind must be 'framework' or 'questionnaire'"))
        return None
    try:
        return FILE_KINDS[kind].model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            path = _data_path(data, item["loc"])
            if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
                path = (*path, "type")  # point at the question's type, not at the question
            problems.append(source.problem(path, _message(item)))
        return None


def _data_path(data: Any, loc: tuple) -> Path_:
    """Map a pydantic location to a path in the data (dropping union tags and validator names)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part not in QUESTION_TYPES:
            path.append(part)  # a missing field: point at the parent, name the field
            node = None
    return tuple(path)


def _message(item: dict) -> str:
    kind, message = item["type"], item["msg"]
    if kind == "union_tag_invalid":
        known = ", ".join(QUESTION_TYPES)
        return f"unknown question type {item['input'].get('type')!r}; known types: {known}"
    if kind == "union_tag_not_found":
        return "a question needs a type"
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "string_pattern_mismatch":
        return f"{item['input']!r} does not have the expected form ({item['ctx']['pattern']})"
    if kind == "literal_error":
        return f"{item['input']!r} is not allowed: {message.removeprefix('Input should be ')}"
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return message


# --- Shared checks ---------------------------------------------------------------------------


def _check_texts(source: SourceFile, languages: list[str], problems: list[Problem]) -> None:
    """Every text has exactly the declared languages, none empty."""
    declared = set(languages)

    def walk(node: Any, path: Path_) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in LANG_TEXT_KEYS and isinstance(value, dict):
                    for language in sorted(declared - set(value)):
                        problems.append(
                            source.problem((*path, key), f"missing translation for {language!r}")
                        )
                    for language, text in value.items():
                        if language not in declared:
                            problems.append(
                                source.problem(
                                    (*path, key, language),
                                    f"language {language!r} is not declared in languages",
                                )
                            )
                        elif not str(text or "").strip():
                            problems.append(
                                source.problem((*path, key, language), "the text is empty")
                            )
                else:
                    walk(value, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))

    walk(source.data, ())


def _duplicates(
    source: SourceFile, items: Iterable[tuple[str, Path_]], what: str, problems: list[Problem]
) -> None:
    first: dict[str, Path_] = {}
    for key, path in items:
        if key in first:
            line = source.line_of(first[key])
            problems.append(
                source.problem(path, f"duplicate {what} {key!r} (first at line {line})")
            )
        else:
            first[key] = path


# --- Frameworks ------------------------------------------------------------------------------


def _check_framework(library: Library, framework: Framework) -> None:
    source = library.source_of(framework)
    problems = library.problems
    _check_texts(source, framework.languages, problems)
    _duplicates(
        source,
        ((c.id, ("clusters", i, "id")) for i, c in enumerate(framework.clusters)),
        "cluster",
        problems,
    )
    clusters = {cluster.id for cluster in framework.clusters}
    _duplicates(
        source,
        ((p.id, ("provisions", i, "id")) for i, p in enumerate(framework.provisions)),
        "provision",
        problems,
    )
    for index, provision in enumerate(framework.provisions):
        path = ("provisions", index)
        if provision.binding and not any(element.core for element in provision.elements):
            problems.append(
                source.problem(
                    (*path, "elements"),
                    "a mandatory provision needs a core element (or obligation: consider or "
                    "optional, if the article only asks to consider or permits measures)",
                )
            )
        if not provision.binding:
            if provision.obligation_basis is None:
                problems.append(
                    source.problem(
                        (*path, "obligation"),
                        f"say which wording makes the provision {provision.obligation} "
                        "(obligation_basis)",
                    )
                )
            if provision.core:
                problems.append(
                    source.problem(
                        (*path, "core"),
                        f"{_article(provision.obligation)} {provision.obligation} provision never "
                        "fires priority follow-up",
                    )
                )
            for j, element in enumerate(provision.elements):
                if element.core:
                    problems.append(
                        source.problem(
                            (*path, "elements", j, "core"),
                            f"{_article(provision.obligation)} {provision.obligation} provision "
                            "has no core element",
                        )
                    )
        if provision.cluster not in clusters:
            problems.append(
                source.problem((*path, "cluster"), f"unknown cluster {provision.cluster!r}")
            )
        _duplicates(
            source,
            (
                (element.id, (*path, "elements", j, "id"))
                for j, element in enumerate(provision.elements)
            ),
            "element",
            problems,
        )
    _check_reservations(source, framework, problems)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _check_reservations(source: SourceFile, framework: Framework, problems: list[Problem]) -> None:
    """Reservation ids are unique and cover provisions or elements of this framework."""
    _duplicates(
        source,
        ((r.id, ("reservations", i, "id")) for i, r in enumerate(framework.reservations)),
        "reservation",
        problems,
    )
    known = {f"{framework.id}:{p.id}" for p in framework.provisions} | {
        f"{framework.id}:{p.id}.{e.id}" for p in framework.provisions for e in p.elements
    }
    for i, reservation in enumerate(framework.reservations):
        for j, ref in enumerate(reservation.covers):
            if ref not in known:
                problems.append(
                    source.problem(
                        ("reservations", i, "covers", j),
                        f"{ref!r} is not a provision or element of {framework.id}",
                    )
                )


def _check_crosswalk(library: Library) -> None:
    for framework in library.frameworks.values():
        source = library.source_of(framework)
        for index, provision in enumerate(framework.provisions):
            here = f"{framework.id}:{provision.id}"
            for j, target in enumerate(provision.crosswalk):
                path = ("provisions", index, "crosswalk", j)
                other_id, _, article = target.partition(":")
                other = library.frameworks.get(other_id)
                if other_id == framework.id:
                    library.problems.append(
                        source.problem(path, "the crosswalk links to other frameworks only")
                    )
                elif other is None:
                    library.problems.append(
                        source.problem(path, f"crosswalk to unknown framework {other_id!r}")
                    )
                else:
                    match = next((p for p in other.provisions if p.id == article), None)
                    if match is None:
                        library.problems.append(
                            source.problem(path, f"crosswalk to unknown provision {target!r}")
                        )
                    elif here not in match.crosswalk:
                        library.problems.append(
                            source.problem(
                                path, f"{target} does not list {here} in its crosswalk in return"
                            )
                        )


# --- Questionnaires --------------------------------------------------------------------------


def _check_questionnaire(library: Library, questionnaire: Questionnaire) -> None:
    source = library.source_of(questionnaire)
    problems = library.problems
    _check_texts(source, questionnaire.languages, problems)

    for index, framework_id in enumerate(questionnaire.frameworks):
        framework = library.frameworks.get(framework_id)
        if framework is None:
            problems.append(
                source.problem(
                    ("frameworks", index),
                    f"unknown framework {framework_id!r} (validate its file with this one)",
                )
            )
        else:
            missing = set(questionnaire.languages) - set(framework.languages)
            if missing:
                problems.append(
                    source.problem(
                        ("frameworks", index),
                        f"framework {framework_id!r} lacks the languages {sorted(missing)}",
                    )
                )
    elements = {
        f"{framework.id}:{provision.id}.{element.id}"
        for framework_id in questionnaire.frameworks
        if (framework := library.frameworks.get(framework_id))
        for provision in framework.provisions
        for element in provision.elements
    }
    provisions = {
        f"{framework.id}:{provision.id}"
        for framework_id in questionnaire.frameworks
        if (framework := library.frameworks.get(framework_id))
        for provision in framework.provisions
    }

    for ref in questionnaire.settings.weights:
        if ref not in provisions:
            problems.append(
                source.problem(("settings", "weights", ref), f"unknown provision {ref!r}")
            )
    _fill_choices(library, questionnaire)
    _check_sections(source, questionnaire, problems)

    # Maturity areas and their indicators.
    indicators: dict[str, Path_] = {}
    _duplicates(
        source,
        ((a.id, ("maturity_areas", i, "id")) for i, a in enumerate(questionnaire.maturity_areas)),
        "maturity area",
        problems,
    )
    for i, area in enumerate(questionnaire.maturity_areas):
        stages = [stage.stage for stage in area.stages]
        if sorted(stages) != [1, 2, 3, 4, 5]:
            problems.append(
                source.problem(("maturity_areas", i, "stages"), "give stages 1 to 5, each once")
            )
        refs = [
            (f"{area.id}.{indicator.id}", ("maturity_areas", i, "stages", j, "indicators", k, "id"))
            for j, stage in enumerate(area.stages)
            for k, indicator in enumerate(stage.indicators)
        ]
        _duplicates(source, refs, "indicator", problems)
        for ref, path in refs:
            indicators.setdefault(ref, path)

    # Sections and questions.
    _duplicates(
        source,
        ((s.id, ("sections", i, "id")) for i, s in enumerate(questionnaire.sections)),
        "section",
        problems,
    )
    questions: dict[str, tuple[Any, Path_]] = {}
    all_questions = [
        (question, ("sections", i, "questions", j))
        for i, section in enumerate(questionnaire.sections)
        for j, question in enumerate(section.questions)
    ]
    _duplicates(
        source, ((q.id, (*path, "id")) for q, path in all_questions), "question id", problems
    )
    for question, path in all_questions:
        questions.setdefault(question.id, (question, path))

    evidenced_indicators: set[str] = set()
    for question, path in all_questions:
        for k, ref in enumerate(question.evidences):
            if ref not in elements:
                problems.append(
                    source.problem((*path, "evidences", k), _unknown_element(ref, provisions))
                )
        for k, ref in enumerate(question.indicators):
            if ref not in indicators:
                problems.append(
                    source.problem((*path, "indicators", k), f"unknown maturity indicator {ref!r}")
                )
            evidenced_indicators.add(ref)
    for ref, path in indicators.items():
        if ref not in evidenced_indicators:
            problems.append(source.problem(path, f"no question evidences indicator {ref!r}"))

    _check_relevance(source, questions, problems)


def _fill_choices(library: Library, questionnaire: Questionnaire) -> None:
    """Give questions whose options come from the library (reservations, institutions) their
    options; the file must not write them."""
    source = library.source_of(questionnaire)
    for i, section in enumerate(questionnaire.sections):
        for j, question in enumerate(section.questions):
            if not isinstance(question, GeneratedChoices):
                continue
            path = ("sections", i, "questions", j)
            if "choices" in question.model_fields_set:
                library.problems.append(
                    source.problem(
                        (*path, "choices"),
                        f"the options of a {question.type_name} question come from the library",
                    )
                )
                continue
            try:
                options = question.options_from(questionnaire, library.frameworks)
            except ValueError as error:
                library.problems.append(source.problem((*path, "type"), str(error)))
                continue
            section.questions[j] = question.model_copy(update={"choices": options})


def _check_sections(source: SourceFile, questionnaire: Questionnaire, problems) -> None:
    """Institutions are listed once; sections name listed ones; ``replaces`` names old ids."""
    _duplicates(
        source,
        ((item.id, ("institutions", i, "id")) for i, item in enumerate(questionnaire.institutions)),
        "institution",
        problems,
    )
    listed = {item.id for item in questionnaire.institutions}
    ids = {question.id for section in questionnaire.sections for question in section.questions}
    for i, section in enumerate(questionnaire.sections):
        for k, institution in enumerate(section.answered_by):
            if institution not in listed:
                problems.append(
                    source.problem(
                        ("sections", i, "answered_by", k),
                        f"{institution!r} is not in the questionnaire's institutions",
                    )
                )
        for j, question in enumerate(section.questions):
            for k, old in enumerate(question.replaces):
                if old in ids:
                    problems.append(
                        source.problem(
                            ("sections", i, "questions", j, "replaces", k),
                            f"{old!r} is a question of this version; replaces names earlier ones",
                        )
                    )


def _unknown_element(ref: str, provisions: set[str]) -> str:
    provision = ref.rsplit(".", 1)[0]
    framework = provision.split(":")[0]
    if not any(p.startswith(f"{framework}:") for p in provisions):
        return f"unknown element {ref!r}: framework {framework!r} is not in this questionnaire"
    if provision not in provisions:
        return f"unknown element {ref!r}: no provision {provision!r}"
    return f"unknown element {ref!r}"


def _check_relevance(
    source: SourceFile, questions: dict[str, tuple[Any, Path_]], problems: list[Problem]
) -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for question_id, (question, path) in questions.items():
        if question.relevant is None:
            continue
        where = (*path, "relevant")
        try:
            tree = expressions.parse(question.relevant)
        except expressions.ExpressionError as error:
            problems.append(source.problem(where, f"invalid condition: {error}"))
            continue
        for name in sorted(expressions.names(tree)):
            if name not in questions:
                problems.append(source.problem(where, f"unknown question {name!r}"))
            else:
                graph[question_id].add(name)
        for message in _literal_problems(tree, questions):
            problems.append(source.problem(where, message))
    for cycle in _cycles(graph):
        question, path = questions[cycle[0]]
        problems.append(
            source.problem(
                (*path, "relevant"),
                "relevance conditions form a cycle: " + " → ".join([*cycle, cycle[0]]),
            )
        )


def _literal_problems(tree, questions) -> Iterable[str]:
    """Compare a question only with values it can take (a typo would hide it forever)."""
    for comparison in expressions.comparisons(tree):
        for name_side, value_side in (
            (comparison.left, comparison.right),
            (comparison.right, comparison.left),
        ):
            if not isinstance(name_side, expressions.Name) or name_side.id not in questions:
                continue
            allowed = questions[name_side.id][0].choice_values()
            if allowed is None:
                continue
            if isinstance(value_side, expressions.Literal):
                values = [value_side.value]
            elif isinstance(value_side, expressions.ListLiteral):
                values = list(value_side.items)
            else:
                continue
            for value in values:
                if value not in allowed:
                    yield (
                        f"{value!r} is not a value of {name_side.id} "
                        f"(it takes {', '.join(allowed)})"
                    )


#: At most this many relevance cycles are reported (each is also a path through many questions).
MAX_CYCLES = 100


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected knot of relevance references.

    A depth-first search with its own stack: a chain of thousands of conditions in a hostile file
    must not exhaust Python's.
    """
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = defaultdict(int)
    found: list[list[str]] = []
    for start in sorted(graph):
        if colour[start] != white:
            continue
        colour[start] = grey
        path, position = [start], {start: 0}  # the nodes being visited, and where each is
        targets = [iter(sorted(graph.get(start, ())))]
        while targets:
            target = next(targets[-1], None)
            if target is None:
                node = path.pop()
                del position[node]
                colour[node] = black
                targets.pop()
            elif colour[target] == grey:
                if len(found) < MAX_CYCLES:
                    found.append(path[position[target] :])
            elif colour[target] == white:
                colour[target] = grey
                position[target] = len(path)
                path.append(target)
                targets.append(iter(sorted(graph.get(target, ()))))
    return found
