"""AWS clients, created once per process on first use.

boto3 reads ``AWS_ENDPOINT_URL`` itself, so the same code talks to AWS, to the local
runtime's moto server, or to moto's in-process mock in tests. boto3 is imported with this
module, during a function's INIT (``list_event_types`` imports it only on its first read of
the platform's event schemas from SSM, and never when no platform event type is configured);
the clients are made on first use, so that tests can change the environment between cases.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3

IMPORTED_ON_FIRST_USE = ("encodings.idna",)
"""By the first connection: urllib3 checks each new connection's host name with the ``idna``
codec, which Python loads on first use. A restored SnapStart environment opens new connections,
so :mod:`integration.entrypoints.snapstart` imports it at INIT."""


@functools.cache
def dynamodb_client() -> Any:
    return boto3.client("dynamodb")


@functools.cache
def events_client() -> Any:
    return boto3.client("events")


@functools.cache
def sqs_client() -> Any:
    return boto3.client("sqs")


@functools.cache
def ssm_client() -> Any:
    return boto3.client("ssm")


def close_connections() -> None:
    """Close the pooled connections of each client made so far; it opens new ones on its next
    call (botocore's ``close``: urllib3 empties its pools and makes new ones on demand)."""
    for client in (dynamodb_client, events_client, sqs_client, ssm_client):
        if client.cache_info().currsize:
            client().close()
