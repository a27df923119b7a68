"""The cold-start benchmark's second floor: the smallest API function the fixed stack allows.

It is what every API function is built from, and nothing of this project's: Powertools Logger,
Tracer and Metrics set up as :mod:`integration.observability` sets them up, an
``APIGatewayHttpResolver`` with ``enable_validation=True``, one pydantic response model, and a
DynamoDB client made on the first request, as :mod:`integration.infrastructure.aws` makes it,
for one consistent GetItem. :mod:`bench.cold_start` runs it as a function, with
``get_webhook``'s sample event: what a function takes beyond it is this project's code; what
it takes beyond the boto3 floor is the stack's (Powertools, pydantic, the X-Ray SDK).

Where INIT runs ahead of any request (:mod:`bench.snapstart` sets
``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``) it primes as the API functions do
(``IntegrationResolver.prime``): the client made, and one request through routing and
validation that a middleware answers in the handler's place, with no AWS call.

Not imported by the benchmark itself: a child process runs it as its handler module.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

logger = Logger()
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True, strip_prefixes=["/api/v1/integration"])
_priming = False


def _stop_priming(app: APIGatewayHttpResolver, next_middleware: Any) -> Any:
    if _priming:
        return Response(status_code=401, content_type="application/json", body={"detail": "priming"})
    return next_middleware(app)


app.use([_stop_priming])


@functools.cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


class ItemView(BaseModel):
    id: str
    found: bool


@app.get("/webhooks/<item_id>")
def get_item(item_id: str) -> ItemView:
    answer = _dynamodb().get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"PK": {"S": "BENCH#floor"}, "SK": {"S": item_id}},
        ConsistentRead=True,
    )
    return ItemView(id=item_id, found="Item" in answer)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") in ("snap-start", "provisioned-concurrency"):
    _dynamodb()
    _priming = True
    path = "/api/v1/integration/webhooks/primed"
    app.resolve(
        {
            "version": "2.0",
            "routeKey": f"GET {path}",
            "rawPath": path,
            "rawQueryString": "",
            "headers": {},
            "requestContext": {"http": {"method": "GET", "path": path}, "requestId": "priming", "stage": "$default"},
            "isBase64Encoded": False,
        },
        None,
    )
    _priming = False
