"""URL wiring only: each app owns its own URLs."""

from django.contrib import admin
from django.urls import include, path

from intake import views as intake_views

urlpatterns = [
    path("healthz", intake_views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
]
