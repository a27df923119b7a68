"""API keys on the single table: a key item under the tenant, a lookup item under the hash.

The key item is also in ``GSI1`` under ``TENANT#<t>#APIKEYS#CREATEDBY#<credential>`` (sort key:
its own), so the keys one credential made are one Query: what an operator revoking a leaked key
needs to find everything it made.

Both items carry ``last_used_at`` once the key has been used. The authorizer reads it with the
lookup item (no extra read) and writes it at most once a minute (:meth:`record_use`). It never
writes a domain event: the outbox is imported by the writes that put one.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from integration.domain.api_key import LAST_USED_RESOLUTION, ApiKey
from integration.infrastructure.table import (
    TTL_ATTRIBUTE,
    epoch_seconds,
    failed_conditions,
    from_item,
    get_item,
    iso,
    parse_iso,
    query_listing,
    sortable_time,
    tenant_pk,
    to_item,
)

if TYPE_CHECKING:
    from integration.domain.events import DomainEvent
    from integration.domain.pagination import Page

IMPORTED_ON_FIRST_USE = ("integration.infrastructure.outbox",)
"""By the writes that put a domain event (:mod:`integration.entrypoints.snapstart` imports it at
INIT where INIT runs ahead of any request)."""


@functools.cache
def _logger() -> Logger:
    """Made on first use, not at import: this module is imported before Powertools' environment
    is read in some processes (tests), and the child must find its service's logger."""
    return Logger(child=True)


API_KEY_SK_PREFIX = "APIKEY#"
LOOKUP_SK = "APIKEYHASH"


def _key_sk(api_key_id: str) -> str:
    return f"{API_KEY_SK_PREFIX}{api_key_id}"


def _lookup_pk(key_hash: str) -> str:
    return f"APIKEYHASH#{key_hash}"


def _created_by_partition(tenant_id: str, created_by: str) -> str:
    return f"{tenant_pk(tenant_id)}#APIKEYS#CREATEDBY#{created_by}"


def _attributes(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "tenant_id": key.tenant_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "key_hash": key.key_hash,
        "prefix": key.prefix,
        "created_at": iso(key.created_at),
        "created_by": key.created_by,
        "expires_at": iso(key.expires_at),
        "revoked_at": iso(key.revoked_at),
        "revoked_reason": key.revoked_reason,
        "description": key.description,
        "metadata": _metadata_json(key),
        "rolled_from": key.rolled_from,
    }


def _metadata_json(key: ApiKey) -> str | None:
    """Metadata is stored as its JSON text: any JSON value, numbers exactly as sent."""
    return None if key.metadata is None else json.dumps(key.metadata, separators=(",", ":"), ensure_ascii=False)


def _to_api_key(item: dict[str, Any]) -> ApiKey:
    values = from_item(item)
    return ApiKey(
        id=values["id"],
        tenant_id=values["tenant_id"],
        name=values["name"],
        scopes=tuple(values["scopes"]),
        key_hash=values["key_hash"],
        prefix=values["prefix"],
        created_at=parse_iso(values["created_at"]),
        created_by=values["created_by"],
        expires_at=parse_iso(values.get("expires_at")),
        revoked_at=parse_iso(values.get("revoked_at")),
        last_used_at=parse_iso(values.get("last_used_at")),
        description=values.get("description"),
        metadata=None if values.get("metadata") is None else json.loads(values["metadata"]),
        rolled_from=values.get("rolled_from"),
        revoked_reason=values.get("revoked_reason"),
    )


class DynamoDBApiKeyRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, api_key: ApiKey, event: DomainEvent) -> None:
        from integration.infrastructure.outbox import outbox_put

        self._client.transact_write_items(TransactItems=[*self._new_key_puts(api_key), outbox_put(self._table, event)])

    def _new_key_puts(self, api_key: ApiKey) -> list[dict[str, Any]]:
        """The two writes of a new key: its item and its lookup item."""
        lookup = {"PK": _lookup_pk(api_key.key_hash), "SK": LOOKUP_SK, "entity": "ApiKeyLookup", **_attributes(api_key)}
        if api_key.expires_at is not None:
            # Expired lookups are refused by the code at once; TTL only tidies them away later.
            lookup[TTL_ATTRIBUTE] = epoch_seconds(api_key.expires_at)
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "PK": tenant_pk(api_key.tenant_id),
                            "SK": _key_sk(api_key.id),
                            "GSI1PK": _created_by_partition(api_key.tenant_id, api_key.created_by),
                            "GSI1SK": _key_sk(api_key.id),
                            "entity": "ApiKey",
                            **_attributes(api_key),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Put": {"TableName": self._table, "Item": to_item(lookup), "ConditionExpression": "attribute_not_exists(PK)"}},
        ]

    def get(self, tenant_id: str, api_key_id: str) -> ApiKey | None:
        item = get_item(self._client, self._table, tenant_pk(tenant_id), _key_sk(api_key_id))
        return None if item is None else _to_api_key(item)

    def list(self, tenant_id: str, *, created_by: str | None, limit: int, cursor: str | None) -> Page[ApiKey]:
        # Every key: the table's own range; those one credential made: its GSI1 partition.
        return query_listing(
            self._client,
            self._table,
            tenant_id=tenant_id,
            pk=tenant_pk(tenant_id),
            sort_key_prefix=API_KEY_SK_PREFIX,
            index_pk=None if created_by is None else _created_by_partition(tenant_id, created_by),
            limit=limit,
            cursor=cursor,
            convert=_to_api_key,
            listing="" if created_by is None else f"created_by:{created_by}",
        )

    def save_revocation(self, api_key: ApiKey, event: DomainEvent) -> bool:
        from integration.infrastructure.outbox import outbox_put

        update = {
            "UpdateExpression": "SET revoked_at = :revoked_at, revoked_reason = :reason",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(revoked_at)",
            "ExpressionAttributeValues": to_item({":revoked_at": iso(api_key.revoked_at), ":reason": api_key.revoked_reason}),
        }
        return self._transact([*self._both_items(api_key, update), outbox_put(self._table, event)])

    def save_update(self, api_key: ApiKey, event: DomainEvent, *, expected: ApiKey) -> bool:
        from integration.infrastructure.outbox import outbox_put

        values: dict[str, Any] = {":name": api_key.name, ":scopes": list(api_key.scopes), ":expected_scopes": list(expected.scopes)}
        sets = ["#name = :name", "scopes = :scopes"]
        removes = []
        for name, value in (("description", api_key.description), ("metadata", _metadata_json(api_key))):
            if value is None:
                removes.append(name)
            else:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = value
        update = {
            "UpdateExpression": f"SET {', '.join(sets)}" + (f" REMOVE {', '.join(removes)}" if removes else ""),
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(revoked_at) AND scopes = :expected_scopes",
            "ExpressionAttributeNames": {"#name": "name"},
            "ExpressionAttributeValues": to_item(values),
        }
        return self._transact([*self._both_items(api_key, update), outbox_put(self._table, event)])

    def save_roll(self, new_key: ApiKey, previous: ApiKey, event: DomainEvent, *, expected: ApiKey) -> bool:
        from integration.infrastructure.outbox import outbox_put

        if previous.expires_at is None:
            raise ValueError("a rolled key always gets an expiry")
        condition = "attribute_exists(PK) AND attribute_not_exists(revoked_at) AND "
        values: dict[str, Any] = {":expires_at": iso(previous.expires_at)}
        if expected.expires_at is None:
            condition += "attribute_not_exists(expires_at)"
        else:
            condition += "expires_at = :expected_expires_at"
            values[":expected_expires_at"] = iso(expected.expires_at)
        key_update = {"UpdateExpression": "SET expires_at = :expires_at", "ConditionExpression": condition, "ExpressionAttributeValues": to_item(values)}
        lookup_update = {
            **key_update,
            "UpdateExpression": "SET expires_at = :expires_at, #ttl = :ttl",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": to_item({**values, ":ttl": epoch_seconds(previous.expires_at)}),
        }
        key_item, lookup_item = self._both_items(previous, key_update)
        lookup_item["Update"].update(lookup_update)
        return self._transact([*self._new_key_puts(new_key), key_item, lookup_item, outbox_put(self._table, event)])

    def _both_items(self, api_key: ApiKey, update: dict[str, Any]) -> list[dict[str, Any]]:
        """The same update of the key item and of its lookup item (which mirrors it)."""
        return [
            {"Update": {"TableName": self._table, "Key": to_item({"PK": tenant_pk(api_key.tenant_id), "SK": _key_sk(api_key.id)}), **update}},
            {"Update": {"TableName": self._table, "Key": to_item({"PK": _lookup_pk(api_key.key_hash), "SK": LOOKUP_SK}), **update}},
        ]

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        """One transaction; False, having written nothing, when one of its conditions failed."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            if failed_conditions(error):
                return False
            raise
        return True

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        item = get_item(self._client, self._table, _lookup_pk(key_hash), LOOKUP_SK)
        return None if item is None else _to_api_key(item)

    def record_use(self, api_key: ApiKey, at: datetime) -> bool:
        """Set ``last_used_at`` on the lookup item, then on the key item; best effort, never raises.

        The lookup item's write is conditional on its stored time being a minute old (or absent),
        so authorizers racing on one key write once. Two single-item writes, not a transaction:
        half the write cost, and a single write that collides with a transaction (a revocation)
        is the one DynamoDB rejects, so a use can never make a revocation fail. The key item is
        the copy the API shows; if its write fails it lags until the next recorded use.
        """
        used_at = sortable_time(at)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"PK": _lookup_pk(api_key.key_hash), "SK": LOOKUP_SK}),
                UpdateExpression="SET last_used_at = :at",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at <= :due)",
                ExpressionAttributeValues=to_item({":at": used_at, ":due": sortable_time(at - LAST_USED_RESOLUTION)}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False  # another authorizer recorded a use within the minute (or the key is gone)
        except Exception as error:  # noqa: BLE001 - recording a use must never refuse the request
            _logger().warning("could not record the API key's last use", api_key_id=api_key.id, error=type(error).__name__)
            return False
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"PK": tenant_pk(api_key.tenant_id), "SK": _key_sk(api_key.id)}),
                UpdateExpression="SET last_used_at = :at",
                ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at < :at)",
                ExpressionAttributeValues=to_item({":at": used_at}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass  # a later use is already shown, or the key item is gone
        except Exception as error:  # noqa: BLE001
            _logger().warning("could not record the API key's last use", api_key_id=api_key.id, error=type(error).__name__)
        return True
