"""The outbox relay: the table's stream (outbox records only) to the EventBridge bus.

A record that could not be read or published is reported as a batch item failure, with every
record after it, and the stream retries from there; when no record was published the invocation
fails. After the event source mapping's retries the batch goes to the on-failure queue.

No X-Ray SDK (see :mod:`integration.tracing`): Lambda's active tracing records each batch, and
botocore passes the trace on to EventBridge.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.entrypoints.outbox_stream import relay_stream_records
from integration.observability import logger, metrics

relay = wiring.relay_outbox_events().execute
read = wiring.outbox().read


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(context.aws_request_id)  # one batch of stream records
    batch = relay_stream_records(event, read=read, relay=relay)
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(batch.records) - batch.reported)
    logger.info("relayed outbox records", records=len(batch.records), not_published=batch.reported)
    return batch.response(raise_when_all_failed=True)
