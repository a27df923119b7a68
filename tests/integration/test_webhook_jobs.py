"""Recover and replay jobs (POST /webhooks/{id}/recover, /replay; GET .../jobs/{id}) on moto: the
real use cases, delivery log, event log and job worker, a real receiver on loopback.

Recover sends again exactly the failed messages of the window (both ends included), each with
its original id; a step that runs again after a crash never sends again what succeeded; one job
per webhook at a time; a job stops after 10 failed attempts in a row. Replay delivers the logged
events of the window that match, oldest first, also from before the webhook existed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from integration import wiring
from integration.domain.deliveries import DeliveryStatus, TenantEvent, fanned_out_message_id
from integration.domain.jobs import MAX_CONSECUTIVE_FAILURES, JobKind, new_job
from integration.infrastructure.aws import dynamodb_client, sqs_client
from integration.settings import settings
from tests.conftest import Api
from tests.integration.helpers import assert_problem, create_webhook
from tests.integration.job_helpers import Worker, iso, job, logged, start, use_job_environment
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.usefixtures("aws")

MS = timedelta(milliseconds=1)


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_job_environment(aws, monkeypatch)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def worker(aws: Any) -> Worker:
    return Worker(aws)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_recover_sends_again_exactly_the_failed_messages_of_the_window_with_their_ids(
    api: Api, receiver: Receiver, worker: Worker
) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    since, until = now - timedelta(hours=2), now - timedelta(hours=1)
    inside = [
        logged(hook["id"], since, DeliveryStatus.FAILED, key="at-since"),
        logged(hook["id"], since + timedelta(minutes=10), DeliveryStatus.FAILED, key="a"),
        logged(hook["id"], since + timedelta(minutes=20), DeliveryStatus.FAILED, key="b"),
        logged(hook["id"], until, DeliveryStatus.FAILED, key="at-until"),
    ]
    logged(hook["id"], since - MS, DeliveryStatus.FAILED, key="just-before")
    logged(hook["id"], until + MS, DeliveryStatus.FAILED, key="just-after")
    logged(hook["id"], since + timedelta(minutes=15), DeliveryStatus.SUCCEEDED, key="succeeded", code=200)
    logged(hook["id"], since + timedelta(minutes=25), DeliveryStatus.PENDING, key="pending")
    other = create_webhook(api, receiver.url, name="other")
    logged(other["id"], since + timedelta(minutes=5), DeliveryStatus.FAILED, key="other-webhook")

    status, headers, created = start(api, hook["id"], "recover", {"since": iso(since), "until": iso(until)})
    assert status == 202, created
    assert headers["location"] == f"/api/v1/integration/webhooks/{hook['id']}/jobs/{created['id']}"
    assert created["id"].startswith("job_") and created["kind"] == "recover" and created["status"] == "queued"
    assert created["since"] == iso(since).replace("Z", ".000Z") and created["types"] is None
    assert created["counts"] == {"matched": 0, "sent": 0, "succeeded": 0, "failed": 0, "skipped": 0}

    worker.run()
    requests = receiver.wait_for(len(inside))
    assert [request.headers["webhook-id"] for request in requests] == [message.id for message in inside]  # oldest first
    for request in requests:
        request.verify(hook["secret"])
    done = job(api, hook["id"], created["id"])
    assert done["status"] == "done" and done["error"] is None and done["finished_at"] is not None
    assert done["counts"] == {"matched": 4, "sent": 4, "succeeded": 4, "failed": 0, "skipped": 0}
    for message in inside:
        record = wiring.delivery_log().get("tenant-a", hook["id"], message.id)
        assert record is not None and record.status is DeliveryStatus.SUCCEEDED
        assert record.attempts[-1].trigger.value == "recover"
    assert len(receiver.requests) == len(inside)


@pytest.mark.parametrize(
    ("kind", "counts"),
    [
        # The message that succeeded left the failed messages: the step does not even see it again.
        ("recover", {"matched": 2, "sent": 2, "succeeded": 2, "failed": 0, "skipped": 0}),
        # The event is still in the log: the step sees its message succeeded since the job began.
        ("replay", {"matched": 3, "sent": 2, "succeeded": 2, "failed": 0, "skipped": 1}),
    ],
)
def test_a_step_run_again_after_a_crash_never_sends_again_what_succeeded(
    api: Api, receiver: Receiver, worker: Worker, monkeypatch: pytest.MonkeyPatch, kind: str, counts: dict[str, int]
) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    times = [now - timedelta(minutes=30 - n) for n in range(3)]
    if kind == "recover":
        ids = [logged(hook["id"], at, DeliveryStatus.FAILED, key=f"m{n}").id for n, at in enumerate(times)]
    else:
        events = [_log_event("tenant-a", "WebhookCreated", f"m{n}", at) for n, at in enumerate(times)]
        ids = [fanned_out_message_id(event_key=e.source_id, webhook_id=hook["id"], occurred_at=e.occurred_at) for e in events]
    status, _, created = start(api, hook["id"], kind, {"since": iso(now - timedelta(hours=1))})
    assert status == 202, created

    record = worker.receive()
    assert record is not None
    jobs = wiring.job_repository()
    real_save = jobs.save
    calls = []

    def crash_after_the_first_message(saved: Any, **kwargs: Any) -> bool:
        calls.append(saved)
        if len(calls) == 2:  # 1: queued -> running; 2: the first message's progress
            raise RuntimeError("the function died")
        return real_save(saved, **kwargs)

    monkeypatch.setattr(jobs, "save", crash_after_the_first_message)
    assert worker.invoke(record) == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert [r.headers["webhook-id"] for r in receiver.wait_for(1)] == ids[:1]
    monkeypatch.setattr(jobs, "save", real_save)

    assert worker.invoke(record) == {"batchItemFailures": []}  # SQS hands the step back
    worker.delete(record)
    worker.run()
    assert [r.headers["webhook-id"] for r in receiver.wait_for(3)] == ids
    done = job(api, hook["id"], created["id"])
    assert done["status"] == "done"
    assert done["counts"] == counts
    assert len(receiver.requests) == 3


def test_one_job_per_webhook_at_a_time_and_another_once_it_is_done(api: Api, receiver: Receiver, worker: Worker) -> None:
    hook = create_webhook(api, receiver.url)
    since = {"since": iso(_now() - timedelta(hours=1))}
    status, _, first = start(api, hook["id"], "recover", since)
    assert status == 202, first
    problem = assert_problem(start(api, hook["id"], "replay", since), 409)
    assert first["id"] in problem["detail"]
    other = create_webhook(api, receiver.url, name="other")
    assert start(api, other["id"], "recover", since)[0] == 202  # the lock is per webhook
    worker.run()
    assert job(api, hook["id"], first["id"])["status"] == "done"
    status, _, second = start(api, hook["id"], "recover", since)
    assert status == 202 and second["id"] != first["id"], second


def test_the_same_idempotency_key_answers_the_same_job(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    body = {"since": iso(_now() - timedelta(hours=1))}
    first = start(api, hook["id"], "recover", body, headers={"idempotency-key": "recover-a1b2c3d4e5f6"})
    again = start(api, hook["id"], "recover", body, headers={"idempotency-key": "recover-a1b2c3d4e5f6"})
    assert first[0] == again[0] == 202 and first[2]["id"] == again[2]["id"]


@pytest.mark.parametrize("kind", ["recover", "replay"])
def test_the_window_is_at_most_the_retention_and_until_after_since(api: Api, receiver: Receiver, kind: str) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    too_old = assert_problem(start(api, hook["id"], kind, {"since": iso(now - timedelta(days=30, minutes=1))}), 422)
    assert [error["field"] for error in too_old["errors"]] == ["since"]
    log = "the delivery log" if kind == "recover" else "the event log"  # the log the job reads
    assert too_old["errors"][0]["message"].startswith(f"is older than {log} keeps (30 days)")
    backwards = assert_problem(
        start(api, hook["id"], kind, {"since": iso(now - timedelta(hours=1)), "until": iso(now - timedelta(hours=2))}), 422
    )
    assert [error["field"] for error in backwards["errors"]] == ["until"]
    empty = assert_problem(
        start(api, hook["id"], kind, {"since": iso(now - timedelta(hours=1)), "until": iso(now - timedelta(hours=1))}), 422
    )
    assert [error["field"] for error in empty["errors"]] == ["until"]
    status, _, created = start(api, hook["id"], kind, {"since": iso(now - timedelta(days=30) + timedelta(minutes=1))})
    assert status == 202, created
    assert datetime.fromisoformat(created["until"]) >= now  # until defaults to now


def test_a_later_until_is_cut_to_now(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    status, _, created = start(
        api, hook["id"], "recover", {"since": iso(now - timedelta(hours=1)), "until": iso(now + timedelta(days=2))}
    )
    assert status == 202, created
    assert datetime.fromisoformat(created["until"]) < now + timedelta(minutes=1)


def test_a_disabled_webhook_cannot_be_recovered_or_replayed(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url, status="disabled")
    for kind in ("recover", "replay"):
        assert_problem(start(api, hook["id"], kind, {"since": iso(_now() - timedelta(hours=1))}), 409)


def test_another_tenant_cannot_start_or_see_a_job(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    since = {"since": iso(_now() - timedelta(hours=1))}
    status, _, created = start(api, hook["id"], "recover", since)
    assert status == 202, created
    assert_problem(start(api, hook["id"], "recover", since, tenant="tenant-b"), 404)
    assert_problem(start(api, hook["id"], "replay", since, tenant="tenant-b"), 404)
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/jobs/{created['id']}", tenant="tenant-b"), 404)
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/jobs/job_01M8JVZ3A5C7E9G1J3K5M7P9R1"), 404)
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/jobs/not-a-job"), 404)


def test_reading_a_job_needs_webhooks_read_and_starting_one_webhooks_write(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    since = {"since": iso(_now() - timedelta(hours=1))}
    assert_problem(start(api, hook["id"], "recover", since, scopes="webhooks:read"), 403)
    status, _, created = start(api, hook["id"], "recover", since)
    assert status == 202
    assert api.call("GET", f"/webhooks/{hook['id']}/jobs/{created['id']}", scopes="webhooks:read")[0] == 200
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/jobs/{created['id']}", scopes="webhooks:write"), 403)


def test_a_job_stops_failed_after_consecutive_failed_attempts(api: Api, receiver: Receiver, worker: Worker) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    count = MAX_CONSECUTIVE_FAILURES + 3
    messages = [logged(hook["id"], now - timedelta(minutes=40 - n), DeliveryStatus.FAILED, key=f"f{n}") for n in range(count)]
    receiver.statuses = [500] * count
    status, _, created = start(api, hook["id"], "recover", {"since": iso(now - timedelta(hours=1))})
    assert status == 202, created
    worker.run()
    stopped = job(api, hook["id"], created["id"])
    assert stopped["status"] == "failed"
    assert stopped["error"] == (
        f"stopped after {MAX_CONSECUTIVE_FAILURES} consecutive failed attempts; the failed messages stay failed: "
        "recover again once the endpoint works"
    )
    assert stopped["counts"] == {"matched": 10, "sent": 10, "succeeded": 0, "failed": 10, "skipped": 0}
    assert [r.headers["webhook-id"] for r in receiver.requests] == [m.id for m in messages[:MAX_CONSECUTIVE_FAILURES]]
    record = wiring.delivery_log().get("tenant-a", hook["id"], messages[0].id)
    assert record is not None and record.status is DeliveryStatus.FAILED and record.attempts[-1].trigger.value == "recover"
    assert start(api, hook["id"], "recover", {"since": iso(now - timedelta(hours=1))})[0] == 202  # the lock is released


def _log_event(tenant: str, event_type: str, key: str, at: datetime, webhook_ids: tuple[str, ...] = ()) -> Any:
    event = TenantEvent(
        tenant_id=tenant, event_type=event_type, event_key=key, occurred_at=at, data={"tenantId": tenant, "key": key}
    )
    return wiring.event_log().record(event, list(webhook_ids), expires_at=at + timedelta(days=30))


def test_replay_delivers_matching_logged_events_oldest_first_also_from_before_the_webhook(
    api: Api, receiver: Receiver, worker: Worker
) -> None:
    now = _now()
    since = now - timedelta(hours=3)
    matching = [
        _log_event("tenant-a", "WebhookCreated", "e1", since),
        _log_event("tenant-a", "WebhookUpdated", "e2", since + timedelta(minutes=1)),
        _log_event("tenant-a", "WebhookCreated", "e4", since + timedelta(minutes=3)),
    ]
    _log_event("tenant-a", "ApiKeyCreated", "e3", since + timedelta(minutes=2))  # not subscribed
    _log_event("tenant-a", "WebhookCreated", "old", since - MS)  # before the window
    _log_event("tenant-b", "WebhookCreated", "theirs", since + timedelta(minutes=5))  # another tenant's
    hook = create_webhook(api, receiver.url, events=("WebhookCreated", "WebhookUpdated"))  # after the events

    status, headers, created = start(api, hook["id"], "replay", {"since": iso(since)})
    assert status == 202, created
    assert created["kind"] == "replay" and headers["location"].endswith(f"/jobs/{created['id']}")
    worker.run()
    requests = receiver.wait_for(len(matching))
    expected = [fanned_out_message_id(event_key=e.source_id, webhook_id=hook["id"], occurred_at=e.occurred_at) for e in matching]
    assert [r.headers["webhook-id"] for r in requests] == expected
    assert [r.json()["data"]["key"] for r in requests] == ["e1", "e2", "e4"]
    assert [r.json()["type"] for r in requests] == ["WebhookCreated", "WebhookUpdated", "WebhookCreated"]
    done = job(api, hook["id"], created["id"])
    assert done["status"] == "done" and done["counts"] == {"matched": 3, "sent": 3, "succeeded": 3, "failed": 0, "skipped": 0}
    for event in matching:
        assert hook["id"] in wiring.event_log().get("tenant-a", event.id).webhook_ids
        record = wiring.delivery_log().get(
            "tenant-a",
            hook["id"],
            fanned_out_message_id(event_key=event.source_id, webhook_id=hook["id"], occurred_at=event.occurred_at),
        )
        assert record is not None and record.status is DeliveryStatus.SUCCEEDED and record.attempts[-1].trigger.value == "replay"
    assert len(receiver.requests) == 3


def test_replay_with_types_delivers_only_those_and_refuses_unknown_types(api: Api, receiver: Receiver, worker: Worker) -> None:
    now = _now()
    since = now - timedelta(hours=1)
    _log_event("tenant-a", "WebhookCreated", "w1", since + timedelta(minutes=1))
    keys = [_log_event("tenant-a", "ApiKeyCreated", f"k{n}", since + timedelta(minutes=2 + n)) for n in range(2)]
    hook = create_webhook(api, receiver.url, events=("WebhookCreated",))
    problem = assert_problem(start(api, hook["id"], "replay", {"since": iso(since), "types": ["NoSuchType"]}), 422)
    assert [error["field"] for error in problem["errors"]] == ["types"] and "NoSuchType" in problem["errors"][0]["message"]
    status, _, created = start(api, hook["id"], "replay", {"since": iso(since), "types": ["ApiKeyCreated"]})
    assert status == 202 and created["types"] == ["ApiKeyCreated"], created
    worker.run()
    assert [r.json()["data"]["key"] for r in receiver.wait_for(2)] == [e.source_id for e in keys]
    assert job(api, hook["id"], created["id"])["counts"]["matched"] == 2
    assert len(receiver.requests) == 2


def test_replay_keeps_the_id_of_a_message_fan_out_already_sent(api: Api, receiver: Receiver, worker: Worker) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    event = _log_event("tenant-a", "WebhookCreated", "sent-before", now - timedelta(minutes=10), (hook["id"],))
    first = logged(hook["id"], event.occurred_at, DeliveryStatus.SUCCEEDED, key=event.source_id, code=200)
    status, _, created = start(api, hook["id"], "replay", {"since": iso(now - timedelta(hours=1))})
    assert status == 202, created
    worker.run()
    (request,) = receiver.wait_for(1)
    assert request.headers["webhook-id"] == first.id  # the receiver deduplicates it
    assert job(api, hook["id"], created["id"])["counts"]["sent"] == 1


def test_a_job_stops_when_its_webhook_is_no_longer_active(api: Api, receiver: Receiver, worker: Worker) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    logged(hook["id"], now - timedelta(minutes=10), DeliveryStatus.FAILED, key="x")
    status, _, created = start(api, hook["id"], "recover", {"since": iso(now - timedelta(hours=1))})
    assert status == 202, created
    assert (
        api.call(
            "PATCH",
            f"/webhooks/{hook['id']}",
            body={"status": "disabled"},
            headers={"content-type": "application/merge-patch+json"},
        )[0]
        == 200
    )
    worker.run()
    stopped = job(api, hook["id"], created["id"])
    assert (stopped["status"], stopped["error"]) == ("failed", "stopped: the webhook is disabled")
    assert receiver.requests == []


def test_when_the_first_step_cannot_be_queued_the_job_fails_and_frees_the_webhook(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    body = {"since": iso(_now() - timedelta(hours=1))}

    def refuse(**_: Any) -> None:
        raise RuntimeError("SQS is down")

    client = sqs_client()
    client.meta.events.register("before-call.sqs.SendMessage", refuse, unique_id="test-refuse-send")
    try:
        status, _, _ = start(api, hook["id"], "recover", body)
    finally:
        client.meta.events.unregister("before-call.sqs.SendMessage", unique_id="test-refuse-send")
    assert status == 500
    (failed,) = _jobs(hook["id"])
    assert (failed["status"], failed["error"]) == ("failed", "could not be queued; start it again")
    assert start(api, hook["id"], "recover", body)[0] == 202  # the webhook is free again


def _jobs(webhook_id: str) -> list[dict[str, Any]]:
    response = dynamodb_client().query(
        TableName=settings().table_name,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :job)",
        ExpressionAttributeValues={":pk": {"S": f"TENANT#tenant-a#WEBHOOK#{webhook_id}"}, ":job": {"S": "JOB#job_"}},
    )
    return [{name: TypeDeserializer().deserialize(value) for name, value in item.items()} for item in response["Items"]]


def test_a_lock_whose_lease_ran_out_lets_a_new_job_start_and_stops_the_old_one(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    now = _now()
    jobs = wiring.job_repository()
    old = new_job(
        tenant_id="tenant-a",
        webhook_id=hook["id"],
        kind=JobKind.RECOVER,
        since=now - timedelta(hours=1),
        until=now,
        types=None,
        now=now,
    )
    jobs.start(old, lease_until=now - timedelta(seconds=1), now=now - timedelta(minutes=15), expires_at=now + timedelta(days=30))
    status, _, created = start(api, hook["id"], "recover", {"since": iso(now - timedelta(hours=1))})
    assert status == 202, created
    assert not jobs.save(
        old.progressed(now), expected_version=old.version, lease_until=now + timedelta(minutes=15)
    )  # lost its lock
    assert jobs.finish(old.finished(now, error="stopped"), expected_version=old.version)  # it may still end
    assert_problem(start(api, hook["id"], "recover", {"since": iso(now - timedelta(hours=1))}), 409)  # the new one holds the lock
    (item,) = [j for j in _jobs(hook["id"]) if j["id"] == created["id"]]
    assert item["ttl"] > int((now + timedelta(days=29)).timestamp())


@pytest.mark.parametrize("kind", ["recover", "replay"])
def test_a_job_pages_through_its_source_over_several_steps_in_order(
    api: Api, receiver: Receiver, worker: Worker, kind: str
) -> None:
    worker.handler  # noqa: B018 - loads the function, to give its use case small pages
    worker._module.use_case._page_size = 2
    hook = create_webhook(api, receiver.url, events=("WebhookCreated",))
    now = _now()
    expected = []
    for n in range(5):
        at = now - timedelta(minutes=30 - n)
        if kind == "recover":
            expected.append(logged(hook["id"], at, DeliveryStatus.FAILED, key=f"p{n}").id)
        else:
            event = _log_event("tenant-a", "WebhookCreated", f"p{n}", at)
            _log_event("tenant-a", "ApiKeyCreated", f"other{n}", at + MS)  # not the webhook's: passed over
            expected.append(
                fanned_out_message_id(event_key=event.source_id, webhook_id=hook["id"], occurred_at=event.occurred_at)
            )
    status, _, created = start(api, hook["id"], kind, {"since": iso(now - timedelta(hours=1))})
    assert status == 202, created
    steps = worker.run()
    assert steps >= 3  # pages of 2
    assert [r.headers["webhook-id"] for r in receiver.wait_for(5)] == expected
    done = job(api, hook["id"], created["id"])
    assert done["status"] == "done" and done["counts"] == {"matched": 5, "sent": 5, "succeeded": 5, "failed": 0, "skipped": 0}
    assert len(receiver.requests) == 5
