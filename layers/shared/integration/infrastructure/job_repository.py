"""Recover and replay jobs on the single table, in their webhook's partition.

| item | PK | SK |
|---|---|---|
| job | ``TENANT#<t>#WEBHOOK#<id>`` | ``JOB#<job id>`` (``ttl``: the delivery log's retention) |
| lock | ``TENANT#<t>#WEBHOOK#<id>`` | ``JOB#RUNNING`` (``job_id``, ``lease_expires_at``) |

A job and its lock are written together: the lock is taken in the transaction that creates the
job (only when there is none or its lease has expired), renewed in each transaction that saves
the job's progress (which also checks the job's version and that it still holds the lock), and
released in the transaction that finishes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integration.domain.jobs import Job, JobAlreadyRunning, JobCounts, JobKind, JobStatus
from integration.infrastructure.table import (
    TTL_ATTRIBUTE,
    epoch_seconds,
    failed_conditions,
    from_item,
    get_item,
    iso,
    parse_iso,
    sortable_time,
    tenant_pk,
    to_item,
)

JOB_SK_PREFIX = "JOB#"
LOCK_SK = "JOB#RUNNING"
ENTITY = "WebhookJob"
LOCK_ENTITY = "WebhookJobLock"


def _partition(tenant_id: str, webhook_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#WEBHOOK#{webhook_id}"


def _values(job: Job) -> dict[str, Any]:
    counts = job.counts
    return {
        "status": job.status.value,
        "updated_at": iso(job.updated_at),
        "counts": {
            "matched": counts.matched,
            "sent": counts.sent,
            "succeeded": counts.succeeded,
            "failed": counts.failed,
            "skipped": counts.skipped,
        },
        "cursor": job.cursor,
        "consecutive_failures": job.consecutive_failures,
        "version": job.version,
        "finished_at": iso(job.finished_at),
        "error": job.error,
    }


def _to_job(item: dict[str, Any]) -> Job:
    values = from_item(item)
    counts = {name: int(value) for name, value in values.get("counts", {}).items()}
    types = values.get("types")
    return Job(
        id=values["id"],
        tenant_id=values["tenant_id"],
        webhook_id=values["webhook_id"],
        kind=JobKind(values["kind"]),
        status=JobStatus(values["status"]),
        since=parse_iso(values["since"]),  # type: ignore[arg-type]
        until=parse_iso(values["until"]),  # type: ignore[arg-type]
        types=None if types is None else tuple(types),
        created_at=parse_iso(values["created_at"]),  # type: ignore[arg-type]
        updated_at=parse_iso(values["updated_at"]),  # type: ignore[arg-type]
        counts=JobCounts(**counts),
        cursor=values.get("cursor"),
        consecutive_failures=int(values.get("consecutive_failures", 0)),
        version=int(values["version"]),
        finished_at=parse_iso(values.get("finished_at")),
        error=values.get("error"),
    )


class DynamoDBJobRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, job: Job, sort_key: str) -> dict[str, Any]:
        return to_item({"PK": _partition(job.tenant_id, job.webhook_id), "SK": sort_key})

    def start(self, job: Job, *, lease_until: datetime, now: datetime, expires_at: datetime) -> None:
        partition = _partition(job.tenant_id, job.webhook_id)
        item = {
            "PK": partition,
            "SK": JOB_SK_PREFIX + job.id,
            "entity": ENTITY,
            "id": job.id,
            "tenant_id": job.tenant_id,
            "webhook_id": job.webhook_id,
            "kind": job.kind.value,
            "since": iso(job.since),
            "until": iso(job.until),
            "types": None if job.types is None else list(job.types),
            "created_at": iso(job.created_at),
            **_values(job),
            TTL_ATTRIBUTE: epoch_seconds(expires_at),
        }
        lock = {
            "PK": partition,
            "SK": LOCK_SK,
            "entity": LOCK_ENTITY,
            "job_id": job.id,
            "lease_expires_at": sortable_time(lease_until),
            TTL_ATTRIBUTE: epoch_seconds(expires_at),
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self._table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}},
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(lock),
                            "ConditionExpression": "attribute_not_exists(PK) OR lease_expires_at < :now",
                            "ExpressionAttributeValues": to_item({":now": sortable_time(now)}),
                        }
                    },
                ]
            )
        except self._client.exceptions.TransactionCanceledException as error:
            if 1 not in failed_conditions(error):
                raise
            holder = get_item(self._client, self._table, partition, LOCK_SK)
            raise JobAlreadyRunning(None if holder is None else from_item(holder).get("job_id")) from None

    def get(self, tenant_id: str, webhook_id: str, job_id: str) -> Job | None:
        item = get_item(self._client, self._table, _partition(tenant_id, webhook_id), JOB_SK_PREFIX + job_id)
        return None if item is None else _to_job(item)

    def _update_job(self, job: Job, expected_version: int) -> dict[str, Any]:
        values = _values(job)
        names = {f"#v{i}": name for i, name in enumerate(values)}
        assignments = [f"#v{i} = :v{i}" for i, (name, value) in enumerate(values.items()) if value is not None]
        removals = [f"#v{i}" for i, (name, value) in enumerate(values.items()) if value is None]
        expression = "SET " + ", ".join(assignments) + (" REMOVE " + ", ".join(removals) if removals else "")
        attribute_values = {f":v{i}": value for i, value in enumerate(values.values()) if value is not None}
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(job, JOB_SK_PREFIX + job.id),
                "UpdateExpression": expression,
                "ConditionExpression": "#expected = :expected",
                "ExpressionAttributeNames": {**names, "#expected": "version"},
                "ExpressionAttributeValues": to_item({**attribute_values, ":expected": expected_version}),
            }
        }

    def save(self, job: Job, *, expected_version: int, lease_until: datetime) -> bool:
        renew = {
            "Update": {
                "TableName": self._table,
                "Key": self._key(job, LOCK_SK),
                "UpdateExpression": "SET lease_expires_at = :lease",
                "ConditionExpression": "job_id = :job",
                "ExpressionAttributeValues": to_item({":lease": sortable_time(lease_until), ":job": job.id}),
            }
        }
        return self._transact([self._update_job(job, expected_version), renew])

    def finish(self, job: Job, *, expected_version: int) -> bool:
        release = {
            "Delete": {
                "TableName": self._table,
                "Key": self._key(job, LOCK_SK),
                "ConditionExpression": "attribute_not_exists(PK) OR job_id = :job",
                "ExpressionAttributeValues": to_item({":job": job.id}),
            }
        }
        if self._transact([self._update_job(job, expected_version), release]):
            return True
        # The lock went to another job (this one's lease expired): finish the job alone.
        try:
            self._client.transact_write_items(TransactItems=[self._update_job(job, expected_version)])
        except self._client.exceptions.TransactionCanceledException as error:
            if not failed_conditions(error):
                raise
            return False
        return True

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            self._client.transact_write_items(TransactItems=items)
        except self._client.exceptions.TransactionCanceledException as error:
            if not failed_conditions(error):
                raise
            return False
        return True
