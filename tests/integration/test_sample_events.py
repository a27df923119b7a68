"""POST /webhooks/{id}/test with an event type: a sample of any catalogue type, whatever the
webhook's filter, with that type's example as data and ``"test": true`` in the payload; signed,
queued and delivered as any message (moto, the local runtime's pollers, a real receiver)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from integration.domain.deliveries import WebhookMessage
from integration.domain.event_types import SERVICE_EVENT_TYPES
from integration.event_schemas import load_schema
from integration.infrastructure.aws import sqs_client
from integration.infrastructure.delivery_queue import decode, encode
from local_runtime.resources import Stack
from tests.conftest import Api, scan_all
from tests.integration.delivery_helpers import delivery, running_pipeline, use_delivery_environment
from tests.integration.helpers import assert_problem, create_webhook
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.usefixtures("aws")

URL = "https://hooks.example.com/in"
INVOICE_PAID = {
    "description": "An invoice was paid in full.",
    "schema": {"type": "object", "required": ["invoiceId"], "properties": {"invoiceId": {"type": "string"}}},
    "example": {"tenantId": "acme", "invoiceId": "inv_1042", "amount": 129.5},
}


@pytest.fixture(autouse=True)
def _environment(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test function's environment as template.yaml sets it (its schemas path among it), and
    the delivery functions'; two platform event types."""
    for name, value in aws.function_environment("TestWebhookFunction").items():
        monkeypatch.setenv(name, value)
    use_delivery_environment(aws, monkeypatch, PLATFORM_EVENT_TYPES="invoice.paid,order.created")


def send(api: Api, webhook_id: str, body: Any = None, **call: Any) -> tuple[int, dict[str, str], Any]:
    return api.call("POST", f"/webhooks/{webhook_id}/test", body=body, **call)


def queued(aws: Stack) -> list[dict[str, Any]]:
    response = sqs_client().receive_message(QueueUrl=aws.queue_url("WebhookDeliveryQueue"), MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in response.get("Messages", [])]


def test_a_sample_of_each_service_type_arrives_signed_with_its_example_and_marked_test(aws: Stack, api: Api) -> None:
    with running_receiver() as receiver, running_pipeline(aws):
        # Subscribed to one type only: a sample is sent whatever the filter (like `stripe trigger`).
        hook = create_webhook(api, receiver.url, events=("WebhookDeleted",))
        sent = {}
        for event_type in SERVICE_EVENT_TYPES:
            status, headers, body = send(api, hook["id"], {"event_type": event_type})
            assert status == 202, body
            assert body["event_type"] == event_type and body["status"] == "pending"
            assert body["payload"] == {**body["payload"], "type": event_type, "test": True}
            assert headers["location"].endswith(f"/deliveries/{body['id']}")
            sent[body["id"]] = event_type
        requests = receiver.wait_for(len(SERVICE_EVENT_TYPES), timeout=20)

    assert {request.headers["webhook-id"] for request in requests} == set(sent)
    for request in requests:
        payload = request.verify(hook["secret"])  # a valid Standard Webhooks signature
        event_type = sent[request.headers["webhook-id"]]
        assert list(payload) == ["type", "timestamp", "data", "test"]
        assert payload["type"] == event_type and payload["test"] is True
        assert payload["data"] == load_schema(event_type)["examples"][0]
    record = delivery(api, hook["id"], requests[0].headers["webhook-id"])
    assert record["status"] == "succeeded" and record["payload"]["test"] is True


def test_without_a_body_or_event_type_it_is_the_webhook_test_ping_marked_test(api: Api, aws: Stack) -> None:
    hook = create_webhook(api, URL)
    for body in (None, {}, {"event_type": None}, {"event_type": "webhook.test"}):
        status, _, sent = send(api, hook["id"], body)
        assert status == 202, sent
        assert sent["event_type"] == "webhook.test"
        assert sent["payload"]["test"] is True
        assert sent["payload"]["data"] == {
            "webhookId": hook["id"],
            "message": "This is a test message from the integration service.",
        }
    assert all(message["test"] is True and message["eventType"] == "webhook.test" for message in queued(aws))


def test_a_platform_type_with_a_published_schema_sends_its_example(api: Api, aws: Stack) -> None:
    path = aws.function_environment("TestWebhookFunction")["PLATFORM_EVENT_SCHEMAS_PATH"]
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=f"{path}invoice.paid", Value=json.dumps(INVOICE_PAID), Type="String"
    )
    hook = create_webhook(api, URL, events=("WebhookCreated",))
    status, _, sent = send(api, hook["id"], {"event_type": "invoice.paid"})
    assert status == 202, sent
    assert sent["event_type"] == "invoice.paid"
    assert sent["payload"]["data"] == INVOICE_PAID["example"] and sent["payload"]["test"] is True


def test_a_platform_type_without_a_published_schema_sends_empty_data(api: Api) -> None:
    hook = create_webhook(api, URL)
    status, _, sent = send(api, hook["id"], {"event_type": "order.created"})
    assert status == 202, sent
    assert sent["payload"]["type"] == "order.created" and sent["payload"]["data"] == {} and sent["payload"]["test"] is True


@pytest.mark.parametrize(
    ("event_type", "reason"),
    [
        ("invoice.refunded", "is not an event type of the catalogue"),
        ("ApiKeyDeleted", "is not an event type of the catalogue"),
        ("*", "not *"),
    ],
)
def test_an_unknown_type_or_the_wildcard_is_a_422_on_event_type_and_nothing_is_sent(
    api: Api, aws: Stack, dynamodb: Any, table_name: str, event_type: str, reason: str
) -> None:
    hook = create_webhook(api, URL)
    before = len(scan_all(dynamodb, table_name))
    problem = assert_problem(send(api, hook["id"], {"event_type": event_type}), 422)
    (error,) = problem["errors"]
    assert error["field"] == "event_type" and reason in error["message"]
    assert len(scan_all(dynamodb, table_name)) == before
    assert queued(aws) == []


@pytest.mark.parametrize("body", [{"event_type": "not a type!"}, {"event_type": 3}, {"type": "WebhookCreated"}])
def test_a_malformed_body_is_a_422(api: Api, body: Any) -> None:
    hook = create_webhook(api, URL)
    problem = assert_problem(send(api, hook["id"], body), 422)
    assert problem["errors"], problem


def test_the_test_marker_is_kept_in_the_log_and_the_queue_and_absent_means_not_a_test(api: Api, aws: Stack) -> None:
    hook = create_webhook(api, URL)
    sent = send(api, hook["id"], {"event_type": "WebhookCreated"})[2]
    (message,) = queued(aws)
    assert message["test"] is True
    assert delivery(api, hook["id"], sent["id"])["payload"]["test"] is True
    # A message queued before samples existed has no "test": it decodes as a real event.
    real = WebhookMessage("msg_1", "t", "wh_1", "WebhookCreated", "evt_1", datetime(2030, 1, 1, tzinfo=UTC), {"n": 1})
    body = json.loads(encode(real))
    assert "test" not in body
    assert decode(json.dumps(body))[0].test is False
    assert decode(json.dumps({**body, "test": True}))[0].test is True
    assert b'"test"' not in decode(json.dumps(body))[0].body()
