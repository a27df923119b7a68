"""The local runtime's webhook pipeline plumbing, on moto: what template.yaml declares (the event
rule, the queues, their redrive policies, ``!Ref`` of a queue) created by ``Stack``, and
``QueuePoller`` running an SQS event source mapping against a real moto queue.

No AWS fakes: moto through boto3. The function behind a mapping is a plain Python callable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local_runtime.queues import QueuePoller
from local_runtime.resources import ACCOUNT_ID, REGION, Stack, parse_parameter_overrides
from local_runtime.template import PROJECT_ROOT, QueueSubscription, Template

DELIVERY_QUEUE = "WebhookDeliveryQueue"
DELIVERY_FUNCTION = "WebhookDeliveryFunction"


def wait_for(predicate: Callable[[], Any], timeout: float = 2.5, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {message}")


def queue_counts(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])


@pytest.fixture
def sqs(aws: Stack, boto_session: boto3.Session) -> Any:
    return boto_session.client("sqs")


@pytest.fixture
def events(aws: Stack, boto_session: boto3.Session) -> Any:
    return boto_session.client("events")


# --------------------------------------------------------------------------- the event rule


def put(events: Any, bus: str, source: str, detail: dict[str, Any]) -> None:
    response = events.put_events(
        Entries=[{"EventBusName": bus, "Source": source, "DetailType": "test", "Detail": json.dumps(detail)}]
    )
    assert response["FailedEntryCount"] == 0, response


def routed_markers(sqs: Any, stack: Stack) -> list[str]:
    messages = receive_all(sqs, stack.queue_url("WebhookEventQueue"))
    return sorted(json.loads(message["Body"])["detail"]["marker"] for message in messages)


def test_the_rule_routes_tenant_events_of_the_service_source_to_the_webhook_events_queue(
    aws: Stack, sqs: Any, events: Any
) -> None:
    bus = aws.physical["EventBus"]
    put(events, bus, "integration", {"tenantId": "t1", "marker": "routed"})
    put(events, bus, "integration", {"marker": "no-tenant"})
    put(events, bus, "billing", {"tenantId": "t1", "marker": "other-source"})

    assert routed_markers(sqs, aws) == ["routed"]  # every message the queue holds


def test_the_rule_target_has_the_templates_dead_letter_queue(aws: Stack, events: Any) -> None:
    (target,) = events.list_targets_by_rule(Rule=aws.physical["WebhookEventRule"], EventBusName=aws.physical["EventBus"])[
        "Targets"
    ]
    assert target["Arn"] == aws.resolve({"Fn::GetAtt": ["WebhookEventQueue", "Arn"]})
    assert target["DeadLetterConfig"] == {"Arn": aws.resolve({"Fn::GetAtt": ["WebhookEventDeadLetterQueue", "Arn"]})}


def test_platform_event_sources_are_routed_too(aws: Stack, template: Template, boto_session: boto3.Session) -> None:
    platform = Stack(template, {"Stage": "platform", "PlatformEventSources": "billing,orders"})
    platform.create_resources(boto_session)
    events, sqs = boto_session.client("events"), boto_session.client("sqs")
    bus = platform.physical["EventBus"]
    put(events, bus, "integration", {"tenantId": "t1", "marker": "own"})
    put(events, bus, "billing", {"tenantId": "t1", "marker": "billing"})
    put(events, bus, "orders", {"tenantId": "t1", "marker": "orders"})
    put(events, bus, "billing", {"marker": "billing-no-tenant"})
    put(events, bus, "shipping", {"tenantId": "t1", "marker": "shipping"})

    assert routed_markers(sqs, platform) == ["billing", "orders", "own"]
    # The default stack's rule (no platform sources) is untouched by the other stage's.
    pattern = json.loads(
        events.describe_rule(Name=aws.physical["WebhookEventRule"], EventBusName=aws.physical["EventBus"])["EventPattern"]
    )
    assert pattern["source"] == ["integration"]


# --------------------------------------------------------------------------- queues, Ref


def test_queues_have_the_templates_attributes_and_redrive_policies(aws: Stack, template: Template, sqs: Any) -> None:
    queues = template.resources_of_type("AWS::SQS::Queue")
    assert {"WebhookEventQueue", "WebhookDeliveryQueue"} <= set(queues)
    for logical_id, resource in queues.items():
        props = resource["Properties"]
        attributes = sqs.get_queue_attributes(QueueUrl=aws.queue_url(logical_id), AttributeNames=["All"])["Attributes"]
        for name in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if name in props:
                assert attributes[name] == str(props[name]), (logical_id, name)
        if "RedrivePolicy" in props:
            policy = json.loads(attributes["RedrivePolicy"])
            dead_letter_queue = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert policy["deadLetterTargetArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{aws.physical[dead_letter_queue]}"
            assert int(policy["maxReceiveCount"]) == props["RedrivePolicy"]["maxReceiveCount"]
    delivery = sqs.get_queue_attributes(QueueUrl=aws.queue_url(DELIVERY_QUEUE), AttributeNames=["VisibilityTimeout"])
    assert delivery["Attributes"]["VisibilityTimeout"] == "360"


def test_ref_of_the_delivery_queue_is_a_url_send_message_accepts(aws: Stack, sqs: Any) -> None:
    url = aws.function_environment(DELIVERY_FUNCTION)["DELIVERY_QUEUE_URL"]
    assert url == f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{aws.physical[DELIVERY_QUEUE]}"
    sqs.send_message(QueueUrl=url, MessageBody="hello")

    by_name = sqs.get_queue_url(QueueName=aws.physical[DELIVERY_QUEUE])["QueueUrl"]
    assert [message["Body"] for message in receive_all(sqs, by_name)] == ["hello"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ref_urls_and_rules_work_against_the_moto_server_too(template: Template, monkeypatch: pytest.MonkeyPatch) -> None:
    """``make run`` talks to a moto server through AWS_ENDPOINT_URL: the same queue URLs work there."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        session = boto3.Session(region_name=REGION)
        stack = Stack(template, {"Stage": "server"})
        stack.create_resources(session)
        sqs, events = session.client("sqs"), session.client("events")

        url = stack.function_environment(DELIVERY_FUNCTION)["DELIVERY_QUEUE_URL"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        (message,) = receive_all(sqs, url)
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
        (again,) = receive_all(sqs, url)
        assert again["Attributes"]["ApproximateReceiveCount"] == "2"

        put(events, stack.physical["EventBus"], "integration", {"tenantId": "t1", "marker": "routed"})
        assert routed_markers(sqs, stack) == ["routed"]
    finally:
        server.stop()


# --------------------------------------------------------------------------- intrinsic functions


def test_conditions_and_list_functions_resolve() -> None:
    template = Template(
        {
            "Parameters": {"Sources": {"Type": "String", "Default": ""}, "Flag": {"Type": "String", "Default": "on"}},
            "Conditions": {
                "HasSources": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Sources"}, ""]}]},
                "FlagOn": {"Fn::Equals": [{"Ref": "Flag"}, "on"]},
                "Both": {"Fn::And": [{"Condition": "HasSources"}, {"Condition": "FlagOn"}]},
                "Either": {"Fn::Or": [{"Condition": "HasSources"}, {"Condition": "FlagOn"}]},
            },
            "Resources": {},
        }
    )
    value = {
        "sources": {"Fn::If": ["HasSources", {"Fn::Split": [",", {"Fn::Sub": "own,${Sources}"}]}, ["own"]]},
        "joined": {"Fn::Join": ["-", ["a", {"Ref": "Flag"}, {"Fn::Select": [1, ["x", "y"]]}]]},
        "both": {"Fn::If": ["Both", "yes", {"Ref": "AWS::NoValue"}]},
        "either": {"Fn::If": ["Either", "yes", "no"]},
    }

    assert Stack(template).resolve(value) == {"sources": ["own"], "joined": "a-on-y", "either": "yes"}
    assert Stack(template, {"Sources": "b,c", "Flag": "off"}).resolve(value) == {
        "sources": ["own", "b", "c"],
        "joined": "a-off-y",
        "either": "yes",
    }
    assert Stack(template, {"Sources": "b"}).resolve(value)["both"] == "yes"
    assert Stack(template, {"Flag": "off"}).resolve(value)["either"] == "no"


# --------------------------------------------------------------------------- QueuePoller


class FakeFunction:
    """Stands in for a LoadedFunction: records each event, answers with ``handler(event)``."""

    def __init__(self, handler: Callable[[dict[str, Any]], Any]) -> None:
        self.handler = handler
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            self.events.append(event)
        return self.handler(event)

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [record for event in self.events for record in event["Records"]]


@pytest.fixture
def delivery(aws: Stack, template: Template) -> QueueSubscription:
    (subscription,) = [s for s in template.queue_subscriptions() if s.queue == DELIVERY_QUEUE]
    return subscription


@pytest.fixture
def run_poller(aws: Stack, boto_session: boto3.Session) -> Iterator[Callable[[QueueSubscription, FakeFunction], QueuePoller]]:
    pollers: list[QueuePoller] = []

    def start(subscription: QueueSubscription, function: FakeFunction) -> QueuePoller:
        poller = QueuePoller(subscription, function, session=boto_session, queue_url=aws.queue_url(subscription.queue))  # type: ignore[arg-type]
        poller.start()
        pollers.append(poller)
        return poller

    yield start
    for poller in pollers:
        poller.stop()
    for poller in pollers:
        poller.join(timeout=3)
        assert not poller.is_alive(), "QueuePoller did not stop"


def stop(poller: QueuePoller) -> None:
    poller.stop()
    poller.join(timeout=3)
    assert not poller.is_alive()


def test_queue_subscriptions_come_from_the_templates_sqs_events(template: Template) -> None:
    subscriptions = {s.function: s for s in template.queue_subscriptions()}
    assert subscriptions["WebhookFanOutFunction"] == QueueSubscription("WebhookFanOutFunction", "WebhookEventQueue", 10, True)
    assert subscriptions[DELIVERY_FUNCTION] == QueueSubscription(DELIVERY_FUNCTION, DELIVERY_QUEUE, 10, True)
    # ScalingConfig.MaximumConcurrency, as written: make run resolves it to bound its pollers
    assert subscriptions["WebhookFanOutFunction"].maximum_concurrency == {"Ref": "FanOutMaxConcurrency"}
    assert subscriptions[DELIVERY_FUNCTION].maximum_concurrency == {"Ref": "DeliveryMaxConcurrency"}


def test_the_event_is_built_as_lambda_builds_it(aws: Stack, sqs: Any, delivery: QueueSubscription, run_poller: Any) -> None:
    url = aws.queue_url(DELIVERY_QUEUE)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody='{"hello": 1}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "test"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    function = FakeFunction(lambda event: None)
    poller = run_poller(delivery, function)
    wait_for(function.records, message="an invocation")
    stop(poller)

    (event,) = function.events
    (record,) = event["Records"]
    assert set(event) == {"Records"}
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == '{"hello": 1}'
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{aws.physical[DELIVERY_QUEUE]}"
    assert record["awsRegion"] == REGION
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "kind": {"stringValue": "test", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        "raw": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }
    assert queue_counts(sqs, url) == (0, 0)  # processed: deleted


def test_processed_messages_are_deleted_and_reported_failures_come_back(
    aws: Stack, sqs: Any, delivery: QueueSubscription, run_poller: Any
) -> None:
    url = aws.queue_url(DELIVERY_QUEUE)
    for body in ("ok-1", "fail", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            if record["body"] == "fail" and record["attributes"]["ApproximateReceiveCount"] == "1":
                # What the delivery function does to schedule its next attempt.
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=1)
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    function = FakeFunction(handler)
    poller = run_poller(delivery, function)
    wait_for(lambda: len(function.records()) >= 3, message="the first batch")
    wait_for(lambda: queue_counts(sqs, url) == (0, 1), message="only the failed message left, hidden")

    retried = wait_for(
        lambda: [r for r in function.records() if r["attributes"]["ApproximateReceiveCount"] == "2"], message="the retry"
    )
    assert [record["body"] for record in retried] == ["fail"]
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), message="the retried message deleted")
    stop(poller)
    assert sorted(record["body"] for record in function.records()) == ["fail", "fail", "ok-1", "ok-2"]


def test_a_failure_list_is_ignored_without_report_batch_item_failures(
    aws: Stack, sqs: Any, delivery: QueueSubscription, run_poller: Any
) -> None:
    url = aws.queue_url(DELIVERY_QUEUE)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    function = FakeFunction(lambda event: {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]})
    poller = run_poller(dataclasses.replace(delivery, report_batch_item_failures=False), function)
    wait_for(function.records, message="an invocation")
    wait_for(lambda: queue_counts(sqs, url) == (0, 0), message="the message deleted")
    stop(poller)


def test_an_unknown_item_identifier_fails_the_whole_batch(
    aws: Stack, sqs: Any, delivery: QueueSubscription, run_poller: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = aws.queue_url(DELIVERY_QUEUE)
    sqs.send_message(QueueUrl=url, MessageBody="one")
    function = FakeFunction(lambda event: {"batchItemFailures": [{"itemIdentifier": ""}]})
    poller = run_poller(delivery, function)
    wait_for(function.records, message="an invocation")
    stop(poller)
    assert queue_counts(sqs, url) == (0, 1)  # kept (hidden for the queue's visibility timeout)
    assert "batchItemFailures" in capsys.readouterr().err


def test_nothing_is_deleted_when_the_invocation_raises(
    aws: Stack, sqs: Any, delivery: QueueSubscription, run_poller: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    url = aws.queue_url(DELIVERY_QUEUE)
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    def handler(event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    function = FakeFunction(handler)
    poller = run_poller(delivery, function)
    wait_for(lambda: len(function.records()) >= 2, message="the batch")
    stop(poller)

    assert queue_counts(sqs, url) == (0, 2)
    errors = [line for line in capsys.readouterr().err.splitlines() if "boom" in line]
    assert errors and all(line == f"local runtime: {DELIVERY_FUNCTION} failed: RuntimeError('boom')" for line in errors)
    # Still there: once visible again they are received a second time.
    for record in function.records():
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0)
    again = receive_all(sqs, url)
    assert sorted((m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in again) == [("a", "2"), ("b", "2")]


def test_the_poller_stops_quickly_on_an_empty_queue(delivery: QueueSubscription, run_poller: Any) -> None:
    poller = run_poller(delivery, FakeFunction(lambda event: None))
    time.sleep(0.2)
    started = time.monotonic()
    stop(poller)
    assert time.monotonic() - started < 2


# --------------------------------------------------------------------------- LOCAL_PARAMETER_OVERRIDES


def test_parameter_overrides_parse(template: Template) -> None:
    parameters = template.raw["Parameters"]
    assert parse_parameter_overrides("", parameters) == {}
    assert parse_parameter_overrides("WebhookRetrySchedule=0s,1s,1s DisableFailingWebhooksAfterSeconds=2", parameters) == {
        "WebhookRetrySchedule": "0s,1s,1s",
        "DisableFailingWebhooksAfterSeconds": "2",
    }
    assert parse_parameter_overrides('WebhookRetrySchedule="0s, 1s"  PlatformEventSources=', parameters) == {
        "WebhookRetrySchedule": "0s, 1s",
        "PlatformEventSources": "",
    }
    assert parse_parameter_overrides("ParameterKey=PlatformEventSources,ParameterValue=billing,orders", parameters) == {
        "PlatformEventSources": "billing,orders"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Nope=1", "no parameter 'Nope'"),
        ("Stage", "is not Name=Value"),
        ("=local", "is not Name=Value"),
        ('Stage="local', "cannot split"),
        ("LogLevel=TRACE", "must be one of DEBUG, INFO, WARNING, ERROR"),
        ("Stage=Local", "does not match"),
        ("MaxWebhooksPerTenant=0", "at least 1"),
        ("MaxWebhooksPerTenant=many", "must be a number"),
    ],
)
def test_bad_parameter_overrides_are_refused(template: Template, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_parameter_overrides(text, template.raw["Parameters"])


def test_the_runtime_exits_with_a_clear_message_on_bad_overrides() -> None:
    env = {
        **os.environ,
        "LOCAL_PARAMETER_OVERRIDES": "WebhookRetrySchedule=0s Nope=1",
        "LOCAL_API_PORT": "1",
        "LOCAL_AWS_PORT": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "local_runtime"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("LOCAL_PARAMETER_OVERRIDES: template.yaml has no parameter 'Nope'"), done.stderr
    assert "Ready" not in done.stdout
