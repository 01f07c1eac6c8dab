"""The intake form's HTML, built in Python: the markup crispy-forms' bootstrap5 pack gave it,
without running crispy's and Django's widget templates for each of its ~60 fields.

Through crispy the form cost about 5,000 template node renders per request, most of the page's
time; here each field is a few ``format_html`` calls (this module's own: Django's, without its
lazy-string check, which cost more than the escaping). The markup is crispy's, element for
element (the browser tests, ``static/js/intake_form.js`` and the accessibility checks rely on
its ids, classes and ``aria-describedby``; ``tests/intake/test_intake_form_html.py`` compares the
two). The values come from Django's own form machinery (``BoundField.value``, the widget's
``format_value``, ``build_widget_attrs``), so what a field shows is what Django would show.

Everything that is data is escaped: prompts, help texts, choice labels, the sections' names
(criteria text written by someone else), the typed values and the error messages (which quote
what was typed). Nothing here is ever rendered as a template.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString, mark_safe

from screener.engine.types import Requirement

if TYPE_CHECKING:
    from intake.forms.intake_form import IntakeForm

NOT_NEEDED = "not needed for this patient"
SECTION_CLASS = "intake-section border rounded p-3 mb-3"
EMPTY = SafeString("")


def conditional_escape(value: Any) -> str:
    """Django's ``conditional_escape`` (HTML kept, anything else escaped as ``escape`` does),
    without the lazy-string wrapper that costs more than the escaping on ~1,000 calls a page."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def format_html(template: str, *args: Any) -> SafeString:
    """Django's ``format_html``: every argument escaped (or kept, if already HTML)."""
    return SafeString(template.format(*[conditional_escape(arg) for arg in args]))


def format_html_join(sep: str, template: str, rows: Iterable[tuple[Any, ...]]) -> SafeString:
    return SafeString(sep.join(format_html(template, *row) for row in rows))


def _attrs(attrs: Mapping[str, Any]) -> SafeString:
    """`` name="value"`` pairs as Django's ``attrs.html`` writes them (True: the bare name;
    False: left out)."""
    return SafeString(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


def _control_attrs(bf: BoundField, css: str) -> dict[str, Any]:
    """The widget's own attributes, then crispy's class, then Django's (required, aria-invalid,
    aria-describedby) and the id: the order crispy's ``crispy_field`` and ``as_widget`` give."""
    widget = bf.field.widget
    attrs = {name: value for name, value in widget.attrs.items() if name != "class"}
    kind = type(widget).__name__.lower()
    attrs["class"] = f"{kind} {css}{' is-invalid' if bf.errors else ''}"
    attrs.update(bf.build_widget_attrs({}))
    attrs.setdefault("id", bf.auto_id)
    return attrs


def _errors(bf: BoundField, tag: str) -> SafeString:
    if not bf.errors:
        return EMPTY
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        bf.auto_id,
        format_html_join(
            "",
            '<{} id="error_{}_{}"><strong>{}</strong></{}>',
            ((tag, number, bf.auto_id, error, tag) for number, error in enumerate(bf.errors, 1)),
        ),
    )


def _help(bf: BoundField) -> SafeString:
    # The fields' help texts are escaped when the form builds them (as crispy output them
    # with |safe); conditional_escape keeps them as they are and escapes any plain str.
    if not bf.help_text:
        return EMPTY
    return format_html(
        '<div id="{}_helptext" class="form-text">{}</div>',
        bf.auto_id,
        conditional_escape(bf.help_text),
    )


def _label_text(bf: BoundField) -> SafeString:
    if bf.field.required:
        return format_html('{}<span class="asteriskField">*</span>', bf.label)
    return conditional_escape(bf.label)


def _required_class(bf: BoundField) -> str:
    return " requiredField" if bf.field.required else ""


def _control(bf: BoundField) -> SafeString:
    """A text, date or number input, a textarea or a select, as Django's widget templates
    render them with crispy's classes."""
    widget = bf.field.widget
    value = widget.format_value(bf.value())
    if widget.is_hidden:
        attrs = {**widget.attrs, **bf.build_widget_attrs({})}
        attrs.setdefault("id", bf.auto_id)
        return format_html(
            '<input type="hidden" name="{}"{}{}>',
            bf.html_name,
            "" if value is None else format_html(' value="{}"', value),
            _attrs(attrs),
        )
    if isinstance(widget, forms.Select):
        selected = {str(v) for v in value}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, " selected" if str(option) in selected else "", label)
                for option, label in widget.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            bf.html_name,
            _attrs(_control_attrs(bf, "form-select")),
            options,
        )
    if isinstance(widget, forms.Textarea):
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            bf.html_name,
            _attrs(_control_attrs(bf, "form-control")),
            value or "",
        )
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget.input_type,
        bf.html_name,
        "" if value is None else format_html(' value="{}"', value),
        _attrs(_control_attrs(bf, "form-control")),
    )


def _field(bf: BoundField, wrapper_class: str) -> SafeString:
    """A field with its label above it (crispy's ``field.html``)."""
    return format_html(
        '<div id="div_{}" class="mb-3{}">'
        '<label for="{}" class="form-label{}">{}</label>'
        "{}{}{}</div>",
        bf.auto_id,
        f" {wrapper_class}" if wrapper_class else "",
        bf.id_for_label,
        _required_class(bf),
        _label_text(bf),
        _control(bf),
        _errors(bf, "span"),
        _help(bf),
    )


def _radios(bf: BoundField, wrapper_class: str) -> SafeString:
    """Radio buttons in a row inside a fieldset, the prompt as its legend (crispy's
    ``InlineRadios``: ``radioselect_inline.html``)."""
    widget = bf.field.widget
    checked = {str(v) for v in widget.format_value(bf.value())}
    invalid = " is-invalid" if bf.errors else ""
    option_attrs = bf.build_widget_attrs({"id": bf.auto_id})
    options = []
    for index, (value, label) in enumerate(widget.choices):
        attrs = {**widget.attrs, **option_attrs, "id": f"{bf.auto_id}_{index}"}
        if str(value) in checked:
            attrs["checked"] = True
        options.append(
            format_html(
                '<div class="form-check form-check-inline">'
                '<input type="radio" class="form-check-input{}" name="{}" value="{}"{}> '
                '<label for="{}" class="form-check-label">{}</label></div>',
                invalid,
                bf.html_name,
                value,
                _attrs(attrs),
                attrs["id"],
                label,
            )
        )
    described_by = bf.aria_describedby
    return format_html(
        '<div id="div_{}" class="mb-3{}">'
        "<fieldset{}>"
        '<legend for="{}" class=" fs-6 form-label{}">{}</legend>'
        "<div>{}</div>{}{}</fieldset></div>",
        bf.auto_id,
        f" {wrapper_class}" if wrapper_class else "",
        format_html(' aria-describedby="{}"', described_by) if described_by else "",
        bf.id_for_label,
        _required_class(bf),
        _label_text(bf),
        # Spaced as crispy's template spaced them: inline-block options keep their gap.
        mark_safe(" ".join(options)),  # each built by format_html
        _errors(bf, "p"),
        _help(bf),
    )


def _question(bf: BoundField, wrapper_class: str) -> SafeString:
    if isinstance(bf.field.widget, forms.RadioSelect):
        return _radios(bf, wrapper_class)
    return _field(bf, wrapper_class)


def conditional_question(
    *, code: str, prompt: str, collapsed: bool, inner: SafeString
) -> SafeString:
    """A question required only when its condition holds, inside a ``<details>``: closed,
    showing the prompt and "not needed for this patient", while ``collapsed``; open (its
    summary hidden by the stylesheet) otherwise."""
    return format_html(
        '<details class="conditional-question{}" id="when_{}"{}>'
        '<summary class="conditional-summary">'
        '<span class="conditional-prompt">{}</span> '
        '<span class="conditional-note">{}</span></summary>{}</details>',
        " conditional-collapsed" if collapsed else "",
        code,
        "" if collapsed else " open",
        prompt,
        NOT_NEEDED,
        inner,
    )


def _sections(form: IntakeForm) -> Iterable[SafeString]:
    sections: dict[str, list[SafeString]] = {}
    for question in form.questions:
        css = "question"
        if question.code in form.required_codes:
            css += " question-required"
        shown = _question(form[question.code], css)
        if question.requirement == Requirement.WHEN:
            shown = conditional_question(
                code=question.code,
                prompt=question.prompt,
                collapsed=question.code in form.collapsed_codes,
                inner=shown,
            )
        sections.setdefault(question.section, []).append(shown)
    for section, fields in sections.items():
        yield format_html(
            '<fieldset class="{}"><legend>{}</legend>{}</fieldset>',
            SECTION_CLASS,
            section,
            mark_safe("".join(fields)),  # each built by format_html
        )


def intake_form_html(form: IntakeForm, *, top: Iterable[tuple[str, str]]) -> SafeString:
    """The whole form's fields: the non-field errors (as crispy showed them), the ``top`` fields
    (name, wrapper class; hidden ones as bare inputs), then one fieldset per section."""
    parts: list[str] = []
    if form.non_field_errors():
        parts.append(
            format_html(
                '<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>',
                format_html_join("", "<li>{}</li>", ((e,) for e in form.non_field_errors())),
            )
        )
    for name, wrapper_class in top:
        bf = form[name]
        parts.append(_control(bf) if bf.is_hidden else _field(bf, wrapper_class))
    parts.extend(_sections(form))
    return mark_safe("".join(parts))  # every part built by format_html
