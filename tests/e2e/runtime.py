"""Starts ``python -m local_runtime`` (what ``make run`` runs) on free ports, and talks to it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runtime.template import PROJECT_ROOT

STARTUP_TIMEOUT_SECONDS = 60
READY_LINE = "Ready. Ctrl-C stops."
SECRET_PREFIXES = ("intk_", "whsec_")

# What the whole end-to-end suite issued and where the runtimes logged: the last test
# (test_zz_logs_hold_no_secret.py) proves no line after start-up holds any of these.
ISSUED_SECRETS: set[str] = set()
RUNTIME_LOGS: list[Path] = []


def remember_secrets(value: Any) -> None:
    """Every API key or webhook secret in ``value`` (a response body, a header, a key)."""
    if isinstance(value, dict):
        for item in value.values():
            remember_secrets(item)
    elif isinstance(value, list):
        for item in value:
            remember_secrets(item)
    elif isinstance(value, str):
        for word in value.replace(",", " ").split():
            if word.startswith(SECRET_PREFIXES) and len(word) > 20:
                ISSUED_SECRETS.add(word)
# For delivery tests: attempts at once and 2 s later; a webhook whose attempts have all failed
# for 5 s is disabled at its next failure, if that is at least its third in a row.
DELIVERY_PARAMETER_OVERRIDES = "WebhookRetrySchedule=0s,2s DisableFailingWebhooksAfterSeconds=5 DisableFailingWebhooksAfterAttempts=3"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalRuntime:
    process: subprocess.Popen[bytes]
    output: Path
    exports: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return self.exports["INTEGRATION_API_URL"]

    @property
    def api_key(self) -> str:
        return self.exports["INTEGRATION_API_KEY"]

    def environment(self) -> dict[str, str]:
        """This process's environment pointed at the runtime, as the printed exports say."""
        return {**os.environ, **self.exports}

    def request(
        self, method: str, path: str, *, key: str | None = None, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + path, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        if key is not None:
            request.add_header("authorization", f"Bearer {key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
                status, response_headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, raw = error.code, dict(error.headers), error.read()
        lowered = {name.lower(): value for name, value in response_headers.items()}
        parsed = json.loads(raw) if raw else None
        remember_secrets([key, *(headers or {}).values(), parsed])
        return status, lowered, parsed

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def start_local_runtime(tmp_path: Path, parameter_overrides: str | None = None) -> LocalRuntime:
    """``parameter_overrides``: template parameters in ``sam --parameter-overrides`` form (the
    runtime's ``LOCAL_PARAMETER_OVERRIDES``); None runs on the local defaults, whatever this
    process's environment says."""
    output = tmp_path / "local-runtime.log"
    env = {**os.environ, "LOCAL_API_PORT": str(free_port()), "LOCAL_AWS_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    for name in ("AWS_ENDPOINT_URL", "TABLE_NAME", "AWS_PROFILE", "LOCAL_PARAMETER_OVERRIDES"):
        env.pop(name, None)
    if parameter_overrides is not None:
        env["LOCAL_PARAMETER_OVERRIDES"] = parameter_overrides
    with output.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "local_runtime"], cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    runtime = LocalRuntime(process=process, output=output)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        text = runtime.log()
        if READY_LINE in text:
            runtime.exports = dict(re.findall(r"^export (\w+)=(\S+)$", text, flags=re.MULTILINE))
            RUNTIME_LOGS.append(output)
            remember_secrets(runtime.api_key)
            return runtime
        if process.poll() is not None:
            raise AssertionError(f"local runtime exited with {process.returncode}:\n{text}")
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"local runtime did not become ready in {STARTUP_TIMEOUT_SECONDS}s:\n{runtime.log()}")


def stop(runtime: LocalRuntime) -> int:
    if runtime.process.poll() is None:
        runtime.process.send_signal(signal.SIGINT)
        try:
            return runtime.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            runtime.process.kill()
            raise
    return runtime.process.returncode


def admin_create_key(runtime: LocalRuntime, tenant: str, *scopes: str) -> str:
    """integration-admin, configured only by the export lines make run prints."""
    arguments = [sys.executable, "-m", "integration.entrypoints.admin", "create-key", "--tenant", tenant, "--name", "e2e"]
    for scope in scopes:
        arguments += ["--scope", scope]
    done = subprocess.run(arguments, env=runtime.environment(), capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout  # the plaintext key is the only stdout line
    remember_secrets(lines[0])
    return lines[0]


def wait_until(found: Callable[[], Any], *, timeout: float, what: str = "condition") -> Any:
    """``found()`` once it is truthy, polled; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = found()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout}s")
        time.sleep(0.1)
