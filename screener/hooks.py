"""What other apps add to the criteria side, registered by them: screener never imports them.

Criteria sets know nothing of patients. What a set does to intakes (the impact preview of a
draft, the re-screen of open intakes under a new version) lives in ``intake.rescreen``, which
imports screener; screener reaches it only through this registry, which
``intake.apps.IntakeConfig.ready`` fills (``intake/rescreen/hooks.py``):

- **pages of a criteria set** in Django admin (``CriteriaSetPage``): each has a URL beside the
  set (``admin:screener_criteriaset_<name>``), a button on the set's page and, if it says so,
  an action on the list of sets, placed after the criteria side's own page it names;
- **background job kinds** (``JobHandler``): the work a worker runs for a ``CriteriaJob`` of
  that kind, what resuming a stalled one does, and how its progress page reads its result;
- **what publishing offers next**: sentences added to the message shown after a publish.

Registering again under the same name (or kind) replaces the earlier entry, so a second
``ready()`` (a test runner that sets up twice) adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from screener.models import CriteriaSet
    from screener.tasks import JobRun

    # A page's view: (the CriteriaSetAdmin, the request, the set's id from the URL).
    PageView = Callable[[Any, HttpRequest, str], HttpResponse]


def always(criteria_set: CriteriaSet) -> bool:
    return True


@dataclass(frozen=True)
class CriteriaSetPage:
    """A page beside a criteria set in Django admin.

    ``view(model_admin, request, object_id)`` answers ``<set id>/<name>/`` (URL name
    ``admin:screener_criteriaset_<name>``); it gets the ``CriteriaSetAdmin`` for its helpers
    (``criteria_set_or_404``, ``render_page``, ``redirect_to_set``). ``button`` is the label of
    its link on the set's page, shown when ``shown(criteria_set)``; ``action``, a Django admin
    action function, puts it in the list's action menu. A page added by another app follows
    the page named ``after`` (its button and its action too); an unknown name puts it last.
    """

    name: str
    view: PageView
    button: str = ""
    shown: Callable[[CriteriaSet], bool] = always
    action: Callable[..., Any] | None = None
    after: str = ""


@dataclass(frozen=True)
class JobHandler:
    """How a background job of one kind (``CriteriaJob.kind``) runs and reads.

    ``run(job_run)`` does the work of one run of the job (``screener.tasks.JobRun``): it writes
    its progress through ``job_run.progress`` and finishes the job with
    ``services.criteria_job_finish``. ``resume_effect`` says, on a stalled job's page, what
    resuming it does. ``report(job.result, request)`` turns the stored result of a finished job
    into what its progress page shows to the request's user
    (``templates/admin/screener/_impact_report.html``).
    """

    run: Callable[[JobRun], None]
    resume_effect: str
    report: Callable[[dict[str, Any], HttpRequest], Any]


class Registry:
    """The pages, job kinds and publish notes other apps add (filled in their ``ready()``)."""

    def __init__(self) -> None:
        self._pages: dict[str, CriteriaSetPage] = {}
        self._job_handlers: dict[str, JobHandler] = {}
        self._publish_notes: dict[str, Callable[[CriteriaSet], str]] = {}

    def add_page(self, page: CriteriaSetPage) -> None:
        self._pages[page.name] = page

    def pages_in_order(self, own: Sequence[CriteriaSetPage]) -> list[CriteriaSetPage]:
        """The criteria side's ``own`` pages in their order, each followed by the added pages
        that name it in ``after``; added pages naming no own page come last."""
        added = [page for page in self._pages.values() if page.name not in {p.name for p in own}]
        ordered: list[CriteriaSetPage] = []
        for page in own:
            ordered.append(page)
            ordered += [extra for extra in added if extra.after == page.name]
        return ordered + [extra for extra in added if extra not in ordered]

    def add_job_handler(self, kind: str, handler: JobHandler) -> None:
        self._job_handlers[str(kind)] = handler

    def job_handler(self, kind: str) -> JobHandler | None:
        return self._job_handlers.get(str(kind))

    def add_publish_note(self, name: str, note: Callable[[CriteriaSet], str]) -> None:
        """``note(published_set)``: a sentence for the message shown after a publish."""
        self._publish_notes[name] = note

    def publish_notes(self, criteria_set: CriteriaSet) -> list[str]:
        return [note(criteria_set) for note in self._publish_notes.values()]


registry = Registry()
