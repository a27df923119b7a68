"""End to end: the local runtime (make run) driven over HTTP, as a tenant developer would."""

from __future__ import annotations

import pytest

from tests.e2e.runtime import LocalRuntime, admin_create_key, start_local_runtime, stop

pytestmark = pytest.mark.e2e


def test_key_lifecycle_create_authenticate_list_get_revoke(local_runtime: LocalRuntime) -> None:
    status, headers, created = local_runtime.request(
        "POST", "/api-keys", key=local_runtime.api_key, body={"name": "ci", "scopes": ["api-keys:read", "api-keys:write"]}
    )
    assert status == 201, created
    assert created["key"].startswith("intk_") and created["status"] == "active"
    assert headers["location"].endswith(f"/api-keys/{created['id']}")
    new_key = created["key"]

    # The new key authenticates, through either header.
    status, _, page = local_runtime.request("GET", "/api-keys", key=new_key)
    assert status == 200
    assert created["id"] in [item["id"] for item in page["items"]]
    assert all("key" not in item for item in page["items"])
    status, _, one = local_runtime.request("GET", f"/api-keys/{created['id']}", headers={"x-api-key": new_key})
    assert status == 200 and one["prefix"] == new_key[:11] and "key" not in one

    # It can revoke itself; from then on it is refused at once.
    status, _, revoked = local_runtime.request("POST", f"/api-keys/{created['id']}/revoke", key=new_key)
    assert status == 200 and revoked["status"] == "revoked" and revoked["revoked_at"]
    status, _, body = local_runtime.request("GET", "/api-keys", key=new_key)
    assert status == 401 and body == {"message": "Unauthorized"}

    # The bootstrap key still sees it, revoked.
    status, _, one = local_runtime.request("GET", f"/api-keys/{created['id']}", key=local_runtime.api_key)
    assert status == 200 and one["status"] == "revoked"


def test_requests_without_a_valid_key_are_refused(local_runtime: LocalRuntime) -> None:
    assert local_runtime.request("GET", "/api-keys")[0] == 401
    assert local_runtime.request("GET", "/api-keys", key="intk_nonsense")[0] == 401
    assert local_runtime.request("GET", "/api-keys", headers={"authorization": f"Basic {local_runtime.api_key}"})[0] == 401


def test_scope_and_validation_errors_are_problem_json(local_runtime: LocalRuntime) -> None:
    read_only = admin_create_key(local_runtime, "demo", "api-keys:read")
    status, headers, body = local_runtime.request("POST", "/api-keys", key=read_only, body={"name": "x", "scopes": ["api-keys:read"]})
    assert status == 403 and headers["content-type"] == "application/problem+json" and body["status"] == 403

    status, headers, body = local_runtime.request(
        "POST", "/api-keys", key=local_runtime.api_key, body={"name": "x", "scopes": [], "extra": 1}
    )
    assert status == 422 and headers["content-type"] == "application/problem+json"
    assert {error["field"] for error in body["errors"]} == {"scopes", "extra"}


def test_another_tenant_sees_nothing(local_runtime: LocalRuntime) -> None:
    other = admin_create_key(local_runtime, "other-tenant", "api-keys:read", "api-keys:write")
    status, _, demo_page = local_runtime.request("GET", "/api-keys", key=local_runtime.api_key)
    demo_key_id = demo_page["items"][-1]["id"]

    status, _, not_found = local_runtime.request("GET", f"/api-keys/{demo_key_id}", key=other)
    status_missing, _, missing = local_runtime.request("GET", "/api-keys/key_01M8JVJDFVYDM0X3ZW60964RVG", key=other)
    assert (status, status_missing) == (404, 404)
    assert not_found["title"] == missing["title"] and not_found["type"] == missing["type"]
    assert local_runtime.request("POST", f"/api-keys/{demo_key_id}/revoke", key=other)[0] == 404
    status, _, other_page = local_runtime.request("GET", "/api-keys", key=other)
    assert [item["id"] for item in other_page["items"]] != [] and demo_key_id not in [item["id"] for item in other_page["items"]]
    assert local_runtime.request("GET", f"/api-keys/{demo_key_id}", key=local_runtime.api_key)[2]["status"] == "active"


def test_unknown_route_is_404(local_runtime: LocalRuntime) -> None:
    assert local_runtime.request("GET", "/nothing-here", key=local_runtime.api_key)[0] == 404


def test_ctrl_c_stops_cleanly(tmp_path) -> None:
    runtime = start_local_runtime(tmp_path)
    assert runtime.request("GET", "/api-keys", key=runtime.api_key)[0] == 200
    assert stop(runtime) == 0
    assert "integration local runtime stopped." in runtime.log()
