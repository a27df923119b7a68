"""End to end: the webhook lifecycle over HTTP against the local runtime (make run)."""

from __future__ import annotations

import pytest

from tests.e2e.runtime import LocalRuntime, admin_create_key

pytestmark = pytest.mark.e2e


def test_webhook_lifecycle(local_runtime: LocalRuntime) -> None:
    key = local_runtime.api_key
    status, headers, created = local_runtime.request(
        "POST",
        "/webhooks",
        key=key,
        body={"name": "orders", "url": "http://127.0.0.1:9/hook", "events": ["WebhookCreated", "WebhookCreated", "ApiKeyRevoked"]},
    )
    assert status == 201, created
    assert created["secret"].startswith("whsec_") and created["events"] == ["WebhookCreated", "ApiKeyRevoked"]
    assert headers["location"].endswith(f"/webhooks/{created['id']}")
    webhook_id, secret = created["id"], created["secret"]

    status, _, got = local_runtime.request("GET", f"/webhooks/{webhook_id}", key=key)
    assert status == 200 and "secret" not in got and got["status"] == "active"

    replacement = {"name": "orders v2", "url": "http://localhost:9/v2", "events": ["*"], "description": "all", "status": "disabled"}
    status, _, updated = local_runtime.request("PUT", f"/webhooks/{webhook_id}", key=key, body=replacement)
    assert status == 200 and updated["status"] == "disabled" and updated["events"] == ["*"]
    assert updated["updated_at"] > updated["created_at"]

    status, _, disabled = local_runtime.request("GET", "/webhooks?status=disabled", key=key)
    assert [item["id"] for item in disabled["items"]] == [webhook_id]
    status, _, listed = local_runtime.request("GET", "/webhooks", key=key)
    assert secret not in str(listed)

    status, _, body = local_runtime.request("DELETE", f"/webhooks/{webhook_id}", key=key)
    assert status == 204 and body is None
    for method, payload in (("GET", None), ("PUT", replacement), ("DELETE", None)):
        status, headers, problem = local_runtime.request(method, f"/webhooks/{webhook_id}", key=key, body=payload)
        assert status == 404 and headers["content-type"] == "application/problem+json", (method, problem)
    assert webhook_id not in [item["id"] for item in local_runtime.request("GET", "/webhooks", key=key)[2]["items"]]


def test_local_runtime_allows_loopback_but_nothing_else_private(local_runtime: LocalRuntime) -> None:
    for url in ("http://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "http://[::ffff:192.168.0.1]/"):
        status, _, problem = local_runtime.request("POST", "/webhooks", key=local_runtime.api_key, body={"name": "x", "url": url, "events": ["*"]})
        assert status == 422 and problem["errors"][0]["field"] == "url", url
    assert "webhook URLs may use plain http and loopback hosts" in local_runtime.log()


def test_webhooks_are_invisible_to_another_tenant(local_runtime: LocalRuntime) -> None:
    other = admin_create_key(local_runtime, "tenant-webhooks-b", "webhooks:read", "webhooks:write")
    status, _, created = local_runtime.request(
        "POST", "/webhooks", key=local_runtime.api_key, body={"name": "mine", "url": "http://127.0.0.1:9/x", "events": ["*"]}
    )
    assert status == 201
    for method, payload in (("GET", None), ("PUT", {"name": "stolen", "url": "http://127.0.0.1:9/y", "events": ["*"], "status": "active"}), ("DELETE", None)):
        assert local_runtime.request(method, f"/webhooks/{created['id']}", key=other, body=payload)[0] == 404
    assert local_runtime.request("GET", "/webhooks", key=other)[2]["items"] == []
    status, _, still = local_runtime.request("GET", f"/webhooks/{created['id']}", key=local_runtime.api_key)
    assert status == 200 and still["name"] == "mine"
