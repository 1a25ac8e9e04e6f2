"""Relevance conditions: a small expression language parsed into a tree and evaluated over answers.

Grammar (never evaluated as Python)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") operand)?
    operand    := literal | list | "answered" "(" name ")" | "unanswered" "(" name ")"
                | name | "(" expr ")"
    list       := "[" (literal ("," literal)* ","?)? "]"
    literal    := 'text' | "text" | number | "true" | "false"

A name is a question id (``sub.illegal_access.offence``) and stands for the comparable form of its
answer; an unanswered or hidden question makes every comparison false. Length, depth and list
size are bounded so that a hostile file cannot exhaust the parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_LIST = 100
MAX_NODES = 400


class ExpressionError(ValueError):
    """The condition cannot be parsed; the message says where and why."""


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class ListLiteral:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Answered:
    name: Name
    negate: bool


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Any, ...]


Node = Literal | ListLiteral | Name | Answered | Compare | Not | BoolOp

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "true", "false", "answered", "unanswered"}


@dataclass(frozen=True)
class Token:
    kind: str  # number | string | name | keyword | op | end
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, or raise :class:`ExpressionError`."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the condition is longer than {MAX_LENGTH} characters")
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"unexpected character {text[position]!r} at {position + 1}")
        kind = match.lastgroup
        value = match.group()
        if kind == "name" and value in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            tokens.append(Token(kind, value, position + 1))
        position = match.end()
        if len(tokens) > MAX_NODES:
            raise ExpressionError(f"the condition has more than {MAX_NODES} tokens")
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        if self.token.text == text and self.token.kind in ("keyword", "op"):
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            self.fail(f"expected {text!r}")

    def fail(self, message: str):
        token = self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        raise ExpressionError(f"{message} at {token.position}, found {found}")

    def nested(self, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"the condition is nested deeper than {MAX_DEPTH} levels")
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse(self) -> Node:
        node = self.expr()
        if self.token.kind != "end":
            self.fail("unexpected text")
        return node

    def expr(self) -> Node:
        return self.nested(lambda: self._bool("or", self.and_expr))

    def and_expr(self) -> Node:
        return self._bool("and", self.not_expr)

    def _bool(self, op: str, operand: Callable[[], Node]) -> Node:
        operands = [operand()]
        while self.accept(op):
            operands.append(operand())
        return operands[0] if len(operands) == 1 else BoolOp(op, tuple(operands))

    def not_expr(self) -> Node:
        if self.token.text == "not" and self.token.kind == "keyword":
            following = self.tokens[self.index + 1]
            if following.text != "in":
                self.advance()
                return self.nested(lambda: Not(self.not_expr()))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.token
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            self.advance()
            return Compare(token.text, left, self.operand())
        if token.kind == "keyword" and token.text == "in":
            self.advance()
            return Compare("in", left, self.operand())
        if token.kind == "keyword" and token.text == "not":
            self.advance()
            self.expect("in")
            return Compare("not in", left, self.operand())
        return left

    def operand(self) -> Node:
        token = self.token
        if token.kind in ("number", "string") or token.text in ("true", "false"):
            return Literal(self.literal())
        if token.kind == "op" and token.text == "[":
            return self.list_literal()
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.expr()
            self.expect(")")
            return node
        if token.kind == "keyword" and token.text in ("answered", "unanswered"):
            self.advance()
            self.expect("(")
            if self.token.kind != "name":
                self.fail("expected a question id")
            name = Name(self.advance().text)
            self.expect(")")
            return Answered(name, negate=token.text == "unanswered")
        if token.kind == "name":
            return Name(self.advance().text)
        self.fail("expected a value, a question id or '('")

    def literal(self) -> Any:
        token = self.advance()
        if token.kind == "number":
            return Decimal(token.text)
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        return token.text == "true"

    def list_literal(self) -> ListLiteral:
        self.expect("[")
        items = []
        while not self.accept("]"):
            if self.token.kind not in ("number", "string") and self.token.text not in (
                "true",
                "false",
            ):
                self.fail("a list holds only texts, numbers, true or false")
            items.append(self.literal())
            if len(items) > MAX_LIST:
                raise ExpressionError(f"a list holds at most {MAX_LIST} items")
            if not self.accept(","):
                self.expect("]")
                break
        return ListLiteral(tuple(items))


def parse(text: str) -> Node:
    """Parse a relevance condition into a tree, or raise :class:`ExpressionError`."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the condition is empty")
    return _Parser(text).parse()


def names(node: Node) -> set[str]:
    """Return the question ids a condition refers to."""
    match node:
        case Name(id=name):
            return {name}
        case Answered(name=name):
            return {name.id}
        case Compare(left=left, right=right):
            return names(left) | names(right)
        case Not(operand=operand):
            return names(operand)
        case BoolOp(operands=operands):
            return set().union(*(names(operand) for operand in operands))
    return set()


def comparisons(node: Node):
    """Yield every comparison in the tree (for checking literals against question choices)."""
    match node:
        case Compare():
            yield node
        case Not(operand=operand):
            yield from comparisons(operand)
        case BoolOp(operands=operands):
            for operand in operands:
                yield from comparisons(operand)


_MISSING = object()


def evaluate(node: Node, values: Mapping[str, Any]) -> bool:
    """Evaluate a condition; ``values`` maps visible, answered question ids to comparable values."""
    return bool(_value(node, values) is True)


def _value(node: Node, values: Mapping[str, Any]) -> Any:
    match node:
        case Literal(value=value):
            return value
        case ListLiteral(items=items):
            return list(items)
        case Name(id=name):
            return values.get(name, _MISSING)
        case Answered(name=name, negate=negate):
            return (name.id in values) != negate
        case Not(operand=operand):
            return not _truth(_value(operand, values))
        case BoolOp(op="and", operands=operands):
            return all(_truth(_value(operand, values)) for operand in operands)
        case BoolOp(op="or", operands=operands):
            return any(_truth(_value(operand, values)) for operand in operands)
        case Compare(op=op, left=left, right=right):
            return _compare(op, _value(left, values), _value(right, values))
    raise ExpressionError(f"cannot evaluate {node!r}")


def _truth(value: Any) -> bool:
    return value is True


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _MISSING or right is _MISSING or left is None or right is None:
        return False
    if op in ("in", "not in"):
        if isinstance(right, list):
            found = any(item in right for item in left) if isinstance(left, list) else left in right
        elif isinstance(left, list):
            return False
        else:
            return False
        return found if op == "in" else not found
    if isinstance(left, list) or isinstance(right, list):
        if op in ("==", "!="):
            same = (
                sorted(map(str, left)) == sorted(map(str, right))
                if (isinstance(left, list) and isinstance(right, list))
                else False
            )
            return same if op == "==" else not same
        return False
    numeric = all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in (left, right))
    if op == "==":
        return left == right if numeric or type(left) is type(right) else False
    if op == "!=":
        return left != right if numeric or type(left) is type(right) else True
    if not numeric and not (isinstance(left, str) and isinstance(right, str)):
        return False
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]
