"""template.yaml is deployable and means what the README says: lint, least privilege, layout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from local_runtime.streams import matches
from local_runtime.template import PROJECT_ROOT, Template
from tests.conftest import load_function

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


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
    assert len({route.function for route in routes}) == len(routes)
    assert template.authorizer_function() == "AuthorizerFunction"
    for resource in template.resources_of_type("AWS::Serverless::Function").values():
        for event in resource["Properties"].get("Events", {}).values():
            assert "Auth" not in event["Properties"], "a route overrides the default authorizer"


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


# What each function may do, and nothing more (least privilege).
EXPECTED_ACTIONS = {
    "AuthorizerFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
    "ListApiKeysFunction": {"dynamodb:Query"},
    "CreateApiKeyFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "GetApiKeyFunction": {"dynamodb:GetItem"},
    "RevokeApiKeyFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "ListWebhooksFunction": {"dynamodb:Query"},
    "CreateWebhookFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "GetWebhookFunction": {"dynamodb:GetItem"},
    "UpdateWebhookFunction": {"dynamodb:GetItem", "dynamodb:PutItem"},
    "DeleteWebhookFunction": {"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "ListEventTypesFunction": set(),
    "OutboxRelayFunction": {"events:PutEvents"},
    "ListWebhookDeliveriesFunction": {"dynamodb:GetItem", "dynamodb:Query"},
    "GetWebhookDeliveryFunction": {"dynamodb:GetItem"},
    "RetryWebhookDeliveryFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"},
    "TestWebhookFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "sqs:SendMessage"},
    "RotateWebhookSecretFunction": {"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
    "WebhookFanOutFunction": {"dynamodb:Query", "sqs:SendMessage"},
    "WebhookDeliveryFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "sqs:ChangeMessageVisibility"},
}
TABLE = {"Fn::GetAtt": ["Table", "Arn"]}
TABLE_INDEX = {"Fn::Sub": "${Table.Arn}/index/GSI1"}
EVENT_BUS = {"Fn::GetAtt": ["EventBus", "Arn"]}
DELIVERY_QUEUE = {"Fn::GetAtt": ["WebhookDeliveryQueue", "Arn"]}


def test_every_function_is_listed_in_the_least_privilege_table(template: Template) -> None:
    assert set(template.functions()) == set(EXPECTED_ACTIONS)


@pytest.mark.parametrize("function", sorted(EXPECTED_ACTIONS))
def test_function_policies_are_least_privilege(template: Template, function: str) -> None:
    actions: set[str] = set()
    for policy in template.resources[function]["Properties"].get("Policies", []):
        assert isinstance(policy, dict) and "Statement" in policy, "managed or SAM policy templates grant too much"
        for statement in policy["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(resource in (TABLE, TABLE_INDEX, EVENT_BUS, DELIVERY_QUEUE) for resource in resources)
            listed = statement["Action"]
            actions |= {listed} if isinstance(listed, str) else set(listed)
    assert actions == EXPECTED_ACTIONS[function]


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
    for route in template.routes():
        event = json.loads((PROJECT_ROOT / "events" / f"{template.functions()[route.function].code_uri.name}.json").read_text())
        assert event["routeKey"] == route.route_key
        assert route.match(event["requestContext"]["http"]["method"], event["rawPath"]) is not None


def test_every_function_module_imports_and_exposes_its_handler(template: Template) -> None:
    for function in template.functions().values():
        module_name, handler = function.handler.split(".")
        assert callable(getattr(load_function(function.code_uri.name), handler))


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
