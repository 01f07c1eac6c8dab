"""Versioned criteria sets: a procedure's questions, parameters, derived values and rules.

A published (or retired) set never changes: every screening keeps the version it was screened
under. The guards live here, below admin, forms and services: ``save``/``delete`` on each model,
``update``/``delete``/``bulk_create`` on their querysets, and raw saves from ``loaddata``
(``screener.signals``). A new version is made by cloning (``services.criteria_set_clone``).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from screener.engine.types import Effect, Outcome, QuestionType, Requirement

identifier_validator = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_]*\Z",
    "Use letters, digits and underscores, starting with a letter.",
)


def plain_number(value: Decimal | int | float | None) -> str:
    """A number as a person types it: ``50``, ``1.5``, ``0.25``; never exponent notation
    (``Decimal.normalize`` gives ``5E+1``) nor the column's padding (``50.0000``)."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    return "0" if number.is_zero() else f"{number:f}"


class ImmutableCriteriaError(Exception):
    """A write to a published or retired criteria set (or to one of its parts)."""


class CriteriaSetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


# ------------------------------------------------------------------------------------------
# Procedure


class ProcedureManager(models.Manager["Procedure"]):
    def get_by_natural_key(self, slug: str) -> Procedure:
        return self.get(slug=slug)


class Procedure(models.Model):
    """A procedure screened for. Its slug names every version ("<slug> v2") and is
    frozen once a version has been published; its name is copied into each new version
    (``CriteriaSet.procedure_name``), so renaming it changes no published version, and a rename
    is recorded in the change log (``services.procedure_save``)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    objects = ProcedureManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        guard_procedure_write(self)
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def slug_frozen(self) -> bool:
        """True once a version has been published: the slug is part of versioned data."""
        return (
            self.pk is not None
            and self.criteria_sets.exclude(status=CriteriaSetStatus.DRAFT).exists()
        )


def guard_procedure_write(procedure: Procedure) -> None:
    """Refuse changing the slug of a procedure that has a published or retired version."""
    if procedure.pk is None:
        return
    stored_slug = Procedure.objects.filter(pk=procedure.pk).values_list("slug", flat=True).first()
    if stored_slug not in (None, procedure.slug) and procedure.slug_frozen:
        raise ImmutableCriteriaError(
            f"procedure {stored_slug} has a published version: its slug cannot be changed."
        )


# ------------------------------------------------------------------------------------------
# Criteria set


class CriteriaSetQuerySet(models.QuerySet["CriteriaSet"]):
    def _refuse_if_frozen(self, action: str) -> None:
        frozen = self.exclude(status=CriteriaSetStatus.DRAFT).first()
        if frozen is not None:
            raise ImmutableCriteriaError(
                f"{frozen} is {frozen.status} and cannot be {action}; clone it as a new draft."
            )

    def update(self, **kwargs: Any) -> int:
        self._refuse_if_frozen("changed")
        return super().update(**kwargs)

    update.queryset_only = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen("deleted")
        return super().delete()

    delete.queryset_only = True  # type: ignore[attr-defined]

    def published(self) -> CriteriaSetQuerySet:
        return self.filter(status=CriteriaSetStatus.PUBLISHED)


class CriteriaSetManager(models.Manager.from_queryset(CriteriaSetQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, procedure_slug: str, version: int) -> CriteriaSet:
        return self.get(procedure__slug=procedure_slug, version=version)


# Fields a published set may still change, and only on its way to retired.
_RETIRE_FIELDS = frozenset({"status", "retired_at"})


class CriteriaSet(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="criteria_sets")
    # The procedure's name as this version prints it (page headings, handouts): copied from the
    # procedure when the set is created, cloned or imported, so a rename reaches new versions
    # only. Editable while a draft, like the rest of the set.
    procedure_name = models.CharField(
        max_length=200,
        help_text="The procedure's name as this version shows it on pages and patient handouts.",
    )
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=CriteriaSetStatus.choices, default=CriteriaSetStatus.DRAFT
    )
    notes = models.TextField(blank=True, help_text="What changed in this version, and why.")
    # The coding table's inputs (its rows are CodingRow): which choice question gives the
    # region and which number question the count of levels treated.
    coding_level_question = models.CharField(
        "level question",
        max_length=64,
        blank=True,
        help_text="Code of the choice question whose answer picks the coding table's row.",
    )
    coding_count_question = models.CharField(
        "levels count question",
        max_length=64,
        blank=True,
        help_text="Code of the number question counting the levels treated (one when blank).",
    )
    codes_note = models.CharField(
        "note on the codes",
        max_length=200,
        blank=True,
        help_text="Shown beside suggested codes (for example: provisional until the physician "
        "confirms the levels).",
    )
    # The payer's policy the set's coverage criteria (Rule.coverage_criterion) come from, as a
    # prior-authorization packet names it in its footer.
    coverage_policy = models.CharField(
        "coverage policy",
        max_length=100,
        blank=True,
        help_text="The payer's policy the coverage criteria come from (for example: the "
        "LCD's number).",
    )
    coverage_policy_revised = models.DateField(
        "coverage policy revised",
        null=True,
        blank=True,
        help_text="The revision date of that policy, printed with it on authorization packets.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = CriteriaSetManager()

    class Meta:
        ordering = ["procedure__name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "version"], name="criteria_set_unique_version"
            ),
            models.CheckConstraint(
                condition=Q(status=CriteriaSetStatus.DRAFT) | Q(published_at__isnull=False),
                name="criteria_set_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(procedure_name=""), name="criteria_set_names_procedure"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.slug} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        guard_criteria_set_write(self)
        if self._state.adding and not self.procedure_name:
            # A new set names its procedure as the procedure is named today.
            self.procedure_name = self.procedure.name
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        guard_criteria_set_delete(self)
        return super().delete(*args, **kwargs)

    def natural_key(self) -> tuple[str, int]:
        return (self.procedure.slug, self.version)

    natural_key.dependencies = ["screener.procedure"]  # type: ignore[attr-defined]

    @property
    def is_draft(self) -> bool:
        return self.status == CriteriaSetStatus.DRAFT


def _field_values(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def guard_criteria_set_write(criteria_set: CriteriaSet) -> None:
    """Refuse any change to a stored published or retired set except publishing -> retired."""
    if criteria_set.pk is None:
        return
    stored = CriteriaSet.objects.filter(pk=criteria_set.pk).first()
    if stored is None or stored.status == CriteriaSetStatus.DRAFT:
        return
    before, after = _field_values(stored), _field_values(criteria_set)
    changed = {name for name in before if before[name] != after[name]}
    if not changed:
        return
    retiring = (
        stored.status == CriteriaSetStatus.PUBLISHED
        and criteria_set.status == CriteriaSetStatus.RETIRED
        and changed <= _RETIRE_FIELDS
    )
    if not retiring:
        raise ImmutableCriteriaError(
            f"{stored} is {stored.status} and cannot be changed; clone it as a new draft."
        )


def guard_criteria_set_delete(criteria_set: CriteriaSet) -> None:
    stored_status = (
        CriteriaSet.objects.filter(pk=criteria_set.pk).values_list("status", flat=True).first()
    )
    if stored_status not in (None, CriteriaSetStatus.DRAFT):
        raise ImmutableCriteriaError(f"{criteria_set} is {stored_status} and cannot be deleted.")


# ------------------------------------------------------------------------------------------
# Parts of a set


class CriteriaItemQuerySet(models.QuerySet):
    def _refuse_if_frozen(self, action: str) -> None:
        frozen = (
            self.exclude(criteria_set__status=CriteriaSetStatus.DRAFT)
            .select_related("criteria_set__procedure")
            .first()
        )
        if frozen is not None:
            raise ImmutableCriteriaError(
                f"{frozen.criteria_set} is {frozen.criteria_set.status}: its "
                f"{self.model._meta.verbose_name_plural} cannot be {action}."
            )

    def update(self, **kwargs: Any) -> int:
        self._refuse_if_frozen("changed")
        if "criteria_set" in kwargs or "criteria_set_id" in kwargs:
            target = kwargs.get("criteria_set") or kwargs.get("criteria_set_id")
            guard_parent_is_draft(self.model, getattr(target, "pk", target))
        return super().update(**kwargs)

    update.queryset_only = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen("deleted")
        return super().delete()

    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        objs = list(objs)
        for set_id in {obj.criteria_set_id for obj in objs}:
            guard_parent_is_draft(self.model, set_id)
        return super().bulk_create(objs, *args, **kwargs)


class CriteriaItemManager(models.Manager.from_queryset(CriteriaItemQuerySet)):  # type: ignore[misc]
    key_field = "code"

    def get_by_natural_key(self, procedure_slug: str, version: int, key: str) -> Any:
        return self.get(
            criteria_set__procedure__slug=procedure_slug,
            criteria_set__version=version,
            **{self.key_field: key},
        )


class NamedItemManager(CriteriaItemManager):
    key_field = "name"


class ContentBlockManager(CriteriaItemManager):
    key_field = "kind"


class LabelledItemManager(CriteriaItemManager):
    key_field = "label"


def guard_parent_is_draft(model: type[models.Model], criteria_set_id: int | None) -> None:
    if criteria_set_id is None:
        return
    stored = (
        CriteriaSet.objects.filter(pk=criteria_set_id)
        .select_related("procedure")
        .only("status", "version", "procedure__slug")
        .first()
    )
    if stored is not None and stored.status != CriteriaSetStatus.DRAFT:
        raise ImmutableCriteriaError(
            f"{stored} is {stored.status}: its {model._meta.verbose_name_plural} cannot be "
            "changed; clone it as a new draft."
        )


def guard_item_write(item: CriteriaItem) -> None:
    """A part of a set is written only while its set (before and after the write) is a draft."""
    guard_parent_is_draft(type(item), item.criteria_set_id)
    if item.pk is not None:
        previous_set_id = (
            type(item)
            ._base_manager.filter(pk=item.pk)
            .values_list("criteria_set_id", flat=True)
            .first()
        )
        if previous_set_id != item.criteria_set_id:
            guard_parent_is_draft(type(item), previous_set_id)


class CriteriaItem(models.Model):
    """Base of every part of a criteria set."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE)
    order = models.PositiveIntegerField(default=0)

    objects = CriteriaItemManager()

    class Meta:
        abstract = True
        ordering = ["criteria_set", "order", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        guard_item_write(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        guard_parent_is_draft(type(self), self.criteria_set_id)
        return super().delete(*args, **kwargs)

    def natural_key(self) -> tuple[str, int, str]:
        key = getattr(self, type(self).objects.key_field)
        return (*self.criteria_set.natural_key(), key)

    natural_key.dependencies = ["screener.criteriaset"]  # type: ignore[attr-defined]


class AnswerSource(models.TextChoices):
    PATIENT = "P", "Patient (ask with the prompt's wording)"
    CHART = "C", "Chart or referral letter"
    IMAGING = "I", "Imaging report"
    CLINICIAN = "D", "Clinician (to be confirmed by a clinician if the front desk enters it)"


LABEL_HELP = "A few words naming it when a rule is explained (for example: pain, INR limit)."

# The values of the patient record's sex (intake.models.Sex; the screener never imports the
# intake side, and a test keeps the two lists equal).
RECORDED_SEXES = ("female", "male", "other", "unknown")


class PatientFact(models.TextChoices):
    """The fact of the patient's record that fills a question "filled by the app" (not asked).

    Which questions a set fills, and from which fact, is criteria data; the engine only knows
    that a question is filled by the app (``screener.adapters.app_filled_answers`` fills them).
    """

    ASKED = "", "Nothing: the question is asked"
    AGE = "age", "Age in whole years, from the date of birth (a number question)"
    SEX = "sex", "Sex, from the patient record (a choice of female, male, other, unknown)"


class Question(CriteriaItem):
    code = models.CharField(max_length=64, validators=[identifier_validator])
    section = models.CharField(max_length=100)
    prompt = models.CharField(max_length=300)
    label = models.CharField(max_length=60, blank=True, help_text=LABEL_HELP)
    help_text = models.TextField(blank=True)
    answer_source = models.CharField(
        "from", max_length=1, choices=AnswerSource.choices, default=AnswerSource.PATIENT
    )
    # The question as the patient reads it on their own link (plain words); blank: the prompt.
    patient_prompt = models.CharField(
        "prompt for the patient",
        max_length=300,
        blank=True,
        help_text="Plain words (grade 6 or lower) for the patient's own link; blank: the prompt.",
    )
    patient_prompt_es = models.CharField(
        "prompt for the patient (Spanish)",
        max_length=300,
        blank=True,
        help_text="The same in Spanish; blank: the English one.",
    )
    # The patient's Spanish pages: the section's name and each choice's label.
    section_es = models.CharField(
        "section (Spanish)",
        max_length=100,
        blank=True,
        help_text="The section's name on the patient's Spanish pages; blank: a numbered part.",
    )
    choice_labels_es = models.JSONField(
        "choice labels (Spanish)",
        default=dict,
        blank=True,
        help_text='For choice questions: {"choice": "Spanish label"}; a choice left out reads '
        "as in English.",
    )
    type = models.CharField(max_length=10, choices=[(t.value, t.value) for t in QuestionType])
    min_value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    choices = models.JSONField(
        default=list, blank=True, help_text="For choice questions: the allowed values, in order."
    )
    blank_choices = models.JSONField(
        default=list, blank=True, help_text="Choices that count as blank (for example unknown)."
    )
    requirement = models.CharField(
        max_length=10,
        choices=[(r.value, r.value) for r in Requirement],
        default=Requirement.OPTIONAL,
    )
    required_when = models.TextField(
        blank=True, help_text="With requirement 'when': the condition under which it is required."
    )
    filled_from = models.CharField(
        "filled by the app from",
        max_length=10,
        blank=True,
        default=PatientFact.ASKED,
        choices=PatientFact.choices,
        help_text="A question filled by the app from the patient's record is not asked.",
    )

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="question_unique_code")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def filled_by_app(self) -> bool:
        return bool(self.filled_from)

    def clean(self) -> None:
        super().clean()
        labels = self.choice_labels_es
        if labels and (
            not isinstance(labels, dict)
            or set(labels) - set(self.choices or ())
            or not all(isinstance(text, str) and text.strip() for text in labels.values())
        ):
            raise ValidationError(
                {
                    "choice_labels_es": "Give a Spanish label (text) for choices of this "
                    f"question only: {', '.join(self.choices or ()) or 'it has none'}."
                }
            )
        if self.filled_from == PatientFact.AGE and self.type not in (
            QuestionType.INT,
            QuestionType.DECIMAL,
        ):
            raise ValidationError(
                {"filled_from": "The age fills a number question (int or decimal)."}
            )
        if self.filled_from == PatientFact.SEX:
            others = [c for c in self.choices or () if c not in RECORDED_SEXES]
            if self.type != QuestionType.CHOICE or others:
                raise ValidationError(
                    {
                        "filled_from": "The sex fills a choice question whose choices are the "
                        f"record's values: {', '.join(RECORDED_SEXES)}."
                    }
                )


class Parameter(CriteriaItem):
    name = models.CharField(max_length=64, validators=[identifier_validator])
    value = models.DecimalField(max_digits=12, decimal_places=4)
    label = models.CharField(max_length=60, blank=True, help_text=LABEL_HELP)
    meaning = models.CharField(max_length=300, blank=True)

    objects = NamedItemManager()

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "name"], name="parameter_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} = {plain_number(self.value)}"


class DerivedValue(CriteriaItem):
    name = models.CharField(max_length=64, validators=[identifier_validator])
    expression = models.TextField(blank=True)
    weeks_since = models.CharField(
        "weeks since",
        max_length=64,
        blank=True,
        validators=[identifier_validator],
        help_text="A date question: the value is the weeks from its answer to the screening "
        "date (leave the expression blank).",
    )
    label = models.CharField(max_length=60, blank=True, help_text=LABEL_HELP)
    meaning = models.CharField(max_length=300, blank=True)

    objects = NamedItemManager()

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "name"], name="derived_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Rule(CriteriaItem):
    code = models.CharField(max_length=64, validators=[identifier_validator])
    effect = models.CharField(max_length=20, choices=[(e.value, e.value) for e in Effect])
    emergency = models.BooleanField(
        default=False, help_text="Red flags only: holding means an emergency."
    )
    condition = models.TextField()
    message = models.TextField(help_text="What the physician reads when the rule decides.")
    source = models.CharField(max_length=200)
    coverage_criterion = models.BooleanField(
        default=False,
        help_text="One of the payer's coverage criteria: listed in the prior-authorization "
        "packet (not for cautions or to-dos).",
    )
    coverage_group = models.CharField(
        max_length=64,
        blank=True,
        validators=[identifier_validator],
        help_text="Coverage criteria sharing a group are alternatives: met when any one is met.",
    )
    payer_wording = models.TextField(
        blank=True,
        help_text="The criterion as the payer's reviewer reads it, worded so that met is good: "
        "a prerequisite or pathway is met when it holds, a contraindication or red flag when "
        "it does not (No active infection at the treatment site).",
    )
    payer_citation = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the payer's policy states it (for example: the LCD's number and the "
        "indication).",
    )

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="rule_unique_code"),
            models.CheckConstraint(
                condition=Q(emergency=False) | Q(effect=Effect.RED_FLAG),
                name="rule_emergency_only_red_flag",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CodingRowManager(CriteriaItemManager):
    def get_by_natural_key(self, procedure_slug: str, version: int, technique: str, region: str):
        return self.get(
            criteria_set__procedure__slug=procedure_slug,
            criteria_set__version=version,
            technique=technique,
            region=region,
        )


class CodingRow(CriteriaItem):
    """One row of the set's coding table: the codes for a technique at a region.

    The region is the answers of the set's level question it covers; the first row of a
    technique also serves any other answer. The first technique listed is the one suggested
    until a physician chooses one.
    """

    technique = models.CharField(max_length=40, validators=[identifier_validator])
    technique_label = models.CharField(
        max_length=100, help_text="How pages name the technique (for example: Balloon-assisted)."
    )
    region = models.CharField(max_length=60)
    levels = models.JSONField(
        default=list, blank=True, help_text="The answers of the level question in this region."
    )
    primary_code = models.CharField(max_length=10)
    addon_code = models.CharField(
        max_length=10, blank=True, help_text="Billed once for each further level."
    )
    cap_parameter = models.CharField(
        max_length=64,
        blank=True,
        validators=[identifier_validator],
        help_text="The parameter holding the most levels in one session.",
    )

    objects = CodingRowManager()

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "technique", "region"], name="coding_unique_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.technique_label}, {self.region}"

    def natural_key(self) -> tuple[str, int, str, str]:
        return (*self.criteria_set.natural_key(), self.technique, self.region)

    natural_key.dependencies = ["screener.criteriaset"]  # type: ignore[attr-defined]


# ICD-10-CM: a letter, a digit, a digit or letter, then optionally a dot and one to four digits
# or letters (A01.0, S32.000A).
icd10cm_validator = RegexValidator(
    r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?\Z",
    "An ICD-10-CM code: a capital letter, a digit, a digit or capital letter, then optionally a "
    "dot and up to four digits or capital letters (for example S32.000A).",
)


class DiagnosisCode(CriteriaItem):
    """An ICD-10-CM diagnosis code the set suggests (for an authorization request) when its
    condition holds for the answers (``engine.suggested_diagnoses``)."""

    code = models.CharField("ICD-10-CM code", max_length=8, validators=[icd10cm_validator])
    description = models.CharField(max_length=300)
    applies_when = models.TextField(
        "suggested when",
        blank=True,
        help_text="A condition in the rules' language; blank: always suggested.",
    )

    class Meta(CriteriaItem.Meta):
        verbose_name = "diagnosis code"
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="diagnosis_unique_code")
        ]

    def __str__(self) -> str:
        return self.code


class FollowUpVisit(CriteriaItem):
    """A visit after the procedure, planned from its date: ``days`` and ``months`` later (the
    same day of the month, clamped), moved to the nearest weekday."""

    label = models.CharField(max_length=200)
    days = models.PositiveIntegerField(default=0)
    months = models.PositiveIntegerField(default=0)

    objects = LabelledItemManager()

    class Meta(CriteriaItem.Meta):
        verbose_name = "follow-up visit"
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "label"], name="follow_up_unique")
        ]

    def __str__(self) -> str:
        return self.label


class ContentReader(models.TextChoices):
    """Who reads a content block, and so on which pages it can appear."""

    PATIENT = "patient", "Patients (printed handouts)"
    PHYSICIAN = "physician", "Physicians (case view)"
    STAFF = "staff", "Front desk and billing (result page)"


# When a block is shown: with one of the screener's suggested outcomes (the physician's case
# view, while deciding), or once a physician's decision of a kind is in force (the case view,
# the front desk's result page and the patient's handout).
DECISION_PREFIX = "decision:"
DECISION_MOMENTS = {
    "proceed": "Decision: proceed",
    "conservative": "Decision: conservative care",
    "not_candidate": "Decision: not a candidate",
    "refer": "Decision: refer",
}
SHOWN_WITH_CHOICES = [(o.value, f"Suggestion: {o.value.replace('_', ' ')}") for o in Outcome] + [
    (f"{DECISION_PREFIX}{kind}", label) for kind, label in DECISION_MOMENTS.items()
]

# A placeholder in a block's text: a parameter's value ({pain_min}), or the date a number of
# weeks (a parameter) after the onset date ({date_after_onset:window_weeks}).
PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)(?::([A-Za-z][A-Za-z0-9_]*))?\}")
DATE_AFTER_ONSET = "date_after_onset"


class ContentBlock(CriteriaItem):
    """Text shown around the outcome. ``body`` holds one item per line.

    Its kind is a name of the set's own choosing (a set can carry new kinds of block); where it
    appears follows from ``readers`` and ``shown_with``. Placeholders in the text are filled by
    plain substitution (never through the template engine).
    """

    kind = models.CharField(max_length=40, validators=[identifier_validator])
    title = models.CharField(max_length=200)
    body = models.TextField()
    title_es = models.CharField(
        "title (Spanish)",
        max_length=200,
        blank=True,
        help_text="The title in Spanish, for a patient reading in Spanish; blank: the English one.",
    )
    body_es = models.TextField(
        "body (Spanish)",
        blank=True,
        help_text="The body in Spanish, one item a line; blank: the English one.",
    )
    readers = models.JSONField(
        default=list, blank=True, help_text="Who reads it: patient, physician, staff."
    )
    shown_with = models.JSONField(
        default=list,
        blank=True,
        help_text="Suggested outcomes (case view) and decisions in force (decision:proceed, ...).",
    )

    objects = ContentBlockManager()

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "kind"], name="content_unique_kind")
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        readers = self.readers if isinstance(self.readers, list) else None
        if readers is None or set(readers) - set(ContentReader.values):
            errors["readers"] = f"Choose readers among: {', '.join(ContentReader.values)}."
        tokens = {value for value, _label in SHOWN_WITH_CHOICES}
        shown_with = self.shown_with if isinstance(self.shown_with, list) else None
        if shown_with is None or set(shown_with) - tokens:
            errors["shown_with"] = (
                "Shown with: outcomes (candidate, conservative, ...) or decisions "
                f"({', '.join(t for t in sorted(tokens) if t.startswith(DECISION_PREFIX))})."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def items(self) -> list[str]:
        return [line.strip() for line in self.body.splitlines() if line.strip()]

    def items_in(self, language: str) -> list[str]:
        """The items in a language: the Spanish ones when asked for and written, else English."""
        body = self.body_es if language == "es" and self.body_es.strip() else self.body
        return [line.strip() for line in body.splitlines() if line.strip()]

    def title_in(self, language: str) -> str:
        """The title in a language: the Spanish one when asked for and written, else English."""
        return self.title_es if language == "es" and self.title_es.strip() else self.title


# ------------------------------------------------------------------------------------------
# Golden cases: test cases that travel with a set (a part of it like its rules)

golden_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z",
    "Use letters, digits, hyphens and underscores, starting with a letter or digit.",
)

OUTCOME_CHOICES = [(o.value, o.value) for o in Outcome]


class GoldenCase(CriteriaItem):
    """A case the set must screen as expected before it can be published.

    ``expected_missing`` is checked only when set (``None``: not checked; ``[]``: nothing may be
    missing). Every rule in ``expected_holding`` must hold (others may hold too).
    """

    name = models.CharField(max_length=80, validators=[golden_name_validator])
    description = models.CharField(max_length=300, blank=True)
    as_of = models.DateField("screening date")
    answers = models.JSONField(
        default=dict, blank=True, help_text="Question code to answer, as `manage.py screen` takes."
    )
    expected_outcome = models.CharField(max_length=30, choices=OUTCOME_CHOICES)
    expected_missing = models.JSONField(
        null=True,
        blank=True,
        help_text="The required questions expected blank, in checklist order (optional).",
    )
    expected_holding = models.JSONField(
        "rules expected to hold",
        default=list,
        blank=True,
        help_text="Codes of rules that must hold (others may hold too).",
    )

    objects = NamedItemManager()

    class Meta(CriteriaItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "name"], name="golden_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# ------------------------------------------------------------------------------------------
# Change log: who changed which set, when, and what


class CriteriaChangeAction(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    CLONED = "cloned", "Cloned as new draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"
    IMPORTED = "imported", "Imported"
    DELETED = "deleted", "Deleted draft"
    RESCREENED = "rescreened", "Re-screened open intakes"
    PROCEDURE_CHANGED = "procedure", "Procedure renamed or changed"


class CriteriaChangeQuerySet(models.QuerySet["CriteriaChange"]):
    """The change log is append-only: never bulk-updated or deleted (a trigger refuses it below
    Python on PostgreSQL, except a deleted draft's rows losing their link to it)."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableCriteriaError("The criteria change log is append-only.")

    update.queryset_only = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableCriteriaError("The criteria change log is append-only.")

    delete.queryset_only = True  # type: ignore[attr-defined]


class CriteriaChange(models.Model):
    """One recorded change of a criteria set (or of a procedure: ``criteria_set`` empty,
    ``set_label`` "slug (procedure)"). Written once, never changed.

    ``set_label`` keeps "slug vN" readable after a deleted draft's row is gone.
    """

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    set_label = models.CharField("criteria set", max_length=100)
    action = models.CharField(max_length=20, choices=CriteriaChangeAction.choices)
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=list, blank=True, help_text="One line per change.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField("when", db_index=True)

    objects = CriteriaChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.set_label}: {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableCriteriaError("A recorded change cannot be altered.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableCriteriaError("The criteria change log is append-only.")


# ------------------------------------------------------------------------------------------
# Background jobs (impact preview over many intakes, re-screen): their progress and result


class CriteriaJobKind(models.TextChoices):
    IMPACT = "impact", "Impact preview"
    RESCREEN = "rescreen", "Re-screen"


class CriteriaJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# Work a background worker does under a heartbeat (criteria jobs here, queue exports in intake):
# a row with ``status`` "running", ``started_at`` and ``heartbeat_at``. Stalled, its worker
# stopped: running with no heartbeat (or, before the first, no start) for ``seconds``.
RUNNING = "running"


class HeartbeatQuerySet(models.QuerySet):
    def stalled(self, *, now: datetime.datetime, seconds: float) -> HeartbeatQuerySet:
        """Running with no heartbeat for ``seconds``: their worker stopped."""
        cutoff = now - datetime.timedelta(seconds=seconds)
        return self.filter(status=RUNNING).filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
        )


class HeartbeatMixin:
    status: str
    started_at: datetime.datetime | None
    heartbeat_at: datetime.datetime | None

    def is_stalled(self, *, now: datetime.datetime, seconds: float) -> bool:
        """Running with no heartbeat for ``seconds`` (as ``HeartbeatQuerySet.stalled``)."""
        last = self.heartbeat_at or self.started_at
        return (
            self.status == RUNNING
            and last is not None
            and last < now - datetime.timedelta(seconds=seconds)
        )


class CriteriaJob(HeartbeatMixin, models.Model):
    """Progress and result of long work run by a background task, read by its progress page.

    For an impact preview ``criteria_set`` is the draft previewed and ``limit`` the number of
    intakes; for a re-screen it is the version the open intakes move to.

    A worker running the job beats (``heartbeat_at``) at least every quarter of
    ``CRITERIA_JOB_STALL_SECONDS``; a running job without a beat for that long has stalled (its
    worker was killed or lost the database) and is resumed as its next run (``runs``). Each
    run owns the job only while ``runs`` is its number, so a late write of an earlier run is
    refused. A re-screen's totals (``moved``, ``outcome_changes``, ``dropped_answers``) are
    added in each batch's own transaction: exact over every run, whatever stopped one.
    """

    kind = models.CharField(max_length=10, choices=CriteriaJobKind.choices)
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="jobs")
    limit = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CriteriaJobStatus.choices, default=CriteriaJobStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    outcome_changes = models.JSONField(
        default=list, blank=True, help_text="[from, to, count] rows so far."
    )
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(
        default=0, help_text="How many times a worker started it (a resumed job runs again)."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="The last sign of life of the worker running it."
    )
    moved = models.PositiveIntegerField(
        default=0, help_text="Re-screen: intakes moved by every run so far."
    )
    dropped_answers = models.PositiveIntegerField(
        default=0, help_text="Re-screen: intakes moved with answers the set no longer accepts."
    )

    objects = HeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.criteria_set})"

    @property
    def finished(self) -> bool:
        return self.status in (CriteriaJobStatus.DONE, CriteriaJobStatus.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.finished else 0)
