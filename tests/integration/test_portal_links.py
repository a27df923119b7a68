"""POST /portal-links: a short-lived API key as a link to the console, made by the rules of
POST /api-keys; and the key it holds working with the authorizer until it expires."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from integration import wiring
from integration.application.api_keys import AuthenticateApiKeyUseCase, CreateApiKeyUseCase
from integration.application.portal_links import CreatePortalLinkUseCase
from integration.domain.errors import AuthenticationError, InvalidFieldError
from integration.domain.principal import Principal, operator
from tests.conftest import Api
from tests.integration.helpers import VIEW_FIELDS, assert_problem, items, outbox

pytestmark = pytest.mark.usefixtures("aws")

SERVICE_SCOPES = ["webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write"]
CONSOLE = "https://localhost/api/v1/integration/console"  # the test events' domainName, https by default


def create_link(api: Api, body: Any = None, **call: Any) -> tuple[int, dict[str, str], Any]:
    return api.call("POST", "/portal-links", body={} if body is None else body, **call)


def fragment(url: str) -> dict[str, str]:
    """The link's fragment parameters, decoded as the console does (URLSearchParams)."""
    parts = urlsplit(url)
    assert parts.query == ""
    return {name: values[0] for name, values in parse_qs(parts.fragment, keep_blank_values=True).items()}


def parent_key(scopes: list[str], expires_at: datetime | None = None, tenant: str = "tenant-a") -> str:
    """A key an operator made for ``tenant``: its plaintext."""
    issued = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
        operator(tenant), name="parent", scopes=scopes, expires_at=expires_at
    )
    return issued.plaintext


def authenticate(plaintext: str, at: datetime) -> Principal:
    return AuthenticateApiKeyUseCase(wiring.api_key_repository(), clock=lambda: at).execute(plaintext)


# ------------------------------------------------------------------ the link


def test_a_link_is_201_with_a_fragment_only_url_a_key_view_no_store_and_the_key_s_location(api: Api) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    status, headers, link = create_link(api)

    assert status == 201, link
    assert set(link) == {"url", "expires_at", "api_key"}
    assert headers["cache-control"] == "no-store"
    assert headers["location"] == f"/api/v1/integration/api-keys/{link['api_key']['id']}"
    assert set(link["api_key"]) == VIEW_FIELDS  # the view, never the plaintext beside the url
    assert link["url"].startswith(CONSOLE + "#key=intk_")
    parts = urlsplit(link["url"])
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == ("https", "localhost", "/api/v1/integration/console", "")
    values = fragment(link["url"])
    assert set(values) == {"key", "expires_at"}
    assert values["key"].startswith(link["api_key"]["prefix"])
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert values["expires_at"] == expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")  # whole seconds, UTC, Z
    assert "%3A" in parts.fragment  # encoded as encodeURIComponent does
    assert expires_at.microsecond == 0
    assert before + timedelta(seconds=3599) <= expires_at <= datetime.now(UTC) + timedelta(seconds=3600)
    assert datetime.fromisoformat(link["api_key"]["expires_at"]) == expires_at
    assert link["api_key"]["name"] == "Portal link"
    assert link["api_key"]["metadata"] == {"portal_link": True}
    assert link["api_key"]["scopes"] == SERVICE_SCOPES
    assert link["api_key"]["status"] == "active"


def test_the_console_url_comes_from_the_host_and_forwarded_proto_headers(api: Api) -> None:
    link = create_link(api, headers={"host": "127.0.0.1:3000", "x-forwarded-proto": "http"})[2]
    assert link["url"].split("#")[0] == "http://127.0.0.1:3000/api/v1/integration/console"

    proxied = create_link(api, headers={"host": "api.example.com", "x-forwarded-proto": "https"})[2]
    assert proxied["url"].split("#")[0] == "https://api.example.com/api/v1/integration/console"

    odd = create_link(api, headers={"host": "evil.example.com/phish?x=", "x-forwarded-proto": "gopher"})[2]
    assert odd["url"].split("#")[0] == CONSOLE  # not a host: requestContext.domainName; not http: https


def test_console_url_when_set_is_where_links_point(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_URL", "https://console.example.com/tenant")
    api.cold_start()

    link = create_link(api, headers={"host": "api.example.com"})[2]

    assert link["url"].startswith("https://console.example.com/tenant#key=intk_")
    assert urlsplit(link["url"]).query == ""


def test_the_template_sets_console_url_from_its_parameter_and_leaves_it_empty_by_default(api: Api, aws: Any) -> None:
    from local_runtime.resources import Stack

    assert aws.function_environment("CreatePortalLinkFunction")["CONSOLE_URL"] == ""
    configured = Stack(aws.template, {"Stage": "test", "ConsoleUrl": "https://console.example.com/"})
    assert configured.function_environment("CreatePortalLinkFunction")["CONSOLE_URL"] == "https://console.example.com/"


# ------------------------------------------------------------------ ttl_seconds


@pytest.mark.parametrize("ttl", [0, 86401, -1])
def test_a_ttl_outside_1_to_86400_is_refused_on_ttl_seconds_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str, ttl: int
) -> None:
    problem = assert_problem(create_link(api, {"ttl_seconds": ttl}), 422)

    assert [error["field"] for error in problem["errors"]] == ["ttl_seconds"]
    assert outbox(dynamodb, table_name, "ApiKeyCreated") == []


@pytest.mark.parametrize("ttl", ["60", 60.0, True])
def test_a_ttl_that_is_not_a_json_integer_is_refused(api: Api, ttl: Any) -> None:
    problem = assert_problem(create_link(api, {"ttl_seconds": ttl}), 422)
    assert problem["errors"][0]["field"] == "ttl_seconds"


@pytest.mark.parametrize("ttl", [1, 86400])
def test_the_ttl_bounds_themselves_are_accepted(api: Api, ttl: int) -> None:
    before = datetime.now(UTC)
    status, _, link = create_link(api, {"ttl_seconds": ttl})

    assert status == 201, link
    expires_at = datetime.fromisoformat(link["expires_at"])
    assert before < expires_at <= datetime.now(UTC) + timedelta(seconds=ttl)


def test_the_link_s_key_works_with_the_authorizer_until_it_expires_and_not_a_moment_after(api: Api) -> None:
    link = create_link(api, {"ttl_seconds": 60, "scopes": ["webhooks:read"]})[2]
    key = fragment(link["url"])["key"]
    expires_at = datetime.fromisoformat(link["expires_at"])

    status, _, listed = api.call("GET", "/webhooks", key=key)
    assert status == 200, listed
    assert api.call("GET", "/api-keys", key=key)[0] == 403  # only the scopes asked for
    assert authenticate(key, expires_at - timedelta(microseconds=1)).credential_id == link["api_key"]["id"]
    with pytest.raises(AuthenticationError, match="expired API key"):
        authenticate(key, expires_at)


def test_a_link_never_outlives_the_key_that_made_it(api: Api) -> None:
    parent_expiry = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    parent = parent_key(SERVICE_SCOPES, parent_expiry)

    status, _, link = create_link(api, {"ttl_seconds": 86400}, key=parent)

    assert status == 201, link
    assert datetime.fromisoformat(link["expires_at"]) == parent_expiry
    assert fragment(link["url"])["expires_at"] == parent_expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
    shorter = create_link(api, {"ttl_seconds": 60}, key=parent)[2]
    assert datetime.fromisoformat(shorter["expires_at"]) < parent_expiry


# ------------------------------------------------------------------ scopes


def test_by_default_a_link_carries_the_service_scopes_the_caller_holds_and_never_platform_scopes(api: Api) -> None:
    narrow = create_link(api, scopes="api-keys:write webhooks:read")[2]
    assert narrow["api_key"]["scopes"] == ["webhooks:read", "api-keys:write"]


def test_platform_scopes_are_left_out_by_default_and_granted_when_asked_for(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_SCOPES", "orders:read=Read orders,orders:write")
    api.cold_start()
    caller = "webhooks:read api-keys:write orders:read"

    default = create_link(api, scopes=caller)[2]
    asked = create_link(api, {"scopes": ["orders:read", "webhooks:read"]}, scopes=caller)[2]
    wider = create_link(api, {"scopes": ["orders:write"]}, scopes=caller)

    assert default["api_key"]["scopes"] == ["webhooks:read", "api-keys:write"]
    assert asked["api_key"]["scopes"] == ["webhooks:read", "orders:read"]
    assert assert_problem(wider, 403)["detail"].endswith("missing: orders:write")


def test_scopes_wider_than_the_caller_s_are_the_403_of_post_api_keys(api: Api, dynamodb: Any, table_name: str) -> None:
    link = create_link(api, {"scopes": ["webhooks:write"]}, scopes="api-keys:write webhooks:read")
    key = api.call("POST", "/api-keys", scopes="api-keys:write webhooks:read", body={"name": "k", "scopes": ["webhooks:write"]})

    problem = assert_problem(link, 403)
    assert (
        problem["detail"]
        == assert_problem(key, 403)["detail"]
        == ("a key can only grant scopes it holds itself; missing: webhooks:write")
    )
    assert outbox(dynamodb, table_name, "ApiKeyCreated") == []


def test_unknown_scopes_and_an_empty_list_are_refused_on_scopes(api: Api) -> None:
    unknown = assert_problem(create_link(api, {"scopes": ["orders:read"]}), 422)
    empty = assert_problem(create_link(api, {"scopes": []}), 422)

    assert [error["field"] for error in unknown["errors"]] == ["scopes"]
    assert [error["field"] for error in empty["errors"]] == ["scopes"]


def test_a_caller_holding_none_of_the_service_scopes_must_name_them(api: Api) -> None:
    platform_only = Principal(tenant_id="tenant-a", credential_id="key_x", scopes=frozenset({"orders:read"}))
    use_case = CreatePortalLinkUseCase(wiring.api_key_repository())

    with pytest.raises(InvalidFieldError) as refused:
        use_case.execute(platform_only, request_console_url=CONSOLE)

    assert refused.value.field == "scopes"


def test_unknown_and_extra_fields_and_a_blank_name_are_refused(api: Api) -> None:
    extra = assert_problem(create_link(api, {"ttl_seconds": 60, "expires_at": "2100-01-01T00:00:00Z"}), 422)
    blank = assert_problem(create_link(api, {"name": "  "}), 422)

    assert [error["field"] for error in extra["errors"]] == ["expires_at"]
    assert [error["field"] for error in blank["errors"]] == ["name"]


def test_a_named_link_and_an_empty_body_work(api: Api) -> None:
    named = create_link(api, {"name": "Support session"})[2]
    bare = api.call("POST", "/portal-links", raw_body="")

    assert named["api_key"]["name"] == "Support session"
    assert bare[0] == 201, bare[2]


def test_the_scope_api_keys_write_is_needed(api: Api) -> None:
    problem = assert_problem(create_link(api, scopes="webhooks:read webhooks:write api-keys:read"), 403)
    assert problem["detail"] == "this operation needs the scope api-keys:write"


# ------------------------------------------------------------------ an ordinary key


def test_the_key_is_recorded_with_api_key_created_listed_and_revocable(api: Api, dynamodb: Any, table_name: str) -> None:
    link = create_link(api)[2]
    key_id = link["api_key"]["id"]
    plaintext = fragment(link["url"])["key"]

    events = outbox(dynamodb, table_name, "ApiKeyCreated")
    assert [event["detail"]["apiKeyId"] for event in events] == [key_id]
    assert events[0]["detail"]["createdBy"] == "key_test"
    assert [item["id"] for item in api.call("GET", "/api-keys")[2]["items"]] == [key_id]
    assert api.call("POST", f"/api-keys/{key_id}/revoke")[0] == 200
    assert api.call("GET", "/webhooks", key=plaintext)[0] == 401


def test_a_link_belongs_to_the_tenant_that_made_it(api: Api) -> None:
    parent = parent_key(SERVICE_SCOPES, tenant="tenant-b")
    link = create_link(api, key=parent)[2]
    plaintext = fragment(link["url"])["key"]

    assert api.call("GET", f"/api-keys/{link['api_key']['id']}", tenant="tenant-a")[0] == 404
    assert api.call("GET", f"/api-keys/{link['api_key']['id']}", tenant="tenant-b")[0] == 200
    assert api.call("GET", "/whoami", key=plaintext)[2]["tenant_id"] == "tenant-b"


def test_a_retried_request_with_its_idempotency_key_answers_the_same_link_and_makes_one_key(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    headers = {"idempotency-key": str(uuid.uuid4())}
    first = create_link(api, {"ttl_seconds": 600}, headers=headers)
    again = create_link(api, {"ttl_seconds": 600}, headers=headers)

    assert first[0] == again[0] == 201
    assert again[2] == first[2]
    assert again[1]["idempotent-replayed"] == "true" and again[1]["cache-control"] == "no-store"
    assert len(outbox(dynamodb, table_name, "ApiKeyCreated")) == 1
    assert fragment(first[2]["url"])["key"] not in json.dumps(items(dynamodb, table_name), default=str)  # sealed


def test_the_link_s_key_never_reaches_the_log(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from integration.observability import logger

    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    link = create_link(api, headers={"idempotency-key": str(uuid.uuid4())})[2]
    create_link(api, headers={"idempotency-key": "not-the-same-key-0001"})

    key = fragment(link["url"])["key"]
    assert key not in stream.getvalue()
    assert key[len(link["api_key"]["prefix"]) :] not in stream.getvalue()
