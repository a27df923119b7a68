"""Who may do what: scopes are checked per route, and a tenant only ever sees its own keys."""

from __future__ import annotations

from typing import Any

from integration.domain.ids import new_id
from tests.conftest import Api
from tests.integration.helpers import assert_problem, create_key, items, outbox

READ_ONLY = "api-keys:read webhooks:read webhooks:write"
WRITE_ONLY = "api-keys:write webhooks:read webhooks:write"


# ------------------------------------------------------------------ scopes


def test_listing_without_the_read_scope_is_forbidden(api: Api) -> None:
    create_key(api)

    body = assert_problem(api.call("GET", "/api-keys", scopes=WRITE_ONLY), 403)

    assert body["type"] == "urn:integration:problem:forbidden"
    assert "api-keys:read" in body["detail"]
    assert "items" not in body


def test_getting_a_key_without_the_read_scope_is_forbidden(api: Api) -> None:
    created = create_key(api, name="secret name")

    body = assert_problem(api.call("GET", f"/api-keys/{created['id']}", scopes=WRITE_ONLY), 403)

    assert "api-keys:read" in body["detail"]
    assert "secret name" not in repr(body)


def test_creating_a_key_without_the_write_scope_is_forbidden_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    response = api.call("POST", "/api-keys", scopes=READ_ONLY, body={"name": "ci", "scopes": ["api-keys:read"]})

    body = assert_problem(response, 403)
    assert "api-keys:write" in body["detail"]
    assert items(dynamodb, table_name) == []


def test_revoking_without_the_write_scope_is_forbidden_and_the_key_stays_active(api: Api) -> None:
    created = create_key(api)

    assert_problem(api.call("POST", f"/api-keys/{created['id']}/revoke", scopes=READ_ONLY), 403)

    assert api.call("GET", f"/api-keys/{created['id']}")[2]["status"] == "active"
    assert api.authorize({"x-api-key": created["key"]})["isAuthorized"] is True


def test_creating_a_key_with_a_scope_the_caller_lacks_is_forbidden_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    before = items(dynamodb, table_name)

    response = api.call(
        "POST", "/api-keys", scopes="api-keys:read api-keys:write", body={"name": "escalate", "scopes": ["api-keys:read", "webhooks:write"]}
    )

    body = assert_problem(response, 403)
    assert "webhooks:write" in body["detail"]
    assert items(dynamodb, table_name) == before
    # the same caller may grant what it holds
    granted = create_key(api, scopes=("api-keys:read",), caller_scopes="api-keys:read api-keys:write")
    assert granted["scopes"] == ["api-keys:read"]


# ------------------------------------------------------------------ tenant isolation


def without(identifier: str, body: dict[str, Any]) -> dict[str, Any]:
    """A problem body with a resource id blanked, to compare the shape of two 404s."""
    return {name: value.replace(identifier, "<id>") if isinstance(value, str) else value for name, value in body.items()}


def test_another_tenants_key_is_not_found_exactly_like_a_key_that_does_not_exist(api: Api) -> None:
    theirs = create_key(api, tenant="tenant-a", name="a's key")
    missing = new_id("key")

    for_theirs = assert_problem(api.call("GET", f"/api-keys/{theirs['id']}", tenant="tenant-b"), 404)
    for_missing = assert_problem(api.call("GET", f"/api-keys/{missing}", tenant="tenant-b"), 404)

    assert without(theirs["id"], for_theirs) == without(missing, for_missing)
    assert "a's key" not in repr(for_theirs)


def test_revoking_another_tenants_key_is_not_found_and_leaves_it_active(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    theirs = create_key(api, tenant="tenant-a")
    missing = new_id("key")

    for_theirs = assert_problem(api.call("POST", f"/api-keys/{theirs['id']}/revoke", tenant="tenant-b"), 404)
    for_missing = assert_problem(api.call("POST", f"/api-keys/{missing}/revoke", tenant="tenant-b"), 404)

    assert without(theirs["id"], for_theirs) == without(missing, for_missing)
    status, _, still = api.call("GET", f"/api-keys/{theirs['id']}", tenant="tenant-a")
    assert status == 200 and still["status"] == "active" and still["revoked_at"] is None
    assert api.authorize({"x-api-key": theirs["key"]})["context"]["tenantId"] == "tenant-a"
    assert outbox(dynamodb, table_name, "ApiKeyRevoked") == []


def test_a_tenants_list_never_shows_another_tenants_keys(api: Api) -> None:
    a_ids = {create_key(api, tenant="tenant-a", name=f"a{n}")["id"] for n in range(3)}
    b_ids = {create_key(api, tenant="tenant-b", name=f"b{n}")["id"] for n in range(2)}
    # a tenant whose id starts like another's is still another tenant
    create_key(api, tenant="tenant-a2", name="lookalike")

    _, _, a_page = api.call("GET", "/api-keys", tenant="tenant-a")
    _, _, b_page = api.call("GET", "/api-keys", tenant="tenant-b")

    assert {item["id"] for item in a_page["items"]} == a_ids
    assert {item["id"] for item in b_page["items"]} == b_ids


def test_another_tenants_cursor_is_refused_on_the_cursor_field(api: Api) -> None:
    for n in range(3):
        create_key(api, tenant="tenant-a", name=f"a{n}")
    create_key(api, tenant="tenant-b", name="b")
    _, _, a_first_page = api.call("GET", "/api-keys", tenant="tenant-a", query="limit=1")
    a_cursor = a_first_page["next_cursor"]
    assert a_cursor

    body = assert_problem(api.call("GET", "/api-keys", tenant="tenant-b", query=f"limit=1&cursor={a_cursor}"), 422)

    assert [error["field"] for error in body["errors"]] == ["cursor"]
    assert "items" not in body


def test_a_malformed_or_oversized_id_is_not_found_like_any_other_unknown_id(api: Api, dynamodb: Any, table_name: str) -> None:
    create_key(api)
    before = items(dynamodb, table_name)
    missing = new_id("key")
    expected = without(missing, assert_problem(api.call("GET", f"/api-keys/{missing}"), 404))

    for odd in ("not-a-key-id", "evt_" + missing[4:], "key_" + "Z" * 2000):
        assert without(odd, assert_problem(api.call("GET", f"/api-keys/{odd}"), 404)) == expected, odd[:20]
        assert without(odd, assert_problem(api.call("POST", f"/api-keys/{odd}/revoke"), 404)) == expected, odd[:20]
    assert items(dynamodb, table_name) == before
