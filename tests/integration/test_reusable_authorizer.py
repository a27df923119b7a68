"""The authorizer in front of the platform's other APIs: a REST API's REQUEST authorizer (payload
1.0, an IAM policy answer), and a second HTTP API of another stack (tests/fixtures/platform_api)
that imports the exported authorizer and checks a platform scope, served by the local runtime's
gateway in process."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from integration.domain.key_format import generate_key
from local_runtime.gateway import Gateway, LoadedFunction
from local_runtime.template import IMPORTED_AUTHORIZER, PROJECT_ROOT, Template
from tests.conftest import ALL, Api, lambda_context
from tests.integration.helpers import FUTURE, create_key

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "platform_api"
PLATFORM_SCOPES = "orders:read=Read orders,orders:write=Create and cancel orders"
# What the creating caller holds here (a key grants at most its own scopes).
PLATFORM_CALLER = f"{ALL} orders:read orders:write"
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/GET/orders/ord_42/lines"


def rest_api_event(headers: dict[str, str], multi: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A REST API's REQUEST authorizer event (payload 1.0), as API Gateway sends it."""
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "resource": "/orders/{id}/lines",
        "path": "/orders/ord_42/lines",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": multi if multi is not None else {name: [value] for name, value in headers.items()},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "pathParameters": {"id": "ord_42"},
        "stageVariables": {},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "stage": "prod",
            "requestId": "req-1",
            "httpMethod": "GET",
        },
    }


def rest_authorize(api: Api, event: dict[str, Any]) -> dict[str, Any]:
    return api.handler("AuthorizerFunction")(event, lambda_context())


@pytest.fixture
def platform(api: Api, monkeypatch: pytest.MonkeyPatch) -> Api:
    """This deployment with platform scopes: keys may carry orders:read and orders:write."""
    monkeypatch.setenv("PLATFORM_SCOPES", PLATFORM_SCOPES)
    api.cold_start()
    return api


# ------------------------------------------------------------------ REST API (payload 1.0)


def test_a_rest_api_request_gets_an_iam_policy_for_the_whole_stage_with_the_context(api: Api) -> None:
    created = create_key(api, tenant="tenant-r", scopes=("webhooks:read", "api-keys:read"), expires_at=FUTURE)

    answer = rest_authorize(api, rest_api_event({"Authorization": f"Bearer {created['key']}"}))

    assert answer == {
        "principalId": created["id"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    # Every method and path of the stage: a cached policy must not refuse the API's other routes.
                    "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*/*",
                }
            ],
        },
        "context": {
            "tenantId": "tenant-r",
            "keyId": created["id"],
            "credentialId": created["id"],
            "scopes": "api-keys:read webhooks:read",
            "expiresAt": "2100-01-01T00:00:00+00:00",
        },
    }
    # A REST API refuses a context holding objects or lists: flat values only.
    assert all(isinstance(value, str | int | float | bool) for value in answer["context"].values())


def test_a_rest_api_request_with_the_key_in_x_api_key_in_any_case_is_allowed(api: Api) -> None:
    created = create_key(api)

    answer = rest_authorize(api, rest_api_event({"X-API-Key": created["key"]}))

    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert answer["context"]["keyId"] == created["id"]


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(lambda key: rest_api_event({}), id="no-credential"),
        pytest.param(lambda key: rest_api_event({"Authorization": "Bearer not-a-key"}), id="malformed"),
        pytest.param(lambda key: rest_api_event({"Authorization": f"Bearer {generate_key()}"}), id="unknown"),
        pytest.param(lambda key: rest_api_event({"Authorization": f"Bearer {key[:-1]}x"}), id="wrong-checksum"),
        pytest.param(
            lambda key: rest_api_event({"X-Api-Key": key}, {"X-Api-Key": [generate_key(), key]}),
            id="repeated-header",  # a REST API passes the last value in headers: refused, as an HTTP API's "k1,k2" is
        ),
    ],
)
def test_a_bad_key_is_unauthorized_in_the_rest_api_format(api: Api, event: Any) -> None:
    created = create_key(api)

    with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway's contract is a bare Exception
        rest_authorize(api, event(created["key"]))

    assert type(raised.value) is Exception and str(raised.value) == "Unauthorized"


def test_a_revoked_key_is_unauthorized_in_both_formats(api: Api) -> None:
    created = create_key(api)
    api.call("POST", f"/api-keys/{created['id']}/revoke")

    for attempt in (
        lambda: rest_authorize(api, rest_api_event({"Authorization": f"Bearer {created['key']}"})),
        lambda: api.authorize({"authorization": f"Bearer {created['key']}"}),
    ):
        with pytest.raises(Exception, match="^Unauthorized$"):
            attempt()


def test_the_http_api_format_still_gets_a_simple_response(api: Api) -> None:
    created = create_key(api)

    answer = api.authorize({"x-api-key": created["key"]})

    assert answer["isAuthorized"] is True and "policyDocument" not in answer
    assert answer["context"]["keyId"] == created["id"]


# ------------------------------------------------------------------ another stack's HTTP API


@pytest.fixture
def orders_gateway(platform: Api, template: Template) -> Gateway:
    """tests/fixtures/platform_api served as the local runtime serves template.yaml: its routes,
    its imported authorizer mapped to this service's authorizer function."""
    orders = Template.load(FIXTURE / "template.yaml")
    assert orders.authorizer_function() == IMPORTED_AUTHORIZER
    functions = {
        IMPORTED_AUTHORIZER: LoadedFunction(template.functions()["AuthorizerFunction"]),
        **{
            # SAM reads CodeUri beside the template; the runtime's Template from the project root.
            name: LoadedFunction(dataclasses.replace(function, code_uri=FIXTURE / Path(function.code_uri).name))
            for name, function in orders.functions().items()
        },
    }
    return Gateway(orders, functions)


def get_orders(gateway: Gateway, key: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"authorization": f"Bearer {key}"} if key is not None else {}
    response = gateway.handle("GET", "/orders", "", headers, b"")
    return response.status, json.loads(response.body)


def test_another_http_api_lets_a_key_with_its_platform_scope_in_and_learns_tenant_and_key(
    platform: Api, orders_gateway: Gateway
) -> None:
    created = create_key(platform, tenant="tenant-o", scopes=("orders:read",), caller_scopes=PLATFORM_CALLER)

    assert get_orders(orders_gateway, created["key"]) == (200, {"tenant_id": "tenant-o", "key_id": created["id"], "orders": []})


def test_another_http_api_refuses_a_key_without_its_platform_scope_403(platform: Api, orders_gateway: Gateway) -> None:
    created = create_key(platform, scopes=("orders:write", "webhooks:read"), caller_scopes=PLATFORM_CALLER)

    assert get_orders(orders_gateway, created["key"]) == (403, {"message": "this operation needs the scope orders:read"})


def test_another_http_api_answers_401_for_no_unknown_or_revoked_keys(platform: Api, orders_gateway: Gateway) -> None:
    created = create_key(platform, scopes=("orders:read",), caller_scopes=PLATFORM_CALLER)
    assert get_orders(orders_gateway, created["key"])[0] == 200
    platform.call("POST", f"/api-keys/{created['id']}/revoke")

    for key in (None, generate_key(), created["key"]):
        assert get_orders(orders_gateway, key) == (401, {"message": "Unauthorized"})


def test_behind_a_rest_api_the_downstream_function_reads_the_same_context(platform: Api) -> None:
    created = create_key(platform, tenant="tenant-o", scopes=("orders:read",), caller_scopes=PLATFORM_CALLER)
    answer = rest_authorize(platform, rest_api_event({"Authorization": f"Bearer {created['key']}"}))
    orders = _load_orders_function()

    # A REST API (Lambda proxy) passes the context flat, beside the principalId.
    event = {"requestContext": {"authorizer": {"principalId": answer["principalId"], **answer["context"]}}}
    response = orders.lambda_handler(event, lambda_context())

    assert (response["statusCode"], json.loads(response["body"])) == (
        200,
        {"tenant_id": "tenant-o", "key_id": created["id"], "orders": []},
    )


def _load_orders_function() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("fixture_orders_app", FIXTURE / "orders" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fixture_template_and_the_export_pass_cfn_lint() -> None:
    for path in (FIXTURE / "template.yaml",):
        done = subprocess.run(  # noqa: S603 - our own tool on our own file
            [str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_main_template_exports_the_authorizer_arn(template: Template) -> None:
    output = template.raw["Outputs"]["AuthorizerFunctionArn"]
    assert output["Value"] == {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-AuthorizerFunctionArn"}
    orders = Template.load(FIXTURE / "template.yaml")
    imported = orders.resources["OrdersApi"]["Properties"]["Auth"]["Authorizers"]["PlatformApiKeys"]["FunctionArn"]
    assert imported == {"Fn::ImportValue": {"Fn::Sub": "${IntegrationStackName}-AuthorizerFunctionArn"}}
