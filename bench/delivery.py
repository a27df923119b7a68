"""Delivery throughput of one worker (the delivery function's own pieces: ``process_delivery_batch``
running ``DeliverMessageUseCase`` with the real signing and SSRF-safe HTTP client, storage in
memory) to a loopback receiver in its own process, against a bare urllib3 POST loop in the same
shape; and what signing costs per message. The section's intro says why storage is left out."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import PROJECT_ROOT, Report, Sample, at_least, heading, ms, ratio, repeat, row, say, spread, times, us
from bench.operations import Scenario
from bench.world import quiet

TARGET = at_least(0.7)
WEBHOOKS = 10  # one fan-out event gives one message per webhook: a batch
RECEIVER = """
from tests.webhook_receiver import Receiver
receiver = Receiver()
print(receiver.url, flush=True)
receiver._server.serve_forever()
"""


class ReceiverProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", RECEIVER], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.stop()
            raise RuntimeError("the webhook receiver did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _throughput(messages: int, seconds: float) -> float:
    return messages / seconds if seconds else 0.0


def run(report: Report, scenario: Scenario) -> None:
    section = report.section(
        "delivery",
        "4. Delivery throughput and signing",
        "One delivery worker (`process_delivery_batch` running `DeliverMessageUseCase` with the real signing "
        "and SSRF-safe HTTP client, webhooks read from memory, the log kept in memory) sending fanned-out "
        "messages to a receiver on loopback (`tests/webhook_receiver.py`, its own process, its listen backlog raised from "
        "socketserver's 5 to 128: a batch's ten connections at once overflow 5, and a dropped SYN waits a second), against a bare "
        "urllib3 POST loop sending the same bodies to the same receiver in the same shape (batches of 10 in "
        "10 threads). Rounds alternate worker and floor; messages per second, ratio of the medians. Storage "
        "is left out of the worker because moto in process would be what is measured (it parses each attempt's "
        "UpdateItem in Python).",
    )
    heading(section.title)
    receiver = ReceiverProcess()
    try:
        _measure(report, section, scenario, receiver.url)
    finally:
        receiver.stop()
    _signing(report, section)


class MemoryWebhooks:
    """The webhook reads the worker makes, from memory (webhooks loaded from the table once)."""

    def __init__(self, webhooks: dict[tuple[str, str], Any]) -> None:
        self._webhooks = webhooks

    def get(self, tenant_id: str, webhook_id: str) -> Any:
        return self._webhooks.get((tenant_id, webhook_id))

    def mark_failing(self, webhook: Any, since: datetime) -> None: ...
    def mark_recovered(self, webhook: Any) -> None: ...
    def disable(self, webhook: Any, event: Any, *, same_run: bool = True) -> bool:
        return True


class MemoryLog:
    """The delivery log's writes, dropped (the worker's bookkeeping still runs)."""

    def record_attempt(self, message: Any, attempt: Any, status: Any, *, next_attempt_at: Any, expires_at: Any) -> None: ...
    def mark_dropped(self, message: Any, reason: str, now: datetime) -> None: ...


def _measure(report: Report, section: Any, scenario: Scenario, url: str) -> None:
    import urllib3

    from integration import wiring
    from integration.application.deliveries import DeliverMessageUseCase, DeliverySettings
    from integration.domain.signing import USER_AGENT
    from integration.entrypoints.delivery_worker import process_delivery_batch
    from integration.settings import settings

    world = scenario.world
    tenant = "bench-delivery"
    hooks = [world.create_webhook(tenant, url, name=f"receiver-{index}") for index in range(WEBHOOKS)]
    rounds, batches_per_round = repeat(6, 3), repeat(8, 3)

    memory = MemoryWebhooks({(tenant, hook["id"]): wiring.webhook_repository().get(tenant, hook["id"]) for hook in hooks})
    settings = DeliverySettings(
        schedule=settings().retry_schedule,
        disable_after=timedelta(days=5),
        log_retention=settings().delivery_log_retention,
        user_agent=USER_AGENT,
    )
    use_case = DeliverMessageUseCase(memory, MemoryLog(), wiring.webhook_sender(), settings)  # type: ignore[arg-type]
    queue = wiring.delivery_queue()

    def deliver(message: Any, attempt: int, manual: bool, queued_at: datetime | None) -> Any:
        return use_case.execute(message, attempt_number=attempt, manual=manual, queued_at=queued_at)

    def fan_out_batch() -> list[dict[str, Any]]:
        world.invoke("WebhookFanOutFunction", scenario.fan_out_event(tenant))
        records = world.drain("WebhookDeliveryQueue")
        if len(records) != WEBHOOKS:
            raise RuntimeError(f"expected {WEBHOOKS} queued messages, got {len(records)}")
        return records

    pool = urllib3.PoolManager(maxsize=WEBHOOKS, retries=False, timeout=urllib3.Timeout(total=15))
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": "msg_" + "0" * 26,
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": "v1," + base64.b64encode(secrets.token_bytes(32)).decode(),
    }

    def post(record: dict[str, Any]) -> int:
        return pool.request("POST", url, body=record["body"].encode(), headers=headers).status

    def floor_batch(records: list[dict[str, Any]]) -> None:
        with ThreadPoolExecutor(max_workers=len(records)) as threads:
            statuses = list(threads.map(post, records))
        if any(status != 200 for status in statuses):
            raise RuntimeError(f"the receiver answered {statuses}")

    def worker_batch(records: list[dict[str, Any]]) -> None:
        with quiet():
            response, outcomes = process_delivery_batch({"Records": records}, deliver, queue)
        if response.get("batchItemFailures") or any(o is None or o.result.value != "succeeded" for o in outcomes):
            raise RuntimeError(f"the worker did not deliver every message: {outcomes}")

    world.drain("WebhookDeliveryQueue")  # what earlier sections' fan-outs left there
    warm = fan_out_batch()  # every path once, untimed (connections, first-use costs)
    worker_batch(warm)
    floor_batch(warm)

    batched: dict[str, list[float]] = {"worker": [], "floor": []}
    for index in range(rounds):
        batches = [fan_out_batch() for _ in range(batches_per_round)]
        for kind in ["worker", "floor"] if index % 2 == 0 else ["floor", "worker"]:
            started = time.perf_counter()
            for records in batches:
                (worker_batch if kind == "worker" else floor_batch)(records)
            batched[kind].append(_throughput(len(batches) * WEBHOOKS, time.perf_counter() - started))

    table = section.table(["worker", "shape", "messages/s, median (min–max)", "urllib3 floor", "ratio", "target", ""])
    worker, floor = Sample.of(batched["worker"]), Sample.of(batched["floor"])
    value = ratio(worker.median, floor.median)
    table.add(
        "signing + SSRF-safe POST + bookkeeping, storage in memory",
        "batches of 10 side by side",
        _rate(worker),
        _rate(floor),
        times(value),
        TARGET.text(),
        f"**{TARGET.verdict(value)}**",
    )
    row("worker, batches of 10", f"{worker.median:.0f}/s  floor {floor.median:.0f}/s  ratio {times(value)}", TARGET, value)
    report.bar("Delivery worker ÷ urllib3 floor", "batches of 10", value, TARGET)
    report.headline(
        "Delivery throughput, one worker (batches of 10) ÷ bare urllib3 POST loop",
        f"{times(value)}: {worker.median:.0f} against {floor.median:.0f} messages/s (storage in memory)",
        TARGET.text(),
        TARGET.verdict(value),
    )
    per_message, floor_message = 1 / worker.median, 1 / floor.median
    section.note(
        f"At these rates a message takes the worker {ms(per_message)} against a bare POST's {ms(floor_message)}: "
        f"{ms(per_message - floor_message)} of its own (signing, the URL policy and address check, a connection to the "
        "vetted address, the outcome's bookkeeping, logging). On AWS each message adds two DynamoDB round trips "
        "(GetItem, UpdateItem), which the batch's ten threads wait for side by side."
    )
    report.data["delivery"] = {
        "worker_rate": worker.median,
        "floor_rate": floor.median,
        "ratio": value,
        "target": TARGET,
        "per_message": per_message,
        "own_per_message": max(0.0, per_message - floor_message),
    }


def _rate(sample: Sample) -> str:
    return f"{sample.median:.0f} ({sample.min:.0f}–{sample.max:.0f})"


def _signing(report: Report, section: Any) -> None:
    """``webhook_headers`` per message: one secret, and two during a rotation."""
    from integration.domain.signing import message_body, webhook_headers

    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    data = json.loads((PROJECT_ROOT / "events" / "eventbridge" / "WebhookCreated.json").read_text()).get("detail", {})
    table = section.table(["signing (`integration.domain.signing`)", "per message, median (min–max)", "body"])
    loops, repeats = repeat(2000, 500), repeat(7, 3)
    results = {}
    for label, secrets_ in (("one secret", [secret]), ("two secrets (during a rotation)", [secret, other])):
        body = message_body("WebhookCreated", datetime.now(UTC), data)
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(loops):
                webhook_headers(
                    message_id="msg_01M8K7WB88639NYHHTT2GG98R0", timestamp=1795942134, body=body, secrets=secrets_, user_agent="u"
                )
            samples.append((time.perf_counter() - started) / loops)
        sample = Sample.of(samples)
        results[label] = sample
        table.add(f"`webhook_headers`, {label}", spread(sample, us), f"{len(body)} bytes")
        report.data["delivery_body_bytes"] = len(body)
        row(f"signing, {label}", spread(sample, us))
    per_message = report.data.get("delivery", {}).get("per_message")
    if per_message:
        share = results["one secret"].median / per_message
        section.note(f"Signing is {share:.1%} of a message's time at the worker's rate above.")
        say(f"  signing share of a message at the worker's rate: {share:.1%}")
    report.data["signing"] = results["one secret"].median
