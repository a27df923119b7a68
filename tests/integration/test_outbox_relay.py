"""The outbox relay on moto: changes made through the real handlers, the table's stream records
(through the template's filter) handed to the relay function as Lambda would, and what a
subscriber of the bus receives in an SQS queue behind a rule. EventBridge failures are injected
at the relay's boto3 client (see relay_helpers.PutEventsFaults)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from integration import wiring
from integration.domain.key_format import hash_key
from integration.entrypoints.batch import BatchFailedError
from integration.infrastructure.eventbridge import RETRY_DELAYS_SECONDS
from local_runtime.resources import Stack
from local_runtime.template import PROJECT_ROOT, Template
from tests.conftest import Api
from tests.integration.helpers import create_key, create_webhook, outbox
from tests.integration.relay_helpers import Relay, event_ids, sequence_numbers

SCHEMAS = PROJECT_ROOT / "layers" / "shared" / "integration" / "event_schemas"
ATTEMPTS = 1 + len(RETRY_DELAYS_SECONDS)  # PutEvents attempts per chunk within one invocation
META = {"eventId", "occurredAt", "version"}
DOCUMENTED_FIELDS = {
    "ApiKeyCreated": {"apiKeyId", "tenantId", "name", "createdBy"} | META,
    "ApiKeyRevoked": {"apiKeyId", "tenantId", "reason"} | META,
    "WebhookCreated": {"webhookId", "tenantId", "name", "url"} | META,
    "WebhookUpdated": {"webhookId", "tenantId", "changes"} | META,
    "WebhookDeleted": {"webhookId", "tenantId"} | META,
}
HOOK = {"name": "orders", "url": "https://example.com/hooks/orders", "events": ["WebhookCreated"]}


@pytest.fixture
def relay(aws: Stack, template: Template, monkeypatch: pytest.MonkeyPatch) -> Relay:
    return Relay(aws, template, monkeypatch)


def update_webhook(api: Api, webhook: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {name: webhook[name] for name in ("name", "url", "events", "description", "status")}
    status, _, updated = api.call("PUT", f"/webhooks/{webhook['id']}", body={**body, **changes})
    assert status == 200, updated
    return updated


def revoke(api: Api, key: dict[str, Any]) -> dict[str, Any]:
    status, _, body = api.call("POST", f"/api-keys/{key['id']}/revoke")
    assert status == 200, body
    return body


def failed_items(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def assert_each_outbox_event_arrived_once(relay: Relay, dynamodb: Any, table_name: str) -> None:
    received = relay.consumer.received_event_ids()
    expected = [event["event_id"] for event in outbox(dynamodb, table_name)]
    assert expected, "positive control: there are outbox events"
    assert sorted(received) == sorted(expected)


# ------------------------------------------------------------------ (a) every event type, its shape


def test_every_event_type_reaches_a_subscriber_with_its_documented_detail_and_nothing_secret(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    key = create_key(api, name="deploy bot", scopes=("api-keys:read", "api-keys:write"))
    revoke(api, key)
    webhook = create_webhook(api, events=["WebhookCreated"], description="order events")
    update_webhook(api, webhook, name="orders v2", status="disabled")
    assert api.call("DELETE", f"/webhooks/{webhook['id']}")[0] == 204
    records = relay.outbox_records()

    response = relay.invoke(records)

    assert response == {"batchItemFailures": []}
    messages = relay.consumer.all_received()
    assert [message["detail-type"] for message in messages] == [
        "ApiKeyCreated",
        "ApiKeyRevoked",
        "WebhookCreated",
        "WebhookUpdated",
        "WebhookDeleted",
    ]
    recorded = {event["event_id"]: event for event in outbox(dynamodb, table_name)}
    assert [message["detail"]["eventId"] for message in messages] == event_ids(records)
    assert set(event_ids(records)) == set(recorded)
    for message in messages:
        detail, event_type = message["detail"], message["detail-type"]
        event = recorded[detail["eventId"]]
        assert message["source"] == "integration"
        assert event_type == event["event_type"]
        assert set(detail) == DOCUMENTED_FIELDS[event_type], event_type
        assert detail == event["detail"]  # exactly what was recorded with the change
        assert detail["tenantId"] == "tenant-a" and detail["version"] == 1
        assert detail["occurredAt"].endswith("Z")
        occurred_at = datetime.fromisoformat(detail["occurredAt"])
        assert datetime.fromisoformat(message["time"].replace("Z", "+00:00")) == occurred_at.replace(microsecond=0)
        schema = SCHEMAS / f"{event_type}.json"
        if schema.exists():
            Draft202012Validator(json.loads(schema.read_text())).validate(detail)
    by_type = {message["detail-type"]: message["detail"] for message in messages}
    assert by_type["ApiKeyCreated"]["apiKeyId"] == key["id"] and by_type["ApiKeyCreated"]["name"] == "deploy bot"
    assert by_type["ApiKeyRevoked"]["apiKeyId"] == key["id"]
    assert (by_type["WebhookCreated"]["webhookId"], by_type["WebhookCreated"]["url"]) == (webhook["id"], HOOK["url"])
    assert by_type["WebhookUpdated"]["changes"] == {"name": "orders v2", "status": "disabled"}
    assert by_type["WebhookDeleted"]["webhookId"] == webhook["id"]

    plaintext = key["key"]
    secrets = ["whsec_", webhook["secret"], "intk_", plaintext, plaintext.removeprefix("intk_"), hash_key(plaintext)]
    secrets.append(key["prefix"])
    for body in relay.consumer.bodies:
        for secret in secrets:
            assert secret not in body


def test_the_sample_stream_event_is_relayed_as_is(relay: Relay) -> None:
    sample = json.loads((PROJECT_ROOT / "events" / "outbox_relay.json").read_text())
    image = sample["Records"][0]["dynamodb"]["NewImage"]

    assert relay.invoke(sample["Records"]) == {"batchItemFailures": []}

    (message,) = relay.consumer.all_received()
    assert message["detail-type"] == "WebhookCreated" and message["source"] == "integration"
    assert message["detail"] == json.loads(image["detail"]["S"])
    assert image["occurred_at"]["S"].startswith("2026-11-29T05:56:32")
    assert message["time"] == "2026-11-29T05:56:32Z"  # when the change happened, not when it was relayed


# ------------------------------------------------------------------ (b) throttling past the retries


def test_a_batch_throttled_past_the_retries_fails_whole_and_is_published_once_when_retried(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    create_key(api)
    create_webhook(api, events=["WebhookCreated"])
    records = relay.outbox_records()
    assert len(records) == 2
    faults = relay.faults()
    faults.throttle()  # every call, until healed

    with pytest.raises(BatchFailedError):
        relay.invoke(records)

    assert len(faults.calls) == ATTEMPTS  # retried within the invocation, then left to the stream
    assert relay.sleeps == list(RETRY_DELAYS_SECONDS)
    assert relay.consumer.all_received() == []

    faults.heal()
    assert relay.drain(records) == [{"batchItemFailures": []}]  # Lambda retries the whole batch
    assert_each_outbox_event_arrived_once(relay, dynamodb, table_name)


def test_throttling_mid_batch_reports_the_rest_and_a_retry_from_there_publishes_each_once(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    key = create_key(api)
    revoke(api, key)
    create_webhook(api, events=["WebhookCreated"])
    records = relay.outbox_records()  # rounds: [key created] [key revoked, webhook created]
    faults = relay.faults()
    faults.throttle(calls=ATTEMPTS, after=1)

    outcomes = relay.drain(records)

    assert len(outcomes) == 2
    first, second = outcomes
    assert isinstance(first, dict) and failed_items(first) == sequence_numbers(records[1:])
    assert second == {"batchItemFailures": []}
    assert relay.consumer.received_event_ids() == event_ids(records)
    assert_each_outbox_event_arrived_once(relay, dynamodb, table_name)


def test_a_batch_failing_through_several_invocations_loses_nothing(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    for n in range(3):
        webhook = create_webhook(api, events=["WebhookCreated"], name=f"hook {n}")
        update_webhook(api, webhook, name=f"hook {n} renamed")
    records = relay.outbox_records()
    assert len(records) == 6
    relay.faults().throttle(calls=2 * ATTEMPTS + 1, after=1)

    outcomes = relay.drain(records)

    assert len(outcomes) == 3 and outcomes[-1] == {"batchItemFailures": []}
    assert_each_outbox_event_arrived_once(relay, dynamodb, table_name)


def test_a_record_that_cannot_be_read_is_reported_with_every_record_after_it_and_those_before_are_published(
    api: Api, relay: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    create_key(api, name="one")
    create_webhook(api, events=["WebhookCreated"])
    create_key(api, name="two")
    records = relay.outbox_records()
    first, unreadable, third = event_ids(records)
    broken = json.loads(json.dumps(records))
    del broken[1]["dynamodb"]["NewImage"]["occurred_at"]  # an outbox item the relay cannot read

    response = relay.invoke(broken)

    assert failed_items(response) == sequence_numbers(records[1:])
    assert relay.consumer.received_event_ids() == [first]
    (logged,) = [record for record in caplog.records if record.levelname == "ERROR" and record.exc_info]
    assert logged.item_identifier == records[1]["dynamodb"]["SequenceNumber"]  # type: ignore[attr-defined]
    assert isinstance(logged.exc_info[1], KeyError)  # type: ignore[index]

    assert relay.invoke(records[1:]) == {"batchItemFailures": []}  # the stream retries from there, repaired
    assert relay.consumer.received_event_ids() == [first, unreadable, third]


def test_a_batch_whose_first_record_cannot_be_read_fails_the_invocation_and_publishes_nothing(api: Api, relay: Relay) -> None:
    create_key(api)
    create_webhook(api, events=["WebhookCreated"])
    records = relay.outbox_records()
    broken = json.loads(json.dumps(records))
    broken[0]["dynamodb"]["NewImage"]["entity"] = {"S": "Webhook"}

    with pytest.raises(BatchFailedError, match="every record of the batch failed"):
        relay.invoke(broken)

    assert relay.consumer.received_event_ids() == []


# ------------------------------------------------------------------ (c) partial FailedEntryCount


def test_only_the_rejected_entries_are_sent_again(api: Api, relay: Relay, dynamodb: Any, table_name: str) -> None:
    create_key(api, name="one")
    create_webhook(api, events=["WebhookCreated"])
    create_key(api, name="two")
    records = relay.outbox_records()
    first, rejected, third = event_ids(records)
    faults = relay.faults()
    faults.reject(rejected, times=1)

    response = relay.invoke(records)

    assert response == {"batchItemFailures": []}
    assert faults.calls == [[first, rejected, third], [rejected]]
    assert relay.sleeps == [RETRY_DELAYS_SECONDS[0]]
    assert relay.consumer.received_event_ids() == [first, third, rejected]  # each exactly once
    assert_each_outbox_event_arrived_once(relay, dynamodb, table_name)


def test_an_entry_rejected_past_the_retries_is_reported_with_every_record_after_it(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    create_key(api, name="one")
    create_webhook(api, events=["WebhookCreated"])
    create_key(api, name="two")
    records = relay.outbox_records()
    first, rejected, third = event_ids(records)
    faults = relay.faults()
    faults.reject(rejected)  # always

    response = relay.invoke(records)

    assert failed_items(response) == sequence_numbers(records[1:])
    assert faults.calls == [[first, rejected, third]] + [[rejected]] * (ATTEMPTS - 1)
    assert relay.consumer.received_event_ids() == [first, third]

    faults.heal()
    assert relay.invoke(records[1:]) == {"batchItemFailures": []}
    received = relay.consumer.all_received()
    assert [message["detail"]["eventId"] for message in received].count(rejected) == 1
    assert_each_outbox_event_arrived_once_at_least(received, dynamodb, table_name)


def assert_each_outbox_event_arrived_once_at_least(received: list[dict[str, Any]], dynamodb: Any, table_name: str) -> None:
    """At-least-once: every event arrived; a redelivery carries the very same detail."""
    recorded = {event["event_id"]: event["detail"] for event in outbox(dynamodb, table_name)}
    assert {message["detail"]["eventId"] for message in received} == set(recorded)
    for message in received:
        assert message["detail"] == recorded[message["detail"]["eventId"]]


# ------------------------------------------------------------------ (d) failed transactions publish nothing


def test_a_webhook_refused_by_the_quota_writes_no_outbox_record_and_publishes_nothing(
    api: Api, relay: Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_WEBHOOKS_PER_TENANT", "3")
    wiring.reset()
    created = [create_webhook(api, events=["WebhookCreated"], name=f"hook {n}") for n in range(3)]
    records = relay.outbox_records()
    assert len(records) == 3

    status, _, problem = api.call("POST", "/webhooks", body={**HOOK, "name": "one too many"})

    assert status == 409, problem
    after = relay.stream.new_records()
    assert [r for r in after if r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") == "OutboxEvent"] == []
    assert relay.invoke(records) == {"batchItemFailures": []}
    messages = relay.consumer.all_received()
    assert [message["detail"]["webhookId"] for message in messages] == [webhook["id"] for webhook in created]
    assert "one too many" not in json.dumps(messages)


def test_a_second_revoke_publishes_no_second_api_key_revoked(api: Api, relay: Relay) -> None:
    key = create_key(api)
    first = revoke(api, key)

    second = revoke(api, key)

    assert second == first
    records = relay.outbox_records()
    assert relay.invoke(records) == {"batchItemFailures": []}
    messages = relay.consumer.all_received()
    assert [message["detail-type"] for message in messages] == ["ApiKeyCreated", "ApiKeyRevoked"]


def test_an_update_that_changes_nothing_publishes_nothing(api: Api, relay: Relay) -> None:
    webhook = create_webhook(api, events=["WebhookCreated"])
    update_webhook(api, webhook)  # the same fields again

    assert relay.invoke(relay.outbox_records()) == {"batchItemFailures": []}

    assert [message["detail-type"] for message in relay.consumer.all_received()] == ["WebhookCreated"]


# ------------------------------------------------------------------ (e) a re-published event keeps its id


def test_a_republished_event_keeps_its_event_id_and_detail(api: Api, relay: Relay, dynamodb: Any, table_name: str) -> None:
    webhook = create_webhook(api, events=["WebhookCreated"])
    records = relay.outbox_records()

    assert relay.invoke(records) == {"batchItemFailures": []}
    assert relay.invoke(records) == {"batchItemFailures": []}

    first, second = relay.consumer.all_received()
    (event,) = outbox(dynamodb, table_name)
    assert first["detail"]["eventId"] == second["detail"]["eventId"] == event["event_id"]
    assert first["detail"] == second["detail"] == event["detail"]
    assert first["detail"]["webhookId"] == webhook["id"]
    assert first["time"] == second["time"]  # the time of the change, not of the relay


# ------------------------------------------------------------------ (f) order per aggregate


def interleaved_changes(api: Api, relay: Relay) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Webhook created, a key created, the webhook updated twice, the key revoked: the records
    and the event ids by name."""
    webhook = create_webhook(api, events=["WebhookCreated"], name="v0")
    key = create_key(api)
    first = update_webhook(api, webhook, name="v1")
    update_webhook(api, first, name="v2")
    revoke(api, key)
    records = relay.outbox_records()
    names = ["created", "key created", "update 1", "update 2", "key revoked"]
    return records, dict(zip(names, event_ids(records), strict=True))


def webhook_names_in_arrival_order(relay: Relay) -> list[str]:
    names = []
    for message in relay.consumer.all_received():
        detail = message["detail"]
        if "webhookId" in detail:
            names.append(detail.get("name") or detail["changes"]["name"])
    return names


def test_a_later_update_is_not_published_before_an_earlier_one_that_failed(api: Api, relay: Relay) -> None:
    records, ids = interleaved_changes(api, relay)
    faults = relay.faults()
    faults.reject(ids["update 1"])  # always, in this invocation

    response = relay.invoke(records)

    assert failed_items(response) == sequence_numbers(records[2:])
    sent = [event_id for call in faults.calls for event_id in call]
    assert ids["update 2"] not in sent
    assert faults.accepted == [ids["created"], ids["key created"]]
    assert webhook_names_in_arrival_order(relay) == ["v0"]

    faults.heal()
    assert relay.invoke(records[2:]) == {"batchItemFailures": []}
    assert webhook_names_in_arrival_order(relay) == ["v0", "v1", "v2"]
    assert relay.consumer.received_event_ids() == list(ids.values())


def test_a_transient_rejection_does_not_let_a_later_update_overtake(api: Api, relay: Relay) -> None:
    records, ids = interleaved_changes(api, relay)
    faults = relay.faults()
    faults.reject(ids["update 1"], times=2)

    assert relay.invoke(records) == {"batchItemFailures": []}

    assert faults.accepted == list(ids.values())
    for call in faults.calls:
        assert not {ids["update 1"], ids["update 2"]} <= set(call)
    assert webhook_names_in_arrival_order(relay) == ["v0", "v1", "v2"]


# ------------------------------------------------------------------ (g) the filter keeps only new outbox items


def test_the_template_filter_lets_only_new_outbox_items_through(
    api: Api, relay: Relay, dynamodb: Any, table_name: str
) -> None:
    key = create_key(api)
    revoke(api, key)
    webhook = create_webhook(api, events=["WebhookCreated"])
    update_webhook(api, webhook, name="renamed")
    assert api.call("DELETE", f"/webhooks/{webhook['id']}")[0] == 204
    (expired,) = outbox(dynamodb, table_name, "WebhookDeleted")
    dynamodb.delete_item(TableName=table_name, Key={"PK": {"S": expired["PK"]}, "SK": {"S": expired["SK"]}})  # as TTL would

    records = relay.stream.new_records()

    def entity(record: dict[str, Any]) -> str:
        image = record["dynamodb"].get("NewImage") or record["dynamodb"]["OldImage"]
        # moto: the quota item's first INSERT (an update creating it) carries only its key
        return image.get("entity", {}).get("S") or image["SK"]["S"].split("#")[0]

    kept = [record for record in records if relay.is_outbox_record(record)]
    dropped = {(record["eventName"], entity(record)) for record in records if not relay.is_outbox_record(record)}
    assert [(record["eventName"], entity(record)) for record in kept] == [("INSERT", "OutboxEvent")] * 5
    assert {
        ("INSERT", "ApiKey"),
        ("MODIFY", "ApiKey"),
        ("INSERT", "ApiKeyLookup"),
        ("MODIFY", "ApiKeyLookup"),
        ("INSERT", "Webhook"),
        ("MODIFY", "Webhook"),
        ("REMOVE", "Webhook"),
        ("MODIFY", "WebhookQuota"),
        ("INSERT", "DeletedWebhook"),
    } <= dropped
    assert ("REMOVE", "OutboxEvent") in dropped  # an expired outbox item is not relayed again
    assert all(name != "OutboxEvent" or kind == "REMOVE" for kind, name in dropped)
