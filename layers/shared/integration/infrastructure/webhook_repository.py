"""Webhooks on the single table; see :mod:`integration.infrastructure.table` for the layout.

Optimistic concurrency: a webhook item carries ``version`` (1 at create). Every write of a
setting (PUT, PATCH and rotation: :meth:`DynamoDBWebhookRepository.replace`; soft delete;
disabling) is conditional on the state it was computed from and sets the next version. The
delivery function's health marks (``failing_since``, shown as health, and ``failing_attempts``)
do not change the version; ``replace`` puts the whole item, so it is conditional on the health
marks it read as well as on the version: it never writes back a mark that changed meanwhile.

The reads, and the delivery function's health marks, write no domain event: the outbox is
imported by the writes that put one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from integration.domain.errors import LimitExceededError
from integration.domain.event_types import WILDCARD
from integration.domain.pagination import Page
from integration.domain.webhooks import Webhook, WebhookStatus, WebhookVersionConflict
from integration.infrastructure.table import (
    GSI1,
    failed_conditions,
    from_item,
    get_item,
    iso,
    parse_iso,
    query_listing,
    tenant_pk,
    to_item,
)

if TYPE_CHECKING:
    from integration.domain.events import DomainEvent

IMPORTED_ON_FIRST_USE = ("integration.infrastructure.outbox",)
"""By the writes that put a domain event (:mod:`integration.entrypoints.snapstart` imports it at
INIT where INIT runs ahead of any request)."""

WEBHOOK_SK_PREFIX = "WEBHOOK#"
DELETED_SK_PREFIX = "DELETEDWEBHOOK#"
QUOTA_SK = "QUOTA#WEBHOOKS"


def _status_partition(tenant_id: str, status: WebhookStatus) -> str:
    return f"{tenant_pk(tenant_id)}#WEBHOOKS#{status.value}"


def _attributes(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "tenant_id": webhook.tenant_id,
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "description": webhook.description,
        "status": webhook.status.value,
        "secret": webhook.secret,
        "created_at": iso(webhook.created_at),
        "updated_at": iso(webhook.updated_at),
        "deleted_at": iso(webhook.deleted_at),
        "previous_secret": webhook.previous_secret,
        "previous_secret_expires_at": iso(webhook.previous_secret_expires_at),
        "failing_since": iso(webhook.failing_since),
        "failing_attempts": webhook.failing_attempts or None,
        "disabled_reason": webhook.disabled_reason,
        "version": webhook.version,
    }


def _live_item(webhook: Webhook) -> dict[str, Any]:
    return to_item(
        {
            "PK": tenant_pk(webhook.tenant_id),
            "SK": WEBHOOK_SK_PREFIX + webhook.id,
            "GSI1PK": _status_partition(webhook.tenant_id, webhook.status),
            "GSI1SK": WEBHOOK_SK_PREFIX + webhook.id,
            "entity": "Webhook",
            **_attributes(webhook),
        }
    )


def _to_webhook(item: dict[str, Any]) -> Webhook:
    values = from_item(item)
    return Webhook(
        id=values["id"],
        tenant_id=values["tenant_id"],
        name=values["name"],
        url=values["url"],
        events=tuple(values["events"]),
        description=values.get("description"),
        status=WebhookStatus(values["status"]),
        secret=values["secret"],
        created_at=parse_iso(values["created_at"]),
        updated_at=parse_iso(values["updated_at"]),
        deleted_at=parse_iso(values.get("deleted_at")),
        previous_secret=values.get("previous_secret"),
        previous_secret_expires_at=parse_iso(values.get("previous_secret_expires_at")),
        failing_since=parse_iso(values.get("failing_since")),
        failing_attempts=int(values.get("failing_attempts", 0)),
        disabled_reason=values.get("disabled_reason"),
        version=int(values["version"]),
    )


def _version_condition(expected_version: int) -> tuple[str, dict[str, Any]]:
    """A condition that the item exists at ``expected_version``."""
    return "#version = :expected_version", {":expected_version": expected_version}


def _unchanged_condition(expected: Webhook, *, health: bool = True) -> dict[str, Any]:
    """ConditionExpression and its names and values: the item is still ``expected`` as far as
    any writer changes it (its version and, with ``health``, the delivery function's health
    marks, which change without a new version)."""
    condition, values = _version_condition(expected.version)
    if health and expected.failing_since is None:
        condition += " AND attribute_not_exists(failing_since)"
    elif health:
        condition += " AND failing_since = :expected_failing_since"
        values[":expected_failing_since"] = iso(expected.failing_since)
    if health and not expected.failing_attempts:
        condition += " AND attribute_not_exists(failing_attempts)"
    elif health:
        condition += " AND failing_attempts = :expected_failing_attempts"
        values[":expected_failing_attempts"] = expected.failing_attempts
    return {
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#version": "version"},
        **({"ExpressionAttributeValues": to_item(values)} if values else {}),
    }


class DynamoDBWebhookRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, webhook: Webhook) -> dict[str, Any]:
        return to_item({"PK": tenant_pk(webhook.tenant_id), "SK": WEBHOOK_SK_PREFIX + webhook.id})

    def _quota_key(self, tenant_id: str) -> dict[str, Any]:
        return to_item({"PK": tenant_pk(tenant_id), "SK": QUOTA_SK})

    def add(self, webhook: Webhook, event: DomainEvent, *, max_per_tenant: int) -> None:
        from integration.infrastructure.outbox import outbox_put

        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._quota_key(webhook.tenant_id),
                            "UpdateExpression": "SET #count = if_not_exists(#count, :zero) + :one, entity = :entity",
                            "ConditionExpression": "attribute_not_exists(#count) OR #count < :max",
                            "ExpressionAttributeNames": {"#count": "webhook_count"},
                            "ExpressionAttributeValues": to_item({":zero": 0, ":one": 1, ":max": max_per_tenant, ":entity": "WebhookQuota"}),
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": _live_item(webhook), "ConditionExpression": "attribute_not_exists(PK)"}},
                    outbox_put(self._table, event),
                ]
            )
        except self._client.exceptions.TransactionCanceledException as error:
            if 0 in failed_conditions(error):
                raise LimitExceededError(f"a tenant can have at most {max_per_tenant} webhooks; delete one first") from None
            raise

    def get(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        item = get_item(self._client, self._table, tenant_pk(tenant_id), WEBHOOK_SK_PREFIX + webhook_id)
        return None if item is None else _to_webhook(item)

    def list(self, tenant_id: str, *, status: WebhookStatus | None, limit: int, cursor: str | None) -> Page[Webhook]:
        # All statuses: the table's own range (deleted ones are outside it); one: the sparse index.
        return query_listing(
            self._client,
            self._table,
            tenant_id=tenant_id,
            pk=tenant_pk(tenant_id),
            sort_key_prefix=WEBHOOK_SK_PREFIX,
            index_pk=None if status is None else _status_partition(tenant_id, status),
            limit=limit,
            cursor=cursor,
            convert=_to_webhook,
            listing=status.value if status is not None else "",
        )

    def _conflict(self, webhook: Webhook, error: Exception) -> WebhookVersionConflict:
        """The conflict a failed condition on the webhook item (entry 0) means, with the item
        as it is now (``ReturnValuesOnConditionCheckFailure``), or None when it is gone."""
        reasons = getattr(error, "response", {}).get("CancellationReasons", [])
        item = reasons[0].get("Item") if reasons else None
        return WebhookVersionConflict(webhook.id, _to_webhook(item) if item else None)

    def replace(self, webhook: Webhook, event: DomainEvent, *, expected: Webhook) -> None:
        from integration.infrastructure.outbox import outbox_put

        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": _live_item(webhook),
                            **_unchanged_condition(expected),
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    outbox_put(self._table, event),
                ]
            )
        except self._client.exceptions.TransactionCanceledException as error:
            if 0 in failed_conditions(error):
                raise self._conflict(webhook, error) from None
            raise

    def delete(self, webhook: Webhook, event: DomainEvent) -> None:
        from integration.infrastructure.outbox import outbox_put

        # The secrets go; a deleted webhook signs nothing.
        deleted = {**_attributes(webhook), "deleted_at": iso(event.occurred_at), "secret": None, "previous_secret": None}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._key(webhook),
                            # The record kept holds the state read: it must still be current.
                            **_unchanged_condition(webhook, health=False),
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {"PK": tenant_pk(webhook.tenant_id), "SK": DELETED_SK_PREFIX + webhook.id, "entity": "DeletedWebhook", **deleted}
                            ),
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._quota_key(webhook.tenant_id),
                            "UpdateExpression": "SET #count = #count - :one",
                            "ConditionExpression": "#count > :zero",
                            "ExpressionAttributeNames": {"#count": "webhook_count"},
                            "ExpressionAttributeValues": to_item({":zero": 0, ":one": 1}),
                        }
                    },
                    outbox_put(self._table, event),
                ]
            )
        except self._client.exceptions.TransactionCanceledException as error:
            if 0 in failed_conditions(error):
                raise self._conflict(webhook, error) from None
            raise

    def active_subscribers(self, tenant_id: str, event_type: str) -> list[str]:
        """One Query on the sparse index (every page of it: a tenant has at most a few hundred)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk",
            "FilterExpression": "contains(events, :type) OR contains(events, :all)",
            "ProjectionExpression": "id",
            "ExpressionAttributeValues": to_item(
                {":pk": _status_partition(tenant_id, WebhookStatus.ACTIVE), ":type": event_type, ":all": WILDCARD}
            ),
        }
        ids: list[str] = []
        while True:
            response = self._client.query(**params)
            ids.extend(item["id"]["S"] for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return ids
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def mark_failing(self, webhook: Webhook, since: datetime) -> None:
        # ADD counts concurrent failures without losing one; if_not_exists keeps the run's start.
        self._conditional_update(
            webhook,
            UpdateExpression="SET failing_since = if_not_exists(failing_since, :since) ADD failing_attempts :one",
            ConditionExpression="attribute_exists(PK)",  # never brings a deleted webhook back
            ExpressionAttributeValues=to_item({":since": iso(since), ":one": 1}),
        )

    def mark_recovered(self, webhook: Webhook) -> None:
        self._conditional_update(
            webhook,
            UpdateExpression="REMOVE failing_since, failing_attempts",
            ConditionExpression="attribute_exists(failing_since) OR attribute_exists(failing_attempts)",
        )

    def _conditional_update(self, webhook: Webhook, **update: Any) -> None:
        """An UpdateItem whose failed condition means another writer got there first: fine."""
        try:
            self._client.update_item(TableName=self._table, Key=self._key(webhook), **update)
        except self._client.exceptions.ConditionalCheckFailedException:
            pass

    def disable(self, webhook: Webhook, event: DomainEvent, *, same_run: bool = True) -> bool:
        from integration.infrastructure.outbox import outbox_put

        if not same_run:  # 410 Gone: whatever other attempts did meanwhile
            condition, since = "#status = :active", {}
        elif webhook.failing_since is None:
            condition, since = "#status = :active AND attribute_not_exists(failing_since)", {}
        else:
            condition, since = "#status = :active AND failing_since = :since", {":since": iso(webhook.failing_since)}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": self._key(webhook),
                            # Conditional on what it depends on (still active; unless for a 410,
                            # still the same run of failures), not on the version: a PUT that kept
                            # both is no reason to give up; it lands on top of that PUT (and a PUT
                            # racing it retries).
                            "UpdateExpression": (
                                "SET #status = :disabled, GSI1PK = :gsi1pk, updated_at = :now, disabled_reason = :reason,"
                                " #version = #version + :one REMOVE failing_since, failing_attempts"
                            ),
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
                            "ExpressionAttributeValues": to_item(
                                {
                                    ":one": 1,
                                    ":disabled": WebhookStatus.DISABLED.value,
                                    ":active": WebhookStatus.ACTIVE.value,
                                    ":gsi1pk": _status_partition(webhook.tenant_id, WebhookStatus.DISABLED),
                                    ":now": iso(event.occurred_at),
                                    ":reason": str(event.data["reason"]),
                                    **since,
                                }
                            ),
                        }
                    },
                    outbox_put(self._table, event),
                ]
            )
        except self._client.exceptions.TransactionCanceledException as error:
            if 0 in failed_conditions(error):
                return False
            raise
        return True
