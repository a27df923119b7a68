"""examples/webhook_receiver.py, the receiver the README tells tenants to start from: it accepts
what the service signs, refuses anything else, and spots a duplicate webhook-id."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from integration.domain.signing import message_body, webhook_headers
from integration.domain.webhooks import new_signing_secret
from local_runtime.template import PROJECT_ROOT
from tests.e2e.runtime import free_port

SECRET = new_signing_secret()


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own example
        [sys.executable, str(PROJECT_ROOT / "examples" / "webhook_receiver.py"), "--port", str(port), "--fail", "1"],
        env={**os.environ, "WEBHOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    assert "receiving on" in process.stdout.readline()
    yield f"http://127.0.0.1:{port}/hooks", process
    process.terminate()
    process.wait(timeout=10)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def signed(message_id: str, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = message_body("invoice.paid", datetime.now(UTC), {"tenantId": "acme", "invoiceId": "inv_1"})
    headers = webhook_headers(message_id=message_id, timestamp=int(time.time()), body=body, secrets=[secret], user_agent="test")
    return body, headers


def test_the_example_receiver_verifies_fails_on_purpose_and_drops_duplicates(receiver: tuple[str, subprocess.Popen[str]]) -> None:
    url, process = receiver
    assert process.stdout is not None
    assert post(url, *signed("msg_1")) == 503  # --fail 1: the first one is answered 503
    assert "answering 503 on purpose" in process.stdout.readline()
    assert post(url, *signed("msg_1")) == 204
    assert process.stdout.readline().startswith("verified invoice.paid msg_1 ")
    assert post(url, *signed("msg_1")) == 204
    assert "(duplicate, ignored)" in process.stdout.readline()
    assert post(url, *signed("msg_2", secret=new_signing_secret())) == 400
    assert process.stdout.readline().startswith("REJECTED msg_2")
