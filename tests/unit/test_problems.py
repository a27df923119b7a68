"""Validation errors as problem+json ``errors``: the field named as the client wrote it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from integration.entrypoints.http.problems import PROBLEM_CONTENT_TYPE, field_errors, problem_body, problem_json
from integration.entrypoints.http.schemas.api_keys import CreateApiKeyRequest


@pytest.mark.parametrize(
    "loc, field",
    [
        pytest.param(("body", "name"), "name", id="body-field"),
        pytest.param(("body", "scopes", 0), "scopes[0]", id="list-item"),
        pytest.param(("body", "scopes", 2), "scopes[2]", id="later-list-item"),
        pytest.param(("body", "filter", "events", 1), "filter.events[1]", id="nested-object-and-list"),
        pytest.param(("body",), "body", id="whole-body"),
        pytest.param(("query", "limit"), "limit", id="query-parameter"),
        pytest.param(("path", "id"), "id", id="path-parameter"),
        pytest.param(("header", "x-request-id"), "x-request-id", id="header"),
    ],
)
def test_a_validation_error_names_the_field_where_the_client_sent_it(loc: tuple[Any, ...], field: str) -> None:
    errors = field_errors([{"loc": loc, "msg": "Field required", "type": "missing"}])

    assert errors == [{"field": field, "message": "Field required", "type": "missing"}]


def test_invalid_json_is_reported_on_the_body_with_the_parser_message() -> None:
    errors = field_errors([{"loc": ("body", 12), "msg": "JSON decode error", "type": "json_invalid", "ctx": {"error": "Expecting value"}}])

    assert errors == [{"field": "body", "message": "is not valid JSON: Expecting value", "type": "json_invalid"}]


def test_every_error_of_a_real_request_model_is_reported_in_order() -> None:
    with pytest.raises(ValidationError) as invalid:
        CreateApiKeyRequest.model_validate({"scopes": ["api-keys:read", 7], "colour": "red"})
    raw = [{**error, "loc": ("body", *error["loc"])} for error in invalid.value.errors()]

    fields = [error["field"] for error in field_errors(raw)]

    assert fields == ["name", "scopes[1]", "colour"]


def test_a_problem_has_type_title_status_and_detail_and_errors_only_when_given() -> None:
    plain = problem_body(404, "not-found", "API key key_1 was not found")
    with_errors = json.loads(problem_json(422, "validation-error", "the request is not valid", [{"field": "name", "message": "x", "type": "missing"}]))

    assert PROBLEM_CONTENT_TYPE == "application/problem+json"
    assert plain == {"type": "urn:integration:problem:not-found", "title": "Not Found", "status": 404, "detail": "API key key_1 was not found"}
    assert with_errors["title"] == "Unprocessable Entity"
    assert with_errors["errors"] == [{"field": "name", "message": "x", "type": "missing"}]


def test_every_domain_error_answers_its_own_status_and_an_unknown_one_a_400() -> None:
    from integration.domain import errors
    from integration.entrypoints.http import resolver as http

    class SomethingNew(errors.DomainError):
        pass

    def status_of(error: errors.DomainError) -> tuple[int, str]:
        status, slug, _, _ = http._problem_of(error)
        return status, slug

    assert status_of(errors.InvalidFieldError("name", "must not be blank")) == (422, "validation-error")
    assert status_of(errors.AuthenticationError("expired API key")) == (401, "unauthorized")
    assert status_of(errors.PermissionDeniedError("no")) == (403, "forbidden")
    assert status_of(errors.NotFoundError("webhook", "wh_1")) == (404, "not-found")
    assert status_of(errors.ConflictError("disabled")) == (409, "conflict")
    assert status_of(errors.LimitExceededError("50 webhooks")) == (409, "limit-exceeded")
    assert status_of(errors.PreconditionFailedError("stale")) == (412, "precondition-failed")
    assert status_of(SomethingNew("?")) == (400, "bad-request")
    assert http._problem_of(errors.AuthenticationError("unknown API key"))[2] == "authenticate with an API key"  # never why
