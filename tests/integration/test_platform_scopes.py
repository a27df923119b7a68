"""Platform scopes (template parameter PlatformScopes, env PLATFORM_SCOPES) and GET /scopes,
through the real handlers on moto: keys may carry the platform's scopes, unknown ones stay a 422,
and the authorizer passes them on."""

from __future__ import annotations

from typing import Any

import pytest

from integration.domain.scopes import ALL_SCOPES, SERVICE_SCOPE_DESCRIPTIONS
from integration.settings import Settings, SettingsError
from local_runtime.resources import Stack
from local_runtime.template import Template
from tests.conftest import ALL, Api
from tests.integration.helpers import assert_problem, create_key

PLATFORM = "orders:read=Read orders,orders:write=Create and change orders,invoices:read"
WITH_PLATFORM = f"{ALL} orders:read orders:write invoices:read"


@pytest.fixture
def platform(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The deployment configured with three platform scopes (every function started again)."""
    monkeypatch.setenv("PLATFORM_SCOPES", PLATFORM)
    api.cold_start()
    return api


def test_the_template_parameter_reaches_every_api_function_and_the_authorizer(template: Template) -> None:
    stack = Stack(template, {"Stage": "test", "PlatformScopes": PLATFORM})

    for function in (
        "AuthorizerFunction",
        "CreateApiKeyFunction",
        "PatchApiKeyFunction",
        "RollApiKeyFunction",
        "ListScopesFunction",
    ):
        assert stack.function_environment(function)["PLATFORM_SCOPES"] == PLATFORM, function
    assert template.raw["Parameters"]["PlatformScopes"]["Default"] == ""


def test_get_scopes_lists_the_service_s_scopes_with_descriptions(api: Api) -> None:
    status, _, body = api.call("GET", "/scopes", scopes="")

    assert status == 200, body
    assert [item["name"] for item in body["items"]] == list(ALL_SCOPES)
    assert all(
        item["origin"] == "service" and item["description"] == SERVICE_SCOPE_DESCRIPTIONS[item["name"]] for item in body["items"]
    )


def test_get_scopes_lists_the_platform_s_after_the_service_s(platform: Api) -> None:
    body = platform.call("GET", "/scopes", scopes="webhooks:read")[2]

    assert [(item["name"], item["origin"]) for item in body["items"]] == [
        *((name, "service") for name in ALL_SCOPES),
        ("orders:read", "platform"),
        ("orders:write", "platform"),
        ("invoices:read", "platform"),
    ]
    described = {item["name"]: item["description"] for item in body["items"]}
    assert described["orders:read"] == "Read orders" and described["orders:write"] == "Create and change orders"
    assert described["invoices:read"]  # a default description


def test_an_unknown_scope_is_a_422_listing_the_known_ones(platform: Api) -> None:
    status, headers, body = platform.call(
        "POST", "/api-keys", scopes=WITH_PLATFORM, body={"name": "n", "scopes": ["orders:read", "orders:delete"]}
    )

    problem = assert_problem((status, headers, body), 422)
    assert [error["field"] for error in problem["errors"]] == ["scopes"]
    assert "orders:delete" in problem["errors"][0]["message"] and "invoices:read" in problem["errors"][0]["message"]


def test_without_the_configuration_a_platform_scope_is_unknown(api: Api) -> None:
    problem = assert_problem(api.call("POST", "/api-keys", body={"name": "n", "scopes": ["orders:read"]}), 422)

    assert [error["field"] for error in problem["errors"]] == ["scopes"]


def test_a_configured_scope_is_accepted_shown_and_passed_on_by_the_authorizer(platform: Api) -> None:
    created = create_key(platform, scopes=("invoices:read", "api-keys:read", "orders:read"), caller_scopes=WITH_PLATFORM)

    assert created["scopes"] == ["api-keys:read", "orders:read", "invoices:read"]  # catalogue order
    assert platform.call("GET", f"/api-keys/{created['id']}")[2]["scopes"] == created["scopes"]
    context = platform.authorize({"authorization": f"Bearer {created['key']}"})["context"]
    assert sorted(context["scopes"].split()) == sorted(created["scopes"])


def test_a_key_grants_at_most_its_creator_s_platform_scopes(platform: Api) -> None:
    assert_problem(platform.call("POST", "/api-keys", scopes=ALL, body={"name": "n", "scopes": ["orders:read"]}), 403)


def test_a_platform_scope_survives_a_roll_and_can_be_narrowed_away(platform: Api) -> None:
    created = create_key(platform, scopes=("api-keys:read", "orders:read"), caller_scopes=WITH_PLATFORM)

    rolled = platform.call("POST", f"/api-keys/{created['id']}/roll", scopes=WITH_PLATFORM)[2]
    narrowed = platform.call("PATCH", f"/api-keys/{rolled['id']}", body={"scopes": ["orders:read"]}, scopes=WITH_PLATFORM)[2]

    assert rolled["scopes"] == ["api-keys:read", "orders:read"]
    assert narrowed["scopes"] == ["orders:read"]


@pytest.mark.parametrize(
    "configured",
    ["Orders:read", "orders", "orders:read,orders:read", "webhooks:read", "orders:read=", "orders read", ":read"],
)
def test_a_bad_platform_scopes_setting_stops_the_cold_start_naming_the_variable(configured: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({"PLATFORM_SCOPES": configured})

    assert refused.value.variable == "PLATFORM_SCOPES"


def test_platform_scopes_are_read_with_their_descriptions() -> None:
    read = Settings.from_environ({"PLATFORM_SCOPES": " orders:read = Read orders , invoices:read-all ,"})

    assert read.platform_scopes == (("orders:read", "Read orders"), ("invoices:read-all", None))


def test_any_authenticated_caller_may_list_scopes_and_it_is_the_same_for_every_tenant(platform: Api) -> None:
    first: Any = platform.call("GET", "/scopes", tenant="tenant-a", scopes="")[2]
    second: Any = platform.call("GET", "/scopes", tenant="tenant-b", scopes="api-keys:read")[2]

    assert first == second
