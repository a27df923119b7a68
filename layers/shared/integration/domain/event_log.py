"""The tenant's event log: every event that reached the fan-out for a tenant, once per tenant.

An event of the log has an id ``evt_<ULID>`` whose time is the event's ``occurred_at`` (to the
millisecond), so the log lists newest first with one Query and a time window is a range of ids.
This service's own events keep their ``eventId`` (it is such an id); a platform event gets one
derived from its time and its source id (``detail.eventId``, else the bus event id), so handling
the same event twice gives the same id and the same record.

A replay job reads a window of it (:class:`integration.domain.jobs.EventWindow`): at most the
log's retention back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integration.domain.ids import decode_ulid_time_ms, encode_ulid, is_valid_id

EVENT_ID_PREFIX = "evt"


def _milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def logged_event_id(event_key: str, occurred_at: datetime) -> str:
    """The event's id in the log: ``event_key`` itself when it is an ``evt_`` id of that very
    millisecond, else the ULID of ``occurred_at`` with a hash of ``event_key`` as randomness."""
    if is_valid_id(event_key, EVENT_ID_PREFIX) and decode_ulid_time_ms(event_key[len(EVENT_ID_PREFIX) + 1 :]) == _milliseconds(occurred_at):
        return event_key
    digest = hashlib.sha256(event_key.encode("utf-8")).digest()
    return f"{EVENT_ID_PREFIX}_{encode_ulid(_milliseconds(occurred_at), int.from_bytes(digest[:10], 'big'))}"


@dataclass(frozen=True)
class LoggedEvent:
    """One event of a tenant's log."""

    id: str  # logged_event_id(source_id, occurred_at)
    tenant_id: str
    event_type: str
    source_id: str  # the TenantEvent's event_key: detail.eventId, else the bus event id
    occurred_at: datetime
    data: dict[str, Any]  # the payload's ``data`` (the bus event's whole ``detail``)
    webhook_ids: tuple[str, ...]  # the webhooks it was fanned out, replayed or recovered to
