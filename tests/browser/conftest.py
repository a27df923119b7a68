"""Browser tests of the tenant console: headless Chromium (Debian's, never a downloaded one),
driven by Playwright, against a local runtime of their own.

- Chromium: ``CHROMIUM``, else /usr/bin/chromium, else ``chromium`` on PATH. Missing: every test
  here is skipped (and tests/conftest.py prints a banner saying so); with ``REQUIRE_BROWSER_TESTS=1``
  (.ci/run sets it) they fail instead.
- One browser per module, a fresh context per test; a test whose pages logged a console error
  (CSP violations among them) or threw (``pageerror``) fails, unless it allowed that message.
- One runtime per module (``DELIVERY_PARAMETER_OVERRIDES``: failed attempts are retried 2 s later),
  one webhook receiver per module, answering 200 unless a test switches ``default_status``.
- Screenshots go to docs/console/ with ``CONSOLE_SCREENSHOTS=1`` (``make screenshots``), else to a
  temporary folder.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from local_runtime.template import PROJECT_ROOT

pytest.register_assert_rewrite("tests.browser.console")  # its checks' failures show their values

from tests.browser.console import CHROMIUM_ARGS, PAGE_REQUESTS, SKIP_REASON, WAIT_MS, Console, ConsoleErrors, find_chromium
from tests.e2e.runtime import DELIVERY_PARAMETER_OVERRIDES, LocalRuntime, start_local_runtime, stop
from tests.webhook_receiver import Receiver, running_receiver

HERE = Path(__file__).parent
CHROMIUM = find_chromium()
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM or os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test that passed still fails when its pages logged an error it did not allow."""
    result = yield
    errors = getattr(item, "funcargs", {}).get("console_errors")
    if errors is not None:
        errors.check()
    return result


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {SKIP_REASON}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def console_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_local_runtime(tmp_path_factory.mktemp("console-runtime"), DELIVERY_PARAMETER_OVERRIDES)
    try:
        yield runtime
    finally:
        stop(runtime)


@pytest.fixture(scope="module")
def console(console_runtime: LocalRuntime) -> Console:
    return Console(console_runtime)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with a healthy receiver and leaves no webhook behind."""
    if "console" not in request.fixturenames:
        yield
        return
    receiver: Receiver = request.getfixturevalue("receiver")
    receiver.default_status, receiver.statuses = 200, []
    yield
    receiver.default_status = 200
    request.getfixturevalue("console").delete_all_webhooks()


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def open_page(browser: Browser, console_errors: ConsoleErrors, console: Console) -> Iterator[Callable[..., Page]]:
    """A page in a fresh context (``viewport``, ``color_scheme``, ... as for ``new_context``)."""
    contexts = []

    def new_page(**options: Any) -> Page:
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(console.url))
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        console_errors.watch(page)
        page.on("request", lambda request: PAGE_REQUESTS.append((request.method, request.url)))
        return page

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    return open_page()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("CONSOLE_SCREENSHOTS") == "1":
        folder = PROJECT_ROOT / "docs" / "console"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("console-screenshots")


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[..., Path]:
    """Saves ``<name>.png`` of the whole page; ``mask``: locators painted over (secrets)."""

    def take(page: Page, name: str, *, mask: list[Locator] | None = None) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=path, full_page=True, mask=mask or [], mask_color="#8c959f", animations="disabled", caret="hide")
        return path

    return take
