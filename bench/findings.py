"""“What the numbers say”: a few sentences written from this run's figures."""

from __future__ import annotations

from typing import Any

from bench.common import Report, Sample, ms, times


def summarise(report: Report) -> None:
    data = report.data
    for writer in (_cold, _snapstart, _levers, _calls, _scaling, _delivery, _warm, _cost, _layer, _local):
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
        target = next(iter(chosen.values()))["target"]
        floor = next(iter(chosen.values()))["judged_floor"]
        ratios = Sample.of(entry["judged_ratio"] for entry in chosen.values())
        missed = sorted(name for name, entry in chosen.items() if not target.met(entry["judged_ratio"]))
        parts.append(
            f"{what} {_span(ratios)} the {floor} (target {target.text()}"
            + (f"; missed by {_names(missed)})" if missed else "; all within)")
        )
    text = "**Cold start:** " + "; ".join(parts) + "."
    stack = data.get("cold_stack")
    if stack:
        text += (
            f" The stack floor (Powertools' resolver with validation, Logger, Tracer, Metrics, one pydantic model, one "
            f"GetItem, nothing of ours) is {times(stack['ratio'].median)} the bare floor "
            f"({times(stack['ratio'].min)}–{times(stack['ratio'].max)}): the cost of the stack before any of this project's code."
        )
    others = Sample.of(entry["other_ratio"] for entry in cold.values())
    difference = Sample.of(abs(entry["total"] - entry["other"]) for entry in cold.values())
    if data.get("cold_ships_pyc"):
        text += (
            f" Without the layer's `.pyc` (a build machine without Python 3.13; /opt is read-only, so Lambda would compile "
            f"the layer at every cold start) each cold start costs {ms(difference.median)} more, {times(others.min)}–"
            f"{times(others.max)} the bare floor."
        )
    else:
        text += (
            f" The layer ships no `.pyc` here (no Python 3.13 to compile them): shipping them would save {ms(difference.median)} "
            f"a cold start (median), {times(others.min)}–{times(others.max)} the bare floor."
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
    return (
        f"**SnapStart (simulated):** after a restore, the functions' first requests take {ms(first.min)}–{ms(first.max)}, "
        f"{times(ratios.min)}–{times(ratios.max)} a primed bare floor's first GetItem (median {times(ratios.median)}; "
        f"highest `{worst}`), against a target of {snap[worst]['target'].text()}."
    )


def _levers(data: dict[str, Any]) -> str | None:
    imports = data.get("importtime")
    if not imports:
        return None
    named = imports["packages"][:6]
    return (
        f"**Where cold start goes** (`{imports['function']}`, the slowest route function, layer with `.pyc`): "
        f"{ms(imports['beyond'])} of its {ms(imports['total'])} of imports are modules the bare floor does not load, chiefly "
        + ", ".join(f"`{name}` {ms(seconds)}" for name, seconds in named)
        + " (self times summed by package)."
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
    relay = next((entry for entry in calls.values() if entry["operation"].kind == "relay"), None)
    if relay is not None:
        made, fewest = sum(relay["counts"].values()), sum(relay["operation"].expected.values())
        if made > fewest:
            text += (
                f" The relay is the one to improve: {made} PutEvents calls for {relay['operation'].units} outbox records where "
                f"{fewest} would do while keeping the stream's order. EventBridge bills entries, so this costs relay time, "
                "not money."
            )
        else:
            text += (
                f" The relay made the fewest PutEvents calls that keep the stream's order ({made} for "
                f"{relay['operation'].units} outbox records, each call the next run of up to 10 events of different aggregates)."
            )
    return text


def _scaling(data: dict[str, Any]) -> str | None:
    scaling = data.get("scaling")
    if not scaling:
        return None
    gets = [r for r in scaling.values() if not r["judged_on_own_work"]]
    lists = [r for r in scaling.values() if r["judged_on_own_work"]]
    text = (
        f"**Scaling is flat:** from 100 to 100,000 items the authorizer and gets take "
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
        f"urllib3 loop's {delivery['floor_rate']:.0f} ({times(delivery['ratio'])}, target ≥ 0.7×)."
    )
    signing = data.get("signing")
    if signing and delivery.get("per_message"):
        text += f" Signing costs {signing * 1e6:.1f} µs a message, {signing / delivery['per_message']:.1%} of a delivery: not where the time goes."
    return text


def _warm(data: dict[str, Any]) -> str | None:
    warm = data.get("warm")
    if not warm:
        return None
    api = [r for r in warm.values() if r.operation.kind in ("api", "authorizer") and r.ratio is not None]
    reads = [
        r for r in api if r.operation.function.startswith(("Get", "List", "Authorizer")) and "first use" not in r.operation.name
    ]
    writes = [r for r in api if r not in reads and "first use" not in r.operation.name]
    if not reads:
        return None
    text = (
        f"**Warm, the code adds little:** reads cost {times(min(r.ratio for r in reads))}–{times(max(r.ratio for r in reads))} a bare "
        f"boto3 read of the same data; their own work (parsing, validation, the use case, serialising, logging, metrics) "
        f"is {ms(min(r.own for r in reads))}–{ms(max(r.own for r in reads))}"
    )
    if writes:
        text += (
            f", writes' {ms(min(r.own for r in writes))}–{ms(max(r.own for r in writes))}. Writes' ratios are moto's: its "
            "TransactWriteItems copies every table before it applies a transaction."
        )
    else:
        text += "."
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


def _layer(data: dict[str, Any]) -> str | None:
    layer = data.get("layer")
    if not layer:
        return None
    mb = 1024 * 1024
    return (
        f"**Layer:** {layer['bytes'] / mb:.1f} MB unzipped, {layer['bytes'] / (250 * mb):.0%} of Lambda's limit and "
        f"{layer['bytes'] / layer['boto']:.2f}× boto3's own size; {layer['jwt'] / mb:.1f} MB of it is cryptography and PyJWT for the "
        f"OIDC path, and {layer['duplicated'] / mb:.1f} MB duplicates packages the runtime has."
    )


def _local(data: dict[str, Any]) -> str | None:
    local = data.get("local")
    if not local:
        return None
    small, large, load = local["small"], local["large"], local["load"]
    lag = sorted(load.lag)
    return (
        f"**The local runtime keeps up:** `POST /webhooks` takes {ms(large['latency']['POST /webhooks'].median)} at "
        f"{large['items']:,} items against {ms(small['latency']['POST /webhooks'].median)} at {small['items']} "
        f"({times(local['growth'])}); the runtime and its emulator hold {large['memory'].runtime_mb:.0f} MB at "
        f"{large['items']:,} items; under 8 clients {load.sent} events were sent, {load.delivered} delivered, {load.lost} lost, "
        f"{load.duplicated} duplicated" + (f", {lag[len(lag) // 2]:.1f} s after the API answered (median)" if lag else "")
        + f"; Ctrl-C exits in {local['exit_seconds']:.1f} s."
    )
