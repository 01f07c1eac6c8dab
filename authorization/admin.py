"""Django admin: physicians' NPIs (kept by a superuser, as accounts are)."""

from django.contrib import admin

from authorization.models import PhysicianNpi


@admin.register(PhysicianNpi)
class PhysicianNpiAdmin(admin.ModelAdmin):
    list_display = ["user", "npi"]
    search_fields = ["user__username", "user__last_name", "npi"]
    autocomplete_fields = ["user"]
