"""Synthetic patients and intakes for benchmarks: realistic, varied and deterministic.

``benchmarks.synthetic_answers.random_answers`` makes one clinic-like set of answers for a criteria spec (red flags rare, a
few questions left blank). ``intakes_seed`` fills the database with patients (some with several
intakes) and intakes in the mix a clinic has after a year: drafts, cases waiting for a
physician, cases back for information, decided cases (each decision with its physician, reason
and, for "proceed", a planned date) and cases edited after submission (two screenings). Every
screening is the engine's, under the given published set, with the path the app itself uses
(``intake.rescreen.impact.screen_row``). Rows are written with ``bulk_create`` in batches (COPY
on PostgreSQL, the screenings as the re-screen writes them, ``intake.rescreen.bulk``): no audit
events and no row history (the data is synthetic; nobody read or changed a record).

The same ``seed`` and ``as_of`` give the same rows, timestamps included: the timestamps that
are normally "now" are set from ``as_of`` while seeding.
"""

from __future__ import annotations

import contextlib
import datetime
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from benchmarks.synthetic_answers import random_answers
from intake.models import (
    Decision,
    DecisionKind,
    EmergencyAction,
    EmergencyContact,
    Intake,
    IntakeStatus,
    Patient,
    Screening,
    ScreeningKind,
    Sex,
)
from intake.names import name_key
from intake.rescreen.bulk import (
    lz4_toast_compression_set,
    screening_copy_fields,
    screenings_copy_each,
)
from intake.rescreen.impact import screen_row
from intake.rescreen.selectors import IntakeRow
from intake.roles import FRONT_DESK, PHYSICIAN
from screener import adapters, engine
from screener.models import CriteriaSet

# Fewer blanks and red flags than ``random_answers``' defaults (the engine benchmark's worst
# case), so that every outcome the default set gives appears in a seeded database.
ANSWER_CHANCES = {"blank": 0.003, "red_flag": 0.006}


@dataclass(frozen=True)
class SeedMix:
    """Shares of the intakes by status (the rest are submitted and waiting), the share of
    screened intakes edited after submission (two screenings), and intakes per patient."""

    draft: float = 0.10
    info_requested: float = 0.07
    decided: float = 0.40
    edited: float = 0.08
    intakes_per_patient: float = 2.0


# What the benchmarks of the re-screen and the queue seed: open cases, one intake per patient.
OPEN_CASES_MIX = SeedMix(
    draft=0.0, info_requested=0.09, decided=0.10, edited=0.0, intakes_per_patient=1.0
)


@dataclass
class SeedReport:
    patients: int = 0
    intakes: int = 0
    screenings: int = 0
    decisions: int = 0
    emergency_actions: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # latest screening, non-drafts
    decision_kinds: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


FIRST_NAMES = (
    "Margaret",
    "Dorothy",
    "Helen",
    "Ruth",
    "Betty",
    "Joan",
    "Shirley",
    "Patricia",
    "Barbara",
    "Jean",
    "Carol",
    "Nancy",
    "Judith",
    "Maria",
    "Ingrid",
    "Aiko",
    "Fatima",
    "Olga",
    "Rosa",
    "Chen",
    "Anneliese",
    "Siobhan",
    "José",
    "Robert",
    "William",
    "James",
    "John",
    "George",
    "Frank",
    "Harold",
    "Walter",
    "Arthur",
    "Raymond",
    "Kenneth",
    "Donald",
    "Ahmed",
    "Hiroshi",
    "Pieter",
    "Luis",
    "Dmitri",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "García",
    "Rodríguez",
    "Wilson",
    "Martínez",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Roberts",
    "O'Brien",
    "Müller",
    "Schmidt",
    "Kowalski",
    "Novák",
    "Tanaka",
    "Yamamoto",
    "Kim",
    "Park",
    "Singh",
    "Patel",
    "Okafor",
    "Haddad",
    "Johansson",
    "Lindqvist",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Lefèvre",
    "van der Berg",
    "Ó Súilleabháin",
    "Abernathy",
)
REASONS = {
    DecisionKind.PROCEED: (
        "Painful acute fracture confirmed on MRI; conservative care failed. Proceed.",
        "Edema on STIR at the painful level, pain uncontrolled on analgesia.",
        "Meets criteria; cautions discussed with the patient and the family.",
    ),
    DecisionKind.CONSERVATIVE: (
        "Pain improving; continue analgesia and bracing, review in six weeks.",
        "No edema on MRI: not an acute fracture. Conservative care.",
        "Patient prefers to continue conservative care for now.",
    ),
    DecisionKind.REFER: (
        "Red flag: sent to the emergency department for assessment.",
        "Suspected malignancy: referred to oncology before any procedure.",
    ),
    DecisionKind.NOT_CANDIDATE: (
        "Contraindicated: active infection.",
        "Retropulsed fragment with canal compromise: not a candidate.",
        "Uncorrectable coagulopathy; not a candidate.",
    ),
    DecisionKind.REQUEST_INFO: (
        "Please send the MRI report and the date of the fracture.",
        "Need the pain score at rest and the current anticoagulant.",
    ),
}
REFER_TO = {
    True: "Emergency department",
    False: "Oncology",
}


@contextlib.contextmanager
def _timestamps_as_given(*model_classes: type[models.Model]) -> Iterator[None]:
    """While seeding, ``auto_now``/``auto_now_add`` fields keep the value set on the instance
    (so a seed is the same whenever it runs); restored afterwards."""
    saved = []
    for model in model_classes:
        for model_field in model._meta.concrete_fields:
            if getattr(model_field, "auto_now", False) or getattr(
                model_field, "auto_now_add", False
            ):
                saved.append((model_field, model_field.auto_now, model_field.auto_now_add))
                model_field.auto_now = model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field, auto_now, auto_now_add in saved:
            model_field.auto_now, model_field.auto_now_add = auto_now, auto_now_add


def _seed_users() -> tuple[Any, list[Any]]:
    """The front-desk clerk and the physicians who 'made' the synthetic data (no password)."""
    from intake.services.accounts import roles_ensure

    groups = roles_ensure()
    user_model = get_user_model()

    def ensure(username: str, first: str, last: str, role: str):
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(groups[role])
        return user

    clerk = ensure("seed-frontdesk", "Sam", "Seeded", FRONT_DESK)
    physicians = [
        ensure(f"seed-physician-{n}", first, last, PHYSICIAN)
        for n, (first, last) in enumerate(
            [("Amara", "Okonkwo"), ("Lars", "Eriksen"), ("Priya", "Raman")], start=1
        )
    ]
    return clerk, physicians


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A working-hours moment of ``day`` (08:00-17:59), aware."""
    moment = datetime.datetime.combine(day, datetime.time(8)) + datetime.timedelta(
        minutes=rng.randrange(600)
    )
    return timezone.make_aware(moment)


def _weekday_after(day: datetime.date, days: int) -> datetime.date:
    planned = day + datetime.timedelta(days=days)
    while planned.weekday() >= 5:
        planned += datetime.timedelta(days=1)
    return planned


def _edited_from(answers: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The answers as first submitted, before the front desk corrected one or two of them."""
    first = dict(answers)
    for code in rng.sample(sorted(first), k=min(2, len(first))):
        value = first[code]
        if isinstance(value, bool):
            first[code] = not value
        else:
            del first[code]
    return first


def _link_intakes(intakes: list[Intake]) -> None:
    """Point each intake at its latest screening and the decision in force (one statement)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Intake._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS i SET latest_screening_id = v.sid, current_decision_id = v.did "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(iid, sid, did) "
                "WHERE i.id = v.iid",
                [
                    [i.pk for i in intakes],
                    [i.latest_screening_id for i in intakes],
                    [i.current_decision_id for i in intakes],
                ],
            )
        return
    Intake.objects.bulk_update(intakes, ["latest_screening", "current_decision"], batch_size=500)


def _ids_give(model: type[models.Model], rows: list[Any]) -> None:
    """Each row its id, taken from ``model``'s table's sequence (PostgreSQL)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk


def _insert(model: type[models.Model], rows: list[Any]) -> None:
    """``bulk_create`` of ``rows``; on PostgreSQL a COPY instead.

    Measured at 5,000 intakes on PostgreSQL: 17 of 38 s went to psycopg quoting the large JSON
    values (every rule's result) into the INSERT text, which COPY does not need. COPY returns no
    ids, so they are taken from the table's sequence first (the rows that follow point at
    them), unless the rows have theirs already.
    """
    if connection.vendor != "postgresql" or not rows:
        model.objects.bulk_create(rows)
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    if rows[0].pk is None:
        _ids_give(model, rows)
    with connection.cursor() as cursor:
        # A generated column (the queue rank) is computed by the database: COPY cannot set it.
        fields = [f for f in meta.concrete_fields if not f.generated]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                row._prepare_related_fields_for_save(operation_name="bulk_create")
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
                )
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


@dataclass(slots=True)
class _ScreeningRow:
    """A screening as the PostgreSQL seeding writes it: its engine columns already as COPY text
    (``screening_copy_fields``, what the re-screen writes), never built as the app's dicts and
    a model and then quoted by psycopg (the re-screen measured those at more than half of its
    time per intake). It reads as a ``Screening`` where the seeding reads one."""

    intake: Intake
    kind: str
    reason: str
    as_of: datetime.date
    created_at: datetime.datetime
    outcome: str
    emergency: bool
    fields: str
    pk: int | None = None

    @property
    def intake_id(self) -> int:
        return self.intake.pk


class _Batch:
    """The rows of a batch of patients, written together."""

    def __init__(self) -> None:
        self.patients: list[Patient] = []
        self.intakes: list[Intake] = []
        self.screenings: list[tuple[Intake, list[Any]]] = []  # Screening or _ScreeningRow
        self.decisions: list[tuple[Intake, Decision, bool]] = []  # (intake, decision, emergency)

    def write(self, *, criteria_set_id: int, clerk_id: int) -> None:
        screenings = [s for _intake, rows in self.screenings for s in rows]
        if screenings and isinstance(screenings[0], _ScreeningRow):
            self._copy(screenings, criteria_set_id=criteria_set_id, clerk_id=clerk_id)
            return
        # bulk_create takes each new parent's id onto the rows that point at it.
        _insert(Patient, self.patients)
        _insert(Intake, self.intakes)
        _insert(Screening, screenings)
        for intake, rows in self.screenings:
            intake.latest_screening_id = rows[-1].pk
        decisions = self._decisions()
        _insert(Decision, decisions)
        for intake, decision, _emergency in self.decisions:
            intake.current_decision_id = decision.pk
        _insert(EmergencyAction, self._emergency_actions())
        _link_intakes([intake for intake, _rows in self.screenings])

    def _copy(
        self, screenings: list[_ScreeningRow], *, criteria_set_id: int, clerk_id: int
    ) -> None:
        """PostgreSQL: every id taken from its sequence before any row is written, so each
        intake goes in once, already pointing at its latest screening and decision (foreign
        keys are checked at commit), rather than inserted and then updated."""
        _insert(Patient, self.patients)
        _ids_give(Intake, self.intakes)
        _ids_give(Screening, screenings)
        for intake, rows in self.screenings:
            intake.latest_screening_id = rows[-1].pk
        decisions = self._decisions()
        _ids_give(Decision, decisions)
        for intake, decision, _emergency in self.decisions:
            intake.current_decision_id = decision.pk
        _insert(Intake, self.intakes)
        screenings_copy_each(
            screenings,
            ids=[row.pk for row in screenings],
            criteria_set_id=criteria_set_id,
            created_by_id=clerk_id,
        )
        _insert(Decision, decisions)
        _insert(EmergencyAction, self._emergency_actions())

    def _decisions(self) -> list[Decision]:
        """The decisions, each on its intake's latest screening."""
        for intake, decision, _emergency in self.decisions:
            decision.intake = intake
            decision.screening_id = intake.latest_screening_id
        return [decision for _intake, decision, _emergency in self.decisions]

    def _emergency_actions(self) -> list[EmergencyAction]:
        """An emergency is handled before its decision: the action recorded, by the physician."""
        return [
            EmergencyAction(
                intake=intake,
                screening_id=decision.screening_id,
                contacted=EmergencyContact.ONCALL,
                contact_name="On-call spine surgeon",
                contacted_at=decision.signed_at - datetime.timedelta(hours=2),
                note="Discussed by phone; patient sent to the emergency department.",
                recorded_by=decision.physician,
                recorded_at=decision.signed_at - datetime.timedelta(hours=2),
            )
            for intake, decision, emergency in self.decisions
            if emergency
        ]


def intakes_seed(
    *,
    criteria_set: CriteriaSet,
    intakes: int,
    seed: int,
    as_of: datetime.date,
    mix: SeedMix = SeedMix(),
    mrn_prefix: str | None = None,
    batch_size: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Write ``intakes`` synthetic intakes screened under ``criteria_set`` (published), for
    about ``intakes / mix.intakes_per_patient`` new patients; returns the counts written.
    Each batch is one transaction; MRNs are ``<mrn_prefix><n>`` (default ``S<seed>-``)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    compiled = adapters.compiled_criteria(criteria_set)
    spec = compiled.spec
    fills = adapters.app_filled_questions(criteria_set)
    techniques = spec.techniques()
    technique = next(iter(techniques), "")
    prefix = f"S{seed}-" if mrn_prefix is None else mrn_prefix
    clerk, physicians = _seed_users()
    report = SeedReport()

    patient_count = max(1, min(intakes, round(intakes / mix.intakes_per_patient)))
    per_patient = [1] * patient_count if intakes else []
    for _ in range(intakes - patient_count):
        per_patient[rng.randrange(patient_count)] += 1

    copy_rows = connection.vendor == "postgresql"

    def screening(intake: Intake, answers: dict, day: datetime.date, kind: str) -> Any:
        """The intake screened on ``day``: a ``Screening``, or on PostgreSQL the same as COPY
        text (``_ScreeningRow``)."""
        patient = intake.patient
        row = IntakeRow(0, answers, patient.date_of_birth, patient.sex, day, None, "", 1)
        result, screened, _invalid = screen_row(compiled, row, fills)
        reason = (
            "Answers corrected after a call with the patient." if kind == ScreeningKind.EDIT else ""
        )
        if copy_rows:
            return _ScreeningRow(
                intake=intake,
                kind=str(kind),
                reason=reason,
                as_of=day,
                created_at=_at(day, rng),
                outcome=str(result.outcome),
                emergency=result.emergency,
                fields=screening_copy_fields(result, screened),
            )
        return Screening(
            intake=intake,
            criteria_set=criteria_set,
            kind=kind,
            reason=reason,
            as_of=day,
            answers=screened,
            created_at=_at(day, rng),
            created_by=clerk,
            **adapters.stored_result(result),
        )

    batch = _Batch()
    done = 0
    with _timestamps_as_given(Patient, Intake, Screening):
        for index, count in enumerate(per_patient):
            age = rng.randint(45, 95)
            # Registered before any of their intakes (those are within the year before as_of).
            registered = as_of - datetime.timedelta(days=rng.randint(366, 730))
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            patient = Patient(
                mrn=f"{prefix}{index:07d}",
                first_name=first,
                last_name=last,
                first_name_key=name_key(first),
                last_name_key=name_key(last),
                date_of_birth=registered.replace(year=registered.year - age, day=1)
                - datetime.timedelta(days=rng.randint(0, 300)),
                sex=rng.choices([Sex.FEMALE, Sex.MALE, Sex.UNKNOWN], [0.7, 0.28, 0.02])[0],
                phone=f"555-{rng.randrange(10000):04d}",
                insurance_payer=rng.choice(["Medicare", "Medicare Advantage", "Aetna", "BCBS", ""]),
                created_at=_at(registered, rng),
                updated_at=_at(registered, rng),
                created_by=clerk,
            )
            batch.patients.append(patient)
            for _number in range(count):
                _seed_one(
                    batch, patient, spec, rng, as_of, mix, criteria_set, clerk, physicians,
                    technique, screening, report,
                )  # fmt: skip
            if len(batch.intakes) >= batch_size or index == patient_count - 1:
                with transaction.atomic():
                    if copy_rows:
                        lz4_toast_compression_set()  # the rule results, as the re-screen's
                    batch.write(criteria_set_id=criteria_set.pk, clerk_id=clerk.pk)
                report.patients += len(batch.patients)
                report.intakes += len(batch.intakes)
                report.screenings += sum(len(rows) for _i, rows in batch.screenings)
                report.decisions += len(batch.decisions)
                report.emergency_actions += sum(e for _i, _d, e in batch.decisions)
                done += len(batch.intakes)
                batch = _Batch()
                if progress:
                    progress(done, intakes)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have, in a database in use
    report.seconds = time.perf_counter() - started
    return report


def _seed_one(
    batch: _Batch,
    patient: Patient,
    spec: engine.CriteriaSpec,
    rng: random.Random,
    as_of: datetime.date,
    mix: SeedMix,
    criteria_set: CriteriaSet,
    clerk: Any,
    physicians: list[Any],
    technique: str,
    screening: Callable[[Intake, dict, datetime.date, str], Any],
    report: SeedReport,
) -> None:
    """One intake of ``patient`` into ``batch``: its status, screenings and decision."""
    draw = rng.random()
    if draw < mix.draft:
        status = IntakeStatus.DRAFT
    elif draw < mix.draft + mix.info_requested:
        status = IntakeStatus.INFO_REQUESTED
    elif draw < mix.draft + mix.info_requested + mix.decided:
        status = IntakeStatus.DECIDED
    else:
        status = IntakeStatus.SUBMITTED
    # Drafts and waiting cases are recent; decided ones (and those back for information) older.
    if status in (IntakeStatus.DRAFT, IntakeStatus.SUBMITTED):
        age_days = rng.randint(0, 21)
    else:
        age_days = rng.randint(8, 365)
    submitted_day = as_of - datetime.timedelta(days=age_days)
    # Dates answered are on or before the day the intake was filled in (later ones are refused).
    answers = random_answers(spec, rng, submitted_day, **ANSWER_CHANCES)
    started_at = _at(submitted_day, rng) - datetime.timedelta(minutes=30)
    intake = Intake(
        patient=patient,
        procedure=criteria_set.procedure,
        criteria_set=criteria_set,
        status=status,
        answers=answers,
        created_at=started_at,
        updated_at=started_at,
        created_by=clerk,
    )
    batch.intakes.append(intake)
    report.statuses[status] += 1
    if status == IntakeStatus.DRAFT:
        # Half filled in: the front desk saved and will come back.
        kept = rng.sample(sorted(answers), k=len(answers) // 2)
        intake.answers = {code: answers[code] for code in sorted(kept)}
        return
    intake.submitted_at = started_at + datetime.timedelta(minutes=25)
    intake.submitted_by = clerk
    rows = []
    if rng.random() < mix.edited:
        rows.append(
            screening(intake, _edited_from(answers, rng), submitted_day, ScreeningKind.SUBMISSION)
        )
        edit_day = min(submitted_day + datetime.timedelta(days=1), as_of)
        rows.append(screening(intake, answers, edit_day, ScreeningKind.EDIT))
        intake.version = 2
    else:
        rows.append(screening(intake, answers, submitted_day, ScreeningKind.SUBMISSION))
    batch.screenings.append((intake, rows))
    latest = rows[-1]
    intake.outcome = latest.outcome
    intake.emergency = latest.emergency
    intake.emergency_open = latest.emergency
    report.outcomes[latest.outcome] += 1
    if status == IntakeStatus.SUBMITTED:
        return

    outcome = latest.outcome
    if status == IntakeStatus.INFO_REQUESTED or outcome == engine.Outcome.NEEDS_INFO:
        kind = DecisionKind.REQUEST_INFO
    elif outcome == engine.Outcome.URGENT:
        kind = DecisionKind.REFER
    elif outcome == engine.Outcome.CONTRAINDICATED:
        kind = DecisionKind.NOT_CANDIDATE
    elif outcome == engine.Outcome.CONSERVATIVE:
        kind = DecisionKind.CONSERVATIVE
    else:
        kind = DecisionKind.PROCEED if rng.random() < 0.8 else DecisionKind.CONSERVATIVE
    new_status = IntakeStatus.INFO_REQUESTED if kind == DecisionKind.REQUEST_INFO else status
    if new_status != status:
        report.statuses[status] -= 1
        report.statuses[new_status] += 1
        intake.status = new_status
    signed_day = min(latest.as_of + datetime.timedelta(days=rng.randint(1, 6)), as_of)
    decision = Decision(
        kind=kind,
        refer_to=REFER_TO[latest.emergency] if kind == DecisionKind.REFER else "",
        technique=technique if kind == DecisionKind.PROCEED else "",
        reason=rng.choice(REASONS[kind]),
        physician=rng.choice(physicians),
        signed_at=_at(signed_day, rng),
    )
    if kind == DecisionKind.PROCEED and rng.random() < 0.7:
        decision.planned_procedure_date = _weekday_after(signed_day, rng.randint(3, 30))
        decision.planned_date_set_by = decision.physician
        decision.planned_date_set_at = decision.signed_at
    intake.assigned_to = decision.physician
    intake.assigned_at = decision.signed_at - datetime.timedelta(minutes=20)
    intake.updated_at = decision.signed_at
    # An emergency is handled before a decision: the action is recorded and it is closed.
    intake.emergency_open = False
    batch.decisions.append((intake, decision, latest.emergency))
    report.decision_kinds[kind] += 1
