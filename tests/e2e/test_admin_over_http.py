"""End to end: an operator revokes a leaked key with integration-admin (the key on stdin, as a
secret-scanning hook would pass it), configured only by the export lines make run prints; the
key is refused over HTTP from then on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.runtime import LocalRuntime

pytestmark = pytest.mark.e2e

DEMO_TENANT = "demo"  # the tenant of make run's bootstrap key


def test_a_key_revoked_as_leaked_through_the_cli_is_refused_over_http(local_runtime: LocalRuntime) -> None:
    status, _, created = local_runtime.request(
        "POST", "/api-keys", key=local_runtime.api_key, body={"name": "leaks", "scopes": ["api-keys:read"]}
    )
    assert status == 201, created
    assert local_runtime.request("GET", "/api-keys", key=created["key"])[0] == 200

    done = subprocess.run(
        [sys.executable, "-m", "integration.entrypoints.admin", "revoke-leaked", "-"],
        input=created["key"] + "\n",
        env=local_runtime.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stdout) == (0, f"tenant {DEMO_TENANT} key {created['id']} revoked (leaked)\n"), done.stderr
    assert created["key"] not in done.stdout + done.stderr
    status, _, body = local_runtime.request("GET", "/api-keys", key=created["key"])
    assert status == 401 and body == {"message": "Unauthorized"}
    status, _, one = local_runtime.request("GET", f"/api-keys/{created['id']}", key=local_runtime.api_key)
    assert status == 200 and one["status"] == "revoked"


def admin(runtime: LocalRuntime, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "integration.entrypoints.admin", *arguments],
        env=runtime.environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_operator_commands_list_revoke_and_disable_what_the_api_then_shows(local_runtime: LocalRuntime) -> None:
    status, _, key = local_runtime.request(
        "POST", "/api-keys", key=local_runtime.api_key, body={"name": "operator-e2e", "scopes": ["webhooks:read"]}
    )
    assert status == 201, key
    status, _, hook = local_runtime.request(
        "POST", "/webhooks", key=local_runtime.api_key, body={"name": "operator-e2e", "url": "https://example.com/hooks", "events": ["*"]}
    )
    assert status == 201, hook

    listed = admin(local_runtime, "list-keys", "--tenant", DEMO_TENANT)
    assert listed.returncode == 0 and key["id"] in listed.stdout, listed.stderr
    assert key["key"] not in listed.stdout
    revoked = admin(local_runtime, "revoke-key", "--tenant", DEMO_TENANT, "--id", key["id"])
    assert (revoked.returncode, revoked.stdout) == (0, f"tenant {DEMO_TENANT} key {key['id']} revoked\n"), revoked.stderr
    assert local_runtime.request("GET", "/webhooks", key=key["key"])[0] == 401

    webhooks = admin(local_runtime, "list-webhooks", "--tenant", DEMO_TENANT)
    assert webhooks.returncode == 0 and hook["id"] in webhooks.stdout, webhooks.stderr
    assert hook["secret"] not in webhooks.stdout
    disabled = admin(local_runtime, "disable-webhook", "--tenant", DEMO_TENANT, "--id", hook["id"])
    assert disabled.returncode == 0, disabled.stderr
    status, _, shown = local_runtime.request("GET", f"/webhooks/{hook['id']}", key=local_runtime.api_key)
    assert status == 200 and shown["status"] == "disabled"

    other_tenant = admin(local_runtime, "revoke-key", "--tenant", "someone-else", "--id", key["id"])
    assert other_tenant.returncode == 1
