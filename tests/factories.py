"""factory-boy factories. Use `.build()` where nothing needs saving."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth.models import Group, User

from intake.models import Intake, IntakeStatus, Patient, Sex
from intake.names import name_key
from intake.roles import CRITERIA_ADMIN, FRONT_DESK, PHYSICIAN
from screener.models import CriteriaSet


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs):
        _add_role(self, create, extracted)


def _add_role(user: User, create: bool, role: str | None) -> None:
    if create and role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)


def _role_declaration(default: str) -> factory.PostGeneration:
    """A role given as ``role=...`` or else the factory's default (a plain class attribute
    would replace the post-generation hook and be passed to User as a field)."""
    return factory.PostGeneration(
        lambda user, create, extracted, **kwargs: _add_role(user, create, extracted or default)
    )


class FrontDeskFactory(UserFactory):
    username = factory.Sequence(lambda n: f"desk{n}")
    role = _role_declaration(FRONT_DESK)


class PhysicianFactory(UserFactory):
    username = factory.Sequence(lambda n: f"doc{n}")
    role = _role_declaration(PHYSICIAN)


class CriteriaAdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"cadmin{n}")
    is_staff = True
    role = _role_declaration(CRITERIA_ADMIN)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    first_name_key = factory.LazyAttribute(lambda p: name_key(p.first_name))
    last_name_key = factory.LazyAttribute(lambda p: name_key(p.last_name))
    date_of_birth = datetime.date(1947, 5, 2)
    sex = Sex.FEMALE


def default_criteria_set() -> CriteriaSet:
    return CriteriaSet.objects.select_related("procedure").get(
        procedure__slug="vertebroplasty", version=1
    )


class IntakeFactory(factory.django.DjangoModelFactory):
    """A draft intake pinned to the default set (load it first: the `default_set` fixture)."""

    class Meta:
        model = Intake

    patient = factory.SubFactory(PatientFactory)
    criteria_set = factory.LazyFunction(default_criteria_set)
    procedure = factory.LazyAttribute(lambda intake: intake.criteria_set.procedure)
    status = IntakeStatus.DRAFT
    answers = factory.LazyFunction(dict)
