"""What a criteria admin reads on the criteria admin's pages: messages styled as what they
are, numbers as typed, labels instead of codes."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from screener.models import Rule
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
