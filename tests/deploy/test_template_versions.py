"""What SAM makes of template.yaml's versions and aliases: the template transformed by the SAM
translator (the one CloudFormation runs), as `sam package` leaves it (code in S3), with IAM's
managed policies from moto.

Why it matters: the routes, the authorizer and the event sources invoke each function's alias
`live`, and SnapStart applies only to the version the alias names. A deploy that publishes no new
version leaves the alias, and so the API, on the old code and configuration.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from local_runtime.template import PROJECT_ROOT, Template

Transformed = dict[str, Any]

# No caller waits on these functions' cold starts: SnapStart stays off (docs/operations.md#snapstart).
ASYNCHRONOUS = {
    "OutboxRelayFunction",
    "OutboxSweeperFunction",
    "WebhookFanOutFunction",
    "WebhookDeliveryFunction",
    "WebhookJobWorkerFunction",
}


@pytest.fixture(scope="module")
def packaged(template: Template) -> dict[str, Any]:
    """The template as `sam package` uploads it: every function's and the layer's code in S3."""
    raw = copy.deepcopy(template.raw)
    for name, resource in raw["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://artifacts/{name}-1"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = f"s3://artifacts/{name}-1"
    return raw


@pytest.fixture(scope="module")
def translate(packaged: dict[str, Any]) -> Callable[..., Transformed]:
    """``translate(parameters, edit)``: the transformed template for these parameter values, after
    ``edit`` (a change to the packaged template, as a deploy would bring)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the translator's session names the region
        loader = ManagedPolicyLoader(boto3.client("iam", region_name="us-east-1"))

        def run(parameters: dict[str, str] | None = None, edit: Callable[[dict[str, Any]], None] | None = None) -> Transformed:
            source = copy.deepcopy(packaged)
            if edit:
                edit(source)
            values = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", **(parameters or {})}
            return transform(source, values, loader)

        yield run


def versions(transformed: Transformed) -> dict[str, str]:
    """Each function's logical id -> its version's logical id (which changes when SAM publishes anew)."""
    found = {}
    for name, resource in transformed["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Version":
            found[resource["Properties"]["FunctionName"]["Ref"]] = name
    return found


def alias_of(transformed: Transformed, function: str) -> str:
    (alias,) = (
        name
        for name, resource in transformed["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Alias" and resource["Properties"]["FunctionName"] == {"Ref": function}
    )
    return alias


def test_snapstart_is_a_parameter_off_by_default_on_for_the_api_functions_and_the_authorizer(
    template: Template, translate: Callable[..., Transformed]
) -> None:
    parameter = template.raw["Parameters"]["SnapStart"]
    assert parameter["Default"] == "None" and parameter["AllowedValues"] == ["None", "PublishedVersions"]
    transformed = translate({"SnapStart": "PublishedVersions"})
    functions = {
        name: resource for name, resource in transformed["Resources"].items() if resource["Type"] == "AWS::Lambda::Function"
    }
    on = {
        name for name, resource in functions.items() if resource["Properties"]["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    }
    off = {name for name, resource in functions.items() if resource["Properties"]["SnapStart"] == {"ApplyOn": "None"}}
    assert off == ASYNCHRONOUS
    assert on == set(functions) - ASYNCHRONOUS
    assert {route.function for route in template.routes()} | {"AuthorizerFunction"} <= on


@pytest.mark.parametrize("snapstart", ["None", "PublishedVersions"])
def test_the_authorizer_routes_and_event_sources_invoke_the_alias_with_snapstart_on_or_off(
    translate: Callable[..., Transformed], template: Template, snapstart: str
) -> None:
    transformed = translate({"SnapStart": snapstart})
    resources = transformed["Resources"]
    authorizer_alias = alias_of(transformed, "AuthorizerFunction")
    assert resources[authorizer_alias]["Properties"]["Name"] == "live"
    assert resources[authorizer_alias]["Properties"]["FunctionVersion"] == {
        "Fn::GetAtt": [versions(transformed)["AuthorizerFunction"], "Version"]
    }
    # API Gateway invokes the ARN the authorizer names, and may: the permission is on that same ARN.
    (api,) = (resource for resource in resources.values() if resource["Type"] == "AWS::ApiGatewayV2::Api")
    scheme = api["Properties"]["Body"]["components"]["securitySchemes"]["ApiKeyAuthorizer"]["x-amazon-apigateway-authorizer"]
    assert scheme["authorizerUri"]["Fn::Sub"][1] == {"__FunctionArn__": {"Ref": authorizer_alias}}
    permissions = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert {"Ref": authorizer_alias} in [permission["FunctionName"] for permission in permissions]
    # Every route's integration, and every event source mapping, names its function's alias.
    integrations = [
        operation["x-amazon-apigateway-integration"]["uri"]
        for operations in api["Properties"]["Body"]["paths"].values()
        for operation in operations.values()
        if "x-amazon-apigateway-integration" in operation
    ]
    assert len(integrations) == len(template.routes())
    assert all("Aliaslive" in str(uri) for uri in integrations), integrations
    mappings = [r["Properties"]["FunctionName"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mappings and all(str(name["Ref"]).endswith("Aliaslive") for name in mappings)


def test_a_replaced_version_is_deleted_not_kept(translate: Callable[..., Transformed]) -> None:
    """Kept versions would pile up: code storage counts toward the account's quota, and with
    SnapStart each kept version's snapshot is charged while it is active."""
    transformed = translate()
    for version in versions(transformed).values():
        assert transformed["Resources"][version]["DeletionPolicy"] == "Delete"


def test_a_code_change_publishes_that_function_and_a_layer_change_publishes_every_function(
    translate: Callable[..., Transformed],
) -> None:
    before = versions(translate())

    def new_code(source: dict[str, Any]) -> None:
        source["Resources"]["GetWebhookFunction"]["Properties"]["CodeUri"] = "s3://artifacts/GetWebhookFunction-2"

    def new_layer(source: dict[str, Any]) -> None:
        source["Resources"]["SharedLayer"]["Properties"]["ContentUri"] = "s3://artifacts/SharedLayer-2"

    after_code = versions(translate(edit=new_code))
    assert {name for name in before if before[name] != after_code[name]} == {"GetWebhookFunction"}
    after_layer = versions(translate(edit=new_layer))
    assert all(before[name] != after_layer[name] for name in before)


def test_a_deploy_that_changes_only_parameters_publishes_nothing_until_the_revision_is_raised(
    template: Template, translate: Callable[..., Transformed]
) -> None:
    """SAM hashes the properties as written, not the parameters' values (aws/serverless-application-model#1640,
    #3820): docs/deploy.md#versions-and-the-alias tells operators to raise CONFIGURATION_REVISION."""
    before = versions(translate({"SnapStart": "None", "LogLevel": "INFO"}))
    assert versions(translate({"SnapStart": "PublishedVersions", "LogLevel": "DEBUG"})) == before
    assert template.raw["Globals"]["Function"]["Environment"]["Variables"]["CONFIGURATION_REVISION"] == "1"

    def raise_revision(source: dict[str, Any]) -> None:
        source["Globals"]["Function"]["Environment"]["Variables"]["CONFIGURATION_REVISION"] = "2"

    raised = versions(translate({"SnapStart": "PublishedVersions", "LogLevel": "DEBUG"}, edit=raise_revision))
    assert all(before[name] != raised[name] for name in before)


def test_sam_validate_with_its_linter_passes_with_snapstart_on(tmp_path: Path) -> None:
    """`sam validate --lint` (SAM's transform, then cfn-lint) on the template with SnapStart's
    default at PublishedVersions, the value both tools then assume (the template as committed,
    with None, is linted by test_template.py)."""
    snapstart = "PublishedVersions"
    source = (PROJECT_ROOT / "template.yaml").read_text()
    default = '  SnapStart:\n    Type: String\n    Default: "None"\n'
    assert default in source
    (tmp_path / "template.yaml").write_text(source.replace(default, default.replace('"None"', f'"{snapstart}"')))
    sam = Path(sys.executable).parent / "sam"
    done = subprocess.run(
        [str(sam), "validate", "--lint", "--template", "template.yaml"],
        cwd=tmp_path, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout + done.stderr
