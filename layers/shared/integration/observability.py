"""Powertools Logger and Metrics, configured once. (The Tracer is :mod:`integration.tracing`:
not every function loads the X-Ray SDK.)

Service name and metrics namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` (set in template.yaml's Globals).
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

# A read-only request publishes no business metric; that is expected, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()
