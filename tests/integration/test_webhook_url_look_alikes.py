"""Issue 12: the /webhooks API refuses look-alike spellings of non-public IP addresses at
registration (POST and PUT), before anything is stored; the same URLs spelled plainly are
refused the same way, and a public name is still accepted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.integration.helpers import assert_problem, items

BODY: dict[str, Any] = {"name": "orders", "url": "https://example.com/hooks/orders", "events": ["WebhookCreated"]}
NON_PUBLIC = "must not point at a private, loopback, link-local, multicast or reserved address"

LOOK_ALIKE_URLS = [
    pytest.param("https://0\uff58a9fea9fe/latest/meta-data/", id="metadata-hex-fullwidth-x"),
    pytest.param("https://\u2070x7f000001/", id="loopback-hex-superscript-zero"),
    pytest.param("https://127.0.0.0\uff581/", id="loopback-fullwidth-x-in-last-part"),
    pytest.param("https://\U0001d7cf\U0001d7d0\U0001d7d5.\U0001d7ce.\U0001d7ce.\U0001d7cf/", id="loopback-mathematical-bold"),
    pytest.param("https://169\u3002254\u3002169\u3002254/", id="metadata-ideographic-full-stops"),
]


def url_errors(problem: dict[str, Any]) -> list[str]:
    return [error["message"] for error in problem.get("errors", []) if error["field"] == "url"]


@pytest.mark.parametrize("url", LOOK_ALIKE_URLS)
def test_creating_a_webhook_at_a_look_alike_address_is_refused(api: Api, dynamodb: Any, table_name: str, url: str) -> None:
    before = items(dynamodb, table_name)

    problem = assert_problem(api.call("POST", "/webhooks", body={**BODY, "url": url}), 422)

    assert url_errors(problem) == [NON_PUBLIC], problem
    assert items(dynamodb, table_name) == before


@pytest.mark.parametrize("url", LOOK_ALIKE_URLS)
def test_moving_a_webhook_to_a_look_alike_address_is_refused(api: Api, dynamodb: Any, table_name: str, url: str) -> None:
    status, _, created = api.call("POST", "/webhooks", body=BODY)
    assert status == 201, created
    before = items(dynamodb, table_name)
    body = {name: created[name] for name in ("name", "events", "description", "status")} | {"url": url}

    problem = assert_problem(api.call("PUT", f"/webhooks/{created['id']}", body=body), 422)

    assert url_errors(problem) == [NON_PUBLIC], problem
    assert items(dynamodb, table_name) == before


def test_a_name_ending_in_a_hex_number_is_refused_and_a_plain_name_accepted(api: Api) -> None:
    problem = assert_problem(api.call("POST", "/webhooks", body={**BODY, "url": "https://hooks.0x7f/"}), 422)
    assert url_errors(problem) == ["has an invalid host name"], problem

    status, _, created = api.call("POST", "/webhooks", body={**BODY, "url": "https://bücher.example/hook"})
    assert status == 201, created
    assert created["url"] == "https://bücher.example/hook"
