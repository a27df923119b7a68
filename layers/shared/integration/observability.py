"""Powertools Logger and Metrics, configured once, and the API functions' entry-point decorator.

The Tracer lives in :mod:`integration.tracing`: the authorizer logs but does not load the X-Ray SDK.

Service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` (set in template.yaml's Globals).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

# A read-only request publishes no business metric; that is expected, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def http_entry_point(resolve: Handler) -> Handler:
    """Wrap an API function: correlation id = the API Gateway request id, traced, metrics flushed.

    The event itself is never logged: it carries the caller's Authorization header.
    """
    from integration.tracing import tracer  # at the function's import, during INIT

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return resolve(event, context)

    return lambda_handler
