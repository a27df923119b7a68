"""template.yaml is deployable and means what the README says: lint, least privilege, layout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from integration import wiring
from local_runtime.resources import Stack
from local_runtime.streams import matches
from local_runtime.template import PROJECT_ROOT, Template
from tests.conftest import load_function

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
# Where `make lint-setup` installs checkov (its own virtualenv: its pins clash with .venv's), and
# how `make lint` runs it: CKV_SKIP_PACKAGE_UPDATE_CHECK and --skip-download keep it off the network.
CHECKOV = PROJECT_ROOT / ".venv-lint" / "bin" / "checkov"
CHECKOV_ARGS = ("--file", "template.yaml", "--framework", "cloudformation", "--skip-download", "--compact", "--quiet")
NO_VALUE = {"Ref": "AWS::NoValue"}


def test_cfn_lint_reports_no_errors_or_warnings() -> None:
    done = subprocess.run([str(CFN_LINT), "--format", "parseable", str(PROJECT_ROOT / "template.yaml")], capture_output=True, text=True)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_every_function_runs_python313_on_the_shared_layer(template: Template) -> None:
    globals_ = template.raw["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Layers"] == [{"Ref": "SharedLayer"}]
    layer = template.resources["SharedLayer"]
    assert layer["Properties"]["CompatibleArchitectures"] == globals_["Architectures"]


def test_one_function_per_route_and_every_route_behind_the_authorizer(template: Template) -> None:
    routes = template.routes()
    api_routes = [route for route in routes if route.function != "ConsoleFunction"]
    assert len({route.function for route in api_routes}) == len(api_routes)
    assert template.authorizer_function() == "AuthorizerFunction"
    overrides = []
    for name, resource in template.resources_of_type("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if "Auth" in event["Properties"]:
                overrides.append((name, event["Properties"]["Auth"], event["Properties"]["Path"]))
    # The exceptions: the platform's services verify keys with SigV4, never a tenant's key; and the
    # console's page and files, which hold no data, load before anyone signs in.
    assert overrides == [
        ("VerifyApiKeyFunction", {"Authorizer": "AWS_IAM"}, "/api/v1/integration/api-keys/verify"),
        ("ConsoleFunction", {"Authorizer": "NONE"}, "/api/v1/integration/console"),
        ("ConsoleFunction", {"Authorizer": "NONE"}, "/api/v1/integration/console/{proxy+}"),
    ]
    (api,) = template.resources_of_type("AWS::Serverless::HttpApi").values()
    assert api["Properties"]["Auth"]["EnableIamAuthorizer"] is True


def test_authorizer_result_is_not_cached_so_revocation_is_immediate(template: Template) -> None:
    (api,) = template.resources_of_type("AWS::Serverless::HttpApi").values()
    authorizer = api["Properties"]["Auth"]["Authorizers"]["ApiKeyAuthorizer"]
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert "Identity" not in authorizer  # no identity source: no result cache


def test_table_is_on_demand_with_pitr_ttl_stream_and_encryption(template: Template) -> None:
    table = template.resources["Table"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["SSESpecification"]["SSEEnabled"] is True


# The table's customer managed key (TableKmsKeyArn), granted only when it is set: to read, or to write too.
READ_KEY = {"kms:Decrypt"}
WRITE_KEY = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}

# What each function may do, and nothing more (least privilege).
EXPECTED_ACTIONS = {
    "AuthorizerFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "ListApiKeysFunction": {"dynamodb:Query"} | READ_KEY,
    "CreateApiKeyFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "CreatePortalLinkFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "GetApiKeyFunction": {"dynamodb:GetItem"} | READ_KEY,
    "RevokeApiKeyFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "VerifyApiKeyFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"} | WRITE_KEY,  # the lookup; last_used_at
    "RollApiKeyFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "PatchApiKeyFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "ListWebhooksFunction": {"dynamodb:Query"} | READ_KEY,
    "CreateWebhookFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "GetWebhookFunction": {"dynamodb:GetItem"} | READ_KEY,
    "UpdateWebhookFunction": {"dynamodb:GetItem", "dynamodb:PutItem"} | WRITE_KEY,
    "PatchWebhookFunction": {"dynamodb:GetItem", "dynamodb:PutItem"} | WRITE_KEY,
    "DeleteWebhookFunction": {"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "ListEventTypesFunction": {"ssm:GetParametersByPath"},  # the platform's event schemas
    "ListScopesFunction": set(),
    "WhoAmIFunction": set(),  # answers from the authorizer's context: no AWS call at all
    "ConsoleFunction": set(),  # serves its own files: no AWS call at all
    "OutboxRelayFunction": {"events:PutEvents", "dynamodb:UpdateItem"} | WRITE_KEY,  # reads the stream, marks what it published
    "OutboxSweeperFunction": {"dynamodb:Query", "dynamodb:UpdateItem", "events:PutEvents"} | WRITE_KEY,
    "ListWebhookDeliveriesFunction": {"dynamodb:GetItem", "dynamodb:Query"} | READ_KEY,
    "GetWebhookDeliveryFunction": {"dynamodb:GetItem"} | READ_KEY,
    "RetryWebhookDeliveryFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"} | WRITE_KEY,
    "TestWebhookFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage", "ssm:GetParametersByPath"}
    | WRITE_KEY,
    "RotateWebhookSecretFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} | WRITE_KEY,
    "WebhookFanOutFunction": {"dynamodb:Query", "dynamodb:UpdateItem", "sqs:SendMessage"} | WRITE_KEY,  # UpdateItem: the event log
    "ListEventsFunction": {"dynamodb:Query"} | READ_KEY,
    "GetEventFunction": {"dynamodb:GetItem", "dynamodb:BatchGetItem"} | READ_KEY,
    "WebhookDeliveryFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "sqs:ChangeMessageVisibility"} | WRITE_KEY,
    "RecoverWebhookFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"} | WRITE_KEY,
    "ReplayWebhookFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"} | WRITE_KEY,
    "GetWebhookJobFunction": {"dynamodb:GetItem"} | READ_KEY,
    # jobs and their lock, the delivery log, the event log, the webhook's health; the next step
    "WebhookJobWorkerFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "sqs:SendMessage"}
    | WRITE_KEY,
}
TABLE = {"Fn::GetAtt": ["Table", "Arn"]}
TABLE_INDEX = {"Fn::Sub": "${Table.Arn}/index/GSI1"}
EVENT_BUS = {"Fn::GetAtt": ["EventBus", "Arn"]}
DELIVERY_QUEUE = {"Fn::GetAtt": ["WebhookDeliveryQueue", "Arn"]}
JOB_QUEUE = {"Fn::GetAtt": ["WebhookJobQueue", "Arn"]}
SCHEMAS_PATH = {
    "Fn::If": ["HasPlatformEventSchemasPath", {"Ref": "PlatformEventSchemasPath"}, {"Fn::Sub": "/${ServiceName}/${Stage}/event-schemas/"}]
}
PLATFORM_EVENT_SCHEMAS = {
    "Fn::Sub": ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Path}*", {"Path": SCHEMAS_PATH}]
}
TABLE_KEY = {"Ref": "TableKmsKeyArn"}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy_statements(template: Template, function: str) -> list[tuple[bool, dict]]:
    """(only when TableKmsKeyArn is set, statement) for each statement of the function's policies."""
    statements = []
    for policy in template.resources[function]["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, "managed or SAM policy templates grant too much"
        for statement in policy["Statement"]:
            if "Fn::If" in statement:
                condition, when_set, otherwise = statement["Fn::If"]
                assert condition == "HasTableKmsKey" and otherwise == NO_VALUE, statement
                statements.append((True, when_set))
            else:
                statements.append((False, statement))
    return statements


def listed(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def test_every_function_is_listed_in_the_least_privilege_table(template: Template) -> None:
    assert set(template.functions()) == set(EXPECTED_ACTIONS)


@pytest.mark.parametrize("function", sorted(EXPECTED_ACTIONS))
def test_function_policies_are_least_privilege(template: Template, function: str) -> None:
    actions: set[str] = set()
    for only_with_key, statement in policy_statements(template, function):
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if only_with_key:  # the key, and only while TableKmsKeyArn names one
            assert resources == [TABLE_KEY] and listed(statement["Action"]) <= WRITE_KEY
        else:
            assert all(resource in (TABLE, TABLE_INDEX, EVENT_BUS, DELIVERY_QUEUE, JOB_QUEUE, PLATFORM_EVENT_SCHEMAS) for resource in resources)
            assert resources != [PLATFORM_EVENT_SCHEMAS] or listed(statement["Action"]) == {"ssm:GetParametersByPath"}
        actions |= listed(statement["Action"])
    assert actions == EXPECTED_ACTIONS[function]


@pytest.mark.parametrize("function", sorted(EXPECTED_ACTIONS))
def test_whoever_uses_the_table_may_use_its_kms_key_to_read_or_also_to_write(template: Template, function: str) -> None:
    table_actions = {action for _, statement in policy_statements(template, function) for action in listed(statement["Action"])}
    table_actions = {action for action in table_actions if action.startswith("dynamodb:")}
    reads_stream = any(event["Type"] == "DynamoDB" for event in template.resources[function]["Properties"].get("Events", {}).values())
    key_actions = {action for action in EXPECTED_ACTIONS[function] if action.startswith("kms:")}
    if table_actions & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}:
        assert key_actions == WRITE_KEY
    elif table_actions or reads_stream:
        assert key_actions == READ_KEY
    else:
        assert key_actions == set()
    # With TableKmsKeyArn empty (the default) the statement is left out of the policy altogether.
    resolved = Stack(template).resolve(template.resources[function]["Properties"].get("Policies", []))
    assert not any(action.startswith("kms:") for policy in resolved for s in policy["Statement"] for action in listed(s["Action"]))
    with_key = Stack(template, {"TableKmsKeyArn": KEY_ARN}).resolve(template.resources[function]["Properties"].get("Policies", []))
    granted = {action for policy in with_key for s in policy["Statement"] if s["Resource"] == KEY_ARN for action in listed(s["Action"])}
    assert granted == key_actions


def test_table_kms_key_parameter_takes_a_key_arn_or_nothing(template: Template) -> None:
    parameter = template.raw["Parameters"]["TableKmsKeyArn"]
    assert parameter["Type"] == "String" and parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    for accepted in ("", KEY_ARN, "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"):
        assert pattern.fullmatch(accepted), accepted
    # An alias would encrypt the table but could not be granted in IAM (policies name keys, not aliases).
    for refused in ("alias/aws/dynamodb", "arn:aws:kms:eu-west-1:123456789012:alias/table", "1234abcd-12ab-34cd-56ef-1234567890ab"):
        assert not pattern.fullmatch(refused), refused


def test_table_kms_key_when_set_encrypts_the_table_and_when_empty_the_aws_owned_key_does(template: Template) -> None:
    assert template.raw["Conditions"]["HasTableKmsKey"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "TableKmsKeyArn"}, ""]}]}
    sse = template.resources["Table"]["Properties"]["SSESpecification"]
    assert sse == {
        "SSEEnabled": True,
        "SSEType": {"Fn::If": ["HasTableKmsKey", "KMS", NO_VALUE]},
        "KMSMasterKeyId": {"Fn::If": ["HasTableKmsKey", {"Ref": "TableKmsKeyArn"}, NO_VALUE]},
    }
    assert Stack(template).resolve(sse) == {"SSEEnabled": True}
    assert Stack(template, {"TableKmsKeyArn": KEY_ARN}).resolve(sse) == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY_ARN}


@pytest.mark.parametrize(
    ("function", "event", "parameter"),
    [("WebhookFanOutFunction", "Events", "FanOutMaxConcurrency"), ("WebhookDeliveryFunction", "Deliveries", "DeliveryMaxConcurrency")],
)
def test_queue_consumers_concurrency_is_capped_by_a_parameter(template: Template, function: str, event: str, parameter: str) -> None:
    mapping = template.resources[function]["Properties"]["Events"][event]
    assert mapping["Type"] == "SQS"
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": {"Ref": parameter}}
    spec = template.raw["Parameters"][parameter]
    # AWS takes 2 to 1000.
    assert spec["Type"] == "Number" and spec["MinValue"] == 2 and spec["MaxValue"] == 1000
    assert 2 <= spec["Default"] <= 1000


def test_every_sqs_event_source_has_a_concurrency_cap(template: Template) -> None:
    for name, resource in template.resources_of_type("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                assert "MaximumConcurrency" in event["Properties"].get("ScalingConfig", {}), name


def test_relay_is_fed_only_outbox_inserts_with_partial_failures_and_a_failure_queue(template: Template) -> None:
    (subscription,) = template.stream_subscriptions()
    assert subscription.function == "OutboxRelayFunction" and subscription.table == "Table"
    assert subscription.filter_patterns == ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"entity": {"S": ["OutboxEvent"]}}}},)
    assert 0 < subscription.maximum_retry_attempts <= 20
    assert subscription.on_failure_queue == "OutboxRelayFailureQueue"
    stream = template.resources["OutboxRelayFunction"]["Properties"]["Events"]["Outbox"]["Properties"]
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["ParallelizationFactor"] == 1  # one batch per shard at a time keeps the order


def test_the_relay_retry_budget_is_a_bounded_parameter_the_local_runtime_follows(template: Template) -> None:
    stream = template.resources["OutboxRelayFunction"]["Properties"]["Events"]["Outbox"]["Properties"]
    assert stream["MaximumRetryAttempts"] == {"Ref": "OutboxRelayMaximumRetryAttempts"}
    spec = template.raw["Parameters"]["OutboxRelayMaximumRetryAttempts"]
    assert spec["Type"] == "Number" and spec["Default"] == 10
    assert 1 <= spec["MinValue"] and spec["MaxValue"] <= 20  # every deployable value retries, and gives up
    (subscription,) = template.stream_subscriptions({"OutboxRelayMaximumRetryAttempts": "2"})
    assert subscription.maximum_retry_attempts == 2


def test_every_function_has_a_sample_event_that_it_accepts(template: Template) -> None:
    for name, function in template.functions().items():
        sample = PROJECT_ROOT / "events" / f"{function.code_uri.name}.json"
        assert sample.is_file(), f"{name} has no sample event in events/"
    for subscription in template.stream_subscriptions():
        event = json.loads((PROJECT_ROOT / "events" / f"{template.functions()[subscription.function].code_uri.name}.json").read_text())
        assert event["Records"] and all(record["eventSource"] == "aws:dynamodb" for record in event["Records"])
        assert all(any(matches(pattern, record) for pattern in subscription.filter_patterns) for record in event["Records"])
    for queue_subscription in template.queue_subscriptions():
        event = json.loads((PROJECT_ROOT / "events" / f"{template.functions()[queue_subscription.function].code_uri.name}.json").read_text())
        assert event["Records"] and all(record["eventSource"] == "aws:sqs" for record in event["Records"])
    routes_of: dict[str, list] = {}
    for route in template.routes():
        routes_of.setdefault(route.function, []).append(route)
    for function_name, routes in routes_of.items():  # a function with two routes (the console): one of them
        event = json.loads((PROJECT_ROOT / "events" / f"{template.functions()[function_name].code_uri.name}.json").read_text())
        (route,) = [route for route in routes if route.route_key == event["routeKey"]]
        assert route.match(event["requestContext"]["http"]["method"], event["rawPath"]) is not None


def test_every_function_starts_with_the_environment_the_template_gives_it(
    template: Template, aws: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A function builds its use cases at import (INIT) from its settings: the template must give
    each function every variable those need, or it would fail every cold start."""
    for logical_id, function in template.functions().items():
        with monkeypatch.context() as env:
            for name in ("TABLE_NAME", "EVENT_BUS_NAME", "DELIVERY_QUEUE_URL", "JOB_QUEUE_URL"):
                env.delenv(name, raising=False)
            for name, value in aws.function_environment(logical_id).items():
                env.setenv(name, value)
            wiring.reset()
            module_name, handler = function.handler.split(".")
            assert callable(getattr(load_function(function.code_uri.name), handler)), logical_id


def test_webhook_pipeline_rule_takes_tenant_events_from_this_and_the_platform_sources(template: Template) -> None:
    rule = template.resources["WebhookEventRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"]["detail"] == {"tenantId": [{"exists": True}]}
    assert [target["Arn"] for target in rule["Targets"]] == [{"Fn::GetAtt": ["WebhookEventQueue", "Arn"]}]
    assert rule["Targets"][0]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["WebhookEventDeadLetterQueue", "Arn"]}


def test_webhook_queues_have_dead_letter_queues_and_outlive_the_retry_schedule(template: Template) -> None:
    from integration.domain.retry_schedule import DEFAULT_RETRY_SCHEDULE, MAX_ATTEMPTS, MAX_TOTAL_SECONDS

    assert template.raw["Parameters"]["WebhookRetrySchedule"]["Default"] == DEFAULT_RETRY_SCHEDULE
    functions = template.functions()
    subscriptions = {subscription.function: subscription for subscription in template.queue_subscriptions()}
    for function, queue_name in (("WebhookFanOutFunction", "WebhookEventQueue"), ("WebhookDeliveryFunction", "WebhookDeliveryQueue")):
        subscription = subscriptions[function]
        assert subscription.queue == queue_name and subscription.report_batch_item_failures
        queue = template.resources[queue_name]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * functions[function].timeout  # AWS's advice for Lambda
        assert "deadLetterTargetArn" in queue["RedrivePolicy"]
    delivery = template.resources["WebhookDeliveryQueue"]["Properties"]
    # Every attempt is one receive: only crashes may reach the dead-letter queue.
    assert delivery["RedrivePolicy"]["maxReceiveCount"] > MAX_ATTEMPTS
    # A message outlives the longest schedule allowed, plus its last attempt's visibility timeout.
    assert delivery["MessageRetentionPeriod"] > MAX_TOTAL_SECONDS + delivery["VisibilityTimeout"]


def test_the_job_queue_feeds_one_step_at_a_time_has_a_dead_letter_queue_and_outlives_a_step(template: Template) -> None:
    (subscription,) = [s for s in template.queue_subscriptions() if s.function == "WebhookJobWorkerFunction"]
    assert subscription.queue == "WebhookJobQueue" and subscription.batch_size == 1 and subscription.report_batch_item_failures
    queue = template.resources["WebhookJobQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * template.functions()["WebhookJobWorkerFunction"].timeout  # AWS's advice for Lambda
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookJobDeadLetterQueue", "Arn"]}
    assert queue["SqsManagedSseEnabled"] is True
    assert template.resources["WebhookJobDeadLetterQueue"]["Properties"]["SqsManagedSseEnabled"] is True
    from integration.domain.jobs import JOB_LEASE, STEP_TIME_RESERVE_MS

    # A step ends with time to spare, and a crashed step comes back before its job's lease runs out.
    assert template.functions()["WebhookJobWorkerFunction"].timeout * 1000 > 2 * STEP_TIME_RESERVE_MS
    assert queue["VisibilityTimeout"] < JOB_LEASE.total_seconds()


def test_every_route_is_throttled_and_issuing_credentials_more_strictly(template: Template) -> None:
    (api,) = template.resources_of_type("AWS::Serverless::HttpApi").values()
    properties = api["Properties"]
    assert properties["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }
    route_keys = {route.route_key for route in template.routes()}
    assert set(properties["RouteSettings"]) <= route_keys  # no setting for a route that does not exist
    for route_key in ("POST /api/v1/integration/api-keys", "POST /api/v1/integration/webhooks/{id}/rotate-secret"):
        assert properties["RouteSettings"][route_key]["ThrottlingRateLimit"] == {"Ref": "ApiKeyCreationRateLimit"}


# The checkov checks template.yaml skips, by resource type; each skip says why in the resource's
# Metadata. A new skip is a decision: add it here too.
CHECKOV_SKIPS = {
    "AWS::Serverless::Function": {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"},
    "AWS::SQS::Queue": {"CKV_AWS_27"},
    "AWS::Logs::LogGroup": {"CKV_AWS_158"},
}


def checkov_skips(template: Template) -> dict[str, list[dict]]:
    return {name: resource["Metadata"]["checkov"]["skip"] for name, resource in template.resources.items() if "checkov" in resource.get("Metadata", {})}


def test_every_checkov_skip_is_a_known_check_and_says_why(template: Template) -> None:
    skips = checkov_skips(template)
    assert skips
    for name, entries in skips.items():
        ids = [entry["id"] for entry in entries]
        assert len(ids) == len(set(ids)), name
        assert set(ids) <= CHECKOV_SKIPS.get(template.resources[name]["Type"], set()), name
        for entry in entries:
            assert set(entry) == {"id", "comment"}, (name, entry)
            assert isinstance(entry["comment"], str) and len(entry["comment"].strip()) >= 20, (name, entry)


def test_lint_runs_the_checkov_this_module_runs() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text().replace("\\\n", " ")
    variables = dict(re.findall(r"^([A-Z_]+)\s*:=\s*(.*)$", makefile, re.MULTILINE))
    assert variables["LINT_VENV"] == ".venv-lint" == CHECKOV.parent.parent.name
    assert " ".join(variables["CHECKOV"].split()) == f"CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(LINT_VENV)/bin/checkov {' '.join(CHECKOV_ARGS)}"
    assert re.search(r"^lint: .*lint-setup", makefile, re.MULTILINE) and re.search(r"^test: .*lint-setup", makefile, re.MULTILINE)


@pytest.mark.slow
def test_checkov_finds_nothing_but_the_skips_the_template_explains(template: Template) -> None:
    assert CHECKOV.is_file(), "checkov is missing: `make lint-setup` installs it into .venv-lint"
    done = subprocess.run(  # noqa: S603
        [str(CHECKOV), *CHECKOV_ARGS, "--output", "json"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.strip(), done.stderr[-4000:]
    reports = json.loads(done.stdout)
    (report,) = reports if isinstance(reports, list) else [reports]
    failed = [f"{check['check_id']} {check['resource']}: {check['check_name']}" for check in report["results"]["failed_checks"]]
    assert not failed, "checkov failed:\n" + "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == len(template.resources)
    assert report["summary"]["passed"] > 0
    # Every skip in the template's metadata names a check that applies to its resource.
    assert report["summary"]["skipped"] == sum(len(entries) for entries in checkov_skips(template).values())
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.mark.parametrize("function", ["ListEventTypesFunction", "TestWebhookFunction"])
def test_the_platform_event_schemas_path_is_the_one_the_function_reads_and_is_granted(template: Template, function: str) -> None:
    """PLATFORM_EVENT_SCHEMAS_PATH and the ssm:GetParametersByPath grant name the same path, by
    default /<ServiceName>/<Stage>/event-schemas/, else the PlatformEventSchemasPath parameter."""
    properties = template.resources[function]["Properties"]
    for parameters, path in [
        ({}, "/integration/dev/event-schemas/"),
        ({"Stage": "prod"}, "/integration/prod/event-schemas/"),
        ({"PlatformEventSchemasPath": "/platform/schemas/"}, "/platform/schemas/"),
    ]:
        stack = Stack(template, parameters)
        assert stack.resolve(properties["Environment"]["Variables"]["PLATFORM_EVENT_SCHEMAS_PATH"]) == path
        granted = [
            statement["Resource"]
            for policy in stack.resolve(properties["Policies"])
            for statement in policy["Statement"]
            if statement["Action"] == "ssm:GetParametersByPath"
        ]
        assert granted == [f"arn:aws:ssm:us-east-1:123456789012:parameter{path}*"]
    pattern = re.compile(template.raw["Parameters"]["PlatformEventSchemasPath"]["AllowedPattern"])
    for accepted in ("", "/", "/platform/event-schemas/", "/a.b/c_d-e/"):
        assert pattern.fullmatch(accepted), accepted
    for refused in ("platform/", "/platform", "//", "/a//b/", "/a b/"):
        assert not pattern.fullmatch(refused), refused
