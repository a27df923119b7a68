"""The tenant console's pages as a person with a screen reader, a phone or a dark theme meets
them: every field has an accessible name, each page one h1, no horizontal scroll at 375 px, and
body text keeps a 4.5:1 contrast in the light and the dark theme (which does change the colours)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.console import (
    CONTRAST_JS,
    DELIVERY_SECONDS,
    UNNAMED_CONTROLS_JS,
    WAIT_MS,
    Console,
    assert_log_holds_no_secret,
    assert_pages_used_only_documented_operations,
    h1,
    unique,
)
from tests.e2e.runtime import wait_until
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e  # make test-fast leaves them out, as it does the end-to-end suite

Screenshot = Callable[..., Path]
PHONE = {"width": 375, "height": 812}
# route, its h1 ("{name}": the sample webhook's), the button that opens the page's form (if any),
# the screenshot's name (if one is kept).
PAGES = [
    ("#/sign-in", "Sign in", None, None),
    ("#/endpoints", "Endpoints", None, "endpoints"),
    ("#/endpoints/new", "Add endpoint", None, None),
    ("#/endpoints/{webhook_id}", "{name}", None, None),
    ("#/endpoints/{webhook_id}/deliveries/{delivery_id}", "Delivery", None, None),
    ("#/event-types", "Event catalogue", None, "event-catalogue"),
    ("#/events", "Events", None, "events"),
    ("#/events/{event_id}", "Event", None, None),
    ("#/api-keys", "API keys", "Create API key", None),
]
TEXT = ["body", "main h1", "nav a", "main td"]  # body text, and the text on the main page of the console


@pytest.fixture(scope="module")
def sample(console: Console, receiver: Receiver) -> Iterator[dict[str, str]]:
    """A webhook with one succeeded delivery, and an event of the log, for every page to show."""
    hook = console.create_webhook(receiver.url + "/sample", name=unique("Sample receiver"))
    console.keep.add(hook["id"])
    status, queued = console.api("POST", f"/webhooks/{hook['id']}/test")
    assert status == 202, queued
    path = f"/webhooks/{hook['id']}/deliveries/{queued['id']}"
    wait_until(lambda: console.api("GET", path)[1]["status"] == "succeeded", timeout=DELIVERY_SECONDS, what="the sample delivery")
    status, events = console.api("GET", "/events?limit=1")
    assert status == 200 and events["items"], events
    yield {"webhook_id": hook["id"], "name": hook["name"], "delivery_id": queued["id"], "event_id": events["items"][0]["id"]}
    console.keep.discard(hook["id"])


def show(console: Console, page: Page, route: str, heading: str) -> None:
    """``route`` signed in by a portal link (or not, for the sign-in page), once its h1 shows."""
    if route != "#/sign-in":
        console.sign_in(page)
    console.open(page, route)
    expect(h1(page, heading)).to_be_visible(timeout=WAIT_MS)


def contrast(page: Page, selector: str) -> dict[str, Any]:
    measured = page.evaluate(CONTRAST_JS, selector)
    assert measured is not None, f"nothing matches {selector}"
    return measured


@pytest.mark.parametrize(("route", "heading", "opener", "shot"), PAGES, ids=[route for route, *_ in PAGES])
def test_each_main_page_names_every_field_has_one_h1_and_fits_a_phone(
    console: Console,
    sample: dict[str, str],
    open_page: Callable[..., Page],
    screenshot: Screenshot,
    route: str,
    heading: str,
    opener: str | None,
    shot: str | None,
) -> None:
    route, heading = route.format(**sample), heading.format(**sample)
    page = open_page()
    show(console, page, route, heading)
    if opener:
        page.get_by_role("button", name=opener, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page).to_have_title(f"{heading} · Integration console")
    expect(page.get_by_role("main")).to_be_visible()
    assert page.evaluate(UNNAMED_CONTROLS_JS) == []
    if shot:
        screenshot(page, shot)

    phone = open_page(viewport=PHONE)
    show(console, phone, route, heading)
    if opener:
        phone.get_by_role("button", name=opener, exact=True).click()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    if route == "#/endpoints":
        screenshot(phone, "phone-width")


def test_the_dark_theme_changes_the_background_and_both_themes_keep_text_readable(
    console: Console, sample: dict[str, str], open_page: Callable[..., Page], screenshot: Screenshot
) -> None:
    page = open_page(color_scheme="light")
    show(console, page, "#/endpoints", "Endpoints")
    expect(page.get_by_role("link", name=sample["name"], exact=True)).to_be_visible()
    light = {selector: contrast(page, selector) for selector in TEXT}

    light_background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    try:  # the page may follow the change of preference a moment later (a matchMedia listener)
        page.wait_for_function(
            "bg => getComputedStyle(document.body).backgroundColor !== bg", arg=light_background, timeout=5_000
        )
    except PlaywrightTimeoutError:
        pass  # the assertion below says what stayed the same
    dark = {selector: contrast(page, selector) for selector in TEXT}
    screenshot(page, "dark-mode")

    assert dark["body"]["background"] != light["body"]["background"], (light["body"], dark["body"])
    low = [measured for measured in [*light.values(), *dark.values()] if measured["ratio"] < 4.5]
    assert low == [], "WCAG AA: text needs 4.5:1 against its background"

    page.emulate_media(color_scheme="light")  # the button overrides the system's choice, and is kept
    page.get_by_role("button", name="Switch to dark theme").click()
    expect(page.get_by_role("button", name="Switch to light theme")).to_be_visible()
    assert contrast(page, "body")["background"] == dark["body"]["background"]
    assert page.evaluate("() => localStorage.getItem('console-theme')")
    page.reload()
    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
    assert contrast(page, "body")["background"] == dark["body"]["background"]
    page.get_by_role("button", name="Switch to light theme").click()
    assert contrast(page, "body")["background"] == light["body"]["background"]


def test_zz_the_runtime_logged_none_of_the_keys_and_secrets_the_pages_showed(console: Console) -> None:
    assert_log_holds_no_secret(console.runtime)


def test_zz_the_pages_called_only_documented_operations_and_never_put_a_key_in_a_query(console: Console) -> None:
    assert_pages_used_only_documented_operations(console.runtime)
