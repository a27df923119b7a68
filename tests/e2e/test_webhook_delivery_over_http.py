"""End to end: webhook deliveries from the local runtime (make run) to a real HTTP receiver on
loopback, over the whole chain: API, DynamoDB outbox, stream, OutboxRelayFunction, EventBridge,
WebhookEventRule, SQS, WebhookFanOutFunction, the delivery queue, WebhookDeliveryFunction, POST.

Only HTTP: the runtime's API to act and to read the delivery log, the receiver to see what
arrived (and to verify signatures the way a tenant would). The runtime runs with a short retry
schedule (``DELIVERY_PARAMETER_OVERRIDES``: attempts at once and 2 s later).

The tests share one runtime, and tenant ``demo``'s events fan out to every webhook of that
tenant subscribed to them, so each test subscribes its webhooks to the event types it needs
(never ``*`` for ``demo``), uses receivers of its own, and deletes its webhooks when done."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.e2e.runtime import DELIVERY_PARAMETER_OVERRIDES, LocalRuntime, admin_create_key, wait_until
from tests.webhook_receiver import ReceivedRequest, Receiver, running_receiver

pytestmark = pytest.mark.e2e

ARRIVAL_SECONDS = 20.0  # the chain takes 1-2 s locally; generous for a loaded machine
QUIET_SECONDS = 2.0  # how long to wait for something that must not arrive
RETRY_DELAY_SECONDS = 2  # the schedule's second entry
DISABLE_AFTER_SECONDS = 5  # DisableFailingWebhooksAfterSeconds (and 3 attempts: DisableFailingWebhooksAfterAttempts)
OTHER_TENANT = "other-tenant"
UNUSED_EVENT_TYPE = "ApiKeyRevoked"  # nothing in this module revokes a key


def arrival(
    receiver: Receiver, wanted: Callable[[ReceivedRequest], bool], *, timeout: float = ARRIVAL_SECONDS
) -> ReceivedRequest:
    """The first request ``receiver`` got that ``wanted`` accepts, waiting for it if need be."""

    def first() -> ReceivedRequest | None:
        return next((request for request in list(receiver.requests) if wanted(request)), None)

    try:
        return wait_until(first, timeout=timeout, what="such request")
    except AssertionError:
        seen = [(request.path, request.body[:200]) for request in receiver.requests]
        raise AssertionError(f"no such request within {timeout}s; received: {seen}") from None


def of_type(event_type: str, **data: str) -> Callable[[ReceivedRequest], bool]:
    def wanted(request: ReceivedRequest) -> bool:
        payload = request.json()
        return payload["type"] == event_type and all(payload["data"].get(name) == value for name, value in data.items())

    return wanted


class Webhooks:
    """Creates webhooks over HTTP and deletes them when the test ends, so that later tests'
    events are not retried against a receiver that is gone."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self._created: list[tuple[str, str]] = []  # (key, webhook id)

    def create(self, url: str, events: list[str], *, key: str | None = None, name: str = "e2e delivery") -> dict[str, Any]:
        key = key or self.runtime.api_key
        status, _, created = self.runtime.request("POST", "/webhooks", key=key, body={"name": name, "url": url, "events": events})
        assert status == 201, created
        self._created.append((key, created["id"]))
        return created

    def delete_all(self) -> None:
        for key, webhook_id in self._created:
            status = self.runtime.request("DELETE", f"/webhooks/{webhook_id}", key=key)[0]
            assert status in (204, 404), (webhook_id, status)


@pytest.fixture
def webhooks(delivery_runtime: LocalRuntime) -> Iterator[Webhooks]:
    created = Webhooks(delivery_runtime)
    try:
        yield created
    finally:
        created.delete_all()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def get(runtime: LocalRuntime, path: str, *, key: str | None = None) -> Any:
    status, _, body = runtime.request("GET", path, key=key or runtime.api_key)
    assert status == 200, (path, status, body)
    return body


def delivery_once(runtime: LocalRuntime, webhook_id: str, delivery_id: str, status: str) -> dict[str, Any]:
    """The delivery record, once it has ``status``."""
    path = f"/webhooks/{webhook_id}/deliveries/{delivery_id}"
    return wait_until(
        lambda: (record := get(runtime, path))["status"] == status and record,
        timeout=ARRIVAL_SECONDS,
        what=f"{status} delivery {delivery_id}",
    )


def test_the_runtime_runs_with_the_short_retry_schedule(delivery_runtime: LocalRuntime) -> None:
    assert f"Parameters (LOCAL_PARAMETER_OVERRIDES): {DELIVERY_PARAMETER_OVERRIDES}" in delivery_runtime.log()


def test_the_services_own_webhook_created_event_arrives_signed_over_the_whole_chain(
    delivery_runtime: LocalRuntime, receiver: Receiver, webhooks: Webhooks
) -> None:
    a = webhooks.create(receiver.url + "/a", ["WebhookCreated"], name="a")
    b = webhooks.create(receiver.url + "/b", [UNUSED_EVENT_TYPE], name="b")

    request = arrival(receiver, of_type("WebhookCreated", webhookId=b["id"]))
    assert request.path == "/hooks/a"  # b is not subscribed to WebhookCreated
    payload = request.verify(a["secret"])
    assert payload["data"]["tenantId"] == "demo"
    assert (payload["data"]["name"], payload["data"]["url"]) == ("b", receiver.url + "/b")
    assert payload["data"]["eventId"].startswith("evt_")
    assert payload["timestamp"].endswith("Z")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("integration-webhooks/")
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    with pytest.raises(WebhookVerificationError):
        request.verify(b["secret"])
    for secret in (a["secret"], b["secret"]):
        assert secret.encode() not in request.body

    message_id = request.headers["webhook-id"]
    assert message_id.startswith("msg_")
    listed = wait_until(
        lambda: [
            item
            for item in get(delivery_runtime, f"/webhooks/{a['id']}/deliveries?status=succeeded")["items"]
            if item["id"] == message_id
        ],
        timeout=ARRIVAL_SECONDS,
        what="listed delivery",
    )
    assert listed[0]["event_type"] == "WebhookCreated" and listed[0]["last_status_code"] == 200
    assert listed[0]["event_id"] == payload["data"]["eventId"]
    record = get(delivery_runtime, f"/webhooks/{a['id']}/deliveries/{message_id}")
    assert record["status"] == "succeeded" and record["next_attempt_at"] is None
    assert record["payload"]["type"] == "WebhookCreated" and record["payload"]["data"] == payload["data"]
    ((trigger, status_code),) = [(attempt["trigger"], attempt["status_code"]) for attempt in record["attempts"]]
    assert (trigger, status_code) == ("scheduled", 200)
    assert record["attempts"][0]["error"] is None and record["attempts"][0]["response_body"] == '{"status": 200}'
    assert get(delivery_runtime, f"/webhooks/{b['id']}/deliveries")["items"] == []  # nothing b subscribed to happened


def test_a_503_is_retried_after_the_scheduled_delay_with_the_same_webhook_id(
    delivery_runtime: LocalRuntime, receiver: Receiver, webhooks: Webhooks
) -> None:
    receiver.statuses = [503]
    hook = webhooks.create(receiver.url, ["WebhookCreated"])  # its own WebhookCreated is the first message

    first, second = receiver.wait_for(2, timeout=ARRIVAL_SECONDS)
    assert first.json()["data"]["webhookId"] == hook["id"]
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert second.received_at - first.received_at >= RETRY_DELAY_SECONDS - 0.1  # the schedule's delay, not at once
    first.verify(hook["secret"]), second.verify(hook["secret"])  # each attempt signed afresh

    record = delivery_once(delivery_runtime, hook["id"], first.headers["webhook-id"], "succeeded")
    assert [attempt["status_code"] for attempt in record["attempts"]] == [503, 200]
    assert [attempt["trigger"] for attempt in record["attempts"]] == ["scheduled", "scheduled"]
    assert record["attempts"][0]["response_body"] == '{"status": 503}'
    assert record["next_attempt_at"] is None
    assert get(delivery_runtime, f"/webhooks/{hook['id']}/deliveries?status=failed")["items"] == []
    assert get(delivery_runtime, f"/webhooks/{hook['id']}")["status"] == "active"
    time.sleep(0.5)
    assert len(receiver.requests) == 2  # nothing more once it succeeded


def test_a_test_message_arrives_and_a_manual_retry_of_it_arrives_again(
    delivery_runtime: LocalRuntime, receiver: Receiver, webhooks: Webhooks
) -> None:
    receiver.statuses = [500, 500]  # both scheduled attempts fail
    hook = webhooks.create(receiver.url, [UNUSED_EVENT_TYPE])
    key = delivery_runtime.api_key

    status, headers, queued = delivery_runtime.request("POST", f"/webhooks/{hook['id']}/test", key=key)
    assert status == 202 and queued["status"] == "pending" and queued["event_type"] == "webhook.test", queued
    assert headers["location"].endswith(f"/webhooks/{hook['id']}/deliveries/{queued['id']}")
    ping = receiver.wait_for(1, timeout=ARRIVAL_SECONDS)[0]
    assert ping.verify(hook["secret"])["type"] == "webhook.test"
    assert ping.headers["webhook-id"] == queued["id"]
    failed = delivery_once(delivery_runtime, hook["id"], queued["id"], "failed")
    assert [(a["trigger"], a["status_code"]) for a in failed["attempts"]] == [("scheduled", 500), ("scheduled", 500)]

    status, _, retried = delivery_runtime.request("POST", f"/webhooks/{hook['id']}/deliveries/{queued['id']}/retry", key=key)
    assert status == 202 and retried["status"] == "pending", retried
    again = receiver.wait_for(3, timeout=ARRIVAL_SECONDS)[2]
    record = delivery_once(delivery_runtime, hook["id"], queued["id"], "succeeded")

    assert again.headers["webhook-id"] == ping.headers["webhook-id"] == queued["id"]
    assert again.verify(hook["secret"]) == ping.verify(hook["secret"])
    assert [(a["trigger"], a["status_code"]) for a in record["attempts"]] == [
        ("scheduled", 500),
        ("scheduled", 500),
        ("manual", 200),
    ]
    time.sleep(0.5)
    assert len(receiver.requests) == 3  # a manual attempt is not retried, nor repeated
    assert get(delivery_runtime, f"/webhooks/{hook['id']}")["status"] == "active"


def test_after_a_rotation_the_next_delivery_verifies_with_the_old_and_the_new_secret(
    delivery_runtime: LocalRuntime, receiver: Receiver, webhooks: Webhooks
) -> None:
    hook = webhooks.create(receiver.url, ["WebhookSecretRotated"])
    status, headers, rotated = delivery_runtime.request(
        "POST", f"/webhooks/{hook['id']}/rotate-secret", key=delivery_runtime.api_key
    )
    assert status == 200 and headers["cache-control"] == "no-store", rotated
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["previous_secret_expires_at"]

    request = arrival(receiver, of_type("WebhookSecretRotated", webhookId=hook["id"]))  # the rotation's own event
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(rotated["secret"])["type"] == "WebhookSecretRotated"
    assert request.verify(hook["secret"])["type"] == "WebhookSecretRotated"
    with pytest.raises(WebhookVerificationError):
        request.verify("whsec_" + "A" * 43 + "=")
    assert request.json()["data"]["previousSecretExpiresAt"] is not None
    for secret in (hook["secret"], rotated["secret"]):
        assert secret.encode() not in request.body


def test_an_endpoint_failing_for_the_whole_window_is_disabled_and_webhook_disabled_is_delivered(
    delivery_runtime: LocalRuntime, webhooks: Webhooks
) -> None:
    with running_receiver() as failing, running_receiver() as watching:
        failing.statuses = [500] * 20
        hook = webhooks.create(failing.url, ["WebhookUpdated"], name="failing")
        watcher = webhooks.create(watching.url, ["WebhookDisabled"], name="watcher")
        renames = iter(range(1, 100))

        def update_the_watcher() -> None:
            """A WebhookUpdated event, for the failing webhook (a PUT that changes nothing has none)."""
            body = {"name": f"watcher {next(renames)}", "url": watching.url, "events": ["WebhookDisabled"], "status": "active"}
            assert (
                delivery_runtime.request("PUT", f"/webhooks/{watcher['id']}", key=delivery_runtime.api_key, body=body)[0] == 200
            )

        update_the_watcher()
        first, _ = failing.wait_for(2, timeout=ARRIVAL_SECONDS)  # both scheduled attempts fail
        failed = delivery_once(delivery_runtime, hook["id"], first.headers["webhook-id"], "failed")
        assert [a["status_code"] for a in failed["attempts"]] == [500, 500]
        assert get(delivery_runtime, f"/webhooks/{hook['id']}")["status"] == "active"  # not yet failing for the window

        time.sleep(max(0.0, first.received_at + DISABLE_AFTER_SECONDS + 0.5 - time.monotonic()))
        update_the_watcher()  # its first attempt fails after the whole window, the 3rd in a row: the webhook is disabled
        disabled = arrival(watching, of_type("WebhookDisabled", webhookId=hook["id"]))
        assert disabled.verify(watcher["secret"])["data"]["reason"]
        assert get(delivery_runtime, f"/webhooks/{hook['id']}")["status"] == "disabled"
        assert get(delivery_runtime, f"/webhooks/{hook['id']}/deliveries?status=failed")["items"]

        seen = len(failing.requests)
        update_the_watcher()
        time.sleep(QUIET_SECONDS)
        assert len(failing.requests) == seen  # a disabled webhook gets nothing
        status, _, problem = delivery_runtime.request("POST", f"/webhooks/{hook['id']}/test", key=delivery_runtime.api_key)
        assert status == 409, problem


def test_another_tenant_sees_none_of_tenant_demos_deliveries_and_receives_none_of_its_events(
    delivery_runtime: LocalRuntime, webhooks: Webhooks
) -> None:
    other_key = admin_create_key(delivery_runtime, OTHER_TENANT, "webhooks:read", "webhooks:write")
    with running_receiver() as demos, running_receiver() as others:
        theirs = webhooks.create(others.url, ["*"], key=other_key, name="other tenant, everything")
        mine = webhooks.create(demos.url, ["WebhookUpdated", "WebhookSecretRotated"], name="demo")
        arrival(others, of_type("WebhookCreated", webhookId=theirs["id"]))  # its own tenant's events do arrive

        key = delivery_runtime.api_key
        body = {
            "name": "demo, renamed",
            "url": demos.url,
            "events": ["WebhookUpdated", "WebhookSecretRotated"],
            "status": "active",
        }
        assert delivery_runtime.request("PUT", f"/webhooks/{mine['id']}", key=key, body=body)[0] == 200
        assert delivery_runtime.request("POST", f"/webhooks/{mine['id']}/rotate-secret", key=key)[0] == 200
        assert delivery_runtime.request("POST", f"/webhooks/{mine['id']}/test", key=key)[0] == 202
        for wanted in (of_type("WebhookUpdated", webhookId=mine["id"]), of_type("WebhookSecretRotated"), of_type("webhook.test")):
            arrival(demos, wanted)
        delivery_id = arrival(demos, of_type("webhook.test")).headers["webhook-id"]

        for method, path in (
            ("GET", f"/webhooks/{mine['id']}/deliveries"),
            ("GET", f"/webhooks/{mine['id']}/deliveries?status=succeeded"),
            ("GET", f"/webhooks/{mine['id']}/deliveries/{delivery_id}"),
            ("GET", f"/webhooks/{theirs['id']}/deliveries/{delivery_id}"),  # nor under a webhook of its own
            ("POST", f"/webhooks/{mine['id']}/deliveries/{delivery_id}/retry"),
            ("POST", f"/webhooks/{mine['id']}/test"),
            ("POST", f"/webhooks/{mine['id']}/rotate-secret"),
        ):
            status, headers, problem = delivery_runtime.request(method, path, key=other_key)
            assert status == 404 and headers["content-type"] == "application/problem+json", (method, path, status, problem)
        status, _, problem = delivery_runtime.request("GET", f"/webhooks/{theirs['id']}/deliveries", key=key)
        assert status == 404, problem  # and the other way round

        time.sleep(QUIET_SECONDS)
        assert len(demos.requests) == 3  # the refused retry and test sent nothing
        assert others.requests
        for request in others.requests:
            assert request.verify(theirs["secret"])["data"]["tenantId"] == OTHER_TENANT, request.body
            assert mine["id"].encode() not in request.body and b"webhook.test" not in request.body
        listed = get(delivery_runtime, f"/webhooks/{theirs['id']}/deliveries", key=other_key)["items"]
        assert {item["id"] for item in listed} == {request.headers["webhook-id"] for request in others.requests}


def test_the_event_log_shows_a_delivered_event_with_its_outcome_and_only_to_its_tenant(
    delivery_runtime: LocalRuntime, receiver: Receiver, webhooks: Webhooks
) -> None:
    subscriber = webhooks.create(receiver.url + "/log", ["WebhookCreated"], name="event log")
    created = webhooks.create(receiver.url + "/quiet", [UNUSED_EVENT_TYPE], name="event log, the event")
    request = arrival(receiver, of_type("WebhookCreated", webhookId=created["id"]))
    event_id = request.json()["data"]["eventId"]
    delivery_id = request.headers["webhook-id"]

    listed = get(delivery_runtime, "/events?type=WebhookCreated&limit=100")["items"]
    (logged,) = [item for item in listed if item["id"] == event_id]  # the service's own eventId
    assert logged["data"] == request.json()["data"] and subscriber["id"] in logged["webhook_ids"]
    assert logged["occurred_at"] == request.json()["data"]["occurredAt"]
    shown = wait_until(
        lambda: (
            (event := get(delivery_runtime, f"/events/{event_id}"))
            and any(o["delivery_id"] == delivery_id and o["status"] == "succeeded" for o in event["deliveries"])
            and event
        ),
        timeout=ARRIVAL_SECONDS,
        what="the delivery outcome in the event log",
    )
    (outcome,) = [o for o in shown["deliveries"] if o["webhook_id"] == subscriber["id"]]
    assert (outcome["delivery_id"], outcome["attempt_count"], outcome["last_status_code"]) == (delivery_id, 1, 200)

    other_key = admin_create_key(delivery_runtime, OTHER_TENANT, "webhooks:read")
    status, _, problem = delivery_runtime.request("GET", f"/events/{event_id}", key=other_key)
    assert status == 404, problem
    assert event_id not in {item["id"] for item in get(delivery_runtime, "/events?limit=100", key=other_key)["items"]}
