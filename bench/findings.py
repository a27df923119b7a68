"""“What the numbers say”: a few sentences written from this run's figures."""

from __future__ import annotations

from typing import Any

from bench.common import Report, Sample, ms, signed_ms, times


def summarise(report: Report) -> None:
    data = report.data
    for writer in (_cold, _levers, _calls, _scaling, _delivery, _warm, _cost, _layer, _local):
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
    ships_pyc = data.get("cold_ships_pyc", False)
    api = {name: entry for name, entry in cold.items() if entry["api"]}
    ratios = Sample.of(entry["ratio"] for entry in api.values())
    others = Sample.of(entry["other_ratio"] for entry in api.values())
    difference = Sample.of(abs(entry["total"] - entry["other"]) for entry in api.values())
    floor = Sample.of(entry["floor"] for entry in api.values()).median
    within = sorted(name for name, entry in api.items() if entry["ratio"] <= 1.25)
    text = (
        f"**Cold start misses its target, and the fixed stack alone misses it.** The API functions take "
        f"{ms(min(e['total'] for e in api.values()))}–{ms(max(e['total'] for e in api.values()))} to import and answer their "
        f"first call against the floor's {ms(floor)}: {times(ratios.min)}–{times(ratios.max)}, {len(within)} of {len(api)} "
        f"within 1.25×" + (f" ({', '.join(f'`{name}`' for name in within)})" if within else "") + ". "
    )
    stack = data.get("cold_stack")
    if stack:
        text += (
            f"The stack floor, an API function with nothing of ours (Powertools' event handler with validation, Logger, "
            f"Tracer and Metrics, one pydantic model, the same GetItem), is already {times(stack['ratio'].median)} the floor "
            f"({times(stack['ratio'].min)}–{times(stack['ratio'].max)}); the route functions add "
            f"{signed_ms(stack['beyond'].median)} to it (median; {signed_ms(stack['beyond'].min)} to "
            f"{signed_ms(stack['beyond'].max)}). So no function "
            "built on that stack can reach 1.25× by cutting this project's code: the remaining cost is the design's choice of "
            "Powertools' event handler and pydantic validation (see the next point). "
        )
    if ships_pyc:
        text += (
            f"All of this is with the layer's `.pyc`, which `layers/shared/Makefile` compiles with a Python 3.13 when the "
            f"build machine has one: without them (/opt is read-only, so Lambda compiles the layer from source at every cold "
            f"start) it costs {ms(difference.median)} more and {times(others.min)}–{times(others.max)} the floor."
        )
    else:
        text += (
            f"The largest single cost is compiling: the layer ships no `.pyc` (no Python 3.13 to compile them here), so every "
            f"cold start compiles pydantic, Powertools and the `integration` package from source. Shipping them would save "
            f"{ms(difference.median)} a cold start (median) and bring the ratio to {times(others.min)}–{times(others.max)}."
        )
    return text


def _levers(data: dict[str, Any]) -> str | None:
    imports = data.get("importtime")
    if not imports:
        return None
    named = imports["packages"][:6]
    return (
        f"**Where cold start goes now** (`{imports['function']}`, layer with `.pyc`): {ms(imports['beyond'])} of its "
        f"{ms(imports['total'])} of imports are modules the floor does not load, chiefly "
        + ", ".join(f"`{name}` {ms(seconds)}" for name, seconds in named)
        + " (self times summed by package). Already cut: each function builds only its own resource's pydantic models "
        "(`integration/entrypoints/http/schemas/`), `integration.wiring` imports only what a factory builds, the Tracer patches only "
        "botocore, once boto3 is imported (and http.client in the delivery function), wrapt is pinned below 2 (which imports asyncio and importlib.metadata), the ETag "
        "pattern no longer compiles a class to U+10FFFF, and the authorizer answers with plain dicts and loads no X-Ray "
        "SDK. What remains is not ours: `aws_lambda_powertools.event_handler` imports every resolver it has (AppSync "
        "brings asyncio), and pydantic builds its core at import. Left as decisions for the design's owner: "
        "Lambda SnapStart for Python (INIT restored from a snapshot; priced per restore), or routing without Powertools' "
        "event handler. The DynamoDB client is made on the first request, as the floor makes it."
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
    text += (
        " On moto the delivery function manages far less, because moto spends ~16 ms of CPU parsing each attempt's "
        "UpdateItem; on AWS those calls are network waits that the batch's threads overlap."
    )
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
