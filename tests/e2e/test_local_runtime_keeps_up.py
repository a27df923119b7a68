"""End to end: the local runtime (make run) keeps up while a webhook receiver hangs, and stops
quickly.

Each function runs in instances (processes) of its own, as on Lambda, and each SQS mapping has
several pollers: so a delivery stuck on a receiver that never answers (the delivery function
waits 15 s for it) holds up only its own invocation. The API still answers at once, another
endpoint's delivery still arrives at once, and its retry still comes when the schedule says
(``DELIVERY_PARAMETER_OVERRIDES``: 0 s, then 2 s). Before, one invocation at a time ran in the
whole runtime: API calls waited up to 14.8 s and a 2 s retry came after 15 s.

Only HTTP and signals: the runtime's API, two receivers on loopback, SIGINT.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest

from tests.e2e.runtime import DELIVERY_PARAMETER_OVERRIDES, LocalRuntime, start_local_runtime
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.e2e

ARRIVAL_SECONDS = 20.0
HANG_SECONDS = 30.0  # longer than the delivery function waits (15 s)
DELIVERY_HTTP_TIMEOUT_SECONDS = 15.0
ALLOWED_DELAY_SECONDS = 1.0
RETRY_DELAY_SECONDS = 2.0  # DELIVERY_PARAMETER_OVERRIDES' second attempt
STOP_SECONDS = 5.0
UNUSED_EVENT_TYPE = "ApiKeyRevoked"  # nothing in this module revokes a key: only test messages arrive


class HangingReceiver:
    """Accepts every webhook request and never answers (until released)."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self._arrived = threading.Condition()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._arrived:
                    receiver.arrivals.append(time.monotonic())
                    receiver._arrived.notify_all()
                receiver._release.wait(HANG_SECONDS)
                try:
                    self.send_response(200)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hangs"

    def wait_for_first(self, timeout: float) -> float:
        with self._arrived:
            if not self._arrived.wait_for(lambda: self.arrivals, timeout):
                raise AssertionError(f"the hanging receiver got nothing in {timeout}s")
            return self.arrivals[0]

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, name="hanging-receiver", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def create_webhook(runtime: LocalRuntime, url: str, name: str) -> dict[str, Any]:
    status, _, created = runtime.request(
        "POST", "/webhooks", key=runtime.api_key, body={"name": name, "url": url, "events": [UNUSED_EVENT_TYPE]}
    )
    assert status == 201, created
    return created


def timed_request(runtime: LocalRuntime, method: str, path: str) -> tuple[float, int]:
    started = time.monotonic()
    status = runtime.request(method, path, key=runtime.api_key)[0]
    return time.monotonic() - started, status


def send_test_message(runtime: LocalRuntime, webhook_id: str) -> float:
    """POST .../test; when it was sent (monotonic)."""
    sent = time.monotonic()
    status, _, body = runtime.request("POST", f"/webhooks/{webhook_id}/test", key=runtime.api_key)
    assert status == 202, body
    return sent


def test_a_hanging_receiver_delays_neither_the_api_nor_another_endpoints_delivery_nor_its_retry(
    delivery_runtime: LocalRuntime, receiver: Receiver
) -> None:
    runtime = delivery_runtime
    with HangingReceiver() as hanging:
        stuck = create_webhook(runtime, hanging.url, "hangs")
        healthy = create_webhook(runtime, receiver.url, "answers")
        try:
            # Unhindered first: the API (warm) and a delivery to the healthy endpoint.
            baseline_calls = [timed_request(runtime, "GET", "/webhooks") for _ in range(5)]
            assert {status for _, status in baseline_calls} == {200}
            baseline_call = statistics.median(seconds for seconds, _ in baseline_calls)
            sent = send_test_message(runtime, healthy["id"])
            baseline_delivery = receiver.wait_for(1, timeout=ARRIVAL_SECONDS)[0].received_at - sent

            # A delivery that hangs: the delivery function waits 15 s for this receiver.
            send_test_message(runtime, stuck["id"])
            hang_started = hanging.wait_for_first(ARRIVAL_SECONDS)

            calls = [timed_request(runtime, "GET", "/webhooks") for _ in range(5)]
            receiver.statuses = [503]  # the next attempt fails: its retry is due 2 s later
            sent = send_test_message(runtime, healthy["id"])
            first, second = receiver.wait_for(3, timeout=ARRIVAL_SECONDS)[1:3]
            calls += [timed_request(runtime, "GET", f"/webhooks/{healthy['id']}") for _ in range(3)]
            checked_by = time.monotonic()
        finally:
            for webhook in (stuck, healthy):
                runtime.request("DELETE", f"/webhooks/{webhook['id']}", key=runtime.api_key)

    slowest, delivery, gap = max(s for s, _ in calls), first.received_at - sent, second.received_at - first.received_at
    print(  # shown by pytest -rP
        f"API: {baseline_call * 1000:.0f} ms unhindered, slowest {slowest * 1000:.0f} ms during the hang; "
        f"delivery: {baseline_delivery * 1000:.0f} ms unhindered, {delivery * 1000:.0f} ms during the hang; retry gap {gap:.2f} s"
    )
    assert checked_by < hang_started + DELIVERY_HTTP_TIMEOUT_SECONDS, "the checks must run while the delivery hangs"
    assert {status for _, status in calls} == {200}
    assert slowest <= baseline_call + ALLOWED_DELAY_SECONDS, (slowest, baseline_call)
    assert delivery <= baseline_delivery + ALLOWED_DELAY_SECONDS, (delivery, baseline_delivery)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # the retry of the 503
    assert RETRY_DELAY_SECONDS - 1 <= gap <= RETRY_DELAY_SECONDS + 1, gap


def test_every_instance_logs_to_the_runtimes_output(delivery_runtime: LocalRuntime) -> None:
    """Function instances are processes of their own; their Powertools lines still reach the
    runtime's output (test_zz_logs_hold_no_secret.py reads them), whole."""
    assert timed_request(delivery_runtime, "GET", "/webhooks")[1] == 200
    deadline = time.monotonic() + 5
    while '"function_name":"ListWebhooksFunction"' not in delivery_runtime.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = delivery_runtime.log().splitlines()
    assert any('"function_name":"ListWebhooksFunction"' in line for line in lines)
    assert any('"function_name":"AuthorizerFunction"' in line or "AuthorizerFunction" in line for line in lines)


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_ctrl_c_stops_the_servers_the_pollers_and_every_instance_within_5_seconds(tmp_path: Path, receiver: Receiver) -> None:
    runtime = start_local_runtime(tmp_path, DELIVERY_PARAMETER_OVERRIDES)
    try:
        with HangingReceiver() as hanging:
            stuck = create_webhook(runtime, hanging.url, "hangs")
            healthy = create_webhook(runtime, receiver.url, "answers")
            send_test_message(runtime, stuck["id"])
            hanging.wait_for_first(ARRIVAL_SECONDS)  # a delivery instance is mid-invocation
            send_test_message(runtime, healthy["id"])
            receiver.wait_for(1, timeout=ARRIVAL_SECONDS)
            processes = descendants(runtime.process.pid)
            assert len(processes) >= 3, processes  # the fork server and instances, at least

            started = time.monotonic()
            runtime.process.send_signal(signal.SIGINT)
            try:
                code = runtime.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pytest.fail(f"still running {STOP_SECONDS}s after Ctrl-C:\n{runtime.log()[-3000:]}")
            while any(alive(pid) for pid in processes) and time.monotonic() - started < STOP_SECONDS:
                time.sleep(0.05)
            stopped_in = time.monotonic() - started
    finally:
        if runtime.process.poll() is None:
            runtime.process.kill()
    assert code == 0, runtime.log()[-3000:]
    assert [pid for pid in processes if alive(pid)] == [], "processes left behind"
    assert stopped_in <= STOP_SECONDS
    assert "integration local runtime stopped." in runtime.log()
