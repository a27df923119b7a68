"""Bus events in: an event as an EventBridge rule hands it to a target, read as the tenant event
the fan-out delivers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from integration.domain.deliveries import TenantEvent


def tenant_event(envelope: dict[str, Any]) -> TenantEvent | None:
    """An event as EventBridge hands it to a target (``detail-type``, ``detail``, ``time``, ...)
    as the tenant event the fan-out delivers; None when its detail carries no tenant.

    The payload's ``data`` is the whole ``detail``; its type the ``detail-type``; its time
    ``detail.occurredAt`` when that is an RFC 3339 time with a zone (this service's events carry
    it, to the millisecond), else the bus event's ``time`` (to the second). The message id
    derives from ``detail.eventId`` (this service's events: the same on every re-publish) or,
    for platform events without one, from the bus event ``id``.
    """
    detail = envelope.get("detail")
    if not isinstance(detail, dict):
        return None
    tenant_id = detail.get("tenantId")
    if not isinstance(tenant_id, str) or not tenant_id:
        return None
    occurred_at = _zoned_time(detail.get("occurredAt"))
    if occurred_at is None:
        occurred_at = datetime.fromisoformat(str(envelope["time"]).replace("Z", "+00:00"))
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
    event_key = detail.get("eventId") if isinstance(detail.get("eventId"), str) else None
    return TenantEvent(
        tenant_id=tenant_id,
        event_type=str(envelope["detail-type"]),
        event_key=event_key or str(envelope["id"]),
        occurred_at=occurred_at,
        data=detail,
    )


def _zoned_time(value: object) -> datetime | None:
    """An RFC 3339 date-time with a zone (``Z`` or an offset) as an aware datetime; else None."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = datetime.fromisoformat(value.upper())  # RFC 3339 also allows a lower-case t and z
    except ValueError:
        return None
    return None if parsed.tzinfo is None else parsed
