"""Warm overhead of each handler in process, against a bare boto3 call reading the same data.

Both run in this process against moto (``mock_aws``), alternating: handler, floor, floor,
handler, ... after a few untimed warm-up invocations. The state an invocation needs is made
before its timer starts. The handler's time includes what its AWS calls cost in moto; that
part is measured too (botocore hooks), so the cost model can replace it with AWS latencies.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import Report, Sample, heading, ms, quick, ratio, row, smoke, spread, times
from bench.operations import Operation, Scenario
from bench.world import SINK, Call, CallLog, lambda_context, quiet


@dataclass
class WarmResult:
    operation: Operation
    handler: Sample
    floor: Sample | None
    aws: Sample  # seconds inside AWS calls (moto), per invocation
    calls: str  # the AWS calls of the last invocation
    floor_name: str
    log_bytes: float  # written to stdout (CloudWatch Logs) per invocation, median

    @property
    def ratio(self) -> float | None:
        return None if self.floor is None else ratio(self.handler.median, self.floor.median)

    @property
    def own(self) -> float:
        """Median seconds outside AWS calls: the function's own work. (Not for the delivery
        batch, whose calls overlap in its threads: see the delivery section.)"""
        return max(0.0, self.handler.median - self.aws.median)

    @property
    def overlapping(self) -> bool:
        return self.operation.kind == "delivery"


READS = ("GetItem", "Query")
WRITES = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem")
BUDGET_SECONDS = 1.5  # per operation, after warm-up; cheap operations get more rounds


def replay_floor(scenario: Scenario, log: CallLog) -> tuple[Callable[[], Any] | None, str]:
    """The bare boto3 reads of what the handler read: its GetItem and Query calls replayed with
    the same parameters on an uncounted client; for an operation that only writes, a consistent
    GetItem of the first item it writes."""
    client = scenario.world.dynamodb
    reads = [call for call in log.calls if call.service == "dynamodb" and call.operation in READS]
    if reads:
        replays = [(getattr(client, "get_item" if call.operation == "GetItem" else "query"), dict(call.params)) for call in reads]

        def replay() -> None:
            for method, params in replays:
                method(**params)

        return replay, "its " + " + ".join(call.operation for call in reads) + ", replayed"
    for call in log.calls:
        if call.service == "dynamodb" and call.operation in WRITES:
            key = _first_key(call)
            if key is not None:
                table = scenario.world.table
                return (
                    lambda table=table, key=key: client.get_item(TableName=table, Key=key, ConsistentRead=True)
                ), "GetItem of the item it writes"
    return None, ""


def _first_key(call: Call) -> dict[str, Any] | None:
    params = call.params
    entries = params.get("TransactItems") or [{"Put": {"Item": params.get("Item")}, "Update": {"Key": params.get("Key")}}]
    for entry in entries:
        for action in ("Put", "Update", "Delete", "ConditionCheck"):
            body = entry.get(action) or {}
            item = body.get("Key") or body.get("Item")
            if item and "PK" in item and "SK" in item:
                return {"PK": item["PK"], "SK": item["SK"]}
    return None


def measure(scenario: Scenario, operation: Operation, *, quick: bool, warmup: int = 2) -> WarmResult:
    world = scenario.world
    handler = world.handler(operation.function)
    context = lambda_context(operation.function)
    spent = 0.0
    warmed: list[CallLog] = []
    for _ in range(1 if smoke() else warmup):
        event = operation.prepare()
        with world.counter.recording() as recorded, quiet():
            started = time.perf_counter()
            handler(event, context)
            spent = time.perf_counter() - started
        warmed.append(recorded)
    floor, floor_name = replay_floor(scenario, warmed[-1]) if operation.kind in ("api", "authorizer", "fan-out") else (None, "")
    budget = BUDGET_SECONDS / (2.5 if quick else 1)
    iterations = 1 if smoke() else max(3, min(40 if not quick else 12, int(budget / max(spent, 1e-4))))
    handler_times: list[float] = []
    floor_times: list[float] = []
    aws_times: list[float] = []
    logged: list[int] = []
    calls = ""
    for index in range(iterations):
        event = operation.prepare()
        steps = ["handler", "floor"] if index % 2 == 0 else ["floor", "handler"]
        for step in steps:
            if step == "handler":
                before = SINK.bytes
                with world.counter.recording() as log, quiet():
                    started = time.perf_counter()
                    response = handler(event, context)
                    handler_times.append(time.perf_counter() - started)
                logged.append(SINK.bytes - before)
                if not operation.check(response):
                    raise RuntimeError(f"{operation.name}: unexpected response {str(response)[:300]}")
                aws_times.append(log.seconds())
                calls = log.describe()
            elif floor is not None:
                started = time.perf_counter()
                floor()
                floor_times.append(time.perf_counter() - started)
    return WarmResult(
        operation,
        Sample.of(handler_times),
        Sample.of(floor_times) if floor_times else None,
        Sample.of(aws_times),
        calls,
        floor_name,
        statistics.median(logged),
    )


def run(report: Report, scenario: Scenario) -> None:
    section = report.section(
        "warm",
        "5. Warm overhead in process",
        "Each handler invoked warm in this process (moto in process), alternating with a bare boto3 "
        "floor that reads the same data: the handler's own GetItem and Query requests, captured by the "
        "botocore hooks and replayed with the same parameters on a client of its own (for an operation "
        "that only writes, a consistent GetItem of the item it writes). Ratio of the medians; no target was set. "
        "`in AWS calls` is the part of the handler's time spent inside its (moto) AWS calls; "
        "`own work` is the rest: parsing, validation, the use case, serialising, logging, metrics.",
    )
    heading(section.title)
    table = section.table(
        [
            "operation",
            "handler, median (min–max)",
            "bare boto3 floor",
            "ratio",
            "overhead",
            "in AWS calls",
            "own work",
            "AWS calls",
        ]
    )
    results: dict[str, WarmResult] = {}
    for operation in scenario.operations():
        result = measure(scenario, operation, quick=quick())
        results[operation.name] = result
        floor = result.floor
        row(
            operation.name[:42],
            f"{spread(result.handler)}"
            + (f"  floor {ms(floor.median)}  ratio {times(result.ratio or 0)}" if floor is not None else "  (no floor)")
            + ("" if result.overlapping else f"  own work {ms(result.own)}"),
        )
        table.add(
            operation.name,
            spread(result.handler),
            f"{spread(floor)} ({result.floor_name})" if floor is not None else "—",
            times(result.ratio) if result.ratio is not None else "—",
            ms(result.handler.median - floor.median) if floor is not None else "—",
            ms(result.aws.median) + (" (summed over its threads)" if result.overlapping else ""),
            "— (its calls overlap)" if result.overlapping else ms(result.own),
            result.calls,
        )
        if result.ratio is not None and _is_read(operation) and "next page" not in operation.name:
            report.bar("Warm handler ÷ bare boto3 read (no target)", _short(operation.name), result.ratio)
    report.data["warm"] = results
    reads = [r for r in results.values() if r.ratio is not None and _is_read(r.operation)]
    writes = [r for r in results.values() if r.operation.kind == "api" and not _is_read(r.operation)]
    report.headline(
        "Warm overhead of the API handlers and authorizer (handler ÷ bare boto3 read of the same data)",
        f"reads: median {times(Sample.of(r.ratio or 0 for r in reads).median)} ({times(min(r.ratio or 0 for r in reads))}–"
        f"{times(max(r.ratio or 0 for r in reads))}); own work outside AWS calls: reads {ms(min(r.own for r in reads))}–"
        f"{ms(max(r.own for r in reads))}, writes {ms(min(r.own for r in writes))}–{ms(max(r.own for r in writes))}",
        "none set",
        "",
    )
    section.note(
        "Writes' ratios measure moto, not the service: moto's TransactWriteItems copies every table before it applies a "
        "transaction, so it costs tens of milliseconds here where DynamoDB answers in about ten. Their own work, outside "
        "the AWS calls, is the figure that belongs to the service."
    )


def _is_read(operation: Operation) -> bool:
    if operation.kind == "authorizer":
        return "first use" not in operation.name  # that one also writes last_used_at
    return operation.kind == "api" and operation.name.startswith("GET ")


def _short(name: str) -> str:
    return (
        name.replace("authorizer: a key's first use this minute", "authorizer, first use")
        .replace("authorizer: the same key again within the minute", "authorizer")
        .replace("/deliveries/{deliveryId}", "/deliveries/{d}")
    )
