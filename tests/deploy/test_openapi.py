"""openapi.json is the API's contract: generated from the code, committed, and kept equal."""

from __future__ import annotations

import json
from typing import Any

import pytest

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
    assert documented == {(route.method, route.path) for route in template.routes()}
    assert document["servers"] == [{"url": "/api/v1/integration"}]


def test_the_document_names_its_security_schemes_and_requires_one(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]


def test_every_error_is_a_documented_problem(document: dict[str, Any]) -> None:
    responses = document["components"]["responses"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "422", "429", "500"} <= codes, (method, path)
            assert ("404" in codes) == ("{" in path), (method, path)
            assert operation["summary"], (method, path)
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert response == {"$ref": f"#/components/responses/{code}"}
    for code in ("400", "403", "404", "409", "412", "413", "415", "422", "500"):
        assert "application/problem+json" in responses[code]["content"], code
    assert "HTTPValidationError" not in json.dumps(document)  # Powertools' default 422 shape is not ours
