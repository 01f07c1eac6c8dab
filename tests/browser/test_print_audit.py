"""Printing is audited from the browser: the result page's Print button, and the browser's own
print command on the case view (its "beforeprint" event), each post the print beacon with the
page's CSRF token, under the Content-Security-Policy, and the audit log gets one PRINT row."""

from __future__ import annotations

from intake.models import AuditEvent
from tests.intake.review.factories import submitted_intake

# Headless Chromium has no print dialog: count the calls instead of printing.
NO_DIALOG = "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"


def beacon_statuses(page, intake) -> list[int]:
    """The statuses of the page's print beacons, filled in as the responses arrive."""
    statuses: list[int] = []
    url = f"/intakes/{intake.pk}/printed/"
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith(url) else None)
    return statuses


def wait_for(statuses: list[int], page) -> list[int]:
    """Let the page run (up to 5 s) until a beacon has answered."""
    for _ in range(100):
        if statuses:
            break
        page.wait_for_timeout(50)
    return statuses


def prints() -> list[tuple[str, int, str]]:
    return list(
        AuditEvent.objects.filter(action="print", outcome="ok")
        .order_by("id")
        .values_list("username", "patient_id", "part")
    )


def test_the_print_button_records_one_print(new_page, front_desk_user, default_set):
    intake = submitted_intake(outcome="candidate")
    page = new_page("desktop", user=front_desk_user)
    page.add_init_script(NO_DIALOG)
    page.goto(f"/intakes/{intake.pk}/")
    statuses = beacon_statuses(page, intake)
    page.get_by_role("button", name="Print summary").click()
    assert wait_for(statuses, page) == [204]
    assert page.evaluate("window.__printed") == 1
    assert prints() == [(front_desk_user.username, intake.patient_id, "result page printout")]


def test_the_browsers_print_command_on_the_case_records_one_print(
    new_page, physician_user, default_set
):
    intake = submitted_intake(outcome="candidate")
    page = new_page("desktop", user=physician_user)
    page.goto(f"/review/{intake.pk}/")
    statuses = beacon_statuses(page, intake)
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert wait_for(statuses, page) == [204]
    assert prints() == [(physician_user.username, intake.patient_id, "case view printout")]
