"""The local runtime passes request headers on as an API Gateway HTTP API does (payload 2.0):
names lower-cased, a repeated header as ONE value joined with commas, cookies in ``cookies``.

So two ``X-Api-Key`` headers reach the authorizer as ``"k1,k2"`` (``"k,k"`` for the same key
twice), which no key matches: 401, as on AWS. Before, the local server kept the last value of
a repeated header, and authorized a request that AWS refuses.

The HTTP tests run the runtime's own server and gateway in process (the template's real
functions, on moto), and send repeated headers with http.client (urllib cannot).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_runtime.events import authorizer_event, combine_headers, http_api_event
from local_runtime.gateway import Gateway
from local_runtime.resources import Stack
from local_runtime.server import make_server
from local_runtime.template import Template
from tests.conftest import BASE, Api
from tests.integration.helpers import create_key

ROUTE = f"GET {BASE}/api-keys"


# ------------------------------------------------------------------ the events, without HTTP


def test_a_repeated_header_is_one_comma_joined_value_in_the_order_received() -> None:
    headers, cookies = combine_headers([("X-Api-Key", "k1"), ("Accept", "text/plain"), ("x-api-key", "k2"), ("X-API-KEY", "k3")])

    assert headers == {"x-api-key": "k1,k2,k3", "accept": "text/plain"}
    assert cookies == []


def test_the_same_header_twice_is_joined_too() -> None:
    assert combine_headers([("X-Api-Key", "k"), ("X-Api-Key", "k")])[0] == {"x-api-key": "k,k"}


def test_cookies_go_to_the_cookies_list_and_not_to_the_headers() -> None:
    headers, cookies = combine_headers([("Cookie", "a=1; b=2"), ("Accept", "*/*"), ("cookie", "c=3;")])

    assert headers == {"accept": "*/*"}
    assert cookies == ["a=1", "b=2", "c=3"]


def test_a_mapping_has_one_value_a_name_the_later_key_taking_over() -> None:
    headers, _ = combine_headers({"content-type": "application/json", "Content-Type": "text/plain", "X-Api-Key": "k"})

    assert headers == {"content-type": "text/plain", "x-api-key": "k"}


def test_the_authorizer_event_carries_the_joined_value_and_the_cookies() -> None:
    pairs = [("X-Api-Key", "k1"), ("X-Api-Key", "k2"), ("Cookie", "session=s")]

    event = authorizer_event("GET", f"{BASE}/api-keys", route_key=ROUTE, headers=pairs)

    assert event["headers"]["x-api-key"] == "k1,k2"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["session=s"]


def test_the_function_event_carries_the_joined_value_and_the_cookies() -> None:
    pairs = [("Accept", "application/json"), ("accept", "text/plain"), ("Cookie", "a=1"), ("Cookie", "b=2")]

    event = http_api_event("GET", f"{BASE}/api-keys", route_key=ROUTE, headers=pairs)

    assert event["headers"]["accept"] == "application/json,text/plain"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]


def test_an_event_without_cookies_has_no_cookies_field() -> None:
    assert "cookies" not in http_api_event("GET", f"{BASE}/api-keys", route_key=ROUTE, headers={"accept": "*/*"})
    assert "cookies" not in authorizer_event("GET", f"{BASE}/api-keys", route_key=ROUTE, headers={"accept": "*/*"})


# ------------------------------------------------------------------ the authorizer, on moto


def test_the_authorizer_refuses_a_comma_joined_key(api: Api) -> None:
    key = create_key(api)["key"]
    assert api.authorize({"x-api-key": key})["isAuthorized"] is True

    for value in (f"{key},{key}", f"{key}, {key}", f"{key},intk_nonsense", f"intk_nonsense,{key}"):
        with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway's contract is a bare Exception
            api.authorize({"x-api-key": value})
        assert str(raised.value) == "Unauthorized"
    with pytest.raises(Exception) as raised:  # noqa: PT011
        api.authorize({"authorization": f"Bearer {key},Bearer {key}"})
    assert str(raised.value) == "Unauthorized"


# ------------------------------------------------------------------ over HTTP, the runtime's server


@pytest.fixture
def runtime_url(aws: Stack, template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    """The runtime's HTTP server and gateway on a free port, every function's environment set
    as ``make run`` sets it."""
    for logical_id in template.functions():
        for name, value in aws.function_environment(logical_id).items():
            monkeypatch.setenv(name, value)
    server = make_server(Gateway(template), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="local-runtime-test", daemon=True)
    thread.start()
    try:
        yield server.server_address[0], server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def get(address: tuple[str, int], headers: list[tuple[str, str]], path: str = "/api-keys") -> tuple[int, Any]:
    """GET with exactly ``headers``, repeated ones included."""
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        connection.putrequest("GET", BASE + path)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


@pytest.fixture
def key(api: Api) -> str:
    return create_key(api, tenant="tenant-h")["key"]


def test_one_valid_key_is_authorized_over_http(runtime_url: tuple[str, int], key: str) -> None:
    assert get(runtime_url, [("X-Api-Key", key)])[0] == 200
    assert get(runtime_url, [("Authorization", f"Bearer {key}")])[0] == 200
    assert get(runtime_url, [("X-Api-Key", key), ("Cookie", "a=1; b=2")])[0] == 200


@pytest.mark.parametrize(
    "as_headers",
    [
        pytest.param(lambda key: [("X-Api-Key", key), ("X-Api-Key", key)], id="x-api-key-same-key-twice"),
        pytest.param(lambda key: [("X-Api-Key", key), ("x-api-key", key)], id="x-api-key-twice-in-two-cases"),
        pytest.param(lambda key: [("X-Api-Key", key), ("X-Api-Key", "intk_nonsense")], id="x-api-key-valid-then-invalid"),
        pytest.param(lambda key: [("X-Api-Key", "intk_nonsense"), ("X-Api-Key", key)], id="x-api-key-invalid-then-valid"),
        pytest.param(lambda key: [("X-Api-Key", ""), ("X-Api-Key", key)], id="x-api-key-empty-then-valid"),
        pytest.param(lambda key: [("Authorization", f"Bearer {key}")] * 2, id="authorization-same-key-twice"),
        pytest.param(
            lambda key: [("Authorization", "Bearer intk_nonsense"), ("Authorization", f"Bearer {key}")],
            id="authorization-invalid-then-valid",
        ),
    ],
)
def test_a_repeated_credential_header_is_unauthorized_over_http(runtime_url: tuple[str, int], key: str, as_headers: Any) -> None:
    assert get(runtime_url, as_headers(key)) == (401, {"message": "Unauthorized"})
