"""What a criteria admin reads on the criteria admin's pages: messages styled as what they
are, numbers as typed, labels instead of codes."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from screener.models import Parameter, Rule, plain_number
from screener.services import criteria_set_clone
from tests.screener.test_admin import change_form_data, set_page, text, url

pytestmark = pytest.mark.django_db


class MessageList(HTMLParser):
    """The admin's message list: each ``li`` in it with its classes (nested ones included)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside ul.messagelist: how many lists deep
        self.items: list[tuple[int, str]] = []  # (depth, class attribute)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and (self.depth or "messagelist" in (attrs.get("class") or "").split()):
            self.depth += 1
        elif tag == "li" and self.depth:
            self.items.append((self.depth, attrs.get("class") or ""))

    def handle_endtag(self, tag):
        if tag == "ul" and self.depth:
            self.depth -= 1


def message_items(html: str) -> list[tuple[int, str]]:
    parser = MessageList()
    parser.feed(html)
    return parser.items


def test_expression_errors_at_the_top_of_a_draft_are_one_error_message(client_admin, default_set):
    """The list of problems is one message styled as an error, with no item inside it that
    the admin would show as a message of its own (a green tick)."""
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, "rules")
    data = change_form_data(client_admin, page)
    rows = {data[k]: k.removesuffix("-code") for k in data if re.fullmatch(r"rule_set-\d+-code", k)}
    data[f"{rows['rf_minor']}-condition"] = "age < 18"
    data[f"{rows['ca_improving']}-condition"] = "pain_trend == 'better'"
    html = text(client_admin.post(page, data))
    assert message_items(html) == [(1, "error")]
    assert (
        "Nothing was saved: 2 expression problem(s), shown on their rows."
        '<br><span class="message-line">Rule rf_minor: unknown name &#x27;age&#x27;'
    ) in html


def test_a_refused_publish_is_one_error_message(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    html = text(client_admin.post(url("criteriaset_publish", draft.pk), follow=True))
    assert message_items(html) == [(1, "error")]
    assert "Not published: vertebroplasty v2 still has problems." in html
    assert '<span class="message-line">Rule rf_minor: unknown name' in html


# -- numbers as typed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("50.0000", "50"),
        ("1.5000", "1.5"),
        ("0.2500", "0.25"),
        ("1000", "1000"),
        ("0.0000", "0"),
        ("-2.5", "-2.5"),
        ("99999999.9999", "99999999.9999"),
    ],
)
def test_a_parameter_reads_as_typed(stored, shown):
    """Never exponent notation (5E+1) nor the column's padding (50.0000)."""
    assert str(Parameter(name="platelets_min", value=Decimal(stored))) == f"platelets_min = {shown}"
    assert plain_number(Decimal(stored)) == shown


def parameter_row(page: str, name: str) -> str:
    """The HTML of the inline row of parameter ``name`` on a set's parameters part."""
    start = page.index(f"{name} = ")
    return page[start : page.index("</tr>", page.index("</tr>", start) + 1)]


def test_a_draft_shows_its_numbers_as_typed_in_row_titles_and_inputs(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Parameter.objects.filter(criteria_set=draft, name="nrs_outpatient_min").update(value="6.5")
    page = text(client_admin.get(set_page(draft, "parameters")))
    assert "E+" not in page and ".0000" not in page
    assert re.search(
        r'name="parameter_set-\d+-value" value="50"', parameter_row(page, "platelets_min")
    )
    assert re.search(
        r'name="parameter_set-\d+-value" value="6.5"', parameter_row(page, "nrs_outpatient_min")
    )
    page = text(client_admin.get(set_page(draft, "questions")))
    assert ".0000" not in page
    assert re.search(r'name="question_set-\d+-max_value" value="10"', page)


def test_a_published_set_shows_its_numbers_as_typed(client_admin, default_set):
    """Read-only, the admin would show 50.0000; the set's page and a question's page do not."""
    page = text(client_admin.get(set_page(default_set, "parameters")))
    assert "platelets_min = 50" in page
    assert "E+" not in page and ".0000" not in page
    assert re.search(r'<td class="field-value_shown">\s*<p>50</p>\s*</td>', page)
    question = default_set.question_set.get(code="pain_nrs")
    page = text(client_admin.get(url("question_change", question.pk)))
    assert ".0000" not in page
    assert re.search(r'<div class="readonly">10</div>', page)


def test_the_change_log_reads_numbers_as_typed(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, "parameters")
    data = change_form_data(client_admin, page)
    [prefix] = [k.removesuffix("-name") for k, v in data.items() if v == "platelets_min"]
    data[f"{prefix}-value"] = "47.5"
    assert client_admin.post(page, data).status_code == 302
    page = text(client_admin.get(set_page(draft, "history")))
    assert "Parameter platelets_min: value 50 -&gt; 47.5" in page


# -- outcome and rule labels ----------------------------------------------------------------


def test_golden_cases_read_their_expected_outcome_as_a_label(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="ex-stable-two-findings-on-warfarin")
    summary = text(client_admin.get(set_page(draft, "golden")))
    assert "Appears to meet criteria, cautions to review (candidate_with_cautions)" in summary
    listed = text(client_admin.get(url("goldencase_changelist")))
    assert "Appears to meet criteria, cautions to review (candidate_with_cautions)" in listed
    form = text(client_admin.get(url("goldencase_change", case.pk)))
    assert (
        '<option value="candidate_with_cautions" selected>Appears to meet criteria, cautions to '
        "review (candidate_with_cautions)</option>"
    ) in form


def test_a_failing_golden_case_names_the_rule_by_its_message(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="ex-pain-score-missing")
    case.expected_holding = ["rf_minor"]
    case.save()
    page = text(client_admin.get(url("criteriaset_golden", draft.pk)))
    assert (
        "rule “The patient is under 18 and outside this pathway. Refer to a paediatric "
        "specialist.” (rf_minor): expected to hold, but does not"
    ) in page.replace("&ldquo;", "“").replace("&rdquo;", "”")
