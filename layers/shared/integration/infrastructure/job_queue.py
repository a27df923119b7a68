"""The webhook job queue (SQS): one message per step of a recover or replay job.

A step message names the job (tenant, webhook, job id); the job itself, its cursor and counts
are in the table. Each is sent with ``MessageGroupId`` = its tenant, so, as on the delivery
queue, the standard queue is an SQS fair queue: one tenant's jobs do not hold up the others'.
"""

from __future__ import annotations

import json
from typing import Any

from integration.domain.jobs import Job


def decode_step(body: str) -> tuple[str, str, str]:
    """(tenant id, webhook id, job id) of a step message; ValueError if malformed."""
    try:
        values = json.loads(body)
        step = (values["tenantId"], values["webhookId"], values["jobId"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a job step message: {error}") from None
    if not all(isinstance(value, str) and value for value in step):
        raise ValueError("not a job step message: tenantId, webhookId and jobId are required")
    return step


class SqsJobQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send_step(self, job: Job) -> None:
        body = json.dumps({"tenantId": job.tenant_id, "webhookId": job.webhook_id, "jobId": job.id}, separators=(",", ":"))
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=body, MessageGroupId=job.tenant_id)

    @staticmethod
    def read(body: str) -> tuple[str, str, str]:
        return decode_step(body)
