"""8. The local runtime (``make run``) itself, as a subprocess on free ports: one client's
sequential ``POST /webhooks`` and ``GET /webhooks`` (p50, p95) at 100 and at 10,000 table items,
the memory of the runtime, its emulator (moto, which holds the table) and its function instances
(RSS, and PSS counting pages shared with the fork server once), and how long Ctrl-C takes.

The 10,000 items come from transactional writes straight into the emulator, shaped like a webhook
creation's, with the runtime's RSS sampled throughout (through the API each would also run
fan-out's Query, which moto answers by walking the whole table: minutes that say nothing about
the runtime).
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
READY_LINE = "Ready. Ctrl-C stops."
OVERRIDES = "MaxWebhooksPerTenant=1000 WebhookRetrySchedule=0s,2s"
UNUSED_EVENT_TYPE = "ApiKeyRevoked"  # the measured webhooks get no event


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


# ---------------------------------------------------------------------------- the section
def measure(progress: Callable[[str], None] = say) -> dict[str, Any]:
    fast = quick()
    count = 3 if smoke() else 15 if fast else 30
    small, large = (20, 60) if smoke() else (SMALL, LARGE)
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.webhook_receiver import running_receiver

    figures: dict[str, Any] = {"fast": fast, "sizes": (small, large)}
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

            soak = fill(runtime, large)
            figures["soak"] = soak
            figures["fill"] = (
                f"{soak['writes'] // 3:,} transactions (TransactWriteItems, 3 items each) "
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
    return figures


def _latency_text(latency: dict[str, Sample]) -> str:
    return ", ".join(
        f"{name} p50 {ms(sample.median)} p95 {ms(percentile(list(sample.values), 0.95))}" for name, sample in latency.items()
    )


def run(report: Report) -> None:
    section = report.section(
        "local",
        "8. Local runtime (make run)",
        "The runtime as `make run` runs it, in a subprocess: one client's `POST /webhooks` and `GET /webhooks` "
        "(warm, keep-alive) at 100 and at 10,000 table items, the memory of the runtime and its emulator (moto, which "
        "holds the table) and of its function instances, and the time Ctrl-C takes. See docs/local-runtime.md.",
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
    growth = large["latency"]["POST /webhooks"].median / small["latency"]["POST /webhooks"].median
    section.note(
        f"{figures['sizes'][1]:,} items: {figures['fill']}."
        + f" Start-up to `Ready`: {figures['ready_seconds']:.1f} s; Ctrl-C to exit at {large['items']:,} items: "
        f"{figures['exit_seconds']:.1f} s."
        + f" Memory ceiling (docs/local-runtime.md): the runtime's and the emulator's RSS through the soak within {MEMORY_CEILING_MB} MB."
    )
    peak_mb = max(large["memory"].runtime_mb, figures["soak"]["peak_mb"])
    memory_ok = peak_mb <= MEMORY_CEILING_MB
    post = large["latency"]["POST /webhooks"].median
    report.headline(
        f"Local runtime: POST /webhooks p50 at {figures['sizes'][1]:,} items",
        f"{ms(post)} (at {small['items']} items: {ms(small['latency']['POST /webhooks'].median)}, {growth:.2f}×); "
        f"GET /webhooks {ms(large['latency']['GET /webhooks'].median)} (moto's Query sorts the whole table)",
        POST_TARGET.text(),
        POST_TARGET.verdict(post),
    )
    report.headline(
        f"Local runtime: memory through a soak to {figures['sizes'][1]:,} items (peak RSS of the runtime and its emulator)",
        f"{peak_mb:.0f} MB (at {small['items']} items: {small['memory'].runtime_mb:.0f} MB); "
        f"{large['memory'].instances} instance and fork-server processes, PSS {large['memory'].instances_pss_mb:.0f} MB",
        f"≤ {MEMORY_CEILING_MB} MB",
        "PASS" if memory_ok else "FAIL",
    )
    report.bar("Local runtime", "POST /webhooks p50, {1:,} ÷ {0:,} items".format(*figures["sizes"]), growth)
    report.data["local"] = {
        "growth": growth,
        "small": small,
        "large": large,
        "exit_seconds": figures["exit_seconds"],
        "memory_ok": memory_ok,
    }

