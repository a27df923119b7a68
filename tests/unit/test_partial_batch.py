"""The partial batch response the relay, the fan-out and the delivery function answer Lambda with:
which SQS messages or stream records Lambda hands back, and when the invocation fails instead.

Records are shaped as Lambda delivers them (the sample events in ``events/``)."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from integration.entrypoints.batch import BatchFailedError, PartialBatch

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sqs_event(*bodies: str) -> dict[str, Any]:
    """SQS messages with these bodies, ids m0, m1, ..."""
    (sample,) = json.loads((EVENTS / "webhook_fan_out.json").read_text())["Records"]
    return {"Records": [{**copy.deepcopy(sample), "messageId": f"m{n}", "body": body} for n, body in enumerate(bodies)]}


def stream_event(count: int) -> dict[str, Any]:
    """DynamoDB stream records with sequence numbers 100, 101, ..."""
    (sample,) = json.loads((EVENTS / "outbox_relay.json").read_text())["Records"]
    records = []
    for n in range(count):
        record = copy.deepcopy(sample)
        record["dynamodb"]["SequenceNumber"] = str(100 + n)
        records.append(record)
    return {"Records": records}


def reported(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def parse(record: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(record["body"])
    if body.get("fail"):
        raise RuntimeError(f"could not handle {body['n']}")
    return body


def failures_logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(item identifier, the exception's message) of each failure logged."""
    return [
        (record.item_identifier, str(record.exc_info[1]))  # type: ignore[attr-defined]
        for record in caplog.records
        if record.levelname == "ERROR" and record.exc_info
    ]


# ------------------------------------------------------------------ a queue: each message on its own


def test_a_message_failing_mid_batch_is_the_only_one_handed_back_and_is_logged_with_its_error(caplog: pytest.LogCaptureFixture) -> None:
    batch = PartialBatch.from_queue(sqs_event('{"n": 0}', '{"n": 1, "fail": true}', '{"n": 2}'))

    results = batch.each(parse)

    assert results == [{"n": 0}, None, {"n": 2}]
    assert batch.response() == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert failures_logged(caplog) == [("m1", "could not handle 1")]


def test_a_message_that_cannot_be_parsed_is_handed_back(caplog: pytest.LogCaptureFixture) -> None:
    batch = PartialBatch.from_queue(sqs_event('{"n": 0}', "not json"))

    batch.each(parse)

    assert reported(batch.response()) == ["m1"]
    ((identifier, _message),) = failures_logged(caplog)
    assert identifier == "m1"
    assert isinstance(caplog.records[-1].exc_info[1], json.JSONDecodeError)  # type: ignore[index]


def test_a_queue_batch_whose_every_message_failed_reports_each_one_rather_than_failing() -> None:
    batch = PartialBatch.from_queue(sqs_event('{"n": 0, "fail": true}', "not json"))

    batch.each(parse)

    assert batch.response() == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}


def test_a_message_handed_back_without_an_error_is_reported_and_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    batch = PartialBatch.from_queue(sqs_event('{"n": 0}', '{"n": 1, "later": true}'))

    def handle(record: dict[str, Any]) -> dict[str, Any]:
        body = parse(record)
        if body.get("later"):
            batch.report(record)  # its next attempt is due later
        return body

    assert batch.each(handle) == [{"n": 0}, {"n": 1, "later": True}]
    assert reported(batch.response()) == ["m1"]
    assert failures_logged(caplog) == []


def test_messages_handled_in_threads_keep_their_order_and_each_its_own_outcome() -> None:
    bodies = [json.dumps({"n": n, "fail": n % 3 == 0}) for n in range(10)]
    batch = PartialBatch.from_queue(sqs_event(*bodies))
    threads: set[int] = set()
    all_started = threading.Barrier(10, timeout=10)

    def handle(record: dict[str, Any]) -> int:
        threads.add(threading.get_ident())
        all_started.wait()  # only passes when ten run at once
        return int(parse(record)["n"])

    results = batch.each(handle, workers=10)

    assert len(threads) == 10
    assert results == [None, 1, 2, None, 4, 5, None, 7, 8, None]
    assert reported(batch.response()) == ["m0", "m3", "m6", "m9"]


# ------------------------------------------------------------------ a stream: in order, from the first failure on


def test_a_stream_record_failing_mid_batch_is_reported_with_every_record_after_it_which_are_not_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    batch = PartialBatch.from_stream(stream_event(4))
    handled: list[str] = []

    def handle(record: dict[str, Any]) -> str:
        number = record["dynamodb"]["SequenceNumber"]
        handled.append(number)
        if number == "101":
            raise ValueError("not an outbox item")
        return number

    assert batch.in_order(handle) == ["100"]
    assert handled == ["100", "101"]
    assert batch.response() == {"batchItemFailures": [{"itemIdentifier": n} for n in ("101", "102", "103")]}
    assert failures_logged(caplog) == [("101", "not an outbox item")]


def test_a_stream_record_reported_later_takes_every_record_after_it_along() -> None:
    batch = PartialBatch.from_stream(stream_event(5))
    batch.in_order(lambda record: record)

    batch.report_from(3, RuntimeError("not published"))

    assert reported(batch.response()) == ["103", "104"]
    assert batch.reported == 2


def test_a_stream_batch_whose_first_record_failed_raises_rather_than_answering() -> None:
    batch = PartialBatch.from_stream(stream_event(3))
    cause = RuntimeError("the bus refused it")
    batch.in_order(lambda record: record)
    batch.report_from(0, cause)

    with pytest.raises(BatchFailedError) as raised:
        batch.response(raise_when_all_failed=True)

    assert raised.value.__cause__ is cause
    assert reported(batch.response()) == ["100", "101", "102"]  # asked without raising: every record


def test_a_stream_batch_with_one_record_published_does_not_raise() -> None:
    batch = PartialBatch.from_stream(stream_event(3))
    batch.in_order(lambda record: record)
    batch.report_from(1, RuntimeError("the bus refused it"))

    assert reported(batch.response(raise_when_all_failed=True)) == ["101", "102"]


# ------------------------------------------------------------------ nothing to do


@pytest.mark.parametrize("event", [{"Records": []}, {}])
def test_an_empty_batch_reports_nothing_and_does_not_raise(event: dict[str, Any]) -> None:
    for batch in (PartialBatch.from_queue(event), PartialBatch.from_stream(event)):
        assert batch.each(parse) == []
        assert batch.in_order(parse) == []
        assert batch.response(raise_when_all_failed=True) == {"batchItemFailures": []}
        assert batch.reported == 0
