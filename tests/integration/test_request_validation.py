"""Bad requests: each is a problem+json naming what is wrong, and none writes anything."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.helpers import assert_problem, items

VALID = {"name": "ci", "scopes": ["api-keys:read"]}


def body(**changes: Any) -> dict[str, Any]:
    """The valid create body with fields changed (``...`` removes a field)."""
    merged = {**VALID, **changes}
    return {name: value for name, value in merged.items() if value is not ...}


CASES = [
    # id, request keyword arguments for api.call, expected status, expected field (422 only)
    pytest.param(dict(raw_body='{"name": "ci", "scopes": ['), 400, None, id="broken-json"),
    pytest.param(dict(raw_body=b'{"name": "\xcb\xcb"}'), 400, None, id="body-not-utf-8"),
    pytest.param(dict(raw_body='["ci"]'), 422, "body", id="body-not-an-object"),
    pytest.param(dict(), 422, "body", id="no-body"),
    pytest.param(dict(body=body(name=5)), 422, "name", id="name-not-a-string"),
    pytest.param(dict(body=body(name=...)), 422, "name", id="name-missing"),
    pytest.param(dict(body=body(name="   ")), 422, "name", id="name-blank"),
    pytest.param(dict(body=body(name="n" * 101)), 422, "name", id="name-too-long"),
    pytest.param(dict(body=body(scopes="api-keys:read")), 422, "scopes", id="scopes-not-a-list"),
    pytest.param(dict(body=body(scopes=[])), 422, "scopes", id="scopes-empty"),
    pytest.param(dict(body=body(scopes=["api-keys:admin"])), 422, "scopes[0]", id="scope-unknown"),
    pytest.param(dict(body=body(expires_at="2000-01-01T00:00:00Z")), 422, "expires_at", id="expires-at-past"),
    pytest.param(dict(body=body(expires_at="2100-01-01T00:00:00")), 422, "expires_at", id="expires-at-naive"),
    pytest.param(dict(body=body(tenant_id="tenant-b")), 422, "tenant_id", id="unknown-field-tenant-id"),
    pytest.param(dict(body=body(name="x" * 17 * 1024)), 413, None, id="body-over-16-KiB"),
    pytest.param(dict(raw_body=json.dumps(VALID), headers={"content-type": "text/plain"}), 415, None, id="json-sent-as-text-plain"),
]


@pytest.mark.parametrize("request_kwargs, status, field", CASES)
def test_a_bad_create_request_is_a_problem_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str, request_kwargs: dict[str, Any], status: int, field: str | None
) -> None:
    problem = assert_problem(api.call("POST", "/api-keys", **request_kwargs), status)

    if status == 422:
        assert field in [error["field"] for error in problem["errors"]], problem["errors"]
        assert all(error["message"] for error in problem["errors"])
    assert "key" not in problem
    assert items(dynamodb, table_name) == []


@pytest.mark.parametrize(
    "query, field",
    [
        pytest.param("limit=0", "limit", id="limit-0"),
        pytest.param("limit=101", "limit", id="limit-101"),
        pytest.param("limit=abc", "limit", id="limit-abc"),
        pytest.param("cursor=", "cursor", id="cursor-empty"),
        pytest.param("cursor=not-a-cursor", "cursor", id="cursor-garbage"),
    ],
)
def test_a_bad_list_query_is_a_422_naming_the_parameter(api: Api, dynamodb: Any, table_name: str, query: str, field: str) -> None:
    problem = assert_problem(api.call("GET", "/api-keys", query=query), 422)

    assert [error["field"] for error in problem["errors"]] == [field]
    assert "items" not in problem
    assert items(dynamodb, table_name) == []


def test_a_json_array_of_valid_create_bodies_is_refused_and_writes_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    response = api.call("POST", "/api-keys", raw_body=json.dumps([VALID, {**VALID, "name": "second"}]))

    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == ["body"]
    assert items(dynamodb, table_name) == []


def test_a_body_of_exactly_16_KiB_is_accepted_and_one_byte_more_is_413(api: Api) -> None:
    compact = json.dumps(VALID)
    exactly = compact + " " * (16 * 1024 - len(compact))

    accepted = api.call("POST", "/api-keys", raw_body=exactly)
    too_large = api.call("POST", "/api-keys", raw_body=exactly + " ")

    assert accepted[0] == 201
    assert_problem(too_large, 413)


def test_json_with_a_charset_parameter_is_accepted(api: Api) -> None:
    status, _, created = api.call("POST", "/api-keys", body=VALID, headers={"content-type": "application/json; charset=utf-8"})

    assert status == 201, created


def test_json_with_an_upper_case_media_type_is_accepted(api: Api) -> None:
    status, _, created = api.call("POST", "/api-keys", body=VALID, headers={"content-type": "Application/JSON"})

    assert status == 201, created


def test_expires_at_must_be_an_iso_8601_string_not_a_number(api: Api, dynamodb: Any, table_name: str) -> None:
    problem = assert_problem(api.call("POST", "/api-keys", body={**VALID, "expires_at": 4102444800}), 422)

    assert [error["field"] for error in problem["errors"]] == ["expires_at"]
    assert items(dynamodb, table_name) == []
