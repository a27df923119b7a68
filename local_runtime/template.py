"""Reads template.yaml: the functions, their HTTP API routes, stream, queue and schedule event
sources, the resources to create.

Routes are read from here and nowhere else, so the local runtime serves exactly what
``sam deploy`` would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
IMPORTED_AUTHORIZER = "ImportedAuthorizer"
"""The name :meth:`Template.authorizer_function` gives an authorizer another stack exports: who
serves such a template maps it to that function (tests/integration/test_reusable_authorizer.py)."""


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags (!Ref, !Sub, ...) as dicts."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _tag)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /api/v1/integration/api-keys/{id}
    function: str  # logical id
    _pattern: re.Pattern[str] = field(compare=False, repr=False)
    authorizer: str | None = None  # the event's Auth.Authorizer (AWS_IAM, NONE); None: the API's default

    @property
    def iam_authorized(self) -> bool:
        """Whether the route takes AWS SigV4 (``Auth: Authorizer: AWS_IAM``) instead of the default authorizer."""
        return self.authorizer == "AWS_IAM"

    @property
    def public(self) -> bool:
        """Whether the route has no authorizer at all (``Auth: Authorizer: NONE``: the console's files)."""
        return self.authorizer == "NONE"

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self._pattern.match(path)
        return None if found is None else found.groupdict()


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]
    timeout: int
    memory_mb: int = 128


@dataclass(frozen=True)
class StreamSubscription:
    """A function fed by a DynamoDB table's stream (an event source mapping)."""

    function: str
    table: str  # logical id
    batch_size: int
    filter_patterns: tuple[dict[str, Any], ...]
    maximum_retry_attempts: int
    on_failure_queue: str | None  # logical id


@dataclass(frozen=True)
class QueueSubscription:
    """A function fed by an SQS queue (an event source mapping)."""

    function: str
    queue: str  # logical id
    batch_size: int
    report_batch_item_failures: bool
    # ScalingConfig.MaximumConcurrency as written (a number or an intrinsic such as !Ref), or None
    maximum_concurrency: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class ScheduleSubscription:
    """A function invoked by an EventBridge Scheduler schedule (SAM event ``Type: ScheduleV2``).
    Properties as written in the template (a value may be an intrinsic such as ``!Ref``)."""

    function: str
    event: str  # the event's key under the function's Events
    schedule_expression: Any
    input: Any = None  # Input: the JSON text Scheduler sends instead of its default event
    state: Any = None  # State: ENABLED (default) or DISABLED
    name: Any = None  # Name: the schedule's name (SAM's default: <function><event>)
    group: Any = None  # GroupName (default: "default")


@dataclass
class Template:
    raw: dict[str, Any]

    @classmethod
    def load(cls, path: Path = TEMPLATE_PATH) -> Template:
        return cls(yaml.load(path.read_text(), Loader=_CloudFormationLoader))  # noqa: S506 - SafeLoader subclass

    @property
    def resources(self) -> dict[str, Any]:
        return self.raw["Resources"]

    def parameter_defaults(self) -> dict[str, Any]:
        return {name: spec.get("Default") for name, spec in self.raw.get("Parameters", {}).items()}

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == resource_type}

    def functions(self) -> dict[str, Function]:
        globals_ = self.raw.get("Globals", {}).get("Function", {})
        functions = {}
        for name, resource in self.resources_of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            environment = dict(globals_.get("Environment", {}).get("Variables", {}))
            environment.update(props.get("Environment", {}).get("Variables", {}))
            functions[name] = Function(
                logical_id=name,
                code_uri=PROJECT_ROOT / props["CodeUri"],
                handler=props.get("Handler", globals_.get("Handler")),
                environment=environment,
                timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
                memory_mb=_integer(props.get("MemorySize", globals_.get("MemorySize", 128)), 128),
            )
        return functions

    def routes(self) -> list[Route]:
        routes = []
        for name, resource in self.resources_of_type("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] != "HttpApi":
                    continue
                method, path = event["Properties"]["Method"].upper(), event["Properties"]["Path"]
                regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))  # {proxy+}: the rest of the path
                regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex) + "$"
                authorizer = event["Properties"].get("Auth", {}).get("Authorizer")
                routes.append(Route(method=method, path=path, function=name, _pattern=re.compile(regex), authorizer=authorizer))
        # Literal segments beat parameters, as in API Gateway: longer literal prefixes first.
        return sorted(routes, key=lambda route: (route.path.count("{"), -len(route.path)))

    def stream_subscriptions(self, parameters: Mapping[str, Any] | None = None) -> list[StreamSubscription]:
        """The DynamoDB stream event sources. A property written as ``!Ref <Parameter>`` (the
        relay's ``MaximumRetryAttempts``) takes its value from ``parameters``, else the
        parameter's Default, as a deploy with those parameter overrides would."""
        subscriptions = []
        for name, resource in self.resources_of_type("AWS::Serverless::Function").items():
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] != "DynamoDB":
                    continue
                props = event["Properties"]
                patterns = tuple(json.loads(item["Pattern"]) for item in props.get("FilterCriteria", {}).get("Filters", []))
                destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                subscriptions.append(
                    StreamSubscription(
                        function=name,
                        table=props["Stream"]["Fn::GetAtt"][0],
                        batch_size=int(props.get("BatchSize", 100)),
                        filter_patterns=patterns,
                        maximum_retry_attempts=int(self._parameter_value(props.get("MaximumRetryAttempts", -1), parameters)),
                        on_failure_queue=destination["Fn::GetAtt"][0] if destination else None,
                    )
                )
        return subscriptions

    def _parameter_value(self, value: Any, parameters: Mapping[str, Any] | None) -> Any:
        """``value`` as written, or the parameter a ``{"Ref": name}`` names: from ``parameters``,
        else its Default. Other intrinsics are not followed here."""
        if not (isinstance(value, dict) and set(value) == {"Ref"}):
            return value
        name = value["Ref"]
        if parameters is not None and name in parameters:
            return parameters[name]
        spec = self.raw.get("Parameters", {}).get(name)
        if spec is None or "Default" not in spec:
            raise ValueError(f"template.yaml: !Ref {name} is not a parameter with a Default")
        return spec["Default"]

    def queue_subscriptions(self) -> list[QueueSubscription]:
        subscriptions = []
        for name, resource in self.resources_of_type("AWS::Serverless::Function").items():
            for event_name, event in resource["Properties"].get("Events", {}).items():
                if event["Type"] != "SQS":
                    continue
                props = event["Properties"]
                queue = props["Queue"]
                if not (isinstance(queue, dict) and "Fn::GetAtt" in queue and queue["Fn::GetAtt"][1] == "Arn"):
                    raise ValueError(f"{name}.Events.{event_name}: the local runtime only follows Queue: !GetAtt <Queue>.Arn")
                subscriptions.append(
                    QueueSubscription(
                        function=name,
                        queue=queue["Fn::GetAtt"][0],
                        batch_size=int(props.get("BatchSize", 10)),
                        report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                        maximum_concurrency=props.get("ScalingConfig", {}).get("MaximumConcurrency"),
                    )
                )
        return subscriptions

    def schedule_subscriptions(self) -> list[ScheduleSubscription]:
        """The functions' ``Type: ScheduleV2`` events (EventBridge Scheduler schedules)."""
        subscriptions = []
        for name, resource in self.resources_of_type("AWS::Serverless::Function").items():
            for event_name, event in resource["Properties"].get("Events", {}).items():
                if event["Type"] != "ScheduleV2":
                    continue
                props = event.get("Properties", {})
                if "ScheduleExpression" not in props:
                    raise ValueError(f"{name}.Events.{event_name}: a ScheduleV2 event needs a ScheduleExpression")
                subscriptions.append(
                    ScheduleSubscription(
                        function=name,
                        event=event_name,
                        schedule_expression=props["ScheduleExpression"],
                        input=props.get("Input"),
                        state=props.get("State"),
                        name=props.get("Name"),
                        group=props.get("GroupName"),
                    )
                )
        return subscriptions

    def schedule_parameters(self) -> set[str]:
        """Parameters a ScheduleV2 event takes its ScheduleExpression from (``!Ref Name``)."""
        return {
            subscription.schedule_expression["Ref"]
            for subscription in self.schedule_subscriptions()
            if isinstance(subscription.schedule_expression, dict) and "Ref" in subscription.schedule_expression
        }

    def authorizer_function(self) -> str | None:
        """The logical id of the HTTP API's default Lambda authorizer, named by ``FunctionArn:
        !GetAtt <Function>.Arn`` or by its alias, ``!Ref <Function>.Alias`` (SAM's AutoPublishAlias);
        :data:`IMPORTED_AUTHORIZER` when the template imports it from another stack
        (``FunctionArn: !ImportValue ...``)."""
        for resource in self.resources_of_type("AWS::Serverless::HttpApi").values():
            auth = resource["Properties"].get("Auth", {})
            default = auth.get("DefaultAuthorizer")
            if default:
                arn = auth["Authorizers"][default]["FunctionArn"]
                if "Fn::ImportValue" in arn:
                    return IMPORTED_AUTHORIZER
                if "Fn::GetAtt" in arn and arn["Fn::GetAtt"][1] == "Arn":
                    return arn["Fn::GetAtt"][0]
                reference = arn.get("Ref")
                if isinstance(reference, str) and reference.endswith(".Alias"):
                    return reference.removesuffix(".Alias")
                raise ValueError(f"Auth.Authorizers.{default}.FunctionArn: the local runtime follows !GetAtt <Function>.Arn, !Ref <Function>.Alias or !ImportValue, not {arn!r}")
        return None


def _integer(value: Any, default: int) -> int:
    """A number property, or ``default`` where the template computes it (an intrinsic)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
