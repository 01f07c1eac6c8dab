"""Physician review URLs (namespace ``review``), mounted at /review/."""

app_name = "review"

urlpatterns: list = []
