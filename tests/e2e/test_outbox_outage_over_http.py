"""End to end over ``make run``: the event bus is removed for longer than the stream relay's
retry budget, changes are made meanwhile, the bus is restored; every event made during the
outage still reaches a subscribed webhook, by the outbox sweeper, once per webhook by eventId.

Only what an operator has: the API over HTTP, the emulator through boto3 with the exports the
runtime prints (to remove and restore the bus, and to watch the relay's failure queue), and a
real receiver on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local_runtime.__main__ import LOCAL_PARAMETERS
from local_runtime.resources import Stack, _create_rule
from local_runtime.template import Template
from tests.e2e.runtime import LocalRuntime, admin_create_key, start_local_runtime, stop, wait_until
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.e2e

# The sweeper every 2 s for events 2 s old (deployed: every minute, for events 5 minutes old); the
# stream relay gives up on a batch after 2 retries (deployed: 10), so after 3 attempts, not 11.
OVERRIDES = (
    "OutboxSweepSchedule='rate(2 seconds)' OutboxRepublishAfterSeconds=2 WebhookRetrySchedule=0s,1s,1s,1s,1s"
    " OutboxRelayMaximumRetryAttempts=2"
)
RELAY_GIVES_UP_WITHIN_SECONDS = 90.0
ARRIVAL_SECONDS = 30.0
TENANT = "outage-tenant"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    running = start_local_runtime(tmp_path_factory.mktemp("outage-runtime"), OVERRIDES)
    try:
        yield running
    finally:
        stop(running)


def aws(runtime: LocalRuntime, service: str) -> Any:
    exports = runtime.exports
    session = boto3.Session(
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        region_name=exports["AWS_DEFAULT_REGION"],
    )
    return session.client(service, endpoint_url=exports["AWS_ENDPOINT_URL"])


def restore_bus(runtime: LocalRuntime) -> None:
    """Create the bus again with its rules, as a redeploy of the template would."""
    stack = Stack(Template.load(), LOCAL_PARAMETERS)
    events = aws(runtime, "events")
    events.create_event_bus(Name=runtime.exports["EVENT_BUS_NAME"])
    for logical_id in stack.template.resources_of_type("AWS::Events::Rule"):
        _create_rule(events, stack.physical[logical_id], stack.resolve(stack.template.resources[logical_id]["Properties"]))


def failure_queue_depth(runtime: LocalRuntime) -> int:
    sqs = aws(runtime, "sqs")
    url = next(url for url in sqs.list_queues()["QueueUrls"] if url.endswith("-outbox-relay-failures"))
    return int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
    )


def received(receiver: Receiver) -> list[dict[str, Any]]:
    return [{**request.json(), "webhook-id": request.headers["webhook-id"]} for request in list(receiver.requests)]


def made_during_the_outage(payloads: list[dict[str, Any]], key_ids: list[str], webhook_id: str) -> list[dict[str, Any]]:
    """What the receiver got of the events made while the bus was gone: the keys' ApiKeyCreated
    and the webhook's WebhookUpdated."""
    return [
        payload
        for payload in payloads
        if (payload["type"] == "ApiKeyCreated" and payload["data"]["apiKeyId"] in key_ids)
        or (payload["type"] == "WebhookUpdated" and payload["data"]["webhookId"] == webhook_id)
    ]


def test_every_event_made_while_the_bus_was_gone_is_delivered_once_it_is_back(runtime: LocalRuntime) -> None:
    key = admin_create_key(runtime, TENANT, "api-keys:read", "api-keys:write", "webhooks:read", "webhooks:write")
    with running_receiver() as receiver:
        status, _, hook = runtime.request(
            "POST", "/webhooks", key=key, body={"name": "all", "url": receiver.url, "events": ["*"]}
        )
        assert status == 201, hook
        wait_until(
            lambda: any(payload["type"] == "WebhookCreated" for payload in received(receiver)),
            timeout=ARRIVAL_SECONDS,
            what="delivery of WebhookCreated (the chain works)",
        )

        aws(runtime, "events").delete_event_bus(Name=runtime.exports["EVENT_BUS_NAME"])
        made = []
        for n in range(3):
            status, _, created = runtime.request(
                "POST", "/api-keys", key=key, body={"name": f"during outage {n}", "scopes": ["api-keys:read"]}
            )
            assert status == 201, created
            made.append(created["id"])
        body = {"name": "all, renamed", "url": hook["url"], "events": ["*"], "status": "active"}
        assert runtime.request("PUT", f"/webhooks/{hook['id']}", key=key, body=body)[0] == 200

        wait_until(
            lambda: failure_queue_depth(runtime) > 0,
            timeout=RELAY_GIVES_UP_WITHIN_SECONDS,
            what="batch given up by the stream relay",
        )
        time.sleep(3)  # the sweeper runs meanwhile too, and fails: the bus is still gone
        assert made_during_the_outage(received(receiver), made, hook["id"]) == []

        restore_bus(runtime)

        def all_arrived() -> bool:
            found = made_during_the_outage(received(receiver), made, hook["id"])
            return len({payload["data"]["eventId"] for payload in found}) == len(made) + 1

        wait_until(all_arrived, timeout=ARRIVAL_SECONDS, what="every event made during the outage")
        time.sleep(2)  # anything sent twice would arrive meanwhile
        arrived = made_during_the_outage(received(receiver), made, hook["id"])
        by_event: dict[str, set[str]] = {}
        for payload in arrived:
            by_event.setdefault(payload["data"]["eventId"], set()).add(payload["webhook-id"])
        assert len(by_event) == len(made) + 1  # three keys, one rename
        assert all(len(webhook_ids) == 1 for webhook_ids in by_event.values())  # one webhook-id each: deduplicable
        for request in list(receiver.requests):
            request.verify(hook["secret"])
