"""API keys on the single table: a key item under the tenant, a lookup item under the hash."""

from __future__ import annotations

from typing import Any

from integration.domain.api_keys import ApiKey
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
    query_page,
    tenant_pk,
    to_item,
)

API_KEY_SK_PREFIX = "APIKEY#"
LOOKUP_SK = "APIKEYHASH"


def _key_sk(api_key_id: str) -> str:
    return f"{API_KEY_SK_PREFIX}{api_key_id}"


def _lookup_pk(key_hash: str) -> str:
    return f"APIKEYHASH#{key_hash}"


def _attributes(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "tenant_id": key.tenant_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "key_hash": key.key_hash,
        "prefix": key.prefix,
        "created_at": iso(key.created_at),
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
        expires_at=parse_iso(values.get("expires_at")),
        revoked_at=parse_iso(values.get("revoked_at")),
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
                            {"PK": tenant_pk(api_key.tenant_id), "SK": _key_sk(api_key.id), "entity": "ApiKey", **_attributes(api_key)}
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

    def list(self, tenant_id: str, *, limit: int, cursor: str | None) -> Page[ApiKey]:
        return query_page(
            self._client,
            {
                "TableName": self._table,
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
                "ExpressionAttributeValues": to_item({":pk": tenant_pk(tenant_id), ":prefix": API_KEY_SK_PREFIX}),
                "ConsistentRead": True,
            },
            tenant_id=tenant_id,
            limit=limit,
            cursor=cursor,
            sort_key_prefix=API_KEY_SK_PREFIX,
            start_key=lambda sort_key: {"PK": tenant_pk(tenant_id), "SK": sort_key},
            convert=_to_api_key,
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
