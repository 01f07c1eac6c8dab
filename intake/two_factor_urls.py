"""Two-factor sign-in pages (namespace ``two_factor``), open before the second factor."""

from django.urls import path

from intake.views import two_factor

app_name = "two_factor"

urlpatterns = [
    path("", two_factor.verify, name="verify"),
    path("setup/", two_factor.setup, name="setup"),
    path("setup/qr.svg", two_factor.setup_qr, name="setup-qr"),
]
