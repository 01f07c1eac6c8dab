"""URL wiring only: each part of the product owns its own URLs."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from intake import views as intake_views
from intake.views import session as session_views

urlpatterns = [
    path("", intake_views.home, name="home"),
    path("healthz", intake_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page links: send them to the static icon
    # (resolved per request, so the collected, hashed name is used in production).
    path(
        "favicon.ico",
        login_not_required(
            RedirectView.as_view(
                url=lazy(static, str)("favicon.svg"), http_method_names=["get", "head"]
            )
        ),
        name="favicon",
    ),
    path("accounts/", include("config.auth_urls")),
    path("session/keep-alive/", session_views.session_keep_alive, name="session-keep-alive"),
    path("session/status/", session_views.session_status, name="session-status"),
    path("accounts/two-factor/", include("intake.two_factor_urls")),
    path("admin/", admin.site.urls),
    path("review/", include("intake.review_urls")),
    path("authorizations/", include("authorization.urls")),
    path("fhir/", include("intake.fhir.urls")),
    path("", include("intake.patient_link.urls")),
    path("", include("intake.urls")),
]
