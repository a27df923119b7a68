"""End to end (``make run``): a repeated credential header is refused as API Gateway refuses it.

An HTTP API joins repeated request headers with commas (payload 2.0), so two ``X-Api-Key``
headers reach the authorizer as one value ``"k1,k2"`` that no key matches: 401, even when
both are the same valid key. urllib cannot repeat a header; http.client can.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from tests.e2e.runtime import LocalRuntime

pytestmark = pytest.mark.e2e


def status_of(runtime: LocalRuntime, headers: list[tuple[str, str]]) -> int:
    url = urlsplit(runtime.api_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("GET", f"{url.path}/api-keys")
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_one_valid_key_is_authorized(local_runtime: LocalRuntime) -> None:
    assert status_of(local_runtime, [("X-Api-Key", local_runtime.api_key)]) == 200


def test_two_x_api_key_headers_are_unauthorized(local_runtime: LocalRuntime) -> None:
    key = local_runtime.api_key

    assert status_of(local_runtime, [("X-Api-Key", key), ("X-Api-Key", key)]) == 401
    assert status_of(local_runtime, [("X-Api-Key", key), ("X-Api-Key", "intk_nonsense")]) == 401
    assert status_of(local_runtime, [("X-Api-Key", "intk_nonsense"), ("X-Api-Key", key)]) == 401
