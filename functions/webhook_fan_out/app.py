"""Fan-out: tenant events from the bus (via the webhook events queue) to one delivery message per
subscribed active webhook. An event whose messages could not all be queued is reported as a
batch item failure and handled again; the messages keep their ids, so receivers can deduplicate.

No X-Ray SDK (see :mod:`integration.tracing`): Lambda's active tracing records each batch, and
botocore passes the trace on to SQS."""

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.entrypoints.batch import PartialBatch
from integration.entrypoints.bus_events import tenant_event
from integration.observability import logger, metrics

use_case = wiring.fan_out_event()


def fan_out(record: dict[str, Any]) -> int:
    """The delivery messages queued for one SQS message (a bus event); raises if they could not all be queued."""
    logger.set_correlation_id(record["messageId"])
    event = tenant_event(json.loads(record["body"]))
    if event is None:  # the rule only routes events with a tenant; anything else is not ours
        logger.warning("event without a tenant ignored", sqs_message_id=record["messageId"])
        return 0
    queued = use_case.execute(event)
    logger.info("event fanned out", tenant_id=event.tenant_id, event_type=event.event_type, event_key=event.event_key, messages=queued)
    metrics.add_metric(name="WebhookMessagesQueued", unit=MetricUnit.Count, value=queued)
    return queued


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = PartialBatch.from_queue(event)
    batch.each(fan_out)
    # A batch whose every event failed is reported item by item too, rather than failing the
    # invocation: the answer is the same (SQS hands them all back) and the log says which.
    return batch.response()
