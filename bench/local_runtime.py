"""8. The local runtime (``make run``) itself: API latency and memory at 100 and at 10,000 table
items, a load test (events sent, delivered, lost, duplicated, and how late), and how long
Ctrl-C takes.

The runtime runs as ``make run`` runs it (``python -m local_runtime``, a subprocess on free
ports), with ``MaxWebhooksPerTenant=1000`` and a short retry schedule. Latency is one client's
sequential ``POST /webhooks`` and ``GET /webhooks`` (a keep-alive connection, warm instances),
p50 and p95. Memory is the resident set (RSS) of the runtime's process, where moto keeps the
table, and of its function instances (their RSS and their PSS, which counts pages they share
with the fork server once).

The load test: 8 clients create webhooks side by side, in tenants of their own, each of which
has a watcher webhook subscribed to ``WebhookCreated`` pointing at a receiver here. So every
creation is one event that must arrive once, over the whole chain (outbox, stream, relay, bus,
rule, queue, fan-out, delivery queue, delivery). Delivered: events that arrived; lost: those that
had not arrived when the pipeline went quiet; duplicated: arrivals beyond the first of an event.

The 10,000 items come from a soak of transactional writes straight into the emulator, shaped
like a webhook creation's (TransactWriteItems: the tenant's quota, the webhook, an event; the
event's entity is not the outbox's, so the relay leaves them alone), with the runtime's RSS
sampled throughout. (Through the API the same
writes would also run fan-out's Query once per event, which moto answers by walking the whole
table: minutes of CPU at 10,000 items that say nothing about the runtime.) A full run differs from
``--quick`` in its sample sizes: 100 calls a phase instead of 30, 1,000 load events instead of 200.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import PROJECT_ROOT, Report, Sample, at_most, heading, ms, quick, say, smoke

SMALL, LARGE = 100, 10_000
MEMORY_CEILING_MB = 600  # the runtime's and the emulator's RSS through the soak (docs/local-runtime.md)
# POST /webhooks p50 at 10,000 items. Its growth is moto's Query, which sorts the whole table for
# each fan-out of the event each creation makes, while other calls wait for the emulator.
POST_TARGET = at_most(0.5, " s")
CLIENTS = 8
READY_LINE = "Ready. Ctrl-C stops."
OVERRIDES = "MaxWebhooksPerTenant=1000 WebhookRetrySchedule=0s,2s"
UNUSED_EVENT_TYPE = "ApiKeyRevoked"  # the load test's webhooks get nothing but what they watch


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


# ---------------------------------------------------------------------------- the runtime
def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _kib(path: Path, field_name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class Memory:
    runtime_mb: float  # RSS of the runtime's process and of its AWS emulator's (moto, which holds the table)
    emulator_mb: float  # of which the emulator's (0: moto in the runtime's own process, as before)
    instances: int  # every other process under the runtime: function instances, the fork server
    instances_rss_mb: float
    instances_pss_mb: float  # shared pages counted once

    def text(self) -> str:
        return (
            f"runtime and emulator {self.runtime_mb:.0f} MB (emulator {self.emulator_mb:.0f} MB); {self.instances} other "
            f"processes (function instances, fork server): RSS {self.instances_rss_mb:.0f} MB, PSS {self.instances_pss_mb:.0f} MB"
        )


@dataclass
class Runtime:
    root: Path
    process: subprocess.Popen[bytes]
    log: Path
    exports: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, root: Path, workdir: Path) -> Runtime:
        log = workdir / "local-runtime.log"
        env = {
            **os.environ,
            "LOCAL_API_PORT": str(_free_port()),
            "LOCAL_AWS_PORT": str(_free_port()),
            "LOCAL_PARAMETER_OVERRIDES": OVERRIDES,
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "AWS_PROFILE"):
            env.pop(name, None)
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "local_runtime"], cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        runtime = cls(root, process, log)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if READY_LINE in text:
                for line in text.splitlines():
                    if line.startswith("export ") and "=" in line:
                        name, value = line[len("export ") :].split("=", 1)
                        runtime.exports[name] = value
                return runtime
            if process.poll() is not None:
                raise RuntimeError(f"the local runtime exited with {process.returncode}:\n{text[-2000:]}")
            time.sleep(0.1)
        process.kill()
        raise RuntimeError("the local runtime did not start in 90 s")

    @property
    def key(self) -> str:
        return self.exports["INTEGRATION_API_KEY"]

    def memory(self) -> Memory:
        pids = _descendants(self.process.pid)
        emulators = [pid for pid in pids if b"local_runtime.emulator" in _cmdline(pid)]
        others = [pid for pid in pids if pid not in emulators]
        emulator = sum(_kib(Path(f"/proc/{pid}/status"), "VmRSS") for pid in emulators) / 1024
        rss = sum(_kib(Path(f"/proc/{pid}/status"), "VmRSS") for pid in others)
        pss = sum(_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss") for pid in others)
        own = _kib(Path(f"/proc/{self.process.pid}/status"), "VmRSS") / 1024
        return Memory(own + emulator, emulator, len(others), rss / 1024, pss / 1024)

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.exports["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def items(self) -> int:
        return int(self.aws("dynamodb").describe_table(TableName=self.exports["TABLE_NAME"])["Table"]["ItemCount"])

    def admin_key(self, tenant: str) -> str:
        env = {**os.environ, **self.exports}
        arguments = [sys.executable, "-m", "integration.entrypoints.admin", "create-key", "--tenant", tenant, "--name", "bench"]
        for scope in ("webhooks:read", "webhooks:write"):
            arguments += ["--scope", scope]
        done = subprocess.run(arguments, env=env, capture_output=True, text=True, timeout=120, check=True, cwd=self.root)
        return done.stdout.strip().splitlines()[-1]

    def stop(self) -> float:
        """Ctrl-C; seconds until the process exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=180)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - started


class Client:
    """One keep-alive connection to the runtime's API."""

    def __init__(self, runtime: Runtime, key: str) -> None:
        url = urlsplit(runtime.exports["INTEGRATION_API_URL"])
        self._host, self._port, self._base = url.hostname or "127.0.0.1", url.port or 80, url.path
        self._key = key
        self._connection = http.client.HTTPConnection(self._host, self._port, timeout=300)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        headers = {"authorization": f"Bearer {self._key}"}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["content-type"] = "application/json"
        started = time.perf_counter()
        for attempt in range(2):
            try:
                self._connection.request(method, self._base + path, body=data, headers=headers)
                response = self._connection.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, OSError):
                self._connection.close()
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=300)
                if attempt:
                    raise
        elapsed = time.perf_counter() - started
        return response.status, json.loads(raw) if raw else None, elapsed

    def create_webhook(self, url: str, events: list[str], name: str = "bench") -> tuple[dict[str, Any], float]:
        status, body, elapsed = self.call("POST", "/webhooks", {"name": name, "url": url, "events": events})
        if status != 201:
            raise RuntimeError(f"POST /webhooks answered {status}: {body}")
        return body, elapsed


# ---------------------------------------------------------------------------- measurements
def latencies(runtime: Runtime, receiver_url: str, count: int) -> dict[str, Sample]:
    client = Client(runtime, runtime.key)
    client.call("GET", "/webhooks?limit=20")  # warm
    posts, gets = [], []
    for number in range(count):
        posts.append(client.create_webhook(f"{receiver_url}/latency/{number}", [UNUSED_EVENT_TYPE])[1])
        status, _, elapsed = client.call("GET", "/webhooks?limit=20")
        if status != 200:
            raise RuntimeError(f"GET /webhooks answered {status}")
        gets.append(elapsed)
    return {"POST /webhooks": Sample.of(posts), "GET /webhooks": Sample.of(gets)}


def _filler(number: int) -> dict[str, Any]:
    return {
        "PK": {"S": f"TENANT#filler-{number // 500}"},
        "SK": {"S": f"WEBHOOK#wh_filler{number:08d}"},
        "entity": {"S": "Webhook"},
        "url": {"S": f"https://example.com/hooks/{number}"},
        "notes": {"S": "x" * 400},
    }


def fill(runtime: Runtime, target: int) -> dict[str, float]:
    """Write into the emulator until the table holds ``target`` items: transactions shaped like a
    webhook creation (2 new items and the tenant's quota each). The writes made, their time, and
    the runtime's peak RSS meanwhile."""
    dynamodb, table = runtime.aws("dynamodb"), runtime.exports["TABLE_NAME"]
    missing, number, writes, peak = target - runtime.items(), 0, 0, runtime.memory().runtime_mb
    started = time.monotonic()
    while missing > 0:
        tenant = f"TENANT#filler-{number // 500}"
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": tenant}, "SK": {"S": "QUOTA"}},
                        "UpdateExpression": "SET #c = if_not_exists(#c, :zero) + :one",
                        "ConditionExpression": "attribute_not_exists(#c) OR #c < :max",
                        "ExpressionAttributeNames": {"#c": "webhook_count"},
                        "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}, ":max": {"N": "100000"}},
                    }
                },
                {"Put": {"TableName": table, "Item": _filler(number), "ConditionExpression": "attribute_not_exists(PK)"}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            "PK": {"S": tenant},
                            "SK": {"S": f"FILLEREVENT#{number:08d}"},
                            "entity": {"S": "FillerEvent"},
                            "body": {"S": "y" * 300},
                        },
                    }
                },
            ]
        )
        number, writes, missing = number + 1, writes + 3, missing - 2
        if number % 200 == 0:
            peak = max(peak, runtime.memory().runtime_mb)
    return {"writes": writes, "seconds": time.monotonic() - started, "peak_mb": max(peak, runtime.memory().runtime_mb)}


@dataclass
class LoadResult:
    sent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    seconds: float = 0.0
    lag: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    peak_runtime_mb: float = 0.0


def load(runtime: Runtime, receiver: Any, keys: list[str], per_client: int, *, drain_seconds: float) -> LoadResult:
    """``len(keys)`` clients (one tenant each) create ``per_client`` webhooks each, side by side.
    Each tenant has a watcher, so each creation is an event to deliver and count."""
    result = LoadResult()
    clients = [Client(runtime, key) for key in keys]
    for client in clients:
        client.create_webhook(f"{receiver.url}/watch", ["WebhookCreated"], name="watcher")
    created: dict[str, float] = {}  # webhook id -> when the API answered
    lock = threading.Lock()
    errors: list[BaseException] = []
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(1.0):
            result.peak_runtime_mb = max(result.peak_runtime_mb, runtime.memory().runtime_mb)

    def work(client: Client, number: int) -> None:
        try:
            for index in range(per_client):
                body, elapsed = client.create_webhook(
                    f"{receiver.url}/load/{number}/{index}", [UNUSED_EVENT_TYPE], name=f"load {index}"
                )
                with lock:
                    created[body["id"]] = time.monotonic()
                    result.api.append(elapsed)
        except BaseException as error:  # noqa: BLE001 - reported after the threads end
            errors.append(error)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(client, number)) for number, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        stop_sampling.set()
        raise RuntimeError(f"a load client failed: {errors[0]!r}")
    result.sent = len(created)
    arrivals = _arrivals(receiver, set(created), drain_seconds)
    result.delivered = len(arrivals)
    result.lost = result.sent - result.delivered
    result.duplicated = sum(len(times) - 1 for times in arrivals.values())
    result.lag = [times[0] - created[webhook_id] for webhook_id, times in arrivals.items()]
    result.seconds = time.monotonic() - started
    stop_sampling.set()
    sampler.join()
    return result


def _arrivals(receiver: Any, wanted: set[str], drain_seconds: float) -> dict[str, list[float]]:
    """Arrival times of each watched creation, once all arrived or nothing new came for
    ``drain_seconds``."""

    def collect() -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for request in list(receiver.requests):
            if not request.path.endswith("/watch"):
                continue
            try:
                payload = json.loads(request.body)
            except ValueError:
                continue
            webhook_id = payload.get("data", {}).get("webhookId")
            if payload.get("type") == "WebhookCreated" and webhook_id in wanted:
                found.setdefault(webhook_id, []).append(request.received_at)
        return found

    seen, quiet_since = -1, time.monotonic()
    while True:
        found = collect()
        count = sum(len(times) for times in found.values())
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        if len(found) == len(wanted) and time.monotonic() - quiet_since > 2.5:  # all here; duplicates had time to come
            return found
        if time.monotonic() - quiet_since > drain_seconds:
            return found
        time.sleep(0.25)


# ---------------------------------------------------------------------------- the section
def measure(progress: Callable[[str], None] = say) -> dict[str, Any]:
    fast = quick()
    count = 3 if smoke() else 30 if fast else 100
    small, large = (20, 60) if smoke() else (SMALL, LARGE)
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.webhook_receiver import running_receiver

    figures: dict[str, Any] = {"fast": fast}
    with tempfile.TemporaryDirectory(prefix="bench-local-") as work, running_receiver() as receiver:
        started = time.monotonic()
        runtime = Runtime.start(PROJECT_ROOT, Path(work))
        figures["ready_seconds"] = time.monotonic() - started
        try:
            progress(f"  started in {figures['ready_seconds']:.1f} s; {runtime.items()} items")
            client = Client(runtime, runtime.key)
            while runtime.items() < small - count:  # each creation adds 2 items: the phase spans ~SMALL
                client.create_webhook(f"{receiver.url}/fill", [UNUSED_EVENT_TYPE])
            first = runtime.items()
            latency = latencies(runtime, receiver.url, count)
            figures["small"] = {"items": (first + runtime.items()) // 2, "range": (first, runtime.items()), "latency": latency}
            figures["small"]["memory"] = runtime.memory()
            progress(
                f"  at {figures['small']['items']} items: "
                + _latency_text(figures["small"]["latency"])
                + f"; {figures['small']['memory'].text()}"
            )

            keys = [runtime.admin_key(f"bench-load-{number}") for number in range(2 if smoke() else CLIENTS)]
            per_client = 2 if smoke() else 25 if fast else 125
            figures["load"] = load(runtime, receiver, keys, per_client, drain_seconds=10 if smoke() else 20 if fast else 60)
            progress("  load: " + _load_text(figures["load"]))

            soak = fill(runtime, large)
            figures["soak"] = soak
            figures["fill"] = (
                f"{soak['writes']:,} transactional writes (TransactWriteItems, 3 items each) "
                f"straight into the emulator in {soak['seconds']:.0f} s; the runtime's peak RSS meanwhile {soak['peak_mb']:.0f} MB"
            )
            progress(f"  filled to {runtime.items()} items ({figures['fill']})")
            first = runtime.items()
            latency = latencies(runtime, receiver.url, count)
            figures["large"] = {"items": first, "range": (first, runtime.items()), "latency": latency}
            figures["large"]["memory"] = runtime.memory()
            progress(
                f"  at {figures['large']['items']} items: "
                + _latency_text(figures["large"]["latency"])
                + f"; {figures['large']['memory'].text()}"
            )
        finally:
            figures["exit_seconds"] = runtime.stop()
        progress(f"  Ctrl-C to exit: {figures['exit_seconds']:.1f} s")
        figures["cold_starts"] = _cold_starts(runtime.log.read_text(errors="replace"))
    return figures


def _cold_starts(log: str) -> list[float]:
    """Instance start times (ms) the runtime logged."""
    found = []
    for line in log.splitlines():
        if line.startswith("local runtime: ") and " started in " in line:
            try:
                found.append(float(line.split(" started in ", 1)[1].split(" ms", 1)[0]))
            except ValueError:
                continue
    return found


def _latency_text(latency: dict[str, Sample]) -> str:
    return ", ".join(
        f"{name} p50 {ms(sample.median)} p95 {ms(percentile(list(sample.values), 0.95))}" for name, sample in latency.items()
    )


def _load_text(result: LoadResult) -> str:
    lag = (
        f"; lag p50 {result.lag and percentile(result.lag, 0.5):.1f} s, p95 {result.lag and percentile(result.lag, 0.95):.1f} s"
        if result.lag
        else ""
    )
    return (
        f"{result.sent} sent, {result.delivered} delivered, {result.lost} lost, {result.duplicated} duplicated, "
        f"in {result.seconds:.0f} s{lag}; API p50 {ms(percentile(result.api, 0.5))} p95 {ms(percentile(result.api, 0.95))} under {CLIENTS} clients"
    )


def run(report: Report) -> None:
    section = report.section(
        "local",
        "8. Local runtime (make run)",
        "The runtime as `make run` runs it, in a subprocess: one client's `POST /webhooks` and `GET /webhooks` "
        "(warm, keep-alive) at 100 and at 10,000 table items, the memory of the runtime and its emulator (moto, which "
        f"holds the table) and of its function instances, a load test ({CLIENTS} clients creating webhooks, each creation an event delivered to "
        "a watcher over the whole chain), and the time Ctrl-C takes. See docs/local-runtime.md.",
    )
    heading(section.title)
    figures = measure()
    small, large = figures["small"], figures["large"]
    table = section.table(
        [
            "items (during the phase)",
            "POST /webhooks p50",
            "p95",
            "GET /webhooks p50",
            "p95",
            "runtime + emulator RSS",
            "other processes",
            "their RSS",
            "their PSS",
        ]
    )
    for phase in (small, large):
        latency, memory = phase["latency"], phase["memory"]
        post, get = latency["POST /webhooks"], latency["GET /webhooks"]
        table.add(
            f"{phase['items']:,} ({phase['range'][0]:,}–{phase['range'][1]:,})",
            ms(post.median),
            ms(percentile(list(post.values), 0.95)),
            ms(get.median),
            ms(percentile(list(get.values), 0.95)),
            f"{memory.runtime_mb:.0f} MB",
            memory.instances,
            f"{memory.instances_rss_mb:.0f} MB",
            f"{memory.instances_pss_mb:.0f} MB",
        )
    result: LoadResult = figures["load"]
    loaded = section.table(
        ["clients", "events sent", "delivered", "lost", "duplicated", "lag p50", "lag p95", "API p50", "API p95", "took"]
    )
    loaded.add(
        CLIENTS,
        result.sent,
        result.delivered,
        result.lost,
        result.duplicated,
        f"{percentile(result.lag, 0.5):.2f} s" if result.lag else "—",
        f"{percentile(result.lag, 0.95):.2f} s" if result.lag else "—",
        ms(percentile(result.api, 0.5)),
        ms(percentile(result.api, 0.95)),
        f"{result.seconds:.0f} s",
    )
    growth = large["latency"]["POST /webhooks"].median / small["latency"]["POST /webhooks"].median
    starts = figures["cold_starts"]
    section.note(
        f"10,000 items: {figures['fill']}."
        + f" Start-up to `Ready`: {figures['ready_seconds']:.1f} s; Ctrl-C to exit at {large['items']:,} items: "
        f"{figures['exit_seconds']:.1f} s."
        + (
            f" Function instances started: {len(starts)}, in {min(starts):.0f}–{max(starts):.0f} ms (median "
            f"{sorted(starts)[len(starts) // 2]:.0f} ms: fork from the fork server and the handler's import)."
            if starts
            else ""
        )
        + f" Memory ceiling (docs/local-runtime.md): the runtime's and the emulator's RSS through the soak within {MEMORY_CEILING_MB} MB."
    )
    peak_mb = max(large["memory"].runtime_mb, figures["soak"]["peak_mb"])
    memory_ok = peak_mb <= MEMORY_CEILING_MB
    post = large["latency"]["POST /webhooks"].median
    report.headline(
        "Local runtime: POST /webhooks p50 at 10,000 items",
        f"{ms(post)} (at {small['items']} items: {ms(small['latency']['POST /webhooks'].median)}, {growth:.2f}×); "
        f"GET /webhooks {ms(large['latency']['GET /webhooks'].median)} (moto's Query sorts the whole table)",
        POST_TARGET.text(),
        POST_TARGET.verdict(post),
    )
    report.headline(
        "Local runtime: memory through a soak to 10,000 items (peak RSS of the runtime and its emulator)",
        f"{peak_mb:.0f} MB (at {small['items']} items: {small['memory'].runtime_mb:.0f} MB); "
        f"{large['memory'].instances} instance and fork-server processes, PSS {large['memory'].instances_pss_mb:.0f} MB",
        f"≤ {MEMORY_CEILING_MB} MB",
        "PASS" if memory_ok else "FAIL",
    )
    report.headline(
        f"Local runtime: load test, {CLIENTS} clients",
        f"{result.sent} events sent, {result.delivered} delivered, {result.lost} lost, {result.duplicated} duplicated; "
        + (f"lag p50 {percentile(result.lag, 0.5):.1f} s" if result.lag else "no lag measured"),
        "none lost",
        "PASS" if result.lost == 0 else "FAIL",
    )
    report.bar("Local runtime", "POST /webhooks p50, 10,000 ÷ 100 items", growth)
    report.data["local"] = {
        "growth": growth,
        "small": small,
        "large": large,
        "load": result,
        "exit_seconds": figures["exit_seconds"],
        "memory_ok": memory_ok,
    }

