"""The single-table layout: key builders, item (de)serialisation, opaque cursors.

Items (every key of a tenant's data starts with ``TENANT#<tenant>``):

| entity        | PK                      | SK                                 |
|---------------|-------------------------|------------------------------------|
| ApiKey        | ``TENANT#<t>``          | ``APIKEY#<key id>``                |
| ApiKeyLookup  | ``APIKEYHASH#<sha256>`` | ``APIKEYHASH``                     |
| OutboxEvent   | ``TENANT#<t>``          | ``OUTBOX#<aggregate id>#<event id>`` |
| Webhook       | ``TENANT#<t>``          | ``WEBHOOK#<webhook id>``           |
| DeletedWebhook| ``TENANT#<t>``          | ``DELETEDWEBHOOK#<webhook id>``    |
| WebhookQuota  | ``TENANT#<t>``          | ``QUOTA#WEBHOOKS``                 |

Index ``GSI1`` (sparse): a webhook also has ``GSI1PK`` = ``TENANT#<t>#WEBHOOKS#<status>`` and
``GSI1SK`` = ``WEBHOOK#<id>``, so listing by status is one Query; an API key has ``GSI1PK`` =
``TENANT#<t>#APIKEYS#CREATEDBY#<credential>`` and ``GSI1SK`` = ``APIKEY#<id>``, so the keys one
credential made are one Query. Soft-deleted webhooks move to
``DELETEDWEBHOOK#`` and lose the index keys: no listing's pages ever hold them.

``ApiKeyLookup`` is the one item not under a tenant: the authorizer does not know the tenant
before it has read it. It holds no plaintext, and its key is a hash that only the key's holder
can compute.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from integration.domain.errors import InvalidFieldError
from integration.domain.pagination import Page

T = TypeVar("T")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

TTL_ATTRIBUTE = "ttl"
GSI1 = "GSI1"


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values to DynamoDB attribute values, dropping None."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def sortable_time(value: datetime) -> str:
    """UTC with microseconds, always the same width: such strings sort and compare as the times
    do, so a key condition or a condition expression can compare them."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def epoch_seconds(value: datetime) -> int:
    return int(value.timestamp())


def _tenant_digest(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode("utf-8")).hexdigest()[:16]


def encode_cursor(tenant_id: str, sort_key: str, listing: str = "") -> str:
    """An opaque cursor that resumes after ``sort_key``, only valid for ``tenant_id`` and for
    the ``listing`` it came from (e.g. one status filter)."""
    payload = json.dumps({"k": sort_key, "t": _tenant_digest(tenant_id), "l": listing}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(tenant_id: str, cursor: str, sort_key_prefix: str, listing: str = "") -> str:
    """The sort key a cursor resumes after; a 422 on ``cursor`` when it is not this listing's."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        sort_key, digest, cursor_listing = payload["k"], payload["t"], payload.get("l", "")
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeError):
        raise InvalidFieldError("cursor", "is not a valid cursor") from None
    if (
        not isinstance(sort_key, str)
        or digest != _tenant_digest(tenant_id)
        or cursor_listing != listing
        or not sort_key.startswith(sort_key_prefix)
    ):
        raise InvalidFieldError("cursor", "is not a valid cursor") from None
    return sort_key


def failed_conditions(error: Exception) -> set[int]:
    """Positions of the TransactWriteItems entries whose condition failed (empty: another cause)."""
    reasons = getattr(error, "response", {}).get("CancellationReasons", [])
    return {index for index, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}


def get_item(client: Any, table: str, pk: str, sk: str) -> dict[str, Any] | None:
    """One strongly consistent GetItem; None when there is no such item."""
    return client.get_item(TableName=table, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=True).get("Item")


def query_page(
    client: Any,
    query: dict[str, Any],
    *,
    tenant_id: str,
    limit: int,
    cursor: str | None,
    sort_key_prefix: str,
    start_key: Callable[[str], dict[str, str]],
    convert: Callable[[dict[str, Any]], T],
    listing: str = "",
) -> Page[T]:
    """One Query for one page of a tenant's listing, newest first.

    Asks for ``limit + 1`` items: the extra one only tells whether a next page exists, so the
    last page has no cursor (and no client ever fetches an empty page). ``start_key`` builds the
    ExclusiveStartKey from the sort key a cursor resumes after.
    """
    params = {**query, "ScanIndexForward": False, "Limit": limit + 1}
    if cursor is not None:
        params["ExclusiveStartKey"] = to_item(start_key(decode_cursor(tenant_id, cursor, sort_key_prefix, listing)))
    items = client.query(**params).get("Items", [])
    if len(items) <= limit:
        return Page([convert(item) for item in items], None)
    items = items[:limit]
    last_sort_key = items[-1]["SK"]["S"]
    return Page([convert(item) for item in items], encode_cursor(tenant_id, last_sort_key, listing))


def query_listing(
    client: Any,
    table: str,
    *,
    tenant_id: str,
    pk: str,
    sort_key_prefix: str,
    index_pk: str | None,
    limit: int,
    cursor: str | None,
    convert: Callable[[dict[str, Any]], T],
    listing: str,
) -> Page[T]:
    """One page of a listing that is either every item of ``pk`` under ``sort_key_prefix`` (a
    consistent Query on the table) or, with ``index_pk``, one partition (a status, a creator) of
    the sparse ``GSI1`` whose sort key is the item's own (eventually consistent)."""
    if index_pk is None:
        query = {
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": pk, ":prefix": sort_key_prefix}),
            "ConsistentRead": True,
        }
    else:
        query = {"IndexName": GSI1, "KeyConditionExpression": "GSI1PK = :pk", "ExpressionAttributeValues": to_item({":pk": index_pk})}

    def start_key(sort_key: str) -> dict[str, str]:
        key = {"PK": pk, "SK": sort_key}
        if index_pk is not None:
            key |= {"GSI1PK": index_pk, "GSI1SK": sort_key}
        return key

    return query_page(
        client,
        {"TableName": table, **query},
        tenant_id=tenant_id,
        limit=limit,
        cursor=cursor,
        sort_key_prefix=sort_key_prefix,
        start_key=start_key,
        convert=convert,
        listing=listing,
    )
