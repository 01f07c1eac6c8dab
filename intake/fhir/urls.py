"""``/fhir/``: the FHIR API (token-authenticated) and the staff's download of a response."""

from django.urls import path

from intake.fhir import views

app_name = "fhir"

urlpatterns = [
    path(
        "Questionnaire/<str:questionnaire_id>",
        views.questionnaire_read,
        name="questionnaire-read",
    ),
    path("QuestionnaireResponse", views.response_create, name="response-create"),
    path("QuestionnaireResponse/<int:intake_id>", views.response_read, name="response-read"),
    path(
        "download/QuestionnaireResponse/<int:intake_id>",
        views.response_download,
        name="response-download",
    ),
]
