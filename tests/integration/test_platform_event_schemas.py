"""Platform event schemas published in SSM Parameter Store, through GET /event-types on moto:
read once per TTL per instance (SSM calls counted on the functions' own client with a botocore
event hook), updates seen after the TTL, malformed values left out with a warning, and an SSM
failure never failing the request."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from integration.domain.event_types import SERVICE_EVENT_TYPES
from integration.event_schemas import load_schema
from integration.infrastructure.aws import ssm_client
from local_runtime.resources import Stack
from tests.conftest import Api

PLATFORM_TYPES = "invoice.paid,order.created"
INVOICE_PAID = {
    "description": "An invoice was paid in full.",
    "schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["tenantId", "invoiceId", "amount"],
        "properties": {"tenantId": {"type": "string"}, "invoiceId": {"type": "string"}, "amount": {"type": "number"}},
    },
    "example": {"tenantId": "acme", "invoiceId": "inv_1042", "amount": 129.5},
}


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_logged() -> Iterator[Records]:
    """What the functions log at WARNING (Powertools' child loggers propagate to the service's)."""
    records = Records()
    service_logger = logging.getLogger("integration")
    service_logger.addHandler(records)
    yield records
    service_logger.removeHandler(records)


@pytest.fixture
def path(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> str:
    """ListEventTypesFunction's environment as template.yaml sets it, with two platform types."""
    for name, value in aws.function_environment("ListEventTypesFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PLATFORM_EVENT_TYPES", PLATFORM_TYPES)
    return aws.function_environment("ListEventTypesFunction")["PLATFORM_EVENT_SCHEMAS_PATH"]


def ssm() -> Any:
    """The platform team's client (not the functions')."""
    return boto3.client("ssm", region_name="us-east-1")


def publish(path: str, event_type: str, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    ssm().put_parameter(Name=f"{path}{event_type}", Value=text, Type="String", Overwrite=True)


def count_ssm_calls() -> list[str]:
    """Every GetParametersByPath the functions make, from now on (their client is the process's)."""
    calls: list[str] = []
    ssm_client().meta.events.register(
        "before-parameter-build.ssm.GetParametersByPath", lambda params, **_: calls.append(params["Path"]), unique_id="count-ssm"
    )
    return calls


def fail_ssm() -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParametersByPath")

    ssm_client().meta.events.register("before-call.ssm.GetParametersByPath", refuse, unique_id="fail-ssm")


def items(api: Api) -> dict[str, dict[str, Any]]:
    status, _, body = api.call("GET", "/event-types")
    assert status == 200, body
    return {item["type"]: item for item in body["items"]}


def test_the_default_path_is_per_service_and_stage(path: str) -> None:
    assert path == "/integration/test/event-schemas/"


def test_a_published_schema_and_example_are_shown_and_unpublished_types_stay_null(api: Api, path: str) -> None:
    publish(path, "invoice.paid", INVOICE_PAID)
    api.cold_start()
    shown = items(api)
    assert list(shown) == [*SERVICE_EVENT_TYPES, "invoice.paid", "order.created"]
    paid = shown["invoice.paid"]
    assert paid == {"type": "invoice.paid", "origin": "platform", **INVOICE_PAID}
    assert shown["order.created"]["schema"] is None and shown["order.created"]["example"] is None
    assert shown["WebhookCreated"]["schema"] == load_schema("WebhookCreated")
    assert shown["WebhookCreated"]["example"] == load_schema("WebhookCreated")["examples"][0]


def test_within_the_ttl_a_second_request_makes_no_ssm_call_and_after_it_the_update_is_seen(
    api: Api, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_EVENT_SCHEMAS_TTL_SECONDS", "1")
    publish(path, "invoice.paid", INVOICE_PAID)
    api.cold_start()
    calls = count_ssm_calls()
    assert items(api)["invoice.paid"]["example"] == INVOICE_PAID["example"]
    assert calls == [path]  # one walk of the path (one page)

    updated = {**INVOICE_PAID, "example": {**INVOICE_PAID["example"], "amount": 7}}
    publish(path, "invoice.paid", updated)
    assert items(api)["invoice.paid"]["example"] == INVOICE_PAID["example"]  # the cached copy
    assert calls == [path]  # ... and no AWS call for it

    time.sleep(1.1)
    assert items(api)["invoice.paid"]["example"] == updated["example"]
    assert calls == [path, path]


def test_many_published_types_are_read_over_several_pages(api: Api, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    types = [f"billing.event{n}" for n in range(23)]
    monkeypatch.setenv("PLATFORM_EVENT_TYPES", ",".join(types))
    for event_type in types:
        publish(path, event_type, {**INVOICE_PAID, "description": f"{event_type} happened."})
    api.cold_start()
    calls = count_ssm_calls()
    shown = items(api)
    assert all(shown[event_type]["description"] == f"{event_type} happened." for event_type in types)
    assert len(calls) == 3  # 10 a page


def test_malformed_values_and_unknown_types_are_left_out_with_a_warning(api: Api, path: str, warnings_logged: Records) -> None:
    publish(path, "invoice.paid", INVOICE_PAID)
    publish(path, "order.created", "{not json")
    publish(path, "shipment.sent", INVOICE_PAID)  # not in PLATFORM_EVENT_TYPES
    api.cold_start()
    shown = items(api)
    assert shown["invoice.paid"]["schema"] == INVOICE_PAID["schema"]
    assert shown["order.created"]["schema"] is None
    assert "shipment.sent" not in shown
    assert "ignored a malformed SSM event schema" in warnings_logged.messages
    assert "ignored an SSM event schema of a type not in PLATFORM_EVENT_TYPES" in warnings_logged.messages


def test_a_secure_string_is_not_read(api: Api, path: str, warnings_logged: Records) -> None:
    ssm().put_parameter(Name=f"{path}invoice.paid", Value=json.dumps(INVOICE_PAID), Type="SecureString")
    api.cold_start()
    assert items(api)["invoice.paid"]["schema"] is None
    assert "ignored an SSM event schema that is not a String parameter" in warnings_logged.messages


def test_when_ssm_fails_the_last_good_copy_is_served_and_a_warning_logged(
    api: Api, path: str, monkeypatch: pytest.MonkeyPatch, warnings_logged: Records
) -> None:
    monkeypatch.setenv("PLATFORM_EVENT_SCHEMAS_TTL_SECONDS", "0")  # every request reads SSM again
    publish(path, "invoice.paid", INVOICE_PAID)
    api.cold_start()
    calls = count_ssm_calls()
    assert items(api)["invoice.paid"]["example"] == INVOICE_PAID["example"]
    fail_ssm()
    assert items(api)["invoice.paid"]["example"] == INVOICE_PAID["example"]
    assert len(calls) == 2  # it did ask, and was refused
    assert "could not read platform event schemas from SSM; serving the last copy" in warnings_logged.messages


def test_when_ssm_fails_before_any_read_the_catalogue_is_served_without_platform_schemas(
    api: Api, path: str, warnings_logged: Records
) -> None:
    publish(path, "invoice.paid", INVOICE_PAID)
    api.cold_start()
    fail_ssm()
    shown = items(api)
    assert shown["invoice.paid"]["schema"] is None and shown["WebhookCreated"]["schema"] == load_schema("WebhookCreated")
    assert warnings_logged.messages == ["could not read platform event schemas from SSM; serving the last copy"]


def test_without_platform_event_types_ssm_is_never_called(api: Api, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_EVENT_TYPES", "")
    api.cold_start()
    calls = count_ssm_calls()
    assert set(items(api)) == set(SERVICE_EVENT_TYPES)
    assert calls == []
