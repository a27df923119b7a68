"""Creates what template.yaml declares (tables, buses, archives, queues, rules) in an AWS emulator, and
resolves the intrinsic functions the template uses (Ref, Fn::Sub, Fn::GetAtt, Fn::If with the
template's Conditions, Fn::Join, Fn::Split, Fn::Select)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from local_runtime.template import Template

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "integration-local"

PSEUDO_PARAMETERS: dict[str, str] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK_NAME,
}

# What create_resources makes, in this order unless a resource refers to a later one.
CREATED_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::Events::EventBus",
    "AWS::Events::Archive",  # moto keeps the events it archives (and replays them); see _create_archive
    "AWS::SQS::Queue",
    "AWS::Events::Rule",
)

# A schedule expression the local runtime runs although AWS's shortest rate is 1 minute.
LOCAL_SECONDS_RATE = re.compile(r"rate\(\s*[1-9][0-9]*\s+seconds?\s*\)")

# AWS::SQS::Queue properties that are queue attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)
# Keys of an AWS::Events::Rule target that PutTargets takes as they are.
_TARGET_KEYS = (
    "Id",
    "Arn",
    "RoleArn",
    "Input",
    "InputPath",
    "InputTransformer",
    "DeadLetterConfig",
    "RetryPolicy",
    "SqsParameters",
)


class _NoValue:
    """``!Ref AWS::NoValue``: the property (or list item) is left out."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class Stack:
    """Physical names and ARNs of the template's resources for one stage, in the emulator."""

    def __init__(self, template: Template, parameters: dict[str, Any] | None = None) -> None:
        self.template = template
        self.parameters = {**template.parameter_defaults(), **(parameters or {})}
        self.physical: dict[str, str] = {}
        for name, resource in template.resources.items():
            props = resource.get("Properties", {})
            for name_property in ("TableName", "Name", "QueueName", "ArchiveName"):
                if name_property in props:
                    self.physical[name] = str(self.resolve(props[name_property]))
            if resource["Type"] in ("AWS::Events::Rule", "AWS::Events::Archive") and name not in self.physical:
                self.physical[name] = name  # CloudFormation would generate one; the logical id is unique here

    # ------------------------------------------------------------------ intrinsic functions
    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((kind, argument),) = value.items()
            if kind == "Ref":
                return self._ref(argument)
            if kind == "Fn::Sub":
                return self._sub(argument)
            if kind == "Fn::GetAtt":
                return self._attribute(*(argument.split(".", 1) if isinstance(argument, str) else argument))
            if kind == "Fn::If":
                condition, if_true, if_false = argument
                return self.resolve(if_true if self.condition(condition) else if_false)
            if kind == "Fn::Join":
                delimiter, items = argument
                return str(delimiter).join(_text(item) for item in self._resolved_list(items))
            if kind == "Fn::Split":
                delimiter, text = argument
                return _text(self.resolve(text)).split(delimiter)
            if kind == "Fn::Select":
                index, items = argument
                return self._resolved_list(items)[int(self.resolve(index))]
        if isinstance(value, dict):
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        return value

    def _resolved_list(self, items: Any) -> list[Any]:
        resolved = self.resolve(items)
        if not isinstance(resolved, list):
            raise TypeError(f"expected a list, got {resolved!r}")
        return resolved

    def _ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        resource = self.template.resources.get(name)
        if resource is not None and resource["Type"] == "AWS::SQS::Queue":
            return self.queue_url(name)
        return self.physical.get(name, name)

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument
            variables = {key: self.resolve(item) for key, item in variables.items()}
        else:
            text, variables = argument, {}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            return _text(variables[name]) if name in variables else _text(self._sub_value(name))

        return re.sub(r"\$\{([\w:.]+)\}", value, text)

    def _sub_value(self, name: str) -> Any:
        if "." in name and name not in PSEUDO_PARAMETERS:
            return self._attribute(*name.split(".", 1))
        return self._ref(name)

    def _attribute(self, logical_id: str, attribute: str) -> str:
        resource_type = self.template.resources[logical_id]["Type"]
        name = self.physical.get(logical_id, logical_id)
        if resource_type == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        if resource_type == "AWS::Events::EventBus" and attribute in ("Arn", "Name"):
            return name if attribute == "Name" else f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"
        if resource_type == "AWS::Events::Rule" and attribute == "Arn":
            bus = self.resolve(self.template.resources[logical_id].get("Properties", {}).get("EventBusName", "default"))
            return (
                f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{name}"
                if bus == "default"
                else f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{bus}/{name}"
            )
        if resource_type == "AWS::Events::Archive" and attribute == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:archive/{name}"
        if resource_type == "AWS::SQS::Queue":
            if attribute == "Arn":
                return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
            if attribute == "QueueUrl":
                return self.queue_url(logical_id)
            if attribute == "QueueName":
                return name
        return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{logical_id}/{attribute}"

    def queue_url(self, logical_id: str) -> str:
        """What ``!Ref`` of the queue gives, as in AWS. moto accepts this form both in process
        (``mock_aws``) and as a server behind ``AWS_ENDPOINT_URL``: it reads the account and
        the queue name from the URL and ignores its host."""
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{self.physical.get(logical_id, logical_id)}"

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name`` (its ``Conditions`` section)."""
        conditions = self.template.raw.get("Conditions", {})
        if name not in conditions:
            raise KeyError(f"template.yaml has no condition {name!r}")
        return self._evaluate(conditions[name])

    def _evaluate(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((kind, argument),) = value.items()
            if kind == "Condition":
                return self.condition(argument)
            if kind == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return _comparable(left) == _comparable(right)
            if kind == "Fn::Not":
                (inner,) = argument
                return not self._evaluate(inner)
            if kind == "Fn::And":
                return all(self._evaluate(item) for item in argument)
            if kind == "Fn::Or":
                return any(self._evaluate(item) for item in argument)
        raise ValueError(f"not a condition function: {value!r}")

    def included(self, logical_id: str) -> bool:
        """Whether the resource exists for these parameters (its ``Condition``, if any)."""
        condition = self.template.resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    # ------------------------------------------------------------------ functions, resources
    def function_environment(self, logical_id: str) -> dict[str, str]:
        function = self.template.functions()[logical_id]
        environment = {key: self.resolve(value) for key, value in function.environment.items()}
        return {key: _text(value) for key, value in environment.items() if value is not NO_VALUE}

    def create_resources(self, session: Any) -> None:
        """Create every table, event bus, event archive, queue and event rule of the template
        through ``session`` (boto3), a resource after those it refers to (a queue after its
        dead-letter queue, a rule after its bus and target queues, an archive after its bus)."""
        for logical_id in self._creation_order():
            resource = self.template.resources[logical_id]
            props = self.resolve(resource.get("Properties", {}))
            if resource["Type"] == "AWS::DynamoDB::Table":
                _create_table(session.client("dynamodb"), props)
            elif resource["Type"] == "AWS::Events::EventBus":
                session.client("events").create_event_bus(Name=props["Name"])
            elif resource["Type"] == "AWS::SQS::Queue":
                _create_queue(session.client("sqs"), self.physical[logical_id], props)
            elif resource["Type"] == "AWS::Events::Rule":
                _create_rule(session.client("events"), self.physical[logical_id], props)
            elif resource["Type"] == "AWS::Events::Archive":
                _create_archive(session.client("events"), self.physical[logical_id], props)

    def _creation_order(self) -> list[str]:
        wanted = [
            name
            for resource_type in CREATED_TYPES
            for name, resource in self.template.resources.items()
            if resource["Type"] == resource_type and self.included(name)
        ]
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                raise ValueError(f"template.yaml: circular reference through {name}")
            visiting.add(name)
            for dependency in sorted(_references(self.template.resources[name].get("Properties", {}))):
                if dependency in wanted:
                    visit(dependency)
            visiting.discard(name)
            order.append(name)

        for name in wanted:
            visit(name)
        return order


def parse_parameter_overrides(
    text: str, parameters: Mapping[str, Mapping[str, Any]], schedule_parameters: Iterable[str] = ()
) -> dict[str, str]:
    """Parse ``sam deploy --parameter-overrides`` text: space-separated ``Name=Value`` (or
    ``ParameterKey=Name,ParameterValue=Value``) entries, shell-quoted where a value holds
    spaces. ``parameters`` is the template's ``Parameters`` section: names must be in it and
    values must meet its AllowedValues, AllowedPattern, MinValue and MaxValue, as CloudFormation
    checks them; except that a parameter in ``schedule_parameters`` (a ScheduleV2 event's
    ScheduleExpression) also takes ``rate(N seconds)``, which only the local runtime runs.
    Raises ``ValueError`` with a message that names the entry at fault."""
    schedule_parameters = set(schedule_parameters)
    try:
        entries = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"cannot split {text!r}: {error}") from None
    overrides: dict[str, str] = {}
    for entry in entries:
        long_form = re.fullmatch(r"ParameterKey=([^,=]*),ParameterValue=(.*)", entry, re.DOTALL)
        if long_form:
            name, value = long_form.groups()
        elif "=" in entry:
            name, value = entry.split("=", 1)
        else:
            raise ValueError(f"{entry!r} is not Name=Value")
        if not re.fullmatch(r"[A-Za-z0-9]+", name):
            raise ValueError(f"{entry!r} is not Name=Value (a parameter name is alphanumeric)")
        if value.count("(") > value.count(")"):
            raise ValueError(f'{entry!r} is cut short: quote a value that holds spaces, e.g. {name}="rate(1 minute)"')
        if name not in parameters:
            raise ValueError(f"template.yaml has no parameter {name!r} (it has {', '.join(sorted(parameters))})")
        if not (name in schedule_parameters and LOCAL_SECONDS_RATE.fullmatch(value.strip())):
            _check_parameter_value(name, value, parameters[name])
        overrides[name] = value
    return overrides


def _check_parameter_value(name: str, value: str, spec: Mapping[str, Any]) -> None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(item) for item in allowed]:
        raise ValueError(f"{name}={value!r}: must be one of {', '.join(str(item) for item in allowed)}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ValueError(f"{name}={value!r}: does not match {pattern}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{name}={value!r}: must be a number") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise ValueError(f"{name}={value!r}: must be at least {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise ValueError(f"{name}={value!r}: must be at most {spec['MaxValue']}")


def _text(value: Any) -> str:
    """A resolved scalar as CloudFormation writes it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _comparable(value: Any) -> Any:
    return [_comparable(item) for item in value] if isinstance(value, list) else _text(value)


def _references(value: Any) -> set[str]:
    """Logical ids (or parameter names) that ``value`` refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item.split(".", 1)[0])  # SAM's !Ref <Function>.Alias names the function
            elif key == "Fn::GetAtt":
                found.add(item.split(".", 1)[0] if isinstance(item, str) else item[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found.update(name.split(".", 1)[0] for name in re.findall(r"\$\{([\w:.]+)\}", text))
                if isinstance(item, list):
                    found |= _references(item[1])
            else:
                found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def _create_queue(client: Any, name: str, props: dict[str, Any]) -> None:
    attributes = {key: _text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    for policy in ("RedrivePolicy", "RedriveAllowPolicy"):
        if policy in props:
            value = props[policy]
            attributes[policy] = value if isinstance(value, str) else json.dumps(value)
    client.create_queue(QueueName=name, Attributes=attributes)


def _create_rule(client: Any, name: str, props: dict[str, Any]) -> None:
    bus = props.get("EventBusName", "default")
    arguments: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        arguments["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    for key in ("ScheduleExpression", "Description", "RoleArn"):
        if key in props:
            arguments[key] = props[key]
    client.put_rule(**arguments)
    targets = [{key: target[key] for key in _TARGET_KEYS if key in target} for target in props.get("Targets", [])]
    if targets:
        client.put_targets(Rule=name, EventBusName=bus, Targets=targets)


def _create_archive(client: Any, name: str, props: dict[str, Any]) -> None:
    """moto implements archives as EventBridge does (a managed rule on the bus that keeps every
    matching event, for DescribeArchive and StartReplay), so the archive is created as declared."""
    arguments: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": props["SourceArn"]}
    if "Description" in props:
        arguments["Description"] = props["Description"]
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        arguments["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    if "RetentionDays" in props:
        arguments["RetentionDays"] = int(props["RetentionDays"])
    client.create_archive(**arguments)


def _create_table(client: Any, props: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "TableName": props["TableName"],
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(index_kind):
            arguments[index_kind] = props[index_kind]
    stream = props.get("StreamSpecification")
    if stream:
        arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        arguments["SSESpecification"] = {"Enabled": True}
    client.create_table(**arguments)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=props["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
