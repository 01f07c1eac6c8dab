"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

One Chromium is started per test session; every page gets its own browser context (its own
cookies), so pages of two users can work side by side. Each test runs with ``transactional_db``
(the live server is another thread) and the database is flushed afterwards; the default
criteria set is reloaded for each browser test through ``default_set``.

Fixtures::

    page, phone_page              a fresh page at 1366x900 / 390x844, not logged in
    front_desk_page, physician_page, criteria_admin_page
                                  a 1366x900 page logged in through the login form
    new_page(viewport="phone", user=physician_user)
                                  more pages in one test ("desktop" or "phone", logged in or not)
    front_desk_user, physician_user, criteria_admin_user
                                  users of each role (any user from tests/factories.py can
                                  be given to new_page: its password is set to PASSWORD)
    screenshot(page, "name")      a full-page PNG in tests/browser/screenshots/ (git-ignored)
    docs_screenshot(page, "name") the README's picture docs/screenshots/<name>.png, written only
                                  when DOCS_SCREENSHOTS=1 (`make screenshots`), else a no-op
    assert_no_axe_violations(page)
                                  axe-core on the page as it stands: no violation of any impact
    browser_errors.allow(regex)   a console error, an uncaught script error, a failed request
                                  or a 4xx/5xx response of the site fails the test unless allowed

Relative URLs work (``page.goto("/patients/")``): the live server is each context's base URL.
Without /usr/bin/chromium the tests are skipped, or fail when CI_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from intake.services.accounts import roles_ensure
from tests.factories import CriteriaAdminFactory, FrontDeskFactory, PhysicianFactory

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium reaches for the network, which is closed.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
SCREENSHOTS = HERE / "screenshots"
DOCS_SCREENSHOTS = HERE.parent.parent / "docs" / "screenshots"
AXE_SOURCE = HERE / "vendor" / "axe-core-4.14.1" / "axe.min.js"
PASSWORD = "pw-for-browser-tests-1"
TIMEOUT_MS = 10_000

_skip_reason: list[str] = []

try:
    import playwright.sync_api  # noqa: F401
except ImportError:  # the test modules import it: leave them out, loudly (or fail in CI)
    if os.environ.get("CI_REQUIRE_BROWSER") != "1":
        collect_ignore_glob = ["test_*.py"]
        _skip_reason.append("the playwright package is not installed (make install-dev)")


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (install Debian's package: apt-get install chromium)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything in this folder ``browser``, so `-m "not browser"` leaves it out."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[Any]:
    """With ``BROWSER_TESTS_LOCK`` (a file's path), a browser test runs (set-up to teardown)
    only while it holds that file's lock: CI runs the suite on SQLite and on PostgreSQL side
    by side on two cores, and two browsers, two servers and two suites at once made pictures
    and scrolling time out. The rest of the two suites still runs side by side."""
    lock_path = os.environ.get("BROWSER_TESTS_LOCK")
    if not lock_path or item.get_closest_marker("browser") is None:
        return (yield)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return (yield)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pytest_terminal_summary(terminalreporter) -> None:
    if _skip_reason:
        terminalreporter.write_line(
            f"BROWSER TESTS SKIPPED: {_skip_reason[0]}", yellow=True, bold=True
        )


# --------------------------------------------------------------------------------------------
# The browser, one per session


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests cannot run: {reason} (CI_REQUIRE_BROWSER=1)")
        _skip_reason.append(reason)
        pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")
    from playwright.sync_api import sync_playwright

    with _loop_marked_during_playwright_calls_only(), sync_playwright() as playwright:
        loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()
        asyncio._set_running_loop(loop)  # as Playwright expects it when it stops
    asyncio._set_running_loop(None)


@contextmanager
def _loop_marked_during_playwright_calls_only() -> Iterator[None]:
    """Playwright's sync API runs its event loop in a greenlet of this thread and, after each
    call, leaves the loop marked as running here. With that mark, Django takes the test's own
    ORM calls for async code: it refuses them, or (asgiref's thread-critical locals) gives
    them a second database connection that nobody closes. So the mark is set for the length
    of each Playwright call only, and test code between calls runs as plain sync code."""
    from playwright._impl import _sync_base

    original = getattr(_sync_base, "wait_for_future", None)
    if original is None:
        raise RuntimeError(
            "playwright._impl._sync_base.wait_for_future is gone (a Playwright upgrade?): "
            "adapt _loop_marked_during_playwright_calls_only in tests/browser/conftest.py"
        )

    def wait_for_future(loop, dispatcher_fiber, future) -> None:
        previous = asyncio._get_running_loop()  # set already in Playwright's own callbacks
        asyncio._set_running_loop(loop)
        try:
            original(loop, dispatcher_fiber, future)
        finally:
            asyncio._set_running_loop(previous)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_sync_base, "wait_for_future", wait_for_future)
        yield


# --------------------------------------------------------------------------------------------
# Errors seen by the browser


@dataclass
class BrowserErrors:
    """What went wrong in the browser during a test; any problem not allowed fails the test."""

    origin: str
    problems: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, *patterns: str) -> None:
        """Accept problems matching these regular expressions (searched in the description:
        ``"403 GET http://localhost:PORT/review/"``, ``"console error: ..."``)."""
        self.allowed.extend(re.compile(p) for p in patterns)

    def unexpected(self) -> list[str]:
        return [p for p in self.problems if not any(a.search(p) for a in self.allowed)]

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught error: {error.error}"))
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_request_failed)

    def _on_console(self, message) -> None:
        # Chromium also logs every 4xx/5xx response here; _on_response names it better.
        if message.type == "error" and "the server responded with a status of" not in message.text:
            where = message.location.get("url")
            self.problems.append(f"console error{f' at {where}' if where else ''}: {message.text}")

    def _on_response(self, response) -> None:
        if response.status >= 400 and response.url.startswith(self.origin):
            self.problems.append(f"{response.status} {response.request.method} {response.url}")

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        # Leaving a page cancels its pending requests (the live panel's, say): not an error.
        if "ERR_ABORTED" not in failure:
            self.problems.append(f"request failed: {request.method} {request.url}: {failure}")


@pytest.fixture
def browser_errors(live_server) -> BrowserErrors:
    return BrowserErrors(origin=live_server.url)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test whose pages logged errors, unless the test allowed them."""
    errors = getattr(item, "funcargs", {}).get("browser_errors")
    try:
        result = yield
    except BaseException:
        if errors is not None and errors.problems:
            item.add_report_section("call", "browser", "\n".join(errors.problems))
        raise
    if errors is not None and (unexpected := errors.unexpected()):
        pytest.fail(
            "the browser saw errors (allow expected ones with browser_errors.allow(regex)):\n  "
            + "\n  ".join(unexpected),
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


_call_failed = pytest.StashKey[bool]()


# --------------------------------------------------------------------------------------------
# Pages


def tick(option: Locator, attempts: int = 3) -> None:
    """Tick a radio button or checkbox as a person would, again if the page moved under the
    click (the live panel re-renders beside the form as answers change; on a loaded machine a
    click can land while the layout shifts: Playwright then says the click "did not change its
    state"). Fails if it is still not ticked."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(attempts):
        try:
            option.check()
            return
        except PlaywrightError as error:
            if "did not change its state" not in str(error) or attempt == attempts - 1:
                raise
            option.page.wait_for_timeout(200)


def log_in(page: Page, user, password: str = PASSWORD) -> Page:
    """Log in through the real login form and wait for the role's start page."""
    if password == PASSWORD:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    live_server,
    browser_errors: BrowserErrors,
    default_set,
) -> Iterator[Callable[..., Page]]:
    """``new_page(viewport="desktop" | "phone", user=None)``: a page in a new context."""
    roles_ensure()  # the groups and their permissions, as `make run` leaves them
    for old in _test_dir(request.node).glob("*.png"):  # this test's shots from an earlier run
        old.unlink()
    contexts: list[BrowserContext] = []

    def make(viewport: str = "desktop", user: Any = None) -> Page:
        # "phone" is a window 390 px wide, not Chromium's mobile emulation: there, a page that
        # overflows sideways widens the layout viewport and Playwright's clicks miss.
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
        context.set_default_timeout(TIMEOUT_MS)
        browser_errors.watch(context)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            log_in(page, user)
        return page

    yield make
    if request.node.stash.get(_call_failed, False):
        for number, page in enumerate(p for c in contexts for p in c.pages):
            _save_png(page, _test_dir(request.node) / f"FAILED-{number}.png")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


@pytest.fixture
def phone_page(new_page) -> Page:
    return new_page("phone")


@pytest.fixture
def front_desk_user(db):
    roles_ensure()
    return FrontDeskFactory(username="desk", first_name="Fran", last_name="Desk")


@pytest.fixture
def physician_user(db):
    roles_ensure()
    return PhysicianFactory(username="doc", first_name="Pat", last_name="Spine")


@pytest.fixture
def criteria_admin_user(db):
    roles_ensure()
    return CriteriaAdminFactory(username="cadmin", first_name="Cris", last_name="Admin")


@pytest.fixture
def front_desk_page(new_page, front_desk_user) -> Page:
    return new_page(user=front_desk_user)


@pytest.fixture
def physician_page(new_page, physician_user) -> Page:
    return new_page(user=physician_user)


@pytest.fixture
def criteria_admin_page(new_page, criteria_admin_user) -> Page:
    return new_page(user=criteria_admin_user)


# --------------------------------------------------------------------------------------------
# Screenshots


def _test_dir(node: pytest.Item) -> Path:
    name = re.sub(r"[^\w.-]+", "-", node.name).strip("-")
    return SCREENSHOTS / Path(node.path).stem / name


# A full-page picture of a long page (a published set's 57 questions in admin) is tens of
# screens to paint: on a loaded machine it took more than the actions' 10 s. A picture is
# evidence for a person, not what a test asserts: it gets longer.
SCREENSHOT_TIMEOUT_MS = 60_000


def _save_png(page: Page, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
    return path


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``screenshot(page, "name")``: saves screenshots/<module>/<test>/<name>-<width>px.png."""
    folder = _test_dir(request.node)

    def take(page: Page, name: str) -> Path:
        width = page.viewport_size["width"] if page.viewport_size else 0
        return _save_png(page, folder / f"{name}-{width}px.png")

    return take


@pytest.fixture
def docs_screenshot() -> Callable[[Page, str], Path | None]:
    """``docs_screenshot(page, "physician-queue")``: the README's picture of a page, as the flow
    tests reach it. Written to docs/screenshots/ only with DOCS_SCREENSHOTS=1 (`make
    screenshots`), so an ordinary run leaves the tracked files alone. The viewport's height is
    the picture's (not the full page), as a person sees the page."""

    def take(page: Page, name: str) -> Path | None:
        if os.environ.get("DOCS_SCREENSHOTS") != "1":
            return None
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = DOCS_SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), timeout=SCREENSHOT_TIMEOUT_MS)
        return path

    return take


# --------------------------------------------------------------------------------------------
# Accessibility


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page as it stands, one line each (empty: none), with
    every rule on. axe is evaluated through the DevTools protocol, so the site's CSP stays."""
    page.evaluate("(source) => { if (!window.axe) { (0, eval)(source); } }", _axe_source())
    found = page.evaluate(
        """async () => (await axe.run(document)).violations.map(v =>
            `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].target.join(' ')})`)"""
    )
    return list(found)


def assert_no_axe_violations(page: Page) -> None:
    """Fail with axe's findings on the page's current state, naming the page."""
    page.wait_for_load_state("networkidle")
    found = axe_violations(page)
    assert found == [], f"axe on {page.url}:\n  " + "\n  ".join(found)


# On Django admin's pages, axe's preload of the style sheets fetches the admin's
# ``@import url(widgets.css)`` and applies it as an inline style, which the site's CSP refuses,
# as it should. Those console errors come from the injected axe script (no script address, so
# "console error:" directly): tests of admin pages allow them with
# ``browser_errors.allow(*AXE_PRELOAD_REFUSED_BY_CSP)``; an error of the site's own scripts
# ("console error at <url>: ...") still fails.
AXE_PRELOAD_REFUSED_BY_CSP = (
    r"^console error: Applying inline style violates the following Content Security Policy",
    r"^console error: Couldn't load preload assets",
)

_axe_cache: list[str] = []


def _axe_source() -> str:
    if not _axe_cache:
        _axe_cache.append(AXE_SOURCE.read_text())
    return _axe_cache[0]
