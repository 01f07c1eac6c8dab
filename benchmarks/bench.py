"""``manage.py bench``: the pages under load against the production server, and the in-process
figures of issue 12, as one table and one JSON line.

Run against a database seeded with ``manage.py seed_benchmark`` (``DATABASE_URL``). Without
``--url`` the bench starts the production server as ``make serve`` does (gunicorn with
``config/gunicorn.py``, ``config.settings.production``, 2 workers by default, on a free loopback
port, static files collected into a temporary folder, worker recycling off) and stops it at the end, whatever
happens. With ``--url`` it uses a running server, which must share this process's
``DATABASE_URL`` and ``DJANGO_SECRET_KEY`` (sessions are made here and signed with it).
Loopback only.

How a page is measured: Debian's ``wrk`` (``benchmarks/bench.lua``) for ``--duration``
seconds on ``--connections`` connections, right after ``/healthz`` on the same server for as
long, so each page's throughput is also given as a share of the trivial view's from the same
minute. Users are signed in by sessions made here (the auth keys, the session time-out's clocks,
and for the physician a confirmed authenticator device the session has verified, as after a
real two-factor sign-in); every response must be the page's own (200, or the redirect a
successful POST gives): a redirect to the login or the two-factor page fails the bench.

The POST pages write, like people do: a draft saved again with its answers and version (the
optimistic-concurrency check passes a resend of the stored answers), a draft submitted, a case
decided. Submitting and deciding need a fresh intake per request, so the bench first writes its
own (``BENCH-<time>-`` patients, through the seeder) and sends each once; they stay in the
database. Nothing here prints patient data: pages are named by what they are, intakes by id.

The in-process figures: engine screenings per CPU-second, the impact preview of a changed
draft over the latest 500 and 10,000 intakes (as the admin runs it), the CSV export of the
whole queue (``export_all_seconds``), a task worker's peak memory on an impact preview job of
10,000, and with ``--rescreen`` (it publishes a new version: it changes the database) the time
of ``manage.py rescreen`` over all open intakes.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import io
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "bench.lua"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
WRK_INSTALL = "sudo apt-get install wrk  (Debian's package; no other load generator is used)"
# The parameter the bench's draft changes (benchmarks/rescreen.py's example change).
CHANGED_PARAMETER = "nrs_outpatient_min"
BENCH_USERS = {"physician": "bench-physician", "front_desk": "bench-frontdesk"}
DEVICE_NAME = "manage.py bench"
DECISION_REASON = "Benchmark: signed by manage.py bench on a synthetic case."


class BenchError(Exception):
    """The bench cannot run or a page failed; the message says which and what to do."""


@dataclass(frozen=True)
class BenchOptions:
    url: str | None = None
    duration: int = 5
    connections: int = 8
    workers: int = 2
    rescreen: bool = False
    # Fresh intakes prepared for each of submit and decide, per second of --duration.
    writes_per_second: int = 100


@dataclass(frozen=True)
class Goal:
    p95_ms: float | None = None
    healthz_share: float | None = None  # throughput at least this share of /healthz's

    def text(self) -> str:
        parts = []
        if self.p95_ms is not None:
            parts.append(f"p95 < {self.p95_ms:.0f} ms")
        if self.healthz_share is not None:
            parts.append(f"≥ {self.healthz_share:.0%} of /healthz")
        return ", ".join(parts) or "—"

    def met(self, p95_ms: float, share: float) -> bool | None:
        if self.p95_ms is None and self.healthz_share is None:
            return None
        return (self.p95_ms is None or p95_ms < self.p95_ms) and (
            self.healthz_share is None or share >= self.healthz_share
        )


QUEUE_GOAL = Goal(p95_ms=100, healthz_share=0.25)
LIST_GOAL = Goal(p95_ms=100)
PAGE_GOAL = Goal(p95_ms=150)
NO_GOAL = Goal()


@dataclass
class Page:
    """One page under load: its requests (``RequestLine``s) and its goal (issue 12)."""

    name: str
    lines: list[RequestLine]
    goal: Goal
    connections: int | None = None  # None: --connections
    note: str = ""
    # The page opened before it is measured (its own, or for a POST the page its form is on).
    warm_up_path: str = ""
    warm_up_cookie: str = ""
    duration: int = 0  # seconds it ran (set by the run)

    def __post_init__(self) -> None:
        if not self.warm_up_path and self.lines[0].method == "GET":
            self.warm_up_path, self.warm_up_cookie = self.lines[0].path, self.lines[0].cookie


@dataclass(frozen=True)
class RequestLine:
    method: str
    path: str
    cookie: str
    status: int = 200
    location: str = ""  # the redirect a successful POST gives
    body: str = ""
    once: bool = False  # sent once (it uses up a fresh intake)

    def text(self) -> str:
        fields = [
            "once" if self.once else "cycle",
            self.method,
            self.path,
            self.cookie,
            str(self.status),
            self.location,
            self.body,
        ]
        assert not any(("\t" in f or "\n" in f) for f in fields), "tab or newline in a field"
        return "\t".join(fields)


@dataclass
class Measured:
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    requests: int
    good: int
    bad: int
    exhausted: int
    socket_errors: int
    timeouts: int
    bad_statuses: str

    @property
    def all_good(self) -> bool:
        return (
            self.requests > 0
            and self.bad == 0
            and self.exhausted == 0
            and self.socket_errors == 0
            and self.timeouts == 0
        )


@dataclass
class PageResult:
    page: Page
    measured: Measured
    healthz: Measured

    @property
    def share(self) -> float:
        return self.measured.rps / self.healthz.rps if self.healthz.rps else 0.0

    def as_dict(self) -> dict[str, Any]:
        m = self.measured
        return {
            "page": self.page.name,
            "p50_ms": round(m.p50_ms, 2),
            "p95_ms": round(m.p95_ms, 2),
            "p99_ms": round(m.p99_ms, 2),
            "rps": round(m.rps, 2),
            "requests": m.requests,
            "connections": self.page.connections,
            "duration_s": self.page.duration,
            "healthz_rps": round(self.healthz.rps, 2),
            "healthz_p95_ms": round(self.healthz.p95_ms, 2),
            "share_of_healthz": round(self.share, 4),
            "all_ok": m.all_good and self.healthz.all_good,
            "bad_responses": m.bad,
            "bad_statuses": m.bad_statuses.strip(),
            "exhausted": m.exhausted,
            "socket_errors": m.socket_errors,
            "timeouts": m.timeouts,
            "goal": self.page.goal.text(),
            "met": self.page.goal.met(m.p95_ms, self.share),
            "note": self.page.note,
        }


# --------------------------------------------------------------------------------------------
# The load generator


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError(f"wrk is not installed: {WRK_INSTALL}")
    return path


def loopback_base_url(url: str) -> str:
    """The URL without a trailing slash; refused unless it is http(s) on this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BenchError(
            f"--url must be an http URL on this machine, like http://127.0.0.1:8000 (got {url!r})."
        )
    if parts.hostname not in LOOPBACK_HOSTS:
        raise BenchError(
            f"--url must be a loopback address (127.0.0.1, ::1 or localhost), not {parts.hostname}: "
            "the bench loads a server hard and only ever one on this machine."
        )
    return f"{parts.scheme}://{parts.netloc}"


def run_wrk(
    base_url: str, lines: list[RequestLine], *, duration: int, connections: int, folder: Path
) -> Measured:
    threads = max(1, min(2, connections, len(lines)))
    requests_file = folder / f"requests-{time.monotonic_ns()}.tsv"
    requests_file.write_text("\n".join(line.text() for line in lines) + "\n")
    command = [
        wrk_path(),
        "-t", str(threads),
        "-c", str(max(connections, threads)),
        "-d", f"{duration}s",
        "--timeout", "60s",
        "-s", str(LUA_SCRIPT),
        base_url + "/",
        "--", str(requests_file), str(threads),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 120, check=False
        )
    finally:
        requests_file.unlink(missing_ok=True)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            data = json.loads(line.removeprefix("BENCH-RESULT "))
            return Measured(
                p50_ms=data["p50_ms"],
                p95_ms=data["p95_ms"],
                p99_ms=data["p99_ms"],
                rps=data["requests"] / data["seconds"] if data["seconds"] else 0.0,
                requests=data["requests"],
                good=data["good"],
                bad=data["bad"],
                exhausted=data["exhausted"],
                socket_errors=data["socket_errors"],
                timeouts=data["timeouts"],
                bad_statuses=data["bad_statuses"],
            )
    raise BenchError(f"wrk gave no result (exit {done.returncode}): {done.stderr.strip()[:500]}")


# --------------------------------------------------------------------------------------------
# The production server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def warm_up(base_url: str, page: Page, cookie: str, *, parallel: int) -> float:
    """GETs of the page (a POST page: of the page its form is on) before it is measured,
    ``parallel`` at once so that every worker has served it: a worker's first request of a
    page loads its templates and code. Returns the median request's seconds."""

    def one(_number: int) -> float:
        request = urllib.request.Request(
            base_url + page.warm_up_path, headers={"Cookie": cookie, "X-Forwarded-Proto": "https"}
        )
        started = time.perf_counter()
        with contextlib.suppress(urllib.error.URLError, OSError):
            urllib.request.urlopen(request, timeout=120).close()
        return time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        times = sorted(pool.map(one, range(parallel)))
    return times[len(times) // 2]


def page_duration(duration: int, warm_up_seconds: float) -> int:
    """--duration, or longer for a page whose single request takes more than a third of it:
    a run should finish a few requests per connection to have percentiles at all."""
    return max(duration, math.ceil(3 * warm_up_seconds))


def healthz_ok(base_url: str) -> bool:
    request = urllib.request.Request(base_url + "/healthz", headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def production_server(*, workers: int, secret_key: str, folder: Path) -> Iterator[str]:
    """gunicorn as ``make serve`` runs it, on a free loopback port; stopped when the block
    ends, however it ends. Yields the base URL once /healthz answers."""
    port = _free_port()
    static_root = folder / "static"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": str(static_root),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    log_path = folder / "gunicorn.log"
    with open(log_path, "wb") as log:
        # --max-requests 0: config/gunicorn.py recycles a worker after about 2,000 requests,
        # which the /healthz runs reach every few seconds; the page run after one would then
        # measure a worker starting, not the page. Everything else is config/gunicorn.py's.
        command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py"]
        server = subprocess.Popen(
            [*command, "--max-requests", "0", "config.wsgi"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not healthz_ok(base_url):
            if server.poll() is not None:
                raise BenchError(
                    f"The production server stopped at start (exit {server.returncode}):\n"
                    + _tail(log_path)
                )
            if time.monotonic() > deadline:
                raise BenchError(
                    "The production server did not answer /healthz in 60 s:\n" + _tail(log_path)
                )
            time.sleep(0.2)
        yield base_url
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def server_errors(path: Path, limit: int = 10) -> list[str]:
    """The server's error lines that name a failed request ("Internal Server Error: /path/"):
    paths hold opaque ids only. Tracebacks are left out (an exception's message can quote a
    row)."""
    with contextlib.suppress(OSError):
        found = [
            "server: " + line.split(" ", 2)[-1]
            for line in path.read_text(errors="replace").splitlines()
            if " ERROR django.request " in line
        ]
        return found[:limit] + (
            [f"server: ... and {len(found) - limit} more"] if len(found) > limit else []
        )
    return []


def _tail(path: Path, lines: int = 20) -> str:
    """The end of the server's log (gunicorn's access log holds no query strings)."""
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# --------------------------------------------------------------------------------------------
# Users, sessions and the intakes the pages use


@dataclass
class Fixtures:
    """What the pages need, prepared in the database the server reads."""

    physician: Any
    front_desk: Any
    csrf_secret: str
    pages: list[Page] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def bench_users() -> tuple[Any, Any, Any]:
    """The bench's physician (with a confirmed authenticator device) and front-desk user,
    created on first use (no usable password: they only ever sign in through the bench)."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from intake.roles import FRONT_DESK, PHYSICIAN
    from intake.services.accounts import roles_ensure

    groups = roles_ensure()
    user_model = get_user_model()
    users = {}
    for role, username, group in (
        ("physician", BENCH_USERS["physician"], PHYSICIAN),
        ("front_desk", BENCH_USERS["front_desk"], FRONT_DESK),
    ):
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": "Bench", "last_name": role.replace("_", " ").title()},
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(groups[group])
        users[role] = user
    device, _ = TOTPDevice.objects.get_or_create(
        user=users["physician"], name=DEVICE_NAME, defaults={"confirmed": True}
    )
    if not device.confirmed:
        device.confirmed = True
        device.save()
    return users["physician"], users["front_desk"], device


def signed_in_sessions(
    user: Any, *, count: int = 1, device: Any = None, extra: dict[str, Any] | None = None
) -> list[str]:
    """``count`` session keys for ``user`` as after a sign-in: the auth keys, the time-out
    clocks, what the second factor owes and (with ``device``) the device that paid it. Signed
    with the current SECRET_KEY, so the caller sets the server's. With the database session
    engine they are written in one statement."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from django_otp import DEVICE_ID_SESSION_KEY

    from intake.session_timeout import LAST_ACTIVITY_AT, SIGNED_IN_AT
    from intake.two_factor import TWO_FACTOR_SESSION_KEY, two_factor_owed

    now = timezone.now()
    data = {
        SESSION_KEY: user._meta.pk.value_to_string(user),
        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
        SIGNED_IN_AT: int(now.timestamp()),
        LAST_ACTIVITY_AT: int(now.timestamp()),
        TWO_FACTOR_SESSION_KEY: two_factor_owed(user),
    }
    if device is not None:
        data[DEVICE_ID_SESSION_KEY] = device.persistent_id
    data |= extra or {}
    engine = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        keys = []
        for _ in range(count):
            store = engine.SessionStore()
            store.update(data)
            store.create()
            keys.append(store.session_key)
        return keys
    session_data = engine.SessionStore().encode(data)
    expire = now + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys = [get_random_string(32, VALID_KEY_CHARS) for _ in range(count)]
    Session.objects.bulk_create(
        [Session(session_key=k, session_data=session_data, expire_date=expire) for k in keys]
    )
    return keys


def cookie_header(session_key: str, csrf_secret: str) -> str:
    from django.conf import settings

    return (
        f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf_secret}"
    )


def new_csrf_secret() -> str:
    """A CSRF cookie value, as the middleware makes one (the form field may send it as is)."""
    from django.middleware.csrf import get_token
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    get_token(request)
    return request.META["CSRF_COOKIE"]


def _published_set():
    from django.conf import settings

    from screener import selectors

    slug = settings.DEFAULT_CRITERIA_FIXTURES[0]
    procedure = selectors.procedure_by_slug(slug)
    criteria_set = selectors.newest_published_set(procedure) if procedure else None
    if criteria_set is None:
        raise BenchError(
            f"No published criteria set for '{slug}': seed the database first "
            "(docs/benchmarks.md, 'Seeding a database')."
        )
    return criteria_set


def bench_intakes(*, criteria_set, drafts: int, waiting: int) -> tuple[list[int], list[int]]:
    """Fresh intakes for the POST pages, on new ``BENCH-<time>-`` patients: ``drafts`` drafts
    and ``waiting`` submitted cases without an emergency (those cannot be decided before the
    action taken is recorded). Returns their ids."""
    from django.utils import timezone

    from benchmarks.seeding import SeedMix, intakes_seed
    from intake.models import Intake, IntakeStatus

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    # Dated yesterday: every timestamp the seeder gives is then in the past.
    as_of = timezone.localdate() - datetime.timedelta(days=1)
    one_each = {"info_requested": 0.0, "decided": 0.0, "edited": 0.0, "intakes_per_patient": 1.0}
    draft_ids: list[int] = []
    waiting_ids: list[int] = []
    if drafts:
        prefix = f"BENCH-{stamp}-D"
        intakes_seed(
            criteria_set=criteria_set, intakes=drafts, seed=random.randrange(1 << 30),
            as_of=as_of, mix=SeedMix(draft=1.0, **one_each), mrn_prefix=prefix,
        )  # fmt: skip
        draft_ids = list(
            Intake.objects.filter(patient__mrn__startswith=prefix, status=IntakeStatus.DRAFT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if waiting:
        prefix = f"BENCH-{stamp}-W"
        # Some are emergencies: seed a few more, keep the others.
        intakes_seed(
            criteria_set=criteria_set, intakes=math.ceil(waiting * 1.25) + 5,
            seed=random.randrange(1 << 30), as_of=as_of, mix=SeedMix(draft=0.0, **one_each),
            mrn_prefix=prefix,
        )  # fmt: skip
        waiting_ids = list(
            Intake.objects.filter(
                patient__mrn__startswith=prefix, status=IntakeStatus.SUBMITTED, emergency=False
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:waiting]
        )
    return draft_ids, waiting_ids


def intake_form_body(intake, *, action: str, csrf_secret: str, questions, spec) -> str:
    """The intake form as a browser posts it: every question's field with the stored answer
    (blank when none), the version it was loaded at, the button and the CSRF token."""
    from django.utils import timezone

    from intake.forms.intake_form import IntakeForm

    form = IntakeForm(
        None,
        questions=questions,
        spec=spec,
        as_of=timezone.localdate(),
        answers=intake.answers,
        version=intake.version,
    )
    data = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else str(value) for name, value in data.items()}
    data |= {"_action": action, "csrfmiddlewaretoken": csrf_secret}
    return urlencode(data)


def decide_body(intake, *, csrf_secret: str) -> str:
    """A decision as the case page posts it: "not a candidate" (allowed whatever the
    screener suggests) with a reason, on the screening the page showed."""
    from intake.models import DecisionKind

    return urlencode(
        {
            "kind": DecisionKind.NOT_CANDIDATE.value,
            "reason": DECISION_REASON,
            "refer_to": "",
            "planned_procedure_date": "",
            "screening": intake.latest_screening_id,
            "csrfmiddlewaretoken": csrf_secret,
        }
    )


def prepare(options: BenchOptions) -> Fixtures:
    """Users, sessions, the intakes each page opens and the bodies each POST sends."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from intake.forms.review import QueueFilterForm
    from intake.models import Intake, IntakeStatus
    from intake.selectors import intakes as intake_selectors
    from intake.selectors import queue as queue_selectors
    from intake.views import patients as patient_views
    from intake.views import review as review_views
    from screener import adapters

    criteria_set = _published_set()
    physician, front_desk, device = bench_users()
    csrf = new_csrf_secret()
    fixtures = Fixtures(physician=physician, front_desk=front_desk, csrf_secret=csrf)

    waiting = Intake.objects.filter(status=IntakeStatus.SUBMITTED, procedure=criteria_set.procedure)
    case = waiting.filter(emergency=False).order_by("-submitted_at", "-pk").first()
    if case is None:
        raise BenchError("No submitted intake waits for review: seed the database first.")
    surname = case.patient.last_name  # never printed
    outcome_row = (
        waiting.values("outcome").annotate(n=Count("pk")).order_by("-n", "outcome").first()
    )
    now = timezone.now()
    default_filters = QueueFilterForm(
        {},
        procedures=queue_selectors.review_procedures(),
        physicians=queue_selectors.review_physicians(),
    ).filters(search="")
    queue_size = queue_selectors.queue_intakes(
        filters=default_filters, user=physician, now=now
    ).count()
    deep_page = max(1, math.ceil(queue_size / review_views.PAGE_SIZE))

    budget = options.duration * options.writes_per_second + options.connections
    pool = max(options.connections * 4, 16)
    draft_ids, waiting_ids = bench_intakes(
        criteria_set=criteria_set, drafts=pool + budget, waiting=budget
    )
    form_draft_id = draft_ids[0]

    def cookies(user, count: int = 1, **extra) -> list[str]:
        keys = signed_in_sessions(
            user, count=count, device=device if user is physician else None, extra=extra
        )
        return [cookie_header(key, csrf) for key in keys]

    # One session per page (the searches are kept in the session, as the pages keep them), and
    # one per POST: a redirect's message waits in its session, and should not pile up there.
    [doctor] = cookies(physician)
    [doctor_searching] = cookies(physician, **{review_views.SEARCH_SESSION_KEY: surname})
    [clerk] = cookies(front_desk)
    [clerk_searching] = cookies(front_desk, **{patient_views.SEARCH_SESSION_KEY: surname})

    def get(path: str, who: str) -> list[RequestLine]:
        return [RequestLine("GET", path, who)]

    intakes = {
        i.pk: i
        for i in Intake.objects.filter(pk__in=draft_ids + waiting_ids).select_related(
            "criteria_set"
        )
    }
    questions = intake_selectors.set_questions(criteria_set=criteria_set)
    spec = adapters.compiled_criteria(criteria_set).spec

    def form_posts(ids: list[int], action: str, *, once: bool) -> list[RequestLine]:
        return [
            RequestLine(
                "POST",
                reverse("intake:intake-detail", args=[pk]),
                who,
                status=302,
                location=reverse("intake:intake-detail", args=[pk]),
                body=intake_form_body(
                    intakes[pk], action=action, csrf_secret=csrf, questions=questions, spec=spec
                ),
                once=once,
            )
            for pk, who in zip(ids, cookies(front_desk, len(ids)), strict=True)
        ]

    draft_save = form_posts(draft_ids[1 : pool + 1], "save", once=False)
    submit = form_posts(draft_ids[pool + 1 :], "submit", once=True)
    decide = [
        RequestLine(
            "POST",
            reverse("review:decide", args=[pk]),
            who,
            status=302,
            location=reverse("review:case", args=[pk]) + "#decisions",
            body=decide_body(intakes[pk], csrf_secret=csrf),
            once=True,
        )
        for pk, who in zip(waiting_ids, cookies(physician, len(waiting_ids)), strict=True)
    ]
    queue = reverse("review:queue")
    case_path = reverse("review:case", args=[case.pk])
    form_path = reverse("intake:intake-detail", args=[form_draft_id])
    fixtures.pages = [
        Page("queue default", get(queue, doctor), QUEUE_GOAL),
        Page(
            "queue filtered (an outcome)",
            get(f"{queue}?{urlencode({'outcome': outcome_row['outcome']})}", doctor),
            QUEUE_GOAL,
        ),
        Page(
            f"queue deep page ({deep_page})", get(f"{queue}?page={deep_page}", doctor), QUEUE_GOAL
        ),
        Page("queue search (a surname)", get(queue, doctor_searching), QUEUE_GOAL),
        Page("patients list", get(reverse("intake:patient-list"), clerk), LIST_GOAL),
        Page(
            "patients search (a surname)",
            get(reverse("intake:patient-list"), clerk_searching),
            LIST_GOAL,
        ),
        Page("needs-information list", get(reverse("intake:needs-info-list"), clerk), LIST_GOAL),
        Page("case view", get(case_path, doctor), PAGE_GOAL),
        Page(
            "intake form (GET)",
            get(form_path, clerk),
            PAGE_GOAL,
            connections=2,
        ),
        Page(
            "draft save (POST)", draft_save, PAGE_GOAL, warm_up_path=form_path, warm_up_cookie=clerk
        ),
        Page("submit (POST)", submit, PAGE_GOAL, warm_up_path=form_path, warm_up_cookie=clerk),
        Page("decide (POST)", decide, NO_GOAL, warm_up_path=case_path, warm_up_cookie=doctor),
        Page("result page", get(reverse("intake:intake-detail", args=[case.pk]), clerk), NO_GOAL),
    ]
    fixtures.notes.append(
        f"POST pages wrote on {len(draft_ids) + len(waiting_ids)} intakes made by the bench "
        "(BENCH-<time>- patients); they stay in the database."
    )
    return fixtures


# --------------------------------------------------------------------------------------------
# In-process figures


def engine_screenings_per_cpu_second(criteria_set, cases: int = 2000) -> float:
    """benchmarks/engine_throughput.py's engine-alone figure, in CPU time of this process."""
    from benchmarks.cases import generate_cases
    from screener import adapters, engine

    compiled = adapters.compiled_criteria(criteria_set)
    spec = compiled.spec
    typed = []
    for case in generate_cases(spec, cases):
        as_of = datetime.date.fromisoformat(case["as_of"])
        typed.append((engine.parse_answers(spec, case["answers"], as_of), as_of))
    for answers, as_of in typed[:200]:  # warm-up
        engine.screen(compiled, answers, as_of)
    started = time.process_time()
    for answers, as_of in typed:
        engine.screen(compiled, answers, as_of)
    return len(typed) / max(time.process_time() - started, 1e-9)


def bench_draft(criteria_set):
    """A clone of the published set with ``CHANGED_PARAMETER`` moved (5 <-> 7), as a criteria
    admin would prepare a change; its golden cases follow the change (a synthetic database)."""
    from screener import services
    from screener.golden import golden_cases_run

    draft = services.criteria_set_clone(
        criteria_set=criteria_set, notes=f"manage.py bench: {CHANGED_PARAMETER} changed"
    )
    parameter = draft.parameter_set.get(name=CHANGED_PARAMETER)
    parameter.value = 7 if float(parameter.value) != 7 else 5
    parameter.save()
    for result in golden_cases_run(draft):
        if not result.passed and result.outcome is not None:
            case = result.case
            case.expected_outcome = result.outcome
            case.expected_missing = None
            case.save()
    return draft


def export_all_seconds(*, user, now: datetime.datetime) -> tuple[float, int]:
    """The CSV export of the whole queue (every status) as the worker runs it: the task's own
    work in this process, from the count to the file saved in the exports storage; (seconds,
    rows written). The export and its file are deleted afterwards. ``now`` is not used: the
    task reads the clock as it does in production."""
    from intake.exports import services
    from intake.exports.tasks import queue_export_run
    from intake.models import QueueExport, QueueExportStatus, queue_export_storage
    from intake.selectors import queue as queue_selectors

    filters = queue_selectors.QueueFilters(status=queue_selectors.STATUS_ALL)
    export = services.queue_export_create(user=user, filters=filters)
    started = time.perf_counter()
    queue_export_run(str(export.pk))
    seconds = time.perf_counter() - started
    export.refresh_from_db()
    if export.status != QueueExportStatus.DONE:
        raise BenchError(f"the export stopped: {export.status}, {export.written} rows written")
    if export.file:
        queue_export_storage().delete(export.file.name)
    QueueExport.objects.filter(pk=export.pk).delete()
    return seconds, export.written


def worker_peak_memory(draft, *, limit: int = 10_000, timeout: float = 900) -> dict[str, Any]:
    """Run ``manage.py run_worker`` on an impact preview job of ``limit`` intakes, as the admin
    queues it; its peak resident memory (VmHWM) and the job's time."""
    from django.db import transaction

    from screener import services
    from screener.models import CriteriaJobKind, CriteriaJobStatus
    from screener.tasks import task_of

    with transaction.atomic():
        job = services.criteria_job_create(
            kind=CriteriaJobKind.IMPACT, criteria_set=draft, limit=limit
        )
    result = task_of(job.kind).enqueue(job.pk)
    services.criteria_job_task_set(job_id=job.pk, task_id=str(result.id))
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "run_worker",
            "--no-supervisor",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env=os.environ | {"DJANGO_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    peak_kb = 0
    try:
        deadline = time.monotonic() + timeout
        while True:
            peak_kb = max(peak_kb, _vm_hwm_kb(worker.pid))
            job.refresh_from_db()
            if job.status not in (CriteriaJobStatus.QUEUED, CriteriaJobStatus.RUNNING):
                break
            if worker.poll() is not None:
                raise BenchError(f"The task worker stopped (exit {worker.returncode}).")
            if time.monotonic() > deadline:
                raise BenchError(f"The impact preview job did not finish in {timeout:.0f} s.")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        peak_kb = max(peak_kb, _vm_hwm_kb(worker.pid))
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    return {
        "job_status": str(job.status),
        "intakes": job.total,
        "seconds_with_start_up": round(seconds, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def _vm_hwm_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def rescreen_seconds(draft) -> dict[str, Any]:
    """Publish the draft (a new version) and time ``manage.py rescreen`` of every open intake."""
    from django.core.management import call_command

    from intake.models import Intake, IntakeStatus
    from screener import services

    open_before = (
        Intake.objects.filter(
            procedure=draft.procedure,
            status__in=(IntakeStatus.SUBMITTED, IntakeStatus.INFO_REQUESTED),
        )
        .exclude(criteria_set=draft)
        .count()
    )
    services.criteria_set_publish(criteria_set=draft)
    started = time.perf_counter()
    call_command(
        "rescreen", procedure=draft.procedure.slug, stdout=io.StringIO(), stderr=io.StringIO()
    )
    return {"open_intakes": open_before, "seconds": round(time.perf_counter() - started, 2)}


def in_process_figures(
    fixtures: Fixtures, options: BenchOptions, say: Callable[[str], None]
) -> dict[str, Any]:
    from django.utils import timezone

    from intake.rescreen.impact import impact_preview
    from screener import services

    criteria_set = _published_set()
    figures: dict[str, Any] = {}
    say("engine screenings per CPU-second ...")
    figures["engine_screenings_per_cpu_second"] = round(
        engine_screenings_per_cpu_second(criteria_set)
    )
    draft = bench_draft(criteria_set)
    published = False
    try:
        for limit in (500, 10_000):
            say(f"impact preview of the latest {limit:,} ...")
            started = time.perf_counter()
            report = impact_preview(criteria_set=draft, limit=limit)
            figures[f"impact_preview_{limit}"] = {
                "seconds": round(time.perf_counter() - started, 3),
                "intakes": report.evaluated,
                "changed": report.changed,
            }
        say("CSV export of the whole queue ...")
        seconds, rows = export_all_seconds(user=fixtures.physician, now=timezone.now())
        figures["csv_export_all"] = {"seconds": round(seconds, 2), "rows": rows}
        say("task worker on an impact preview job of 10,000 ...")
        figures["worker_impact_10000"] = worker_peak_memory(draft)
        if options.rescreen:
            say("rescreen of every open intake (publishes a new version) ...")
            figures["rescreen_open"] = rescreen_seconds(draft)
            published = True
        else:
            figures["rescreen_open"] = None
    finally:
        if not published:
            services.criteria_set_delete(criteria_set=draft)
    return figures


# --------------------------------------------------------------------------------------------
# The run


def environment() -> dict[str, Any]:
    from django.db import connection

    from intake.models import Intake

    return {
        "database": connection.vendor,
        "intakes": Intake.objects.count(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
    }


def run(options: BenchOptions, say: Callable[[str], None]) -> dict[str, Any]:
    """Every figure, as the JSON line prints them. ``say`` reports progress."""
    from django.test.utils import override_settings

    wrk_path()
    base_url = loopback_base_url(options.url) if options.url else None
    if options.url is None and not os.environ.get("DATABASE_URL"):
        raise BenchError("Set DATABASE_URL to the seeded database (the server reads it too).")
    from django.conf import settings

    secret_key = settings.SECRET_KEY if base_url else secrets.token_urlsafe(64)
    started = time.perf_counter()
    figures: dict[str, Any] = {"environment": environment()}
    with tempfile.TemporaryDirectory(prefix="bench-") as name:
        folder = Path(name)
        say("preparing users, sessions and intakes ...")
        with override_settings(SECRET_KEY=secret_key):
            fixtures = prepare(options)
        server = (
            contextlib.nullcontext(base_url)
            if base_url
            else production_server(workers=options.workers, secret_key=secret_key, folder=folder)
        )
        results = []
        with server as url:
            if not healthz_ok(url):
                raise BenchError(f"{url}/healthz does not answer 200.")
            for page in fixtures.pages:
                connections = page.connections or options.connections
                page.connections = connections
                seconds = page_duration(
                    options.duration,
                    warm_up(url, page, page.warm_up_cookie, parallel=max(2, connections)),
                )
                page.duration = seconds
                if seconds > options.duration:
                    page.note = f"one request took over a third of --duration: ran {seconds} s"
                say(f"{page.name}: /healthz then the page, {seconds} s each ...")
                healthz = run_wrk(
                    url, [RequestLine("GET", "/healthz", "")],
                    duration=seconds, connections=connections, folder=folder,
                )  # fmt: skip
                measured = run_wrk(
                    url, page.lines, duration=seconds, connections=connections, folder=folder
                )
                results.append(PageResult(page, measured, healthz))
        figures["server"] = (
            {"url": "given (--url)"}
            if base_url
            else {"gunicorn_workers": options.workers, "settings": "config.settings.production"}
        )
        figures["load"] = {
            "generator": "wrk (Debian)",
            "duration_s": options.duration,
            "connections": options.connections,
        }
        figures["pages"] = [result.as_dict() for result in results]
        figures["all_pages_ok"] = all(result["all_ok"] for result in figures["pages"])
        if not figures["all_pages_ok"] and not base_url:
            fixtures.notes.extend(server_errors(folder / "gunicorn.log"))
        figures["in_process"] = in_process_figures(fixtures, options, say)
    figures["notes"] = fixtures.notes
    figures["environment"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def table(figures: dict[str, Any]) -> str:
    """The pages as one readable table, then the in-process figures."""
    env = figures["environment"]
    head = (
        f"{env['database']}, {env['intakes']:,} intakes, {env['cores']} cores, load average "
        f"{' '.join(str(x) for x in env['load_average'])} (after: "
        f"{' '.join(str(x) for x in env['load_average_after'])})"
    )
    columns = ("page", "p50 ms", "p95 ms", "p99 ms", "req/s", "% /healthz", "goal", "met?")
    rows = []
    for page in figures["pages"]:
        met = {True: "yes", False: "NO", None: "—"}[page["met"]]
        if not page["all_ok"]:
            met = "FAILED"
        rows.append(
            (
                page["page"]
                + (f" [{page['connections']} conn.]" if page["connections"] == 2 else ""),
                f"{page['p50_ms']:.1f}",
                f"{page['p95_ms']:.1f}",
                f"{page['p99_ms']:.1f}",
                f"{page['rps']:.1f}",
                f"{page['share_of_healthz']:.1%}",
                page["goal"],
                met,
            )
        )
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]

    def line(cells) -> str:
        return "  ".join(
            str(c).ljust(w) if i in (0, 6) else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [head, "", line(columns), line(["-" * w for w in widths]), *map(line, rows)]
    failures = [p for p in figures["pages"] if not p["all_ok"]]
    for page in failures:
        if page["requests"] == 0:
            out.append(
                f"FAILED {page['page']}: no request completed in {figures['load']['duration_s']} s"
            )
            continue
        out.append(
            f"FAILED {page['page']}: {page['bad_responses']} unexpected responses "
            f"({page['bad_statuses'] or 'none'}), {page['exhausted']} past the prepared intakes, "
            f"{page['socket_errors']} socket errors, {page['timeouts']} timeouts"
        )
    inproc = figures["in_process"]
    out.append("")
    engine_rate = inproc["engine_screenings_per_cpu_second"]
    out.append(
        f"engine: {engine_rate:,} screenings per CPU-second (goal ≥ 5,000: "
        f"{'yes' if engine_rate >= 5000 else 'NO'})"
    )
    for limit in (500, 10_000):
        item = inproc[f"impact_preview_{limit}"]
        goal = f" (goal < 2 s: {'yes' if item['seconds'] < 2 else 'NO'})" if limit == 500 else ""
        out.append(
            f"impact preview, latest {limit:,}: {item['seconds']:.2f} s for {item['intakes']:,} "
            f"intakes{goal}"
        )
    export = inproc["csv_export_all"]
    rate = export["rows"] / export["seconds"] if export["seconds"] else 0
    out.append(
        f"CSV export of the whole queue: {export['seconds']:.1f} s for {export['rows']:,} rows "
        f"({rate:,.0f} rows/s; goal 100,000 in < 30 s: {'yes' if rate >= 100_000 / 30 else 'NO'})"
    )
    worker = inproc["worker_impact_10000"]
    out.append(
        f"task worker, impact preview job of {worker['intakes'] or 0:,}: peak RSS "
        f"{worker['peak_rss_mb']} MB, {worker['seconds_with_start_up']} s with start-up "
        f"({worker['job_status']})"
    )
    rescreen = inproc["rescreen_open"]
    if rescreen is None:
        out.append("rescreen of open intakes: not run (--rescreen publishes a new version)")
    else:
        rate = rescreen["open_intakes"] / rescreen["seconds"] if rescreen["seconds"] else 0
        out.append(
            f"rescreen of {rescreen['open_intakes']:,} open intakes: {rescreen['seconds']:.1f} s "
            f"(goal 100,000 in < 2 min: {'yes' if rate >= 100_000 / 120 else 'NO'})"
        )
    out.extend(figures["notes"])
    return "\n".join(out)
