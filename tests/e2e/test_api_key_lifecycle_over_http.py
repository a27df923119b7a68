"""End to end over `make run` with platform scopes (PlatformScopes): GET /scopes, a key carrying a
platform scope, PATCH /api-keys/{id} and POST /api-keys/{id}/roll, as a tenant developer would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.runtime import LocalRuntime, start_local_runtime, stop

pytestmark = pytest.mark.e2e

PLATFORM_OVERRIDES = "PlatformScopes='orders:read=Read orders,invoices:read'"


@pytest.fixture(scope="module")
def platform_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_local_runtime(tmp_path_factory.mktemp("platform-runtime"), PLATFORM_OVERRIDES)
    try:
        yield runtime
    finally:
        stop(runtime)


def test_scopes_patch_and_roll_over_http(platform_runtime: LocalRuntime) -> None:
    admin = platform_runtime.api_key
    status, _, scopes = platform_runtime.request("GET", "/scopes", key=admin)
    assert status == 200, scopes
    assert [(item["name"], item["origin"]) for item in scopes["items"]][-2:] == [
        ("orders:read", "platform"),
        ("invoices:read", "platform"),
    ]
    assert scopes["items"][-2]["description"] == "Read orders"

    body = {"name": "orders sync", "scopes": ["api-keys:read", "orders:read", "invoices:read"]}
    status, _, created = platform_runtime.request("POST", "/api-keys", key=admin, body=body)
    assert status == 201, created
    assert created["scopes"] == ["api-keys:read", "orders:read", "invoices:read"]
    status, _, refused = platform_runtime.request("POST", "/api-keys", key=admin, body={"name": "x", "scopes": ["orders:write"]})
    assert status == 422 and refused["errors"][0]["field"] == "scopes"

    status, headers, patched = platform_runtime.request(
        "PATCH",
        f"/api-keys/{created['id']}",
        key=admin,
        headers={"content-type": "application/merge-patch+json"},
        body={"description": "nightly", "metadata": {"team": "orders"}, "scopes": ["api-keys:read", "orders:read"]},
    )
    assert status == 200, patched
    assert (patched["description"], patched["metadata"], patched["scopes"]) == (
        "nightly",
        {"team": "orders"},
        ["api-keys:read", "orders:read"],
    )

    status, headers, rolled = platform_runtime.request(
        "POST", f"/api-keys/{created['id']}/roll", key=admin, body={"expires_in_seconds": 0}
    )
    assert status == 201, rolled
    assert headers["cache-control"] == "no-store" and rolled["rolled_from"] == created["id"]
    assert (rolled["description"], rolled["metadata"], rolled["scopes"]) == (
        "nightly",
        {"team": "orders"},
        ["api-keys:read", "orders:read"],
    )
    assert platform_runtime.request("GET", "/api-keys", key=created["key"])[0] == 401  # 0 seconds: the old key stopped
    status, _, mine = platform_runtime.request("GET", f"/api-keys/{rolled['id']}", key=rolled["key"])
    assert status == 200 and mine["status"] == "active"
