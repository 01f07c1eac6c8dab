"""Front-desk URLs (namespace ``intake``): patients and intakes."""

app_name = "intake"

urlpatterns: list = []
