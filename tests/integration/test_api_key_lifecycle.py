"""Key lifecycle through the real handlers on moto: POST /api-keys/{id}/roll, PATCH /api-keys/{id},
what every view shows, and revoking a leaked key (the use case the operator CLI calls)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.domain.api_key import MAX_METADATA_BYTES, metadata_size
from integration.domain.errors import InvalidFieldError, NotFoundError
from integration.domain.key_format import generate_key
from tests.conftest import Api
from tests.integration.helpers import VIEW_FIELDS, assert_problem, create_key, items, outbox

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
WRITER = ("api-keys:read", "api-keys:write")

Response = tuple[int, dict[str, str], Any]


def roll(api: Api, key_id: str, body: Any = None, **kwargs: Any) -> Response:
    return api.call("POST", f"/api-keys/{key_id}/roll", body=body, **kwargs)


def patch(api: Api, key_id: str, body: Any, **kwargs: Any) -> Response:
    return api.call("PATCH", f"/api-keys/{key_id}", body=body, headers=MERGE_PATCH, **kwargs)


def get(api: Api, key_id: str) -> dict[str, Any]:
    status, _, body = api.call("GET", f"/api-keys/{key_id}")
    assert status == 200, body
    return body


def parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def authorized(api: Api, key: str) -> bool:
    try:
        return bool(api.authorize({"authorization": f"Bearer {key}"})["isAuthorized"])
    except Exception as refused:  # noqa: BLE001 - the authorizer's Unauthorized
        assert str(refused) == "Unauthorized"
        return False


def metadata_of_size(size: int) -> dict[str, str]:
    """A one-member object that is exactly ``size`` bytes as compact JSON."""
    metadata = {"k": ""}
    metadata["k"] = "x" * (size - metadata_size(metadata))
    assert metadata_size(metadata) == size
    return metadata


# ------------------------------------------------------------------ views


def test_every_view_shows_the_lifecycle_fields(api: Api) -> None:
    created = create_key(api, scopes=WRITER)

    assert set(created) == VIEW_FIELDS | {"key"}
    assert created["description"] is None and created["metadata"] is None
    assert created["rolled_from"] is None and created["revoked_reason"] is None
    assert created["created_by"] == "key_test" and created["last_used_at"] is None
    listed = api.call("GET", "/api-keys")[2]["items"]
    assert all(set(item) == VIEW_FIELDS for item in listed)


def test_create_takes_a_description_and_metadata(api: Api) -> None:
    body = {"name": "ci", "scopes": ["api-keys:read"], "description": "deploys", "metadata": {"team": "payments", "n": 1.5}}
    status, _, created = api.call("POST", "/api-keys", body=body)

    assert status == 201, created
    assert get(api, created["id"])["description"] == "deploys"
    assert get(api, created["id"])["metadata"] == {"team": "payments", "n": 1.5}


def test_revoke_shows_the_reason_requested_in_the_view_and_the_event(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api)

    status, _, revoked = api.call("POST", f"/api-keys/{created['id']}/revoke")

    assert status == 200 and revoked["revoked_reason"] == "requested" and revoked["status"] == "revoked"
    (event,) = outbox(dynamodb, table_name, "ApiKeyRevoked")
    assert event["detail"]["reason"] == "requested"


# ------------------------------------------------------------------ roll


def test_roll_answers_a_new_key_with_the_same_settings_and_the_old_key_s_new_expiry(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    body = {
        "name": "ci",
        "scopes": list(WRITER),
        "description": "deploys",
        "metadata": {"team": "payments"},
        "expires_at": "2100-01-01T00:00:00Z",
    }
    old = api.call("POST", "/api-keys", body=body)[2]
    before = datetime.now(UTC)

    status, headers, new = roll(api, old["id"], {"expires_in_seconds": 3600})

    assert status == 201, new
    assert set(new) == VIEW_FIELDS | {"key", "previous_key"}
    assert headers["cache-control"] == "no-store"
    assert headers["location"].endswith(f"/api-keys/{new['id']}")
    assert new["id"] != old["id"] and new["key"] != old["key"] and new["key"].startswith("intk_")
    for same in ("name", "description", "metadata", "scopes", "expires_at"):
        assert new[same] == old[same], same
    assert new["rolled_from"] == old["id"] and new["created_by"] == "key_test" and new["status"] == "active"
    assert new["previous_key"]["id"] == old["id"]
    grace_end = parse(new["previous_key"]["expires_at"])
    assert before + timedelta(seconds=3599) <= grace_end <= datetime.now(UTC) + timedelta(seconds=3600)
    assert get(api, old["id"])["expires_at"] == new["previous_key"]["expires_at"]
    assert get(api, old["id"])["status"] == "active"
    (event,) = outbox(dynamodb, table_name, "ApiKeyRolled")
    assert event["aggregate_id"] == new["id"]
    assert {k: event["detail"][k] for k in ("apiKeyId", "previousApiKeyId", "previousKeyExpiresAt", "createdBy", "tenantId")} == {
        "apiKeyId": new["id"],
        "previousApiKeyId": old["id"],
        "previousKeyExpiresAt": new["previous_key"]["expires_at"],
        "createdBy": "key_test",
        "tenantId": "tenant-a",
    }
    stored = [item for item in items(dynamodb, table_name) if item.get("id") in (old["id"], new["id"])]
    assert len(stored) == 4  # each key's item and its lookup
    assert not any(new["key"] in json.dumps(item, default=str) for item in items(dynamodb, table_name))


def test_the_old_key_authenticates_until_its_new_expiry_then_not_and_the_new_key_at_once(api: Api) -> None:
    old = create_key(api, scopes=WRITER)
    assert authorized(api, old["key"])

    new = roll(api, old["id"], {"expires_in_seconds": 1})[2]

    assert authorized(api, new["key"])
    assert authorized(api, old["key"])
    time.sleep(max(0.0, (parse(new["previous_key"]["expires_at"]) - datetime.now(UTC)).total_seconds()) + 0.05)
    assert not authorized(api, old["key"])
    assert get(api, old["id"])["status"] == "expired"
    assert authorized(api, new["key"])


def test_roll_by_default_keeps_the_old_key_24_hours(api: Api) -> None:
    old = create_key(api)

    status, _, new = roll(api, old["id"])

    assert status == 201, new
    left = parse(new["previous_key"]["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)


@pytest.mark.parametrize("seconds", [0, 604800])
def test_roll_accepts_the_bounds_of_expires_in_seconds(api: Api, seconds: int) -> None:
    old = create_key(api)

    status, _, new = roll(api, old["id"], {"expires_in_seconds": seconds})

    assert status == 201, new
    left = (parse(new["previous_key"]["expires_at"]) - datetime.now(UTC)).total_seconds()
    assert seconds - 5 < left <= seconds
    assert authorized(api, old["key"]) is (seconds > 0)


@pytest.mark.parametrize(
    "body", [{"expires_in_seconds": -1}, {"expires_in_seconds": 604801}, {"expires_in_seconds": "soon"}, {"grace": 1}]
)
def test_roll_refuses_an_expiry_outside_0_to_7_days_and_unknown_members(
    api: Api, dynamodb: Any, table_name: str, body: Any
) -> None:
    old = create_key(api)

    problem = assert_problem(roll(api, old["id"], body), 422)

    assert fields_of(problem) == [next(iter(body))]
    assert outbox(dynamodb, table_name, "ApiKeyRolled") == []


def test_roll_never_extends_the_old_key_past_its_own_expiry(api: Api) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    old = create_key(api, expires_at=soon)

    new = roll(api, old["id"], {"expires_in_seconds": 604800})[2]

    assert new["previous_key"]["expires_at"] == old["expires_at"]
    assert new["expires_at"] == old["expires_at"]


def test_a_key_rolled_by_a_key_that_expires_expires_no_later_than_it(api: Api) -> None:
    parent = create_key(api, scopes=WRITER, expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    child = create_key(api, scopes=("api-keys:read",))  # no expiry

    status, _, new = roll(api, child["id"], key=parent["key"])

    assert status == 201, new
    assert new["expires_at"] == parent["expires_at"] and new["created_by"] == parent["id"]


def test_rolling_a_revoked_key_is_a_conflict(api: Api, dynamodb: Any, table_name: str) -> None:
    old = create_key(api)
    api.call("POST", f"/api-keys/{old['id']}/revoke")

    problem = assert_problem(roll(api, old["id"]), 409)

    assert "revoked" in problem["detail"]
    assert outbox(dynamodb, table_name, "ApiKeyRolled") == []


def test_rolling_an_expired_key_is_a_conflict(api: Api) -> None:
    old = create_key(api)
    roll(api, old["id"], {"expires_in_seconds": 0})

    problem = assert_problem(roll(api, old["id"]), 409)

    assert "expired" in problem["detail"]


def test_rolling_another_tenant_s_key_is_not_found(api: Api) -> None:
    theirs = create_key(api, tenant="tenant-b")

    assert_problem(roll(api, theirs["id"], tenant="tenant-a"), 404)
    assert api.call("GET", f"/api-keys/{theirs['id']}", tenant="tenant-b")[2]["expires_at"] is None


def test_rolling_a_key_with_scopes_the_caller_lacks_is_forbidden(api: Api) -> None:
    old = create_key(api, scopes=("webhooks:read",))

    assert_problem(roll(api, old["id"], scopes="api-keys:read api-keys:write"), 403)


def test_rolling_needs_the_write_scope(api: Api) -> None:
    old = create_key(api)

    assert_problem(roll(api, old["id"], scopes="api-keys:read"), 403)


def test_a_retried_roll_with_the_same_idempotency_key_answers_the_same_new_key(api: Api, dynamodb: Any, table_name: str) -> None:
    old = create_key(api)
    headers = {"idempotency-key": str(uuid.uuid4())}

    first = roll(api, old["id"], {"expires_in_seconds": 60}, headers=headers)
    again = roll(api, old["id"], {"expires_in_seconds": 60}, headers=headers)

    assert first[0] == again[0] == 201
    assert first[2]["id"] == again[2]["id"]
    assert len(outbox(dynamodb, table_name, "ApiKeyRolled")) == 1


# ------------------------------------------------------------------ PATCH


def test_patch_sets_what_it_sends_and_keeps_the_rest(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, scopes=WRITER)

    status, headers, patched = patch(
        api, created["id"], {"name": "deploys", "description": "main branch", "metadata": {"team": "a"}}
    )

    assert status == 200, patched
    assert headers["content-type"] == "application/json"
    assert set(patched) == VIEW_FIELDS
    assert (patched["name"], patched["description"], patched["metadata"]) == ("deploys", "main branch", {"team": "a"})
    assert patched["scopes"] == created["scopes"] and patched["prefix"] == created["prefix"]
    assert get(api, created["id"]) == patched
    (event,) = outbox(dynamodb, table_name, "ApiKeyUpdated")
    assert event["aggregate_id"] == created["id"]
    assert event["detail"]["changes"] == ["name", "description", "metadata"]
    assert authorized(api, created["key"])


def test_null_clears_description_and_metadata(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api)
    patch(api, created["id"], {"description": "d", "metadata": {"a": 1}})

    status, _, patched = patch(api, created["id"], {"description": None, "metadata": None})

    assert status == 200, patched
    assert patched["description"] is None and patched["metadata"] is None
    assert get(api, created["id"]) == patched
    assert outbox(dynamodb, table_name, "ApiKeyUpdated")[-1]["detail"]["changes"] in (["description", "metadata"],)


def test_an_empty_patch_changes_nothing_and_records_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api)

    status, _, patched = patch(api, created["id"], {})

    assert status == 200
    assert patched == get(api, created["id"])
    assert outbox(dynamodb, table_name, "ApiKeyUpdated") == []


def test_scopes_can_be_narrowed_and_the_authorizer_sees_the_narrower_set(api: Api) -> None:
    created = create_key(api, scopes=WRITER)

    status, _, patched = patch(api, created["id"], {"scopes": ["api-keys:read"]})

    assert status == 200, patched
    assert patched["scopes"] == ["api-keys:read"]
    context = api.authorize({"authorization": f"Bearer {created['key']}"})["context"]
    assert context["scopes"].split() == ["api-keys:read"]


@pytest.mark.parametrize("scopes", [["api-keys:read", "webhooks:write"], ["webhooks:read"]])
def test_scopes_cannot_be_widened(api: Api, scopes: list[str], dynamodb: Any, table_name: str) -> None:
    created = create_key(api, scopes=WRITER)

    problem = assert_problem(patch(api, created["id"], {"scopes": scopes}), 422)

    assert fields_of(problem) == ["scopes"]
    assert "scopes can only be narrowed" in problem["errors"][0]["message"]
    assert get(api, created["id"])["scopes"] == list(WRITER)
    assert outbox(dynamodb, table_name, "ApiKeyUpdated") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": None}, "scopes"),
        ({"name": None}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"description": "d" * 501}, "description"),
        ({"metadata": [1]}, "metadata"),
        ({"metadata": {f"k{n}": n for n in range(21)}}, "metadata"),
        ({"metadata": {"k" * 41: 1}}, "metadata"),
        ({"metadata": {"": 1}}, "metadata"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_patch_refuses_each_bad_member_naming_it(api: Api, body: dict[str, Any], field: str) -> None:
    created = create_key(api, scopes=WRITER)

    problem = assert_problem(patch(api, created["id"], body), 422)

    assert field in [name.split("[")[0].split(".")[0] for name in fields_of(problem)], problem


def test_metadata_takes_20_keys_of_40_characters(api: Api) -> None:
    created = create_key(api)
    metadata = {f"{n:02d}" + "k" * 38: n for n in range(20)}

    status, _, patched = patch(api, created["id"], {"metadata": metadata})

    assert status == 200, patched
    assert patched["metadata"] == metadata


def test_metadata_takes_1024_bytes_and_refuses_1025(api: Api) -> None:
    created = create_key(api)

    status, _, patched = patch(api, created["id"], {"metadata": metadata_of_size(MAX_METADATA_BYTES)})
    assert status == 200, patched
    problem = assert_problem(patch(api, created["id"], {"metadata": metadata_of_size(MAX_METADATA_BYTES + 1)}), 422)

    assert fields_of(problem) == ["metadata"]
    assert get(api, created["id"])["metadata"] == metadata_of_size(MAX_METADATA_BYTES)


def test_a_revoked_key_cannot_be_patched(api: Api) -> None:
    created = create_key(api)
    api.call("POST", f"/api-keys/{created['id']}/revoke")

    problem = assert_problem(patch(api, created["id"], {"name": "again"}), 409)

    assert "revoked" in problem["detail"]


def test_patching_another_tenant_s_key_is_not_found_and_changes_nothing(api: Api) -> None:
    theirs = create_key(api, tenant="tenant-b", name="theirs")

    assert_problem(patch(api, theirs["id"], {"name": "mine"}, tenant="tenant-a"), 404)
    assert api.call("GET", f"/api-keys/{theirs['id']}", tenant="tenant-b")[2]["name"] == "theirs"


def test_patching_needs_the_write_scope(api: Api) -> None:
    created = create_key(api)

    assert_problem(patch(api, created["id"], {"name": "x"}, scopes="api-keys:read"), 403)


def test_plain_json_is_a_merge_patch_too(api: Api) -> None:
    created = create_key(api)

    status, _, patched = api.call("PATCH", f"/api-keys/{created['id']}", body={"name": "json"})

    assert status == 200 and patched["name"] == "json"


# ------------------------------------------------------------------ a leaked key (integration-admin revoke-leaked)


def test_a_leaked_key_is_found_by_its_hash_and_revoked_as_leaked(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, tenant="tenant-b")

    revoked = wiring.revoke_leaked_api_key().execute(created["key"])

    assert (revoked.tenant_id, revoked.id, revoked.revoked_reason) == ("tenant-b", created["id"], "leaked")
    view = api.call("GET", f"/api-keys/{created['id']}", tenant="tenant-b")[2]
    assert view["status"] == "revoked" and view["revoked_reason"] == "leaked"
    (event,) = outbox(dynamodb, table_name, "ApiKeyRevoked")
    assert event["detail"]["reason"] == "leaked" and event["tenant_id"] == "tenant-b"
    assert not authorized(api, created["key"])


def test_a_leaked_key_already_revoked_is_answered_unchanged(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api)
    api.call("POST", f"/api-keys/{created['id']}/revoke")

    again = wiring.revoke_leaked_api_key().execute(created["key"])

    assert again.revoked_reason == "requested"
    assert len(outbox(dynamodb, table_name, "ApiKeyRevoked")) == 1


def test_a_leaked_key_with_a_bad_checksum_is_refused_on_key_and_an_unknown_one_is_not_found(api: Api) -> None:
    real = create_key(api)["key"]
    broken = real[:-1] + ("A" if real[-1] != "A" else "B")

    with pytest.raises(InvalidFieldError) as refused:
        wiring.revoke_leaked_api_key().execute(broken)
    assert refused.value.field == "key"
    with pytest.raises(NotFoundError) as missing:
        wiring.revoke_leaked_api_key().execute(generate_key())
    assert "intk_" in str(missing.value)
