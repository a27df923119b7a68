"""Recover and replay jobs on moto: the job worker fed from the job queue, in the test's thread."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.domain.deliveries import AttemptTrigger, DeliveryAttempt, DeliveryStatus, WebhookMessage, fanned_out_message_id
from integration.infrastructure.aws import sqs_client
from local_runtime.resources import Stack
from tests.conftest import Api, lambda_context, load_function
from tests.integration.delivery_helpers import use_delivery_environment

JOB_FUNCTIONS = ("RecoverWebhookFunction", "ReplayWebhookFunction", "WebhookJobWorkerFunction")


def use_job_environment(stack: Stack, monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    """The delivery functions' environment and the job functions' (as template.yaml sets them)."""
    for function in JOB_FUNCTIONS:
        for name, value in stack.function_environment(function).items():
            monkeypatch.setenv(name, value)
    use_delivery_environment(stack, monkeypatch, **settings)


class Worker:
    """The job worker, fed from the job queue as its SQS event source would (one record a call)."""

    def __init__(self, stack: Stack) -> None:
        self._queue_url = stack.queue_url("WebhookJobQueue")
        self._module: Any = None

    @property
    def handler(self) -> Any:
        if self._module is None:
            self._module = load_function("webhook_job_worker")
        return self._module.lambda_handler

    def invoke(self, record: dict[str, Any]) -> dict[str, Any]:
        return self.handler({"Records": [record]}, lambda_context("webhook-job-worker"))

    def receive(self) -> dict[str, Any] | None:
        response = sqs_client().receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0, MessageSystemAttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        if not messages:
            return None
        (message,) = messages
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhook-jobs",
            "awsRegion": "us-east-1",
        }

    def delete(self, record: dict[str, Any]) -> None:
        sqs_client().delete_message(QueueUrl=self._queue_url, ReceiptHandle=record["receiptHandle"])

    def run(self, max_steps: int = 100) -> int:
        """Run steps until the queue is empty; how many ran. A step that fails is an error here."""
        for steps in range(max_steps):
            record = self.receive()
            if record is None:
                return steps
            response = self.invoke(record)
            assert response == {"batchItemFailures": []}, response
            self.delete(record)
        raise AssertionError(f"still steps queued after {max_steps}")


def logged(
    webhook_id: str,
    at: datetime,
    status: DeliveryStatus,
    *,
    key: str,
    tenant: str = "tenant-a",
    code: int = 500,
    event_type: str = "WebhookCreated",
) -> WebhookMessage:
    """A logged message of the event ``key`` that happened ``at``, with one attempt that ended ``status``."""
    message = WebhookMessage(
        id=fanned_out_message_id(event_key=key, webhook_id=webhook_id, occurred_at=at),
        tenant_id=tenant,
        webhook_id=webhook_id,
        event_type=event_type,
        event_id=key,
        timestamp=at,
        data={"tenantId": tenant, "key": key},
    )
    attempt = DeliveryAttempt(
        at=at, trigger=AttemptTrigger.SCHEDULED, status_code=code, duration_ms=5, error=None, response_body=""
    )
    next_at = at + timedelta(minutes=5) if status is DeliveryStatus.PENDING else None
    wiring.delivery_log().record_attempt(message, attempt, status, next_attempt_at=next_at, expires_at=at + timedelta(days=30))
    return message


def start(
    api: Api, webhook_id: str, kind: str, body: dict[str, Any], *, tenant: str = "tenant-a", **call: Any
) -> tuple[int, dict[str, str], Any]:
    return api.call("POST", f"/webhooks/{webhook_id}/{kind}", tenant=tenant, body=body, **call)


def job(api: Api, webhook_id: str, job_id: str, *, tenant: str = "tenant-a") -> dict[str, Any]:
    status, _, body = api.call("GET", f"/webhooks/{webhook_id}/jobs/{job_id}", tenant=tenant)
    assert status == 200, body
    return body


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def body_of(request: Any) -> dict[str, Any]:
    return json.loads(request.body)
