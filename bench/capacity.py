"""DynamoDB request units of the calls an operation made, estimated from the items involved
(on-demand rules: an RRU reads 4 KB strongly consistent or twice that eventually consistent, a
Query rounding up once; a WRU writes 1 KB; transactions cost twice; a write to an item with the
index's keys writes ``GSI1`` too). Items after an update are read back (uncounted) to size them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.world import CallLog, World

AVERAGE_ITEM_BYTES = 1024  # for items a Query reads but does not return (a filter or a projection)


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = len(str(inner).lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: item}) for item in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(item) for item in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + value_size(item) for name, item in inner.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


@dataclass
class Units:
    rru: float = 0.0
    wru: float = 0.0
    sqs_requests: int = 0
    events: int = 0  # EventBridge entries published


def _read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def _write_units(item: dict[str, Any] | None, size: int | None = None) -> float:
    size = item_size(item) if size is None else size
    units = max(1, math.ceil(size / 1024))
    if item and "GSI1PK" in item:
        units *= 2  # the index's copy
    return units


def estimate(world: World, log: CallLog) -> Units:
    """The request units of every call in ``log`` (run it right after the operation)."""
    units = Units()
    seen: dict[tuple[str, str], dict[str, Any]] = {}  # items the operation read, by key

    def after(key: dict[str, Any] | None, table: str) -> dict[str, Any] | None:
        if not key:
            return None
        return world.dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def key_of(key: dict[str, Any] | None) -> tuple[str, str]:
        key = key or {}
        return (key.get("PK", {}).get("S", ""), key.get("SK", {}).get("S", ""))

    for call in log.calls:
        params, response = call.params, call.response or {}
        if call.service == "sqs" and call.operation.startswith(
            ("SendMessage", "ChangeMessageVisibility", "DeleteMessage", "ReceiveMessage")
        ):
            units.sqs_requests += 1
        elif call.service == "eventbridge" and call.operation == "PutEvents":
            units.events += len(params.get("Entries", []))
        elif call.operation == "GetItem":
            item = response.get("Item")
            if item:
                seen[key_of(item)] = item
            units.rru += _read_units(item_size(item), bool(params.get("ConsistentRead")))
        elif call.operation == "Query":
            items = response.get("Items", [])
            scanned = response.get("ScannedCount", len(items))
            size = sum(item_size(item) for item in items)
            if "ProjectionExpression" in params or scanned > len(items):
                size = max(size, scanned * AVERAGE_ITEM_BYTES)
            units.rru += _read_units(size, bool(params.get("ConsistentRead")))
        elif call.operation == "PutItem":
            units.wru += _write_units(params.get("Item"))
        elif call.operation == "UpdateItem":
            units.wru += _write_units(after(params.get("Key"), params["TableName"]))
        elif call.operation == "DeleteItem":
            units.wru += _write_units(seen.get(key_of(params.get("Key"))), None)
        elif call.operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                if "Put" in entry:
                    units.wru += 2 * _write_units(entry["Put"]["Item"])
                elif "Update" in entry:
                    body = entry["Update"]
                    units.wru += 2 * _write_units(after(body["Key"], body["TableName"]))
                elif "Delete" in entry:
                    units.wru += 2 * _write_units(seen.get(key_of(entry["Delete"]["Key"])))
                elif "ConditionCheck" in entry:
                    units.wru += 2
    return units
