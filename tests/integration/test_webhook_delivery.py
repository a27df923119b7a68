"""Webhook delivery end to end on moto: bus rule, events queue, fan-out, delivery queue,
delivery function, and a real HTTP receiver on loopback that verifies like a tenant would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from tests.conftest import Api
from tests.integration.delivery_helpers import (
    deliveries,
    delivery,
    publish,
    running_pipeline,
    use_delivery_environment,
    wait_until,
)
from tests.integration.helpers import create_webhook, outbox
from tests.webhook_receiver import Answer, running_receiver

pytestmark = pytest.mark.usefixtures("aws")

QUIET = 1.5  # seconds to wait for something that must not happen


def only_delivery(api: Api, webhook_id: str, status: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        items = deliveries(api, webhook_id)
        return items[0] if len(items) == 1 and items[0]["status"] == status else None

    return delivery(api, webhook_id, wait_until(found)["id"])


def test_an_event_arrives_signed_and_verifies_with_standardwebhooks(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, PLATFORM_EVENT_TYPES="invoice.paid")
    with running_receiver() as receiver, running_pipeline(aws):
        hook = create_webhook(api, receiver.url, events=("invoice.paid",))
        publish(aws, tenant="tenant-a", event_type="invoice.paid", invoiceId="inv_1", amount=12.5)
        (request,) = receiver.wait_for(1)

    payload = request.verify(hook["secret"])
    assert payload["type"] == "invoice.paid"
    assert payload["data"] == {"tenantId": "tenant-a", "invoiceId": "inv_1", "amount": 12.5}
    assert payload["timestamp"].endswith("Z")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("integration-webhooks/")
    assert request.headers["webhook-id"].startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    with pytest.raises(WebhookVerificationError):
        request.verify("whsec_" + "A" * 43 + "=")  # another secret does not verify


def test_a_failure_is_retried_after_the_scheduled_delay_with_the_same_webhook_id(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,2s")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [503]
        hook = create_webhook(api, receiver.url)
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        first, second = receiver.wait_for(2, timeout=15)
        record = only_delivery(api, hook["id"], "succeeded")

    assert first.headers["webhook-id"] == second.headers["webhook-id"] == record["id"]
    assert second.received_at - first.received_at >= 1.9  # the schedule's 2 s, not at once
    first.verify(hook["secret"]), second.verify(hook["secret"])  # each attempt signed afresh
    assert [attempt["status_code"] for attempt in record["attempts"]] == [503, 200]
    assert record["attempts"][0]["response_body"] == '{"status": 503}'
    assert all(attempt["trigger"] == "scheduled" for attempt in record["attempts"])
    assert record["next_attempt_at"] is None


def test_an_always_failing_endpoint_ends_failed_and_then_disabled(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, table_name: str) -> None:
    use_delivery_environment(
        aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,1s", DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS="3", DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS="3"
    )
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500] * 10
        hook = create_webhook(api, receiver.url)
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        record = only_delivery(api, hook["id"], "failed")
        assert [attempt["status_code"] for attempt in record["attempts"]] == [500, 500]
        assert api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "active"  # failing for 1 s of 3
        # Still failing 3 s after the first failure: the next failed attempt (the 3rd) disables it.
        time.sleep(2.2)
        publish(aws, tenant="tenant-a", event_type="WebhookUpdated", webhookId=hook["id"])
        wait_until(lambda: api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "disabled")
        seen = len(receiver.wait_for(3))
        publish(aws, tenant="tenant-a", event_type="WebhookDeleted", webhookId=hook["id"])
        time.sleep(QUIET)
        assert len(receiver.requests) == seen  # a disabled webhook gets nothing

    (event,) = outbox(dynamodb, table_name, "WebhookDisabled")
    assert event["detail"]["webhookId"] == hook["id"] and event["detail"]["reason"] == "every delivery attempt failed"
    status, _, failed = api.call("GET", f"/webhooks/{hook['id']}/deliveries", query="status=failed")
    assert status == 200 and failed["items"], failed


def test_a_failing_endpoint_is_not_disabled_before_enough_attempts_failed(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(
        aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s", DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS="0", DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS="3"
    )
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500] * 3
        hook = create_webhook(api, receiver.url)
        for count in (1, 2):  # the window (0 s) has passed at once; the attempts have not
            publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
            receiver.wait_for(count)
            time.sleep(0.3)
            assert api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "active"
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        wait_until(lambda: api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "disabled")
        assert len(receiver.requests) == 3


def test_410_gone_disables_the_webhook_after_one_attempt(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, table_name: str) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,1s,1s")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [410]
        hook = create_webhook(api, receiver.url)
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        record = only_delivery(api, hook["id"], "failed")
        wait_until(lambda: api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "disabled")
        publish(aws, tenant="tenant-a", event_type="WebhookUpdated", webhookId=hook["id"])
        time.sleep(1 + QUIET)  # neither the schedule's next attempt nor a new event arrives

    assert len(receiver.requests) == 1
    assert [attempt["status_code"] for attempt in record["attempts"]] == [410] and record["next_attempt_at"] is None
    (event,) = outbox(dynamodb, table_name, "WebhookDisabled")
    assert event["detail"]["webhookId"] == hook["id"] and event["detail"]["reason"] == "endpoint answered 410 Gone"


def test_retry_after_on_429_delays_the_next_attempt_instead_of_the_schedule(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,1s,4s")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [Answer(429, {"Retry-After": "3"})]  # longer than the schedule's 1 s, within its longest (4 s)
        hook = create_webhook(api, receiver.url)
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        first, second = receiver.wait_for(2, timeout=15)
        record = only_delivery(api, hook["id"], "succeeded")

    assert second.received_at - first.received_at >= 2.9
    assert [attempt["status_code"] for attempt in record["attempts"]] == [429, 200]


def test_retry_after_as_an_http_date_on_503_is_honoured(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,1s,5s")
    with running_receiver() as receiver, running_pipeline(aws):
        hook = create_webhook(api, receiver.url)
        receiver.statuses = [Answer(503, {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=4), usegmt=True)})]
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        first, second = receiver.wait_for(2, timeout=15)

    assert second.received_at - first.received_at >= 2.0  # the date (about 3-4 s away when answered), not the schedule's 1 s


def test_put_status_active_re_enables_a_disabled_webhook(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(
        aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s", DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS="0", DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS="2"
    )
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500, 500]
        hook = create_webhook(api, receiver.url)
        for _ in range(2):  # the first failure starts the run, the second (window 0) disables
            publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
            time.sleep(0.3)
        wait_until(lambda: api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "disabled")
        body = {"name": "receiver", "url": receiver.url, "events": ["*"], "status": "active"}
        assert api.call("PUT", f"/webhooks/{hook['id']}", body=body)[0] == 200
        publish(aws, tenant="tenant-a", event_type="WebhookUpdated", webhookId=hook["id"])
        wait_until(lambda: any(r.json()["type"] == "WebhookUpdated" for r in receiver.requests))
        time.sleep(0.3)
        assert api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "active"  # a success: healthy again


def test_nothing_reaches_unsubscribed_other_tenants_deleted_or_disabled_webhooks(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)
    with running_receiver() as receiver, running_pipeline(aws):
        subscribed = create_webhook(api, receiver.url + "/subscribed", events=("WebhookCreated",))
        create_webhook(api, receiver.url + "/unsubscribed", events=("ApiKeyRevoked",))
        create_webhook(api, receiver.url + "/other-tenant", tenant="tenant-b")
        deleted = create_webhook(api, receiver.url + "/deleted")
        assert api.call("DELETE", f"/webhooks/{deleted['id']}")[0] == 204
        disabled = create_webhook(api, receiver.url + "/disabled")
        body = {"name": "receiver", "url": receiver.url + "/disabled", "events": ["*"], "status": "disabled"}
        assert api.call("PUT", f"/webhooks/{disabled['id']}", body=body)[0] == 200

        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=subscribed["id"])
        publish(aws, tenant=None, event_type="WebhookCreated", webhookId=subscribed["id"])  # no tenant: not routed
        receiver.wait_for(1)
        time.sleep(QUIET)

    assert [request.path for request in receiver.requests] == ["/hooks/subscribed"]


def test_a_message_for_a_webhook_deleted_after_fan_out_is_dropped(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,2s")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500]
        hook = create_webhook(api, receiver.url)
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        receiver.wait_for(1)
        assert api.call("DELETE", f"/webhooks/{hook['id']}")[0] == 204  # before the retry is due
        time.sleep(2 + QUIET)

    assert len(receiver.requests) == 1


def test_delivery_refuses_an_address_the_policy_forbids(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s")
    with running_receiver() as receiver:
        hook = create_webhook(api, receiver.url)  # allowed when created (local settings) ...
        monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "false")  # ... not at delivery time
        from integration import wiring

        wiring.reset()
        with running_pipeline(aws):
            publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
            record = only_delivery(api, hook["id"], "failed")
            time.sleep(0.3)

    assert receiver.requests == []
    (attempt,) = record["attempts"]
    assert attempt["status_code"] is None and "not allowed" in attempt["error"], attempt


def test_rotation_signs_with_both_secrets_and_each_verifies(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)
    with running_receiver() as receiver, running_pipeline(aws):
        hook = create_webhook(api, receiver.url)
        status, headers, rotated = api.call("POST", f"/webhooks/{hook['id']}/rotate-secret")
        assert status == 200 and headers["cache-control"] == "no-store"
        publish(aws, tenant="tenant-a", event_type="WebhookUpdated", webhookId=hook["id"])
        (request,) = receiver.wait_for(1)

    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["previous_secret_expires_at"]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verify(rotated["secret"])["type"] == "WebhookUpdated"
    assert request.verify(hook["secret"])["type"] == "WebhookUpdated"


def test_a_rotation_with_no_grace_period_signs_with_the_new_secret_only(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, table_name: str) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_SECRET_GRACE_PERIOD_SECONDS="0")
    with running_receiver() as receiver, running_pipeline(aws):
        hook = create_webhook(api, receiver.url)
        rotated = api.call("POST", f"/webhooks/{hook['id']}/rotate-secret")[2]
        publish(aws, tenant="tenant-a", event_type="WebhookUpdated", webhookId=hook["id"])
        (request,) = receiver.wait_for(1)

    request.verify(rotated["secret"])
    with pytest.raises(WebhookVerificationError):
        request.verify(hook["secret"])
    (event,) = outbox(dynamodb, table_name, "WebhookSecretRotated")
    assert event["detail"]["previousSecretExpiresAt"] is None
    assert hook["secret"] not in str(event) and rotated["secret"] not in str(event)


def test_test_ping_and_manual_retry_arrive(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500]
        hook = create_webhook(api, receiver.url)
        status, headers, queued = api.call("POST", f"/webhooks/{hook['id']}/test")
        assert status == 202 and queued["status"] == "pending" and queued["event_type"] == "webhook.test"
        assert headers["location"].endswith(f"/webhooks/{hook['id']}/deliveries/{queued['id']}")
        (ping,) = receiver.wait_for(1)
        assert ping.verify(hook["secret"])["type"] == "webhook.test"
        wait_until(lambda: delivery(api, hook["id"], queued["id"])["status"] == "failed")

        status, _, retried = api.call("POST", f"/webhooks/{hook['id']}/deliveries/{queued['id']}/retry")
        assert status == 202 and retried["status"] == "pending"
        first, again = receiver.wait_for(2)
        record = wait_until(lambda: (d := delivery(api, hook["id"], queued["id"]))["status"] == "succeeded" and d)

    assert again.headers["webhook-id"] == first.headers["webhook-id"] == queued["id"]
    assert again.verify(hook["secret"]) == first.verify(hook["secret"])
    assert [(a["trigger"], a["status_code"]) for a in record["attempts"]] == [("scheduled", 500), ("manual", 200)]


def test_the_same_event_handled_twice_keeps_one_message_id(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)
    with running_receiver() as receiver, running_pipeline(aws):
        hook = create_webhook(api, receiver.url)
        # The relay re-publishes an event with the same detail (eventId, occurredAt) after a
        # partial failure; the bus time of each copy is its own.
        detail = {"webhookId": hook["id"], "eventId": "evt_01M8JVWR7Q2BQDDWVMMXSCGK4F", "occurredAt": "2026-11-29T12:00:00.123Z"}
        for _ in range(2):
            publish(aws, tenant="tenant-a", event_type="WebhookCreated", **detail)
        first, second = receiver.wait_for(2)
        time.sleep(0.3)

    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # the receiver can drop the copy
    assert len(deliveries(api, hook["id"])) == 1


def test_a_pending_message_of_a_webhook_disabled_meanwhile_ends_failed_not_pending(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,2s")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500]
        hook = create_webhook(api, receiver.url)
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId=hook["id"])
        pending = only_delivery(api, hook["id"], "pending")
        body = {"name": "receiver", "url": receiver.url, "events": ["*"], "status": "disabled"}
        assert api.call("PUT", f"/webhooks/{hook['id']}", body=body)[0] == 200  # before the retry is due
        record = wait_until(lambda: (d := delivery(api, hook["id"], pending["id"]))["status"] == "failed" and d)

    assert len(receiver.requests) == 1
    assert record["dropped_reason"] == "not sent: the webhook is disabled"
    assert record["next_attempt_at"] is None and len(record["attempts"]) == 1
