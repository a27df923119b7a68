"""Helpers for the browser tests of the tenant console (issue 17): finding Chromium, portal links,
the secrets the pages showed, waits that press "Refresh", and the checks run in the page
(accessible names, contrast). The contract they check: the console contract of issue 17
(accessible names, URLs, sessionStorage)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from local_runtime.template import PROJECT_ROOT
from tests.e2e.runtime import ISSUED_SECRETS, READY_LINE, LocalRuntime, remember_secrets

WAIT_MS = 15_000  # generous: a page load, a request to the runtime
DELIVERY_SECONDS = 30.0  # a delivery takes 1-2 s locally; a failed one 2 s more (the short retry schedule)
INSTALL_HINT = "apt-get install chromium chromium-driver"
# tests/conftest.py's terminal summary looks for this text in skip reasons (BROWSER_SKIP_REASON).
SKIP_REASON = f"Chromium not found: set CHROMIUM=/path/to/chromium or install it ({INSTALL_HINT})"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SESSION_KEY = "console-session"
# An event type nothing in the browser tests causes: webhooks subscribe to it, so that the tenant's
# other events (a key created or revoked by another test) are never delivered to them.
QUIET_EVENT_TYPE = "ApiKeyRolled"

# Every key and secret the browser tests saw (pages, portal links, API answers): the last test of
# each module proves the browser runtime's log holds none of them.
SEEN_SECRETS: set[str] = set()
PORTAL_LINK_KEYS: set[str] = set()
# Every request the console's pages made, as (method, URL): the last test of a module checks each
# was the console's own page or file, or an operation openapi.json documents.
PAGE_REQUESTS: list[tuple[str, str]] = []
_names = itertools.count(1)


def find_chromium() -> str | None:
    """``CHROMIUM``, else Debian's /usr/bin/chromium, else ``chromium`` on PATH."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def remember(*secrets: str) -> None:
    """A key or secret a test saw: for this package's log check and the e2e suite's."""
    for secret in secrets:
        SEEN_SECRETS.add(secret)
        ISSUED_SECRETS.add(secret)
        remember_secrets(secret)


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}-{int(time.time() * 1000) % 100000}"


class Console:
    """The console of one local runtime, and the API calls the tests prepare things with."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.url = runtime.api_url + "/console"
        self.keep: set[str] = set()  # webhooks a module set up for all its tests

    def api(self, method: str, path: str, *, key: str | None = None, body: Any = None) -> tuple[int, Any]:
        status, _, answer = self.runtime.request(method, path, key=key or self.runtime.api_key, body=body)
        return status, answer

    def portal_link(self, ttl_seconds: int = 3600, scopes: list[str] | None = None) -> tuple[str, str]:
        """A new portal link (POST /portal-links with the demo key): its url and its key."""
        body = {"ttl_seconds": ttl_seconds} | ({} if scopes is None else {"scopes": scopes})
        status, created = self.api("POST", "/portal-links", body=body)
        assert status == 201, created
        fragment = urllib.parse.urlsplit(created["url"]).fragment
        values = urllib.parse.parse_qs(fragment)
        assert set(values) == {"key", "expires_at"}, created["url"]
        key = values["key"][0]
        assert key.startswith("intk_"), created["url"]
        remember(key)
        PORTAL_LINK_KEYS.add(key)
        return created["url"], key

    def sign_in(self, page: Page) -> str:
        """Open a fresh portal link: lands on Endpoints. Returns the link's key."""
        url, key = self.portal_link()
        page.goto(url)
        expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
        return key

    def open(self, page: Page, route: str) -> None:
        """``route``: a hash route, e.g. ``#/event-types``."""
        page.goto(self.url + route)

    def create_webhook(self, url: str, *, name: str | None = None, events: list[str] | None = None) -> dict[str, Any]:
        body = {"name": name or unique("Receiver"), "url": url, "events": events or [QUIET_EVENT_TYPE]}
        status, created = self.api("POST", "/webhooks", body=body)
        assert status == 201, created
        remember(created["secret"])
        return created

    def create_api_key(self, name: str, scopes: list[str]) -> dict[str, Any]:
        status, created = self.api("POST", "/api-keys", body={"name": name, "scopes": scopes})
        assert status == 201, created
        remember(created["key"])
        return created

    def delete_all_webhooks(self) -> None:
        status, page = self.api("GET", "/webhooks?limit=100")
        assert status == 200, page
        for webhook in page["items"]:
            if webhook["id"] in self.keep:
                continue
            assert self.api("DELETE", f"/webhooks/{webhook['id']}")[0] in (204, 404)


class ConsoleErrors:
    """Console errors and uncaught exceptions of a test's pages."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        """An error the test expects, e.g. the browser's note of a 401 it provoked."""
        self._allowed.append(re.compile(pattern))

    def watch(self, page: Page) -> None:
        page.on("console", lambda message: message.type == "error" and self.seen.append(f"console.error: {message.text}"))
        page.on("pageerror", lambda error: self.seen.append(f"pageerror: {error}"))

    def check(self) -> None:
        unexpected = [line for line in self.seen if not any(pattern.search(line) for pattern in self._allowed)]
        assert unexpected == [], f"the page logged errors (CSP violations show here too): {unexpected}"


def h1(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", level=1, name=name, exact=True)


def assert_focus_moved_to_the_page(page: Page) -> None:
    """After a navigation, focus is on the new page's h1 (or on main), for screen readers."""
    expect(page.locator(":focus")).to_have_count(1)  # the page settled its focus
    focused = page.evaluate("() => document.activeElement.tagName")
    assert focused in ("H1", "MAIN"), f"focus is on a {focused} after the navigation"


def session(page: Page) -> str | None:
    return page.evaluate("name => sessionStorage.getItem(name)", SESSION_KEY)


def local_storage(page: Page) -> str:
    return page.evaluate("() => JSON.stringify(Object.entries(localStorage))")


def refresh_until(page: Page, wanted: Locator, *, timeout: float = DELIVERY_SECONDS) -> None:
    """Press "Refresh" until ``wanted`` shows (the console need not poll by itself)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(wanted.first).to_be_visible(timeout=1_500)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        page.get_by_role("button", name="Refresh", exact=True).click()


def log_lines_after_start(runtime: LocalRuntime) -> list[str]:
    return runtime.log().split(READY_LINE, 1)[-1].splitlines()  # the banner prints the demo key on purpose


def assert_log_holds_no_secret(runtime: LocalRuntime) -> None:
    """No line the runtime logged after start-up holds a key or secret the browser tests saw."""
    lines = log_lines_after_start(runtime)
    assert SEEN_SECRETS and PORTAL_LINK_KEYS and len(lines) > 10  # something to find, somewhere to look
    secrets = SEEN_SECRETS | ISSUED_SECRETS | {runtime.api_key}
    leaks = [(secret[:10] + "...", line[:200]) for line in lines for secret in secrets if secret in line]
    assert leaks == []


# Every input, select and textarea (but type=hidden) without an accessible name from a <label>,
# aria-label or aria-labelledby; and every button or link without a name.
UNNAMED_CONTROLS_JS = """() => {
  const text = (value) => (value || '').trim();
  const byIds = (ids) => text(ids) && ids.split(/\\s+/).some((id) => text(document.getElementById(id)?.textContent));
  const named = (el) => text(el.getAttribute('aria-label')) || byIds(el.getAttribute('aria-labelledby'))
    || [...(el.labels || [])].some((label) => text(label.textContent));
  const fields = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden' && !named(el));
  const actions = [...document.querySelectorAll('button, a[href]')]
    .filter((el) => !named(el) && !text(el.textContent) && !text(el.getAttribute('title'))
      && ![...el.querySelectorAll('img[alt]')].some((img) => text(img.alt)));
  return [...fields, ...actions].map((el) => el.outerHTML.slice(0, 200));
}"""

# The colours of the text of the first element ``selector`` matches and of what shows behind it
# (backgrounds composited up to the canvas), as sRGB through a canvas (any CSS colour syntax),
# and their WCAG contrast ratio; once running transitions (a theme switch's) have finished.
CONTRAST_JS = """async (selector) => {
  await Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => null)));
  const el = document.querySelector(selector);
  if (!el) return null;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, below) => [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3])).concat([1]);
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const bg = rgba(getComputedStyle(node).backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] >= 1) break;
  }
  const dark = getComputedStyle(document.documentElement).colorScheme.includes('dark')
    && matchMedia('(prefers-color-scheme: dark)').matches;
  let background = layers.length && layers[layers.length - 1][3] >= 1 ? [0, 0, 0, 1] : (dark ? [18, 18, 18, 1] : [255, 255, 255, 1]);
  for (const layer of layers.reverse()) background = over(layer, background);
  const foreground = over(rgba(getComputedStyle(el).color), background);
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return { selector, foreground: foreground.map(Math.round), background: background.map(Math.round),
           ratio: (hi + 0.05) / (lo + 0.05) };
}"""


def documented_operations() -> list[tuple[str, re.Pattern[str]]]:
    """(method, path pattern) of every operation in openapi.json, under the API's base path."""
    document = json.loads((PROJECT_ROOT / "openapi.json").read_text())
    base = document["servers"][0]["url"]
    return [
        (method.upper(), re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(base + path)) + "$"))
        for path, item in document["paths"].items()
        for method in item
    ]


def assert_pages_used_only_documented_operations(runtime: LocalRuntime) -> None:
    """Each request the pages made: the console's page or files, or a documented operation; and no
    query string holds a key (a portal link's key travels in the fragment only)."""
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(runtime.api_url))
    base = urllib.parse.urlsplit(runtime.api_url).path
    operations = documented_operations()
    assert len(PAGE_REQUESTS) > 20  # the module's pages did call the API
    undocumented, keys_in_queries = [], []
    for method, url in PAGE_REQUESTS:
        parts = urllib.parse.urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue  # an identity provider's (single sign-on): not this API
        if "intk_" in parts.query or "key=" in parts.query:
            keys_in_queries.append(url)
        if method == "GET" and (parts.path == base + "/console" or parts.path.startswith(base + "/console/assets/")):
            continue
        if not any(method == known and pattern.match(parts.path) for known, pattern in operations):
            undocumented.append((method, parts.path))
    assert keys_in_queries == []
    assert undocumented == []
