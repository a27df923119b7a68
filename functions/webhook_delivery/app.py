"""Delivery: one attempt per queued message, side by side, signed afresh and logged. A failed
attempt with another one scheduled stays in the queue, hidden until it is due."""

from collections import Counter
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.application.deliveries import DeliveryOutcome
from integration.domain.deliveries import WebhookMessage
from integration.entrypoints.delivery_worker import process_delivery_batch
from integration.observability import logger, metrics
from integration.tracing import trace_webhook_requests, tracer

trace_webhook_requests()
use_case = wiring.deliver_message()
queue = wiring.delivery_queue()

METRIC_NAMES = {
    "succeeded": "WebhookAttemptsSucceeded",
    "retry": "WebhookAttemptsFailed",
    "failed": "WebhookMessagesFailed",
    "dropped": "WebhookMessagesDropped",
}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(context.aws_request_id)  # the batch; each line also names its message_id

    def deliver(message: WebhookMessage, attempt: int, manual: bool, queued_at: datetime | None) -> DeliveryOutcome:
        return use_case.execute(message, attempt_number=attempt, manual=manual, queued_at=queued_at)

    response, outcomes = process_delivery_batch(event, deliver, queue)
    for outcome, count in Counter(o.result.value for o in outcomes if o is not None).items():
        metrics.add_metric(name=METRIC_NAMES[outcome], unit=MetricUnit.Count, value=count)
    disabled = sum(1 for o in outcomes if o is not None and o.disabled_webhook)
    if disabled:
        metrics.add_metric(name="WebhooksDisabled", unit=MetricUnit.Count, value=disabled)
    return response
