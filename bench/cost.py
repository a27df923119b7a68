"""The AWS cost model: a million API calls, a million webhook deliveries, and a month at 1,000
tenants sending 100 events a second, from this run's figures (AWS calls and DynamoDB units per
operation, own time outside AWS calls and bytes logged, cold-start import CPU time, the delivery
worker's own time per message) and the assumptions named below. Lambda duration: own time ×
(1,769 MB ÷ the function's memory) + the AWS calls' latencies; INIT on one full core, in
COLD_START_SHARE of invocations.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

from bench.common import Report, function_memory, heading, say

# ---------------------------------------------------------------------------- prices
# AWS list prices, us-east-1, as of 2025-08 (DynamoDB on-demand after its 2024-11-01 cut;
# Lambda INIT billed from 2025-08-01). First tiers: volume discounts are left out.
PRICES_REGION = "us-east-1"
PRICES_AS_OF = "2025-08"
HTTP_API_PER_REQUEST = 1.00 / 1e6  # API Gateway HTTP API, first 300 M requests a month
LAMBDA_PER_REQUEST = 0.20 / 1e6
LAMBDA_ARM64_PER_GB_SECOND = 0.0000133334  # Arm (Graviton2), first 7.5 B GB-s a month
DYNAMODB_PER_WRU = 0.625 / 1e6  # on-demand write request unit
DYNAMODB_PER_RRU = 0.125 / 1e6  # on-demand read request unit
SQS_PER_REQUEST = 0.40 / 1e6  # standard queue, per 64 KB chunk of a request
EVENTBRIDGE_PER_EVENT = 1.00 / 1e6  # custom events published (64 KB chunks)
CLOUDWATCH_LOGS_PER_GB = 0.50  # ingestion (Lambda logs: first 10 TB)
XRAY_PER_TRACE = 5.00 / 1e6  # traces recorded
DATA_OUT_PER_GB = 0.09  # to the internet, first 10 TB

# ---------------------------------------------------------------------------- assumptions
LATENCY_MS = {  # typical in-region latencies from Lambda; not measured here
    **dict.fromkeys(("PutItem", "UpdateItem", "DeleteItem", "Query"), 6),
    "GetItem": 4, "TransactWriteItems": 12, "SendMessage": 8, "SendMessageBatch": 10, "ChangeMessageVisibility": 8, "PutEvents": 15,
}
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally less below
COLD_START_SHARE = 0.01  # AWS: cold starts occur in under 1% of invocations
XRAY_SAMPLED = 0.05  # Lambda's default rule: 1 request a second, then 5%
PLATFORM_LOG_BYTES = 350  # Lambda's START, END and REPORT lines per invocation
RECEIVER_MS = 150  # a tenant's endpoint answers a webhook in 150 ms
WEBHOOKS_PER_EVENT = 3  # active webhooks subscribed to each event
REQUEST_OVERHEAD_BYTES = 600  # TCP/TLS and HTTP headers of one webhook POST, besides its body
SECONDS_PER_MONTH = 730 * 3600


@dataclass
class Bill:
    """Dollars by service for one unit of work (one API call, one delivery)."""

    items: dict[str, float] = field(default_factory=dict)

    def add(self, service: str, dollars: float) -> None:
        self.items[service] = self.items.get(service, 0.0) + dollars

    @property
    def total(self) -> float:
        return sum(self.items.values())

    def scaled(self, factor: float) -> Bill:
        return Bill({name: value * factor for name, value in self.items.items()})


def cpu_factor(memory_mb: int) -> float:
    return max(1.0, FULL_VCPU_MB / memory_mb)


def lambda_cost(
    bill: Bill, *, memory_mb: int, own_seconds: float, latency_ms: float, invocations: float = 1.0, init_seconds: float = 0.0
) -> float:
    """Adds a Lambda invocation's request and duration (and its share of INIT) to ``bill``;
    returns the billed milliseconds of one invocation."""
    billed_ms = math.ceil(own_seconds * 1000 * cpu_factor(memory_mb) + latency_ms)
    gb = memory_mb / 1024
    bill.add("Lambda requests", LAMBDA_PER_REQUEST * invocations)
    bill.add("Lambda duration", billed_ms / 1000 * gb * LAMBDA_ARM64_PER_GB_SECOND * invocations)
    if init_seconds:
        bill.add("Lambda duration", COLD_START_SHARE * init_seconds * gb * LAMBDA_ARM64_PER_GB_SECOND * invocations)
    bill.add("X-Ray", XRAY_SAMPLED * XRAY_PER_TRACE * invocations)
    return billed_ms


def latency(counts: Any) -> float:
    return sum(LATENCY_MS.get(operation, 10) * n for operation, n in counts.items())


def logs(bill: Bill, log_bytes: float, invocations: float = 1.0) -> None:
    bill.add("CloudWatch Logs", (log_bytes + PLATFORM_LOG_BYTES) * invocations / 1e9 * CLOUDWATCH_LOGS_PER_GB)


def dynamodb(bill: Bill, units: Any, share: float = 1.0) -> None:
    bill.add("DynamoDB", (units.rru * DYNAMODB_PER_RRU + units.wru * DYNAMODB_PER_WRU) * share)
    if units.sqs_requests:
        bill.add("SQS", units.sqs_requests * SQS_PER_REQUEST * share)
    if units.events:
        bill.add("EventBridge", units.events * EVENTBRIDGE_PER_EVENT * share)


@functools.cache
def _template() -> Any:
    from local_runtime.template import Template

    return Template.load()


def init_seconds(report: Report, folder: str) -> float:
    cold = report.data.get("cold", {}).get(folder)
    return cold["import"] if cold and "import" in cold else 0.0


def api_call(report: Report, name: str, authorizer: str) -> tuple[Bill, dict[str, float]]:
    """One API call: API Gateway, the authorizer, the function, what they use."""
    calls = report.data["calls"]
    bill = Bill()
    bill.add("API Gateway", HTTP_API_PER_REQUEST)
    durations = {}
    for part in (authorizer, name):
        entry = calls[part]
        operation = entry["operation"]
        folder = _template().functions()[operation.function].code_uri.name
        durations[part] = lambda_cost(
            bill,
            memory_mb=function_memory(_template(), operation.function),
            own_seconds=entry["own"],
            latency_ms=latency(entry["counts"]),
            init_seconds=init_seconds(report, folder),
        )
        dynamodb(bill, entry["units"])
        logs(bill, entry["log_bytes"])
    return bill, durations


def delivery(report: Report, webhooks_per_event: int = WEBHOOKS_PER_EVENT) -> tuple[Bill, dict[str, float]]:
    """One webhook delivery (a message's first attempt succeeding), with its share of the event's
    publishing and fan-out."""
    calls = report.data["calls"]
    fan_out = next(entry for entry in calls.values() if entry["operation"].kind == "fan-out")
    batch = next(entry for entry in calls.values() if entry["operation"].kind == "delivery")
    per_event = 1 / webhooks_per_event  # this delivery's share of its event
    bill = Bill()
    # The event: published once (the platform's PutEvents or the relay's), routed to the events
    # queue (one SQS request), received and deleted by the fan-out's event source mapping
    # (one ReceiveMessage and one DeleteMessageBatch per batch of 10).
    bill.add("EventBridge", EVENTBRIDGE_PER_EVENT * per_event)
    bill.add("SQS", (1 + 2 / 10) * SQS_PER_REQUEST * per_event)
    sends = math.ceil(webhooks_per_event / 10)
    fan_out_ms = lambda_cost(
        bill,
        memory_mb=function_memory(_template(), fan_out["operation"].function),
        own_seconds=fan_out["own"],
        latency_ms=LATENCY_MS["Query"] + sends * LATENCY_MS["SendMessageBatch"],
        invocations=per_event / 10,  # the mapping hands over up to 10 events at a time
        init_seconds=init_seconds(report, "webhook_fan_out"),
    )
    bill.add("DynamoDB", 0.5 * max(1, math.ceil(webhooks_per_event * 1024 / 4096)) * DYNAMODB_PER_RRU * per_event)
    bill.add("SQS", sends * SQS_PER_REQUEST * per_event)
    logs(bill, fan_out["log_bytes"], per_event / 10)
    # The message: received and deleted by the delivery mapping (2 requests per 10), the
    # webhook's GetItem, the attempt's UpdateItem, the POST; a batch's ten run side by side, so
    # the invocation lasts as long as its slowest message.
    units = batch["units"]
    size = batch["operation"].units
    bill.add("SQS", 2 / 10 * SQS_PER_REQUEST)
    own = report.data.get("delivery", {}).get("own_per_message", batch["own"] / size)
    delivery_ms = lambda_cost(
        bill,
        memory_mb=function_memory(_template(), batch["operation"].function),
        own_seconds=own * size,
        latency_ms=LATENCY_MS["GetItem"] + RECEIVER_MS + LATENCY_MS["UpdateItem"],
        invocations=1 / size,
        init_seconds=init_seconds(report, "webhook_delivery"),
    )
    bill.add("DynamoDB", (units.rru * DYNAMODB_PER_RRU + units.wru * DYNAMODB_PER_WRU) / size)
    logs(bill, batch["log_bytes"], 1 / size)
    body = report.data.get("delivery_body_bytes", 400)
    bill.add("Data transfer out", (body + REQUEST_OVERHEAD_BYTES) / 1e9 * DATA_OUT_PER_GB)
    return bill, {"fan-out invocation": fan_out_ms, "delivery invocation (10 messages)": delivery_ms}


def money(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.3f}"


SERVICES = ("API Gateway", "Lambda requests", "Lambda duration", "DynamoDB", "SQS", "EventBridge", "CloudWatch Logs", "X-Ray",
            "Data transfer out")  # fmt: skip


def run(report: Report) -> None:
    section = report.section(
        "cost",
        "6. Cost model",
        f"AWS list prices for {PRICES_REGION} as of {PRICES_AS_OF} (named constants in `bench/cost.py`), applied to "
        "this run's measured AWS calls, DynamoDB request units (estimated from the items' sizes), handler times "
        "outside AWS calls, logged bytes and cold starts; Lambda durations add typical AWS latencies and scale "
        "this machine's CPU time to the share of a vCPU the function's memory buys. Assumptions are listed below.",
    )
    heading(section.title)
    if "calls" not in report.data:
        section.note("Not computed: it needs the `calls` section of the same run.")
        say("  skipped: needs the calls section")
        return
    authorizer = next(
        name for name, entry in report.data["calls"].items() if entry["operation"].kind == "authorizer" and "within" in name
    )
    names = [name for name, entry in report.data["calls"].items() if entry["operation"].kind == "api"]
    table = section.table(["per million calls of", "total", *SERVICES[:4], "logs", "other", "billed ms (authorizer + function)"])
    bills: dict[str, Bill] = {}
    for name in names:
        bill, durations = api_call(report, name, authorizer)
        million = bill.scaled(1e6)
        bills[name] = million
        other = sum(v for k, v in million.items.items() if k not in SERVICES[:4] and k != "CloudWatch Logs")
        table.add(
            name,
            f"**{money(million.total)}**",
            *(money(million.items.get(service, 0.0)) for service in SERVICES[:4]),
            money(million.items.get("CloudWatch Logs", 0.0)),
            money(other),
            f"{durations[authorizer]:.0f} + {durations[name]:.0f}",
        )
        say(f"  {name:<54} {money(million.total):>8} per million")
    read, write = "GET /webhooks/{id}", "PUT /webhooks/{id}"
    blended = bills[read].scaled(0.8).total + bills[write].scaled(0.2).total if read in bills and write in bills else 0.0
    cheapest = min(bills.items(), key=lambda kv: kv[1].total)
    dearest = max(bills.items(), key=lambda kv: kv[1].total)
    section.note(
        f"A mix of 80% `{read}` and 20% `{write}` costs **{money(blended)} per million API calls**; "
        f"the cheapest operation is `{cheapest[0]}` ({money(cheapest[1].total)}), the dearest `{dearest[0]}` ({money(dearest[1].total)}). "
        f"API Gateway's {money(HTTP_API_PER_REQUEST * 1e6)} a million is the floor any design on an HTTP API pays."
    )

    if read in bills:
        shares = sorted(bills[read].items.items(), key=lambda kv: -kv[1])
        section.note(
            f"Where a read's {money(bills[read].total)} a million goes: "
            + ", ".join(f"{name} {value / bills[read].total:.0%}" for name, value in shares if value)
            + ". Per-request charges dominate; the code's speed hardly shows. CloudWatch Logs and X-Ray are the "
            "items the service itself decides: every request logs at least the authorizer's `authenticated` line, "
            "plus whatever the function logs and its EMF metrics (the bytes each invocation wrote were counted in the "
            "AWS calls section's warm runs), and both functions are traced."
        )

    per_delivery, durations = delivery(report)
    million = per_delivery.scaled(1e6)
    deliveries = section.table(
        ["per million webhook deliveries", "cost"],
        caption=f"**Per million webhook deliveries** (each event to {WEBHOOKS_PER_EVENT} webhooks, first attempt answered in "
        f"{RECEIVER_MS} ms; billed: fan-out {durations['fan-out invocation']:.0f} ms per invocation of up to 10 events, "
        f"delivery {durations['delivery invocation (10 messages)']:.0f} ms per batch of 10):",
    )
    for service in SERVICES:
        if million.items.get(service):
            deliveries.add(service, money(million.items[service]))
    deliveries.add("**total**", f"**{money(million.total)}**")
    dynamo = million.items.get("DynamoDB", 0.0)
    section.note(
        f"DynamoDB is {dynamo / million.total:.0%} of a delivery's cost: each attempt's UpdateItem of its delivery record "
        "writes the item and its copy in `GSI1` (projection ALL), about 2 WRU, and reads the webhook with a consistent "
        "GetItem (1 RRU). The index copy is what lets the log be listed by status with one Query, and it doubles what "
        "each attempt's write costs."
    )
    say(f"  per million webhook deliveries: {money(million.total)}")

    rate = 100  # events a second, all tenants together
    monthly_events = rate * SECONDS_PER_MONTH
    monthly_deliveries = monthly_events * WEBHOOKS_PER_EVENT
    month = per_delivery.scaled(monthly_deliveries)
    scenario = section.table(
        ["1,000 tenants sending 100 events a second in all", "per month"],
        caption=f"**A month at 1,000 tenants sending 100 events a second** ({monthly_events / 1e6:,.0f} M events, "
        f"{monthly_deliveries / 1e6:,.0f} M deliveries a month, {WEBHOOKS_PER_EVENT} webhooks an event):",
    )
    for service in SERVICES:
        if month.items.get(service):
            scenario.add(service, money(month.items[service]))
    scenario.add("**total**", f"**{money(month.total)}**")
    scenario.add("… if each tenant sent 100 a second (100,000 events a second)", money(month.total * 1000))
    say(f"  a month at 100 events/s ({WEBHOOKS_PER_EVENT} webhooks each): {money(month.total)}")

    assumptions = section.table(["assumption", "value", "why"], caption="**Assumptions** (not measured here):")
    assumptions.add(
        "AWS latencies", ", ".join(f"{k} {v} ms" for k, v in LATENCY_MS.items()), "typical in-region figures from Lambda"
    )
    assumptions.add(
        "CPU",
        f"1 vCPU at {FULL_VCPU_MB} MB, proportionally less below",
        "Lambda's documented allocation; this machine's core taken as a Graviton2 core",
    )
    assumptions.add(
        "cold starts",
        f"{COLD_START_SHARE:.0%} of invocations, INIT at full speed",
        "AWS's figure for production workloads; INIT runs unthrottled",
    )
    assumptions.add("X-Ray", f"{XRAY_SAMPLED:.0%} of invocations traced", "Tracing: Active with Lambda's default sampling rule")
    assumptions.add("Lambda's own log lines", f"{PLATFORM_LOG_BYTES} bytes an invocation", "START, END, REPORT")
    assumptions.add("a receiver's answer", f"{RECEIVER_MS} ms", "a tenant's endpoint over the internet")
    assumptions.add("webhooks per event", str(WEBHOOKS_PER_EVENT), "active webhooks subscribed to the event")
    assumptions.add("left out", "free tiers, volume tiers, storage, empty queue polls, retries", "small or not per request")
    report.data["cost"] = {"blended_per_million_calls": blended, "per_million_deliveries": million.total, "month": month.total}
    report.headline(
        "Cost per million API calls (80% reads, 20% writes)",
        f"{money(blended)}; per million webhook deliveries {money(million.total)}; a month at 100 events/s: {money(month.total)}",
        f"prices: {PRICES_REGION}, {PRICES_AS_OF}",
        "",
    )
