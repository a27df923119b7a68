"""AWS calls per operation, counted with botocore event hooks on the functions' own clients; and,
for the cost model, each operation's warm time outside its AWS calls and the bytes it logs."""

from __future__ import annotations

import statistics
import time
from collections import Counter

from bench.capacity import Units, estimate
from bench.common import Report, heading, repeat, say
from bench.operations import Operation, Scenario, expected_text
from bench.world import SINK, CallLog, counts_text


def _units_text(units: Units) -> str:
    parts = []
    if units.rru:
        parts.append(f"{units.rru:g} RRU")
    if units.wru:
        parts.append(f"{units.wru:g} WRU")
    return ", ".join(parts) or "—"


def measure(scenario: Scenario, operation: Operation) -> tuple[CallLog, float, int]:
    """One invocation (its state made first, untimed): its AWS calls, its time outside them, the
    bytes it logged."""
    world = scenario.world
    event = operation.prepare()
    logged = SINK.bytes
    with world.counter.recording() as log:
        started = time.perf_counter()
        response = world.invoke(operation.function, event)
        elapsed = time.perf_counter() - started
    if not operation.check(response):
        raise RuntimeError(f"{operation.name}: unexpected response {str(response)[:300]}")
    return log, max(0.0, elapsed - log.seconds()), SINK.bytes - logged


def warm(scenario: Scenario, operation: Operation) -> dict[str, float]:
    """The median of a few warm invocations: time outside AWS calls (own work) and bytes logged.
    (For the delivery batch, whose calls overlap in its threads, the own time is a lower bound.)"""
    runs = [measure(scenario, operation)[1:] for _ in range(repeat(3, 2))]
    return {"own": statistics.median(own for own, _ in runs), "log_bytes": statistics.median(size for _, size in runs)}


def run(report: Report, scenario: Scenario) -> None:
    section = report.section(
        "calls",
        "2. AWS calls per operation",
        "Each operation invoked once through its function (in process, moto), every call its clients "
        "make counted with botocore's `provide-client-params`/`after-call` hooks. PASS: no call the "
        "target does not allow, none more often.",
    )
    heading(section.title)
    table = section.table(["operation", "function", "AWS calls made", "target", "expected at most", "", "DynamoDB units (est.)"])
    results: dict[str, Counter[str]] = {}
    units: dict[str, Units] = {}
    met = judged = 0
    operations = scenario.operations()
    for operation in operations:
        log, _, _ = measure(scenario, operation)
        counts = log.counts()
        results[operation.name] = counts
        units[operation.name] = estimate(scenario.world, log)
        ok = operation.verdict(counts)
        judged += not operation.informative
        met += ok and not operation.informative
        verdict = "info" if operation.informative else "PASS" if ok else "FAIL"
        say(f"  {operation.name:<58} {counts_text(counts):<44} target: {operation.target}  {verdict}")
        table.add(
            operation.name + (f" ({operation.note})" if operation.note else ""),
            f"`{scenario.world.functions[operation.function].code_uri.name}`",
            counts_text(counts),
            operation.target,
            expected_text(operation.expected),
            f"**{verdict}**" if not operation.informative else verdict,
            _units_text(units[operation.name]),
        )
    table.add("authorizer: a cache hit", "`authorizer`", "n/a", "none on a cache hit", "", "n/a", "")
    section.note(
        "The authorizer has no cache hit to measure: its result cache is off by design (no identity source, "
        "TTL 0; see docs/authentication.md, *Result cache TTL: 0*): a revoked key must fail at once, and a "
        "key may come in either of two headers. Every request therefore costs one authorizer invocation "
        "and one GetItem; the `last_used_at` writes happen at most once a minute per key."
    )

    relay = next((op for op in operations if op.kind == "relay"), None)
    if relay is not None and results[relay.name].get("PutEvents", 0) > relay.expected["PutEvents"]:
        section.note(
            f"The relay made {results[relay.name].get('PutEvents', 0)} PutEvents calls where {relay.expected['PutEvents']} would do "
            "while keeping the stream's order: each call should take the next run of records, up to 10 of different "
            "aggregates. "
            "EventBridge bills entries, not calls: this costs relay duration, not EventBridge charges."
        )
    report.data["calls"] = {
        op.name: {"operation": op, "counts": results[op.name], "units": units[op.name], **warm(scenario, op)} for op in operations
    }
    report.headline(
        "AWS calls per operation",
        f"{met} of {judged} operations with a target make only the calls it allows",
        "authorizer 1 read; get 1 read; list 1 Query/page; writes 1 transaction; fan-out 1 Query + batched sends",
        "PASS" if met == judged else "FAIL",
    )

