"""Which credential a request presents: ``Authorization: Bearer`` or ``X-Api-Key``."""

from __future__ import annotations

import pytest

from integration.domain.key_format import generate_key
from integration.entrypoints.http.credentials import presented_api_key

KEY = generate_key()
OTHER = generate_key()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": f"Bearer {KEY}"}, id="bearer"),
        pytest.param({"authorization": f"bearer {KEY}"}, id="lower-case"),
        pytest.param({"AUTHORIZATION": f"BEARER {KEY}"}, id="upper-case"),
        pytest.param({"Authorization": f"  Bearer   {KEY}  "}, id="extra-spaces"),
        pytest.param({"X-Api-Key": KEY}, id="x-api-key"),
        pytest.param({"x-api-key": KEY}, id="x-api-key-lower-case"),
        pytest.param({"X-API-KEY": f" {KEY} "}, id="x-api-key-upper-case-padded"),
        pytest.param({"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY}, id="both-agreeing"),
        pytest.param({"Authorization": f"Bearer {KEY}", "Accept": "application/json"}, id="among-other-headers"),
    ],
)
def test_the_key_is_read_from_either_header_whatever_the_case(headers: dict[str, str]) -> None:
    assert presented_api_key(headers) == KEY


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-headers"),
        pytest.param({"Accept": "application/json"}, id="unrelated-headers"),
        pytest.param({"Authorization": f"Bearer {KEY}", "X-Api-Key": OTHER}, id="both-disagreeing"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}, id="basic-scheme"),
        pytest.param({"Authorization": KEY}, id="no-scheme"),
        pytest.param({"Authorization": "Bearer"}, id="bearer-without-token"),
        pytest.param({"Authorization": "Bearer    "}, id="bearer-blank-token"),
        pytest.param({"Authorization": ""}, id="empty-authorization"),
        pytest.param({"X-Api-Key": ""}, id="empty-x-api-key"),
        pytest.param({"X-Api-Key": "   "}, id="blank-x-api-key"),
    ],
)
def test_no_key_is_presented(headers: dict[str, str]) -> None:
    assert presented_api_key(headers) is None
