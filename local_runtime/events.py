"""HTTP API (payload format 2.0) events as API Gateway builds them, for the runtime and tests."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

ACCOUNT_ID = "123456789012"
API_ID = "local"

# Request headers: (name, value) pairs in the order received, as the local server reads them off
# the wire (a name may repeat, in any case); or a mapping, one header a name, as tests build them.
Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def combine_headers(headers: Headers | None) -> tuple[dict[str, str], list[str]]:
    """Request headers as an HTTP API (payload format 2.0) passes them on: ``(headers, cookies)``.

    Names are lower-cased. A header received more than once (in any case) becomes one value, the
    values joined with commas in the order received ("Duplicate headers are combined with
    commas"): two ``X-Api-Key`` headers arrive as ``"k1,k2"``. ``Cookie`` headers are left out of
    ``headers``; their cookies (``name=value`` each, split on ``;``) make the ``cookies`` list.
    A mapping has one header a name: where two keys differ only in case, the later one is taken
    (``{"content-type": "application/json", **overrides}`` overrides, as callers expect).
    """
    if isinstance(headers, Mapping):
        pairs: Iterable[tuple[str, str]] = {name.lower(): value for name, value in headers.items()}.items()
    else:
        pairs = headers or ()
    combined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in pairs:
        lowered = name.lower()
        if lowered == "cookie":
            cookies += [cookie.strip() for cookie in value.split(";") if cookie.strip()]
        elif lowered in combined:
            combined[lowered] = f"{combined[lowered]},{value}"
        else:
            combined[lowered] = value
    return combined, cookies


def _request_context(method: str, path: str, route_key: str, source_ip: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "accountId": ACCOUNT_ID,
        "apiId": API_ID,
        "domainName": "localhost",
        "domainPrefix": "localhost",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": ""},
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(time.time() * 1000),
    }


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str,
    path_parameters: dict[str, str] | None = None,
    headers: Headers | None = None,
    query: str = "",
    body: bytes | str | None = None,
    authorizer_context: dict[str, Any] | None = None,
    iam_caller: dict[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event a function behind an HTTP API route receives.

    Headers are lower-cased, repeated headers and query parameters comma-joined and cookies
    moved to ``cookies`` (see :func:`combine_headers`), as API Gateway does. A body that is not
    UTF-8 text is base64-encoded. ``authorizer_context``: what a Lambda authorizer answered
    (``requestContext.authorizer.lambda``); ``iam_caller``: the SigV4 signer of a route with IAM
    authorization (``requestContext.authorizer.iam``).
    """
    lowered, cookies = combine_headers(headers)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": _request_context(method, path, route_key, source_ip),
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    lowered.setdefault("user-agent", "")
    event["requestContext"]["http"]["userAgent"] = lowered["user-agent"]
    if query:
        parameters: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
        event["queryStringParameters"] = parameters
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        try:
            event["body"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(raw).decode("ascii")
            event["isBase64Encoded"] = True
    if authorizer_context is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorizer_context}
    if iam_caller is not None:
        event["requestContext"]["authorizer"] = {"iam": iam_caller}
    return event


def authorizer_event(
    method: str, path: str, *, route_key: str, headers: Headers | None = None, query: str = ""
) -> dict[str, Any]:
    """The event a REQUEST authorizer (payload 2.0) receives for a request to ``route_key``:
    headers combined as for the function (:func:`combine_headers`)."""
    request = http_api_event(method, path, route_key=route_key, headers=headers, query=query)
    event = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/$default/{method}{path}",
        "identitySource": [],
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": request["headers"],
        "queryStringParameters": request.get("queryStringParameters", {}),
        "requestContext": request["requestContext"],
    }
    if "cookies" in request:
        event["cookies"] = request["cookies"]
    return event
