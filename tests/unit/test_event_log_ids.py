"""The event log's ids and windows, with fixed vectors: the time part is the ULID spec's own
example (1469918176385 ms -> ``01ARYZ6S41``), the random part of a derived id the first 80 bits
of SHA-256 of the event key in Crockford base32; and how a bus event and a domain event get
the time and id the log keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integration.domain.errors import InvalidFieldError
from integration.domain.event_log import logged_event_id
from integration.domain.events import webhook_created
from integration.domain.ids import decode_ulid_time_ms, encode_ulid, id_bounds
from integration.domain.jobs import EventWindow
from integration.entrypoints.bus_events import tenant_event

SPEC_TIME = datetime(2016, 7, 30, 22, 36, 16, 385000, tzinfo=UTC)  # 1469918176385 ms
SPEC_PREFIX = "01ARYZ6S41"
MS = timedelta(milliseconds=1)


def test_id_bounds_are_the_lowest_and_highest_ulid_of_each_end_s_millisecond() -> None:
    assert id_bounds("evt", SPEC_TIME, SPEC_TIME) == (f"evt_{SPEC_PREFIX}{'0' * 16}", f"evt_{SPEC_PREFIX}{'Z' * 16}")
    assert id_bounds("msg", None, None) == (None, None)
    low, high = id_bounds("msg", SPEC_TIME, None)
    assert low == f"msg_{SPEC_PREFIX}{'0' * 16}" and high is None
    assert id_bounds("msg", None, SPEC_TIME + MS) == (None, f"msg_01ARYZ6S42{'Z' * 16}")


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (SPEC_TIME - MS, False),
        (SPEC_TIME, True),
        (SPEC_TIME + timedelta(seconds=30), True),
        (SPEC_TIME + timedelta(minutes=1), True),
        (SPEC_TIME + timedelta(minutes=1) + MS, False),
    ],
)
def test_ids_of_times_in_the_window_sort_between_its_bounds(moment: datetime, inside: bool) -> None:
    low, high = id_bounds("evt", SPEC_TIME, SPEC_TIME + timedelta(minutes=1))
    assert low is not None and high is not None
    ms = int(moment.timestamp() * 1000)
    for randomness in (0, 2**79, 2**80 - 1):
        event_id = f"evt_{encode_ulid(ms, randomness)}"
        assert (low <= event_id <= high) is inside


def test_an_evt_id_of_the_event_s_own_millisecond_is_kept() -> None:
    own = f"evt_{SPEC_PREFIX}85W3K5NMM07X0NKX"
    assert logged_event_id(own, SPEC_TIME) == own


@pytest.mark.parametrize(
    "key", [f"evt_01ARYZ6S42{'0' * 16}", f"evt_01ARYZ6S40{'Z' * 16}", "bus-1", "key_01ARYZ6S41AAAAAAAAAAAAAAAA"]
)
def test_any_other_key_gets_an_id_of_the_event_s_time_derived_from_the_key(key: str) -> None:
    derived = logged_event_id(key, SPEC_TIME)
    assert derived != key and derived.startswith(f"evt_{SPEC_PREFIX}") and len(derived) == 30
    assert logged_event_id(key, SPEC_TIME) == derived  # the same event handled again: the same record
    assert logged_event_id(key, SPEC_TIME + MS) != derived


def test_a_derived_id_is_the_time_and_the_key_s_hash() -> None:
    assert logged_event_id("bus-1", SPEC_TIME) == f"evt_{SPEC_PREFIX}85W3K5NMM07X0NKX"


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RETENTION = timedelta(days=30)


def test_a_window_may_start_exactly_at_the_retention_and_ends_now_by_default() -> None:
    window = EventWindow.checked(NOW - RETENTION, None, now=NOW, retention=RETENTION)
    assert (window.since, window.until) == (NOW - RETENTION, NOW)
    assert EventWindow.checked(NOW - MS, NOW + timedelta(days=1), now=NOW, retention=RETENTION).until == NOW


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        (NOW - RETENTION - MS, None, "since"),
        (NOW + MS, None, "since"),
        (NOW - timedelta(hours=1), NOW - timedelta(hours=1), "until"),
        (NOW - timedelta(hours=1), NOW - timedelta(hours=2), "until"),
    ],
)
def test_a_window_outside_the_rules_names_the_field(since: datetime, until: datetime | None, field: str) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        EventWindow.checked(since, until, now=NOW, retention=RETENTION)
    assert refused.value.field == field


def test_this_service_s_event_id_is_a_ulid_of_its_millisecond_and_the_log_keeps_it() -> None:
    at = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)
    event = webhook_created(webhook_id="wh_x", tenant_id="t", name="n", url="https://example.com", at=at)
    assert event.event_id.startswith("evt_")
    assert decode_ulid_time_ms(event.event_id[4:]) == int(at.timestamp() * 1000)
    # Through the bus: occurredAt (to the ms) is the time, so the log keeps the event's own id.
    bus = {"id": "bus-id", "time": "2026-11-29T12:00:01Z", "detail-type": "WebhookCreated", "detail": event.detail}
    received = tenant_event(bus)
    assert received is not None
    assert received.occurred_at == datetime(2026, 11, 29, 12, 0, 0, 123000, tzinfo=UTC)
    assert logged_event_id(received.event_key, received.occurred_at) == event.event_id


@pytest.mark.parametrize(
    ("occurred_at", "expected"),
    [
        ("2026-11-29T12:00:00.123Z", datetime(2026, 11, 29, 12, 0, 0, 123000, tzinfo=UTC)),
        ("2026-11-29T13:00:00.5+01:00", datetime(2026, 11, 29, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-29T12:00:00.123", datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)),  # no zone: the bus time
        ("2026-11-29", datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)),
        ("yesterday", datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)),
        (1796000000, datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)),
        (None, datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)),
    ],
)
def test_a_bus_event_s_time_is_its_zoned_occurred_at_else_the_bus_time(occurred_at: object, expected: datetime) -> None:
    detail = {"tenantId": "t", **({} if occurred_at is None else {"occurredAt": occurred_at})}
    received = tenant_event({"id": "bus-id", "time": "2026-11-29T12:00:05Z", "detail-type": "OrderPlaced", "detail": detail})
    assert received is not None and received.occurred_at == expected
