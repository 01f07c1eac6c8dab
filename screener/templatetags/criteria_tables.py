"""The tables of a criteria set's parts in admin: ``{% load criteria_tables %}``.

An inline's ``fields`` may stack several fields in one cell (a tuple); the table's header then
has one column per cell, not per field (``templates/admin/screener/edit_inline/tabular.html``).
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def table_columns(inline_admin_formset: Any) -> list[list[dict[str, Any]]]:
    """One list per column of the table: the fields stacked in its cells, each as Django's
    ``InlineAdminFormSet.fields()`` describes it (name, label, help_text, required, widget)."""
    described = {field["name"]: field for field in inline_admin_formset.fields()}
    columns = []
    for _name, options in inline_admin_formset.fieldsets:
        for line in options["fields"]:
            names = line if isinstance(line, list | tuple) else (line,)
            column = [described[name] for name in names if name in described]
            if column:
                columns.append(column)
    return columns
