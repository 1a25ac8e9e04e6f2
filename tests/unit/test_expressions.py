"""The relevance expression language: parsing, evaluation, and hostile input."""

from decimal import Decimal

import pytest

from app.frameworks import expressions as ex
from app.frameworks.expressions import ExpressionError, evaluate, names, parse

VALUES = {
    "a.offence": "yes",
    "a.count": Decimal(12),
    "a.topics": ["training", "equipment"],
    "a.stage": "in_force",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("a.offence == 'yes'", True),
        ("a.offence != 'yes'", False),
        ("a.offence in ['yes', 'partly']", True),
        ("a.offence not in ['yes', 'partly']", False),
        ("not a.offence == 'no'", True),
        ("a.count > 10 and a.count <= 12", True),
        ("a.count >= 13 or a.offence == 'yes'", True),
        ("'training' in a.topics", True),
        ("'mentoring' in a.topics", False),
        ("a.topics in ['equipment']", True),
        ("answered(a.offence) and unanswered(b.missing)", True),
        ("answered(b.missing)", False),
        ("b.missing == 'yes'", False),  # an unanswered question matches nothing
        ("b.missing != 'yes'", False),
        ("not b.missing == 'yes'", True),
        ("b.missing > 3", False),
        ("a.offence > 3", False),  # text against number: never true
        ("(a.offence == 'no' or a.count == 12) and not (a.stage != 'in_force')", True),
        ('a.offence == "yes"', True),
        ("a.count == 12.0", True),
        ("true", True),
        ("false or a.count < -1", False),
    ],
)
def test_evaluation(condition, expected):
    assert evaluate(parse(condition), VALUES) is expected


def test_names_are_collected():
    tree = parse("a.x == 'yes' and (answered(b.y) or not c.z in ['1'])")
    assert names(tree) == {"a.x", "b.y", "c.z"}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("", "the condition is empty"),
        ("a.x ==", "expected a value"),
        ("a.x == 'yes' and", "expected a value"),
        ("__import__('os').system('id')", "unexpected character '_'"),
        ("lambda: 1", "unexpected character ':'"),
        ("a.x == 'yes'; drop", "unexpected character ';'"),
        ("a.x == 'unterminated", "unexpected character"),
        ("open('/etc/passwd')", "unexpected text"),
        ("answered('a.x')", "expected a question id"),
        ("a.x in [a.y]", "a list holds only texts"),
        ("(a.x == 'yes'", "expected ')'"),
        ("a.x == 'yes')", "unexpected text"),
        ("A.X == 'yes'", "unexpected character 'A'"),
    ],
)
def test_malformed_and_hostile_conditions_are_refused_with_a_reason(condition, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(condition)


def test_a_dunder_lookalike_is_only_a_question_id_never_an_attribute():
    tree = parse("a.x.__class__ == 'yes'")
    assert names(tree) == {"a.x.__class__"}
    assert evaluate(tree, {"a.x": "yes"}) is False


def test_deep_nesting_is_refused_without_exhausting_the_stack():
    deep = "(" * 5000 + "a.x == 'yes'" + ")" * 5000
    with pytest.raises(ExpressionError, match=r"longer than|nested deeper"):
        parse(deep)
    nested = "(" * (ex.MAX_DEPTH + 1) + "true" + ")" * (ex.MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match="nested deeper than"):
        parse(nested)
    nots = "not " * 100 + "true"
    with pytest.raises(ExpressionError, match="nested deeper than"):
        parse(nots)


def test_long_and_wide_conditions_are_bounded():
    with pytest.raises(ExpressionError, match="longer than"):
        parse("a.x == '" + "y" * ex.MAX_LENGTH + "'")
    many = " or ".join("a.x" for _ in range(250))  # short tokens: the token limit bites first
    with pytest.raises(ExpressionError, match="tokens"):
        parse(many)
    items = ", ".join(f"'{i}'" for i in range(ex.MAX_LIST + 1))
    with pytest.raises(ExpressionError, match="at most"):
        parse(f"a.x in [{items}]")


def test_moderate_conditions_within_bounds_parse():
    depth = ex.MAX_DEPTH - 2
    assert evaluate(parse("(" * depth + "true" + ")" * depth), {}) is True
