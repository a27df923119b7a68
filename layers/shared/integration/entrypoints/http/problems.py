"""RFC 9457 problem details: every error this API answers is ``application/problem+json``."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:integration:problem:"


def problem_body(status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_json(status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None) -> str:
    return json.dumps(problem_body(status, slug, detail, errors), separators=(",", ":"))


def problem_response(status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A whole API Gateway answer (payload 2.0) carrying the problem, for refusals made before routing."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE},
        "body": problem_json(status, slug, detail, errors),
        "isBase64Encoded": False,
    }


def field_errors(validation_errors: Any) -> list[dict[str, str]]:
    """Pydantic / Powertools validation errors as ``{"field": "scopes[0]", "message": ...}``.

    The location's first element says where the field came from (body, query, path); it is
    dropped for the body so that the field reads as the client wrote it.
    """
    errors = []
    for error in validation_errors:
        location = list(error.get("loc", ()))
        if location and location[0] == "body":
            location = location[1:]
        elif location and location[0] in ("query", "path", "header"):
            location = location[1:]
        field = ""
        for part in location:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        if error.get("type") == "json_invalid":
            field, message = "body", f"is not valid JSON: {error.get('ctx', {}).get('error', 'decode error')}"
        else:
            message = error.get("msg", "is invalid")
        errors.append({"field": field or "body", "message": message, "type": str(error.get("type", "invalid"))})
    return errors
