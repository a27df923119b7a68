"""Runs last (file order): every line the local runtimes of the whole end-to-end suite logged
after start-up is free of every secret the suite was issued or sent (API keys, webhook secrets,
the credentials in Authorization and X-Api-Key), and every Powertools line has a correlation id.

Run alone, it drives a short session of its own first, so it can still fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.runtime import ISSUED_SECRETS, READY_LINE, RUNTIME_LOGS, admin_create_key, start_local_runtime, stop

pytestmark = pytest.mark.e2e


def _own_session(tmp_path: Path) -> None:
    runtime = start_local_runtime(tmp_path)
    try:
        key = admin_create_key(runtime, "logs", "webhooks:write", "api-keys:write")
        runtime.request("POST", "/api-keys", key=key, body={"name": "x", "scopes": ["webhooks:write"]})
        _, _, hook = runtime.request("POST", "/webhooks", key=key, body={"name": "h", "url": "http://127.0.0.1:9/h", "events": ["*"]})
        runtime.request("POST", f"/webhooks/{hook['id']}/rotate-secret", key=key)
        runtime.request("GET", "/webhooks", key="intk_" + "x" * 38)  # a refused key is logged as refused, never itself
    finally:
        stop(runtime)


def logged_lines() -> list[str]:
    lines = []
    for log in RUNTIME_LOGS:
        text = log.read_text(errors="replace")
        lines += text.split(READY_LINE, 1)[-1].splitlines()  # the banner prints the bootstrap key on purpose
    return lines


def test_no_secret_reaches_a_log_line_and_every_line_has_a_correlation_id(tmp_path: Path) -> None:
    if not RUNTIME_LOGS:
        _own_session(tmp_path)
    lines = logged_lines()
    assert len(ISSUED_SECRETS) >= 3 and len(lines) > 10  # the check below has something to find
    leaks = [(secret[:10] + "...", line[:200]) for line in lines for secret in ISSUED_SECRETS if secret in line]
    assert leaks == []
    records = [json.loads(line) for line in lines if line.startswith('{"level"')]
    assert records
    missing = [record["message"] for record in records if not record.get("correlation_id")]
    assert missing == []
