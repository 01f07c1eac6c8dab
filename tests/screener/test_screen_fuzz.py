"""`manage.py screen` on generated JSON: never a traceback, exit 0 or 2, one line per case.

The cases are random JSON, random cases around the real question codes, and raw text that is
not JSON at all; the command writes to a strict UTF-8 stream, as a terminal or a pipe does. A
bounded, derandomized run (the same cases every time, no example database).
"""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.criteria_data import default_spec

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

QUESTIONS = default_spec().questions
CODES = [q.code for q in QUESTIONS]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),  # lone surrogates included: json.dumps escapes them as \\ud800
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

DATES = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["0001-01-01", "1899-12-31", "1900-01-01", "9999-12-31", "2025-02-30"]),
    st.sampled_from(
        [
            "2025-3-1",
            "20250301",
            "\u0662\u0660\u0662\u0665-\u0660\u0663-\u0660\u0661",
            "2025-03-01T00:00",
        ]
    ),
)


def plausible(question) -> st.SearchStrategy:
    """A value of roughly the right type for the question (often out of range or wrong)."""
    kind = question.type
    if kind == "bool":
        return st.booleans()
    if kind in ("int", "decimal"):
        return st.one_of(st.integers(-10, 3000), st.floats(-1e6, 1e6), st.integers())
    if kind == "choice":
        return st.sampled_from([*question.choices, "", "other"])
    return DATES


answer_objects = st.fixed_dictionaries(
    {},
    optional={
        q.code: st.one_of(plausible(q), plausible(q), st.none(), json_values) for q in QUESTIONS
    },
)
cases = st.one_of(
    st.fixed_dictionaries(
        {"answers": st.one_of(answer_objects, answer_objects, json_values)},
        optional={
            "procedure": st.one_of(st.sampled_from(["vertebroplasty", "kyphoplasty"]), json_values),
            "as_of": st.one_of(DATES, json_values),
            "id": json_values,
            "extra": json_values,
        },
    ),
    st.dictionaries(st.sampled_from(["procedure", "as_of", "answers", "x"]), json_values),
    json_values,
)
RAW_TEXTS = [
    "",
    "[",
    "NaN",
    "[Infinity]",
    '{"answers": {"pain_nrs": ' + "9" * 5000 + "}}",
    "[" * 5000 + "]" * 5000,
    '{"answers": {"pain_nrs": 1e999}}',
    '"just a string"',
    "42",
    "\ufeff{}",
    '{"answers": {"\\ud800": 1}, "procedure": "vertebroplasty"}',
    '{"answers": {"fracture_level": "\\udfff"}, "procedure": "\\ud800"}',
]
files = st.one_of(
    st.lists(cases, max_size=4).map(json.dumps),
    cases.map(json.dumps),
    st.sampled_from(RAW_TEXTS),
)


def run_screen(path: Path, *args: str) -> tuple[int, bytes, bytes]:
    """The command's exit status and its raw output, written as strict UTF-8."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="strict", write_through=True)
    status = 0
    try:
        call_command("screen", str(path), *args, stdout=stdout, stderr=stderr)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue(), err.getvalue()


def test_screen_never_fails_on_generated_cases(default_set, tmp_path: Path):
    path = tmp_path / "cases.json"
    seen: set[str] = set()

    @FUZZ
    @given(files, st.sampled_from([(), ("--procedure", "vertebroplasty")]))
    def run(text: str, args: tuple[str, ...]) -> None:
        path.write_text(text, encoding="utf-8")
        status, out, err = run_screen(path, *args)
        assert status in (0, 2)
        if err:  # the file as a whole is refused: one line on standard error, nothing else
            assert (status, out, len(err.decode("utf-8").splitlines())) == (2, b"", 1)
            seen.add("file refused")
            return
        lines = [json.loads(line) for line in out.decode("utf-8").splitlines()]
        data = json.loads(text)
        expected = data if isinstance(data, list) else [data]
        assert len(lines) == len(expected)
        for line in lines:
            assert list(line) in (
                ["error", "field"],
                ["outcome", "emergency", "criteria_set", "missing", "rules", "suggested_codes"],
            )
        bad = sum("error" in line for line in lines)
        assert status == (2 if bad else 0)
        seen.update("bad case" if "error" in line else "screened" for line in lines)

    run()
    assert seen == {"file refused", "bad case", "screened"}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '{"procedure": "vertebroplasty", "answers": {"\\ud800": 1}}',
            '{"error": "unknown question code \'\\ud800\'", "field": "answers.\\ud800"}',
        ),
        (
            '{"procedure": "\\ud800", "answers": {}}',
            '{"error": "unknown procedure \'\\ud800\'", "field": "procedure"}',
        ),
        (
            '{"procedure": "vertebroplasty", "answers": {"fracture_level": "\\udfff"}}',
            '{"error": "\'\\udfff\' is not one of: cervical, T1, T2, T3, T4, T5, T6, T7, T8, '
            'T9, T10, T11, T12, L1, L2, L3, L4, L5, sacral", '
            '"field": "answers.fracture_level"}',
        ),
    ],
)
def test_a_lone_surrogate_is_written_escaped(default_set, tmp_path: Path, text, line):
    """A bad case's own text may hold a lone surrogate: its line is ASCII-escaped JSON."""
    path = tmp_path / "cases.json"
    path.write_text(text)
    assert run_screen(path) == (2, (line + "\n").encode(), b"")


def test_deep_nesting_is_a_file_error(default_set, tmp_path: Path):
    path = tmp_path / "cases.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    status, out, err = run_screen(path)
    assert (status, out) == (2, b"")
    assert err.decode() == f"screen: {path}: not valid JSON: nested too deeply\n"
