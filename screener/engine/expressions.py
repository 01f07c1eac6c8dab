"""Condition expressions: what they may contain, their types, and how they are evaluated.

An expression is Python syntax restricted to names, numbers (with an optional leading minus),
strings, ``True``/``False``, lists of literals, comparisons, ``in``/``not in``,
``and``/``or``/``not``, ``+ - * /`` and parentheses. It is checked before a set is compiled:

* its syntax tree may hold only those node kinds;
* every name is a question, a parameter or a derived value;
* its types agree (``and``/``or``/``not`` take true/false values, never a bare number; ``<`` and
  friends compare numbers or dates; a string compared with a choice question is one of its
  choices), and a condition is true or false as a whole;
* a trial evaluation with a typed sample of every answer, and with every answer blank, does
  not raise.

The check's trial evaluations use simpleeval's ``EvalWithCompoundTypes`` with no functions and
only the node kinds and operators above. A checked expression is then compiled to Python bytecode
(``compile_expression``: the same node kinds only, run with no builtins) for screening, about ten
times faster than walking its tree. Division by zero gives NaN (not documented) instead of an
error, on both paths.
"""

from __future__ import annotations

import ast
import copy
import datetime
import keyword
import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any

from simpleeval import EvalWithCompoundTypes

from screener.engine.types import (
    COVERAGE_EFFECTS,
    CriteriaSpec,
    DerivedSpec,
    Effect,
    QuestionSpec,
    QuestionType,
    Requirement,
)

# --------------------------------------------------------------------------------------------
# Blank values


class _Blank:
    """A blank choice or date: equal to nothing, in no list, ordered before and after nothing."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return False

    __le__ = __gt__ = __ge__ = __lt__

    def __hash__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "BLANK"


BLANK: Any = _Blank()
NAN = float("nan")


def blank_value(question_type: QuestionType) -> Any:
    """What a blank answer of this type is inside an expression."""
    if question_type == QuestionType.BOOL:
        return False
    if question_type in (QuestionType.INT, QuestionType.DECIMAL):
        return NAN
    return BLANK


# --------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True, slots=True)
class CriteriaProblem:
    """One thing wrong with a criteria set, named so an admin can find and fix it."""

    kind: str  # question, parameter, derived, rule, criteria_set
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        label = {
            "derived": "Derived value",
            "coding": "Coding row",
            "diagnosis": "Diagnosis code",
        }.get(self.kind, self.kind.replace("_", " ").capitalize())
        return f"{label} {self.code}: {self.message}" if self.code else f"{label}: {self.message}"


class CriteriaInvalid(ValueError):
    """A criteria set that cannot be compiled; ``problems`` says why."""

    def __init__(self, problems: Iterable[CriteriaProblem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class ExpressionError(ValueError):
    """An expression that is not allowed, with a message for the person who wrote it."""


# --------------------------------------------------------------------------------------------
# Types

BOOL = "true/false"
NUMBER = "number"
TEXT = "choice"
DATE = "date"
TEXT_LIST = "list of strings"
NUMBER_LIST = "list of numbers"


@dataclass(frozen=True, slots=True)
class NameInfo:
    type: str
    choices: tuple[str, ...] = ()  # for choice questions: the allowed strings


QUESTION_TYPES = {
    QuestionType.BOOL: BOOL,
    QuestionType.INT: NUMBER,
    QuestionType.DECIMAL: NUMBER,
    QuestionType.CHOICE: TEXT,
    QuestionType.DATE: DATE,
}

_OPERATOR_TEXT = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.Invert: "~",
    ast.UAdd: "unary +",
}

_NODE_TEXT = {
    ast.Call: "function calls",
    ast.Attribute: "attributes (a.b)",
    ast.Subscript: "subscripts (a[b])",
    ast.IfExp: "if/else expressions",
    ast.Dict: "dictionaries",
    ast.Set: "sets",
    ast.Tuple: "tuples",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Lambda: "lambda",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignments (:=)",
    ast.Starred: "starred values",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.Slice: "slices",
}


def parse_expression(expression: str) -> ast.expr:
    """Parse one expression; raise ExpressionError on a syntax error or an empty text."""
    text = expression.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"syntax error{where}: {exc.msg}") from None
    return tree.body


def names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def names_in_order(node: ast.AST) -> tuple[str, ...]:
    """The names an expression uses, each once, in the order they are written."""
    found = sorted(
        (n for n in ast.walk(node) if isinstance(n, ast.Name)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    return tuple(dict.fromkeys(n.id for n in found))


class _TypeChecker:
    """Walks a parsed expression, refusing node kinds outside the syntax, and infers its type."""

    def __init__(self, names: Mapping[str, NameInfo], later_names: Iterable[str] = ()):
        self.names = names
        self.later_names = set(later_names)

    def check(self, node: ast.AST) -> str:
        method = getattr(self, f"_check_{type(node).__name__}", None)
        if method is None:
            raise ExpressionError(f"{self._describe_node(node)} are not allowed")
        return method(node)

    @staticmethod
    def _describe_node(node: ast.AST) -> str:
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            return f"the operator {_OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)}"
        return _NODE_TEXT.get(type(node), f"{type(node).__name__} expressions")

    # leaves

    def _check_Name(self, node: ast.Name) -> str:
        info = self.names.get(node.id)
        if info is None:
            if node.id in self.later_names:
                raise ExpressionError(
                    f"'{node.id}' is a derived value defined after this one; "
                    "a derived value may only use those above it"
                )
            raise ExpressionError(
                f"unknown name '{node.id}' (not a question, parameter or derived value)"
            )
        return info.type

    def _check_Constant(self, node: ast.Constant) -> str:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int | float) and math.isfinite(value):
            return NUMBER
        if isinstance(value, str):
            return TEXT
        raise ExpressionError(f"the literal {value!r} is not allowed")

    def _check_List(self, node: ast.List) -> str:
        kinds = set()
        for element in node.elts:
            if not _is_literal(element):
                raise ExpressionError("a list may hold only literal strings or numbers")
            kinds.add(self.check(element))
        if not kinds:
            raise ExpressionError("an empty list is not allowed")
        if kinds == {TEXT}:
            return TEXT_LIST
        if kinds == {NUMBER}:
            return NUMBER_LIST
        raise ExpressionError("a list must hold only strings or only numbers")

    # operators

    def _check_UnaryOp(self, node: ast.UnaryOp) -> str:
        if isinstance(node.op, ast.Not):
            self._expect_bool(node.operand, "not")
            return BOOL
        if isinstance(node.op, ast.USub):
            if isinstance(node.operand, ast.Constant) and self.check(node.operand) == NUMBER:
                return NUMBER
            raise ExpressionError("a minus sign may only stand before a number")
        raise ExpressionError(f"{self._describe_node(node)} is not allowed")

    def _check_BinOp(self, node: ast.BinOp) -> str:
        symbol = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
        if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            raise ExpressionError(f"the operator {symbol} is not allowed")
        for side in (node.left, node.right):
            kind = self.check(side)
            if kind not in (NUMBER, BOOL):
                raise ExpressionError(
                    f"'{symbol}' works on numbers (true counts 1); {_text(side)} is a {kind}"
                )
        if isinstance(node.op, ast.Div) and _is_zero(node.right):
            raise ExpressionError("division by zero")
        return NUMBER

    def _check_BoolOp(self, node: ast.BoolOp) -> str:
        word = "and" if isinstance(node.op, ast.And) else "or"
        for value in node.values:
            self._expect_bool(value, word)
        return BOOL

    def _check_Compare(self, node: ast.Compare) -> str:
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            self._check_pair(left, op, right)
            left = right
        return BOOL

    def _check_pair(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> None:
        symbol = _OPERATOR_TEXT.get(type(op), type(op).__name__)
        left_type, right_type = self.check(left), self.check(right)
        if isinstance(op, ast.In | ast.NotIn):
            element_type = {TEXT_LIST: TEXT, NUMBER_LIST: NUMBER}.get(right_type)
            if element_type is None:
                raise ExpressionError(f"'{symbol}' needs a list on its right, not {_text(right)}")
            if left_type != element_type:
                raise ExpressionError(
                    f"{_text(left)} is a {left_type} and cannot be in a {right_type}"
                )
            self._check_choice_literals(left, right)
            return
        if isinstance(op, ast.Eq | ast.NotEq):
            if left_type != right_type or left_type in (TEXT_LIST, NUMBER_LIST):
                raise ExpressionError(
                    f"{_text(left)} ({left_type}) cannot be compared with "
                    f"{_text(right)} ({right_type})"
                )
            self._check_choice_literals(left, right)
            self._check_choice_literals(right, left)
            return
        if isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
            if left_type == right_type and left_type in (NUMBER, DATE):
                return
            raise ExpressionError(
                f"'{symbol}' compares two numbers or two dates; "
                f"here {_text(left)} is a {left_type} and {_text(right)} is a {right_type}"
            )
        raise ExpressionError(f"the comparison {symbol} is not allowed")

    def _check_choice_literals(self, name_node: ast.expr, other: ast.expr) -> None:
        """A string compared with a choice question must be one of its choices."""
        if not isinstance(name_node, ast.Name):
            return
        info = self.names.get(name_node.id)
        if info is None or not info.choices:
            return
        literals = other.elts if isinstance(other, ast.List) else [other]
        for literal in literals:
            is_text = isinstance(literal, ast.Constant) and isinstance(literal.value, str)
            if is_text and literal.value not in info.choices:
                raise ExpressionError(
                    f"'{literal.value}' is not a choice of {name_node.id} "
                    f"({', '.join(info.choices)})"
                )

    def _expect_bool(self, node: ast.expr, word: str) -> None:
        kind = self.check(node)
        if kind != BOOL:
            raise ExpressionError(
                f"'{word}' needs true/false values, but {_text(node)} is a {kind} "
                "(compare it, for example with >= or ==)"
            )


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    )


def _is_zero(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and not isinstance(node.value, bool | str)
        and node.value == 0
    )


def _text(node: ast.expr) -> str:
    return ast.unparse(node)


def check_expression(
    expression: str,
    names: Mapping[str, NameInfo],
    *,
    want: tuple[str, ...] = (BOOL,),
    later_names: Iterable[str] = (),
) -> tuple[ast.expr, str]:
    """Parse and type-check one expression; return its tree and type, or raise ExpressionError."""
    node = parse_expression(expression)
    kind = _TypeChecker(names, later_names).check(node)
    if kind not in want:
        if want == (BOOL,):
            raise ExpressionError(
                f"a condition must be true or false as a whole, but this is a {kind}"
            )
        raise ExpressionError(f"must be a {' or a '.join(want)}, but this is a {kind}")
    return node, kind


# --------------------------------------------------------------------------------------------
# Evaluation


def _divide(a: float, b: float) -> float:
    return NAN if b == 0 else a / b


OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: _divide,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Not: operator.not_,
    ast.USub: operator.neg,
}

EVALUATED_NODES = (
    ast.Name,
    ast.Constant,
    ast.List,
    ast.UnaryOp,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
)


def new_evaluator() -> EvalWithCompoundTypes:
    """A simpleeval evaluator that knows only the node kinds and operators of the syntax."""
    evaluator = EvalWithCompoundTypes(operators=dict(OPERATORS), functions={}, names={})
    evaluator.functions = {}  # EvalWithCompoundTypes adds list/tuple/dict/set; we want none
    evaluator.nodes = {kind: evaluator.nodes[kind] for kind in EVALUATED_NODES}
    return evaluator


# Evaluating a checked expression as Python bytecode: the same operators as the evaluator above
# (Python's own comparisons and arithmetic; division by zero gives NaN through ``_divide``), about
# ten times faster than walking the tree for every rule of every screening. Only trees made of
# the node kinds below are compiled (the checker allows no others: no calls, attributes or
# subscripts), and they run with no builtins, so an expression can reach nothing but its names.
DIVIDE_NAME = "__criteria_divide__"

_COMPILABLE_NODES = (
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
)

EVAL_GLOBALS: Mapping[str, Any] = {"__builtins__": {}, DIVIDE_NAME: _divide}


class _DivisionAsCall(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.Div):
            call = ast.Call(
                func=ast.Name(id=DIVIDE_NAME, ctx=ast.Load()),
                args=[node.left, node.right],
                keywords=[],
            )
            return ast.copy_location(call, node)
        return node


def compile_expression(node: ast.expr) -> CodeType:
    """Bytecode for a parsed, checked expression, run with ``eval(code, EVAL_GLOBALS, names)``;
    raise ExpressionError for a node kind outside the syntax (never compiled)."""
    for part in ast.walk(node):
        if not isinstance(part, _COMPILABLE_NODES):
            raise ExpressionError(f"{type(part).__name__} expressions are not allowed")
    body = _DivisionAsCall().visit(copy.deepcopy(node))
    tree = ast.fix_missing_locations(ast.Expression(body=body))
    return compile(tree, "<criteria expression>", "eval")


# --------------------------------------------------------------------------------------------
# Checking a whole set


_RESERVED = frozenset({"True", "False", "None", DIVIDE_NAME})


def _sample_value(question: QuestionSpec, as_of: datetime.date) -> Any:
    if question.type == QuestionType.BOOL:
        return True
    if question.type in (QuestionType.INT, QuestionType.DECIMAL):
        low = question.min_value if question.min_value is not None else 0
        high = question.max_value if question.max_value is not None else low + 10
        middle = (low + high) / 2
        return int(middle) if question.type == QuestionType.INT else middle
    if question.type == QuestionType.CHOICE:
        usable = [c for c in question.choices if c not in question.blank_choices]
        return usable[0] if usable else BLANK
    return as_of - datetime.timedelta(days=14)


def name_table(spec: CriteriaSpec) -> dict[str, NameInfo]:
    """Every name an expression of this set may use, without the derived values."""
    table: dict[str, NameInfo] = {}
    for question in spec.questions:
        table[question.code] = NameInfo(QUESTION_TYPES[question.type], tuple(question.choices))
    for parameter in spec.parameters:
        table[parameter.name] = NameInfo(NUMBER)
    return table


def _identifier_problems(spec: CriteriaSpec) -> list[CriteriaProblem]:
    problems = []
    seen: dict[str, str] = {}
    entries = (
        [("question", q.code) for q in spec.questions]
        + [("parameter", p.name) for p in spec.parameters]
        + [("derived", d.name) for d in spec.derived]
    )
    for kind, name in entries:
        field = "code" if kind == "question" else "name"
        if not name.isidentifier() or keyword.iskeyword(name) or name in _RESERVED:
            problems.append(
                CriteriaProblem(
                    kind,
                    name,
                    field,
                    "must be a name of letters, digits and underscores that starts with a "
                    "letter, and not a reserved word",
                )
            )
        elif name in seen:
            problems.append(
                CriteriaProblem(kind, name, field, f"the name is already used by a {seen[name]}")
            )
        else:
            seen[name] = kind
    rule_codes: set[str] = set()
    for rule in spec.rules:
        if rule.code in rule_codes:
            problems.append(CriteriaProblem("rule", rule.code, "code", "duplicate rule code"))
        rule_codes.add(rule.code)
    return problems


def _question_problems(question: QuestionSpec) -> list[CriteriaProblem]:
    problems = []

    def add(field: str, message: str) -> None:
        problems.append(CriteriaProblem("question", question.code, field, message))

    if question.type == QuestionType.CHOICE:
        if not question.choices:
            add("choices", "a choice question needs its list of choices")
        if len(set(question.choices)) != len(question.choices):
            add("choices", "a choice is listed twice")
        for blank in question.blank_choices:
            if blank not in question.choices:
                add("blank_choices", f"'{blank}' counts as blank but is not one of the choices")
    elif question.choices or question.blank_choices:
        add("choices", "only choice questions have choices")
    if question.type in (QuestionType.INT, QuestionType.DECIMAL):
        low, high = question.min_value, question.max_value
        if low is not None and high is not None and low > high:
            add("min_value", f"the minimum {low} is above the maximum {high}")
    elif question.min_value is not None or question.max_value is not None:
        add("min_value", "only number questions have a range")
    if question.requirement == Requirement.WHEN and not question.required_when.strip():
        add("required_when", "say when the question is required, or make it always/optional")
    if question.requirement != Requirement.WHEN and question.required_when.strip():
        add("required_when", "a condition is only used with the requirement 'when'")
    return problems


def check_criteria(
    spec: CriteriaSpec, *, trial_date: datetime.date | None = None
) -> list[CriteriaProblem]:
    """Every problem of a set, all collected (nothing stops at the first one)."""
    problems = _identifier_problems(spec)
    for question in spec.questions:
        problems.extend(_question_problems(question))
    for rule in spec.rules:
        if rule.emergency and rule.effect != Effect.RED_FLAG:
            problems.append(
                CriteriaProblem(
                    "rule", rule.code, "emergency", "only a red flag can be an emergency"
                )
            )
    if problems:
        return problems  # names must be sound before expressions can be checked against them

    names = name_table(spec)
    parsed: list[tuple[str, str, str, ast.expr]] = []
    derived_names = [d.name for d in spec.derived]
    for index, derived in enumerate(spec.derived):
        if derived.weeks_since:
            problems.extend(_weeks_since_problems(spec, derived))
            names[derived.name] = NameInfo(NUMBER)
            continue
        try:
            node, kind = check_expression(
                derived.expression, names, want=(BOOL, NUMBER), later_names=derived_names[index:]
            )
        except ExpressionError as exc:
            problems.append(CriteriaProblem("derived", derived.name, "expression", str(exc)))
            names[derived.name] = NameInfo(NUMBER)  # keep checking what uses it
            continue
        names[derived.name] = NameInfo(kind)
        parsed.append(("derived", derived.name, "expression", node))
    for question in spec.questions:
        if question.requirement != Requirement.WHEN:
            continue
        try:
            node, _ = check_expression(question.required_when, names)
        except ExpressionError as exc:
            problems.append(CriteriaProblem("question", question.code, "required_when", str(exc)))
            continue
        parsed.append(("question", question.code, "required_when", node))
    for rule in spec.rules:
        try:
            node, _ = check_expression(rule.condition, names)
        except ExpressionError as exc:
            problems.append(CriteriaProblem("rule", rule.code, "condition", str(exc)))
            continue
        parsed.append(("rule", rule.code, "condition", node))
    for diagnosis in spec.diagnoses:
        if not diagnosis.applies_when.strip():
            continue
        try:
            node, _ = check_expression(diagnosis.applies_when, names)
        except ExpressionError as exc:
            problems.append(CriteriaProblem("diagnosis", diagnosis.code, "applies_when", str(exc)))
            continue
        parsed.append(("diagnosis", diagnosis.code, "applies_when", node))
    problems.extend(_coverage_problems(spec))
    problems.extend(_diagnosis_code_problems(spec))
    problems.extend(_coding_problems(spec))
    problems.extend(_trial_problems(spec, parsed, trial_date or datetime.date(2000, 1, 1)))
    return problems


_COVERAGE_FIELDS = ("coverage_criterion", "coverage_group", "payer_wording", "payer_citation")


def _coverage_problems(spec: CriteriaSpec) -> list[CriteriaProblem]:
    """A coverage criterion has the payer's wording; the coverage fields are only on rules
    whose effect can decide coverage (not cautions or to-dos); a group's rules are coverage
    criteria of one effect (alternatives are met the same way)."""
    problems = []
    group_effects: dict[str, Effect] = {}
    for rule in spec.rules:

        def add(field: str, message: str, code: str = rule.code) -> None:
            problems.append(CriteriaProblem("rule", code, field, message))

        given = [
            name
            for name in _COVERAGE_FIELDS
            if (getattr(rule, name) is True)
            or (isinstance(getattr(rule, name), str) and getattr(rule, name).strip())
        ]
        if rule.effect not in COVERAGE_EFFECTS:
            for name in given:
                add(
                    name,
                    f"a {rule.effect.replace('_', '-')} rule cannot be a coverage criterion: "
                    "leave it blank (only red flags, contraindications, information rules, "
                    "prerequisites and pathways can)",
                )
            continue
        if rule.coverage_criterion and not rule.payer_wording.strip():
            add("payer_wording", "a coverage criterion needs the payer's wording")
        if not rule.coverage_criterion:
            for name in given:
                add(name, "only a coverage criterion has this: tick coverage criterion or clear it")
            continue
        group = rule.coverage_group.strip()
        if group:
            if not group.isidentifier():
                add(
                    "coverage_group",
                    "a coverage group is a name of letters, digits and underscores",
                )
            first = group_effects.setdefault(group, rule.effect)
            if first != rule.effect:
                add(
                    "coverage_group",
                    f"the group {group} holds {first.replace('_', '-')} rules: alternatives "
                    f"must have one effect, and this is a {rule.effect.replace('_', '-')} rule",
                )
    return problems


def _diagnosis_code_problems(spec: CriteriaSpec) -> list[CriteriaProblem]:
    """Each diagnosis code once, with a description."""
    problems = []
    seen: set[str] = set()
    for diagnosis in spec.diagnoses:
        if diagnosis.code in seen:
            problems.append(
                CriteriaProblem("diagnosis", diagnosis.code, "code", "the code is listed twice")
            )
        seen.add(diagnosis.code)
        if not diagnosis.description.strip():
            problems.append(
                CriteriaProblem(
                    "diagnosis", diagnosis.code, "description", "a code needs its description"
                )
            )
    return problems


def _weeks_since_problems(spec: CriteriaSpec, derived: DerivedSpec) -> list[CriteriaProblem]:
    question = spec.question(derived.weeks_since)
    if question is None or question.type != QuestionType.DATE:
        return [
            CriteriaProblem(
                "derived",
                derived.name,
                "weeks_since",
                f"'{derived.weeks_since}' is not a date question of this set",
            )
        ]
    if derived.expression.strip():
        return [
            CriteriaProblem(
                "derived",
                derived.name,
                "expression",
                "counts weeks since a date question: leave the expression blank",
            )
        ]
    return []


def _coding_problems(spec: CriteriaSpec) -> list[CriteriaProblem]:
    """The coding table names questions and parameters the set has, and each technique and
    region once."""
    problems = []

    def add(code: str, field: str, message: str) -> None:
        problems.append(CriteriaProblem("coding", code, field, message))

    level = spec.question(spec.level_question) if spec.level_question else None
    if spec.level_question and (level is None or level.type != QuestionType.CHOICE):
        problems.append(
            CriteriaProblem(
                "criteria_set",
                "",
                "coding_level_question",
                f"'{spec.level_question}' is not a choice question of this set",
            )
        )
    count = spec.question(spec.count_question) if spec.count_question else None
    if spec.count_question and (
        count is None or count.type not in (QuestionType.INT, QuestionType.DECIMAL)
    ):
        problems.append(
            CriteriaProblem(
                "criteria_set",
                "",
                "coding_count_question",
                f"'{spec.count_question}' is not a number question of this set",
            )
        )
    parameters = {p.name for p in spec.parameters}
    seen: set[tuple[str, str]] = set()
    labels: dict[str, str] = {}
    for row in spec.coding:
        code = f"{row.technique} / {row.region}"
        if not row.technique.isidentifier():
            add(code, "technique", "a technique is a name of letters, digits and underscores")
        if (row.technique, row.region) in seen:
            add(code, "region", "this technique and region are listed twice")
        seen.add((row.technique, row.region))
        if labels.setdefault(row.technique, row.technique_label) != row.technique_label:
            add(code, "technique_label", "one technique, one label: the rows differ")
        if not row.primary.strip():
            add(code, "primary", "a row needs its primary code")
        if row.cap_parameter and row.cap_parameter not in parameters:
            add(code, "cap_parameter", f"'{row.cap_parameter}' is not a parameter of this set")
        if row.levels and level is not None:
            unknown = [value for value in row.levels if value not in level.choices]
            if unknown:
                add(
                    code,
                    "levels",
                    f"{', '.join(unknown)}: not an answer of {spec.level_question}",
                )
    return problems


def _trial_problems(
    spec: CriteriaSpec, parsed: list[tuple[str, str, str, ast.expr]], as_of: datetime.date
) -> list[CriteriaProblem]:
    """Evaluate every expression with a typed sample of every answer, then with none."""
    problems = []
    samples = {q.code: _sample_value(q, as_of) for q in spec.questions}
    blanks = {q.code: blank_value(q.type) for q in spec.questions}
    evaluator = new_evaluator()
    failed: set[tuple[str, str]] = set()
    for label, answers, weeks in (("sample", samples, 2.0), ("blank", blanks, NAN)):
        evaluator.names = {p.name: p.value for p in spec.parameters}
        evaluator.names.update(answers)
        evaluator.names.update({d.name: weeks for d in spec.derived if d.weeks_since})
        for kind, code, field, node in parsed:
            try:
                value = evaluator.eval("", previously_parsed=node)
            except Exception as exc:
                if (kind, code) not in failed:
                    failed.add((kind, code))
                    problems.append(
                        CriteriaProblem(
                            kind,
                            code,
                            field,
                            f"fails when evaluated with {label} answers: "
                            f"{type(exc).__name__}: {exc}",
                        )
                    )
                continue
            if kind == "derived":
                evaluator.names[code] = value
    return problems
