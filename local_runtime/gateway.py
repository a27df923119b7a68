"""An HTTP API Gateway stand-in: route (from template.yaml), authorize, invoke, answer.

Answers as API Gateway does where the function does not: 404 ``{"message":"Not Found"}`` for
an unknown route, 401 ``{"message":"Unauthorized"}`` when the authorizer raises
``Unauthorized``, 403 ``{"message":"Forbidden"}`` when it returns ``isAuthorized: false``, and
500 ``{"message":"Internal Server Error"}`` when a function fails.

A route with ``Auth: Authorizer: NONE`` (the console's files) reaches its function with no
credential checked. A route with IAM authorization (``Auth: Authorizer: AWS_IAM``) skips the Lambda authorizer: the
request must be signed with SigV4 by the runtime's credentials (:mod:`local_runtime.sigv4`), or
it is answered 403 ``{"message":"Forbidden"}``; the function gets the signer in
``requestContext.authorizer.iam``.

Request headers reach the authorizer and the function as an HTTP API passes them (payload 2.0):
names lower-cased, a repeated header as one comma-joined value (two ``X-Api-Key`` headers are
``"k1,k2"``, which no key matches), cookies in ``cookies`` rather than a ``cookie`` header.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from local_runtime import output
from local_runtime.events import Headers, authorizer_event, combine_headers, http_api_event
from local_runtime.lambda_context import LocalLambdaContext
from local_runtime.openapi import documentation
from local_runtime.sigv4 import SigV4Checker
from local_runtime.template import Function, Route, Template


@dataclass
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    function: str | None = None
    cookies: tuple[str, ...] = ()


def _gateway_error(status: int, message: str) -> GatewayResponse:
    return GatewayResponse(status, {"content-type": "application/json"}, json.dumps({"message": message}).encode())


class Invocable(Protocol):
    def invoke(self, event: dict[str, Any]) -> Any: ...


# In process (tests): one invocation at a time across all functions, since they share this
# process (environment, boto3's default session, Powertools' logger and resolver state), which
# Lambda never shares between two concurrent invocations. boto3's default session is not safe
# for concurrent client creation, for one. ``make run`` runs each function in processes of its
# own instead (local_runtime.workers), side by side.
_INVOCATION_LOCK = threading.Lock()


class LoadedFunction:
    """One function's handler, imported once into this process, invoked one at a time (what
    the handler tests use; ``make run`` uses :class:`local_runtime.workers.FunctionInstances`)."""

    def __init__(self, function: Function) -> None:
        self.function = function
        self._lock = _INVOCATION_LOCK
        self._handler: Any = None

    def _load(self) -> Any:
        module_name, handler_name = self.function.handler.rsplit(".", 1)
        path = self.function.code_uri / f"{module_name.replace('.', '/')}.py"
        spec = importlib.util.spec_from_file_location(f"local_{self.function.logical_id}_{module_name}", path)
        assert spec is not None and spec.loader is not None
        module: ModuleType = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, handler_name)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            if self._handler is None:
                self._handler = self._load()
            return self._handler(event, LocalLambdaContext(self.function.logical_id, self.function.timeout))


class Gateway:
    """``functions``: how to invoke each function of the template, by logical id (``make run``:
    its instances, in processes of their own); by default each is imported into this process.
    ``sigv4``: who may call the IAM-authorized routes; by default this process's
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` in ``AWS_REGION`` (what the runtime prints)."""

    def __init__(
        self, template: Template, functions: Mapping[str, Invocable] | None = None, sigv4: SigV4Checker | None = None
    ) -> None:
        self.routes: list[Route] = template.routes()
        self.functions: Mapping[str, Invocable] = (
            functions
            if functions is not None
            else {name: LoadedFunction(function) for name, function in template.functions().items()}
        )
        self.authorizer = template.authorizer_function()
        self.sigv4 = sigv4 or SigV4Checker(
            access_key=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        )

    def handle(self, method: str, path: str, query: str, headers: Headers, body: bytes) -> GatewayResponse:
        """``headers``: as received, (name, value) pairs where a name may repeat; the authorizer
        and the function get them as API Gateway passes them on (repeated headers joined with
        commas, cookies in ``cookies``: :func:`~local_runtime.events.combine_headers`)."""
        headers = headers if isinstance(headers, Mapping) else list(headers)
        served = documentation(method, path)  # the API's description needs no credential
        if served is not None:
            content_type, document = served
            return GatewayResponse(200, {"content-type": content_type}, document)
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                break
        else:
            return _gateway_error(404, "Not Found")

        authorizer_context = None
        iam_caller = None
        if route.iam_authorized:
            combined, _ = combine_headers(headers)
            iam_caller = self.sigv4.caller(method, path, query, combined, body)
            if iam_caller is None:
                return _gateway_error(403, "Forbidden")
        elif self.authorizer is not None and not route.public:
            event = authorizer_event(method, path, route_key=route.route_key, headers=headers, query=query)
            try:
                decision = self.functions[self.authorizer].invoke(event)
            except Exception as error:  # noqa: BLE001 - API Gateway maps any authorizer failure
                if str(error) == "Unauthorized":
                    return _gateway_error(401, "Unauthorized")
                output.error(f"local runtime: authorizer failed: {error!r}")
                return _gateway_error(500, "Internal Server Error")
            if not decision.get("isAuthorized"):
                return _gateway_error(403, "Forbidden")
            authorizer_context = decision.get("context", {})

        event = http_api_event(
            method,
            path,
            route_key=route.route_key,
            path_parameters=parameters or None,
            headers=headers,
            query=query,
            body=body or None,
            authorizer_context=authorizer_context,
            iam_caller=iam_caller,
        )
        try:
            result = self.functions[route.function].invoke(event)
        except Exception as error:  # noqa: BLE001 - a crashed function is a 500 at the gateway
            output.error(f"local runtime: {route.function} failed: {error!r}")
            return _gateway_error(500, "Internal Server Error")
        return _to_gateway_response(result, route.function)


def _to_gateway_response(result: Any, function: str) -> GatewayResponse:
    """Payload 2.0 response rules: a dict with statusCode is a full response, anything else is a JSON 200."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return GatewayResponse(200, {"content-type": "application/json"}, json.dumps(result).encode(), function)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = {name.lower(): str(value) for name, value in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(values)
    return GatewayResponse(int(result["statusCode"]), headers, raw, function, tuple(result.get("cookies") or ()))


def timed(gateway: Gateway, *args: Any) -> tuple[GatewayResponse, float]:
    started = time.perf_counter()
    response = gateway.handle(*args)
    return response, (time.perf_counter() - started) * 1000
