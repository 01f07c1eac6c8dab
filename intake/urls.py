"""Front-desk URLs (namespace ``intake``): patients and intakes. Only opaque ids in paths."""

from django.urls import path

from intake.views import documents, emergencies, intakes, patients

app_name = "intake"

urlpatterns = [
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new/", patients.patient_create, name="patient-create"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient-detail"),
    path("patients/<int:patient_id>/edit/", patients.patient_edit, name="patient-edit"),
    path("intakes/start/", intakes.intake_start, name="intake-start"),
    path("intakes/needs-information/", intakes.needs_info_list, name="needs-info-list"),
    path("intakes/<int:intake_id>/", intakes.intake_detail, name="intake-detail"),
    path("intakes/<int:intake_id>/panel/", intakes.intake_panel, name="intake-panel"),
    path("intakes/<int:intake_id>/edit/", intakes.intake_edit, name="intake-edit"),
    path(
        "intakes/<int:intake_id>/emergency-action/",
        emergencies.emergency_action,
        name="emergency-action",
    ),
    path("intakes/<int:intake_id>/handout/", intakes.intake_handout, name="intake-handout"),
    path("intakes/<int:intake_id>/printed/", intakes.intake_printed, name="intake-printed"),
    path(
        "intakes/<int:intake_id>/documents/new/", documents.document_attach, name="document-attach"
    ),
    path(
        "intakes/<int:intake_id>/documents/<int:document_id>/",
        documents.document_download,
        name="document-download",
    ),
    path(
        "intakes/<int:intake_id>/documents/<int:document_id>/withdraw/",
        documents.document_withdraw,
        name="document-withdraw",
    ),
]
