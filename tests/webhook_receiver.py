"""A real HTTP receiver on loopback for delivery tests: records every request, answers with
the statuses it is told to (then ``default_status``, 200 unless switched; an :class:`Answer` adds
headers or a body that stalls),
and verifies signatures the way a tenant would."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook as StandardWebhook


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a delivery batch's ten simultaneous connections
    # overflow it now and then, and a dropped SYN is retried a second later. Receivers in
    # production listen with far larger backlogs.
    request_queue_size = 128


@dataclass(frozen=True)
class Answer:
    """One answer: ``status`` with ``headers`` (e.g. Retry-After); with ``stall_seconds`` the
    status line and headers go out at once and the body never completes within that time."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    received_at: float  # time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body)

    def verify(self, secret: str) -> Any:
        """What a tenant's receiver does: raises unless the request was signed with ``secret``."""
        return StandardWebhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.statuses: list[int | Answer] = []  # answered in order; default_status once used up
        self.default_status = 200  # switch it (e.g. to 500) to break the receiver until switched back
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    planned = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
                    answer = planned if isinstance(planned, Answer) else Answer(planned)
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.requests.append(ReceivedRequest(self.path, headers, body, time.monotonic()))
                    receiver._arrived.notify_all()
                reply = json.dumps({"status": answer.status}).encode()
                self.send_response(answer.status)
                self.send_header("content-type", "application/json")
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.stall_seconds:
                    self.send_header("content-length", str(len(reply) + 100))  # more than ever comes
                    self.end_headers()
                    self.wfile.write(reply)
                    self.wfile.flush()
                    receiver._stopping.wait(answer.stall_seconds)
                    return
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)} in {timeout}s")
                self._arrived.wait(left)
            return list(self.requests)

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
