"""The delivery retry schedule: parsing Svix-style delays and the delay before each attempt."""

from __future__ import annotations

import pytest

from integration.domain.retry_schedule import DEFAULT_RETRY_SCHEDULE, delay_before_attempt, parse_retry_schedule

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
