"""Powertools' idempotency records on the single table (see :mod:`integration.entrypoints.http.idempotency`).

``PK`` = ``IDEMPOTENCY#<sha256 of tenant, credential and Idempotency-Key>``, ``SK`` = ``IDEMPOTENCY``: one
partition per key (no hot partition), expiring by the table's ``ttl``. Powertools prefixes its
record key with the function's name; the partition key drops that prefix, so a key belongs to
one request across every endpoint, as clients expect of an idempotency key.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from integration.infrastructure.table import TTL_ATTRIBUTE

RECORD_PREFIX = "IDEMPOTENCY#"
RECORD_SK = "IDEMPOTENCY"


class TableIdempotencyStore(DynamoDBPersistenceLayer):
    def __init__(self, client: Any, table_name: str) -> None:
        super().__init__(table_name=table_name, key_attr="PK", sort_key_attr="SK", expiry_attr=TTL_ATTRIBUTE, boto3_client=client)

    def _get_key(self, idempotency_key: str) -> dict[str, Any]:
        digest = idempotency_key.rsplit("#", 1)[-1]
        return {self.key_attr: {"S": RECORD_PREFIX + digest}, self.sort_key_attr: {"S": RECORD_SK}}
