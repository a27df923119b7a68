"""The four API key endpoints' happy paths, through the real handlers on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from integration import wiring
from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.ids import is_valid_id
from integration.domain.key_format import display_prefix, hash_key, is_well_formed
from integration.domain.principal import operator
from tests.conftest import BASE, Api
from tests.integration.helpers import VIEW_FIELDS, create_key, outbox


def walk(api: Api, *, limit: int, tenant: str = "tenant-a") -> list[dict[str, Any]]:
    """Every page of GET /api-keys?limit=..., following next_cursor to the end."""
    pages, cursor = [], None
    while True:
        parameters = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        status, _, page = api.call("GET", "/api-keys", tenant=tenant, query=urlencode(parameters))
        assert status == 200, page
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


# ------------------------------------------------------------------ create


def test_create_answers_201_with_the_plaintext_key_location_and_no_store(api: Api) -> None:
    status, headers, body = api.call("POST", "/api-keys", body={"name": "deploy bot", "scopes": ["api-keys:read"]})

    assert status == 201
    assert set(body) == VIEW_FIELDS | {"key"}
    assert is_valid_id(body["id"], "key")
    assert body["name"] == "deploy bot"
    assert body["scopes"] == ["api-keys:read"]
    assert is_well_formed(body["key"])
    assert body["prefix"] == display_prefix(body["key"])
    assert body["status"] == "active"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert body["expires_at"] is None and body["revoked_at"] is None
    assert headers["content-type"] == "application/json"
    assert headers["location"] == f"{BASE}/api-keys/{body['id']}"
    assert headers["cache-control"] == "no-store"
    assert api.call("GET", headers["location"].removeprefix(BASE))[2]["id"] == body["id"]


# ------------------------------------------------------------------ get


def test_get_shows_the_key_as_created_but_never_the_plaintext_or_its_hash(api: Api) -> None:
    created = create_key(
        api, name="reporting", scopes=("api-keys:read", "webhooks:read", "api-keys:read"), expires_at="2100-01-01T01:00:00+01:00"
    )

    status, headers, fetched = api.call("GET", f"/api-keys/{created['id']}")

    assert created["scopes"] == ["webhooks:read", "api-keys:read"]  # de-duplicated, in catalogue order
    assert datetime.fromisoformat(created["expires_at"]) == datetime(2100, 1, 1, tzinfo=UTC)
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert set(fetched) == VIEW_FIELDS
    assert fetched == {name: value for name, value in created.items() if name != "key"}
    text = repr(fetched)
    assert created["key"] not in text
    assert hash_key(created["key"]) not in text


# ------------------------------------------------------------------ list


def test_list_shows_the_tenants_keys_newest_first(api: Api) -> None:
    repository = wiring.api_key_repository()
    start = datetime(2025, 3, 1, tzinfo=UTC)
    ids_by_age = {}
    for offset, name in [(1, "middle"), (0, "oldest"), (2, "newest")]:
        pinned = start + timedelta(seconds=offset)
        issued = CreateApiKeyUseCase(repository, clock=lambda at=pinned: at).execute(
            operator("tenant-a"), name=name, scopes=["api-keys:read"], expires_at=None
        )
        ids_by_age[name] = issued.api_key.id

    status, headers, page = api.call("GET", "/api-keys")

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert [item["name"] for item in page["items"]] == ["newest", "middle", "oldest"]
    assert [item["id"] for item in page["items"]] == [ids_by_age["newest"], ids_by_age["middle"], ids_by_age["oldest"]]
    assert all(set(item) == VIEW_FIELDS and item["status"] == "active" for item in page["items"])
    assert page["next_cursor"] is None


def test_list_of_a_tenant_without_keys_is_empty(api: Api) -> None:
    status, _, page = api.call("GET", "/api-keys", tenant="tenant-without-keys")

    assert status == 200
    assert page == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("count, limit, sizes", [(7, 3, [3, 3, 1]), (6, 3, [3, 3])], ids=["partial-last-page", "full-last-page"])
def test_pagination_yields_every_key_exactly_once_and_ends_with_a_null_cursor(
    api: Api, count: int, limit: int, sizes: list[int]
) -> None:
    created = {create_key(api, name=f"key {n}")["id"] for n in range(count)}

    pages = walk(api, limit=limit)

    listed = [item["id"] for page in pages for item in page["items"]]
    assert [len(page["items"]) for page in pages] == sizes
    assert sorted(listed) == sorted(created)  # every key, none twice
    assert listed == sorted(listed, reverse=True)  # still newest (highest id) first across pages
    assert pages[-1]["next_cursor"] is None
    assert all(page["next_cursor"] for page in pages[:-1])


def test_list_returns_20_keys_by_default(api: Api) -> None:
    create = CreateApiKeyUseCase(wiring.api_key_repository())
    for n in range(21):
        create.execute(operator("tenant-a"), name=f"key {n}", scopes=["api-keys:read"], expires_at=None)

    _, _, page = api.call("GET", "/api-keys")

    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


def test_list_accepts_the_smallest_and_largest_limit(api: Api) -> None:
    create_key(api)
    create_key(api)

    smallest = api.call("GET", "/api-keys", query="limit=1")
    largest = api.call("GET", "/api-keys", query="limit=100")

    assert smallest[0] == 200 and len(smallest[2]["items"]) == 1 and smallest[2]["next_cursor"]
    assert largest[0] == 200 and len(largest[2]["items"]) == 2 and largest[2]["next_cursor"] is None


# ------------------------------------------------------------------ revoke


def test_revoke_marks_the_key_revoked_and_get_and_list_show_it(api: Api) -> None:
    created = create_key(api)

    status, headers, revoked = api.call("POST", f"/api-keys/{created['id']}/revoke")

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert set(revoked) == VIEW_FIELDS
    assert revoked["status"] == "revoked"
    assert datetime.fromisoformat(revoked["revoked_at"]) >= datetime.fromisoformat(created["created_at"])
    unchanged = {"id", "name", "scopes", "prefix", "created_at", "expires_at"}
    assert {f: revoked[f] for f in unchanged} == {f: created[f] for f in unchanged}
    assert api.call("GET", f"/api-keys/{created['id']}")[2] == revoked
    assert api.call("GET", "/api-keys")[2]["items"] == [revoked]


def test_revoking_twice_answers_200_with_the_first_revocation_and_records_one_event(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    created = create_key(api)
    first = api.call("POST", f"/api-keys/{created['id']}/revoke")

    second = api.call("POST", f"/api-keys/{created['id']}/revoke")

    assert first[0] == second[0] == 200
    assert second[2] == first[2]
    assert second[2]["revoked_at"] == first[2]["revoked_at"]
    assert len(outbox(dynamodb, table_name, "ApiKeyRevoked")) == 1


def test_revoking_one_key_leaves_the_others_active(api: Api) -> None:
    kept, revoked = create_key(api, name="kept"), create_key(api, name="revoked")

    api.call("POST", f"/api-keys/{revoked['id']}/revoke")

    assert api.call("GET", f"/api-keys/{kept['id']}")[2]["status"] == "active"
    assert api.authorize({"authorization": f"Bearer {kept['key']}"})["isAuthorized"] is True
