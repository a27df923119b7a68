"""End to end: changes made over HTTP reach a subscriber of the local runtime's event bus (make
run): the table's stream, the relay function, EventBridge, a rule, an SQS queue; all on the
runtime's moto server, reached only through the exports it prints."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.runtime import LocalRuntime, start_local_runtime, stop

pytestmark = pytest.mark.e2e

ARRIVAL_SECONDS = 10
# Subscribed to an event these tests never cause: webhooks on a dead port would otherwise get
# every event delivered (and retried), which only slows the single-process runtime down.
HOOK = {"name": "orders", "url": "http://127.0.0.1:9/hook", "events": ["WebhookDisabled"]}


class Subscriber:
    """An SQS queue behind a rule on the runtime's bus for the service's events."""

    def __init__(self, runtime: LocalRuntime) -> None:
        exports = runtime.exports
        session = boto3.session.Session(
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
            region_name=exports["AWS_DEFAULT_REGION"],
        )
        self._sqs = session.client("sqs", endpoint_url=exports["AWS_ENDPOINT_URL"])
        events = session.client("events", endpoint_url=exports["AWS_ENDPOINT_URL"])
        name = f"e2e-subscriber-{uuid.uuid4().hex[:12]}"
        self._queue_url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = exports["EVENT_BUS_NAME"]
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": ["integration"]}))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
        self.bodies: list[str] = []

    def _poll(self) -> None:
        response = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            self.bodies.append(message["Body"])
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body in self.bodies]

    def wait_for(
        self, wanted: Callable[[dict[str, Any]], bool], *, since: float, seconds: float = ARRIVAL_SECONDS
    ) -> dict[str, Any]:
        """The first message ``wanted`` accepts, received within ``seconds`` of ``since``."""
        while True:
            found = [message for message in self.messages() if wanted(message)]
            if found:
                return found[0]
            if time.monotonic() - since > seconds:
                raise AssertionError(f"no such event within {seconds}s; received: {self.messages()}")
            self._poll()


def about(event_type: str, field: str, value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message["detail-type"] == event_type and message["detail"].get(field) == value


def test_a_webhook_created_over_http_reaches_a_subscriber_within_ten_seconds(local_runtime: LocalRuntime) -> None:
    subscriber = Subscriber(local_runtime)

    started = time.monotonic()
    status, _, created = local_runtime.request("POST", "/webhooks", key=local_runtime.api_key, body=HOOK)
    assert status == 201, created

    message = subscriber.wait_for(about("WebhookCreated", "webhookId", created["id"]), since=started)
    assert message["source"] == "integration"
    detail = message["detail"]
    assert detail["tenantId"] == "demo"
    assert (detail["name"], detail["url"]) == (HOOK["name"], HOOK["url"])
    assert detail["eventId"].startswith("evt_") and detail["version"] == 1
    for body in subscriber.bodies:
        assert created["secret"] not in body and "whsec_" not in body


def test_revoking_a_new_key_over_http_publishes_api_key_revoked_after_api_key_created(local_runtime: LocalRuntime) -> None:
    subscriber = Subscriber(local_runtime)
    status, _, key = local_runtime.request(
        "POST", "/api-keys", key=local_runtime.api_key, body={"name": "short-lived", "scopes": ["webhooks:read"]}
    )
    assert status == 201, key

    started = time.monotonic()
    status, _, revoked = local_runtime.request("POST", f"/api-keys/{key['id']}/revoke", key=local_runtime.api_key)
    assert status == 200 and revoked["status"] == "revoked", revoked

    message = subscriber.wait_for(about("ApiKeyRevoked", "apiKeyId", key["id"]), since=started)
    assert message["source"] == "integration"
    assert message["detail"]["tenantId"] == "demo"
    mine = [m["detail-type"] for m in subscriber.messages() if m["detail"].get("apiKeyId") == key["id"]]
    assert mine == ["ApiKeyCreated", "ApiKeyRevoked"]
    for body in subscriber.bodies:
        for secret in (key["key"], key["prefix"], "intk_"):
            assert secret not in body


# ------------------------------------------------------------------ after a refused change


@pytest.fixture
def own_runtime(tmp_path: Path) -> Iterator[LocalRuntime]:
    """A runtime of its own: this test fills a tenant's webhook quota."""
    runtime = start_local_runtime(tmp_path)
    try:
        yield runtime
    finally:
        stop(runtime)


def test_after_the_quota_refuses_a_webhook_nothing_phantom_is_published_and_later_changes_still_are(
    own_runtime: LocalRuntime,
) -> None:
    key = own_runtime.api_key
    subscriber = Subscriber(own_runtime)
    created = []
    while True:
        status, _, body = own_runtime.request("POST", "/webhooks", key=key, body={**HOOK, "name": f"hook {len(created)}"})
        if status != 201:
            break
        created.append(body)
    assert status == 409 and len(created) == 50, body

    started = time.monotonic()
    assert own_runtime.request("DELETE", f"/webhooks/{created[0]['id']}", key=key)[0] == 204

    subscriber.wait_for(about("WebhookDeleted", "webhookId", created[0]["id"]), since=started)
    created_events = [m["detail"]["name"] for m in subscriber.messages() if m["detail-type"] == "WebhookCreated"]
    assert sorted(created_events) == sorted(webhook["name"] for webhook in created)  # and not the refused one
