"""The resolver every HTTP function uses: the order a request goes through, and the error mapping.

Each function makes its app with :func:`create_app`, naming the scope its one route needs and,
when it honours ``Idempotency-Key``, where the records are kept; it registers the route and
exports ``lambda_handler = http_entry_point(app.resolve)``. Every request then goes:

1. **precheck**: what no route should parse is refused, with nothing written: an oversized
   body (413), one that is not JSON (415), not UTF-8 (400), nested deeper than
   :data:`MAX_JSON_DEPTH` or holding a number longer than :data:`MAX_JSON_NUMBER_LENGTH` (422),
   or an array (422);
2. **authorize**: the caller the authorizer established, checked for the route's scope
   (401, 403); or, on a route for the platform's own services (``create_app(IAM_CALLERS)``),
   the IAM principal API Gateway verified the SigV4 signature of (403 without one);
3. **idempotency** (POSTs that create or act): a stored response is answered again only now,
   to the credential that made it (see :mod:`integration.entrypoints.http.idempotency`);
4. **route**: validation of the parameters and body (422), then the handler.

Errors become ``application/problem+json`` here, in one table (:data:`PROBLEMS`), so handlers
stay: parse, call one use case, answer.

:func:`http_entry_point` primes the app at the function's import when INIT runs ahead of any
request (a SnapStart snapshot, provisioned concurrency: :attr:`Settings.primes_at_init`):
:meth:`IntegrationResolver.prime` answers two synthetic requests that run no handler and make no
AWS call, so that the first real request finds the route's middleware stack, the validation
models and the JSON encoder ready.
"""

from __future__ import annotations

import base64
import re
import typing
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from integration.domain.errors import (
    AuthenticationError,
    ConflictError,
    DomainError,
    InvalidFieldError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
)
from integration.domain.principal import Principal
from integration.entrypoints.http.credentials import principal_from_authorizer_context
from integration.entrypoints.http.headers import header
from integration.entrypoints.http.problems import PROBLEM_CONTENT_TYPE, field_errors, problem_json, problem_response
from integration.observability import logger, metrics
from integration.settings import settings

BASE_PATH = "/api/v1/integration"
MAX_BODY_BYTES = 16 * 1024
MAX_JSON_DEPTH = 32
"""Arrays and objects nested deeper than this are refused before any parser sees the body."""
MAX_JSON_NUMBER_LENGTH = 64
"""A number written with more characters than this (sign, digits, point, exponent) is refused."""

# One left-to-right pass over the body: strings (an unterminated one runs to the end, so no
# position is read twice), brackets, and the characters numbers are written with.
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]|[-+0-9.eE]+')

# Each domain error answers one status and problem type (looked up along the error's classes).
PROBLEMS: dict[type[DomainError], tuple[int, str]] = {
    InvalidFieldError: (422, "validation-error"),
    AuthenticationError: (401, "unauthorized"),
    PermissionDeniedError: (403, "forbidden"),
    NotFoundError: (404, "not-found"),
    ConflictError: (409, "conflict"),
    LimitExceededError: (409, "limit-exceeded"),
    PreconditionFailedError: (412, "precondition-failed"),
    DomainError: (400, "bad-request"),
}


def problem(status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    return Response(status_code=status, content_type=PROBLEM_CONTENT_TYPE, body=problem_json(status, slug, detail, errors))


def _problem_of(error: DomainError) -> tuple[int, str, str, list[dict[str, str]] | None]:
    status, slug = next(PROBLEMS[cls] for cls in type(error).__mro__ if cls in PROBLEMS)
    if isinstance(error, InvalidFieldError):
        errors = [{"field": field, "message": message, "type": "invalid"} for field, message in error.errors]
        return status, slug, "the request is not valid", errors
    if isinstance(error, AuthenticationError):
        return status, slug, "authenticate with an API key", None
    return status, slug, str(error), None


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except ValueError:
            return body.encode("utf-8")
    return body.encode("utf-8")


def _shape_refusal(body: bytes) -> tuple[str, str] | None:
    """``(type, message)`` when the body nests too deep or writes an over-long number: Python's
    parser would exhaust its recursion (a 500) or refuse to convert the number (a 500 too)."""
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        text = token.group()
        if text in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return "too_deep", f"nests arrays and objects more than {MAX_JSON_DEPTH} levels deep"
        elif text in (b"]", b"}"):
            depth -= 1
        elif text[:1] != b'"' and len(text) > MAX_JSON_NUMBER_LENGTH:
            return "number_too_long", f"holds a number longer than {MAX_JSON_NUMBER_LENGTH} characters"
    return None


def _precheck(event: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse what no route should parse (see the module doc); None when the body may go on."""
    body = _body_bytes(event)
    headers = event.get("headers") or {}
    content_type = header(headers, "content-type") or "application/json"
    media_type = content_type.split(";")[0].strip().lower()
    is_json = media_type == "application/json" or media_type.endswith("+json")
    if is_json:
        # Media types are case-insensitive, and application/merge-patch+json is JSON too;
        # Powertools' body parser compares the header with application/json as written.
        headers["content-type"] = "application/json"
    if not body:
        return None
    if len(body) > MAX_BODY_BYTES:
        return problem_response(413, "payload-too-large", f"the request body must be at most {MAX_BODY_BYTES} bytes")
    if not is_json:
        return problem_response(415, "unsupported-media-type", "send the request body as application/json")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # JSON is UTF-8 (RFC 8259); Powertools would fail with a 500
        return problem_response(400, "malformed-json", "the request body is not valid JSON: it is not UTF-8")
    refused = _shape_refusal(body)
    if refused is not None:
        kind, message = refused
        return problem_response(
            422, "validation-error", "the request is not valid", [{"field": "body", "message": message, "type": kind}]
        )
    if body.lstrip()[:1] == b"[":
        # Powertools would validate only the first element of a JSON array.
        return problem_response(
            422,
            "validation-error",
            "the request body must be a JSON object",
            [{"field": "body", "message": "must be a JSON object", "type": "model_type"}],
        )
    return None


class Callers(Enum):
    """Who may call a route other than a tenant's credential."""

    IAM = "iam"
    """AWS principals that signed the request with SigV4 (the route's ``Auth: Authorizer:
    AWS_IAM``): API Gateway checked the signature and passes ``requestContext.authorizer.iam``."""


IAM_CALLERS = Callers.IAM
"""``create_app(IAM_CALLERS)``: a route for the platform's own services, never for tenants."""


def iam_caller(event: dict[str, Any]) -> dict[str, Any] | None:
    """``requestContext.authorizer.iam`` (accessKey, accountId, userArn, ...), or None."""
    found = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam")
    return found if isinstance(found, dict) and found.get("accessKey") and found.get("accountId") else None


class IntegrationResolver(APIGatewayHttpResolver):
    """APIGatewayHttpResolver with validation on, and the order of the module doc around the route.

    ``scope``: what the route needs (None: any authenticated caller, for public reads;
    :data:`IAM_CALLERS`: a SigV4-signed AWS principal, no tenant).
    ``idempotency``: where ``Idempotency-Key`` records are kept (None: the header is ignored).
    """

    def __init__(self, scope: str | Callers | None, *, idempotency: Callable[[], Any] | None) -> None:
        super().__init__(enable_validation=True, strip_prefixes=[BASE_PATH])
        self.scope = scope
        self._idempotency = idempotency
        self._principal: Principal | None = None
        self._priming = False
        self._respond_once = None
        if idempotency is not None:  # at the function's import, during INIT
            from integration.entrypoints.http.idempotency import respond_once

            self._respond_once = respond_once

    @property
    def idempotent(self) -> bool:
        """Whether the route honours ``Idempotency-Key``."""
        return self._idempotency is not None

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        refused = _precheck(event)
        if refused is not None:
            return refused
        if self.scope is Callers.IAM:
            if iam_caller(event) is None:
                return problem_response(
                    403, "forbidden", "this operation is for the platform's services: sign the request with AWS SigV4"
                )
            return super().resolve(event, context)
        try:
            principal = principal_from_authorizer_context(
                ((event.get("requestContext") or {}).get("authorizer") or {}).get("lambda")
            )
            if isinstance(self.scope, str):
                principal.require(self.scope)
        except (AuthenticationError, PermissionDeniedError) as error:
            return problem_response(*_problem_of(error))
        self._principal = principal
        try:
            if self._respond_once is not None and self._idempotency is not None:
                route = lambda: APIGatewayHttpResolver.resolve(self, event, context)
                return self._respond_once(event, context, principal, route, self._idempotency())
            return super().resolve(event, context)
        finally:
            self._principal = None

    def principal(self) -> Principal:
        """The caller of the request being answered, already checked for the route's scope."""
        if self._principal is None:
            raise AuthenticationError("no authenticated caller on this request")
        return self._principal

    def prime(self) -> None:
        """Answer two synthetic requests to the route, at INIT: no handler runs, no AWS call.

        The first, without a caller, is refused by the authorize step (401, or 403 on an IAM
        route). The second goes through Powertools past that step: routing, the middleware stack
        (built once per route), request validation with pydantic (an empty JSON object as the
        body, placeholders as path parameters; a 422 is as good), then :func:`_stop_priming`
        answers in the handler's place, through the JSON encoder. No metric, trace or log line.
        Then the models the route answers with (its return annotation, with the models their
        fields name and the views they extend), built on first use otherwise, are built, and
        the idempotency store is made.
        """
        if self._idempotency is not None:
            self._idempotency()
        for route in self._static_routes + self._dynamic_routes:
            for model in _models(typing.get_type_hints(route.func).get("return")):
                if not model.__pydantic_complete__:
                    model.model_rebuild(force=True)
            path = BASE_PATH + re.sub(r"<[^>]*>", "primed", route.path)
            has_body = route.method in ("POST", "PUT", "PATCH")
            event: dict[str, Any] = {
                "version": "2.0",
                "routeKey": f"{route.method} {path}",
                "rawPath": path,
                "rawQueryString": "",
                "headers": {"content-type": "application/json"} if has_body else {},
                "requestContext": {"http": {"method": route.method, "path": path}, "requestId": "priming", "stage": "$default"},
                "body": "{}" if has_body else None,
                "isBase64Encoded": False,
            }
            self.resolve({**event, "headers": dict(event["headers"])}, None)
            self._priming = True
            try:
                APIGatewayHttpResolver.resolve(self, event, None)
            finally:
                self._priming = False


def _models(annotation: Any, seen: set[type[BaseModel]] | None = None) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation names (``Response[WebhookView]``, unions, lists), each
    with the models its fields name and the models it extends (a view's ``of`` may build the
    view it extends): each builds its own validator on first use."""
    seen = set() if seen is None else seen
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
        seen.add(annotation)
        yield annotation
        for base in annotation.__mro__[1:]:
            if issubclass(base, BaseModel) and base.model_fields:
                yield from _models(base, seen)
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
    for argument in typing.get_args(annotation):
        yield from _models(argument, seen)


def _stop_priming(app: IntegrationResolver, next_middleware: Callable[..., Any]) -> Any:
    """Every route's middleware, after request validation: answers in the handler's place while
    :meth:`IntegrationResolver.prime` runs; otherwise calls on."""
    if app._priming:
        return problem(401, "unauthorized", "authenticate with an API key")
    return next_middleware(app)


def create_app(scope: str | Callers | None, *, idempotency: Callable[[], Any] | None = None) -> IntegrationResolver:
    """The resolver for one function's route: ``scope`` is what the route needs (None: any
    authenticated caller; :data:`IAM_CALLERS`: only an AWS principal API Gateway checked the
    SigV4 signature of, the route's ``Auth: Authorizer: AWS_IAM``); ``idempotency`` makes the store ``Idempotency-Key`` records are kept
    in (:func:`integration.wiring.idempotency_store`), for routes that create or act."""
    app = IntegrationResolver(scope, idempotency=idempotency)
    app.use([_stop_priming])

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        errors = field_errors(error.errors())
        if any(item["type"] == "json_invalid" for item in errors):
            return problem(400, "malformed-json", "the request body is not valid JSON", errors)
        return problem(422, "validation-error", "the request is not valid", errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_media_type(error: RequestUnsupportedContentType) -> Response:
        return problem(415, "unsupported-media-type", "send the request body as application/json")

    @app.exception_handler(DomainError)
    def _refused(error: DomainError) -> Response:
        return problem(*_problem_of(error))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unhandled error")
        return problem(500, "internal-error", "something went wrong on our side; retry later")

    @app.not_found
    def _no_route(error: Exception) -> Response:
        return problem(404, "not-found", "no such route")

    return app


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def http_entry_point(resolve: Handler) -> Handler:
    """Wrap an API function: correlation id = the API Gateway request id, traced, metrics flushed.
    When ``resolve`` is an :class:`IntegrationResolver`'s and INIT runs ahead of any request, the
    app is primed first, by calling ``resolve`` itself, never the wrapped handler: no ``ColdStart``
    metric from INIT.

    The event itself is never logged: it carries the caller's Authorization header.
    """
    from integration.entrypoints import snapstart  # its after-restore hook, under SnapStart
    from integration.tracing import tracer  # at the function's import, during INIT

    app = getattr(resolve, "__self__", None)
    if isinstance(app, IntegrationResolver) and settings().primes_at_init:
        app.prime()
        snapstart.import_first_use_modules()

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return resolve(event, context)

    return lambda_handler
