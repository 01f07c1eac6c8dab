"""Account URLs under /accounts/, named as in ``django.contrib.auth.urls``: only what works.

Login, logout and password change (for a signed-in user) always. The password-reset pages
promise an email, so they are routed only when mail is configured
(``settings.PASSWORD_RESET_BY_EMAIL``: EMAIL_HOST or EMAIL_BACKEND in the environment);
otherwise their addresses do not exist.
"""

from django.conf import settings
from django.contrib.auth import views
from django.urls import path

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]

PASSWORD_RESET_PATTERNS = [
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password_reset/done/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

if settings.PASSWORD_RESET_BY_EMAIL:
    urlpatterns += PASSWORD_RESET_PATTERNS
