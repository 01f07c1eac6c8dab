"""Physician review URLs (namespace ``review``), mounted at /review/.

Only opaque ids appear in these URLs; the patient search is posted and kept in the session.
"""

from django.urls import path

from intake.views import exports, review

app_name = "review"

urlpatterns = [
    path("", review.queue, name="queue"),
    path("exports/", review.export, name="export"),
    path("exports/<uuid:export_id>/", exports.export_progress, name="export-progress"),
    path("exports/<uuid:export_id>/again/", exports.export_again, name="export-again"),
    path("exports/<uuid:export_id>/download/", exports.export_download, name="export-download"),
    path("<int:intake_id>/", review.case, name="case"),
    path("<int:intake_id>/take/", review.take, name="take"),
    path("<int:intake_id>/take-over/", review.take_over, name="take-over"),
    path("<int:intake_id>/assign/", review.assign, name="assign"),
    path("<int:intake_id>/decide/", review.decide, name="decide"),
    path("<int:intake_id>/decisions/<int:decision_id>/amend/", review.amend, name="amend"),
    path("<int:intake_id>/follow-up/", review.follow_up, name="follow-up"),
]
