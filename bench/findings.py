"""“What the numbers say”: a few sentences written from this run's figures."""

from __future__ import annotations

from typing import Any

from bench.common import Report, Sample, ms, times


def summarise(report: Report) -> None:
    data = report.data
    for writer in (_cold, _levers, _calls, _scaling, _delivery, _warm, _cost, _layer):
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
    met = sum(entry["ratio"] <= 1.25 for entry in api.values())
    text = (
        f"**Cold start is the figure furthest from its target.** The API functions take "
        f"{ms(min(e['total'] for e in api.values()))}–{ms(max(e['total'] for e in api.values()))} to import and answer their "
        f"first call against the floor's {ms(floor)}: {times(ratios.min)}–{times(ratios.max)}, {met} of {len(api)} within 1.25×. "
    )
    if ships_pyc:
        text += (
            f"That is with the layer's `.pyc`, which `layers/shared/Makefile` now compiles with a Python 3.13 when the build "
            f"machine has one: without them (/opt is read-only, so Lambda compiles the layer from source at every cold start) "
            f"it costs {ms(difference.median)} more and {times(others.min)}–{times(others.max)} the floor."
        )
    else:
        text += (
            f"The largest single cost is compiling: the layer ships no `.pyc` (no Python 3.13 to compile them here), so every "
            f"cold start compiles pydantic, Powertools and the `integration` package from source. Shipping them would save "
            f"{ms(difference.median)} a cold start (median) and bring the ratio to {times(others.min)}–{times(others.max)}."
        )
    imports = data.get("importtime")
    if imports:
        named = imports["packages"][:6]
        text += (
            f" What remains is imports the floor does not make: {ms(imports['beyond'])} of `{imports['function']}`'s "
            f"{ms(imports['total'])} with `.pyc`, chiefly "
            + ", ".join(f"`{name}` {ms(seconds)}" for name, seconds in named)
            + " (self times summed by package)."
        )
    return text


def _subtree(entries: list[Any], module: str) -> list[Any]:
    """The module and everything its import imported first (importtime lists a module after
    its children, which are deeper)."""
    for position, entry in enumerate(entries):
        if entry.module == module:
            found = [entry]
            for earlier in reversed(entries[:position]):
                if earlier.depth <= entry.depth:
                    break
                found.append(earlier)
            return found
    return []


def _levers(data: dict[str, Any]) -> str | None:
    imports = data.get("importtime")
    if not imports:
        return None
    entries, floor = imports["entries"], imports.get("floor", set())

    def beyond(module: str) -> float:
        return sum(entry.self_s for entry in _subtree(entries, module) if entry.module not in floor)

    self_time = {entry.module: entry.self_s for entry in entries}
    parts = []
    if "integration.api.schemas" in self_time:
        parts.append(
            f"`integration.api.schemas` builds every endpoint's pydantic models in every function "
            f"({ms(self_time['integration.api.schemas'])} of its own import time): one module per resource would let each "
            "function build only its own models"
        )
    if "integration.wiring" in self_time:
        parts.append(
            f"`integration.wiring` imports every use case and repository of the service ({ms(beyond('integration.wiring'))} "
            "of modules the floor does not load): importing them inside the factories that use them, as it already does for "
            "EventBridge, OIDC and the HTTP client, spares each function the ones it never calls, without moving anything "
            "to its first request"
        )
    if "aws_xray_sdk.core" in self_time:
        sqlite = next((entry.cumulative_s for entry in entries if entry.module == "aws_xray_sdk.ext.sqlite3.patch"), None)
        parts.append(
            f"Powertools' Tracer loads the X-Ray SDK ({ms(beyond('aws_xray_sdk.core'))} of modules the floor does not load) and "
            "patches every library it knows"
            + (f" (sqlite3 alone: {ms(sqlite)})" if sqlite else "")
            + ': `Tracer(patch_modules=["botocore"])` patches only what is used; Lambda\'s own active tracing needs no SDK at all'
        )
    if "aws_lambda_powertools.event_handler" in self_time:
        parts.append(
            f"`aws_lambda_powertools.event_handler` imports every resolver it has (AppSync, Bedrock, ...: "
            f"{ms(beyond('aws_lambda_powertools.event_handler'))} of modules the floor does not load, pydantic included), "
            "which only Powertools can change"
        )
    if not parts:
        return None
    return (
        "**Where else cold start goes** (`"
        + imports["function"]
        + "`, layer with `.pyc`): "
        + "; ".join(parts)
        + ". The DynamoDB client is made on the first request (`integration.infrastructure.aws`), as the floor makes it: "
        "on Lambda, making it at import time instead would run it during INIT, which is not throttled to the function's "
        "share of a vCPU (256 MB buys the authorizer a seventh of one on its first request)."
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
                f"{fewest} would do (it ends a round at the first repeated aggregate). EventBridge bills entries, so this costs "
                "relay time, not money."
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
