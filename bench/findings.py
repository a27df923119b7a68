"""“What the numbers say”: a few sentences written from this run's figures."""

from __future__ import annotations

from typing import Any

from bench.common import Report, Sample, ms, times
from bench.snapstart import TARGET


def summarise(report: Report) -> None:
    data = report.data
    for writer in (_cold, _snapstart, _calls, _scaling, _delivery, _cost, _local):
        try:
            text = writer(data)
        except (KeyError, ValueError, StopIteration, ZeroDivisionError, TypeError):
            text = None
        if text:
            report.finding(text)


def _cold(data: dict[str, Any]) -> str | None:
    cold = data.get("cold")
    if not cold:
        return None
    parts = []
    for kind, what in (("route", "route functions"), ("authorizer", "the authorizer"), ("async", "the outbox relay, fan-out and delivery")):
        chosen = {name: entry for name, entry in cold.items() if entry["kind"] == kind}
        if not chosen:
            continue
        first = next(iter(chosen.values()))
        ratios = Sample.of(entry["ratio"] for entry in chosen.values())
        missed = sorted(name for name, entry in chosen.items() if not first["target"].met(entry["ratio"]))
        parts.append(
            f"{what} {_span(ratios)} the {first['floor']} (target {first['target'].text()}"
            + (f"; missed by {_names(missed)})" if missed else "; all within)")
        )
    measure = data.get("cold_measure", "CPU time")
    text = f"**Cold start ({measure}):** " + "; ".join(parts) + "."
    if data.get("cold_stack"):
        stack_ratio, stack_measure = data["cold_stack"]
        text += (
            f" The stack floor (Powertools' resolver with validation, Logger, Tracer, Metrics, one pydantic model, one "
            f"GetItem, nothing of ours) takes {times(stack_ratio)} the bare floor's {stack_measure}: the cost of the stack "
            "before any of this project's code."
        )
    return text


def _names(names: list[str], shown: int = 5) -> str:
    listed = ", ".join(f"`{name}`" for name in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _span(sample: Sample) -> str:
    return times(sample.min) if sample.min == sample.max else f"{times(sample.min)}–{times(sample.max)}"


def _snapstart(data: dict[str, Any]) -> str | None:
    snap = data.get("snapstart")
    if not snap:
        return None
    ratios = Sample.of(entry["ratio"] for entry in snap.values())
    worst = max(snap, key=lambda name: snap[name]["ratio"])
    first = Sample.of(entry["first"] for entry in snap.values())
    stack = [entry["stack_ratio"] for entry in snap.values() if entry["stack_ratio"] is not None]
    beside = f"; the route functions' are {_span(Sample.of(stack))} a primed stack floor's" if stack else ""
    return (
        f"**SnapStart (simulated, CPU time):** after a restore, the first requests of the functions it applies to take "
        f"{ms(first.min)}–{ms(first.max)}, {times(ratios.min)}–{times(ratios.max)} a primed bare floor's first GetItem "
        f"(median {times(ratios.median)}; highest `{worst}`), against a target of {TARGET.text()}{beside}."
    )


def _calls(data: dict[str, Any]) -> str | None:
    calls = data.get("calls")
    if not calls:
        return None
    judged = [entry for entry in calls.values() if not entry["operation"].informative]
    met = [entry for entry in judged if entry["operation"].verdict(entry["counts"])]
    missed = [entry["operation"].name for entry in judged if entry not in met]
    text = f"**AWS calls:** {len(met)} of {len(judged)} operations make only the calls their target allows"
    text += (
        f" (missed: {', '.join(missed)})."
        if missed
        else ": gets one GetItem, lists one Query a page, each write one transaction, the authorizer one read (and its `last_used_at` writes at most once a minute), fan-out one Query and batched sends."
    )
    return text


def _scaling(data: dict[str, Any]) -> str | None:
    scaling = data.get("scaling")
    if not scaling:
        return None
    gets = [r for r in scaling.values() if not r["judged_on_own_work"]]
    lists = [r for r in scaling.values() if r["judged_on_own_work"]]
    small, large = next(iter(scaling.values()))["sizes"]
    text = (
        f"**Scaling:** from {small} to {large} items the authorizer and gets take "
        f"{times(min(r['ratio'] for r in gets))}–{times(max(r['ratio'] for r in gets))} as long"
    )
    if lists:
        text += (
            f", and lists do the same own work ({times(min(r['own_ratio'] for r in lists))}–{times(max(r['own_ratio'] for r in lists))}) "
            f"reading the same items; their whole time grows {times(min(r['ratio'] for r in lists))}–{times(max(r['ratio'] for r in lists))} "
            "only because moto answers a Query by walking the whole table, which DynamoDB does not"
        )
    return text + "."


def _delivery(data: dict[str, Any]) -> str | None:
    delivery = data.get("delivery")
    if not delivery:
        return None
    text = (
        f"**Delivery:** one worker sends {delivery['worker_rate']:.0f} messages/s to a loopback receiver against a bare "
        f"urllib3 loop's {delivery['floor_rate']:.0f} ({times(delivery['ratio'])}, target {delivery['target'].text()})."
    )
    signing = data.get("signing")
    if signing and delivery.get("per_message"):
        text += f" Signing costs {signing * 1e6:.1f} µs a message, {signing / delivery['per_message']:.1%} of a message's time at that rate."
    return text


def _cost(data: dict[str, Any]) -> str | None:
    cost = data.get("cost")
    if not cost:
        return None
    return (
        f"**Cost:** about ${cost['blended_per_million_calls']:.2f} per million API calls (80% reads), "
        f"${cost['per_million_deliveries']:.2f} per million webhook deliveries, and ${cost['month']:,.0f} a month for "
        "1,000 tenants sending 100 events a second in all; see the cost tables for what dominates each and the assumptions."
    )


def _local(data: dict[str, Any]) -> str | None:
    local = data.get("local")
    if not local:
        return None
    small, large = local["small"], local["large"]
    return (
        f"**The local runtime keeps up:** `POST /webhooks` takes {ms(large['latency']['POST /webhooks'].median)} at "
        f"{large['items']:,} items against {ms(small['latency']['POST /webhooks'].median)} at {small['items']} "
        f"({times(local['growth'])}); the runtime and its emulator hold {large['memory'].runtime_mb:.0f} MB at "
        f"{large['items']:,} items; Ctrl-C exits in {local['exit_seconds']:.1f} s."
    )
