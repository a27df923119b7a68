"""Every failure is visible: template.yaml's alarms and dashboard cover what the template holds.

Derived from the template itself, so a new function, dead-letter queue or failure destination
without an alarm (or missing from the dashboard) fails here; docs/operations.md is the runbook
each alarm points to.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from local_runtime.resources import Stack, _references
from local_runtime.template import PROJECT_ROOT, Template

NO_VALUE = {"Ref": "AWS::NoValue"}
TOPIC = "arn:aws:sns:eu-west-1:123456789012:integration-alarms"
ALARM_TYPE = "AWS::CloudWatch::Alarm"
RUNBOOK = PROJECT_ROOT / "docs" / "operations.md"
# A metric math alarm may use at most 10 metrics (a hard CloudWatch limit).
MAX_ALARM_METRICS = 10

# What a missing data point means, alarm by alarm: a deliberate choice, explained beside each
# alarm in template.yaml and in docs/operations.md. A new alarm is added here too.
MISSING_DATA = {
    "WebhookEventDeadLetterQueueAlarm": "notBreaching",  # SQS stops reporting idle, empty queues
    "WebhookDeliveryDeadLetterQueueAlarm": "notBreaching",
    "WebhookJobDeadLetterQueueAlarm": "notBreaching",
    "OutboxRelayFailureQueueAlarm": "notBreaching",
    "OutboxRelayIteratorAgeAlarm": "notBreaching",  # reported per invocation: no data, nothing to relay
    "OutboxUnpublishedAgeAlarm": "breaching",  # the sweeper reports every minute: silence is a failure
    "WebhookEventsLostAlarm": "notBreaching",  # EventBridge reports it only when not zero
    "ApiServerErrorsAlarm": "notBreaching",  # no data: no traffic
    "ApiKeyFunctionErrorsAlarm": "notBreaching",  # Lambda reports only functions that ran
    "ApiKeyFunctionThrottlesAlarm": "notBreaching",
    "WebhookFunctionErrorsAlarm": "notBreaching",
    "WebhookFunctionThrottlesAlarm": "notBreaching",
    "EventAndDeliveryFunctionErrorsAlarm": "notBreaching",
    "EventAndDeliveryFunctionThrottlesAlarm": "notBreaching",
    "EventLogAndJobFunctionErrorsAlarm": "notBreaching",
    "EventLogAndJobFunctionThrottlesAlarm": "notBreaching",
    "ConsoleFunctionErrorsAlarm": "notBreaching",
    "ConsoleFunctionThrottlesAlarm": "notBreaching",
    "WebhookMessagesFailedAlarm": "notBreaching",  # written only when it happens
    "WebhooksDisabledAlarm": "notBreaching",
    "WebhookAttemptFailureRateAlarm": "notBreaching",  # no attempts, nothing failed
}

# Functions whose Lambda Errors are not failures, and why; their failures are watched elsewhere.
ERRORS_ARE_NOT_FAILURES = {
    "AuthorizerFunction": "raises Unauthorized for every 401 (API Gateway's contract); its failures are API 5xx",
}

# The AWS metrics the alarms and the dashboard may use, by namespace and the dimensions they take.
AWS_METRICS = {
    "AWS/Lambda": ({"FunctionName"}, {"Errors", "Throttles", "Invocations", "Duration", "IteratorAge", "ConcurrentExecutions"}),
    "AWS/SQS": (
        {"QueueName"},
        {
            "ApproximateNumberOfMessagesVisible",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateAgeOfOldestMessage",
            "NumberOfMessagesSent",
        },
    ),
    "AWS/ApiGateway": ({"ApiId", "Stage"}, {"Count", "4xx", "5xx", "Latency", "IntegrationLatency"}),
    "AWS/Events": (
        {"EventBusName", "RuleName"},
        {
            "Invocations",
            "FailedInvocations",
            "InvocationsSentToDlq",
            "InvocationsFailedToBeSentToDlq",
            "MatchedEvents",
            "TriggeredRules",
        },
    ),
}


# ---------------------------------------------------------------------------------------------- helpers
def alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {name: resource["Properties"] for name, resource in template.resources_of_type(ALARM_TYPE).items()}


def alarm_metrics(properties: dict[str, Any]) -> list[tuple[Any, str, dict[str, Any], str, int]]:
    """(namespace, metric name, dimensions, statistic, period) of every metric an alarm reads."""
    if "Metrics" not in properties:
        dimensions = {d["Name"]: d["Value"] for d in properties.get("Dimensions", [])}
        return [(properties["Namespace"], properties["MetricName"], dimensions, properties["Statistic"], properties["Period"])]
    found = []
    for query in properties["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            metric = stat["Metric"]
            dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((metric["Namespace"], metric["MetricName"], dimensions, stat["Stat"], stat["Period"]))
    return found


def short_name(template: Template, function: str) -> str:
    """The part of the function's name after ``<service>-<stage>-`` (what descriptions and graphs call it)."""
    name = template.resources[function]["Properties"]["FunctionName"]
    assert isinstance(name, dict) and name["Fn::Sub"].startswith("${ServiceName}-${Stage}-"), function
    return name["Fn::Sub"].removeprefix("${ServiceName}-${Stage}-")


def failure_queues(template: Template) -> set[str]:
    """Every queue the template names as a dead-letter queue or a failure destination: SQS redrive
    policies, rule targets' and schedules' DeadLetterConfig, event sources' OnFailure
    destinations, functions' DeadLetterQueue and EventInvokeConfig."""
    queues = set(template.resources_of_type("AWS::SQS::Queue"))
    found: set[str] = set()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("deadLetterTargetArn", "DeadLetterConfig", "OnFailure", "DeadLetterQueue"):
                    named = _references(item) & queues
                    assert named, f"{path}.{key} names no queue of the template (SAM would make one no alarm watches): {item!r}"
                    found.update(named)
                else:
                    walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(template.resources, "Resources")
    return found


def consumed_queues(template: Template) -> set[str]:
    return {subscription.queue for subscription in template.queue_subscriptions()}


@functools.cache
def emitted_metric_names() -> frozenset[str]:
    """The custom metric names the functions' code writes: add_metric(name="...") and the values
    of METRIC_NAMES tables."""
    names: set[str] = set()
    for path in [
        *(PROJECT_ROOT / "functions").rglob("*.py"),
        *(PROJECT_ROOT / "layers" / "shared" / "integration").rglob("*.py"),
    ]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric":
                for keyword in node.keywords:
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        names.add(keyword.value.value)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "METRIC_NAMES" for t in node.targets):
                assert isinstance(node.value, ast.Dict)
                names.update(v.value for v in node.value.values if isinstance(v, ast.Constant))
    return frozenset(names)


def target(template: Template, value: Any, variables: dict[str, Any] | None = None) -> tuple[str, ...]:
    """What a dimension value or namespace points at, from the template's raw form or from the
    dashboard's placeholders (see dashboard()): ("Ref", X), ("GetAtt", X, attribute),
    ("RuleName", rule) or ("Literal", text)."""
    if isinstance(value, str):
        placeholder = re.fullmatch(r"<(Ref|GetAtt|Var):([\w:.]+)>", value)
        if placeholder is None:
            return ("Literal", value)
        kind, name = placeholder.groups()
        if kind == "Ref":
            return ("Ref", name)
        if kind == "GetAtt":
            return ("GetAtt", *name.split(".", 1))
        assert variables is not None and name in variables, value
        return target(template, variables[name])
    if isinstance(value, dict) and "Ref" in value:
        return ("Ref", value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return ("GetAtt", *value["Fn::GetAtt"])
    # A rule's name: the last part of its ARN, .../rule/<bus>/<name>.
    if isinstance(value, dict) and "Fn::Select" in value:
        index, listed = value["Fn::Select"]
        delimiter, text = listed["Fn::Split"]
        assert (index, delimiter) == (2, "/") and text["Fn::GetAtt"][1] == "Arn", value
        return ("RuleName", text["Fn::GetAtt"][0])
    raise AssertionError(f"cannot tell what {value!r} refers to")


def check_metric(
    template: Template, namespace: Any, name: str, dimensions: dict[str, Any], variables: dict[str, Any] | None = None
) -> str:
    """Asserts the metric belongs to a resource of the template (or is a custom metric the code
    writes); returns the logical id (or the custom metric's name) it is about."""
    resources = template.resources
    kind = target(template, namespace, variables)
    if kind == ("Ref", "ServiceName"):  # Powertools Metrics: namespace and `service` dimension
        assert {key: target(template, value, variables) for key, value in dimensions.items()} == {
            "service": ("Ref", "ServiceName")
        }, name
        assert name in emitted_metric_names(), f"no function writes the custom metric {name}"
        return name
    assert kind[0] == "Literal" and kind[1] in AWS_METRICS, f"unexpected namespace {namespace!r}"
    expected_dimensions, known_names = AWS_METRICS[kind[1]]
    assert set(dimensions) == expected_dimensions and name in known_names, (namespace, name, dimensions)
    points = {key: target(template, value, variables) for key, value in dimensions.items()}

    def resource(dimension: str, how: tuple[str, ...], resource_type: str) -> str:
        """The logical id the dimension names, as ``how`` (Ref, GetAtt attribute, RuleName) says."""
        point = points[dimension]
        assert point[0] == how[0] and point[2:] == how[1:] and len(point) == len(how) + 1, f"{dimension}: {point} is not a {how}"
        assert resources.get(point[1], {}).get("Type") == resource_type, f"{dimension}: {point[1]} is not an {resource_type}"
        return point[1]

    if kind[1] == "AWS/Lambda":
        return resource("FunctionName", ("Ref",), "AWS::Serverless::Function")
    if kind[1] == "AWS/SQS":
        return resource("QueueName", ("GetAtt", "QueueName"), "AWS::SQS::Queue")
    if kind[1] == "AWS/ApiGateway":
        api = resource("ApiId", ("Ref",), "AWS::Serverless::HttpApi")
        # SAM's HttpApi without StageName serves the $default stage.
        assert points["Stage"] == ("Literal", "$default") and "StageName" not in resources[api]["Properties"], points
        return api
    bus = resource("EventBusName", ("Ref",), "AWS::Events::EventBus")
    rule = resource("RuleName", ("RuleName",), "AWS::Events::Rule")
    assert resources[rule]["Properties"]["EventBusName"] == {"Ref": bus}, f"{rule} is not on {bus}"
    return rule


def dashboard(template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dashboard body as JSON, its !Sub placeholders replaced: Number parameters by their
    default, anything else by <Ref:X>, <GetAtt:X.attribute> or <Var:name> (a !Sub variable);
    and the !Sub variables."""
    (resource,) = template.resources_of_type("AWS::CloudWatch::Dashboard").values()
    text, variables = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    parameters = template.raw["Parameters"]

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return f"<Var:{name}>"
        if "." in name:
            logical_id = name.split(".", 1)[0]
            assert logical_id in template.resources, f"${{{name}}}: no such resource"
            return f"<GetAtt:{name}>"
        if name in parameters and parameters[name]["Type"] == "Number":
            return str(parameters[name]["Default"])
        assert name in parameters or name in template.resources or name.startswith("AWS::"), (
            f"${{{name}}}: no such parameter or resource"
        )
        return f"<Ref:{name}>"

    return json.loads(re.sub(r"\$\{([\w:.]+)\}", placeholder, text)), variables


def dashboard_metrics(body: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, str], dict[str, Any]]]:
    """(widget title, namespace, metric name, dimensions, options) of every metric of every graph."""
    for widget in body["widgets"]:
        for entry in widget["properties"].get("metrics", []) if widget["type"] == "metric" else []:
            options = entry[-1] if isinstance(entry[-1], dict) else {}
            fields = entry[:-1] if options else entry
            if not fields:
                assert "expression" in options, entry
                continue
            assert all(field not in (".", "...") for field in fields), f"spell every metric out: {entry}"
            namespace, name, *pairs = fields
            assert len(pairs) % 2 == 0, entry
            yield widget["properties"]["title"], namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), options


def runbook_anchors() -> set[str]:
    """GitHub's anchors of the headings of docs/operations.md."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), re.MULTILINE):
        anchors.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return anchors


# ---------------------------------------------------------------------------------------------- alarms
def test_every_alarm_chooses_what_missing_data_means(template: Template) -> None:
    assert {name: properties.get("TreatMissingData") for name, properties in alarms(template).items()} == MISSING_DATA


def test_every_alarm_is_named_for_its_stage_and_says_what_it_means_and_where_its_runbook_is(template: Template) -> None:
    anchors = runbook_anchors()
    names = []
    for name, properties in alarms(template).items():
        alarm_name = properties["AlarmName"]["Fn::Sub"]
        assert re.fullmatch(r"\$\{ServiceName\}-\$\{Stage\}-[a-z0-9-]+", alarm_name), name
        names.append(alarm_name)
        description = properties["AlarmDescription"]
        assert 100 <= len(description) <= 1024, name  # CloudWatch takes up to 1024 characters
        (anchor,) = re.findall(r"docs/operations\.md#([a-z0-9-]+)", description)
        assert anchor in anchors, f"{name}: docs/operations.md has no heading for #{anchor}"
    assert len(names) == len(set(names))


def test_every_alarm_notifies_the_alarm_topic_when_one_is_set_and_no_one_otherwise(template: Template) -> None:
    assert template.raw["Conditions"]["HasAlarmTopic"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    routed = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], NO_VALUE]}
    without, with_topic = Stack(template), Stack(template, {"AlarmTopicArn": TOPIC})
    assert alarms(template)
    for name, properties in alarms(template).items():
        assert properties["AlarmActions"] == routed and properties["OKActions"] == routed, name
        assert "InsufficientDataActions" not in properties, name
        resolved = without.resolve(properties)
        assert not {"AlarmActions", "OKActions"} & set(resolved), name
        resolved = with_topic.resolve(properties)
        assert resolved["AlarmActions"] == [TOPIC] and resolved["OKActions"] == [TOPIC], name


def test_alarm_topic_parameter_takes_a_standard_topic_arn_or_nothing(template: Template) -> None:
    parameter = template.raw["Parameters"]["AlarmTopicArn"]
    assert parameter["Type"] == "String" and parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    for accepted in ("", TOPIC, "arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_alerts-1"):
        assert pattern.fullmatch(accepted), accepted
    # CloudWatch alarms cannot notify FIFO topics; anything else is not a topic.
    for refused in ("arn:aws:sns:eu-west-1:123456789012:alerts.fifo", "arn:aws:sqs:eu-west-1:123456789012:alerts", "alerts", " "):
        assert not pattern.fullmatch(refused), refused


def test_every_alarm_reads_metrics_of_resources_of_the_template(template: Template) -> None:
    for name, properties in alarms(template).items():
        metrics = alarm_metrics(properties)
        assert metrics, name
        for namespace, metric, dimensions, _, _ in metrics:
            check_metric(template, namespace, metric, dimensions)


def test_metric_math_alarms_stay_within_cloudwatchs_limits(template: Template) -> None:
    for name, properties in alarms(template).items():
        if "Metrics" not in properties:
            continue
        queries = properties["Metrics"]
        ids = [query["Id"] for query in queries]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z][A-Za-z0-9_]*", i) for i in ids), name
        assert sum("MetricStat" in query for query in queries) <= MAX_ALARM_METRICS, (
            f"{name}: CloudWatch takes at most 10 metrics"
        )
        assert [query["Id"] for query in queries if query["ReturnData"]] == [next(q["Id"] for q in queries if q["ReturnData"])], (
            name
        )
        assert all("Expression" in query for query in queries if query["ReturnData"]), name
        assert len({stat["MetricStat"]["Period"] for stat in queries if "MetricStat" in stat}) == 1, f"{name}: one period for all"


def test_every_dead_letter_and_failure_queue_has_a_depth_alarm(template: Template) -> None:
    queues = failure_queues(template)
    known = {"WebhookEventDeadLetterQueue", "WebhookDeliveryDeadLetterQueue", "OutboxRelayFailureQueue"}
    assert known <= queues, f"no longer failure destinations: {sorted(known - queues)}"
    # A queue that no function reads is a place where failures wait: it is one of them.
    unread = set(template.resources_of_type("AWS::SQS::Queue")) - consumed_queues(template)
    assert unread == queues, (
        f"queues no function reads that are no failure destination, or the reverse: {sorted(unread ^ queues)}"
    )
    watched = {}
    for name, properties in alarms(template).items():
        for namespace, metric, dimensions, statistic, _ in alarm_metrics(properties):
            if namespace == "AWS/SQS" and metric == "ApproximateNumberOfMessagesVisible":
                watched[check_metric(template, namespace, metric, dimensions)] = (name, statistic, properties)
    assert queues <= set(watched), f"no depth alarm for {sorted(queues - set(watched))}"
    for queue in queues:
        name, statistic, properties = watched[queue]
        assert statistic == "Maximum" and properties["ComparisonOperator"] == "GreaterThanThreshold", name
        assert properties["Threshold"] == 0 and properties["EvaluationPeriods"] == 1, name  # one message is enough


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_is_covered_by_an_errors_and_a_throttles_alarm(template: Template, metric: str) -> None:
    covered: dict[str, str] = {}
    for name, properties in alarms(template).items():
        for namespace, metric_name, dimensions, statistic, _ in alarm_metrics(properties):
            if namespace != "AWS/Lambda" or metric_name != metric:
                continue
            function = check_metric(template, namespace, metric_name, dimensions)
            assert function not in covered, f"{function}'s {metric} are counted by {covered[function]} and {name}"
            covered[function] = name
            assert statistic == "Sum", name
            # One failure is enough: the sum of the group above 0.
            assert properties["Threshold"] == 0 and properties["ComparisonOperator"] == "GreaterThanThreshold", name
            assert [q["Expression"] for q in properties["Metrics"] if q["ReturnData"]] == ["SUM(FILL(METRICS(), 0))"], name
            # The description names every function it sums, so the alarm says where to look.
            assert short_name(template, function) in " ".join(properties["AlarmDescription"].split()), (name, function)
    expected = set(template.functions()) - (set(ERRORS_ARE_NOT_FAILURES) if metric == "Errors" else set())
    assert set(covered) == expected, (
        f"{metric} of {sorted(expected - set(covered))} are watched by no alarm (template.yaml, alarms)"
    )


def test_functions_left_out_of_the_errors_alarms_still_exist_and_fail_visibly_elsewhere(template: Template) -> None:
    assert set(ERRORS_ARE_NOT_FAILURES) <= set(template.functions())
    # The authorizer's failures reach callers as 500s: the API 5xx alarm sees them.
    assert template.authorizer_function() in ERRORS_ARE_NOT_FAILURES
    assert "ApiServerErrorsAlarm" in alarms(template)


def test_the_relay_has_an_iterator_age_alarm_on_a_threshold_parameter(template: Template) -> None:
    (subscription,) = template.stream_subscriptions()
    properties = alarms(template)["OutboxRelayIteratorAgeAlarm"]
    ((namespace, metric, dimensions, statistic, period),) = alarm_metrics(properties)
    assert (namespace, metric, statistic, period) == ("AWS/Lambda", "IteratorAge", "Maximum", 60)
    assert check_metric(template, namespace, metric, dimensions) == subscription.function
    # IteratorAge is in milliseconds; the alarm compares seconds with the parameter.
    assert [q["Expression"] for q in properties["Metrics"] if q["ReturnData"]] == ["age / 1000"]
    assert properties["Threshold"] == {"Ref": "OutboxRelayIteratorAgeAlarmSeconds"}
    assert template.raw["Parameters"]["OutboxRelayIteratorAgeAlarmSeconds"]["Type"] == "Number"


def test_the_api_has_a_5xx_alarm(template: Template) -> None:
    (api,) = template.resources_of_type("AWS::Serverless::HttpApi")
    properties = alarms(template)["ApiServerErrorsAlarm"]
    ((namespace, metric, dimensions, statistic, _),) = alarm_metrics(properties)
    assert (namespace, metric, statistic) == ("AWS/ApiGateway", "5xx", "Sum")
    assert check_metric(template, namespace, metric, dimensions) == api
    assert properties["Threshold"] == {"Ref": "ApiServerErrorsAlarmThreshold"}
    assert template.raw["Parameters"]["ApiServerErrorsAlarmThreshold"]["Default"] == 0  # any 5xx


def test_unpublished_outbox_age_alarm_also_fires_when_the_sweeper_falls_silent(template: Template) -> None:
    properties = alarms(template)["OutboxUnpublishedAgeAlarm"]
    ((namespace, metric, dimensions, statistic, period),) = alarm_metrics(properties)
    assert (metric, statistic) == ("OutboxOldestUnpublishedAgeSeconds", "Maximum")
    check_metric(template, namespace, metric, dimensions)
    assert properties["Threshold"] == {"Ref": "OutboxUnpublishedAgeAlarmSeconds"}
    assert template.raw["Parameters"]["OutboxUnpublishedAgeAlarmSeconds"]["Default"] == 600
    assert properties["EvaluationPeriods"] == properties["DatapointsToAlarm"] == 1
    # Missing data breaches, so the function writing the metric must run more often than the
    # alarm's period: find it by its code, and its schedule.
    writers = [
        name
        for name, function in template.functions().items()
        if any(f'"{metric}"' in path.read_text() for path in function.code_uri.glob("*.py"))
    ]
    (writer,) = writers
    (schedule,) = [
        event["Properties"]["ScheduleExpression"]
        for event in template.resources[writer]["Properties"]["Events"].values()
        if event["Type"] in ("Schedule", "ScheduleV2")
    ]
    rate = re.fullmatch(r"rate\((\d+) (second|minute|hour)s?\)", Stack(template).resolve(schedule))
    assert rate, schedule
    every = int(rate.group(1)) * {"second": 1, "minute": 60, "hour": 3600}[rate.group(2)]
    assert every < period, f"{writer} runs every {every} s: a {period} s period would see no data and breach"


def test_delivery_failures_have_alarms_on_the_delivery_functions_metrics(template: Template) -> None:
    custom = {
        metric: name
        for name, properties in alarms(template).items()
        for namespace, metric, _, _, _ in alarm_metrics(properties)
        if namespace == {"Ref": "ServiceName"}
    }
    delivery_code = (PROJECT_ROOT / "functions" / "webhook_delivery" / "app.py").read_text()
    for metric in ("WebhookMessagesFailed", "WebhooksDisabled", "WebhookAttemptsFailed", "WebhookAttemptsSucceeded"):
        assert metric in custom and f'"{metric}"' in delivery_code, metric
    rate = alarms(template)["WebhookAttemptFailureRateAlarm"]
    assert rate["Threshold"] == {"Ref": "WebhookAttemptFailureAlarmPercent"}


def test_lost_webhook_events_have_an_alarm_on_the_webhook_event_rule(template: Template) -> None:
    properties = alarms(template)["WebhookEventsLostAlarm"]
    ((namespace, metric, dimensions, statistic, _),) = alarm_metrics(properties)
    assert (metric, statistic) == ("InvocationsFailedToBeSentToDlq", "Sum")
    assert check_metric(template, namespace, metric, dimensions) == "WebhookEventRule"
    # The rule's name as the metric names it: the ARN's last part (here: the logical id, locally).
    assert Stack(template).resolve(dimensions["RuleName"]) == Stack(template).physical["WebhookEventRule"]


# ---------------------------------------------------------------------------------------------- dashboard
def test_dashboard_body_is_json_once_its_placeholders_are_substituted(template: Template) -> None:
    body, variables = dashboard(template)
    assert body["widgets"]
    for widget in body["widgets"]:
        assert widget["type"] in ("text", "alarm", "metric")
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24, widget  # the grid is 24 wide
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "<Ref:AWS::Region>" and widget["properties"]["title"]
    for name, value in variables.items():
        assert target(template, value)[1] in template.resources, name


def test_dashboard_shows_only_metrics_of_resources_of_the_template(template: Template) -> None:
    body, variables = dashboard(template)
    for title, namespace, metric, dimensions, _ in dashboard_metrics(body):
        try:
            check_metric(template, namespace, metric, dimensions, variables)
        except AssertionError as error:
            raise AssertionError(f"graph {title!r}: {namespace} {metric} {dimensions}: {error}") from error


def test_dashboard_shows_the_pipeline_end_to_end(template: Template) -> None:
    body, variables = dashboard(template)
    shown = {
        (namespace if not namespace.startswith("<") else "custom", metric)
        for _, namespace, metric, _, _ in dashboard_metrics(body)
    }
    wanted = {
        ("AWS/ApiGateway", "Count"), ("AWS/ApiGateway", "4xx"), ("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Latency"),
        ("AWS/Lambda", "IteratorAge"), ("custom", "EventsPublished"), ("custom", "OutboxOldestUnpublishedAgeSeconds"),
        ("AWS/Events", "Invocations"), ("AWS/Events", "FailedInvocations"), ("custom", "WebhookMessagesQueued"),
        ("custom", "WebhookAttemptsSucceeded"), ("custom", "WebhookAttemptsFailed"), ("custom", "WebhookMessagesFailed"),
        ("custom", "WebhooksDisabled"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    }  # fmt: skip
    assert wanted <= shown, sorted(wanted - shown)
    graphs: dict[tuple[str, str], set[str]] = {}
    for _, namespace, metric, dimensions, _ in dashboard_metrics(body):
        about = check_metric(template, namespace, metric, dimensions, variables)
        graphs.setdefault((namespace, metric), set()).add(about)
    # Per function, so an Errors or Throttles alarm's function is one look away.
    for metric in ("Errors", "Throttles"):
        missing = set(template.functions()) - graphs[("AWS/Lambda", metric)]
        assert not missing, f"the dashboard's graph {metric} per function lacks {sorted(missing)}"
    assert template.authorizer_function() in graphs[("AWS/Lambda", "Duration")]
    assert failure_queues(template) <= graphs[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]


def test_dashboard_shows_the_state_of_every_alarm(template: Template) -> None:
    body, _ = dashboard(template)
    (widget,) = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    ids = _alarm_ids(widget)
    assert len(ids) == len(set(ids)) and set(ids) == set(alarms(template))


def _alarm_ids(widget: dict[str, Any]) -> list[str]:
    ids = []
    for arn in widget["properties"]["alarms"]:
        found = re.fullmatch(r"<GetAtt:(\w+)\.Arn>", arn)
        assert found, arn
        ids.append(found.group(1))
    return ids


def test_the_dashboard_is_an_output(template: Template) -> None:
    assert template.raw["Outputs"]["DashboardName"]["Value"] == {"Ref": "Dashboard"}


def test_the_local_runtime_leaves_alarms_and_the_dashboard_to_cloudwatch(template: Template) -> None:
    from local_runtime.resources import CREATED_TYPES

    assert ALARM_TYPE not in CREATED_TYPES and "AWS::CloudWatch::Dashboard" not in CREATED_TYPES
