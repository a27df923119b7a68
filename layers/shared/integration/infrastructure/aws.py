"""AWS clients, created once per process on first use.

boto3 reads ``AWS_ENDPOINT_URL`` itself, so the same code talks to AWS, to the local
runtime's moto server, or to moto's in-process mock in tests. boto3 itself is imported on
first use too: ``list_event_types`` makes no AWS call and never loads it.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def dynamodb_client() -> Any:
    import boto3

    return boto3.client("dynamodb")


@functools.cache
def events_client() -> Any:
    import boto3

    return boto3.client("events")


@functools.cache
def sqs_client() -> Any:
    import boto3

    return boto3.client("sqs")
