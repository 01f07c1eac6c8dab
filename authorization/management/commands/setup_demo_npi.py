"""Give the demo physician a (sample) NPI, so that packets can be attested in the demo.

`make run` runs it after `setup_demo`; it changes nothing when the account has an NPI already or
does not exist. 1234567893 is the CMS documentation's sample NPI, valid in form only.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from authorization.models import PhysicianNpi
from intake.roles import PHYSICIAN
from intake.services.accounts import DEMO_ACCOUNTS

DEMO_NPI = "1234567893"


class Command(BaseCommand):
    help = "Give the demo physician account a sample NPI (for prior-authorization packets)."

    def handle(self, *args: Any, **options: Any) -> None:
        usernames = [account[0] for account in DEMO_ACCOUNTS if account[1] == PHYSICIAN]
        for user in get_user_model().objects.filter(username__in=usernames):
            if PhysicianNpi.objects.filter(user=user).exists():
                continue
            if PhysicianNpi.objects.filter(npi=DEMO_NPI).exists():
                self.stdout.write(f"The sample NPI is already someone else's; {user} has none.")
                continue
            PhysicianNpi.objects.create(user=user, npi=DEMO_NPI)
            self.stdout.write(f"  {user.get_username():<15} sample NPI {DEMO_NPI}")
