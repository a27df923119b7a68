"""Creates what template.yaml declares (tables, buses) in an AWS emulator, and resolves the
intrinsic functions the functions' environment uses (Ref, Fn::Sub, Fn::GetAtt)."""

from __future__ import annotations

import re
from typing import Any

from local_runtime.template import Template

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


class Stack:
    """Physical names and ARNs of the template's resources for one stage, in the emulator."""

    def __init__(self, template: Template, parameters: dict[str, Any] | None = None) -> None:
        self.template = template
        self.parameters = {**template.parameter_defaults(), **(parameters or {})}
        self.physical: dict[str, str] = {}
        for name, resource in template.resources.items():
            props = resource.get("Properties", {})
            for name_property in ("TableName", "Name", "QueueName"):
                if name_property in props:
                    self.physical[name] = str(self.resolve(props[name_property]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (kind, argument), = value.items()
            if kind == "Ref":
                return self.parameters.get(argument, self.physical.get(argument, argument))
            if kind == "Fn::Sub":
                return re.sub(r"\$\{([\w:.]+)\}", lambda m: str(self._sub_value(m.group(1))), argument)
            if kind == "Fn::GetAtt":
                return self._attribute(*argument)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def _sub_value(self, name: str) -> Any:
        if name == "AWS::Region":
            return REGION
        if name == "AWS::AccountId":
            return ACCOUNT_ID
        if "." in name:
            return self._attribute(*name.split(".", 1))
        return self.resolve({"Ref": name})

    def _attribute(self, logical_id: str, attribute: str) -> str:
        resource_type = self.template.resources[logical_id]["Type"]
        name = self.physical.get(logical_id, logical_id)
        if resource_type == "AWS::DynamoDB::Table" and attribute == "Arn":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        if resource_type == "AWS::Events::EventBus" and attribute == "Arn":
            return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"
        if resource_type == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        return f"arn:aws:local:{REGION}:{ACCOUNT_ID}:{logical_id}/{attribute}"

    def function_environment(self, logical_id: str) -> dict[str, str]:
        function = self.template.functions()[logical_id]
        return {key: str(self.resolve(value)) for key, value in function.environment.items()}

    def create_resources(self, session: Any) -> None:
        """Create every table, event bus and queue of the template through ``session`` (boto3)."""
        for logical_id, resource in self.template.resources.items():
            props = self.resolve(resource.get("Properties", {}))
            if resource["Type"] == "AWS::DynamoDB::Table":
                _create_table(session.client("dynamodb"), props)
            elif resource["Type"] == "AWS::Events::EventBus":
                session.client("events").create_event_bus(Name=props["Name"])
            elif resource["Type"] == "AWS::SQS::Queue":
                session.client("sqs").create_queue(QueueName=props["QueueName"])


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
