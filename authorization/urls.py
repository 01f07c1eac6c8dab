"""Prior-authorization URLs (namespace ``authorization``), mounted at /authorizations/.

Only opaque ids appear in these URLs.
"""

from django.urls import path

from authorization import views

app_name = "authorization"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("open/<int:intake_id>/", views.packet_open, name="open"),
    path("<int:packet_id>/", views.packet_detail, name="packet"),
    path("<int:packet_id>/edit/", views.packet_edit, name="edit"),
    path("<int:packet_id>/attest/", views.packet_attest, name="attest"),
    path("<int:packet_id>/status/<slug:to_status>/", views.packet_move, name="move"),
    path("<int:packet_id>/revise/", views.packet_revise, name="revise"),
    path("<int:packet_id>/packet.pdf", views.packet_pdf, name="pdf"),
    path("<int:packet_id>/bundle.json", views.packet_bundle, name="bundle"),
]
