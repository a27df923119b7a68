"""PutEvents' limits (10 entries, 256 KiB a call), the publisher's retries of rejected entries,
and the relay use case's rounds (one event per aggregate each), on moto's EventBridge."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from integration import wiring
from integration.application.outbox_relay import RelayOutboxEventsUseCase
from integration.domain.events import RecordedEvent
from integration.domain.ids import new_id
from integration.infrastructure.eventbridge import (
    MAX_BYTES_PER_CALL,
    MAX_ENTRIES_PER_CALL,
    RETRY_DELAYS_SECONDS,
    EventBridgePublisher,
    chunks,
    entry_size,
)
from local_runtime.resources import Stack
from tests.integration.relay_helpers import Consumer, PutEventsFaults

KIB = 1024
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def entry(detail_bytes: int = 20) -> dict[str, Any]:
    """A PutEvents entry whose Detail is ``detail_bytes`` long."""
    return {
        "Source": "integration",
        "DetailType": "WebhookCreated",
        "Detail": "x" * detail_bytes,
        "EventBusName": "bus",
        "Resources": [],
    }


def sized(total_bytes: int) -> dict[str, Any]:
    """An entry whose PutEvents size is exactly ``total_bytes``."""
    made = entry(0)
    made["Detail"] = "x" * (total_bytes - entry_size(made))
    assert entry_size(made) == total_bytes
    return made


def flatten(groups: list[list[int]]) -> list[int]:
    return [position for group in groups for position in group]


# ------------------------------------------------------------------ entry_size


def test_entry_size_counts_time_source_detail_type_detail_and_resources_in_utf8_bytes() -> None:
    made = {
        "Source": "integration",  # 11
        "DetailType": "WebhookCreated",  # 14
        "Detail": '{"name":"café"}',  # 16 bytes: é is two
        "Time": AT,  # 14, whatever the value
        "Resources": ["arn:a", "arn:bc"],  # 5 + 6
        "EventBusName": "a-bus-name-that-does-not-count",
    }

    assert entry_size(made) == 11 + 14 + 16 + 14 + 11


def test_entry_size_of_an_entry_without_time_or_resources() -> None:
    assert entry_size({"Source": "s", "DetailType": "dt", "Detail": "{}"}) == 1 + 2 + 2


# ------------------------------------------------------------------ chunks


def test_no_entries_no_calls() -> None:
    assert chunks([]) == []


def test_at_most_ten_entries_per_call_in_order() -> None:
    groups = chunks([entry() for _ in range(25)])

    assert groups == [list(range(0, 10)), list(range(10, 20)), list(range(20, 25))]
    assert MAX_ENTRIES_PER_CALL == 10


def test_exactly_ten_small_entries_make_one_call() -> None:
    assert chunks([entry() for _ in range(10)]) == [list(range(10))]


def test_large_details_are_split_to_stay_within_256_kib_per_call() -> None:
    entries = [sized(100 * KIB) for _ in range(5)]

    groups = chunks(entries)

    assert groups == [[0, 1], [2, 3], [4]]
    assert MAX_BYTES_PER_CALL == 256 * KIB
    for group in groups:
        assert sum(entry_size(entries[position]) for position in group) <= 256 * KIB


def test_the_byte_budget_can_end_a_call_before_the_entry_count_does() -> None:
    entries = [sized(30 * KIB) for _ in range(12)]  # eight fit (240 KiB), a ninth would not

    assert chunks(entries) == [list(range(8)), list(range(8, 12))]


def test_two_entries_just_over_half_the_budget_go_in_separate_calls() -> None:
    half = 128 * KIB
    assert chunks([sized(half), sized(half)]) == [[0, 1]]
    assert chunks([sized(half + 1), sized(half)]) == [[0], [1]]


def test_an_entry_larger_than_the_budget_gets_a_call_of_its_own() -> None:
    entries = [entry(), sized(300 * KIB), entry(), entry()]

    assert chunks(entries) == [[0], [1], [2, 3]]


def test_an_oversized_first_entry_is_not_merged_with_the_next() -> None:
    assert chunks([sized(257 * KIB), entry()]) == [[0], [1]]


def test_random_batches_respect_both_limits_and_keep_order() -> None:
    generator = random.Random(20260101)
    for _ in range(200):
        sizes = [100, 2 * KIB, 40 * KIB, 120 * KIB, 200 * KIB, 300 * KIB]
        entries = [sized(generator.choice(sizes)) for _ in range(generator.randint(1, 40))]

        groups = chunks(entries)

        assert flatten(groups) == list(range(len(entries)))
        for group in groups:
            assert 1 <= len(group) <= 10
            if len(group) > 1:
                assert sum(entry_size(entries[position]) for position in group) <= 256 * KIB


# ------------------------------------------------------------------ on moto's EventBridge


def recorded(aggregate_id: str, *, pad: int = 0) -> RecordedEvent:
    event_id = new_id("evt")
    detail = {"eventId": event_id, "aggregate": aggregate_id, "pad": "p" * pad}
    return RecordedEvent(
        event_id=event_id,
        event_type="WebhookUpdated",
        tenant_id="tenant-a",
        aggregate_id=aggregate_id,
        occurred_at=AT,
        detail=json.dumps(detail),
    )


class Bus:
    """The template's bus on moto, a consumer behind a rule, and hooks on a fresh events client."""

    def __init__(self, stack: Stack) -> None:
        self.name = stack.function_environment("OutboxRelayFunction")["EVENT_BUS_NAME"]
        self.consumer = Consumer(self.name)
        self.client = boto3.client("events", region_name="us-east-1")
        self.faults = PutEventsFaults(self.client)
        self.sleeps: list[float] = []
        self.publisher = EventBridgePublisher(
            self.client, event_bus_name=self.name, source="integration", sleep=self.sleeps.append
        )
        # The events here were never recorded in the table: marking them published finds nothing.
        self.relay = RelayOutboxEventsUseCase(self.publisher, wiring.outbox())

    def received(self) -> list[str]:
        return self.consumer.received_event_ids()


@pytest.fixture
def bus(aws: Stack) -> Bus:
    return Bus(aws)


def ids(events: list[RecordedEvent]) -> list[str]:
    return [event.event_id for event in events]


def test_the_publisher_sends_at_most_ten_per_call_and_every_event_arrives_in_order(bus: Bus) -> None:
    events = [recorded(f"wh_{n}") for n in range(23)]

    assert bus.publisher.publish(events) == set()

    assert [len(call) for call in bus.faults.calls] == [10, 10, 3]
    assert bus.received() == ids(events)
    assert bus.sleeps == []


def test_the_publisher_splits_large_events_by_size(bus: Bus) -> None:
    events = [recorded(f"wh_{n}", pad=100 * KIB) for n in range(5)]

    assert bus.publisher.publish(events) == set()

    assert [len(call) for call in bus.faults.calls] == [2, 2, 1]
    assert bus.received() == ids(events)


def test_the_publisher_resends_only_rejected_entries_after_a_pause(bus: Bus) -> None:
    events = [recorded(f"wh_{n}") for n in range(4)]
    bus.faults.reject(events[1].event_id, times=1)
    bus.faults.reject(events[3].event_id, times=2)

    assert bus.publisher.publish(events) == set()

    assert bus.faults.calls == [ids(events), [events[1].event_id, events[3].event_id], [events[3].event_id]]
    assert sorted(bus.received()) == sorted(ids(events))  # each exactly once
    assert bus.sleeps == list(RETRY_DELAYS_SECONDS[:2])


def test_the_publisher_gives_up_after_its_retries_and_sends_nothing_after_the_failed_call(bus: Bus) -> None:
    events = [recorded(f"wh_{n}") for n in range(15)]
    bus.faults.reject(events[3].event_id)  # always

    unpublished = bus.publisher.publish(events)

    assert unpublished == set(ids(events[3:]))
    attempts = 1 + len(RETRY_DELAYS_SECONDS)
    assert bus.faults.calls == [ids(events[:10])] + [[events[3].event_id]] * (attempts - 1)
    assert sorted(bus.received()) == sorted(ids(events[:3] + events[4:10]))
    assert bus.sleeps == list(RETRY_DELAYS_SECONDS)


def test_a_throttled_call_is_retried_whole(bus: Bus) -> None:
    events = [recorded(f"wh_{n}") for n in range(3)]
    bus.faults.throttle(calls=2)

    assert bus.publisher.publish(events) == set()

    assert bus.faults.calls == [ids(events)] * 3
    assert bus.received() == ids(events)


def test_rounds_never_hold_two_events_of_one_aggregate(bus: Bus) -> None:
    a1, a2, b1, a3, c1, b2 = (recorded(aggregate) for aggregate in ("wh_a", "wh_a", "wh_b", "wh_a", "wh_c", "wh_b"))
    events = [a1, a2, b1, a3, c1, b2]
    aggregate_of = {event.event_id: event.aggregate_id for event in events}

    assert bus.relay.execute(events) is None

    for call in bus.faults.calls:
        aggregates = [aggregate_of[event_id] for event_id in call]
        assert len(aggregates) == len(set(aggregates)), call
    assert [event_id for call in bus.faults.calls for event_id in call] == ids(events)
    assert bus.faults.calls == [ids([a1]), ids([a2, b1]), ids([a3, c1, b2])]
    assert bus.received() == ids(events)


def test_rounds_of_many_aggregates_fill_calls_of_ten(bus: Bus) -> None:
    # A round is one call: the second starts afresh, so wh_0 again may join wh_10 and wh_11.
    events = [recorded(f"wh_{n}") for n in range(12)] + [recorded("wh_0")]

    assert bus.relay.execute(events) is None

    assert [len(call) for call in bus.faults.calls] == [10, 3]
    assert bus.received() == ids(events)


@pytest.mark.parametrize(
    ("failing", "expected"),
    [
        pytest.param(0, 0, id="first-event"),
        pytest.param(1, 1, id="second-of-the-first-round"),
        pytest.param(2, 2, id="first-of-the-second-round"),
        pytest.param(3, 3, id="second-of-the-second-round"),
        pytest.param(4, 4, id="the-last-round"),
    ],
)
def test_the_use_case_returns_the_first_unpublished_position(bus: Bus, failing: int, expected: int) -> None:
    # rounds: [a1, b1] [a2, b2] [a3]
    events = [recorded(aggregate) for aggregate in ("wh_a", "wh_b", "wh_a", "wh_b", "wh_a")]
    events_by_round = [[0, 1], [2, 3], [4]]
    bus.faults.reject(events[failing].event_id)

    position = bus.relay.execute(events)

    assert position == expected
    failing_round = next(index for index, group in enumerate(events_by_round) if failing in group)
    later = [events[p].event_id for group in events_by_round[failing_round + 1 :] for p in group]
    sent = {event_id for call in bus.faults.calls for event_id in call}
    assert not sent & set(later), "nothing after the failed round may be sent"
    received = bus.received()
    assert events[failing].event_id not in received
    assert received[:expected] == ids(events[:expected])  # everything before it went out, in order
