"""End to end: recover and replay jobs over the local runtime (make run): the API starts a job,
the job worker (WebhookJobWorkerFunction, fed by WebhookJobQueue) sends, a real receiver on
loopback sees what arrives.

- A receiver down for a window, then ``recover``: every message that failed is delivered once
  more, with its original ``webhook-id``.
- A new endpoint, then ``replay`` since T: every matching event from T is delivered, in order of
  occurrence per aggregate.

The runtime runs with a short retry schedule (at once and 1 s later: a message fails within
seconds) and a disable window long enough that the receiver's outage never disables it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.runtime import LocalRuntime, start_local_runtime, stop, wait_until
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.e2e

JOB_PARAMETER_OVERRIDES = "WebhookRetrySchedule=0s,1s DisableFailingWebhooksAfterSeconds=3600"
ARRIVAL_SECONDS = 30.0
EVENTS = 4


@pytest.fixture(scope="module")
def job_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_local_runtime(tmp_path_factory.mktemp("job-runtime"), JOB_PARAMETER_OVERRIDES)
    try:
        yield runtime
    finally:
        stop(runtime)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def call(runtime: LocalRuntime, method: str, path: str, body: Any = None, expected: int = 200) -> Any:
    status, headers, answer = runtime.request(method, path, key=runtime.api_key, body=body)
    assert status == expected, (method, path, status, answer)
    return answer if method != "POST" or expected != 202 else (answer, headers)


def create(runtime: LocalRuntime, url: str, events: list[str], name: str) -> dict[str, Any]:
    return call(runtime, "POST", "/webhooks", {"name": name, "url": url, "events": events}, expected=201)


def updates_of(runtime: LocalRuntime, source: dict[str, Any], count: int) -> None:
    """``count`` WebhookUpdated events of one aggregate (the ``source`` webhook), in order."""
    for n in range(count):
        call(runtime, "PATCH", f"/webhooks/{source['id']}", {"description": f"change {n}"})


def finished_job(runtime: LocalRuntime, location: str) -> dict[str, Any]:
    path = location.split("/api/v1/integration", 1)[1]
    return wait_until(
        lambda: (job := call(runtime, "GET", path))["status"] in ("done", "failed") and job,
        timeout=ARRIVAL_SECONDS,
        what="finished job",
    )


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_receiver_down_for_a_window_then_recover_delivers_every_failed_message_once_with_its_id(
    job_runtime: LocalRuntime, receiver: Receiver
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    receiver.statuses = [503] * (2 * EVENTS)  # down: both attempts of every message fail
    hook = create(job_runtime, receiver.url, ["WebhookUpdated"], "recovered")
    source = create(job_runtime, receiver.url + "/unused", ["ApiKeyRevoked"], "source")
    updates_of(job_runtime, source, EVENTS)
    failed = wait_until(
        lambda: (
            len(items := call(job_runtime, "GET", f"/webhooks/{hook['id']}/deliveries?status=failed")["items"]) == EVENTS
            and items
        ),
        timeout=ARRIVAL_SECONDS,
        what=f"{EVENTS} failed deliveries",
    )
    failed_ids = {item["id"] for item in failed}
    assert len(receiver.requests) == 2 * EVENTS
    # The receiver is back (its statuses are used up: it answers 200).

    (created, headers) = call(job_runtime, "POST", f"/webhooks/{hook['id']}/recover", {"since": iso(since)}, expected=202)
    assert created["kind"] == "recover" and headers["location"].endswith(f"/webhooks/{hook['id']}/jobs/{created['id']}")
    job = finished_job(job_runtime, headers["location"])
    assert job["status"] == "done", job
    assert job["counts"] == {"matched": EVENTS, "sent": EVENTS, "succeeded": EVENTS, "failed": 0, "skipped": 0}
    recovered = receiver.requests[2 * EVENTS :]
    assert sorted(request.headers["webhook-id"] for request in recovered) == sorted(failed_ids)  # each once, its own id
    for request in recovered:
        request.verify(hook["secret"])
    assert call(job_runtime, "GET", f"/webhooks/{hook['id']}/deliveries?status=failed")["items"] == []
    time.sleep(1)
    assert len(receiver.requests) == 3 * EVENTS  # nothing more
    for webhook in (hook, source):
        call(job_runtime, "DELETE", f"/webhooks/{webhook['id']}", expected=204)


def test_a_new_endpoint_then_replay_since_t_gets_every_matching_event_from_t_in_order(
    job_runtime: LocalRuntime, receiver: Receiver
) -> None:
    source = create(job_runtime, receiver.url + "/unused", ["ApiKeyRevoked"], "replayed source")
    witness = create(job_runtime, receiver.url + "/witness", ["WebhookUpdated"], "witness")
    since = datetime.now(UTC)
    updates_of(job_runtime, source, EVENTS)
    wait_until(  # fan-out handled (and logged) them all
        lambda: len([r for r in receiver.requests if r.path == "/hooks/witness"]) >= EVENTS,
        timeout=ARRIVAL_SECONDS,
        what="fanned-out events",
    )
    hook = create(job_runtime, receiver.url + "/new", ["WebhookUpdated"], "new endpoint")  # after the events

    (_, headers) = call(job_runtime, "POST", f"/webhooks/{hook['id']}/replay", {"since": iso(since)}, expected=202)
    job = finished_job(job_runtime, headers["location"])
    assert job["status"] == "done", job
    assert job["counts"]["matched"] == job["counts"]["succeeded"] == EVENTS
    arrived = [request.json() for request in receiver.requests if request.path == "/hooks/new"]
    assert [payload["data"]["webhookId"] for payload in arrived] == [source["id"]] * EVENTS
    # In order of occurrence: each PATCH's change, one after the other.
    assert [payload["data"]["changes"]["description"] for payload in arrived] == [f"change {n}" for n in range(EVENTS)]
    occurred = [payload["data"]["occurredAt"] for payload in arrived]
    assert occurred == sorted(occurred) and len(set(occurred)) == EVENTS
    witnessed = [request.headers["webhook-id"] for request in receiver.requests if request.path == "/hooks/witness"]
    assert len(set(witnessed)) == EVENTS and not set(witnessed) & {
        r.headers["webhook-id"] for r in receiver.requests if r.path == "/hooks/new"
    }
    for webhook in (hook, source, witness):
        call(job_runtime, "DELETE", f"/webhooks/{webhook['id']}", expected=204)
