"""Everything that depends on a question's type lives in its class (``app/frameworks/types.py``).

These checks read the code: no module outside ``app/frameworks/`` (nor the benchmarks, nor the
test fixtures) compares a question's type with a type name or keeps a table keyed by type names,
and no template compares ``.type``. A reader of answers — forms, read-only pages, the workbook,
the API, and later scoring and reports — asks the type instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.frameworks.types import QUESTION_TYPES

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ROOT / "app" / "frameworks"
PYTHON = sorted(
    path
    for path in [
        *(ROOT / "app").rglob("*.py"),
        *(ROOT / "benchmarks").rglob("*.py"),
        ROOT / "tests" / "conftest.py",
        *(ROOT / "tests" / "e2e").rglob("*.py"),
    ]
    if FRAMEWORKS not in path.parents
)
TEMPLATES = sorted((ROOT / "app" / "templates").rglob("*.html"))
#: Names that mean nothing but a question type (others, like "date", are ordinary words too).
DISTINCTIVE = {name for name in QUESTION_TYPES if "_" in name or name == "ynpn"}
TYPE_ATTRIBUTES = {"type", "type_name", "kind"}


def _names(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_names(item) for item in node.elts)) if node.elts else set()
    return set()


def _is_type_of_something(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in TYPE_ATTRIBUTES) or (
        isinstance(node, ast.Name) and node.id in TYPE_ATTRIBUTES
    )


def problems(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            names = set().union(*(_names(side) for side in sides))
            if any(_is_type_of_something(side) for side in sides) and names & set(QUESTION_TYPES):
                found.append(f"{path.name}:{node.lineno} compares a type with {sorted(names)}")
        if isinstance(node, ast.Constant) and node.value in DISTINCTIVE:
            found.append(f"{path.name}:{node.lineno} names the type {node.value!r}")
        if isinstance(node, ast.Match):
            found.append(f"{path.name}:{node.lineno} matches on a value")
    return found


def test_the_checks_catch_a_branch_on_a_type_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(question):\n"
        "    if question.type == 'table':\n"
        "        return 1\n"
        "    return {'ynpn': 2}\n"
    )
    assert len(problems(sample)) == 2


@pytest.mark.parametrize("path", PYTHON, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_python_outside_frameworks_branches_on_a_question_type(path):
    assert problems(path) == []


def test_no_template_compares_a_question_type():
    pattern = re.compile(r"\.type\s*(?:==|!=)\s*[\"'](\w+)[\"']|\.type\s+(?:not\s+)?in\b")
    found = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in pattern.finditer(line):
                if match.group(1) is None or match.group(1) in QUESTION_TYPES:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert found == []


def test_every_type_has_its_macro_and_its_words():
    macros = (ROOT / "app" / "templates" / "questions" / "_inputs.html").read_text()
    for name, cls in QUESTION_TYPES.items():
        assert f"{{% macro {cls.macro}(" in macros, f"{name} has no macro {cls.macro!r}"
        assert str(cls.title), f"{name} has no title"
