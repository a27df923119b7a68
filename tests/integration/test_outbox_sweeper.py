"""No committed event is stranded: every outbox item is recorded unpublished until the bus takes
it; what the stream relay gives up on, the scheduled sweeper (and ``integration-admin
republish``) publishes again, in order, with its own ``eventId``. On moto: the table's stream,
the unpublished index (GSI1), the bus and a subscriber's queue; PutEvents failures are injected
at the boto3 client (relay_helpers.PutEventsFaults)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from integration import wiring
from integration.application.outbox_relay import RepublishUnpublishedEventsUseCase
from integration.entrypoints.admin import main as admin
from integration.entrypoints.batch import BatchFailedError
from integration.infrastructure.aws import dynamodb_client
from integration.settings import settings
from local_runtime.resources import Stack
from local_runtime.template import Template
from tests.conftest import Api, lambda_context, load_function
from tests.integration.delivery_helpers import running_pipeline, use_delivery_environment, wait_until
from tests.integration.helpers import create_key, create_webhook, items, outbox
from tests.integration.relay_helpers import Relay
from tests.webhook_receiver import running_receiver

HOOK = {"name": "orders", "url": "https://example.com/hooks/orders", "events": ["*"]}
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def relay(aws: Stack, template: Template, monkeypatch: pytest.MonkeyPatch) -> Relay:
    for name, value in aws.function_environment("OutboxSweeperFunction").items():
        monkeypatch.setenv(name, value)
    return Relay(aws, template, monkeypatch)  # the relay's environment on top, then its cold start


def sweep(monkeypatch: pytest.MonkeyPatch, *, after_seconds: int = 0) -> dict[str, Any]:
    """One scheduled run of the sweeper function, republishing events at least ``after_seconds`` old."""
    monkeypatch.setenv("OUTBOX_REPUBLISH_AFTER_SECONDS", str(after_seconds))
    settings.cache_clear()  # the sweeper's cold start reads it; the adapters (and their faults) stay
    result: dict[str, Any] = load_function("outbox_sweeper").lambda_handler({}, lambda_context())
    return result


def make_changes(api: Api) -> list[str]:
    """A few changes, two of one aggregate; the event ids they recorded, oldest first."""
    status, _, webhook = api.call("POST", "/webhooks", body=HOOK)
    assert status == 201
    body = {name: webhook[name] for name in ("name", "url", "events", "status")}
    assert api.call("PUT", f"/webhooks/{webhook['id']}", body={**body, "name": "orders v2"})[0] == 200
    create_key(api, name="deploy bot")
    return [event.event_id for event in wiring.outbox().unpublished(until=FAR_FUTURE, limit=100)]


def unpublished_items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    return [item for item in items(dynamodb, table_name) if str(item.get("GSI1PK", "")).startswith("OUTBOX#UNPUBLISHED#")]


def fail_past_every_retry(relay: Relay) -> None:
    """The bus refuses every call: the relay's invocations all fail, as the stream mapping's
    retries run out (its batch then goes to the failure queue, holding only sequence numbers)."""
    relay.faults().throttle()
    records = relay.outbox_records()
    assert records
    for _ in range(3):
        with pytest.raises(BatchFailedError):
            relay.invoke(records)


# ------------------------------------------------------------------ the unpublished index


def test_every_recorded_event_is_unpublished_until_the_bus_takes_it(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    event_ids = make_changes(api)

    recorded = unpublished_items(dynamodb, table_name)
    assert sorted(item["event_id"] for item in recorded) == sorted(event_ids)
    assert all("published_at" not in item for item in recorded)

    assert relay.drain(relay.outbox_records())[-1] == {"batchItemFailures": []}

    assert unpublished_items(dynamodb, table_name) == []
    assert all(event.get("published_at") for event in outbox(dynamodb, table_name))
    assert wiring.outbox().unpublished(until=FAR_FUTURE, limit=100) == []


def test_one_aggregates_events_stay_in_one_partition_of_the_index_in_order(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    make_changes(api)

    by_aggregate: dict[str, list[dict[str, Any]]] = {}
    for item in unpublished_items(dynamodb, table_name):
        by_aggregate.setdefault(item["aggregate_id"], []).append(item)
    webhook_events = next(events for events in by_aggregate.values() if len(events) == 2)
    assert len({item["GSI1PK"] for item in webhook_events}) == 1
    assert sorted(webhook_events, key=lambda item: item["GSI1SK"]) == sorted(webhook_events, key=lambda item: item["occurred_at"])


# ------------------------------------------------------------------ the sweeper


def test_what_the_relay_gave_up_on_the_sweeper_publishes_in_order_exactly_once(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, table_name: str
) -> None:
    event_ids = make_changes(api)
    fail_past_every_retry(relay)
    assert relay.consumer.all_received() == []

    still_down = sweep(monkeypatch)
    relay.faults().heal()
    recovered = sweep(monkeypatch)
    again = sweep(monkeypatch)

    assert still_down["republished"] == 0 and still_down["notPublished"] == len(event_ids)
    assert still_down["oldestUnpublishedAgeSeconds"] > 0
    assert recovered == {"republished": len(event_ids), "notPublished": 0, "oldestUnpublishedAgeSeconds": 0}
    assert again["republished"] == 0
    received = relay.consumer.received_event_ids()
    assert received == event_ids  # each once, oldest first: the webhook's two events in order
    assert unpublished_items(dynamodb, table_name) == []


def test_the_sweeper_leaves_events_younger_than_the_threshold_to_the_stream_relay(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_changes(api)

    result = sweep(monkeypatch, after_seconds=300)

    assert result["republished"] == 0 and result["notPublished"] == 0
    assert 0 < result["oldestUnpublishedAgeSeconds"] < 300
    assert relay.consumer.all_received() == []


def test_an_event_is_republished_once_it_is_exactly_as_old_as_the_threshold_and_not_a_microsecond_before(
    api: Api, relay: Relay
) -> None:
    make_changes(api)
    first = wiring.outbox().unpublished(until=FAR_FUTURE, limit=1)[0]
    event_id, occurred_at = first.event_id, first.occurred_at
    threshold = timedelta(seconds=300)

    def pending_at(now: datetime) -> list[str]:
        use_case = RepublishUnpublishedEventsUseCase(wiring.outbox(), wiring.relay_outbox_events(), clock=lambda: now)
        return [event.event_id for event in use_case.pending(older_than=threshold, limit=10)]

    assert event_id not in pending_at(occurred_at + threshold - timedelta(microseconds=1))
    assert event_id in pending_at(occurred_at + threshold)


def test_the_sweeper_reports_how_long_the_oldest_unpublished_event_has_waited(api: Api, relay: Relay) -> None:
    make_changes(api)
    oldest = wiring.outbox().unpublished(until=FAR_FUTURE, limit=1)[0].occurred_at
    relay.faults().throttle()
    now = oldest + timedelta(minutes=20)

    use_case = RepublishUnpublishedEventsUseCase(wiring.outbox(), wiring.relay_outbox_events(), clock=lambda: now)
    result = use_case.execute(older_than=timedelta(minutes=5))

    assert result.republished == 0 and result.not_published == 3
    assert result.oldest_unpublished_age == timedelta(minutes=20)


def test_an_event_whose_mark_failed_is_published_again_with_the_same_event_id(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, table_name: str
) -> None:
    event_ids = make_changes(api)
    client = dynamodb_client()

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "UpdateItem")

    client.meta.events.register("before-call.dynamodb.UpdateItem", refuse, unique_id="refuse-marks")
    try:
        assert relay.drain(relay.outbox_records())[-1] == {"batchItemFailures": []}  # the relay did not fail
    finally:
        client.meta.events.unregister("before-call.dynamodb.UpdateItem", unique_id="refuse-marks")
    assert sorted(item["event_id"] for item in unpublished_items(dynamodb, table_name)) == sorted(event_ids)

    assert sweep(monkeypatch)["republished"] == len(event_ids)

    received = relay.consumer.all_received()
    assert sorted(message["detail"]["eventId"] for message in received) == sorted(event_ids * 2)
    by_id: dict[str, list[Any]] = {}
    for message in received:
        by_id.setdefault(message["detail"]["eventId"], []).append(message["detail"])
    assert all(first == second for first, second in by_id.values())  # the same detail: deduplicated on eventId


# ------------------------------------------------------------------ integration-admin republish


def test_republish_lists_without_publishing_until_told_yes(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    event_ids = make_changes(api)
    fail_past_every_retry(relay)
    relay.faults().heal()
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    capsys.readouterr()  # what the functions printed (their metrics) so far

    assert admin(["republish", "--since", since]) == 0
    dry_out, dry_err = capsys.readouterr()
    assert relay.consumer.all_received() == []
    assert [line.split()[0] for line in dry_out.splitlines()] == event_ids
    assert "dry run: 3 event(s) would be published again" in dry_err

    assert admin(["republish", "--since", since, "--yes"]) == 0
    _, err = capsys.readouterr()
    assert "published 3 of 3" in err
    assert relay.consumer.received_event_ids() == event_ids
    assert admin(["republish", "--since", since, "--yes"]) == 0  # nothing left: nothing sent twice
    assert relay.consumer.received_event_ids() == event_ids


def test_republish_for_one_tenant_and_since_a_time(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    create_key(api, tenant="tenant-a", name="early")
    middle = datetime.now(UTC)
    create_key(api, tenant="tenant-a", name="late")
    create_key(api, tenant="tenant-b", name="other tenant")
    fail_past_every_retry(relay)
    relay.faults().heal()

    assert admin(["republish", "--since", middle.isoformat(), "--tenant", "tenant-a", "--yes"]) == 0

    (only,) = relay.consumer.all_received()
    assert only["detail"]["name"] == "late" and only["detail"]["tenantId"] == "tenant-a"


def test_republish_all_sends_a_tenants_published_events_again_with_their_ids(
    api: Api, relay: Relay, capsys: pytest.CaptureFixture[str]
) -> None:
    event_ids = make_changes(api)
    relay.drain(relay.outbox_records())
    assert relay.consumer.received_event_ids() == event_ids
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    assert admin(["republish", "--since", since, "--tenant", "tenant-a", "--all", "--yes"]) == 0

    assert relay.consumer.received_event_ids() == event_ids * 2


@pytest.mark.parametrize(
    "arguments, message",
    [
        pytest.param(["--all"], "--all needs --tenant", id="all-without-tenant"),
        pytest.param(["--tenant", "a#b"], "tenant: is not a valid tenant id", id="bad-tenant"),
    ],
)
def test_republish_refuses_what_it_cannot_do_and_sends_nothing(
    relay: Relay, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert admin(["republish", "--since", "2030-01-01T00:00:00Z", *arguments, "--yes"]) == 2
    assert message in capsys.readouterr().err
    assert relay.consumer.all_received() == []


def test_republish_needs_a_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        admin(["republish", "--since", "2030-01-01T00:00:00"])
    assert refused.value.code == 2
    assert "give a time zone" in capsys.readouterr().err


def test_the_detail_republished_is_the_recorded_one_byte_for_byte(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch, dynamodb: Any, table_name: str
) -> None:
    make_changes(api)
    fail_past_every_retry(relay)
    relay.faults().heal()

    sweep(monkeypatch)

    recorded = {event["event_id"]: json.loads(json.dumps(event["detail"])) for event in outbox(dynamodb, table_name)}
    for message in relay.consumer.all_received():
        assert message["detail"] == recorded[message["detail"]["eventId"]]


# ------------------------------------------------------------------ all the way to a webhook


def test_events_the_bus_refused_past_every_retry_reach_a_subscribed_webhook_once_each(
    api: Api, relay: Relay, aws: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_delivery_environment(aws, monkeypatch)  # before the faults: it makes new clients
    relay.cold_start()
    with running_receiver() as receiver:
        hook = create_webhook(api, receiver.url)
        relay.drain(relay.outbox_records())  # WebhookCreated: the bus is up
        faults = relay.faults()
        faults.throttle()
        create_key(api, name="during the outage")
        body = {name: hook[name] for name in ("name", "url", "events", "status")}
        assert api.call("PUT", f"/webhooks/{hook['id']}", body={**body, "name": "renamed during the outage"})[0] == 200
        records = relay.outbox_records()
        for _ in range(3):  # the stream mapping's retries run out
            with pytest.raises(BatchFailedError):
                relay.invoke(records)
        assert sweep(monkeypatch)["notPublished"] == 2  # the bus is still down
        faults.heal()

        assert sweep(monkeypatch)["republished"] == 2
        expected = {event.event_id for event in wiring.outbox().recorded("tenant-a", since=datetime(2000, 1, 1, tzinfo=UTC))}
        with running_pipeline(aws):
            wait_until(lambda: {request.json()["data"]["eventId"] for request in receiver.requests} >= expected, timeout=20)
            time.sleep(1)  # anything sent twice would arrive meanwhile

        delivered = [request.json()["data"]["eventId"] for request in receiver.requests]
        assert sorted(delivered) == sorted(expected) and len(expected) == 3  # each once, WebhookCreated included
        for request in receiver.requests:
            request.verify(hook["secret"])
