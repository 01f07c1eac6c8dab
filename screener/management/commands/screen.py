"""``manage.py screen``: the screening engine from the command line (JSON in, JSON Lines out).

The contract is ``shared/domain/screen-command.md``. The command reads criteria from the
database and never writes to it. A bad case gets ``{"error", "field"}`` on its own line and the
command goes on; a file that cannot be read or parsed gets one line on standard error.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from screener import adapters, engine, selectors
from screener.engine.answers import parse_date
from screener.models import CriteriaSetStatus

BAD_INPUT_STATUS = 2
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


class CaseError(Exception):
    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_cases(text: str) -> list[Any]:
    """The cases of a file: one object or a list. Raises ValueError with a one-line reason."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # NaN, Infinity, an integer of thousands of digits
        raise ValueError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise ValueError("the JSON must be a case object or a list of case objects")


def _date_iso(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# As ``json.dumps(..., ensure_ascii=False)``, with a rule's dates read as ISO text.
_encode = json.JSONEncoder(ensure_ascii=False, default=_date_iso).encode


def result_json(result: engine.ScreeningResult) -> str:
    """``json.dumps(result.as_dict(), ensure_ascii=False)``, the same text built faster.

    ``as_dict`` converts every value of every rule in Python (``json_value``), about 50 rules a
    case; here the rules go to the C encoder nearly as they are: effects are text already, needs
    tuples encode as arrays and dates through ``default``. The one value the C encoder writes
    differently is NaN (a blank derived value: ``as_dict`` says null), so a text that holds
    "NaN" anywhere is made by ``as_dict`` instead.
    """
    text = _encode(
        {
            "outcome": str(result.outcome),
            "emergency": result.emergency,
            "criteria_set": {"procedure": result.procedure, "version": result.version},
            "missing": result.missing,
            "rules": [
                {
                    "code": rule.code,
                    "effect": rule.effect,
                    "holds": rule.holds,
                    "needs": rule.needs,
                    "message": rule.message,
                    "source": rule.source,
                    "values": dict(rule.values),
                }
                for rule in result.rules
            ],
            "suggested_codes": result.suggested_codes,
        }
    )
    if "NaN" in text:
        return json.dumps(result.as_dict(), ensure_ascii=False)
    return text


def _result_line(result: engine.ScreeningResult) -> str:
    text = result_json(result)
    if text.isascii():  # a flag of the string, no scan: nothing to check
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the set's text: as ``_json_line`` does
        return json.dumps(result.as_dict())
    return text


def _json_line(line: dict[str, Any]) -> str:
    """One result as JSON text; escaped as ASCII when it holds a lone surrogate (a bad case's
    own text, such as an unknown code ``\\ud800``), which UTF-8 output cannot carry."""
    text = json.dumps(line, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(line)
    return text


class Command(BaseCommand):
    help = "Screen cases (JSON) against a published criteria set; print one JSON result per line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cases", help="a JSON file of one case or a list of cases; - for stdin")
        parser.add_argument("--procedure", help="procedure slug for cases that do not name one")
        parser.add_argument(
            "--criteria-version",
            type=int,
            dest="criteria_version",
            help="screen against this published or retired version (default: newest published)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = self._read(options["cases"])
            cases = load_cases(text)
        except ValueError as exc:
            self.stderr.write(f"screen: {options['cases']}: {exc}")
            sys.exit(BAD_INPUT_STATUS)

        self._compiled: dict[tuple[str, int | None], engine.CompiledCriteria] = {}
        today = timezone.localdate()
        any_bad = False
        for case in cases:
            try:
                text = _result_line(self._screen_case(case, options, today))
            except CaseError as exc:
                any_bad = True
                text = _json_line({"error": exc.message, "field": exc.field})
            self.stdout.write(text)
        if any_bad:
            sys.exit(BAD_INPUT_STATUS)

    def _read(self, path: str) -> str:
        try:
            if path == "-":
                return sys.stdin.buffer.read().decode("utf-8")
            with open(path, "rb") as handle:
                return handle.read().decode("utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the file: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise ValueError("cannot read the file: it is not UTF-8 text") from None

    def _screen_case(
        self, case: Any, options: dict[str, Any], today: datetime.date
    ) -> engine.ScreeningResult:
        if not isinstance(case, dict):
            raise CaseError("case", "a case must be a JSON object")
        compiled = self._criteria(case.get("procedure"), options)
        as_of = self._as_of(case.get("as_of"), today)
        if "answers" not in case or case["answers"] is None:
            raise CaseError("answers", "answers is required: an object of question code to value")
        if not isinstance(case["answers"], dict):
            raise CaseError("answers", "answers must be an object of question code to value")
        try:
            answers = engine.parse_answers(compiled.spec, case["answers"], as_of)
        except engine.AnswerError as exc:
            raise CaseError(exc.field, exc.message) from None
        technique = self._technique(case.get("technique"), compiled.spec)
        return engine.screen(compiled, answers, as_of, technique=technique)

    def _technique(self, value: Any, spec: engine.CriteriaSpec) -> str | None:
        """A case may name a technique of the set's coding table: the suggested codes are then
        that technique's (else the table's first technique's)."""
        if value is None:
            return None
        techniques = spec.techniques()
        if not isinstance(value, str) or value not in techniques:
            known = ", ".join(techniques) or "none"
            raise CaseError(
                "technique",
                f"{json.dumps(value)} is not a technique of this criteria set ({known})",
            )
        return value

    def _as_of(self, value: Any, today: datetime.date) -> datetime.date:
        if value is None:
            return today
        try:
            return parse_date(value)
        except ValueError as exc:
            raise CaseError("as_of", str(exc)) from None

    def _criteria(self, case_procedure: Any, options: dict[str, Any]) -> engine.CompiledCriteria:
        slug = case_procedure if case_procedure is not None else options.get("procedure")
        if slug is None:
            raise CaseError("procedure", "no procedure: give the case a procedure, or --procedure")
        if not isinstance(slug, str):
            raise CaseError("procedure", "procedure must be a string (a procedure slug)")
        version = options.get("criteria_version")
        key = (slug, version)
        if key not in self._compiled:
            self._compiled[key] = self._load_criteria(slug, version)
        return self._compiled[key]

    def _load_criteria(self, slug: str, version: int | None) -> engine.CompiledCriteria:
        # No slug has other characters; looking one up could fail on text the database cannot
        # take (a lone surrogate such as "\ud800" cannot be encoded).
        procedure = selectors.procedure_by_slug(slug) if SLUG.fullmatch(slug) else None
        if procedure is None:
            raise CaseError("procedure", f"unknown procedure '{slug}'")
        if version is None:
            criteria_set = selectors.newest_published_set(procedure)
            if criteria_set is None:
                raise CaseError("criteria_version", f"{slug} has no published criteria set")
        else:
            criteria_set = selectors.criteria_set_by_version(procedure, version)
            if criteria_set is None:
                raise CaseError("criteria_version", f"{slug} has no version {version}")
            if criteria_set.status == CriteriaSetStatus.DRAFT:
                raise CaseError(
                    "criteria_version",
                    f"version {version} of {slug} is a draft; drafts cannot be screened against",
                )
        try:
            return adapters.compiled_criteria(criteria_set)
        except engine.CriteriaInvalid as exc:  # a stored set that no longer checks
            raise CaseError("criteria_version", f"{criteria_set} cannot be used: {exc}") from None
