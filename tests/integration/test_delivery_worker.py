"""The delivery worker's bookkeeping with SQS (moto): which messages stay, and for how long."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from integration.application.deliveries import AttemptResult, DeliveryOutcome
from integration.domain.deliveries import WebhookMessage
from integration.entrypoints.delivery_worker import process_delivery_batch
from integration.infrastructure.delivery_queue import SqsDeliveryQueue, encode
from local_runtime.queues import sqs_record

MESSAGE = WebhookMessage(
    id="msg_01M8JVX0Q8D5N2C4B6A8E0G2J4",
    tenant_id="acme",
    webhook_id="wh_01M8JVWR7Q2BQDDWVMMXSCGK4F",
    event_type="invoice.paid",
    event_id="evt_1",
    timestamp=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
    data={"tenantId": "acme"},
)


@pytest.fixture
def queue(aws: Any) -> tuple[Any, str, list[int]]:
    """The delivery queue, a client for it, and every VisibilityTimeout the worker set."""
    client = boto3.client("sqs", region_name="us-east-1")
    url = aws.queue_url("WebhookDeliveryQueue")
    visibility: list[int] = []
    client.meta.events.register(
        "provide-client-params.sqs.ChangeMessageVisibility", lambda params, **_: visibility.append(params["VisibilityTimeout"])
    )
    return client, url, visibility


def received_batch(client: Any, url: str, bodies: list[str]) -> dict[str, Any]:
    for body in bodies:
        client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=MESSAGE.tenant_id)  # as every sender does
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    return {"Records": [sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:q") for message in messages]}


def test_a_scheduled_retry_hides_the_message_for_the_delay_and_keeps_it(queue: Any) -> None:
    client, url, visibility = queue
    event = received_batch(client, url, [encode(MESSAGE)])
    calls: list[tuple[str, int, bool]] = []
    queued: list[datetime | None] = []

    def deliver(message: WebhookMessage, attempt: int, manual: bool, queued_at: datetime | None) -> DeliveryOutcome:
        calls.append((message.id, attempt, manual))
        queued.append(queued_at)
        return DeliveryOutcome(AttemptResult.RETRY, retry_in=300, status_code=503)

    response, outcomes = process_delivery_batch(event, deliver, SqsDeliveryQueue(client, url))
    assert calls == [(MESSAGE.id, 1, False)]
    (queued_at,) = queued  # SQS's SentTimestamp: when the message was first queued
    assert queued_at is not None and abs(queued_at - datetime.now(UTC)) < timedelta(seconds=30)
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert visibility == [300] and outcomes[0].result is AttemptResult.RETRY


def test_a_12_hour_delay_stays_inside_sqs_visibility_limit_from_this_receive(queue: Any) -> None:
    client, url, visibility = queue
    event = received_batch(client, url, [encode(MESSAGE)])
    process_delivery_batch(event, lambda *_: DeliveryOutcome(AttemptResult.RETRY, retry_in=12 * 3600), SqsDeliveryQueue(client, url))
    (seconds,) = visibility
    assert 12 * 3600 - 5 <= seconds < 12 * 3600


@pytest.mark.parametrize("result", [AttemptResult.SUCCEEDED, AttemptResult.FAILED, AttemptResult.DROPPED])
def test_finished_messages_are_not_kept(queue: Any, result: AttemptResult) -> None:
    client, url, visibility = queue
    event = received_batch(client, url, [encode(MESSAGE)])
    response, _ = process_delivery_batch(event, lambda *_: DeliveryOutcome(result), SqsDeliveryQueue(client, url))
    assert response == {"batchItemFailures": []} and visibility == []


def test_an_error_keeps_only_that_message_and_a_malformed_one_is_dropped(queue: Any) -> None:
    client, url, _ = queue
    other = WebhookMessage(**{**MESSAGE.__dict__, "id": "msg_01M8JVX0Q8D5N2C4B6A8E0G2J5"})
    event = received_batch(client, url, [encode(MESSAGE), encode(other, manual=True), json.dumps({"not": "a message"})])
    manual_flags: list[bool] = []

    def deliver(message: WebhookMessage, attempt: int, manual: bool, queued_at: datetime | None) -> DeliveryOutcome:
        manual_flags.append(manual)
        if message.id == MESSAGE.id:
            raise RuntimeError("DynamoDB throttled")
        return DeliveryOutcome(AttemptResult.SUCCEEDED, status_code=200)

    response, outcomes = process_delivery_batch(event, deliver, SqsDeliveryQueue(client, url))
    failing = next(record for record in event["Records"] if json.loads(record["body"]).get("messageId") == MESSAGE.id)
    assert response == {"batchItemFailures": [{"itemIdentifier": failing["messageId"]}]}
    assert sorted(manual_flags) == [False, True]
    assert sum(outcome is None for outcome in outcomes) == 2  # the error and the malformed body


def test_a_record_without_a_sent_timestamp_is_delivered_with_an_unknown_queue_time(queue: Any) -> None:
    client, url, _ = queue
    event = received_batch(client, url, [encode(MESSAGE)])
    for record in event["Records"]:
        record["attributes"].pop("SentTimestamp", None)
    queued: list[datetime | None] = []
    process_delivery_batch(event, lambda *args: queued.append(args[3]) or DeliveryOutcome(AttemptResult.SUCCEEDED), SqsDeliveryQueue(client, url))
    assert queued == [None]


def test_a_disabling_attempt_is_logged_with_its_reason(queue: Any, caplog: pytest.LogCaptureFixture) -> None:
    client, url, _ = queue
    event = received_batch(client, url, [encode(MESSAGE)])
    outcome = DeliveryOutcome(AttemptResult.FAILED, status_code=410, reason="endpoint answered 410 Gone", disabled_webhook=True)
    response, _ = process_delivery_batch(event, lambda *_: outcome, SqsDeliveryQueue(client, url))
    assert response == {"batchItemFailures": []}
    (warning,) = [record for record in caplog.records if record.getMessage() == "webhook disabled"]
    assert warning.reason == "endpoint answered 410 Gone" and warning.webhook_id == MESSAGE.webhook_id  # type: ignore[attr-defined]
