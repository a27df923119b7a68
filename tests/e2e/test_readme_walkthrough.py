"""The README's walk-through, run exactly as written against ``make run`` on the README's ports.

The walk-through is every fenced ``bash`` block that directly follows a ``<!-- walkthrough -->``
comment in README.md (CONTRIBUTING.md, *Documentation*). The blocks are joined, in order, into
one ``bash -euo pipefail`` script and run from the repository's root, as a reader pastes them
into a second terminal while ``python -m local_runtime`` (what ``make run`` runs) serves the
API on 127.0.0.1:3000 and the emulator on 127.0.0.1:5000. The receiver the walk-through starts
listens on 127.0.0.1:8000. The test fails at once, saying so, when one of these ports is taken.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress

import pytest

from local_runtime.template import PROJECT_ROOT
from tests.e2e.runtime import (
    READY_LINE,
    RUNTIME_LOGS,
    STARTUP_TIMEOUT_SECONDS,
    LocalRuntime,
    remember_secrets,
    stop,
)

pytestmark = pytest.mark.e2e

README = PROJECT_ROOT / "README.md"
MARKER = "<!-- walkthrough -->"
API_PORT, AWS_PORT, RECEIVER_PORT = 3000, 5000, 8000  # as README.md writes them
SCRIPT_TIMEOUT_SECONDS = 90
# The harness's own line, before the README's: a failing step must not leave the receiver the
# walk-through started in the background running (it would also hold the output pipe open).
CLEANUP = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
# Nothing from this process's environment may point the walk-through elsewhere.
CLEARED_VARIABLES = ("AWS_", "TABLE_NAME", "EVENT_BUS_NAME", "INTEGRATION_", "LOCAL_", "API", "KEY")


def walkthrough_blocks(text: str) -> list[str]:
    return re.findall(rf"^{re.escape(MARKER)}\n```bash\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def port_taken(port: int) -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no obstacle
                sock.bind((host, port))
        except OSError as error:
            if family == socket.AF_INET6 and error.errno in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):  # no IPv6 here
                continue
            return True
    return False


def clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith(CLEARED_VARIABLES)}


@pytest.fixture(scope="module")
def readme_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    taken = [port for port in (API_PORT, AWS_PORT, RECEIVER_PORT) if port_taken(port)]
    if taken:
        pytest.fail(
            f"the README walk-through needs ports {API_PORT}, {AWS_PORT} and {RECEIVER_PORT} on this machine; "
            f"{', '.join(map(str, taken))} in use (a `make run` of your own?): stop what listens there and run again"
        )
    output = tmp_path_factory.mktemp("readme-runtime") / "local-runtime.log"
    environment = {**clean_environment(), "PYTHONUNBUFFERED": "1"}
    with output.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own module, as make run starts it
            [sys.executable, "-m", "local_runtime"], cwd=PROJECT_ROOT, env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
    runtime = LocalRuntime(process=process, output=output)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while READY_LINE not in runtime.log():
            if process.poll() is not None:
                raise AssertionError(f"local runtime exited with {process.returncode}:\n{runtime.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"local runtime not ready in {STARTUP_TIMEOUT_SECONDS}s:\n{runtime.log()}")
            time.sleep(0.2)
        runtime.exports = dict(re.findall(r"^export (\w+)=(\S+)$", runtime.log(), flags=re.MULTILINE))
        RUNTIME_LOGS.append(output)  # tests/e2e/test_zz_logs_hold_no_secret.py reads it too
        yield runtime
    finally:
        stop(runtime)


def run_walkthrough(script: str) -> tuple[int, str]:
    process = subprocess.Popen(  # noqa: S603 - the README's own commands
        ["bash", "-euo", "pipefail", "-c", CLEANUP + script],
        cwd=PROJECT_ROOT,
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: killed whole below, whatever happened
    )
    try:
        output, _ = process.communicate(timeout=SCRIPT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return -1, output + f"\n[timed out after {SCRIPT_TIMEOUT_SECONDS}s]"
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, output


def test_the_readme_marks_a_walkthrough_that_runs_against_its_own_ports() -> None:
    text = README.read_text()
    blocks = walkthrough_blocks(text)
    assert len(blocks) >= 2, f"no {MARKER} blocks in README.md"
    assert text.count(MARKER) == len(blocks), f"every {MARKER} must be followed directly by a ```bash block"
    script = "".join(blocks)
    assert f"http://localhost:{API_PORT}/api/v1/integration" in script
    assert f"127.0.0.1:{AWS_PORT}" in script and f"--port {RECEIVER_PORT}" in script


def test_the_readme_walkthrough_runs_as_written(readme_runtime: LocalRuntime) -> None:
    script = "".join(walkthrough_blocks(README.read_text()))
    started = time.monotonic()
    status, output = run_walkthrough(script)
    remember_secrets(output)  # the keys and secrets it was shown must never reach the runtime's log
    took = time.monotonic() - started
    context = f"walk-through exited {status} after {took:.1f}s; its output:\n{output}\n\nthe runtime's log:\n{readme_runtime.log()[-4000:]}"
    assert status == 0, context
    for expected in (
        "ci lists webhooks: 200",
        "ci creates a webhook: 403",
        "old ci key after rolling: 401",
        "new ci key: 200",
        "ci after revoking: 401",
        "verified webhook.test msg_",  # the receiver verified the test message's signature
        "(duplicate, ignored)",  # the retry kept its webhook-id
        "stale If-Match: 412",
        "delete: 204",
    ):
        assert expected in output, f"{expected!r} missing; {context}"
    assert "REJECTED" not in output, context  # no request failed verification, rotation included
    # The replay job finished, and re-sent the key events with their original webhook-ids.
    assert re.search(r'"kind":\s*"replay".*"status":\s*"done"', output), context
    assert re.search(r"verified ApiKeyCreated msg_\w+ \(duplicate, ignored\)", output), context


def test_walkthrough_blocks_are_found_only_after_the_marker() -> None:
    text = f"intro\n```bash\nnot this\n```\n{MARKER}\n```bash\necho one\n```\nprose\n{MARKER}\n```bash\necho two\n```\n"
    assert walkthrough_blocks(text) == ["echo one\n", "echo two\n"]


def test_port_check_sees_a_listener() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert port_taken(sock.getsockname()[1])
