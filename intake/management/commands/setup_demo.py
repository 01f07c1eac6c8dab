"""``manage.py setup_demo``: everything `make run` needs, safe to run any number of times."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from intake.services.accounts import demo_accounts_ensure, demo_password_validate
from screener.models import CriteriaSet


class Command(BaseCommand):
    help = (
        "Migrate, load the default criteria set when its procedure has none, and create the "
        "roles and one demo account per role (password from DEMO_PASSWORD, else random)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        demo_password = os.environ.get("DEMO_PASSWORD") or None
        if demo_password is not None:
            # Checked first: a refused password leaves the database as it was.
            try:
                demo_password_validate(demo_password)
            except ValidationError as error:
                raise CommandError(
                    "DEMO_PASSWORD refused: " + " ".join(error.messages) + " Nothing was changed."
                ) from None
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        for slug in settings.DEFAULT_CRITERIA_FIXTURES:  # fixtures/<slug>.json
            if CriteriaSet.objects.filter(procedure__slug=slug).exists():
                self.stdout.write(f"Criteria for {slug} already present; not reloaded.")
            else:
                call_command("loaddata", slug, verbosity=0)
                self.stdout.write(f"Loaded the default {slug} criteria set (version 1).")

        accounts = demo_accounts_ensure(password=demo_password)
        for account in accounts:
            if account.password is None:
                self.stdout.write(
                    f"  {account.username:<15} {account.role:<15} (password unchanged)"
                )
            elif os.environ.get("DEMO_PASSWORD"):
                self.stdout.write(
                    f"  {account.username:<15} {account.role:<15} password from DEMO_PASSWORD"
                )
            else:
                self.stdout.write(
                    f"  {account.username:<15} {account.role:<15} password: {account.password}"
                )
        if any(a.password and not os.environ.get("DEMO_PASSWORD") for a in accounts):
            self.stdout.write(self.style.WARNING("Note these passwords: they are shown only once."))
        self.stdout.write(self.style.SUCCESS("Demo ready."))
