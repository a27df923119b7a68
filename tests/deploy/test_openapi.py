"""openapi.json is the API's contract: generated from the code, committed, and kept equal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from standardwebhooks.webhooks import Webhook as Receiver

from integration.domain.deliveries import TEST_EVENT_TYPE
from integration.domain.event_types import SERVICE_EVENT_TYPES
from integration.domain.signing import message_body
from integration.entrypoints.http.schemas.constraints import (
    API_KEY_ID_PATTERN,
    EVENT_ID_PATTERN,
    JOB_ID_PATTERN,
    MESSAGE_ID_PATTERN,
    SIGNING_SECRET_EXAMPLE,
    WEBHOOK_ID_PATTERN,
)
from integration.event_schemas import load_schema
from local_runtime.openapi import DOCUMENT_PATH, build_document, render
from local_runtime.template import Template


@pytest.fixture(scope="module")
def document(template: Template) -> dict[str, Any]:
    return build_document(template)


def test_the_committed_openapi_json_is_what_the_code_generates(document: dict[str, Any]) -> None:
    committed = DOCUMENT_PATH.read_text(encoding="utf-8")
    assert committed == render(document), "openapi.json is out of date: run `make openapi` and commit it"


def test_every_route_of_the_template_is_documented_once(template: Template, document: dict[str, Any]) -> None:
    documented = {
        (method.upper(), "/api/v1/integration" + path.replace("{webhook_id}", "{id}").replace("{api_key_id}", "{id}"))
        for path, operations in document["paths"].items()
        for method in operations
    }
    # Every operation of the API; not the console's page and files (public routes, not operations).
    assert documented == {(route.method, route.path) for route in template.routes() if not route.public}
    assert {route.function for route in template.routes() if route.public} == {"ConsoleFunction"}
    assert document["servers"] == [{"url": "/api/v1/integration"}]


def test_the_document_names_its_security_schemes_and_requires_one(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]
    assert schemes["awsSigV4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    sigv4_only = sorted((method, path) for method, path, operation in operations(document) if operation.get("security") == [{"awsSigV4": []}])
    assert sigv4_only == [("post", "/api-keys/verify")]  # the platform's services' route, and no other


def test_every_error_is_a_documented_problem(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            iam = operation.get("security") == [{"awsSigV4": []}]  # the platform's services: SigV4, never a 401
            assert {"403", "422", "429", "500"} | (set() if iam else {"401"}) <= codes, (method, path)
            assert ("401" in codes) != iam, (method, path)
            assert ("404" in codes) == ("{" in path), (method, path)
            assert operation["summary"], (method, path)
            for code, response in operation["responses"].items():
                if iam and code == "403":  # API Gateway's {"message": "Forbidden"}, or the function's problem
                    assert set(response["content"]) == {"application/json", "application/problem+json"}
                elif code.startswith(("4", "5")):
                    assert response == {"$ref": f"#/components/responses/{code}"}
    for code in ("400", "403", "404", "409", "412", "413", "415", "422", "500"):
        assert "application/problem+json" in responses[code]["content"], code
    assert "HTTPValidationError" not in json.dumps(document)  # Powertools' default 422 shape is not ours


# ------------------------------------------------------------------ a contract that generates good clients

OPERATION_ID = re.compile(r"^[a-z][A-Za-z]+$")


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path or webhook name, operation) of every operation, the webhooks' included."""
    return [
        (method, where, operation)
        for section in ("paths", "webhooks")
        for where, item in document.get(section, {}).items()
        for method, operation in item.items()
    ]


def test_every_operation_has_a_readable_unique_operation_id_a_declared_tag_and_a_summary(document: dict[str, Any]) -> None:
    declared = [tag["name"] for tag in document["tags"]]
    assert declared == ["Webhooks", "Deliveries", "Events", "API keys", "Event types", "Scopes"]
    assert all(tag["description"] for tag in document["tags"])
    ids = []
    for method, where, operation in operations(document):
        assert OPERATION_ID.match(operation.get("operationId", "")), (method, where, operation.get("operationId"))
        assert operation.get("tags") and set(operation["tags"]) <= set(declared), (method, where)
        assert operation.get("summary") and operation.get("description"), (method, where)
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)), sorted(ids)
    assert {tag for _, _, operation in operations(document) for tag in operation["tags"]} == set(declared)


def test_the_operation_ids_follow_the_naming_rule(document: dict[str, Any]) -> None:
    named = {
        (method, path): operation["operationId"] for path, item in document["paths"].items() for method, operation in item.items()
    }
    assert named == {
        ("post", "/webhooks"): "createWebhook",
        ("get", "/webhooks"): "listWebhooks",
        ("get", "/webhooks/{webhook_id}"): "getWebhook",
        ("put", "/webhooks/{webhook_id}"): "replaceWebhook",
        ("patch", "/webhooks/{webhook_id}"): "updateWebhook",
        ("delete", "/webhooks/{webhook_id}"): "deleteWebhook",
        ("post", "/webhooks/{webhook_id}/rotate-secret"): "rotateWebhookSecret",
        ("post", "/webhooks/{webhook_id}/test"): "sendTestWebhook",
        ("get", "/webhooks/{webhook_id}/deliveries"): "listWebhookDeliveries",
        ("get", "/webhooks/{webhook_id}/deliveries/{delivery_id}"): "getWebhookDelivery",
        ("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): "retryWebhookDelivery",
        ("post", "/webhooks/{webhook_id}/recover"): "recoverWebhook",
        ("post", "/webhooks/{webhook_id}/replay"): "replayWebhook",
        ("get", "/webhooks/{webhook_id}/jobs/{job_id}"): "getWebhookJob",
        ("post", "/api-keys"): "createApiKey",
        ("get", "/api-keys"): "listApiKeys",
        ("get", "/api-keys/{api_key_id}"): "getApiKey",
        ("post", "/api-keys/{api_key_id}/revoke"): "revokeApiKey",
        ("post", "/api-keys/verify"): "verifyApiKey",
        ("patch", "/api-keys/{api_key_id}"): "updateApiKey",
        ("post", "/api-keys/{api_key_id}/roll"): "rollApiKey",
        ("get", "/events"): "listEvents",
        ("get", "/events/{event_id}"): "getEvent",
        ("get", "/event-types"): "listEventTypes",
        ("get", "/scopes"): "listScopes",
        ("post", "/portal-links"): "createPortalLink",
        ("get", "/whoami"): "getWhoAmI",
    }


def test_every_id_path_parameter_carries_its_pattern(document: dict[str, Any]) -> None:
    patterns = {
        "webhook_id": WEBHOOK_ID_PATTERN,
        "api_key_id": API_KEY_ID_PATTERN,
        "delivery_id": MESSAGE_ID_PATTERN,
        "event_id": EVENT_ID_PATTERN,
        "job_id": JOB_ID_PATTERN,
    }
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["pattern"] == patterns[parameter["name"]], (method, path)
                assert re.search(parameter["schema"]["pattern"], parameter["schema"]["examples"][0])


def test_every_event_type_a_webhook_can_receive_has_its_message_in_the_webhooks_section(document: dict[str, Any]) -> None:
    assert set(document["webhooks"]) == {*SERVICE_EVENT_TYPES, TEST_EVENT_TYPE}
    for event_type, item in document["webhooks"].items():
        operation = item["post"]
        headers = {parameter["name"]: parameter for parameter in operation["parameters"] if parameter["in"] == "header"}
        assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert all(header["required"] for header in headers.values())
        assert {"2XX", "410", "429", "503", "default"} <= set(operation["responses"])
        assert "Retry-After" in operation["responses"]["429"]["headers"]
        content = operation["requestBody"]["content"]["application/json"]
        message = resolve(document, content["schema"])
        assert message["properties"]["type"]["const"] == event_type
        if event_type in SERVICE_EVENT_TYPES:
            schema = load_schema(event_type)
            data = resolve(document, message["properties"]["data"])
            assert {key: value for key, value in data.items() if key != "title"} == {
                key: value for key, value in schema.items() if key not in ("$schema", "$id", "title")
            }


def test_every_webhook_example_is_a_message_as_delivery_sends_it_and_signed_as_documented(document: dict[str, Any]) -> None:
    for event_type, item in document["webhooks"].items():
        operation = item["post"]
        content = operation["requestBody"]["content"]["application/json"]
        example = content["example"]
        errors = [error.message for error in validator(document, content["schema"]).iter_errors(example)]
        assert not errors, (event_type, errors)
        test = event_type == "webhook.test"  # the ping is a test message: its body ends with "test": true
        assert list(example) == ["type", "timestamp", "data", *(["test"] if test else [])] and example["type"] == event_type
        when = datetime.fromisoformat(example["timestamp"])
        body = message_body(event_type, when, example["data"], test=test)
        assert json.loads(body) == example
        headers = {parameter["name"]: parameter["example"] for parameter in operation["parameters"]}
        assert headers["webhook-timestamp"] == str(int(when.timestamp()))
        expected = Receiver(SIGNING_SECRET_EXAMPLE).sign(headers["webhook-id"], when, body.decode())
        assert headers["webhook-signature"] == expected, event_type


def test_every_example_in_the_document_is_valid_for_its_schema(document: dict[str, Any]) -> None:
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for where, node in subschemas(schema, f"#/components/schemas/{name}"):
            for example in node.get("examples", []):
                errors = [error.message for error in validator(document, node).iter_errors(example)]
                assert not errors, (where, example, errors)
                checked += 1
    assert checked > 30


def test_request_examples_are_accepted_by_the_domain_rules(document: dict[str, Any]) -> None:
    from integration.domain.event_types import EventTypeCatalogue
    from integration.domain.url_policy import UrlPolicy
    from integration.domain.webhooks import WebhookFields, WebhookRules, WebhookStatus

    rules = WebhookRules(url_policy=UrlPolicy(), catalogue=EventTypeCatalogue())
    schemas = document["components"]["schemas"]
    for name in ("CreateWebhookRequest", "UpdateWebhookRequest"):
        for example in schemas[name]["examples"]:
            status = WebhookStatus(example.get("status", "active"))
            rules.check(
                WebhookFields(example["name"], example["url"], tuple(example["events"]), example.get("description"), status)
            )


# A schema's sub-schemas where examples may sit: properties, items, anyOf branches.
def subschemas(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    yield where, schema
    for name, child in schema.get("properties", {}).items():
        yield from subschemas(child, f"{where}/properties/{name}")
    yield from subschemas(schema.get("items"), f"{where}/items")
    for index, child in enumerate(schema.get("anyOf", [])):
        yield from subschemas(child, f"{where}/anyOf/{index}")


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if reference is None:
        return schema
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/components/...`` references resolve in ``document``."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    rooted = json.loads(json.dumps(schema).replace('"#/components/', '"urn:openapi#/components/'))
    return Draft202012Validator(rooted, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
