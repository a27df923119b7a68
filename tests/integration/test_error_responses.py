"""Failures the caller did not cause: still problem+json, never a stack trace or an AWS detail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from integration.domain.ids import new_id
from tests.conftest import Api
from tests.integration.helpers import assert_problem, create_key, items

LEAKS = ("Traceback", "File \"", "botocore", "ResourceNotFoundException", "Requested resource not found", "no-such-table", "dynamodb")


@pytest.fixture
def broken_storage(api: Api, monkeypatch: pytest.MonkeyPatch) -> str:
    """The functions now name a table that does not exist: every DynamoDB call fails."""
    key = create_key(api)["key"]
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    api.cold_start()
    return key


def test_every_endpoint_answers_a_bare_500_problem_when_storage_fails(api: Api, broken_storage: str) -> None:
    calls = {
        "list": api.call("GET", "/api-keys"),
        "create": api.call("POST", "/api-keys", body={"name": "ci", "scopes": ["api-keys:read"]}),
        "get": api.call("GET", f"/api-keys/{new_id('key')}"),
        "revoke": api.call("POST", f"/api-keys/{new_id('key')}/revoke"),
    }

    for endpoint, response in calls.items():
        body = assert_problem(response, 500)
        assert body == {
            "type": "urn:integration:problem:internal-error",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "something went wrong on our side; retry later",
        }, endpoint
        text = json.dumps(body) + json.dumps(response[1])
        assert not [leak for leak in LEAKS if leak in text], endpoint


def test_the_authorizer_fails_as_an_error_not_as_unauthorized_when_storage_fails(api: Api, broken_storage: str) -> None:
    # An error (API Gateway answers 500: retry) rather than "Unauthorized" (401: the key is bad).
    with pytest.raises(ClientError):
        api.authorize({"x-api-key": broken_storage})


def test_a_request_that_reaches_a_function_without_a_tenant_is_401(api: Api, dynamodb: Any, table_name: str) -> None:
    body = assert_problem(api.call("POST", "/api-keys", tenant="", body={"name": "ci", "scopes": ["api-keys:read"]}), 401)

    assert body["type"] == "urn:integration:problem:unauthorized"
    assert items(dynamodb, table_name) == []
