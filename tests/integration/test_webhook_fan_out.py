"""The fan-out function on moto: one Query for the tenant's subscribed active webhooks, one
queued message per webhook in batches of ten, and a retry that keeps every message id."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from integration.infrastructure.aws import dynamodb_client, sqs_client
from local_runtime.queues import sqs_record
from tests.conftest import Api, lambda_context, load_function
from tests.integration.delivery_helpers import publish, use_delivery_environment
from tests.integration.helpers import create_webhook

pytestmark = pytest.mark.usefixtures("aws")

URL = "https://hooks.example.com/in"


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Every message in the queue, through a client of the test's own (the counted one is the function's)."""
    client = boto3.client("sqs", region_name="us-east-1")
    messages: list[dict[str, Any]] = []
    while batch := client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", []):
        messages += batch
    return messages


def fan_out_pending_events(stack: Any) -> dict[str, Any]:
    """Invoke the fan-out function once with what the bus rule put in the events queue."""
    queue_url = stack.queue_url("WebhookEventQueue")
    messages = receive_all(queue_url)
    assert messages, "the bus rule routed nothing to the events queue"
    arn = f"arn:aws:sqs:us-east-1:123456789012:{stack.physical['WebhookEventQueue']}"
    event = {"Records": [sqs_record(message, arn) for message in messages]}
    return load_function("webhook_fan_out").lambda_handler(event, lambda_context())


class CallCounter:
    """Counts the boto3 calls a client makes (botocore's own event hooks)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        self._client = client
        client.meta.events.register("before-call.*.*", self._count, unique_id="call-counter")

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def remove(self) -> None:
        self._client.meta.events.unregister("before-call.*.*", unique_id="call-counter")


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)


@pytest.fixture
def counted(_environment: None) -> Any:
    counters = [CallCounter(dynamodb_client()), CallCounter(sqs_client())]
    yield counters
    for counter in counters:
        counter.remove()


def test_one_query_and_batches_of_ten_for_twelve_subscribed_webhooks(aws: Any, api: Api, counted: Any) -> None:
    hooks = [create_webhook(api, f"{URL}/{n}", events=("WebhookCreated",)) for n in range(12)]
    create_webhook(api, f"{URL}/other", events=("ApiKeyCreated",))
    create_webhook(api, f"{URL}/b", tenant="tenant-b")
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_x")
    for counter in counted:
        counter.calls.clear()

    assert fan_out_pending_events(aws) == {"batchItemFailures": []}
    dynamodb_calls, sqs_calls = (counter.calls for counter in counted)
    assert dynamodb_calls == ["Query", "UpdateItem"]  # the subscribers, then the event log's record
    assert sqs_calls == ["SendMessageBatch", "SendMessageBatch"]
    queued = [json.loads(message["Body"]) for message in receive_all(aws.queue_url("WebhookDeliveryQueue"))]
    assert sorted(body["webhookId"] for body in queued) == sorted(hook["id"] for hook in hooks)
    assert len({body["messageId"] for body in queued}) == 12
    assert all(body["tenantId"] == "tenant-a" and body["eventType"] == "WebhookCreated" for body in queued)


def test_an_event_no_webhook_wants_queues_nothing(aws: Any, api: Api) -> None:
    create_webhook(api, URL, events=("ApiKeyCreated",))
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_x")
    assert fan_out_pending_events(aws) == {"batchItemFailures": []}
    assert receive_all(aws.queue_url("WebhookDeliveryQueue")) == []


def test_a_refused_send_fails_the_event_and_its_retry_keeps_the_message_ids(aws: Any, api: Api) -> None:
    for n in range(3):
        create_webhook(api, f"{URL}/{n}")
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_x")
    queue_url = aws.queue_url("WebhookEventQueue")

    refused: list[str] = []

    def withhold_last(params: dict[str, Any], **_: Any) -> None:  # SQS never gets it ...
        refused.append(params["Entries"].pop()["Id"])

    def report_refused(parsed: dict[str, Any], **_: Any) -> None:  # ... and answers that it failed
        parsed.setdefault("Failed", []).extend({"Id": entry_id, "SenderFault": False, "Code": "InternalError"} for entry_id in refused)

    sqs = sqs_client()
    sqs.meta.events.register("provide-client-params.sqs.SendMessageBatch", withhold_last, unique_id="withhold")
    sqs.meta.events.register("after-call.sqs.SendMessageBatch", report_refused, unique_id="report")
    try:
        messages = receive_all(queue_url)
        arn = f"arn:aws:sqs:us-east-1:123456789012:{aws.physical['WebhookEventQueue']}"
        response = load_function("webhook_fan_out").lambda_handler({"Records": [sqs_record(m, arn) for m in messages]}, lambda_context())
    finally:
        sqs.meta.events.unregister("provide-client-params.sqs.SendMessageBatch", unique_id="withhold")
        sqs.meta.events.unregister("after-call.sqs.SendMessageBatch", unique_id="report")
    assert response == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    first = {json.loads(m["Body"])["messageId"] for m in receive_all(aws.queue_url("WebhookDeliveryQueue"))}
    assert len(first) == 2

    # SQS hands the event back; this time every send is accepted, with the same ids.
    arn = f"arn:aws:sqs:us-east-1:123456789012:{aws.physical['WebhookEventQueue']}"
    assert load_function("webhook_fan_out").lambda_handler({"Records": [sqs_record(m, arn) for m in messages]}, lambda_context()) == {
        "batchItemFailures": []
    }
    second = {json.loads(m["Body"])["messageId"] for m in receive_all(aws.queue_url("WebhookDeliveryQueue"))}
    assert len(second) == 3 and first < second


def test_every_queued_message_carries_its_tenant_as_message_group_id_for_fair_queueing(aws: Any, api: Api) -> None:
    # SQS fair queues: MessageGroupId on a standard queue names the tenant (moto stores and returns it).
    for tenant in ("tenant-a", "tenant-b"):
        for n in range(3):
            create_webhook(api, f"{URL}/{tenant}/{n}", tenant=tenant)
        publish(aws, tenant=tenant, event_type="WebhookCreated", webhookId="wh_x")

    assert fan_out_pending_events(aws) == {"batchItemFailures": []}
    queued = receive_all(aws.queue_url("WebhookDeliveryQueue"))
    assert len(queued) == 6
    assert all(message["Attributes"]["MessageGroupId"] == json.loads(message["Body"])["tenantId"] for message in queued)
    assert sorted(message["Attributes"]["MessageGroupId"] for message in queued) == ["tenant-a"] * 3 + ["tenant-b"] * 3


def test_a_message_that_cannot_be_read_is_handed_back_alone_and_the_others_are_fanned_out(
    aws: Any, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    hook = create_webhook(api, URL)
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_x")
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_y")
    messages = receive_all(aws.queue_url("WebhookEventQueue"))
    arn = f"arn:aws:sqs:us-east-1:123456789012:{aws.physical['WebhookEventQueue']}"
    records = [sqs_record(message, arn) for message in messages]
    unreadable = {**records[0], "messageId": "not-json", "body": "{not json"}

    response = load_function("webhook_fan_out").lambda_handler({"Records": [records[0], unreadable, records[1]]}, lambda_context())

    assert response == {"batchItemFailures": [{"itemIdentifier": "not-json"}]}
    queued = [json.loads(message["Body"]) for message in receive_all(aws.queue_url("WebhookDeliveryQueue"))]
    assert sorted(body["data"]["webhookId"] for body in queued) == ["wh_x", "wh_y"]
    assert {body["webhookId"] for body in queued} == {hook["id"]}
    (logged,) = [record for record in caplog.records if record.levelname == "ERROR" and record.exc_info]
    assert logged.item_identifier == "not-json"  # type: ignore[attr-defined]
    assert isinstance(logged.exc_info[1], json.JSONDecodeError)  # type: ignore[index]


def test_a_batch_whose_every_event_failed_is_reported_message_by_message(aws: Any, api: Api) -> None:
    create_webhook(api, URL)
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_x")
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_y")
    messages = receive_all(aws.queue_url("WebhookEventQueue"))
    arn = f"arn:aws:sqs:us-east-1:123456789012:{aws.physical['WebhookEventQueue']}"

    def refuse(**_: Any) -> None:
        raise RuntimeError("SQS unreachable")

    sqs = sqs_client()
    sqs.meta.events.register("before-call.sqs.SendMessageBatch", refuse, unique_id="refuse")
    try:
        response = load_function("webhook_fan_out").lambda_handler({"Records": [sqs_record(m, arn) for m in messages]}, lambda_context())
    finally:
        sqs.meta.events.unregister("before-call.sqs.SendMessageBatch", unique_id="refuse")

    assert response == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]} for message in messages]}
    assert receive_all(aws.queue_url("WebhookDeliveryQueue")) == []
