"""The webhook delivery pipeline on moto, as the local runtime runs it: the bus rule routes to
the events queue, and the local runtime's SQS pollers feed the fan-out and delivery functions
(visibility timeouts, partial batch failures and receive counts are moto's own)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from integration import wiring
from integration.infrastructure.aws import dynamodb_client, events_client, sqs_client
from local_runtime.gateway import LoadedFunction
from local_runtime.queues import QueuePoller
from local_runtime.resources import Stack
from tests.conftest import Api, moto_requests_one_at_a_time

DELIVERY_FUNCTIONS = ("WebhookFanOutFunction", "WebhookDeliveryFunction")


def use_delivery_environment(stack: Stack, monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    """The fan-out and delivery functions' environment (as template.yaml sets it), webhooks on
    plain http to loopback (the local runtime's settings), and ``settings`` over it, e.g.
    ``WEBHOOK_RETRY_SCHEDULE="0s,1s"``."""
    for function in DELIVERY_FUNCTIONS:
        for name, value in stack.function_environment(function).items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("WEBHOOK_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    wiring.reset()


@contextmanager
def running_pipeline(stack: Stack) -> Iterator[None]:
    """Fan-out and delivery fed by their queues until the block ends."""
    # Clients first, on this thread: boto3's default session is not safe to first use from two.
    dynamodb_client(), events_client(), sqs_client()
    session = boto3.Session(region_name="us-east-1")
    functions = {name: stack.template.functions()[name] for name in DELIVERY_FUNCTIONS}
    pollers = []
    for subscription in stack.template.queue_subscriptions():
        if subscription.function in functions:
            function = LoadedFunction(functions[subscription.function])
            pollers.append(QueuePoller(subscription, function, session=session, queue_url=stack.queue_url(subscription.queue)))
    with moto_requests_one_at_a_time():  # the test thread reads the log while pollers write it
        for poller in pollers:
            poller.start()
        try:
            yield
        finally:
            for poller in pollers:
                poller.stop()
        for poller in pollers:
            poller.join(timeout=5)  # a poll ends within its 1 s wait


def publish(stack: Stack, *, tenant: str | None, event_type: str, source: str = "integration", **detail: Any) -> str:
    """PutEvents on the stack's bus, as the relay or a platform service would; the event id."""
    bus = next(stack.physical[name] for name in stack.template.resources_of_type("AWS::Events::EventBus"))
    payload = {**({"tenantId": tenant} if tenant is not None else {}), **detail}
    entry = {"EventBusName": bus, "Source": source, "DetailType": event_type, "Detail": json.dumps(payload), "Time": datetime.now(UTC)}
    response = events_client().put_events(Entries=[entry])
    assert response["FailedEntryCount"] == 0, response
    return response["Entries"][0]["EventId"]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        time.sleep(interval)


def delivery(api: Api, webhook_id: str, delivery_id: str, tenant: str = "tenant-a") -> dict[str, Any]:
    status, _, body = api.call("GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}", tenant=tenant)
    assert status == 200, body
    return body


def deliveries(api: Api, webhook_id: str, tenant: str = "tenant-a", query: str = "") -> list[dict[str, Any]]:
    status, _, body = api.call("GET", f"/webhooks/{webhook_id}/deliveries", tenant=tenant, query=query)
    assert status == 200, body
    return body["items"]
