"""A key never outlives the key that made it, and every key records who made it, so an operator
who revokes a leaked key can find everything it created (``GET /api-keys?created_by=``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from integration import wiring
from integration.application.api_keys import AuthenticateApiKeyUseCase, CreateApiKeyUseCase
from integration.domain.clock import format_timestamp
from integration.domain.errors import AuthenticationError
from integration.domain.principal import Principal, operator
from tests.conftest import Api
from tests.integration.helpers import assert_problem, outbox

pytestmark = pytest.mark.usefixtures("aws")

WRITER_SCOPES = ["api-keys:read", "api-keys:write"]


def issued_by_operator(expires_at: datetime | None, tenant: str = "tenant-a") -> tuple[str, str, datetime | None]:
    """A writer key an operator made: (id, plaintext, expiry as stored)."""
    issued = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
        operator(tenant), name="parent", scopes=WRITER_SCOPES, expires_at=expires_at
    )
    return issued.api_key.id, issued.plaintext, issued.api_key.expires_at


def create_as(api: Api, plaintext: str, **body: Any) -> tuple[int, dict[str, str], Any]:
    return api.call("POST", "/api-keys", key=plaintext, body={"name": "child", "scopes": ["api-keys:read"], **body})


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------ lifetimes


def test_a_key_made_without_an_expiry_by_a_key_that_expires_expires_with_it(api: Api) -> None:
    parent_expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    _, parent, _ = issued_by_operator(parent_expiry)

    status, _, child = create_as(api, parent)

    assert status == 201, child
    assert datetime.fromisoformat(child["expires_at"]) == parent_expiry


def test_a_key_may_expire_at_the_same_instant_as_its_creator_but_not_a_second_later(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    parent_expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    _, parent, _ = issued_by_operator(parent_expiry)
    events_before = len(outbox(dynamodb, table_name, "ApiKeyCreated"))

    same_instant = create_as(api, parent, expires_at=iso(parent_expiry))
    a_second_later = create_as(api, parent, expires_at=iso(parent_expiry + timedelta(seconds=1)))

    assert same_instant[0] == 201 and datetime.fromisoformat(same_instant[2]["expires_at"]) == parent_expiry
    problem = assert_problem(a_second_later, 422)
    assert problem["errors"] == [
        {
            "field": "expires_at",
            "message": f"must be no later than {format_timestamp(parent_expiry)}, when the key creating it expires",
            "type": "invalid",
        }
    ]
    assert len(outbox(dynamodb, table_name, "ApiKeyCreated")) == events_before + 1  # the refused one wrote nothing


def test_a_key_without_an_expiry_bounds_nothing(api: Api) -> None:
    _, parent, _ = issued_by_operator(None)

    forever = create_as(api, parent)
    far = create_as(api, parent, expires_at="2100-01-01T00:00:00Z")

    assert forever[0] == far[0] == 201
    assert forever[2]["expires_at"] is None
    assert datetime.fromisoformat(far[2]["expires_at"]) == datetime(2100, 1, 1, tzinfo=UTC)


def test_the_child_stops_authenticating_the_instant_its_creator_does(api: Api) -> None:
    parent_expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    _, parent, _ = issued_by_operator(parent_expiry)
    child = create_as(api, parent)[2]
    repository = wiring.api_key_repository()

    def authenticate(key: str, at: datetime) -> Principal:
        return AuthenticateApiKeyUseCase(repository, clock=lambda: at).execute(key)

    just_before = parent_expiry - timedelta(microseconds=1)
    assert authenticate(parent, just_before).credential_id != authenticate(child["key"], just_before).credential_id
    for key in (parent, child["key"]):
        with pytest.raises(AuthenticationError, match="expired API key"):
            authenticate(key, parent_expiry)


def test_a_person_signed_in_with_oidc_creates_keys_that_do_not_inherit_the_tokens_lifetime(api: Api) -> None:
    person = Principal(tenant_id="tenant-a", credential_id="oidc:user-7", scopes=frozenset(WRITER_SCOPES))

    issued = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
        person, name="from the console", scopes=["api-keys:read"], expires_at=None
    )

    assert issued.api_key.expires_at is None
    assert issued.api_key.created_by == "oidc:user-7"


# ------------------------------------------------------------------ created_by


def test_every_key_records_who_made_it_in_its_view_and_its_event(api: Api, dynamodb: Any, table_name: str) -> None:
    parent_id, parent, _ = issued_by_operator(None)

    child = create_as(api, parent)[2]
    fetched = api.call("GET", f"/api-keys/{child['id']}")[2]
    parent_view = api.call("GET", f"/api-keys/{parent_id}")[2]

    assert child["created_by"] == fetched["created_by"] == parent_id
    assert parent_view["created_by"] == "operator"
    events = {event["detail"]["apiKeyId"]: event["detail"] for event in outbox(dynamodb, table_name, "ApiKeyCreated")}
    assert events[child["id"]]["createdBy"] == parent_id and events[parent_id]["createdBy"] == "operator"


def listing(api: Api, tenant: str = "tenant-a", **parameters: Any) -> tuple[int, dict[str, str], Any]:
    return api.call("GET", "/api-keys", tenant=tenant, query=urlencode(parameters))


def test_listing_by_creator_finds_exactly_what_a_key_made_newest_first_across_pages(api: Api) -> None:
    parent_id, parent, _ = issued_by_operator(None)
    _, sibling, _ = issued_by_operator(None)
    made = [create_as(api, parent, name=f"child {n}")[2]["id"] for n in range(2)]
    create_as(api, sibling, name="not the parent's")
    made += [create_as(api, parent, name=f"child {n}")[2]["id"] for n in range(2, 4)]

    first = listing(api, created_by=parent_id, limit=3)[2]
    second = listing(api, created_by=parent_id, limit=3, cursor=first["next_cursor"])[2]

    listed = [item["id"] for item in first["items"] + second["items"]]
    assert listed == sorted(made, reverse=True)
    assert all(item["created_by"] == parent_id for item in first["items"] + second["items"])
    assert second["next_cursor"] is None


def test_listing_by_creator_never_shows_another_tenants_keys(api: Api) -> None:
    issued_by_operator(None, tenant="tenant-a")
    issued_by_operator(None, tenant="tenant-b")

    mine = listing(api, tenant="tenant-a", created_by="operator")[2]["items"]
    theirs = listing(api, tenant="tenant-b", created_by="operator")[2]["items"]

    assert len(mine) == len(theirs) == 1 and mine[0]["id"] != theirs[0]["id"]
    assert listing(api, tenant="tenant-c", created_by="operator")[2] == {"items": [], "next_cursor": None}


def test_a_cursor_from_the_creator_listing_is_refused_on_another_listing(api: Api) -> None:
    parent_id, parent, _ = issued_by_operator(None)
    for n in range(2):
        create_as(api, parent, name=f"child {n}")
    cursor = listing(api, created_by=parent_id, limit=1)[2]["next_cursor"]

    problem = assert_problem(listing(api, cursor=cursor), 422)

    assert [error["field"] for error in problem["errors"]] == ["cursor"]
    assert assert_problem(listing(api, created_by="operator", cursor=cursor), 422)["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "value, accepted",
    [
        pytest.param("", False, id="empty"),
        pytest.param("o", True, id="one-character"),
        pytest.param("oidc:" + "s" * 255, True, id="longest-oidc-subject"),
        pytest.param("oidc:" + "s" * 256, False, id="one-over"),
    ],
)
def test_the_creator_filter_is_1_to_260_characters(api: Api, value: str, accepted: bool) -> None:
    response = listing(api, created_by=value)

    if accepted:
        assert response[0] == 200 and response[2]["items"] == []
    else:
        assert [error["field"] for error in assert_problem(response, 422)["errors"]] == ["created_by"]
