"""The API's OpenAPI document, generated from the code: every HTTP function's Powertools resolver
(routes, pydantic request and response models) merged with Powertools' ``OpenAPIMerge``, plus
what the resolvers cannot know: the security schemes, and the problem+json errors each
operation can answer (the authorizer's 401, the scope check's 403, API Gateway's 429, ...).

``python -m local_runtime.openapi`` writes ``openapi.json`` at the project root (``make
openapi``); ``--check`` only says whether the committed file is current. The local runtime
serves the committed file, with Swagger UI beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from local_runtime.template import PROJECT_ROOT, Template

DOCUMENT_PATH = PROJECT_ROOT / "openapi.json"
BASE_PATH = "/api/v1/integration"
TITLE = "integration"
API_VERSION = "1.0.0"
DESCRIPTION = (
    "Multi-tenant API keys, outbound webhooks and their delivery log. Every operation needs a "
    "credential: an API key (`intk_...`) as `Authorization: Bearer` or `X-Api-Key`, or, where the "
    "deployment names an OIDC issuer, a JWT as `Authorization: Bearer`. Errors are RFC 9457 "
    "`application/problem+json`."
)

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`intk_...`), or a JWT from the deployment's OIDC issuer.",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "An API key (`intk_...`)."},
}

PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For 422 (and 400): one entry per wrong field.",
            "items": {
                "type": "object",
                "required": ["field", "message", "type"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
}
# API Gateway's own answers (401 from the authorizer, 429 from throttling) are not problems.
GATEWAY_MESSAGE_SCHEMA = {
    "title": "GatewayMessage",
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}

ERROR_DESCRIPTIONS = {
    "400": "The body is not valid JSON (or not UTF-8).",
    "401": "No credential, or one that is malformed, unknown, revoked or expired (answered by API Gateway).",
    "403": "The credential lacks the operation's scope.",
    "404": "No such resource for this tenant.",
    "409": "The resource's state or a quota does not allow it.",
    "412": "`If-Match` names a version that is no longer current.",
    "413": "The body is over 16 KiB.",
    "415": "The body is not `application/json`.",
    "422": "A field is wrong, or the body nests deeper than 32 levels or writes a number over 64 characters; `errors` names each one.",
    "429": "Too many requests (API Gateway throttling).",
    "500": "Something went wrong on our side.",
}
# Beyond the errors every operation may answer: per operation (method, path as in the document).
EXTRA_ERRORS: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/webhooks"): ("409",),
    ("put", "/webhooks/{webhook_id}"): ("412",),
    ("delete", "/webhooks/{webhook_id}"): ("412",),
    ("post", "/webhooks/{webhook_id}/test"): ("409",),
    ("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): ("409",),
}


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _error_codes(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    codes = ["401", "403", "422", "429", "500"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "patch"):
        codes += ["400", "413", "415"]  # a body may be sent even where none is needed
    codes += EXTRA_ERRORS.get((method, path), ())
    return sorted(set(codes))


def build_document(template: Template | None = None) -> dict[str, Any]:
    """The merged OpenAPI document of every route in template.yaml."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    template = template or Template.load()
    merge = OpenAPIMerge(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        servers=[{"url": BASE_PATH}],  # type: ignore[list-item]
        on_conflict="error",
    )
    summaries: dict[tuple[str, str], str] = {}
    idempotent: set[tuple[str, str]] = set()
    functions = template.functions()
    for route in template.routes():
        function = functions[route.function]
        module = _load(function.code_uri / "app.py", f"openapi_{route.function}")
        schema = module.app.get_openapi_schema()
        merge.add_schema(schema)
        # The module docstring's first paragraph: "METHOD /path: what it does."
        headline = " ".join((module.__doc__ or route.route_key).strip().split("\n\n")[0].split())
        for path, operations in schema.model_dump(by_alias=True, exclude_none=True, mode="json").get("paths", {}).items():
            for method in operations:
                summaries[(method, path)] = headline.split(": ", 1)[-1].rstrip(".")
                if module.app.idempotent:
                    idempotent.add((method, path))
    document = json.loads(merge.get_openapi_json_schema())
    return _finish(document, summaries, idempotent)


# Operations whose 200 carries the webhook's version (see README, Concurrency).
ETAG_RESPONSES = {("get", "/webhooks/{webhook_id}"), ("put", "/webhooks/{webhook_id}")}
ETAG_HEADER = {
    "description": "The webhook's version, a strong entity tag: send it back in `If-Match`.",
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}

IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "A unique key (e.g. a UUID) that makes the request safe to retry: the same key with the same "
        "request from the same credential answers the first success again (with `Idempotent-Replayed: true`) "
        "for 24 hours, once the credential has passed the operation's scope check; with another request, 422; "
        "while the first runs, 409. The same key from another credential is another key."
    ),
    "schema": {"type": "string", "minLength": 16, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def _finish(document: dict[str, Any], summaries: dict[tuple[str, str], str], idempotent: set[tuple[str, str]]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["GatewayMessage"] = GATEWAY_MESSAGE_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    components["responses"] = {
        code: {
            "description": description,
            "content": {
                ("application/json" if code in ("401", "429") else "application/problem+json"): {
                    "schema": {"$ref": "#/components/schemas/" + ("GatewayMessage" if code in ("401", "429") else "Problem")}
                }
            },
        }
        for code, description in ERROR_DESCRIPTIONS.items()
    }
    document["security"] = [{"bearer": []}, {"apiKey": []}]
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            operation["summary"] = summaries.get((method, path), operation.get("summary", ""))
            if (method, path) in idempotent:
                operation["parameters"] = [*operation.get("parameters", []), IDEMPOTENCY_KEY_PARAMETER]
            if (method, path) in ETAG_RESPONSES:
                operation["responses"]["200"]["headers"] = {"ETag": ETAG_HEADER}
            responses = {code: body for code, body in operation.get("responses", {}).items() if not code.startswith(("4", "5"))}
            for code in _error_codes(method, path, operation) + (["409"] if (method, path) in idempotent else []):
                responses[code] = {"$ref": f"#/components/responses/{code}"}
            operation["responses"] = dict(sorted(responses.items()))
    return document


OPENAPI_ROUTE = BASE_PATH + "/openapi.json"
SWAGGER_ROUTE = BASE_PATH + "/swagger"


def documentation(method: str, path: str) -> tuple[str, bytes] | None:
    """What the local runtime serves without authentication: the committed ``openapi.json`` and
    Swagger UI for it (self-contained: Powertools ships the Swagger UI bundle). (content type,
    body), or None for any other request."""
    if method not in ("GET", "HEAD"):
        return None
    if path == OPENAPI_ROUTE:
        return "application/json", DOCUMENT_PATH.read_bytes()
    if path == SWAGGER_ROUTE:
        from aws_lambda_powertools.event_handler.openapi.swagger_ui import html

        assets = Path(html.__file__).parent
        page = html.generate_swagger_html(
            spec=DOCUMENT_PATH.read_text(encoding="utf-8"),
            swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            swagger_base_url="",
            oauth2_config=None,
        )
        return "text/html; charset=utf-8", page.encode("utf-8")
    return None


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or check) openapi.json from the code.")
    parser.add_argument("--check", action="store_true", help="exit 1 if openapi.json is not what the code generates")
    arguments = parser.parse_args(argv)
    text = render(build_document())
    if arguments.check:
        current = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else ""
        if current != text:
            print("openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        print("openapi.json is current")
        return 0
    DOCUMENT_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
