"""`manage.py check` warns when the clinic details handouts and emergencies need are missing."""

from __future__ import annotations

from intake.checks import clinic_details_check


def test_a_configured_clinic_has_no_warning(settings):
    assert clinic_details_check() == []


def test_a_missing_oncall_number_and_clinic_details_are_named(settings):
    settings.ONCALL_PHONE = ""
    settings.CLINIC_PHONE = ""
    settings.CLINIC_ADDRESS = ""
    warnings = clinic_details_check()
    assert [(w.id, w.msg) for w in warnings] == [
        (
            "intake.W001",
            "ONCALL_PHONE is not set: the emergency message cannot name the on-call number.",
        ),
        (
            "intake.W002",
            "CLINIC_PHONE, CLINIC_ADDRESS not set: patient handouts print without them.",
        ),
    ]
