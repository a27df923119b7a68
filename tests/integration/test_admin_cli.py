"""``integration-admin create-key`` against the table on moto: the tenant id rule, and what the
key records about who made it."""

from __future__ import annotations

from typing import Any

import pytest

from integration.domain.principal import TENANT_ID_RULE
from integration.entrypoints.admin import main
from tests.integration.helpers import items, outbox


def create_key(tenant: str) -> list[str]:
    return ["create-key", f"--tenant={tenant}", "--name", "bootstrap", "--scope", "api-keys:read"]


@pytest.mark.parametrize(
    "tenant",
    [
        pytest.param("", id="empty"),
        pytest.param("acme#APIKEY", id="hash-sign"),
        pytest.param("acme corp", id="space"),
        pytest.param("acme/eu", id="slash"),
        pytest.param("-acme", id="leading-dash"),
        pytest.param("a" * 129, id="129-characters"),
        pytest.param("ａｃｍｅ", id="fullwidth-letters"),
    ],
)
def test_a_tenant_id_outside_the_rule_is_refused_naming_the_rule_and_writes_nothing(
    aws: Any, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    assert main(create_key(tenant)) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"integration-admin: tenant: is not a valid tenant id ({TENANT_ID_RULE})"
    assert items(dynamodb, table_name) == []


@pytest.mark.parametrize(
    "tenant", ["a", "a" * 128, "acme-eu.prod_1:team@x", "7"], ids=["1-character", "128-characters", "every-allowed-sign", "digit"]
)
def test_a_tenant_id_within_the_rule_gets_a_key_recorded_as_made_by_the_operator(
    aws: Any, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    assert main(create_key(tenant)) == 0

    out, _ = capsys.readouterr()
    assert out.startswith("intk_") and len(out.splitlines()) == 1
    (key,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKey"]
    assert key["tenant_id"] == tenant and key["created_by"] == "operator"
    (event,) = outbox(dynamodb, table_name, "ApiKeyCreated")
    assert event["detail"]["createdBy"] == "operator"
