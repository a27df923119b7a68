"""End to end: the local runtime (make run) driven over HTTP, as a tenant developer would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

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
    status, headers, body = local_runtime.request(
        "POST", "/api-keys", key=read_only, body={"name": "x", "scopes": ["api-keys:read"]}
    )
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


def test_an_idempotent_replay_is_answered_only_to_the_credential_that_made_it_while_it_holds_the_scope(
    local_runtime: LocalRuntime,
) -> None:
    writer = admin_create_key(local_runtime, "demo", "api-keys:read", "api-keys:write")
    reader = admin_create_key(local_runtime, "demo", "api-keys:read")
    idempotency = {"idempotency-key": "e2e-replay-3c1f9a2e-7b44-4d0e-9a51-2f6d8c0b1e7a"}
    body = {"name": "all powerful", "scopes": ["api-keys:read", "api-keys:write"]}

    original = local_runtime.request("POST", "/api-keys", key=writer, body=body, headers=idempotency)
    by_reader = local_runtime.request("POST", "/api-keys", key=reader, body=body, headers=idempotency)
    by_bootstrap = local_runtime.request("POST", "/api-keys", key=local_runtime.api_key, body=body, headers=idempotency)
    by_writer = local_runtime.request("POST", "/api-keys", key=writer, body=body, headers=idempotency)

    assert original[0] == 201
    assert by_reader[0] == 403 and by_reader[1]["content-type"] == "application/problem+json"
    assert original[2]["key"] not in str(by_reader[2]) and "intk_" not in str(by_reader[2])
    assert by_bootstrap[0] == 201 and "idempotent-replayed" not in by_bootstrap[1]
    assert by_bootstrap[2]["id"] != original[2]["id"]  # another credential's key is another request
    assert by_writer[0] == 201 and by_writer[1]["idempotent-replayed"] == "true" and by_writer[2] == original[2]


def test_a_key_made_by_a_key_that_expires_stops_working_with_it_and_is_found_by_its_creator(local_runtime: LocalRuntime) -> None:
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    status, _, parent = local_runtime.request(
        "POST",
        "/api-keys",
        key=local_runtime.api_key,
        body={"name": "short-lived", "scopes": ["api-keys:read", "api-keys:write"], "expires_at": expires_at.isoformat()},
    )
    assert status == 201, parent

    status, _, child = local_runtime.request(
        "POST", "/api-keys", key=parent["key"], body={"name": "child", "scopes": ["api-keys:read"]}
    )
    later = (expires_at + timedelta(days=1)).isoformat()
    refused = local_runtime.request(
        "POST", "/api-keys", key=parent["key"], body={"name": "x", "scopes": ["api-keys:read"], "expires_at": later}
    )

    assert status == 201 and datetime.fromisoformat(child["expires_at"]) == expires_at
    assert child["created_by"] == parent["id"]
    assert refused[0] == 422 and [error["field"] for error in refused[2]["errors"]] == ["expires_at"]
    status, _, made = local_runtime.request("GET", f"/api-keys?created_by={parent['id']}", key=local_runtime.api_key)
    assert status == 200 and [item["id"] for item in made["items"]] == [child["id"]]
    assert local_runtime.request("GET", "/api-keys", key=child["key"])[0] == 200

    time.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 0.5)

    assert local_runtime.request("GET", "/api-keys", key=parent["key"])[0] == 401
    assert local_runtime.request("GET", "/api-keys", key=child["key"])[0] == 401
