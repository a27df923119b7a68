"""The local runtime's pollers keep going: several batches of one SQS mapping run side by side
(a slow one holds up only itself), and when the emulator fails (here: moto server stops, then
comes back on the same port) the SQS and DynamoDB stream pollers log it, back off and carry on
where they were.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local_runtime.queues import QueuePoller, backoff
from local_runtime.resources import REGION, Stack
from local_runtime.streams import StreamPoller
from local_runtime.template import StreamSubscription, Template
from tests.integration.test_local_runtime_queues import FakeFunction, free_port, wait_for

DELIVERY_QUEUE = "WebhookDeliveryQueue"


def test_backoff_doubles_up_to_five_seconds() -> None:
    assert [backoff(failures) for failures in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_an_sqs_mapping_gets_its_maximum_concurrency_in_pollers_within_the_local_limits(template: Template) -> None:
    from local_runtime.__main__ import _sqs_concurrency

    stack = Stack(template, {"DeliveryMaxConcurrency": "3"})
    assert _sqs_concurrency(stack, {"Ref": "DeliveryMaxConcurrency"}, 5, 4) == 3
    assert _sqs_concurrency(stack, {"Ref": "FanOutMaxConcurrency"}, 5, 4) == 4  # 10, but 4 instances at most
    assert _sqs_concurrency(stack, {"Ref": "FanOutMaxConcurrency"}, 2, 4) == 2  # LOCAL_SQS_CONCURRENCY
    assert _sqs_concurrency(stack, None, 5, 8) == 5


# ------------------------------------------------------------------ concurrent batches


def test_a_slow_batch_holds_up_only_its_own_poller(aws: Stack, template: Template, boto_session: boto3.Session) -> None:
    (subscription,) = [s for s in template.queue_subscriptions() if s.queue == DELIVERY_QUEUE]
    url = aws.queue_url(DELIVERY_QUEUE)
    sqs = boto_session.client("sqs")
    release = threading.Event()

    def handler(event: dict[str, Any]) -> None:
        if any(record["body"] == "slow" for record in event["Records"]):
            release.wait(10)

    function = FakeFunction(handler)
    poller = QueuePoller(subscription, function, session=boto_session, queue_url=url, concurrency=3)  # type: ignore[arg-type]
    poller.start()
    try:
        sqs.send_message(QueueUrl=url, MessageBody="slow")
        wait_for(lambda: [r for r in function.records() if r["body"] == "slow"], message="the slow batch")
        sqs.send_message(QueueUrl=url, MessageBody="quick")
        wait_for(lambda: [r for r in function.records() if r["body"] == "quick"], timeout=3, message="the quick one, meanwhile")
        assert not release.is_set()
    finally:
        release.set()
        poller.stop()
        poller.join(5)
    assert not poller.is_alive()  # join waits for every poller of the mapping


# ------------------------------------------------------------------ the emulator fails


class Emulator:
    """moto server on a fixed port, which the test can stop and start again (its state stays:
    moto's backends live in this process)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
                self._server.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop serving and close the port (ThreadedMotoServer.stop leaves it open: connections
        would hang rather than fail)."""
        if self._server is not None:
            self._server.stop()
            self._server._server.server_close()  # type: ignore[union-attr]
            self._server = None


@pytest.fixture
def emulator(template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, Stack, boto3.Session]]:
    server = Emulator()
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    session = boto3.Session(region_name=REGION)
    stack = Stack(template, {"Stage": f"outage{server.port}"})
    stack.create_resources(session)
    try:
        yield server, stack, session
    finally:
        server.stop()


def errors_logged(capsys: pytest.CaptureFixture[str], seen: list[str], text: str) -> Callable[[], bool]:
    def check() -> bool:
        seen.append(capsys.readouterr().err)
        return text in "".join(seen)

    return check


def test_the_queue_poller_survives_the_emulator_going_away(
    emulator: tuple[Emulator, Stack, boto3.Session], template: Template, capsys: pytest.CaptureFixture[str]
) -> None:
    server, stack, session = emulator
    (subscription,) = [s for s in template.queue_subscriptions() if s.queue == DELIVERY_QUEUE]
    url = stack.queue_url(DELIVERY_QUEUE)
    function = FakeFunction(lambda event: None)
    poller = QueuePoller(subscription, function, session=session, queue_url=url, concurrency=2)  # type: ignore[arg-type]
    poller.start()
    try:
        session.client("sqs").send_message(QueueUrl=url, MessageBody="before")
        wait_for(lambda: [r for r in function.records() if r["body"] == "before"], timeout=5, message="the first message")

        server.stop()
        seen: list[str] = []
        wait_for(errors_logged(capsys, seen, f"local runtime: polling {url} failed"), timeout=15, message="the failure logged")
        assert poller.is_alive()
        server.start()
        session.client("sqs").send_message(QueueUrl=url, MessageBody="after")
        wait_for(
            lambda: [r for r in function.records() if r["body"] == "after"], timeout=15, message="a message after the outage"
        )
    finally:
        poller.stop()
        poller.join(5)
    assert "; again in " in "".join(seen)


def test_the_stream_poller_survives_the_emulator_going_away(
    emulator: tuple[Emulator, Stack, boto3.Session], capsys: pytest.CaptureFixture[str]
) -> None:
    server, stack, session = emulator
    table = stack.physical["Table"]
    dynamodb = session.client("dynamodb")
    function = FakeFunction(lambda event: {"batchItemFailures": []})
    subscription = StreamSubscription(
        "Relay", "Table", batch_size=10, filter_patterns=(), maximum_retry_attempts=2, on_failure_queue=None
    )
    poller = StreamPoller(subscription, function, session=session, table_name=table, failure_queue_name=None)  # type: ignore[arg-type]
    poller.start()
    try:
        dynamodb.put_item(TableName=table, Item={"PK": {"S": "before"}, "SK": {"S": "x"}})
        wait_for(
            lambda: [r for r in function.records() if r["dynamodb"]["Keys"]["PK"]["S"] == "before"], timeout=5, message="a record"
        )

        server.stop()
        seen: list[str] = []
        wait_for(
            errors_logged(capsys, seen, f"local runtime: polling the stream of {table} failed"), timeout=15, message="the failure"
        )
        assert poller.is_alive()
        server.start()
        dynamodb.put_item(TableName=table, Item={"PK": {"S": "after"}, "SK": {"S": "x"}})
        wait_for(
            lambda: [r for r in function.records() if r["dynamodb"]["Keys"]["PK"]["S"] == "after"],
            timeout=15,
            message="a record after",
        )
    finally:
        poller.stop()
        poller.join(5)
    assert not poller.is_alive()
    keys = [record["dynamodb"]["Keys"]["PK"]["S"] for record in function.records()]
    assert keys.count("before") == 1  # carried on from its checkpoint, not from the start


def test_a_stream_poller_started_while_the_emulator_is_down_waits_for_it(
    emulator: tuple[Emulator, Stack, boto3.Session], capsys: pytest.CaptureFixture[str]
) -> None:
    server, stack, session = emulator
    table = stack.physical["Table"]
    server.stop()
    function = FakeFunction(lambda event: None)
    subscription = StreamSubscription(
        "Relay", "Table", batch_size=10, filter_patterns=(), maximum_retry_attempts=2, on_failure_queue=None
    )
    poller = StreamPoller(subscription, function, session=session, table_name=table, failure_queue_name=None)  # type: ignore[arg-type]
    poller.start()
    try:
        seen: list[str] = []
        wait_for(errors_logged(capsys, seen, "failed"), timeout=15, message="the failure")
        server.start()
        session.client("dynamodb").put_item(TableName=table, Item={"PK": {"S": "late"}, "SK": {"S": "x"}})
        wait_for(function.records, timeout=15, message="a record once the emulator is back")
    finally:
        poller.stop()
        poller.join(5)
