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
| LoggedEvent   | ``TENANT#<t>#EVENTS``   | ``EVENT#<event id>``               |

Index ``GSI1`` (sparse): a webhook also has ``GSI1PK`` = ``TENANT#<t>#WEBHOOKS#<status>`` and
``GSI1SK`` = ``WEBHOOK#<id>``, so listing by status is one Query; an API key has ``GSI1PK`` =
``TENANT#<t>#APIKEYS#CREATEDBY#<credential>`` and ``GSI1SK`` = ``APIKEY#<id>``, so the keys one
credential made are one Query; a logged event (the tenant's event log,
:mod:`integration.infrastructure.event_log`) has ``GSI1PK`` = ``TENANT#<t>#EVENTS#TYPE#<type>`` and
``GSI1SK`` = ``EVENT#<id>``, so one type's events are one Query. A ``LoggedEvent`` holds ``id``,
``tenant_id``, ``event_type``, ``source_id``, ``occurred_at``, ``payload`` (the data's JSON text),
``webhook_ids`` (a string set each write ``ADD``s to), ``recorded_at`` and ``ttl``
(``EventLogRetentionInDays``); event ids are ULIDs of the event's time, so a time window is a
range of sort keys. Soft-deleted webhooks move to
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
from typing import TYPE_CHECKING, Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from integration.domain.errors import InvalidFieldError

if TYPE_CHECKING:
    from integration.domain.pagination import Page

T = TypeVar("T")

IMPORTED_ON_FIRST_USE = ("integration.domain.pagination",)
"""By a listing's first page (:func:`query_page`): a function that only reads and writes items
(the authorizer) never loads it."""

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


MAX_FILTERED_QUERIES = 10
"""The most Queries one page of a filtered listing (a FilterExpression) makes."""
_FILTERED_QUERY_LIMIT = 100
_SORT_KEY_END = "~"  # after every character of an id: ``<prefix>~`` closes an open range


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
    """One page of a tenant's listing, newest first.

    Asks for ``limit + 1`` items: the extra one only tells whether a next page exists, so the
    last page of an unfiltered listing has no cursor (and no client ever fetches an empty page).
    ``start_key`` builds the ExclusiveStartKey from the sort key a cursor resumes after.

    With a ``FilterExpression`` in ``query``, DynamoDB's ``Limit`` counts the items read, not
    those that match: the page then Queries again from ``LastEvaluatedKey`` until it has
    ``limit + 1`` matches, the range is read, or it has made :data:`MAX_FILTERED_QUERIES`
    Queries. In that last case the page may hold fewer than ``limit`` items (even none) and
    still have a cursor, which resumes after the last item read; a client keeps following
    ``next_cursor`` until it is null. Without a filter a page is always one Query.
    """
    from integration.domain.pagination import Page

    filtered = "FilterExpression" in query
    params = {**query, "ScanIndexForward": False, "Limit": max(limit + 1, _FILTERED_QUERY_LIMIT) if filtered else limit + 1}
    if cursor is not None:
        params["ExclusiveStartKey"] = to_item(start_key(decode_cursor(tenant_id, cursor, sort_key_prefix, listing)))
    items: list[dict[str, Any]] = []
    last_read: str | None = None
    for _ in range(MAX_FILTERED_QUERIES if filtered else 1):
        response = client.query(**params)
        items.extend(response.get("Items", []))
        evaluated = response.get("LastEvaluatedKey")
        if len(items) > limit or not filtered or evaluated is None:
            last_read = None
            break
        params["ExclusiveStartKey"] = evaluated
        last_read = evaluated["SK"]["S"]
    if len(items) > limit:
        items = items[:limit]
        return Page([convert(item) for item in items], encode_cursor(tenant_id, items[-1]["SK"]["S"], listing))
    # Only a filtered listing that stopped at its bound of Queries gets here with a cursor.
    return Page([convert(item) for item in items], None if last_read is None else encode_cursor(tenant_id, last_read, listing))


def sort_key_condition(name: str, prefix: str, low: str | None, high: str | None) -> tuple[str, dict[str, str]]:
    """The key condition on sort key ``name`` for items under ``prefix``, optionally between
    ``prefix + low`` and ``prefix + high`` (both included; None: open at that end)."""
    if low is None and high is None:
        return f"begins_with({name}, :prefix)", {":prefix": prefix}
    return f"{name} BETWEEN :low AND :high", {":low": prefix + (low or ""), ":high": prefix + (high or _SORT_KEY_END)}


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
    sort_key_range: tuple[str | None, str | None] = (None, None),
    filter_expression: tuple[str, dict[str, str], dict[str, Any]] | None = None,
) -> Page[T]:
    """One page of a listing that is either every item of ``pk`` under ``sort_key_prefix`` (a
    consistent Query on the table) or, with ``index_pk``, one partition (a status, a creator) of
    the sparse ``GSI1`` whose sort key is the item's own (eventually consistent).

    ``sort_key_range``: only the items whose sort key, after the prefix, is between these (both
    included; None: open at that end), a key condition. ``filter_expression``: (expression,
    names, values) for the items read, see :func:`query_page` for what it does to a page. The
    ``listing`` a cursor is bound to must name every filter and range.
    """
    low, high = sort_key_range
    sort_key = "SK" if index_pk is None else "GSI1SK"
    condition, values = sort_key_condition(sort_key, sort_key_prefix, low, high)
    if index_pk is None:
        query: dict[str, Any] = {"KeyConditionExpression": f"PK = :pk AND {condition}", "ConsistentRead": True}
        values |= {":pk": pk}
    else:
        query = {"IndexName": GSI1, "KeyConditionExpression": f"GSI1PK = :pk AND {condition}"}
        values |= {":pk": index_pk}
    attribute_values = to_item(values)
    if filter_expression is not None:
        expression, names, filter_values = filter_expression
        query["FilterExpression"] = expression
        if names:
            query["ExpressionAttributeNames"] = names
        attribute_values |= to_item(filter_values)
    query["ExpressionAttributeValues"] = attribute_values

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
