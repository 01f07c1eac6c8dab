"""A question's ``required_when`` condition as a Questionnaire item's ``enableWhen``, where
FHIR can say it.

``enableWhen`` holds comparisons of one item's answer with a literal, joined by one
``enableBehavior`` (``all`` or ``any``); it has no nesting, no arithmetic and no reference to
anything but another item. So a condition is expressed when it is

- one comparison of an asked question with a literal (or a parameter of the set, whose value
  is fixed in a version): ``score >= score_min``, ``status != 'known'``, a bare yes/no
  question (``seen_before``) or its negation (``not admitted``);
- ``x in [a, b]`` (any of ``x = a``, ``x = b``) or ``x not in [a, b]`` (all of ``x != a``...);
- an ``and`` of such comparisons (behavior ``all``) or an ``or`` of them (``any``).

The engine's treatment of a blank answer is kept: a blank yes/no is false, a blank number is
NaN (every order comparison false, ``!=`` true), a blank choice or date equals nothing. FHIR's
``=`` and the order operators are false without an answer and ``!=`` is true, so a yes/no
question is always compared with ``true`` (``x == False`` becomes ``x != true``), and an order
comparison is never negated (``not (x < 5)`` holds for a blank ``x``, ``x >= 5`` does not).

Anything else (a derived value, a question the app fills from the patient's record and so not
in the Questionnaire, arithmetic, ``and`` mixed with ``or``) raises ``NotExpressible`` with the
reason; the caller lists it rather than dropping it.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from screener.engine.expressions import ExpressionError, parse_expression
from screener.engine.types import QuestionType

OPERATORS: dict[type[ast.cmpop], str] = {
    ast.Eq: "=",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
# ``literal op question`` read as ``question op' literal``.
FLIPPED = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
ORDERED = frozenset({"<", "<=", ">", ">="})
ORDERED_TYPES = frozenset({QuestionType.INT, QuestionType.DECIMAL, QuestionType.DATE})


class NotExpressible(Exception):
    """A condition ``enableWhen`` cannot say; ``reason`` says why, for an admin."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class AskedQuestion:
    """What the translation needs of a question in the Questionnaire."""

    code: str
    type: QuestionType
    choices: tuple[str, ...]


@dataclass(frozen=True)
class EnableWhen:
    """``conditions`` are ``enableWhen`` elements; ``behavior`` is ``all``, ``any`` or ``""``
    (one condition: FHIR wants no ``enableBehavior`` then)."""

    conditions: tuple[dict[str, Any], ...]
    behavior: str


@dataclass(frozen=True)
class _Names:
    asked: Mapping[str, AskedQuestion]
    filled_by_app: frozenset[str]
    parameters: Mapping[str, Decimal]
    coding: Callable[[str, str], dict[str, str]]  # (question code, choice) -> Coding


def enable_when(
    condition: str,
    *,
    asked: Mapping[str, AskedQuestion],
    filled_by_app: frozenset[str],
    parameters: Mapping[str, Decimal],
    coding: Callable[[str, str], dict[str, str]],
) -> EnableWhen:
    """The condition as ``enableWhen`` (see the module); raises NotExpressible."""
    try:
        node = parse_expression(condition)
    except ExpressionError as exc:
        raise NotExpressible(str(exc)) from None
    names = _Names(asked, filled_by_app, parameters, coding)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            found = [c for value in node.values for c in _conjunct(value, names)]
            return _result(found, "all")
        found = [c for value in node.values for c in _disjunct(value, names)]
        return _result(found, "any")
    if _is_membership(node, ast.In):
        return _result(_disjunct(node, names), "any")
    return _result(_conjunct(node, names), "all")


def _result(conditions: list[dict[str, Any]], behavior: str) -> EnableWhen:
    return EnableWhen(tuple(conditions), behavior if len(conditions) > 1 else "")


def _is_membership(node: ast.expr, op: type[ast.cmpop]) -> bool:
    return isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], op)


def _conjunct(node: ast.expr, names: _Names) -> list[dict[str, Any]]:
    """One part of an ``and``: ``x not in [...]`` gives one ``!=`` per value."""
    if isinstance(node, ast.BoolOp):
        raise NotExpressible("it mixes 'and' with 'or' (enableWhen has one behavior)")
    if _is_membership(node, ast.In):
        assert isinstance(node, ast.Compare)
        values = _list(node.comparators[0])
        if len(values) != 1:
            raise NotExpressible("'in' a list inside 'and' needs an 'or' within an 'and'")
        return [_comparison(node.left, "=", values[0], names)]
    if _is_membership(node, ast.NotIn):
        assert isinstance(node, ast.Compare)
        return [_comparison(node.left, "!=", v, names) for v in _list(node.comparators[0])]
    return [_atom(node, names)]


def _disjunct(node: ast.expr, names: _Names) -> list[dict[str, Any]]:
    """One part of an ``or``: ``x in [...]`` gives one ``=`` per value."""
    if isinstance(node, ast.BoolOp):
        raise NotExpressible("it mixes 'and' with 'or' (enableWhen has one behavior)")
    if _is_membership(node, ast.In):
        assert isinstance(node, ast.Compare)
        return [_comparison(node.left, "=", v, names) for v in _list(node.comparators[0])]
    if _is_membership(node, ast.NotIn):
        assert isinstance(node, ast.Compare)
        values = _list(node.comparators[0])
        if len(values) != 1:
            raise NotExpressible("'not in' a list inside 'or' needs an 'and' within an 'or'")
        return [_comparison(node.left, "!=", values[0], names)]
    return [_atom(node, names)]


def _list(node: ast.expr) -> list[ast.expr]:
    if not isinstance(node, ast.List | ast.Tuple):
        raise NotExpressible("'in' takes a list of values here")
    return list(node.elts)


def _atom(node: ast.expr, names: _Names) -> dict[str, Any]:
    """A bare yes/no question, its negation, or one comparison."""
    if isinstance(node, ast.Name):
        return _comparison(node, "=", ast.Constant(True), names)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = node.operand
        if isinstance(inner, ast.Name):
            return _comparison(inner, "!=", ast.Constant(True), names)
        if isinstance(inner, ast.Compare) and len(inner.ops) == 1:
            op = OPERATORS.get(type(inner.ops[0]))
            if op in ("=", "!="):
                negated = "!=" if op == "=" else "="
                return _oriented(inner.left, negated, inner.comparators[0], names)
        raise NotExpressible("'not' here has no enableWhen operator that keeps blank answers")
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise NotExpressible("a chained comparison has no enableWhen form")
        op = OPERATORS.get(type(node.ops[0]))
        if op is None:
            raise NotExpressible("'in' a list is only expressed in an 'or' or on its own")
        return _oriented(node.left, op, node.comparators[0], names)
    raise NotExpressible("only comparisons of a question with a value have an enableWhen form")


def _oriented(left: ast.expr, op: str, right: ast.expr, names: _Names) -> dict[str, Any]:
    """A comparison with the question on either side."""
    if isinstance(left, ast.Name) and left.id not in names.parameters:
        return _comparison(left, op, right, names)
    if isinstance(right, ast.Name) and right.id not in names.parameters:
        return _comparison(right, FLIPPED[op], left, names)
    raise NotExpressible("it compares a computed value (enableWhen compares an answer)")


def _comparison(
    question_node: ast.expr, op: str, value_node: ast.expr, names: _Names
) -> dict[str, Any]:
    if not isinstance(question_node, ast.Name):
        raise NotExpressible("it compares a computed value (enableWhen compares an answer)")
    code = question_node.id
    question = names.asked.get(code)
    if question is None:
        if code in names.filled_by_app:
            raise NotExpressible(
                f"{code} is filled by the app from the patient's record, so not an item"
            )
        raise NotExpressible(f"{code} is not a question (a derived value or a parameter)")
    value = _literal(value_node, names)
    if op in ORDERED and question.type not in ORDERED_TYPES:
        raise NotExpressible(f"{code} is not a number or a date, so it has no order")
    if question.type == QuestionType.BOOL:
        if not isinstance(value, bool):
            raise NotExpressible(f"{code} is yes/no but is compared with {value!r}")
        if op not in ("=", "!="):
            raise NotExpressible(f"{code} is yes/no and has no order")
        # A blank yes/no is false to the engine: compare with true only (see the module).
        holds_when_true = (op == "=") == value
        return _element(code, "=" if holds_when_true else "!=", "answerBoolean", True)
    if question.type == QuestionType.INT:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise NotExpressible(f"{code} is a whole number but is compared with {value!r}")
        if Decimal(str(value)) != Decimal(str(value)).to_integral_value():
            raise NotExpressible(f"{code} is a whole number but is compared with {value}")
        return _element(code, op, "answerInteger", int(value))
    if question.type == QuestionType.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise NotExpressible(f"{code} is a number but is compared with {value!r}")
        return _element(code, op, "answerDecimal", float(value))
    if question.type == QuestionType.CHOICE:
        if not isinstance(value, str) or value not in question.choices:
            raise NotExpressible(f"{code} is compared with {value!r}, not one of its choices")
        return _element(code, op, "answerCoding", names.coding(code, value))
    if question.type == QuestionType.DATE:
        try:
            date = datetime.date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            date = None
        if date is None:
            raise NotExpressible(f"{code} is a date but is compared with {value!r}")
        return _element(code, op, "answerDate", date.isoformat())
    raise NotExpressible(f"{code} has a type enableWhen cannot compare")  # pragma: no cover


def _literal(node: ast.expr, names: _Names) -> Any:
    """A literal value, a negative number, or a parameter's (fixed) value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float | str):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value
    if isinstance(node, ast.Name) and node.id in names.parameters:
        return names.parameters[node.id]
    raise NotExpressible("it compares a question with something other than a value")


def _element(code: str, op: str, key: str, value: Any) -> dict[str, Any]:
    return {"question": code, "operator": op, key: value}
