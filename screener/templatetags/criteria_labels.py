"""Labels on the criteria admin's pages: ``{% load criteria_labels %}``,
``{{ code|outcome_label }}`` and ``{% outcome code %}`` (the label, its code small beside it).
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from screener import labels

register = template.Library()


@register.filter
def outcome_label(code: str | None) -> str:
    return labels.outcome_label(code)


@register.simple_tag
def outcome(code: str | None) -> str:
    """The outcome's label with its code in a small element beside it ("—" for none)."""
    if not code:
        return "—"
    label = labels.outcome_label(code)
    if label == code:
        return format_html("{}", code)
    return format_html('{} <small class="code">{}</small>', label, code)


@register.simple_tag
def rule(message: str | None, code: str) -> str:
    """A rule as a person reads it: its message, its code small beside it (the code alone
    when the message is unknown)."""
    if not message:
        return format_html('<span class="code">{}</span>', code)
    return format_html('{} <small class="code">{}</small>', message, code)
