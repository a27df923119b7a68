"""GET /events with 100 versus 100,000 events of one tenant: the first page, and a page of one type.

The measured tenant's first event is recorded by the event log itself; every other event (and
other tenants') is a clone of it, one in four a ``WebhookDeleted`` (the typed page reads the type
index). Measured and judged as in :mod:`bench.scaling` (own time). ``BENCH_EVENTS_LARGE`` sets
the large count.
"""

from __future__ import annotations

import gc
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Report, heading, say, smoke
from bench.scaling import Case, Table, _use, judge_cases
from bench.world import LOCAL_PARAMETERS, World, lambda_context

TENANT = "events-tenant"
OTHER_TENANTS = 20
OTHER_EVENTS_EACH = 50
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _sizes() -> dict[str, int]:
    return {"small": 100, "large": int(os.environ.get("BENCH_EVENTS_LARGE", "1000" if smoke() else "100000"))}


def run(report: Report, world: World) -> None:
    sizes = _sizes()
    section = report.section(
        "events",
        f"3a. GET /events: {sizes['small']:,} versus {sizes['large']:,} events of one tenant",
        f"The first page (20) of a tenant's event log, and the first page of one type, with {sizes['small']:,} and "
        f"with {sizes['large']:,} events of that tenant in the table ({OTHER_TENANTS * OTHER_EVENTS_EACH:,} other "
        "tenants' events in both). One Query per page (the type's from the type index), so the page costs the "
        "same whatever the log's size; judged, as the scaling section's lists, on the handler's own time "
        "(moto's Query looks at every item of the table).",
    )
    heading(section.title)
    from local_runtime.resources import Stack

    tables: dict[str, Table] = {}
    started = time.monotonic()
    for label, size in sizes.items():
        stack = Stack(world.template, {"Stage": f"events-{label}", **LOCAL_PARAMETERS})
        stack.create_resources(world.session)
        table = Table(label, stack.resolve({"Ref": "Table"}))
        _use(world, table)
        table.items = _fill(world, table, size)
        tables[label] = table
        _check_page(world, "limit=20", None)
        _check_page(world, "limit=20&type=WebhookDeleted", "WebhookDeleted")
    say(
        f"  event logs filled: {tables['small'].items:,} and {tables['large'].items:,} items in {time.monotonic() - started:.0f} s"
    )
    gc.collect()
    gc.freeze()
    cases = [
        Case("GET /events (a page of 20)", "ListEventsFunction", lambda t: _page(world, "limit=20"), True),
        Case(
            "GET /events?type= (a page of 20)",
            "ListEventsFunction",
            lambda t: _page(world, "limit=20&type=WebhookDeleted"),
            True,
        ),
    ]
    report.data["events"] = judge_cases(
        report, section, world, tables, cases, f"GET /events, {sizes['large']:,} ÷ {sizes['small']:,} events of a tenant", "own time"
    )
    _use(world, None)
    gc.unfreeze()


def _page(world: World, query: str) -> dict[str, Any]:
    """GET /events as the measured tenant; :func:`_check_page` holds what it answers."""
    return world.request_event("GET", "/events", tenant=TENANT, query=query)[1]


def _check_page(world: World, query: str, event_type: str | None) -> None:
    """The page is full, of the measured tenant's events (of that type), newest first."""
    import json

    response = world.handler("ListEventsFunction")(_page(world, query), lambda_context("ListEventsFunction"))
    page = json.loads(response["body"])
    found = page["items"]
    assert response["statusCode"] == 200 and len(found) == 20 and page["next_cursor"], page
    assert all(item["data"]["tenantId"] == TENANT for item in found)
    assert event_type is None or all(item["type"] == event_type for item in found)
    assert [item["id"] for item in found] == sorted((item["id"] for item in found), reverse=True)


def _fill(world: World, table: Table, size: int) -> int:
    """``size`` events of the measured tenant and the other tenants' events: the first recorded
    by the event log, the rest its clones."""
    from integration import wiring
    from integration.domain.deliveries import TenantEvent

    first = TenantEvent(TENANT, "WebhookCreated", "bench-0", T0, {"tenantId": TENANT, "n": 0})
    recorded = wiring.event_log().record(first, ["wh_01M8SZCNZVA2DWY1JYGTTS6AN2"], expires_at=T0 + timedelta(days=3650))
    template = world.dynamodb.get_item(
        TableName=table.name, Key={"PK": {"S": f"TENANT#{TENANT}#EVENTS"}, "SK": {"S": f"EVENT#{recorded.id}"}}
    )["Item"]
    owners = [(TENANT, size - 1)] + [(f"events-other-{n:03d}", OTHER_EVENTS_EACH) for n in range(OTHER_TENANTS)]
    clones = [_clone(template, recorded.id, tenant, serial) for tenant, how_many in owners for serial in range(1, how_many + 1)]
    world.put_items(table.name, clones)
    return 1 + len(clones)


def _clone(template: dict[str, Any], template_id: str, tenant: str, serial: int) -> dict[str, Any]:
    """The recorded event as event ``serial`` of ``tenant``, ``serial`` seconds later; one in four a
    ``WebhookDeleted``."""
    from integration.domain.event_log import logged_event_id

    occurred_at = T0 + timedelta(seconds=serial)
    event_type = "WebhookDeleted" if serial % 4 == 0 else "WebhookCreated"
    event_id = logged_event_id(f"bench-{tenant}-{serial}", occurred_at)
    item = {}
    for name, value in template.items():
        if "S" in value:
            text = value["S"].replace(template_id, event_id).replace(f"TENANT#{TENANT}#", f"TENANT#{tenant}#")
            item[name] = {"S": text}
        else:
            item[name] = value
    item["tenant_id"] = {"S": tenant}
    item["event_type"] = {"S": event_type}
    item["GSI1PK"] = {"S": f"TENANT#{tenant}#EVENTS#TYPE#{event_type}"}
    item["occurred_at"] = {"S": occurred_at.isoformat()}
    item["source_id"] = {"S": f"bench-{tenant}-{serial}"}
    item["payload"] = {"S": template["payload"]["S"].replace(TENANT, tenant)}
    return item
