"""The resolver every HTTP function uses, with this API's error mapping and request limits.

Each function registers its one route on :func:`create_app`'s resolver. Errors become
``application/problem+json`` here, in one place, so handlers stay: parse, call one use case,
answer.
"""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError

from integration.api.problems import PROBLEM_CONTENT_TYPE, field_errors, problem_json
from integration.domain.errors import (
    AuthenticationError,
    ConflictError,
    InvalidFieldError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from integration.domain.principal import Principal
from integration.observability import logger

BASE_PATH = "/api/v1/integration"
MAX_BODY_BYTES = 16 * 1024


def problem(status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    return Response(status_code=status, content_type=PROBLEM_CONTENT_TYPE, body=problem_json(status, slug, detail, errors))


def problem_response(status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": PROBLEM_CONTENT_TYPE},
        "body": problem_json(status, slug, detail, errors),
        "isBase64Encoded": False,
    }


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except ValueError:
            return body.encode("utf-8")
    return body.encode("utf-8")


def _precheck(event: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse what no route should parse: oversized (413), non-JSON (415) and array (422) bodies."""
    body = _body_bytes(event)
    if not body:
        return None
    if len(body) > MAX_BODY_BYTES:
        return problem_response(413, "payload-too-large", f"the request body must be at most {MAX_BODY_BYTES} bytes")
    headers = event.get("headers") or {}
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), "application/json")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        return problem_response(415, "unsupported-media-type", "send the request body as application/json")
    # Media types are case-insensitive; Powertools' body parser compares them as written.
    headers["content-type"] = "application/json"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # JSON is UTF-8 (RFC 8259); Powertools would fail with a 500
        return problem_response(400, "malformed-json", "the request body is not valid JSON: it is not UTF-8")
    if body.lstrip()[:1] == b"[":
        # Powertools would validate only the first element of a JSON array.
        return problem_response(
            422, "validation-error", "the request body must be a JSON object", [{"field": "body", "message": "must be a JSON object", "type": "model_type"}]
        )
    return None


class IntegrationResolver(APIGatewayHttpResolver):
    """APIGatewayHttpResolver with validation on and this API's limits applied before routing."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        refused = _precheck(event)
        if refused is not None:
            return refused
        return super().resolve(event, context)

    def principal(self, required_scope: str | None) -> Principal:
        """The caller as the authorizer established it, checked for ``required_scope`` (403).

        ``None``: any authenticated caller (for public, tenant-independent reads)."""
        context = self.current_event.request_context.authorizer.get_lambda or {}
        tenant_id = context.get("tenantId")
        if not tenant_id:
            raise AuthenticationError("no authenticated tenant on this request")
        principal = Principal(
            tenant_id=tenant_id,
            credential_id=context.get("credentialId", ""),
            scopes=frozenset(str(context.get("scopes", "")).split()),
        )
        if required_scope is not None:
            principal.require(required_scope)
        return principal


def create_app() -> IntegrationResolver:
    app = IntegrationResolver(enable_validation=True, strip_prefixes=[BASE_PATH])

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        errors = field_errors(error.errors())
        if any(item["type"] == "json_invalid" for item in errors):
            return problem(400, "malformed-json", "the request body is not valid JSON", errors)
        return problem(422, "validation-error", "the request is not valid", errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_media_type(error: RequestUnsupportedContentType) -> Response:
        return problem(415, "unsupported-media-type", "send the request body as application/json")

    @app.exception_handler(InvalidFieldError)
    def _invalid_field(error: InvalidFieldError) -> Response:
        errors = [{"field": field, "message": message, "type": "invalid"} for field, message in error.errors]
        return problem(422, "validation-error", "the request is not valid", errors)

    @app.exception_handler(NotFoundError)
    def _not_found(error: NotFoundError) -> Response:
        return problem(404, "not-found", str(error))

    @app.exception_handler(LimitExceededError)
    def _limit_exceeded(error: LimitExceededError) -> Response:
        return problem(409, "limit-exceeded", str(error))

    @app.exception_handler(ConflictError)
    def _conflict(error: ConflictError) -> Response:
        return problem(409, "conflict", str(error))

    @app.exception_handler(PreconditionFailedError)
    def _precondition_failed(error: PreconditionFailedError) -> Response:
        return problem(412, "precondition-failed", str(error))

    @app.exception_handler(PermissionDeniedError)
    def _forbidden(error: PermissionDeniedError) -> Response:
        return problem(403, "forbidden", str(error))

    @app.exception_handler(AuthenticationError)
    def _unauthenticated(error: AuthenticationError) -> Response:
        return problem(401, "unauthorized", "authenticate with an API key")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return problem(500, "internal-error", "something went wrong on our side; retry later")

    @app.not_found
    def _no_route(error: Exception) -> Response:
        return problem(404, "not-found", "no such route")

    return app
