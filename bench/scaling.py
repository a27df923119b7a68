"""The authorizer, get and list with 100 versus 100,000 items in the table, across many tenants.

Two tables from template.yaml in moto in process; the measured tenant's items are made through
the service, the rest cloned from them (BatchWriteItem). Calls alternate between the tables in
blocks (a switch is an environment change and ``wiring.reset()``; each block starts untimed).
moto's Query walks the whole table, so lists are judged on the handler's own time (outside its
AWS calls), the authorizer and gets on the whole handler; see the section's intro.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import Report, Sample, at_most, heading, ms, quick, ratio, row, say, smoke, spread, times
from bench.world import LOCAL_PARAMETERS, CallLog, World, lambda_context, quiet

TARGET = at_most(1.2)
SIZES = {"small": 100, "large": 100_000}
SMOKE_LARGE = 1_000  # --smoke
TENANT = "scale-tenant"
KEYS = 10
WEBHOOKS = 10


@dataclass
class Table:
    label: str
    name: str
    key_id: str = ""
    key: str = ""
    webhook_id: str = ""
    items: int = 0


@dataclass
class Case:
    name: str
    function: str
    event: Callable[[Table], dict[str, Any]]
    judged_on_own_work: bool


def run(report: Report, world: World) -> None:
    section = report.section(
        "scaling",
        "3. Scaling: 100 versus 100,000 items",
        "The same tenant's operations on a table of 100 items and on one of 100,000 items "
        "(the other items belong to thousands of other tenants), alternating between the tables. "
        "moto's Query looks at every item of the table (DynamoDB's reads one partition's page), so "
        "list operations are judged on the handler's own time, outside its AWS calls; the authorizer "
        "and gets on the whole handler. Both figures are shown for every operation. A large-table list "
        "call runs right after moto has walked 100,000 items, which by itself slows the code around it "
        "(cold caches); so every small-table list call comes right after an untimed moto Query that walks "
        "the large table.",
    )
    heading(section.title)
    from local_runtime.resources import Stack

    tables: dict[str, Table] = {}
    for label in SIZES:
        stack = Stack(world.template, {"Stage": label, **LOCAL_PARAMETERS})
        stack.create_resources(world.session)
        tables[label] = Table(label, stack.resolve({"Ref": "Table"}))
    started = time.monotonic()
    # The measured tenant first, through the service: moto copies every table for each
    # transaction, so they are cheap only while the tables are small.
    for table in tables.values():
        _use(world, table)
        for index in range(KEYS):
            key_id, key = world.create_key(TENANT, f"scale-{index}")
            if index == 0:
                table.key_id, table.key = key_id, key
        for index in range(WEBHOOKS):
            hook = world.create_webhook(TENANT, "https://hooks.example.com/scale", name=f"scale-{index}")
            if index == 0:
                table.webhook_id = hook["id"]
        world.authorize(table.key)  # its last use is recorded: measured calls make no write
    templates = _templates(world, tables["small"])
    for table in tables.values():
        size = SMOKE_LARGE if smoke() and table.label == "large" else SIZES[table.label]
        table.items = _fill(world, table, size, templates)
    say(f"  tables filled: {tables['small'].items:,} and {tables['large'].items:,} items in {time.monotonic() - started:.0f} s")
    # The collector would otherwise walk moto's 100,000 items at whatever moment it runs: the
    # tables' objects are frozen out of it, and it stays off while calls are timed.
    gc.collect()
    gc.freeze()

    cases = [
        Case("authorizer (the key's GetItem)", "AuthorizerFunction", lambda t: world.authorizer_event(t.key), False),
        Case("GET /api-keys/{id}", "GetApiKeyFunction", lambda t: _event(world, "GET", f"/api-keys/{t.key_id}"), False),
        Case("GET /webhooks/{id}", "GetWebhookFunction", lambda t: _event(world, "GET", f"/webhooks/{t.webhook_id}"), False),
        Case("GET /api-keys (a page of 20)", "ListApiKeysFunction", lambda t: _event(world, "GET", "/api-keys", "limit=20"), True),
        Case("GET /webhooks (a page of 20)", "ListWebhooksFunction", lambda t: _event(world, "GET", "/webhooks", "limit=20"), True),
    ]
    report.data["scaling"] = judge_cases(
        report, section, world, tables, cases, f"Scaling, {tables['large'].items:,} ÷ {tables['small'].items:,} items",
        "authorizer, gets: handler; lists: own time",
    )
    _use(world, None)
    gc.unfreeze()


def judge_cases(
    report: Report, section: Any, world: World, tables: dict[str, Table], cases: list[Case], what: str, judged_on: str
) -> dict[str, dict[str, Any]]:
    """Each case measured on both tables, a row, a bar and a summary line: the scaling section's and the event log's."""
    small, large = (f"{tables[label].items:,}" for label in ("small", "large"))
    table_out = section.table(
        ["operation", f"{small} items: handler (min–max)", f"{large} items: handler (min–max)", "ratio, handler",
         f"own time {small} → {large}", "ratio, own time", "judged on", "target", "", "DynamoDB work per call (both tables)"]
    )  # fmt: skip
    results, met = {}, 0
    for case in cases:
        result = _measure(world, tables, case)
        results[case.name] = {**result, "judged_on_own_work": case.judged_on_own_work, "sizes": (small, large)}
        judged = result["own_ratio"] if case.judged_on_own_work else result["ratio"]
        met += TARGET.met(judged)
        row(
            case.name,
            f"{ms(result['small'].median)} → {ms(result['large'].median)}  ratio {times(result['ratio'])}  own {times(result['own_ratio'])}",
            TARGET,
            judged,
        )
        table_out.add(
            case.name,
            spread(result["small"]),
            spread(result["large"]),
            times(result["ratio"]),
            f"{ms(result['own_small'])} → {ms(result['own_large'])}",
            times(result["own_ratio"]),
            "own time" if case.judged_on_own_work else "handler",
            TARGET.text(),
            f"**{TARGET.verdict(judged)}**",
            result["work"],
        )
        report.bar(what, case.name.split(" (")[0], judged, TARGET)
    report.headline(f"{what} ({judged_on})", f"{met} of {len(cases)} within target", TARGET.text(), "PASS" if met == len(cases) else "FAIL")
    return results


def _use(world: World, table: Table | None) -> None:
    """Point the functions at ``table`` (None: back to the world's own)."""
    from integration import wiring

    os.environ["TABLE_NAME"] = table.name if table is not None else world.table
    wiring.reset()


def _event(world: World, method: str, path: str, query: str = "") -> dict[str, Any]:
    return world.request_event(method, path, tenant=TENANT, query=query)[1]


def _templates(world: World, table: Table) -> list[dict[str, Any]]:
    """The measured tenant's real items, one of each kind: what other tenants' items are cloned from."""
    client = world.dynamodb
    items = client.query(
        TableName=table.name, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": f"TENANT#{TENANT}"}}
    )["Items"]
    by_kind: dict[str, dict[str, Any]] = {}
    for item in items:
        by_kind.setdefault(item.get("entity", {}).get("S", "?"), item)
    key_item = by_kind["ApiKey"]
    lookup = client.get_item(
        TableName=table.name, Key={"PK": {"S": f"APIKEYHASH#{key_item['key_hash']['S']}"}, "SK": {"S": "APIKEYHASH"}}
    )["Item"]
    return [
        by_kind["ApiKey"],
        lookup,
        by_kind["Webhook"],
        by_kind.get("WebhookQuota", by_kind["Webhook"]),
        by_kind["OutboxEvent"],
    ]


def _clone(template: dict[str, Any], tenant: str, serial: int) -> dict[str, Any]:
    """``template`` as another tenant's item: every value naming the tenant or the item's ids changed."""
    item: dict[str, Any] = {}
    old_tenant = template["tenant_id"]["S"] if "tenant_id" in template else TENANT
    old_id = template.get("id", template.get("aggregate_id", {"S": ""}))["S"]
    new_id = f"{old_id[:4]}{serial:022d}" if old_id else ""
    for name, value in template.items():
        if "S" in value:
            text = value["S"].replace(old_tenant, tenant)
            if old_id:
                text = text.replace(old_id, new_id)
            if name == "PK" and text.startswith("APIKEYHASH#"):
                text = f"APIKEYHASH#{serial:064x}"
            if name == "key_hash":
                text = f"{serial:064x}"
            item[name] = {"S": text}
        else:
            item[name] = value
    return item


def _fill(world: World, table: Table, size: int, templates: list[dict[str, Any]]) -> int:
    """Other tenants' items until the table holds ``size``: 20 a tenant (5 keys with their
    lookups, 4 webhooks, a quota item, 5 outbox items)."""
    count = world.dynamodb.scan(TableName=table.name, Select="COUNT")["Count"]
    key, lookup, webhook, quota, outbox = templates
    shape = [key, lookup] * 5 + [webhook] * 4 + [quota] + [outbox] * 5

    def clone(serial: int) -> dict[str, Any]:
        template = shape[(serial - 1) % len(shape)]
        tenant = f"tenant-{(serial - 1) // len(shape):06d}-{table.label}"
        return _clone(template, tenant, serial if template is not lookup else serial - 1)

    world.put_items(table.name, (clone(serial) for serial in range(1, size - count + 1)))
    return max(size, count)


def _measure(world: World, tables: dict[str, Table], case: Case) -> dict[str, Any]:
    """Blocks of calls alternating between the tables; every small-table list call right after an
    untimed moto Query over the large table (a large-table call's previous one walked it too), or
    the comparison would measure moto's aftermath (cold caches), not the table's size."""
    handler = world.handler(case.function)
    context = lambda_context(case.function)
    equalise = case.judged_on_own_work  # and moto's Query on 100,000 items takes a second or so
    rounds, per_block = (1, 1) if smoke() else ((2, 2) if equalise else (4, 8)) if quick() else ((3, 2) if equalise else (6, 15))
    times_: dict[str, list[float]] = {"small": [], "large": []}
    own: dict[str, list[float]] = {"small": [], "large": []}
    work: dict[str, str] = {}
    walk = {
        "TableName": tables["large"].name,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "TENANT#nobody"}},
    }

    def timed(table: Table, into: str) -> CallLog:
        event = case.event(table)
        gc.disable()
        try:
            with world.counter.recording() as log, quiet():
                started = time.perf_counter()
                response = handler(event, context)
                elapsed = time.perf_counter() - started
        finally:
            gc.enable()
        if isinstance(response, dict) and response.get("statusCode", 200) != 200:
            raise RuntimeError(f"{case.name}: answered {response.get('statusCode')}: {str(response.get('body'))[:200]}")
        times_[into].append(elapsed)
        own[into].append(max(0.0, elapsed - log.seconds()))
        return log

    for index in range(rounds):
        order = ["small", "large"] if index % 2 == 0 else ["large", "small"]
        for label in order:
            table = tables[label]
            _use(world, table)
            handler = world.handler(case.function)  # this table's instance of the function
            with quiet():
                handler(case.event(table), context)  # untimed: new clients after the switch
            for _ in range(per_block):
                if equalise and label == "small":
                    world.dynamodb.query(**walk)  # a large-table call's previous one walked too
                log = timed(table, label)
            work[label] = _work(world, log)
    small, large = Sample.of(times_["small"]), Sample.of(times_["large"])
    own_small, own_large = Sample.of(own["small"]).median, Sample.of(own["large"]).median
    shown = work["small"] if work["small"] == work["large"] else f"100: {work['small']}; 100,000: {work['large']}"
    return {
        "small": small,
        "large": large,
        "ratio": ratio(large.median, small.median),
        "own_small": own_small,
        "own_large": own_large,
        "own_ratio": ratio(own_large, own_small),
        "work": shown,
    }


def _work(world: World, log: CallLog) -> str:
    """What DynamoDB does for the handler's reads: the items the same requests read (replayed)."""
    parts = []
    for call in log.calls:
        if call.operation not in ("GetItem", "Query"):
            continue
        params = dict(call.params)
        response = world.dynamodb.get_item(**params) if call.operation == "GetItem" else world.dynamodb.query(**params)
        scanned = response.get("ScannedCount", 1 if "Item" in response else 0)
        parts.append(f"{call.operation}: {scanned} item(s) read")
    return "; ".join(parts) or "none"
