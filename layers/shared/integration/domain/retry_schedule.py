"""When to attempt a webhook delivery again: a schedule of delays, written like Svix's.

A schedule is comma-separated delays with a unit (``s``, ``m`` or ``h``), for example the
default ``"0s,5s,5m,30m,2h,5h,10h,10h"``: the first attempt at once, then retries 5 s, 5 min,
30 min, 2 h, 5 h, 10 h and 10 h after the previous attempt failed. Entry *n* is the delay
before attempt *n*; after the last entry the message has failed for good.

No delay may exceed 12 hours: retries wait by hiding the SQS message, and 12 hours is SQS's
maximum visibility timeout. The first delay is an SQS message delay, at most 15 minutes. At most
20 attempts (the delivery queue sends a message to its dead-letter queue after 25 receives),
together at most 3 days (the queue keeps a message 4 days).

A receiver that answers ``429 Too Many Requests`` or ``503 Service Unavailable`` with a
``Retry-After`` header (:func:`parse_retry_after`) chooses the delay before the next attempt
itself, within bounds (:func:`delay_after_failure`); it never gets more attempts than the
schedule has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

DEFAULT_RETRY_SCHEDULE = "0s,5s,5m,30m,2h,5h,10h,10h"
MAX_DELAY_SECONDS = 12 * 60 * 60  # SQS's maximum visibility timeout
MAX_FIRST_DELAY_SECONDS = 15 * 60  # SQS's maximum DelaySeconds
MAX_ATTEMPTS = 20
MAX_TOTAL_SECONDS = 3 * 24 * 60 * 60  # the delivery queue keeps a message 4 days

# The answers whose Retry-After is honoured (RFC 9110 15.6.4 and RFC 6585 4).
RETRY_AFTER_STATUSES = frozenset({429, 503})

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 60 * 60}
_DELAY_SECONDS = re.compile(r"[0-9]+")
_MAX_DELAY_DIGITS = 9  # more is "very long" (and int() refuses over 4300 digits)
_ENTRY = re.compile(r"([+-]?[0-9]+)\s*([^0-9\s]*)")


def parse_retry_schedule(text: str) -> tuple[int, ...]:
    """The schedule's delays in seconds, one per attempt (whitespace around entries is ignored).

    :raises ValueError: an empty schedule or entry, a delay that is not a whole number with a
        unit ``s``/``m``/``h``, a negative delay, one above 12 hours, a first delay above
        15 minutes, more than 20 attempts, or more than 3 days in all.
    """
    if not text.strip():
        raise ValueError("retry schedule must not be empty; expected e.g. " + repr(DEFAULT_RETRY_SCHEDULE))
    delays: list[int] = []
    for position, raw in enumerate(text.split(","), start=1):
        entry = raw.strip()
        where = f"retry schedule entry {position} ({entry!r})"
        if not entry:
            raise ValueError(f"retry schedule entry {position} is empty (a stray comma?)")
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise ValueError(f"{where}: expected a whole number with a unit s, m or h, such as '5m'")
        number, unit = int(match.group(1)), match.group(2)
        if unit not in _UNIT_SECONDS:
            raise ValueError(
                f"{where}: unknown unit {unit!r}; use s, m or h" if unit else f"{where}: missing unit; use s, m or h"
            )
        if number < 0:
            raise ValueError(f"{where}: a delay must not be negative")
        seconds = number * _UNIT_SECONDS[unit]
        if seconds > MAX_DELAY_SECONDS:
            raise ValueError(f"{where}: a delay must be at most 12h (SQS's maximum visibility timeout)")
        if position == 1 and seconds > MAX_FIRST_DELAY_SECONDS:
            raise ValueError(f"{where}: the first delay must be at most 15m (SQS's maximum message delay)")
        delays.append(seconds)
    if len(delays) > MAX_ATTEMPTS:
        raise ValueError(f"retry schedule has {len(delays)} attempts; at most {MAX_ATTEMPTS}")
    if sum(delays) > MAX_TOTAL_SECONDS:
        raise ValueError("retry schedule lasts more than 3 days (the delivery queue keeps a message 4 days)")
    return tuple(delays)


def delay_before_attempt(schedule: Sequence[int], attempt_number: int) -> int | None:
    """Seconds to wait before attempt ``attempt_number`` (the first is 1); ``None`` once the
    schedule is exhausted, when the message has failed.

    :raises ValueError: an attempt number below 1.
    """
    if attempt_number < 1:
        raise ValueError(f"attempt numbers start at 1, not {attempt_number}")
    if attempt_number > len(schedule):
        return None
    return schedule[attempt_number - 1]


def parse_retry_after(value: str | None, now: datetime) -> int | None:
    """The seconds a ``Retry-After`` header asks to wait (RFC 9110 10.2.3), or ``None`` when the
    header is absent or unreadable.

    Either ``delay-seconds`` (digits only: ``-5``, ``+5``, ``1.5`` or ``5s`` are unreadable) or
    an HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime forms; a date without a
    zone is read as UTC). A date in the past asks for no wait: 0. Bounds are the caller's.
    """
    if value is None:
        return None
    text = value.strip(" \t")
    if not text:
        return None
    if _DELAY_SECONDS.fullmatch(text):
        digits = text.lstrip("0") or "0"
        return int(digits) if len(digits) <= _MAX_DELAY_DIGITS else 10**_MAX_DELAY_DIGITS
    try:
        when = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - now).total_seconds()
    return max(0, int(seconds + 0.999))  # rounded up: never before the time it named


def delay_after_failure(
    schedule: Sequence[int], attempt_number: int, *, retry_after: int | None = None, age: int | None = None
) -> int | None:
    """Seconds to wait after attempt ``attempt_number`` failed; ``None`` once the schedule is
    exhausted (the message has failed).

    Without ``retry_after``: the schedule's delay. With it (the receiver's ``Retry-After``, in
    seconds): that, but at most the schedule's longest delay (itself at most 12 h, SQS's
    visibility limit). Waiting *longer* than the schedule says is granted only while the
    message, with the schedule's delays for every attempt after the next, still ends within
    :data:`MAX_TOTAL_SECONDS` of being queued: ``age`` is how long ago that was (unknown:
    assumed to be the schedule's delays so far), so the queue (4 days) never drops it first.
    """
    scheduled = delay_before_attempt(schedule, attempt_number + 1)
    if scheduled is None or retry_after is None:
        return scheduled
    delay = max(0, min(retry_after, max(schedule), MAX_DELAY_SECONDS))
    if delay > scheduled:
        elapsed = age if age is not None else sum(schedule[:attempt_number])
        budget = MAX_TOTAL_SECONDS - elapsed - sum(schedule[attempt_number + 1 :])
        delay = max(scheduled, min(delay, budget))
    return delay
