"""The one place the service reads the time, so tests can pin it, and the one way it writes a
time for anyone outside the service to read.

Every timestamp that leaves the service (API responses, domain events' ``detail``, webhook
payloads) is :func:`format_timestamp`'s: RFC 3339 in UTC, milliseconds, ``Z``. The one exception
is the ``webhook-timestamp`` header, whole seconds since the epoch as Standard Webhooks signs it.
Times read from callers (an API key's ``expires_at``) may be any RFC 3339 date-time with an offset.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
"""What every :func:`format_timestamp` result matches (the JSON Schemas' and OpenAPI's ``pattern``)."""
TIMESTAMP_EXAMPLE = "2026-12-01T23:35:12.123Z"


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """``moment`` as the service writes every time: ``2026-12-01T23:35:12.123Z`` (RFC 3339, UTC,
    milliseconds, truncated, never rounded up, ``Z``).

    :raises ValueError: a naive ``moment`` (it names no instant).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timestamp must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_timestamp_seconds(moment: datetime) -> str:
    """``moment`` in whole seconds: ``2026-12-01T23:35:12Z`` (RFC 3339, UTC, truncated, ``Z``);
    where a link carries a time (a portal link's ``expires_at``).

    :raises ValueError: a naive ``moment``.
    """
    return format_timestamp(moment.replace(microsecond=0)).replace(".000Z", "Z")
