"""The tenant console's flows in headless Chromium, against the local runtime: sign-in by portal
link and by a pasted key, adding an endpoint (its secret shown once), test deliveries that
succeed, fail and are retried, revoking a key, an expired portal link.

Only accessible locators (roles, labels, text) from the console contract: each flow is also a
check that the names a screen reader announces are the contract's."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.console import (
    DELIVERY_SECONDS,
    QUIET_EVENT_TYPE,
    WAIT_MS,
    Console,
    ConsoleErrors,
    assert_focus_moved_to_the_page,
    assert_log_holds_no_secret,
    assert_pages_used_only_documented_operations,
    h1,
    local_storage,
    refresh_until,
    remember,
    session,
    unique,
)
from tests.e2e.runtime import wait_until
from tests.webhook_receiver import ReceivedRequest, Receiver

pytestmark = pytest.mark.e2e  # make test-fast leaves them out, as it does the end-to-end suite

Screenshot = Callable[..., Path]
REFUSED_BY_THE_API = r"Failed to load resource: the server responded with a status of 401"
SERVICE_SCOPES = ["webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write"]


def open_endpoint(page: Page, name: str) -> None:
    """From Endpoints, the webhook's page by its link in the table."""
    page.get_by_role("table", name="Endpoints").get_by_role("link", name=name, exact=True).click()
    expect(h1(page, name)).to_be_visible(timeout=WAIT_MS)
    assert_focus_moved_to_the_page(page)


def arrivals(receiver: Receiver, path: str) -> list[ReceivedRequest]:
    return [request for request in list(receiver.requests) if request.path == path]


def test_a_portal_link_signs_in_on_endpoints_and_its_key_leaves_the_address_bar(console: Console, page: Page) -> None:
    link, key = console.portal_link()
    page.goto(link)

    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
    assert page.url == console.url + "#/endpoints"
    assert key not in page.url
    expect(page).to_have_title("Endpoints · Integration console")
    stored = json.loads(session(page) or "null")
    assert stored is not None and stored["token"] == key and stored["kind"] == "portal-link", stored
    assert isinstance(stored["expiresAt"], int | float) and stored["expiresAt"] > time.time() * 1000
    assert key not in local_storage(page)
    assert key not in page.content()

    main_nav = page.get_by_role("navigation", name="Main")
    for name in ("Endpoints", "Event catalogue", "Events", "API keys"):
        expect(main_nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Skip to content")).to_have_count(1)
    expect(page.get_by_role("banner")).to_contain_text("Integration console")
    expect(page.get_by_text("No endpoints yet")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(h1(page, "Sign in")).to_be_visible(timeout=WAIT_MS)
    assert session(page) is None


def test_a_read_only_portal_link_offers_nothing_its_scopes_do_not_allow(console: Console, page: Page, receiver: Receiver) -> None:
    webhook = console.create_webhook(receiver.url + "/read-only", name=unique("Read only"))
    link, _ = console.portal_link(scopes=["webhooks:read"])
    page.goto(link)

    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Events", exact=True)).to_be_visible()
    expect(main_nav.get_by_role("link", name="API keys", exact=True)).to_be_hidden()  # no api-keys:read
    expect(page.get_by_role("link", name="Add endpoint")).to_be_hidden()  # no webhooks:write
    open_endpoint(page, webhook["name"])
    expect(page.get_by_role("heading", name="Deliveries")).to_be_visible()
    for name in ("Edit", "Disable", "Rotate secret", "Delete endpoint", "Send test", "Recover failed messages"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_hidden()

    # The same page with a key that may write offers them all.
    console.sign_in(page)
    open_endpoint(page, webhook["name"])
    for name in ("Edit", "Disable", "Rotate secret", "Delete endpoint", "Send test", "Recover failed messages"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()


def test_a_pasted_api_key_signs_in_and_a_bad_one_is_refused(
    console: Console, page: Page, console_errors: ConsoleErrors, screenshot: Screenshot
) -> None:
    console_errors.allow(REFUSED_BY_THE_API)  # the bad key's GET /whoami: Chromium notes the 401
    created = console.create_api_key(unique("Pasted"), SERVICE_SCOPES)
    console.open(page, "")

    expect(h1(page, "Sign in")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_title("Sign in · Integration console")
    key_field = page.get_by_label("API key", exact=True)
    expect(key_field).to_have_attribute("type", "password")
    expect(key_field).to_have_attribute("autocomplete", "off")
    screenshot(page, "sign-in")

    key_field.fill("intk_" + "x" * 38)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="was refused")).to_be_visible(timeout=WAIT_MS)
    assert session(page) is None

    key_field.fill(created["key"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
    stored = json.loads(session(page) or "null")
    assert stored is not None and (stored["token"], stored["kind"]) == (created["key"], "api-key"), stored
    assert created["key"] not in local_storage(page)
    assert created["key"] not in page.url


def test_adding_an_endpoint_shows_its_signing_secret_once(
    console: Console, page: Page, receiver: Receiver, screenshot: Screenshot
) -> None:
    name = unique("Orders")
    console.sign_in(page)
    page.get_by_role("link", name="Add endpoint").or_(page.get_by_role("button", name="Add endpoint")).click()

    expect(h1(page, "Add endpoint")).to_be_visible(timeout=WAIT_MS)
    assert page.url.endswith("#/endpoints/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Endpoint URL").fill(receiver.url + "/created")
    page.get_by_label("Description").fill("Created in the console")
    events = page.get_by_role("group", name="Events")
    expect(events.get_by_role("checkbox", name="All events")).to_be_visible()
    events.get_by_role("checkbox", name=QUIET_EVENT_TYPE, exact=True).check()
    page.get_by_role("button", name="Create endpoint").click()

    secret_field = page.get_by_role("textbox", name="Signing secret")
    expect(secret_field).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Signing secret")).to_be_visible()
    expect(secret_field).not_to_be_editable()
    secret = secret_field.input_value()
    remember(secret)
    assert secret.startswith("whsec_"), secret
    expect(page.get_by_text("shown only once")).to_be_visible()
    screenshot(page, "new-endpoint-secret", mask=[secret_field])  # no secret in docs/console
    page.get_by_role("button", name="Copy secret").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    (created,) = [hook for hook in console.api("GET", "/webhooks")[1]["items"] if hook["name"] == name]
    assert (created["url"], created["events"]) == (receiver.url + "/created", [QUIET_EVENT_TYPE])

    page.get_by_role("link", name="Go to endpoint").click()
    expect(h1(page, name)).to_be_visible(timeout=WAIT_MS)
    assert page.url.endswith(f"#/endpoints/{created['id']}")
    expect(page.get_by_role("button", name="Rotate secret")).to_be_visible()
    expect(page.get_by_role("textbox", name="Signing secret")).to_have_count(0)
    assert secret not in page.content()
    assert secret not in page.evaluate("() => [...document.querySelectorAll('input, textarea')].map((e) => e.value).join(' ')")

    page.go_back()  # back to #/endpoints/new: a fresh form, not the secret again
    expect(h1(page, "Add endpoint")).to_be_visible(timeout=WAIT_MS)
    assert secret not in page.content()


def test_a_test_event_is_delivered_and_listed_as_succeeded(
    console: Console, page: Page, receiver: Receiver, screenshot: Screenshot
) -> None:
    hook = console.create_webhook(receiver.url + "/ping")
    console.sign_in(page)
    row = page.get_by_role("table", name="Endpoints").get_by_role("row").filter(has_text=hook["name"])
    expect(row).to_contain_text(receiver.url + "/ping")
    expect(row).to_contain_text("Healthy")
    open_endpoint(page, hook["name"])

    expect(page.get_by_role("combobox", name="Event type").first).to_be_visible()
    page.get_by_role("button", name="Send test").click()
    wait_until(lambda: arrivals(receiver, "/hooks/ping"), timeout=DELIVERY_SECONDS, what="the test event at the receiver")

    deliveries = page.get_by_role("table", name="Deliveries")
    succeeded = deliveries.get_by_role("row").filter(has_text="succeeded")
    refresh_until(page, succeeded)
    expect(succeeded).to_have_count(1)
    expect(succeeded).to_contain_text("200")
    expect(succeeded.get_by_role("link", name=re.compile(r"^View delivery msg_"))).to_be_visible()
    screenshot(page, "endpoint-deliveries")


def test_a_failed_delivery_shows_its_500_and_a_retry_once_fixed_succeeds(
    console: Console, page: Page, receiver: Receiver, screenshot: Screenshot
) -> None:
    hook = console.create_webhook(receiver.url + "/broken")
    receiver.default_status = 500
    console.sign_in(page)
    open_endpoint(page, hook["name"])
    page.get_by_role("button", name="Send test").click()

    deliveries = page.get_by_role("table", name="Deliveries")
    refresh_until(page, deliveries.get_by_role("row").filter(has_text="failed"))  # both scheduled attempts, 2 s apart
    assert len(arrivals(receiver, "/hooks/broken")) == 2
    deliveries.get_by_role("link", name=re.compile(r"^View delivery ")).click()

    expect(h1(page, "Delivery")).to_be_visible(timeout=WAIT_MS)
    attempts = page.get_by_role("table", name="Attempts")
    for column in ("Attempt", "Time", "Trigger", "Status code", "Duration", "Response", "Result"):
        expect(attempts.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    failed = attempts.get_by_role("row").filter(has=page.get_by_role("cell", name="500", exact=True))
    expect(failed).to_have_count(2)
    expect(failed.first).to_contain_text(re.compile(r"\d+ ms"))
    screenshot(page, "delivery-failed-attempt")

    receiver.default_status = 200
    page.get_by_role("button", name="Retry", exact=True).click()
    wait_until(lambda: len(arrivals(receiver, "/hooks/broken")) == 3, timeout=DELIVERY_SECONDS, what="the retry at the receiver")
    refresh_until(page, attempts.get_by_role("row").filter(has=page.get_by_role("cell", name="200", exact=True)))
    expect(failed).to_have_count(2)
    expect(page.get_by_role("main")).to_contain_text("succeeded")


def test_rotating_shows_the_new_secret_once_and_deleting_goes_back_to_endpoints(
    console: Console, page: Page, receiver: Receiver
) -> None:
    hook = console.create_webhook(receiver.url + "/rotated")
    console.sign_in(page)
    open_endpoint(page, hook["name"])
    expect(page.get_by_role("textbox", name="Signing secret")).to_have_count(0)  # the endpoint page never shows it

    rotate = page.get_by_role("button", name="Rotate secret")
    rotate.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()  # Cancel closes it, focus back on the opener
    expect(dialog).to_be_hidden()
    expect(rotate).to_be_focused()
    rotate.click()
    dialog.get_by_role("button", name="Rotate", exact=True).click()
    secret_field = page.get_by_role("textbox", name="Signing secret")
    expect(secret_field).to_be_visible(timeout=WAIT_MS)
    expect(secret_field).not_to_be_editable()
    secret = secret_field.input_value()
    remember(secret)
    assert secret.startswith("whsec_") and secret != hook["secret"]
    expect(page.get_by_role("button", name="Copy secret")).to_be_visible()
    page.reload()  # shown once: not after a reload
    expect(h1(page, hook["name"])).to_be_visible(timeout=WAIT_MS)
    assert secret not in page.content()

    page.get_by_role("button", name="Delete endpoint").click()
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
    assert page.url.endswith("#/endpoints")
    assert console.api("GET", f"/webhooks/{hook['id']}")[0] == 404


def test_the_event_catalogue_sends_a_sample_to_an_endpoint(console: Console, page: Page, receiver: Receiver) -> None:
    hook = console.create_webhook(receiver.url + "/sample")
    status, catalogue = console.api("GET", "/event-types")
    assert status == 200 and catalogue["items"], catalogue
    types = [item["type"] for item in catalogue["items"]]
    console.sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Event catalogue").click()

    expect(h1(page, "Event catalogue")).to_be_visible(timeout=WAIT_MS)
    assert_focus_moved_to_the_page(page)
    for event_type in types:
        expect(page.get_by_role("heading", level=2, name=event_type, exact=True)).to_be_visible()
    expect(page.get_by_text("Schema", exact=True)).to_have_count(len(types))
    expect(page.get_by_text("Example", exact=True)).to_have_count(len(types))
    endpoints = page.get_by_role("combobox", name="Endpoint", exact=True)
    expect(endpoints).to_have_count(len(types))
    expect(endpoints.first.get_by_role("option", name=hook["name"])).to_have_count(1)

    page.get_by_role("button", name="Send sample WebhookCreated", exact=True).click()  # the only endpoint is chosen
    expect(page.get_by_role("status")).to_contain_text("WebhookCreated", timeout=WAIT_MS)
    (sample,) = wait_until(lambda: arrivals(receiver, "/hooks/sample"), timeout=DELIVERY_SECONDS, what="the sample")
    payload = sample.verify(hook["secret"])
    assert (payload["type"], payload["test"]) == ("WebhookCreated", True), payload


def test_an_edit_after_a_change_elsewhere_is_refused_and_disable_enable_toggle(
    console: Console, page: Page, receiver: Receiver, console_errors: ConsoleErrors
) -> None:
    console_errors.allow(r"status of 412")  # the stale save: Chromium notes the 412
    hook = console.create_webhook(receiver.url + "/edited")
    console.sign_in(page)
    open_endpoint(page, hook["name"])

    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Renamed here")
    assert console.api("PATCH", f"/webhooks/{hook['id']}", body={"description": "changed elsewhere"})[0] == 200
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert").filter(has_text="changed")).to_be_visible(timeout=WAIT_MS)
    assert console.api("GET", f"/webhooks/{hook['id']}")[1]["name"] == hook["name"]

    page.reload()
    expect(h1(page, hook["name"])).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Renamed here")
    page.get_by_role("button", name="Save changes").click()
    expect(h1(page, "Renamed here")).to_be_visible(timeout=WAIT_MS)
    assert console.api("GET", f"/webhooks/{hook['id']}")[1]["name"] == "Renamed here"

    page.get_by_role("button", name="Disable", exact=True).click()
    expect(page.get_by_role("button", name="Enable", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert console.api("GET", f"/webhooks/{hook['id']}")[1]["status"] == "disabled"
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(page.get_by_role("button", name="Disable", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert console.api("GET", f"/webhooks/{hook['id']}")[1]["status"] == "active"


def test_creating_an_api_key_shows_it_once_and_it_works(console: Console, page: Page) -> None:
    name = unique("Created here")
    console.sign_in(page)
    console.open(page, "#/api-keys")
    expect(h1(page, "API keys")).to_be_visible(timeout=WAIT_MS)

    page.get_by_role("button", name="Create API key").click()
    page.get_by_label("Name", exact=True).fill(name)
    scopes = page.get_by_role("group", name="Scopes")
    for scope in ("webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write"):
        expect(scopes.get_by_role("checkbox", name=scope, exact=True)).to_be_enabled()
    scopes.get_by_role("checkbox", name="webhooks:read", exact=True).check()
    page.get_by_role("button", name="Create key").click()

    key_field = page.get_by_role("textbox", name="New API key")
    expect(key_field).to_be_visible(timeout=WAIT_MS)
    expect(key_field).not_to_be_editable()
    key = key_field.input_value()
    remember(key)
    assert key.startswith("intk_"), key
    expect(page.get_by_role("button", name="Copy key")).to_be_visible()
    expect(page.get_by_text("shown only once")).to_be_visible()
    row = page.get_by_role("table", name="API keys").get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("webhooks:read")
    assert console.api("GET", "/webhooks", key=key)[0] == 200
    assert (
        console.api("POST", "/webhooks", key=key, body={"name": "x", "url": "https://example.com/x", "events": ["*"]})[0] == 403
    )

    page.reload()  # shown once
    expect(h1(page, "API keys")).to_be_visible(timeout=WAIT_MS)
    assert key not in page.content()


def test_a_session_ends_when_its_portal_link_expires(console: Console, page: Page) -> None:
    link, _ = console.portal_link(ttl_seconds=4)
    page.goto(link)
    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)

    expect(page.get_by_role("alert").filter(has_text="Your session has expired")).to_be_visible(timeout=WAIT_MS)
    expect(h1(page, "Sign in")).to_be_visible()
    assert session(page) is None


def test_revoking_a_key_marks_it_revoked_and_the_api_refuses_it(console: Console, page: Page, screenshot: Screenshot) -> None:
    name = unique("Revocable")
    key = console.create_api_key(name, ["webhooks:read"])["key"]
    assert console.api("GET", "/webhooks", key=key)[0] == 200
    console.sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys", exact=True).click()

    expect(h1(page, "API keys")).to_be_visible(timeout=WAIT_MS)
    assert_focus_moved_to_the_page(page)
    keys = page.get_by_role("table", name="API keys")
    row = keys.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("active")
    expect(keys.get_by_role("row").filter(has_text="(this session)")).to_have_count(1)
    revoke = row.get_by_role("button", name=f"Revoke {name}")

    revoke.click()  # Escape closes the dialog and gives focus back to its opener
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    assert console.api("GET", "/webhooks", key=key)[0] == 200

    revoke.click()
    dialog.get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text("revoked", timeout=WAIT_MS)
    expect(row.get_by_role("button", name=f"Revoke {name}")).to_have_count(0)
    assert console.api("GET", "/webhooks", key=key)[0] == 401
    screenshot(page, "api-keys")


def test_an_expired_portal_link_is_refused_and_nothing_is_stored(console: Console, page: Page) -> None:
    link, key = console.portal_link(ttl_seconds=1)
    time.sleep(2.2)
    page.goto(link)

    expect(page.get_by_role("alert").filter(has_text="This portal link has expired")).to_be_visible(timeout=WAIT_MS)
    expect(h1(page, "Sign in")).to_be_visible()
    assert session(page) is None
    assert key not in local_storage(page)
    assert key not in page.url  # taken out of the address bar even though refused
    assert console.api("GET", "/whoami", key=key)[0] == 401
    assert console.api("GET", "/webhooks", key=key)[0] == 401


def test_zz_the_runtime_logged_none_of_the_keys_and_secrets_the_pages_showed(console: Console) -> None:
    assert_log_holds_no_secret(console.runtime)


def test_zz_the_pages_called_only_documented_operations_and_never_put_a_key_in_a_query(console: Console) -> None:
    assert_pages_used_only_documented_operations(console.runtime)
