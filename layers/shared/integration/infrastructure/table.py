"""The single-table layout: key builders, item (de)serialisation, opaque cursors.

Items (every key of a tenant's data starts with ``TENANT#<tenant>``):

| entity        | PK                      | SK                                 |
|---------------|-------------------------|------------------------------------|
| ApiKey        | ``TENANT#<t>``          | ``APIKEY#<key id>``                |
| ApiKeyLookup  | ``APIKEYHASH#<sha256>`` | ``APIKEYHASH``                     |
| OutboxEvent   | ``TENANT#<t>``          | ``OUTBOX#<aggregate id>#<event id>`` |

``ApiKeyLookup`` is the one item not under a tenant: the authorizer does not know the tenant
before it has read it. It holds no plaintext, and its key is a hash that only the key's holder
can compute.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from integration.domain.errors import InvalidFieldError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

TTL_ATTRIBUTE = "ttl"


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values to DynamoDB attribute values, dropping None."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def parse_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def epoch_seconds(value: datetime) -> int:
    return int(value.timestamp())


def _tenant_digest(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode("utf-8")).hexdigest()[:16]


def encode_cursor(tenant_id: str, sort_key: str) -> str:
    """An opaque cursor that resumes after ``sort_key`` and is only valid for ``tenant_id``."""
    payload = json.dumps({"k": sort_key, "t": _tenant_digest(tenant_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(tenant_id: str, cursor: str, sort_key_prefix: str) -> str:
    """The sort key a cursor resumes after; a 422 on ``cursor`` when it is not this listing's."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        sort_key, digest = payload["k"], payload["t"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise InvalidFieldError("cursor", "is not a valid cursor") from None
    if not isinstance(sort_key, str) or digest != _tenant_digest(tenant_id) or not sort_key.startswith(sort_key_prefix):
        raise InvalidFieldError("cursor", "is not a valid cursor") from None
    return sort_key
