"""API keys on the single table: a key item under the tenant, a lookup item under the hash.

The key item is also in ``GSI1`` under ``TENANT#<t>#APIKEYS#CREATEDBY#<credential>`` (sort key:
its own), so the keys one credential made are one Query: what an operator revoking a leaked key
needs to find everything it made.

Both items carry ``last_used_at`` once the key has been used. The authorizer reads it with the
lookup item (no extra read) and writes it at most once a minute (:meth:`record_use`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from integration.domain.api_keys import LAST_USED_RESOLUTION, ApiKey
from integration.domain.events import DomainEvent
from integration.domain.pagination import Page
from integration.infrastructure.outbox import outbox_put
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
    }


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
    )


class DynamoDBApiKeyRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, api_key: ApiKey, event: DomainEvent) -> None:
        lookup = {"PK": _lookup_pk(api_key.key_hash), "SK": LOOKUP_SK, "entity": "ApiKeyLookup", **_attributes(api_key)}
        if api_key.expires_at is not None:
            # Expired lookups are refused by the code at once; TTL only tidies them away later.
            lookup[TTL_ATTRIBUTE] = epoch_seconds(api_key.expires_at)
        self._client.transact_write_items(
            TransactItems=[
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
                outbox_put(self._table, event),
            ]
        )

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
        update = {
            "UpdateExpression": "SET revoked_at = :revoked_at",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(revoked_at)",
            "ExpressionAttributeValues": to_item({":revoked_at": iso(api_key.revoked_at)}),
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Update": {"TableName": self._table, "Key": to_item({"PK": tenant_pk(api_key.tenant_id), "SK": _key_sk(api_key.id)}), **update}},
                    {"Update": {"TableName": self._table, "Key": to_item({"PK": _lookup_pk(api_key.key_hash), "SK": LOOKUP_SK}), **update}},
                    outbox_put(self._table, event),
                ]
            )
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
