"""The patient's link (namespace ``patient``): the patient's pages under ``/p/<token>/`` (open
without a staff login) and the front desk's two actions on an intake."""

from django.urls import path

from intake.patient_link import views

app_name = "patient"

urlpatterns = [
    path("p/<str:token>/", views.patient_start, name="start"),
    path("p/<str:token>/language/", views.patient_language, name="language"),
    path("p/<str:token>/step/<int:number>/", views.patient_step, name="step"),
    path("p/<str:token>/done/", views.patient_done, name="done"),
    path("intakes/<int:intake_id>/patient-link/", views.patient_link_create, name="link-create"),
    path(
        "intakes/<int:intake_id>/patient-link/revoke/",
        views.patient_link_revoke,
        name="link-revoke",
    ),
]
