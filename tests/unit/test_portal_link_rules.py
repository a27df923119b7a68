"""Portal links' rules: the ttl, the expiry within the creator's, the default scopes, the URL
(fragment only, encoded as encodeURIComponent does), and where it points (ConsoleUrl, or the
request's own console)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from integration.domain.errors import InvalidFieldError
from integration.domain.portal_links import default_scopes, link_expiry, portal_link_url
from integration.entrypoints.http.portal_links import request_console_url
from integration.settings import Settings, SettingsError
from local_runtime.template import Template

NOW = datetime(2026, 12, 2, 6, 0, 0, 250_000, tzinfo=UTC)


@pytest.mark.parametrize("ttl", [0, -1, 86401, True])
def test_a_ttl_outside_1_to_86400_is_refused_on_ttl_seconds(ttl: int) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        link_expiry(NOW, ttl, None)
    assert refused.value.field == "ttl_seconds"


@pytest.mark.parametrize(
    ("ttl", "expected"), [(1, "2026-12-02T06:00:01"), (3600, "2026-12-02T07:00:00"), (86400, "2026-12-03T06:00:00")]
)
def test_the_expiry_is_now_plus_ttl_rounded_down_to_the_second(ttl: int, expected: str) -> None:
    assert link_expiry(NOW, ttl, None) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_the_expiry_is_never_later_than_the_creator_s() -> None:
    creator = NOW + timedelta(minutes=5)
    assert link_expiry(NOW, 86400, creator) == creator.replace(microsecond=0)
    assert link_expiry(NOW, 60, creator) == (NOW + timedelta(seconds=60)).replace(microsecond=0)
    with pytest.raises(InvalidFieldError, match="ttl_seconds"):
        link_expiry(NOW, 60, NOW + timedelta(milliseconds=500))


def test_default_scopes_are_the_service_s_the_caller_holds_in_catalogue_order() -> None:
    held = frozenset({"orders:read", "api-keys:write", "webhooks:read"})
    assert default_scopes(held) == ["webhooks:read", "api-keys:write"]
    with pytest.raises(InvalidFieldError) as refused:
        default_scopes(frozenset({"orders:read"}))
    assert refused.value.field == "scopes"


def test_the_url_carries_key_and_expiry_in_the_fragment_encoded_as_encode_uri_component() -> None:
    expires_at = datetime(2026, 12, 2, 7, 0, 0, tzinfo=UTC)
    url = portal_link_url("https://console.example.com/tenant?", "intk_Abc+/=", expires_at)
    assert url == "https://console.example.com/tenant?#key=intk_Abc%2B%2F%3D&expires_at=2026-12-02T07%3A00%3A00Z"
    assert portal_link_url("https://c.example.com/#old", "intk_x", expires_at).startswith("https://c.example.com/#key=")


def event(
    headers: dict[str, str],
    path: str = "/api/v1/integration/portal-links",
    domain: str = "abc.execute-api.eu-west-1.amazonaws.com",
) -> dict:
    return {"headers": headers, "rawPath": path, "requestContext": {"domainName": domain}}


@pytest.mark.parametrize(
    ("headers", "path", "expected"),
    [
        ({}, "/api/v1/integration/portal-links", "https://abc.execute-api.eu-west-1.amazonaws.com/api/v1/integration/console"),
        ({"Host": "api.example.com"}, "/api/v1/integration/portal-links", "https://api.example.com/api/v1/integration/console"),
        (
            {"host": "localhost:3000", "x-forwarded-proto": "http"},
            "/api/v1/integration/portal-links",
            "http://localhost:3000/api/v1/integration/console",
        ),
        (
            {"host": "api.example.com", "x-forwarded-proto": "https, http"},
            "/v2/integration/portal-links/",
            "https://api.example.com/v2/integration/console",
        ),
        (
            {"host": "a b", "x-forwarded-proto": "ftp"},
            "/prod/api/v1/integration/portal-links",
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/api/v1/integration/console",
        ),
    ],
)
def test_the_request_s_own_console(headers: dict[str, str], path: str, expected: str) -> None:
    assert request_console_url(event(headers, path)) == expected


ACCEPTED = [
    "https://console.example.com",
    "https://console.example.com/a/b",
    "http://localhost:3000/api/v1/integration/console",
    "http://127.0.0.1",
]
REFUSED = [
    "http://console.example.com",
    "https://console.example.com/?a=1",
    "https://console.example.com/#x",
    "ftp://x",
    "https:// x",
    "console",
]


def test_console_url_setting_takes_https_or_loopback_http_without_query_or_fragment() -> None:
    assert Settings.from_environ({}).console_url is None
    for url in ACCEPTED:
        assert Settings.from_environ({"CONSOLE_URL": url}).console_url == url
    for url in REFUSED:
        with pytest.raises(SettingsError) as refused:
            Settings.from_environ({"CONSOLE_URL": url})
        assert refused.value.variable == "CONSOLE_URL"


def test_the_template_s_console_url_pattern_agrees_with_the_setting() -> None:
    parameter = Template.load().raw["Parameters"]["ConsoleUrl"]
    assert parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("")
    assert all(pattern.fullmatch(url) for url in ACCEPTED)
    assert not any(pattern.fullmatch(url) for url in REFUSED)
