"""When to attempt a webhook delivery again: a schedule of delays, written like Svix's.

A schedule is comma-separated delays with a unit (``s``, ``m`` or ``h``), for example the
default ``"0s,5s,5m,30m,2h,5h,10h,10h"``: the first attempt at once, then retries 5 s, 5 min,
30 min, 2 h, 5 h, 10 h and 10 h after the previous attempt failed. Entry *n* is the delay
before attempt *n*; after the last entry the message has failed for good.

No delay may exceed 12 hours: retries wait by hiding the SQS message, and 12 hours is SQS's
maximum visibility timeout. The first delay is an SQS message delay, at most 15 minutes. At most
20 attempts (the delivery queue sends a message to its dead-letter queue after 25 receives),
together at most 3 days (the queue keeps a message 4 days).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

DEFAULT_RETRY_SCHEDULE = "0s,5s,5m,30m,2h,5h,10h,10h"
MAX_DELAY_SECONDS = 12 * 60 * 60  # SQS's maximum visibility timeout
MAX_FIRST_DELAY_SECONDS = 15 * 60  # SQS's maximum DelaySeconds
MAX_ATTEMPTS = 20
MAX_TOTAL_SECONDS = 3 * 24 * 60 * 60  # the delivery queue keeps a message 4 days

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 60 * 60}
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
