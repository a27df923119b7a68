"""Composition root: builds repositories from the environment, once per process."""

from __future__ import annotations

import functools
import os

from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository
from integration.infrastructure.aws import dynamodb_client


def table_name() -> str:
    try:
        return os.environ["TABLE_NAME"]
    except KeyError:
        raise RuntimeError("TABLE_NAME is not set: name the DynamoDB table this service uses") from None


@functools.cache
def api_key_repository() -> DynamoDBApiKeyRepository:
    return DynamoDBApiKeyRepository(dynamodb_client(), table_name())


def reset() -> None:
    """Forget everything built (tests change the environment between cases)."""
    api_key_repository.cache_clear()
    dynamodb_client.cache_clear()
