"""The delivery retry schedule: parsing Svix-style delays and the delay before each attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integration.domain.retry_schedule import (
    DEFAULT_RETRY_SCHEDULE,
    delay_after_failure,
    delay_before_attempt,
    parse_retry_after,
    parse_retry_schedule,
)

SVIX_SCHEDULE_SECONDS = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)


def test_the_default_schedule_is_svixs() -> None:
    assert DEFAULT_RETRY_SCHEDULE == "0s,5s,5m,30m,2h,5h,10h,10h"
    assert parse_retry_schedule(DEFAULT_RETRY_SCHEDULE) == SVIX_SCHEDULE_SECONDS


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0s", (0,)),
        ("7s", (7,)),
        ("2m", (120,)),
        ("0s,3h", (0, 10800)),
        ("1s,1m,1h", (1, 60, 3600)),
        ("90s,90m", (90, 5400)),
        ("0s,12h", (0, 43200)),
        ("1m,720m", (60, 43200)),
        ("15m,43200s", (900, 43200)),
    ],
)
def test_units_convert_to_seconds(text: str, seconds: tuple[int, ...]) -> None:
    assert parse_retry_schedule(text) == seconds


def test_whitespace_around_entries_is_tolerated() -> None:
    assert parse_retry_schedule("  0s , 5s,\t5m ,\n30m  ") == (0, 5, 300, 1800)
    assert parse_retry_schedule("5 m") == (300,)


def test_the_first_entry_is_the_first_attempts_delay_and_need_not_be_zero() -> None:
    assert parse_retry_schedule("1m,5m") == (60, 300)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_schedule_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        parse_retry_schedule(text)


@pytest.mark.parametrize("text", ["5s,,5m", "5s,", ",5s", "5s, ,5m"])
def test_an_empty_entry_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is empty"):
        parse_retry_schedule(text)


@pytest.mark.parametrize("text", ["-5s", "0s,-1m", "5s,-0h,-2h"])
def test_a_negative_delay_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        parse_retry_schedule(text)


@pytest.mark.parametrize(("text", "unit"), [("5d", "'d'"), ("5ms", "'ms'"), ("5M", "'M'"), ("1s,2x", "'x'")])
def test_an_unknown_unit_is_refused_and_named(text: str, unit: str) -> None:
    with pytest.raises(ValueError, match=f"unknown unit {unit}"):
        parse_retry_schedule(text)


def test_a_missing_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="missing unit"):
        parse_retry_schedule("0s,5")


@pytest.mark.parametrize("text", ["1.5h", "h", "five", "5s5m", "0x10s"])
def test_a_delay_that_is_not_a_whole_number_with_a_unit_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="whole number with a unit"):
        parse_retry_schedule(text)


@pytest.mark.parametrize("text", ["13h", "721m", "43201s", "0s,5s,24h"])
def test_a_delay_above_twelve_hours_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="at most 12h"):
        parse_retry_schedule(text)


def test_an_error_names_the_entry_at_fault() -> None:
    with pytest.raises(ValueError, match=r"entry 3 \('1d'\)"):
        parse_retry_schedule("0s,5s,1d")


def test_delay_before_attempt_follows_the_schedule_from_attempt_one() -> None:
    schedule = parse_retry_schedule(DEFAULT_RETRY_SCHEDULE)

    assert [delay_before_attempt(schedule, attempt) for attempt in range(1, 9)] == list(SVIX_SCHEDULE_SECONDS)


def test_delay_before_attempt_is_none_once_the_schedule_is_exhausted() -> None:
    schedule = (0, 5, 300)

    assert delay_before_attempt(schedule, 3) == 300
    assert delay_before_attempt(schedule, 4) is None
    assert delay_before_attempt(schedule, 100) is None


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempt_numbers_below_one_are_refused(attempt: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        delay_before_attempt((0, 5), attempt)


def test_the_first_delay_is_an_sqs_message_delay_of_at_most_15_minutes() -> None:
    assert parse_retry_schedule("15m,1h") == (900, 3600)
    with pytest.raises(ValueError, match="first delay must be at most 15m"):
        parse_retry_schedule("16m,1h")


def test_at_most_20_attempts_so_the_dead_letter_queue_only_gets_crashes() -> None:
    assert len(parse_retry_schedule(",".join(["1s"] * 20))) == 20
    with pytest.raises(ValueError, match="at most 20"):
        parse_retry_schedule(",".join(["1s"] * 21))


def test_the_whole_schedule_fits_in_the_delivery_queues_retention() -> None:
    assert sum(parse_retry_schedule("0s," + ",".join(["12h"] * 6))) == 3 * 24 * 3600
    with pytest.raises(ValueError, match="more than 3 days"):
        parse_retry_schedule("0s," + ",".join(["12h"] * 6) + ",1s")


# ------------------------------------------------------------------ Retry-After


NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0),
        ("1", 1),
        ("120", 120),
        (" 120\t", 120),  # optional whitespace around the value
        ("000120", 120),
        ("999999999", 999_999_999),
        ("1" + "0" * 5000, 10**9),  # absurdly long digits: "very long", not an error
    ],
)
def test_retry_after_in_seconds(header: str, seconds: int) -> None:
    assert parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Sun, 29 Nov 2026 12:02:00 GMT", 120),  # IMF-fixdate
        ("Sunday, 29-Nov-26 12:02:00 GMT", 120),  # obsolete RFC 850
        ("Sun Nov 29 12:02:00 2026", 120),  # obsolete asctime (no zone: UTC)
        ("Sun, 29 Nov 2026 12:00:01 GMT", 1),
        ("Sun, 29 Nov 2026 12:00:00 GMT", 0),  # now
        ("Sun, 29 Nov 2026 11:59:59 GMT", 0),  # a second ago: no wait, never negative
        ("Sun, 01 Jan 2023 00:00:00 GMT", 0),  # long past
        ("Mon, 30 Nov 2026 12:00:00 GMT", 24 * 3600),
    ],
)
def test_retry_after_as_an_http_date(header: str, seconds: int) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_retry_after_a_date_a_fraction_of_a_second_ahead_rounds_up() -> None:
    now = NOW.replace(microsecond=500_000)
    assert parse_retry_after("Sun, 29 Nov 2026 12:00:01 GMT", now) == 1


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "-1", "-120", "+5", "1.5", "5s", "5 s", "0x10", "soon", "12:02:00", "Sun, 31 Feb 2026 12:00:00 GMT", "١٢٠"],
)
def test_unreadable_or_negative_retry_after_is_none(header: str | None) -> None:
    assert parse_retry_after(header, NOW) is None


SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)  # the default, Svix's


def test_without_retry_after_the_delay_is_the_schedules() -> None:
    assert [delay_after_failure(SCHEDULE, attempt) for attempt in range(1, 9)] == [*SCHEDULE[1:], None]


def test_retry_after_replaces_the_schedules_delay_shorter_or_longer() -> None:
    assert delay_after_failure(SCHEDULE, 3, retry_after=60, age=305) == 60  # the schedule says 30 min
    assert delay_after_failure(SCHEDULE, 1, retry_after=600, age=0) == 600  # the schedule says 5 s
    assert delay_after_failure(SCHEDULE, 1, retry_after=0, age=0) == 0


def test_retry_after_is_capped_at_the_schedules_longest_delay() -> None:
    assert delay_after_failure(SCHEDULE, 1, retry_after=35999, age=0) == 35999
    assert delay_after_failure(SCHEDULE, 1, retry_after=36000, age=0) == 36000
    assert delay_after_failure(SCHEDULE, 1, retry_after=36001, age=0) == 36000
    assert delay_after_failure(SCHEDULE, 1, retry_after=10**9, age=0) == 36000
    assert delay_after_failure((0, 5), 1, retry_after=3600, age=0) == 5  # a schedule of short delays keeps them short


def test_retry_after_is_capped_at_sqs_twelve_hour_visibility_limit() -> None:
    schedule = (0, 12 * 3600)
    assert delay_after_failure(schedule, 1, retry_after=12 * 3600, age=0) == 12 * 3600
    assert delay_after_failure(schedule, 1, retry_after=12 * 3600 + 1, age=0) == 12 * 3600


def test_retry_after_never_adds_an_attempt() -> None:
    assert delay_after_failure(SCHEDULE, 8, retry_after=60, age=100_000) is None
    assert delay_after_failure((0,), 1, retry_after=1) is None


def test_retry_after_may_not_push_the_message_past_three_days_from_being_queued() -> None:
    # 20 attempts, all 1 s apart but one of 12 h: Retry-After 12 h on every one would last ~9 days.
    schedule = (0, *[1] * 17, 12 * 3600, 1)
    later = sum(schedule[3:])  # what the attempts after the next one still need
    budget = 3 * 24 * 3600 - later
    assert delay_after_failure(schedule, 2, retry_after=12 * 3600, age=budget - 12 * 3600) == 12 * 3600  # just fits
    assert delay_after_failure(schedule, 2, retry_after=12 * 3600, age=budget - 12 * 3600 + 1) == 12 * 3600 - 1
    assert delay_after_failure(schedule, 2, retry_after=12 * 3600, age=budget) == 1  # no room: the schedule's own delay
    assert delay_after_failure(schedule, 2, retry_after=12 * 3600, age=budget + 10_000) == 1
    assert delay_after_failure(schedule, 2, retry_after=0, age=budget + 10_000) == 0  # shortening is always allowed


def test_retry_after_with_an_unknown_age_assumes_the_schedule_so_far() -> None:
    schedule = (0, *[1] * 17, 12 * 3600, 1)
    assert delay_after_failure(schedule, 2, retry_after=12 * 3600) == 12 * 3600
    assert delay_after_failure(schedule, 2, retry_after=12 * 3600, age=sum(schedule[:2])) == 12 * 3600
