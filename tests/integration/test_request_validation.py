"""Bad requests: each is a problem+json naming what is wrong, and none writes anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
    pytest.param(dict(body=body(scopes=["api-keys:admin"])), 422, "scopes", id="scope-unknown"),
    pytest.param(dict(body=body(expires_at="2000-01-01T00:00:00Z")), 422, "expires_at", id="expires-at-past"),
    pytest.param(dict(body=body(expires_at="2100-01-01T00:00:00")), 422, "expires_at", id="expires-at-naive"),
    pytest.param(dict(body=body(tenant_id="tenant-b")), 422, "tenant_id", id="unknown-field-tenant-id"),
    pytest.param(dict(body=body(name="x" * 17 * 1024)), 413, None, id="body-over-16-KiB"),
    pytest.param(
        dict(raw_body=json.dumps(VALID), headers={"content-type": "text/plain"}), 415, None, id="json-sent-as-text-plain"
    ),
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


# ------------------------------------------------------------------ hostile JSON: refused before any parser


def nested(depth: int, inner: str = "1") -> str:
    """``{"name": [[...[inner]...]]}``: the name's value nested ``depth - 1`` arrays deep, so the
    body's own object makes it ``depth`` levels in all."""
    return '{"name": ' + "[" * (depth - 1) + inner + "]" * (depth - 1) + ', "scopes": ["api-keys:read"]}'


def refusal(response: tuple[int, dict[str, str], Any]) -> tuple[str, str]:
    problem = assert_problem(response, 422)
    (error,) = problem["errors"]
    return error["field"], error["type"]


def test_an_array_nested_7000_deep_is_a_422_on_the_body_not_a_500(api: Api, dynamodb: Any, table_name: str) -> None:
    deep = "[" * 7000 + "]" * 7000  # 14 KB, under the size limit

    assert refusal(api.call("POST", "/api-keys", raw_body=deep)) == ("body", "too_deep")
    assert refusal(api.call("POST", "/api-keys", raw_body='{"name": ' + deep + "}")) == ("body", "too_deep")
    assert items(dynamodb, table_name) == []


def test_a_5000_digit_integer_is_a_422_on_the_body_not_a_500(api: Api, dynamodb: Any, table_name: str) -> None:
    huge = refusal(api.call("POST", "/api-keys", raw_body='{"name": ' + "9" * 5000 + ', "scopes": ["api-keys:read"]}'))
    long_float = refusal(api.call("POST", "/api-keys", raw_body='{"name": "ci", "scopes": [-' + "1" * 100 + "e5]}"))

    assert huge == long_float == ("body", "number_too_long")
    assert items(dynamodb, table_name) == []


def test_nesting_of_32_levels_reaches_the_route_and_33_is_refused_before_it(api: Api) -> None:
    at_limit = refusal(api.call("POST", "/api-keys", raw_body=nested(32)))
    over_limit = refusal(api.call("POST", "/api-keys", raw_body=nested(33)))

    assert at_limit == ("name", "string_type")  # the route's own validation answered
    assert over_limit == ("body", "too_deep")


def test_a_number_of_64_characters_reaches_the_route_and_65_is_refused_before_it(api: Api) -> None:
    at_limit = refusal(api.call("POST", "/api-keys", raw_body='{"name": ' + "1" * 64 + ', "scopes": ["api-keys:read"]}'))
    over_limit = refusal(api.call("POST", "/api-keys", raw_body='{"name": ' + "1" * 65 + ', "scopes": ["api-keys:read"]}'))

    assert at_limit == ("name", "string_type")
    assert over_limit == ("body", "number_too_long")


@pytest.mark.parametrize(
    "raw_name",
    [
        pytest.param("[" * 60 + "]" * 30, id="brackets"),
        pytest.param(r"quote \" then " + "{" * 80, id="escaped-quote-then-braces"),
        pytest.param("9" * 90, id="digits"),
        pytest.param(r"\\" + "[" * 40, id="escaped-backslash-then-brackets"),
    ],
)
def test_brackets_and_digits_inside_strings_are_text_not_nesting_or_numbers(api: Api, raw_name: str) -> None:
    raw = '{"name": "' + raw_name + '", "scopes": ["api-keys:read"]}'

    status, _, created = api.call("POST", "/api-keys", raw_body=raw)

    assert status == 201, created
    assert created["name"] == json.loads(raw)["name"]


@pytest.fixture
def dynamodb_writes(aws: Any) -> Iterator[list[str]]:
    """The names of every DynamoDB write the functions make while the test runs."""
    from integration.infrastructure.aws import dynamodb_client

    seen: list[str] = []
    client = dynamodb_client()
    operations = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
    for operation in operations:
        client.meta.events.register(
            f"before-call.dynamodb.{operation}", lambda model, **_: seen.append(model.name), unique_id=f"w-{operation}"
        )
    yield seen
    for operation in operations:
        client.meta.events.unregister(f"before-call.dynamodb.{operation}", unique_id=f"w-{operation}")


@pytest.mark.parametrize(
    "request_kwargs, status",
    [
        pytest.param(dict(raw_body="[" * 7000 + "]" * 7000), 422, id="nested-7000-deep"),
        pytest.param(dict(raw_body='{"name": ' + "9" * 5000 + "}"), 422, id="5000-digit-number"),
        pytest.param(dict(body=body(name="x" * 17 * 1024)), 413, id="over-16-KiB"),
        pytest.param(dict(raw_body=json.dumps(VALID), headers={"content-type": "text/plain"}), 415, id="text-plain"),
        pytest.param(dict(raw_body=b'{"name": "\xcb\xcb"}'), 400, id="not-utf-8"),
        pytest.param(dict(raw_body="[" + json.dumps(VALID) + "]"), 422, id="array"),
    ],
)
def test_a_refused_body_with_an_idempotency_key_writes_nothing_at_all(
    api: Api, dynamodb: Any, table_name: str, dynamodb_writes: list[str], request_kwargs: dict[str, Any], status: int
) -> None:
    headers = {**request_kwargs.pop("headers", {}), "idempotency-key": "0f6f9c7e-5f2b-4d84-9b1e-3f3c2a8d4e11"}

    assert_problem(api.call("POST", "/api-keys", headers=headers, **request_kwargs), status)

    assert dynamodb_writes == []  # not even an idempotency record written and then deleted
    assert items(dynamodb, table_name) == []


def test_the_write_counter_sees_an_idempotent_create(api: Api, dynamodb_writes: list[str]) -> None:
    """The counter the test above relies on does see the writes an accepted request makes."""
    headers = {"idempotency-key": "5b0c3f0e-8d7a-4c52-a1f4-6f1e2d3c4b5a"}

    assert api.call("POST", "/api-keys", headers=headers, body=VALID)[0] == 201

    assert dynamodb_writes == ["PutItem", "TransactWriteItems", "UpdateItem"]
