"""What impact preview and re-screen add to the criteria side (``screener.hooks``).

``register()`` runs in ``intake.apps.IntakeConfig.ready``: the criteria set admin then shows
the impact preview, the golden case from an intake and the re-screen (their buttons, and list
actions for the first and last), the task worker runs the two job kinds (their progress pages
name patients to those who may see them), and the message after a publish offers the re-screen.
"""

from __future__ import annotations

from intake.rescreen.admin import (
    action_preview_impact,
    action_rescreen,
    golden_from_intake_view,
    impact_view,
    is_newest_published,
    job_report_for_reader,
    rescreen_view,
)
from intake.rescreen.tasks import impact_preview_run, rescreen_run
from screener.hooks import CriteriaSetPage, JobHandler, registry
from screener.models import CriteriaJobKind, CriteriaSet


def register() -> None:
    registry.add_page(
        CriteriaSetPage(
            "golden_from_intake",
            golden_from_intake_view,
            "Golden case from an intake",
            shown=lambda criteria_set: criteria_set.is_draft,
            after="golden",
        )
    )
    registry.add_page(
        CriteriaSetPage(
            "impact",
            impact_view,
            "Preview impact",
            shown=lambda criteria_set: criteria_set.is_draft,
            action=action_preview_impact,
            after="golden",
        )
    )
    registry.add_page(
        CriteriaSetPage(
            "rescreen",
            rescreen_view,
            "Re-screen open intakes",
            shown=is_newest_published,
            action=action_rescreen,
            after="retire",
        )
    )
    registry.add_job_handler(
        CriteriaJobKind.IMPACT,
        JobHandler(
            run=impact_preview_run,
            resume_effect="Resuming runs the preview again from the start.",
            report=job_report_for_reader,
        ),
    )
    registry.add_job_handler(
        CriteriaJobKind.RESCREEN,
        JobHandler(
            run=rescreen_run,
            resume_effect=(
                "Intakes already re-screened stay re-screened; resuming re-screens the rest, "
                "each intake once, and the counts cover every run."
            ),
            report=job_report_for_reader,
        ),
    )
    registry.add_publish_note("rescreen", publish_note)


def publish_note(criteria_set: CriteriaSet) -> str:
    return (
        "Older versions stay in use for the intakes pinned to them; re-screen open intakes "
        "from the button above."
    )
